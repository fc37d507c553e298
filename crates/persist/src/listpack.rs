//! Listpacks, Redis 7's compact container (listpack.c), as they appear inside RDB values:
//! list nodes, small hashes, small sorted sets (and small sets from Redis 7.2).
//!
//! ```text
//! [total bytes: u32 LE] [count: u16 LE, 65535 = unknown] entry ... [0xFF]
//! entry = [encoding + data] [back-length: 1 to 5 bytes]
//! ```
//!
//! An element that is a canonical decimal integer is stored as one (7-, 13-, 16-, 24-, 32-
//! or 64-bit), any other as a string with a 6-, 12- or 32-bit length. The back-length is the
//! size of encoding + data, 7 bits a byte, most significant byte first.
//!
//! [`Writer`] builds them; [`walk`] reads one, checking every entry against the buffer
//! (encoding, length, back-length, the count, the terminator), so a hostile listpack is an
//! error, never a read out of bounds.

use crate::RdbError;
use redoubt_store::parse_i64;

const HDR: usize = 6;
const EOF: u8 = 0xFF;
const COUNT_UNKNOWN: u16 = u16::MAX;

/// One element of a listpack or ziplist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// An integer.
    Int(i64),
    /// A string.
    Str(&'a [u8]),
}

impl Entry<'_> {
    /// The element as bytes, an integer formatted in decimal.
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Entry::Int(v) => v.to_string().into_bytes(),
            Entry::Str(s) => s.to_vec(),
        }
    }
}

/// Builds a listpack.
#[derive(Debug)]
pub struct Writer {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
    }
}

impl Writer {
    /// An empty listpack.
    pub fn new() -> Writer {
        Writer { buf: vec![0; HDR], count: 0 }
    }

    /// Bytes so far (the terminator not included).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether no element was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of elements added.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends an element given as bytes (stored as an integer when it is a canonical one,
    /// as `lpAppend` does).
    pub fn push(&mut self, s: &[u8]) {
        match parse_i64(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    /// Appends an integer.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = &mut self.buf;
        if (0..=127).contains(&v) {
            b.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1fff;
            b.extend_from_slice(&[0xC0 | (u >> 8) as u8, u as u8]);
        } else if (-32768..=32767).contains(&v) {
            b.push(0xF1);
            b.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            b.push(0xF2);
            b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if i32::try_from(v).is_ok() {
            b.push(0xF3);
            b.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            b.push(0xF4);
            b.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    /// Appends a string as a string (no integer detection).
    pub fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let b = &mut self.buf;
        let n = s.len();
        if n < 64 {
            b.push(0x80 | n as u8);
        } else if n < 4096 {
            b.extend_from_slice(&[0xE0 | (n >> 8) as u8, n as u8]);
        } else {
            b.push(0xF0);
            b.extend_from_slice(&(n as u32).to_le_bytes());
        }
        b.extend_from_slice(s);
        self.finish_entry(start);
    }

    fn finish_entry(&mut self, start: usize) {
        let l = (self.buf.len() - start) as u64;
        let b = &mut self.buf;
        if l <= 127 {
            b.push(l as u8);
        } else if l < 16383 {
            b.extend_from_slice(&[(l >> 7) as u8, (l & 127) as u8 | 128]);
        } else if l < 2_097_151 {
            b.extend_from_slice(&[(l >> 14) as u8, ((l >> 7) & 127) as u8 | 128, (l & 127) as u8 | 128]);
        } else if l < 268_435_455 {
            b.extend_from_slice(&[
                (l >> 21) as u8,
                ((l >> 14) & 127) as u8 | 128,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]);
        } else {
            b.extend_from_slice(&[
                (l >> 28) as u8,
                ((l >> 21) & 127) as u8 | 128,
                ((l >> 14) & 127) as u8 | 128,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]);
        }
        self.count += 1;
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let count = u16::try_from(self.count).unwrap_or(COUNT_UNKNOWN);
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt(format!("listpack: {what}"))
}

/// Size of a back-length for an entry of `l` bytes.
fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Sign-extends the low `bits` bits of `u`.
fn sign_extend(u: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((u << shift) as i64) >> shift
}

/// Reads one entry at `p`: the element and the size of encoding + data.
fn entry_at(lp: &[u8], p: usize) -> Result<(Entry<'_>, usize), RdbError> {
    let byte = |i: usize| lp.get(p + i).copied().ok_or_else(|| corrupt("entry past the end"));
    let bytes = |from: usize, n: usize| lp.get(p + from..p + from + n).ok_or_else(|| corrupt("entry past the end"));
    let b0 = byte(0)?;
    let le = |s: &[u8]| s.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    Ok(if b0 & 0x80 == 0 {
        (Entry::Int(i64::from(b0)), 1)
    } else if b0 & 0xC0 == 0x80 {
        let n = usize::from(b0 & 0x3f);
        (Entry::Str(bytes(1, n)?), 1 + n)
    } else if b0 & 0xE0 == 0xC0 {
        let u = (u64::from(b0 & 0x1f) << 8) | u64::from(byte(1)?);
        (Entry::Int(sign_extend(u, 13)), 2)
    } else if b0 & 0xF0 == 0xE0 {
        let n = (usize::from(b0 & 0x0f) << 8) | usize::from(byte(1)?);
        (Entry::Str(bytes(2, n)?), 2 + n)
    } else {
        match b0 {
            0xF0 => {
                let n = le(bytes(1, 4)?) as usize;
                (Entry::Str(bytes(5, n)?), 5 + n)
            }
            0xF1 => (Entry::Int(sign_extend(le(bytes(1, 2)?), 16)), 3),
            0xF2 => (Entry::Int(sign_extend(le(bytes(1, 3)?), 24)), 4),
            0xF3 => (Entry::Int(sign_extend(le(bytes(1, 4)?), 32)), 5),
            0xF4 => (Entry::Int(le(bytes(1, 8)?) as i64), 9),
            _ => return Err(corrupt("bad entry encoding")),
        }
    })
}

/// Decodes the back-length whose last byte is at `end - 1`.
fn backlen_at(lp: &[u8], end: usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    let mut i = end;
    loop {
        i = i.checked_sub(1)?;
        let b = lp[i];
        v |= u64::from(b & 127) << shift;
        if b & 128 == 0 {
            return Some(v);
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
    }
}

/// Calls `f` for each element of the listpack `lp`, in order; returns the count. Every
/// entry, the header's byte count and element count and the terminator are checked.
pub fn walk<'a>(lp: &'a [u8], mut f: impl FnMut(Entry<'a>) -> Result<(), RdbError>) -> Result<usize, RdbError> {
    if lp.len() < HDR + 1 {
        return Err(corrupt("shorter than its header"));
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != lp.len() {
        return Err(corrupt("byte count does not match its size"));
    }
    if lp[lp.len() - 1] != EOF {
        return Err(corrupt("no terminator"));
    }
    let declared = u16::from_le_bytes([lp[4], lp[5]]);
    let mut p = HDR;
    let mut count = 0usize;
    let end = lp.len() - 1;
    while p < end {
        let (entry, size) = entry_at(lp, p)?;
        let bl = backlen_size(size);
        let next = p + size + bl;
        if next > end {
            return Err(corrupt("entry past the end"));
        }
        if backlen_at(lp, next) != Some(size as u64) {
            return Err(corrupt("bad back-length"));
        }
        f(entry)?;
        count += 1;
        p = next;
    }
    if declared != COUNT_UNKNOWN && usize::from(declared) != count {
        return Err(corrupt("element count does not match"));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(lp: &[u8]) -> Vec<Entry<'_>> {
        let mut v = Vec::new();
        walk(lp, |e| {
            v.push(e);
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn every_encoding_round_trips() {
        let ints = [
            0,
            1,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            8_388_607,
            -8_388_608,
            8_388_608,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ];
        let long = vec![b'z'; 5000];
        let mid = vec![b'y'; 200];
        let mut w = Writer::new();
        for v in ints {
            w.push_int(v);
        }
        w.push(b"hello");
        w.push(b"-0");
        w.push(b"007");
        w.push(b"");
        w.push(&mid);
        w.push(&long);
        w.push(b"-123");
        let lp = w.finish();
        let got = all(&lp);
        let mut want: Vec<Entry<'_>> = ints.iter().map(|&v| Entry::Int(v)).collect();
        want.extend([
            Entry::Str(b"hello"),
            Entry::Str(b"-0"),
            Entry::Str(b"007"),
            Entry::Str(b""),
            Entry::Str(&mid),
            Entry::Str(&long),
            Entry::Int(-123),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn known_bytes() {
        // Redis: lpNew() then lpAppend "a" and "1024".
        let mut w = Writer::new();
        w.push(b"a");
        w.push(b"1024");
        assert_eq!(w.finish(), [13, 0, 0, 0, 2, 0, 0x81, b'a', 2, 0xC4, 0x00, 2, 0xFF]);
    }

    #[test]
    fn damage_is_an_error() {
        let mut w = Writer::new();
        w.push(b"abc");
        w.push_int(1000);
        let lp = w.finish();
        for i in 0..lp.len() {
            for bit in 0..8 {
                let mut bad = lp.clone();
                bad[i] ^= 1 << bit;
                // Never a panic; some flips still decode (inside string bytes).
                let _ = walk(&bad, |_| Ok(()));
            }
        }
        for cut in 0..lp.len() {
            assert!(walk(&lp[..cut], |_| Ok(())).is_err(), "cut {cut}");
        }
        assert!(walk(&[7, 0, 0, 0, 1, 0, 0xFF], |_| Ok(())).is_err(), "count says 1, holds 0");
    }
}
