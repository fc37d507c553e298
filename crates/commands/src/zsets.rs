//! The sorted-sets family (Redis's t_zset.c): ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE,
//! ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT here; the range commands in `range`, the set
//! operations (ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD) in `setops`, and the
//! pops, ZRANDMEMBER and ZSCAN in `pop`.
//!
//! Values are [`ZSetValue`]s; the compact-encoding limits (`zset-max-listpack-entries`,
//! `zset-max-listpack-value`) are read from the config at command time. Reads count keyspace
//! hits and misses as Redis's `lookupKeyRead` does; a sorted set emptied by a command is
//! deleted. Scores are replied as doubles (RESP3 `,`, RESP2 a bulk string in `%.17g` form),
//! and WITHSCORES replies are, in RESP3, arrays of `[member, score]` pairs, as Redis 7.0's.
//!
//! For the blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP), built elsewhere over this family:
//! [`ZSetValue::pop_min`] / [`ZSetValue::pop_max`] in the store, and here
//! [`pop::pop_and_reply`] (pops and writes Redis's reply shapes) and
//! [`pop::parse_mpop`] (ZMPOP's and BZMPOP's arguments after `numkeys`).

mod parse;
pub(crate) mod pop;
mod range;
mod setops;

use crate::context::{is_opt, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, GENERIC, ZSET};
use crate::strings::{mark_dirty, Lookup};
use redoubt_resp::{Protocol, ReplyBuffer};
use redoubt_store::zset::ZSetLimits;
use redoubt_store::{Keyspace, Value, ZSetValue};

pub(crate) use pop::{zmpop, zpopmax, zpopmin, zrandmember, zscan};
pub(crate) use range::{
    zrange, zrangebylex, zrangebyscore, zrangestore, zremrangebylex, zremrangebyrank, zremrangebyscore, zrevrange,
    zrevrangebylex, zrevrangebyscore,
};
pub(crate) use setops::{zdiff, zdiffstore, zinter, zintercard, zinterstore, zunion, zunionstore};

/// `ERR resulting score is not a number (NaN)`.
const NAN_RESULT: CmdError = CmdError::raw("ERR resulting score is not a number (NaN)");

/// The compact-encoding limits, from the config.
pub(crate) fn limits(ctx: &Ctx<'_>) -> ZSetLimits {
    ctx.engine.zset_limits()
}

/// A count as a reply integer.
fn int_of(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A read lookup of a key that must hold a sorted set: `None` if absent, WRONGTYPE if it
/// holds another type.
pub(crate) fn read_zset<'k>(lk: Lookup, ks: &'k mut Keyspace, key: &[u8]) -> Result<Option<&'k ZSetValue>, CmdError> {
    match lk.read(ks, key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::wrong_type()),
    }
}

/// Runs `f` on the existing sorted set at `key` for writing (`None` if absent, WRONGTYPE
/// if another type); deletes the key if `f` empties the set. Takes the keyspace rather
/// than the context so `f` may write to the reply.
pub(crate) fn write_zset<R>(
    ks: &mut Keyspace,
    lk: Lookup,
    key: &[u8],
    f: impl FnOnce(&mut ZSetValue) -> R,
) -> Result<Option<R>, CmdError> {
    let db = ks.db(lk.db);
    let (result, empty) = match db.get_mut(key, lk.now) {
        Some(mut guard) => {
            let Value::ZSet(z) = &mut *guard else {
                return Err(CmdError::wrong_type());
            };
            let r = f(z);
            (r, z.is_empty())
        }
        None => return Ok(None),
    };
    if empty {
        db.remove(key, lk.now);
    }
    Ok(Some(result))
}

/// Stores `entries` as the sorted set at `dst` (replacing whatever was there, deadline
/// included), or deletes `dst` when there are none. Returns the stored count. `event` is the
/// keyspace event of a store ("zrangestore", "zunionstore" ...).
pub(crate) fn store_entries(ctx: &mut Ctx<'_>, dst: &[u8], entries: Vec<(Vec<u8>, f64)>, event: &str) -> usize {
    let limits = limits(ctx);
    let now = ctx.now_ms;
    let db = ctx.keyspace.db(ctx.session.db);
    if entries.is_empty() {
        if db.remove(dst, now).is_some() {
            mark_dirty(ctx, 1);
            keyspace_event(ctx, GENERIC, "del", dst);
        }
        return 0;
    }
    let z = ZSetValue::from_entries(entries, limits);
    let n = z.len();
    db.set(dst, Value::ZSet(Box::new(z)), false, now);
    mark_dirty(ctx, 1);
    keyspace_event(ctx, ZSET, event, dst);
    n
}

/// Writes `n` (member, score) pairs: members only, or with their scores flat (RESP2) or as
/// `[member, score]` pairs (RESP3).
pub(crate) fn reply_scored<'a>(
    out: &mut ReplyBuffer,
    items: impl Iterator<Item = (&'a [u8], f64)>,
    n: usize,
    withscores: bool,
) {
    let pairs = withscores && out.protocol() == Protocol::Resp3;
    out.array(if withscores && !pairs { n.saturating_mul(2) } else { n });
    for (m, s) in items.take(n) {
        if pairs {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(s);
        }
    }
}

// ---------------------------------------------------------------------------------------
// ZADD, ZINCRBY
// ---------------------------------------------------------------------------------------

/// ZADD's options.
#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    incr: bool,
    ch: bool,
}

/// What a ZADD did: members added, scores changed, members processed (not skipped by an
/// option), and the last score set (INCR's reply).
#[derive(Default)]
struct AddOutcome {
    added: usize,
    updated: usize,
    processed: usize,
    score: f64,
}

/// Applies ZADD's (score, member) pairs to `z` as Redis's `zsetAdd` does; stops with the
/// NaN error when an increment produces NaN (earlier pairs stay applied).
fn zadd_apply<'a>(
    z: &mut ZSetValue,
    f: AddFlags,
    pairs: impl Iterator<Item = (f64, &'a [u8])>,
    limits: ZSetLimits,
    out: &mut AddOutcome,
) -> CmdResult {
    for (score, member) in pairs {
        let mut nan = false;
        // One lookup of the member serves the options' decision and the change.
        z.upsert(member, limits, |cur| match cur {
            Some(cur) => {
                if f.nx {
                    return None;
                }
                let new = if f.incr { cur + score } else { score };
                if new.is_nan() {
                    nan = true;
                    return None;
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    return None;
                }
                out.processed += 1;
                out.score = new;
                if new == cur {
                    return None;
                }
                out.updated += 1;
                Some(new)
            }
            None => {
                if f.xx {
                    return None;
                }
                out.added += 1;
                out.processed += 1;
                out.score = score;
                Some(score)
            }
        });
        if nan {
            return Err(NAN_RESULT);
        }
    }
    Ok(())
}

/// Redis's `zaddGenericCommand`: ZADD, and ZINCRBY when `incr`.
fn zadd_generic(ctx: &mut Ctx<'_>, incr: bool) -> CmdResult {
    let args = ctx.args;
    let mut f = AddFlags { incr, ..AddFlags::default() };
    let mut idx = 2;
    while idx < args.len() {
        let a = &args[idx];
        if is_opt(a, "nx") {
            f.nx = true;
        } else if is_opt(a, "xx") {
            f.xx = true;
        } else if is_opt(a, "ch") {
            f.ch = true;
        } else if is_opt(a, "incr") {
            f.incr = true;
        } else if is_opt(a, "gt") {
            f.gt = true;
        } else if is_opt(a, "lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let elements = args.len() - idx;
    if elements == 0 || !elements.is_multiple_of(2) {
        return Err(CmdError::syntax());
    }
    if f.nx && f.xx {
        return Err(CmdError::err("XX and NX options at the same time are not compatible"));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::err("GT, LT, and/or NX options at the same time are not compatible"));
    }
    if f.incr && elements > 2 {
        return Err(CmdError::err("INCR option supports a single increment-element pair"));
    }
    // Every score is parsed before anything changes: all or nothing.
    let scores = args[idx..]
        .chunks_exact(2)
        .map(|p| parse::parse_score(&p[0]).ok_or(CmdError::not_float()))
        .collect::<Result<Vec<f64>, CmdError>>()?;
    let pairs = || scores.iter().copied().zip(args[idx..].chunks_exact(2).map(|p| &p[1][..]));
    let limits = limits(ctx);
    let lk = Lookup::of(ctx);
    let key = &args[1];
    let mut outcome = AddOutcome::default();
    let db = ctx.keyspace.db(lk.db);
    // One keyspace lookup for the common case, the key present; the guard (and its memory
    // accounting) ends with the block.
    let applied = {
        let mut existing = db.get_mut(key, lk.now);
        existing.as_mut().map(|guard| match &mut **guard {
            Value::ZSet(z) => zadd_apply(z, f, pairs(), limits, &mut outcome),
            _ => Err(CmdError::wrong_type()),
        })
    };
    let result = match applied {
        Some(r) => r,
        None if f.xx => Ok(()),
        None => {
            let mut z = ZSetValue::for_first_member(args[idx + 1].len(), limits);
            let r = zadd_apply(&mut z, f, pairs(), limits, &mut outcome);
            if !z.is_empty() {
                db.set(key, Value::ZSet(Box::new(z)), false, lk.now);
            }
            r
        }
    };
    mark_dirty(ctx, (outcome.added + outcome.updated) as u64);
    if outcome.added + outcome.updated > 0 {
        keyspace_event(ctx, ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    result?;
    if f.incr {
        if outcome.processed > 0 {
            ctx.out.double(outcome.score);
        } else {
            ctx.out.null();
        }
    } else {
        let n = if f.ch { outcome.added + outcome.updated } else { outcome.added };
        ctx.out.int(int_of(n));
    }
    Ok(())
}

/// Warms the cache for a pipelined batch's plain `ZADD key score member` requests on the
/// key of the first of them (see [`ZSetValue::warm`]): a client that pipelines ZADDs
/// then waits for one round of cache misses instead of one per command. Scores that do not
/// parse are left out (the command will refuse them); other requests are ignored.
pub(crate) fn warm_zadds(keyspace: &Keyspace, db: usize, requests: &[Vec<bytes::Bytes>]) {
    let is_zadd = |a: &Vec<bytes::Bytes>| a.len() == 4 && a[0].eq_ignore_ascii_case(b"zadd");
    let Some(key) = requests.iter().find(|a| is_zadd(a)).map(|a| &a[1]) else {
        return;
    };
    // A long member would be hashed and compared a second time under the store lock.
    const WARM_MEMBER_MAX: usize = 128;
    let items: Vec<(&[u8], f64)> = requests
        .iter()
        .filter(|a| is_zadd(a) && a[1] == *key && a[3].len() <= WARM_MEMBER_MAX)
        .filter_map(|a| parse::parse_score(&a[2]).map(|s| (&a[3][..], s)))
        .take(redoubt_store::dict::WARM_MAX)
        .collect();
    if items.len() > 1 {
        keyspace.warm_zset(db, key, &items);
    }
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`
pub(crate) fn zadd(ctx: &mut Ctx<'_>) -> CmdResult {
    zadd_generic(ctx, false)
}

/// `ZINCRBY key increment member`
pub(crate) fn zincrby(ctx: &mut Ctx<'_>) -> CmdResult {
    zadd_generic(ctx, true)
}

// ---------------------------------------------------------------------------------------
// ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT
// ---------------------------------------------------------------------------------------

/// `ZREM key member [member ...]`
pub(crate) fn zrem(ctx: &mut Ctx<'_>) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    let (removed, emptied) = write_zset(ctx.keyspace, lk, &args[1], |z| {
        let mut removed = 0usize;
        for m in &args[2..] {
            if z.remove(m).is_some() {
                removed += 1;
                if z.is_empty() {
                    break;
                }
            }
        }
        (removed, z.is_empty())
    })?
    .unwrap_or((0, false));
    mark_dirty(ctx, removed as u64);
    if removed > 0 {
        keyspace_event(ctx, ZSET, "zrem", &args[1]);
        if emptied {
            keyspace_event(ctx, GENERIC, "del", &args[1]);
        }
    }
    ctx.out.int(int_of(removed));
    Ok(())
}

/// `ZCARD key`
pub(crate) fn zcard(ctx: &mut Ctx<'_>) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    let n = read_zset(lk, ctx.keyspace, &args[1])?.map_or(0, ZSetValue::len);
    ctx.out.int(int_of(n));
    Ok(())
}

/// `ZSCORE key member`
pub(crate) fn zscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    match read_zset(lk, ctx.keyspace, &args[1])?.and_then(|z| z.score(&args[2])) {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `ZMSCORE key member [member ...]`
pub(crate) fn zmscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    let z = read_zset(lk, ctx.keyspace, &args[1])?;
    ctx.out.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// ZRANK and ZREVRANK.
fn zrank_generic(ctx: &mut Ctx<'_>, reverse: bool) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    let rank = read_zset(lk, ctx.keyspace, &args[1])?
        .and_then(|z| z.rank(&args[2]).map(|r| if reverse { z.len() - 1 - r } else { r }));
    match rank {
        Some(r) => ctx.out.int(int_of(r)),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `ZRANK key member`
pub(crate) fn zrank(ctx: &mut Ctx<'_>) -> CmdResult {
    zrank_generic(ctx, false)
}

/// `ZREVRANK key member`
pub(crate) fn zrevrank(ctx: &mut Ctx<'_>) -> CmdResult {
    zrank_generic(ctx, true)
}

/// `ZCOUNT key min max`
pub(crate) fn zcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    let range = parse::score_range(&args[2], &args[3])?;
    let n = read_zset(lk, ctx.keyspace, &args[1])?.map_or(0, |z| {
        let (a, b) = z.score_range_ranks(&range);
        b - a
    });
    ctx.out.int(int_of(n));
    Ok(())
}

/// `ZLEXCOUNT key min max`
pub(crate) fn zlexcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    let range = parse::lex_range(&args[2], &args[3])?;
    let n = read_zset(lk, ctx.keyspace, &args[1])?.map_or(0, |z| {
        let (a, b) = z.lex_range_ranks(&range, false);
        b - a
    });
    ctx.out.int(int_of(n));
    Ok(())
}
