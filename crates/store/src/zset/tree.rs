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

use crate::dict::Key as Member;
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

    /// Number of members.
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

    /// Brings into the cache the member-table entries that setting the scores of `items`
    /// will read (at most [`WARM_MAX`] items are used), their loads overlapping. The tree's
    /// inner nodes are in cache already; warming its leaves too (descents walked side by
    /// side) was measured to cost more than the misses it saves. Read-only: returns a value
    /// derived from the loads only so that they are not optimised away.
    pub(crate) fn warm(&self, items: &[(&[u8], f64)]) -> u32 {
        let members: Vec<&[u8]> = items.iter().take(WARM_MAX).map(|(m, _)| *m).collect();
        std::hint::black_box(self.dict.warm(&members))
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
        match self.take_entry(score, member, None) {
            Taken::Member(m) => Some(m),
            Taken::Absent | Taken::Rescored => None,
        }
    }

    /// Takes the entry (`score`, `member`) out of the tree, or, with `rescore_to`, sets that
    /// score in place instead when the entry stays between its neighbours in its leaf.
    fn take_entry(&mut self, score: f64, member: &[u8], rescore_to: Option<f64>) -> Taken {
        let taken = take_from(&mut self.root, score, member, rescore_to, &mut self.heap);
        let Taken::Member(m) = &taken else { return taken };
        self.heap -= m.heap_bytes();
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
        taken
    }

    /// Re-scores the entry of `member` from `old` to `new` (the table is not touched): in
    /// place when it stays between its neighbours in its leaf, else taken out and inserted
    /// again, keeping its member; one descent to find it either way.
    fn move_entry(&mut self, member: &[u8], old: f64, new: f64) {
        if let Taken::Member(m) = self.take_entry(old, member, Some(new)) {
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
            let i =
                node::prefix_len(node.len() - 1, |k| pred(node.sep_members[k + 1].as_bytes(), node.sep_scores[k + 1]));
            rank += node.count_before(i);
            match &node.children {
                Children::Leaves(v) => {
                    let leaf = &v[i];
                    return rank + node::prefix_len(leaf.len(), |k| pred(leaf.members[k].as_bytes(), leaf.scores[k]));
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

/// What [`take_from`] did.
enum Taken {
    /// The entry is not in the tree.
    Absent,
    /// The entry took its new score in place.
    Rescored,
    /// The entry was taken out: its member.
    Member(Member),
}

/// Takes (`score`, `member`) out from under `node`, rebalancing on the way back up, or with
/// `rescore_to`, re-scores it in place if it can stay where it is.
fn take_from(node: &mut Inner, score: f64, member: &[u8], rescore_to: Option<f64>, heap: &mut usize) -> Taken {
    if node.len() == 0 {
        return Taken::Absent;
    }
    let i = node.route(score, member);
    let taken = match &mut node.children {
        Children::Leaves(v) => {
            let leaf = &mut v[i];
            let Some(p) = leaf.find(score, member) else { return Taken::Absent };
            if rescore_to.is_some_and(|new| leaf.rescore_in_place(p, member, new)) {
                return Taken::Rescored;
            }
            leaf.remove(p)
        }
        Children::Inners(v) => match take_from(&mut v[i], score, member, rescore_to, heap) {
            Taken::Member(m) => m,
            other => return other,
        },
    };
    node.counts[i] -= 1;
    node.rebalance(i, heap);
    Taken::Member(taken)
}

#[cfg(test)]
mod check;

#[cfg(test)]
mod tests;
