//! The sets family (Redis's t_set.c): SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD,
//! SPOP, SRANDMEMBER, SMOVE, the SINTER / SUNION / SDIFF families, SINTERCARD and SSCAN.
//!
//! Values are [`SetValue`]s; the intset threshold (`set-max-intset-entries`) is read from the
//! config once per writing command. Reads count keyspace hits and misses as Redis's
//! `lookupKeyRead` does; a set emptied by a command is deleted. Replies that are sets in
//! Redis 7.0 (SMEMBERS, SINTER, SUNION, SDIFF, SPOP with a count) use the RESP3 set type.

mod ops;
mod random;

use crate::context::{CmdError, CmdResult, Ctx};
use crate::hashes::scan;
use crate::pubsub::notify::{keyspace_event, GENERIC, SET};
use crate::strings::{mark_dirty, Lookup};
use redoubt_resp::ReplyBuffer;
use redoubt_store::set::Member;
use redoubt_store::{Keyspace, SetValue, Value};

pub(crate) use ops::{sdiff, sdiffstore, sinter, sintercard, sinterstore, smembers, sunion, sunionstore};
pub(crate) use random::{spop, srandmember};

/// The intset threshold, from the config.
fn max_intset(ctx: &Ctx<'_>) -> usize {
    ctx.engine.set_max_intset()
}

/// Writes a member as a bulk string (an integer without formatting it first).
fn reply_member(out: &mut ReplyBuffer, m: Member<'_>) {
    match m {
        Member::Int(v) => out.bulk_int(v),
        Member::Bytes(b) => out.bulk(b),
    }
}

/// A read lookup of a key that must hold a set: `None` if absent, WRONGTYPE otherwise.
fn read_set<'k>(lk: Lookup, ks: &'k mut Keyspace, key: &[u8]) -> Result<Option<&'k SetValue>, CmdError> {
    match lk.read(ks, key) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::wrong_type()),
    }
}

/// Runs `f` on the set at `key` (in `lk`'s database) for writing. An absent key is an
/// empty set when `create` (stored only if `f` leaves it non-empty), else `f` is not run and
/// `None` is returned. A set `f` empties is deleted. Takes the keyspace rather than the
/// context so `f` may write to the reply.
///
/// When some client WATCHes a key of this database, `changes` is asked first, on the set as
/// it is: if it says the command would change nothing, `f` is not run, `None` is returned
/// and the key is not marked modified (Redis signals only real modifications).
fn write_set<R>(
    ks: &mut Keyspace,
    lk: Lookup,
    key: &[u8],
    create: bool,
    changes: impl FnOnce(&SetValue) -> bool,
    f: impl FnOnce(&mut SetValue) -> R,
) -> Result<Option<R>, CmdError> {
    let db = ks.db(lk.db);
    if db.tracked_len() > 0 {
        let verdict = match db.get(key, lk.now, lk.touch) {
            Some(Value::Set(s)) => Some(changes(s)),
            Some(_) => return Err(CmdError::wrong_type()),
            None => None,
        };
        if verdict == Some(false) {
            return Ok(None);
        }
    }
    // `f` runs on one path or the other; the Option lets both paths own it.
    let mut f = Some(f);
    let existing = match db.get_mut(key, lk.now) {
        Some(mut guard) => {
            let Value::Set(s) = &mut *guard else {
                return Err(CmdError::wrong_type());
            };
            let Some(f) = f.take() else { return Ok(None) };
            let r = f(s);
            Some((r, s.is_empty()))
        }
        None => None,
    };
    match existing {
        Some((r, empty)) => {
            if empty {
                db.remove(key, lk.now);
            }
            Ok(Some(r))
        }
        None if create => {
            let mut s = SetValue::new();
            let Some(f) = f.take() else { return Ok(None) };
            let r = f(&mut s);
            if !s.is_empty() {
                db.set(key, Value::Set(Box::new(s)), false, lk.now);
            }
            Ok(Some(r))
        }
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------------------
// SADD, SREM, SMOVE
// ---------------------------------------------------------------------------------------

/// `SADD key member [member ...]`
pub(crate) fn sadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    let max = max_intset(ctx);
    let added = write_set(
        ctx.keyspace,
        lk,
        &args[1],
        true,
        |s| args[2..].iter().any(|m| !s.contains(m)),
        |s| args[2..].iter().filter(|m| s.add(m, max)).count(),
    )?
    .unwrap_or(0);
    mark_dirty(ctx, added as u64);
    if added > 0 {
        keyspace_event(ctx, SET, "sadd", &args[1]);
    }
    ctx.out.int(i64::try_from(added).unwrap_or(i64::MAX));
    Ok(())
}

/// `SREM key member [member ...]`
pub(crate) fn srem(ctx: &mut Ctx<'_>) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    let mut emptied = false;
    let removed = write_set(
        ctx.keyspace,
        lk,
        &args[1],
        false,
        |s| args[2..].iter().any(|m| s.contains(m)),
        |s| {
            let mut removed = 0usize;
            for m in &args[2..] {
                if s.remove(m) {
                    removed += 1;
                    if s.is_empty() {
                        break;
                    }
                }
            }
            emptied = s.is_empty();
            removed
        },
    )?
    .unwrap_or(0);
    mark_dirty(ctx, removed as u64);
    if removed > 0 {
        keyspace_event(ctx, SET, "srem", &args[1]);
        if emptied {
            keyspace_event(ctx, GENERIC, "del", &args[1]);
        }
    }
    ctx.out.int(i64::try_from(removed).unwrap_or(i64::MAX));
    Ok(())
}

/// `SMOVE source destination member`
pub(crate) fn smove(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let (src, dst, member) = (&args[1][..], &args[2][..], &args[3][..]);
    let lk = Lookup::of(ctx);
    let db = ctx.keyspace.db(lk.db);
    let src_has = match db.get(src, lk.now, lk.touch) {
        None => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(Value::Set(s)) => s.contains(member),
        Some(_) => return Err(CmdError::wrong_type()),
    };
    let dst_has = match db.get(dst, lk.now, lk.touch) {
        None => false,
        Some(Value::Set(s)) => s.contains(member),
        Some(_) => return Err(CmdError::wrong_type()),
    };
    if src == dst || !src_has {
        ctx.out.int(i64::from(src == dst && src_has));
        return Ok(());
    }
    let max = max_intset(ctx);
    let emptied = write_set(
        ctx.keyspace,
        lk,
        src,
        false,
        |_| true,
        |s| {
            s.remove(member);
            s.is_empty()
        },
    )?;
    keyspace_event(ctx, SET, "srem", src);
    if emptied == Some(true) {
        keyspace_event(ctx, GENERIC, "del", src);
    }
    // A destination that already has the member is left untouched (not even for WATCH).
    if !dst_has {
        write_set(ctx.keyspace, lk, dst, true, |_| true, |s| s.add(member, max))?;
        keyspace_event(ctx, SET, "sadd", dst);
    }
    mark_dirty(ctx, 1 + u64::from(!dst_has));
    ctx.out.int(1);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// SISMEMBER, SMISMEMBER, SCARD
// ---------------------------------------------------------------------------------------

/// `SISMEMBER key member`
pub(crate) fn sismember(ctx: &mut Ctx<'_>) -> CmdResult {
    let s = read_set(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    ctx.out.int(i64::from(s.is_some_and(|s| s.contains(&ctx.args[2]))));
    Ok(())
}

/// `SMISMEMBER key member [member ...]`
pub(crate) fn smismember(ctx: &mut Ctx<'_>) -> CmdResult {
    let s = read_set(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    let members = &ctx.args[2..];
    ctx.out.array(members.len());
    for m in members {
        ctx.out.int(i64::from(s.is_some_and(|s| s.contains(m))));
    }
    Ok(())
}

/// `SCARD key`
pub(crate) fn scard(ctx: &mut Ctx<'_>) -> CmdResult {
    let s = read_set(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    ctx.out.int(s.map_or(0, |s| i64::try_from(s.len()).unwrap_or(i64::MAX)));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------------------

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`
pub(crate) fn sscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let cursor = scan::cursor_arg(&args[2])?;
    let Some(s) = read_set(Lookup::of(ctx), ctx.keyspace, &args[1])? else {
        scan::reply(ctx.out, 0, &[]);
        return Ok(());
    };
    let opts = scan::parse_opts(args, 3)?;
    let mut items = Vec::new();
    let next = scan::scan_loop(cursor, opts.count, |cursor, seen| {
        s.scan_step(cursor, |m| {
            *seen += 1;
            m.with_bytes(|b| {
                if opts.matches(b) {
                    items.push(b.to_vec());
                }
            });
        })
    });
    scan::reply(ctx.out, next, &items);
    Ok(())
}
