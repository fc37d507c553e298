//! Sorted sets: [`ZSetValue`], encoded as Redis 7.0 encodes `OBJ_ZSET`.
//!
//! - `listpack`: while the set has at most `zset-max-listpack-entries` members, each at most
//!   `zset-max-listpack-value` bytes, its entries are packed in one sorted byte buffer
//!   (every operation a short linear walk, as a listpack is).
//! - `skiplist` (Redis's name, which OBJECT ENCODING keeps): past either limit the set
//!   converts, for good, to a B+tree that counts the elements under each child (O(log n)
//!   insert, remove, rank and rank lookup, with fewer cache misses than a skiplist) plus a
//!   member-to-score [`crate::Dict`] (O(1) score lookup, SCAN cursors and random sampling).
//!
//! The limits are the caller's (the command layer reads them from the configuration at
//! command time) and are passed to every operation that can grow the set, as
//! [`ZSetLimits`].
//!
//! Order is by score, then by member bytes (as `memcmp`, shorter first on a tie), with
//! `-0` equal to `0`. Scores are never NaN: callers refuse NaN before they get here.
//!
//! Everything is addressed by 0-based rank: a score or lex range becomes a rank interval
//! through [`ZSetValue::score_range_ranks`] / [`ZSetValue::lex_range_ranks`], and
//! [`ZSetValue::range`] walks any rank interval in either direction.

mod compact;
#[cfg(test)]
mod tests;
mod tree;

use compact::{Compact, CompactRange};
use tree::{RankTree, TreeIter};

/// The compact-encoding limits (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZSetLimits {
    /// At most this many members stay compact.
    pub max_entries: usize,
    /// Members longer than this many bytes force the skiplist encoding.
    pub max_value: usize,
}

impl Default for ZSetLimits {
    /// Redis 7.0's defaults: 128 entries of up to 64 bytes.
    fn default() -> Self {
        ZSetLimits { max_entries: 128, max_value: 64 }
    }
}

impl ZSetLimits {
    /// Whether `count` members, the longest `max_len` bytes, fit the compact encoding.
    pub fn fits_compact(&self, count: usize, max_len: usize) -> bool {
        count <= self.max_entries && max_len <= self.max_value
    }
}

/// A score interval, as ZRANGEBYSCORE's `min` and `max` give it (`(` makes an end
/// exclusive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    /// The lower end.
    pub min: f64,
    /// Whether the lower end is excluded.
    pub min_exclusive: bool,
    /// The upper end.
    pub max: f64,
    /// Whether the upper end is excluded.
    pub max_exclusive: bool,
}

impl ScoreRange {
    /// Whether `score` is at or above the lower end (Redis's `zslValueGteMin`).
    pub fn above_min(&self, score: f64) -> bool {
        if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        }
    }

    /// Whether `score` is at or below the upper end (Redis's `zslValueLteMax`).
    pub fn below_max(&self, score: f64) -> bool {
        if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        }
    }
}

/// One end of a lexicographic range: `-`, `+`, `[member` or `(member`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    /// `[member`: inclusive.
    Inclusive(Vec<u8>),
    /// `(member`: exclusive.
    Exclusive(Vec<u8>),
}

impl LexBound {
    /// Compares `member` with this bound: `Less` if the member sorts before it.
    fn cmp_member(&self, member: &[u8]) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match self {
            LexBound::Min => Ordering::Greater,
            LexBound::Max => Ordering::Less,
            LexBound::Inclusive(b) | LexBound::Exclusive(b) => member.cmp(b.as_slice()),
        }
    }

    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Inclusive(_))
    }
}

/// A lexicographic interval, as ZRANGEBYLEX's `min` and `max` give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    /// The lower end.
    pub min: LexBound,
    /// The upper end.
    pub max: LexBound,
}

impl LexRange {
    /// Whether `member` is at or above the lower end (Redis's `zslLexValueGteMin`).
    pub fn above_min(&self, member: &[u8]) -> bool {
        let c = self.min.cmp_member(member);
        if self.min.exclusive() {
            c.is_gt()
        } else {
            c.is_ge()
        }
    }

    /// Whether the range is empty whatever the set holds: its minimum above its maximum,
    /// or equal to it with an end excluded (Redis's `sdscmplex` test).
    pub fn is_empty_range(&self) -> bool {
        use std::cmp::Ordering;
        let cmp = match (&self.min, &self.max) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Ordering::Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
            (LexBound::Inclusive(a) | LexBound::Exclusive(a), LexBound::Inclusive(b) | LexBound::Exclusive(b)) => {
                a.cmp(b)
            }
        };
        cmp.is_gt() || (cmp.is_eq() && (self.min.exclusive() || self.max.exclusive()))
    }

    /// Whether `member` is at or below the upper end (Redis's `zslLexValueLteMax`).
    pub fn below_max(&self, member: &[u8]) -> bool {
        let c = self.max.cmp_member(member);
        if self.max.exclusive() {
            c.is_lt()
        } else {
            c.is_le()
        }
    }
}

#[derive(Clone)]
enum Repr {
    Compact(Compact),
    Tree(RankTree),
}

/// A sorted set value. See the [module documentation](self).
#[derive(Clone)]
pub struct ZSetValue {
    repr: Repr,
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue::new()
    }
}

impl std::fmt::Debug for ZSetValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZSetValue").field("encoding", &self.encoding_name()).field("len", &self.len()).finish()
    }
}

impl PartialEq for ZSetValue {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.iter().zip(other.iter()).all(|((m1, s1), (m2, s2))| m1 == m2 && s1.to_bits() == s2.to_bits())
    }
}

impl ZSetValue {
    /// An empty set, compact.
    pub fn new() -> ZSetValue {
        ZSetValue { repr: Repr::Compact(Compact::default()) }
    }

    /// An empty set in the encoding Redis gives a new key whose first member is
    /// `first_member_len` bytes long: compact unless the limits allow no compact set.
    pub fn for_first_member(first_member_len: usize, limits: ZSetLimits) -> ZSetValue {
        if limits.max_entries == 0 || first_member_len > limits.max_value {
            ZSetValue { repr: Repr::Tree(RankTree::new()) }
        } else {
            ZSetValue::new()
        }
    }

    /// A set holding `entries` (member, score), in the encoding their count and longest
    /// member call for. A member given twice keeps its last score. Scores must not be NaN.
    pub fn from_entries(mut entries: Vec<(Vec<u8>, f64)>, limits: ZSetLimits) -> ZSetValue {
        // Keep the last occurrence of each member: stable sort by member, then keep the
        // last of each run.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut unique: Vec<(Vec<u8>, f64)> = Vec::with_capacity(entries.len());
        for e in entries {
            match unique.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => unique.push(e),
            }
        }
        unique.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
        let max_len = unique.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if limits.fits_compact(unique.len(), max_len) {
            ZSetValue { repr: Repr::Compact(Compact::from_sorted(unique.iter().map(|(m, s)| (m.as_slice(), *s)))) }
        } else {
            let mut list = RankTree::new();
            for (m, s) in &unique {
                list.insert(m, *s);
            }
            ZSetValue { repr: Repr::Tree(list) }
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Compact(c) => c.len(),
            Repr::Tree(s) => s.len(),
        }
    }

    /// Whether it holds no member (an empty collection is deleted by the command layer).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes owned, maintained incrementally (O(1)).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Compact(c) => c.heap_bytes(),
            Repr::Tree(s) => s.heap_bytes(),
        }
    }

    /// OBJECT ENCODING name: `listpack` or `skiplist`.
    pub fn encoding_name(&self) -> &'static str {
        match &self.repr {
            Repr::Compact(_) => "listpack",
            Repr::Tree(_) => "skiplist",
        }
    }

    /// Whether the set uses the compact encoding.
    pub fn is_compact(&self) -> bool {
        matches!(self.repr, Repr::Compact(_))
    }

    /// The score of `member`. O(1) for a skiplist set.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Compact(c) => c.score(member),
            Repr::Tree(s) => s.score(member),
        }
    }

    /// The 0-based rank of `member` in ascending order. O(log n) for a skiplist set.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Compact(c) => c.rank(member),
            Repr::Tree(s) => s.rank(member),
        }
    }

    /// Converts to the skiplist encoding.
    fn convert_to_skiplist(&mut self) {
        if let Repr::Compact(c) = &self.repr {
            let mut tree = RankTree::new();
            for (m, s) in c.iter() {
                tree.insert(m, s);
            }
            self.repr = Repr::Tree(tree);
        }
    }

    /// Sets the score of `member`, adding it if absent (converting to the skiplist encoding
    /// first if the addition would break `limits`). Returns the previous score. Setting
    /// the score a member already has (`==`, so `-0` and `0` alike) changes nothing.
    /// `score` must not be NaN.
    pub fn set_score(&mut self, member: &[u8], score: f64, limits: ZSetLimits) -> Option<f64> {
        debug_assert!(!score.is_nan(), "NaN score");
        match &mut self.repr {
            Repr::Compact(c) => {
                if let Some(old) = c.score(member) {
                    if old != score {
                        c.update_score(member, score);
                    }
                    return Some(old);
                }
                if c.len() >= limits.max_entries || member.len() > limits.max_value {
                    self.convert_to_skiplist();
                    if let Repr::Tree(s) = &mut self.repr {
                        s.insert(member, score);
                    }
                } else {
                    c.insert(member, score);
                }
                None
            }
            Repr::Tree(s) => {
                if let Some(old) = s.score(member) {
                    if old != score {
                        s.update_score(member, old, score);
                    }
                    return Some(old);
                }
                s.insert(member, score);
                None
            }
        }
    }

    /// Looks `member` up once and, when `decide(its score, or None if absent)` gives a
    /// score, sets it as [`ZSetValue::set_score`] does (adding the member, converting first
    /// if the addition would break `limits`). Returns the score it had. For ZADD, whose
    /// options decide from the current score; `decide` must not give NaN.
    pub fn upsert(
        &mut self,
        member: &[u8],
        limits: ZSetLimits,
        decide: impl FnOnce(Option<f64>) -> Option<f64>,
    ) -> Option<f64> {
        match &mut self.repr {
            Repr::Tree(s) => s.upsert(member, decide),
            Repr::Compact(c) => {
                let old = c.score(member);
                if let Some(new) = decide(old) {
                    debug_assert!(!new.is_nan(), "NaN score");
                    self.set_score(member, new, limits);
                }
                old
            }
        }
    }

    /// Warms the cache for setting the scores of `items` (member, new score), as a batch of
    /// pipelined ZADDs is about to: see the tree's `warm`. Does nothing for a compact
    /// set, which is small. Read-only; at most [`crate::dict::WARM_MAX`] items are used.
    pub fn warm(&self, items: &[(&[u8], f64)]) {
        if let Repr::Tree(s) = &self.repr {
            s.warm(items);
        }
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Compact(c) => c.remove(member),
            Repr::Tree(s) => s.remove(member),
        }
    }

    /// Number of leading members (in ascending order) for which `pred(member, score)`
    /// holds; `pred` should hold for a prefix of the order. O(log n) for a skiplist set.
    pub fn partition_point(&self, pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        match &self.repr {
            Repr::Compact(c) => c.partition_point(pred),
            Repr::Tree(s) => s.partition_point(pred),
        }
    }

    /// The ranks `start..end` of the members whose score is in `range` (empty when
    /// `end <= start`).
    pub fn score_range_ranks(&self, range: &ScoreRange) -> (usize, usize) {
        let start = self.partition_point(|_, s| !range.above_min(s));
        let end = self.partition_point(|_, s| range.below_max(s));
        (start, end.max(start))
    }

    /// The ranks `start..end` of the members in the lexicographic `range`, for a walk in
    /// ascending order, or descending when `rev` (empty when `end <= start`).
    ///
    /// Lex ranges are meaningful when all scores are equal. When they are not, the result
    /// is Redis's: for a compact set, the listpack walk (from the first member at or above
    /// the minimum while at or below the maximum, or, when `rev`, from the last member at
    /// or below the maximum while at or above the minimum); for a skiplist set, its two
    /// O(log n) searches.
    pub fn lex_range_ranks(&self, range: &LexRange, rev: bool) -> (usize, usize) {
        let len = self.len();
        let (Some((first, _)), Some((last, _))) = (self.get_by_rank(0), self.get_by_rank(len.saturating_sub(1))) else {
            return (0, 0);
        };
        // Redis's zslIsInLexRange: ranges that are always empty, or miss the set entirely.
        if range.is_empty_range() || !range.above_min(last) || !range.below_max(first) {
            return (0, 0);
        }
        match &self.repr {
            Repr::Compact(c) => {
                let members: Vec<&[u8]> = c.iter().map(|(m, _)| m).collect();
                if rev {
                    let Some(hi) = members.iter().rposition(|m| range.below_max(m)) else {
                        return (0, 0);
                    };
                    let n = members[..=hi].iter().rev().take_while(|m| range.above_min(m)).count();
                    (hi + 1 - n, hi + 1)
                } else {
                    let Some(lo) = members.iter().position(|m| range.above_min(m)) else {
                        return (0, 0);
                    };
                    let n = members[lo..].iter().take_while(|m| range.below_max(m)).count();
                    (lo, lo + n)
                }
            }
            Repr::Tree(_) => {
                let start = self.partition_point(|m, _| !range.above_min(m));
                let end = self.partition_point(|m, _| range.below_max(m));
                (start, end.max(start))
            }
        }
    }

    /// The member and score at 0-based `rank`.
    pub fn get_by_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Compact(c) => c.get(rank),
            Repr::Tree(s) => s.get(rank),
        }
    }

    /// Iterates over the members at ranks `start..end` (clamped to the set), in ascending
    /// order, or descending from `end - 1` down to `start` when `rev`. Finding the first
    /// member is O(log n) for a skiplist set; each next one is O(1).
    pub fn range(&self, start: usize, end: usize, rev: bool) -> Range<'_> {
        Range(match &self.repr {
            Repr::Compact(c) => RangeInner::Compact(c.range(start, end, rev)),
            Repr::Tree(s) => RangeInner::Tree(s.range(start, end, rev)),
        })
    }

    /// Iterates over every member in ascending order.
    pub fn iter(&self) -> Range<'_> {
        self.range(0, self.len(), false)
    }

    /// Removes the members at ranks `start..end`; returns how many were removed.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        match &mut self.repr {
            Repr::Compact(c) => c.remove_range(start, end),
            Repr::Tree(s) => s.remove_range(start, end),
        }
    }

    /// Removes and returns the member with the lowest score (ZPOPMIN, BZPOPMIN).
    pub fn pop_min(&mut self) -> Option<(Vec<u8>, f64)> {
        match &mut self.repr {
            Repr::Compact(c) => c.pop(false),
            Repr::Tree(s) => s.pop(false),
        }
    }

    /// Removes and returns the member with the highest score (ZPOPMAX, BZPOPMAX).
    pub fn pop_max(&mut self) -> Option<(Vec<u8>, f64)> {
        match &mut self.repr {
            Repr::Compact(c) => c.pop(true),
            Repr::Tree(s) => s.pop(true),
        }
    }

    /// A uniformly random member and its score: O(1) for a skiplist set, a walk for a
    /// compact one.
    pub fn random_entry(&self) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Compact(c) => {
                if c.len() == 0 {
                    None
                } else {
                    c.get(fastrand::usize(..c.len()))
                }
            }
            Repr::Tree(s) => s.random_entry(),
        }
    }

    /// One ZSCAN step from `cursor`: calls `f(member, score)` for the members visited and
    /// returns the next cursor (0 when done). A compact set is returned whole in one step;
    /// a skiplist set visits buckets of its member table until about `count` members were
    /// seen (at most `10 * count` buckets), as Redis does.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match &self.repr {
            Repr::Compact(c) => {
                for (m, s) in c.iter() {
                    f(m, s);
                }
                0
            }
            Repr::Tree(s) => {
                let count = count.max(1);
                let mut budget = count.saturating_mul(10);
                let mut seen = 0usize;
                let mut cursor = cursor;
                loop {
                    cursor = s.scan(cursor, |m, &score| {
                        seen += 1;
                        f(m, score);
                    });
                    if cursor == 0 || budget == 0 || seen >= count {
                        return cursor;
                    }
                    budget -= 1;
                }
            }
        }
    }
}

enum RangeInner<'a> {
    Compact(CompactRange<'a>),
    Tree(TreeIter<'a>),
}

/// An iterator over a rank range of a [`ZSetValue`]: `(member, score)` pairs.
pub struct Range<'a>(RangeInner<'a>);

impl<'a> Iterator for Range<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            RangeInner::Compact(it) => it.next(),
            RangeInner::Tree(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            RangeInner::Compact(it) => it.size_hint(),
            RangeInner::Tree(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Range<'_> {}
