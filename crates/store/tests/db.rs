//! Database behaviour through the public API: lazy and active expiry, access clocks, SCAN,
//! RANDOMKEY, and memory accounting.

use std::collections::HashSet;

use redoubt_store::{Db, Keyspace, LfuConfig, StrValue, Value, LFU_INIT_VAL};

fn s(v: &[u8]) -> Value {
    Value::from_bytes(v)
}

fn bytes(v: &Value) -> Vec<u8> {
    v.as_str().unwrap().to_bytes().into_owned()
}

const NOW: i64 = 1_700_000_000_000;

#[test]
fn set_get_remove() {
    let mut db = Db::new();
    assert!(db.is_empty());
    assert!(db.get(b"k", NOW, true).is_none());
    db.set(b"k", s(b"v"), false, NOW);
    assert_eq!(bytes(db.get(b"k", NOW, true).unwrap()), b"v");
    assert!(db.exists(b"k", NOW));
    db.set(b"k", s(b"w"), false, NOW);
    assert_eq!(db.len(), 1);
    assert_eq!(bytes(&db.remove(b"k", NOW).unwrap()), b"w");
    assert!(db.remove(b"k", NOW).is_none());
    assert!(!db.exists(b"k", NOW));
    // Any key content.
    for key in [&b""[..], b"\0", b"\xff\xfe", &[b'x'; 10_000]] {
        db.set(key, s(key), false, NOW);
        assert_eq!(bytes(db.get(key, NOW, false).unwrap()), key);
    }
    assert_eq!(db.len(), 4);
}

#[test]
fn deadlines_and_lazy_expiry() {
    let mut db = Db::new();
    assert_eq!(db.deadline(b"k", NOW), None);
    db.set(b"k", s(b"v"), false, NOW);
    assert_eq!(db.deadline(b"k", NOW), Some(None));
    assert!(!db.persist(b"k", NOW));
    assert!(db.set_deadline(b"k", NOW + 1000, NOW));
    assert!(!db.set_deadline(b"nope", NOW + 1000, NOW));
    assert_eq!(db.deadline(b"k", NOW), Some(Some(NOW + 1000)));
    assert_eq!(db.volatile_len(), 1);
    // KEEPTTL keeps it, plain SET clears it.
    db.set(b"k", s(b"v2"), true, NOW);
    assert_eq!(db.deadline(b"k", NOW), Some(Some(NOW + 1000)));
    db.set(b"k", s(b"v3"), false, NOW);
    assert_eq!(db.deadline(b"k", NOW), Some(None));
    assert_eq!(db.volatile_len(), 0);
    // PERSIST.
    db.set_with_deadline(b"k", s(b"v"), NOW + 1000, NOW);
    assert!(db.persist(b"k", NOW));
    assert_eq!(db.deadline(b"k", NOW), Some(None));
    assert_eq!(db.volatile_len(), 0);
    // Expired exactly when now > deadline.
    db.set_with_deadline(b"k", s(b"v"), NOW + 1000, NOW);
    assert!(db.get(b"k", NOW + 1000, true).is_some());
    assert!(db.get(b"k", NOW + 1001, true).is_none());
    assert_eq!(db.len(), 0);
    assert_eq!(db.volatile_len(), 0);
    assert_eq!(db.expired_keys(), 1);
    // Every accessor expires lazily.
    type Probe = fn(&mut Db, i64) -> bool;
    let probes: [Probe; 7] = [
        |db, t| db.exists(b"k", t),
        |db, t| db.get(b"k", t, false).is_some(),
        |db, t| db.get_mut(b"k", t).is_some(),
        |db, t| db.remove(b"k", t).is_some(),
        |db, t| db.deadline(b"k", t).is_some(),
        |db, t| db.set_deadline(b"k", t + 10_000, t),
        |db, t| db.persist(b"k", t),
    ];
    for (n, probe) in probes.iter().enumerate() {
        db.set_with_deadline(b"k", s(b"v"), NOW, NOW - 10);
        assert!(db.idle_seconds(b"k", NOW).is_some());
        assert!(db.idle_seconds(b"k", NOW + 1).is_none());
        assert!(!probe(&mut db, NOW + 1), "probe {n}");
        assert_eq!(db.len(), 0, "probe {n}");
        assert_eq!(db.volatile_len(), 0, "probe {n}");
    }
    // Setting over an expired key with KEEPTTL does not resurrect the old deadline.
    db.set_with_deadline(b"k", s(b"v"), NOW, NOW - 10);
    db.set(b"k", s(b"new"), true, NOW + 1);
    assert_eq!(db.deadline(b"k", NOW + 1), Some(None));
}

#[test]
fn access_clock_and_lfu() {
    let mut db = Db::new();
    db.set(b"k", s(b"v"), false, NOW);
    assert_eq!(db.idle_seconds(b"k", NOW + 5_000), Some(5));
    db.get(b"k", NOW + 5_000, false);
    assert_eq!(db.idle_seconds(b"k", NOW + 5_000), Some(5), "untouched read");
    db.get(b"k", NOW + 5_000, true);
    assert_eq!(db.idle_seconds(b"k", NOW + 5_000), Some(0));
    db.get_mut(b"k", NOW + 9_000);
    assert_eq!(db.idle_seconds(b"k", NOW + 10_000), Some(1));
    assert_eq!(db.idle_seconds(b"absent", NOW), None);

    // A new key starts at LFU_INIT_VAL; its first access always counts.
    db.set(b"f", s(b"v"), false, NOW);
    assert_eq!(db.lfu_freq(b"f", NOW), Some(LFU_INIT_VAL));
    db.get(b"f", NOW, true);
    assert_eq!(db.lfu_freq(b"f", NOW), Some(LFU_INIT_VAL + 1));
    db.get(b"f", NOW, false);
    assert_eq!(db.lfu_freq(b"f", NOW), Some(LFU_INIT_VAL + 1), "untouched read");
    for _ in 0..10_000 {
        db.get(b"k", NOW + 10_000, true);
    }
    let f = db.lfu_freq(b"k", NOW + 10_000).unwrap();
    assert!(f > LFU_INIT_VAL + 5 && f < 60, "log counter after 10k hits: {f}");
    // Decays one per minute (default decay time).
    assert_eq!(db.lfu_freq(b"k", NOW + 10_000 + 3 * 60_000), Some(f - 3));
    db.set_lfu_config(LfuConfig { log_factor: 0, decay_minutes: 0 });
    assert_eq!(db.lfu_freq(b"k", NOW + 10_000 + 3 * 60_000), Some(f));
}

#[test]
fn active_expiry_reclaims_all_volatile_keys() {
    let mut ks = Keyspace::new(16);
    let db = ks.db(0);
    for i in 0..100_000 {
        let key = format!("key:{i}");
        if i % 10 == 0 {
            db.set_with_deadline(key.as_bytes(), s(b"v"), NOW - 1, NOW - 1000);
        } else {
            db.set(key.as_bytes(), s(b"v"), false, NOW);
        }
    }
    // A few keys elsewhere that must survive.
    ks.db(3).set_with_deadline(b"later", s(b"v"), NOW + 60_000, NOW);
    assert_eq!(ks.db(0).volatile_len(), 10_000);
    let mut cycles = 0;
    let mut reclaimed = 0;
    while ks.db(0).volatile_len() > 0 {
        let n = ks.active_expire_cycle(NOW, 200);
        assert!(n <= 250);
        reclaimed += n;
        cycles += 1;
        assert!(cycles < 1000);
    }
    assert_eq!(reclaimed, 10_000);
    assert_eq!(ks.db(0).len(), 90_000);
    assert_eq!(ks.stats().expired_keys, 10_000);
    assert!(ks.db(3).exists(b"later", NOW));
    assert_eq!(ks.active_expire_cycle(NOW, 200), 0);
    ks.reset_stats();
    assert_eq!(ks.stats().expired_keys, 0);
}

#[test]
fn active_expiry_finds_the_few_expired_among_many_volatile() {
    // 1% of volatile keys expired: too few for a round to continue, but the cursor still
    // reaches every one of them within a pass.
    let mut db = Db::new();
    for i in 0..10_000 {
        let deadline = if i % 100 == 0 { NOW - 1 } else { NOW + 3_600_000 };
        db.set_with_deadline(format!("k{i}").as_bytes(), s(b"v"), deadline, NOW - 1000);
    }
    let mut total = 0;
    for _ in 0..10_000 / 20 + 50 {
        total += db.active_expire(NOW, 20);
    }
    assert_eq!(total, 100);
    assert_eq!(db.volatile_len(), 9_900);
}

#[test]
fn scan_returns_every_key_present_throughout() {
    let mut db = Db::new();
    for i in 0..5000 {
        db.set(format!("stable:{i}").as_bytes(), s(b"v"), false, NOW);
    }
    db.set_with_deadline(b"gone", s(b"v"), NOW - 1, NOW - 10);
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut step = 0;
    loop {
        cursor = db.scan(cursor, 10, NOW, |k, _| {
            seen.insert(k.to_vec());
        });
        if cursor == 0 {
            break;
        }
        // Grow, then shrink, the table between steps.
        if step % 40 < 20 {
            for j in 0..500 {
                db.set(format!("churn:{step}:{j}").as_bytes(), s(b"v"), false, NOW);
            }
        } else {
            let victims: Vec<Vec<u8>> = {
                let mut v = Vec::new();
                db.for_each_key(NOW, |k, _| {
                    if k.starts_with(b"churn:") && v.len() < 2000 {
                        v.push(k.to_vec());
                    }
                });
                v
            };
            for k in victims {
                db.remove(&k, NOW);
            }
        }
        step += 1;
    }
    for i in 0..5000 {
        assert!(seen.contains(format!("stable:{i}").as_bytes()), "stable:{i} missed");
    }
    assert!(!seen.contains(&b"gone"[..]));
    assert!(step > 100);
}

#[test]
fn scan_count_and_empty() {
    let mut db = Db::new();
    assert_eq!(db.scan(0, 10, NOW, |_, _| panic!("empty")), 0);
    for i in 0..1000 {
        db.set(format!("{i}").as_bytes(), s(b"v"), false, NOW);
    }
    let mut n = 0;
    let cursor = db.scan(0, 100, NOW, |_, _| n += 1);
    assert_ne!(cursor, 0);
    assert!((100..140).contains(&n), "{n}");
    let mut all = 0;
    let mut cursor = 0;
    loop {
        cursor = db.scan(cursor, 1000, NOW, |_, _| all += 1);
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(all, 1000);
}

#[test]
fn random_key_skips_and_reaps_expired() {
    let mut db = Db::new();
    assert_eq!(db.random_key(NOW), None);
    for i in 0..1000 {
        db.set_with_deadline(format!("dead:{i}").as_bytes(), s(b"v"), NOW - 1, NOW - 10);
    }
    assert_eq!(db.random_key(NOW), None);
    db.set(b"alive", s(b"v"), false, NOW);
    assert_eq!(db.random_key(NOW).as_deref(), Some(&b"alive"[..]));
    assert!(db.len() < 1001, "expired keys it landed on were reaped");
    let mut db = Db::new();
    for i in 0..100 {
        db.set(format!("k{i}").as_bytes(), s(b"v"), false, NOW);
    }
    let mut seen = HashSet::new();
    for _ in 0..2000 {
        seen.insert(db.random_key(NOW).unwrap());
    }
    assert_eq!(seen.len(), 100);
}

#[test]
fn memory_accounting_is_exact() {
    let mut db = Db::new();
    let empty = db.used_bytes();
    assert_eq!(empty, 0);
    let long_key = vec![b'K'; 100];
    let long_val = vec![b'V'; 1000];
    db.set(b"small", s(b"v"), false, NOW);
    db.set(&long_key, s(&long_val), false, NOW);
    let after_two = db.used_bytes();
    assert!(after_two > 1100);
    // Overwrite with a smaller value, then back.
    db.set(&long_key, s(b"1"), false, NOW);
    assert!(db.used_bytes() < after_two - 900);
    db.set(&long_key, s(&long_val), false, NOW);
    assert_eq!(db.used_bytes(), after_two);
    // Append through ValueMut.
    {
        let mut v = db.get_mut(b"small", NOW).unwrap();
        v.as_str_mut().unwrap().make_mut_bytes().extend_from_slice(&[b'x'; 5000]);
    }
    assert!(db.used_bytes() >= after_two + 5000);
    {
        let mut v = db.get_mut(b"small", NOW).unwrap();
        *v = Value::Str(StrValue::from_int(7));
    }
    assert_eq!(db.used_bytes(), after_two);
    // Deadlines cost their volatile entry, and give it back.
    db.set_deadline(b"small", NOW + 1000, NOW);
    assert!(db.used_bytes() > after_two);
    db.persist(b"small", NOW);
    assert_eq!(db.used_bytes(), after_two);
    assert_eq!(db.key_mem_usage(&long_key, NOW).map(|n| n > 1100), Some(true));
    db.remove(b"small", NOW);
    db.remove(&long_key, NOW);
    assert_eq!(db.used_bytes(), empty);
    // Many keys, removed one by one, including expired ones.
    for i in 0..10_000 {
        let key = format!("key:{i}:{}", "x".repeat(i % 40));
        let val = vec![b'v'; i % 100];
        if i % 3 == 0 {
            db.set_with_deadline(key.as_bytes(), s(&val), NOW + (i as i64 % 2), NOW);
        } else {
            db.set(key.as_bytes(), s(&val), false, NOW);
        }
    }
    let full = db.used_bytes();
    let mut keys = Vec::new();
    db.for_each_key(NOW, |k, _| keys.push(k.to_vec()));
    for k in &keys {
        db.remove(k, NOW + 1);
    }
    assert_eq!(db.len(), 0);
    assert_eq!(db.used_bytes(), empty);
    // Flush.
    let mut ks = Keyspace::new(4);
    for i in 0..1000 {
        ks.db(i % 4).set_with_deadline(format!("{i}").as_bytes(), s(&[b'z'; 50]), NOW + 10, NOW);
    }
    assert!(ks.used_bytes() > 0);
    ks.flush_all();
    assert_eq!(ks.used_bytes(), 0);
    assert!(full > 0);
}

#[test]
fn keyspace_basics() {
    let mut ks = Keyspace::new(16);
    assert_eq!(ks.db_count(), 16);
    assert!(ks.get_db(16).is_none());
    ks.db(0).set(b"a", s(b"zero"), false, NOW);
    ks.db(1).set(b"a", s(b"one"), false, NOW);
    assert!(ks.swap(0, 1));
    assert!(!ks.swap(0, 16));
    assert_eq!(bytes(ks.db(0).get(b"a", NOW, false).unwrap()), b"one");
    let (x, y) = ks.pair(1, 0).unwrap();
    assert_eq!(bytes(x.get(b"a", NOW, false).unwrap()), b"zero");
    assert_eq!(bytes(y.get(b"a", NOW, false).unwrap()), b"one");
    assert!(ks.pair(2, 2).is_none());
    ks.record_lookup(true);
    ks.record_lookup(false);
    ks.record_lookup(false);
    let st = ks.stats();
    assert_eq!((st.keyspace_hits, st.keyspace_misses), (1, 2));
    assert_eq!(ks.total_keys(), 2);
    assert_eq!(Keyspace::new(0).db_count(), 1);
}

#[test]
fn for_each_entry_reports_deadlines() {
    let mut db = Db::new();
    db.set(b"p", s(b"1"), false, NOW);
    db.set_with_deadline(b"v", s(b"2"), NOW + 5, NOW);
    db.set_with_deadline(b"x", s(b"3"), NOW - 5, NOW - 10);
    let mut got = Vec::new();
    db.for_each_entry(NOW, |k, _, d| got.push((k.to_vec(), d)));
    got.sort();
    assert_eq!(got, vec![(b"p".to_vec(), None), (b"v".to_vec(), Some(NOW + 5))]);
}

/// Redis's unit/maxmemory "Don't rehash if used memory exceeds maxmemory after rehash", at
/// the store: with a limit 10 KiB above the memory of 4096 keys, two more keys must not
/// double the bucket array (16 KiB more), or eviction would delete keys that fit.
#[test]
fn tables_do_not_outgrow_the_growth_limit() {
    let fill = |ks: &mut Keyspace| {
        for i in 0..4096 {
            ks.db(0).set(i.to_string().as_bytes(), s(b"A"), false, NOW);
        }
    };
    // Without a limit the 4097th key doubles the bucket array: more than 10 KiB at once.
    let mut ks = Keyspace::new(16);
    fill(&mut ks);
    let before = ks.used_bytes();
    ks.db(0).set(b"k1", s(b"v1"), false, NOW);
    assert!(ks.used_bytes() > before + 10 * 1024, "{} -> {}", before, ks.used_bytes());

    // With the limit it waits, and the keys fit under it.
    let mut ks = Keyspace::new(16);
    fill(&mut ks);
    let limit = ks.used_bytes() + 10 * 1024;
    for key in [&b"k1"[..], b"k2"] {
        ks.set_growth_limit(Some(limit));
        ks.db(0).set(key, s(b"v1"), false, NOW);
        assert!(ks.used_bytes() <= limit, "{} over {limit}", ks.used_bytes());
    }
    // Keys with a deadline: the volatile table waits too.
    for i in 0..2048 {
        ks.db(0).set_deadline(i.to_string().as_bytes(), NOW + 60_000, NOW);
    }
    let limit = ks.used_bytes() + 4 * 1024;
    ks.set_growth_limit(Some(limit));
    assert!(ks.db(0).set_deadline(b"3000", NOW + 60_000, NOW));
    assert!(ks.used_bytes() <= limit, "{} over {limit}", ks.used_bytes());
    // Past 1.618 keys per bucket the table grows anyway, limit or not.
    let before = ks.used_bytes();
    for i in 0..3000 {
        ks.db(0).set(format!("more:{i}").as_bytes(), s(b"A"), false, NOW);
    }
    assert!(ks.used_bytes() > before + 3000 * 64);
    assert_eq!(ks.db(0).len(), 4098 + 3000);
    for i in 0..4096 {
        assert!(ks.db(0).exists(i.to_string().as_bytes(), NOW));
    }
    // Without the limit (maxmemory 0), growth is immediate again.
    let mut ks2 = Keyspace::new(1);
    ks2.set_growth_limit(Some(0));
    ks2.set_growth_limit(None);
    for i in 0..4097 {
        ks2.db(0).set(i.to_string().as_bytes(), s(b"A"), false, NOW);
    }
    let used = ks2.used_bytes();
    assert!(used > 4097 * 64 + 8192 * 4, "{used}");
}
