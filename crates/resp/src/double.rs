//! Formatting doubles as C's `printf("%.17g")`, as Redis 7.0 does.
//!
//! Rust's `{:e}` formatting is exact (correctly rounded), like glibc's
//! `printf`, so the significant digits come from it and only the layout of
//! `%g` (fixed or exponent notation, trailing zeros removed) is done here.

use std::fmt::{self, Write};

/// C's `printf("%.17g")` of a double, as Redis 7.0 formats doubles in replies:
/// `1`, `0.10000000000000001`, `1.0000000000000001e+20`, `-0`; infinities are
/// `inf` and `-inf`, and NaN is `nan`.
pub fn format_double(d: f64) -> String {
    format_double_g(d, 17)
}

/// C's `printf("%.{precision}g")` of a double (a precision of 0 counts as 1);
/// infinities are `inf`/`-inf` and NaN is `nan`.
pub fn format_double_g(d: f64, precision: usize) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_g(&mut out, d, precision);
    out
}

/// Writes `d` as `%.{precision}g` to `out`.
pub(crate) fn write_g<W: Write>(out: &mut W, d: f64, precision: usize) -> fmt::Result {
    if d.is_nan() {
        return out.write_str("nan");
    }
    if d.is_infinite() {
        return out.write_str(if d > 0.0 { "inf" } else { "-inf" });
    }
    let precision = precision.max(1);
    // Fast path: an integer with at most `precision` digits prints as itself.
    if d == d.trunc() && d.abs() < POWERS_OF_TEN[precision.min(17)] {
        if d == 0.0 && d.is_sign_negative() {
            return out.write_str("-0");
        }
        let mut digits = itoa::Buffer::new();
        // Exact: |d| < 1e17 < 2^63 and d is an integer.
        return out.write_str(digits.format(d as i64));
    }
    // "-d.ddddde-x": the sign, `precision` significant digits, the exponent.
    let mut sci = StackStr::<48>::new();
    let mut heap = String::new();
    let text: &str = if precision <= 24 {
        write!(sci, "{:.*e}", precision - 1, d)?;
        sci.as_str()
    } else {
        write!(heap, "{:.*e}", precision - 1, d)?;
        &heap
    };
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = text.split_once('e').ok_or(fmt::Error)?;
    let exponent: i64 = exponent.parse().map_err(|_| fmt::Error)?;
    // Significant digits, without the decimal point.
    let (int_digit, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if negative {
        out.write_char('-')?;
    }
    let precision = i64::try_from(precision).unwrap_or(i64::MAX);
    if exponent < -4 || exponent >= precision {
        // Exponent notation: d.ddd (trailing zeros removed) e+XX (at least two digits).
        out.write_str(int_digit)?;
        let frac = frac_digits.trim_end_matches('0');
        if !frac.is_empty() {
            out.write_char('.')?;
            out.write_str(frac)?;
        }
        out.write_char('e')?;
        out.write_char(if exponent < 0 { '-' } else { '+' })?;
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.write_char('0')?;
        }
        write!(out, "{magnitude}")
    } else if exponent < 0 {
        // 0.000ddd: fixed notation with the digits shifted right.
        out.write_str("0.")?;
        for _ in 0..(-exponent - 1) {
            out.write_char('0')?;
        }
        let digits = frac_digits.trim_end_matches('0');
        out.write_str(int_digit)?;
        out.write_str(digits)
    } else {
        // ddd.ddd: the first exponent+1 digits form the integer part (all
        // present, since exponent < precision).
        let split = usize::try_from(exponent).map_err(|_| fmt::Error)?;
        let (int_rest, frac) = frac_digits.split_at(split.min(frac_digits.len()));
        out.write_str(int_digit)?;
        out.write_str(int_rest)?;
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            out.write_char('.')?;
            out.write_str(frac)?;
        }
        Ok(())
    }
}

/// 10^0 ..= 10^17, all exact in an f64.
const POWERS_OF_TEN: [f64; 18] =
    [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17];

/// A fixed-capacity string on the stack, so replies format doubles without allocating.
pub(crate) struct StackStr<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    /// An empty string.
    pub(crate) fn new() -> Self {
        StackStr { bytes: [0; N], len: 0 }
    }

    /// The text written so far.
    pub(crate) fn as_str(&self) -> &str {
        // Only whole `&str`s are ever appended, so this cannot fail.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dest = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        dest.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_printf_17g() {
        // Expected values are glibc's printf("%.17g").
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.10000000000000001"),
            (1.0 / 3.0, "0.33333333333333331"),
            (100.0, "100"),
            (123456789.0, "123456789"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (1.5e17, "1.5e+17"),
            (1e20 + 16384.0, "1.0000000000000002e+20"),
            (1e-4, "0.0001"),
            (1.5e-5, "1.5e-05"),
            (1e-5, "1.0000000000000001e-05"),
            (4.35, "4.3499999999999996"),
            (1e300, "1.0000000000000001e+300"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (12345.678, "12345.678"),
            (0.5, "0.5"),
            (99999999999999999.0, "1e+17"),
            (99999999999999984.0, "99999999999999984"),
            (-123.0, "-123"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(d, want) in cases {
            assert_eq!(format_double(d), want, "{d:e}");
        }
    }

    #[test]
    fn other_precisions() {
        assert_eq!(format_double_g(0.1, 0), "0.1");
        assert_eq!(format_double_g(123456.0, 1), "1e+05");
        assert_eq!(format_double_g(123456.0, 6), "123456");
        assert_eq!(format_double_g(1234567.0, 6), "1.23457e+06");
        assert_eq!(format_double_g(0.000123456, 3), "0.000123");
        assert_eq!(format_double_g(9.9999, 2), "10");
        assert_eq!(format_double_g(9.0, 1), "9");
        assert_eq!(format_double_g(10.0, 1), "1e+01");
        assert_eq!(format_double_g(-99.0, 2), "-99");
        assert_eq!(format_double_g(100.0, 2), "1e+02");
        assert_eq!(format_double_g(-0.0, 1), "-0");
        assert_eq!(format_double_g(0.1, 30), "0.100000000000000005551115123126");
    }

    #[test]
    fn round_trips() {
        for d in [0.1, 1.0 / 3.0, 1e-310, 6.02214076e23, -2.5e-8, 1e22, 123.456] {
            assert_eq!(format_double(d).parse::<f64>().unwrap(), d);
        }
    }
}
