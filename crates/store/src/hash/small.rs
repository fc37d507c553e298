//! [`SmallBytes`]: an owned byte string that keeps up to [`SMALL_INLINE`] bytes inside itself
//! (no allocation) and longer ones in one exact-size allocation. 24 bytes, like the keys of
//! [`crate::Dict`]; used for the values of hashtable-encoded hashes.

use crate::mem::alloc_size;

/// Strings of at most this many bytes are stored inline.
pub(crate) const SMALL_INLINE: usize = 22;

/// An owned byte string, inline when short.
#[derive(Clone)]
pub(crate) enum SmallBytes {
    /// Up to [`SMALL_INLINE`] bytes, stored in place.
    Inline { len: u8, buf: [u8; SMALL_INLINE] },
    /// Longer strings, in one exact allocation.
    Heap(Box<[u8]>),
}

impl SmallBytes {
    /// A copy of `bytes`.
    pub(crate) fn new(bytes: &[u8]) -> SmallBytes {
        if bytes.len() <= SMALL_INLINE {
            let mut buf = [0u8; SMALL_INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            // The length fits: it is at most SMALL_INLINE.
            SmallBytes::Inline { len: bytes.len() as u8, buf }
        } else {
            SmallBytes::Heap(bytes.into())
        }
    }

    /// The bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or(&[]),
            SmallBytes::Heap(b) => b,
        }
    }

    /// Heap bytes owned (0 when inline).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            SmallBytes::Inline { .. } => 0,
            SmallBytes::Heap(b) => alloc_size(b.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        for n in [0, 1, SMALL_INLINE, SMALL_INLINE + 1, 1000] {
            let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let s = SmallBytes::new(&data);
            assert_eq!(s.as_bytes(), &data[..]);
            assert_eq!(s.heap_bytes(), if n <= SMALL_INLINE { 0 } else { alloc_size(n) });
        }
    }
}
