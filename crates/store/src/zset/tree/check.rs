//! The tree's invariants, checked whole (tests only).

use super::node::{cmp_key, Children, Inner, Leaf, INNER_CAP, LEAF_CAP};
use super::RankTree;

impl RankTree {
    /// Checks every invariant: order, counts, separators as bounds, equal leaf depth, node
    /// fill and capacity, the memory count, and the member table.
    pub(crate) fn check(&self) {
        let mut heap = self.root.own_bytes();
        let mut keys: Vec<(f64, Vec<u8>)> = Vec::new();
        check_inner(&self.root, true, &mut heap, &mut keys);
        for w in keys.windows(2) {
            assert!(cmp_key(w[0].0, &w[0].1, w[1].0, &w[1].1).is_lt(), "keys out of order");
        }
        assert_eq!(keys.len(), self.len);
        assert_eq!(self.dict.len(), self.len);
        for (s, m) in &keys {
            assert_eq!(self.dict.get(m).map(|x| x.to_bits()), Some(s.to_bits()));
        }
        assert_eq!(heap, self.heap, "memory count");
    }

    /// Number of leaves.
    pub(crate) fn leaf_count(&self) -> usize {
        fn count(n: &Inner) -> usize {
            match &n.children {
                Children::Leaves(v) => v.len(),
                Children::Inners(v) => v.iter().map(count).sum(),
            }
        }
        count(&self.root)
    }

    /// Levels of inner nodes, the root's included.
    pub(crate) fn depth(&self) -> usize {
        check_inner(&self.root, true, &mut 0, &mut Vec::new())
    }
}

/// Checks `node` and below, appending its keys in order; returns its levels of inner
/// nodes (its own included).
fn check_inner(node: &Inner, root: bool, heap: &mut usize, keys: &mut Vec<(f64, Vec<u8>)>) -> usize {
    for cap in [node.sep_scores.capacity(), node.sep_members.capacity(), node.counts.capacity()] {
        assert_eq!(cap, INNER_CAP);
    }
    assert!(node.len() <= INNER_CAP);
    assert!(root || node.len() > 0, "an empty inner node");
    assert_eq!(node.sep_scores.len(), node.len());
    assert_eq!(node.sep_members.len(), node.len());
    if node.len() > 0 {
        assert!(node.sep_members[0].as_bytes().is_empty() && node.sep_members[0].heap_bytes() == 0);
    }
    let mut depth = None;
    for i in 0..node.len() {
        let first = keys.len();
        let d = match &node.children {
            Children::Leaves(v) => {
                assert_eq!(v.capacity(), INNER_CAP);
                check_leaf(&v[i], heap, keys);
                1
            }
            Children::Inners(v) => {
                assert_eq!(v.capacity(), INNER_CAP);
                *heap += v[i].own_bytes();
                1 + check_inner(&v[i], false, heap, keys)
            }
        };
        assert_eq!(*depth.get_or_insert(d), d, "leaves at different depths");
        assert_eq!(keys.len() - first, node.counts[i], "count of child {i}");
        assert!(node.counts[i] > 0, "an empty child");
        if i > 0 {
            let (s, m) = (node.sep_scores[i], node.sep_members[i].as_bytes());
            *heap += node.sep_members[i].heap_bytes();
            let (lo, hi) = (&keys[first - 1], &keys[first]);
            assert!(cmp_key(lo.0, &lo.1, s, m).is_lt(), "separator {i} not above the child before");
            assert!(cmp_key(s, m, hi.0, &hi.1).is_le(), "separator {i} above its child");
        }
    }
    depth.unwrap_or(0)
}

fn check_leaf(leaf: &Leaf, heap: &mut usize, keys: &mut Vec<(f64, Vec<u8>)>) {
    assert_eq!(leaf.scores.capacity(), LEAF_CAP);
    assert_eq!(leaf.members.capacity(), LEAF_CAP);
    assert_eq!(leaf.scores.len(), leaf.members.len());
    assert!(leaf.len() <= LEAF_CAP);
    *heap += Leaf::own_bytes();
    for (s, m) in leaf.scores.iter().zip(&leaf.members) {
        *heap += m.heap_bytes();
        keys.push((*s, m.as_bytes().to_vec()));
    }
}
