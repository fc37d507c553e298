//! How SORT turns a weight (an element, or the value a BY pattern found) into a double:
//! Redis calls C's `strtod` on the string and accepts the result only when the whole
//! string was consumed, there was no range error (`ERANGE`: overflow to infinity, or
//! underflow to zero or a subnormal) and the result is not NaN.
//!
//! `strtod` is more liberal than Redis's usual float parser, and SORT inherits that:
//! leading whitespace, a `+` sign, `inf`/`infinity`, hexadecimal floats (`0x1.8p3`) and a
//! bare `1.` are all numbers here; the empty string is 0 (no conversion, but nothing left
//! over either); the string is read as a C string, so it ends at its first NUL byte.

/// The weight of `s` as Redis's SORT computes it, `None` when Redis reports
/// "One or more scores can't be converted into double".
pub(super) fn parse_weight(s: &[u8]) -> Option<f64> {
    let s = match s.iter().position(|&c| c == 0) {
        Some(nul) => &s[..nul],
        None => s,
    };
    match strtod(s) {
        // No conversion: strtod's end pointer is the start, accepted only if that is the end.
        None => s.is_empty().then_some(0.0),
        Some(Conversion { value, consumed, range_error }) => {
            (consumed == s.len() && !range_error && !value.is_nan()).then_some(value)
        }
    }
}

/// What `strtod` made of a prefix of its input.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Conversion {
    value: f64,
    /// Bytes consumed, leading whitespace included.
    consumed: usize,
    /// `errno` would be `ERANGE`.
    range_error: bool,
}

/// C's `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `strtod` on `s` (which holds no NUL): `None` when no conversion could be performed.
fn strtod(s: &[u8]) -> Option<Conversion> {
    let mut i = s.iter().take_while(|&&c| is_c_space(c)).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let rest = &s[i..];
    let sign = if negative { -1.0 } else { 1.0 };
    let starts_with = |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    if starts_with(b"infinity") {
        return Some(Conversion { value: sign * f64::INFINITY, consumed: i + 8, range_error: false });
    }
    if starts_with(b"inf") {
        return Some(Conversion { value: sign * f64::INFINITY, consumed: i + 3, range_error: false });
    }
    if starts_with(b"nan") {
        // NaN is refused whatever follows it, so where it ends does not matter.
        return Some(Conversion { value: f64::NAN, consumed: i + 3, range_error: false });
    }
    let (magnitude, len, range_error) = if rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        match hex_float(&rest[2..]) {
            Some((v, n, range)) => (v, n + 2, range),
            // "0x" with no hex digit: strtod reads the "0" alone.
            None => (0.0, 1, false),
        }
    } else {
        decimal_float(rest)?
    };
    Some(Conversion { value: sign * magnitude, consumed: i + len, range_error })
}

/// Length of the run of bytes at the start of `s` that satisfy `pred`.
fn run(s: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    s.iter().take_while(|&&c| pred(c)).count()
}

/// An unsigned decimal float at the start of `s`: (value, bytes consumed, range error).
fn decimal_float(s: &[u8]) -> Option<(f64, usize, bool)> {
    let int_digits = run(s, |c| c.is_ascii_digit());
    let mut len = int_digits;
    let mut frac_digits = 0;
    if s.get(len) == Some(&b'.') {
        frac_digits = run(&s[len + 1..], |c| c.is_ascii_digit());
        if int_digits + frac_digits > 0 {
            len += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    let mantissa_len = len;
    // An exponent counts only when at least one digit follows the marker and its sign.
    if matches!(s.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(s.get(len + 1), Some(b'+' | b'-')));
        let exp_digits = run(s.get(len + 1 + sign..).unwrap_or(&[]), |c| c.is_ascii_digit());
        if exp_digits > 0 {
            len += 1 + sign + exp_digits;
        }
    }
    // The token is ASCII digits, '.', 'e' and a sign: Rust's parser accepts all of it
    // ("1.", ".5" included) and rounds correctly, as glibc does.
    let text = std::str::from_utf8(&s[..len]).ok()?;
    let value: f64 = text.parse().ok()?;
    let nonzero_mantissa = s[..mantissa_len].iter().any(|&c| (b'1'..=b'9').contains(&c));
    let range_error = value.is_infinite() || (value == 0.0 && nonzero_mantissa) || is_subnormal(value);
    Some((value, len, range_error))
}

/// A hexadecimal float after its `0x`: hex digits with an optional point, then an optional
/// binary exponent `p[+-]digits`. `None` if there is no hex digit.
fn hex_float(s: &[u8]) -> Option<(f64, usize, bool)> {
    let int_digits = run(s, |c| c.is_ascii_hexdigit());
    let mut len = int_digits;
    let mut frac_digits = 0;
    if s.get(len) == Some(&b'.') {
        frac_digits = run(&s[len + 1..], |c| c.is_ascii_hexdigit());
        if int_digits + frac_digits > 0 {
            len += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    // The first 15 significant hex digits (60 bits) carry more than a double's precision;
    // later ones only move the binary exponent.
    let mut mantissa: u64 = 0;
    let mut exponent: i64 = 0;
    let mut significant = 0;
    let mut nonzero = false;
    let digits = s[..int_digits]
        .iter()
        .map(|&c| (c, false))
        .chain(s.get(int_digits + 1..int_digits + 1 + frac_digits).unwrap_or(&[]).iter().map(|&c| (c, true)));
    for (c, fractional) in digits {
        let d = (c as char).to_digit(16).unwrap_or(0) as u64;
        nonzero |= d != 0;
        if mantissa == 0 && d == 0 {
            if fractional {
                exponent -= 4;
            }
            continue;
        }
        if significant < 15 {
            mantissa = mantissa << 4 | d;
            significant += 1;
            if fractional {
                exponent -= 4;
            }
        } else if !fractional {
            exponent += 4;
        }
    }
    if matches!(s.get(len), Some(b'p' | b'P')) {
        let sign_len = usize::from(matches!(s.get(len + 1), Some(b'+' | b'-')));
        let negative = s.get(len + 1) == Some(&b'-');
        let exp_digits = run(s.get(len + 1 + sign_len..).unwrap_or(&[]), |c| c.is_ascii_digit());
        if exp_digits > 0 {
            let start = len + 1 + sign_len;
            let mut e: i64 = 0;
            for &c in &s[start..start + exp_digits] {
                // Anything past a few thousand is already beyond every double.
                e = (e * 10 + i64::from(c - b'0')).min(1 << 20);
            }
            exponent += if negative { -e } else { e };
            len = start + exp_digits;
        }
    }
    let value = scale_by_power_of_two(mantissa as f64, exponent);
    let range_error = value.is_infinite() || (value == 0.0 && nonzero) || is_subnormal(value);
    Some((value, len, range_error))
}

/// `x * 2^e` without overflowing the intermediate power.
fn scale_by_power_of_two(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 && x.is_finite() && x != 0.0 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 && x != 0.0 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e.clamp(-2000, 2000) as i32)
}

fn is_subnormal(v: f64) -> bool {
    v != 0.0 && v.is_finite() && v.abs() < f64::MIN_POSITIVE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_as_strtod_with_redis_checks() {
        for (text, want) in [
            (&b"1"[..], 1.0),
            (b"-2.5", -2.5),
            (b"+3", 3.0),
            (b"  7", 7.0),
            (b"1.", 1.0),
            (b".5", 0.5),
            (b"1e3", 1000.0),
            (b"1E-2", 0.01),
            (b"inf", f64::INFINITY),
            (b"-Infinity", f64::NEG_INFINITY),
            (b"0x10", 16.0),
            (b"0x1.8p1", 3.0),
            (b"", 0.0),
            (b"12\0junk", 12.0),
            (b"0e999999", 0.0),
        ] {
            assert_eq!(parse_weight(text), Some(want), "{:?}", String::from_utf8_lossy(text));
        }
        for bad in [
            &b"abc"[..],
            b"1 ",
            b" ",
            b"1e",
            b"1e+",
            b".",
            b"-",
            b"nan",
            b"1x",
            b"0x",
            b"not-a-double",
            b"1e400",
            b"-1e400",
            b"1e-400",
            b"1e-310",
            b"0x1p99999",
        ] {
            assert_eq!(parse_weight(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn integers_convert_exactly() {
        for v in [0i64, 1, -1, 123456789, i64::MAX, i64::MIN, 9007199254740993] {
            assert_eq!(parse_weight(v.to_string().as_bytes()), Some(v as f64));
        }
    }
}
