use super::*;
use std::collections::HashSet;

/// Every chain is well formed and every slot is reachable exactly once from its bucket.
fn check<E: DictEntry>(d: &Table<E>) {
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
    // Load factor 1 at most, or up to the deferral bound when growth was deferred.
    assert!(d.slots.len() * 1000 <= d.buckets.len() * MAX_DEFERRED_LOAD_PERMILLE + 1000);
    let heap: usize = d.slots.iter().map(|s| s.entry.heap_bytes()).sum();
    assert_eq!(heap, d.heap);
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
    assert_eq!(mem::size_of::<keyed::Key>(), 24);
    // A set member's slot: half a cache line.
    assert_eq!(mem::size_of::<Slot<Keyed<()>>>(), 32);
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
    let keys: Vec<Vec<u8>> = vec![vec![], vec![0], vec![0xff; KEY_INLINE], vec![0xfe; KEY_INLINE + 1], vec![0; 1000]];
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
    assert_eq!(full_scan_count(&d), d.len());
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

#[test]
fn growth_is_deferred_up_to_the_load_bound() {
    let mut d: Dict<usize> = Dict::new();
    for i in 0..64 {
        d.insert(&key(i), i);
    }
    assert_eq!(d.bucket_count(), 64);
    // The next insertion would double the bucket array: 64 more u32 heads.
    assert_eq!(d.growth_bytes(), alloc_size(128 * 4) - alloc_size(64 * 4));
    // Refused growth: the table keeps 64 buckets while under 1.618 entries per bucket...
    let mut i = 64;
    while d.len() * 1000 < 64 * MAX_DEFERRED_LOAD_PERMILLE {
        let k = key(i);
        let h = d.hash_key(&k);
        d.insert_new(&k, h, i, false);
        assert_eq!(d.bucket_count(), 64, "grew at {} entries", d.len());
        i += 1;
    }
    assert_eq!(d.len(), 104);
    check(&d);
    // ...every key is still found and a scan still returns each once...
    for j in 0..i {
        assert_eq!(d.get(&key(j)), Some(&j));
    }
    assert_eq!(full_scan_count(&d), d.len());
    // ...and past the bound it grows even though growth is refused.
    let k = key(i);
    let h = d.hash_key(&k);
    d.insert_new(&k, h, i, false);
    assert_eq!(d.bucket_count(), 128);
    assert_eq!(d.growth_bytes(), 0);
    check(&d);
    // An allowed growth happens at load factor 1, as always.
    let mut d: Dict<usize> = Dict::new();
    for i in 0..65 {
        let k = key(i);
        let h = d.hash_key(&k);
        d.insert_new(&k, h, i, true);
    }
    assert_eq!(d.bucket_count(), 128);
    check(&d);
}

/// How many entries a whole SCAN of `d` (cursor 0 to 0) visits.
fn full_scan_count<V>(d: &Dict<V>) -> usize {
    let mut n = 0;
    let mut cursor = 0;
    loop {
        cursor = d.scan(cursor, |_, _| n += 1);
        if cursor == 0 {
            return n;
        }
    }
}
