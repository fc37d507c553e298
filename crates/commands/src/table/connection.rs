//! Table entries of the connection family: Redis 7.0.15's metadata for each command (arity,
//! flags, ACL categories, key specs, docs), bound to our handlers.

use crate::connection;
use crate::spec::*;

/// The connection commands.
pub(crate) static CONNECTION: &[CommandSpec] = &[
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: CmdFlags::FAST.union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::ping),
        subcommands: &[],
        doc: CommandDoc { summary: "Ping the server", since: "1.0.0", group: "connection", complexity: "O(1)" },
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: CmdFlags::LOADING.union(CmdFlags::STALE).union(CmdFlags::FAST),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::echo),
        subcommands: &[],
        doc: CommandDoc { summary: "Echo the given string", since: "1.0.0", group: "connection", complexity: "O(1)" },
    },
    CommandSpec {
        name: "quit",
        arity: -1,
        flags: CmdFlags::ALLOW_BUSY
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::FAST)
            .union(CmdFlags::NO_AUTH),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::quit),
        subcommands: &[],
        doc: CommandDoc { summary: "Close the connection", since: "1.0.0", group: "connection", complexity: "O(1)" },
    },
    CommandSpec {
        name: "reset",
        arity: 1,
        flags: CmdFlags::NOSCRIPT
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::FAST)
            .union(CmdFlags::NO_AUTH)
            .union(CmdFlags::ALLOW_BUSY),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::reset),
        subcommands: &[],
        doc: CommandDoc { summary: "Reset the connection", since: "6.2.0", group: "connection", complexity: "O(1)" },
    },
    CommandSpec {
        name: "select",
        arity: 2,
        flags: CmdFlags::LOADING.union(CmdFlags::STALE).union(CmdFlags::FAST),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::select),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Change the selected database for the current connection",
            since: "1.0.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "hello",
        arity: -1,
        flags: CmdFlags::NOSCRIPT
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::FAST)
            .union(CmdFlags::NO_AUTH)
            .union(CmdFlags::SENTINEL)
            .union(CmdFlags::ALLOW_BUSY),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::hello),
        subcommands: &[],
        doc: CommandDoc { summary: "Handshake with Redis", since: "6.0.0", group: "connection", complexity: "O(1)" },
    },
    CommandSpec {
        name: "client",
        arity: -2,
        flags: CmdFlags::SENTINEL,
        acl: AclCats::NONE,
        key_specs: &[],
        handler: None,
        subcommands: CLIENT_SUBCOMMANDS,
        doc: CommandDoc {
            summary: "A container for client connection commands",
            since: "2.4.0",
            group: "connection",
            complexity: "Depends on subcommand.",
        },
    },
];

static CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "id",
        arity: 2,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_id),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Returns the client ID for the current connection",
            since: "5.0.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "setname",
        arity: 3,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_setname),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Set the current connection name",
            since: "2.6.9",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "getname",
        arity: 2,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_getname),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Get the current connection name",
            since: "2.6.9",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "list",
        arity: -2,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_list),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Get the list of client connections",
            since: "2.4.0",
            group: "connection",
            complexity: "O(N) where N is the number of client connections",
        },
    },
    CommandSpec {
        name: "unblock",
        arity: -3,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(crate::blocking::client_unblock),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Unblock a client blocked in a blocking command from a different connection",
            since: "5.0.0",
            group: "connection",
            complexity: "O(log N) where N is the number of client connections",
        },
    },
    CommandSpec {
        name: "info",
        arity: 2,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_info),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Returns information about the current client connection.",
            since: "6.2.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "kill",
        arity: -3,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_kill),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Kill the connection of a client",
            since: "2.4.0",
            group: "connection",
            complexity: "O(N) where N is the number of client connections",
        },
    },
    CommandSpec {
        name: "reply",
        arity: 3,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_reply),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Instruct the server whether to reply to commands",
            since: "3.2.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "no-evict",
        arity: 3,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_no_evict),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Set client eviction mode for the current connection",
            since: "7.0.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "no-touch",
        arity: 3,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_no_touch),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.",
            since: "7.2.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "tracking",
        arity: -3,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(crate::tracking::command::client_tracking),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Enable or disable server assisted client side caching support",
            since: "6.0.0",
            group: "connection",
            complexity: "O(1). Some options may introduce additional complexity.",
        },
    },
    CommandSpec {
        name: "caching",
        arity: 3,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(crate::tracking::command::client_caching),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Instruct the server about tracking or not keys in the next request",
            since: "6.0.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "getredir",
        arity: 2,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(crate::tracking::command::client_getredir),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Get tracking notifications redirection client ID if any",
            since: "6.0.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "trackinginfo",
        arity: 2,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(crate::tracking::command::client_trackinginfo),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Return information about server assisted client side caching for the current connection",
            since: "6.2.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: CmdFlags::LOADING.union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(connection::client_help),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Show helpful text about the different subcommands",
            since: "5.0.0",
            group: "connection",
            complexity: "O(1)",
        },
    },
];
