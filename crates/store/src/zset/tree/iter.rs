//! Walking a rank range of the tree, either way, leaf by leaf.

use super::node::{Children, Inner, Leaf};

/// An iterator over a rank range of a [`RankTree`](super::RankTree): `(member, score)`
/// pairs, in order or backwards.
pub(crate) struct TreeIter<'a> {
    /// The inner nodes from the root down to the current leaf's parent, each with the
    /// index of the child the walk is in.
    path: Vec<(&'a Inner, usize)>,
    leaf: Option<&'a Leaf>,
    /// The next entry's index in `leaf`.
    at: usize,
    remaining: usize,
    rev: bool,
}

impl<'a> TreeIter<'a> {
    /// Ranks `start..end` under `root` (`end` at most its element count).
    pub(super) fn new(root: &'a Inner, start: usize, end: usize, rev: bool) -> TreeIter<'a> {
        let mut it = TreeIter { path: Vec::new(), leaf: None, at: 0, remaining: 0, rev };
        if start >= end {
            return it;
        }
        it.remaining = end - start;
        // The first entry yielded: `start` going forward, `end - 1` going back.
        let mut rank = if rev { end - 1 } else { start };
        let mut node = root;
        loop {
            let (i, within) = node.child_at_rank(rank);
            rank = within;
            it.path.push((node, i));
            match &node.children {
                Children::Leaves(v) => {
                    it.leaf = v.get(i);
                    it.at = rank;
                    return it;
                }
                Children::Inners(v) => node = &v[i],
            }
        }
    }

    /// Moves to the first entry of the next leaf (or the last of the previous one, going
    /// back): up the path to the first node with a child on that side, then down its edge.
    fn step_leaf(&mut self) {
        self.leaf = None;
        while let Some((node, i)) = self.path.pop() {
            let next = if self.rev { i.checked_sub(1) } else { Some(i + 1).filter(|&j| j < node.len()) };
            if let Some(j) = next {
                self.path.push((node, j));
                break;
            }
        }
        while let Some(&(node, i)) = self.path.last() {
            match &node.children {
                Children::Leaves(v) => {
                    self.leaf = v.get(i);
                    self.at = if self.rev { v[i].len().saturating_sub(1) } else { 0 };
                    return;
                }
                Children::Inners(v) => {
                    let child = &v[i];
                    self.path.push((child, if self.rev { child.len() - 1 } else { 0 }));
                }
            }
        }
    }
}

impl<'a> Iterator for TreeIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let leaf = self.leaf?;
        let item = (leaf.members.get(self.at)?.as_bytes(), *leaf.scores.get(self.at)?);
        self.remaining -= 1;
        if self.remaining > 0 {
            if self.rev {
                match self.at.checked_sub(1) {
                    Some(at) => self.at = at,
                    None => self.step_leaf(),
                }
            } else {
                self.at += 1;
                if self.at == leaf.len() {
                    self.step_leaf();
                }
            }
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}
