use super::*;
use std::collections::VecDeque;

/// Checks every invariant: counts, no empty node, node sizes, exact heap accounting.
fn check(list: &ListValue) {
    let n = list.nodes.count();
    let mut len = 0;
    let mut heap = 0;
    for i in 0..n {
        let node = list.nodes.get(i);
        assert!(node.count > 0, "empty node {i} of {n}");
        assert!(node.count == 1 || node.bytes() <= NODE_BYTES, "node {i} too big: {}", node.bytes());
        let mut off = 0;
        let mut entries = 0;
        while off < node.bytes() {
            off = node.at(off).1;
            entries += 1;
        }
        assert_eq!(off, node.bytes());
        assert_eq!(entries, node.len());
        len += node.len();
        heap += node.heap();
    }
    if let Nodes::Many(d) = &list.nodes {
        assert!(d.len() >= 2);
    }
    if let Nodes::One(node) = &list.nodes {
        if node.count == 0 {
            assert_eq!(node.buf.capacity(), 0);
        }
    }
    assert_eq!(len, list.len());
    assert_eq!(heap, list.node_heap);
    assert_eq!(list.heap_bytes(), heap + list.nodes.spine_heap());
}

fn same(list: &ListValue, model: &VecDeque<Vec<u8>>) {
    check(list);
    assert_eq!(list.len(), model.len());
    assert!(list.iter().map(Elem::to_vec).eq(model.iter().cloned()));
    assert!(list.iter().rev().map(Elem::to_vec).eq(model.iter().rev().cloned()));
}

fn elem(rng: &mut fastrand::Rng) -> Vec<u8> {
    // Integers (stored in binary) and look-alikes that must stay strings.
    match rng.u8(0..30) {
        0 => return rng.i64(-40..40).to_string().into_bytes(),
        1 => return rng.i64(..).to_string().into_bytes(),
        2 => return [&b"0"[..], b"-0", b"01", b"+1", b"1 ", b"-", b"9223372036854775808"][rng.usize(0..7)].to_vec(),
        _ => {}
    }
    let len = match rng.u8(0..20) {
        0 => rng.usize(NODE_BYTES - 100..NODE_BYTES * 2),
        1..=3 => rng.usize(100..3000),
        _ => rng.usize(0..12),
    };
    // A small alphabet so that LREM and LINSERT find matches.
    (0..len).map(|_| b'a' + rng.u8(0..3)).collect()
}

#[test]
fn empty_list_allocates_nothing() {
    let list = ListValue::new();
    assert_eq!(list.heap_bytes(), 0);
    assert_eq!(list.len(), 0);
    assert_eq!(list.front(), None);
    assert_eq!(list.back(), None);
    assert_eq!(list.get(0), None);
    assert_eq!(list.iter().next(), None);
    assert_eq!(list.encoding_name(), "quicklist");
    check(&list);
}

#[test]
fn small_list_is_one_buffer() {
    let mut list = ListValue::new();
    for e in [&b"a"[..], b"bb", b"ccc"] {
        list.push_back(e);
    }
    assert_eq!(list.node_count(), 1);
    assert!(matches!(list.nodes, Nodes::One(_)));
    assert!(list.heap_bytes() <= 32, "{}", list.heap_bytes());
    assert_eq!(list.pop_front().as_deref(), Some(&b"a"[..]));
    assert_eq!(list.front(), Some(Elem::Bytes(b"bb")));
    assert_eq!(list.back(), Some(Elem::Bytes(b"ccc")));
    assert_eq!(list.pop_back().as_deref(), Some(&b"ccc"[..]));
    assert_eq!(list.pop_back().as_deref(), Some(&b"bb"[..]));
    assert_eq!(list.heap_bytes(), 0);
    check(&list);
}

#[test]
fn big_list_is_chunked_and_lean() {
    let mut list = ListValue::new();
    let n = 100_000;
    for i in 0..n {
        list.push_back(i.to_string().as_bytes());
    }
    check(&list);
    // Integers below 2^20 take 4 bytes at most (3 of varint, 1 of back-length), as in a
    // listpack; the chunks' spine adds little.
    assert!(list.heap_bytes() < n * 4 + n / 4, "{}", list.heap_bytes());
    assert!(list.node_count() > 40);
    for i in [0, 1, 4000, n / 2, n - 2, n - 1] {
        assert_eq!(list.get(i), Some(Elem::Int(i as i64)));
    }
    assert_eq!(list.get(n), None);
    assert!(list.set(n / 2, b"middle"));
    assert_eq!(list.get(n / 2), Some(Elem::Bytes(b"middle")));
    assert!(list.range(n - 3, n + 10).eq([Elem::Int(99997), Elem::Int(99998), Elem::Int(99999)]));
    assert!(list.range(10, 13).rev().map(Elem::to_vec).eq([b"12".to_vec(), b"11".to_vec(), b"10".to_vec()]));
    assert_eq!(list.position(b"4000"), Some(4000));
    assert_eq!(list.position(b"04000"), None);
    check(&list);
}

#[test]
fn resolve_index_handles_extremes() {
    let list: ListValue = [&b"a"[..], b"b", b"c"].into_iter().collect();
    assert_eq!(list.resolve_index(0), Some(0));
    assert_eq!(list.resolve_index(-1), Some(2));
    assert_eq!(list.resolve_index(-3), Some(0));
    assert_eq!(list.resolve_index(-4), None);
    assert_eq!(list.resolve_index(3), None);
    assert_eq!(list.resolve_index(i64::MIN), None);
    assert_eq!(list.resolve_index(i64::MAX), None);
}

#[test]
fn huge_element_gets_its_own_node() {
    let mut list = ListValue::new();
    list.push_back(b"a");
    list.push_back(&vec![b'x'; 3 * NODE_BYTES]);
    list.push_back(b"b");
    assert_eq!(list.node_count(), 3);
    assert!(list.set(1, b"small"));
    check(&list);
    assert!(list.set(0, &vec![b'y'; 3 * NODE_BYTES]));
    check(&list);
    assert_eq!(list.get(0).map(Elem::to_vec), Some(vec![b'y'; 3 * NODE_BYTES]));
}

#[test]
fn clone_and_eq_compare_elements() {
    let mut a = ListValue::new();
    for i in 0..5000 {
        a.push_front(i.to_string().as_bytes());
    }
    let b = a.clone();
    check(&b);
    assert_eq!(a, b);
    let c: ListValue = a.iter().collect();
    assert_eq!(a, c);
    a.pop_back();
    assert_ne!(a, b);
}

#[test]
fn random_operations_match_a_model() {
    for seed in 0..40u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut list = ListValue::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let steps = if seed < 4 { 6000 } else { 1500 };
        for step in 0..steps {
            let len = model.len();
            match rng.u8(0..15) {
                0 | 1 => {
                    let e = elem(&mut rng);
                    list.push_back(&e);
                    model.push_back(e);
                }
                2 | 3 => {
                    let e = elem(&mut rng);
                    list.push_front(&e);
                    model.push_front(e);
                }
                4 => assert_eq!(list.pop_front(), model.pop_front()),
                5 => assert_eq!(list.pop_back(), model.pop_back()),
                6 => {
                    let i = rng.usize(0..=len + 1);
                    let e = elem(&mut rng);
                    assert_eq!(list.set(i, &e), i < len);
                    if i < len {
                        model[i] = e;
                    }
                }
                7 => {
                    let i = rng.usize(0..=len + 1);
                    let e = elem(&mut rng);
                    assert_eq!(list.insert(i, &e), i <= len);
                    if i <= len {
                        model.insert(i, e);
                    }
                }
                8 => {
                    let start = rng.usize(0..=len + 1);
                    let count = rng.usize(0..=len / 2 + 2);
                    let removed = list.remove_range(start, count);
                    let expect = if start >= len { 0 } else { count.min(len - start) };
                    assert_eq!(removed, expect);
                    model.drain(start.min(len)..start.min(len) + expect);
                }
                9 => {
                    let e = elem(&mut rng);
                    let limit = rng.usize(0..4);
                    let from_back = rng.bool();
                    let removed = list.remove_matching(&e, limit, from_back);
                    let want = if limit == 0 { usize::MAX } else { limit };
                    let mut n = 0;
                    if from_back {
                        let mut i = model.len();
                        while i > 0 && n < want {
                            i -= 1;
                            if model[i] == e {
                                model.remove(i);
                                n += 1;
                            }
                        }
                    } else {
                        let mut i = 0;
                        while i < model.len() && n < want {
                            if model[i] == e {
                                model.remove(i);
                                n += 1;
                            } else {
                                i += 1;
                            }
                        }
                    }
                    assert_eq!(removed, n);
                }
                10 => {
                    let start = rng.usize(0..=len + 1);
                    let end = rng.usize(0..=len + 1);
                    list.retain_range(start, end);
                    let end = end.min(len);
                    if start >= end {
                        model.clear();
                    } else {
                        model.truncate(end);
                        model.drain(..start);
                    }
                }
                11 => {
                    let i = rng.usize(0..=len);
                    assert_eq!(list.get(i).map(Elem::to_vec), model.get(i).cloned());
                    let e = elem(&mut rng);
                    assert_eq!(list.position(&e), model.iter().position(|m| *m == e));
                }
                12 => {
                    let a = rng.usize(0..=len + 1);
                    let b = rng.usize(0..=len + 1);
                    let want: Vec<Vec<u8>> = model.iter().take(b).skip(a).cloned().collect();
                    let got: Vec<Vec<u8>> = list.range(a, b).map(Elem::to_vec).collect();
                    assert_eq!(got, want);
                    assert_eq!(list.range(a, b).len(), want.len());
                    let got_rev: Vec<Vec<u8>> = list.range(a, b).rev().map(Elem::to_vec).collect();
                    assert!(got_rev.iter().eq(want.iter().rev()));
                    // Meeting in the middle from both ends.
                    let mut it = list.range(a, b);
                    let mut both = Vec::new();
                    let mut front = true;
                    while let Some(x) = if front { it.next() } else { it.next_back() } {
                        both.push(x);
                        front = !front;
                    }
                    assert_eq!(both.len(), want.len());
                }
                13 => {
                    assert_eq!(list.front().map(Elem::to_vec), model.front().cloned());
                    assert_eq!(list.back().map(Elem::to_vec), model.back().cloned());
                    if let Some(f) = model.front() {
                        assert!(list.front().is_some_and(|e| e.eq_bytes(f)));
                    }
                }
                _ => {
                    let mut got = None;
                    list.pop_back_with(|e| got = Some(e.to_vec()));
                    assert_eq!(got, model.pop_back());
                }
            }
            if step % 16 == 0 || model.len() < 8 {
                same(&list, &model);
            } else {
                check(&list);
            }
        }
        same(&list, &model);
    }
}
