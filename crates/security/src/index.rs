//! The command index: a stable number for every command and subcommand of the one command
//! table, so that a user's permissions are a bitmap and the command part of a permission
//! check is one bit test.
//!
//! The index is built once from [`redoubt_commands::table::all`] (the original table, before
//! any `rename-command`, as Redis's ACLs use `server.orig_commands`). Numbers follow the
//! table's order: each top-level command, then its subcommands. That order is also the order
//! in which ACL LIST describes single commands.

use redoubt_commands::spec::{AclCats, CommandSpec};
use redoubt_commands::table;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The number of a command in the index.
pub(crate) type CmdId = usize;

/// A set of command numbers.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Bits(Vec<u64>);

impl Bits {
    /// No command, for an index of `n` commands.
    pub(crate) fn empty(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64).max(1)])
    }

    /// Every command of an index of `n` commands.
    pub(crate) fn full(n: usize) -> Bits {
        let mut b = Bits::empty(n);
        for id in 0..n {
            b.set(id, true);
        }
        b
    }

    /// Whether `id` is in the set.
    #[inline]
    pub(crate) fn get(&self, id: CmdId) -> bool {
        self.0.get(id / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Adds or removes `id`.
    pub(crate) fn set(&mut self, id: CmdId, on: bool) {
        if let Some(w) = self.0.get_mut(id / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
            }
        }
    }

    /// Adds every member of `other`.
    pub(crate) fn union_with(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    /// Removes every member of `other`.
    pub(crate) fn subtract(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= !b;
        }
    }

    /// How many members of `self` are also in `other`.
    pub(crate) fn count_common(&self, other: &Bits) -> usize {
        self.0.iter().zip(&other.0).map(|(a, b)| (a & b).count_ones() as usize).sum()
    }

    /// Number of members.
    pub(crate) fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

/// One command or subcommand of the index.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Its table entry.
    pub(crate) spec: &'static CommandSpec,
    /// `name`, or `container|name` for a subcommand.
    pub(crate) fullname: String,
    /// The container, for a subcommand.
    pub(crate) parent: Option<CmdId>,
    /// The subcommands, for a container.
    pub(crate) children: Vec<CmdId>,
}

/// Every command and subcommand, numbered, with per-category sets.
#[derive(Debug)]
pub struct CommandIndex {
    pub(crate) entries: Vec<Entry>,
    by_name: HashMap<String, CmdId>,
    by_addr: redoubt_commands::table::TableMap<usize, CmdId>,
    /// Per category (in [`AclCats::NAMES`] order): the commands whose own categories have it
    /// (what ACL CAT lists and what ACL LIST's description counts).
    pub(crate) members: Vec<Bits>,
    /// Per category: the commands `+@cat` turns on. A container in the category brings all
    /// its subcommands along, as Redis's `ACLChangeSelectorPerm` does.
    pub(crate) apply: Vec<Bits>,
    /// Per category: the top-level commands in it (their first-arg rules are reset by `±@cat`).
    pub(crate) tops: Vec<Vec<CmdId>>,
}

impl CommandIndex {
    /// The index of the server's command table, built on first use.
    pub fn global() -> &'static CommandIndex {
        static INDEX: OnceLock<CommandIndex> = OnceLock::new();
        INDEX.get_or_init(|| CommandIndex::build(table::all()))
    }

    /// Builds an index of the given top-level commands (and their subcommands).
    pub fn build(commands: impl IntoIterator<Item = &'static CommandSpec>) -> CommandIndex {
        let mut entries: Vec<Entry> = Vec::new();
        for spec in commands {
            let top = entries.len();
            entries.push(Entry { spec, fullname: spec.name.to_string(), parent: None, children: Vec::new() });
            for sub in spec.subcommands {
                let id = entries.len();
                entries.push(Entry {
                    spec: sub,
                    fullname: format!("{}|{}", spec.name, sub.name),
                    parent: Some(top),
                    children: Vec::new(),
                });
                entries[top].children.push(id);
            }
        }
        let n = entries.len();
        let mut by_name = HashMap::with_capacity(n);
        let mut by_addr = redoubt_commands::table::TableMap::with_capacity_and_hasher(n, Default::default());
        for (id, e) in entries.iter().enumerate() {
            by_name.insert(e.fullname.to_ascii_lowercase(), id);
            by_addr.insert(e.spec as *const CommandSpec as usize, id);
        }
        let ncats = AclCats::NAMES.len();
        let mut members = vec![Bits::empty(n); ncats];
        let mut apply = vec![Bits::empty(n); ncats];
        let mut tops = vec![Vec::new(); ncats];
        for (c, (flag, _)) in AclCats::NAMES.iter().enumerate() {
            for (id, e) in entries.iter().enumerate() {
                if !e.spec.categories().contains(*flag) {
                    continue;
                }
                members[c].set(id, true);
                apply[c].set(id, true);
                for &child in &e.children {
                    apply[c].set(child, true);
                }
                if e.parent.is_none() {
                    tops[c].push(id);
                }
            }
        }
        CommandIndex { entries, by_name, by_addr, members, apply, tops }
    }

    /// Number of commands and subcommands.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The number of a command by its ACL name (`get`, `config|get`), case-insensitively,
    /// as Redis's `ACLLookupCommand`: one level of subcommand at most, and `cmd|x` only names
    /// a subcommand of a container.
    pub(crate) fn lookup(&self, name: &str) -> Option<CmdId> {
        if name.len() > 128 || name.bytes().filter(|&b| b == b'|').count() > 1 {
            return None;
        }
        self.by_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// The number of a table entry: by address (entries handed out by the table), else by name.
    pub(crate) fn id_of(&self, spec: &CommandSpec, container: Option<&CommandSpec>) -> Option<CmdId> {
        if let Some(&id) = self.by_addr.get(&(spec as *const CommandSpec as usize)) {
            return Some(id);
        }
        match container {
            Some(c) => self.lookup(&format!("{}|{}", c.name, spec.name)),
            None => self.lookup(spec.name),
        }
    }

    /// The full name of a command (`config|get`).
    pub fn fullname(&self, id: CmdId) -> &str {
        &self.entries[id].fullname
    }

    /// The category number of a name without `@` (`read`), case-insensitively.
    pub(crate) fn category(name: &str) -> Option<usize> {
        AclCats::NAMES.iter().position(|(_, n)| n[1..].eq_ignore_ascii_case(name))
    }

    /// The names of the categories, without `@`, in Redis's order (ACL CAT).
    pub fn category_names() -> impl Iterator<Item = &'static str> {
        AclCats::NAMES.iter().map(|(_, n)| &n[1..])
    }

    /// The commands in a category (ACL CAT `category`), `None` for an unknown category.
    pub fn category_commands(&self, name: &str) -> Option<Vec<&str>> {
        let c = Self::category(name)?;
        Some((0..self.len()).filter(|&id| self.members[c].get(id)).map(|id| self.fullname(id)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_entry_is_numbered_and_found() {
        let idx = CommandIndex::global();
        assert!(!idx.is_empty());
        for top in table::all() {
            let id = idx.id_of(top, None).unwrap();
            assert_eq!(idx.fullname(id), top.name);
            assert_eq!(idx.lookup(&top.name.to_uppercase()), Some(id));
            for sub in top.subcommands {
                let sid = idx.id_of(sub, Some(top)).unwrap();
                assert_eq!(idx.entries[sid].parent, Some(id));
                assert_eq!(idx.lookup(&format!("{}|{}", top.name, sub.name)), Some(sid));
            }
        }
        assert_eq!(idx.lookup("get|x|y"), None);
        assert_eq!(idx.lookup("nosuchcommand"), None);
    }

    #[test]
    fn bits_behave_as_sets() {
        let mut a = Bits::empty(130);
        assert!(a.is_empty());
        a.set(0, true);
        a.set(129, true);
        a.set(500, true); // out of range: ignored
        assert!(a.get(0) && a.get(129) && !a.get(1) && !a.get(500));
        let full = Bits::full(130);
        assert_eq!(full.count(), 130);
        assert_eq!(a.count_common(&full), 2);
        let mut b = full.clone();
        b.subtract(&a);
        assert_eq!(b.count(), 128);
        b.union_with(&a);
        assert_eq!(b, full);
    }

    #[test]
    fn categories_follow_redis_order() {
        let names: Vec<_> = CommandIndex::category_names().collect();
        assert_eq!(names[0], "keyspace");
        assert_eq!(names.len(), 21);
        assert_eq!(CommandIndex::category("READ"), Some(1));
        assert_eq!(CommandIndex::category("all"), None);
        let idx = CommandIndex::global();
        assert!(idx.category_commands("read").unwrap().contains(&"get"));
        assert!(idx.category_commands("nosuch").is_none());
    }
}
