//! Inline requests: splitting a line into arguments like Redis's
//! `sdssplitargs`, and spotting HTTP sent to the server (cross-protocol attacks).

use bytes::Bytes;

use crate::error::ProtocolError;

/// C's `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// The value of a hexadecimal digit, if `b` is one.
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// HTTP methods whose request line (`GET / HTTP/1.1`) marks a cross-protocol attempt.
const HTTP_METHODS: [&[u8]; 8] = [b"GET", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"CONNECT", b"TRACE"];

/// Whether a first word is one Redis answers by closing the connection
/// (`POST`, `Host:`), case-insensitively.
fn is_http_header_word(word: &[u8]) -> bool {
    word.eq_ignore_ascii_case(b"post") || word.eq_ignore_ascii_case(b"host:")
}

/// Whether a raw inline line looks like HTTP: its first word is `POST` or
/// `Host:`, or it is an HTTP request line (a known method, at least three words,
/// the last starting with `HTTP/`). A legitimate `GET key` is not HTTP.
pub(crate) fn looks_like_http(line: &[u8]) -> bool {
    let mut words = line.split(|&b| is_space(b)).filter(|w| !w.is_empty());
    let Some(first) = words.next() else {
        return false;
    };
    if is_http_header_word(first) {
        return true;
    }
    if !HTTP_METHODS.iter().any(|m| first.eq_ignore_ascii_case(m)) {
        return false;
    }
    let mut count = 1usize;
    let mut last = first;
    for w in words {
        count += 1;
        last = w;
    }
    count >= 3 && last.len() >= 5 && last[..5].eq_ignore_ascii_case(b"HTTP/")
}

/// Whether split arguments name a command Redis treats as an attack (`POST`, `Host:`).
pub(crate) fn args_look_like_http(args: &[Bytes]) -> bool {
    args.first().is_some_and(|a| is_http_header_word(a))
}

/// Splits one inline request line (without its line end) into arguments, as
/// Redis's `sdssplitargs` does: words separated by blanks; `"double quotes"`
/// with `\n \r \t \b \a \\ \" \xHH` escapes; `'single quotes'` with `\'`; a
/// closing quote must be followed by a blank or the end of the line. Like the C
/// function, which reads a C string, the line ends at its first NUL byte.
///
/// Unquoted words are zero-copy slices of `line`.
pub(crate) fn split_args(line: &Bytes) -> Result<Vec<Bytes>, ProtocolError> {
    let s: &[u8] = match memchr::memchr(0, line) {
        Some(nul) => &line[..nul],
        None => line,
    };
    // Byte at `i`, or 0 past the end (the C string terminator).
    let at = |i: usize| -> u8 { s.get(i).copied().unwrap_or(0) };
    let mut args = Vec::new();
    let mut i = 0usize;
    loop {
        while i < s.len() && is_space(s[i]) {
            i += 1;
        }
        if i >= s.len() {
            return Ok(args);
        }
        let start = i;
        // Set once the word contains a quote and so can no longer be a slice.
        let mut owned: Option<Vec<u8>> = None;
        let mut in_double = false;
        let mut in_single = false;
        let end;
        loop {
            let c = at(i);
            if in_double {
                let word = owned.get_or_insert_with(Vec::new);
                if c == b'\\' && at(i + 1) == b'x' {
                    if let (Some(hi), Some(lo)) = (hex_value(at(i + 2)), hex_value(at(i + 3))) {
                        word.push(hi * 16 + lo);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && at(i + 1) != 0 {
                    word.push(match at(i + 1) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    let next = at(i + 1);
                    if next != 0 && !is_space(next) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    i += 1;
                    end = i;
                    break;
                } else if c == 0 {
                    return Err(ProtocolError::UnbalancedQuotes);
                } else {
                    word.push(c);
                    i += 1;
                }
            } else if in_single {
                let word = owned.get_or_insert_with(Vec::new);
                if c == b'\\' && at(i + 1) == b'\'' {
                    word.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    let next = at(i + 1);
                    if next != 0 && !is_space(next) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    i += 1;
                    end = i;
                    break;
                } else if c == 0 {
                    return Err(ProtocolError::UnbalancedQuotes);
                } else {
                    word.push(c);
                    i += 1;
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        end = i;
                        break;
                    }
                    b'"' | b'\'' => {
                        if owned.is_none() {
                            owned = Some(s[start..i].to_vec());
                        }
                        in_double = c == b'"';
                        in_single = c == b'\'';
                    }
                    _ => {
                        if let Some(word) = owned.as_mut() {
                            word.push(c);
                        }
                    }
                }
                i += 1;
            }
        }
        args.push(match owned {
            Some(word) => Bytes::from(word),
            None => line.slice(start..end),
        });
    }
}

/// Splits a line into words by the same rules as inline requests ([`split_args`], Redis's
/// `sdssplitargs`), for the other line formats Redis reads with it: config files, ACL rules
/// and files, the AOF manifest. `None` when a quote is not closed, or a closing quote is not
/// followed by a blank.
pub fn split_words(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let words = split_args(&Bytes::copy_from_slice(line)).ok()?;
    Some(words.into_iter().map(|w| w.to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, ProtocolError> {
        split_bytes(line.as_bytes()).map(|v| v.into_iter().map(|a| String::from_utf8_lossy(&a).into_owned()).collect())
    }

    fn split_bytes(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
        split_args(&Bytes::copy_from_slice(line)).map(|v| v.into_iter().map(|a| a.to_vec()).collect())
    }

    #[test]
    fn plain_words() {
        assert_eq!(split("SET key value").unwrap(), ["SET", "key", "value"]);
        assert_eq!(split("  a \t b  ").unwrap(), ["a", "b"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split(" \t ").unwrap(), Vec::<String>::new());
        // \v and \f are skipped between words but belong to a word.
        assert_eq!(split("\x0ba\x0bb").unwrap(), ["a\x0bb"]);
    }

    #[test]
    fn double_quotes_and_escapes() {
        assert_eq!(split(r#"set "a b" c"#).unwrap(), ["set", "a b", "c"]);
        assert_eq!(split(r#""""#).unwrap(), [""]);
        assert_eq!(split(r#""\n\r\t\\\"""#).unwrap(), ["\n\r\t\\\""]);
        assert_eq!(split_bytes(br#""\b\a\q""#).unwrap(), [b"\x08\x07q".to_vec()]);
        assert_eq!(split_bytes(br#""\x41\xff\x4""#).unwrap(), [b"A\xffx4".to_vec()]);
        assert_eq!(split(r#""\xZZ""#).unwrap(), ["xZZ"]);
        // A quote in the middle of a word opens a quoted part of the same word.
        assert_eq!(split(r#"ab"c d""#).unwrap(), ["abc d"]);
    }

    #[test]
    fn single_quotes() {
        assert_eq!(split(r"'a b' 'it\'s' '\n'").unwrap(), ["a b", "it's", "\\n"]);
        assert_eq!(split("''").unwrap(), [""]);
    }

    #[test]
    fn unbalanced_quotes() {
        for bad in [r#""abc"#, r#""abc"d"#, "'abc", "'abc'd", r#""a\"#, r#"a "b"c"#, "'"] {
            assert_eq!(split(bad), Err(ProtocolError::UnbalancedQuotes), "{bad}");
        }
        // A closing quote may be followed by any blank, including \v.
        assert_eq!(split("\"a\"\x0bb").unwrap(), ["a", "b"]);
    }

    #[test]
    fn nul_ends_the_line() {
        assert_eq!(split_bytes(b"get a\0b c").unwrap(), [b"get".to_vec(), b"a".to_vec()]);
        assert_eq!(split_bytes(b"get \"a\0b\""), Err(ProtocolError::UnbalancedQuotes));
    }

    #[test]
    fn http_detection() {
        assert!(looks_like_http(b"POST / HTTP/1.1"));
        assert!(looks_like_http(b"post /x"));
        assert!(looks_like_http(b"Host: example.com"));
        assert!(looks_like_http(b"HOST: example.com"));
        assert!(looks_like_http(b"GET / HTTP/1.1"));
        assert!(looks_like_http(b"get /index.html http/1.0"));
        assert!(looks_like_http(b"OPTIONS * HTTP/1.1"));
        assert!(looks_like_http(b"CONNECT host:443 HTTP/1.1"));
        assert!(!looks_like_http(b"GET key"));
        assert!(!looks_like_http(b"GET HTTP/1.1"));
        assert!(!looks_like_http(b"SET k HTTP/1.1"));
        assert!(!looks_like_http(b"PING"));
        assert!(!looks_like_http(b""));
        assert!(!looks_like_http(b"hostname x"));
    }
}
