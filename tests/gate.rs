//! The gate wired into the server (issue 3): how users, permissions and authentication behave
//! on a real server over a real socket, beyond the attacks of tests/threats.rs. ACL changes
//! reach live connections as in Redis (the next command, EXEC's re-check, deleted users'
//! connections closed, subscribers whose channels were revoked closed), AUTH runs in order in a
//! pipeline, RESET logs out, argon2id users authenticate, SORT's BY/GET need access to every key.

mod common;

use common::{send_raw, Server};
use redis::{Connection, RedisResult, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

const CONFIG: &str = "requirepass app-pw\nuser admin on >admin-pw ~* &* +@all\naudit-log {dir}/audit.log\n";

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> RedisResult<T> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
}

fn login(s: &Server, user: &str, pw: &str) -> Connection {
    let mut c = redis::Client::open(s.url()).unwrap().get_connection().unwrap();
    let _: () = q(&mut c, &["AUTH", user, pw]).unwrap();
    c
}

fn err(r: RedisResult<Value>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

/// Whether a raw connection was closed by the server within a few seconds.
fn closed(stream: &mut std::net::TcpStream) -> bool {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => return e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::TimedOut,
        }
    }
}

#[test]
fn acl_changes_apply_to_live_connections() {
    let s = Server::start_with_config(CONFIG, &[]);
    let mut admin = login(&s, "admin", "admin-pw");
    let _: () = q(&mut admin, &["ACL", "SETUSER", "app", "on", ">pw", "~*", "+@all"]).unwrap();
    let mut app = login(&s, "app", "pw");
    let _: () = q(&mut app, &["SET", "k", "v"]).unwrap();
    // Taking GET away applies to the next command of the live connection.
    let _: () = q(&mut admin, &["ACL", "SETUSER", "app", "-get"]).unwrap();
    assert!(err(q(&mut app, &["GET", "k"])).contains("no permissions to run the 'get' command"));
    // EXEC checks queued commands again.
    let _: () = q(&mut admin, &["ACL", "SETUSER", "app", "+get"]).unwrap();
    let _: () = q(&mut app, &["MULTI"]).unwrap();
    let _: String = q(&mut app, &["GET", "k"]).unwrap();
    let _: () = q(&mut admin, &["ACL", "SETUSER", "app", "-get"]).unwrap();
    let exec = err(q(&mut app, &["EXEC"]));
    assert!(exec.contains("ACLs rules changed between the moment the transaction was accumulated"), "{exec}");
    // A changed password does not log the connection out (Redis's behaviour)...
    let _: () = q(&mut admin, &["ACL", "SETUSER", "app", "+get", "resetpass", ">new-pw"]).unwrap();
    assert_eq!(q::<String>(&mut app, &["GET", "k"]).unwrap(), "v");
    // ...but ACL DELUSER closes the user's connections at once.
    let mut raw = s.raw();
    assert!(send_raw(&mut raw, b"AUTH app new-pw\r\n", Duration::from_millis(300)).starts_with(b"+OK"));
    let deleted: i64 = q(&mut admin, &["ACL", "DELUSER", "app"]).unwrap();
    assert_eq!(deleted, 1);
    assert!(closed(&mut raw), "a deleted user's connection stayed open");
    assert!(q::<Value>(&mut app, &["PING"]).is_err(), "a deleted user's connection still runs commands");
    let l = s.audit_lines_with(&["\"event\":\"acl_change\"", "acl|deluser"]).join("\n");
    assert!(l.contains("\"event\":\"acl_change\"") && l.contains("acl|deluser"), "{l}");
    assert!(!l.contains("new-pw"), "ACL rules are never written to the audit log");
}

#[test]
fn subscribers_whose_channels_are_revoked_are_disconnected() {
    let s = Server::start_with_config(CONFIG, &[]);
    let mut admin = login(&s, "admin", "admin-pw");
    let _: () = q(&mut admin, &["ACL", "SETUSER", "sub", "on", ">pw", "&news:*", "&alerts", "+@all"]).unwrap();
    let mut keeps = s.raw();
    let mut loses = s.raw();
    assert!(
        send_raw(&mut keeps, b"AUTH sub pw\r\nSUBSCRIBE alerts\r\n", Duration::from_millis(300)).starts_with(b"+OK")
    );
    assert!(
        send_raw(&mut loses, b"AUTH sub pw\r\nPSUBSCRIBE news:*\r\n", Duration::from_millis(300)).starts_with(b"+OK")
    );
    // A channel outside the rules is refused before anything happens.
    let mut c = login(&s, "sub", "pw");
    assert!(err(q(&mut c, &["PUBLISH", "other", "x"])).contains("channels used as arguments"));
    // Revoke the pattern: its subscriber is closed, the other one stays.
    let _: () = q(&mut admin, &["ACL", "SETUSER", "sub", "resetchannels", "&alerts"]).unwrap();
    assert!(closed(&mut loses), "the subscriber of a revoked pattern stayed connected");
    let n: i64 = q(&mut admin, &["PUBLISH", "alerts", "hello"]).unwrap();
    assert_eq!(n, 1);
    keeps.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut r = BufReader::new(keeps);
    let mut text = String::new();
    while !text.contains("hello") {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "the subscriber that kept its channel was closed");
        text.push_str(&line);
    }
}

#[test]
fn a_pipeline_runs_around_auth_in_order_and_reset_logs_out() {
    let s = Server::start_with_config(CONFIG, &[]);
    let mut raw = s.raw();
    let out = send_raw(
        &mut raw,
        b"SET before 1\r\nAUTH app-pw\r\nSET after 2\r\nGET after\r\nRESET\r\nGET after\r\n",
        Duration::from_millis(500),
    );
    assert_eq!(
        String::from_utf8_lossy(&out),
        "-NOAUTH Authentication required.\r\n+OK\r\n+OK\r\n$1\r\n2\r\n+RESET\r\n-NOAUTH Authentication required.\r\n"
    );
    // HELLO AUTH: wrong, then right with SETNAME, in one pipeline.
    let mut raw = s.raw();
    let out = send_raw(
        &mut raw,
        b"HELLO 3 AUTH default nope\r\nHELLO 3 AUTH default app-pw SETNAME web1\r\nCLIENT GETNAME\r\n",
        Duration::from_millis(500),
    );
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("-WRONGPASS invalid username-password pair or user is disabled.\r\n%7\r\n"), "{text}");
    assert!(text.contains("$7\r\nversion\r\n") && text.ends_with("$4\r\nweb1\r\n"), "{text}");
    // AUTH queued in MULTI runs at EXEC, as in Redis.
    let mut raw = s.raw();
    let out = send_raw(
        &mut raw,
        b"AUTH app-pw\r\nMULTI\r\nAUTH admin admin-pw\r\nACL WHOAMI\r\nEXEC\r\n",
        Duration::from_millis(500),
    );
    assert!(
        String::from_utf8_lossy(&out).ends_with("*2\r\n+OK\r\n$5\r\nadmin\r\n"),
        "{}",
        String::from_utf8_lossy(&out)
    );
}

#[test]
fn unauthenticated_clients_get_the_tight_limits_until_auth() {
    let s = Server::start_with_config(CONFIG, &[]);
    // AUTH and an 11-argument command pipelined in one write: the command is parsed after AUTH.
    let mut raw = s.raw();
    let mset = "*11\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n";
    let out = send_raw(&mut raw, format!("AUTH app-pw\r\n{mset}").as_bytes(), Duration::from_millis(500));
    assert_eq!(String::from_utf8_lossy(&out), "+OK\r\n+OK\r\n");
    let mut raw = s.raw();
    let out = send_raw(&mut raw, mset.as_bytes(), Duration::from_millis(500));
    assert_eq!(String::from_utf8_lossy(&out), "-ERR Protocol error: unauthenticated multibulk length\r\n");
}

#[test]
fn argon2id_users_authenticate_off_the_event_loop() {
    let hash = redoubt_security::argon2id_hash(b"slow-secret").unwrap();
    let s = Server::start_with_config(&format!("{CONFIG}user slow on #{hash} ~* +@read\n"), &[]);
    let mut c = login(&s, "slow", "slow-secret");
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "nothing"]).unwrap(), None);
    let mut raw = s.raw();
    let out = send_raw(&mut raw, b"AUTH slow wrong\r\n", Duration::from_millis(2000));
    assert!(out.starts_with(b"-WRONGPASS"), "{}", String::from_utf8_lossy(&out));
}

#[test]
fn sort_by_and_get_need_access_to_every_key_and_config_set_requirepass_applies() {
    let s = Server::start_with_config(CONFIG, &[]);
    let mut admin = login(&s, "admin", "admin-pw");
    let _: () = q(&mut admin, &["RPUSH", "app:list", "2", "1"]).unwrap();
    let _: () = q(&mut admin, &["ACL", "SETUSER", "narrow", "on", ">pw", "~app:*", "+@all"]).unwrap();
    let mut narrow = login(&s, "narrow", "pw");
    let sorted: Vec<String> = q(&mut narrow, &["SORT", "app:list"]).unwrap();
    assert_eq!(sorted, ["1", "2"]);
    assert!(err(q(&mut narrow, &["SORT", "app:list", "BY", "w_*"]))
        .contains("BY option of SORT denied due to insufficient ACL permissions."));
    assert!(err(q(&mut narrow, &["SORT", "app:list", "GET", "#"]))
        .contains("GET option of SORT denied due to insufficient ACL permissions."));
    // CONFIG SET requirepass changes the default user's password at once.
    let _: () = q(&mut admin, &["CONFIG", "SET", "requirepass", "rotated"]).unwrap();
    let mut raw = s.raw();
    let out = send_raw(&mut raw, b"AUTH app-pw\r\nAUTH rotated\r\n", Duration::from_millis(500));
    assert_eq!(
        String::from_utf8_lossy(&out),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n"
    );
    // ACL LOG and GETUSER are admin; WHOAMI, CAT and GENPASS are not.
    let mut app = login(&s, "default", "rotated");
    assert!(err(q(&mut app, &["ACL", "LOG"])).contains("acl|log"));
    assert!(err(q(&mut app, &["ACL", "GETUSER", "admin"])).contains("acl|getuser"));
    assert_eq!(q::<String>(&mut app, &["ACL", "WHOAMI"]).unwrap(), "default");
    assert_eq!(q::<String>(&mut app, &["ACL", "GENPASS"]).unwrap().len(), 64);
    let log: Value = q(&mut admin, &["ACL", "LOG"]).unwrap();
    assert!(format!("{log:?}").contains("acl|log"), "{log:?}");
    let _ = raw.write_all(b"QUIT\r\n");
}
