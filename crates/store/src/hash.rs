//! The hash type: [`HashValue`], with Redis 7.0's two encodings.
//!
//! - `listpack`: while a hash has at most `hash-max-listpack-entries` fields and every field
//!   and value is at most `hash-max-listpack-value` bytes ([`HashLimits`]), its pairs live in
//!   one contiguous buffer of length-prefixed strings (see `pack`), in insertion order.
//! - `hashtable`: past either limit it converts, once and for good (Redis never converts
//!   back), to a [`dict::Table`] of field-value pairs, a pair of up to 29 bytes in all
//!   stored inline in its slot (see `pair`).
//!
//! The limits are passed to every insertion rather than stored, so CONFIG SET takes effect on
//! the next write, as in Redis. Memory accounting ([`HashValue::heap_bytes`]) is O(1): the
//! compact buffer is exactly sized, and the table counts the heap its pairs own as they come
//! and go.

mod pack;
mod pair;

use crate::dict;
use crate::mem::alloc_size;
use pack::{str_size, Pack, PackIter, PACK_MAX_BYTES};
use pair::Pair;

/// The thresholds of the compact encoding (`hash-max-listpack-entries`,
/// `hash-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashLimits {
    /// Most fields a compact hash holds.
    pub max_entries: usize,
    /// Longest field or value, in bytes, a compact hash holds.
    pub max_value: usize,
}

impl Default for HashLimits {
    /// Redis 7.0's built-in defaults (512 entries, 64 bytes).
    fn default() -> Self {
        HashLimits { max_entries: 512, max_value: 64 }
    }
}

/// The hashtable encoding: a table of [`Pair`]s (field and value in one entry).
#[derive(Clone)]
struct Table {
    dict: dict::Table<Pair>,
}

impl Table {
    fn with_capacity(n: usize) -> Table {
        let mut dict = dict::Table::new();
        dict.reserve(n);
        Table { dict }
    }

    fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.dict.find(field).and_then(|i| self.dict.entry(i)).map(Pair::value)
    }

    fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        let hash = self.dict.hash_key(field);
        let pair = Pair::new(field, value);
        match self.dict.find_hashed(field, hash) {
            Some(i) => {
                self.dict.replace_at(i, pair);
                false
            }
            None => {
                self.dict.insert_absent(hash, pair, true);
                true
            }
        }
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        match self.dict.find(field) {
            Some(i) => {
                self.dict.remove_at(i);
                true
            }
            None => false,
        }
    }

    fn pair(&self, index: usize) -> Option<(&[u8], &[u8])> {
        self.dict.entry(index).map(Pair::split)
    }
}

#[derive(Clone)]
enum Repr {
    Pack(Pack),
    /// Boxed: keeps the common small hash compact.
    Table(Box<Table>),
}

/// A hash value. See the [module documentation](self).
#[derive(Clone)]
pub struct HashValue(Repr);

impl Default for HashValue {
    fn default() -> Self {
        HashValue::new()
    }
}

impl HashValue {
    /// An empty hash (compact encoding; allocates nothing).
    pub fn new() -> HashValue {
        HashValue(Repr::Pack(Pack::default()))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Pack(p) => p.len(),
            Repr::Table(t) => t.dict.len(),
        }
    }

    /// Whether it holds no field (an empty hash is deleted by the command layer).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes owned, maintained incrementally (O(1)).
    pub fn heap_bytes(&self) -> usize {
        match &self.0 {
            Repr::Pack(p) => p.heap_bytes(),
            Repr::Table(t) => alloc_size(std::mem::size_of::<Table>()) + t.dict.mem_bytes(),
        }
    }

    /// OBJECT ENCODING name: `listpack` or `hashtable`.
    pub fn encoding_name(&self) -> &'static str {
        match &self.0 {
            Repr::Pack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// Whether the compact encoding is in use.
    pub fn is_compact(&self) -> bool {
        matches!(self.0, Repr::Pack(_))
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.0 {
            Repr::Pack(p) => p.get(field),
            Repr::Table(t) => t.get(field),
        }
    }

    /// Whether `field` exists.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`; true if the field is new. Converts to the hashtable encoding
    /// first when the field or value is longer than `limits.max_value` (or the compact buffer
    /// would pass 1 GiB), and after when the hash has more than `limits.max_entries` fields.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: HashLimits) -> bool {
        if let Repr::Pack(p) = &self.0 {
            let too_long = field.len() > limits.max_value || value.len() > limits.max_value;
            let grown = p.bytes().saturating_add(str_size(field)).saturating_add(str_size(value));
            if too_long || grown > PACK_MAX_BYTES {
                self.convert();
            }
        }
        match &mut self.0 {
            Repr::Pack(p) => {
                let added = p.set(field, value);
                if p.len() > limits.max_entries {
                    self.convert();
                }
                added
            }
            Repr::Table(t) => t.insert(field, value),
        }
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Pack(p) => p.remove(field),
            Repr::Table(t) => t.remove(field),
        }
    }

    /// Converts to the hashtable encoding (no-op if already there).
    fn convert(&mut self) {
        if let Repr::Pack(p) = &self.0 {
            let mut t = Table::with_capacity(p.len());
            for (f, v) in p.iter() {
                t.insert(f, v);
            }
            self.0 = Repr::Table(Box::new(t));
        }
    }

    /// The (field, value) pairs: insertion order when compact, table order otherwise.
    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Pack(p) => Iter(IterRepr::Pack(p.iter())),
            Repr::Table(t) => Iter(IterRepr::Table { table: t, next: 0 }),
        }
    }

    /// A uniformly random pair, `None` when empty. O(1) for a table, O(n) when compact.
    pub fn random_entry(&self) -> Option<(&[u8], &[u8])> {
        match &self.0 {
            Repr::Pack(p) if p.len() > 0 => p.iter().nth(fastrand::usize(..p.len())),
            Repr::Pack(_) => None,
            Repr::Table(t) => t.dict.random_index().and_then(|i| t.pair(i)),
        }
    }

    /// Random access by position for repeated sampling (HRANDFIELD): O(n) to build when
    /// compact (an index of offsets, never bigger than the hash), then O(1) per access.
    pub fn sampler(&self) -> Sampler<'_> {
        let offsets = match &self.0 {
            Repr::Pack(p) => p.offsets(),
            Repr::Table(_) => Vec::new(),
        };
        Sampler { hash: self, offsets }
    }

    /// One SCAN step from `cursor`: calls `f` for every pair of one bucket and returns the
    /// next cursor (0 when done), as Redis's `dictScan`. A compact hash is returned whole in
    /// one step, with cursor 0, as Redis does.
    pub fn scan_step(&self, cursor: u64, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.0 {
            Repr::Pack(p) => {
                for (k, v) in p.iter() {
                    f(k, v);
                }
                0
            }
            Repr::Table(t) => t.dict.scan_entries(cursor, |p| {
                let (k, v) = p.split();
                f(k, v)
            }),
        }
    }
}

/// Iterator over the pairs of a [`HashValue`].
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Pack(PackIter<'a>),
    Table { table: &'a Table, next: usize },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Pack(it) => it.next(),
            IterRepr::Table { table, next } => {
                let pair = table.pair(*next)?;
                *next += 1;
                Some(pair)
            }
        }
    }
}

/// Positional access to a hash's pairs, from [`HashValue::sampler`]. Valid while the hash
/// is not modified (the borrow guarantees it).
pub struct Sampler<'a> {
    hash: &'a HashValue,
    offsets: Vec<usize>,
}

impl<'a> Sampler<'a> {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.hash.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pair at position `i` (`0..len()`).
    pub fn get(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        match &self.hash.0 {
            Repr::Pack(p) => p.pair_at(*self.offsets.get(i)?),
            Repr::Table(t) => t.pair(i),
        }
    }

    /// A uniformly random pair.
    pub fn random(&self) -> Option<(&'a [u8], &'a [u8])> {
        if self.is_empty() {
            return None;
        }
        self.get(fastrand::usize(..self.len()))
    }
}

impl PartialEq for HashValue {
    fn eq(&self, other: &HashValue) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl std::fmt::Debug for HashValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashValue").field("encoding", &self.encoding_name()).field("len", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::DictEntry;

    const SMALL: HashLimits = HashLimits { max_entries: 4, max_value: 8 };

    #[test]
    fn compact_then_table_by_count() {
        let mut h = HashValue::new();
        assert_eq!(h.heap_bytes(), 0);
        for i in 0..4 {
            assert!(h.insert(format!("f{i}").as_bytes(), b"v", SMALL));
        }
        assert_eq!(h.encoding_name(), "listpack");
        assert!(!h.insert(b"f0", b"w", SMALL));
        assert_eq!(h.get(b"f0"), Some(&b"w"[..]));
        assert!(h.insert(b"f4", b"v", SMALL));
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"f0"), Some(&b"w"[..]));
        // Never converts back.
        for i in 0..5 {
            assert!(h.remove(format!("f{i}").as_bytes()));
        }
        assert!(h.is_empty());
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn table_by_length() {
        let mut h = HashValue::new();
        h.insert(b"a", b"12345678", SMALL);
        assert_eq!(h.encoding_name(), "listpack");
        h.insert(b"a", b"123456789", SMALL);
        assert_eq!(h.encoding_name(), "hashtable");
        let mut h = HashValue::new();
        h.insert(b"123456789", b"", SMALL);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn accounting_is_exact() {
        let mut h = HashValue::new();
        let limits = HashLimits { max_entries: 2, max_value: 64 };
        let long = vec![b'v'; 40];
        h.insert(b"a", &long, limits);
        assert_eq!(h.heap_bytes(), alloc_size(2 + 41));
        h.insert(b"b", b"x", limits);
        h.insert(b"c", &long, limits);
        let Repr::Table(t) = &h.0 else { panic!("not converted") };
        let pairs: usize = t.dict.entries().map(DictEntry::heap_bytes).sum();
        // "a" and "c" with their 40-byte values are on the heap (1 + 1 + 40 bytes each).
        assert_eq!(pairs, 2 * alloc_size(42));
        let table = alloc_size(std::mem::size_of::<Table>()) + t.dict.mem_bytes();
        assert_eq!(h.heap_bytes(), table);
        h.insert(b"c", b"short", limits);
        h.remove(b"a");
        let Repr::Table(t) = &h.0 else { panic!("not converted") };
        assert_eq!(t.dict.entries().map(DictEntry::heap_bytes).sum::<usize>(), 0);
        assert_eq!(h.get(b"c"), Some(&b"short"[..]));
        assert_eq!(h.get(b"b"), Some(&b"x"[..]));
        assert_eq!(h.get(b"a"), None);
    }

    #[test]
    fn table_pairs_of_every_size() {
        // Inline, at the inline limit, and on the heap; updates that cross the limit.
        let mut h = HashValue::new();
        let limits = HashLimits { max_entries: 0, max_value: 1 << 20 };
        let big = vec![b'x'; 1000];
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..200)
            .map(|i| {
                let f = format!("field:{i}").into_bytes();
                let v = big[..(i * 7) % 300].to_vec();
                (f, v)
            })
            .collect();
        for (f, v) in &pairs {
            assert!(h.insert(f, v, limits));
        }
        assert_eq!(h.encoding_name(), "hashtable");
        for (f, v) in &pairs {
            assert_eq!(h.get(f), Some(&v[..]));
        }
        for (f, v) in pairs.iter().rev() {
            assert!(!h.insert(f, &v[..v.len() / 2], limits));
            assert_eq!(h.get(f), Some(&v[..v.len() / 2]));
        }
        let mut seen: Vec<Vec<u8>> = h.iter().map(|(f, _)| f.to_vec()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 200);
        for (f, _) in &pairs {
            assert!(h.remove(f));
        }
        assert!(h.is_empty());
        assert_eq!(h.heap_bytes(), alloc_size(std::mem::size_of::<Table>()));
    }

    #[test]
    fn iteration_sampling_and_scan() {
        for limits in [HashLimits::default(), HashLimits { max_entries: 0, max_value: 0 }] {
            let mut h = HashValue::new();
            for i in 0..50 {
                h.insert(format!("f{i}").as_bytes(), format!("v{i}").as_bytes(), limits);
            }
            let mut seen: Vec<String> = h
                .iter()
                .map(|(f, v)| format!("{}={}", String::from_utf8_lossy(f), String::from_utf8_lossy(v)))
                .collect();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), 50);
            let s = h.sampler();
            assert_eq!(s.len(), 50);
            for i in 0..50 {
                let (f, v) = s.get(i).unwrap();
                assert_eq!(h.get(f), Some(v));
            }
            assert!(s.get(50).is_none());
            assert!(s.random().is_some());
            assert!(h.random_entry().is_some());
            let mut n = 0;
            let mut cursor = 0;
            loop {
                cursor = h.scan_step(cursor, |_, _| n += 1);
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(n, 50);
        }
        assert!(HashValue::new().random_entry().is_none());
        assert!(HashValue::new().sampler().random().is_none());
    }

    #[test]
    fn equality_ignores_encoding() {
        let mut a = HashValue::new();
        let mut b = HashValue::new();
        a.insert(b"x", b"1", HashLimits::default());
        b.insert(b"x", b"1", HashLimits { max_entries: 0, max_value: 64 });
        assert_eq!(a, b);
        b.insert(b"x", b"2", HashLimits::default());
        assert_ne!(a, b);
    }
}
