//! Table entries of the gate's commands: AUTH and the ACL container with its subcommands,
//! Redis 7.0.15's metadata (arity, flags, ACL categories, docs; generated from
//! `src/commands/auth.json` and `src/commands/acl*.json` of the 7.0.15 tag), bound to the
//! handlers of `crate::gate`, which forward to the gate the server installs.
//!
//! As in Redis, ACL SETUSER, DELUSER, GETUSER, LIST, USERS, LOAD, SAVE, LOG and DRYRUN are
//! `admin` (so `@admin`, outside the `default` user's data surface: GETUSER shows password
//! hashes, LOG other clients' addresses); WHOAMI, CAT, GENPASS and HELP are not.

use crate::gate;
use crate::spec::*;

/// AUTH and ACL.
pub(crate) static GATE: &[CommandSpec] = &[
    CommandSpec {
        name: "auth",
        arity: -2,
        flags: CmdFlags::NOSCRIPT
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::FAST)
            .union(CmdFlags::NO_AUTH)
            .union(CmdFlags::SENTINEL)
            .union(CmdFlags::ALLOW_BUSY),
        acl: AclCats::CONNECTION,
        key_specs: &[],
        handler: Some(gate::auth),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Authenticate to the server",
            since: "1.0.0",
            group: "connection",
            complexity: "O(N) where N is the number of passwords defined for the user",
        },
    },
    CommandSpec {
        name: "acl",
        arity: -2,
        flags: CmdFlags::SENTINEL,
        acl: AclCats::NONE,
        key_specs: &[],
        handler: None,
        subcommands: ACL_SUBCOMMANDS,
        doc: CommandDoc {
            summary: "A container for Access List Control commands ",
            since: "6.0.0",
            group: "server",
            complexity: "Depends on subcommand.",
        },
    },
];

/// ACL's subcommands, in Redis's (alphabetical) order.
static ACL_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "cat",
        arity: -2,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "List the ACL categories or the commands inside a category",
            since: "6.0.0",
            group: "server",
            complexity: "O(1) since the categories and commands are a fixed set.",
        },
    },
    CommandSpec {
        name: "deluser",
        arity: -3,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Remove the specified ACL users and the associated rules",
            since: "6.0.0",
            group: "server",
            complexity: "O(1) amortized time considering the typical user.",
        },
    },
    CommandSpec {
        name: "dryrun",
        arity: -4,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Returns whether the user can execute the given command without executing the command.",
            since: "7.0.0",
            group: "server",
            complexity: "O(1).",
        },
    },
    CommandSpec {
        name: "genpass",
        arity: -2,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Generate a pseudorandom secure password to use for ACL users",
            since: "6.0.0",
            group: "server",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "getuser",
        arity: 3,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Get the rules for a specific ACL user",
            since: "6.0.0",
            group: "server",
            complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.",
        },
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: CmdFlags::LOADING.union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl_help),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Show helpful text about the different subcommands",
            since: "6.0.0",
            group: "server",
            complexity: "O(1)",
        },
    },
    CommandSpec {
        name: "list",
        arity: 2,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "List the current ACL rules in ACL config file format",
            since: "6.0.0",
            group: "server",
            complexity: "O(N). Where N is the number of configured users.",
        },
    },
    CommandSpec {
        name: "load",
        arity: 2,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Reload the ACLs from the configured ACL file",
            since: "6.0.0",
            group: "server",
            complexity: "O(N). Where N is the number of configured users.",
        },
    },
    CommandSpec {
        name: "log",
        arity: -2,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "List latest events denied because of ACLs in place",
            since: "6.0.0",
            group: "server",
            complexity: "O(N) with N being the number of entries shown.",
        },
    },
    CommandSpec {
        name: "save",
        arity: 2,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Save the current ACL rules in the configured ACL file",
            since: "6.0.0",
            group: "server",
            complexity: "O(N). Where N is the number of configured users.",
        },
    },
    CommandSpec {
        name: "setuser",
        arity: -3,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Modify or create the rules for a specific ACL user",
            since: "6.0.0",
            group: "server",
            complexity: "O(N). Where N is the number of rules provided.",
        },
    },
    CommandSpec {
        name: "users",
        arity: 2,
        flags: CmdFlags::ADMIN
            .union(CmdFlags::NOSCRIPT)
            .union(CmdFlags::LOADING)
            .union(CmdFlags::STALE)
            .union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "List the username of all the configured ACL rules",
            since: "6.0.0",
            group: "server",
            complexity: "O(N). Where N is the number of configured users.",
        },
    },
    CommandSpec {
        name: "whoami",
        arity: 2,
        flags: CmdFlags::NOSCRIPT.union(CmdFlags::LOADING).union(CmdFlags::STALE).union(CmdFlags::SENTINEL),
        acl: AclCats::NONE,
        key_specs: &[],
        handler: Some(gate::acl),
        subcommands: &[],
        doc: CommandDoc {
            summary: "Return the name of the user associated to the current connection",
            since: "6.0.0",
            group: "server",
            complexity: "O(1)",
        },
    },
];
