//! What HSCAN, SSCAN and ZSCAN share with SCAN: the cursor, the option parsing and the
//! bucket loop of Redis's `scanGenericCommand`, for a collection rather than the keyspace.
//! (Redis counts a hash's or sorted set's field and value as two items: such callers pass
//! twice the COUNT as the target and count two per entry.)

use crate::context::{is_opt, parse_i64, CmdError};
use crate::keys::parse_cursor;
use bytes::Bytes;
use redoubt_resp::ReplyBuffer;
use redoubt_store::{glob_match, matches_everything};

/// Default COUNT.
const DEFAULT_COUNT: usize = 10;

/// Parses the cursor argument, as SCAN does (`ERR invalid cursor`).
pub(crate) fn cursor_arg(arg: &[u8]) -> Result<u64, CmdError> {
    parse_cursor(arg).ok_or(CmdError::raw("ERR invalid cursor"))
}

/// The options of a collection scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScanOpts<'a> {
    /// COUNT: elements to aim for per call.
    pub(crate) count: usize,
    /// MATCH, `None` when absent or `*`.
    pub(crate) pattern: Option<&'a [u8]>,
}

impl ScanOpts<'_> {
    /// Whether `element` passes MATCH.
    pub(crate) fn matches(&self, element: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, element, false))
    }
}

/// Parses `[MATCH pattern] [COUNT count]` from `args[start..]` as Redis's
/// `scanGenericCommand` does for a key's collection (TYPE is a syntax error there).
pub(crate) fn parse_opts(args: &[Bytes], start: usize) -> Result<ScanOpts<'_>, CmdError> {
    let mut opts = ScanOpts { count: DEFAULT_COUNT, pattern: None };
    let mut i = start;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if is_opt(&args[i], "count") && has_value {
            let n = parse_i64(&args[i + 1]).ok_or(CmdError::not_integer())?;
            if n < 1 {
                return Err(CmdError::syntax());
            }
            opts.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if is_opt(&args[i], "match") && has_value {
            let p = &args[i + 1][..];
            opts.pattern = (!matches_everything(p)).then_some(p);
        } else {
            return Err(CmdError::syntax());
        }
        i += 2;
    }
    Ok(opts)
}

/// Runs `step` (one bucket of the collection's table from a cursor; it returns the next
/// cursor and counts what it saw into its second argument) until about `target` items were
/// seen, the scan is complete, or `10 * target` more buckets were visited (Redis's bound
/// for sparse tables). Returns the cursor to hand back.
pub(crate) fn scan_loop(cursor: u64, target: usize, mut step: impl FnMut(u64, &mut usize) -> u64) -> u64 {
    let mut budget = target.saturating_mul(10);
    let mut seen = 0usize;
    let mut cursor = cursor;
    loop {
        cursor = step(cursor, &mut seen);
        if cursor == 0 || budget == 0 || seen >= target {
            return cursor;
        }
        budget -= 1;
    }
}

/// The reply: the next cursor and the elements found.
pub(crate) fn reply(out: &mut ReplyBuffer, cursor: u64, items: &[Vec<u8>]) {
    let mut digits = itoa::Buffer::new();
    out.array(2);
    out.bulk(digits.format(cursor).as_bytes());
    out.array(items.len());
    for item in items {
        out.bulk(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Bytes> {
        list.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    #[test]
    fn options_parse_as_redis_does() {
        let a = args(&["k", "0", "MATCH", "f*", "count", "5"]);
        let o = parse_opts(&a, 2).unwrap();
        assert_eq!(o, ScanOpts { count: 5, pattern: Some(&b"f*"[..]) });
        assert!(o.matches(b"foo") && !o.matches(b"bar"));
        let a = args(&["k", "0", "match", "*"]);
        assert_eq!(parse_opts(&a, 2).unwrap().pattern, None);
        for bad in [&["count", "0"][..], &["count"], &["type", "string"], &["nope", "1"]] {
            let mut v = vec!["k", "0"];
            v.extend_from_slice(bad);
            assert_eq!(parse_opts(&args(&v), 2), Err(CmdError::syntax()), "{bad:?}");
        }
        assert_eq!(parse_opts(&args(&["k", "0", "count", "x"]), 2), Err(CmdError::not_integer()));
        assert_eq!(cursor_arg(b"x"), Err(CmdError::raw("ERR invalid cursor")));
        assert_eq!(cursor_arg(b"12"), Ok(12));
    }

    #[test]
    fn loop_is_bounded() {
        // A step that never finds anything stops after 10 * target + 1 buckets.
        let mut calls = 0;
        let c = scan_loop(1, 3, |c, _| {
            calls += 1;
            c + 1
        });
        assert_eq!(calls, 31);
        assert_eq!(c, 32);
        // Stops as soon as enough was seen.
        let c = scan_loop(1, 3, |c, seen| {
            *seen += 2;
            c + 1
        });
        assert_eq!(c, 3);
    }
}
