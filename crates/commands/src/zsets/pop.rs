//! ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER and ZSCAN.
//!
//! [`pop_and_reply`] and [`parse_mpop`] are shared with the blocking pops (BZPOPMIN,
//! BZPOPMAX, BZMPOP), which serve a client from them once a key has members.

use super::{read_zset, reply_scored};
use crate::context::{is_opt, parse_i64, random_count_args, repeated_draws, CmdError, CmdResult, Ctx};
use crate::hashes::scan;
use crate::pubsub::notify::{keyspace_event, GENERIC, ZSET};
use crate::strings::{mark_dirty, proto_max_bulk_len, Lookup};
use bytes::Bytes;
use redoubt_resp::{format_double, Protocol, ReplyBuffer};
use redoubt_store::{Value, ZSetValue};
use std::collections::HashSet;

/// The shape of a pop reply, as Redis's `genericZpopCommand` writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PopReply {
    /// `[member, score, member, score ...]` (ZPOPMIN/ZPOPMAX in RESP2, or without a count).
    Flat,
    /// `[[member, score] ...]` (ZPOPMIN/ZPOPMAX with a count in RESP3).
    Nested,
    /// `[key, member, score ...]` (BZPOPMIN/BZPOPMAX, built over this family elsewhere).
    #[allow(dead_code)]
    WithKey,
    /// `[key, [[member, score] ...]]` (ZMPOP/BZMPOP).
    WithKeyNested,
}

/// Pops up to `count` members from `z` (lowest scores first, or highest with `max`) and
/// writes the reply in `shape`, naming `key` where the shape has it. Returns how many were
/// popped. The caller deletes the key if the set is left empty.
pub(crate) fn pop_and_reply(
    out: &mut ReplyBuffer,
    key: &[u8],
    z: &mut ZSetValue,
    max: bool,
    count: usize,
    shape: PopReply,
) -> usize {
    let n = count.min(z.len());
    match shape {
        PopReply::Flat => out.array(n.saturating_mul(2)),
        PopReply::Nested => out.array(n),
        PopReply::WithKey => {
            out.array(n.saturating_mul(2).saturating_add(1));
            out.bulk(key);
        }
        PopReply::WithKeyNested => {
            out.array(2);
            out.bulk(key);
            out.array(n);
        }
    }
    let nested = matches!(shape, PopReply::Nested | PopReply::WithKeyNested);
    for _ in 0..n {
        let Some((m, s)) = (if max { z.pop_max() } else { z.pop_min() }) else {
            break;
        };
        if nested {
            out.array(2);
        }
        out.bulk(&m);
        out.double(s);
    }
    n
}

/// Redis's `genericZpopCommand` over `keys`: pops from the first that exists (WRONGTYPE
/// if it is not a sorted set). `count` `None` is the plain single pop. With no key, an
/// empty array, or a null array when `nil_when_empty`.
fn zpop_generic(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    max: bool,
    count: Option<usize>,
    shape: PopReply,
    nil_when_empty: bool,
) -> CmdResult {
    let lk = Lookup::of(ctx);
    let db = ctx.keyspace.db(lk.db);
    let Some(key) = keys.iter().find(|k| db.exists(k, lk.now)) else {
        if nil_when_empty {
            ctx.out.null_array();
        } else {
            ctx.out.array(0);
        }
        return Ok(());
    };
    let mut guard = db.get_mut(key, lk.now).ok_or(CmdError::wrong_type())?;
    let Value::ZSet(z) = &mut *guard else {
        return Err(CmdError::wrong_type());
    };
    if count == Some(0) {
        ctx.out.array(0);
        return Ok(());
    }
    let popped = pop_and_reply(ctx.out, key, z, max, count.unwrap_or(1), shape);
    let empty = z.is_empty();
    drop(guard);
    if empty {
        db.remove(key, lk.now);
    }
    mark_dirty(ctx, popped as u64);
    if popped > 0 {
        keyspace_event(ctx, ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
        if empty {
            keyspace_event(ctx, GENERIC, "del", key);
        }
    }
    Ok(())
}

/// ZPOPMIN and ZPOPMAX.
fn zpop_min_max(ctx: &mut Ctx<'_>, max: bool) -> CmdResult {
    let args = ctx.args;
    if args.len() > 3 {
        return Err(CmdError::syntax());
    }
    let count = match args.get(2) {
        None => None,
        Some(a) => {
            let n = parse_i64(a).and_then(|n| usize::try_from(n).ok());
            Some(n.ok_or(CmdError::raw("ERR value is out of range, must be positive"))?)
        }
    };
    let nested = count.is_some() && ctx.out.protocol() == Protocol::Resp3;
    let shape = if nested { PopReply::Nested } else { PopReply::Flat };
    zpop_generic(ctx, &args[1..2], max, count, shape, false)
}

/// `ZPOPMIN key [count]`
pub(crate) fn zpopmin(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop_min_max(ctx, false)
}

/// `ZPOPMAX key [count]`
pub(crate) fn zpopmax(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop_min_max(ctx, true)
}

/// ZMPOP's (and BZMPOP's) arguments from `numkeys` at `args[numkeys_idx]`: the keys,
/// whether MAX, and the COUNT (1 by default), with Redis's errors.
pub(crate) fn parse_mpop(args: &[Bytes], numkeys_idx: usize) -> Result<(&[Bytes], bool, usize), CmdError> {
    const NUMKEYS: CmdError = CmdError::raw("ERR numkeys should be greater than 0");
    const COUNT: CmdError = CmdError::raw("ERR count should be greater than 0");
    let numkeys = parse_i64(&args[numkeys_idx]).filter(|&n| n >= 1).ok_or(NUMKEYS)?;
    let first = numkeys_idx + 1;
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| first.checked_add(n))
        .filter(|&w| w < args.len())
        .ok_or(CmdError::syntax())?;
    let max = if is_opt(&args[where_idx], "min") {
        false
    } else if is_opt(&args[where_idx], "max") {
        true
    } else {
        return Err(CmdError::syntax());
    };
    let mut count = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && is_opt(&args[j], "count") && j + 1 < args.len() {
            let n = parse_i64(&args[j + 1]).filter(|&n| n >= 1).ok_or(COUNT)?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
            j += 2;
        } else {
            return Err(CmdError::syntax());
        }
    }
    Ok((&args[first..where_idx], max, count.unwrap_or(1)))
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`
pub(crate) fn zmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let (keys, max, count) = parse_mpop(args, 1)?;
    zpop_generic(ctx, keys, max, Some(count), PopReply::WithKeyNested, true)
}

// ---------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------

/// Below this many times the requested count, distinct members are drawn by shuffling all
/// positions rather than by sampling (Redis's `ZRANDMEMBER_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: usize = 3;

/// `ZRANDMEMBER key [count [WITHSCORES]]`
pub(crate) fn zrandmember(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    if args.len() >= 3 {
        let (count, withscores) = random_count_args(ctx, "withscores")?;
        return zrandmember_count(ctx, count, withscores);
    }
    let lk = Lookup::of(ctx);
    match read_zset(lk, ctx.keyspace, &args[1])?.and_then(ZSetValue::random_entry) {
        Some((m, _)) => ctx.out.bulk(m),
        None => ctx.out.null(),
    }
    Ok(())
}

/// Writes one ZRANDMEMBER result.
fn reply_one(out: &mut ReplyBuffer, m: &[u8], s: f64, withscores: bool) {
    if withscores && out.protocol() == Protocol::Resp3 {
        out.array(2);
    }
    out.bulk(m);
    if withscores {
        out.double(s);
    }
}

/// ZRANDMEMBER with a count: distinct members when positive, possibly repeated when
/// negative. Nothing is allocated by the count beyond the set's size; a repeated-draws
/// reply that would outgrow proto-max-bulk-len is refused.
fn zrandmember_count(ctx: &mut Ctx<'_>, count: i64, withscores: bool) -> CmdResult {
    let reply_cap = usize::try_from(proto_max_bulk_len(ctx)).unwrap_or(usize::MAX);
    let lk = Lookup::of(ctx);
    let Some(z) = read_zset(lk, ctx.keyspace, &ctx.args[1])? else {
        ctx.out.array(0);
        return Ok(());
    };
    let out = &mut *ctx.out;
    let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    if n == 0 {
        out.array(0);
        return Ok(());
    }
    let size = z.len();
    // A compact set is materialised once (it is small); a skiplist set samples its table.
    let all: Vec<(&[u8], f64)> = if z.is_compact() { z.iter().collect() } else { Vec::new() };
    let draw = || if all.is_empty() { z.random_entry() } else { all.get(fastrand::usize(..all.len())).copied() };
    if count < 0 || n == 1 {
        let header = if withscores && out.protocol() == Protocol::Resp2 { n.saturating_mul(2) } else { n };
        return repeated_draws(
            out,
            n,
            reply_cap,
            |out| out.array(header),
            |out| {
                if let Some((m, s)) = draw() {
                    reply_one(out, m, s, withscores);
                }
            },
        );
    }
    if n >= size {
        reply_scored(out, z.iter(), size, withscores);
        return Ok(());
    }
    let header = if withscores && out.protocol() == Protocol::Resp2 { n * 2 } else { n };
    out.array(header);
    if n.saturating_mul(SUB_STRATEGY_MUL) > size || !all.is_empty() {
        // Most of the set (or a compact one): a partial shuffle of every position.
        let entries: Vec<(&[u8], f64)> = if all.is_empty() { z.iter().collect() } else { all.clone() };
        let mut positions: Vec<usize> = (0..size).collect();
        for i in 0..n {
            positions.swap(i, fastrand::usize(i..size));
        }
        for &p in &positions[..n] {
            let (m, s) = entries[p];
            reply_one(out, m, s, withscores);
        }
    } else {
        // A small part of a big set: draw until n distinct members came up.
        let mut picked: HashSet<&[u8]> = HashSet::with_capacity(n);
        while picked.len() < n {
            if let Some((m, s)) = z.random_entry() {
                if picked.insert(m) {
                    reply_one(out, m, s, withscores);
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`
pub(crate) fn zscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let cursor = scan::cursor_arg(&args[2])?;
    let lk = Lookup::of(ctx);
    let Some(z) = read_zset(lk, ctx.keyspace, &args[1])? else {
        scan::reply(ctx.out, 0, &[]);
        return Ok(());
    };
    let opts = scan::parse_opts(args, 3)?;
    let mut items: Vec<Vec<u8>> = Vec::new();
    let next = z.scan(cursor, opts.count, |m, s| {
        if opts.matches(m) {
            items.push(m.to_vec());
            items.push(format_double(s).into_bytes());
        }
    });
    scan::reply(ctx.out, next, &items);
    Ok(())
}
