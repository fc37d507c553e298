//! RDB persistence against real processes: SAVE and restart, BGSAVE under writes, `save`
//! rules, a damaged file refused, DUMP/RESTORE, and interoperability with a real
//! redis-server 7.0 both ways (its dump loads into Redoubt, Redoubt's into it) and with
//! redis-check-rdb. The Redis tests are skipped, saying so, when redis-server is absent.

use redis::{Connection, Value};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::free_port;
use common::procs::{have, info_field, q, run, state, value_of, Proc, Scratch};

/// Redoubt on `dir`, for these snapshot tests: restarts load dump.rdb, not the append-only
/// file (on by default; tests/aof.rs covers it).
fn redoubt(dir: &Scratch, extra: &[&str]) -> Proc {
    let mut args = vec!["--appendonly", "no"];
    args.extend_from_slice(extra);
    Proc::redoubt(dir, &args).unwrap()
}

/// redis-server with its `dir` at `dir`, no save rules and no append-only file.
fn redis(dir: &Path) -> Option<Proc> {
    Proc::redis(dir, &["--appendonly", "no"])
}

/// Every type in every encoding Redis 7.0 has, with deadlines, over two databases.
fn fill(c: &mut Connection) {
    for line in [
        "SET s:int 12345",
        "SET s:neg -42",
        "SET s:i64 9223372036854775807",
        "SET s:embstr hello",
        "SET s:zero 0",
        "RPUSH l:small a b 1 2 -3 70000 9223372036854775807",
        "HSET h:small f1 v1 f2 2 f3 -3",
        "SADD set:int 1 2 3 -100 100000 -9223372036854775808",
        "SADD set:str a b c",
        "ZADD z:small 1 a 2.5 b -3 c 0 d",
        "ZADD z:inf +inf pos -inf neg 0.1 tenth 1e300 big",
        "SET t:str v PX 100000000",
        "SELECT 5",
        "SET other-db here",
        "HSET other-hash a b",
        "SELECT 0",
    ] {
        run(c, line);
    }
    let raw = "compressible-".repeat(40);
    let _: () = q(c, &[b"SET", b"s:raw", raw.as_bytes()]);
    let bin: Vec<u8> = (0..=255u8).collect();
    let _: () = q(c, &[b"SET", b"s:bin", &bin]);
    let _: () = q(c, &[b"SET", b"s:empty", b""]);
    let mut p = redis::pipe();
    for i in 0..3000 {
        p.cmd("RPUSH").arg("l:big").arg(format!("item-{i}")).ignore();
    }
    p.cmd("RPUSH").arg("l:bigelem").arg("x".repeat(20_000)).arg("tail").ignore();
    for i in 0..600 {
        p.cmd("HSET").arg("h:big").arg(format!("field-{i}")).arg(format!("value-{i}")).ignore();
        p.cmd("SADD").arg("set:bigint").arg(i * 7).ignore();
    }
    p.cmd("HSET").arg("h:longval").arg("f").arg("v".repeat(100)).ignore();
    for i in 0..200 {
        p.cmd("ZADD").arg("z:big").arg(i as f64 / 3.0).arg(format!("member-{i}")).ignore();
    }
    p.cmd("ZADD").arg("z:longmember").arg(1).arg("m".repeat(100)).ignore();
    p.cmd("HSET").arg("t:hash").arg("a").arg("b").ignore();
    p.cmd("PEXPIREAT").arg("t:hash").arg(4_102_444_800_000i64).ignore();
    p.query::<()>(c).unwrap();
}

fn encodings(c: &mut Connection) -> BTreeMap<Vec<u8>, String> {
    let keys: Vec<Vec<u8>> = q(c, &[b"KEYS", b"*"]);
    keys.into_iter().map(|k| (k.clone(), q(c, &[b"OBJECT", b"ENCODING", &k]))).collect()
}

fn wait_bgsave(c: &mut Connection) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while info_field(c, "rdb_bgsave_in_progress") != "0" {
        assert!(Instant::now() < deadline, "BGSAVE did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn save_then_restart_gives_identical_data() {
    let dir = Scratch::new("restart");
    let before;
    let encs;
    {
        let s = redoubt(&dir, &["--save", ""]);
        let mut c = s.conn();
        fill(&mut c);
        before = state(&mut c);
        encs = encodings(&mut c);
        assert_ne!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
        let t0: i64 = q(&mut c, &[b"LASTSAVE"]);
        let _: () = q(&mut c, &[b"SAVE"]);
        let t1: i64 = q(&mut c, &[b"LASTSAVE"]);
        assert!(t1 >= t0);
        assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
        assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    }
    let file = dir.data().join("dump.rdb");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.data()).unwrap().flatten().filter(|e| e.file_name() != "dump.rdb").collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let s = redoubt(&dir, &["--save", ""]);
    let mut c = s.conn();
    assert_eq!(state(&mut c), before);
    assert_eq!(encodings(&mut c), encs, "encodings survive the round trip");
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_loaded"), before.len().to_string());
}

#[test]
fn bgsave_serves_clients_and_is_point_in_time() {
    let dir = Scratch::new("bgsave");
    const N: usize = 200_000;
    {
        let s = redoubt(&dir, &["--save", ""]);
        let mut c = s.conn();
        for chunk in 0..(N / 10_000) {
            let mut p = redis::pipe();
            for i in chunk * 10_000..(chunk + 1) * 10_000 {
                p.cmd("SET").arg(format!("key:{i}")).arg(format!("value-{i}-{}", "v".repeat(40))).ignore();
            }
            p.query::<()>(&mut c).unwrap();
        }
        let reply: String = q(&mut c, &[b"BGSAVE"]);
        assert_eq!(reply, "Background saving started");
        // Writes go on while the file is written; none of them is in the snapshot.
        let mut w = s.conn();
        let mut worst = Duration::ZERO;
        for i in 0..500 {
            let t = Instant::now();
            let _: () = q(&mut w, &[b"SET", format!("during:{i}").as_bytes(), b"x"]);
            let _: () = q(&mut w, &[b"DEL", b"key:0"]);
            worst = worst.max(t.elapsed());
        }
        eprintln!("worst write latency during BGSAVE: {worst:?}");
        wait_bgsave(&mut c);
        assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
        let lock_us: u64 = info_field(&mut c, "rdb_last_bgsave_lock_usec").parse().unwrap();
        let bytes: u64 = info_field(&mut c, "rdb_last_bgsave_snapshot_bytes").parse().unwrap();
        eprintln!("BGSAVE of {N} keys: store held {lock_us} us, snapshot {bytes} bytes");
        assert!(bytes > 0);
        // The dirty count keeps what came after the snapshot.
        let dirty: u64 = info_field(&mut c, "rdb_changes_since_last_save").parse().unwrap();
        assert!(dirty >= 500, "{dirty}");
    }
    let s = redoubt(&dir, &["--save", ""]);
    let mut c = s.conn();
    let n: usize = q(&mut c, &[b"DBSIZE"]);
    assert_eq!(n, N);
    let v: Vec<u8> = q(&mut c, &[b"GET", b"key:0"]);
    assert!(v.starts_with(b"value-0-"));
    let during: Vec<Vec<u8>> = q(&mut c, &[b"KEYS", b"during:*"]);
    assert!(during.is_empty());
}

/// SHUTDOWN with `args`, then waits for the process to exit.
fn shutdown(s: Proc, args: &[&str]) {
    let mut s = s;
    let mut c = s.conn();
    let _ = redis::cmd("SHUTDOWN").arg(args).query::<()>(&mut c);
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn save_rules_and_shutdown_save() {
    let dir = Scratch::new("rules");
    let file = dir.data().join("dump.rdb");
    let get = |s: &Proc| -> String { q(&mut s.conn(), &[b"GET", b"last"]) };
    let set = |s: &Proc, v: &str| {
        let _: () = q(&mut s.conn(), &[b"SET", b"last", v.as_bytes()]);
    };
    let s = redoubt(&dir, &["--save", "1 1"]);
    let mut c = s.conn();
    let _: () = q(&mut c, &[b"SET", b"k", b"v"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() {
        assert!(Instant::now() < deadline, "the save rule did not fire");
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    // With rules configured, SHUTDOWN saves the last change.
    set(&s, "change");
    shutdown(s, &[]);
    // Without rules it does not...
    let s = redoubt(&dir, &["--save", ""]);
    assert_eq!(get(&s), "change");
    set(&s, "lost");
    shutdown(s, &[]);
    // ...unless asked: SHUTDOWN SAVE.
    let s = redoubt(&dir, &["--save", ""]);
    assert_eq!(get(&s), "change");
    set(&s, "kept");
    shutdown(s, &["SAVE"]);
    // And SHUTDOWN NOSAVE never saves.
    let s = redoubt(&dir, &["--save", "3600 1"]);
    assert_eq!(get(&s), "kept");
    set(&s, "nosave");
    shutdown(s, &["NOSAVE"]);
    let s = redoubt(&dir, &["--save", ""]);
    assert_eq!(get(&s), "kept");
}

#[test]
fn flushall_is_persisted_at_once() {
    let dir = Scratch::new("flushall");
    {
        let s = redoubt(&dir, &["--save", "3600 1"]);
        let mut c = s.conn();
        fill(&mut c);
        let _: () = q(&mut c, &[b"SAVE"]);
        let _: String = q(&mut c, &[b"BGSAVE"]);
        let _: () = q(&mut c, &[b"FLUSHALL"]);
        wait_bgsave(&mut c);
        // Killed: no final save. The flush must already be on disk.
    }
    let s = redoubt(&dir, &["--save", ""]);
    let mut c = s.conn();
    assert!(state(&mut c).is_empty(), "flushed keys came back after a restart");
}

#[test]
fn failed_save_refuses_writes_until_a_save_succeeds() {
    let dir = Scratch::new("misconf");
    let s = redoubt(&dir, &["--save", "3600 1"]);
    let mut c = s.conn();
    let _: () = q(&mut c, &[b"SET", b"k", b"v"]);
    // Take the data directory away (running as root, permissions would not stop the write).
    std::fs::remove_dir_all(dir.data()).unwrap();
    let e = redis::cmd("SAVE").query::<()>(&mut c).unwrap_err().to_string();
    assert!(e.contains("Failed to save the snapshot"), "{e}");
    let _: String = q(&mut c, &[b"BGSAVE"]);
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "err");
    let e = redis::cmd("SET").arg("k").arg("w").query::<()>(&mut c).unwrap_err();
    assert!(e.to_string().contains("MISCONF") || e.code() == Some("MISCONF"), "{e}");
    let v: String = q(&mut c, &[b"GET", b"k"]);
    assert_eq!(v, "v", "reads still work");
    std::fs::create_dir(dir.data()).unwrap();
    std::fs::set_permissions(dir.data(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let _: String = q(&mut c, &[b"BGSAVE"]);
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    let _: () = q(&mut c, &[b"SET", b"k", b"w"]);
}

/// Starts Redoubt expecting it to refuse; returns what it printed.
fn refused_start(dir: &Path) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redoubt"));
    cmd.args(["--port", &free_port().to_string(), "--bind", "127.0.0.1", "--appendonly", "no"]).current_dir(dir);
    common::refused_start(cmd)
}

#[test]
fn one_flipped_byte_refuses_the_load() {
    let dir = Scratch::new("flip");
    {
        let s = redoubt(&dir, &["--save", ""]);
        let mut c = s.conn();
        fill(&mut c);
        let _: () = q(&mut c, &[b"SAVE"]);
    }
    let file = dir.data().join("dump.rdb");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let err = refused_start(&dir.0);
    assert!(err.contains("checksum mismatch") && err.contains("dump.rdb"), "{err}");
    // Truncated.
    std::fs::write(&file, &bytes[..mid]).unwrap();
    let err = refused_start(&dir.0);
    assert!(err.contains("cannot load the snapshot"), "{err}");
}

#[test]
fn redis_dump_loads_into_redoubt_with_identical_data() {
    if !have("redis-server") {
        return;
    }
    let dir = Scratch::new("from-redis");
    let rdir = dir.0.join("redis");
    let (expected, stream_dump) = {
        let r = redis(&rdir).unwrap();
        let mut c = r.conn();
        fill(&mut c);
        let expected = state(&mut c);
        let _: () = q(&mut c, &[b"SAVE"]);
        let good = std::fs::read(rdir.join("dump.rdb")).unwrap();
        let _: Value = q(&mut c, &[b"XADD", b"stream", b"*", b"f", b"v"]);
        let _: () = q(&mut c, &[b"SAVE"]);
        let stream_dump = std::fs::read(rdir.join("dump.rdb")).unwrap();
        std::fs::write(rdir.join("dump.rdb"), good).unwrap();
        (expected, stream_dump)
    };
    std::fs::create_dir_all(dir.data()).unwrap();
    std::fs::set_permissions(dir.data(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let target = dir.data().join("dump.rdb");
    std::fs::copy(rdir.join("dump.rdb"), &target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    {
        let s = redoubt(&dir, &["--save", ""]);
        let mut c = s.conn();
        assert_eq!(state(&mut c), expected);
    }
    // A stream is refused, clearly.
    std::fs::write(&target, stream_dump).unwrap();
    let err = refused_start(&dir.0);
    assert!(err.contains("unsupported type 19 (stream)") || err.contains("unsupported type 15 (stream)"), "{err}");
}

#[test]
fn redoubt_dump_loads_into_redis_and_passes_redis_check_rdb() {
    let dir = Scratch::new("to-redis");
    let expected = {
        let s = redoubt(&dir, &["--save", ""]);
        let mut c = s.conn();
        fill(&mut c);
        let _: () = q(&mut c, &[b"SAVE"]);
        state(&mut c)
    };
    let file = dir.data().join("dump.rdb");
    if have("redis-check-rdb") {
        let out = Command::new("redis-check-rdb").arg(&file).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && text.contains("RDB looks OK"), "{text}");
        assert!(text.contains("Checksum OK"), "{text}");
    }
    if !have("redis-server") {
        return;
    }
    let rdir = dir.0.join("redis");
    std::fs::create_dir_all(&rdir).unwrap();
    std::fs::copy(&file, rdir.join("dump.rdb")).unwrap();
    let r = redis(&rdir).unwrap();
    let mut c = r.conn();
    assert_eq!(state(&mut c), expected);
}

/// Redis's CRC-64 (Jones, reflected), bit by bit.
fn crc64(bytes: &[u8]) -> u64 {
    let mut crc = 0u64;
    for &b in bytes {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5 } else { crc >> 1 };
        }
    }
    crc
}

#[test]
fn dump_and_restore() {
    let dir = Scratch::new("dump");
    let s = redoubt(&dir, &["--save", ""]);
    let mut c = s.conn();
    fill(&mut c);
    let keys: Vec<Vec<u8>> = q(&mut c, &[b"KEYS", b"*"]);
    // Round trip through our own DUMP.
    for k in &keys {
        let payload: Vec<u8> = q(&mut c, &[b"DUMP", k]);
        let copy = [b"copy:".as_slice(), k].concat();
        let _: () = q(&mut c, &[b"RESTORE", &copy, b"0", &payload]);
        assert_eq!(value_of(&mut c, &copy), value_of(&mut c, k), "{}", String::from_utf8_lossy(k));
    }
    let payload: Vec<u8> = q(&mut c, &[b"DUMP", b"s:embstr"]);
    let err = |c: &mut Connection, args: &[&[u8]]| -> String {
        let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
        for a in &args[1..] {
            cmd.arg(*a);
        }
        match cmd.query::<Value>(c) {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.to_string(),
        }
    };
    let busy = err(&mut c, &[b"RESTORE", b"s:embstr", b"0", &payload]);
    assert!(busy.contains("BUSYKEY") && busy.contains("Target key name already exists"), "{busy}");
    let mut bad = payload.clone();
    bad[2] ^= 1;
    assert!(err(&mut c, &[b"RESTORE", b"fresh", b"0", &bad]).contains("DUMP payload version or checksum are wrong"));
    assert!(err(&mut c, &[b"RESTORE", b"fresh", b"0", &payload, b"bogus"]).contains("syntax error"));
    assert!(err(&mut c, &[b"RESTORE", b"fresh", b"-1", &payload]).contains("Invalid TTL value"));
    assert!(err(&mut c, &[b"RESTORE", b"fresh", b"0", &payload, b"FREQ", b"256"]).contains("Invalid FREQ value"));
    // A payload with a good checksum around bad data.
    let mut forged = vec![0x0Bu8, 0x05, 1, 2, 3, 4, 5, 0x0A, 0x00];
    let crc = crc64(&forged);
    forged.extend_from_slice(&crc.to_le_bytes());
    assert!(err(&mut c, &[b"RESTORE", b"fresh", b"0", &forged]).contains("Bad data format"));
    // LZF bombs: a string announcing 1 GiB from 4 bytes, and one whose 6 MB of back
    // references would really expand to 554 MB (past proto-max-bulk-len): both refused
    // before anything is allocated.
    let sealed = |body: Vec<u8>| {
        let mut p = body;
        p.extend_from_slice(&[0x0A, 0x00]);
        let crc = crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    };
    let mut small = vec![0x00, 0xC3, 0x04, 0x80];
    small.extend_from_slice(&(1u32 << 30).to_be_bytes());
    small.extend_from_slice(&[0x00, b'a', 0xE0, 0xFF]);
    assert!(err(&mut c, &[b"RESTORE", b"bomb", b"0", &sealed(small)]).contains("Bad data format"));
    let refs = 2_100_000usize;
    let clen = 2 + 3 * refs;
    let ulen = 1 + 264 * refs;
    let mut big = vec![0x00, 0xC3, 0x80];
    big.extend_from_slice(&(clen as u32).to_be_bytes());
    big.push(0x80);
    big.extend_from_slice(&(ulen as u32).to_be_bytes());
    big.extend_from_slice(&[0x00, b'a']);
    for _ in 0..refs {
        big.extend_from_slice(&[0xE0, 0xFF, 0x00]);
    }
    assert!(err(&mut c, &[b"RESTORE", b"bomb", b"0", &sealed(big)]).contains("Bad data format"));
    // REPLACE, TTL, ABSTTL, IDLETIME.
    let _: () = q(&mut c, &[b"RESTORE", b"s:embstr", b"5000", &payload, b"REPLACE", b"IDLETIME", b"1000"]);
    let ttl: i64 = q(&mut c, &[b"PTTL", b"s:embstr"]);
    assert!((3000..=5000).contains(&ttl), "{ttl}");
    let idle: i64 = q(&mut c, &[b"OBJECT", b"IDLETIME", b"s:embstr"]);
    assert!((1000..=1010).contains(&idle), "{idle}");
    let _: () = q(&mut c, &[b"RESTORE", b"past", b"1", &payload, b"ABSTTL"]);
    let exists: i64 = q(&mut c, &[b"EXISTS", b"past"]);
    assert_eq!(exists, 0);
    let none: Option<Vec<u8>> = q(&mut c, &[b"DUMP", b"nosuchkey"]);
    assert!(none.is_none());

    if !have("redis-server") {
        return;
    }
    // Against Redis: the same bytes for simple values, and payloads restore both ways.
    let r = redis(&dir.0.join("redis")).unwrap();
    let mut rc = r.conn();
    fill(&mut rc);
    // (LZF-compressed values differ: any valid LZF stream is accepted, ours is not Redis's.)
    for k in ["s:embstr", "s:int", "s:bin", "l:small", "h:small", "z:small", "z:big"] {
        let ours: Vec<u8> = q(&mut c, &[b"DUMP", k.as_bytes()]);
        let theirs: Vec<u8> = q(&mut rc, &[b"DUMP", k.as_bytes()]);
        assert_eq!(ours, theirs, "DUMP {k}");
    }
    for k in &keys {
        let theirs: Vec<u8> = q(&mut rc, &[b"DUMP", k]);
        let into = [b"from-redis:".as_slice(), k].concat();
        let _: () = q(&mut c, &[b"RESTORE", &into, b"0", &theirs]);
        assert_eq!(value_of(&mut c, &into), value_of(&mut rc, k), "{}", String::from_utf8_lossy(k));
        let ours: Vec<u8> = q(&mut c, &[b"DUMP", k]);
        let _: () = q(&mut rc, &[b"RESTORE", &into, b"0", &ours]);
        assert_eq!(value_of(&mut rc, &into), value_of(&mut c, k), "{}", String::from_utf8_lossy(k));
    }
}
