//! The list type: a sequence of byte strings with O(1) pushes and pops at both ends.
//!
//! Stored like Redis's quicklist: elements are packed back to back in nodes of about
//! [`NODE_BYTES`] (Redis's default `list-max-listpack-size -2`, 8 KiB), each element
//! with two bytes of overhead when short, and an element that is a canonical decimal
//! integer stored in binary as listpacks do (see `node.rs` for the encoding); reads hand out
//! an [`Elem`]: borrowed bytes, or such an integer. A list that fits in one node is that one
//! buffer and nothing else; a longer one is a deque of nodes. An element larger than a node
//! gets a node of its own (Redis's "plain" node). The node size is fixed: the
//! `list-max-listpack-size` and `list-compress-depth` settings are not consulted (nodes are
//! never compressed).
//!
//! Positional access (LINDEX, LSET, LINSERT, LRANGE's start) walks the node counts from the
//! nearer end of the list, then scans one node from its nearer end: no per-element
//! allocation, and O(nodes + node size) rather than O(n) elements.
//!
//! OBJECT ENCODING reports `quicklist` for every list, as Redis 7.0 does.
//!
//! Heap use is maintained incrementally ([`ListValue::heap_bytes`] is O(1)); every change
//! to a node goes through one place that records its capacity before and after.

mod node;
#[cfg(test)]
mod tests;

use crate::mem::alloc_size;
use node::{read_back, read_fwd, Enc, Node};

pub use node::Elem;
use std::collections::VecDeque;

/// The size a node may grow to before the next element starts a new one.
pub const NODE_BYTES: usize = 8 * 1024;

/// The nodes: one inline node for a short list (empty, with no allocation, when the list
/// is), a deque of two or more non-empty nodes for a longer one.
#[derive(Clone)]
enum Nodes {
    One(Node),
    Many(VecDeque<Node>),
}

impl Nodes {
    /// Number of non-empty nodes.
    fn count(&self) -> usize {
        match self {
            Nodes::One(n) => usize::from(n.count > 0),
            Nodes::Many(d) => d.len(),
        }
    }

    fn get(&self, i: usize) -> &Node {
        match self {
            Nodes::One(n) => n,
            Nodes::Many(d) => &d[i],
        }
    }

    fn get_mut(&mut self, i: usize) -> &mut Node {
        match self {
            Nodes::One(n) => n,
            Nodes::Many(d) => &mut d[i],
        }
    }

    /// Heap bytes of the deque itself (the nodes' buffers are counted apart).
    fn spine_heap(&self) -> usize {
        match self {
            Nodes::One(_) => 0,
            Nodes::Many(d) => alloc_size(d.capacity() * std::mem::size_of::<Node>()),
        }
    }

    fn insert(&mut self, i: usize, node: Node) {
        match self {
            Nodes::One(n) if n.count == 0 => *n = node,
            Nodes::One(n) => {
                let first = std::mem::take(n);
                let mut d = VecDeque::with_capacity(4);
                d.push_back(first);
                d.insert(i, node);
                *self = Nodes::Many(d);
            }
            Nodes::Many(d) => d.insert(i, node),
        }
    }

    fn remove(&mut self, i: usize) -> Node {
        match self {
            Nodes::One(n) => std::mem::take(n),
            Nodes::Many(d) => {
                let node = d.remove(i).unwrap_or_default();
                if d.len() == 1 {
                    let last = d.pop_front().unwrap_or_default();
                    *self = Nodes::One(last);
                } else if d.capacity() > 16 && d.len() <= d.capacity() / 4 {
                    d.shrink_to(d.len() * 2);
                }
                node
            }
        }
    }
}

/// A list value.
pub struct ListValue {
    nodes: Nodes,
    /// Elements in all nodes.
    len: usize,
    /// Heap bytes of all node buffers.
    node_heap: usize,
}

impl Default for ListValue {
    fn default() -> Self {
        ListValue::new()
    }
}

impl Clone for ListValue {
    fn clone(&self) -> Self {
        // A clone's buffers are allocated to size: measure them again.
        let nodes = self.nodes.clone();
        let node_heap = (0..nodes.count()).map(|i| nodes.get(i).heap()).sum();
        ListValue { nodes, len: self.len, node_heap }
    }
}

impl PartialEq for ListValue {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for ListValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(|e| e.with_bytes(|b| String::from_utf8_lossy(b).into_owned()))).finish()
    }
}

impl<'a> FromIterator<&'a [u8]> for ListValue {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(iter: I) -> Self {
        let mut list = ListValue::new();
        for e in iter {
            list.push_back(e);
        }
        list
    }
}

impl<'a> FromIterator<Elem<'a>> for ListValue {
    fn from_iter<I: IntoIterator<Item = Elem<'a>>>(iter: I) -> Self {
        let mut list = ListValue::new();
        for e in iter {
            e.with_bytes(|b| list.push_back(b));
        }
        list
    }
}

impl ListValue {
    /// An empty list. Allocates nothing.
    pub fn new() -> ListValue {
        ListValue { nodes: Nodes::One(Node::default()), len: 0, node_heap: 0 }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no element (an empty collection is deleted by the command layer).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes owned, maintained incrementally (O(1)).
    pub fn heap_bytes(&self) -> usize {
        self.node_heap + self.nodes.spine_heap()
    }

    /// OBJECT ENCODING name: Redis 7.0 reports `quicklist` for every list.
    pub fn encoding_name(&self) -> &'static str {
        "quicklist"
    }

    /// Number of packed nodes (0 for an empty list).
    pub fn node_count(&self) -> usize {
        self.nodes.count()
    }

    /// Resolves a Redis index (negative counts from the tail, -1 the last element) to a
    /// position, or `None` when out of range.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = self.len as i64;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    // -----------------------------------------------------------------------------------
    // Reading
    // -----------------------------------------------------------------------------------

    /// The element at `index` (0 is the head).
    pub fn get(&self, index: usize) -> Option<Elem<'_>> {
        let (ni, k) = self.locate(index)?;
        let node = self.nodes.get(ni);
        Some(node.at(node.offset_of(k)).0)
    }

    /// The first element.
    pub fn front(&self) -> Option<Elem<'_>> {
        if self.len == 0 {
            return None;
        }
        Some(self.nodes.get(0).at(0).0)
    }

    /// The last element.
    pub fn back(&self) -> Option<Elem<'_>> {
        if self.len == 0 {
            return None;
        }
        let node = self.nodes.get(self.nodes.count() - 1);
        Some(read_back(&node.buf, node.bytes()).1)
    }

    /// All elements, head to tail (reversible with `.rev()`).
    pub fn iter(&self) -> Iter<'_> {
        self.range(0, self.len)
    }

    /// The elements at positions `start..end` (clamped to the list), head to tail; `.rev()`
    /// walks them from `end - 1` down.
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        let end = end.min(self.len);
        let mut it = Iter { nodes: &self.nodes, fi: 0, foff: 0, bi: 0, boff: 0, remaining: 0 };
        if start >= end {
            return it;
        }
        let Some((fi, fk)) = self.locate(start) else {
            return it;
        };
        let (bi, boff) = if end == self.len {
            let last = self.nodes.count() - 1;
            (last, self.nodes.get(last).bytes())
        } else {
            match self.locate(end) {
                Some((bi, bk)) => (bi, self.nodes.get(bi).offset_of(bk)),
                None => return it,
            }
        };
        it.fi = fi;
        it.foff = self.nodes.get(fi).offset_of(fk);
        it.bi = bi;
        it.boff = boff;
        it.remaining = end - start;
        it
    }

    /// The position of the first element equal to `elem`, from the head.
    pub fn position(&self, elem: &[u8]) -> Option<usize> {
        let key = Enc::of(elem).key();
        let mut base = 0;
        for ni in 0..self.nodes.count() {
            let node = self.nodes.get(ni);
            let mut off = 0;
            for k in 0..node.len() {
                let (hit, next) = node.matches_at(off, &key);
                if hit {
                    return Some(base + k);
                }
                off = next;
            }
            base += node.len();
        }
        None
    }

    /// The node holding position `index`, and the position within it.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        let n = self.nodes.count();
        if index < self.len / 2 {
            let mut i = index;
            for ni in 0..n {
                let c = self.nodes.get(ni).len();
                if i < c {
                    return Some((ni, i));
                }
                i -= c;
            }
        } else {
            let mut from_end = self.len - index;
            for ni in (0..n).rev() {
                let c = self.nodes.get(ni).len();
                if from_end <= c {
                    return Some((ni, c - from_end));
                }
                from_end -= c;
            }
        }
        None
    }

    // -----------------------------------------------------------------------------------
    // Node bookkeeping: every change to a node's buffer goes through `edit`, every node
    // added or dropped through `insert_node` / `remove_node`, so `node_heap` stays exact.
    // -----------------------------------------------------------------------------------

    fn edit<R>(&mut self, i: usize, f: impl FnOnce(&mut Node) -> R) -> R {
        let node = self.nodes.get_mut(i);
        let before = node.heap();
        let r = f(node);
        let after = node.heap();
        self.node_heap = self.node_heap - before + after;
        r
    }

    fn insert_node(&mut self, i: usize, node: Node) {
        self.node_heap += node.heap();
        self.nodes.insert(i, node);
    }

    fn remove_node(&mut self, i: usize) -> Node {
        let node = self.nodes.remove(i);
        self.node_heap -= node.heap();
        node
    }

    /// Whether an entry of `sz` bytes may join node `i`.
    fn fits(&self, i: usize, sz: usize) -> bool {
        self.nodes.get(i).bytes() + sz <= NODE_BYTES
    }

    /// Merges node `i + 1` into node `i` when both exist and together fit in a node.
    fn try_merge(&mut self, i: usize) -> bool {
        if i + 1 >= self.nodes.count() || self.nodes.get(i).bytes() + self.nodes.get(i + 1).bytes() > NODE_BYTES {
            return false;
        }
        let right = self.remove_node(i + 1);
        self.edit(i, |n| n.append(&right));
        true
    }

    /// Merges every run of adjacent nodes that fit together.
    fn compact(&mut self) {
        let mut i = 0;
        while i + 1 < self.nodes.count() {
            if !self.try_merge(i) {
                i += 1;
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Writing
    // -----------------------------------------------------------------------------------

    /// Adds `elem` at the tail.
    pub fn push_back(&mut self, elem: &[u8]) {
        let enc = Enc::of(elem);
        let n = self.nodes.count();
        if n > 0 && self.fits(n - 1, enc.size()) {
            self.edit(n - 1, |node| node.insert_at(node.bytes(), &enc));
        } else {
            if n > 0 {
                self.edit(n - 1, Node::seal);
            }
            self.insert_node(n, Node::with(&enc));
        }
        self.len += 1;
    }

    /// Adds `elem` at the head.
    pub fn push_front(&mut self, elem: &[u8]) {
        let enc = Enc::of(elem);
        let n = self.nodes.count();
        if n > 0 && self.fits(0, enc.size()) {
            self.edit(0, |node| node.insert_at(0, &enc));
        } else {
            if n > 0 {
                self.edit(0, Node::seal);
            }
            self.insert_node(0, Node::with(&enc));
        }
        self.len += 1;
    }

    /// Removes the head element and hands it to `f` (no copy is made); `None` if empty.
    pub fn pop_front_with<R>(&mut self, f: impl FnOnce(Elem<'_>) -> R) -> Option<R> {
        if self.len == 0 {
            return None;
        }
        let r = self.edit(0, |node| {
            let (elem, next) = node.at(0);
            let r = f(elem);
            node.remove(0..next, 1);
            r
        });
        self.after_removal(0, 1);
        Some(r)
    }

    /// Removes the tail element and hands it to `f` (no copy is made); `None` if empty.
    pub fn pop_back_with<R>(&mut self, f: impl FnOnce(Elem<'_>) -> R) -> Option<R> {
        if self.len == 0 {
            return None;
        }
        let last = self.nodes.count() - 1;
        let r = self.edit(last, |node| {
            let end = node.bytes();
            let (start, elem) = read_back(&node.buf, end);
            let r = f(elem);
            node.remove(start..end, 1);
            r
        });
        self.after_removal(last, 1);
        Some(r)
    }

    /// Removes and returns the head element.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        self.pop_front_with(|e| e.to_vec())
    }

    /// Removes and returns the tail element.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        self.pop_back_with(|e| e.to_vec())
    }

    /// Accounts for `n` elements removed from node `i`, dropping the node if now empty.
    fn after_removal(&mut self, i: usize, n: usize) {
        self.len -= n;
        if self.nodes.get(i).count == 0 {
            self.remove_node(i);
        }
    }

    /// Replaces the element at `index`; false if out of range.
    pub fn set(&mut self, index: usize, elem: &[u8]) -> bool {
        let Some((ni, k)) = self.locate(index) else {
            return false;
        };
        let enc = Enc::of(elem);
        let node = self.nodes.get(ni);
        let off = node.offset_of(k);
        let next = node.skip(off, 1);
        let grown = node.bytes() - (next - off) + enc.size();
        if node.count == 1 || grown <= NODE_BYTES {
            self.edit(ni, |n| n.replace(off..next, &enc));
        } else {
            // Too big for its node: take the old one out and insert, which splits the node.
            self.edit(ni, |n| n.remove(off..next, 1));
            self.len -= 1;
            self.insert(index, elem);
        }
        true
    }

    /// Inserts `elem` so that it ends up at position `index` (`index == len` appends);
    /// false if `index > len`.
    pub fn insert(&mut self, index: usize, elem: &[u8]) -> bool {
        if index > self.len {
            return false;
        }
        if index == 0 {
            self.push_front(elem);
            return true;
        }
        if index == self.len {
            self.push_back(elem);
            return true;
        }
        let Some((ni, k)) = self.locate(index) else {
            return false;
        };
        let enc = Enc::of(elem);
        let sz = enc.size();
        if k == 0 {
            // Between two nodes: join the end of the previous one, or the start of this one,
            // or sit in a node of its own between them.
            if self.fits(ni - 1, sz) {
                self.edit(ni - 1, |n| n.insert_at(n.bytes(), &enc));
            } else if self.fits(ni, sz) {
                self.edit(ni, |n| n.insert_at(0, &enc));
            } else {
                self.insert_node(ni, Node::with(&enc));
            }
        } else if self.fits(ni, sz) {
            self.edit(ni, |n| {
                let off = n.offset_of(k);
                n.insert_at(off, &enc);
            });
        } else {
            // A full node: split it where the element goes.
            let mut right = self.edit(ni, |n| {
                let off = n.offset_of(k);
                n.split_off(off, k)
            });
            if self.fits(ni, sz) {
                self.edit(ni, |n| n.insert_at(n.bytes(), &enc));
                self.insert_node(ni + 1, right);
            } else if right.bytes() + sz <= NODE_BYTES {
                right.insert_at(0, &enc);
                self.insert_node(ni + 1, right);
            } else {
                self.insert_node(ni + 1, Node::with(&enc));
                self.insert_node(ni + 2, right);
            }
        }
        self.len += 1;
        true
    }

    /// Removes the element at `index`; false if out of range.
    pub fn remove(&mut self, index: usize) -> bool {
        self.remove_range(index, 1) == 1
    }

    /// Removes up to `count` elements from position `start` on; returns how many went.
    /// Whole nodes in the range are dropped without being read.
    pub fn remove_range(&mut self, start: usize, count: usize) -> usize {
        if start >= self.len || count == 0 {
            return 0;
        }
        let total = count.min(self.len - start);
        let Some((mut ni, mut k)) = self.locate(start) else {
            return 0;
        };
        let first = ni;
        let mut left = total;
        while left > 0 {
            let c = self.nodes.get(ni).len();
            let take = left.min(c - k);
            if k == 0 && take == c {
                self.remove_node(ni);
            } else {
                self.edit(ni, |n| {
                    let a = n.offset_of(k);
                    let b = if k + take == c { n.bytes() } else { n.skip(a, take) };
                    n.remove(a..b, take);
                });
                ni += 1;
            }
            k = 0;
            left -= take;
        }
        self.len -= total;
        // Nodes cut short at either edge of the range may now fit together.
        for i in (first.saturating_sub(1)..=ni).rev() {
            self.try_merge(i);
        }
        total
    }

    /// Keeps only the positions `start..end` (clamped); LTRIM.
    pub fn retain_range(&mut self, start: usize, end: usize) {
        let end = end.min(self.len);
        if start >= end {
            self.clear();
            return;
        }
        self.remove_range(end, self.len - end);
        self.remove_range(0, start);
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        *self = ListValue::new();
    }

    /// Removes elements equal to `elem`: the first `limit` from the head, or the last
    /// `limit` with `from_back`; `limit` 0 removes them all. Returns how many went (LREM).
    pub fn remove_matching(&mut self, elem: &[u8], limit: usize, from_back: bool) -> usize {
        let want = if limit == 0 { usize::MAX } else { limit };
        let key = Enc::of(elem).key();
        let mut removed = 0;
        if from_back {
            let mut ni = self.nodes.count();
            while ni > 0 && removed < want {
                ni -= 1;
                let r = self.edit(ni, |n| n.remove_matching(&key, want - removed, true));
                removed += r;
                self.after_removal(ni, r);
            }
        } else {
            let mut ni = 0;
            while ni < self.nodes.count() && removed < want {
                let r = self.edit(ni, |n| n.remove_matching(&key, want - removed, false));
                removed += r;
                self.len -= r;
                if self.nodes.get(ni).count == 0 {
                    self.remove_node(ni);
                } else {
                    ni += 1;
                }
            }
        }
        if removed > 0 {
            self.compact();
        }
        removed
    }
}

/// An iterator over a run of a list's elements, from either end.
pub struct Iter<'a> {
    nodes: &'a Nodes,
    fi: usize,
    foff: usize,
    bi: usize,
    boff: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    fn next(&mut self) -> Option<Elem<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let mut node = self.nodes.get(self.fi);
        while self.foff >= node.bytes() {
            self.fi += 1;
            self.foff = 0;
            node = self.nodes.get(self.fi);
        }
        let (elem, next) = read_fwd(&node.buf, self.foff);
        self.foff = next;
        self.remaining -= 1;
        Some(elem)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<Elem<'a>> {
        if self.remaining == 0 {
            return None;
        }
        while self.boff == 0 {
            self.bi -= 1;
            self.boff = self.nodes.get(self.bi).bytes();
        }
        let node = self.nodes.get(self.bi);
        let (start, elem) = read_back(&node.buf, self.boff);
        self.boff = start;
        self.remaining -= 1;
        Some(elem)
    }
}

impl ExactSizeIterator for Iter<'_> {}
