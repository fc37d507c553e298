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
//! At 100k members the nodes are out of cache and a search is a chain of cache misses, so
//! the layout is chosen to make each step of a search one miss:
//! - each link carries the score of the node it points to, so a search compares against
//!   the link and reads the next node only to step onto it (or, on a score tie, to compare
//!   members): the comparison that ends each level costs nothing;
//! - a node's levels above the first live in one shared arena (`uppers`), a block of
//!   `height - 1` links per node, and each link also carries the position of its target's
//!   block, so stepping at a level above the first reads that one link and not the node.
//!   Freed blocks go to a free list per block length and are reused as they are.
//!
//! What is left is the misses themselves; [`SkipList::warm`] overlaps those of a batch of
//! updates (a client's pipelined ZADDs) by walking their searches side by side first.

use crate::dict::{Dict, WARM_MAX};
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
    /// Where the upper block of the node `forward` starts in `uppers` (meaningless when
    /// `forward` is NIL or one level high); kept with `forward`.
    forward_upper: u32,
}

const EMPTY_LEVEL: Level = Level { forward: NIL, span: 0, score: 0.0, forward_upper: NIL };

/// A node: its member and score, the link back, its first link forward, and where its
/// higher links (which three nodes in four lack) are in `uppers`.
#[derive(Clone)]
struct Node {
    member: Member,
    score: f64,
    backward: u32,
    /// Start of the node's block of `height - 1` links in `uppers` (NIL when height is 1).
    upper: u32,
    height: u8,
    level0: Level,
}

impl Node {
    fn new(member: &[u8], score: f64, height: usize, upper: u32) -> Node {
        Node {
            member: Member::new(member),
            score,
            backward: NIL,
            upper,
            // At most MAX_LEVEL (32).
            height: height as u8,
            level0: EMPTY_LEVEL,
        }
    }

    fn height(&self) -> usize {
        usize::from(self.height)
    }

    /// Heap owned by the node itself (its member).
    fn heap_bytes(&self) -> usize {
        self.member.heap_bytes()
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
    /// The nodes' links above the first, a block per node (see the module documentation).
    uppers: Vec<Level>,
    /// Per block length, the first free block of that length (NIL, or past the end, if
    /// none); a free block's first link's `forward` is the next free block of its length.
    free_uppers: Vec<u32>,
    /// Links in free blocks: when they are three in four, the arena is compacted.
    upper_free: usize,
    /// Levels in use (at least 1).
    level: usize,
    /// The last node, or NIL when empty.
    tail: u32,
    /// Heap owned by the nodes' members.
    node_heap: usize,
    dict: Dict<f64>,
}

impl SkipList {
    /// An empty skiplist.
    pub(crate) fn new() -> SkipList {
        // The header's block is the first in the arena.
        let head = Node::new(b"", 0.0, MAX_LEVEL, 0);
        let node_heap = head.heap_bytes();
        SkipList {
            nodes: vec![head],
            uppers: vec![EMPTY_LEVEL; MAX_LEVEL - 1],
            free_uppers: Vec::new(),
            upper_free: 0,
            level: 1,
            tail: NIL,
            node_heap,
            dict: Dict::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len() - 1
    }

    /// Heap bytes owned: the arenas, the nodes' own heap, and the member table.
    pub(crate) fn heap_bytes(&self) -> usize {
        alloc_size(self.nodes.capacity() * std::mem::size_of::<Node>())
            + alloc_size(self.uppers.capacity() * std::mem::size_of::<Level>())
            + alloc_size(self.free_uppers.capacity() * std::mem::size_of::<u32>())
            + self.node_heap
            + self.dict.mem_bytes()
    }

    /// Node `x`'s link at level `i` (below its height).
    fn link_of(&self, x: u32, i: usize) -> Level {
        let n = self.node(x);
        if i == 0 {
            n.level0
        } else {
            self.uppers[n.upper as usize + i - 1]
        }
    }

    /// Node `x`'s link at level `i` (below its height), mutably.
    fn link_of_mut(&mut self, x: u32, i: usize) -> &mut Level {
        if i == 0 {
            &mut self.nodes[x as usize].level0
        } else {
            let at = self.nodes[x as usize].upper as usize + i - 1;
            &mut self.uppers[at]
        }
    }

    /// A block of `len` (at least 1) empty links in `uppers`: a freed one if there is one.
    fn alloc_upper(&mut self, len: usize) -> u32 {
        let free = self.free_uppers.get(len).copied().unwrap_or(NIL);
        if free != NIL {
            self.free_uppers[len] = self.uppers[free as usize].forward;
            self.upper_free -= len;
            self.uppers[free as usize..free as usize + len].fill(EMPTY_LEVEL);
            return free;
        }
        // Positions are u32 with NIL reserved, as node indices are.
        assert!(self.uppers.len() + len < NIL as usize, "skiplist: upper-level arena full");
        let at = self.uppers.len() as u32;
        self.uppers.resize(self.uppers.len() + len, EMPTY_LEVEL);
        at
    }

    /// Returns the block of `len` links at `at` to its free list.
    fn free_upper(&mut self, at: u32, len: usize) {
        if self.free_uppers.len() <= len {
            self.free_uppers.resize(len + 1, NIL);
        }
        self.uppers[at as usize].forward = self.free_uppers[len];
        self.free_uppers[len] = at;
        self.upper_free += len;
    }

    /// Rebuilds `uppers` with the live blocks only, in node order, when most of it is free
    /// (the set shrank), so that its memory goes back as the node arena's does. O(n), after
    /// at least 3n/4 removals since the last one.
    fn compact_uppers(&mut self) {
        if self.uppers.len() < 256 || (self.uppers.len() - self.upper_free) * 4 >= self.uppers.len() {
            return;
        }
        let mut fresh = Vec::with_capacity((self.uppers.len() - self.upper_free) * 2);
        for n in &mut self.nodes {
            if n.height > 1 {
                let (at, len) = (n.upper as usize, n.height() - 1);
                // Fewer links than before, and the old ones fit in u32 positions.
                n.upper = fresh.len() as u32;
                fresh.extend_from_slice(&self.uppers[at..at + len]);
            }
        }
        self.uppers = fresh;
        self.free_uppers = Vec::new();
        self.upper_free = 0;
        // Every link's copy of its target's block position.
        let blocks: Vec<u32> = self.nodes.iter().map(|n| n.upper).collect();
        for x in 0..self.nodes.len() {
            for i in 0..self.nodes[x].height() {
                let l = self.link_of_mut(x as u32, i);
                if l.forward != NIL {
                    l.forward_upper = blocks[l.forward as usize];
                }
            }
        }
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
        // Where `x`'s upper block starts: above the first level the walk reads links only.
        let mut x_upper = self.node(HEAD).upper;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = if i == 0 { self.node(x).level0 } else { self.uppers[x_upper as usize + i - 1] };
                if self.link_before(l, score, member) {
                    rank[i] += l.span;
                    x = l.forward;
                    x_upper = l.forward_upper;
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

    /// Brings into the cache what setting each (`member`, `score`) of `items` will read:
    /// the member's table entry, and the search paths to its current place and to the place
    /// of its new score (at most [`WARM_MAX`] items are used). The searches walk side by
    /// side, one step of each in turn, so their cache misses overlap instead of following one
    /// another; the commands that then run one by one find their paths in cache. Read-only:
    /// returns a value derived from the loads only so that they are not optimised away.
    pub(crate) fn warm(&self, items: &[(&[u8], f64)]) -> u32 {
        let items = &items[..items.len().min(WARM_MAX)];
        let members: Vec<&[u8]> = items.iter().map(|(m, _)| *m).collect();
        let mut seen = self.dict.warm(&members);
        // Each item is searched for at its new score and, if present, at its current one.
        let mut targets: Vec<(f64, &[u8])> = Vec::with_capacity(items.len() * 2);
        for &(member, score) in items {
            targets.push((score, member));
            if let Some(&old) = self.dict.get(member) {
                if old != score {
                    targets.push((old, member));
                }
            }
        }
        let head_upper = self.node(HEAD).upper;
        let mut at: Vec<(u32, u32)> = vec![(HEAD, head_upper); targets.len()];
        let mut links: Vec<Level> = vec![EMPTY_LEVEL; targets.len()];
        for i in (0..self.level).rev() {
            loop {
                // All the loads first, with no branch on what they return, so that the
                // processor has them in flight together; then the comparisons.
                for (l, &(x, x_upper)) in links.iter_mut().zip(&at) {
                    *l = if i == 0 { self.node(x).level0 } else { self.uppers[x_upper as usize + i - 1] };
                }
                let mut stepped = false;
                for ((x, x_upper), (l, &(score, member))) in at.iter_mut().zip(links.iter().zip(&targets)) {
                    if self.link_before(*l, score, member) {
                        *x = l.forward;
                        *x_upper = l.forward_upper;
                        stepped = true;
                    }
                }
                if !stepped {
                    break;
                }
            }
        }
        // The node each search ends before: the member's own node, or its successor.
        for &(x, _) in &at {
            let next = self.node(x).level0.forward;
            if next != NIL {
                seen = seen.wrapping_add(u32::from(self.node(next).height));
            }
        }
        std::hint::black_box(seen)
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
        let height = random_level();
        let upper = if height > 1 { self.alloc_upper(height - 1) } else { NIL };
        let node = Node::new(member, score, height, upper);
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
                self.link_of_mut(HEAD, i).span = linked;
            }
            self.level = height;
        }
        let x_upper = self.node(x).upper;
        for i in 0..height {
            let prev = self.link_of(update[i], i);
            *self.link_of_mut(x, i) = Level { span: prev.span - (rank[0] - rank[i]), ..prev };
            *self.link_of_mut(update[i], i) =
                Level { forward: x, span: (rank[0] - rank[i]) + 1, score, forward_upper: x_upper };
        }
        // Links above the node's height now skip one more element.
        for (i, &u) in update.iter().enumerate().take(self.level).skip(height) {
            self.link_of_mut(u, i).span += 1;
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
            let ul = self.link_of(u, i);
            if ul.forward == x {
                let xl = self.link_of(x, i);
                *self.link_of_mut(u, i) = Level { span: ul.span + xl.span - 1, ..xl };
            } else {
                let l = self.link_of_mut(u, i);
                l.span = l.span.saturating_sub(1);
            }
        }
        let (next, back) = (self.node(x).level0.forward, self.node(x).backward);
        if next != NIL {
            self.node_mut(next).backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.link_of(HEAD, self.level - 1).forward == NIL {
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
            // The moved node keeps its upper block, so only `forward` changes.
            for (i, &u) in update.iter().enumerate().take(height) {
                let l = self.link_of_mut(u, i);
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
        if node.height > 1 {
            self.free_upper(node.upper, node.height() - 1);
            self.compact_uppers();
        }
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
            let height = n.height();
            for (i, &u) in update.iter().enumerate().take(height) {
                self.link_of_mut(u, i).score = new;
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
                let l = self.link_of(x, i);
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
                let l = self.link_of(x, i);
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
                let l = self.link_of(x, i);
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
        // Upper blocks: every link of the arena belongs to exactly one live node's block or
        // one free block.
        let mut owner = vec![false; self.uppers.len()];
        let mut claim = |at: u32, len: usize| {
            for o in &mut owner[at as usize..at as usize + len] {
                assert!(!*o, "upper link in two blocks");
                *o = true;
            }
        };
        for n in &self.nodes {
            if n.height > 1 {
                claim(n.upper, n.height() - 1);
            } else {
                assert_eq!(n.upper, NIL);
            }
        }
        let mut free = 0;
        for (len, &head) in self.free_uppers.iter().enumerate() {
            let mut at = head;
            while at != NIL {
                claim(at, len);
                free += len;
                at = self.uppers[at as usize].forward;
            }
        }
        assert_eq!(free, self.upper_free);
        assert!(owner.iter().all(|&o| o), "upper link in no block");
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
                let l = self.link_of(x, i);
                if l.forward == NIL {
                    break;
                }
                assert_eq!(rank_of[l.forward as usize] - rank_of[x as usize], l.span as usize, "level {i}");
                assert_eq!(l.score.to_bits(), self.node(l.forward).score.to_bits(), "level {i} link score");
                if i > 0 {
                    assert_eq!(l.forward_upper, self.node(l.forward).upper, "level {i} link block");
                }
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
