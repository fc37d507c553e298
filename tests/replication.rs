//! Replication between real processes on loopback: a Redoubt replica of a Redoubt primary,
//! Debian's redis-server as a replica of Redoubt and Redoubt as a replica of redis-server
//! (identical data, key by key, with absolute deadlines), the stream a SYNC client reads
//! (SELECT, expiry as DEL), link loss and reconnection, replica output buffers (counted
//! apart, never a cause of eviction, bounded by their limit), and every refusal: REPLICAOF,
//! SYNC and PSYNC for a user without the admin surface, REPLICAOF towards a primary the
//! configuration does not allow, writes on a read-only replica. The redis-server tests are
//! skipped, saying so, when it is not installed.

mod common;

use common::procs::{have, q, run, state, Proc, Scratch, State};
use common::Server;
use redis::Connection;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Lets REPLICAOF name any primary on loopback (the harness's servers take free ports).
const ALLOW_LOOPBACK: [&str; 2] = ["--replica-allowed-primaries", "127.0.0.1:*"];

fn info_field(c: &mut Connection, section: &str, field: &str) -> Option<String> {
    let info: String = q(c, &[b"INFO", section.as_bytes()]);
    info.lines().find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
}

fn num(c: &mut Connection, section: &str, field: &str) -> i64 {
    info_field(c, section, field).unwrap_or_else(|| panic!("no {field}")).parse().unwrap()
}

/// Polls `cond` for up to 30 s; panics with `what` if it never holds.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn link_up(c: &mut Connection) -> bool {
    info_field(c, "replication", "master_link_status").as_deref() == Some("up")
}

/// Waits until the replica holds exactly the primary's data.
fn wait_same(primary: &mut Connection, replica: &mut Connection) -> State {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (p, r) = (state(primary), state(replica));
        if p == r {
            return p;
        }
        if Instant::now() > deadline {
            panic!("the replica never matched the primary:\nprimary {p:?}\nreplica {r:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes of several types, in several databases, with deadlines.
fn workload(c: &mut Connection, tag: &str) {
    for line in [
        format!("SET {tag}:s hello"),
        format!("SET {tag}:ex v EX 1000"),
        format!("RPUSH {tag}:l a b c"),
        format!("HSET {tag}:h f1 v1 f2 v2"),
        format!("SADD {tag}:set x y z"),
        format!("ZADD {tag}:z 1 a 2.5 b"),
        format!("INCRBYFLOAT {tag}:f 1.5"),
        format!("PEXPIRE {tag}:l 5000000"),
        "SELECT 3".to_string(),
        format!("SET {tag}:db3 here"),
        "SELECT 7".to_string(),
        format!("LPUSH {tag}:db7 1 2 3"),
        "SELECT 0".to_string(),
    ] {
        run(c, &line);
    }
}

#[test]
fn a_redoubt_replica_follows_a_redoubt_primary_then_is_promoted() {
    let primary = Server::start(&[]);
    let replica = Server::start(&ALLOW_LOOPBACK);
    let (mut p, mut r) = (primary.conn(), replica.conn());
    workload(&mut p, "before");
    let port = primary.port.to_string();
    run(&mut r, &format!("SET stale {port}"));
    let reply: String = q(&mut r, &[b"REPLICAOF", b"127.0.0.1", port.as_bytes()]);
    assert_eq!(reply, "OK");
    wait_for("the link to come up", || link_up(&mut r));
    wait_same(&mut p, &mut r);
    assert_eq!(info_field(&mut r, "replication", "role").as_deref(), Some("slave"));
    assert_eq!(info_field(&mut r, "replication", "master_port"), Some(port.clone()));
    assert_eq!(num(&mut p, "replication", "connected_slaves"), 1);
    let slave0 = info_field(&mut p, "replication", "slave0").unwrap();
    assert!(slave0.contains(&format!("port={}", replica.port)) && slave0.contains("state=online"), "{slave0}");

    // Writes after the link, in other databases, and a transaction.
    workload(&mut p, "after");
    run(&mut p, "MULTI");
    run(&mut p, "INCR counter");
    run(&mut p, "INCR counter");
    run(&mut p, "EXEC");
    wait_same(&mut p, &mut r);

    // Clients of a read-only replica cannot write; reads work.
    let e = redis::cmd("SET").arg("x").arg("1").query::<()>(&mut r).unwrap_err();
    assert_eq!(common::error_text(&e), "READONLY You can't write against a read only replica.");
    let got: String = q(&mut r, &[b"GET", b"after:s"]);
    assert_eq!(got, "hello");
    let role: redis::Value = q(&mut r, &[b"ROLE"]);
    assert!(format!("{role:?}").contains("connected"), "{role:?}");
    let clients: String = q(&mut p, &[b"CLIENT", b"LIST", b"TYPE", b"replica"]);
    assert!(clients.contains("flags=S"), "{clients}");
    let clients: String = q(&mut r, &[b"CLIENT", b"LIST", b"TYPE", b"master"]);
    assert!(clients.contains("flags=M"), "{clients}");

    // A replica leaves eviction to its primary (replica-ignore-maxmemory yes).
    run(&mut r, "CONFIG SET maxmemory-policy allkeys-random");
    run(&mut r, "CONFIG SET maxmemory 1");
    run(&mut p, "SET after-maxmemory 1");
    let data = wait_same(&mut p, &mut r);
    assert!(data.len() > 10, "{data:?}");
    run(&mut r, "CONFIG SET maxmemory 0");

    // Promotion: writable again, and the old primary's writes no longer arrive.
    let reply: String = q(&mut r, &[b"REPLICAOF", b"NO", b"ONE"]);
    assert_eq!(reply, "OK");
    assert_eq!(info_field(&mut r, "replication", "role").as_deref(), Some("master"));
    run(&mut r, "SET promoted yes");
    run(&mut p, "SET only-on-old-primary yes");
    wait_for("the old primary to see the replica go", || num(&mut p, "replication", "connected_slaves") == 0);
    let exists: i64 = q(&mut r, &[b"EXISTS", b"only-on-old-primary"]);
    assert_eq!(exists, 0);
}

/// Reads one RESP array of bulk strings from the stream.
fn read_command(reader: &mut BufReader<TcpStream>) -> Vec<String> {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let n: usize =
        line.trim_end().strip_prefix('*').unwrap_or_else(|| panic!("not an array: {line:?}")).parse().unwrap();
    let mut args = Vec::new();
    for _ in 0..n {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let len: usize = line.trim_end().strip_prefix('$').unwrap().parse().unwrap();
        let mut buf = vec![0u8; len + 2];
        reader.read_exact(&mut buf).unwrap();
        buf.truncate(len);
        args.push(String::from_utf8(buf).unwrap());
    }
    args
}

/// SYNC as Redis's test suite attaches to the stream: the snapshot as one bulk, then commands.
fn attach_sync(port: u16) -> BufReader<TcpStream> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"SYNC\r\n").unwrap();
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    while line.trim_end().is_empty() {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    let len: usize = line.trim_end().strip_prefix('$').unwrap_or_else(|| panic!("{line:?}")).parse().unwrap();
    let mut rdb = vec![0u8; len];
    reader.read_exact(&mut rdb).unwrap();
    assert!(rdb.starts_with(b"REDIS"), "the snapshot is an RDB image");
    reader
}

#[test]
fn the_stream_selects_databases_and_sends_expired_keys_as_del() {
    let primary = Server::start(&[]);
    let mut p = primary.conn();
    run(&mut p, "SET before-sync 1");
    let mut stream = attach_sync(primary.port);
    run(&mut p, "SET a 1");
    run(&mut p, "SELECT 2");
    run(&mut p, "SET b 2 PX 100");
    run(&mut p, "SET c 3 EX 100");
    run(&mut p, "SELECT 0");
    run(&mut p, "SET d 4");
    assert_eq!(read_command(&mut stream), ["SELECT", "0"]);
    assert_eq!(read_command(&mut stream), ["SET", "a", "1"]);
    assert_eq!(read_command(&mut stream), ["SELECT", "2"]);
    let set_b = read_command(&mut stream);
    assert_eq!(&set_b[..3], ["SET", "b", "2"], "{set_b:?}");
    assert!(set_b[3].eq_ignore_ascii_case("PXAT"), "a relative expiry goes out absolute: {set_b:?}");
    let set_c = read_command(&mut stream);
    assert!(set_c[3].eq_ignore_ascii_case("PXAT"), "{set_c:?}");
    assert_eq!(read_command(&mut stream), ["SELECT", "0"]);
    assert_eq!(read_command(&mut stream), ["SET", "d", "4"]);
    // Once b's deadline passed, the primary's expiry is sent as DEL.
    wait_for("b to expire on the primary", || {
        run(&mut p, "SELECT 2");
        let n: i64 = q(&mut p, &[b"EXISTS", b"b"]);
        run(&mut p, "SELECT 0");
        n == 0
    });
    assert_eq!(read_command(&mut stream), ["SELECT", "2"]);
    assert_eq!(read_command(&mut stream), ["DEL", "b"]);
}

#[test]
fn a_lost_link_is_retried_and_resynchronised() {
    let scratch = Scratch::new("repl-link");
    let primary = Proc::redoubt(&scratch, &[]).unwrap();
    let port = primary.port;
    let replica = Server::start(&ALLOW_LOOPBACK);
    let (mut p, mut r) = (primary.conn(), replica.conn());
    run(&mut p, "SET first 1");
    let _: String = q(&mut r, &[b"REPLICAOF", b"127.0.0.1", port.to_string().as_bytes()]);
    wait_for("the link to come up", || link_up(&mut r));
    wait_same(&mut p, &mut r);

    // The primary drops the replica: it reconnects and gets what it missed.
    let killed: i64 = q(&mut p, &[b"CLIENT", b"KILL", b"TYPE", b"replica"]);
    assert_eq!(killed, 1);
    run(&mut p, "SET while-dropped 1");
    wait_for("the replica to come back", || num(&mut p, "replication", "connected_slaves") == 1);
    wait_same(&mut p, &mut r);

    // The primary dies: the link is down; a new primary on the same port is followed.
    drop(p);
    primary.kill();
    wait_for("the link to go down", || !link_up(&mut r));
    let down = info_field(&mut r, "replication", "master_link_down_since_seconds");
    assert!(down.is_some(), "INFO says since when the link is down");
    let again = restart_on(&scratch, port);
    let mut p2 = again.conn();
    run(&mut p2, "FLUSHALL");
    run(&mut p2, "SET second-primary yes");
    wait_for("the link to come back up", || link_up(&mut r));
    let data = wait_same(&mut p2, &mut r);
    assert_eq!(data.len(), 1, "the new primary's dataset replaced the old one: {data:?}");
}

/// Starts Redoubt again in `scratch`, on `port` (the one a replica follows).
fn restart_on(scratch: &Scratch, port: u16) -> Proc {
    let conf = scratch.0.join("redoubt-test.conf");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .arg(&conf)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .current_dir(&scratch.0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::wait_answering(port, "redoubt", |line| line.starts_with("+PONG"));
    Proc { child, port }
}

#[test]
fn redis_server_replicates_from_redoubt_with_identical_data() {
    if !have("redis-server") {
        return;
    }
    let primary = Server::start(&[]);
    let mut p = primary.conn();
    workload(&mut p, "before");
    let scratch = Scratch::new("redis-replica");
    let port = primary.port.to_string();
    let redis = Proc::redis(&scratch.0, &["--replicaof", "127.0.0.1", &port]).unwrap();
    let mut rc = redis.conn();
    wait_for("redis-server's link to come up", || link_up(&mut rc));
    wait_same(&mut p, &mut rc);
    workload(&mut p, "after");
    run(&mut p, "DEL before:s");
    wait_same(&mut p, &mut rc);
    let slave0 = info_field(&mut p, "replication", "slave0").unwrap();
    assert!(slave0.contains("state=online"), "{slave0}");
}

#[test]
fn redoubt_replicates_from_redis_server_with_identical_data() {
    if !have("redis-server") {
        return;
    }
    let scratch = Scratch::new("redis-primary");
    let redis = Proc::redis(&scratch.0, &[]).unwrap();
    let mut rc = redis.conn();
    workload(&mut rc, "before");
    let replica = Server::start(&ALLOW_LOOPBACK);
    let mut r = replica.conn();
    let _: String = q(&mut r, &[b"REPLICAOF", b"127.0.0.1", redis.port.to_string().as_bytes()]);
    wait_for("the link to come up", || link_up(&mut r));
    wait_same(&mut rc, &mut r);
    workload(&mut rc, "after");
    run(&mut rc, "SPOP before:set");
    run(&mut rc, "EXPIRE after:s 100000");
    wait_same(&mut rc, &mut r);
}

/// A config with an application password, an admin and an audit log.
fn guarded_config(extra: &str) -> String {
    format!("requirepass app-pw-1\nuser admin on >admin-pw-1 ~* &* +@all\naudit-log {{dir}}/audit.log\n{extra}")
}

/// The audit lines holding every one of `needles` (waiting for the first, as the log is
/// written by a thread).
fn audited(s: &Server, needles: &[&str]) -> Vec<String> {
    s.audit_lines_with(needles).into_iter().filter(|l| needles.iter().all(|n| l.contains(n))).collect()
}

fn login(s: &Server, user: &str, password: &str) -> Connection {
    let mut c = s.conn();
    let _: String = q(&mut c, &[b"AUTH", user.as_bytes(), password.as_bytes()]);
    c
}

#[test]
fn replication_commands_are_refused_outside_the_admin_surface_and_towards_unlisted_primaries() {
    let allowed = common::free_port();
    let s =
        Server::start_with_config(&guarded_config(&format!("replica-allowed-primaries 127.0.0.1:{allowed}\n")), &[]);
    let mut app = login(&s, "default", "app-pw-1");
    for cmd in [
        &["REPLICAOF", "127.0.0.1", "1"][..],
        &["SLAVEOF", "no", "one"],
        &["SYNC"],
        &["PSYNC", "?", "-1"],
        &["REPLCONF", "ack", "0"],
    ] {
        let mut c = redis::cmd(cmd[0]);
        for a in &cmd[1..] {
            c.arg(*a);
        }
        let e = c.query::<redis::Value>(&mut app).unwrap_err();
        assert!(common::error_text(&e).starts_with("NOPERM"), "{cmd:?}: {e}");
    }
    assert_eq!(audited(&s, &["permission_denied", "\"replicaof\""]).len(), 1);

    let mut admin = login(&s, "admin", "admin-pw-1");
    // Another port of the listed host, another host: refused, audited, role unchanged.
    for (host, port) in [("127.0.0.1", allowed + 1), ("10.9.9.9", allowed)] {
        let e = redis::cmd("REPLICAOF").arg(host).arg(port).query::<()>(&mut admin).unwrap_err();
        let text = common::error_text(&e);
        assert!(text.starts_with(&format!("ERR REPLICAOF refused: {host}:{port} is not a primary")), "{text}");
        let lines = audited(&s, &["permission_denied", &format!("{host}:{port}")]);
        assert_eq!(lines.len(), 1, "{lines:?}");
    }
    assert_eq!(info_field(&mut admin, "replication", "role").as_deref(), Some("master"));
    // The listed primary is accepted (nothing listens there: the link stays down), audited
    // as a role change; NO ONE promotes back, audited too.
    let ok: String = q(&mut admin, &[b"REPLICAOF", b"127.0.0.1", allowed.to_string().as_bytes()]);
    assert_eq!(ok, "OK");
    assert_eq!(info_field(&mut admin, "replication", "role").as_deref(), Some("slave"));
    assert_eq!(info_field(&mut admin, "replication", "master_link_status").as_deref(), Some("down"));
    let e = redis::cmd("SET").arg("k").arg("v").query::<()>(&mut app).unwrap_err();
    assert!(common::error_text(&e).starts_with("READONLY"), "{e}");
    let ok: String = q(&mut admin, &[b"REPLICAOF", b"NO", b"ONE"]);
    assert_eq!(ok, "OK");
    // The log is written by a background thread: wait for the second change's line.
    audited(&s, &["role_change", "promoted to primary"]);
    let changes: Vec<_> = audited(&s, &["role_change"]);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes[0].contains(&format!("replica of 127.0.0.1:{allowed}")) && changes[0].contains("\"admin\""));
    let _: String = q(&mut app, &[b"SET", b"k", b"v"]);
}

#[test]
fn the_replicaof_directive_names_an_allowed_primary() {
    let primary = Server::start(&[]);
    let mut p = primary.conn();
    run(&mut p, "SET from-config yes");
    let config = guarded_config(&format!("replicaof 127.0.0.1 {}\n", primary.port));
    let s = Server::start_with_config(&config, &[]);
    let mut admin = login(&s, "admin", "admin-pw-1");
    wait_for("the link to come up", || link_up(&mut admin));
    wait_same(&mut p, &mut admin);
    assert_eq!(audited(&s, &["role_change", "replicaof directive"]).len(), 1);
    // Promoted, it may go back to the directive's primary without any other permission.
    let _: String = q(&mut admin, &[b"REPLICAOF", b"NO", b"ONE"]);
    let ok: String = q(&mut admin, &[b"REPLICAOF", b"127.0.0.1", primary.port.to_string().as_bytes()]);
    assert_eq!(ok, "OK");
    wait_for("the link to come up again", || link_up(&mut admin));
}

#[test]
fn replica_buffers_are_counted_apart_never_evict_and_obey_their_limit() {
    let primary = Server::start(&[]);
    let mut p = primary.conn();
    let big = "x".repeat(100_000);
    for i in 0..20 {
        let _: () = redis::cmd("SET").arg(format!("key:{i}")).arg(&big).query(&mut p).unwrap();
    }
    // A replica that does not read: its stream piles up on the primary.
    let _stalled = attach_sync(primary.port);
    let before_used = num(&mut p, "memory", "used_memory") - num(&mut p, "memory", "mem_not_counted_for_evict");
    run(&mut p, "CONFIG SET maxmemory-policy allkeys-random");
    run(&mut p, &format!("CONFIG SET maxmemory {}", before_used + 64 * 1024));
    let payload = "A".repeat(1000);
    for _ in 0..20_000 {
        let _: i64 = redis::cmd("SETRANGE").arg("key:0").arg(0).arg(&payload).query(&mut p).unwrap();
    }
    let slaves = num(&mut p, "memory", "mem_clients_slaves");
    assert!(slaves > 2 * 1024 * 1024, "the stalled replica's buffer is counted: {slaves}");
    assert!(num(&mut p, "memory", "mem_not_counted_for_evict") >= slaves);
    assert!(num(&mut p, "memory", "used_memory") > before_used + slaves - 1024 * 1024);
    let keys: i64 = q(&mut p, &[b"DBSIZE"]);
    assert_eq!(keys, 20, "the replica's buffer made nothing be evicted");
    assert_eq!(num(&mut p, "stats", "evicted_keys"), 0);
    let omem: String = q(&mut p, &[b"CLIENT", b"LIST", b"TYPE", b"slave"]);
    assert!(omem.contains("flags=S") && !omem.contains("omem=0 "), "{omem}");

    // Killing it frees its buffer at once.
    let killed: i64 = q(&mut p, &[b"CLIENT", b"KILL", b"TYPE", b"slave"]);
    assert_eq!(killed, 1);
    assert_eq!(num(&mut p, "memory", "mem_clients_slaves"), 0);

    // Over `client-output-buffer-limit replica`, a replica is disconnected.
    run(&mut p, "CONFIG SET maxmemory 0");
    let _: () =
        redis::cmd("CONFIG").arg("SET").arg("client-output-buffer-limit").arg("replica 1mb 0 0").query(&mut p).unwrap();
    let _stalled = attach_sync(primary.port);
    for _ in 0..20_000 {
        let _: i64 = redis::cmd("SETRANGE").arg("key:0").arg(0).arg(&payload).query(&mut p).unwrap();
    }
    assert!(num(&mut p, "stats", "client_output_buffer_limit_disconnections") >= 1);
    assert_eq!(num(&mut p, "memory", "mem_clients_slaves"), 0);
    wait_for("the replica to be gone", || num(&mut p, "replication", "connected_slaves") == 0);
}
