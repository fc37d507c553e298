//! [`Keyspace`]: the numbered databases (SELECT, SWAPDB, FLUSHALL), the active expiry cycle
//! across them, and the keyspace statistics INFO reports.

use crate::db::{Db, KeyEvent, LfuConfig};
use crate::expire::KEYS_PER_LOOP;
use crate::value::Value;

/// Keyspace counters (INFO stats). Plain numbers, summed over the databases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyspaceStats {
    /// Keys deleted because their deadline passed (`expired_keys`).
    pub expired_keys: u64,
    /// Successful key lookups by read commands (`keyspace_hits`).
    pub keyspace_hits: u64,
    /// Failed key lookups by read commands (`keyspace_misses`).
    pub keyspace_misses: u64,
}

/// All databases of the server.
#[derive(Debug)]
pub struct Keyspace {
    dbs: Vec<Db>,
    hits: u64,
    misses: u64,
    /// The database the next active expiry cycle starts with.
    next_expire_db: usize,
    /// Registrations of tracked keys, over all databases.
    tracked: usize,
    /// Every modified key is recorded ([`Keyspace::track_all`]).
    track_all: bool,
    /// Eviction pool and counters (see [`crate::evict`]).
    pub(crate) evict: crate::evict::EvictState,
    /// The keyspace events the databases record (see [`Keyspace::set_event_mask`]).
    event_mask: u8,
    /// Whether the databases have growth budgets (see [`Keyspace::set_growth_limit`]).
    growth_limited: bool,
}

impl Keyspace {
    /// `databases` empty databases (at least one).
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases.max(1)).map(|_| Db::new()).collect(),
            hits: 0,
            misses: 0,
            next_expire_db: 0,
            tracked: 0,
            track_all: false,
            evict: Default::default(),
            event_mask: 0,
            growth_limited: false,
        }
    }

    /// Database `index`.
    ///
    /// # Panics
    /// If `index >= db_count()`: callers validate SELECT's argument first (or use
    /// [`Keyspace::get_db`]).
    pub fn db(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// Database `index`, or `None` if out of range.
    pub fn get_db(&mut self, index: usize) -> Option<&mut Db> {
        self.dbs.get_mut(index)
    }

    /// Database `index`, read-only, or `None` if out of range.
    pub fn db_ref(&self, index: usize) -> Option<&Db> {
        self.dbs.get(index)
    }

    /// Two distinct databases at once (MOVE, COPY ... DB); `None` if either is out of range
    /// or they are the same.
    pub fn pair(&mut self, a: usize, b: usize) -> Option<(&mut Db, &mut Db)> {
        if a == b || a >= self.dbs.len() || b >= self.dbs.len() {
            return None;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = self.dbs.split_at_mut(hi);
        let (x, y) = (&mut left[lo], &mut right[0]);
        Some(if a < b { (x, y) } else { (y, x) })
    }

    /// Warms the cache for lookups of `keys` in database `db` (see [`crate::Dict::warm`]);
    /// at most [`crate::dict::WARM_MAX`] keys are used.
    pub fn warm(&self, db: usize, keys: &[&[u8]]) {
        if let Some(d) = self.dbs.get(db) {
            d.main.warm(&keys[..keys.len().min(crate::dict::WARM_MAX)]);
        }
    }

    /// Warms the cache for setting the scores of `items` (member, new score) in the sorted
    /// set at `key` in database `db`, if there is one (see [`crate::ZSetValue::warm`]).
    /// Read-only: no expiry, no access clock.
    pub fn warm_zset(&self, db: usize, key: &[u8], items: &[(&[u8], f64)]) {
        if let Some(Value::ZSet(z)) = self.dbs.get(db).and_then(|d| d.main.get(key)).map(|e| &e.value) {
            z.warm(items);
        }
    }

    /// Number of databases.
    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// Swaps the contents of databases `a` and `b` (SWAPDB); false if either is out of range.
    ///
    /// Tracked keys (watched or blocked on) stay with their database index; those present in
    /// either database are recorded as touched, as Redis's SWAPDB touches them.
    pub fn swap(&mut self, a: usize, b: usize) -> bool {
        if a >= self.dbs.len() || b >= self.dbs.len() {
            return false;
        }
        if let Some((x, y)) = self.pair(a, b) {
            x.touch_tracked_present(Some(&*y));
            y.touch_tracked_present(Some(&*x));
            self.dbs.swap(a, b);
            if let Some((x, y)) = self.pair(a, b) {
                std::mem::swap(&mut x.tracking, &mut y.tracking);
            }
        }
        true
    }

    /// Starts tracking `key` of database `db` for one watcher or blocked client (see
    /// [`Db::track`]); out-of-range indexes are ignored.
    pub fn track(&mut self, db: usize, key: &[u8]) {
        if let Some(d) = self.dbs.get_mut(db) {
            d.track(key);
            self.tracked += 1;
        }
    }

    /// Drops one registration made by [`Keyspace::track`].
    pub fn untrack(&mut self, db: usize, key: &[u8]) {
        if let Some(d) = self.dbs.get_mut(db) {
            d.untrack(key);
            self.tracked = self.tracked.saturating_sub(1);
        }
    }

    /// Whether any key of any database is tracked: the engine drains touched keys only then.
    #[inline]
    pub fn any_tracked(&self) -> bool {
        self.tracked > 0 || self.track_all
    }

    /// Records every modified key of every database from now on (`true`: client-side
    /// caching's broadcasting mode wants them all), or only tracked ones (`false`).
    pub fn track_all(&mut self, all: bool) {
        if self.track_all != all {
            self.track_all = all;
            for db in &mut self.dbs {
                db.track_all(all);
            }
        }
    }

    /// Appends to `out` the tracked keys modified since the last call, as (database, key),
    /// database by database, each in the order first touched.
    pub fn take_touched(&mut self, out: &mut Vec<(usize, Box<[u8]>)>) {
        if !self.any_tracked() {
            return;
        }
        for (i, db) in self.dbs.iter_mut().enumerate() {
            if db.has_touched() {
                out.extend(db.take_touched().into_iter().map(|k| (i, k)));
            }
        }
    }

    /// Which keyspace events the databases record from now on: a union of [`KeyEvent::bit`]s
    /// (0, the default, records nothing). Events pending of classes no longer asked for are
    /// dropped. Cheap when the mask does not change.
    #[inline]
    pub fn set_event_mask(&mut self, mask: u8) {
        if mask != self.event_mask {
            self.event_mask = mask;
            for db in &mut self.dbs {
                db.events.mask = mask;
                db.events.pending.retain(|(e, _)| mask & e.bit() != 0);
            }
        }
    }

    /// The mask last given to [`Keyspace::set_event_mask`].
    #[inline]
    pub fn event_mask(&self) -> u8 {
        self.event_mask
    }

    /// Appends to `out` the keyspace events recorded since the last call, as (database,
    /// event, key), database by database, each in the order they happened.
    pub fn take_events(&mut self, out: &mut Vec<(usize, KeyEvent, Box<[u8]>)>) {
        if self.event_mask == 0 {
            return;
        }
        for (i, db) in self.dbs.iter_mut().enumerate() {
            if !db.events.pending.is_empty() {
                out.extend(db.events.pending.drain(..).map(|(e, k)| (i, e, k)));
            }
        }
    }

    /// Empties every database (FLUSHALL).
    pub fn flush_all(&mut self) {
        for db in &mut self.dbs {
            db.clear();
        }
    }

    /// Sets the LFU parameters of every database.
    pub fn set_lfu_config(&mut self, cfg: LfuConfig) {
        for db in &mut self.dbs {
            db.set_lfu_config(cfg);
        }
    }

    /// Sets the memory the dataset may use before the tables of its databases defer growing
    /// (`maxmemory` less what clients use; `None`: no limit), as Redis's `dictExpandAllowed`
    /// refuses a main or expires dict an expansion that would pass `maxmemory`: doubling the
    /// bucket array of a big table would otherwise push used memory over the limit at once
    /// and evict keys that fit. Each database gets the limit less what the others use now;
    /// the caller refreshes it before every command. O(databases).
    pub fn set_growth_limit(&mut self, limit: Option<usize>) {
        match limit {
            None if !self.growth_limited => {}
            None => {
                for db in &mut self.dbs {
                    db.set_growth_budget(None);
                }
                self.growth_limited = false;
            }
            Some(limit) => {
                let total = self.used_bytes();
                for db in &mut self.dbs {
                    let others = total.saturating_sub(db.used_bytes());
                    db.set_growth_budget(Some(limit.saturating_sub(others)));
                }
                self.growth_limited = true;
            }
        }
    }

    /// Estimated bytes of the whole dataset (sum of [`Db::used_bytes`]).
    pub fn used_bytes(&self) -> usize {
        self.dbs.iter().map(Db::used_bytes).sum()
    }

    /// Total number of keys in all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    /// Runs the active expiry cycle over the databases that have volatile keys, examining at
    /// most about `budget` keys in all (shared among them, starting each cycle where the last
    /// one left off); returns the number of keys reclaimed.
    pub fn active_expire_cycle(&mut self, now_ms: i64, budget: usize) -> usize {
        let n = self.dbs.len();
        let mut remaining = budget;
        let mut reclaimed = 0;
        let mut left = self.dbs.iter().filter(|db| db.volatile_len() > 0).count();
        let mut k = 0;
        while k < n && left > 0 && remaining > 0 {
            let idx = (self.next_expire_db + k) % n;
            k += 1;
            let db = &mut self.dbs[idx];
            if db.volatile_len() == 0 {
                continue;
            }
            let share = (remaining / left).max(KEYS_PER_LOOP).min(remaining);
            let (deleted, examined) = db.active_expire_step(now_ms, share);
            reclaimed += deleted;
            remaining = remaining.saturating_sub(examined);
            left -= 1;
        }
        self.next_expire_db = (self.next_expire_db + k) % n;
        reclaimed
    }

    /// A read command's lookup (Redis's `lookupKeyRead`): one hash lookup that also counts
    /// the hit or miss for INFO.
    pub fn read(&mut self, db: usize, key: &[u8], now_ms: i64, touch: bool) -> Option<&Value> {
        let value = self.dbs[db].get(key, now_ms, touch);
        if value.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        value
    }

    /// Counts a key lookup by a read command as a hit or a miss (INFO `keyspace_hits`,
    /// `keyspace_misses`).
    pub fn record_lookup(&mut self, hit: bool) {
        if hit {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
    }

    /// The current counters. Returned by value: expired keys are counted per database and
    /// summed here.
    pub fn stats(&self) -> KeyspaceStats {
        KeyspaceStats {
            expired_keys: self.dbs.iter().map(Db::expired_keys).sum(),
            keyspace_hits: self.hits,
            keyspace_misses: self.misses,
        }
    }

    /// Zeroes the counters (CONFIG RESETSTAT).
    pub fn reset_stats(&mut self) {
        self.hits = 0;
        self.misses = 0;
        self.evict.evicted = 0;
        for db in &mut self.dbs {
            db.expired_keys = 0;
        }
    }
}

#[cfg(test)]
mod tracking_tests {
    use super::{KeyEvent, Keyspace};
    use crate::Value;

    fn touched(ks: &mut Keyspace) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        ks.take_touched(&mut out);
        out.into_iter().map(|(db, k)| (db, String::from_utf8_lossy(&k).into_owned())).collect()
    }

    #[test]
    fn mutations_of_tracked_keys_are_recorded_once_in_order() {
        let mut ks = Keyspace::new(2);
        assert!(!ks.any_tracked());
        ks.db(0).set(b"x", Value::from_bytes(b"1"), false, 0);
        ks.track(0, b"y");
        ks.track(0, b"x");
        assert!(ks.any_tracked());
        assert!(touched(&mut ks).is_empty());
        ks.db(0).set(b"y", Value::from_bytes(b"1"), false, 0);
        ks.db(0).set(b"other", Value::from_bytes(b"1"), false, 0);
        drop(ks.db(0).get_mut(b"x", 0));
        ks.db(0).set(b"y", Value::from_bytes(b"2"), false, 0);
        assert_eq!(touched(&mut ks), vec![(0, "y".into()), (0, "x".into())]);
        // Reads are not modifications.
        ks.db(0).get(b"x", 0, true);
        assert!(touched(&mut ks).is_empty());
        assert!(ks.db(0).set_deadline(b"x", 100, 0));
        assert_eq!(touched(&mut ks), vec![(0, "x".into())]);
        // Lazy expiry deletes, and that is a modification.
        assert!(!ks.db(0).exists(b"x", 200));
        assert_eq!(touched(&mut ks), vec![(0, "x".into())]);
        ks.untrack(0, b"x");
        ks.untrack(0, b"y");
        assert!(!ks.any_tracked());
        ks.db(0).set(b"y", Value::from_bytes(b"3"), false, 0);
        assert!(touched(&mut ks).is_empty());
    }

    #[test]
    fn track_all_records_every_modified_key_until_turned_off() {
        let mut ks = Keyspace::new(2);
        ks.track_all(true);
        assert!(ks.any_tracked());
        ks.db(0).set(b"a", Value::from_bytes(b"1"), false, 0);
        ks.db(1).set(b"b", Value::from_bytes(b"1"), false, 0);
        ks.db(0).get(b"a", 0, true);
        assert_eq!(touched(&mut ks), vec![(0, "a".into()), (1, "b".into())]);
        // A watcher coming and going does not stop the recording.
        ks.track(0, b"x");
        ks.untrack(0, b"x");
        ks.db(0).set(b"c", Value::from_bytes(b"1"), false, 0);
        assert_eq!(touched(&mut ks), vec![(0, "c".into())]);
        ks.track_all(false);
        assert!(!ks.any_tracked());
        ks.db(0).set(b"d", Value::from_bytes(b"1"), false, 0);
        assert!(touched(&mut ks).is_empty());
    }

    #[test]
    fn flush_and_swap_touch_tracked_keys_that_exist() {
        let mut ks = Keyspace::new(2);
        ks.db(0).set(b"a", Value::from_bytes(b"1"), false, 0);
        ks.db(1).set(b"b", Value::from_bytes(b"1"), false, 0);
        ks.track(0, b"a");
        ks.track(0, b"b");
        ks.track(0, b"c");
        ks.track(1, b"c");
        assert!(ks.swap(0, 1));
        let mut swapped = touched(&mut ks);
        swapped.sort();
        // "c" exists in neither database: not touched.
        assert_eq!(swapped, vec![(0, "a".into()), (0, "b".into())]);
        // The tracking stayed with database 0: a write to "b" there (now holding db 1's keys) is seen.
        ks.db(0).set(b"b", Value::from_bytes(b"2"), false, 0);
        assert_eq!(touched(&mut ks), vec![(0, "b".into())]);
        ks.flush_all();
        assert_eq!(touched(&mut ks), vec![(0, "b".into())]);
        ks.db(0).clear();
        assert!(touched(&mut ks).is_empty());
        // Moving the keys out keeps the tracking in place.
        ks.db(0).set(b"a", Value::from_bytes(b"1"), false, 0);
        let old = ks.db(0).take_contents();
        assert_eq!(old.len(), 1);
        assert_eq!(touched(&mut ks), vec![(0, "a".into())]);
        ks.db(0).set(b"a", Value::from_bytes(b"2"), false, 0);
        assert_eq!(touched(&mut ks), vec![(0, "a".into())]);
    }

    #[test]
    fn store_events_are_recorded_in_order_when_asked_for() {
        let events = |ks: &mut Keyspace| {
            let mut out = Vec::new();
            ks.take_events(&mut out);
            out.into_iter()
                .map(|(db, e, k)| (db, e.name(), String::from_utf8_lossy(&k).into_owned()))
                .collect::<Vec<_>>()
        };
        let mut ks = Keyspace::new(2);
        ks.db(0).set(b"a", Value::from_bytes(b"1"), false, 0);
        assert!(events(&mut ks).is_empty());
        ks.set_event_mask(KeyEvent::Expired.bit() | KeyEvent::New.bit() | KeyEvent::Evicted.bit());
        // Overwriting is not creating.
        ks.db(0).set(b"a", Value::from_bytes(b"2"), false, 0);
        ks.db(1).set_with_deadline(b"b", Value::from_bytes(b"1"), 10, 0);
        assert_eq!(events(&mut ks), vec![(1, "new", "b".into())]);
        // Lazy expiry, then a write over an expired key: expired, then new.
        ks.db(1).set_with_deadline(b"c", Value::from_bytes(b"1"), 10, 0);
        assert!(!ks.db(1).exists(b"b", 20));
        ks.db(1).set(b"c", Value::from_bytes(b"2"), false, 20);
        assert_eq!(
            events(&mut ks),
            vec![
                (1, "new", "c".into()),
                (1, "expired", "b".into()),
                (1, "expired", "c".into()),
                (1, "new", "c".into())
            ]
        );
        // Active expiry.
        ks.db(0).set_with_deadline(b"d", Value::from_bytes(b"1"), 10, 0);
        ks.active_expire_cycle(20, 100);
        assert_eq!(events(&mut ks), vec![(0, "new", "d".into()), (0, "expired", "d".into())]);
        // Eviction.
        ks.evict(0, crate::evict::EvictionPolicy::AllKeysRandom, 5, 20, || false);
        assert_eq!(events(&mut ks), vec![(0, "evicted", "a".into()), (1, "evicted", "c".into())]);
        // Only the classes asked for.
        ks.set_event_mask(KeyEvent::Expired.bit());
        ks.db(0).set_with_deadline(b"e", Value::from_bytes(b"1"), 10, 0);
        assert!(!ks.db(0).exists(b"e", 20));
        assert_eq!(events(&mut ks), vec![(0, "expired", "e".into())]);
        ks.set_event_mask(0);
        ks.db(0).set(b"f", Value::from_bytes(b"1"), false, 0);
        assert!(events(&mut ks).is_empty());
    }

    #[test]
    fn active_expiry_is_a_modification() {
        let mut ks = Keyspace::new(1);
        ks.db(0).set_with_deadline(b"k", Value::from_bytes(b"v"), 10, 0);
        ks.track(0, b"k");
        assert!(ks.db(0).is_stale(b"k", 20));
        assert!(ks.db(0).holds(b"k"));
        ks.active_expire_cycle(20, 100);
        assert_eq!(touched(&mut ks), vec![(0, "k".into())]);
        assert!(!ks.db(0).holds(b"k"));
    }
}
