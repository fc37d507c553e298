//! Table entries of replication: SYNC, PSYNC, REPLCONF, REPLICAOF, SLAVEOF (admin surface)
//! and ROLE, with Redis 7.0.15's metadata.

use crate::replication;
use crate::spec::*;

const ADMIN_CMD: CmdFlags = CmdFlags::ADMIN.union(CmdFlags::NOSCRIPT);

/// The replication commands.
pub(crate) static REPLICATION: &[CommandSpec] = &[
    CommandSpec {
        name: "sync",
        arity: 1,
        flags: ADMIN_CMD.union(CmdFlags::NO_MULTI),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(replication::sync),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Internal command used for replication",
            since: "1.0.0",
            group: "server",
            complexity: "",
        },
    },
    CommandSpec {
        name: "psync",
        arity: -3,
        flags: ADMIN_CMD.union(CmdFlags::NO_MULTI),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(replication::psync),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Internal command used for replication",
            since: "2.8.0",
            group: "server",
            complexity: "",
        },
    },
    CommandSpec {
        name: "replconf",
        arity: -1,
        flags: ADMIN_CMD.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::ALLOW_BUSY),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(replication::replconf),
        subcommands: &[],
        doc: CommandDoc {
            summary: "An internal command for configuring the replication stream",
            since: "3.0.0",
            group: "server",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "replicaof",
        arity: 3,
        flags: ADMIN_CMD.union(CmdFlags::STALE),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(replication::replicaof),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Make the server a replica of another instance, or promote it as master.",
            since: "5.0.0",
            group: "server",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "slaveof",
        arity: 3,
        flags: ADMIN_CMD.union(CmdFlags::STALE),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(replication::replicaof),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Make the server a replica of another instance, or promote it as master.",
            since: "1.0.0",
            group: "server",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "role",
        arity: 1,
        flags: CmdFlags::NOSCRIPT
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::FAST)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::ADMIN.union(AclCats::DANGEROUS),
        key_specs: &[],
        handler: Some(replication::role),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Return the role of the instance in the context of replication",
            since: "2.8.12",
            group: "server",
            complexity: "O(1)",
        },
    },
];
