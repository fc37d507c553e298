//! Table entries of the bits family: Redis 7.0.15's metadata for each command (arity,
//! flags, ACL categories, key specs, docs), bound to our handlers.

use crate::bits;
use crate::spec::*;

/// The bits commands.
pub(crate) static BITS: &[CommandSpec] = &[
    CommandSpec {
        name: "setbit",
        arity: 4,
        flags: CmdFlags::WRITE.union(CmdFlags::DENYOOM),
        acl: AclCats::BITMAP,
        key_specs: &[KeySpec {
            flags: KeyFlags::RW.union(KeyFlags::ACCESS).union(KeyFlags::UPDATE),
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        }],
        handler: Some(bits::setbit),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Sets or clears the bit at offset in the string value stored at key",
            since: "2.2.0",
            group: "bitmap",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "getbit",
        arity: 3,
        flags: CmdFlags::READONLY.union(CmdFlags::FAST),
        acl: AclCats::BITMAP,
        key_specs: &[KeySpec {
            flags: KeyFlags::RO.union(KeyFlags::ACCESS),
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        }],
        handler: Some(bits::getbit),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Returns the bit value at offset in the string value stored at key",
            since: "2.2.0",
            group: "bitmap",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "bitcount",
        arity: -2,
        flags: CmdFlags::READONLY,
        acl: AclCats::BITMAP,
        key_specs: &[KeySpec {
            flags: KeyFlags::RO.union(KeyFlags::ACCESS),
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        }],
        handler: Some(bits::bitcount),
        subcommands: &[],
        doc: CommandDoc { summary: "Count set bits in a string", since: "2.6.0", group: "bitmap", complexity: "O(N)" },
    },
    CommandSpec {
        name: "bitpos",
        arity: -3,
        flags: CmdFlags::READONLY,
        acl: AclCats::BITMAP,
        key_specs: &[KeySpec {
            flags: KeyFlags::RO.union(KeyFlags::ACCESS),
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        }],
        handler: Some(bits::bitpos),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Find first bit set or clear in a string",
            since: "2.8.7",
            group: "bitmap",
            complexity: "O(N)",
        },
    },
    CommandSpec {
        name: "bitop",
        arity: -4,
        flags: CmdFlags::WRITE.union(CmdFlags::DENYOOM),
        acl: AclCats::BITMAP,
        key_specs: &[
            KeySpec {
                flags: KeyFlags::OW.union(KeyFlags::UPDATE),
                begin: BeginSearch::Index(2),
                find: FindKeys::Range { last: 0, step: 1, limit: 0 },
            },
            KeySpec {
                flags: KeyFlags::RO.union(KeyFlags::ACCESS),
                begin: BeginSearch::Index(3),
                find: FindKeys::Range { last: -1, step: 1, limit: 0 },
            },
        ],
        handler: Some(bits::bitop),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Perform bitwise operations between strings",
            since: "2.6.0",
            group: "bitmap",
            complexity: "O(N)",
        },
    },
    CommandSpec {
        name: "bitfield",
        arity: -2,
        flags: CmdFlags::WRITE.union(CmdFlags::DENYOOM),
        acl: AclCats::BITMAP,
        key_specs: &[KeySpec {
            flags: KeyFlags::RW.union(KeyFlags::UPDATE).union(KeyFlags::ACCESS).union(KeyFlags::VARIABLE_FLAGS),
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        }],
        handler: Some(bits::bitfield),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Perform arbitrary bitfield integer operations on strings",
            since: "3.2.0",
            group: "bitmap",
            complexity: "O(1) for each subcommand specified",
        },
    },
    CommandSpec {
        name: "bitfield_ro",
        arity: -2,
        flags: CmdFlags::READONLY.union(CmdFlags::FAST),
        acl: AclCats::BITMAP,
        key_specs: &[KeySpec {
            flags: KeyFlags::RO.union(KeyFlags::ACCESS),
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        }],
        handler: Some(bits::bitfield_ro),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
            since: "6.0.0",
            group: "bitmap",
            complexity: "O(1) for each subcommand specified",
        },
    },
];
