//! Server commands: INFO, TIME, CONFIG (GET, SET, RESETSTAT, REWRITE), MEMORY, FLUSHDB/FLUSHALL,
//! SWAPDB, SHUTDOWN, FUNCTION (truthfully empty: Redoubt has no scripting, THREATS.md T12) and COMMAND.

mod config_rewrite;
mod info;
mod introspection;
mod memory_report;

pub(crate) use config_rewrite::config_rewrite;
pub(crate) use info::info;
pub(crate) use introspection::*;
pub(crate) use memory_report::*;

use crate::context::{is_opt, CmdError, CmdResult, Ctx};

/// The Redis version Redoubt is compatible with; clients gate features on it.
pub const REDIS_VERSION: &str = "7.0.15";

/// Redoubt's own version.
pub const REDOUBT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Writes a HELP reply: the command's usage lines as status replies, as Redis does.
pub(crate) fn help_reply(ctx: &mut Ctx<'_>, command: &str, lines: &[&str]) {
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!("{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Print this help.");
}

/// TIME
pub(crate) fn time(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk_int(now.as_secs() as i64);
    ctx.out.bulk_int(now.subsec_micros() as i64);
    Ok(())
}

fn flush_mode(ctx: &Ctx<'_>) -> CmdResult {
    match ctx.args.len() {
        1 => Ok(()),
        2 if is_opt(&ctx.args[1], "ASYNC") || is_opt(&ctx.args[1], "SYNC") => Ok(()),
        _ => Err(CmdError::syntax()),
    }
}

/// FLUSHDB [ASYNC|SYNC]
pub(crate) fn flushdb(ctx: &mut Ctx<'_>) -> CmdResult {
    flush_mode(ctx)?;
    let removed = ctx.db().len() as u64;
    crate::tracking::flushed(ctx.engine, ctx.keyspace, ctx.session, ctx.now_ms);
    ctx.db().clear();
    ctx.engine.stats.dirty.fetch_add(removed, std::sync::atomic::Ordering::Relaxed);
    ctx.out.ok();
    Ok(())
}

/// FLUSHALL [ASYNC|SYNC]
pub(crate) fn flushall(ctx: &mut Ctx<'_>) -> CmdResult {
    flush_mode(ctx)?;
    let removed = ctx.keyspace.total_keys() as u64;
    crate::tracking::flushed(ctx.engine, ctx.keyspace, ctx.session, ctx.now_ms);
    ctx.keyspace.flush_all();
    crate::persistence::flushed_all(ctx, removed);
    ctx.out.ok();
    Ok(())
}

/// SWAPDB index1 index2
pub(crate) fn swapdb(ctx: &mut Ctx<'_>) -> CmdResult {
    let a = ctx.int_arg(1).map_err(|_| CmdError::raw("ERR invalid first DB index"))?;
    let b = ctx.int_arg(2).map_err(|_| CmdError::raw("ERR invalid second DB index"))?;
    let n = ctx.keyspace.db_count() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(CmdError::raw("ERR DB index is out of range"));
    }
    ctx.keyspace.swap(a as usize, b as usize);
    ctx.out.ok();
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: no reply; the connection closes as the server stops.
pub(crate) fn shutdown(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut abort = false;
    for a in &ctx.args[1..] {
        if is_opt(a, "ABORT") {
            abort = true;
        } else if !(is_opt(a, "NOSAVE") || is_opt(a, "SAVE") || is_opt(a, "NOW") || is_opt(a, "FORCE")) {
            return Err(CmdError::syntax());
        }
    }
    if abort {
        if ctx.args.len() != 2 {
            return Err(CmdError::syntax());
        }
        return Err(CmdError::raw("ERR No shutdown in progress."));
    }
    let save = if ctx.args[1..].iter().any(|a| is_opt(a, "NOSAVE")) {
        crate::persistence::ShutdownSave::NoSave
    } else if ctx.args[1..].iter().any(|a| is_opt(a, "SAVE")) {
        crate::persistence::ShutdownSave::Save
    } else {
        crate::persistence::ShutdownSave::Default
    };
    ctx.engine.persistence.set_shutdown_mode(save);
    ctx.engine.request_shutdown();
    ctx.session.close_after_reply = true;
    Ok(())
}

/// CONFIG GET parameter [parameter ...]
pub(crate) fn config_get(ctx: &mut Ctx<'_>) -> CmdResult {
    let config = ctx.engine.config();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pattern in &ctx.args[2..] {
        for (k, v) in config.get(&String::from_utf8_lossy(pattern)) {
            if !pairs.iter().any(|(seen, _)| *seen == k) {
                pairs.push((k, v));
            }
        }
    }
    drop(config);
    ctx.out.map(pairs.len());
    for (k, v) in pairs {
        ctx.out.bulk(k.as_bytes());
        ctx.out.bulk(v.as_bytes());
    }
    Ok(())
}

/// CONFIG SET parameter value [parameter value ...]: all or nothing, as Redis 7.
pub(crate) fn config_set(ctx: &mut Ctx<'_>) -> CmdResult {
    if !ctx.args.len().is_multiple_of(2) {
        return Err(CmdError::arity("config|set"));
    }
    let pairs: Vec<(String, String)> = ctx.args[2..]
        .chunks(2)
        .map(|p| (String::from_utf8_lossy(&p[0]).into_owned(), String::from_utf8_lossy(&p[1]).into_owned()))
        .collect();
    ctx.engine.config_mut().set_many(&pairs).map_err(|e| CmdError(e.message().to_string().into()))?;
    // The gate applies what it owns (requirepass, acl-pubsub-default, acllog-max-len) and
    // audits the change: names only, never values.
    let names: Vec<String> = pairs.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    // `appendonly yes|no` turns the log on or off (aof/rewrite.rs).
    crate::aof::rewrite::config_changed(ctx, &names);
    if let Some(gate) = ctx.engine.gate().cloned() {
        gate.config_changed(ctx.engine, ctx.session, &names);
    }
    ctx.out.ok();
    Ok(())
}

/// CONFIG RESETSTAT
pub(crate) fn config_resetstat(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.engine.reset_stats();
    ctx.keyspace.reset_stats();
    ctx.out.ok();
    Ok(())
}

/// CONFIG HELP
pub(crate) fn config_help(ctx: &mut Ctx<'_>) -> CmdResult {
    help_reply(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

/// FUNCTION FLUSH [ASYNC|SYNC]: there are never any functions, so there is nothing to flush.
pub(crate) fn function_flush(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.args.len() {
        2 => {}
        3 if is_opt(&ctx.args[2], "ASYNC") || is_opt(&ctx.args[2], "SYNC") => {}
        _ => return Err(CmdError::raw("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")),
    }
    ctx.out.ok();
    Ok(())
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]: always empty (no scripting, by design).
pub(crate) fn function_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut i = 2;
    while i < ctx.args.len() {
        if is_opt(&ctx.args[i], "WITHCODE") {
            i += 1;
        } else if is_opt(&ctx.args[i], "LIBRARYNAME") && i + 1 < ctx.args.len() {
            i += 2;
        } else {
            return Err(CmdError::err(format!("Unknown argument {}", String::from_utf8_lossy(&ctx.args[i]))));
        }
    }
    ctx.out.array(0);
    Ok(())
}

/// FUNCTION HELP
pub(crate) fn function_help(ctx: &mut Ctx<'_>) -> CmdResult {
    help_reply(
        ctx,
        "FUNCTION",
        &[
            "LIST [LIBRARYNAME <pattern>] [WITHCODE]",
            "    Always empty: Redoubt runs no server-side code (no scripting engine by design).",
            "FLUSH [ASYNC|SYNC]",
            "    Accepted for compatibility; there are no functions to delete.",
        ],
    );
    Ok(())
}

/// MEMORY USAGE key [SAMPLES count]: the key's estimated footprint in bytes, or nil.
pub(crate) fn memory_usage(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.args.len() {
        3 => {}
        5 if is_opt(&ctx.args[3], "SAMPLES") => {
            // Our accounting is exact per value, so sampling has nothing to estimate.
            ctx.int_arg(4)?;
        }
        _ => return Err(CmdError::syntax()),
    }
    let now = ctx.now_ms;
    let key = ctx.args[2].clone();
    match ctx.db().key_mem_usage(&key, now) {
        Some(bytes) => ctx.out.int(bytes as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

/// MEMORY HELP
pub(crate) fn memory_help(ctx: &mut Ctx<'_>) -> CmdResult {
    help_reply(
        ctx,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value.",
        ],
    );
    Ok(())
}
