//! Every rule of the ACL syntax, the ACL LIST / GETUSER renderings and the SETUSER errors,
//! against what redis-server 7.0.15 printed for the same rules.

use super::{setuser_error, user_with};
use crate::{AclUser, RuleError};

fn line(name: &str, rules: &str) -> String {
    user_with(name, rules).acl_line()
}

#[test]
fn renderings_match_redis() {
    // `redis-cli ACL SETUSER <name> <rules>; ACL LIST` on redis-server 7.0.15.
    let cases = [
        ("u1", "", "user u1 off resetchannels -@all"),
        ("u2", "reset", "user u2 off sanitize-payload resetchannels -@all"),
        (
            "u3",
            "on >pw ~key* &chan +get",
            "user u3 on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~key* resetchannels &chan -@all +get",
        ),
        ("u4", "on nopass allkeys allchannels allcommands", "user u4 on nopass ~* &* +@all"),
        ("u5", "on +@all -@dangerous", "user u5 on resetchannels +@all -@dangerous"),
        ("u6", "-@all +@read", "user u6 off resetchannels -@all +@read"),
        ("u7", "%R~r* %W~w* %RW~rw* ~k* %R~k*", "user u7 off %R~r* %W~w* ~rw* ~k* resetchannels -@all"),
        (
            "u8",
            "on nopass (~a* +get) (%R~b* +@read)",
            "user u8 on nopass resetchannels -@all (~a* resetchannels -@all +get) (%R~b* resetchannels -@all +@read)",
        ),
        ("u9", "+config|get", "user u9 off resetchannels -@all +config|get"),
        ("u10", "+select|0 +select|1", "user u10 off resetchannels -@all +select|0 +select|1"),
        ("u11", "+@all -config|set", "user u11 off resetchannels +@all -config|set"),
        ("u12", "+config -config|set", "user u12 off resetchannels -@all +config -config|set"),
        (
            "u14",
            "skip-sanitize-payload >a >a #2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6 >b",
            "user u14 off skip-sanitize-payload #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb \
             #2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6 \
             #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d resetchannels -@all",
        ),
        ("u15", "%R", "user u15 off %R~ resetchannels -@all"),
        ("u16", "-@all +@read -get", "user u16 off resetchannels -@all +@read -get"),
        ("u17", "+@all -@all +get &a &b &a resetchannels &c", "user u17 off resetchannels &c -@all +get"),
    ];
    for (name, rules, expected) in cases {
        assert_eq!(line(name, rules), expected, "rules: {rules}");
    }
    assert_eq!(AclUser::redis_default().acl_line(), "user default on nopass ~* &* +@all");
}

#[test]
fn single_commands_are_described_after_categories() {
    // Redis printed `+@all -@admin -flushall -flushdb`; the order of single commands is
    // Redis's hash order (random per process), ours is the table's.
    let l = line("u13", "+@all -@admin -flushall -flushdb");
    let mut words: Vec<&str> = l.split(' ').collect();
    assert_eq!(&words[..6], ["user", "u13", "off", "resetchannels", "+@all", "-@admin"]);
    words[6..].sort();
    assert_eq!(&words[6..], ["-flushall", "-flushdb"]);
}

#[test]
fn descriptions_round_trip() {
    for rules in [
        "on >x ~a* %R~b %W~c &ch +@all -@dangerous +keys -config|get",
        "-@all +@read +@write -set +select|3 (~x* +get) (&c +@pubsub)",
        "+config -config|set +client|id nocommands +@keyspace -del",
        "allkeys allchannels +@string -@write +incr",
    ] {
        let u = user_with("rt", rules);
        let again = user_with("rt", &u.describe());
        assert_eq!(again, u, "{rules} -> {}", u.describe());
    }
}

#[test]
fn getuser_matches_redis() {
    let info = user_with("u8", "on nopass (~a* +get) (%R~b* +@read)").info();
    assert_eq!(info.flags, ["on", "nopass"]);
    assert!(info.passwords.is_empty());
    assert_eq!((info.root.commands.as_str(), info.root.keys.as_str(), info.root.channels.as_str()), ("-@all", "", ""));
    assert_eq!(info.selectors.len(), 2);
    assert_eq!(info.selectors[0].commands, "-@all +get");
    assert_eq!(info.selectors[0].keys, "~a*");
    assert_eq!(info.selectors[1].commands, "-@all +@read");
    assert_eq!(info.selectors[1].keys, "%R~b*");
    let info = user_with("u7", "%R~r* %W~w* %RW~rw* ~k* %R~k* &c1 &c2").info();
    assert_eq!(info.flags, ["off"]);
    assert_eq!(info.root.keys, "%R~r* %W~w* ~rw* ~k*");
    assert_eq!(info.root.channels, "&c1 &c2");
    let info = user_with("all", "allkeys allchannels >p").info();
    assert_eq!((info.root.keys.as_str(), info.root.channels.as_str()), ("~*", "&*"));
    assert_eq!(info.passwords, [crate::sha256_hex(b"p")]);
    // acl-v2.tcl: "Test R+W is the same as all permissions".
    assert_eq!(user_with("rw", "%R~foo %W~foo %RW~bar").info().root.keys, "~foo ~bar");
}

#[test]
fn setuser_errors_match_redis() {
    let star = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any \
                effect. Try 'resetkeys' to start with an empty list of patterns";
    let cases: &[(&[&str], String)] = &[
        (&["allkeys", "~foo"], format!("ERR Error in ACL SETUSER modifier '~foo': {star}")),
        (
            &["&*", "&foo"],
            "ERR Error in ACL SETUSER modifier '&foo': Adding a pattern after the * pattern (or the 'allchannels' \
             flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of \
             channels"
                .into(),
        ),
        (
            &["<nosuch"],
            "ERR Error in ACL SETUSER modifier '<nosuch': The password you are trying to remove from the user does \
             not exist"
                .into(),
        ),
        (
            &["#badhash"],
            "ERR Error in ACL SETUSER modifier '#badhash': The password hash must be exactly 64 characters and \
             contain only lowercase hexadecimal characters"
                .into(),
        ),
        (
            &["!0123"],
            "ERR Error in ACL SETUSER modifier '!0123': The password hash must be exactly 64 characters and contain \
             only lowercase hexadecimal characters"
                .into(),
        ),
        (&["+nosuch"], "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL".into()),
        (&["+@nosuch"], "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL".into()),
        (&["+config|"], "ERR Error in ACL SETUSER modifier '+config|': Syntax error".into()),
        (&["+get|"], "ERR Error in ACL SETUSER modifier '+get|': Syntax error".into()),
        (
            &["+config|get|x"],
            "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"
                .into(),
        ),
        (&["bogus"], "ERR Error in ACL SETUSER modifier 'bogus': Syntax error".into()),
        (&["(~x"], "ERR Unmatched parenthesis in acl selector starting at '(~x'.".into()),
        (&["(bogus)"], "ERR Error in ACL SETUSER modifier '(bogus)': Syntax error".into()),
        (&["%X~foo"], "ERR Error in ACL SETUSER modifier '%X~foo': Syntax error".into()),
        (&["%~foo"], "ERR Error in ACL SETUSER modifier '%~foo': Syntax error".into()),
        (&["%RR~foo"], "ERR Error in ACL SETUSER modifier '%RR~foo': Syntax error".into()),
        (
            &["-select|0"],
            "ERR Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL".into(),
        ),
        (
            &["+config|nosuch"],
            "ERR Error in ACL SETUSER modifier '+config|nosuch': Unknown command or category name in ACL".into(),
        ),
        (
            &["-config|get|x"],
            "ERR Error in ACL SETUSER modifier '-config|get|x': Unknown command or category name in ACL".into(),
        ),
        (&["(~a", "allkeys", "~b)"], format!("ERR Error in ACL SETUSER modifier '(~a allkeys ~b)': {star}")),
        (&["on", ">ok", "(", "~x"], "ERR Unmatched parenthesis in acl selector starting at '('.".into()),
        (&["+"], "ERR Error in ACL SETUSER modifier '+': Unknown command or category name in ACL".into()),
        (&["-@"], "ERR Error in ACL SETUSER modifier '-@': Unknown command or category name in ACL".into()),
        (&["(\"a b\")"], "ERR Error in ACL SETUSER modifier '(\"a b\")': Syntax error".into()),
        (&["(~\"unbalanced)"], "ERR Error in ACL SETUSER modifier '(~\"unbalanced)': Syntax error".into()),
        (&["(\"\")"], "ERR Error in ACL SETUSER modifier '(\"\")': Syntax error".into()),
    ];
    for (rules, expected) in cases {
        assert_eq!(&setuser_error(rules), expected, "rules {rules:?}");
    }
    assert_eq!(
        AclUser::new("a b", false).unwrap_err().message(),
        "ERR Usernames can't contain spaces or null characters"
    );
    let mut u = AclUser::new("bin", false).unwrap();
    assert_eq!(u.apply_rule(b"~\xff"), Err(RuleError::Syntax), "non-UTF-8 patterns are refused");
    assert_eq!(u.apply_rule(b"#$argon2id$nonsense"), Err(RuleError::BadArgon2));
}

#[test]
fn rule_semantics() {
    // Keywords are case-insensitive; an empty rule does nothing.
    let u = user_with("k", "ON NoPass AllKeys ALLCHANNELS AllCommands");
    assert_eq!(u.describe(), "on nopass ~* &* +@all");
    let mut v = u.clone();
    v.apply_rule(b"").unwrap();
    assert_eq!(v, u);
    // Passwords: `>` after `nopass` clears it; `resetpass` clears both; `<`/`!` remove.
    let u = user_with("p", "nopass >a");
    assert!(!u.is_nopass() && u.verify_password(b"a") && !u.verify_password(b"b"));
    let mut u = user_with("p", ">a >b");
    u.apply_rules(&["<a"]).unwrap();
    assert!(!u.verify_password(b"a") && u.verify_password(b"b"));
    u.apply_rules(&[format!("!{}", crate::sha256_hex(b"b"))]).unwrap();
    assert!(!u.verify_password(b"b"));
    let u = user_with("p", ">a nopass");
    assert!(u.is_nopass() && u.verify_password(b"anything"));
    let u = user_with("p", ">a nopass resetpass");
    assert!(!u.is_nopass() && !u.verify_password(b"a") && u.info().passwords.is_empty());
    // Keys and channels: reset forms, `~*` and `&*` aliases, patterns after a reset.
    assert_eq!(user_with("k", "~* resetkeys ~a").info().root.keys, "~a");
    assert_eq!(user_with("k", "~a allkeys").info().root.keys, "~*");
    assert_eq!(user_with("c", "allchannels resetchannels &x").info().root.channels, "&x");
    assert_eq!(user_with("c", "&x &*").info().root.channels, "&*");
    // Commands: nocommands, -@all, a container brings its subcommands.
    assert_eq!(user_with("c", "+@all nocommands").info().root.commands, "-@all");
    assert_eq!(user_with("c", "+config").info().root.commands, "-@all +config");
    assert_eq!(user_with("c", "+config -config").info().root.commands, "-@all");
    assert_eq!(user_with("c", "+select|0 +SELECT|0").info().root.commands, "-@all +select|0");
    assert_eq!(user_with("c", "+select|0 +select").info().root.commands, "-@all +select");
    assert_eq!(user_with("c", "+select|0 -select").info().root.commands, "-@all");
    // `reset`, `clearselectors`.
    let u = user_with("r", "on >x ~a &b +@all (~c +get) reset");
    assert_eq!(u.describe(), "off sanitize-payload resetchannels -@all");
    assert_eq!(user_with("r", "(~c +get) (~d) clearselectors ~e").describe(), "off ~e resetchannels -@all");
}

#[test]
fn selectors_merge_and_quote() {
    let mut u = AclUser::new("s", false).unwrap();
    u.apply_rules(&["(~a", "+get", ")", "(~\"b\"", "+set)"]).unwrap();
    let info = u.info();
    assert_eq!(info.selectors.len(), 2);
    assert_eq!((info.selectors[0].keys.as_str(), info.selectors[0].commands.as_str()), ("~a", "-@all +get"));
    assert_eq!((info.selectors[1].keys.as_str(), info.selectors[1].commands.as_str()), ("~b", "-@all +set"));
    // acl-v2.tcl "Test flexible selector definition".
    let mut u = AclUser::new("s", false).unwrap();
    u.apply_rules(&["(~key1 +get )", "( ~key2 +get )", "( ~key3 +get)", "(~key4 +get)"]).unwrap();
    let keys: Vec<String> = u.info().selectors.into_iter().map(|s| s.keys).collect();
    assert_eq!(keys, ["~key1", "~key2", "~key3", "~key4"]);
    // acl-pubsub-default allchannels: new selectors and reset get &*.
    let mut u = AclUser::new("ps", true).unwrap();
    assert_eq!(u.describe(), "off &* -@all");
    u.apply_rules(&["(~x)", "reset"]).unwrap();
    assert_eq!(u.describe(), "off sanitize-payload &* -@all");
}
