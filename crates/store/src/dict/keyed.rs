//! [`Keyed`]: the entry of a [`Dict`](super::Dict), an owned key beside a value of any type.
//! Keys of up to [`KEY_INLINE`] bytes live inside the entry, longer ones in one exact-size
//! allocation.

use super::DictEntry;
use crate::mem::alloc_size;

/// Keys of at most this many bytes are stored inline in the slot, without a heap allocation.
pub const KEY_INLINE: usize = 22;

/// An owned byte string, inline when short, boxed otherwise: the table's keys, and the
/// members and separators of the sorted sets' tree (whose leaf searches then compare
/// members without leaving the leaf).
#[derive(Clone)]
pub(crate) enum Key {
    Inline { len: u8, buf: [u8; KEY_INLINE] },
    Heap(Box<[u8]>),
}

impl Key {
    /// The empty string, owning no heap.
    pub(crate) const EMPTY: Key = Key::Inline { len: 0, buf: [0; KEY_INLINE] };

    /// A copy of `bytes`.
    pub(crate) fn new(bytes: &[u8]) -> Key {
        if bytes.len() <= KEY_INLINE {
            let mut buf = [0u8; KEY_INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            // The length fits: it is at most KEY_INLINE.
            Key::Inline { len: bytes.len() as u8, buf }
        } else {
            Key::Heap(bytes.into())
        }
    }

    /// The bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or(&[]),
            Key::Heap(b) => b,
        }
    }

    /// Heap owned (none when inline).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Key::Inline { .. } => 0,
            Key::Heap(b) => alloc_size(b.len()),
        }
    }
}

/// An owned key and its value: what a [`Dict<V>`](super::Dict) keeps per entry.
#[derive(Clone)]
pub struct Keyed<V> {
    pub(super) key: Key,
    pub(super) value: V,
}

impl<V> Keyed<V> {
    pub(super) fn new(key: &[u8], value: V) -> Keyed<V> {
        Keyed { key: Key::new(key), value }
    }
}

impl<V> DictEntry for Keyed<V> {
    #[inline]
    fn key(&self) -> &[u8] {
        self.key.as_bytes()
    }

    fn heap_bytes(&self) -> usize {
        self.key.heap_bytes()
    }
}
