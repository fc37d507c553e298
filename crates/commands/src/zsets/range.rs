//! The range commands: ZRANGE (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES), ZRANGESTORE,
//! ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, and the
//! ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX removals, as Redis's
//! `zrangeGenericCommand` and `zremrangeGenericCommand`.
//!
//! Every range becomes an interval of ranks first, so each command is one O(log n) search
//! plus the walk over what it returns or removes.

use super::parse::{lex_range, score_range};
use super::{int_of, limits, read_zset, reply_scored, store_entries, write_zset};
use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, GENERIC, ZSET};
use crate::strings::{mark_dirty, Lookup};
use redoubt_store::zset::{LexRange, ScoreRange, ZSetLimits};
use redoubt_store::ZSetValue;

/// How a range is given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range.
enum Spec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Clamps Redis-style inclusive rank indexes (negative from the end) to `len`: the
/// half-open forward interval, or `None` when empty.
fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = int_of(len);
    let mut start = if start < 0 { start.saturating_add(llen) } else { start };
    let mut end = if end < 0 { end.saturating_add(llen) } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    // Both are in 0..llen now.
    Some((usize::try_from(start).ok()?, usize::try_from(end).ok()? + 1))
}

/// The half-open rank interval a range selects, walked backwards when `rev`, after
/// LIMIT's `offset` and `limit` (a negative offset selects nothing, a negative limit
/// everything, as in Redis).
fn select(z: &ZSetValue, spec: &Spec, rev: bool, offset: i64, limit: i64) -> (usize, usize) {
    let len = z.len();
    let (a, b) = match spec {
        Spec::Rank(start, end) => {
            return match clamp_ranks(*start, *end, len) {
                Some((s, e)) if rev => (len - e, len - s),
                Some(r) => r,
                None => (0, 0),
            };
        }
        Spec::Score(r) => z.score_range_ranks(r),
        Spec::Lex(r) => z.lex_range_ranks(r, rev),
    };
    let Ok(offset) = usize::try_from(offset) else {
        return (0, 0);
    };
    if offset > 0 && offset >= len {
        return (0, 0);
    }
    let n = b - a;
    let skip = offset.min(n);
    let rest = n - skip;
    let take = usize::try_from(limit).map_or(rest, |l| l.min(rest));
    if rev {
        (b - skip - take, b - skip)
    } else {
        (a + skip, a + skip + take)
    }
}

/// Redis builds a ZRANGESTORE result as a listpack (unless a rank range is known to be
/// longer than the limit) and converts it once it outgrows the limits: the scores added
/// while it is a listpack are stored as a listpack stores them, `-0` as `0`.
fn listpack_phase(entries: &mut [(Vec<u8>, f64)], rank_len: Option<usize>, limits: ZSetLimits) {
    if rank_len.is_some_and(|n| n > limits.max_entries) {
        return;
    }
    for (i, (m, s)) in entries.iter_mut().enumerate() {
        if i >= limits.max_entries || m.len() > limits.max_value {
            return;
        }
        if *s == 0.0 {
            *s = 0.0;
        }
    }
}

/// Redis's `zrangeGenericCommand`: the key is `args[first]`, min and max follow; the
/// result goes to the client, or is stored at `args[1]` when `store`. `by` and `rev` are
/// fixed by the legacy commands, `Auto`/`None` for ZRANGE and ZRANGESTORE.
fn zrange_generic(ctx: &mut Ctx<'_>, first: usize, store: bool, mut by: By, rev: Option<bool>) -> CmdResult {
    let args = ctx.args;
    let mut withscores = false;
    let mut offset = 0i64;
    let mut limit = -1i64;
    let mut reverse = rev;
    let mut j = first + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if !store && is_opt(a, "withscores") {
            withscores = true;
        } else if is_opt(a, "limit") && left >= 2 {
            offset = parse_i64(&args[j + 1]).ok_or(CmdError::not_integer())?;
            limit = parse_i64(&args[j + 2]).ok_or(CmdError::not_integer())?;
            j += 2;
        } else if rev.is_none() && reverse.is_none() && is_opt(a, "rev") {
            reverse = Some(true);
        } else if by == By::Auto && is_opt(a, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is_opt(a, "byscore") {
            by = By::Score;
        } else {
            return Err(CmdError::syntax());
        }
        j += 1;
    }
    let rev = reverse.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    if limit != -1 && by == By::Rank {
        return Err(CmdError::err("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
    }
    if withscores && by == By::Lex {
        return Err(CmdError::err("syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    let (mut min, mut max) = (&args[first + 1], &args[first + 2]);
    if rev && by != By::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let spec = match by {
        By::Score => Spec::Score(score_range(min, max)?),
        By::Lex => Spec::Lex(lex_range(min, max)?),
        _ => Spec::Rank(parse_i64(min).ok_or(CmdError::not_integer())?, parse_i64(max).ok_or(CmdError::not_integer())?),
    };
    let lk = Lookup::of(ctx);
    let z = read_zset(lk, ctx.keyspace, &args[first])?;
    if store {
        let mut entries: Vec<(Vec<u8>, f64)> = z.map_or_else(Vec::new, |z| {
            let (a, b) = select(z, &spec, rev, offset, limit);
            z.range(a, b, rev).map(|(m, s)| (m.to_vec(), s)).collect()
        });
        let rank_len = matches!(spec, Spec::Rank(..)).then_some(entries.len());
        listpack_phase(&mut entries, rank_len, limits(ctx));
        let n = store_entries(ctx, &args[1], entries, "zrangestore");
        ctx.out.int(int_of(n));
        return Ok(());
    }
    match z {
        None => ctx.out.array(0),
        Some(z) => {
            let (a, b) = select(z, &spec, rev, offset, limit);
            reply_scored(ctx.out, z.range(a, b, rev), b - a, withscores);
        }
    }
    Ok(())
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
pub(crate) fn zrange(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, By::Auto, None)
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
pub(crate) fn zrangestore(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 2, true, By::Auto, None)
}

/// `ZREVRANGE key start stop [WITHSCORES]`
pub(crate) fn zrevrange(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, By::Rank, Some(true))
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`
pub(crate) fn zrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, By::Score, Some(false))
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`
pub(crate) fn zrevrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, By::Score, Some(true))
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`
pub(crate) fn zrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, By::Lex, Some(false))
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`
pub(crate) fn zrevrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    zrange_generic(ctx, 1, false, By::Lex, Some(true))
}

// ---------------------------------------------------------------------------------------
// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX
// ---------------------------------------------------------------------------------------

/// Redis's `zremrangeGenericCommand`.
fn zremrange_generic(ctx: &mut Ctx<'_>, spec: Spec) -> CmdResult {
    let (args, lk) = (ctx.args, Lookup::of(ctx));
    let event = match spec {
        Spec::Rank(..) => "zremrangebyrank",
        Spec::Score(_) => "zremrangebyscore",
        Spec::Lex(_) => "zremrangebylex",
    };
    let (removed, emptied) = write_zset(ctx.keyspace, lk, &args[1], |z| {
        let (a, b) = select(z, &spec, false, 0, -1);
        (z.remove_range(a, b), z.is_empty())
    })?
    .unwrap_or((0, false));
    mark_dirty(ctx, removed as u64);
    if removed > 0 {
        keyspace_event(ctx, ZSET, event, &args[1]);
        if emptied {
            keyspace_event(ctx, GENERIC, "del", &args[1]);
        }
    }
    ctx.out.int(int_of(removed));
    Ok(())
}

/// `ZREMRANGEBYRANK key start stop`
pub(crate) fn zremrangebyrank(ctx: &mut Ctx<'_>) -> CmdResult {
    let start = ctx.int_arg(2)?;
    let end = ctx.int_arg(3)?;
    zremrange_generic(ctx, Spec::Rank(start, end))
}

/// `ZREMRANGEBYSCORE key min max`
pub(crate) fn zremrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let range = score_range(ctx.arg(2), ctx.arg(3))?;
    zremrange_generic(ctx, Spec::Score(range))
}

/// `ZREMRANGEBYLEX key min max`
pub(crate) fn zremrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    let range = lex_range(ctx.arg(2), ctx.arg(3))?;
    zremrange_generic(ctx, Spec::Lex(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_clamping_matches_redis() {
        assert_eq!(clamp_ranks(0, -1, 4), Some((0, 4)));
        assert_eq!(clamp_ranks(-5, 1, 4), Some((0, 2)));
        assert_eq!(clamp_ranks(5, -1, 4), None);
        assert_eq!(clamp_ranks(1, -5, 4), None);
        assert_eq!(clamp_ranks(0, 10, 4), Some((0, 4)));
        assert_eq!(clamp_ranks(i64::MIN, i64::MAX, 4), Some((0, 4)));
        assert_eq!(clamp_ranks(0, 0, 0), None);
    }
}
