//! Glob-style pattern matching with Redis's `stringmatchlen` semantics (KEYS, SCAN MATCH,
//! ACL key and channel patterns, PSUBSCRIBE).
//!
//! - `*` any run of bytes, `?` any one byte, `\x` the byte `x`;
//! - `[abc]`, `[^abc]`, `[a-z]` (a reversed range `[z-a]` is the same range), `\x` inside a
//!   class; `[` with no closing `]` is a class that runs to the end of the pattern, as Redis
//!   parses it (so `[a-]` is the range from `a` to `]`, and `[abc` matches one of a, b, c);
//! - bytes, not characters; `nocase` folds ASCII letters only, and, as in Redis, does not
//!   apply to `\x` inside a class.
//!
//! One Redis quirk is kept on purpose: an empty subject matches only the empty pattern, so
//! `*` does not match "". Redis's KEYS and SCAN never ask, because they treat the pattern `*`
//! as "everything" before matching; callers should do the same with [`matches_everything`].
//! Byte ranges compare bytes as unsigned (Redis on x86 compares them as signed `char`, which
//! only matters for ranges with an end at or above 0x80).
//!
//! Unlike Redis before 7.0.10 (CVE-2022-36021, `KEYS *a*a*a*...b` hung the server), matching
//! never recurses or backtracks exponentially: all tokens but `*` match exactly one byte, so
//! remembering only the latest `*` is enough, and the worst case is O(pattern × subject).
//! It allocates nothing.

/// Whether the pattern is `*`, which Redis's KEYS and SCAN treat as matching every key
/// (including the empty key) without calling the matcher.
pub fn matches_everything(pattern: &[u8]) -> bool {
    pattern == b"*"
}

/// Whether `subject` matches the glob `pattern` (see the [module documentation](self)).
pub fn glob_match(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
    if subject.is_empty() {
        return pattern.is_empty();
    }
    let (mut t, mut i) = (0usize, 0usize);
    // The latest star: (token after it, subject position its match currently ends at).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(&p) = pattern.get(t) {
            if p == b'*' {
                while pattern.get(t) == Some(&b'*') {
                    t += 1;
                }
                if t == pattern.len() {
                    return true;
                }
                star = Some((t, i));
                continue;
            }
            if let Some(&c) = subject.get(i) {
                if let Some(next) = match_one(pattern, t, c, nocase) {
                    t = next;
                    i += 1;
                    continue;
                }
            }
        } else if i == subject.len() {
            return true;
        }
        // Mismatch: let the latest star swallow one more byte, or fail.
        match star {
            Some((st, si)) if si < subject.len() => {
                star = Some((st, si + 1));
                t = st;
                i = si + 1;
            }
            _ => return false,
        }
    }
}

/// Byte equality, ASCII case folded when `nocase`.
fn same(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Matches the one-byte token starting at `pattern[t]` (not `*`) against `c`: the index of
/// the next token if it matches.
fn match_one(pattern: &[u8], t: usize, c: u8, nocase: bool) -> Option<usize> {
    match pattern.get(t)? {
        b'?' => Some(t + 1),
        b'[' => {
            let (matched, next) = class(pattern, t + 1, c, nocase);
            matched.then_some(next)
        }
        b'\\' if pattern.len() - t >= 2 => same(pattern[t + 1], c, nocase).then_some(t + 2),
        &p => same(p, c, nocase).then_some(t + 1),
    }
}

/// Evaluates the class whose body starts at `pattern[j]` (just after `[`) against `c`,
/// exactly as Redis's `stringmatchlen` walks it. Returns (matched, index after the class).
fn class(pattern: &[u8], mut j: usize, c: u8, nocase: bool) -> (bool, usize) {
    let n = pattern.len();
    let negated = pattern.get(j) == Some(&b'^');
    if negated {
        j += 1;
    }
    let mut matched = false;
    loop {
        match pattern.get(j) {
            Some(b'\\') if n - j >= 2 => {
                j += 1;
                matched |= pattern[j] == c;
            }
            Some(b']') => break,
            None => {
                // Unterminated: the class ends the pattern.
                return (matched != negated, n);
            }
            Some(&lo) if n - j >= 3 && pattern[j + 1] == b'-' => {
                let hi = pattern[j + 2];
                let (mut lo, mut hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
                let mut c = c;
                if nocase {
                    lo = lo.to_ascii_lowercase();
                    hi = hi.to_ascii_lowercase();
                    c = c.to_ascii_lowercase();
                }
                matched |= lo <= c && c <= hi;
                j += 2;
            }
            Some(&b) => matched |= same(b, c, nocase),
        }
        j += 1;
    }
    (matched != negated, j + 1)
}

#[cfg(test)]
mod tests;
