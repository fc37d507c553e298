//! The set type: [`SetValue`], with Redis 7.0's two encodings.
//!
//! - `intset`: while every member is an integer (in the canonical form Redis's `string2ll`
//!   accepts) and there are at most `set-max-intset-entries` of them, members are packed
//!   into a sorted array of 2-, 4- or 8-byte integers (see `intset`).
//! - `hashtable`: a [`Dict`] of members with no values (a slot is 32 bytes; members of up to
//!   22 bytes are stored inline). A set converts on the first non-integer member or when it
//!   outgrows the limit, and never converts back, as in Redis.
//!
//! The limit is passed to every insertion rather than stored, so CONFIG SET takes effect on
//! the next write. [`Member`] lets integers travel without being formatted.
//! [`SetValue::heap_bytes`] is O(1).

mod intset;

use crate::dict::Dict;
use crate::mem::alloc_size;
use crate::string::{format_i64, parse_i64};
use intset::IntSet;

/// An intset never holds more than this many members, whatever `set-max-intset-entries`
/// says (Redis's limit, from intset internals).
pub const INTSET_MAX_ENTRIES: usize = 1 << 30;

/// A member of a set, as stored: an integer of an intset, or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member<'a> {
    /// An integer (intset encoding).
    Int(i64),
    /// Bytes (hashtable encoding).
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// Calls `f` with the member's bytes (an integer formatted in decimal, without allocating).
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Int(v) => {
                let mut buf = [0u8; 20];
                f(format_i64(v, &mut buf))
            }
            Member::Bytes(b) => f(b),
        }
    }

    /// The member's bytes, owned.
    pub fn to_vec(self) -> Vec<u8> {
        self.with_bytes(<[u8]>::to_vec)
    }
}

#[derive(Clone)]
enum Repr {
    Ints(IntSet),
    /// Boxed: keeps the common small set compact.
    Table(Box<Dict<()>>),
}

/// A set value. See the [module documentation](self).
#[derive(Clone)]
pub struct SetValue(Repr);

impl Default for SetValue {
    fn default() -> Self {
        SetValue::new()
    }
}

impl SetValue {
    /// An empty set (intset encoding; allocates nothing).
    pub fn new() -> SetValue {
        SetValue(Repr::Ints(IntSet::default()))
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Ints(s) => s.len(),
            Repr::Table(d) => d.len(),
        }
    }

    /// Whether it holds no member (an empty set is deleted by the command layer).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes owned, maintained incrementally (O(1)).
    pub fn heap_bytes(&self) -> usize {
        match &self.0 {
            Repr::Ints(s) => s.heap_bytes(),
            Repr::Table(d) => alloc_size(std::mem::size_of::<Dict<()>>()) + d.mem_bytes(),
        }
    }

    /// OBJECT ENCODING name: `intset` or `hashtable`.
    pub fn encoding_name(&self) -> &'static str {
        match &self.0 {
            Repr::Ints(_) => "intset",
            Repr::Table(_) => "hashtable",
        }
    }

    /// Whether the compact (intset) encoding is in use.
    pub fn is_compact(&self) -> bool {
        matches!(self.0, Repr::Ints(_))
    }

    /// Whether `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.0 {
            Repr::Ints(s) => parse_i64(member).is_some_and(|v| s.contains(v)),
            Repr::Table(d) => d.contains_key(member),
        }
    }

    /// Whether `member` (from another set) is in this one.
    pub fn contains_member(&self, member: Member<'_>) -> bool {
        match (&self.0, member) {
            (Repr::Ints(s), Member::Int(v)) => s.contains(v),
            (_, m) => m.with_bytes(|b| self.contains(b)),
        }
    }

    /// Adds `member`; true if it was not there. Converts to the hashtable encoding on a
    /// non-integer member, or when the intset would hold more than `max_intset` members.
    pub fn add(&mut self, member: &[u8], max_intset: usize) -> bool {
        match &self.0 {
            Repr::Ints(_) => match parse_i64(member) {
                Some(v) => self.add_int(v, max_intset),
                None => {
                    self.convert(1);
                    self.add_to_table(member)
                }
            },
            Repr::Table(_) => self.add_to_table(member),
        }
    }

    /// [`SetValue::add`] of a member taken from another set.
    pub fn add_member(&mut self, member: Member<'_>, max_intset: usize) -> bool {
        match (&self.0, member) {
            (Repr::Ints(_), Member::Int(v)) => self.add_int(v, max_intset),
            (_, m) => m.with_bytes(|b| self.add(b, max_intset)),
        }
    }

    fn add_int(&mut self, v: i64, max_intset: usize) -> bool {
        match &mut self.0 {
            Repr::Ints(s) => {
                if !s.insert(v) {
                    return false;
                }
                if s.len() > max_intset.min(INTSET_MAX_ENTRIES) {
                    self.convert(0);
                }
                true
            }
            Repr::Table(_) => Member::Int(v).with_bytes(|b| self.add_to_table(b)),
        }
    }

    fn add_to_table(&mut self, member: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Table(d) => {
                let hash = d.hash_key(member);
                if d.find_hashed(member, hash).is_some() {
                    return false;
                }
                d.insert_hashed(member, hash, ());
                true
            }
            Repr::Ints(_) => false,
        }
    }

    /// Converts to the hashtable encoding, with room for `extra` more members.
    fn convert(&mut self, extra: usize) {
        if let Repr::Ints(s) = &self.0 {
            let mut d = Dict::new();
            d.reserve(s.len().saturating_add(extra));
            for v in s.iter() {
                Member::Int(v).with_bytes(|b| d.insert(b, ()));
            }
            self.0 = Repr::Table(Box::new(d));
        }
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Ints(s) => parse_i64(member).is_some_and(|v| s.remove(v)),
            Repr::Table(d) => d.remove(member).is_some(),
        }
    }

    /// Removes `member` (from another set); true if it was there.
    pub fn remove_member(&mut self, member: Member<'_>) -> bool {
        match (&mut self.0, member) {
            (Repr::Ints(s), Member::Int(v)) => s.remove(v),
            (_, m) => m.with_bytes(|b| self.remove(b)),
        }
    }

    /// The member at position `index` (`0..len()`): ascending order for an intset, table
    /// order otherwise. O(1).
    pub fn get_index(&self, index: usize) -> Option<Member<'_>> {
        match &self.0 {
            Repr::Ints(s) => s.get(index).map(Member::Int),
            Repr::Table(d) => d.get_index(index).map(|(k, _)| Member::Bytes(k)),
        }
    }

    /// Removes the member at position `index`. Positions after it may change.
    pub fn remove_index(&mut self, index: usize) {
        match &mut self.0 {
            Repr::Ints(s) => s.remove_index(index),
            Repr::Table(d) => {
                if index < d.len() {
                    d.remove_index(index);
                }
            }
        }
    }

    /// A uniformly random position, `None` when empty. O(1).
    pub fn random_index(&self) -> Option<usize> {
        let len = self.len();
        (len > 0).then(|| fastrand::usize(..len))
    }

    /// A uniformly random member, `None` when empty. O(1).
    pub fn random_member(&self) -> Option<Member<'_>> {
        self.random_index().and_then(|i| self.get_index(i))
    }

    /// The members: ascending for an intset, table order otherwise.
    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> + '_ {
        (0..self.len()).map_while(|i| self.get_index(i))
    }

    /// One SCAN step from `cursor`: calls `f` for the members of one bucket and returns the
    /// next cursor (0 when done), as Redis's `dictScan`. An intset is returned whole in one
    /// step, with cursor 0, as Redis does.
    pub fn scan_step(&self, cursor: u64, mut f: impl FnMut(Member<'_>)) -> u64 {
        match &self.0 {
            Repr::Ints(s) => {
                for v in s.iter() {
                    f(Member::Int(v));
                }
                0
            }
            Repr::Table(d) => d.scan(cursor, |k, _| f(Member::Bytes(k))),
        }
    }
}

impl PartialEq for SetValue {
    fn eq(&self, other: &SetValue) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains_member(m))
    }
}

impl std::fmt::Debug for SetValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetValue").field("encoding", &self.encoding_name()).field("len", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &SetValue) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = s.iter().map(Member::to_vec).collect();
        v.sort();
        v
    }

    #[test]
    fn intset_until_a_string_or_too_many() {
        let mut s = SetValue::new();
        assert_eq!(s.heap_bytes(), 0);
        assert!(s.add(b"3", 4));
        assert!(s.add(b"-1", 4));
        assert!(!s.add(b"3", 4));
        assert_eq!(s.encoding_name(), "intset");
        assert!(s.contains(b"3"));
        assert!(!s.contains(b"03"));
        assert!(!s.contains(b"x"));
        assert_eq!(s.get_index(0), Some(Member::Int(-1)));
        assert!(s.add(b"x", 4));
        assert_eq!(s.encoding_name(), "hashtable");
        assert_eq!(members(&s), vec![b"-1".to_vec(), b"3".to_vec(), b"x".to_vec()]);
        assert!(s.contains_member(Member::Int(3)));
        let mut s = SetValue::new();
        for i in 0..4 {
            s.add(i.to_string().as_bytes(), 4);
        }
        assert_eq!(s.encoding_name(), "intset");
        s.add(b"4", 4);
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.remove(b"4"));
        assert_eq!(s.encoding_name(), "hashtable");
        // Non-canonical integers are strings.
        let mut s = SetValue::new();
        s.add(b"007", 512);
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.contains(b"007"));
        assert!(!s.contains(b"7"));
        let mut s = SetValue::new();
        s.add(b"1", 0);
        assert_eq!(s.encoding_name(), "hashtable");
    }

    #[test]
    fn members_cross_encodings() {
        let mut ints = SetValue::new();
        let mut strs = SetValue::new();
        for i in 0..10 {
            ints.add(i.to_string().as_bytes(), 512);
            strs.add(i.to_string().as_bytes(), 512);
        }
        strs.add(b"a", 512);
        strs.remove(b"a");
        assert_eq!(ints.encoding_name(), "intset");
        assert_eq!(strs.encoding_name(), "hashtable");
        assert_eq!(ints, strs);
        for m in strs.iter() {
            assert!(ints.contains_member(m));
        }
        let mut copy = SetValue::new();
        for m in strs.iter() {
            assert!(copy.add_member(m, 512));
        }
        assert_eq!(copy.encoding_name(), "intset");
        assert!(copy.remove_member(Member::Bytes(b"5")));
        assert!(ints.remove_member(Member::Int(5)));
        assert!(!ints.remove_member(Member::Bytes(b"5")));
        assert_eq!(copy, ints);
    }

    #[test]
    fn random_pop_and_scan() {
        for max in [512, 0] {
            let mut s = SetValue::new();
            for i in 0..100 {
                s.add(i.to_string().as_bytes(), max);
            }
            let mut n = 0;
            let mut cursor = 0;
            loop {
                cursor = s.scan_step(cursor, |_| n += 1);
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(n, 100);
            let mut popped = Vec::new();
            while let Some(i) = s.random_index() {
                popped.push(s.get_index(i).unwrap().to_vec());
                s.remove_index(i);
            }
            popped.sort();
            popped.dedup();
            assert_eq!(popped.len(), 100);
            assert_eq!(s.random_member(), None);
        }
    }

    #[test]
    fn accounting() {
        let mut s = SetValue::new();
        s.add(b"1", 512);
        s.add(b"2", 512);
        assert_eq!(s.heap_bytes(), alloc_size(4));
        s.add(b"a-long-member-that-does-not-fit-inline", 512);
        let d = match &s.0 {
            Repr::Table(d) => d,
            Repr::Ints(_) => panic!("not converted"),
        };
        assert_eq!(s.heap_bytes(), alloc_size(std::mem::size_of::<Dict<()>>()) + d.mem_bytes());
    }
}
