//! Table entries of the sort family: Redis 7.0.15's metadata for each command (arity,
//! flags, ACL categories, key specs, docs), bound to our handlers.

use crate::sort;
use crate::spec::*;

/// The sort commands.
pub(crate) static SORT: &[CommandSpec] = &[
    CommandSpec {
        name: "sort",
        arity: -2,
        flags: CmdFlags::WRITE.union(CmdFlags::DENYOOM),
        acl: AclCats::SET.union(AclCats::SORTEDSET).union(AclCats::LIST).union(AclCats::DANGEROUS),
        key_specs: &[KeySpec { flags: KeyFlags::RO.union(KeyFlags::ACCESS), begin: BeginSearch::Index(1), find: FindKeys::Range { last: 0, step: 1, limit: 0 } }, KeySpec { flags: KeyFlags::RO.union(KeyFlags::ACCESS), begin: BeginSearch::Unknown, find: FindKeys::Unknown }, KeySpec { flags: KeyFlags::OW.union(KeyFlags::UPDATE), begin: BeginSearch::Unknown, find: FindKeys::Unknown }],
        handler: Some(sort::sort),
        subcommands: &[],
        doc: CommandDoc { summary: "Sort the elements in a list, set or sorted set", since: "1.0.0", group: "generic", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)." },
    },
    CommandSpec {
        name: "sort_ro",
        arity: -2,
        flags: CmdFlags::READONLY,
        acl: AclCats::SET.union(AclCats::SORTEDSET).union(AclCats::LIST).union(AclCats::DANGEROUS),
        key_specs: &[KeySpec { flags: KeyFlags::RO.union(KeyFlags::ACCESS), begin: BeginSearch::Index(1), find: FindKeys::Range { last: 0, step: 1, limit: 0 } }, KeySpec { flags: KeyFlags::RO.union(KeyFlags::ACCESS), begin: BeginSearch::Unknown, find: FindKeys::Unknown }],
        handler: Some(sort::sort_ro),
        subcommands: &[],
        doc: CommandDoc { summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", since: "7.0.0", group: "generic", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)." },
    },
];
