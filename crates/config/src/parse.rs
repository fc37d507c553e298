//! Splitting redis.conf text into lines and words, with Redis's rules.
//!
//! A line is trimmed of spaces, tabs and line ends; a line that is then empty or starts with
//! `#` is skipped (a `#` later on a line is an ordinary character, as in Redis). Words follow
//! Redis's `sdssplitargs`: they are separated by blanks; `"double quotes"` understand `\n`, `\r`,
//! `\t`, `\b`, `\a`, `\xHH` and `\<any>`; `'single quotes'` understand only `\'`; a closing quote
//! must be followed by a blank or the end of the line.

/// Why a line could not be split into words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// A quote was not closed, or a closing quote was followed by something other than a blank.
    Unbalanced,
    /// An escape produced bytes that are not UTF-8.
    NotUtf8,
}

impl SplitError {
    /// The problem in words, for error messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            SplitError::Unbalanced => "unbalanced quotes in configuration line",
            SplitError::NotUtf8 => "a quoted value is not valid UTF-8",
        }
    }
}

/// Splits one line into words as Redis's `sdssplitargs` does ([`redoubt_resp::split_words`]);
/// a config file is text, so every word must be UTF-8.
pub(crate) fn split_args(line: &str) -> Result<Vec<String>, SplitError> {
    let words = redoubt_resp::split_words(line.as_bytes()).ok_or(SplitError::Unbalanced)?;
    words.into_iter().map(|w| String::from_utf8(w).map_err(|_| SplitError::NotUtf8)).collect()
}

/// The meaningful lines of a config text: `(1-based line number, trimmed line)`, skipping
/// blank lines and `#` comments.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        split_args(s).unwrap()
    }

    #[test]
    fn words_and_blanks() {
        assert_eq!(split("  save 900   1\t"), ["save", "900", "1"]);
        assert!(split("   ").is_empty());
    }

    #[test]
    fn double_quotes_and_escapes() {
        assert_eq!(split(r#"save """#), ["save", ""]);
        assert_eq!(split(r#"a "b c" "\x41\n\t\"\\\q""#), ["a", "b c", "A\n\t\"\\q"]);
        assert_eq!(split(r#""\xZZ""#), ["xZZ"]);
        assert_eq!(split_args(r#""abc"def"#), Err(SplitError::Unbalanced));
        assert_eq!(split_args(r#""abc"#), Err(SplitError::Unbalanced));
        assert_eq!(split_args(r#""\xff""#), Err(SplitError::NotUtf8));
    }

    #[test]
    fn single_quotes() {
        assert_eq!(split(r"'it\'s' 'a\nb'"), ["it's", r"a\nb"]);
        assert_eq!(split_args("'open"), Err(SplitError::Unbalanced));
        assert_eq!(split_args("'x'y"), Err(SplitError::Unbalanced));
    }

    #[test]
    fn quotes_inside_a_word_start_a_quoted_part() {
        assert_eq!(split(r#"ab"c d""#), ["abc d"]);
    }

    #[test]
    fn comments_and_blank_lines() {
        let text = "# comment\n\n  port 1 \r\n\t# indented comment\nbind x # not a comment\n";
        let got: Vec<_> = lines(text).collect();
        assert_eq!(got, [(3, "port 1"), (5, "bind x # not a comment")]);
    }
}
