//! Eviction: freeing memory when the dataset outgrows `maxmemory` (Redis's `evict.c`).
//!
//! [`Keyspace::evict`] deletes keys chosen by an [`EvictionPolicy`] until
//! [`Keyspace::used_bytes`] is at most the limit, nothing is left to evict, or the caller's
//! time budget runs out. The caller (the command layer) runs it before every command while
//! over the limit, and refuses commands that grow memory when it reports
//! [`EvictOutcome::Failed`].
//!
//! The choice is a sampled approximation, as in Redis:
//!
//! - LRU, LFU and TTL policies keep an *eviction pool* of [`POOL_SIZE`] candidates ordered by
//!   score (seconds idle for LRU, `255 -` the decayed counter for LFU, nearness of the
//!   deadline for TTL). Each round samples `samples` keys (`maxmemory-samples`) at random from
//!   every database (from all keys for `allkeys-*`, from the keys with a deadline for
//!   `volatile-*`), inserts those that beat the worst candidate, then evicts the best
//!   candidate that still exists. The pool survives across calls, so later evictions start
//!   from the good candidates earlier rounds found; entries whose key was deleted meanwhile
//!   ("ghosts") are skipped. A key is in the pool at most once.
//! - Random policies delete a uniformly random key (or key with a deadline), visiting the
//!   databases in turn.
//!
//! Sampling is O(1) per key ([`crate::Dict`] picks random entries in constant time), so one
//! eviction costs O(databases x samples + pool size), whatever the size of the dataset.
//!
//! The loop always ends: every round either deletes a key or finds no candidate, and the
//! caller's `out_of_time` callback is consulted every [`TIME_CHECK_EVERY`] deletions (Redis's
//! `maxmemory-eviction-tenacity`). The store itself never reads the clock.
//!
//! Deleting a key goes through [`crate::Db::remove`], so evictions are modifications for
//! WATCH and keep the memory accounting exact; an evicted key that turns out to have expired
//! already is counted as expired, not evicted. Evictions are recorded as
//! [`KeyEvent::Evicted`] keyspace events when the event mask asks for them.

use crate::db::KeyEvent;
use crate::keyspace::Keyspace;

/// Candidates kept in the eviction pool (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// Keys sampled per database per round unless configured (Redis's `maxmemory-samples`).
pub const DEFAULT_SAMPLES: usize = 5;

/// Deletions between two calls of the caller's `out_of_time` callback.
pub const TIME_CHECK_EVERY: u64 = 16;

/// Most keys sampled per database per round, whatever `maxmemory-samples` says, so that a
/// huge setting cannot stall a command (Redis samples at most the table's size, as here).
pub const MAX_SAMPLES: usize = 1024;

/// Pool refills in one search for a victim before giving up. Two always suffice (a refill
/// from a non-empty table inserts a live key or finds a pool of better live keys; one pass
/// clears the ghosts); the bound only guards the invariant.
const MAX_REFILLS: usize = 8;

/// What to evict when over the memory limit (redis.conf `maxmemory-policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvictionPolicy {
    /// Evict nothing: commands that grow memory are refused.
    NoEviction,
    /// Least recently used among all keys.
    AllKeysLru,
    /// Least frequently used among all keys.
    AllKeysLfu,
    /// Random keys.
    AllKeysRandom,
    /// Least recently used among keys with a deadline.
    VolatileLru,
    /// Least frequently used among keys with a deadline.
    VolatileLfu,
    /// Random keys with a deadline.
    VolatileRandom,
    /// Keys with the nearest deadline.
    VolatileTtl,
}

impl EvictionPolicy {
    /// Whether only keys with a deadline may be evicted.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLru
                | EvictionPolicy::VolatileLfu
                | EvictionPolicy::VolatileRandom
                | EvictionPolicy::VolatileTtl
        )
    }

    /// Whether victims come from the ranked eviction pool (LRU, LFU, TTL) rather than at random.
    fn uses_pool(self) -> bool {
        !matches!(self, EvictionPolicy::NoEviction | EvictionPolicy::AllKeysRandom | EvictionPolicy::VolatileRandom)
    }
}

/// How an eviction pass ended (Redis's `EVICT_OK`, `EVICT_RUNNING`, `EVICT_FAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictOutcome {
    /// Memory is within the limit (possibly after deleting keys).
    Within,
    /// Still over the limit, but the time budget ran out while keys were being evicted:
    /// more can be freed, so commands are let through and the next pass goes on.
    Interrupted,
    /// Still over the limit and nothing (more) may be evicted: the policy is `noeviction`,
    /// or no key qualifies.
    Failed,
}

/// One candidate of the pool: higher scores are better victims.
#[derive(Debug)]
struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// The eviction state a [`Keyspace`] keeps between passes: the pool, the database the next
/// random eviction starts with, and the count INFO reports as `evicted_keys`.
#[derive(Debug, Default)]
pub(crate) struct EvictState {
    /// Candidates in ascending score order (the best victim last), at most [`POOL_SIZE`].
    pool: Vec<Candidate>,
    /// Key buffers of dropped candidates, reused by new ones.
    spare: Vec<Vec<u8>>,
    /// The policy the pool's scores were computed for (scores of different policies do not
    /// compare, so the pool is emptied when the policy changes).
    pool_policy: Option<EvictionPolicy>,
    /// Rotation over databases for the random policies.
    next_db: usize,
    /// Keys evicted (INFO stats `evicted_keys`).
    pub(crate) evicted: u64,
}

impl EvictState {
    /// Offers a sampled key to the pool (Redis's `evictionPoolPopulate` insertion): kept if
    /// the pool has room or `score` beats its worst candidate, which is then dropped.
    fn offer(&mut self, db: usize, key: &[u8], score: u64) {
        if let Some(i) = self.pool.iter().position(|c| c.db == db && c.key == key) {
            let old = self.pool.remove(i);
            self.spare.push(old.key);
        }
        // The first candidate whose score is not below ours: insert before it.
        let k = self.pool.partition_point(|c| c.score < score);
        if k == 0 && self.pool.len() >= POOL_SIZE {
            return;
        }
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(key);
        self.pool.insert(k, Candidate { score, db, key: buf });
        if self.pool.len() > POOL_SIZE {
            let dropped = self.pool.remove(0);
            self.spare.push(dropped.key);
        }
    }

    /// Empties the pool (keeping its buffers).
    fn clear_pool(&mut self) {
        self.spare.extend(self.pool.drain(..).map(|c| c.key));
    }
}

impl Keyspace {
    /// Keys evicted so far (INFO stats `evicted_keys`; CONFIG RESETSTAT zeroes it).
    pub fn evicted_keys(&self) -> u64 {
        self.evict.evicted
    }

    /// Evicts keys by `policy` until [`Keyspace::used_bytes`] is at most `limit` bytes (see
    /// the [module documentation](self)). `samples` keys per database are sampled per round
    /// (at least 1, at most [`MAX_SAMPLES`] and the database's size). `out_of_time` is called
    /// every [`TIME_CHECK_EVERY`] deletions; when it returns true the pass stops with
    /// [`EvictOutcome::Interrupted`].
    ///
    /// Cost when within the limit: one sum over the databases.
    pub fn evict(
        &mut self,
        limit: usize,
        policy: EvictionPolicy,
        samples: usize,
        now_ms: i64,
        mut out_of_time: impl FnMut() -> bool,
    ) -> EvictOutcome {
        let mut used = self.used_bytes();
        if used <= limit {
            return EvictOutcome::Within;
        }
        if policy == EvictionPolicy::NoEviction {
            return EvictOutcome::Failed;
        }
        let samples = samples.clamp(1, MAX_SAMPLES);
        let mut state = std::mem::take(&mut self.evict);
        if state.pool_policy != Some(policy) {
            state.clear_pool();
            state.pool_policy = Some(policy);
        }
        let mut deleted = 0u64;
        let outcome = loop {
            let victim = if policy.uses_pool() {
                self.pool_victim(&mut state, policy, samples, now_ms)
            } else {
                self.random_victim(&mut state, policy)
            };
            let Some((db, key)) = victim else {
                break EvictOutcome::Failed;
            };
            if let Some(d) = self.get_db(db) {
                if d.remove(&key, now_ms).is_some() {
                    state.evicted += 1;
                    d.note_event(KeyEvent::Evicted, &key);
                }
            }
            state.spare.push(key);
            used = self.used_bytes();
            if used <= limit {
                break EvictOutcome::Within;
            }
            deleted += 1;
            if deleted.is_multiple_of(TIME_CHECK_EVERY) && out_of_time() {
                break EvictOutcome::Interrupted;
            }
        };
        self.evict = state;
        outcome
    }

    /// The next victim of a ranked policy: refills the pool from every database, then takes
    /// the best candidate that still exists. `None` when no key qualifies.
    fn pool_victim(
        &mut self,
        state: &mut EvictState,
        policy: EvictionPolicy,
        samples: usize,
        now_ms: i64,
    ) -> Option<(usize, Vec<u8>)> {
        let volatile = policy.volatile_only();
        for _ in 0..MAX_REFILLS {
            let mut total = 0usize;
            for dbi in 0..self.db_count() {
                let Some(db) = self.db_ref(dbi) else { continue };
                let n = if volatile { db.volatile.len() } else { db.main.len() };
                if n == 0 {
                    continue;
                }
                total += n;
                for _ in 0..samples.min(n) {
                    let scored = if volatile {
                        db.volatile.random_entry().and_then(|(key, &deadline)| {
                            let score = match policy {
                                EvictionPolicy::VolatileTtl => Some(u64::MAX - deadline.max(0) as u64),
                                _ => {
                                    let (idle, freq) = db.main.find(key).and_then(|i| db.access_at(i, now_ms))?;
                                    Some(rank(policy, idle, freq))
                                }
                            };
                            score.map(|s| (key, s))
                        })
                    } else {
                        db.main.random_index().and_then(|i| {
                            let (key, _) = db.main.get_index(i)?;
                            let (idle, freq) = db.access_at(i, now_ms)?;
                            Some((key, rank(policy, idle, freq)))
                        })
                    };
                    if let Some((key, score)) = scored {
                        state.offer(dbi, key, score);
                    }
                }
            }
            if total == 0 {
                return None;
            }
            // Best candidates first; each one leaves the pool whether it exists or not.
            while let Some(c) = state.pool.pop() {
                let exists = self.db_ref(c.db).is_some_and(|db| {
                    if volatile {
                        db.volatile.contains_key(&c.key)
                    } else {
                        db.main.contains_key(&c.key)
                    }
                });
                if exists {
                    return Some((c.db, c.key));
                }
                state.spare.push(c.key);
            }
        }
        None
    }

    /// The next victim of a random policy: a random key (with a deadline, for
    /// `volatile-random`) of the next database, in turn, that has one.
    fn random_victim(&mut self, state: &mut EvictState, policy: EvictionPolicy) -> Option<(usize, Vec<u8>)> {
        let n = self.db_count();
        for _ in 0..n {
            state.next_db = (state.next_db + 1) % n;
            let dbi = state.next_db;
            let Some(db) = self.db_ref(dbi) else { continue };
            let key = if policy.volatile_only() {
                db.volatile.random_entry().map(|(k, _)| k)
            } else {
                db.main.random_entry().map(|(k, _)| k)
            };
            if let Some(key) = key {
                let mut buf = state.spare.pop().unwrap_or_default();
                buf.clear();
                buf.extend_from_slice(key);
                return Some((dbi, buf));
            }
        }
        None
    }
}

/// The pool score of a key under an LRU or LFU policy: seconds idle, or `255 -` the decayed
/// counter (rarely used keys rank higher).
fn rank(policy: EvictionPolicy, idle_secs: u64, freq: u8) -> u64 {
    match policy {
        EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu => u64::from(u8::MAX - freq),
        _ => idle_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Keyspace, Value};

    const NOW: i64 = 1_700_000_000_000;

    fn big() -> Value {
        Value::from_bytes(&[b'x'; 1000])
    }

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    /// A keyspace of `n` keys of 1000 bytes in db 0; odd keys have a deadline `i` seconds
    /// after `NOW` + 1h when `odd_volatile`.
    fn filled(n: usize, odd_volatile: bool) -> Keyspace {
        let mut ks = Keyspace::new(16);
        for i in 0..n {
            if odd_volatile && i % 2 == 1 {
                ks.db(0).set_with_deadline(&key(i), big(), NOW + 3_600_000 + i as i64 * 1000, NOW);
            } else {
                ks.db(0).set(&key(i), big(), false, NOW);
            }
        }
        ks
    }

    fn never() -> bool {
        false
    }

    #[test]
    fn within_the_limit_nothing_happens() {
        let mut ks = filled(100, false);
        let used = ks.used_bytes();
        for policy in [EvictionPolicy::NoEviction, EvictionPolicy::AllKeysLru, EvictionPolicy::AllKeysRandom] {
            assert_eq!(ks.evict(used, policy, 5, NOW, never), EvictOutcome::Within);
        }
        assert_eq!(ks.total_keys(), 100);
        assert_eq!(ks.evicted_keys(), 0);
    }

    #[test]
    fn noeviction_fails_without_deleting() {
        let mut ks = filled(100, false);
        assert_eq!(ks.evict(1000, EvictionPolicy::NoEviction, 5, NOW, never), EvictOutcome::Failed);
        assert_eq!(ks.total_keys(), 100);
    }

    #[test]
    fn every_policy_gets_under_the_limit_or_fails_cleanly() {
        for policy in [
            EvictionPolicy::AllKeysLru,
            EvictionPolicy::AllKeysLfu,
            EvictionPolicy::AllKeysRandom,
            EvictionPolicy::VolatileLru,
            EvictionPolicy::VolatileLfu,
            EvictionPolicy::VolatileRandom,
            EvictionPolicy::VolatileTtl,
        ] {
            let mut ks = filled(1000, true);
            let limit = ks.used_bytes() * 3 / 4;
            assert_eq!(ks.evict(limit, policy, 5, NOW, never), EvictOutcome::Within, "{policy:?}");
            assert!(ks.used_bytes() <= limit);
            let evicted = ks.evicted_keys();
            assert!(evicted > 0 && evicted < 500, "{policy:?}: {evicted}");
            assert_eq!(ks.total_keys() as u64, 1000 - evicted);
            if policy.volatile_only() {
                // Every key without a deadline survived.
                for i in (0..1000).step_by(2) {
                    assert!(ks.db(0).exists(&key(i), NOW), "{policy:?} evicted persistent key {i}");
                }
                // Asking for more than the volatile keys can give fails, with all of them gone.
                assert_eq!(ks.evict(0, policy, 5, NOW, never), EvictOutcome::Failed);
                assert_eq!(ks.total_keys(), 500);
                assert_eq!(ks.evicted_keys(), 500);
            } else {
                // Everything can go: an empty keyspace uses nothing.
                assert_eq!(ks.evict(0, policy, 5, NOW, never), EvictOutcome::Within);
                assert_eq!(ks.total_keys(), 0);
                assert_eq!(ks.used_bytes(), 0);
            }
        }
    }

    #[test]
    fn volatile_policies_fail_when_no_key_has_a_deadline() {
        let mut ks = filled(100, false);
        for policy in [EvictionPolicy::VolatileLru, EvictionPolicy::VolatileRandom, EvictionPolicy::VolatileTtl] {
            assert_eq!(ks.evict(10, policy, 5, NOW, never), EvictOutcome::Failed);
        }
        assert_eq!(ks.total_keys(), 100);
    }

    #[test]
    fn volatile_ttl_evicts_the_nearest_deadlines() {
        let mut ks = filled(2000, true);
        let limit = ks.used_bytes() - 200 * 1100;
        assert_eq!(ks.evict(limit, EvictionPolicy::VolatileTtl, 5, NOW, never), EvictOutcome::Within);
        let evicted = ks.evicted_keys() as usize;
        assert!(evicted >= 150, "{evicted}");
        // Deadlines grow with the key number: the evicted keys are mostly among the lowest.
        let gone: Vec<usize> = (1..2000).step_by(2).filter(|&i| !ks.db(0).exists(&key(i), NOW)).collect();
        assert_eq!(gone.len(), evicted);
        let early = gone.iter().filter(|&&i| i < 2 * evicted * 2).count();
        assert!(early * 10 >= evicted * 8, "{early} of {evicted} among the nearest: {gone:?}");
    }

    #[test]
    fn lru_keeps_recently_used_keys() {
        let mut ks = filled(1000, false);
        // A minute later, a tenth of the keys is read.
        let later = NOW + 60_000;
        for i in (0..1000).step_by(10) {
            ks.db(0).get(&key(i), later, true);
        }
        let limit = ks.used_bytes() / 2;
        assert_eq!(ks.evict(limit, EvictionPolicy::AllKeysLru, 5, later, never), EvictOutcome::Within);
        let hot_left = (0..1000).step_by(10).filter(|&i| ks.db(0).exists(&key(i), later)).count();
        // Pure random eviction would keep about half of them.
        assert!(hot_left >= 95, "{hot_left} of 100 recently read keys survived");
    }

    #[test]
    fn lfu_keeps_frequently_used_keys() {
        let mut ks = filled(1000, false);
        for _ in 0..100 {
            for i in (0..1000).step_by(10) {
                ks.db(0).get(&key(i), NOW, true);
            }
        }
        let limit = ks.used_bytes() / 2;
        assert_eq!(ks.evict(limit, EvictionPolicy::AllKeysLfu, 5, NOW, never), EvictOutcome::Within);
        let hot_left = (0..1000).step_by(10).filter(|&i| ks.db(0).exists(&key(i), NOW)).count();
        assert!(hot_left >= 95, "{hot_left} of 100 frequently read keys survived");
    }

    #[test]
    fn samples_every_database() {
        let mut ks = Keyspace::new(4);
        for db in 0..4 {
            for i in 0..100 {
                ks.db(db).set(&key(i), big(), false, NOW);
            }
        }
        let limit = ks.used_bytes() / 2;
        for policy in [EvictionPolicy::AllKeysRandom, EvictionPolicy::AllKeysLru] {
            assert_eq!(ks.evict(limit, policy, 5, NOW, never), EvictOutcome::Within);
        }
        for db in 0..4 {
            let left = ks.db(db).len();
            assert!(left < 100, "db {db} untouched");
        }
    }

    #[test]
    fn out_of_time_interrupts_and_the_next_pass_goes_on() {
        let mut ks = filled(1000, false);
        let mut calls = 0;
        let outcome = ks.evict(0, EvictionPolicy::AllKeysRandom, 5, NOW, || {
            calls += 1;
            true
        });
        assert_eq!(outcome, EvictOutcome::Interrupted);
        assert_eq!(calls, 1);
        assert_eq!(ks.evicted_keys(), TIME_CHECK_EVERY);
        assert_eq!(ks.evict(0, EvictionPolicy::AllKeysLru, 5, NOW, never), EvictOutcome::Within);
        assert_eq!(ks.total_keys(), 0);
    }

    #[test]
    fn ghosts_and_policy_changes_are_harmless() {
        let mut ks = filled(200, true);
        let used = ks.used_bytes();
        // Fill the pool, then delete every key it may hold.
        assert_eq!(ks.evict(used - 1, EvictionPolicy::AllKeysLru, 5, NOW, never), EvictOutcome::Within);
        for i in 0..150 {
            ks.db(0).remove(&key(i), NOW);
        }
        let used = ks.used_bytes();
        assert_eq!(ks.evict(used - 1, EvictionPolicy::AllKeysLru, 5, NOW, never), EvictOutcome::Within);
        let persistent: Vec<usize> = (150..200).step_by(2).filter(|&i| ks.db(0).exists(&key(i), NOW)).collect();
        assert!(!persistent.is_empty());
        let used = ks.used_bytes();
        assert_eq!(ks.evict(used - 5000, EvictionPolicy::VolatileTtl, 5, NOW, never), EvictOutcome::Within);
        // Only keys with a deadline went with volatile-ttl.
        for i in persistent {
            assert!(ks.db(0).exists(&key(i), NOW), "volatile-ttl evicted persistent key {i}");
        }
    }

    #[test]
    fn huge_sample_counts_are_capped() {
        let mut ks = filled(10, true);
        for policy in [EvictionPolicy::AllKeysLru, EvictionPolicy::VolatileTtl] {
            assert_ne!(ks.evict(0, policy, usize::MAX, NOW, never), EvictOutcome::Interrupted);
        }
        assert_eq!(ks.total_keys(), 0);
    }

    #[test]
    fn pool_is_bounded_ordered_and_unique() {
        let mut st = EvictState::default();
        for i in 0..100u64 {
            st.offer(0, format!("k{}", i % 40).as_bytes(), (i * 7919) % 101);
        }
        assert!(st.pool.len() <= POOL_SIZE);
        assert!(st.pool.windows(2).all(|w| w[0].score <= w[1].score));
        let mut keys: Vec<&[u8]> = st.pool.iter().map(|c| c.key.as_slice()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), st.pool.len());
    }

    #[test]
    fn evictions_touch_watched_keys() {
        let mut ks = filled(10, false);
        ks.track(0, &key(3));
        assert_eq!(ks.evict(0, EvictionPolicy::AllKeysLru, 5, NOW, never), EvictOutcome::Within);
        let mut out = Vec::new();
        ks.take_touched(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&*out[0].1, key(3).as_slice());
    }

    #[test]
    fn small_keys_free_memory_in_proportion() {
        // Keys whose key and value live inside the table slot: each eviction must show up in
        // used_bytes, or a pass deletes keys until a table happens to shrink (half of them).
        let mut ks = Keyspace::new(16);
        for i in 0..1025 {
            ks.db(0).set(format!("k{i}").as_bytes(), Value::from_bytes(b"x"), false, NOW);
        }
        let limit = ks.used_bytes() * 9 / 10;
        assert_eq!(ks.evict(limit, EvictionPolicy::AllKeysRandom, 5, NOW, never), EvictOutcome::Within);
        let evicted = ks.evicted_keys();
        assert!((80..=160).contains(&evicted), "{evicted} of 1025 evicted to free 10%");
    }
}
