//! Table entries of the persistence family: Redis 7.0.15's metadata for SAVE, BGSAVE,
//! LASTSAVE, DUMP and RESTORE (src/commands/*.json), bound to our handlers. SAVE and
//! BGSAVE's `no_async_loading` flag has no equivalent here (Redoubt never loads
//! asynchronously).

use crate::persistence;
use crate::spec::*;

/// The persistence commands.
pub(crate) static PERSISTENCE: &[CommandSpec] = &[
    CommandSpec {
        name: "save",
        arity: 1,
        flags: CmdFlags::ADMIN.union(CmdFlags::NOSCRIPT).union(CmdFlags::NO_MULTI),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(persistence::save),
        subcommands: &[],
        doc: CommandDoc { summary: "Synchronously save the dataset to disk", since: "1.0.0", group: "server", complexity: "O(N) where N is the total number of keys in all databases" },
    },
    CommandSpec {
        name: "bgsave",
        arity: -1,
        flags: CmdFlags::ADMIN.union(CmdFlags::NOSCRIPT),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(persistence::bgsave),
        subcommands: &[],
        doc: CommandDoc { summary: "Asynchronously save the dataset to disk", since: "1.0.0", group: "server", complexity: "O(1)" },
    },
    CommandSpec {
        name: "bgrewriteaof",
        arity: 1,
        flags: CmdFlags::ADMIN.union(CmdFlags::NOSCRIPT),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(crate::aof::rewrite::bgrewriteaof),
        subcommands: &[],
        doc: CommandDoc { summary: "Asynchronously rewrite the append-only file", since: "1.0.0", group: "server", complexity: "O(1)" },
    },
    CommandSpec {
        name: "lastsave",
        arity: 1,
        flags: CmdFlags::LOADING.union(CmdFlags::STALE).union(CmdFlags::FAST),
        acl: AclCats::ADMIN.union(AclCats::DANGEROUS),
        key_specs: &[],
        handler: Some(persistence::lastsave),
        subcommands: &[],
        doc: CommandDoc { summary: "Get the UNIX time stamp of the last successful save to disk", since: "1.0.0", group: "server", complexity: "O(1)" },
    },
    CommandSpec {
        name: "dump",
        arity: 2,
        flags: CmdFlags::READONLY,
        acl: AclCats::KEYSPACE,
        key_specs: &[KeySpec { flags: KeyFlags::RO.union(KeyFlags::ACCESS), begin: BeginSearch::Index(1), find: FindKeys::Range { last: 0, step: 1, limit: 0 } }],
        handler: Some(persistence::dump),
        subcommands: &[],
        doc: CommandDoc { summary: "Return a serialized version of the value stored at the specified key.", since: "2.6.0", group: "generic", complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1)." },
    },
    CommandSpec {
        name: "restore",
        arity: -4,
        flags: CmdFlags::WRITE.union(CmdFlags::DENYOOM),
        acl: AclCats::KEYSPACE.union(AclCats::DANGEROUS),
        key_specs: &[KeySpec { flags: KeyFlags::OW.union(KeyFlags::UPDATE), begin: BeginSearch::Index(1), find: FindKeys::Range { last: 0, step: 1, limit: 0 } }],
        handler: Some(persistence::restore),
        subcommands: &[],
        doc: CommandDoc { summary: "Create a key using the provided serialized value, previously obtained using DUMP.", since: "2.6.0", group: "generic", complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N))." },
    },
];
