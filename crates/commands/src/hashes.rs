//! The hashes family (Redis's t_hash.c): HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HKEYS,
//! HVALS, HDEL, HLEN, HEXISTS, HSTRLEN, HINCRBY, HINCRBYFLOAT, HRANDFIELD and HSCAN.
//!
//! Values are [`HashValue`]s; the compact-encoding thresholds (`hash-max-listpack-entries`,
//! `hash-max-listpack-value`) are read from the config once per writing command. Reads count
//! keyspace hits and misses as Redis's `lookupKeyRead` does; a hash emptied by a command is
//! deleted. HGETALL answers a map (RESP3 `%`), HRANDFIELD ... WITHVALUES nested pairs in
//! RESP3, as Redis 7.0 does.

pub(crate) mod scan;

use crate::context::{parse_i64, random_count_args, repeated_draws, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, GENERIC, HASH};
use crate::strings::longdouble::{self, LongDouble, Parsed};
use crate::strings::{mark_dirty, proto_max_bulk_len, Lookup};
use redoubt_resp::{Protocol, ReplyBuffer};
use redoubt_store::hash::HashLimits;
use redoubt_store::{HashValue, Keyspace, Value};
use std::collections::HashSet;

/// HRANDFIELD's choice between shuffling an index of every field and sampling with
/// rejection (Redis's `HRANDFIELD_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: usize = 3;

/// The compact-encoding thresholds, from the config.
fn limits(ctx: &Ctx<'_>) -> HashLimits {
    ctx.engine.hash_limits()
}

/// A read lookup of a key that must hold a hash: `None` if absent, WRONGTYPE otherwise.
fn read_hash<'k>(lk: Lookup, ks: &'k mut Keyspace, key: &[u8]) -> Result<Option<&'k HashValue>, CmdError> {
    match lk.read(ks, key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::wrong_type()),
    }
}

/// Runs `f` on the hash at `key` for writing. An absent key is an empty hash when `create`
/// (stored only if `f` leaves it non-empty), else `f` is not run and `None` is returned.
/// A hash `f` empties is deleted.
///
/// When some client WATCHes a key of this database, `changes` is asked first, on the hash
/// as it is: if it says the command would change nothing (or fails), `f` is not run and the
/// key is not marked modified, as Redis signals only real modifications (and no failed
/// command's). `None` is returned for a change-free write too.
fn write_hash<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    create: bool,
    changes: impl FnOnce(&HashValue) -> Result<bool, CmdError>,
    f: impl FnOnce(&mut HashValue) -> Result<R, CmdError>,
) -> Result<Option<R>, CmdError> {
    let now = ctx.now_ms;
    let db = ctx.keyspace.db(ctx.session.db);
    if db.tracked_len() > 0 {
        let verdict = match db.get(key, now, true) {
            Some(Value::Hash(h)) => Some(changes(h)?),
            Some(_) => return Err(CmdError::wrong_type()),
            None => None,
        };
        if verdict == Some(false) {
            return Ok(None);
        }
    }
    // `f` runs on one path or the other; the Option lets both paths own it.
    let mut f = Some(f);
    let existing = match db.get_mut(key, now) {
        Some(mut guard) => {
            let Value::Hash(h) = &mut *guard else {
                return Err(CmdError::wrong_type());
            };
            let Some(f) = f.take() else { return Ok(None) };
            let r = f(h)?;
            Some((r, h.is_empty()))
        }
        None => None,
    };
    match existing {
        Some((r, empty)) => {
            if empty {
                db.remove(key, now);
            }
            Ok(Some(r))
        }
        None if create => {
            let mut h = HashValue::new();
            let Some(f) = f.take() else { return Ok(None) };
            let r = f(&mut h)?;
            if !h.is_empty() {
                db.set(key, Value::Hash(Box::new(h)), false, now);
            }
            Ok(Some(r))
        }
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------------------
// HSET, HMSET, HSETNX
// ---------------------------------------------------------------------------------------

/// `HSET key field value [field value ...]`
pub(crate) fn hset(ctx: &mut Ctx<'_>) -> CmdResult {
    let created = hset_generic(ctx)?;
    ctx.out.int(i64::try_from(created).unwrap_or(i64::MAX));
    Ok(())
}

/// `HMSET key field value [field value ...]`
pub(crate) fn hmset(ctx: &mut Ctx<'_>) -> CmdResult {
    hset_generic(ctx)?;
    ctx.out.ok();
    Ok(())
}

/// Sets every pair; returns how many fields were new.
fn hset_generic(ctx: &mut Ctx<'_>) -> Result<usize, CmdError> {
    let args = ctx.args;
    if args.len() % 2 == 1 {
        return Err(CmdError::arity(&ctx.command_name()));
    }
    let limits = limits(ctx);
    let created = write_hash(
        ctx,
        &args[1],
        true,
        |_| Ok(true),
        |h| Ok(args[2..].chunks_exact(2).filter(|pair| h.insert(&pair[0], &pair[1], limits)).count()),
    )?;
    mark_dirty(ctx, ((args.len() - 2) / 2) as u64);
    keyspace_event(ctx, HASH, "hset", &args[1]);
    Ok(created.unwrap_or(0))
}

/// `HSETNX key field value`
pub(crate) fn hsetnx(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let limits = limits(ctx);
    let absent = |h: &HashValue| !h.contains(&args[2]);
    let set =
        write_hash(ctx, &args[1], true, |h| Ok(absent(h)), |h| Ok(absent(h) && h.insert(&args[2], &args[3], limits)))?
            .unwrap_or(false);
    if set {
        mark_dirty(ctx, 1);
        keyspace_event(ctx, HASH, "hset", &args[1]);
    }
    ctx.out.int(i64::from(set));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN
// ---------------------------------------------------------------------------------------

/// `HGET key field`
pub(crate) fn hget(ctx: &mut Ctx<'_>) -> CmdResult {
    let h = read_hash(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    match h.and_then(|h| h.get(&ctx.args[2])) {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `HMGET key field [field ...]`
pub(crate) fn hmget(ctx: &mut Ctx<'_>) -> CmdResult {
    let h = read_hash(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    let fields = &ctx.args[2..];
    ctx.out.array(fields.len());
    for field in fields {
        match h.and_then(|h| h.get(field)) {
            Some(v) => ctx.out.bulk(v),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// What HGETALL, HKEYS and HVALS return of each pair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Fields,
    Values,
    Both,
}

fn getall_generic(ctx: &mut Ctx<'_>, part: Part) -> CmdResult {
    let h = read_hash(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    let len = h.map_or(0, HashValue::len);
    if part == Part::Both {
        ctx.out.map(len);
    } else {
        ctx.out.array(len);
    }
    for (field, value) in h.into_iter().flat_map(HashValue::iter) {
        if part != Part::Values {
            ctx.out.bulk(field);
        }
        if part != Part::Fields {
            ctx.out.bulk(value);
        }
    }
    Ok(())
}

/// `HGETALL key`: a map in RESP3.
pub(crate) fn hgetall(ctx: &mut Ctx<'_>) -> CmdResult {
    getall_generic(ctx, Part::Both)
}

/// `HKEYS key`
pub(crate) fn hkeys(ctx: &mut Ctx<'_>) -> CmdResult {
    getall_generic(ctx, Part::Fields)
}

/// `HVALS key`
pub(crate) fn hvals(ctx: &mut Ctx<'_>) -> CmdResult {
    getall_generic(ctx, Part::Values)
}

/// `HLEN key`
pub(crate) fn hlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let h = read_hash(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    ctx.out.int(h.map_or(0, |h| i64::try_from(h.len()).unwrap_or(i64::MAX)));
    Ok(())
}

/// `HEXISTS key field`
pub(crate) fn hexists(ctx: &mut Ctx<'_>) -> CmdResult {
    let h = read_hash(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    ctx.out.int(i64::from(h.is_some_and(|h| h.contains(&ctx.args[2]))));
    Ok(())
}

/// `HSTRLEN key field`
pub(crate) fn hstrlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let h = read_hash(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
    let len = h.and_then(|h| h.get(&ctx.args[2])).map_or(0, <[u8]>::len);
    ctx.out.int(i64::try_from(len).unwrap_or(i64::MAX));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HDEL
// ---------------------------------------------------------------------------------------

/// `HDEL key field [field ...]`
pub(crate) fn hdel(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let fields = &args[2..];
    let any = |h: &HashValue| Ok(fields.iter().any(|f| h.contains(f)));
    let mut emptied = false;
    let deleted = write_hash(ctx, &args[1], false, any, |h| {
        let mut deleted = 0usize;
        for field in &args[2..] {
            if h.remove(field) {
                deleted += 1;
                if h.is_empty() {
                    break;
                }
            }
        }
        emptied = h.is_empty();
        Ok(deleted)
    })?
    .unwrap_or(0);
    mark_dirty(ctx, deleted as u64);
    if deleted > 0 {
        keyspace_event(ctx, HASH, "hdel", &args[1]);
        if emptied {
            keyspace_event(ctx, GENERIC, "del", &args[1]);
        }
    }
    ctx.out.int(i64::try_from(deleted).unwrap_or(i64::MAX));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HINCRBY, HINCRBYFLOAT
// ---------------------------------------------------------------------------------------

/// `HINCRBY key field increment`
pub(crate) fn hincrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let by = ctx.int_arg(3)?;
    let limits = limits(ctx);
    let field = &args[2][..];
    let compute = |h: &HashValue| -> Result<i64, CmdError> {
        let old = match h.get(field) {
            Some(v) => parse_i64(v).ok_or(CmdError::raw("ERR hash value is not an integer"))?,
            None => 0,
        };
        old.checked_add(by).ok_or(CmdError::overflow())
    };
    let new = write_hash(
        ctx,
        &args[1],
        true,
        |h| compute(h).map(|_| true),
        |h| {
            let new = compute(h)?;
            h.insert(&args[2], itoa::Buffer::new().format(new).as_bytes(), limits);
            Ok(new)
        },
    )?
    .unwrap_or(0);
    mark_dirty(ctx, 1);
    keyspace_event(ctx, HASH, "hincrby", &args[1]);
    ctx.out.int(new);
    Ok(())
}

/// `HINCRBYFLOAT key field increment`: long double arithmetic, formatted as Redis does.
pub(crate) fn hincrbyfloat(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let by = match longdouble::parse(&args[3]) {
        Some(Parsed::Finite(v)) => v,
        Some(Parsed::Infinite) => return Err(CmdError::raw("ERR value is NaN or Infinity")),
        None => return Err(CmdError::not_float()),
    };
    let limits = limits(ctx);
    let field = &args[2][..];
    let compute = |h: &HashValue| -> Result<String, CmdError> {
        let old = match h.get(field) {
            Some(v) => match longdouble::parse(v) {
                Some(Parsed::Finite(v)) => v,
                // Infinity stored by hand: the sum is not finite.
                Some(Parsed::Infinite) => return Err(nan_or_inf()),
                None => return Err(CmdError::raw("ERR hash value is not a float")),
            },
            None => LongDouble::from_i64(0),
        };
        Ok(old.add(by).ok_or_else(nan_or_inf)?.to_human_string())
    };
    let text = write_hash(
        ctx,
        &args[1],
        true,
        |h| compute(h).map(|_| true),
        |h| {
            let text = compute(h)?;
            h.insert(&args[2], text.as_bytes(), limits);
            Ok(text)
        },
    )?
    .unwrap_or_default();
    mark_dirty(ctx, 1);
    // Logged as the value computed: float arithmetic must not be redone on replay.
    let logged = bytes::Bytes::copy_from_slice(text.as_bytes());
    ctx.propagate_as(|| vec![bytes::Bytes::from_static(b"HSET"), args[1].clone(), args[2].clone(), logged]);
    keyspace_event(ctx, HASH, "hincrbyfloat", &args[1]);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

fn nan_or_inf() -> CmdError {
    CmdError::raw("ERR increment would produce NaN or Infinity")
}

// ---------------------------------------------------------------------------------------
// HRANDFIELD
// ---------------------------------------------------------------------------------------

/// Writes one pair of an HRANDFIELD reply: the field, and with values the value too
/// (nested in a two-element array in RESP3).
fn reply_pair(out: &mut ReplyBuffer, pair: (&[u8], &[u8]), with_values: bool) {
    if with_values && out.protocol() == Protocol::Resp3 {
        out.array(2);
    }
    out.bulk(pair.0);
    if with_values {
        out.bulk(pair.1);
    }
}

/// The array header of `n` HRANDFIELD results.
fn reply_header(out: &mut ReplyBuffer, n: usize, with_values: bool) {
    if with_values && out.protocol() == Protocol::Resp2 {
        out.array(n.saturating_mul(2));
    } else {
        out.array(n);
    }
}

/// `HRANDFIELD key [count [WITHVALUES]]`
pub(crate) fn hrandfield(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    if args.len() >= 3 {
        let (count, with_values) = random_count_args(ctx, "withvalues")?;
        return hrandfield_count(ctx, count, with_values);
    }
    let h = read_hash(Lookup::of(ctx), ctx.keyspace, &args[1])?;
    match h.and_then(HashValue::random_entry) {
        Some((field, _)) => ctx.out.bulk(field),
        None => ctx.out.null(),
    }
    Ok(())
}

/// HRANDFIELD with a count: distinct fields when positive, possibly repeated when negative.
fn hrandfield_count(ctx: &mut Ctx<'_>, count: i64, with_values: bool) -> CmdResult {
    let reply_cap = usize::try_from(proto_max_bulk_len(ctx)).unwrap_or(usize::MAX);
    let Some(h) = read_hash(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])? else {
        ctx.out.array(0);
        return Ok(());
    };
    let out = &mut *ctx.out;
    let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    if n == 0 {
        out.array(0);
        return Ok(());
    }
    let size = h.len();
    // Repeats allowed: n independent draws, streamed (nothing is allocated by the count);
    // a reply that would outgrow proto-max-bulk-len is taken back and refused.
    if count < 0 || n == 1 {
        let sampler = h.sampler();
        return repeated_draws(
            out,
            n,
            reply_cap,
            |out| reply_header(out, n, with_values),
            |out| {
                if let Some(pair) = sampler.random() {
                    reply_pair(out, pair, with_values);
                }
            },
        );
    }
    // The whole hash.
    if n >= size {
        reply_header(out, size, with_values);
        for pair in h.iter() {
            reply_pair(out, pair, with_values);
        }
        return Ok(());
    }
    // n distinct fields out of more: both ways allocate by the hash's size, not the count.
    let sampler = h.sampler();
    reply_header(out, n, with_values);
    if n.saturating_mul(SUB_STRATEGY_MUL) > size {
        // Most of the hash: a partial shuffle of every position.
        let mut positions: Vec<usize> = (0..size).collect();
        for i in 0..n {
            positions.swap(i, fastrand::usize(i..size));
        }
        for &p in &positions[..n] {
            if let Some(pair) = sampler.get(p) {
                reply_pair(out, pair, with_values);
            }
        }
    } else {
        // A small part of a big hash: draw until n distinct positions came up.
        let mut picked = HashSet::with_capacity(n);
        while picked.len() < n {
            let p = fastrand::usize(..size);
            if picked.insert(p) {
                if let Some(pair) = sampler.get(p) {
                    reply_pair(out, pair, with_values);
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HSCAN
// ---------------------------------------------------------------------------------------

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`
pub(crate) fn hscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let cursor = scan::cursor_arg(&args[2])?;
    let Some(h) = read_hash(Lookup::of(ctx), ctx.keyspace, &args[1])? else {
        scan::reply(ctx.out, 0, &[]);
        return Ok(());
    };
    let opts = scan::parse_opts(args, 3)?;
    let mut items = Vec::new();
    // As Redis, count fields and values: twice the COUNT, and twice the bucket budget.
    let next = scan::scan_loop(cursor, opts.count.saturating_mul(2), |cursor, seen| {
        h.scan_step(cursor, |field, value| {
            *seen += 2;
            if opts.matches(field) {
                items.push(field.to_vec());
                items.push(value.to_vec());
            }
        })
    });
    scan::reply(ctx.out, next, &items);
    Ok(())
}
