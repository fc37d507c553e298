//! The small sorted-set representation (Redis's "listpack" encoding): entries packed one
//! after another in a single byte buffer, in (score, member) order.
//!
//! Each entry is the score (8 bytes, little-endian `f64`), the member's length (LEB128) and
//! the member's bytes. Every operation is a linear walk, which is what a listpack costs in
//! Redis too; the set converts to a skiplist before it grows past the configured limits.

use crate::mem::alloc_size;

/// A packed, sorted run of (member, score) entries.
#[derive(Clone, Default)]
pub(crate) struct Compact {
    buf: Vec<u8>,
    len: usize,
}

/// Appends the LEB128 form of `n` to `out`.
fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends the entry (`member`, `score`). A listpack keeps an integral score as an
/// integer, so `-0` is stored as `0`, as in Redis.
fn put_entry(out: &mut Vec<u8>, member: &[u8], score: f64) {
    let score = if score == 0.0 { 0.0 } else { score };
    out.extend_from_slice(&score.to_le_bytes());
    put_varint(out, member.len());
    out.extend_from_slice(member);
}

/// The entry at `pos`: (member, score, position of the next entry). `None` past the end
/// (the buffer is only ever written by this module, so a malformed one cannot occur).
fn entry_at(buf: &[u8], pos: usize) -> Option<(&[u8], f64, usize)> {
    let score_bytes: [u8; 8] = buf.get(pos..pos.checked_add(8)?)?.try_into().ok()?;
    let score = f64::from_le_bytes(score_bytes);
    let mut p = pos + 8;
    let mut len = 0usize;
    let mut shift = 0u32;
    loop {
        let b = *buf.get(p)?;
        p += 1;
        len |= usize::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let end = p.checked_add(len)?;
    Some((buf.get(p..end)?, score, end))
}

/// Whether (`s1`, `m1`) sorts before (`s2`, `m2`).
fn before(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> bool {
    s1 < s2 || (s1 == s2 && m1 < m2)
}

impl Compact {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Heap bytes owned.
    pub(crate) fn heap_bytes(&self) -> usize {
        alloc_size(self.buf.capacity())
    }

    /// Iterates over every entry in order.
    pub(crate) fn iter(&self) -> CompactIter<'_> {
        CompactIter { buf: &self.buf, pos: 0, remaining: self.len }
    }

    /// The position and score of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, f64)> {
        let mut pos = 0;
        while let Some((m, s, next)) = entry_at(&self.buf, pos) {
            if m == member {
                return Some((pos, s));
            }
            pos = next;
        }
        None
    }

    pub(crate) fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|(_, s)| s)
    }

    /// The 0-based rank of `member`.
    pub(crate) fn rank(&self, member: &[u8]) -> Option<usize> {
        self.iter().position(|(m, _)| m == member)
    }

    /// Inserts a member known to be absent, at its place in the order.
    pub(crate) fn insert(&mut self, member: &[u8], score: f64) {
        let mut pos = 0;
        while let Some((m, s, next)) = entry_at(&self.buf, pos) {
            if !before(s, m, score, member) {
                break;
            }
            pos = next;
        }
        let mut entry = Vec::with_capacity(member.len() + 12);
        put_entry(&mut entry, member, score);
        self.buf.splice(pos..pos, entry);
        self.len += 1;
    }

    /// Removes `member`; returns its score.
    pub(crate) fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (pos, score) = self.find(member)?;
        let (_, _, next) = entry_at(&self.buf, pos)?;
        self.buf.drain(pos..next);
        self.len -= 1;
        self.maybe_shrink();
        Some(score)
    }

    /// Changes the score of `member` to `new`, moving it to its new place.
    pub(crate) fn update_score(&mut self, member: &[u8], new: f64) {
        if self.remove(member).is_some() {
            self.insert(member, new);
        }
    }

    fn maybe_shrink(&mut self) {
        if self.len == 0 {
            self.buf = Vec::new();
        } else if self.buf.capacity() > 64 && self.buf.len() * 2 < self.buf.capacity() {
            self.buf.shrink_to_fit();
        }
    }

    /// Number of leading entries for which `pred` holds.
    pub(crate) fn partition_point(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        self.iter().take_while(|&(m, s)| pred(m, s)).count()
    }

    /// The byte position of the entry at `rank` (the end of the buffer past the last).
    fn offset_of(&self, rank: usize) -> usize {
        let mut pos = 0;
        for _ in 0..rank {
            match entry_at(&self.buf, pos) {
                Some((_, _, next)) => pos = next,
                None => break,
            }
        }
        pos
    }

    /// The entry at 0-based `rank`.
    pub(crate) fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        if rank >= self.len {
            return None;
        }
        entry_at(&self.buf, self.offset_of(rank)).map(|(m, s, _)| (m, s))
    }

    /// Iterates over ranks `start..end`, backwards when `rev`.
    pub(crate) fn range(&self, start: usize, end: usize, rev: bool) -> CompactRange<'_> {
        let end = end.min(self.len);
        if start >= end {
            return CompactRange::Forward(CompactIter { buf: &self.buf, pos: 0, remaining: 0 });
        }
        let pos = self.offset_of(start);
        let forward = CompactIter { buf: &self.buf, pos, remaining: end - start };
        if rev {
            let mut offsets = Vec::with_capacity(end - start);
            let mut p = pos;
            for _ in start..end {
                offsets.push(p);
                match entry_at(&self.buf, p) {
                    Some((_, _, next)) => p = next,
                    None => break,
                }
            }
            CompactRange::Backward { buf: &self.buf, offsets }
        } else {
            CompactRange::Forward(forward)
        }
    }

    /// Removes ranks `start..end`; returns how many were removed.
    pub(crate) fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len);
        if start >= end {
            return 0;
        }
        let from = self.offset_of(start);
        let to = self.offset_of(end);
        self.buf.drain(from..to);
        self.len -= end - start;
        self.maybe_shrink();
        end - start
    }

    /// Removes and returns the first (or, with `max`, the last) entry.
    pub(crate) fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        if self.len == 0 {
            return None;
        }
        let rank = if max { self.len - 1 } else { 0 };
        let pos = self.offset_of(rank);
        let (m, s, next) = entry_at(&self.buf, pos)?;
        let member = m.to_vec();
        self.buf.drain(pos..next);
        self.len -= 1;
        self.maybe_shrink();
        Some((member, s))
    }

    /// Builds from entries already sorted by (score, member) with distinct members.
    pub(crate) fn from_sorted<'a>(entries: impl Iterator<Item = (&'a [u8], f64)>) -> Compact {
        let mut c = Compact::default();
        for (m, s) in entries {
            put_entry(&mut c.buf, m, s);
            c.len += 1;
        }
        c.buf.shrink_to_fit();
        c
    }
}

/// A forward walk over a [`Compact`] run.
pub(crate) struct CompactIter<'a> {
    buf: &'a [u8],
    pos: usize,
    remaining: usize,
}

impl<'a> Iterator for CompactIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let (m, s, next) = entry_at(self.buf, self.pos)?;
        self.pos = next;
        self.remaining -= 1;
        Some((m, s))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// A rank range of a [`Compact`] run, in either direction.
pub(crate) enum CompactRange<'a> {
    Forward(CompactIter<'a>),
    Backward { buf: &'a [u8], offsets: Vec<usize> },
}

impl<'a> Iterator for CompactRange<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            CompactRange::Forward(it) => it.next(),
            CompactRange::Backward { buf, offsets } => {
                let pos = offsets.pop()?;
                entry_at(buf, pos).map(|(m, s, _)| (m, s))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            CompactRange::Forward(it) => it.size_hint(),
            CompactRange::Backward { offsets, .. } => (offsets.len(), Some(offsets.len())),
        }
    }
}
