//! The command table: every command Redoubt has, in one place. Dispatch, COMMAND, COMMAND
//! DOCS and (later) the gate read it; nothing else lists commands. Each family's entries live
//! in a file of their own, beside the family's implementation module.

mod bits;
mod blocking;
mod connection;
mod gate;
mod hashes;
mod hll;
mod keys;
mod lists;
mod persistence;
mod pubsub;
mod replication;
mod server;
mod sets;
mod sort;
mod strings;
mod table_hash;
mod transactions;
mod zsets;

use crate::spec::CommandSpec;
use std::sync::OnceLock;
pub use table_hash::{TableHasher, TableMap};

/// Every family's entries.
static FAMILIES: &[&[CommandSpec]] = &[
    strings::STRINGS,
    bits::BITS,
    keys::KEYS,
    lists::LISTS,
    hashes::HASHES,
    sets::SETS,
    server::SERVER,
    connection::CONNECTION,
    transactions::TRANSACTIONS,
    blocking::BLOCKING,
    pubsub::PUBSUB,
    zsets::ZSETS,
    hll::HLL,
    sort::SORT,
    persistence::PERSISTENCE,
    gate::GATE,
    replication::REPLICATION,
];

/// Longest command name we look up without allocating; longer names are unknown anyway.
const MAX_NAME: usize = 32;

fn index() -> &'static TableMap<&'static [u8], &'static CommandSpec> {
    static INDEX: OnceLock<TableMap<&'static [u8], &'static CommandSpec>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = TableMap::default();
        for family in FAMILIES {
            for spec in family.iter() {
                let previous = map.insert(spec.name.as_bytes(), spec);
                assert!(previous.is_none(), "command {} listed twice", spec.name);
            }
        }
        map
    })
}

/// Finds a top-level command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    if name.len() > MAX_NAME {
        return None;
    }
    let mut buf = [0u8; MAX_NAME];
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    index().get(&*lower).copied()
}

/// Finds a subcommand of a container, case-insensitively.
pub fn lookup_sub(container: &'static CommandSpec, name: &[u8]) -> Option<&'static CommandSpec> {
    container.subcommands.iter().find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Every top-level command.
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

/// Number of top-level commands (COMMAND COUNT).
pub fn count() -> usize {
    index().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_found_case_insensitively() {
        for spec in all() {
            assert!(std::ptr::eq(lookup(spec.name.to_uppercase().as_bytes()).unwrap(), spec));
            assert!(spec.handler.is_some() || !spec.subcommands.is_empty(), "{}", spec.name);
            for sub in spec.subcommands {
                assert!(sub.handler.is_some(), "{}|{}", spec.name, sub.name);
            }
        }
        assert!(lookup(b"nosuchcommand").is_none());
        assert_eq!(count(), all().count());
    }
}
