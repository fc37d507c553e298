//! The append-only file against real processes: what is logged replays to the same dataset
//! (expiries as absolute deadlines, SPOP, INCRBYFLOAT, blocking pops served by another
//! client, transactions), rewrites, turning the log on at run time, the default install
//! persisting, and interchange with a real redis-server 7.0 both ways plus redis-check-aof.
//! The Redis tests are skipped, saying so, when redis-server is absent.

mod common;

use common::procs::{copy_dir, have, info_field, q, run, state, wait_rewrite, Proc, Scratch};
use redis::Connection;
use std::process::Command;
use std::time::Duration;

/// Writes every type, and the commands whose logged form differs from what was sent.
fn workload(c: &mut Connection) {
    for line in [
        "SET s:plain hello",
        "SET s:ex v EX 1000",
        "SETEX s:setex 1000 v",
        "PSETEX s:psetex 1000000 v",
        "SET s:persist v EX 1000",
        "GETEX s:persist PERSIST",
        "SET s:getex v",
        "GETEX s:getex PX 500000",
        "SET s:gone v",
        "EXPIRE s:gone -1",
        "SET s:exp v",
        "EXPIRE s:exp 1000",
        "PEXPIRE s:exp 2000000 GT",
        "INCRBYFLOAT s:float 10.5",
        "INCRBYFLOAT s:float 0.1",
        "RPUSH l:list a b c 1 2 3",
        "LPOP l:list",
        "HSET h:hash f1 v1 f2 2",
        "HINCRBYFLOAT h:hash f2 0.25",
        "SADD set:s a b c d e f g",
        "SPOP set:s",
        "SPOP set:s 2",
        "SADD set:all x y",
        "SPOP set:all 5",
        "ZADD z:z 1 a 2.5 b -3 c",
        "ZINCRBY z:z 0.5 a",
        "SELECT 3",
        "SET db3 here",
        "MOVE db3 4",
        "SET copied x",
        "COPY copied copied2 DB 5",
        "SELECT 0",
        "MULTI",
        "SET tx:a 1",
        "INCR tx:a",
        "GET tx:a",
        "EXEC",
        "SET short-lived v PX 1",
    ] {
        run(c, line);
    }
}

/// Blocks a client on BLPOP and BZPOPMIN and serves it from this connection.
fn served_blocking_pops(server: &Proc, c: &mut Connection) {
    let mut blocked = server.conn();
    let waiter = std::thread::spawn(move || {
        let a: (String, String) = q(&mut blocked, &[b"BLPOP", b"b:list", b"10"]);
        let b: (String, String, f64) = q(&mut blocked, &[b"BZPOPMIN", b"b:zset", b"10"]);
        let m: String = q(&mut blocked, &[b"BLMOVE", b"b:src", b"b:dst", b"LEFT", b"RIGHT", b"10"]);
        (a, b, m)
    });
    for (key, push) in
        [("b:list", "RPUSH b:list x y"), ("b:zset", "ZADD b:zset 1 m 2 n"), ("b:src", "RPUSH b:src s1 s2")]
    {
        // Wait until the client is parked on the key, so the push serves it.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let info: String = q(c, &[b"INFO", b"clients"]);
            if info.contains("blocked_clients:1") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the client did not block on {key}");
            std::thread::sleep(Duration::from_millis(10));
        }
        run(c, push);
    }
    let (a, b, m) = waiter.join().unwrap();
    assert_eq!(a, ("b:list".to_string(), "x".to_string()));
    assert_eq!((b.0.as_str(), b.1.as_str()), ("b:zset", "m"));
    assert_eq!(m, "s1");
}

#[test]
fn the_log_replays_to_the_same_dataset_across_a_rewrite_and_a_crash() {
    let scratch = Scratch::new("replay");
    // The defaults: no appendonly flag at all.
    let server = Proc::redoubt(&scratch, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(info_field(&mut c, "aof_enabled"), "1", "a default install logs");
    workload(&mut c);
    let reply: String = q(&mut c, &[b"BGREWRITEAOF"]);
    assert_eq!(reply, "Background append only file rewriting started");
    served_blocking_pops(&server, &mut c);
    wait_rewrite(&mut c);
    assert_eq!(info_field(&mut c, "aof_rewrites"), "1");
    assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
    run(&mut c, "SET after-rewrite 1");
    run(&mut c, "RPUSH l:list tail");
    std::thread::sleep(Duration::from_millis(5));
    let before = state(&mut c);
    assert!(before.len() > 15, "{before:?}");
    server.kill();

    let aof_dir = scratch.data().join("appendonlydir");
    let manifest = std::fs::read_to_string(aof_dir.join("appendonly.aof.manifest")).unwrap();
    assert_eq!(
        manifest, "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
        "the rewrite made a new base, and the old files are gone"
    );
    let files: Vec<String> =
        std::fs::read_dir(&aof_dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into()).collect();
    assert_eq!(files.len(), 3, "{files:?}");
    let incr = std::fs::read(aof_dir.join("appendonly.aof.2.incr.aof")).unwrap();
    let text = String::from_utf8_lossy(&incr);
    for logged in ["LPOP", "ZPOPMIN", "LMOVE"] {
        assert!(text.contains(logged), "blocking pops are logged as {logged}: {text}");
    }
    assert!(!text.contains("BLPOP") && !text.contains("BZPOPMIN") && !text.contains("BLMOVE"), "{text}");

    let server = Proc::redoubt(&scratch, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(state(&mut c), before);
    server.kill();

    // The same files load into Redis 7.0, and redis-check-aof accepts them.
    if have("redis-check-aof") {
        let out = Command::new("redis-check-aof").arg(aof_dir.join("appendonly.aof.manifest")).output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && said.contains("All AOF files and manifest are valid"), "{said}");
    }
    if have("redis-server") {
        let redis_dir = scratch.0.join("redis");
        copy_dir(&aof_dir, &redis_dir.join("appendonlydir"));
        let redis = Proc::redis(&redis_dir, &["--appendonly", "yes"]).unwrap();
        let mut rc = redis.conn();
        assert_eq!(state(&mut rc), before, "Redis 7.0 loads Redoubt's log with identical data");
    }
}

#[test]
fn the_log_before_its_first_rewrite_replays_transactions_and_deterministic_forms() {
    let scratch = Scratch::new("incr");
    let server = Proc::redoubt(&scratch, &["--appendfsync", "always"]).unwrap();
    let mut c = server.conn();
    workload(&mut c);
    served_blocking_pops(&server, &mut c);
    std::thread::sleep(Duration::from_millis(5));
    let before = state(&mut c);
    server.kill();
    let aof_dir = scratch.data().join("appendonlydir");
    let incr = String::from_utf8_lossy(&std::fs::read(aof_dir.join("appendonly.aof.1.incr.aof")).unwrap()).into_owned();
    for logged in ["PXAT", "PEXPIREAT", "SREM", "KEEPTTL", "MULTI", "EXEC", "PERSIST"] {
        assert!(incr.contains(logged), "{logged} missing from the log: {incr}");
    }
    assert!(!incr.contains("INCRBYFLOAT") && !incr.contains("SETEX") && !incr.contains("SPOP"), "{incr}");
    let server = Proc::redoubt(&scratch, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(state(&mut c), before);
    if have("redis-server") {
        let redis_dir = scratch.0.join("redis");
        copy_dir(&aof_dir, &redis_dir.join("appendonlydir"));
        let redis = Proc::redis(&redis_dir, &["--appendonly", "yes"]).unwrap();
        assert_eq!(state(&mut redis.conn()), before, "Redis 7.0 replays the same log to the same data");
    }
}

#[test]
fn redis_log_with_a_rewrite_loads_into_redoubt() {
    if !have("redis-server") {
        return;
    }
    let scratch = Scratch::new("from-redis");
    let redis_dir = scratch.0.join("redis");
    let redis = Proc::redis(&redis_dir, &["--appendonly", "yes", "--appendfsync", "always"]).unwrap();
    let mut rc = redis.conn();
    workload(&mut rc);
    let _: String = q(&mut rc, &[b"BGREWRITEAOF"]);
    wait_rewrite(&mut rc);
    run(&mut rc, "SET after-rewrite yes");
    run(&mut rc, "SPOP set:s");
    run(&mut rc, "INCRBYFLOAT s:float 1.25");
    std::thread::sleep(Duration::from_millis(5));
    let before = state(&mut rc);
    redis.kill();
    std::fs::create_dir(scratch.data()).unwrap();
    std::fs::set_permissions(scratch.data(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    copy_dir(&redis_dir.join("appendonlydir"), &scratch.data().join("appendonlydir"));
    let server = Proc::redoubt(&scratch, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(state(&mut c), before, "Redoubt loads Redis 7.0's multi-part log with identical data");
}

#[test]
fn appendonly_turned_on_at_run_time_keeps_everything() {
    let scratch = Scratch::new("runtime");
    let server = Proc::redoubt(&scratch, &["--appendonly", "no"]).unwrap();
    let mut c = server.conn();
    assert_eq!(info_field(&mut c, "aof_enabled"), "0");
    run(&mut c, "SET before-on 1");
    run(&mut c, "RPUSH list a b");
    run(&mut c, "CONFIG SET appendonly yes");
    run(&mut c, "SET right-after 1");
    wait_rewrite(&mut c);
    assert_eq!(info_field(&mut c, "aof_enabled"), "1");
    run(&mut c, "RPUSH list c");
    let before = state(&mut c);
    server.kill();
    let server = Proc::redoubt(&scratch, &[]).unwrap();
    assert_eq!(state(&mut server.conn()), before);
}

#[test]
fn upgrading_from_a_snapshot_keeps_the_data() {
    let scratch = Scratch::new("upgrade");
    let server = Proc::redoubt(&scratch, &["--appendonly", "no"]).unwrap();
    let mut c = server.conn();
    workload(&mut c);
    run(&mut c, "SAVE");
    std::thread::sleep(Duration::from_millis(5));
    let before = state(&mut c);
    server.kill();
    // Now with the default (appendonly yes): no log yet, so the snapshot becomes its base.
    let server = Proc::redoubt(&scratch, &[]).unwrap();
    let mut c = server.conn();
    assert_eq!(state(&mut c), before);
    run(&mut c, "SET new 1");
    let before = state(&mut c);
    server.kill();
    std::fs::remove_file(scratch.data().join("dump.rdb")).unwrap();
    let server = Proc::redoubt(&scratch, &[]).unwrap();
    assert_eq!(state(&mut server.conn()), before, "the log alone holds everything");
}
