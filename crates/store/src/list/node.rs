//! One packed node of a list: its elements back to back in one buffer, each encoded as
//!
//! ```text
//! [head: varint] [bytes, for a string] [back-length: reversed varint]
//! ```
//!
//! like Redis's listpack entries. The varint is 7 bits a byte, low bits first, the high bit
//! set when more bytes follow. An even head is a string of `head >> 1` bytes; an odd head is
//! an integer, zigzag-encoded in `head >> 1`, with no bytes after it: an element that is a
//! canonical decimal integer (as Redis's `string2ll` accepts, so it prints back the same) is
//! stored in binary, as listpacks store them. The back-length is the size of the head and
//! the bytes, written with its bytes in reverse order so that a reader coming from the
//! right finds its low bits first: an entry is read forwards from its start or backwards
//! from its end, so both ends of a node are O(1) and any position is one scan from the
//! nearer end. A string of up to 63 bytes costs two bytes of overhead; an integer from -32
//! to 31 costs two bytes in all.
//!
//! The encoding is canonical (an element has exactly one), so two elements are equal
//! exactly when their encoded heads and bytes are.
//!
//! Only this module writes node buffers, and it writes whole entries, so a buffer always
//! holds a sequence of well-formed entries; the readers rely on it.

use crate::mem::alloc_size;
use crate::string::parse_i64;
use std::ops::Range;

/// One element as the list holds it: a string, or an integer that prints as the string
/// that was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    /// A string, borrowed from the list.
    Bytes(&'a [u8]),
    /// A canonical decimal integer, stored in binary.
    Int(i64),
}

impl Elem<'_> {
    /// Calls `f` with the element's bytes (an integer is formatted on the stack).
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Bytes(b) => f(b),
            Elem::Int(v) => {
                let mut buf = [0u8; 20];
                f(crate::string::format_i64(v, &mut buf))
            }
        }
    }

    /// The element's bytes, copied.
    pub fn to_vec(self) -> Vec<u8> {
        self.with_bytes(<[u8]>::to_vec)
    }

    /// Whether the element is the string `bytes`.
    pub fn eq_bytes(self, bytes: &[u8]) -> bool {
        match self {
            Elem::Bytes(b) => b == bytes,
            Elem::Int(v) => parse_i64(bytes) == Some(v),
        }
    }
}

/// Bytes of the varint encoding of `v`.
pub(super) fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
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

/// How an element is written: its head, and its bytes for a string.
#[derive(Clone, Copy, Debug)]
pub(super) struct Enc<'a> {
    head: u64,
    data: &'a [u8],
}

impl<'a> Enc<'a> {
    /// The canonical encoding of `elem`.
    pub(super) fn of(elem: &'a [u8]) -> Enc<'a> {
        if let Some(v) = parse_i64(elem) {
            let zigzag = (v.wrapping_shl(1) ^ (v >> 63)) as u64;
            // The largest magnitudes would not fit beside the tag bit: they stay strings.
            if zigzag < 1 << 63 {
                return Enc { head: (zigzag << 1) | 1, data: &[] };
            }
        }
        Enc { head: (elem.len() as u64) << 1, data: elem }
    }

    /// Bytes of the head and the data: what two equal elements share.
    fn inner(&self) -> usize {
        varint_len(self.head) + self.data.len()
    }

    /// Bytes of the whole entry.
    pub(super) fn size(&self) -> usize {
        let inner = self.inner();
        inner + varint_len(inner as u64)
    }

    /// The head and the data as bytes, for comparing with entries.
    pub(super) fn key(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.inner()];
        let h = write_varint(&mut out, self.head);
        out[h..].copy_from_slice(self.data);
        out
    }

    /// Writes the entry into `out`, which is exactly `self.size()` long.
    fn write(&self, out: &mut [u8]) {
        let h = write_varint(out, self.head);
        let inner = h + self.data.len();
        out[h..inner].copy_from_slice(self.data);
        let mut back = [0u8; 10];
        let n = write_varint(&mut back, inner as u64);
        for (j, b) in back[..n].iter().rev().enumerate() {
            out[inner + j] = *b;
        }
    }
}

/// The element whose entry starts at `off`, and where its head and data end.
fn decode(buf: &[u8], off: usize) -> (Elem<'_>, usize) {
    let (head, h) = read_varint(buf, off);
    let start = off + h;
    if head & 1 == 1 {
        let zigzag = head >> 1;
        let v = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
        (Elem::Int(v), start)
    } else {
        let end = start + (head >> 1) as usize;
        (Elem::Bytes(&buf[start..end]), end)
    }
}

/// The entry starting at `off`: its element, and where the next entry starts.
pub(super) fn read_fwd(buf: &[u8], off: usize) -> (Elem<'_>, usize) {
    let (elem, inner_end) = decode(buf, off);
    (elem, inner_end + varint_len((inner_end - off) as u64))
}

/// The entry ending at `end`: where it starts (its head and data are `start..inner_end`
/// with `inner_end` returned too).
fn bounds_back(buf: &[u8], end: usize) -> (usize, usize) {
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
    (p - inner as usize, p)
}

/// The entry ending at `end`: where it starts, and its element.
pub(super) fn read_back(buf: &[u8], end: usize) -> (usize, Elem<'_>) {
    let (start, _) = bounds_back(buf, end);
    (start, decode(buf, start).0)
}

/// A packed node: `count` entries in `buf`. A list never keeps an empty node.
#[derive(Clone, Default)]
pub(super) struct Node {
    pub(super) buf: Vec<u8>,
    pub(super) count: u32,
}

impl Node {
    /// A node holding just `enc`, allocated to size.
    pub(super) fn with(enc: &Enc<'_>) -> Node {
        let mut buf = vec![0; enc.size()];
        enc.write(&mut buf);
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

    /// The element of the entry starting at `off`, and where the next one starts.
    pub(super) fn at(&self, off: usize) -> (Elem<'_>, usize) {
        read_fwd(&self.buf, off)
    }

    /// The entry starting at `off`: whether its head and data are `key`, and where the
    /// next one starts.
    pub(super) fn matches_at(&self, off: usize, key: &[u8]) -> (bool, usize) {
        let (head, h) = read_varint(&self.buf, off);
        let inner_end = off + h + if head & 1 == 1 { 0 } else { (head >> 1) as usize };
        let next = inner_end + varint_len((inner_end - off) as u64);
        (&self.buf[off..inner_end] == key, next)
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
                end = bounds_back(&self.buf, end).0;
            }
            end
        }
    }

    /// The offset `n` entries after the entry starting at `off`.
    pub(super) fn skip(&self, mut off: usize, n: usize) -> usize {
        for _ in 0..n {
            off = self.next_of(off);
        }
        off
    }

    /// Where the entry after the one starting at `off` starts.
    fn next_of(&self, off: usize) -> usize {
        let (head, h) = read_varint(&self.buf, off);
        let inner = h + if head & 1 == 1 { 0 } else { (head >> 1) as usize };
        off + inner + varint_len(inner as u64)
    }

    /// Where the entry ending at `end` starts.
    pub(super) fn start_before(&self, end: usize) -> usize {
        bounds_back(&self.buf, end).0
    }

    /// Inserts `enc` as a new entry starting at byte `off` (an entry boundary).
    pub(super) fn insert_at(&mut self, off: usize, enc: &Enc<'_>) {
        let sz = enc.size();
        let old = self.buf.len();
        self.buf.resize(old + sz, 0);
        self.buf.copy_within(off..old, off + sz);
        enc.write(&mut self.buf[off..off + sz]);
        self.count += 1;
    }

    /// Replaces the entry occupying `range` (a whole entry) with `enc`.
    pub(super) fn replace(&mut self, range: Range<usize>, enc: &Enc<'_>) {
        let sz = enc.size();
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
        enc.write(&mut self.buf[start..start + sz]);
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

    /// Removes up to `max` entries whose head and data are `key`, the first ones (or the
    /// last ones with `from_back`); returns how many.
    pub(super) fn remove_matching(&mut self, key: &[u8], max: usize, from_back: bool) -> usize {
        let mut found: Vec<Range<usize>> = Vec::new();
        if from_back {
            let mut end = self.buf.len();
            while end > 0 && found.len() < max {
                let start = self.start_before(end);
                if self.matches_at(start, key).0 {
                    found.push(start..end);
                }
                end = start;
            }
            found.reverse();
        } else {
            let mut off = 0;
            while off < self.buf.len() && found.len() < max {
                let (hit, next) = self.matches_at(off, key);
                if hit {
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

    fn node_of(elems: &[&[u8]]) -> Node {
        let mut n = Node::with(&Enc::of(elems[0]));
        for e in &elems[1..] {
            n.insert_at(n.bytes(), &Enc::of(e));
        }
        n
    }

    #[test]
    fn entries_read_both_ways() {
        for len in [0usize, 1, 5, 62, 63, 64, 127, 128, 8190, 8191, 8192, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let n = node_of(&[b"x", &data, b"7"]);
            assert_eq!(n.bytes(), Enc::of(b"x").size() + Enc::of(&data).size() + 2);
            let (a, next) = n.at(0);
            assert_eq!(a, Elem::Bytes(b"x"));
            let (b, next) = n.at(next);
            assert_eq!(b, Elem::Bytes(&data));
            let (c, end) = n.at(next);
            assert_eq!((c, end), (Elem::Int(7), n.bytes()));
            let (start, c) = read_back(&n.buf, n.bytes());
            assert_eq!(c, Elem::Int(7));
            let (start, b) = read_back(&n.buf, start);
            assert_eq!(b, Elem::Bytes(&data));
            assert_eq!(read_back(&n.buf, start).0, 0);
        }
    }

    #[test]
    fn integers_round_trip_exactly() {
        let cases: &[&[u8]] = &[
            b"0",
            b"-1",
            b"31",
            b"-32",
            b"32",
            b"12345678",
            b"-9223372036854775808",
            b"9223372036854775807",
            b"4611686018427387903",
            b"-4611686018427387904",
            b"4611686018427387904",
            b"-4611686018427387905",
            b"01",
            b"-0",
            b"+1",
            b" 1",
            b"1.0",
            b"9223372036854775808",
            b"",
        ];
        let n = node_of(cases);
        let mut off = 0;
        for case in cases {
            let (e, next) = n.at(off);
            assert_eq!(e.to_vec(), case.to_vec());
            assert!(e.eq_bytes(case));
            assert!(n.matches_at(off, &Enc::of(case).key()).0);
            off = next;
        }
        assert_eq!(off, n.bytes());
        assert_eq!(n.at(0).0, Elem::Int(0));
        assert_eq!(node_of(&[b"01"]).at(0).0, Elem::Bytes(b"01"));
        // The extreme magnitudes stay strings; their neighbours are integers.
        assert!(matches!(node_of(&[b"4611686018427387903"]).at(0).0, Elem::Int(_)));
        assert!(matches!(node_of(&[b"4611686018427387904"]).at(0).0, Elem::Bytes(_)));
        assert!(matches!(node_of(&[b"-4611686018427387904"]).at(0).0, Elem::Int(_)));
        assert!(matches!(node_of(&[b"-4611686018427387905"]).at(0).0, Elem::Bytes(_)));
    }

    #[test]
    fn small_elements_are_small() {
        assert_eq!(Enc::of(b"").size(), 2);
        assert_eq!(Enc::of(b"a").size(), 3);
        assert_eq!(Enc::of(&[b'a'; 63]).size(), 65);
        assert_eq!(Enc::of(&[b'a'; 64]).size(), 67);
        assert_eq!(Enc::of(b"7").size(), 2);
        assert_eq!(Enc::of(b"-32").size(), 2);
        assert_eq!(Enc::of(b"1234567").size(), 5);
        assert_eq!(Enc::of(b"-4611686018427387904").size(), 11);
        assert_eq!(Enc::of(b"-9223372036854775807").size(), 22);
        // Never larger than the string it replaces.
        for s in ["9", "99", "999999", "4611686018427387903", "-4611686018427387904"] {
            assert!(Enc::of(s.as_bytes()).size() <= s.len() + 2, "{s}");
        }
    }
}
