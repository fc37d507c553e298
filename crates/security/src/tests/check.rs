//! The permission check: every refusal path, NOPERM and DRYRUN texts, key read/write
//! semantics, channels, selectors, first-args. Cases follow Redis's acl.tcl and acl-v2.tcl.

use super::{args, user_with};
use crate::{AclUser, Denial, DenialReason};
use redoubt_commands::spec::{AclCats, BeginSearch, CmdFlags, CommandDoc, CommandSpec, FindKeys, KeyFlags, KeySpec};
use redoubt_commands::table::{lookup, lookup_sub};

const DOC: CommandDoc = CommandDoc { summary: "", since: "", group: "", complexity: "" };

const fn spec(name: &'static str, arity: i32, flags: CmdFlags, key_specs: &'static [KeySpec]) -> CommandSpec {
    CommandSpec { name, arity, flags, acl: AclCats::NONE, key_specs, handler: None, subcommands: &[], doc: DOC }
}

// Redis 7.0.15's metadata for commands whose table entries may not exist yet.
static PUBLISH: CommandSpec = spec("publish", 3, CmdFlags::PUBSUB.union(CmdFlags::FAST), &[]);
static SUBSCRIBE: CommandSpec = spec("subscribe", -2, CmdFlags::PUBSUB, &[]);
static PSUBSCRIBE: CommandSpec = spec("psubscribe", -2, CmdFlags::PUBSUB, &[]);
static UNSUBSCRIBE: CommandSpec = spec("unsubscribe", -1, CmdFlags::PUBSUB, &[]);
static SORT: CommandSpec = spec(
    "sort",
    -2,
    CmdFlags::WRITE.union(CmdFlags::DENYOOM),
    &[
        KeySpec {
            flags: KeyFlags::RO.union(KeyFlags::ACCESS),
            begin: BeginSearch::Index(1),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        },
        KeySpec { flags: KeyFlags::RO.union(KeyFlags::ACCESS), begin: BeginSearch::Unknown, find: FindKeys::Unknown },
        KeySpec { flags: KeyFlags::OW.union(KeyFlags::UPDATE), begin: BeginSearch::Unknown, find: FindKeys::Unknown },
    ],
);
static MIGRATE: CommandSpec = spec(
    "migrate",
    -6,
    CmdFlags::WRITE,
    &[
        KeySpec {
            flags: KeyFlags::RW.union(KeyFlags::ACCESS).union(KeyFlags::DELETE),
            begin: BeginSearch::Index(3),
            find: FindKeys::Range { last: 0, step: 1, limit: 0 },
        },
        KeySpec {
            flags: KeyFlags::RW.union(KeyFlags::ACCESS).union(KeyFlags::DELETE).union(KeyFlags::INCOMPLETE),
            begin: BeginSearch::Keyword { keyword: "KEYS", start_from: -2 },
            find: FindKeys::Range { last: -1, step: 1, limit: 0 },
        },
    ],
);

/// Checks a command line against the table.
fn check(u: &AclUser, line: &str) -> Result<(), Denial> {
    let a = args(line);
    let top = lookup(&a[0]).unwrap_or_else(|| panic!("{} is not in the table", line));
    if !top.subcommands.is_empty() && a.len() > 1 {
        u.check(lookup_sub(top, &a[1]).unwrap(), Some(top), &a)
    } else {
        u.check(top, None, &a)
    }
}

fn check_spec(u: &AclUser, s: &CommandSpec, line: &str) -> Result<(), Denial> {
    u.check(s, None, &args(line))
}

fn dry(r: Result<(), Denial>) -> String {
    match r {
        Ok(()) => "OK".into(),
        Err(d) => d.dryrun_message(),
    }
}

#[test]
fn noperm_texts_match_redis() {
    let u = user_with("t", "on nopass ~key* &chan +get +config|get +select");
    let d = check(&u, "set key v").unwrap_err();
    assert_eq!(d.reason, DenialReason::Command);
    assert_eq!(d.noperm_message(), "NOPERM this user has no permissions to run the 'set' command");
    assert_eq!(d.dryrun_message(), "This user has no permissions to run the 'set' command");
    assert_eq!(d.log_reason().as_str(), "command");
    assert_eq!(&d.object[..], b"set");
    let d = check(&u, "config set maxmemory 1").unwrap_err();
    assert_eq!(d.noperm_message(), "NOPERM this user has no permissions to run the 'config|set' command");
    assert!(check(&u, "config get maxmemory").is_ok());
    let d = check(&u, "get other").unwrap_err();
    assert_eq!((d.reason, d.position, &d.object[..]), (DenialReason::Key, Some(1), &b"other"[..]));
    assert_eq!(d.noperm_message(), "NOPERM this user has no permissions to access one of the keys used as arguments");
    assert_eq!(d.dryrun_message(), "This user has no permissions to access the 'other' key");
    let u = user_with("t", "on nopass +@all resetchannels &chan");
    let d = check_spec(&u, &PUBLISH, "publish other x").unwrap_err();
    assert_eq!((d.reason, d.position), (DenialReason::Channel, Some(1)));
    assert_eq!(
        d.noperm_message(),
        "NOPERM this user has no permissions to access one of the channels used as arguments"
    );
    assert_eq!(d.dryrun_message(), "This user has no permissions to access the 'other' channel");
    assert_eq!(d.log_reason().as_str(), "channel");
}

#[test]
fn commands_categories_and_first_args() {
    let none = user_with("n", "on nopass ~* &*");
    for line in ["ping", "get k", "set k v", "config get x", "select 0"] {
        assert_eq!(check(&none, line).unwrap_err().reason, DenialReason::Command, "{line}");
    }
    let reader = user_with("r", "~* -@all +@read");
    assert!(check(&reader, "get k").is_ok());
    assert!(check(&reader, "exists k").is_ok());
    assert!(check(&reader, "set k v").is_err());
    assert!(check(&reader, "del k").is_err());
    let most = user_with("m", "~* +@all -@dangerous");
    assert!(check(&most, "set k v").is_ok());
    assert!(check(&most, "flushall").is_err());
    assert!(check(&most, "config get x").is_err(), "config subcommands are @admin, so @dangerous");
    let sel = user_with("s", "~* -@all +select|0 +select|1");
    assert!(check(&sel, "select 0").is_ok());
    assert!(check(&sel, "SELECT 1").is_ok());
    assert_eq!(dry(check(&sel, "select 2")), "This user has no permissions to run the 'select' command");
    let sub = user_with("c", "~* +@all -config|set");
    assert!(check(&sub, "config get x").is_ok());
    assert!(check(&sub, "config set x y").is_err());
    let cont = user_with("c", "~* -@all +config -config|set");
    assert!(check(&cont, "config get x").is_ok() && check(&cont, "config resetstat").is_ok());
    assert!(check(&cont, "config set x y").is_err());
    // NO_AUTH commands (HELLO, AUTH) pass the command part for every user, as in Redis.
    if let Some(hello) = lookup(b"hello") {
        if hello.flags.contains(CmdFlags::NO_AUTH) {
            assert!(none.check(hello, None, &args("hello 3")).is_ok());
        }
    }
}

#[test]
fn unknown_commands_need_all_commands() {
    static FUTURE: CommandSpec = spec("future-command", -1, CmdFlags::NONE, &[]);
    assert!(check_spec(&user_with("a", "+@all ~*"), &FUTURE, "future-command").is_ok());
    let d = check_spec(&user_with("b", "+@all -get ~*"), &FUTURE, "future-command").unwrap_err();
    assert_eq!(d.dryrun_message(), "This user has no permissions to run the 'future-command' command");
    assert!(check_spec(&user_with("c", "-@all +@read ~*"), &FUTURE, "future-command").is_err());
}

#[test]
fn key_permissions_read_and_write() {
    // acl-v2.tcl "Test various odd commands for key permissions" and friends.
    let u = user_with("command-test", "+@all %R~read* %W~write* %RW~rw*");
    let cases = [
        ("get read", "OK"),
        ("get write", "This user has no permissions to access the 'write' key"),
        ("get rw", "OK"),
        ("set write v", "OK"),
        ("set read v", "This user has no permissions to access the 'read' key"),
        ("set write v get", "This user has no permissions to access the 'write' key"),
        ("set rw v get", "OK"),
        ("set write get", "OK"),
        ("del write", "OK"),
        ("del read", "This user has no permissions to access the 'read' key"),
        ("getdel rw", "OK"),
        ("getdel write", "This user has no permissions to access the 'write' key"),
        ("rename rw write", "OK"),
        ("rename write rw", "This user has no permissions to access the 'write' key"),
        ("copy read write", "OK"),
        ("copy read read", "This user has no permissions to access the 'read' key"),
        ("bitfield read get u4 0", "OK"),
        ("bitfield read set u4 0 1", "This user has no permissions to access the 'read' key"),
        ("bitfield read get u4 0 set u4 0 1", "This user has no permissions to access the 'read' key"),
        ("bitfield read incrby u4 0 1", "This user has no permissions to access the 'read' key"),
        ("bitfield write get u4 0", "This user has no permissions to access the 'write' key"),
        ("bitfield rw get u4 0 set u4 0 1", "OK"),
        // Existence and cardinality commands need some pattern, of either kind.
        ("exists read", "OK"),
        ("exists write", "OK"),
        ("exists nothing", "This user has no permissions to access the 'nothing' key"),
        ("type write", "OK"),
        ("touch read", "OK"),
        ("hexists write f", "OK"),
        ("strlen write", "OK"),
        ("sintercard 2 read read", "OK"),
        ("sintercard 2 write read", "This user has no permissions to access the 'write' key"),
        ("sintercard 2 nothing read", "This user has no permissions to access the 'nothing' key"),
        ("object encoding write", "OK"),
        ("object encoding nothing", "This user has no permissions to access the 'nothing' key"),
    ];
    for (line, expected) in cases {
        if lookup(line.split(' ').next().unwrap().as_bytes()).is_none() {
            continue; // not in the table yet
        }
        assert_eq!(dry(check(&u, line)), expected, "{line}");
    }
}

#[test]
fn sort_and_migrate_keys() {
    let u = user_with("command-test", "+@all %R~read* %W~write* %RW~rw*");
    assert_eq!(dry(check_spec(&u, &SORT, "sort read STORE write")), "OK");
    assert_eq!(
        dry(check_spec(&u, &SORT, "sort read STORE read")),
        "This user has no permissions to access the 'read' key"
    );
    assert_eq!(
        dry(check_spec(&u, &SORT, "sort write STORE write")),
        "This user has no permissions to access the 'write' key"
    );
    assert_eq!(dry(check_spec(&u, &SORT, "sort read BY nothing GET nothing LIMIT 0 1")), "OK");
    let m = |line: &str| dry(check_spec(&u, &MIGRATE, line));
    assert_eq!(m("migrate whatever whatever rw 0 500"), "OK");
    assert_eq!(m("migrate whatever whatever read 0 500"), "This user has no permissions to access the 'read' key");
    assert_eq!(m("migrate whatever whatever write 0 500"), "This user has no permissions to access the 'write' key");
    assert_eq!(m("migrate whatever whatever  0 5000 KEYS rw"), "OK");
    assert_eq!(
        m("migrate whatever whatever  0 5000 KEYS read"),
        "This user has no permissions to access the 'read' key"
    );
    assert_eq!(m("migrate whatever whatever  0 5000 AUTH KEYS KEYS rw"), "OK");
    assert_eq!(
        m("migrate whatever whatever  0 5000 AUTH KEYS KEYS write"),
        "This user has no permissions to access the 'write' key"
    );
    assert_eq!(m("migrate whatever whatever  0 5000 AUTH2 USER KEYS KEYS rw"), "OK");
    assert_eq!(
        m("migrate whatever whatever  0 5000 AUTH2 KEYS 123 KEYS read"),
        "This user has no permissions to access the 'read' key"
    );
    // SORT's BY and GET need unrestricted read access (acl-v2.tcl "Test sort with ACL permissions").
    let a = args("sort mylist by v*");
    for (rules, ok) in [
        ("(+@all ~mylist)", false),
        ("(+@all ~mylist ~v*)", false),
        ("(+@all ~mylist %W~*)", false),
        ("(+@all ~mylist %R~*)", true),
        ("(-@all ~*)", false),
    ] {
        let u = user_with("s", &format!("on nopass {rules}"));
        assert_eq!(u.check_unrestricted_keys(&SORT, None, &a, true, false), ok, "{rules}");
    }
}

#[test]
fn channels() {
    let u = user_with("c", "+@all resetchannels &chan &news.*");
    assert!(check_spec(&u, &PUBLISH, "publish chan x").is_ok());
    assert!(check_spec(&u, &PUBLISH, "publish news.eu x").is_ok());
    assert!(check_spec(&u, &SUBSCRIBE, "subscribe chan news.us").is_ok());
    let d = check_spec(&u, &SUBSCRIBE, "subscribe chan other").unwrap_err();
    assert_eq!((d.reason, d.position), (DenialReason::Channel, Some(2)));
    // A pattern subscription needs the literal pattern.
    assert!(check_spec(&u, &PSUBSCRIBE, "psubscribe news.*").is_ok());
    assert!(check_spec(&u, &PSUBSCRIBE, "psubscribe news.e*").is_err());
    assert!(check_spec(&u, &PSUBSCRIBE, "psubscribe chan").is_ok());
    // Unsubscribing needs nothing.
    assert!(check_spec(&u, &UNSUBSCRIBE, "unsubscribe other").is_ok());
    assert!(u.channel_allowed(b"news.x", false) && !u.channel_allowed(b"news.x", true));
    let all = user_with("a", "+@all allchannels");
    assert!(check_spec(&all, &PSUBSCRIBE, "psubscribe *").is_ok());
    let none = user_with("n", "+@all resetchannels");
    assert!(check_spec(&none, &PUBLISH, "publish a b").is_err());
    let sel = user_with("s", "+@all resetchannels (&only +@all)");
    assert!(check_spec(&sel, &PUBLISH, "publish only x").is_ok(), "a selector may allow a channel");
}

#[test]
fn selectors_any_may_allow() {
    // acl-v2.tcl "Test basic multiple selectors".
    let u = user_with("selector-1", "on -@all resetkeys nopass (+@write ~write::*) (+@read ~read::*)");
    assert_eq!(check(&u, "ping").unwrap_err().reason, DenialReason::Command);
    assert!(check(&u, "set write::foo bar").is_ok());
    assert!(check(&u, "get read::foo").is_ok());
    assert_eq!(check(&u, "get write::foo").unwrap_err().reason, DenialReason::Key);
    assert_eq!(check(&u, "set read::foo bar").unwrap_err().reason, DenialReason::Key);
    // Separate read and write on different selectors are not additive.
    let u = user_with("t", "on nopass +@all (%R~read* +@all) (%W~write* +@all)");
    let u = {
        let mut u = u;
        u.apply_rules(&["resetkeys"]).unwrap();
        u
    };
    assert!(check(&u, "get readstr").is_ok());
    assert!(check(&u, "set writestr v").is_ok());
    assert!(check(&u, "rename readstr writestr").is_err());
    // acl-v2.tcl "Test ACL log correctly identifies the relevant item when selectors are used".
    let u = user_with("acl-log-test-selector", "on nopass +mget ~key (+mget ~key ~otherkey)");
    let d = check(&u, "get key").unwrap_err();
    assert_eq!((d.reason, &d.object[..]), (DenialReason::Command, &b"get"[..]));
    let d = check(&u, "mget otherkey someotherkey").unwrap_err();
    assert_eq!((d.reason, &d.object[..]), (DenialReason::Key, &b"someotherkey"[..]));
    let d = check(&u, "mget key otherkey someotherkey").unwrap_err();
    assert_eq!((d.reason, &d.object[..]), (DenialReason::Key, &b"someotherkey"[..]));
}

#[test]
fn key_helpers() {
    let u = user_with("k", "%R~r* %W~w* (~s*)");
    assert!(u.key_allowed(b"r1", true, false) && !u.key_allowed(b"r1", false, true));
    assert!(u.key_allowed(b"w1", false, true) && !u.key_allowed(b"w1", true, false));
    assert!(u.key_allowed(b"s1", true, true), "selectors count");
    assert!(u.key_allowed(b"w1", false, false), "no access flags: any pattern");
    assert!(!u.key_allowed(b"x", false, false));
    assert!(!u.key_allowed(b"", false, false), "Redis's matcher: an empty key matches no pattern but allkeys");
    assert_eq!(crate::key_flags_access(KeyFlags::RW | KeyFlags::ACCESS | KeyFlags::DELETE), (true, true));
    assert_eq!(crate::key_flags_access(KeyFlags::OW | KeyFlags::INSERT), (false, true));
    assert_eq!(crate::key_flags_access(KeyFlags::RO), (false, false));
}
