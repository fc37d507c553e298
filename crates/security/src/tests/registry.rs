//! The user registry: secure defaults, requirepass, config users, the aclfile, live
//! handles, DRYRUN, CAT.

use super::args;
use crate::{AuthError, Users, UsersSetup, DATA_SURFACE_RULES};
use redoubt_commands::table::{lookup, lookup_sub};
use redoubt_config::UserDirective;
use std::os::unix::fs::PermissionsExt;

fn allowed(users: &Users, name: &str, line: &str) -> bool {
    let a = args(line);
    let top = lookup(&a[0]).unwrap();
    let u = users.get(name.as_bytes()).unwrap();
    if !top.subcommands.is_empty() && a.len() > 1 {
        u.check(lookup_sub(top, &a[1]).unwrap(), Some(top), &a).is_ok()
    } else {
        u.check(top, None, &a).is_ok()
    }
}

fn directive(name: &str, rules: &str) -> UserDirective {
    UserDirective { name: name.into(), rules: rules.split(' ').map(str::to_string).collect() }
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("redoubt-security-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn default_user_gets_the_data_surface() {
    let users = Users::default();
    assert!(users.default_needs_no_auth());
    let line = users.list().remove(0);
    assert!(line.starts_with("user default on nopass ~* &* +@all -@admin"), "{line}");
    for ok in ["get k", "set k v", "del k", "keys *", "select 1", "ping", "client id", "client setname x"] {
        if lookup(ok.split(' ').next().unwrap().as_bytes()).is_some() {
            assert!(allowed(&users, "default", ok), "{ok} should be allowed");
        }
    }
    for refused in [
        "config set dir /tmp",
        "config get dir",
        "config rewrite",
        "config resetstat",
        "flushall",
        "flushdb",
        "shutdown",
        "client kill 1.2.3.4:5",
        "client list",
        "client pause 10",
        "client unpause",
        "save",
        "bgsave",
        "bgrewriteaof",
        "replicaof host 1",
        "slaveof host 1",
        "sync",
        "psync x 1",
        "replconf a b",
        "failover",
        "monitor",
        "debug segfault",
        "module load /x.so",
        "acl setuser x",
        "acl deluser x",
        "acl load",
        "acl save",
        "acl list",
        "acl getuser default",
        "migrate h 1 k 0 1",
    ] {
        let name = refused.split(' ').next().unwrap();
        let Some(top) = lookup(name.as_bytes()) else { continue };
        let a = args(refused);
        let sub = (!top.subcommands.is_empty()).then(|| lookup_sub(top, &a[1])).flatten();
        if !top.subcommands.is_empty() && sub.is_none() {
            continue;
        }
        assert!(!allowed(&users, "default", refused), "{refused} should be refused for default");
    }
    for ok in ["acl whoami", "acl cat", "acl genpass"] {
        if let Some(top) = lookup(b"acl") {
            if lookup_sub(top, &args(ok)[1]).is_some() {
                assert!(allowed(&users, "default", ok), "{ok}");
            }
        }
    }
    assert_eq!(DATA_SURFACE_RULES[0], "+@all");
}

#[test]
fn requirepass_is_the_default_users_password() {
    let users = Users::setup(UsersSetup { requirepass: Some(b"s3cret"), ..Default::default() }).unwrap();
    assert!(!users.default_needs_no_auth());
    assert!(users.authenticate(b"default", b"s3cret").is_ok());
    assert_eq!(users.authenticate(b"default", b"nope").unwrap_err(), AuthError::WrongPassword);
    assert!(users.list()[0].contains(&format!("#{}", crate::sha256_hex(b"s3cret"))));
    assert!(!users.list()[0].contains("s3cret "), "never the cleartext");
    // CONFIG SET requirepass: applies to the live handle.
    let h = users.default_handle();
    let g = h.generation();
    users.set_requirepass(Some(b"new"));
    assert!(h.generation() > g);
    assert!(h.user().verify_password(b"new") && !h.user().verify_password(b"s3cret"));
    users.set_requirepass(None);
    assert!(users.default_needs_no_auth());
    assert!(users.list()[0].starts_with("user default on nopass ~* &* +@all -@admin"));
}

#[test]
fn config_users_and_authentication() {
    let ds = [
        directive("admin", "on >adminpw ~* &* +@all"),
        directive("ro", "on >ropw ~app:* -@all +@read"),
        directive("off", ">x"),
    ];
    let users = Users::setup(UsersSetup { users: &ds, ..Default::default() }).unwrap();
    assert_eq!(users.usernames(), ["admin", "default", "off", "ro"]);
    let admin = users.authenticate(b"admin", b"adminpw").unwrap();
    assert_eq!(admin.user().name(), "admin");
    assert!(allowed(&users, "admin", "flushall") && allowed(&users, "admin", "config set a b"));
    assert!(
        allowed(&users, "ro", "get app:1")
            && !allowed(&users, "ro", "get other")
            && !allowed(&users, "ro", "set app:1 v")
    );
    assert_eq!(users.authenticate(b"nobody", b"x").unwrap_err(), AuthError::NoSuchUser);
    assert_eq!(users.authenticate(b"off", b"x").unwrap_err(), AuthError::Disabled);
    assert_eq!(users.authenticate(b"\xff", b"x").unwrap_err(), AuthError::NoSuchUser);
    assert_eq!(AuthError::Disabled.message(), "WRONGPASS invalid username-password pair or user is disabled.");
    // A `user default` line replaces the secure default, Redis-style (reset, then the rules).
    let ds = [directive("default", "on nopass ~* &* +@all")];
    let users = Users::setup(UsersSetup { users: &ds, requirepass: Some(b"ignored"), ..Default::default() }).unwrap();
    assert_eq!(users.list(), ["user default on nopass sanitize-payload ~* &* +@all"]);
    // Refusals.
    let dup = [directive("a", "on"), directive("a", "off")];
    assert!(Users::setup(UsersSetup { users: &dup, ..Default::default() })
        .unwrap_err()
        .message()
        .contains("Duplicate user"));
    let bad = [directive("a", "on +nosuchcommand")];
    let e = Users::setup(UsersSetup { users: &bad, ..Default::default() }).unwrap_err();
    assert!(e.message().contains("'+nosuchcommand': Unknown command or category name in ACL"), "{e}");
    let both = [directive("a", "on")];
    let p = std::path::Path::new("/nonexistent.acl");
    assert!(Users::setup(UsersSetup { users: &both, aclfile: Some(p), ..Default::default() }).is_err());
}

#[test]
fn setuser_deluser_and_live_handles() {
    let users = Users::default();
    users.setuser(b"app", &["on", ">pw", "~*", "+get"]).unwrap();
    let h = users.authenticate(b"app", b"pw").unwrap();
    assert!(h.user().check(lookup(b"set").unwrap(), None, &args("set k v")).is_err());
    users.setuser(b"app", &["+set"]).unwrap();
    assert!(h.user().check(lookup(b"set").unwrap(), None, &args("set k v")).is_ok(), "changes apply to live handles");
    let e = users.setuser(b"app", &["+get", "bogus"]).unwrap_err();
    assert_eq!(e.message(), "ERR Error in ACL SETUSER modifier 'bogus': Syntax error");
    assert!(users.setuser(b"a b", &["on"]).unwrap_err().message().contains("Usernames can't contain spaces"));
    assert!(users.setuser(b"\xff", &["on"]).is_err());
    assert_eq!(users.deluser(&["default"]).unwrap_err().message(), "ERR The 'default' user cannot be removed");
    assert_eq!(users.deluser(&["app", "nosuch"]).unwrap(), 1);
    assert!(h.is_deleted());
    assert!(users.authenticate(b"app", b"pw").is_err());
    users.setuser(b"app", &["on", ">pw"]).unwrap();
    let h2 = users.handle(b"app").unwrap();
    assert!(!h2.same_user(&h) && !h2.is_deleted());
}

#[test]
fn dryrun_and_cat() {
    let users = Users::default();
    users.setuser(b"command-test", &["+@all", "%R~read*", "%W~write*", "%RW~rw*"]).unwrap();
    assert_eq!(users.dryrun(b"command-test", &args("get read")).unwrap(), Ok(()));
    assert_eq!(
        users.dryrun(b"command-test", &args("get write")).unwrap().unwrap_err().dryrun_message(),
        "This user has no permissions to access the 'write' key"
    );
    assert_eq!(users.dryrun(b"not-a-user", &args("get x")).unwrap_err().message(), "ERR User 'not-a-user' not found");
    assert_eq!(
        users.dryrun(b"command-test", &args("not-a-command read")).unwrap_err().message(),
        "ERR Command 'not-a-command' not found"
    );
    assert_eq!(
        users.dryrun(b"command-test", &args("set v")).unwrap_err().message(),
        "ERR wrong number of arguments for 'set' command"
    );
    assert_eq!(
        users.dryrun(b"command-test", &args("config nosuch")).unwrap_err().message(),
        "ERR Command 'config' not found"
    );
    let cats = Users::cat(None).unwrap();
    assert_eq!(cats.len(), 21);
    assert_eq!(cats[0], "keyspace");
    assert!(Users::cat(Some(b"read")).unwrap().contains(&"get".to_string()));
    assert_eq!(Users::cat(Some(b"nosuch")).unwrap_err().message(), "ERR Unknown category 'nosuch'");
}

#[test]
fn aclfile_load_and_save() {
    let dir = tmpdir("aclfile");
    let path = dir.join("users.acl");
    let hash = crate::sha256_hex(b"alicepw");
    let argon = crate::argon2id_hash(b"bobpw").unwrap();
    std::fs::write(&path, format!("user alice on #{hash} ~rw* (+get ~r*)\n\nuser bob on #{argon} ~* +@all\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = Users::setup(UsersSetup { aclfile: Some(&path), ..Default::default() }).unwrap_err();
    assert!(e.message().contains("chmod 600"), "{e}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let users =
        Users::setup(UsersSetup { aclfile: Some(&path), requirepass: Some(b"dp"), ..Default::default() }).unwrap();
    assert_eq!(users.usernames(), ["alice", "bob", "default"]);
    assert!(users.authenticate(b"alice", b"alicepw").is_ok());
    let bob = users.get(b"bob").unwrap();
    assert!(bob.has_slow_hashes());
    assert!(users.authenticate(b"bob", b"bobpw").is_ok() && users.authenticate(b"bob", b"x").is_err());
    assert!(users.authenticate(b"default", b"dp").is_ok(), "no default line: secure default with requirepass");
    // ACL SAVE then ACL LOAD round-trips; LOAD deletes old handles except default's.
    users.setuser(b"carol", &["on", ">c", "~c*", "+@read"]).unwrap();
    let carol = users.handle(b"carol").unwrap();
    let default = users.default_handle();
    users.acl_save().unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains(&format!("user bob on #{argon} ~* resetchannels +@all")), "{saved}");
    users.acl_load().unwrap();
    assert!(carol.is_deleted() && !default.is_deleted());
    assert!(users.authenticate(b"carol", b"c").is_ok());
    assert_eq!(users.list().join("\n") + "\n", saved);
    // A broken file changes nothing and says why.
    std::fs::write(&path, "user dave on +nosuch\n# comment\nuser alice on\nuser alice off\nuser eve on #zz\n").unwrap();
    let e = users.acl_load().unwrap_err().message().to_string();
    let f = path.display();
    assert_eq!(
        e,
        format!(
            "ERR {f}:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. {f}:2 should \
             start with user keyword followed by the username. WARNING: Duplicate user 'alice' found on line 4. \
             {f}:5: The password hash must be exactly 64 characters and contain only lowercase hexadecimal \
             characters. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        )
    );
    assert!(users.authenticate(b"carol", b"c").is_ok());
    let no_file = Users::default();
    assert!(no_file
        .acl_load()
        .unwrap_err()
        .message()
        .starts_with("ERR This Redis instance is not configured to use an ACL file."));
    assert!(no_file.acl_save().is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pubsub_default_and_from_config() {
    let users = Users::default();
    users.set_pubsub_default(true);
    users.setuser(b"n", &["on"]).unwrap();
    assert_eq!(users.get(b"n").unwrap().describe(), "on &* -@all");
    let mut cfg = redoubt_config::Config::default();
    cfg.users = vec![directive("app", "on >pw ~* +@all")];
    let users = Users::from_config(&cfg).unwrap();
    assert!(users.authenticate(b"app", b"pw").is_ok());
    assert!(users.default_needs_no_auth());
}
