//! Table entries of the hll family: Redis 7.0.15's metadata for each command (arity,
//! flags, ACL categories, key specs, docs), bound to our handlers.

use crate::hll;
use crate::spec::*;

/// The hll commands.
pub(crate) static HLL: &[CommandSpec] = &[
    CommandSpec {
        name: "pfadd",
        arity: -2,
        flags: CmdFlags::WRITE.union(CmdFlags::DENYOOM).union(CmdFlags::FAST),
        acl: AclCats::HYPERLOGLOG,
        key_specs: &[KeySpec { flags: KeyFlags::RW.union(KeyFlags::INSERT), begin: BeginSearch::Index(1), find: FindKeys::Range { last: 0, step: 1, limit: 0 } }],
        handler: Some(hll::pfadd),
        subcommands: &[],
        doc: CommandDoc { summary: "Adds the specified elements to the specified HyperLogLog.", since: "2.8.9", group: "hyperloglog", complexity: "O(1) to add every element." },
    },
    CommandSpec {
        name: "pfcount",
        arity: -2,
        flags: CmdFlags::READONLY.union(CmdFlags::MAY_REPLICATE),
        acl: AclCats::HYPERLOGLOG,
        key_specs: &[KeySpec { flags: KeyFlags::RW.union(KeyFlags::ACCESS), begin: BeginSearch::Index(1), find: FindKeys::Range { last: -1, step: 1, limit: 0 } }],
        handler: Some(hll::pfcount),
        subcommands: &[],
        doc: CommandDoc { summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", since: "2.8.9", group: "hyperloglog", complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys." },
    },
    CommandSpec {
        name: "pfmerge",
        arity: -2,
        flags: CmdFlags::WRITE.union(CmdFlags::DENYOOM),
        acl: AclCats::HYPERLOGLOG,
        key_specs: &[KeySpec { flags: KeyFlags::RW.union(KeyFlags::ACCESS).union(KeyFlags::INSERT), begin: BeginSearch::Index(1), find: FindKeys::Range { last: 0, step: 1, limit: 0 } }, KeySpec { flags: KeyFlags::RO.union(KeyFlags::ACCESS), begin: BeginSearch::Index(2), find: FindKeys::Range { last: -1, step: 1, limit: 0 } }],
        handler: Some(hll::pfmerge),
        subcommands: &[],
        doc: CommandDoc { summary: "Merge N different HyperLogLogs into a single one.", since: "2.8.9", group: "hyperloglog", complexity: "O(N) to merge N HyperLogLogs, but with high constant times." },
    },
];
