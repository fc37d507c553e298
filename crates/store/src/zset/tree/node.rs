//! The tree's nodes: leaves of sorted entries, and inner nodes that route a key to a child
//! by separators and count the elements under each child. Splitting and merging are here;
//! when to do them is the tree's business (see the [tree's documentation](super)).
//!
//! Every vector is allocated at its node's capacity and never grows past it (a full node is
//! split before anything is added to it), so a node's heap is a constant of its kind and
//! the tree's memory count is exact.

use std::cmp::Ordering;

use crate::dict::Key as Member;
use crate::mem::alloc_size;

/// Entries per leaf, at most.
pub(super) const LEAF_CAP: usize = 32;

/// Children per inner node, at most.
pub(super) const INNER_CAP: usize = 32;

/// Compares keys: by score, then by member bytes. Scores are never NaN, and `-0` equals `0`.
pub(super) fn cmp_key(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    if a_score < b_score {
        Ordering::Less
    } else if a_score > b_score {
        Ordering::Greater
    } else {
        a_member.cmp(b_member)
    }
}

/// How many of the positions `0..len` satisfy `pred`, which holds for a prefix of them: a
/// binary search over positions, as the keys are kept in parallel vectors.
pub(super) fn prefix_len(len: usize, mut pred: impl FnMut(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// How many of the sorted keys (`scores[i]`, `members[i]`) are below (`score`, `member`),
/// or, with `or_equal`, not above it. A member is read only where the scores tie.
fn count_below(scores: &[f64], members: &[Member], score: f64, member: &[u8], or_equal: bool) -> usize {
    prefix_len(scores.len(), |i| {
        let s = scores[i];
        s < score
            || (s == score && {
                let c = members[i].as_bytes().cmp(member);
                c.is_lt() || (or_equal && c.is_eq())
            })
    })
}

/// A leaf: up to [`LEAF_CAP`] entries, sorted by key, in two parallel vectors so that a
/// search reads the scores side by side and a member only on a score tie.
pub(super) struct Leaf {
    pub(super) scores: Vec<f64>,
    pub(super) members: Vec<Member>,
}

impl Leaf {
    /// An empty leaf, allocated at its full capacity.
    pub(super) fn new() -> Leaf {
        Leaf { scores: Vec::with_capacity(LEAF_CAP), members: Vec::with_capacity(LEAF_CAP) }
    }

    /// Number of entries.
    pub(super) fn len(&self) -> usize {
        self.scores.len()
    }

    /// Heap of a leaf's vectors (its members' own heap not counted).
    pub(super) fn own_bytes() -> usize {
        alloc_size(LEAF_CAP * std::mem::size_of::<f64>()) + alloc_size(LEAF_CAP * std::mem::size_of::<Member>())
    }

    /// Where (`score`, `member`) is, or would be inserted.
    pub(super) fn position(&self, score: f64, member: &[u8]) -> usize {
        count_below(&self.scores, &self.members, score, member, false)
    }

    /// Where (`score`, `member`) is, if it is here.
    pub(super) fn find(&self, score: f64, member: &[u8]) -> Option<usize> {
        let p = self.position(score, member);
        (p < self.len() && self.scores[p] == score && self.members[p].as_bytes() == member).then_some(p)
    }

    /// Inserts an entry whose key is not here; the leaf must not be full.
    pub(super) fn insert(&mut self, score: f64, member: Member) {
        debug_assert!(self.len() < LEAF_CAP, "insert into a full leaf");
        let p = self.position(score, member.as_bytes());
        self.scores.insert(p, score);
        self.members.insert(p, member);
    }

    /// Removes the entry at `p`, returning its member.
    pub(super) fn remove(&mut self, p: usize) -> Member {
        self.scores.remove(p);
        self.members.remove(p)
    }

    /// Whether (`score`, `member`), the key of the entry at `p`, may take score `new` in
    /// place: it stays strictly between its neighbours in this leaf. An entry at either
    /// end of the leaf is not moved in place, so that the separators above stay bounds.
    pub(super) fn rescore_in_place(&mut self, p: usize, member: &[u8], new: f64) -> bool {
        if p == 0 || p + 1 >= self.len() {
            return false;
        }
        let after_prev = cmp_key(self.scores[p - 1], self.members[p - 1].as_bytes(), new, member).is_lt();
        let before_next = cmp_key(new, member, self.scores[p + 1], self.members[p + 1].as_bytes()).is_lt();
        if after_prev && before_next {
            self.scores[p] = new;
        }
        after_prev && before_next
    }
}

impl Clone for Leaf {
    /// A copy at the leaf's full capacity, as every leaf is.
    fn clone(&self) -> Leaf {
        let mut copy = Leaf::new();
        copy.scores.extend_from_slice(&self.scores);
        copy.members.extend(self.members.iter().cloned());
        copy
    }
}

/// An inner node's children: all leaves, or all inner nodes (every leaf is at the same
/// depth).
pub(super) enum Children {
    Leaves(Vec<Leaf>),
    Inners(Vec<Inner>),
}

/// An inner node: up to [`INNER_CAP`] children, the number of elements under each, and a
/// separator per child but the first: a key no greater than any in that child and greater
/// than any in the child before it. Separators are copies of keys, so they may outlive the
/// element they came from; they stay valid bounds all the same. Slot 0 of the separators
/// holds a placeholder (score 0, the empty member), so that indices match the children's.
pub(super) struct Inner {
    pub(super) sep_scores: Vec<f64>,
    pub(super) sep_members: Vec<Member>,
    pub(super) counts: Vec<usize>,
    pub(super) children: Children,
}

impl Inner {
    /// An empty inner node whose children will be leaves (or inner nodes).
    pub(super) fn new(leaves: bool) -> Inner {
        Inner {
            sep_scores: Vec::with_capacity(INNER_CAP),
            sep_members: Vec::with_capacity(INNER_CAP),
            counts: Vec::with_capacity(INNER_CAP),
            children: if leaves {
                Children::Leaves(Vec::with_capacity(INNER_CAP))
            } else {
                Children::Inners(Vec::with_capacity(INNER_CAP))
            },
        }
    }

    /// Number of children.
    pub(super) fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether the children are leaves.
    pub(super) fn has_leaves(&self) -> bool {
        matches!(self.children, Children::Leaves(_))
    }

    /// Heap of the node's vectors (the children's own heap not counted).
    pub(super) fn own_bytes(&self) -> usize {
        let child = match &self.children {
            Children::Leaves(v) => alloc_size(v.capacity() * std::mem::size_of::<Leaf>()),
            Children::Inners(v) => alloc_size(v.capacity() * std::mem::size_of::<Inner>()),
        };
        alloc_size(self.sep_scores.capacity() * std::mem::size_of::<f64>())
            + alloc_size(self.sep_members.capacity() * std::mem::size_of::<Member>())
            + alloc_size(self.counts.capacity() * std::mem::size_of::<usize>())
            + child
    }

    /// The child whose range holds (`score`, `member`): how many separators after the
    /// first slot are not above it. The node must have a child.
    pub(super) fn route(&self, score: f64, member: &[u8]) -> usize {
        count_below(&self.sep_scores[1..], &self.sep_members[1..], score, member, true)
    }

    /// Elements under children `0..i`.
    pub(super) fn count_before(&self, i: usize) -> usize {
        self.counts[..i].iter().sum()
    }

    /// The child holding 0-based rank `rank` of this subtree, and the rank within it.
    pub(super) fn child_at_rank(&self, mut rank: usize) -> (usize, usize) {
        for (i, &c) in self.counts.iter().enumerate() {
            if rank < c {
                return (i, rank);
            }
            rank -= c;
        }
        // Past the end: the last child's end (callers ask for ranks below the count).
        let last = self.len().saturating_sub(1);
        (last, self.counts.get(last).copied().unwrap_or(0))
    }

    /// Size of child `i` in its own units: entries for a leaf, children for an inner node.
    fn child_size(&self, i: usize) -> usize {
        match &self.children {
            Children::Leaves(v) => v[i].len(),
            Children::Inners(v) => v[i].len(),
        }
    }

    /// Whether child `i` is full.
    pub(super) fn child_full(&self, i: usize) -> bool {
        let cap = if self.has_leaves() { LEAF_CAP } else { INNER_CAP };
        self.child_size(i) >= cap
    }

    /// Whether child `i` is a leaf whose entries are all below (`score`, `member`).
    pub(super) fn appends_to_leaf(&self, i: usize, score: f64, member: &[u8]) -> bool {
        match &self.children {
            Children::Leaves(v) => v[i].position(score, member) == v[i].len(),
            Children::Inners(_) => false,
        }
    }

    /// Adds a first child to a childless node (a new root, or the empty tree's first leaf).
    pub(super) fn push_first(&mut self, child: Child, count: usize) {
        debug_assert_eq!(self.len(), 0);
        self.sep_scores.push(0.0);
        self.sep_members.push(Member::EMPTY);
        self.counts.push(count);
        match (&mut self.children, child) {
            (Children::Leaves(v), Child::Leaf(l)) => v.push(l),
            (Children::Inners(v), Child::Inner(n)) => v.push(n),
            _ => unreachable!("a child of the wrong kind"),
        }
    }

    /// Splits the full child `i` in two, the upper part becoming child `i + 1`; this node
    /// must not be full. `heap` counts what is allocated. The halves are equal, except for
    /// a leaf about to take a key past its last one at the end of the tree (`append`): it
    /// keeps all but its last entry, so that keys added in order (timestamps, a loaded
    /// set) leave leaves nearly full rather than half full.
    pub(super) fn split_child(&mut self, i: usize, append: bool, heap: &mut usize) {
        let (sep_score, sep_member, moved) = match &mut self.children {
            Children::Leaves(v) => {
                let left = &mut v[i];
                let half = if append { left.len() - 1 } else { left.len() / 2 };
                let mut right = Leaf::new();
                right.scores.extend(left.scores.drain(half..));
                right.members.extend(left.members.drain(half..));
                // A leaf's separator is a copy of its first key.
                let sep = (right.scores[0], right.members[0].clone());
                *heap += Leaf::own_bytes() + sep.1.heap_bytes();
                let moved = right.len();
                v.insert(i + 1, right);
                (sep.0, sep.1, moved)
            }
            Children::Inners(v) => {
                let left = &mut v[i];
                let half = left.len() / 2;
                let mut right = Inner::new(left.has_leaves());
                *heap += right.own_bytes();
                right.sep_scores.extend(left.sep_scores.drain(half..));
                right.sep_members.extend(left.sep_members.drain(half..));
                right.counts.extend(left.counts.drain(half..));
                match (&mut left.children, &mut right.children) {
                    (Children::Leaves(a), Children::Leaves(b)) => b.extend(a.drain(half..)),
                    (Children::Inners(a), Children::Inners(b)) => b.extend(a.drain(half..)),
                    _ => unreachable!("siblings of different kinds"),
                }
                // An inner node's separator moves up from its first slot.
                let sep_member = std::mem::replace(&mut right.sep_members[0], Member::EMPTY);
                let sep_score = std::mem::replace(&mut right.sep_scores[0], 0.0);
                let moved = right.counts.iter().sum();
                v.insert(i + 1, right);
                (sep_score, sep_member, moved)
            }
        };
        self.counts[i] -= moved;
        self.counts.insert(i + 1, moved);
        self.sep_scores.insert(i + 1, sep_score);
        self.sep_members.insert(i + 1, sep_member);
    }

    /// After a removal under child `i`: drops the child if it emptied, else merges it with
    /// a neighbour when the two fit in three quarters of a node (the slack keeps the next
    /// insertion from splitting them again at once).
    pub(super) fn rebalance(&mut self, i: usize, heap: &mut usize) {
        if self.counts[i] == 0 {
            self.remove_child(i, heap);
            return;
        }
        let limit = if self.has_leaves() { LEAF_CAP } else { INNER_CAP } * 3 / 4;
        if i + 1 < self.len() && self.child_size(i) + self.child_size(i + 1) <= limit {
            self.merge(i, heap);
        } else if i > 0 && self.child_size(i - 1) + self.child_size(i) <= limit {
            self.merge(i - 1, heap);
        }
    }

    /// Removes child `i`, which holds no element.
    fn remove_child(&mut self, i: usize, heap: &mut usize) {
        match &mut self.children {
            Children::Leaves(v) => {
                v.remove(i);
                *heap -= Leaf::own_bytes();
            }
            Children::Inners(v) => {
                let gone = v.remove(i);
                *heap -= gone.own_bytes();
            }
        }
        self.counts.remove(i);
        self.sep_scores.remove(i);
        let sep = self.sep_members.remove(i);
        *heap -= sep.heap_bytes();
        if i == 0 && !self.sep_members.is_empty() {
            // The new first child's separator becomes the placeholder.
            *heap -= self.sep_members[0].heap_bytes();
            self.sep_members[0] = Member::EMPTY;
            self.sep_scores[0] = 0.0;
        }
    }

    /// Merges child `i + 1` into child `i`.
    fn merge(&mut self, i: usize, heap: &mut usize) {
        let moved = self.counts.remove(i + 1);
        self.counts[i] += moved;
        let sep_score = self.sep_scores.remove(i + 1);
        let sep_member = self.sep_members.remove(i + 1);
        match &mut self.children {
            Children::Leaves(v) => {
                let right = v.remove(i + 1);
                *heap -= Leaf::own_bytes() + sep_member.heap_bytes();
                v[i].scores.extend(right.scores);
                v[i].members.extend(right.members);
            }
            Children::Inners(v) => {
                let mut right = v.remove(i + 1);
                *heap -= right.own_bytes();
                // The separator comes down into the right half's first slot.
                right.sep_scores[0] = sep_score;
                right.sep_members[0] = sep_member;
                let left = &mut v[i];
                left.sep_scores.extend(right.sep_scores);
                left.sep_members.extend(right.sep_members);
                left.counts.extend(right.counts);
                match (&mut left.children, right.children) {
                    (Children::Leaves(a), Children::Leaves(b)) => a.extend(b),
                    (Children::Inners(a), Children::Inners(b)) => a.extend(b),
                    _ => unreachable!("siblings of different kinds"),
                }
            }
        }
    }
}

impl Clone for Inner {
    /// A copy at the node's full capacity, as every inner node is.
    fn clone(&self) -> Inner {
        let mut copy = Inner::new(self.has_leaves());
        copy.sep_scores.extend_from_slice(&self.sep_scores);
        copy.sep_members.extend(self.sep_members.iter().cloned());
        copy.counts.extend_from_slice(&self.counts);
        match (&mut copy.children, &self.children) {
            (Children::Leaves(a), Children::Leaves(b)) => a.extend(b.iter().cloned()),
            (Children::Inners(a), Children::Inners(b)) => a.extend(b.iter().cloned()),
            _ => unreachable!("a copy of another kind"),
        }
        copy
    }
}

/// One child, to give to [`Inner::push_first`].
pub(super) enum Child {
    Leaf(Leaf),
    Inner(Inner),
}
