//! A member as the large sorted-set encoding stores it: inside the entry when short, so that
//! comparing the members of a leaf's entries reads the leaf and nothing else.

use crate::mem::alloc_size;

/// Members of at most this many bytes are stored inline (with the length and the variant
/// tag, a member is 24 bytes, as a boxed slice and its tag would be).
const MEMBER_INLINE: usize = 22;

/// A member owned by an entry or a separator: inline when short, boxed otherwise.
#[derive(Clone)]
pub(super) enum Member {
    Inline { len: u8, buf: [u8; MEMBER_INLINE] },
    Heap(Box<[u8]>),
}

impl Member {
    /// The empty member, owning no heap: the placeholder in a node's first separator slot.
    pub(super) const EMPTY: Member = Member::Inline { len: 0, buf: [0; MEMBER_INLINE] };

    /// A copy of `bytes`.
    pub(super) fn new(bytes: &[u8]) -> Member {
        if bytes.len() <= MEMBER_INLINE {
            let mut buf = [0u8; MEMBER_INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            // The length fits: it is at most MEMBER_INLINE.
            Member::Inline { len: bytes.len() as u8, buf }
        } else {
            Member::Heap(bytes.into())
        }
    }

    /// The member's bytes.
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Member::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or(&[]),
            Member::Heap(b) => b,
        }
    }

    /// Heap owned by the member (none when inline).
    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            Member::Inline { .. } => 0,
            Member::Heap(b) => alloc_size(b.len()),
        }
    }
}
