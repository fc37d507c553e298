//! [`Db`]: one database: keys, their values, deadlines and access clocks.
//!
//! Every key lives in the main [`Dict`]; a key with a deadline also lives in a second,
//! smaller `Dict` of volatile keys (key to deadline, absolute unix milliseconds), as Redis's
//! `db->expires`, so active expiry samples only keys that can expire. A flag on the main entry
//! says whether to look there, so keys without a deadline pay nothing.
//!
//! Time is always passed in (`now_ms`, unix milliseconds): the store never reads the clock.
//! A key is expired when `now_ms > deadline` (Redis's `keyIsExpired`). Accesses delete expired
//! keys lazily; [`Db::active_expire`] reclaims the ones nobody touches.
//!
//! Memory is accounted incrementally: [`Db::used_bytes`] is the two tables (slots, buckets,
//! heap keys) plus the heap owned by values, kept exact through [`ValueMut`].
//!
//! Modification tracking: the engine registers the keys some client WATCHes or blocks on
//! ([`Db::track`]); every mutating method (`set`, `set_with_deadline`, `get_mut`, `remove`,
//! `set_deadline`, `persist`, lazy and active expiry, `clear`) records the tracked keys it
//! touches, and the engine drains them ([`Db::take_touched`]) after each command. No command
//! has to remember a hook; with nothing tracked the cost is one emptiness check.
//!
//! Keyspace events: when the engine says someone listens ([`crate::Keyspace::set_event_mask`]),
//! the events the store itself causes are recorded in order, for the engine to publish (Redis's
//! `notifyKeyspaceEvent` calls in `deleteExpiredKeyAndPropagate`, `dbAdd` and
//! `performEvictions`): a key deleted by lazy or active expiry ([`KeyEvent::Expired`]), a key
//! created ([`KeyEvent::New`]), a key evicted ([`KeyEvent::Evicted`]). With the mask at 0 (the
//! default) the cost is one byte test at those places.

use std::collections::HashMap;

use crate::dict::Dict;
use crate::value::{Value, ValueMut};

/// The entry flag: the key has a deadline in the volatile table.
const HAS_DEADLINE: u8 = 1;

/// Redis's `LFU_INIT_VAL`: the counter a new key starts with.
pub const LFU_INIT_VAL: u8 = 5;

/// Random keys tried (each expired one is deleted) before RANDOMKEY falls back to a walk.
const RANDOM_KEY_TRIES: usize = 100;

/// LFU counter parameters (redis.conf `lfu-log-factor`, `lfu-decay-time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LfuConfig {
    /// How slowly the logarithmic counter grows (Redis default 10).
    pub log_factor: u32,
    /// Minutes for the counter to decay by one; 0 disables decay (Redis default 1).
    pub decay_minutes: u32,
}

impl Default for LfuConfig {
    fn default() -> Self {
        LfuConfig { log_factor: 10, decay_minutes: 1 }
    }
}

/// The main table's value: the value plus its access clock and flags.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) value: Value,
    /// Last access, unix seconds (for OBJECT IDLETIME, LRU and LFU decay).
    access: u32,
    /// Logarithmic access-frequency counter (OBJECT FREQ, LFU).
    lfu: u8,
    pub(crate) flags: u8,
}

/// Unix seconds of `now_ms` as the u32 access clock (saturating; good until 2106).
fn clock_secs(now_ms: i64) -> u32 {
    (now_ms / 1000).clamp(0, i64::from(u32::MAX)) as u32
}

impl Entry {
    fn new(value: Value, now_ms: i64) -> Entry {
        Entry { value, access: clock_secs(now_ms), lfu: LFU_INIT_VAL, flags: 0 }
    }

    /// The LFU counter decayed by the whole periods elapsed since the last access (Redis's
    /// `LFUDecrAndReturn`, with minutes truncated as its 16-bit minute clock truncates them).
    fn lfu_decayed(&self, now_ms: i64, cfg: LfuConfig) -> u8 {
        if cfg.decay_minutes == 0 {
            return self.lfu;
        }
        let elapsed = (clock_secs(now_ms) / 60).saturating_sub(self.access / 60);
        let periods = elapsed / cfg.decay_minutes;
        self.lfu.saturating_sub(u8::try_from(periods).unwrap_or(u8::MAX))
    }

    /// Records an access: decays then probabilistically increments the LFU counter (Redis's
    /// `updateLFU`) and stamps the access clock.
    fn touch(&mut self, now_ms: i64, cfg: LfuConfig) {
        let mut counter = self.lfu_decayed(now_ms, cfg);
        if counter < u8::MAX {
            let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
            let p = 1.0 / (base * f64::from(cfg.log_factor) + 1.0);
            if fastrand::f64() < p {
                counter += 1;
            }
        }
        self.lfu = counter;
        self.access = clock_secs(now_ms);
    }
}

/// Keys some client watches or blocks on (with the number of registrations of each), and
/// those of them modified since the engine last drained them, in the order first touched.
/// With `all` set (client-side caching in broadcasting mode wants every modified key), every
/// modified key is recorded.
#[derive(Debug, Default)]
pub(crate) struct Tracking {
    interest: HashMap<Box<[u8]>, u32>,
    touched: Vec<Box<[u8]>>,
    all: bool,
}

impl Tracking {
    /// Records `key` as touched if it is tracked.
    fn note(&mut self, key: &[u8]) {
        if (self.all || self.interest.contains_key(key)) && self.touched.last().is_none_or(|k| **k != *key) {
            self.touched.push(key.into());
        }
    }

    /// Whether modifications are recorded at all: the hot path's one test.
    #[inline]
    fn active(&self) -> bool {
        self.all || !self.interest.is_empty()
    }
}

/// A keyspace event the store causes, recorded when its class is in the event mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyEvent {
    /// The key was deleted because its deadline passed (lazily or by active expiry).
    Expired,
    /// The key was created (it did not exist, or had expired).
    New,
    /// The key was deleted by eviction.
    Evicted,
}

impl KeyEvent {
    /// The event's bit in the mask given to [`crate::Keyspace::set_event_mask`].
    pub const fn bit(self) -> u8 {
        match self {
            KeyEvent::Expired => 1,
            KeyEvent::New => 2,
            KeyEvent::Evicted => 4,
        }
    }

    /// Redis's name of the event.
    pub const fn name(self) -> &'static str {
        match self {
            KeyEvent::Expired => "expired",
            KeyEvent::New => "new",
            KeyEvent::Evicted => "evicted",
        }
    }
}

/// The events of a database waiting to be published, and which ones to record.
#[derive(Debug, Default)]
pub(crate) struct Events {
    pub(crate) mask: u8,
    pub(crate) pending: Vec<(KeyEvent, Box<[u8]>)>,
}

/// One database: the keys, their values, deadlines and access clocks, the table of volatile
/// keys active expiry walks, and an incremental count of the memory they use.
#[derive(Debug)]
pub struct Db {
    pub(crate) main: Dict<Entry>,
    pub(crate) volatile: Dict<i64>,
    /// Heap bytes owned by all values.
    pub(crate) values_heap: usize,
    /// Active expiry's SCAN cursor over `volatile`.
    pub(crate) expire_cursor: u64,
    /// Running estimate of the TTL of volatile keys, ms (INFO keyspace `avg_ttl`).
    pub(crate) avg_ttl: i64,
    /// Keys deleted because their deadline passed (lazily or actively).
    pub(crate) expired_keys: u64,
    lfu: LfuConfig,
    /// Watched and blocked-on keys, and which of them were modified (stays with the index
    /// across SWAPDB).
    pub(crate) tracking: Tracking,
    /// Keyspace events recorded for the engine.
    pub(crate) events: Events,
    /// Bytes this database may use before its tables defer growing (see [`Db::may_grow`]).
    growth_budget: Option<usize>,
}

impl Default for Db {
    fn default() -> Self {
        Db::new()
    }
}

impl Db {
    /// An empty database. Allocates nothing until the first key.
    pub fn new() -> Db {
        let hasher = std::collections::hash_map::RandomState::new();
        Db {
            main: Dict::with_hasher(hasher.clone()),
            volatile: Dict::with_hasher(hasher),
            values_heap: 0,
            expire_cursor: 0,
            avg_ttl: 0,
            expired_keys: 0,
            lfu: LfuConfig::default(),
            tracking: Tracking::default(),
            events: Events::default(),
            growth_budget: None,
        }
    }

    /// Sets the LFU counter parameters.
    pub fn set_lfu_config(&mut self, cfg: LfuConfig) {
        self.lfu = cfg;
    }

    /// Number of keys (expired ones not yet reclaimed included, as Redis's DBSIZE).
    pub fn len(&self) -> usize {
        self.main.len()
    }

    /// Whether the database has no keys.
    pub fn is_empty(&self) -> bool {
        self.main.is_empty()
    }

    /// Number of keys with a deadline.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// Keys deleted so far because their deadline passed.
    pub fn expired_keys(&self) -> u64 {
        self.expired_keys
    }

    /// Estimated average remaining TTL of volatile keys in ms, from active-expiry samples
    /// (INFO keyspace `avg_ttl`; 0 when unknown).
    pub fn avg_ttl_ms(&self) -> i64 {
        self.avg_ttl
    }

    /// The index of `key` in the main table if it exists and has not expired; deletes it
    /// (and counts it) if it has.
    fn lookup(&mut self, key: &[u8], now_ms: i64) -> Option<usize> {
        let hash = self.main.hash_key(key);
        let i = self.main.find_hashed(key, hash)?;
        let (_, entry) = self.main.get_index(i)?;
        if entry.flags & HAS_DEADLINE != 0 {
            if let Some(vi) = self.volatile.find_hashed(key, hash) {
                let deadline = self.volatile.get_index(vi).map_or(i64::MAX, |(_, d)| *d);
                if now_ms > deadline {
                    self.volatile.remove_index(vi);
                    self.remove_main_index(i);
                    self.expired_keys += 1;
                    self.note_event(KeyEvent::Expired, key);
                    return None;
                }
            }
        }
        Some(i)
    }

    /// Removes entry `i` of the main table, keeping the value accounting; returns its value.
    pub(crate) fn remove_main_index(&mut self, i: usize) -> Value {
        if self.tracking.active() {
            if let Some((key, _)) = self.main.get_index(i) {
                self.tracking.note(key);
            }
        }
        let entry = self.main.remove_index(i);
        self.values_heap = self.values_heap.saturating_sub(entry.value.heap_bytes());
        entry.value
    }

    /// Whether `entry` (of `key`) is still alive at `now_ms`, without deleting anything.
    fn is_live(&self, key: &[u8], entry: &Entry, now_ms: i64) -> bool {
        entry.flags & HAS_DEADLINE == 0 || self.volatile.get(key).is_none_or(|&d| now_ms <= d)
    }

    /// Read access: the value of `key`, lazily deleting it if expired. Updates the access
    /// clock and LFU counter unless `touch` is false.
    pub fn get(&mut self, key: &[u8], now_ms: i64, touch: bool) -> Option<&Value> {
        let i = self.lookup(key, now_ms)?;
        let lfu = self.lfu;
        let (_, entry) = self.main.get_index_mut(i)?;
        if touch {
            entry.touch(now_ms, lfu);
        }
        Some(&entry.value)
    }

    /// Write access (lazily expires first; updates the access clock). The guard derefs to
    /// [`Value`] and corrects the memory accounting when dropped.
    pub fn get_mut(&mut self, key: &[u8], now_ms: i64) -> Option<ValueMut<'_>> {
        let i = self.lookup(key, now_ms)?;
        self.touch_tracked(key);
        let lfu = self.lfu;
        let (_, entry) = self.main.get_index_mut(i)?;
        entry.touch(now_ms, lfu);
        Some(ValueMut::new(&mut entry.value, &mut self.values_heap))
    }

    /// Whether `key` exists (lazily expiring it). Does not touch the access clock.
    pub fn exists(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.lookup(key, now_ms).is_some()
    }

    /// Sets `key` to `value` with a fresh access clock. `keep_ttl` false clears any deadline
    /// (SET semantics); true keeps it (KEEPTTL, SETRANGE...). An expired old value counts as
    /// absent: its deadline is never kept.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool, now_ms: i64) {
        self.put(key, value, keep_ttl, None, now_ms);
    }

    /// Sets `key` to `value` with the deadline `deadline_ms` (absolute unix ms), replacing any
    /// previous value and deadline.
    pub fn set_with_deadline(&mut self, key: &[u8], value: Value, deadline_ms: i64, now_ms: i64) {
        self.put(key, value, false, Some(deadline_ms), now_ms);
    }

    fn put(&mut self, key: &[u8], value: Value, keep_ttl: bool, deadline: Option<i64>, now_ms: i64) {
        self.touch_tracked(key);
        let hash = self.main.hash_key(key);
        let mut entry = Entry::new(value, now_ms);
        self.values_heap += entry.value.heap_bytes();
        let mut has_deadline = false;
        if let Some(i) = self.main.find_hashed(key, hash) {
            let old_flags = self.main.get_index(i).map_or(0, |(_, e)| e.flags);
            if old_flags & HAS_DEADLINE != 0 {
                if let Some(vi) = self.volatile.find_hashed(key, hash) {
                    let old = self.volatile.get_index(vi).map_or(i64::MAX, |(_, d)| *d);
                    let expired = now_ms > old;
                    if expired {
                        self.expired_keys += 1;
                        self.note_event(KeyEvent::Expired, key);
                        self.note_event(KeyEvent::New, key);
                    }
                    if expired || !keep_ttl || deadline.is_some() {
                        self.volatile.remove_index(vi);
                    } else {
                        has_deadline = true;
                    }
                }
            }
            if has_deadline {
                entry.flags |= HAS_DEADLINE;
            }
            if let Some((_, slot)) = self.main.get_index_mut(i) {
                let old = std::mem::replace(slot, entry);
                self.values_heap = self.values_heap.saturating_sub(old.value.heap_bytes());
            }
        } else {
            let may_grow = self.may_grow(self.main.growth_bytes());
            self.main.insert_new(key, hash, entry, may_grow);
            self.note_event(KeyEvent::New, key);
        }
        if let Some(d) = deadline {
            self.attach_deadline(key, hash, d);
        }
    }

    /// Records `deadline` for an existing `key` (hash from the main table).
    fn attach_deadline(&mut self, key: &[u8], hash: u32, deadline: i64) {
        let Some((_, entry)) = self.main.find_hashed(key, hash).and_then(|i| self.main.get_index_mut(i)) else {
            return;
        };
        entry.flags |= HAS_DEADLINE;
        match self.volatile.find_hashed(key, hash) {
            Some(vi) => {
                if let Some((_, d)) = self.volatile.get_index_mut(vi) {
                    *d = deadline;
                }
            }
            None => {
                let may_grow = self.may_grow(self.volatile.growth_bytes());
                self.volatile.insert_new(key, hash, deadline, may_grow);
            }
        }
    }

    /// Whether a table may grow by `more` bytes now: always, unless a memory limit is set
    /// ([`Db::set_growth_budget`]) and the growth would pass it (Redis's
    /// `dictExpandAllowed`). A refused growth is deferred; see [`crate::dict`].
    fn may_grow(&self, more: usize) -> bool {
        more == 0 || self.growth_budget.is_none_or(|budget| self.used_bytes() + more <= budget)
    }

    /// Sets the bytes this database may use before its tables defer growing their bucket
    /// arrays (`None`: no limit). The keyspace sets it from `maxmemory` (see
    /// [`crate::Keyspace::set_growth_limit`]).
    pub(crate) fn set_growth_budget(&mut self, budget: Option<usize>) {
        self.growth_budget = budget;
    }

    /// Deletes `key`; returns its value (`None` if absent or expired).
    pub fn remove(&mut self, key: &[u8], now_ms: i64) -> Option<Value> {
        let i = self.lookup(key, now_ms)?;
        let flags = self.main.get_index(i).map_or(0, |(_, e)| e.flags);
        if flags & HAS_DEADLINE != 0 {
            self.volatile.remove(key);
        }
        Some(self.remove_main_index(i))
    }

    /// The deadline of `key`: `None` if there is no such key, `Some(None)` if it has no
    /// deadline, `Some(Some(ms))` otherwise (absolute unix ms).
    pub fn deadline(&mut self, key: &[u8], now_ms: i64) -> Option<Option<i64>> {
        let i = self.lookup(key, now_ms)?;
        let flags = self.main.get_index(i).map_or(0, |(_, e)| e.flags);
        if flags & HAS_DEADLINE == 0 {
            return Some(None);
        }
        Some(self.volatile.get(key).copied())
    }

    /// Sets the deadline of an existing `key`; false if there is no such key (or it expired).
    pub fn set_deadline(&mut self, key: &[u8], deadline_ms: i64, now_ms: i64) -> bool {
        if self.lookup(key, now_ms).is_none() {
            return false;
        }
        self.touch_tracked(key);
        let hash = self.main.hash_key(key);
        self.attach_deadline(key, hash, deadline_ms);
        true
    }

    /// Removes the deadline of `key`; true if the key existed and had one (PERSIST's reply).
    pub fn persist(&mut self, key: &[u8], now_ms: i64) -> bool {
        let Some(i) = self.lookup(key, now_ms) else {
            return false;
        };
        match self.main.get_index_mut(i) {
            Some((_, entry)) if entry.flags & HAS_DEADLINE != 0 => {
                entry.flags &= !HAS_DEADLINE;
                self.volatile.remove(key);
                self.touch_tracked(key);
                true
            }
            _ => false,
        }
    }

    /// Seconds since `key` was last accessed (OBJECT IDLETIME); `None` if absent or expired.
    pub fn idle_seconds(&self, key: &[u8], now_ms: i64) -> Option<u64> {
        let (key, entry) = self.main.get_index(self.main.find(key)?)?;
        if !self.is_live(key, entry, now_ms) {
            return None;
        }
        Some(u64::from(clock_secs(now_ms).saturating_sub(entry.access)))
    }

    /// The decayed LFU counter of `key` (OBJECT FREQ); `None` if absent or expired.
    pub fn lfu_freq(&self, key: &[u8], now_ms: i64) -> Option<u8> {
        let (key, entry) = self.main.get_index(self.main.find(key)?)?;
        if !self.is_live(key, entry, now_ms) {
            return None;
        }
        Some(entry.lfu_decayed(now_ms, self.lfu))
    }

    /// Seconds since entry `i` of the main table was last accessed, and its decayed LFU
    /// counter: what eviction ranks keys by (expired or not).
    pub(crate) fn access_at(&self, i: usize, now_ms: i64) -> Option<(u64, u8)> {
        let (_, entry) = self.main.get_index(i)?;
        Some((u64::from(clock_secs(now_ms).saturating_sub(entry.access)), entry.lfu_decayed(now_ms, self.lfu)))
    }

    /// Sets the access clock of `key` to `idle_secs` seconds before `now_ms` and/or its LFU
    /// counter to `freq`, without counting an access (RESTORE's IDLETIME and FREQ, and a
    /// snapshot's IDLE and FREQ records). False if there is no such key.
    pub fn set_access(&mut self, key: &[u8], idle_secs: Option<u64>, freq: Option<u8>, now_ms: i64) -> bool {
        let Some((_, entry)) = self.main.find(key).and_then(|i| self.main.get_index_mut(i)) else {
            return false;
        };
        if let Some(idle) = idle_secs {
            entry.access = clock_secs(now_ms).saturating_sub(u32::try_from(idle).unwrap_or(u32::MAX));
        }
        if let Some(f) = freq {
            entry.lfu = f;
        }
        true
    }

    /// Estimated bytes `key` costs (MEMORY USAGE): its slot and bucket share, heap key and
    /// value, and its volatile entry if any. `None` if absent or expired.
    pub fn key_mem_usage(&self, key: &[u8], now_ms: i64) -> Option<usize> {
        let (key, entry) = self.main.get_index(self.main.find(key)?)?;
        if !self.is_live(key, entry, now_ms) {
            return None;
        }
        let mut n = Dict::<Entry>::entry_mem_bytes(key) + entry.value.heap_bytes();
        if entry.flags & HAS_DEADLINE != 0 {
            n += Dict::<i64>::entry_mem_bytes(key);
        }
        Some(n)
    }

    /// A random live key (RANDOMKEY), deleting expired keys it lands on. After a bounded
    /// number of random tries (all landing on expired keys) it walks the table from a random
    /// point. `None` when no key is alive.
    pub fn random_key(&mut self, now_ms: i64) -> Option<Vec<u8>> {
        for _ in 0..RANDOM_KEY_TRIES {
            let i = self.main.random_index()?;
            let (key, entry) = self.main.get_index(i)?;
            let key = key.to_vec();
            if entry.flags & HAS_DEADLINE == 0 || self.lookup(&key, now_ms).is_some() {
                return Some(key);
            }
        }
        let n = self.main.len();
        let start = self.main.random_index()?;
        (0..n).find_map(|k| {
            let (key, entry) = self.main.get_index((start + k) % n)?;
            self.is_live(key, entry, now_ms).then(|| key.to_vec())
        })
    }

    /// One SCAN step from `cursor`: calls `f(key, value)` for the live keys of the buckets
    /// visited and returns the next cursor (0 when the scan is complete). Visits buckets
    /// until about `count` keys were seen (at least one bucket, at most `10 * count`).
    /// Expired keys are skipped, not deleted.
    pub fn scan(&self, cursor: u64, count: usize, now_ms: i64, mut f: impl FnMut(&[u8], &Value)) -> u64 {
        let count = count.max(1);
        let max_buckets = count.saturating_mul(10);
        let mut cursor = cursor;
        let mut seen = 0usize;
        let mut buckets = 0usize;
        loop {
            cursor = self.main.scan(cursor, |key, entry| {
                seen += 1;
                if self.is_live(key, entry, now_ms) {
                    f(key, &entry.value);
                }
            });
            buckets += 1;
            if cursor == 0 || seen >= count || buckets >= max_buckets {
                return cursor;
            }
        }
    }

    /// Calls `f(key, value)` for every live key (KEYS).
    pub fn for_each_key(&self, now_ms: i64, mut f: impl FnMut(&[u8], &Value)) {
        for (key, entry) in self.main.iter() {
            if self.is_live(key, entry, now_ms) {
                f(key, &entry.value);
            }
        }
    }

    /// Calls `f(key, value, deadline)` for every live key (for snapshots and replication).
    pub fn for_each_entry(&self, now_ms: i64, mut f: impl FnMut(&[u8], &Value, Option<i64>)) {
        for (key, entry) in self.main.iter() {
            let deadline = if entry.flags & HAS_DEADLINE != 0 { self.volatile.get(key).copied() } else { None };
            if deadline.is_none_or(|d| now_ms <= d) {
                f(key, &entry.value, deadline);
            }
        }
    }

    /// Deletes every key and frees the tables (FLUSHDB). Statistics are kept. To free a large
    /// database off the critical path, move its keys out with [`Db::take_contents`] and drop
    /// them elsewhere instead (not `std::mem::take`, which would lose the tracked keys).
    pub fn clear(&mut self) {
        self.touch_tracked_present(None);
        self.main.clear();
        self.volatile.clear();
        self.values_heap = 0;
        self.expire_cursor = 0;
        self.avg_ttl = 0;
    }

    /// Estimated bytes of the dataset: both tables (slots, buckets, heap keys) and the heap
    /// owned by values. O(1), maintained incrementally.
    pub fn used_bytes(&self) -> usize {
        self.main.mem_bytes() + self.volatile.mem_bytes() + self.values_heap
    }

    /// Moves every key out into a new database (to be dropped off the critical path), leaving
    /// this one empty with its settings, statistics and tracked keys; tracked keys that
    /// existed are recorded as touched, as [`Db::clear`] does.
    pub fn take_contents(&mut self) -> Db {
        self.touch_tracked_present(None);
        let mut empty = Db::new();
        empty.lfu = self.lfu;
        empty.growth_budget = self.growth_budget;
        empty.expired_keys = self.expired_keys;
        std::mem::swap(&mut empty.tracking, &mut self.tracking);
        std::mem::swap(&mut empty.events, &mut self.events);
        std::mem::replace(self, empty)
    }

    /// Records `event` about `key` if its class is in the event mask.
    #[inline]
    pub(crate) fn note_event(&mut self, event: KeyEvent, key: &[u8]) {
        if self.events.mask & event.bit() != 0 {
            self.events.pending.push((event, key.into()));
        }
    }

    /// Records `key` as touched if some client watches or blocks on it: the hot path pays one
    /// emptiness check when nothing is tracked.
    #[inline]
    fn touch_tracked(&mut self, key: &[u8]) {
        if self.tracking.active() {
            self.tracking.note(key);
        }
    }

    /// Records as touched every tracked key present here (expired or not) or, for SWAPDB, in
    /// `other`: the keys a FLUSHDB or SWAPDB changes (Redis's `touchAllWatchedKeysInDb`).
    pub(crate) fn touch_tracked_present(&mut self, other: Option<&Db>) {
        if self.tracking.interest.is_empty() {
            return;
        }
        let Tracking { interest, touched, .. } = &mut self.tracking;
        for key in interest.keys() {
            let present = self.main.find(key).is_some() || other.is_some_and(|o| o.main.find(key).is_some());
            if present {
                touched.push(key.clone());
            }
        }
    }

    /// Starts tracking `key` for one more watcher or blocked client: from now on its
    /// modifications are recorded for [`Db::take_touched`].
    pub fn track(&mut self, key: &[u8]) {
        *self.tracking.interest.entry(key.into()).or_insert(0) += 1;
    }

    /// Drops one registration of `key` made by [`Db::track`]; the key is no longer tracked
    /// once none is left.
    pub fn untrack(&mut self, key: &[u8]) {
        if let Some(n) = self.tracking.interest.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                self.tracking.interest.remove(key);
            }
        }
        if self.tracking.interest.is_empty() {
            if !self.tracking.all {
                self.tracking.touched.clear();
            }
            self.tracking.interest.shrink_to(64);
        }
    }

    /// Records every modified key from now on (`true`), or only tracked ones (`false`).
    pub fn track_all(&mut self, all: bool) {
        self.tracking.all = all;
        if !self.tracking.active() {
            self.tracking.touched.clear();
        }
    }

    /// Number of distinct tracked keys.
    pub fn tracked_len(&self) -> usize {
        self.tracking.interest.len()
    }

    /// Whether tracked keys were modified since the last [`Db::take_touched`].
    pub fn has_touched(&self) -> bool {
        !self.tracking.touched.is_empty()
    }

    /// The tracked keys modified since the last call, each once, in the order first touched.
    pub fn take_touched(&mut self) -> Vec<Box<[u8]>> {
        let mut keys = std::mem::take(&mut self.tracking.touched);
        if keys.len() > 1 {
            let mut seen = std::collections::HashSet::with_capacity(keys.len());
            keys.retain(|k| seen.insert(k.clone()));
        }
        keys
    }

    /// Whether `key` is in the table at all, expired or not, without deleting anything
    /// (Redis's `dictFind` on the main dict).
    pub fn holds(&self, key: &[u8]) -> bool {
        self.main.find(key).is_some()
    }

    /// Whether `key` is in the table but its deadline has passed (Redis's `keyIsExpired`),
    /// without deleting it.
    pub fn is_stale(&self, key: &[u8], now_ms: i64) -> bool {
        match self.main.find(key).and_then(|i| self.main.get_index(i)) {
            Some((key, entry)) => !self.is_live(key, entry, now_ms),
            None => false,
        }
    }
}
