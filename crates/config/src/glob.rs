//! Glob matching with Redis's `stringmatch` rules, used by CONFIG GET and by `include` with
//! wildcards.
//!
//! `*` matches any run of characters, `?` one character, `[abc]`, `[^abc]` and `[a-z]` a class,
//! and `\x` the character `x` itself. Unlike a naive recursive matcher this one backtracks only
//! to the last `*`, so its cost is at most the product of the two lengths whatever the pattern:
//! a client cannot stall the server with a pathological pattern.

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// Tries the single-character matcher at `pat[p..]` (anything but `*`) against `c`.
/// Returns whether it matched and where the next matcher starts.
fn match_one(pat: &[u8], p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let c = fold(c, nocase);
    match pat[p] {
        b'?' => (true, p + 1),
        b'\\' if p + 1 < pat.len() => (fold(pat[p + 1], nocase) == c, p + 2),
        b'[' => {
            let mut i = p + 1;
            let negate = pat.get(i) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut matched = false;
            loop {
                match pat.get(i) {
                    None => break,
                    Some(b']') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if i + 1 < pat.len() => {
                        matched |= fold(pat[i + 1], nocase) == c;
                        i += 2;
                    }
                    Some(&start) if pat.get(i + 1) == Some(&b'-') && i + 2 < pat.len() => {
                        let (mut lo, mut hi) = (fold(start, nocase), fold(pat[i + 2], nocase));
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        matched |= (lo..=hi).contains(&c);
                        i += 3;
                    }
                    Some(&other) => {
                        matched |= fold(other, nocase) == c;
                        i += 1;
                    }
                }
            }
            (matched != negate, i)
        }
        other => (fold(other, nocase) == c, p + 1),
    }
}

/// Whether `text` matches the glob `pattern`; `nocase` compares ASCII letters without case.
pub(crate) fn string_match(pattern: &str, text: &str, nocase: bool) -> bool {
    let (pat, s) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut i) = (0, 0);
    // Where to resume after the last `*`: the matcher after it, and the text position it
    // has swallowed up to.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pat.len() && pat[p] == b'*' {
            while p < pat.len() && pat[p] == b'*' {
                p += 1;
            }
            star = Some((p, i));
            continue;
        }
        if i == s.len() {
            return p == pat.len();
        }
        if p < pat.len() {
            let (ok, next) = match_one(pat, p, s[i], nocase);
            if ok {
                p = next;
                i += 1;
                continue;
            }
        }
        match star {
            Some((sp, si)) if si < s.len() => {
                star = Some((sp, si + 1));
                p = sp;
                i = si + 1;
            }
            _ => return false,
        }
    }
}

/// Whether `pattern` has glob characters (`*`, `?` or `[`), as CONFIG GET decides.
pub(crate) fn is_pattern(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::string_match as m;

    #[test]
    fn stars_and_questions() {
        assert!(m("*", "", false));
        assert!(m("*", "maxmemory", false));
        assert!(m("max*", "maxmemory-policy", false));
        assert!(m("*memory*", "maxmemory-policy", false));
        assert!(m("h?", "hz", false));
        assert!(!m("h?", "h", false));
        assert!(!m("max*", "amax", false));
        assert!(m("a*b*c", "aXXbYYc", false));
        assert!(!m("a*b*c", "aXXbYY", false));
    }

    #[test]
    fn classes_and_escapes() {
        assert!(m("[abc]x", "bx", false));
        assert!(!m("[^abc]x", "bx", false));
        assert!(m("[a-c]", "b", false));
        assert!(m("[c-a]", "b", false));
        assert!(m(r"a\*", "a*", false));
        assert!(!m(r"a\*", "ab", false));
        assert!(m("[", "", false) || !m("[", "", false)); // unterminated: must not panic
        assert!(m("[ab", "a", false));
    }

    #[test]
    fn no_case() {
        assert!(m("MAX*", "maxmemory", true));
        assert!(!m("MAX*", "maxmemory", false));
        assert!(m("[A-C]z", "bZ", true));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let pat = "*a".repeat(200) + "b";
        let text = "a".repeat(5000);
        assert!(!m(&pat, &text, true));
    }
}
