use super::*;

/// (pattern, subject, nocase, expected): expectations produced by Redis 7.0.15's own
/// `stringmatchlen` (util.c) compiled and run on each case.
const REDIS_CASES: &[(&[u8], &[u8], bool, bool)] = &[
    (br"*", br"hello", false, true),
    (br"*", br"", false, false),
    (br"**", br"", false, false),
    (br"", br"", false, true),
    (br"", br"a", false, false),
    (br"foo*", br"foo_a", false, true),
    (br"foo*", br"foo", false, true),
    (br"foo*", br"fo", false, false),
    (br"*o*", br"foo", false, true),
    (br"*o", br"foo", false, true),
    (br"*o", br"foa", false, false),
    (br"h?llo", br"hello", false, true),
    (br"h?llo", br"hllo", false, false),
    (br"h?llo", br"heello", false, false),
    (br"h*llo", br"hllo", false, true),
    (br"h*llo", br"heeeello", false, true),
    (br"h[ae]llo", br"hello", false, true),
    (br"h[ae]llo", br"hallo", false, true),
    (br"h[ae]llo", br"hillo", false, false),
    (br"h[^e]llo", br"hallo", false, true),
    (br"h[^e]llo", br"hello", false, false),
    (br"h[a-b]llo", br"hbllo", false, true),
    (br"h[a-b]llo", br"hcllo", false, false),
    (br"h[b-a]llo", br"hallo", false, true),
    (br"[z-a]", br"m", false, true),
    (br"[a-z]", br"M", false, false),
    (br"[a-z]", br"M", true, true),
    (br"[A-Z]", br"m", true, true),
    (br"[Z-a]", br"_", false, true),
    (br"[Z-a]", br"_", true, false),
    (br"HELLO", br"hello", true, true),
    (br"HELLO", br"hello", false, false),
    (br"h\*llo", br"h*llo", false, true),
    (br"h\*llo", br"hello", false, false),
    (br"\", br"\", false, true),
    (br"a\", br"a\", false, true),
    (br"[", br"[", false, false),
    (br"[", br"a", false, false),
    (br"[^", br"a", false, true),
    (br"[^", br"", false, false),
    (br"[]", br"a", false, false),
    (br"[]", br"]", false, false),
    (br"[^]", br"a", false, true),
    (br"[^]", br"]", false, true),
    (br"[]]", br"]", false, false),
    (br"[abc", br"a", false, true),
    (br"[abc", br"ab", false, false),
    (br"[abc", br"d", false, false),
    (br"[a-]", br"a", false, true),
    (br"[a-]", br"-", false, false),
    (br"[a-]", br"^", false, true),
    (br"[a-]x", br"x", false, true),
    (br"[\]]", br"]", false, true),
    (br"[\]", br"]", false, true),
    (br"[\-]", br"-", false, true),
    (br"[\a-z]", br"-", false, true),
    (br"[\a-z]", br"m", false, false),
    (br"[\A]", br"a", true, false),
    (br"[A]", br"a", true, true),
    (br"[a-c]", br"B", true, true),
    (br"a*", br"a", false, true),
    (br"a*?", br"a", false, false),
    (br"a*b*", br"ab", false, true),
    (br"*a*a*a*b", br"aaaaaaab", false, true),
    (br"*a*a*a*b", br"aaaaaaa", false, false),
    (br"?", br"", false, false),
    (br"??", br"a", false, false),
    (br"*?", br"a", false, true),
    (br"*?*", br"a", false, true),
    (br"a[", br"a[", false, false),
    (br"a[b", br"ab", false, true),
    (br"*[", br"x[", false, false),
    (br"*\", br"x\", false, true),
    (br"\[a]", br"[a]", false, true),
    (br"[[]", br"[", false, true),
    (br"[^a-c]", br"d", false, true),
    (br"[^a-c]", br"b", false, false),
    (br"[!a]", br"b", false, false),
    (br"[!a]", br"!", false, true),
    (br"user:*:name", br"user:42:name", false, true),
    (br"user:*:name", br"user:42:nam", false, false),
    (br"*:*:*", br"a:b:c", false, true),
    (br"*:*:*", br"a:b", false, false),
    (br"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", br"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false),
];

#[test]
fn agrees_with_redis() {
    for &(pattern, subject, nocase, expected) in REDIS_CASES {
        assert_eq!(
            glob_match(pattern, subject, nocase),
            expected,
            "pattern {:?} subject {:?} nocase {nocase}",
            String::from_utf8_lossy(pattern),
            String::from_utf8_lossy(subject),
        );
    }
}

#[test]
fn bytes_not_chars() {
    assert!(glob_match(b"?", "é".as_bytes().get(..1).unwrap(), false));
    assert!(!glob_match(b"?", "é".as_bytes(), false));
    assert!(glob_match(b"??", "é".as_bytes(), false));
    assert!(glob_match(b"\x00*\xff", b"\x00abc\xff", false));
    assert!(glob_match(b"[\x80-\xff]", b"\x90", false));
    assert!(!glob_match(b"[\x80-\xff]", b"a", false));
    assert!(glob_match(b"[^\x00]", b"\x01", false));
    // Non-ASCII bytes are not case folded.
    assert!(!glob_match("É".as_bytes(), "é".as_bytes(), true));
}

#[test]
fn match_all_helper() {
    assert!(matches_everything(b"*"));
    assert!(!matches_everything(b"**"));
    assert!(!matches_everything(b"a*"));
}

#[test]
fn pathological_patterns_finish() {
    // Exponential matchers never finish these; ours is O(pattern x subject).
    let mut pattern = b"*a".repeat(30);
    pattern.push(b'b');
    let subject = vec![b'a'; 10_000];
    assert!(!glob_match(&pattern, &subject, false));
    assert!(!glob_match(&pattern, &subject, true));
    let pattern = b"*?".repeat(1000);
    assert!(!glob_match(&pattern, &subject[..999], false));
    assert!(glob_match(&pattern, &subject, false));
    let mut pattern = b"*[a-z]".repeat(50);
    pattern.extend_from_slice(b"[0-9]");
    assert!(!glob_match(&pattern, &subject, false));
}

/// Differential check against cases written by a harness around Redis's C function:
/// lines "hex(pattern) hex(subject) nocase expected". Run by hand with GLOB_CASES=path.
#[test]
#[ignore]
fn differential_against_redis_cases() {
    let Ok(path) = std::env::var("GLOB_CASES") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let unhex = |s: &str| -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    };
    let mut n = 0;
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (p, s, nocase, want) = (unhex(f[0]), unhex(f[1]), f[2] == "1", f[3] == "1");
        assert_eq!(glob_match(&p, &s, nocase), want, "{line}");
        n += 1;
    }
    println!("{n} cases agree");
}
