//! INCRBYFLOAT's arithmetic, as Redis does it on x86-64: C `long double` (the x87 80-bit
//! format: a 64-bit mantissa and a 15-bit exponent), parsed by `strtold`, added with
//! round-to-nearest-even and printed with `"%.17Lf"` minus trailing zeros.
//!
//! Doing it in `f64` would answer `0.30000000000000004` to `INCRBYFLOAT k 0.2` on `0.1`,
//! where Redis answers `0.3`; so this module implements exactly the subset of extended
//! precision INCRBYFLOAT needs, in software, with a small big-integer type for the exact
//! intermediate values. Every step rounds correctly, as glibc does, so results agree with
//! Redis digit for digit. Work is bounded by the input length (at most 5119 bytes, as Redis's
//! `MAX_LONG_DOUBLE_CHARS`) and by the format's exponent range.

use std::cmp::Ordering;

/// Inputs of this many bytes or more are refused, as Redis's `string2ld` refuses them.
pub(crate) const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// Exponent of the least significant mantissa bit of the smallest subnormal (2^-16445).
const MIN_EXP: i64 = -16445;
/// Largest exponent of the least significant mantissa bit of a finite value
/// (the largest finite value is (2^64 - 1) * 2^16320).
const MAX_EXP: i64 = 16320;

/// A finite extended-precision value: `(-1)^neg * mant * 2^exp`. Normal values have the top
/// bit of `mant` set; subnormals have `exp == MIN_EXP`; zero has `mant == 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LongDouble {
    neg: bool,
    mant: u64,
    exp: i64,
}

/// What `strtold` makes of a string that Redis accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A finite number.
    Finite(LongDouble),
    /// `inf`, `-infinity` and the like: accepted by Redis's parser, refused by INCRBYFLOAT's
    /// NaN-or-Infinity check.
    Infinite,
}

impl LongDouble {
    /// The exact value of an integer (64 mantissa bits hold every `i64`).
    pub(crate) fn from_i64(v: i64) -> LongDouble {
        let mag = v.unsigned_abs();
        if mag == 0 {
            return LongDouble { neg: false, mant: 0, exp: 0 };
        }
        let shift = mag.leading_zeros();
        LongDouble { neg: v < 0, mant: mag << shift, exp: -i64::from(shift) }
    }

    /// The correctly rounded sum, or `None` when it overflows to infinity.
    pub(crate) fn add(self, other: LongDouble) -> Option<LongDouble> {
        if other.mant == 0 {
            return Some(self);
        }
        if self.mant == 0 {
            return Some(other);
        }
        let base = self.exp.min(other.exp);
        let mut a = Big::from_u128(u128::from(self.mant));
        a.shl(usize::try_from(self.exp - base).ok()?);
        let mut b = Big::from_u128(u128::from(other.mant));
        b.shl(usize::try_from(other.exp - base).ok()?);
        let (neg, sum) = if self.neg == other.neg {
            a.add(&b);
            (self.neg, a)
        } else {
            match a.cmp(&b) {
                Ordering::Equal => return Some(LongDouble { neg: false, mant: 0, exp: 0 }),
                Ordering::Greater => {
                    a.sub(&b);
                    (self.neg, a)
                }
                Ordering::Less => {
                    b.sub(&a);
                    (other.neg, b)
                }
            }
        };
        match round(neg, &sum, &Big::from_u128(1), base) {
            Rounded::Finite(v) => Some(v),
            Rounded::Overflow | Rounded::Underflow => None,
        }
    }

    /// `printf("%.17Lf")` with trailing zeros (and a bare point) removed and "-0" made "0":
    /// Redis's `ld2string(..., LD_STR_HUMAN)`.
    pub(crate) fn to_human_string(self) -> String {
        const SCALE: u128 = 100_000_000_000_000_000; // 10^17
        let (int_digits, frac): (String, u128) = if self.exp >= 0 {
            let mut n = Big::from_u128(u128::from(self.mant));
            n.shl(self.exp as usize);
            (n.to_decimal(), 0)
        } else {
            let k = (-self.exp) as u32;
            let (int_part, frac_bits) = if k < 64 {
                (self.mant >> k, u128::from(self.mant & ((1u64 << k) - 1)))
            } else {
                (0, u128::from(self.mant))
            };
            // frac_bits / 2^k, to 17 decimals, rounded half to even as glibc rounds.
            let scaled = frac_bits * SCALE; // < 2^64 * 2^57
            let mut q = if k >= 122 { 0 } else { scaled >> k };
            if k < 122 {
                let rem = scaled & ((1u128 << k) - 1);
                let half = 1u128 << (k - 1);
                if rem > half || (rem == half && q & 1 == 1) {
                    q += 1;
                }
            }
            let mut int_part = u128::from(int_part);
            if q >= SCALE {
                q -= SCALE;
                int_part += 1;
            }
            (int_part.to_string(), q)
        };
        let mut out = String::with_capacity(int_digits.len() + 19);
        if self.neg {
            out.push('-');
        }
        out.push_str(&int_digits);
        let frac = format!("{frac:017}");
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        if out == "-0" {
            out.remove(0);
        }
        out
    }
}

/// Parses bytes as Redis's `string2ld` does (`strtold` on the whole input, no leading space,
/// no NaN, no overflow to infinity, no underflow to zero). Accepts decimal and hexadecimal
/// forms and `inf`/`infinity`, with an optional sign. `None` when Redis would refuse it.
pub(crate) fn parse(s: &[u8]) -> Option<Parsed> {
    if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(Parsed::Infinite);
    }
    if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        return parse_hex(neg, &body[2..]);
    }
    parse_decimal(neg, body)
}

/// Splits `digits [. digits] [marker [sign] digits]`; the mantissa must have a digit.
/// Returns (integer digits, fraction digits, exponent), the exponent saturated.
fn split_number(s: &[u8], is_digit: fn(u8) -> bool, marker: u8) -> Option<(&[u8], &[u8], i64)> {
    let int_len = s.iter().take_while(|&&c| is_digit(c)).count();
    let (int_digits, mut rest) = s.split_at(int_len);
    let mut frac_digits: &[u8] = &[];
    if let Some((b'.', after)) = rest.split_first() {
        let n = after.iter().take_while(|&&c| is_digit(c)).count();
        frac_digits = &after[..n];
        rest = &after[n..];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let mut exp: i64 = 0;
    if let Some((&m, after)) = rest.split_first() {
        if m | 0x20 != marker {
            return None;
        }
        let (eneg, digits) = match after.first() {
            Some(b'-') => (true, &after[1..]),
            Some(b'+') => (false, &after[1..]),
            _ => (false, after),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for &d in digits {
            exp = (exp * 10 + i64::from(d - b'0')).min(1_000_000_000);
        }
        if eneg {
            exp = -exp;
        }
    }
    Some((int_digits, frac_digits, exp))
}

fn parse_decimal(neg: bool, s: &[u8]) -> Option<Parsed> {
    let (int_digits, frac_digits, exp) = split_number(s, |c| c.is_ascii_digit(), b'e')?;
    let mut d = Big::zero();
    let mut ndigits: i64 = 0;
    for &c in int_digits.iter().chain(frac_digits) {
        if ndigits == 0 && c == b'0' {
            continue;
        }
        d.mul_add_small(10, u32::from(c - b'0'));
        ndigits += 1;
    }
    if d.is_zero() {
        return Some(Parsed::Finite(LongDouble { neg, mant: 0, exp: 0 }));
    }
    // value = d * 10^e10, and 10^(magnitude-1) <= value < 10^magnitude.
    let e10 = exp - frac_digits.len() as i64;
    let magnitude = ndigits + e10;
    if magnitude > 4934 {
        return None; // overflows to infinity: ERANGE
    }
    if magnitude < -4952 {
        return None; // underflows to zero: ERANGE
    }
    let rounded = if e10 >= 0 {
        d.mul_pow10(e10 as u32);
        round(neg, &d, &Big::from_u128(1), 0)
    } else {
        let mut den = Big::from_u128(1);
        den.mul_pow10((-e10) as u32);
        round(neg, &d, &den, 0)
    };
    match rounded {
        Rounded::Finite(v) => Some(Parsed::Finite(v)),
        Rounded::Overflow | Rounded::Underflow => None,
    }
}

fn parse_hex(neg: bool, s: &[u8]) -> Option<Parsed> {
    let (int_digits, frac_digits, exp) = split_number(s, |c| c.is_ascii_hexdigit(), b'p')?;
    let mut h = Big::zero();
    for &c in int_digits.iter().chain(frac_digits) {
        let v = (c as char).to_digit(16)?;
        if h.is_zero() && v == 0 {
            continue;
        }
        h.mul_add_small(16, v);
    }
    if h.is_zero() {
        return Some(Parsed::Finite(LongDouble { neg, mant: 0, exp: 0 }));
    }
    let exp2 = exp - 4 * frac_digits.len() as i64;
    match round(neg, &h, &Big::from_u128(1), exp2) {
        Rounded::Finite(v) => Some(Parsed::Finite(v)),
        Rounded::Overflow | Rounded::Underflow => None,
    }
}

enum Rounded {
    Finite(LongDouble),
    Overflow,
    Underflow,
}

/// Rounds `num / den * 2^exp2` (num > 0) to the nearest long double, ties to even.
fn round(neg: bool, num: &Big, den: &Big, exp2: i64) -> Rounded {
    // Scale so that the integer quotient q has 67 or 68 bits: num/den lies in
    // [2^(bl-1), 2^(bl+1)), so with s = 67 - bl, num*2^s/den lies in [2^66, 2^68).
    let bl = num.bit_len() as i64 - den.bit_len() as i64;
    let s = 67 - bl;
    let (q, sticky) = if s >= 0 {
        let mut n = num.clone();
        n.shl(s as usize);
        n.div_small_quotient(den)
    } else {
        let mut d = den.clone();
        d.shl((-s) as usize);
        num.div_small_quotient(&d)
    };
    // value = (q + sticky fraction) * 2^e where e is the exponent of q's lowest bit.
    let e = exp2 - s;
    let msb = (128 - q.leading_zeros()) as i64 - 1 + e;
    let target = (msb - 63).max(MIN_EXP);
    let drop = target - e; // at least 3
    if drop > 100 {
        return Rounded::Underflow;
    }
    let drop = drop as u32;
    let mut m = q >> drop;
    let rem = q & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    if rem > half || (rem == half && (sticky || m & 1 == 1)) {
        m += 1;
    }
    let mut target = target;
    if m == 1u128 << 64 {
        m >>= 1;
        target += 1;
    }
    if m == 0 {
        return Rounded::Underflow;
    }
    if target > MAX_EXP {
        return Rounded::Overflow;
    }
    Rounded::Finite(LongDouble { neg, mant: m as u64, exp: target })
}

/// A non-negative integer, little-endian base 2^32 limbs, no trailing zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn zero() -> Big {
        Big(Vec::new())
    }

    fn from_u128(v: u128) -> Big {
        let mut b = Big((0..4).map(|i| (v >> (32 * i)) as u32).collect());
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bit_len(&self) -> usize {
        match self.0.last() {
            None => 0,
            Some(top) => 32 * self.0.len() - top.leading_zeros() as usize,
        }
    }

    /// self = self * mul + add.
    fn mul_add_small(&mut self, mul: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(mul) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// self = self * 10^k.
    fn mul_pow10(&mut self, mut k: u32) {
        while k >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            k -= 9;
        }
        if k > 0 {
            self.mul_add_small(10u32.pow(k), 0);
        }
    }

    fn shl(&mut self, bits: usize) {
        if self.is_zero() {
            return;
        }
        let (limbs, bits) = (bits / 32, bits % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let v = (*limb << bits) | carry;
                carry = *limb >> (32 - bits);
                *limb = v;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        if limbs > 0 {
            self.0.splice(0..0, std::iter::repeat_n(0, limbs));
        }
    }

    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.0.iter_mut().rev() {
            let v = (*limb >> 1) | (carry << 31);
            carry = *limb & 1;
            *limb = v;
        }
        self.trim();
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    fn add(&mut self, other: &Big) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = u64::from(*limb) + u64::from(other.0.get(i).copied().unwrap_or(0)) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// self -= other; requires self >= other.
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            if v < 0 {
                *limb = (v + (1i64 << 32)) as u32;
                borrow = 1;
            } else {
                *limb = v as u32;
                borrow = 0;
            }
        }
        self.trim();
    }

    /// (self / den, self % den != 0) for a quotient known to be below 2^69.
    fn div_small_quotient(&self, den: &Big) -> (u128, bool) {
        let mut rem = self.clone();
        let mut d = den.clone();
        d.shl(69);
        let mut q = 0u128;
        for bit in (0..=69).rev() {
            if rem.cmp(&d) != Ordering::Less {
                rem.sub(&d);
                q |= 1u128 << bit;
            }
            d.shr1();
        }
        (q, !rem.is_zero())
    }

    /// Divides by `div` in place and returns the remainder.
    fn div_rem_small(&mut self, div: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*limb);
            *limb = (v / u64::from(div)) as u32;
            rem = v % u64::from(div);
        }
        self.trim();
        rem as u32
    }

    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_rem_small(1_000_000_000));
        }
        let mut out = String::with_capacity(chunks.len() * 9);
        let mut iter = chunks.iter().rev();
        if let Some(first) = iter.next() {
            out.push_str(&first.to_string());
        }
        for c in iter {
            out.push_str(&format!("{c:09}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(s: &str) -> LongDouble {
        match parse(s.as_bytes()) {
            Some(Parsed::Finite(v)) => v,
            other => panic!("{s}: {other:?}"),
        }
    }

    fn sum(a: &str, b: &str) -> String {
        ld(a).add(ld(b)).expect("finite").to_human_string()
    }

    #[test]
    fn parses_as_strtold_and_string2ld() {
        for bad in [
            "",
            " 1",
            "1 ",
            "abc",
            "1e",
            "1e+",
            ".",
            "-",
            "+",
            "nan",
            "NaN",
            "1..2",
            "0x",
            "1\x002",
            "1e99999",
            "-1e5000",
            "1e-5000",
            "0x1p99999",
            "--1",
            "1_0",
        ] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad:?}");
        }
        for inf in ["inf", "-inf", "+INF", "Infinity", "-infinity"] {
            assert_eq!(parse(inf.as_bytes()), Some(Parsed::Infinite), "{inf}");
        }
        let mut long = b"0.".to_vec();
        long.resize(MAX_LONG_DOUBLE_CHARS - 1, b'1');
        assert!(matches!(parse(&long), Some(Parsed::Finite(_))));
        long.push(b'1');
        assert_eq!(parse(&long), None);
        assert_eq!(parse(&vec![b'1'; 5000]), None); // 1.1e4999 overflows
        assert!(matches!(parse(&vec![b'1'; 4000]), Some(Parsed::Finite(_))));
        assert_eq!(ld("0"), LongDouble::from_i64(0));
        assert_eq!(ld("-42"), LongDouble::from_i64(-42));
        assert_eq!(ld("+42."), LongDouble::from_i64(42));
        assert_eq!(ld(".5e1"), ld("5"));
        assert_eq!(ld("0x1.8p1"), LongDouble::from_i64(3));
        assert_eq!(ld("0X10"), LongDouble::from_i64(16));
        assert_eq!(ld("9223372036854775807"), LongDouble::from_i64(i64::MAX));
        assert_eq!(ld("-9223372036854775808"), LongDouble::from_i64(i64::MIN));
    }

    // Expected strings come from glibc: printf("%.17Lf", strtold(a) + strtold(b)) on x86-64.
    #[test]
    fn sums_print_as_glibc_prints_long_double() {
        assert_eq!(sum("10.5", "0.1"), "10.6");
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("5000.1", "0"), "5000.10000000000000009");
        assert_eq!(sum("3.0e3", "1.1"), "3001.10000000000000009");
        assert_eq!(sum("1e20", "1"), "100000000000000000000");
        assert_eq!(sum("123456789.123456789", "0"), "123456789.12345678899873747");
        assert_eq!(sum("17179869184", "1.5"), "17179869185.5");
        assert_eq!(sum("17179869184", "17179869184"), "34359738368");
        assert_eq!(sum("1", "-1.1"), "-0.1");
        assert_eq!(sum("0.024390243902439025", "-0.024390243902439025"), "0");
        assert_eq!(sum("1e-4950", "0"), "0");
        assert_eq!(sum("-1e-30", "0"), "0");
        assert_eq!(sum("0.000003814697265625", "0"), "0.00000381469726562");
        assert_eq!(sum("5.0e3", "2.0e2"), "5200");
        assert_eq!(sum("1e4931", "0").len(), 4932);
        assert!(ld("1.1e4932").add(ld("1e4932")).is_none());
    }
}
