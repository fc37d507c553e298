//! The large sorted-set representation (Redis's "skiplist" encoding): a skiplist with spans,
//! ordered by (score, member), for O(log n) rank, range and update, plus a [`Dict`] from
//! member to score for O(1) score lookups.
//!
//! Nodes live in a dense arena (`Vec<Node>`) and link to each other by index, so there is
//! no `unsafe` and no per-node pointer chasing through the allocator. Index 0 is the header.
//! Removing a node moves the arena's last node into the hole and re-points the links that
//! referred to it (found by one O(log n) search), so the arena never has holes and gives its
//! memory back as the set shrinks.
//!
//! Levels are drawn with p = 1/4 up to 32, as Redis does; `span` on a link counts the
//! elements it skips, which is what makes rank queries logarithmic.
//!
//! Each link also carries the score of the node it points to. A search compares against
//! the link's copy and touches the next node only to step onto it (or, on a tie, to compare
//! members): at 100k members the nodes are out of cache, and reading the next node's score
//! for every comparison, including the last one at each level that stops the walk, was most
//! of the cost of an insert or an update.

use crate::dict::Dict;
use crate::mem::alloc_size;

/// The highest level a node may have (Redis's `ZSKIPLIST_MAXLEVEL`).
const MAX_LEVEL: usize = 32;

/// "No node" in links.
const NIL: u32 = u32::MAX;

/// The header node's index.
const HEAD: u32 = 0;

/// Members of at most this many bytes are stored inside the node.
const MEMBER_INLINE: usize = 22;

/// A member owned by a node: inline when short, boxed otherwise.
#[derive(Clone)]
enum Member {
    Inline { len: u8, buf: [u8; MEMBER_INLINE] },
    Heap(Box<[u8]>),
}

impl Member {
    fn new(bytes: &[u8]) -> Member {
        if bytes.len() <= MEMBER_INLINE {
            let mut buf = [0u8; MEMBER_INLINE];
            buf[..bytes.len()].copy_from_slice(bytes);
            // The length fits: it is at most MEMBER_INLINE.
            Member::Inline { len: bytes.len() as u8, buf }
        } else {
            Member::Heap(bytes.into())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Member::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or(&[]),
            Member::Heap(b) => b,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Member::Inline { .. } => 0,
            Member::Heap(b) => alloc_size(b.len()),
        }
    }
}

/// One link of a node at some level.
#[derive(Clone, Copy, Debug)]
struct Level {
    forward: u32,
    span: u32,
    /// The score of the node `forward` (meaningless when it is NIL); kept equal to it by
    /// every operation that links, unlinks or re-scores a node.
    score: f64,
}

const EMPTY_LEVEL: Level = Level { forward: NIL, span: 0, score: 0.0 };

/// A node: its member and score, the link back, and its links forward (level 0 inline,
/// higher levels, which three nodes in four lack, in a boxed slice).
#[derive(Clone)]
struct Node {
    member: Member,
    score: f64,
    backward: u32,
    level0: Level,
    upper: Box<[Level]>,
}

impl Node {
    fn new(member: &[u8], score: f64, height: usize) -> Node {
        Node {
            member: Member::new(member),
            score,
            backward: NIL,
            level0: EMPTY_LEVEL,
            upper: vec![EMPTY_LEVEL; height.saturating_sub(1)].into_boxed_slice(),
        }
    }

    fn height(&self) -> usize {
        1 + self.upper.len()
    }

    fn level(&self, i: usize) -> Level {
        if i == 0 {
            self.level0
        } else {
            self.upper.get(i - 1).copied().unwrap_or(EMPTY_LEVEL)
        }
    }

    fn level_mut(&mut self, i: usize) -> &mut Level {
        if i == 0 {
            &mut self.level0
        } else {
            &mut self.upper[i - 1]
        }
    }

    /// Heap owned by the node itself (member and upper levels).
    fn heap_bytes(&self) -> usize {
        self.member.heap_bytes() + alloc_size(self.upper.len() * std::mem::size_of::<Level>())
    }

    /// Whether this node sorts before (`score`, `member`).
    #[cfg(test)]
    fn before(&self, score: f64, member: &[u8]) -> bool {
        self.score < score || (self.score == score && self.member.as_bytes() < member)
    }
}

/// A random level in 1..=32, each level above the first with probability 1/4.
fn random_level() -> usize {
    let bits = fastrand::u64(..);
    (1 + (bits.trailing_zeros() / 2) as usize).min(MAX_LEVEL)
}

/// The skiplist plus its member-to-score table. See the [module documentation](self).
#[derive(Clone)]
pub(crate) struct SkipList {
    nodes: Vec<Node>,
    /// Levels in use (at least 1).
    level: usize,
    /// The last node, or NIL when empty.
    tail: u32,
    /// Heap owned by the nodes' members and upper levels.
    node_heap: usize,
    dict: Dict<f64>,
}

impl SkipList {
    /// An empty skiplist.
    pub(crate) fn new() -> SkipList {
        let head = Node::new(b"", 0.0, MAX_LEVEL);
        let node_heap = head.heap_bytes();
        SkipList { nodes: vec![head], level: 1, tail: NIL, node_heap, dict: Dict::new() }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len() - 1
    }

    /// Heap bytes owned: arena, nodes' own heap, and the member table.
    pub(crate) fn heap_bytes(&self) -> usize {
        alloc_size(self.nodes.capacity() * std::mem::size_of::<Node>()) + self.node_heap + self.dict.mem_bytes()
    }

    fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    fn node_mut(&mut self, i: u32) -> &mut Node {
        &mut self.nodes[i as usize]
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

    /// Whether link `l` leads to a node that sorts before (`score`, `member`). Reads the
    /// node itself only on a score tie.
    fn link_before(&self, l: Level, score: f64, member: &[u8]) -> bool {
        l.forward != NIL && (l.score < score || (l.score == score && self.node(l.forward).member.as_bytes() < member))
    }

    /// The predecessors of (`score`, `member`) at every level in use, and their ranks.
    fn search(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.node(x).level(i);
                if self.link_before(l, score, member) {
                    rank[i] += l.span;
                    x = l.forward;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        (update, rank)
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
                self.insert_node(member, score);
            }
            return None;
        };
        let (_, slot) = self.dict.get_index_mut(i)?;
        let old = *slot;
        if let Some(new) = decide(Some(old)) {
            if new != old {
                *slot = new;
                self.move_node(member, old, new);
            }
        }
        Some(old)
    }

    /// Inserts a member known to be absent.
    pub(crate) fn insert(&mut self, member: &[u8], score: f64) {
        self.dict.insert(member, score);
        self.insert_node(member, score);
    }

    /// Links a new node for (`member`, `score`) into the list (the table is not touched).
    fn insert_node(&mut self, member: &[u8], score: f64) {
        // Indices are u32 with NIL reserved, as in Dict.
        assert!(self.nodes.len() < NIL as usize, "skiplist: more than 2^32-2 entries");
        let node = Node::new(member, score, random_level());
        self.node_heap += node.heap_bytes();
        let new = self.nodes.len() as u32;
        self.nodes.push(node);
        self.link(new);
    }

    /// Links node `x`, which is in the arena but not in the list, at the place of its score
    /// and member, keeping its height.
    fn link(&mut self, x: u32) {
        let score = self.node(x).score;
        let (mut update, mut rank) = self.search(score, self.node(x).member.as_bytes());
        let height = self.node(x).height();
        // Elements in the list, `x` not counted (the arena also holds the header).
        let linked = (self.nodes.len() - 2) as u32;
        if height > self.level {
            for i in self.level..height {
                rank[i] = 0;
                update[i] = HEAD;
                self.node_mut(HEAD).level_mut(i).span = linked;
            }
            self.level = height;
        }
        for i in 0..height {
            let prev = self.node(update[i]).level(i);
            let xl = self.node_mut(x).level_mut(i);
            xl.forward = prev.forward;
            xl.score = prev.score;
            xl.span = prev.span - (rank[0] - rank[i]);
            let prev_level = self.node_mut(update[i]).level_mut(i);
            prev_level.forward = x;
            prev_level.score = score;
            prev_level.span = (rank[0] - rank[i]) + 1;
        }
        // Links above the node's height now skip one more element.
        for (i, &u) in update.iter().enumerate().take(self.level).skip(height) {
            self.node_mut(u).level_mut(i).span += 1;
        }
        self.node_mut(x).backward = if update[0] == HEAD { NIL } else { update[0] };
        let next = self.node(x).level0.forward;
        if next != NIL {
            self.node_mut(next).backward = x;
        } else {
            self.tail = x;
        }
    }

    /// Unlinks node `x` whose predecessors are `update`; it stays in the arena.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.node(u).level(i);
            if ul.forward == x {
                let xl = self.node(x).level(i);
                let l = self.node_mut(u).level_mut(i);
                l.span = l.span + xl.span - 1;
                l.forward = xl.forward;
                l.score = xl.score;
            } else {
                let l = self.node_mut(u).level_mut(i);
                l.span = l.span.saturating_sub(1);
            }
        }
        let (next, back) = (self.node(x).level0.forward, self.node(x).backward);
        if next != NIL {
            self.node_mut(next).backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.node(HEAD).level(self.level - 1).forward == NIL {
            self.level -= 1;
        }
    }

    /// Removes unlinked node `x` from the arena, moving the last node into its slot.
    fn release(&mut self, x: u32) -> Node {
        let last = (self.nodes.len() - 1) as u32;
        if x != last {
            // Re-point every link to `last` at `x`, where swap_remove puts it.
            let (score, member) = {
                let n = self.node(last);
                (n.score, n.member.as_bytes().to_vec())
            };
            let (update, _) = self.search(score, &member);
            let height = self.node(last).height();
            for (i, &u) in update.iter().enumerate().take(height) {
                let l = self.node_mut(u).level_mut(i);
                if l.forward == last {
                    l.forward = x;
                }
            }
            let next = self.node(last).level0.forward;
            if next != NIL {
                self.node_mut(next).backward = x;
            } else {
                self.tail = x;
            }
        }
        let node = self.nodes.swap_remove(x as usize);
        self.node_heap -= node.heap_bytes();
        if self.nodes.capacity() > 64 && self.nodes.len() * 4 < self.nodes.capacity() {
            self.nodes.shrink_to(self.nodes.len() * 2);
        }
        node
    }

    /// Removes the node of (`score`, `member`) from the list (not from the table).
    fn remove_node(&mut self, score: f64, member: &[u8]) -> bool {
        let (update, _) = self.search(score, member);
        let x = self.node(update[0]).level0.forward;
        if x == NIL || self.node(x).score != score || self.node(x).member.as_bytes() != member {
            return false;
        }
        self.unlink(x, &update);
        self.release(x);
        true
    }

    /// Removes `member`; returns its score.
    pub(crate) fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.dict.remove(member)?;
        let removed = self.remove_node(score, member);
        debug_assert!(removed, "skiplist and table disagree");
        Some(score)
    }

    /// Changes the score of `member` (present, with score `old`) to `new`.
    pub(crate) fn update_score(&mut self, member: &[u8], old: f64, new: f64) {
        if let Some(s) = self.dict.get_mut(member) {
            *s = new;
        }
        self.move_node(member, old, new);
    }

    /// Re-scores the node of `member` from `old` to `new` (the table is not touched).
    fn move_node(&mut self, member: &[u8], old: f64, new: f64) {
        let (update, _) = self.search(old, member);
        let x = self.node(update[0]).level0.forward;
        if x == NIL || self.node(x).score != old || self.node(x).member.as_bytes() != member {
            return;
        }
        // Redis's zslUpdateScore test: the node stays where it is when the new score still
        // falls strictly between its neighbours'. The predecessor is `update[0]` (just
        // searched), the successor's score is on the node's own link.
        let n = self.node(x);
        let back_ok = update[0] == HEAD || self.node(update[0]).score < new;
        let next_ok = n.level0.forward == NIL || n.level0.score > new;
        if back_ok && next_ok {
            for (i, &u) in update.iter().enumerate().take(n.height()) {
                self.node_mut(u).level_mut(i).score = new;
            }
            self.node_mut(x).score = new;
            return;
        }
        // The node moves: unlinked and linked again where the new score puts it, in the
        // same arena slot (no second node, and no search to re-point links to a moved one).
        self.unlink(x, &update);
        self.node_mut(x).score = new;
        self.link(x);
    }

    /// Number of leading elements for which `pred` holds (`pred` must hold for a prefix of
    /// the order, as "score below the minimum" does).
    pub(crate) fn partition_point(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.node(x).level(i);
                if l.forward == NIL {
                    break;
                }
                let f = self.node(l.forward);
                if !pred(f.member.as_bytes(), f.score) {
                    break;
                }
                rank += l.span as usize;
                x = l.forward;
            }
        }
        rank
    }

    /// The 0-based rank of `member`.
    pub(crate) fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.node(x).level(i);
                if l.forward == NIL {
                    break;
                }
                if l.score < score || (l.score == score && self.node(l.forward).member.as_bytes() <= member) {
                    rank += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            if x != HEAD && self.node(x).member.as_bytes() == member {
                return Some(rank - 1);
            }
        }
        None
    }

    /// The node at 0-based `rank`.
    fn node_at(&self, rank: usize) -> u32 {
        if rank >= self.len() {
            return NIL;
        }
        let target = rank + 1;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.node(x).level(i);
                if l.forward != NIL && traversed + l.span as usize <= target {
                    traversed += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    /// The entry at 0-based `rank`.
    pub(crate) fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        let x = self.node_at(rank);
        (x != NIL).then(|| {
            let n = self.node(x);
            (n.member.as_bytes(), n.score)
        })
    }

    /// Iterates over ranks `start..end`, backwards when `rev`.
    pub(crate) fn range(&self, start: usize, end: usize, rev: bool) -> SkipIter<'_> {
        let end = end.min(self.len());
        if start >= end {
            return SkipIter { list: self, cur: NIL, remaining: 0, rev };
        }
        let cur = if rev {
            if end == self.len() {
                self.tail
            } else {
                self.node_at(end - 1)
            }
        } else if start == 0 {
            self.node(HEAD).level0.forward
        } else {
            self.node_at(start)
        };
        SkipIter { list: self, cur, remaining: end - start, rev }
    }

    /// Removes ranks `start..end`; returns how many were removed.
    pub(crate) fn remove_range(&mut self, start: usize, end: usize) -> usize {
        if start == 0 && end >= self.len() {
            let n = self.len();
            *self = SkipList::new();
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
        let x = if max { self.tail } else { self.node(HEAD).level0.forward };
        if x == NIL {
            return None;
        }
        let member = self.node(x).member.as_bytes().to_vec();
        let score = self.remove(&member)?;
        Some((member, score))
    }

    /// Checks every invariant (tests only): links, spans, order, backward links, table.
    #[cfg(test)]
    pub(crate) fn check(&self) {
        let mut x = self.node(HEAD).level0.forward;
        let mut prev = NIL;
        let mut count = 0usize;
        let mut heap = self.node(HEAD).heap_bytes();
        while x != NIL {
            let n = self.node(x);
            assert_eq!(n.backward, prev);
            if prev != NIL {
                let p = self.node(prev);
                assert!(p.before(n.score, n.member.as_bytes()));
            }
            assert_eq!(self.dict.get(n.member.as_bytes()), Some(&n.score));
            heap += n.heap_bytes();
            count += 1;
            prev = x;
            x = n.level0.forward;
        }
        assert_eq!(self.tail, prev);
        assert_eq!(count, self.len());
        assert_eq!(self.dict.len(), self.len());
        assert_eq!(heap, self.node_heap);
        // Spans: at every level, the sum of spans to the end equals the element count
        // reachable, and each span matches the rank difference.
        let mut rank_of = vec![0usize; self.nodes.len()];
        let mut x = self.node(HEAD).level0.forward;
        let mut r = 1;
        while x != NIL {
            rank_of[x as usize] = r;
            r += 1;
            x = self.node(x).level0.forward;
        }
        for i in 0..self.level {
            let mut x = HEAD;
            loop {
                let l = self.node(x).level(i);
                if l.forward == NIL {
                    break;
                }
                assert_eq!(rank_of[l.forward as usize] - rank_of[x as usize], l.span as usize, "level {i}");
                assert_eq!(l.score.to_bits(), self.node(l.forward).score.to_bits(), "level {i} link score");
                x = l.forward;
            }
        }
    }
}

/// An iterator over a rank range of a [`SkipList`].
pub(crate) struct SkipIter<'a> {
    list: &'a SkipList,
    cur: u32,
    remaining: usize,
    rev: bool,
}

impl<'a> Iterator for SkipIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 || self.cur == NIL {
            return None;
        }
        let n = self.list.node(self.cur);
        self.remaining -= 1;
        self.cur = if self.rev { n.backward } else { n.level0.forward };
        Some((n.member.as_bytes(), n.score))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}
