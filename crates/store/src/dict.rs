//! [`Table`]: the hash table behind every database, hash, set and sorted set, and [`Dict`],
//! the table of owned keys to values that most of them use.
//!
//! Layout: a power-of-two array of `u32` bucket heads, each the index of the first entry of
//! its chain in a dense arena `Vec` of slots (hash, next index, entry). Removing an entry
//! moves the arena's last slot into the hole (re-linking the one pointer that referred to
//! it), so the arena never has holes: a uniformly random entry is one random index away, and
//! iteration is a linear walk.
//!
//! What a slot holds is the entry type's choice ([`DictEntry`]: it has a key and may own heap
//! memory): [`Dict<V>`] stores a [`Keyed<V>`] (an owned key, inline up to [`KEY_INLINE`]
//! bytes, beside a `V`); a large hash stores its field and value together in one buffer
//! (`hash::pair`), so that a short pair costs one 40-byte slot.
//!
//! Hashing is keyed SipHash-1-3 (std's [`RandomState`], random keys per process and per
//! table), so a client cannot choose keys that collide (hash flooding). The table grows at
//! load factor 1 and shrinks when less than 1/8 full, rehashing from the stored 32-bit hash
//! without touching keys. The owner may defer a growth (`may_grow` false in
//! [`Table::insert_absent`]) when the bigger bucket array would not fit its memory limit
//! (Redis's `dictExpandAllowed`): chains then get longer, up to a load factor of
//! [`MAX_DEFERRED_LOAD`], past which the table grows anyway so lookups stay fast.
//!
//! [`Table::scan_indices`] and [`Dict::scan`] implement Redis's reverse-binary cursor (dict.c
//! `dictScan`): every entry present for the whole of a scan is returned at least once, even
//! if the table grows or shrinks between calls; some may be returned more than once.
//!
//! Keys are owned by the table: they are copied in, never borrowed from a network buffer.

mod keyed;
#[cfg(test)]
mod tests;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::mem;

use crate::mem::alloc_size;
pub(crate) use keyed::Key;
pub use keyed::{Keyed, KEY_INLINE};

/// Most keys [`Table::warm`] takes at once.
pub const WARM_MAX: usize = 32;

/// "No entry" in bucket heads and chain links.
const NIL: u32 = u32::MAX;

/// The smallest bucket array allocated.
const MIN_BUCKETS: usize = 4;

/// The load factor (entries per bucket) up to which a deferred growth waits: Redis's
/// `HASHTABLE_MAX_LOAD_FACTOR`, in thousandths.
pub const MAX_DEFERRED_LOAD: f64 = MAX_DEFERRED_LOAD_PERMILLE as f64 / 1000.0;
const MAX_DEFERRED_LOAD_PERMILLE: usize = 1618;

/// What a [`Table`] stores per entry: something with a key, which may own heap memory.
pub trait DictEntry {
    /// The key the entry is found by.
    fn key(&self) -> &[u8];
    /// Heap bytes the entry owns (counted in [`Table::mem_bytes`]).
    fn heap_bytes(&self) -> usize;
}

/// One entry of the arena.
#[derive(Clone)]
struct Slot<E> {
    hash: u32,
    next: u32,
    entry: E,
}

/// A hash table of entries found by their key, with SCAN cursors and O(1) random sampling.
/// See the [module documentation](self).
///
/// Entry indices (`find`, `entry`, `remove_at`, `random_index`...) are positions in the dense
/// arena, `0..len()`; they stay valid until the next insertion or removal.
#[derive(Clone)]
pub struct Table<E> {
    buckets: Vec<u32>,
    slots: Vec<Slot<E>>,
    hasher: RandomState,
    /// Heap bytes owned by the entries.
    heap: usize,
}

/// A hash table from owned byte-string keys to `V`.
pub type Dict<V> = Table<Keyed<V>>;

impl<E> Default for Table<E> {
    fn default() -> Self {
        Table::new()
    }
}

impl<E> std::fmt::Debug for Table<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dict").field("len", &self.slots.len()).field("buckets", &self.buckets.len()).finish()
    }
}

impl<E> Table<E> {
    /// An empty table with fresh random hash keys. Allocates nothing until the first insert.
    pub fn new() -> Table<E> {
        Table::with_hasher(RandomState::new())
    }

    /// An empty table using the given hash keys (tables sharing keys can share hashes,
    /// see [`Table::hash_key`]).
    pub fn with_hasher(hasher: RandomState) -> Table<E> {
        Table { buckets: Vec::new(), slots: Vec::new(), hasher, heap: 0 }
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

    /// A uniformly random index, or `None` when empty. O(1).
    pub fn random_index(&self) -> Option<usize> {
        if self.slots.is_empty() {
            None
        } else {
            Some(fastrand::usize(..self.slots.len()))
        }
    }

    /// The entry at `index`.
    pub fn entry(&self, index: usize) -> Option<&E> {
        self.slots.get(index).map(|s| &s.entry)
    }

    /// Iterates over all entries in arena order.
    pub fn entries(&self) -> impl Iterator<Item = &E> + '_ {
        self.slots.iter().map(|s| &s.entry)
    }

    /// Removes every entry and frees the table.
    pub fn clear(&mut self) {
        self.buckets = Vec::new();
        self.slots = Vec::new();
        self.heap = 0;
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

    /// The indices of the entries in the bucket `cursor` designates, appended to `out`, and
    /// the next cursor, 0 when the scan is complete (Redis's reverse-binary cursor).
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
        next_cursor(cursor, mask)
    }

    /// Bytes held by the table itself: bucket array, slot arena (inline keys and values
    /// included) and heap memory owned by entries (heap keys; a `Dict`'s values own theirs).
    pub fn mem_bytes(&self) -> usize {
        alloc_size(self.buckets.capacity() * mem::size_of::<u32>())
            // Length, not capacity: a removed key must free measurable memory (eviction
            // depends on it), and capacity never written is not resident anyway (a large
            // arena is its own mapping, grown in place).
            + alloc_size(self.slots.len() * mem::size_of::<Slot<E>>())
            + self.heap
    }

    /// Bytes [`Table::mem_bytes`] would grow by if the next insertion grew the bucket
    /// array (0 when the next insertion does not grow it): what an owner with a memory limit
    /// weighs before letting it (see [`Table::insert_absent`]).
    pub fn growth_bytes(&self) -> usize {
        let n = self.buckets.len();
        if n == 0 || self.slots.len() < n {
            return 0;
        }
        alloc_size(2 * n * mem::size_of::<u32>()) - alloc_size(n * mem::size_of::<u32>())
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
}

impl<E: DictEntry> Table<E> {
    /// The index of `key`, if present.
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        self.find_hashed(key, self.hash_key(key))
    }

    /// The index of `key` whose hash (from [`Table::hash_key`] of a table with the same
    /// hasher) is `hash`.
    pub fn find_hashed(&self, key: &[u8], hash: u32) -> Option<usize> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut i = self.buckets[hash as usize & (self.buckets.len() - 1)];
        while i != NIL {
            let slot = self.slots.get(i as usize)?;
            if slot.hash == hash && slot.entry.key() == key {
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
                let first = slot.entry.key().first().copied().unwrap_or(0);
                seen = seen.wrapping_add(slot.hash).wrapping_add(first as u32);
            }
        }
        std::hint::black_box(seen)
    }

    /// Replaces the entry at `index` by `entry`, which has the same key; returns the old one.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub(crate) fn replace_at(&mut self, index: usize, entry: E) -> E {
        debug_assert!(self.slots[index].entry.key() == entry.key(), "dict: replacement changes the key");
        self.heap += entry.heap_bytes();
        let old = mem::replace(&mut self.slots[index].entry, entry);
        self.heap -= old.heap_bytes();
        old
    }

    /// Inserts `entry`, whose key (hashed to `hash`) must be absent; returns its index.
    /// With `may_grow` false a growth due now is deferred, until the load factor reaches
    /// [`MAX_DEFERRED_LOAD`] (see the [module documentation](self)).
    pub fn insert_absent(&mut self, hash: u32, entry: E, may_grow: bool) -> usize {
        let len = self.slots.len();
        if self.buckets.is_empty() {
            self.buckets = vec![NIL; MIN_BUCKETS];
        } else if len >= self.buckets.len()
            && (may_grow || len * 1000 >= self.buckets.len() * MAX_DEFERRED_LOAD_PERMILLE)
        {
            self.rehash(self.buckets.len() * 2);
        }
        // Indices are u32 with NIL reserved: a table holds at most u32::MAX - 1 entries
        // (about 250 GiB of slots), far beyond any memory limit.
        assert!(len < NIL as usize, "dict: more than 2^32-2 entries");
        self.heap += entry.heap_bytes();
        let b = hash as usize & (self.buckets.len() - 1);
        self.slots.push(Slot { hash, next: self.buckets[b], entry });
        self.buckets[b] = len as u32;
        len
    }

    /// Removes the entry at `index` and returns it. The arena's last entry moves into
    /// `index`, so when removing several indices, remove the largest first.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn remove_at(&mut self, index: usize) -> E {
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
        self.heap -= slot.entry.heap_bytes();
        self.maybe_shrink();
        slot.entry
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

    /// One SCAN step: calls `f` for every entry of the bucket `cursor` designates and returns
    /// the next cursor, 0 when the scan is complete (Redis's reverse-binary cursor).
    pub fn scan_entries(&self, cursor: u64, mut f: impl FnMut(&E)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut i = self.buckets[(cursor & mask) as usize];
        while let Some(slot) = self.slots.get(i as usize) {
            f(&slot.entry);
            i = slot.next;
        }
        next_cursor(cursor, mask)
    }
}

/// The cursor after `cursor` for a table of `mask + 1` buckets: the reversed cursor
/// incremented over the bits above the mask.
fn next_cursor(cursor: u64, mask: u64) -> u64 {
    (cursor | !mask).reverse_bits().wrapping_add(1).reverse_bits()
}

impl<V> Table<Keyed<V>> {
    /// Whether `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|i| &self.slots[i].entry.value)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.find(key).map(move |i| &mut self.slots[i].entry.value)
    }

    /// The key and value at `index` (see the note on indices on [`Table`]).
    pub fn get_index(&self, index: usize) -> Option<(&[u8], &V)> {
        self.slots.get(index).map(|s| (s.entry.key.as_bytes(), &s.entry.value))
    }

    /// The key and mutable value at `index`.
    pub fn get_index_mut(&mut self, index: usize) -> Option<(&[u8], &mut V)> {
        self.slots.get_mut(index).map(|s| (s.entry.key.as_bytes(), &mut s.entry.value))
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

    /// [`Dict::insert`] with a precomputed hash (see [`Table::find_hashed`]).
    pub fn insert_hashed(&mut self, key: &[u8], hash: u32, value: V) -> Option<V> {
        if let Some(i) = self.find_hashed(key, hash) {
            return Some(mem::replace(&mut self.slots[i].entry.value, value));
        }
        self.insert_absent(hash, Keyed::new(key, value), true);
        None
    }

    /// Inserts `key`, known to be absent (its hash is `hash`); returns its index. See
    /// [`Table::insert_absent`] for `may_grow`.
    pub fn insert_new(&mut self, key: &[u8], hash: u32, value: V, may_grow: bool) -> usize {
        self.insert_absent(hash, Keyed::new(key, value), may_grow)
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        let i = self.find(key)?;
        Some(self.remove_index(i))
    }

    /// Removes the entry at `index`; returns its value (see [`Table::remove_at`]).
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn remove_index(&mut self, index: usize) -> V {
        self.remove_at(index).value
    }

    /// Iterates over all entries in arena order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> + '_ {
        self.slots.iter().map(|s| (s.entry.key.as_bytes(), &s.entry.value))
    }

    /// One SCAN step: calls `f` for every key and value of the bucket `cursor` designates and
    /// returns the next cursor, 0 when the scan is complete (Redis's reverse-binary cursor).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &V)) -> u64 {
        self.scan_entries(cursor, |e| f(e.key.as_bytes(), &e.value))
    }

    /// Bytes one entry with `key` adds to [`Table::mem_bytes`], not counting bucket and
    /// arena slack.
    pub fn entry_mem_bytes(key: &[u8]) -> usize {
        let heap = if key.len() <= KEY_INLINE { 0 } else { alloc_size(key.len()) };
        mem::size_of::<Slot<Keyed<V>>>() + mem::size_of::<u32>() + heap
    }
}
