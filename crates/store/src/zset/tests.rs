//! Randomised model tests of both sorted-set encodings against a simple sorted vector.

use super::*;

/// The reference model: (score, member) pairs kept sorted.
#[derive(Default)]
struct Model(Vec<(f64, Vec<u8>)>);

impl Model {
    fn sort(&mut self) {
        self.0.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1)));
    }
    fn set(&mut self, m: &[u8], s: f64) -> Option<f64> {
        let old = self.0.iter().position(|(_, x)| x == m).map(|i| self.0.remove(i).0);
        self.0.push((s, m.to_vec()));
        self.sort();
        old
    }
    fn remove(&mut self, m: &[u8]) -> Option<f64> {
        self.0.iter().position(|(_, x)| x == m).map(|i| self.0.remove(i).0)
    }
}

fn check(z: &ZSetValue, model: &Model) {
    if let Repr::Tree(s) = &z.repr {
        s.check();
    }
    assert_eq!(z.len(), model.0.len());
    let got: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
    let want: Vec<(Vec<u8>, f64)> = model.0.iter().map(|(s, m)| (m.clone(), *s)).collect();
    assert_eq!(got, want);
    let rev: Vec<(Vec<u8>, f64)> = z.range(0, z.len(), true).map(|(m, s)| (m.to_vec(), s)).collect();
    let mut want_rev = want.clone();
    want_rev.reverse();
    assert_eq!(rev, want_rev);
    for (i, (s, m)) in model.0.iter().enumerate() {
        assert_eq!(z.rank(m), Some(i));
        assert_eq!(z.score(m), Some(*s));
        assert_eq!(z.get_by_rank(i), Some((m.as_slice(), *s)));
    }
}

fn member(i: u64) -> Vec<u8> {
    if i.is_multiple_of(7) {
        format!("a-long-member-name-that-is-not-inline-{i}").into_bytes()
    } else {
        format!("m{i}").into_bytes()
    }
}

fn run(limits: ZSetLimits, ops: usize, keyspace: u64) {
    let mut z = ZSetValue::new();
    let mut model = Model::default();
    for step in 0..ops {
        let m = member(fastrand::u64(..keyspace));
        match fastrand::u8(..10) {
            0..=3 => {
                let s = f64::from(fastrand::i32(-20..20)) / 2.0;
                assert_eq!(z.set_score(&m, s, limits), model.set(&m, s));
            }
            4 | 5 => {
                // ZADD's shape: the decision sees the current score; it may decline, keep
                // the score, nudge it (often in place) or move the member far.
                let choice = fastrand::u8(..4);
                let far = f64::from(fastrand::i32(-20..20)) / 2.0;
                let mut seen = None;
                let got = z.upsert(&m, limits, |cur| {
                    seen = Some(cur);
                    match (choice, cur) {
                        (0, _) => None,
                        (1, Some(c)) => Some(c),
                        (2, Some(c)) => Some(c + 0.25),
                        _ => Some(far),
                    }
                });
                let before = model.0.iter().find(|(_, x)| *x == m).map(|(s, _)| *s);
                assert_eq!(got, before);
                assert_eq!(seen, Some(before), "decide is called once, with the current score");
                let new = match (choice, before) {
                    (0, _) => None,
                    (1, Some(c)) => Some(c),
                    (2, Some(c)) => Some(c + 0.25),
                    _ => Some(far),
                };
                if let Some(s) = new {
                    model.set(&m, s);
                }
            }
            6 | 7 => assert_eq!(z.remove(&m), model.remove(&m)),
            8 => {
                let a = fastrand::usize(..=z.len());
                let b = fastrand::usize(..=z.len());
                let (a, b) = (a.min(b), a.max(b).min(a + 5));
                assert_eq!(z.remove_range(a, b), b - a);
                model.0.drain(a..b);
            }
            _ => {
                if fastrand::bool() {
                    assert_eq!(z.pop_min(), (!model.0.is_empty()).then(|| model.0.remove(0)).map(|(s, m)| (m, s)));
                } else {
                    assert_eq!(z.pop_max(), model.0.pop().map(|(s, m)| (m, s)));
                }
            }
        }
        if step % 50 == 0 {
            check(&z, &model);
        }
    }
    check(&z, &model);
}

#[test]
fn compact_matches_model() {
    run(ZSetLimits { max_entries: 100_000, max_value: 1000 }, 3000, 60);
}

#[test]
fn skiplist_matches_model() {
    run(ZSetLimits { max_entries: 0, max_value: 0 }, 5000, 300);
}

#[test]
fn converts_at_the_limits() {
    let limits = ZSetLimits { max_entries: 3, max_value: 5 };
    let mut z = ZSetValue::new();
    for (i, m) in [b"a", b"b", b"c"].iter().enumerate() {
        z.set_score(*m, i as f64, limits);
    }
    assert_eq!(z.encoding_name(), "listpack");
    z.set_score(b"d", 3.0, limits);
    assert_eq!(z.encoding_name(), "skiplist");
    let mut z = ZSetValue::new();
    z.set_score(b"123456", 1.0, limits);
    assert_eq!(z.encoding_name(), "skiplist");
    assert_eq!(
        ZSetValue::for_first_member(1, ZSetLimits { max_entries: 0, max_value: 64 }).encoding_name(),
        "skiplist"
    );
}

#[test]
fn ranges() {
    for limits in [ZSetLimits::default(), ZSetLimits { max_entries: 0, max_value: 0 }] {
        let mut z = ZSetValue::new();
        for (s, m) in
            [(f64::NEG_INFINITY, "a"), (1.0, "b"), (2.0, "c"), (3.0, "d"), (4.0, "e"), (5.0, "f"), (f64::INFINITY, "g")]
        {
            z.set_score(m.as_bytes(), s, limits);
        }
        let r = |min, min_exclusive, max, max_exclusive| ScoreRange { min, min_exclusive, max, max_exclusive };
        assert_eq!(z.score_range_ranks(&r(0.0, false, 3.0, false)), (1, 4));
        assert_eq!(z.score_range_ranks(&r(0.0, true, 3.0, true)), (1, 3));
        assert_eq!(
            z.score_range_ranks(&r(4.0, false, 2.0, false)).1 - z.score_range_ranks(&r(4.0, false, 2.0, false)).0,
            0
        );
        assert_eq!(z.score_range_ranks(&r(f64::NEG_INFINITY, false, f64::INFINITY, false)), (0, 7));
        let lex = |min, max| LexRange { min, max };
        assert_eq!(z.lex_range_ranks(&lex(LexBound::Min, LexBound::Max), false), (0, 7));
        assert_eq!(z.lex_range_ranks(&lex(LexBound::Max, LexBound::Min), false), (0, 0));
        let mut l = ZSetValue::new();
        for m in ["alpha", "bar", "cool", "down", "elephant", "foo", "great", "hill", "omega"] {
            l.set_score(m.as_bytes(), 0.0, limits);
        }
        let (a, b) =
            l.lex_range_ranks(&lex(LexBound::Inclusive(b"bar".to_vec()), LexBound::Exclusive(b"foo".to_vec())), true);
        assert_eq!(b - a, 4);
        let got: Vec<&[u8]> = l.range(a, b, true).map(|(m, _)| m).collect();
        assert_eq!(got, vec![&b"elephant"[..], b"down", b"cool", b"bar"]);
    }
}

#[test]
fn from_entries_dedups_and_picks_encoding() {
    let z = ZSetValue::from_entries(
        vec![(b"x".to_vec(), 3.0), (b"y".to_vec(), 1.0), (b"x".to_vec(), 0.5)],
        ZSetLimits::default(),
    );
    assert_eq!(z.len(), 2);
    assert_eq!(z.get_by_rank(0), Some((&b"x"[..], 0.5)));
    assert_eq!(z.encoding_name(), "listpack");
    let z = ZSetValue::from_entries(
        vec![(b"x".to_vec(), 3.0), (b"y".to_vec(), 1.0)],
        ZSetLimits { max_entries: 1, max_value: 64 },
    );
    assert_eq!(z.encoding_name(), "skiplist");
    assert_eq!(z.rank(b"x"), Some(1));
}

#[test]
fn scan_visits_everything() {
    let limits = ZSetLimits { max_entries: 0, max_value: 0 };
    let mut z = ZSetValue::new();
    for i in 0..1000 {
        z.set_score(&member(i), i as f64, limits);
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    loop {
        cursor = z.scan(cursor, 10, |m, _| {
            seen.insert(m.to_vec());
        });
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
}

#[test]
fn memory_is_tracked_and_released() {
    let limits = ZSetLimits { max_entries: 0, max_value: 0 };
    let mut z = ZSetValue::new();
    for i in 0..5000 {
        z.set_score(&member(i), i as f64, limits);
    }
    let big = z.heap_bytes();
    assert!(big > 5000 * 64, "{big}");
    for i in 0..4990 {
        z.remove(&member(i));
    }
    assert!(z.heap_bytes() < big / 10, "{} vs {big}", z.heap_bytes());
}

#[test]
fn a_shrinking_skiplist_gives_its_memory_back() {
    let limits = ZSetLimits { max_entries: 0, max_value: 0 };
    let mut z = ZSetValue::new();
    let mut model = Model::default();
    for i in 0..4000u64 {
        let s = (i % 97) as f64;
        z.set_score(&member(i), s, limits);
        model.set(&member(i), s);
    }
    let full = z.heap_bytes();
    for i in 0..3900u64 {
        assert_eq!(z.remove(&member(i)), model.remove(&member(i)));
        if i % 500 == 0 {
            check(&z, &model);
        }
    }
    check(&z, &model);
    assert!(z.heap_bytes() * 4 < full, "{} of {full} bytes kept", z.heap_bytes());
    // Still a working set after the arenas were compacted.
    for i in 0..1000u64 {
        let s = (i % 13) as f64 - 6.0;
        assert_eq!(z.set_score(&member(i + 10_000), s, limits), model.set(&member(i + 10_000), s));
        z.set_score(&member(3950), s, limits);
        model.set(&member(3950), s);
    }
    check(&z, &model);
}

#[test]
fn warming_changes_nothing() {
    let limits = ZSetLimits { max_entries: 0, max_value: 0 };
    let mut z = ZSetValue::new();
    let mut model = Model::default();
    for i in 0..2000u64 {
        let s = (i % 101) as f64;
        z.set_score(&member(i), s, limits);
        model.set(&member(i), s);
    }
    let before = z.clone();
    let (present, absent, long) = (member(5), member(9999), vec![b'x'; 300]);
    let items: Vec<(&[u8], f64)> =
        vec![(&present, 7.5), (&present, 5.0), (&absent, -1.0), (&long, f64::INFINITY), (b"", f64::NEG_INFINITY)];
    z.warm(&items);
    assert!(z == before);
    check(&z, &model);
    // More items than are used, and an empty batch.
    let many: Vec<Vec<u8>> = (0..100).map(member).collect();
    let many: Vec<(&[u8], f64)> = many.iter().map(|m| (m.as_slice(), 3.0)).collect();
    z.warm(&many);
    z.warm(&[]);
    check(&z, &model);
}
