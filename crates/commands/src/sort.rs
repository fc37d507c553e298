//! SORT and SORT_RO (Redis's sort.c): sort the elements of a list, set or sorted set, by
//! their own value or by weights other keys hold, and reply with them, with values other
//! keys hold for them (GET), or store them as a list (STORE; SORT only).
//!
//! `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dest]`
//!
//! Behaviour follows Redis 7.0 step by step, since clients and Redis's tests see it:
//! - Options are parsed first (a syntax error or a bad LIMIT wins over WRONGTYPE); the last
//!   BY and STORE win; GET may repeat.
//! - Sorting is numeric by default: each weight is converted as C's `strtod` does
//!   ([`weight`]), equal weights are ordered by the elements' bytes, and a weight that is not
//!   a number fails the command with `ERR One or more scores can't be converted into double`
//!   (nothing is stored). A BY key that is missing weighs 0. ALPHA compares bytes (Redis
//!   uses `strcoll`, which is byte order in the C locale); with BY a missing weight sorts
//!   first. DESC reverses the order, ties included.
//! - A BY pattern without `*` (`BY nosort`) turns sorting off: a list keeps its order, a
//!   sorted set its score order (both reversed by DESC), and only the LIMIT range is read.
//!   A set has no order of its own, so with STORE it is sorted ALPHA instead, for a
//!   deterministic result, as Redis does for STORE (and scripts, which Redoubt has not).
//! - LIMIT is clamped to the collection (a negative count means "to the end"), so no count
//!   a client sends sizes an allocation: buffers grow with the data only.
//! - STORE replaces `dest` (and its TTL) with a list, or deletes it when the result is
//!   empty, and replies with the number of elements stored (keyspace events `sortstore`,
//!   or `del`).
//!
//! BY and GET patterns are described in [`pattern`].

mod pattern;
mod weight;

use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::pubsub::notify;
use crate::strings::{mark_dirty, Lookup};
use bytes::Bytes;
use pattern::{Found, Pattern};
use redoubt_store::{ListValue, Value};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Range;

/// Redis's error when a weight is not a number.
const NOT_A_DOUBLE: CmdError = CmdError::raw("ERR One or more scores can't be converted into double");

/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dest]`
pub(crate) fn sort(ctx: &mut Ctx<'_>) -> CmdResult {
    sort_generic(ctx, false)
}

/// `SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]`
pub(crate) fn sort_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    sort_generic(ctx, true)
}

/// The parsed options.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    /// The last BY pattern.
    by: Option<Pattern<'a>>,
    /// Some BY pattern had no `*`: do not sort.
    dontsort: bool,
    gets: Vec<Pattern<'a>>,
}

/// Parses `args[2..]` as Redis's `sortCommandGeneric` does.
fn parse_options(args: &[Bytes], readonly: bool) -> Result<Options<'_>, CmdError> {
    let mut o = Options {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < args.len() {
        let opt = &args[j][..];
        let left = args.len() - j - 1;
        if is_opt(opt, "asc") {
            o.desc = false;
        } else if is_opt(opt, "desc") {
            o.desc = true;
        } else if is_opt(opt, "alpha") {
            o.alpha = true;
        } else if is_opt(opt, "limit") && left >= 2 {
            o.limit_start = parse_i64(&args[j + 1]).ok_or(CmdError::not_integer())?;
            o.limit_count = parse_i64(&args[j + 2]).ok_or(CmdError::not_integer())?;
            j += 2;
        } else if !readonly && is_opt(opt, "store") && left >= 1 {
            o.store = Some(&args[j + 1]);
            j += 1;
        } else if (is_opt(opt, "by") || is_opt(opt, "get")) && left >= 1 {
            let pattern = Pattern::parse(&args[j + 1]);
            // ACL: a GET, or a BY whose pattern has a `*`, reads keys that no key spec names.
            // Redis refuses it right here ("ERR BY option of SORT denied due to insufficient
            // ACL permissions.", "ERR GET option ...") unless the user may read every key
            // (`ACLUserCheckCmdWithUnrestrictedKeyAccess`). In Redoubt that check is the
            // gate's (`Session::full_key_access`), made by `sort_generic` right after
            // parsing, with Redis's texts (`sort_acl_refusal`). Cluster mode's refusal
            // of both options does not apply: Redoubt is not cluster-aware.
            if is_opt(opt, "get") {
                o.gets.push(pattern);
            } else {
                o.dontsort |= !pattern.names_keys();
                o.by = Some(pattern);
            }
            j += 1;
        } else {
            return Err(CmdError::syntax());
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's refusal of the first GET, or BY with a `*` pattern, in argument order, for a user
/// without read access to every key.
fn sort_acl_refusal(args: &[Bytes]) -> CmdError {
    let by_first = args.iter().enumerate().skip(2).find_map(|(i, a)| {
        if is_opt(a, "get") {
            Some(false)
        } else if is_opt(a, "by") && args.get(i + 1).is_some_and(|p| p.contains(&b'*')) {
            Some(true)
        } else {
            None
        }
    });
    if by_first == Some(true) {
        CmdError::raw("ERR BY option of SORT denied due to insufficient ACL permissions.")
    } else {
        CmdError::raw("ERR GET option of SORT denied due to insufficient ACL permissions.")
    }
}

/// One element to sort: where its bytes are in [`Vector::bytes`], its numeric weight, and
/// where its ALPHA weight from a BY pattern is in the weights buffer (`None`: no weight).
#[derive(Clone, Copy, Debug)]
struct Item {
    elem: (usize, usize),
    score: f64,
    by: Option<(usize, usize)>,
}

/// The elements to sort, copied out of the source value back to back into one buffer (the
/// pattern lookups that follow need the keyspace, which holds the source).
#[derive(Default)]
struct Vector {
    bytes: Vec<u8>,
    items: Vec<Item>,
}

impl Vector {
    fn push(&mut self, elem: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(elem);
        self.items.push(Item { elem: (start, self.bytes.len()), score: 0.0, by: None });
    }
}

/// Redis's LIMIT arithmetic: the inclusive range `start..=end` of the `len` elements to
/// return (empty when `end < start`).
fn limit_range(len: i64, limit_start: i64, limit_count: i64) -> (i64, i64) {
    let mut start = limit_start.max(0).min(len);
    let count = limit_count.max(-1).min(len);
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    (start, end.min(len - 1))
}

/// The elements of `src` to sort, and the range of them to return. Without sorting
/// (`dontsort`) only the LIMIT range is copied, in the collection's order (reversed for
/// DESC on a list or sorted set).
fn load(src: Option<&Value>, o: &Options<'_>) -> Result<(Vector, Range<usize>), CmdError> {
    let len = match src {
        None => 0,
        Some(Value::List(l)) => l.len(),
        Some(Value::Set(s)) => s.len(),
        Some(Value::ZSet(z)) => z.len(),
        Some(_) => return Err(CmdError::wrong_type()),
    };
    let (start, end) = limit_range(len as i64, o.limit_start, o.limit_count);
    let limited = if end >= start { start as usize..end as usize + 1 } else { 0..0 };
    let mut v = Vector::default();
    if o.dontsort {
        // Only the range is read, so the whole vector is the reply.
        v.items.reserve(limited.len());
        let (lo, hi) = (limited.start, limited.end);
        match src {
            Some(Value::List(l)) if o.desc => {
                l.range(len - hi, len - lo).rev().for_each(|e| e.with_bytes(|b| v.push(b)))
            }
            Some(Value::List(l)) => l.range(lo, hi).for_each(|e| e.with_bytes(|b| v.push(b))),
            Some(Value::Set(s)) => s.iter().skip(lo).take(hi - lo).for_each(|m| m.with_bytes(|b| v.push(b))),
            Some(Value::ZSet(z)) if o.desc => z.range(len - hi, len - lo, true).for_each(|(m, _)| v.push(m)),
            Some(Value::ZSet(z)) => z.range(lo, hi, false).for_each(|(m, _)| v.push(m)),
            _ => {}
        }
        let n = v.items.len();
        return Ok((v, 0..n));
    }
    v.items.reserve(len);
    match src {
        Some(Value::List(l)) => l.iter().for_each(|e| e.with_bytes(|b| v.push(b))),
        Some(Value::Set(s)) => s.iter().for_each(|m| m.with_bytes(|b| v.push(b))),
        Some(Value::ZSet(z)) => z.iter().for_each(|(m, _)| v.push(m)),
        _ => {}
    }
    Ok((v, limited))
}

fn sort_generic(ctx: &mut Ctx<'_>, readonly: bool) -> CmdResult {
    let args = ctx.args;
    let mut o = parse_options(args, readonly)?;
    // ACL (see parse_options): GET, or BY with a pattern, reads keys no key spec names, so
    // the user must be allowed to read every key with this command.
    if (!o.gets.is_empty() || o.by.as_ref().is_some_and(|p| p.names_keys()))
        && !ctx.session.full_key_access(args, true, false)
    {
        return Err(sort_acl_refusal(args));
    }
    let lk = Lookup::of(ctx);
    let src = lk.read(ctx.keyspace, &args[1]);
    if o.dontsort && o.store.is_some() && matches!(src, Some(Value::Set(_))) {
        // A set has no order to keep: sort what is stored, so it does not depend on the
        // table's layout.
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let (mut vector, range) = load(src, &o)?;

    let mut weights = Vec::new();
    if !o.dontsort {
        if !o.alpha || o.by.is_some() {
            weigh(ctx, lk, &o, &mut vector, &mut weights)?;
        }
        let Vector { bytes, items } = &mut vector;
        let elem = |it: &Item| &bytes[it.elem.0..it.elem.1];
        let weight = |span: (usize, usize)| &weights[span.0..span.1];
        // A stable sort: ties Redis leaves to qsort (equal ALPHA weights) keep the
        // collection's order, as glibc's qsort (a merge sort) keeps them.
        items.sort_by(|a, b| {
            let order = if !o.alpha {
                a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal).then_with(|| elem(a).cmp(elem(b)))
            } else if o.by.is_some() {
                match (a.by, b.by) {
                    (Some(x), Some(y)) => weight(x).cmp(weight(y)),
                    (x, y) => x.is_some().cmp(&y.is_some()),
                }
            } else {
                elem(a).cmp(elem(b))
            };
            if o.desc {
                order.reverse()
            } else {
                order
            }
        });
    }

    let items = &vector.items[range];
    let output_len = if o.gets.is_empty() { items.len() } else { items.len().saturating_mul(o.gets.len()) };
    let mut key = Vec::new();
    let Some(dest) = o.store else {
        ctx.out.array(output_len);
        for it in items {
            let elem = &vector.bytes[it.elem.0..it.elem.1];
            if o.gets.is_empty() {
                ctx.out.bulk(elem);
            }
            for get in &o.gets {
                match get.lookup(lk, ctx.keyspace, elem, &mut key) {
                    Some(Found::Bytes(b)) => ctx.out.bulk(b),
                    Some(Found::Int(v)) => ctx.out.bulk_int(v),
                    None => ctx.out.null(),
                }
            }
        }
        return Ok(());
    };

    let mut list = ListValue::new();
    for it in items {
        let elem = &vector.bytes[it.elem.0..it.elem.1];
        if o.gets.is_empty() {
            list.push_back(elem);
        }
        for get in &o.gets {
            match get.lookup(lk, ctx.keyspace, elem, &mut key) {
                Some(found) => found.with_bytes(|b| list.push_back(b)),
                None => list.push_back(b""),
            }
        }
    }
    let now = ctx.now_ms;
    let db = ctx.keyspace.db(lk.db);
    if output_len > 0 {
        db.set(dest, Value::List(Box::new(list)), false, now);
        notify::keyspace_event(ctx, notify::LIST, "sortstore", dest);
        mark_dirty(ctx, output_len as u64);
    } else if db.remove(dest, now).is_some() {
        notify::keyspace_event(ctx, notify::GENERIC, "del", dest);
        mark_dirty(ctx, 1);
    }
    ctx.out.int(i64::try_from(output_len).unwrap_or(i64::MAX));
    Ok(())
}

/// Computes each element's weight: from the BY pattern's key, or the element itself; a
/// number unless ALPHA, when the BY value's bytes are copied into `weights`. Fails with
/// Redis's error at the first weight that is not a number.
///
/// Redis shares a weight value by reference; a copy is made here (the keyspace it lives in
/// is needed mutably by the next lookup), once per distinct element: a list repeating one
/// element a million times must not copy its weight a million times.
fn weigh(ctx: &mut Ctx<'_>, lk: Lookup, o: &Options<'_>, vector: &mut Vector, weights: &mut Vec<u8>) -> CmdResult {
    let mut key = Vec::new();
    let mut copied: HashMap<&[u8], Option<(usize, usize)>> = HashMap::new();
    let Vector { bytes, items } = vector;
    for it in items.iter_mut() {
        let elem = &bytes[it.elem.0..it.elem.1];
        if o.alpha {
            if let Some(&span) = copied.get(elem) {
                it.by = span;
                continue;
            }
        }
        let found = match &o.by {
            Some(by) => by.lookup(lk, ctx.keyspace, elem, &mut key),
            None => Some(Found::Bytes(elem)),
        };
        if o.alpha {
            // No weight sorts first.
            it.by = found.map(|found| {
                let start = weights.len();
                found.with_bytes(|b| weights.extend_from_slice(b));
                (start, weights.len())
            });
            copied.insert(elem, it.by);
        } else {
            it.score = match found {
                // No weight: 0.
                None => 0.0,
                Some(Found::Int(v)) => v as f64,
                Some(Found::Bytes(b)) => weight::parse_weight(b).ok_or(NOT_A_DOUBLE)?,
            };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    #[test]
    fn limit_clamps_as_redis_does() {
        assert_eq!(limit_range(5, 0, -1), (0, 4));
        assert_eq!(limit_range(5, 1, 2), (1, 2));
        assert_eq!(limit_range(5, -10, 100), (0, 4));
        assert_eq!(limit_range(5, 5, 10), (4, 3));
        assert_eq!(limit_range(5, 2, 0), (2, 1));
        assert_eq!(limit_range(5, 2, -7), (2, 4));
        assert_eq!(limit_range(3, 2, i64::MAX), (2, 2));
        assert_eq!(limit_range(0, 0, -1), (-1, -2));
        assert_eq!(limit_range(0, i64::MIN, i64::MIN), (-1, -2));
    }

    #[test]
    fn keys_are_found_as_redis_finds_them() {
        use crate::keyfind::sort_keys;
        use crate::spec::KeyFlags;
        let positions = |s: &str| sort_keys(&args(s)).into_iter().map(|(p, _)| p).collect::<Vec<_>>();
        assert_eq!(positions("sort abc"), vec![1]);
        assert_eq!(positions("sort abc store def"), vec![1, 3]);
        assert_eq!(positions("sort abc store invalid store stillbad store def"), vec![1, 7]);
        assert_eq!(positions("sort abc get store by store limit store 1 store"), vec![1]);
        assert_eq!(positions("sort abc limit 0 1 store d alpha"), vec![1, 6]);
        let flags = sort_keys(&args("sort k1 store k2"));
        assert_eq!(flags, vec![(1, KeyFlags::RO | KeyFlags::ACCESS), (3, KeyFlags::OW | KeyFlags::UPDATE)]);
    }

    #[test]
    fn options_parse_as_redis_does() {
        let a = args("sort k by w_* limit 1 2 get # get o_*->f desc alpha store d by nosort");
        let o = parse_options(&a, false).unwrap();
        assert!(o.desc && o.alpha && o.dontsort);
        assert_eq!((o.limit_start, o.limit_count), (1, 2));
        assert_eq!(o.store, Some(&b"d"[..]));
        assert_eq!(o.gets.len(), 2);
        assert!(!o.by.unwrap().names_keys());

        let syntax = Err(CmdError::syntax());
        assert_eq!(parse_options(&args("sort_ro k store d"), true).map(|_| ()), syntax);
        assert_eq!(parse_options(&args("sort k limit 1"), false).map(|_| ()), syntax);
        assert_eq!(parse_options(&args("sort k by"), false).map(|_| ()), syntax);
        assert_eq!(parse_options(&args("sort k foo"), false).map(|_| ()), syntax);
        assert_eq!(parse_options(&args("sort k limit a 1"), false).map(|_| ()), Err(CmdError::not_integer()));
        assert_eq!(parse_options(&args("sort k limit 0 1.5"), false).map(|_| ()), Err(CmdError::not_integer()));
    }
}
