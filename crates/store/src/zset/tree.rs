//! The large sorted-set representation (the one OBJECT ENCODING calls "skiplist", as Redis
//! does): a B+tree ordered by (score, member) whose inner nodes count the elements under
//! each child, for O(log n) insert, remove, rank and rank lookup, plus a [`Dict`] from
//! member to score for O(1) score lookups.
//!
//! Why a tree and not Redis's skiplist: once a set is out of the processor's cache, a
//! skiplist search is a chain of dependent cache misses, one per node it steps on (some
//! twenty at 100k members). Here the inner nodes are few (one per 16 to 32 children) and
//! stay in cache, and a leaf keeps up to 32 scores side by side, so a search costs the few
//! misses of one leaf's binary search.
//!
//! - Inserting splits a full node on the way down, so a split never has to climb back up.
//! - Removing drops a child that empties and merges a child with a neighbour when the two
//!   fit in three quarters of a node, so nodes stay at least about 3/8 full and the memory
//!   goes back as the set shrinks.
//! - Separators are copies of keys and may outlive the element they came from; they stay
//!   valid bounds, which is all routing needs.

mod iter;
mod node;

pub(crate) use iter::TreeIter;
use node::{Child, Children, Inner, Leaf};

use super::member::Member;
use crate::dict::{Dict, WARM_MAX};

/// The tree plus its member-to-score table. See the [module documentation](self).
#[derive(Clone)]
pub(crate) struct RankTree {
    root: Inner,
    len: usize,
    /// Heap of the nodes' vectors and of the members (entries' and separators').
    heap: usize,
    dict: Dict<f64>,
}

impl RankTree {
    /// An empty tree.
    pub(crate) fn new() -> RankTree {
        let root = Inner::new(true);
        let heap = root.own_bytes();
        RankTree { root, len: 0, heap, dict: Dict::new() }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Heap bytes owned: the nodes, the members, and the member table.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.heap + self.dict.mem_bytes()
    }

    /// The score of `member`.
    pub(crate) fn score(&self, member: &[u8]) -> Option<f64> {
        self.dict.get(member).copied()
    }

    /// A uniformly random entry, O(1).
    pub(crate) fn random_entry(&self) -> Option<(&[u8], f64)> {
        self.dict.random_entry().map(|(m, s)| (m, *s))
    }

    /// One SCAN step over the member table (see [`Dict::scan`]).
    pub(crate) fn scan(&self, cursor: u64, f: impl FnMut(&[u8], &f64)) -> u64 {
        self.dict.scan(cursor, f)
    }

    /// Looks `member` up once and, when `decide(its score or None)` gives a score, sets it
    /// (adding the member if absent). Returns the score it had. One hash of the member and
    /// one table probe serve both the decision and the change, as Redis's `zsetAdd` uses
    /// one `dictFind`.
    pub(crate) fn upsert(&mut self, member: &[u8], decide: impl FnOnce(Option<f64>) -> Option<f64>) -> Option<f64> {
        let hash = self.dict.hash_key(member);
        let Some(i) = self.dict.find_hashed(member, hash) else {
            if let Some(score) = decide(None) {
                self.dict.insert_hashed(member, hash, score);
                self.insert_entry(score, Member::new(member));
            }
            return None;
        };
        let (_, slot) = self.dict.get_index_mut(i)?;
        let old = *slot;
        if let Some(new) = decide(Some(old)) {
            if new != old {
                *slot = new;
                self.move_entry(member, old, new);
            }
        }
        Some(old)
    }

    /// Brings into the cache what setting the scores of `items` (member, new score) will
    /// read: each member's table entry, and the leaves that hold its current key and will
    /// hold its new one (at most [`WARM_MAX`] items are used). The descents walk level by
    /// level side by side, and every leaf is touched before any is searched, so the cache
    /// misses of the batch overlap instead of following one another; the commands that
    /// then run one by one find what they read in cache. Read-only: returns a value derived
    /// from the loads only so that they are not optimised away.
    pub(crate) fn warm(&self, items: &[(&[u8], f64)]) -> u32 {
        let items = &items[..items.len().min(WARM_MAX)];
        let members: Vec<&[u8]> = items.iter().map(|(m, _)| *m).collect();
        let mut seen = self.dict.warm(&members);
        if self.root.len() == 0 || items.is_empty() {
            return std::hint::black_box(seen);
        }
        let mut targets: Vec<(f64, &[u8])> = Vec::with_capacity(items.len() * 2);
        for &(member, score) in items {
            targets.push((score, member));
            if let Some(&old) = self.dict.get(member) {
                if old != score {
                    targets.push((old, member));
                }
            }
        }
        let mut at: Vec<&Inner> = vec![&self.root; targets.len()];
        let mut leaves: Vec<&Leaf> = Vec::with_capacity(targets.len());
        while leaves.is_empty() {
            for n in &at {
                seen = seen.wrapping_add(n.sep_scores[n.len() / 2].to_bits() as u32);
            }
            for (n, &(score, member)) in at.iter_mut().zip(&targets) {
                let i = n.route(score, member);
                match &n.children {
                    Children::Inners(v) => *n = &v[i],
                    Children::Leaves(v) => leaves.push(&v[i]),
                }
            }
        }
        // A leaf's scores span five cache lines at most: one load in each.
        for leaf in &leaves {
            for k in (0..leaf.len()).step_by(8) {
                seen = seen.wrapping_add(leaf.scores[k].to_bits() as u32);
            }
        }
        for (leaf, &(score, member)) in leaves.iter().zip(&targets) {
            let p = leaf.position(score, member).min(leaf.len().saturating_sub(1));
            seen = seen.wrapping_add(u32::from(leaf.members.get(p).map_or(0, |m| m.as_bytes().len() as u8)));
        }
        std::hint::black_box(seen)
    }

    /// Inserts a member known to be absent.
    pub(crate) fn insert(&mut self, member: &[u8], score: f64) {
        self.dict.insert(member, score);
        self.insert_entry(score, Member::new(member));
    }

    /// Removes `member`; returns its score.
    pub(crate) fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.dict.remove(member)?;
        let removed = self.remove_entry(score, member);
        debug_assert!(removed.is_some(), "tree and table disagree");
        Some(score)
    }

    /// Changes the score of `member` (present, with score `old`) to `new`.
    pub(crate) fn update_score(&mut self, member: &[u8], old: f64, new: f64) {
        if let Some(s) = self.dict.get_mut(member) {
            *s = new;
        }
        self.move_entry(member, old, new);
    }

    /// Adds an entry whose member is not in the tree.
    fn insert_entry(&mut self, score: f64, member: Member) {
        self.heap += member.heap_bytes();
        if self.root.len() == node::INNER_CAP {
            // A full root: it becomes the first child of a new root, and is split there.
            let old = std::mem::replace(&mut self.root, Inner::new(false));
            self.heap += self.root.own_bytes();
            self.root.push_first(Child::Inner(old), self.len);
            self.root.split_child(0, false, &mut self.heap);
        }
        insert_into(&mut self.root, score, member, true, &mut self.heap);
        self.len += 1;
    }

    /// Removes the entry (`score`, `member`); returns its member, or None if absent.
    fn remove_entry(&mut self, score: f64, member: &[u8]) -> Option<Member> {
        let taken = remove_from(&mut self.root, score, member, &mut self.heap)?;
        self.heap -= taken.heap_bytes();
        self.len -= 1;
        // A root with one inner child gives its place to it.
        while self.root.len() == 1 && !self.root.has_leaves() {
            let Children::Inners(v) = &mut self.root.children else { break };
            let Some(child) = v.pop() else { break };
            self.heap -= self.root.own_bytes();
            self.root = child;
        }
        if self.len == 0 && !self.root.has_leaves() {
            self.heap -= self.root.own_bytes();
            self.root = Inner::new(true);
            self.heap += self.root.own_bytes();
        }
        Some(taken)
    }

    /// Re-scores the entry of `member` from `old` to `new` (the table is not touched): in
    /// place when it stays between its neighbours in its leaf, else removed and inserted
    /// again, keeping its member.
    fn move_entry(&mut self, member: &[u8], old: f64, new: f64) {
        let mut node = &mut self.root;
        loop {
            if node.len() == 0 {
                return;
            }
            let i = node.route(old, member);
            match &mut node.children {
                Children::Leaves(v) => {
                    let leaf = &mut v[i];
                    match leaf.find(old, member) {
                        Some(p) if leaf.rescore_in_place(p, member, new) => return,
                        Some(_) => break,
                        None => return,
                    }
                }
                Children::Inners(v) => node = &mut v[i],
            }
        }
        if let Some(m) = self.remove_entry(old, member) {
            self.insert_entry(new, m);
        }
    }

    /// Number of leading elements for which `pred` holds. `pred` must hold for a prefix of
    /// the order of all keys, present or not (as "score below the minimum" does): the
    /// descent tests it on separators.
    pub(crate) fn partition_point(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            if node.len() == 0 {
                return rank;
            }
            // The last child whose separator satisfies `pred` (the first child if none).
            let (mut lo, mut hi) = (1, node.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                if pred(node.sep_members[mid].as_bytes(), node.sep_scores[mid]) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            let i = lo - 1;
            rank += node.count_before(i);
            match &node.children {
                Children::Leaves(v) => {
                    let leaf = &v[i];
                    let (mut lo, mut hi) = (0, leaf.len());
                    while lo < hi {
                        let mid = (lo + hi) / 2;
                        if pred(leaf.members[mid].as_bytes(), leaf.scores[mid]) {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    return rank + lo;
                }
                Children::Inners(v) => node = &v[i],
            }
        }
    }

    /// The 0-based rank of `member`.
    pub(crate) fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            if node.len() == 0 {
                return None;
            }
            let i = node.route(score, member);
            rank += node.count_before(i);
            match &node.children {
                Children::Leaves(v) => return v[i].find(score, member).map(|p| rank + p),
                Children::Inners(v) => node = &v[i],
            }
        }
    }

    /// The entry at 0-based `rank`.
    pub(crate) fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        if rank >= self.len {
            return None;
        }
        let mut node = &self.root;
        let mut rank = rank;
        loop {
            let (i, within) = node.child_at_rank(rank);
            rank = within;
            match &node.children {
                Children::Leaves(v) => {
                    let leaf = &v[i];
                    return Some((leaf.members.get(rank)?.as_bytes(), *leaf.scores.get(rank)?));
                }
                Children::Inners(v) => node = &v[i],
            }
        }
    }

    /// Iterates over ranks `start..end`, backwards when `rev`.
    pub(crate) fn range(&self, start: usize, end: usize, rev: bool) -> TreeIter<'_> {
        TreeIter::new(&self.root, start, end.min(self.len), rev)
    }

    /// Removes ranks `start..end`; returns how many were removed.
    pub(crate) fn remove_range(&mut self, start: usize, end: usize) -> usize {
        if start == 0 && end >= self.len {
            let n = self.len;
            *self = RankTree::new();
            return n;
        }
        let members: Vec<Vec<u8>> = self.range(start, end, false).map(|(m, _)| m.to_vec()).collect();
        for m in &members {
            self.remove(m);
        }
        members.len()
    }

    /// Removes and returns the first (or, with `max`, the last) entry.
    pub(crate) fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let rank = if max { self.len.checked_sub(1)? } else { 0 };
        let member = self.get(rank)?.0.to_vec();
        let score = self.remove(&member)?;
        Some((member, score))
    }
}

/// Inserts (`score`, `member`) under `node`, which is not full, splitting a full child on
/// the way down. `rightmost`: `node` is on the tree's right edge.
fn insert_into(node: &mut Inner, score: f64, member: Member, rightmost: bool, heap: &mut usize) {
    if node.len() == 0 {
        // Only the empty tree's root has no child: its first leaf.
        *heap += Leaf::own_bytes();
        node.push_first(Child::Leaf(Leaf::new()), 0);
    }
    let mut i = node.route(score, member.as_bytes());
    let rightmost = rightmost && i + 1 == node.len();
    if node.child_full(i) {
        let append = rightmost && node.appends_to_leaf(i, score, member.as_bytes());
        node.split_child(i, append, heap);
        let sep = (node.sep_scores[i + 1], node.sep_members[i + 1].as_bytes());
        if node::cmp_key(score, member.as_bytes(), sep.0, sep.1).is_ge() {
            i += 1;
        }
    }
    node.counts[i] += 1;
    match &mut node.children {
        Children::Leaves(v) => v[i].insert(score, member),
        Children::Inners(v) => insert_into(&mut v[i], score, member, rightmost, heap),
    }
}

/// Removes (`score`, `member`) from under `node`, rebalancing on the way back up; returns
/// its member, or None if absent.
fn remove_from(node: &mut Inner, score: f64, member: &[u8], heap: &mut usize) -> Option<Member> {
    if node.len() == 0 {
        return None;
    }
    let i = node.route(score, member);
    let taken = match &mut node.children {
        Children::Leaves(v) => {
            let p = v[i].find(score, member)?;
            v[i].remove(p)
        }
        Children::Inners(v) => remove_from(&mut v[i], score, member, heap)?,
    };
    node.counts[i] -= 1;
    node.rebalance(i, heap);
    Some(taken)
}

#[cfg(test)]
mod check;

#[cfg(test)]
mod tests;
