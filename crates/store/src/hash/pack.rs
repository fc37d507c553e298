//! [`Pack`]: the compact ("listpack") encoding of a small hash.
//!
//! Every field and value is stored in one contiguous, exactly sized allocation as a
//! length-prefixed string: a LEB128 varint length (one byte up to 127 bytes) then the bytes,
//! field and value alternating, in insertion order. Lookups are linear scans, which is what
//! Redis does too and is fast for the small sizes this encoding is used for. Updates rebuild
//! or grow the buffer in place; a value of the same encoded size is overwritten without
//! reallocating.
//!
//! The buffer never exceeds [`PACK_MAX_BYTES`] (Redis's listpack safety limit): callers
//! convert to a hash table before adding would cross it.

use crate::mem::alloc_size;

/// The largest buffer a pack may hold (Redis's `LISTPACK_MAX_SAFETY_SIZE`, 1 GiB).
pub(crate) const PACK_MAX_BYTES: usize = 1 << 30;

/// Number of bytes of the varint encoding of `n`.
pub(crate) fn varint_len(n: usize) -> usize {
    let mut len = 1;
    let mut n = n >> 7;
    while n > 0 {
        len += 1;
        n >>= 7;
    }
    len
}

/// Appends the varint encoding of `n`.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// Appends `bytes` as a length-prefixed string.
fn put_str(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Encoded size of `bytes` as a length-prefixed string.
pub(crate) fn str_size(bytes: &[u8]) -> usize {
    varint_len(bytes.len()) + bytes.len()
}

/// Reads the varint at `pos`: its value and the position after it.
pub(crate) fn read_varint(buf: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    let mut value: usize = 0;
    let mut shift = 0u32;
    loop {
        let b = *buf.get(pos)?;
        pos += 1;
        let bits = usize::from(b & 0x7f);
        if shift >= usize::BITS || (bits << shift) >> shift != bits {
            return None;
        }
        value |= bits << shift;
        if b & 0x80 == 0 {
            return Some((value, pos));
        }
        shift += 7;
    }
}

/// Reads the string at `pos`: the range of its bytes (its end is the next string's start).
fn read_str(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let (len, start) = read_varint(buf, pos)?;
    let end = start.checked_add(len)?;
    (end <= buf.len()).then_some((start, end))
}

/// Where a pair sits in the buffer.
struct Found {
    /// Start of the field's length prefix (the pair's start).
    field_at: usize,
    /// Start of the value's length prefix.
    value_at: usize,
    /// The value's bytes.
    value: (usize, usize),
}

/// A small hash as one length-prefixed byte buffer. See the [module documentation](self).
#[derive(Clone, Default)]
pub(crate) struct Pack {
    buf: Box<[u8]>,
    pairs: u32,
}

impl Pack {
    /// Number of pairs.
    pub(crate) fn len(&self) -> usize {
        self.pairs as usize
    }

    /// Size of the buffer in bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes owned.
    pub(crate) fn heap_bytes(&self) -> usize {
        alloc_size(self.buf.len())
    }

    fn find(&self, field: &[u8]) -> Option<Found> {
        let buf = &self.buf[..];
        let mut pos = 0;
        while pos < buf.len() {
            let (fs, fe) = read_str(buf, pos)?;
            let (vs, ve) = read_str(buf, fe)?;
            if buf.get(fs..fe) == Some(field) {
                return Some(Found { field_at: pos, value_at: fe, value: (vs, ve) });
            }
            pos = ve;
        }
        None
    }

    /// The value of `field`.
    pub(crate) fn get(&self, field: &[u8]) -> Option<&[u8]> {
        let found = self.find(field)?;
        self.buf.get(found.value.0..found.value.1)
    }

    /// Sets `field` to `value`; true if the field is new. The caller keeps the buffer within
    /// [`PACK_MAX_BYTES`].
    pub(crate) fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.find(field) {
            Some(found) => {
                let old_size = found.value.1 - found.value_at;
                let new_size = str_size(value);
                if old_size == new_size {
                    let mut enc = Vec::with_capacity(new_size);
                    put_str(&mut enc, value);
                    if let Some(dst) = self.buf.get_mut(found.value_at..found.value.1) {
                        dst.copy_from_slice(&enc);
                    }
                } else {
                    let mut out = Vec::with_capacity(self.buf.len() - old_size + new_size);
                    out.extend_from_slice(&self.buf[..found.value_at]);
                    put_str(&mut out, value);
                    out.extend_from_slice(&self.buf[found.value.1..]);
                    self.buf = out.into_boxed_slice();
                }
                false
            }
            None => {
                let mut out = std::mem::take(&mut self.buf).into_vec();
                out.reserve_exact(str_size(field) + str_size(value));
                put_str(&mut out, field);
                put_str(&mut out, value);
                self.buf = out.into_boxed_slice();
                self.pairs += 1;
                true
            }
        }
    }

    /// Removes `field`; true if it was there.
    pub(crate) fn remove(&mut self, field: &[u8]) -> bool {
        let Some(found) = self.find(field) else {
            return false;
        };
        let mut out = Vec::with_capacity(self.buf.len() - (found.value.1 - found.field_at));
        out.extend_from_slice(&self.buf[..found.field_at]);
        out.extend_from_slice(&self.buf[found.value.1..]);
        self.buf = out.into_boxed_slice();
        self.pairs -= 1;
        true
    }

    /// The pairs in order.
    pub(crate) fn iter(&self) -> PackIter<'_> {
        PackIter { buf: &self.buf, pos: 0 }
    }

    /// The buffer offsets of every pair, in order, for O(1) access with [`Pack::pair_at`].
    pub(crate) fn offsets(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.len());
        let mut it = self.iter();
        loop {
            let pos = it.pos;
            if it.next().is_none() {
                return out;
            }
            out.push(pos);
        }
    }

    /// The pair starting at buffer offset `pos` (from [`Pack::offsets`]).
    pub(crate) fn pair_at(&self, pos: usize) -> Option<(&[u8], &[u8])> {
        PackIter { buf: &self.buf, pos }.next()
    }
}

/// Iterator over the pairs of a [`Pack`].
pub(crate) struct PackIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (fs, fe) = read_str(self.buf, self.pos)?;
        let (vs, ve) = read_str(self.buf, fe)?;
        self.pos = ve;
        Some((self.buf.get(fs..fe)?, self.buf.get(vs..ve)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for n in [0usize, 1, 127, 128, 16383, 16384, 1 << 30, usize::MAX] {
            let mut v = Vec::new();
            put_varint(&mut v, n);
            assert_eq!(v.len(), varint_len(n));
            assert_eq!(read_varint(&v, 0), Some((n, v.len())));
        }
        assert_eq!(read_varint(&[0x80], 0), None);
        assert_eq!(read_varint(&[0xff; 20], 0), None);
    }

    #[test]
    fn set_get_remove() {
        let mut p = Pack::default();
        assert!(p.set(b"a", b"1"));
        assert!(p.set(b"b", b""));
        assert!(p.set(b"", b"empty"));
        let long = vec![b'x'; 300];
        assert!(p.set(b"long", &long));
        assert_eq!(p.len(), 4);
        assert_eq!(p.get(b"a"), Some(&b"1"[..]));
        assert_eq!(p.get(b"b"), Some(&b""[..]));
        assert_eq!(p.get(b""), Some(&b"empty"[..]));
        assert_eq!(p.get(b"long"), Some(&long[..]));
        assert_eq!(p.get(b"zz"), None);
        // Same size: in place; other sizes: rebuilt.
        assert!(!p.set(b"a", b"2"));
        assert!(!p.set(b"b", b"grown"));
        assert!(!p.set(b"long", b"short"));
        assert_eq!(p.get(b"a"), Some(&b"2"[..]));
        assert_eq!(p.get(b"b"), Some(&b"grown"[..]));
        assert_eq!(p.get(b"long"), Some(&b"short"[..]));
        let pairs: Vec<_> = p.iter().collect();
        assert_eq!(pairs.len(), 4);
        assert_eq!(pairs[0], (&b"a"[..], &b"2"[..]));
        let offsets = p.offsets();
        assert_eq!(offsets.len(), 4);
        assert_eq!(p.pair_at(offsets[2]), Some((&b""[..], &b"empty"[..])));
        assert!(p.remove(b"b"));
        assert!(!p.remove(b"b"));
        assert_eq!(p.len(), 3);
        assert_eq!(p.get(b""), Some(&b"empty"[..]));
        for f in [&b"a"[..], b"", b"long"] {
            assert!(p.remove(f));
        }
        assert_eq!(p.len(), 0);
        assert_eq!(p.bytes(), 0);
        assert_eq!(p.heap_bytes(), 0);
    }
}
