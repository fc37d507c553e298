//! CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO, with Redis
//! 7.0's options, checks and error texts (networking.c's `clientCommand`).

use super::{show, Tracker, TRACKING};
use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use bytes::Bytes;

/// The options of one CLIENT TRACKING call.
#[derive(Default)]
struct Options {
    redirect: u64,
    bcast: bool,
    optin: bool,
    optout: bool,
    noloop: bool,
    prefixes: Vec<Bytes>,
}

fn parse_options(ctx: &Ctx<'_>) -> Result<Options, CmdError> {
    let args = ctx.args;
    let mut o = Options::default();
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let a = &args[j];
        if is_opt(a, "REDIRECT") && more {
            j += 1;
            if o.redirect != 0 {
                return Err(CmdError::err("A client can only redirect to a single other client"));
            }
            let id = parse_i64(&args[j]).ok_or(CmdError::not_integer())?;
            // The client must exist now, though it may leave later: a sanity check.
            if id <= 0 || ctx.engine.clients.get(id as u64).is_none() {
                return Err(CmdError::err("The client ID you want redirect to does not exist"));
            }
            o.redirect = id as u64;
        } else if is_opt(a, "BCAST") {
            o.bcast = true;
        } else if is_opt(a, "OPTIN") {
            o.optin = true;
        } else if is_opt(a, "OPTOUT") {
            o.optout = true;
        } else if is_opt(a, "NOLOOP") {
            o.noloop = true;
        } else if is_opt(a, "PREFIX") && more {
            j += 1;
            o.prefixes.push(args[j].clone());
        } else {
            return Err(CmdError::syntax());
        }
        j += 1;
    }
    Ok(o)
}

/// Whether either prefix is a prefix of the other: both would invalidate the same keys.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Refuses prefixes that overlap each other or the client's existing ones, in Redis's words.
fn check_prefixes(existing: &[Bytes], given: &[Bytes]) -> CmdResult {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    for (i, p) in given.iter().enumerate() {
        if let Some(old) = existing.iter().find(|old| overlap(old, p)) {
            return Err(CmdError::err(format!(
                "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                text(p),
                text(old)
            )));
        }
        if let Some(other) = given[i + 1..].iter().find(|q| overlap(p, q)) {
            return Err(CmdError::err(format!(
                "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                text(p),
                text(other)
            )));
        }
    }
    Ok(())
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
pub(crate) fn client_tracking(ctx: &mut Ctx<'_>) -> CmdResult {
    let o = parse_options(ctx)?;
    let id = ctx.session.id();
    let mut table = ctx.engine.tracking.lock();
    if is_opt(&ctx.args[2], "OFF") {
        table.disable(id);
        table.refresh(ctx.engine, ctx.keyspace);
        drop(table);
        ctx.session.features &= !TRACKING;
        ctx.session.handle.tracking.store(0, std::sync::atomic::Ordering::Relaxed);
        ctx.session.handle.tracking_redirect.store(-1, std::sync::atomic::Ordering::Relaxed);
        ctx.out.ok();
        return Ok(());
    }
    if !is_opt(&ctx.args[2], "ON") {
        return Err(CmdError::syntax());
    }
    if !o.bcast && !o.prefixes.is_empty() {
        return Err(CmdError::err("PREFIX option requires BCAST mode to be enabled"));
    }
    let current = table.trackers.get(&id).cloned();
    if let Some(t) = &current {
        if t.bcast != o.bcast {
            return Err(CmdError::err("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."));
        }
    }
    if o.bcast && (o.optin || o.optout) {
        return Err(CmdError::err("OPTIN and OPTOUT are not compatible with BCAST"));
    }
    if o.optin && o.optout {
        return Err(CmdError::err("You can't specify both OPTIN mode and OPTOUT mode"));
    }
    if let Some(t) = &current {
        if (o.optin && t.optout) || (o.optout && t.optin) {
            return Err(CmdError::err("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."));
        }
    }
    if o.bcast {
        check_prefixes(current.as_ref().map_or(&[][..], |t| &t.prefixes), &o.prefixes)?;
    }
    // Re-enabling keeps CLIENT CACHING's pending choice and the prefixes, and takes the new
    // options and redirection, as Redis's enableTracking.
    let mut tracker = current.unwrap_or_default();
    tracker.redirect = o.redirect;
    tracker.broken = false;
    tracker.bcast = o.bcast;
    tracker.optin = o.optin;
    tracker.optout = o.optout;
    tracker.noloop = o.noloop;
    if o.bcast {
        let given = if o.prefixes.is_empty() { vec![Bytes::new()] } else { o.prefixes };
        for p in given {
            let state = table.prefixes.entry(p.clone()).or_default();
            if !state.clients.contains(&id) {
                state.clients.push(id);
                tracker.prefixes.push(p);
            }
        }
    }
    show(&ctx.session.handle, &tracker);
    table.trackers.insert(id, tracker);
    table.refresh(ctx.engine, ctx.keyspace);
    drop(table);
    ctx.session.features |= TRACKING;
    ctx.out.ok();
    Ok(())
}

/// CLIENT CACHING YES|NO
pub(crate) fn client_caching(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut table = ctx.engine.tracking.lock();
    let Some(tracker) = table.trackers.get_mut(&ctx.session.id()) else {
        return Err(CmdError::err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    };
    if is_opt(&ctx.args[2], "YES") {
        if !tracker.optin {
            return Err(CmdError::err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."));
        }
    } else if is_opt(&ctx.args[2], "NO") {
        if !tracker.optout {
            return Err(CmdError::err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."));
        }
    } else {
        return Err(CmdError::syntax());
    }
    tracker.caching = true;
    drop(table);
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETREDIR
pub(crate) fn client_getredir(ctx: &mut Ctx<'_>) -> CmdResult {
    let redirect = ctx.engine.tracking.lock().trackers.get(&ctx.session.id()).map_or(-1, |t| t.redirect as i64);
    ctx.out.int(redirect);
    Ok(())
}

/// CLIENT TRACKINGINFO
pub(crate) fn client_trackinginfo(ctx: &mut Ctx<'_>) -> CmdResult {
    let tracker: Option<Tracker> = ctx.engine.tracking.lock().trackers.get(&ctx.session.id()).cloned();
    let mut flags: Vec<&str> = Vec::new();
    match &tracker {
        None => flags.push("off"),
        Some(t) => {
            flags.push("on");
            if t.bcast {
                flags.push("bcast");
            }
            if t.optin {
                flags.push("optin");
                if t.caching {
                    flags.push("caching-yes");
                }
            }
            if t.optout {
                flags.push("optout");
                if t.caching {
                    flags.push("caching-no");
                }
            }
            if t.noloop {
                flags.push("noloop");
            }
            if t.broken {
                flags.push("broken_redirect");
            }
        }
    }
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"redirect");
    out.int(tracker.as_ref().map_or(-1, |t| t.redirect as i64));
    out.bulk(b"prefixes");
    // Sorted, as Redis keeps them in a radix tree.
    let mut prefixes = tracker.map(|t| t.prefixes).unwrap_or_default();
    prefixes.sort();
    out.array(prefixes.len());
    for p in &prefixes {
        out.bulk(p);
    }
    Ok(())
}
