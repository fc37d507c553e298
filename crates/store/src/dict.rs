//! `Dict<V>`: the hash table behind every database (and, later, behind hashes and sets).
//!
//! Layout: a power-of-two array of `u32` bucket heads, each the index of the first entry of
//! its chain in a dense arena `Vec` of slots (hash, next index, key, value). Removing an entry
//! moves the arena's last slot into the hole (re-linking the one pointer that referred to
//! it), so the arena never has holes: a uniformly random entry is one random index away, and
//! iteration is a linear walk.
//!
//! Hashing is keyed SipHash-1-3 (std's [`RandomState`], random keys per process and per
//! table), so a client cannot choose keys that collide (hash flooding). The table grows at
//! load factor 1 and shrinks when less than 1/8 full, rehashing from the stored 32-bit hash
//! without touching keys.
//!
//! [`Dict::scan`] implements Redis's reverse-binary cursor (dict.c `dictScan`): every entry
//! present for the whole of a scan is returned at least once, even if the table grows or
//! shrinks between calls; some may be returned more than once.
//!
//! Keys are owned by the table: they are copied in, never borrowed from a network buffer.
//! Keys of up to [`KEY_INLINE`] bytes are stored inside the slot with no allocation.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::mem;

use crate::mem::alloc_size;

/// Most keys [`Dict::warm`] takes at once.
pub const WARM_MAX: usize = 32;

/// Keys of at most this many bytes are stored inline in the slot, without a heap allocation.
pub const KEY_INLINE: usize = 22;

/// "No entry" in bucket heads and chain links.
const NIL: u32 = u32::MAX;

/// The smallest bucket array allocated.
const MIN_BUCKETS: usize = 4;

/// A key owned by the table: inline when short, boxed otherwise.
#[derive(Clone)]
enum Key {
    Inline { len: u8, buf: [u8; KEY_INLINE] },
    Heap(Box<[u8]>),
}

impl Key {
    fn new(bytes: &[u8]) -> Key {
        if bytes.len() <= KEY_INLINE {
            let mut buf = [0u8; KEY_INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            // The length fits: it is at most KEY_INLINE.
            Key::Inline { len: bytes.len() as u8, buf }
        } else {
            Key::Heap(bytes.into())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or(&[]),
            Key::Heap(b) => b,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Key::Inline { .. } => 0,
            Key::Heap(b) => alloc_size(b.len()),
        }
    }
}

/// One entry of the arena.
#[derive(Clone)]
struct Slot<V> {
    hash: u32,
    next: u32,
    key: Key,
    value: V,
}

/// A hash table from owned byte-string keys to `V`, with SCAN cursors and O(1) random
/// sampling. See the [module documentation](self).
///
/// Entry indices (`find`, `get_index`, `remove_index`, `random_index`) are positions in the
/// dense arena, `0..len()`; they stay valid until the next insertion or removal.
#[derive(Clone)]
pub struct Dict<V> {
    buckets: Vec<u32>,
    slots: Vec<Slot<V>>,
    hasher: RandomState,
    key_heap: usize,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict::new()
    }
}

impl<V> std::fmt::Debug for Dict<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dict").field("len", &self.slots.len()).field("buckets", &self.buckets.len()).finish()
    }
}

impl<V> Dict<V> {
    /// An empty table with fresh random hash keys. Allocates nothing until the first insert.
    pub fn new() -> Dict<V> {
        Dict::with_hasher(RandomState::new())
    }

    /// An empty table using the given hash keys (tables sharing keys can share hashes,
    /// see [`Dict::hash_key`]).
    pub fn with_hasher(hasher: RandomState) -> Dict<V> {
        Dict { buckets: Vec::new(), slots: Vec::new(), hasher, key_heap: 0 }
    }

    /// The table's hash keys.
    pub fn hasher(&self) -> &RandomState {
        &self.hasher
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Number of buckets (0 before the first insert, else a power of two).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// The keyed hash of `key` as this table computes it.
    pub fn hash_key(&self, key: &[u8]) -> u32 {
        let mut h = self.hasher.build_hasher();
        h.write(key);
        let x = h.finish();
        (x ^ (x >> 32)) as u32
    }

    /// The index of `key`, if present.
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        self.find_hashed(key, self.hash_key(key))
    }

    /// The index of `key` whose hash (from [`Dict::hash_key`] of a table with the same
    /// hasher) is `hash`.
    pub fn find_hashed(&self, key: &[u8], hash: u32) -> Option<usize> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut i = self.buckets[hash as usize & (self.buckets.len() - 1)];
        while i != NIL {
            let slot = self.slots.get(i as usize)?;
            if slot.hash == hash && slot.key.as_bytes() == key {
                return Some(i as usize);
            }
            i = slot.next;
        }
        None
    }

    /// Brings the bucket heads and first chain slots of `keys` into the cache, all at once,
    /// so that lookups that follow hit the cache. A lookup walks bucket then slot, one cache
    /// miss after the other; here every key's loads are independent of the others', so the
    /// processor has them in flight together (memory-level parallelism). Returns a value
    /// derived from the loads only so that they are not optimised away.
    pub fn warm(&self, keys: &[&[u8]]) -> u32 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = self.buckets.len() - 1;
        let mut heads = [NIL; WARM_MAX];
        for (head, key) in heads.iter_mut().zip(keys) {
            *head = self.hash_key(key);
        }
        for head in heads.iter_mut().take(keys.len()) {
            *head = self.buckets[*head as usize & mask];
        }
        let mut seen = 0u32;
        for &head in heads.iter().take(keys.len()) {
            if let Some(slot) = self.slots.get(head as usize) {
                // A slot may straddle two cache lines: the hash and the key are compared.
                let first = slot.key.as_bytes().first().copied().unwrap_or(0);
                seen = seen.wrapping_add(slot.hash).wrapping_add(first as u32);
            }
        }
        std::hint::black_box(seen)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|i| &self.slots[i].value)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.find(key).map(move |i| &mut self.slots[i].value)
    }

    /// The key and value at `index` (see the note on indices on [`Dict`]).
    pub fn get_index(&self, index: usize) -> Option<(&[u8], &V)> {
        self.slots.get(index).map(|s| (s.key.as_bytes(), &s.value))
    }

    /// The key and mutable value at `index`.
    pub fn get_index_mut(&mut self, index: usize) -> Option<(&[u8], &mut V)> {
        self.slots.get_mut(index).map(|s| (s.key.as_bytes(), &mut s.value))
    }

    /// A uniformly random index, or `None` when empty. O(1).
    pub fn random_index(&self) -> Option<usize> {
        if self.slots.is_empty() {
            None
        } else {
            Some(fastrand::usize(..self.slots.len()))
        }
    }

    /// A uniformly random entry, or `None` when empty. O(1).
    pub fn random_entry(&self) -> Option<(&[u8], &V)> {
        self.random_index().and_then(|i| self.get_index(i))
    }

    /// Inserts or replaces; returns the previous value of `key`.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        let hash = self.hash_key(key);
        self.insert_hashed(key, hash, value)
    }

    /// [`Dict::insert`] with a precomputed hash (see [`Dict::find_hashed`]).
    pub fn insert_hashed(&mut self, key: &[u8], hash: u32, value: V) -> Option<V> {
        if let Some(i) = self.find_hashed(key, hash) {
            return Some(mem::replace(&mut self.slots[i].value, value));
        }
        self.insert_new(key, hash, value);
        None
    }

    /// Inserts a key known to be absent; returns its index.
    fn insert_new(&mut self, key: &[u8], hash: u32, value: V) -> usize {
        if self.buckets.is_empty() {
            self.buckets = vec![NIL; MIN_BUCKETS];
        } else if self.slots.len() >= self.buckets.len() {
            self.rehash(self.buckets.len() * 2);
        }
        let index = self.slots.len();
        // Indices are u32 with NIL reserved: a table holds at most u32::MAX - 1 entries
        // (about 250 GiB of slots), far beyond any memory limit.
        assert!(index < NIL as usize, "dict: more than 2^32-2 entries");
        let key = Key::new(key);
        self.key_heap += key.heap_bytes();
        let b = hash as usize & (self.buckets.len() - 1);
        self.slots.push(Slot { hash, next: self.buckets[b], key, value });
        self.buckets[b] = index as u32;
        index
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        let i = self.find(key)?;
        Some(self.remove_index(i))
    }

    /// Removes the entry at `index`; returns its value. The arena's last entry moves
    /// into `index`, so when removing several indices, remove the largest first.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn remove_index(&mut self, index: usize) -> V {
        assert!(index < self.slots.len(), "dict: index out of range");
        let mask = self.buckets.len() - 1;
        self.unlink(index, mask);
        let last = self.slots.len() - 1;
        if index != last {
            // Re-point whatever refers to `last` at `index`, where swap_remove will move it.
            let b = self.slots[last].hash as usize & mask;
            if self.buckets[b] == last as u32 {
                self.buckets[b] = index as u32;
            } else {
                let mut p = self.buckets[b] as usize;
                while self.slots[p].next != last as u32 {
                    p = self.slots[p].next as usize;
                }
                self.slots[p].next = index as u32;
            }
        }
        let slot = self.slots.swap_remove(index);
        self.key_heap -= slot.key.heap_bytes();
        self.maybe_shrink();
        slot.value
    }

    /// Takes `index` out of its bucket's chain.
    fn unlink(&mut self, index: usize, mask: usize) {
        let b = self.slots[index].hash as usize & mask;
        let next = self.slots[index].next;
        if self.buckets[b] == index as u32 {
            self.buckets[b] = next;
        } else {
            let mut p = self.buckets[b] as usize;
            while self.slots[p].next != index as u32 {
                p = self.slots[p].next as usize;
            }
            self.slots[p].next = next;
        }
    }

    fn maybe_shrink(&mut self) {
        let len = self.slots.len();
        if len == 0 {
            // Give everything back: an empty table costs nothing.
            self.buckets = Vec::new();
            self.slots = Vec::new();
            return;
        }
        if self.buckets.len() > MIN_BUCKETS && len * 8 < self.buckets.len() {
            self.rehash(len.next_power_of_two().max(MIN_BUCKETS));
        }
        if self.slots.capacity() > 64 && len * 4 < self.slots.capacity() {
            self.slots.shrink_to(len * 2);
        }
    }

    /// Rebuilds the chains for `size` buckets (a power of two) from the stored hashes.
    fn rehash(&mut self, size: usize) {
        self.buckets = vec![NIL; size];
        let mask = size - 1;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let b = slot.hash as usize & mask;
            slot.next = self.buckets[b];
            self.buckets[b] = i as u32;
        }
    }

    /// Removes every entry and frees the table.
    pub fn clear(&mut self) {
        self.buckets = Vec::new();
        self.slots = Vec::new();
        self.key_heap = 0;
    }

    /// Makes room for `additional` more entries without rehashing or reallocating.
    pub fn reserve(&mut self, additional: usize) {
        let want = self.slots.len().saturating_add(additional);
        self.slots.reserve(additional);
        let size = want.next_power_of_two().max(MIN_BUCKETS);
        if size > self.buckets.len() {
            self.rehash(size);
        }
    }

    /// Iterates over all entries in arena order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> + '_ {
        self.slots.iter().map(|s| (s.key.as_bytes(), &s.value))
    }

    /// One SCAN step: calls `f` for every entry of the bucket `cursor` designates and returns
    /// the next cursor, 0 when the scan is complete (Redis's reverse-binary cursor).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut i = self.buckets[(cursor & mask) as usize];
        while let Some(slot) = self.slots.get(i as usize) {
            f(slot.key.as_bytes(), &slot.value);
            i = slot.next;
        }
        // Increment the reversed cursor over the bits above the mask.
        (cursor | !mask).reverse_bits().wrapping_add(1).reverse_bits()
    }

    /// The indices of the entries in the bucket `cursor` designates, appended to `out`, and
    /// the next cursor (as [`Dict::scan`]).
    pub fn scan_indices(&self, cursor: u64, out: &mut Vec<usize>) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut i = self.buckets[(cursor & mask) as usize];
        while let Some(slot) = self.slots.get(i as usize) {
            out.push(i as usize);
            i = slot.next;
        }
        (cursor | !mask).reverse_bits().wrapping_add(1).reverse_bits()
    }

    /// Bytes held by the table itself: bucket array, slot arena (inline keys and values
    /// included) and heap-allocated keys. Heap memory owned by values is not included.
    pub fn mem_bytes(&self) -> usize {
        alloc_size(self.buckets.capacity() * mem::size_of::<u32>())
            // Length, not capacity: a removed key must free measurable memory (eviction
            // depends on it), and capacity never written is not resident anyway.
            + alloc_size(self.slots.len() * mem::size_of::<Slot<V>>())
            + self.key_heap
    }

    /// Bytes one entry with `key` adds to [`Dict::mem_bytes`], not counting bucket and arena
    /// slack.
    pub fn entry_mem_bytes(key: &[u8]) -> usize {
        let heap = if key.len() <= KEY_INLINE { 0 } else { alloc_size(key.len()) };
        mem::size_of::<Slot<V>>() + mem::size_of::<u32>() + heap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Every chain is well formed and every slot is reachable exactly once from its bucket.
    fn check<V>(d: &Dict<V>) {
        let mut seen = vec![false; d.slots.len()];
        for (b, &head) in d.buckets.iter().enumerate() {
            let mut i = head;
            while i != NIL {
                let s = &d.slots[i as usize];
                assert_eq!(s.hash as usize & (d.buckets.len() - 1), b);
                assert!(!seen[i as usize]);
                seen[i as usize] = true;
                i = s.next;
            }
        }
        assert!(seen.iter().all(|&x| x));
        assert!(d.slots.len() <= d.buckets.len());
        let heap: usize = d.slots.iter().map(|s| s.key.heap_bytes()).sum();
        assert_eq!(heap, d.key_heap);
    }

    fn key(i: usize) -> Vec<u8> {
        if i.is_multiple_of(3) {
            format!("a-rather-long-key-that-lives-on-the-heap:{i}").into_bytes()
        } else {
            format!("k{i}").into_bytes()
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(mem::size_of::<Key>(), 24);
    }

    #[test]
    fn insert_lookup_remove_grow_shrink() {
        let mut d: Dict<usize> = Dict::new();
        assert_eq!(d.mem_bytes(), 0);
        assert_eq!(d.get(b"x"), None);
        assert_eq!(d.remove(b"x"), None);
        for i in 0..10_000 {
            assert_eq!(d.insert(&key(i), i), None);
        }
        check(&d);
        assert_eq!(d.len(), 10_000);
        assert_eq!(d.bucket_count(), 16384);
        for i in 0..10_000 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        assert_eq!(d.insert(&key(7), 70), Some(7));
        assert_eq!(d.get(&key(7)), Some(&70));
        *d.get_mut(&key(7)).unwrap() = 7;
        for i in (0..10_000).filter(|i| i % 5 != 0) {
            assert_eq!(d.remove(&key(i)), Some(i));
        }
        check(&d);
        assert!(d.bucket_count() <= 4096);
        for i in 0..10_000 {
            assert_eq!(d.get(&key(i)).copied(), if i % 5 == 0 { Some(i) } else { None });
        }
        for i in (0..10_000).filter(|i| i % 5 == 0) {
            assert_eq!(d.remove(&key(i)), Some(i));
            if i % 1000 == 0 {
                check(&d);
            }
        }
        assert!(d.is_empty());
        assert_eq!(d.mem_bytes(), 0);
        assert_eq!(d.bucket_count(), 0);
    }

    #[test]
    fn keys_of_any_content() {
        let mut d = Dict::new();
        let keys: Vec<Vec<u8>> =
            vec![vec![], vec![0], vec![0xff; KEY_INLINE], vec![0xfe; KEY_INLINE + 1], vec![0; 1000]];
        for (i, k) in keys.iter().enumerate() {
            d.insert(k, i);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(d.get(k), Some(&i));
        }
        let got: HashSet<Vec<u8>> = d.iter().map(|(k, _)| k.to_vec()).collect();
        assert_eq!(got.len(), keys.len());
        check(&d);
    }

    #[test]
    fn remove_index_descending_is_safe() {
        let mut d = Dict::new();
        for i in 0..100 {
            d.insert(&key(i), i);
        }
        let mut idx: Vec<usize> = (0..100).filter(|i| i % 2 == 0).collect();
        idx.sort_unstable_by(|a, b| b.cmp(a));
        let mut removed = HashSet::new();
        for i in idx {
            let v = d.remove_index(i);
            removed.insert(v);
            check(&d);
        }
        assert_eq!(removed.len(), 50);
        for (_, v) in d.iter() {
            assert!(!removed.contains(v));
        }
    }

    /// Runs a full scan, growing or shrinking the table between steps with `mutate`.
    fn scan_all(d: &mut Dict<usize>, mut mutate: impl FnMut(&mut Dict<usize>, usize)) -> HashSet<usize> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |_, &v| {
                seen.insert(v);
            });
            if cursor == 0 {
                return seen;
            }
            mutate(d, step);
            step += 1;
        }
    }

    #[test]
    fn scan_survives_growth_and_shrinking() {
        // Keys 0..1000 are present throughout; others come and go.
        let mut d = Dict::new();
        for i in 0..1000 {
            d.insert(&key(i), i);
        }
        // Growth: add many keys during the scan.
        let seen = scan_all(&mut d, |d, step| {
            // Bounded, or the table would outgrow a one-bucket-per-step scan forever.
            for j in 0..if step < 100 { 200 } else { 0 } {
                let k = 1_000_000 + step * 200 + j;
                d.insert(&key(k), k);
            }
        });
        assert!((0..1000).all(|i| seen.contains(&i)));
        check(&d);
        // Shrinking: remove the extra keys during the scan.
        let extra: Vec<usize> = d.iter().map(|(_, &v)| v).filter(|&v| v >= 1000).collect();
        let mut extra = extra.into_iter();
        let seen = scan_all(&mut d, |d, _| {
            for k in extra.by_ref().take(2000) {
                d.remove(&key(k));
            }
        });
        assert!((0..1000).all(|i| seen.contains(&i)));
        check(&d);
        // Alternating: grow a lot, shrink a lot.
        let mut sizes = HashSet::new();
        let seen = scan_all(&mut d, |d, step| {
            sizes.insert(d.bucket_count());
            if step % 16 == 0 {
                for j in 0..5000 {
                    d.insert(&key(2_000_000 + j), 2_000_000 + j);
                }
            } else if step % 16 == 8 {
                for j in 0..5000 {
                    d.remove(&key(2_000_000 + j));
                }
            }
        });
        assert!(sizes.len() >= 3, "{sizes:?}");
        assert!((0..1000).all(|i| seen.contains(&i)));
        check(&d);
        // A plain scan of an unchanged table returns each key exactly once.
        let mut n = 0;
        let mut cursor = 0;
        loop {
            cursor = d.scan(cursor, |_, _| n += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(n, d.len());
    }

    #[test]
    fn random_sampling_is_spread() {
        let mut d = Dict::new();
        assert!(d.random_entry().is_none());
        for i in 0..100 {
            d.insert(&key(i), i);
        }
        let mut hits = [0u32; 100];
        for _ in 0..100_000 {
            let (_, &v) = d.random_entry().unwrap();
            hits[v] += 1;
        }
        // Expect ~1000 each; any uniform-ish sampler is far inside these bounds.
        assert!(hits.iter().all(|&h| (700..1300).contains(&h)), "{hits:?}");
    }

    #[test]
    fn reserve_and_clear() {
        let mut d = Dict::new();
        d.reserve(1000);
        assert_eq!(d.bucket_count(), 1024);
        for i in 0..1000 {
            d.insert(&key(i), i);
        }
        assert_eq!(d.bucket_count(), 1024);
        check(&d);
        d.clear();
        assert_eq!(d.mem_bytes(), 0);
        assert!(d.get(&key(1)).is_none());
        d.insert(b"again", 1);
        assert_eq!(d.get(b"again"), Some(&1));
    }
}
