//! String values: [`StrValue`], encoded as Redis encodes `OBJ_STRING`.
//!
//! - `int`: bytes that are the canonical decimal form of an `i64` (as Redis's `string2ll`
//!   accepts: no sign but a leading `-`, no leading zeros, no `-0`) are kept as the integer.
//! - `embstr`: any other string of at most [`EMBSTR_LIMIT`] bytes, as written by SET and
//!   friends. Up to [`STR_INLINE`] bytes live inside the value itself, longer ones in one
//!   exact-size allocation.
//! - `raw`: longer strings, and any string that has been modified in place
//!   ([`StrValue::make_mut_bytes`], used by APPEND, SETRANGE, SETBIT), which keeps a growable
//!   buffer so repeated appends are amortised O(1).
//!
//! `OBJECT ENCODING` reports these names through [`StrValue::encoding_name`].

use std::borrow::Cow;
use std::fmt;

use crate::mem::alloc_size;

/// Strings of at most this many bytes are stored inside the value, without allocating.
pub const STR_INLINE: usize = 22;

/// Redis's `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`: longer strings report the `raw` encoding.
pub const EMBSTR_LIMIT: usize = 44;

/// The longest canonical `i64` ("-9223372036854775808").
const MAX_INT_LEN: usize = 20;

/// A string value. Cloning copies the bytes.
#[derive(Clone)]
pub struct StrValue(Repr);

#[derive(Clone)]
enum Repr {
    /// A canonical integer (`int` encoding).
    Int(i64),
    /// A short string stored in place (`embstr`).
    Inline { len: u8, buf: [u8; STR_INLINE] },
    /// An immutable string in one exact allocation (`embstr` or `raw` by length).
    Boxed(Box<[u8]>),
    /// A string modified in place: growable (`raw`). Boxed so the value stays 24 bytes.
    #[allow(clippy::box_collection)]
    Raw(Box<Vec<u8>>),
}

/// Parses `bytes` as Redis's `string2ll` does: an optional `-`, then digits with no leading
/// zero (except "0" itself), no spaces, no `+`, within `i64` range. `None` otherwise.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes {
        [b'0'] => return Some(0),
        [b'-', rest @ ..] => (true, rest),
        _ => (false, bytes),
    };
    match digits.first() {
        Some(b'1'..=b'9') if digits.len() < MAX_INT_LEN => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Writes the decimal form of `v` into `buf`; returns the used tail of it.
pub(crate) fn format_i64(v: i64, buf: &mut [u8; MAX_INT_LEN]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut pos = MAX_INT_LEN;
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

/// Number of bytes in the decimal form of `v`.
fn int_len(v: i64) -> usize {
    let mut n = v.unsigned_abs();
    let mut len = usize::from(v < 0) + 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

impl StrValue {
    /// A string holding a copy of `bytes`, in the most compact encoding.
    pub fn from_bytes(bytes: &[u8]) -> StrValue {
        if bytes.len() <= MAX_INT_LEN {
            if let Some(v) = parse_i64(bytes) {
                return StrValue(Repr::Int(v));
            }
        }
        if bytes.len() <= STR_INLINE {
            let mut buf = [0u8; STR_INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            // The length fits: it is at most STR_INLINE.
            StrValue(Repr::Inline { len: bytes.len() as u8, buf })
        } else {
            StrValue(Repr::Boxed(bytes.into()))
        }
    }

    /// A string taking ownership of `bytes` (no copy when it is long), most compact encoding.
    pub fn from_vec(bytes: Vec<u8>) -> StrValue {
        if bytes.len() <= STR_INLINE {
            StrValue::from_bytes(&bytes)
        } else {
            StrValue(Repr::Boxed(bytes.into_boxed_slice()))
        }
    }

    /// The integer `v`, `int` encoded.
    pub fn from_int(v: i64) -> StrValue {
        StrValue(Repr::Int(v))
    }

    /// Length in bytes (of the decimal form, for an integer).
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Int(v) => int_len(*v),
            Repr::Inline { len, .. } => usize::from(*len),
            Repr::Boxed(b) => b.len(),
            Repr::Raw(v) => v.len(),
        }
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, when the value is not an integer.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.0 {
            Repr::Int(_) => None,
            Repr::Inline { len, buf } => Some(buf.get(..usize::from(*len)).unwrap_or(&[])),
            Repr::Boxed(b) => Some(b),
            Repr::Raw(v) => Some(v),
        }
    }

    /// The bytes; formats an integer.
    pub fn to_bytes(&self) -> Cow<'_, [u8]> {
        match (&self.0, self.as_bytes()) {
            (_, Some(b)) => Cow::Borrowed(b),
            (Repr::Int(v), None) => Cow::Owned(format_i64(*v, &mut [0; MAX_INT_LEN]).to_vec()),
            (_, None) => Cow::Borrowed(&[]),
        }
    }

    /// Appends the bytes to `out` (formatting an integer without allocating).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match (&self.0, self.as_bytes()) {
            (_, Some(b)) => out.extend_from_slice(b),
            (Repr::Int(v), None) => out.extend_from_slice(format_i64(*v, &mut [0; MAX_INT_LEN])),
            (_, None) => {}
        }
    }

    /// The value as an integer: the stored one, or the bytes parsed as [`parse_i64`] does.
    pub fn as_int(&self) -> Option<i64> {
        match &self.0 {
            Repr::Int(v) => Some(*v),
            _ => self.as_bytes().and_then(parse_i64),
        }
    }

    /// A growable buffer holding the bytes, for modification in place (APPEND, SETRANGE,
    /// SETBIT). Converts the value to the `raw` encoding. When the value sits in a database,
    /// reach it through [`crate::ValueMut`] so memory accounting sees the change.
    pub fn make_mut_bytes(&mut self) -> &mut Vec<u8> {
        if !matches!(self.0, Repr::Raw(_)) {
            let mut v = Vec::with_capacity(self.len());
            self.write_to(&mut v);
            self.0 = Repr::Raw(Box::new(v));
        }
        match &mut self.0 {
            Repr::Raw(v) => v,
            // Just converted above.
            _ => unreachable!("StrValue::make_mut_bytes: not raw after conversion"),
        }
    }

    /// The encoding name OBJECT ENCODING reports: "int", "embstr" or "raw".
    pub fn encoding_name(&self) -> &'static str {
        match &self.0 {
            Repr::Int(_) => "int",
            Repr::Inline { .. } => "embstr",
            Repr::Boxed(b) if b.len() <= EMBSTR_LIMIT => "embstr",
            Repr::Boxed(_) | Repr::Raw(_) => "raw",
        }
    }

    /// Heap bytes owned by the value (0 for integers and inline strings). O(1).
    pub fn heap_bytes(&self) -> usize {
        match &self.0 {
            Repr::Int(_) | Repr::Inline { .. } => 0,
            Repr::Boxed(b) => alloc_size(b.len()),
            Repr::Raw(v) => alloc_size(std::mem::size_of::<Vec<u8>>()) + alloc_size(v.capacity()),
        }
    }
}

impl PartialEq for StrValue {
    /// Compares content, whatever the encodings.
    fn eq(&self, other: &StrValue) -> bool {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) => a == b,
            _ => self.to_bytes() == other.to_bytes(),
        }
    }
}

impl Eq for StrValue {}

impl fmt::Debug for StrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(v) => write!(f, "StrValue::Int({v})"),
            _ => write!(f, "StrValue({:?})", String::from_utf8_lossy(&self.to_bytes())),
        }
    }
}

impl From<&[u8]> for StrValue {
    fn from(bytes: &[u8]) -> StrValue {
        StrValue::from_bytes(bytes)
    }
}

impl From<Vec<u8>> for StrValue {
    fn from(bytes: Vec<u8>) -> StrValue {
        StrValue::from_vec(bytes)
    }
}

impl From<i64> for StrValue {
    fn from(v: i64) -> StrValue {
        StrValue::from_int(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size() {
        assert_eq!(std::mem::size_of::<StrValue>(), 24);
    }

    #[test]
    fn parse_like_string2ll() {
        let ok: &[(&[u8], i64)] = &[
            (b"0", 0),
            (b"1", 1),
            (b"-1", -1),
            (b"123", 123),
            (b"9223372036854775807", i64::MAX),
            (b"-9223372036854775808", i64::MIN),
        ];
        for (s, v) in ok {
            assert_eq!(parse_i64(s), Some(*v), "{s:?}");
        }
        let bad: &[&[u8]] = &[
            b"",
            b"-",
            b"-0",
            b"00",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"99999999999999999999",
            b"123456789012345678901",
            b"0x10",
            b"1.0",
            b"\xff",
        ];
        for s in bad {
            assert_eq!(parse_i64(s), None, "{s:?}");
        }
    }

    #[test]
    fn encodings() {
        let cases: &[(&[u8], &str)] = &[
            (b"123", "int"),
            (b"-9223372036854775808", "int"),
            (b"9223372036854775808", "embstr"),
            (b"0123", "embstr"),
            (b"", "embstr"),
            (b"hello", "embstr"),
            (&[b'x'; 22], "embstr"),
            (&[b'x'; 23], "embstr"),
            (&[b'x'; 44], "embstr"),
            (&[b'x'; 45], "raw"),
        ];
        for (s, enc) in cases {
            let v = StrValue::from_bytes(s);
            assert_eq!(v.encoding_name(), *enc, "{s:?}");
            assert_eq!(&*v.to_bytes(), *s);
            assert_eq!(v.len(), s.len());
            let mut out = b"pre".to_vec();
            v.write_to(&mut out);
            assert_eq!(&out[3..], *s);
            assert_eq!(StrValue::from_vec(s.to_vec()), v);
        }
    }

    #[test]
    fn ints() {
        for v in [0, 1, -1, 9, 10, -10, 99, 100, i64::MAX, i64::MIN, 1234567890] {
            let s = StrValue::from_int(v);
            assert_eq!(s.to_bytes().as_ref(), v.to_string().as_bytes());
            assert_eq!(s.len(), v.to_string().len());
            assert_eq!(s.as_int(), Some(v));
            assert_eq!(s, StrValue::from_bytes(v.to_string().as_bytes()));
        }
        assert_eq!(StrValue::from_bytes(b"abc").as_int(), None);
    }

    #[test]
    fn mutation_makes_raw() {
        let mut v = StrValue::from_int(42);
        v.make_mut_bytes().extend_from_slice(b"x");
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(&*v.to_bytes(), b"42x");
        assert_eq!(v.as_int(), None);
        let mut w = StrValue::from_bytes(b"7");
        w.make_mut_bytes().push(b'7');
        assert_eq!(w.encoding_name(), "raw");
        assert_eq!(w.as_int(), Some(77));
        assert!(w.heap_bytes() > 0);
        assert_eq!(StrValue::from_bytes(b"short").heap_bytes(), 0);
        assert_eq!(StrValue::from_bytes(&[b'y'; 100]).heap_bytes(), alloc_size(100));
    }
}
