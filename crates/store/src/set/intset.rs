//! [`IntSet`]: the compact ("intset") encoding of a set of integers, as Redis's intset.c.
//!
//! A sorted array of distinct integers packed at one width for all (2, 4 or 8 bytes, little
//! endian), in one exactly sized allocation. The width grows to fit a wider value and never
//! shrinks. Lookups are binary searches; insertions and removals move the tail, which is
//! cheap at the sizes this encoding is used for (`set-max-intset-entries`).

use crate::mem::alloc_size;

/// The narrowest width (2, 4 or 8 bytes) that holds `v`.
fn width_for(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// Appends `v` at `width` bytes, little endian (`v` fits: the width was chosen for it).
fn put(out: &mut Vec<u8>, v: i64, width: usize) {
    out.extend_from_slice(&v.to_le_bytes()[..width]);
}

/// A sorted set of distinct integers. See the [module documentation](self).
#[derive(Clone, Debug)]
pub(crate) struct IntSet {
    buf: Box<[u8]>,
    width: u8,
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet { buf: Box::default(), width: 2 }
    }
}

impl IntSet {
    fn width(&self) -> usize {
        usize::from(self.width)
    }

    /// Number of members.
    pub(crate) fn len(&self) -> usize {
        self.buf.len() / self.width()
    }

    /// Heap bytes owned.
    pub(crate) fn heap_bytes(&self) -> usize {
        alloc_size(self.buf.len())
    }

    /// The member at `index` (ascending order).
    pub(crate) fn get(&self, index: usize) -> Option<i64> {
        let w = self.width();
        let bytes = self.buf.get(index.checked_mul(w)?..index.checked_add(1)?.checked_mul(w)?)?;
        Some(match w {
            2 => i64::from(i16::from_le_bytes([bytes[0], bytes[1]])),
            4 => i64::from(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
            _ => {
                let mut b = [0u8; 8];
                b.copy_from_slice(bytes);
                i64::from_le_bytes(b)
            }
        })
    }

    /// `Ok(index)` of `v`, or `Err(index)` where it would be inserted.
    fn search(&self, v: i64) -> Result<usize, usize> {
        if width_for(v) > self.width() {
            // Out of the range of every member.
            return Err(if v < 0 { 0 } else { self.len() });
        }
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid) {
                Some(m) if m < v => lo = mid + 1,
                Some(m) if m > v => hi = mid,
                Some(_) => return Ok(mid),
                None => return Err(lo),
            }
        }
        Err(lo)
    }

    /// Whether `v` is a member.
    pub(crate) fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// Adds `v`; true if it was not there.
    pub(crate) fn insert(&mut self, v: i64) -> bool {
        let Err(pos) = self.search(v) else {
            return false;
        };
        let new_width = width_for(v).max(self.width());
        let len = self.len();
        let mut out = Vec::with_capacity((len + 1) * new_width);
        if new_width == self.width() {
            out.extend_from_slice(&self.buf[..pos * new_width]);
            put(&mut out, v, new_width);
            out.extend_from_slice(&self.buf[pos * new_width..]);
        } else {
            // Upgrade: re-encode every member at the new width.
            for i in 0..len {
                if i == pos {
                    put(&mut out, v, new_width);
                }
                put(&mut out, self.get(i).unwrap_or(0), new_width);
            }
            if pos == len {
                put(&mut out, v, new_width);
            }
            // new_width is 2, 4 or 8.
            self.width = new_width as u8;
        }
        self.buf = out.into_boxed_slice();
        true
    }

    /// Removes the member at `index`.
    pub(crate) fn remove_index(&mut self, index: usize) {
        let w = self.width();
        if index >= self.len() {
            return;
        }
        let mut out = Vec::with_capacity(self.buf.len() - w);
        out.extend_from_slice(&self.buf[..index * w]);
        out.extend_from_slice(&self.buf[(index + 1) * w..]);
        self.buf = out.into_boxed_slice();
    }

    /// Removes `v`; true if it was there.
    pub(crate) fn remove(&mut self, v: i64) -> bool {
        match self.search(v) {
            Ok(i) => {
                self.remove_index(i);
                true
            }
            Err(_) => false,
        }
    }

    /// The members in ascending order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map_while(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_distinct_with_upgrades() {
        let mut s = IntSet::default();
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert_eq!(s.heap_bytes(), alloc_size(4));
        assert!(s.insert(100_000)); // to 4 bytes, appended
        assert!(s.insert(-5_000_000_000)); // to 8 bytes, prepended
        assert!(s.insert(7));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-5_000_000_000, -3, 5, 7, 100_000]);
        assert_eq!(s.buf.len(), 5 * 8);
        for v in [i64::MIN, i64::MAX, 0] {
            assert!(s.insert(v));
            assert!(s.contains(v));
        }
        assert!(!s.contains(6));
        assert!(s.remove(7));
        assert!(!s.remove(7));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -5_000_000_000, -3, 0, 5, 100_000, i64::MAX]);
        while s.len() > 0 {
            s.remove_index(s.len() / 2);
        }
        assert_eq!(s.heap_bytes(), 0);
        // A narrow set answers "no" for values wider than itself.
        let mut s = IntSet::default();
        s.insert(1);
        assert!(!s.contains(1 << 40));
        assert!(!s.contains(-(1 << 40)));
        assert_eq!(s.get(1), None);
    }

    #[test]
    fn matches_a_model() {
        let mut s = IntSet::default();
        let mut model = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            let v = match fastrand::u8(..3) {
                0 => fastrand::i64(-300..300),
                1 => fastrand::i64(-100_000..100_000),
                _ => fastrand::i64(..),
            };
            if fastrand::bool() {
                assert_eq!(s.insert(v), model.insert(v));
            } else {
                assert_eq!(s.remove(v), model.remove(&v));
            }
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
    }
}
