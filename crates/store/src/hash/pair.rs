//! [`Pair`]: one field and its value, the entry of a hashtable-encoded hash.
//!
//! Field and value are stored together: inside the entry (no allocation) when they add up
//! to at most [`PAIR_INLINE`] bytes, else in one exact-size allocation holding the field's
//! length (a varint, as in `pack`), the field, then the value. The entry is 32 bytes, so with the table's
//! hash and chain link a short pair costs one 40-byte slot: a field of Redis's benchmarks
//! (`element:` and 12 digits, 3-byte values) or of a typical object (`name`, `f:123`) needs
//! no allocation at all, where a field and a value each in its own 24-byte inline string
//! took a 56-byte slot.

use super::pack::{put_varint, read_varint};
use crate::dict::DictEntry;
use crate::mem::alloc_size;

/// Pairs whose field and value add up to at most this many bytes are stored inline.
pub(crate) const PAIR_INLINE: usize = 29;

/// A field and its value, owned. See the [module documentation](self).
#[derive(Clone)]
pub(crate) enum Pair {
    /// `buf` holds the field (`flen` bytes) then the value (`vlen` bytes).
    Inline { flen: u8, vlen: u8, buf: [u8; PAIR_INLINE] },
    /// The field's length (a varint, as in `pack`), the field, the value.
    Heap(Box<[u8]>),
}

/// The field's length at the start of a heap pair and the bytes after it. A malformed
/// prefix (which [`Pair::new`] never writes) reads as an empty field.
fn take_len(buf: &[u8]) -> (usize, &[u8]) {
    match read_varint(buf, 0) {
        Some((n, pos)) => (n, buf.get(pos..).unwrap_or(&[])),
        None => (0, buf),
    }
}

impl Pair {
    /// A copy of `field` and `value`.
    pub(crate) fn new(field: &[u8], value: &[u8]) -> Pair {
        let total = field.len() + value.len();
        if total <= PAIR_INLINE {
            let mut buf = [0u8; PAIR_INLINE];
            buf[..field.len()].copy_from_slice(field);
            buf[field.len()..total].copy_from_slice(value);
            // Both lengths fit: each is at most PAIR_INLINE.
            Pair::Inline { flen: field.len() as u8, vlen: value.len() as u8, buf }
        } else {
            let mut buf = Vec::with_capacity(total + 10);
            put_varint(&mut buf, field.len());
            buf.extend_from_slice(field);
            buf.extend_from_slice(value);
            Pair::Heap(buf.into_boxed_slice())
        }
    }

    /// The field and the value.
    #[inline]
    pub(crate) fn split(&self) -> (&[u8], &[u8]) {
        match self {
            Pair::Inline { flen, vlen, buf } => {
                let (f, rest) = buf.split_at(usize::from(*flen).min(PAIR_INLINE));
                (f, rest.get(..usize::from(*vlen)).unwrap_or(&[]))
            }
            Pair::Heap(b) => {
                let (flen, rest) = take_len(b);
                rest.split_at(flen.min(rest.len()))
            }
        }
    }

    /// The value.
    pub(crate) fn value(&self) -> &[u8] {
        self.split().1
    }
}

impl DictEntry for Pair {
    #[inline]
    fn key(&self) -> &[u8] {
        match self {
            Pair::Inline { flen, buf, .. } => buf.get(..usize::from(*flen)).unwrap_or(&[]),
            Pair::Heap(_) => self.split().0,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Pair::Inline { .. } => 0,
            Pair::Heap(b) => alloc_size(b.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_pairs() {
        assert_eq!(std::mem::size_of::<Pair>(), 32);
        let long: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let cases: Vec<(&[u8], &[u8])> = vec![
            (b"", b""),
            (b"f:1", b"xxx"),
            (b"element:000000012345", b"xxx"),
            (&long[..PAIR_INLINE], b""),
            (b"", &long[..PAIR_INLINE]),
            (&long[..PAIR_INLINE], b"v"),
            (&long[..127], b"v"),
            (&long[..128], &long[..200]),
            (&long, b""),
            (b"f", &long),
        ];
        for (f, v) in cases {
            let p = Pair::new(f, v);
            assert_eq!(p.split(), (f, v));
            assert_eq!(p.key(), f);
            assert_eq!(p.value(), v);
            let inline = f.len() + v.len() <= PAIR_INLINE;
            assert_eq!(matches!(p, Pair::Inline { .. }), inline);
            if inline {
                assert_eq!(p.heap_bytes(), 0);
            } else {
                // The length prefix takes one byte below 128, two below 16384.
                let prefix = if f.len() < 128 { 1 } else { 2 };
                assert_eq!(p.heap_bytes(), alloc_size(prefix + f.len() + v.len()));
            }
        }
    }

    #[test]
    fn malformed_prefix_reads_as_empty_field() {
        // Never a panic on a prefix that never ends or overflows.
        assert_eq!(take_len(&[0xff; 12]).0, 0);
        assert_eq!(take_len(&[0x83]).0, 0);
        assert_eq!(take_len(&[0x03, 1, 2]), (3, &[1, 2][..]));
    }
}
