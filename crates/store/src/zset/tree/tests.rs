//! The tree at depths the sorted-set model tests do not reach (three levels of inner nodes),
//! against an ordered model.

use std::collections::BTreeSet;

use super::RankTree;

/// Model keys: scores are halves, kept as twice their value so that they order exactly.
type Model = BTreeSet<(i64, Vec<u8>)>;

fn member(i: u64) -> Vec<u8> {
    if i.is_multiple_of(5) {
        format!("a-member-too-long-to-be-stored-inline-{i}").into_bytes()
    } else {
        format!("m{i}").into_bytes()
    }
}

/// Compares everything a query can see: order both ways, ranks, rank lookups, score
/// partitions, and the invariants.
fn compare(t: &RankTree, model: &Model) {
    t.check();
    let want: Vec<(Vec<u8>, f64)> = model.iter().map(|(s, m)| (m.clone(), *s as f64 / 2.0)).collect();
    let got: Vec<(Vec<u8>, f64)> = t.range(0, t.len(), false).map(|(m, s)| (m.to_vec(), s)).collect();
    assert_eq!(got, want);
    let mut back: Vec<(Vec<u8>, f64)> = t.range(0, t.len(), true).map(|(m, s)| (m.to_vec(), s)).collect();
    back.reverse();
    assert_eq!(back, want);
    for _ in 0..200 {
        if want.is_empty() {
            break;
        }
        let r = fastrand::usize(..want.len());
        assert_eq!(t.rank(&want[r].0), Some(r));
        assert_eq!(t.get(r), Some((want[r].0.as_slice(), want[r].1)));
        // A short window from r, both ways, crossing leaves.
        let end = (r + 70).min(want.len());
        let window: Vec<(Vec<u8>, f64)> = t.range(r, end, false).map(|(m, s)| (m.to_vec(), s)).collect();
        assert_eq!(window, want[r..end]);
        let mut window: Vec<(Vec<u8>, f64)> = t.range(r, end, true).map(|(m, s)| (m.to_vec(), s)).collect();
        window.reverse();
        assert_eq!(window, want[r..end]);
        let below = f64::from(fastrand::i32(-1..202)) / 2.0;
        assert_eq!(t.partition_point(|_, s| s < below), want.iter().filter(|(_, s)| *s < below).count());
    }
    assert_eq!(t.get(want.len()), None);
}

#[test]
fn deep_trees_match_the_model() {
    let mut t = RankTree::new();
    let mut model = Model::new();
    let mut scores = std::collections::HashMap::new();
    // Growing to four levels, scores from a small range so that many tie.
    for step in 0..120_000u64 {
        let m = member(fastrand::u64(..60_000));
        let s2 = fastrand::i64(0..200);
        let s = s2 as f64 / 2.0;
        let got = t.upsert(&m, |_| Some(s));
        assert_eq!(got, scores.get(&m).map(|&x: &i64| x as f64 / 2.0));
        if let Some(old) = scores.insert(m.clone(), s2) {
            model.remove(&(old, m.clone()));
        }
        model.insert((s2, m));
        if step % 40_000 == 0 {
            compare(&t, &model);
        }
    }
    compare(&t, &model);
    assert!(t.depth() >= 3, "depth {}", t.depth());
    // Shrinking: removals, pops from both ends and rank ranges, down to nothing.
    let mut step = 0;
    while t.len() > 0 {
        step += 1;
        match fastrand::u8(..4) {
            0 | 1 => {
                let m = member(fastrand::u64(..60_000));
                let want = scores.remove(&m);
                if let Some(old) = want {
                    model.remove(&(old, m.clone()));
                }
                assert_eq!(t.remove(&m), want.map(|x| x as f64 / 2.0));
            }
            2 => {
                let max = fastrand::bool();
                let want = if max { model.pop_last() } else { model.pop_first() };
                let want = want.map(|(s, m)| {
                    scores.remove(&m);
                    (m, s as f64 / 2.0)
                });
                assert_eq!(t.pop(max), want);
            }
            _ => {
                let a = fastrand::usize(..=t.len());
                let b = (a + fastrand::usize(..300)).min(t.len());
                let gone: Vec<(i64, Vec<u8>)> = model.iter().skip(a).take(b - a).cloned().collect();
                for k in &gone {
                    model.remove(k);
                    scores.remove(&k.1);
                }
                assert_eq!(t.remove_range(a, b), b - a);
            }
        }
        if step % 3000 == 0 {
            compare(&t, &model);
        }
    }
    compare(&t, &model);
    assert_eq!(t.heap_bytes(), RankTree::new().heap_bytes());
}

#[test]
fn ascending_and_descending_inserts_split_at_the_edges() {
    for descending in [false, true] {
        let mut t = RankTree::new();
        let mut model = Model::new();
        for i in 0..40_000i64 {
            let i = if descending { 40_000 - i } else { i };
            t.insert(&member(i as u64), i as f64 / 2.0);
            model.insert((i, member(i as u64)));
        }
        compare(&t, &model);
        // In order, the leaves fill up (all but the last entry) instead of splitting in
        // halves; in reverse order they split in halves.
        let (leaves, full) = (t.leaf_count(), 40_000usize.div_ceil(31));
        if descending {
            assert!(leaves > full * 3 / 2, "{leaves} leaves");
        } else {
            assert!(leaves <= full + 1, "{leaves} leaves");
        }
        // Same score for all: order by member alone, and lexicographic partitions.
        let mut t = RankTree::new();
        let mut model = Model::new();
        for i in 0..20_000u64 {
            t.insert(&member(i), 0.0);
            model.insert((0, member(i)));
        }
        compare(&t, &model);
        for probe in [b"".as_slice(), b"a", b"m1", b"m5", b"m99999", b"z"] {
            let want = model.iter().filter(|(_, m)| m.as_slice() < probe).count();
            assert_eq!(t.partition_point(|m, _| m < probe), want);
        }
    }
}

#[test]
fn in_place_and_moving_rescores() {
    let mut t = RankTree::new();
    let mut model = Model::new();
    for i in 0..5000u64 {
        t.insert(&member(i), (i * 2) as f64);
        model.insert(((i * 4) as i64, member(i)));
    }
    // Nudges that keep each member between its neighbours, then moves across the tree.
    for i in (0..5000u64).step_by(3) {
        t.update_score(&member(i), (i * 2) as f64, (i * 2) as f64 + 0.5);
        model.remove(&((i * 4) as i64, member(i)));
        model.insert(((i * 4 + 1) as i64, member(i)));
    }
    compare(&t, &model);
    for i in (0..5000u64).step_by(7) {
        let old = model.iter().find(|(_, m)| *m == member(i)).cloned().expect("present");
        let new = 20_000 - old.0;
        t.update_score(&member(i), old.0 as f64 / 2.0, new as f64 / 2.0);
        model.remove(&old);
        model.insert((new, member(i)));
    }
    compare(&t, &model);
}

#[test]
fn a_shrunk_tree_gives_its_memory_back() {
    let mut t = RankTree::new();
    for i in 0..50_000u64 {
        t.insert(&member(i), i as f64);
    }
    let full = t.heap_bytes();
    for i in 0..49_900u64 {
        t.remove(&member(i));
    }
    t.check();
    assert!(t.heap_bytes() * 20 < full, "{} of {full} bytes kept", t.heap_bytes());
    for i in 49_900..50_000u64 {
        t.remove(&member(i));
    }
    t.check();
    assert_eq!(t.len(), 0);
    let empty = RankTree::new();
    assert_eq!(t.heap_bytes(), empty.heap_bytes());
}
