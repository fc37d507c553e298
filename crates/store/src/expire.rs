//! Active expiry: reclaiming expired keys nobody touches (Redis's `activeExpireCycle`).
//!
//! Each database keeps a SCAN cursor over its table of volatile keys. A step takes the next
//! [`KEYS_PER_LOOP`] keys from the cursor, deletes the expired ones, and repeats while more
//! than a quarter of the sample had expired, until its sampling budget is spent. Walking a
//! cursor rather than sampling at random means every volatile key is examined once per pass,
//! so no expired key can hide from the cycle, and keys that are alive are not re-examined
//! before the others have been.

use crate::db::{Db, KeyEvent};

/// Keys examined per sampling round (Redis's `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const KEYS_PER_LOOP: usize = 20;

/// A round continues while more than this percentage of its sample had expired.
const ACCEPTABLE_STALE_PERCENT: usize = 25;

/// Empty buckets a round may skip per key it wants, so a sparse table cannot stall it.
const BUCKETS_PER_KEY: usize = 20;

impl Db {
    /// One active-expiry step: examines volatile keys in rounds of up to [`KEYS_PER_LOOP`],
    /// deleting expired ones, repeating while more than 25% of a round had expired, and
    /// stopping once `max_samples` keys were examined. Returns the number of keys deleted.
    pub fn active_expire(&mut self, now_ms: i64, max_samples: usize) -> usize {
        self.active_expire_step(now_ms, max_samples).0
    }

    /// [`Db::active_expire`], returning (keys deleted, keys examined).
    pub(crate) fn active_expire_step(&mut self, now_ms: i64, max_samples: usize) -> (usize, usize) {
        let mut deleted = 0;
        let mut examined = 0;
        let mut sample = Vec::with_capacity(KEYS_PER_LOOP * 2);
        let mut expired = Vec::with_capacity(KEYS_PER_LOOP * 2);
        while examined < max_samples && !self.volatile.is_empty() {
            // Gather the next keys from the cursor (whole buckets, so possibly a few more).
            sample.clear();
            let mut cursor = self.expire_cursor;
            let mut buckets = 0;
            while sample.len() < KEYS_PER_LOOP && buckets < KEYS_PER_LOOP * BUCKETS_PER_KEY {
                cursor = self.volatile.scan_indices(cursor, &mut sample);
                buckets += 1;
                if cursor == 0 {
                    break;
                }
            }
            self.expire_cursor = cursor;

            // Sort out the expired ones; estimate the average TTL from the others.
            expired.clear();
            let mut ttl_sum: i128 = 0;
            let mut ttl_count: i128 = 0;
            for &vi in &sample {
                let Some((_, &deadline)) = self.volatile.get_index(vi) else {
                    continue;
                };
                if now_ms > deadline {
                    expired.push(vi);
                } else {
                    ttl_sum += i128::from(deadline) - i128::from(now_ms);
                    ttl_count += 1;
                }
            }
            if ttl_count > 0 {
                let avg = i64::try_from(ttl_sum / ttl_count).unwrap_or(i64::MAX);
                // Redis's smoothing: each round weighs 2% of the estimate.
                self.avg_ttl = if self.avg_ttl == 0 { avg } else { self.avg_ttl / 50 * 49 + avg / 50 };
            }

            // Delete, largest volatile index first (removal moves the last entry down).
            expired.sort_unstable_by(|a, b| b.cmp(a));
            for &vi in &expired {
                if let Some((key, _)) = self.volatile.get_index(vi) {
                    if self.events.mask & KeyEvent::Expired.bit() != 0 {
                        self.events.pending.push((KeyEvent::Expired, key.into()));
                    }
                    if let Some(i) = self.main.find(key) {
                        self.remove_main_index(i);
                    }
                }
                self.volatile.remove_index(vi);
            }
            deleted += expired.len();
            self.expired_keys += expired.len() as u64;
            // An empty sample still spends budget, so the loop always ends.
            examined += sample.len().max(1);
            if expired.len() * 100 <= sample.len() * ACCEPTABLE_STALE_PERCENT {
                break;
            }
        }
        (deleted, examined)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Db, Value};

    #[test]
    fn stops_when_few_keys_expired() {
        let mut db = Db::new();
        for i in 0..1000 {
            let deadline = if i % 10 == 0 { 500 } else { 1_000_000 };
            db.set_with_deadline(format!("k{i}").as_bytes(), Value::from_bytes(b"v"), deadline, 0);
        }
        // 10% expired: one round per call, then it stops.
        let mut total = 0;
        let mut calls = 0;
        while total < 100 {
            let n = db.active_expire(1000, 1000);
            total += n;
            calls += 1;
            assert!(calls < 1000, "cursor must cover every key");
        }
        assert_eq!(total, 100);
        assert_eq!(db.len(), 900);
        assert_eq!(db.volatile_len(), 900);
        assert_eq!(db.expired_keys(), 100);
        assert!(db.avg_ttl_ms() > 900_000);
    }
}
