//! A micro-measurement of memory per key (run with `--ignored --nocapture`, release mode
//! for speed): 1M keys `key:NNNNNNN` holding 3-byte values, as `redis-benchmark` would.

use redoubt_store::{Db, Value};

/// Resident set size of this process in bytes, from /proc/self/statm (0 if unavailable).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

#[test]
#[ignore]
fn bytes_per_key_for_1m_small_keys() {
    const N: usize = 1_000_000;
    let rss_before = rss_bytes();
    let mut db = Db::new();
    let mut slowest = std::time::Duration::ZERO;
    for i in 0..N {
        let key = format!("key:{i:07}");
        let t = std::time::Instant::now();
        db.set(key.as_bytes(), Value::from_bytes(b"abc"), false, 0);
        slowest = slowest.max(t.elapsed());
    }
    // The slowest insert is the last rehash (the table is rehashed all at once).
    println!("slowest single insert (last rehash): {slowest:?}");
    let rss_after = rss_bytes();
    let used = db.used_bytes();
    println!(
        "{N} keys: used_bytes {used} ({:.1} B/key), RSS delta {} ({:.1} B/key)",
        used as f64 / N as f64,
        rss_after - rss_before,
        (rss_after - rss_before) as f64 / N as f64
    );
    assert_eq!(db.len(), N);
    // With 1% of them volatile.
    for i in (0..N).step_by(100) {
        db.set_deadline(format!("key:{i:07}").as_bytes(), i64::MAX, 0);
    }
    println!(
        "with 1% volatile: used_bytes {:.1} B/key, RSS delta {:.1} B/key",
        db.used_bytes() as f64 / N as f64,
        (rss_bytes() - rss_before) as f64 / N as f64
    );
}
