//! LCS: the longest common subsequence of two strings, by Redis's dynamic-programming
//! table and backtracking, so the matches IDX reports are the ones Redis reports.
//!
//! The table is O(len(a) * len(b)). Redis only refuses it beyond proto-max-bulk-len bytes
//! (512 MiB of transient memory, and minutes of CPU under the store lock). Redoubt also
//! refuses tables of more than [`MAX_LCS_CELLS`] cells: at most 64 MiB and a fraction of a
//! second of work. That cap bounds the shorter string below 2^16 bytes, so every cell fits a
//! `u16`.

use super::{proto_max_bulk_len, Lookup};
use crate::context::{is_opt, CmdError, CmdResult, Ctx};
use redoubt_store::Value;

/// The most cells (`(len(a)+1) * (len(b)+1)`) an LCS table may have (when neither string
/// is empty: then there is no table).
pub(crate) const MAX_LCS_CELLS: u64 = 1 << 25;

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`
pub(crate) fn lcs(ctx: &mut Ctx<'_>) -> CmdResult {
    let lk = Lookup::of(ctx);
    let args = ctx.args;
    let not_strings = || CmdError::raw("ERR The specified keys must contain string values");
    // First the types and lengths, so that nothing is copied before the size checks.
    let mut lens = [0usize; 2];
    for (n, key) in args[1..3].iter().enumerate() {
        lens[n] = match lk.read(ctx.keyspace, key) {
            None => 0,
            Some(v) => v.as_str().ok_or_else(not_strings)?.len(),
        };
    }
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: u64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        if is_opt(opt, "idx") {
            getidx = true;
        } else if is_opt(opt, "len") {
            getlen = true;
        } else if is_opt(opt, "withmatchlen") {
            withmatchlen = true;
        } else if is_opt(opt, "minmatchlen") && j + 1 < args.len() {
            let v = crate::context::parse_i64(&args[j + 1]).ok_or(CmdError::not_integer())?;
            minmatchlen = v.max(0) as u64;
            j += 1;
        } else {
            return Err(CmdError::syntax());
        }
        j += 1;
    }
    if getlen && getidx {
        return Err(CmdError::raw("ERR If you want both the length and indexes, please just use IDX."));
    }
    let [alen, blen] = lens;
    if alen as u64 >= u64::from(u32::MAX - 1) || blen as u64 >= u64::from(u32::MAX - 1) {
        return Err(CmdError::raw("ERR String too long for LCS"));
    }
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    // Redis's own limit, on its table of u32 cells.
    if cells.saturating_mul(4) > proto_max_bulk_len(ctx) {
        return Err(CmdError::raw("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
    }
    if cells > MAX_LCS_CELLS && alen > 0 && blen > 0 {
        return Err(CmdError::err(format!(
            "Insufficient memory, LCS of strings of {alen} and {blen} bytes needs a table of more than {MAX_LCS_CELLS} cells"
        )));
    }
    let db = ctx.keyspace.db(lk.db);
    let value = |v: Option<&Value>| v.and_then(Value::as_str).map(|s| s.to_bytes().into_owned()).unwrap_or_default();
    let a = value(db.get(&args[1], lk.now, false));
    let b = value(db.get(&args[2], lk.now, false));

    // With an empty string there is nothing to compare (and no table to build).
    let (total, lcs, matches) = if a.is_empty() || b.is_empty() {
        (0, Vec::new(), Vec::new())
    } else {
        let table = Table::build(&a, &b);
        let (lcs, matches) = table.backtrack(&a, &b, minmatchlen);
        (table.at(a.len(), b.len()), lcs, matches)
    };
    if getlen {
        ctx.out.int(i64::from(total));
        return Ok(());
    }
    if !getidx {
        ctx.out.bulk(&lcs);
        return Ok(());
    }
    ctx.out.map(2);
    ctx.out.bulk(b"matches");
    ctx.out.array(matches.len());
    for m in &matches {
        ctx.out.array(if withmatchlen { 3 } else { 2 });
        ctx.out.array(2);
        ctx.out.int(m.a.0 as i64);
        ctx.out.int(m.a.1 as i64);
        ctx.out.array(2);
        ctx.out.int(m.b.0 as i64);
        ctx.out.int(m.b.1 as i64);
        if withmatchlen {
            ctx.out.int(m.len as i64);
        }
    }
    ctx.out.bulk(b"len");
    ctx.out.int(i64::from(total));
    Ok(())
}

/// One contiguous match: inclusive ranges in a and b, and its length.
#[derive(Debug, PartialEq, Eq)]
struct Match {
    a: (usize, usize),
    b: (usize, usize),
    len: usize,
}

/// `LCS(i, j)`: the LCS length of a[..i] and b[..j], row-major with `b.len() + 1` columns.
struct Table {
    cells: Vec<u16>,
    cols: usize,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Table {
        let cols = b.len() + 1;
        let mut cells = vec![0u16; (a.len() + 1) * cols];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * cols + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * cols + j - 1] + 1
                } else {
                    cells[(i - 1) * cols + j].max(cells[i * cols + j - 1])
                };
            }
        }
        Table { cells, cols }
    }

    fn at(&self, i: usize, j: usize) -> u16 {
        self.cells[i * self.cols + j]
    }

    /// Walks back from the end as Redis does, collecting the LCS and its contiguous matches
    /// (last match first) of at least `minmatchlen` bytes.
    fn backtrack(&self, a: &[u8], b: &[u8], minmatchlen: u64) -> (Vec<u8>, Vec<Match>) {
        let mut idx = usize::from(self.at(a.len(), b.len()));
        let mut lcs = vec![0u8; idx];
        let mut matches = Vec::new();
        let (mut i, mut j) = (a.len(), b.len());
        // The current range, if any: (a_start, a_end, b_start, b_end).
        let mut current: Option<(usize, usize, usize, usize)> = None;
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                lcs[idx - 1] = a[i - 1];
                match &mut current {
                    None => current = Some((i - 1, i - 1, j - 1, j - 1)),
                    Some(r) if r.0 == i && r.2 == j => {
                        r.0 -= 1;
                        r.2 -= 1;
                    }
                    Some(_) => emit = true,
                }
                if let Some(r) = current {
                    if r.0 == 0 || r.2 == 0 {
                        emit = true;
                    }
                }
                idx -= 1;
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                if current.is_some() {
                    emit = true;
                }
            }
            if emit {
                if let Some(r) = current.take() {
                    let len = r.1 - r.0 + 1;
                    if minmatchlen == 0 || len as u64 >= minmatchlen {
                        matches.push(Match { a: (r.0, r.1), b: (r.2, r.3), len });
                    }
                }
            }
        }
        (lcs, matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(a: &str, b: &str, min: u64) -> (String, Vec<Match>) {
        let t = Table::build(a.as_bytes(), b.as_bytes());
        let (s, m) = t.backtrack(a.as_bytes(), b.as_bytes(), min);
        (String::from_utf8(s).unwrap(), m)
    }

    #[test]
    fn finds_redis_matches() {
        let (s, m) = run("ohmytext", "mynewtext", 0);
        assert_eq!(s, "mytext");
        assert_eq!(m, vec![Match { a: (4, 7), b: (5, 8), len: 4 }, Match { a: (2, 3), b: (0, 1), len: 2 }]);
        let (_, m) = run("ohmytext", "mynewtext", 4);
        assert_eq!(m, vec![Match { a: (4, 7), b: (5, 8), len: 4 }]);
        assert_eq!(run("", "abc", 0).0, "");
        assert_eq!(run("abc", "xyz", 0), (String::new(), vec![]));
    }
}
