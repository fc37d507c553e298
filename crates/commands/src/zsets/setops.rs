//! ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZINTERCARD, as Redis's
//! `zunionInterDiffGenericCommand`: sorted sets and plain sets (every member scoring 1) as
//! inputs, WEIGHTS, AGGREGATE SUM|MIN|MAX, WITHSCORES, LIMIT.
//!
//! Inputs are processed one at a time in Redis's order (smallest first for union and
//! intersection), so floating-point sums come out as Redis's do; the result is sorted by
//! score then member.

use super::parse::score_arg;
use super::{int_of, reply_scored, store_entries};
use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::strings::Lookup;
use redoubt_store::{Keyspace, SetValue, Value, ZSetValue};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// AGGREGATE.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's `zunionInterAggregate`: a NaN sum (`inf + -inf`) counts as 0.
    fn apply(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if value < *target {
                    *target = value;
                }
            }
            Aggregate::Max => {
                if value > *target {
                    *target = value;
                }
            }
        }
    }
}

/// One input: its argument index, size (0 when absent) and weight.
#[derive(Clone, Copy)]
struct Source {
    arg: usize,
    len: usize,
    weight: f64,
}

/// An input as read from the keyspace.
enum Input<'a> {
    Absent,
    ZSet(&'a ZSetValue),
    Set(&'a SetValue),
}

impl Input<'_> {
    /// Whether `member` is in it, and its score (1 for a set).
    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Input::Absent => None,
            Input::ZSet(z) => z.score(member),
            Input::Set(s) => s.contains(member).then_some(1.0),
        }
    }

    /// Calls `f` for every (member, score).
    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Input::Absent => {}
            Input::ZSet(z) => z.iter().for_each(|(m, s)| f(m, s)),
            Input::Set(s) => s.iter().for_each(|m| m.with_bytes(|b| f(b, 1.0))),
        }
    }
}

/// Reads `key` (already looked up and type-checked) without counting another lookup.
fn input<'k>(ks: &'k mut Keyspace, lk: Lookup, key: &[u8]) -> Input<'k> {
    match ks.db(lk.db).get(key, lk.now, false) {
        Some(Value::ZSet(z)) => Input::ZSet(z),
        Some(Value::Set(s)) => Input::Set(s),
        _ => Input::Absent,
    }
}

/// The result of the operation: (member, score) pairs, unordered.
fn compute(
    ks: &mut Keyspace,
    lk: Lookup,
    args: &[bytes::Bytes],
    src: &[Source],
    op: Op,
    agg: Aggregate,
) -> Vec<(Vec<u8>, f64)> {
    let Some(first) = src.first() else {
        return Vec::new();
    };
    if first.len == 0 && op != Op::Union {
        return Vec::new();
    }
    match op {
        Op::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            for s in src {
                input(ks, lk, &args[s.arg]).for_each(|m, score| {
                    let mut v = s.weight * score;
                    if v.is_nan() {
                        v = 0.0;
                    }
                    match acc.entry(m.to_vec()) {
                        Entry::Occupied(mut e) => agg.apply(e.get_mut(), v),
                        Entry::Vacant(e) => {
                            e.insert(v);
                        }
                    }
                });
            }
            acc.into_iter().collect()
        }
        Op::Inter => {
            let mut acc: Vec<(Vec<u8>, f64)> = Vec::with_capacity(first.len);
            input(ks, lk, &args[first.arg]).for_each(|m, score| {
                let mut v = first.weight * score;
                if v.is_nan() {
                    v = 0.0;
                }
                acc.push((m.to_vec(), v));
            });
            for s in &src[1..] {
                let inp = input(ks, lk, &args[s.arg]);
                acc.retain_mut(|(m, v)| match inp.score(m) {
                    Some(score) => {
                        agg.apply(v, score * s.weight);
                        true
                    }
                    None => false,
                });
                if acc.is_empty() {
                    break;
                }
            }
            acc
        }
        Op::Diff => {
            let mut acc: Vec<(Vec<u8>, f64)> = Vec::with_capacity(first.len);
            input(ks, lk, &args[first.arg]).for_each(|m, score| acc.push((m.to_vec(), score)));
            for s in &src[1..] {
                if s.len == 0 {
                    continue;
                }
                let inp = input(ks, lk, &args[s.arg]);
                acc.retain(|(m, _)| inp.score(m).is_none());
                if acc.is_empty() {
                    break;
                }
            }
            acc
        }
    }
}

/// Redis's `zunionInterDiffGenericCommand`: `numkeys` at `args[numkeys_idx]`, the result
/// stored at `args[1]` when `store`, only counted for ZINTERCARD when `card_only`.
fn generic(ctx: &mut Ctx<'_>, numkeys_idx: usize, store: bool, op: Op, card_only: bool) -> CmdResult {
    let args = ctx.args;
    let setnum = parse_i64(&args[numkeys_idx]).ok_or(CmdError::not_integer())?;
    if setnum < 1 {
        return Err(CmdError::err(format!("at least 1 input key is needed for '{}' command", ctx.command_name())));
    }
    let first = numkeys_idx + 1;
    let setnum = usize::try_from(setnum).ok().filter(|&n| n <= args.len() - first).ok_or(CmdError::syntax())?;
    let lk = Lookup::of(ctx);
    let mut src = Vec::with_capacity(setnum);
    for (arg, key) in args.iter().enumerate().skip(first).take(setnum) {
        let len = match lk.read(ctx.keyspace, key) {
            None => 0,
            Some(Value::ZSet(z)) => z.len(),
            Some(Value::Set(s)) => s.len(),
            Some(_) => return Err(CmdError::wrong_type()),
        };
        src.push(Source { arg, len, weight: 1.0 });
    }
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = first + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = &args[j];
        if op != Op::Diff && !card_only && remaining > setnum && is_opt(a, "weights") {
            for (k, s) in src.iter_mut().enumerate() {
                s.weight = score_arg(&args[j + 1 + k], CmdError::raw("ERR weight value is not a float"))?;
            }
            j += 1 + setnum;
        } else if op != Op::Diff && !card_only && remaining >= 2 && is_opt(a, "aggregate") {
            let v = &args[j + 1];
            agg = if is_opt(v, "sum") {
                Aggregate::Sum
            } else if is_opt(v, "min") {
                Aggregate::Min
            } else if is_opt(v, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::syntax());
            };
            j += 2;
        } else if !store && !card_only && is_opt(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is_opt(a, "limit") {
            limit = parse_i64(&args[j + 1])
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(CmdError::raw("ERR LIMIT can't be negative"))?;
            j += 2;
        } else {
            return Err(CmdError::syntax());
        }
    }
    if op != Op::Diff {
        src.sort_by_key(|s| s.len);
    }
    let mut result = compute(ctx.keyspace, lk, args, &src, op, agg);
    if card_only {
        let n = if limit > 0 { result.len().min(limit) } else { result.len() };
        ctx.out.int(int_of(n));
        return Ok(());
    }
    if store {
        let event = match op {
            Op::Union => "zunionstore",
            Op::Inter => "zinterstore",
            Op::Diff => "zdiffstore",
        };
        let n = store_entries(ctx, &args[1], result, event);
        ctx.out.int(int_of(n));
        return Ok(());
    }
    result.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
    let n = result.len();
    reply_scored(ctx.out, result.iter().map(|(m, s)| (m.as_slice(), *s)), n, withscores);
    Ok(())
}

/// `ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`
pub(crate) fn zunionstore(ctx: &mut Ctx<'_>) -> CmdResult {
    generic(ctx, 2, true, Op::Union, false)
}

/// `ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`
pub(crate) fn zinterstore(ctx: &mut Ctx<'_>) -> CmdResult {
    generic(ctx, 2, true, Op::Inter, false)
}

/// `ZDIFFSTORE destination numkeys key [key ...]`
pub(crate) fn zdiffstore(ctx: &mut Ctx<'_>) -> CmdResult {
    generic(ctx, 2, true, Op::Diff, false)
}

/// `ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub(crate) fn zunion(ctx: &mut Ctx<'_>) -> CmdResult {
    generic(ctx, 1, false, Op::Union, false)
}

/// `ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub(crate) fn zinter(ctx: &mut Ctx<'_>) -> CmdResult {
    generic(ctx, 1, false, Op::Inter, false)
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`
pub(crate) fn zintercard(ctx: &mut Ctx<'_>) -> CmdResult {
    generic(ctx, 1, false, Op::Inter, true)
}

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`
pub(crate) fn zdiff(ctx: &mut Ctx<'_>) -> CmdResult {
    generic(ctx, 1, false, Op::Diff, false)
}
