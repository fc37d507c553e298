//! The HyperLogLog family (Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE.
//!
//! An HLL is a plain string value in Redis's exact format (see `sketch`), so GET, SET, DUMP
//! and RESTORE of one interoperate with Redis. A string that is not a valid HLL is refused
//! with `WRONGTYPE Key is not a valid HyperLogLog string value.`; one whose sparse body is
//! corrupt with `INVALIDOBJ Corrupted HLL object detected`. The sparse-to-dense threshold is
//! `hll-sparse-max-bytes`, read from the config at command time.

mod sketch;

use crate::context::{CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, STRING};
use crate::strings::{mark_dirty, Lookup};
use redoubt_store::{StrValue, Value};
use sketch::{Invalid, DENSE, HDR, REGISTERS};

/// The error for a string that is not an HLL.
const NOT_HLL: CmdError = CmdError::raw("WRONGTYPE Key is not a valid HyperLogLog string value.");

/// The error for a corrupt HLL body.
const CORRUPT: CmdError = CmdError::raw("INVALIDOBJ Corrupted HLL object detected");

/// Redis 7.0's default `hll-sparse-max-bytes`.
const DEFAULT_SPARSE_MAX: usize = 3000;

impl From<Invalid> for CmdError {
    fn from(_: Invalid) -> CmdError {
        CORRUPT
    }
}

/// The sparse representation's size limit, from the config.
fn sparse_max_bytes(ctx: &Ctx<'_>) -> usize {
    ctx.engine.config().value("hll-sparse-max-bytes").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_SPARSE_MAX)
}

/// The bytes of a value that must be an HLL: WRONGTYPE for another type, or for a string
/// that is not a valid HLL.
fn hll_bytes(v: &Value) -> Result<&[u8], CmdError> {
    let s = v.as_str().ok_or(CmdError::wrong_type())?;
    match s.as_bytes() {
        Some(b) if sketch::check_header(b) => Ok(b),
        _ => Err(NOT_HLL),
    }
}

/// `PFADD key [element ...]`
pub(crate) fn pfadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let max_bytes = sparse_max_bytes(ctx);
    let lk = Lookup::of(ctx);
    let db = ctx.keyspace.db(lk.db);
    let mut created = false;
    if !db.exists(&args[1], lk.now) {
        db.set(&args[1], Value::Str(StrValue::from_vec(sketch::new_sparse())), false, lk.now);
        created = true;
    }
    let mut guard = db.get_mut(&args[1], lk.now).ok_or(CmdError::wrong_type())?;
    let sparse = hll_bytes(&guard)?[4] != DENSE;
    let mut updated = usize::from(created);
    let elements = &args[2..];
    if !elements.is_empty() {
        let Value::Str(s) = &mut *guard else {
            return Err(CmdError::wrong_type());
        };
        let v = s.make_mut_bytes();
        if sparse {
            // Validate the whole sparse body once before editing it in place.
            let mut scratch = [0u8; REGISTERS];
            sketch::sparse_merge(&v[HDR..], &mut scratch)?;
        }
        for e in elements {
            let (index, count) = sketch::pat_len(e);
            let changed = if v[4] == DENSE {
                sketch::dense_set(&mut v[HDR..], index, count)
            } else {
                sketch::sparse_set(v, index, count, max_bytes)?
            };
            updated += usize::from(changed);
        }
        if updated > 0 {
            sketch::invalidate_cache(v);
        }
    } else if updated > 0 {
        if let Value::Str(s) = &mut *guard {
            sketch::invalidate_cache(s.make_mut_bytes());
        }
    }
    drop(guard);
    mark_dirty(ctx, updated as u64);
    if updated > 0 {
        keyspace_event(ctx, STRING, "pfadd", &ctx.args[1]);
    }
    ctx.out.int(i64::from(updated > 0));
    Ok(())
}

/// `PFCOUNT key [key ...]`
pub(crate) fn pfcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let lk = Lookup::of(ctx);
    if args.len() > 2 {
        // The cardinality of the union, in a scratch register array.
        let mut regs = [0u8; REGISTERS];
        for key in &args[1..] {
            let Some(v) = lk.read(ctx.keyspace, key) else {
                continue;
            };
            sketch::merge_into(hll_bytes(v)?, &mut regs)?;
        }
        ctx.out.int(i64::try_from(sketch::count_raw(&regs)).unwrap_or(i64::MAX));
        return Ok(());
    }
    let Some(v) = lk.read(ctx.keyspace, &args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let bytes = hll_bytes(v)?;
    let card = match sketch::cached(bytes) {
        Some(card) => card,
        None => {
            let card = sketch::count(bytes)?;
            // Store the estimate in the value's cache, as Redis does.
            if let Some(mut guard) = ctx.keyspace.db(lk.db).get_mut(&args[1], lk.now) {
                if let Value::Str(s) = &mut *guard {
                    sketch::set_cache(s.make_mut_bytes(), card);
                }
            }
            mark_dirty(ctx, 1);
            card
        }
    };
    ctx.out.int(i64::try_from(card).unwrap_or(i64::MAX));
    Ok(())
}

/// `PFMERGE destkey [sourcekey ...]`
pub(crate) fn pfmerge(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let max_bytes = sparse_max_bytes(ctx);
    let lk = Lookup::of(ctx);
    let mut regs = [0u8; REGISTERS];
    let mut use_dense = false;
    // The destination is an input too.
    for key in &args[1..] {
        let Some(v) = lk.read(ctx.keyspace, key) else {
            continue;
        };
        let bytes = hll_bytes(v)?;
        use_dense |= bytes[4] == DENSE;
        sketch::merge_into(bytes, &mut regs)?;
    }
    let db = ctx.keyspace.db(lk.db);
    if !db.exists(&args[1], lk.now) {
        db.set(&args[1], Value::Str(StrValue::from_vec(sketch::new_sparse())), false, lk.now);
    }
    let mut guard = db.get_mut(&args[1], lk.now).ok_or(CmdError::wrong_type())?;
    let Value::Str(s) = &mut *guard else {
        return Err(CmdError::wrong_type());
    };
    let v = s.make_mut_bytes();
    if use_dense {
        sketch::to_dense(v)?;
    }
    for (i, &r) in regs.iter().enumerate() {
        if r == 0 {
            continue;
        }
        if v[4] == DENSE {
            sketch::dense_set(&mut v[HDR..], i, r);
        } else {
            sketch::sparse_set(v, i, r, max_bytes)?;
        }
    }
    sketch::invalidate_cache(v);
    drop(guard);
    mark_dirty(ctx, 1);
    // Redis reports a merge as a PFADD ("a mass-add of elements").
    keyspace_event(ctx, STRING, "pfadd", &ctx.args[1]);
    ctx.out.ok();
    Ok(())
}
