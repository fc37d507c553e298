//! Table entries of the transactions family: Redis 7.0.15's metadata for each command (arity,
//! flags, ACL categories, key specs, docs), bound to our handlers.

use crate::spec::*;
use crate::transactions;

/// The transactions commands.
pub(crate) static TRANSACTIONS: &[CommandSpec] = &[
    CommandSpec {
        name: "multi",
        arity: 1,
        flags: CmdFlags::NOSCRIPT
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::FAST)
            .union(CmdFlags::ALLOW_BUSY),
        acl: AclCats::TRANSACTION,
        key_specs: &[],
        handler: Some(transactions::multi),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Mark the start of a transaction block",
            since: "1.2.0",
            group: "transactions",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "exec",
        arity: 1,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SKIP_SLOWLOG),
        acl: AclCats::TRANSACTION,
        key_specs: &[],
        handler: Some(transactions::exec),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Execute all commands issued after MULTI",
            since: "1.2.0",
            group: "transactions",
            complexity: "Depends on commands in the transaction",
        },
    },
    CommandSpec {
        name: "discard",
        arity: 1,
        flags: CmdFlags::NOSCRIPT
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::FAST)
            .union(CmdFlags::ALLOW_BUSY),
        acl: AclCats::TRANSACTION,
        key_specs: &[],
        handler: Some(transactions::discard),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Discard all commands issued after MULTI",
            since: "2.0.0",
            group: "transactions",
            complexity: "O(N), when N is the number of queued commands",
        },
    },
    CommandSpec {
        name: "watch",
        arity: -2,
        flags: CmdFlags::NOSCRIPT
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::FAST)
            .union(CmdFlags::ALLOW_BUSY),
        acl: AclCats::TRANSACTION,
        key_specs: &[KeySpec {
            flags: KeyFlags::RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: -1, step: 1, limit: 0 },
        }],
        handler: Some(transactions::watch),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
            since: "2.2.0",
            group: "transactions",
            complexity: "O(1) for every key.",
        },
    },
    CommandSpec {
        name: "unwatch",
        arity: 1,
        flags: CmdFlags::NOSCRIPT
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::FAST)
            .union(CmdFlags::ALLOW_BUSY),
        acl: AclCats::TRANSACTION,
        key_specs: &[],
        handler: Some(transactions::unwatch),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Forget about all watched keys",
            since: "2.2.0",
            group: "transactions",
            complexity: "O(1)",
        },
    },
];
