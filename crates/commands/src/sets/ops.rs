//! The set algebra: SMEMBERS, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF,
//! SDIFFSTORE, as Redis's `sinterGenericCommand` and `sunionDiffGenericCommand`.
//!
//! Every key is looked up once for reading first (hits and misses counted, the first
//! non-set answered with WRONGTYPE). The sets are then visited one at a time: the
//! intersection filters a copy of the smallest set's members through each other set, the
//! union and difference build their result as a new [`SetValue`] (so a stored result gets
//! the encoding Redis would give it). Replies are RESP3 sets.

use super::{max_intset, read_set, reply_member};
use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, GENERIC, SET};
use crate::strings::{mark_dirty, Lookup};
use bytes::Bytes;
use redoubt_store::set::Member;
use redoubt_store::{Keyspace, SetValue, Value};

/// A member copied out of a set.
enum Owned {
    Int(i64),
    Bytes(Vec<u8>),
}

impl Owned {
    fn of(m: Member<'_>) -> Owned {
        match m {
            Member::Int(v) => Owned::Int(v),
            Member::Bytes(b) => Owned::Bytes(b.to_vec()),
        }
    }

    fn as_member(&self) -> Member<'_> {
        match self {
            Owned::Int(v) => Member::Int(*v),
            Owned::Bytes(b) => Member::Bytes(b),
        }
    }
}

/// Where a result goes.
#[derive(Clone, Copy)]
enum Dest<'a> {
    /// To the client, as a set.
    Reply,
    /// Into this key (replaced, or deleted if the result is empty); the reply is its size.
    Store(&'a [u8]),
}

/// Looks up every key for reading: their sizes, `None` for absent keys.
fn sizes(ctx: &mut Ctx<'_>, keys: &[Bytes]) -> Result<Vec<Option<usize>>, CmdError> {
    let lk = Lookup::of(ctx);
    keys.iter().map(|k| Ok(read_set(lk, ctx.keyspace, k)?.map(SetValue::len))).collect()
}

/// A set already looked up (no hit/miss or access clock counted again).
fn peek<'k>(ks: &'k mut Keyspace, lk: Lookup, key: &[u8]) -> Option<&'k SetValue> {
    match ks.db(lk.db).get(key, lk.now, false) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// Stores `result` at `dst` (or deletes `dst` when empty) and replies with its size.
fn store(ctx: &mut Ctx<'_>, dst: &[u8], result: SetValue) {
    let now = ctx.now_ms;
    let len = result.len();
    let db = ctx.keyspace.db(ctx.session.db);
    let changed = if len > 0 {
        db.set(dst, Value::Set(Box::new(result)), false, now);
        true
    } else {
        db.remove(dst, now).is_some()
    };
    if changed {
        mark_dirty(ctx, 1);
        if len > 0 {
            // The command storing: SINTERSTORE, SUNIONSTORE or SDIFFSTORE.
            let event = ["sunionstore", "sdiffstore"]
                .into_iter()
                .find(|name| is_opt(&ctx.args[0], name))
                .unwrap_or("sinterstore");
            keyspace_event(ctx, SET, event, dst);
        } else {
            keyspace_event(ctx, GENERIC, "del", dst);
        }
    }
    ctx.out.int(i64::try_from(len).unwrap_or(i64::MAX));
}

/// Replies with `result` or stores it.
fn finish(ctx: &mut Ctx<'_>, dest: Dest<'_>, result: SetValue) {
    match dest {
        Dest::Reply => {
            ctx.out.set(result.len());
            for m in result.iter() {
                reply_member(ctx.out, m);
            }
        }
        Dest::Store(dst) => store(ctx, dst, result),
    }
}

/// Builds a set from members, as Redis builds a result (encoding by the usual rules).
fn collect<'m>(members: impl Iterator<Item = Member<'m>>, max: usize) -> SetValue {
    let mut s = SetValue::new();
    for m in members {
        s.add_member(m, max);
    }
    s
}

// ---------------------------------------------------------------------------------------
// SMEMBERS, SINTER, SINTERCARD, SINTERSTORE
// ---------------------------------------------------------------------------------------

/// `SMEMBERS key` (Redis 7.0 runs it as a one-key SINTER: a set reply).
pub(crate) fn smembers(ctx: &mut Ctx<'_>) -> CmdResult {
    let s = read_set(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    ctx.out.set(s.map_or(0, SetValue::len));
    for m in s.into_iter().flat_map(SetValue::iter) {
        reply_member(ctx.out, m);
    }
    Ok(())
}

/// What an intersection produces.
#[derive(Clone, Copy)]
enum Inter<'a> {
    Out(Dest<'a>),
    /// Only the size, stopping at `limit` (0: no limit).
    Card {
        limit: usize,
    },
}

/// Redis's `sinterGenericCommand`.
fn sinter_generic(ctx: &mut Ctx<'_>, keys: &[Bytes], what: Inter<'_>) -> CmdResult {
    let sizes = sizes(ctx, keys)?;
    let lk = Lookup::of(ctx);
    // The smallest set drives; an absent key makes the result empty.
    let first = match sizes.iter().enumerate().try_fold(None::<(usize, usize)>, |best, (i, size)| {
        let size = (*size)?;
        Some(Some(match best {
            Some(b) if b.1 <= size => b,
            _ => (i, size),
        }))
    }) {
        Some(Some((i, _))) => Some(i),
        _ => None,
    };
    let Some(first) = first else {
        return match what {
            Inter::Card { .. } => {
                ctx.out.int(0);
                Ok(())
            }
            Inter::Out(dest) => {
                finish(ctx, dest, SetValue::new());
                Ok(())
            }
        };
    };
    let first_key = &keys[first][..];
    let others: Vec<&[u8]> = keys.iter().map(|k| &k[..]).filter(|k| *k != first_key).collect();
    if others.is_empty() {
        // Every key names the same set: it is the result.
        let max = max_intset(ctx);
        let Some(s) = peek(ctx.keyspace, lk, first_key) else { return Ok(()) };
        match what {
            Inter::Card { limit } => {
                let n = if limit > 0 { s.len().min(limit) } else { s.len() };
                ctx.out.int(i64::try_from(n).unwrap_or(i64::MAX));
            }
            Inter::Out(Dest::Reply) => {
                ctx.out.set(s.len());
                for m in s.iter() {
                    reply_member(ctx.out, m);
                }
            }
            Inter::Out(Dest::Store(dst)) => {
                let result = collect(s.iter(), max);
                store(ctx, dst, result);
            }
        }
        return Ok(());
    }
    let mut candidates: Vec<Owned> = match peek(ctx.keyspace, lk, first_key) {
        Some(s) => s.iter().map(Owned::of).collect(),
        None => Vec::new(),
    };
    for (j, key) in others.iter().enumerate() {
        if candidates.is_empty() {
            break;
        }
        let Some(s) = peek(ctx.keyspace, lk, key) else {
            candidates.clear();
            break;
        };
        let last = j + 1 == others.len();
        match what {
            Inter::Card { limit } if last && limit > 0 => {
                // Count up to the limit, as Redis stops there.
                let mut n = 0;
                candidates.retain(|m| {
                    let keep = n < limit && s.contains_member(m.as_member());
                    n += usize::from(keep);
                    keep
                });
            }
            _ => candidates.retain(|m| s.contains_member(m.as_member())),
        }
    }
    match what {
        Inter::Card { .. } => ctx.out.int(i64::try_from(candidates.len()).unwrap_or(i64::MAX)),
        Inter::Out(Dest::Reply) => {
            ctx.out.set(candidates.len());
            for m in &candidates {
                reply_member(ctx.out, m.as_member());
            }
        }
        Inter::Out(Dest::Store(dst)) => {
            let result = collect(candidates.iter().map(Owned::as_member), max_intset(ctx));
            store(ctx, dst, result);
        }
    }
    Ok(())
}

/// `SINTER key [key ...]`
pub(crate) fn sinter(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    sinter_generic(ctx, &args[1..], Inter::Out(Dest::Reply))
}

/// `SINTERSTORE destination key [key ...]`
pub(crate) fn sinterstore(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    sinter_generic(ctx, &args[2..], Inter::Out(Dest::Store(&args[1])))
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`
pub(crate) fn sintercard(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let numkeys =
        parse_i64(&args[1]).filter(|&n| n >= 1).ok_or(CmdError::raw("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.len() - 2 {
        return Err(CmdError::raw("ERR Number of keys can't be greater than number of args"));
    }
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if is_opt(&args[i], "limit") && i + 1 < args.len() {
            let n = parse_i64(&args[i + 1]).filter(|&n| n >= 0);
            limit = n.and_then(|n| usize::try_from(n).ok()).ok_or(CmdError::raw("ERR LIMIT can't be negative"))?;
            i += 2;
        } else {
            return Err(CmdError::syntax());
        }
    }
    sinter_generic(ctx, &args[2..2 + numkeys], Inter::Card { limit })
}

// ---------------------------------------------------------------------------------------
// SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE
// ---------------------------------------------------------------------------------------

/// Redis's `sunionDiffGenericCommand` for a union.
fn sunion_generic(ctx: &mut Ctx<'_>, keys: &[Bytes], dest: Dest<'_>) -> CmdResult {
    let sizes = sizes(ctx, keys)?;
    let lk = Lookup::of(ctx);
    let max = max_intset(ctx);
    let mut result = SetValue::new();
    for (key, size) in keys.iter().zip(&sizes) {
        if size.is_some() {
            if let Some(s) = peek(ctx.keyspace, lk, key) {
                for m in s.iter() {
                    result.add_member(m, max);
                }
            }
        }
    }
    finish(ctx, dest, result);
    Ok(())
}

/// Redis's `sunionDiffGenericCommand` for a difference, with its choice of algorithm (so a
/// stored result gets the same encoding as in Redis).
fn sdiff_generic(ctx: &mut Ctx<'_>, keys: &[Bytes], dest: Dest<'_>) -> CmdResult {
    let sizes = sizes(ctx, keys)?;
    let lk = Lookup::of(ctx);
    let max = max_intset(ctx);
    let first_key = &keys[0][..];
    let Some(first_size) = sizes[0] else {
        finish(ctx, dest, SetValue::new());
        return Ok(());
    };
    if keys[1..].iter().any(|k| &k[..] == first_key) {
        finish(ctx, dest, SetValue::new());
        return Ok(());
    }
    // Present sets after the first, largest first (more likely to remove members early).
    let mut others: Vec<(&[u8], usize)> =
        keys[1..].iter().zip(&sizes[1..]).filter_map(|(k, s)| s.map(|s| (&k[..], s))).collect();
    let algo_one = first_size.saturating_mul(others.len() + 1) / 2;
    let algo_two = others.iter().fold(first_size, |acc, (_, s)| acc.saturating_add(*s));
    let result = if algo_one <= algo_two {
        // Filter the first set's members through every other set, then build the result.
        others.sort_by_key(|o| std::cmp::Reverse(o.1));
        let mut survivors: Vec<Owned> = match peek(ctx.keyspace, lk, first_key) {
            Some(s) => s.iter().map(Owned::of).collect(),
            None => Vec::new(),
        };
        for (key, _) in &others {
            if survivors.is_empty() {
                break;
            }
            if let Some(s) = peek(ctx.keyspace, lk, key) {
                survivors.retain(|m| !s.contains_member(m.as_member()));
            }
        }
        collect(survivors.iter().map(Owned::as_member), max)
    } else {
        // Copy the first set, then remove every member of the others.
        let mut result = match peek(ctx.keyspace, lk, first_key) {
            Some(s) => collect(s.iter(), max),
            None => SetValue::new(),
        };
        for (key, _) in &others {
            if result.is_empty() {
                break;
            }
            if let Some(s) = peek(ctx.keyspace, lk, key) {
                for m in s.iter() {
                    result.remove_member(m);
                }
            }
        }
        result
    };
    finish(ctx, dest, result);
    Ok(())
}

/// `SUNION key [key ...]`
pub(crate) fn sunion(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    sunion_generic(ctx, &args[1..], Dest::Reply)
}

/// `SUNIONSTORE destination key [key ...]`
pub(crate) fn sunionstore(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    sunion_generic(ctx, &args[2..], Dest::Store(&args[1]))
}

/// `SDIFF key [key ...]`
pub(crate) fn sdiff(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    sdiff_generic(ctx, &args[1..], Dest::Reply)
}

/// `SDIFFSTORE destination key [key ...]`
pub(crate) fn sdiffstore(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    sdiff_generic(ctx, &args[2..], Dest::Store(&args[1]))
}
