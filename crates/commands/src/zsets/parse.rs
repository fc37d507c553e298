//! Argument parsing for the sorted-set commands, as t_zset.c parses: scores (C's `strtod`
//! with Redis's checks), score ranges (`(` for exclusive ends, `-inf`/`+inf`) and lex
//! ranges (`[`, `(`, `-`, `+`).

use crate::context::CmdError;
use redoubt_store::zset::{LexBound, LexRange, ScoreRange};

/// `ERR min or max is not a float`.
pub(crate) const RANGE_NOT_FLOAT: CmdError = CmdError::raw("ERR min or max is not a float");

/// `ERR min or max not valid string range item`.
pub(crate) const LEX_NOT_VALID: CmdError = CmdError::raw("ERR min or max not valid string range item");

/// C's `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A hexadecimal float as `strtod` reads it (`0x1.8p3`), without its sign.
fn parse_hex(digits: &str) -> Option<f64> {
    let (mantissa, exponent) = match digits.find(['p', 'P']) {
        Some(i) => (&digits[..i], Some(&digits[i + 1..])),
        None => (digits, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    if let Some(e) = exponent {
        let (neg, e) = match e.as_bytes().first() {
            Some(b'-') => (true, &e[1..]),
            Some(b'+') => (false, &e[1..]),
            _ => (false, e),
        };
        if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Exponents past a few thousand saturate to 0 or infinity anyway.
        let n: i32 = e.get(..e.len().min(6)).and_then(|s| s.parse().ok())?;
        let n = if e.len() > 6 { 100_000 } else { n };
        value *= 2f64.powi(if neg { -n } else { n });
    }
    Some(value)
}

/// The whole of `text` (no leading space) as `strtod` would read it, or `None` if `strtod`
/// would stop early. Also says whether the text had a non-zero digit (to detect underflow).
fn strtod_all(text: &str) -> Option<(f64, bool)> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let value = if let Some(hex) = lower.strip_prefix("0x") {
        let v = parse_hex(hex)?;
        let nonzero = hex.split(['p']).next().is_some_and(|m| m.bytes().any(|b| b.is_ascii_hexdigit() && b != b'0'));
        return Some((if neg { -v } else { v }, nonzero));
    } else if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if lower == "nan" {
        f64::NAN
    } else {
        // Digits, an optional point, an optional exponent: nothing Rust's parser accepts
        // beyond what strtod does once the words above are handled.
        let allowed = lower.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'));
        if !allowed || lower.starts_with(['+', '-']) {
            return None;
        }
        lower.parse::<f64>().ok()?
    };
    let mantissa = lower.split('e').next().unwrap_or("");
    let nonzero = mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
    Some((if neg { -value } else { value }, nonzero))
}

/// The common case of a score, an optional `-` and at most 15 decimal digits, read without
/// the general parser's allocations. Every such integer is exact in an `f64`, so this is
/// what `strtod` gives (`-0` included, as `-0.0`).
fn small_integer(arg: &[u8]) -> Option<f64> {
    let (neg, digits) = match arg.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, arg),
    };
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    // At most 15 digits: below 2^53, so the conversion is exact.
    let v = n as f64;
    Some(if neg { -v } else { v })
}

/// A score argument, as Redis's `getDoubleFromObject`: the whole string must be a number,
/// with no leading space, not NaN, not overflowing to infinity nor underflowing to zero.
pub(crate) fn parse_score(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || arg.len() > 5120 || is_c_space(arg[0]) {
        return None;
    }
    if let Some(v) = small_integer(arg) {
        return Some(v);
    }
    let text = std::str::from_utf8(arg).ok()?;
    let (v, nonzero) = strtod_all(text)?;
    let lower = text.to_ascii_lowercase();
    if v.is_nan() || (v.is_infinite() && !lower.contains("inf")) || (v == 0.0 && nonzero) {
        return None;
    }
    Some(v)
}

/// A score argument, with `msg` as the error.
pub(crate) fn score_arg(arg: &[u8], msg: CmdError) -> Result<f64, CmdError> {
    parse_score(arg).ok_or(msg)
}

/// One end of a score range as `zslParseRange` reads it: plain `strtod` (leading space
/// allowed, an empty string is 0), not NaN.
fn range_end(arg: &[u8]) -> Option<(f64, bool)> {
    let (exclusive, body) = match arg.first() {
        Some(b'(') => (true, &arg[1..]),
        _ => (false, arg),
    };
    if body.len() > 5120 {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let trimmed = text.trim_start_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    let v = if text.is_empty() {
        0.0
    } else if trimmed.is_empty() {
        return None;
    } else {
        strtod_all(trimmed)?.0
    };
    (!v.is_nan()).then_some((v, exclusive))
}

/// A score range from its `min` and `max` arguments.
pub(crate) fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let (min, min_exclusive) = range_end(min).ok_or(RANGE_NOT_FLOAT)?;
    let (max, max_exclusive) = range_end(max).ok_or(RANGE_NOT_FLOAT)?;
    Ok(ScoreRange { min, min_exclusive, max, max_exclusive })
}

/// One end of a lex range (`zslParseLexRangeItem`).
fn lex_end(arg: &[u8]) -> Option<LexBound> {
    match arg {
        [b'+'] => Some(LexBound::Max),
        [b'-'] => Some(LexBound::Min),
        [b'(', rest @ ..] => Some(LexBound::Exclusive(rest.to_vec())),
        [b'[', rest @ ..] => Some(LexBound::Inclusive(rest.to_vec())),
        _ => None,
    }
}

/// A lex range from its `min` and `max` arguments.
pub(crate) fn lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, CmdError> {
    Ok(LexRange { min: lex_end(min).ok_or(LEX_NOT_VALID)?, max: lex_end(max).ok_or(LEX_NOT_VALID)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_scores_read_as_the_general_parser_reads_them() {
        for text in
            ["0", "-0", "7", "000000012345", "-99999", "999999999999999", "-123456789012345", "9007199254740993"]
        {
            let general = strtod_all(text).map(|(v, _)| v).unwrap();
            let got = parse_score(text.as_bytes()).unwrap();
            assert_eq!(got.to_bits(), general.to_bits(), "{text}");
        }
        assert!(parse_score(b"-0").unwrap().is_sign_negative());
        assert_eq!(small_integer(b"1234567890123456"), None, "16 digits go to the general parser");
        for bad in [&b"-"[..], b"1-", b"12a", b"+-1"] {
            assert_eq!(parse_score(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn scores_parse_as_redis_does() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"1e3"), Some(1000.0));
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"-0x1.8p1"), Some(-3.0));
        assert_eq!(parse_score(b".5"), Some(0.5));
        assert_eq!(parse_score(b"0"), Some(0.0));
        assert_eq!(parse_score(b"0e10"), Some(0.0));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"NaN",
            b"abc",
            b"1e999",
            b"1e-999",
            b"30.badscore",
            b"1e",
            b"0x",
            b"--1",
            b"+-1",
        ] {
            assert_eq!(parse_score(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        let dblmax = "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.00000000000000000";
        assert_eq!(parse_score(dblmax.as_bytes()), Some(f64::MAX));
    }

    #[test]
    fn ranges_parse_as_redis_does() {
        let r = score_range(b"(1", b"+inf").unwrap();
        assert_eq!((r.min, r.min_exclusive, r.max, r.max_exclusive), (1.0, true, f64::INFINITY, false));
        let r = score_range(b"", b"(").unwrap();
        assert_eq!((r.min, r.min_exclusive, r.max, r.max_exclusive), (0.0, false, 0.0, true));
        assert!(score_range(b" 5", b"1e999").is_ok());
        assert_eq!(score_range(b"str", b"1"), Err(RANGE_NOT_FLOAT));
        assert_eq!(score_range(b"1", b"NaN"), Err(RANGE_NOT_FLOAT));
        assert_eq!(score_range(b"1", b" "), Err(RANGE_NOT_FLOAT));
        assert!(lex_range(b"-", b"+").is_ok());
        assert!(lex_range(b"[a", b"(b").is_ok());
        for (a, b) in [(&b"foo"[..], &b"bar"[..]), (b"[foo", b"bar"), (b"+x", b"[bar"), (b"-x", b"[bar"), (b"", b"+")] {
            assert_eq!(lex_range(a, b), Err(LEX_NOT_VALID));
        }
    }
}
