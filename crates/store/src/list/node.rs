//! One packed node of a list: its elements back to back in one buffer, each encoded as
//!
//! ```text
//! [length: varint] [bytes] [back-length: reversed varint]
//! ```
//!
//! like Redis's listpack entries. The varint is 7 bits a byte, low bits first, the high bit
//! set when more bytes follow. The back-length is the size of the length and the bytes,
//! written with its bytes in reverse order so that a reader coming from the right finds its
//! low bits first: an entry is read forwards from its start or backwards from its end, so
//! both ends of a node are O(1) and any position is one scan from the nearer end. An
//! element of up to 127 bytes costs two bytes of overhead.
//!
//! Only this module writes node buffers, and it writes whole entries, so a buffer always
//! holds a sequence of well-formed entries; the readers rely on it.

use crate::mem::alloc_size;
use std::ops::Range;

/// Bytes of the varint encoding of `v`.
pub(super) fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Bytes an element of `len` bytes takes in a node: length, bytes and back-length.
pub(super) fn entry_size(len: usize) -> usize {
    let inner = varint_len(len as u64) + len;
    inner + varint_len(inner as u64)
}

/// Writes the varint of `v` at the start of `out`; returns its length.
fn write_varint(out: &mut [u8], mut v: u64) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        out[i] = (v as u8 & 0x7f) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
    i + 1
}

/// Reads the varint at `buf[off..]`: its value and length.
fn read_varint(buf: &[u8], off: usize) -> (u64, usize) {
    let mut v = 0u64;
    let mut shift = 0;
    let mut i = off;
    loop {
        let b = buf[i];
        v |= u64::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (v, i - off);
        }
        shift += 7;
    }
}

/// Encodes `data` as one entry into `out`, which is exactly `entry_size(data.len())` long.
fn write_entry(out: &mut [u8], data: &[u8]) {
    let h = write_varint(out, data.len() as u64);
    let inner = h + data.len();
    out[h..inner].copy_from_slice(data);
    let mut back = [0u8; 10];
    let n = write_varint(&mut back, inner as u64);
    for (j, b) in back[..n].iter().rev().enumerate() {
        out[inner + j] = *b;
    }
}

/// The entry starting at `off`: the range of its bytes, and where the next entry starts.
pub(super) fn read_fwd(buf: &[u8], off: usize) -> (Range<usize>, usize) {
    let (len, h) = read_varint(buf, off);
    let start = off + h;
    let end = start + len as usize;
    (start..end, end + varint_len((h as u64) + len))
}

/// The entry ending at `end`: where it starts, and the range of its bytes.
pub(super) fn read_back(buf: &[u8], end: usize) -> (usize, Range<usize>) {
    let mut inner = 0u64;
    let mut shift = 0;
    let mut p = end;
    loop {
        p -= 1;
        let b = buf[p];
        inner |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let start = p - inner as usize;
    let (len, h) = read_varint(buf, start);
    (start, start + h..start + h + len as usize)
}

/// A packed node: `count` entries in `buf`. A list never keeps an empty node.
#[derive(Clone, Default)]
pub(super) struct Node {
    pub(super) buf: Vec<u8>,
    pub(super) count: u32,
}

impl Node {
    /// A node holding just `data`, allocated to size.
    pub(super) fn with(data: &[u8]) -> Node {
        let sz = entry_size(data.len());
        let mut buf = Vec::with_capacity(sz);
        buf.resize(sz, 0);
        write_entry(&mut buf, data);
        Node { buf, count: 1 }
    }

    /// Heap bytes of the buffer, allocator rounding included.
    pub(super) fn heap(&self) -> usize {
        alloc_size(self.buf.capacity())
    }

    /// Bytes used.
    pub(super) fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Entries held.
    pub(super) fn len(&self) -> usize {
        self.count as usize
    }

    /// The bytes of the entry starting at `off`, and where the next one starts.
    pub(super) fn at(&self, off: usize) -> (&[u8], usize) {
        let (r, next) = read_fwd(&self.buf, off);
        (&self.buf[r], next)
    }

    /// The start offset of entry `k` (`k == count` gives the end of the buffer), scanning
    /// from the nearer end.
    pub(super) fn offset_of(&self, k: usize) -> usize {
        let count = self.len();
        if k <= count / 2 {
            self.skip(0, k)
        } else {
            let mut end = self.buf.len();
            for _ in k..count {
                end = read_back(&self.buf, end).0;
            }
            end
        }
    }

    /// The offset `n` entries after the entry starting at `off`.
    pub(super) fn skip(&self, mut off: usize, n: usize) -> usize {
        for _ in 0..n {
            off = read_fwd(&self.buf, off).1;
        }
        off
    }

    /// Inserts `data` as a new entry starting at byte `off` (an entry boundary).
    pub(super) fn insert_at(&mut self, off: usize, data: &[u8]) {
        let sz = entry_size(data.len());
        let old = self.buf.len();
        self.buf.resize(old + sz, 0);
        self.buf.copy_within(off..old, off + sz);
        write_entry(&mut self.buf[off..off + sz], data);
        self.count += 1;
    }

    /// Replaces the entry occupying `range` (a whole entry) with `data`.
    pub(super) fn replace(&mut self, range: Range<usize>, data: &[u8]) {
        let sz = entry_size(data.len());
        let start = range.start;
        let old = range.len();
        if sz > old {
            let len = self.buf.len();
            self.buf.resize(len + (sz - old), 0);
            self.buf.copy_within(range.end..len, start + sz);
        } else if sz < old {
            self.buf.copy_within(range.end.., start + sz);
            self.buf.truncate(self.buf.len() - (old - sz));
        }
        write_entry(&mut self.buf[start..start + sz], data);
        self.shrink();
    }

    /// Removes the `entries` entries occupying `range` (entry boundaries).
    pub(super) fn remove(&mut self, range: Range<usize>, entries: usize) {
        if range.start == 0 && range.end == self.buf.len() {
            self.buf.clear();
        } else if range.end == self.buf.len() {
            self.buf.truncate(range.start);
        } else {
            self.buf.drain(range);
        }
        self.count -= entries as u32;
        self.shrink();
    }

    /// Splits after entry `k`, which starts at `off`: this node keeps entries `..k`, the
    /// returned one holds the rest.
    pub(super) fn split_off(&mut self, off: usize, k: usize) -> Node {
        let tail = self.buf.split_off(off);
        let right = Node { buf: tail, count: self.count - k as u32 };
        self.count = k as u32;
        self.seal();
        right
    }

    /// Appends the entries of `other`.
    pub(super) fn append(&mut self, other: &Node) {
        self.buf.extend_from_slice(&other.buf);
        self.count += other.count;
    }

    /// Removes up to `max` entries equal to `elem`, the first ones (or the last ones with
    /// `from_back`); returns how many.
    pub(super) fn remove_matching(&mut self, elem: &[u8], max: usize, from_back: bool) -> usize {
        let mut found: Vec<Range<usize>> = Vec::new();
        if from_back {
            let mut end = self.buf.len();
            while end > 0 && found.len() < max {
                let (start, r) = read_back(&self.buf, end);
                if &self.buf[r] == elem {
                    found.push(start..end);
                }
                end = start;
            }
            found.reverse();
        } else {
            let mut off = 0;
            while off < self.buf.len() && found.len() < max {
                let (r, next) = read_fwd(&self.buf, off);
                if &self.buf[r] == elem {
                    found.push(off..next);
                }
                off = next;
            }
        }
        let Some(first) = found.first() else {
            return 0;
        };
        let len = self.buf.len();
        let mut w = first.start;
        for (j, r) in found.iter().enumerate() {
            let keep_end = found.get(j + 1).map_or(len, |n| n.start);
            self.buf.copy_within(r.end..keep_end, w);
            w += keep_end - r.end;
        }
        self.buf.truncate(w);
        self.count -= found.len() as u32;
        self.shrink();
        found.len()
    }

    /// Gives back the spare capacity of a node that will not grow soon (one that a new
    /// node was started beside).
    pub(super) fn seal(&mut self) {
        if self.buf.capacity() > self.buf.len() {
            self.buf.shrink_to_fit();
        }
    }

    /// Gives back most of the capacity once three quarters of it are unused, so that a
    /// node drained by pops does not keep its peak size (and a pop/push cycle does not
    /// reallocate every time).
    fn shrink(&mut self) {
        let (len, cap) = (self.buf.len(), self.buf.capacity());
        if cap >= 64 && len <= cap / 4 {
            self.buf.shrink_to(len * 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_both_ways() {
        for len in [0usize, 1, 5, 125, 126, 127, 128, 16_380, 16_383, 16_384, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut n = Node::with(b"x");
            n.insert_at(n.bytes(), &data);
            n.insert_at(n.bytes(), b"y");
            assert_eq!(n.bytes(), entry_size(1) * 2 + entry_size(len));
            let (a, next) = n.at(0);
            assert_eq!(a, b"x");
            let (b, next) = n.at(next);
            assert_eq!(b, &data[..]);
            let (c, end) = n.at(next);
            assert_eq!((c, end), (&b"y"[..], n.bytes()));
            let (start, r) = read_back(&n.buf, n.bytes());
            assert_eq!(&n.buf[r], b"y");
            let (start, r) = read_back(&n.buf, start);
            assert_eq!(&n.buf[r], &data[..]);
            assert_eq!(read_back(&n.buf, start).0, 0);
        }
    }

    #[test]
    fn small_elements_cost_two_bytes() {
        assert_eq!(entry_size(0), 2);
        assert_eq!(entry_size(1), 3);
        assert_eq!(entry_size(125), 127);
        assert_eq!(entry_size(126), 128);
        assert_eq!(entry_size(127), 130);
    }
}
