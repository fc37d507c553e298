//! Sealed snapshots against real processes (docs/persistence.md "Sealed files", THREATS.md
//! T16): a sealed server saves and restarts with identical data; an altered, cut, re-keyed or
//! swapped file refuses the start; the key file's checks; `redoubt seal keygen`, `redoubt
//! seal` and `redoubt unseal`, with the unsealed dump checked by redis-check-rdb and loaded by
//! a real redis-server 7.0 (skipped, saying so, when they are absent).

mod common;

use common::{free_port, wait_answering, FULL_DEFAULT_USER};
use redis::Connection;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The seal magic (crates/persist/src/seal/mod.rs).
const MAGIC: &[u8] = b"\x89SEAL\r\n\x1a";
/// A value short enough that no compression hides it (LZF starts above 20 bytes).
const CANARY: &str = "canary-7f3a9c-secret";

/// A private scratch directory with a config file; removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("redoubt-seal-{}-{tag}-{}", std::process::id(), free_port()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        for d in [&dir, &dir.join("data")] {
            chmod(d, 0o700);
        }
        let conf = dir.join("redoubt.conf");
        std::fs::write(&conf, FULL_DEFAULT_USER).unwrap();
        chmod(&conf, 0o600);
        Scratch(dir)
    }

    fn data(&self) -> PathBuf {
        self.0.join("data")
    }

    fn dump(&self) -> PathBuf {
        self.data().join("dump.rdb")
    }

    fn key(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The server's arguments: its config, a free port, loopback, the data directory, no
    /// save rules, then `extra`; no append-only file unless `extra` says (most of these tests
    /// are about snapshots, which the log would take the place of at start; tests/seal_aof.rs
    /// covers the sealed log).
    fn args(&self, port: u16, extra: &[&str]) -> Vec<String> {
        let mut args = vec![self.0.join("redoubt.conf").display().to_string()];
        for a in ["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""] {
            args.push(a.to_string());
        }
        if !extra.contains(&"--appendonly") {
            args.extend(["--appendonly".to_string(), "no".to_string()]);
        }
        args.push("--dir".into());
        args.push(self.data().display().to_string());
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// Starts Redoubt and waits until it answers.
    fn start(&self, extra: &[&str]) -> Proc {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_redoubt"))
            .args(self.args(port, extra))
            .current_dir(&self.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let proc = Proc { child, port };
        wait_answering(port, "redoubt", |l| l.starts_with("+PONG"));
        proc
    }

    /// Starts Redoubt expecting a refusal; returns its standard error.
    fn refused(&self, extra: &[&str]) -> String {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_redoubt"));
        cmd.args(self.args(free_port(), extra)).current_dir(&self.0);
        common::refused_start(cmd)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server process, killed (no final save) on drop.
struct Proc {
    child: Child,
    port: u16,
}

impl Proc {
    fn conn(&self) -> Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).unwrap().get_connection().unwrap()
    }

    /// SHUTDOWN with `args`, then waits for the exit.
    fn shutdown(mut self, args: &[&str]) {
        let _ = redis::cmd("SHUTDOWN").arg(args).query::<()>(&mut self.conn());
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs `redoubt <args>`.
fn redoubt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redoubt")).args(args).stdin(Stdio::null()).output().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// `redoubt seal keygen` at `path`.
fn keygen(path: &Path) {
    let out = redoubt(&["seal", "keygen", &path.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out));
}

fn have(tool: &str) -> bool {
    let found =
        Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED: {tool} is not installed");
    }
    found
}

fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&str]) -> T {
    common::cmd(c, args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Some of every type, a deadline, a value that spans several sealed records, and the canary.
fn fill(c: &mut Connection, tag: &str) {
    let mut p = redis::pipe();
    p.cmd("SET").arg("canary").arg(CANARY).ignore();
    p.cmd("SET").arg("tag").arg(tag).ignore();
    p.cmd("SET").arg("big").arg("0123456789abcdef".repeat(20_000)).ignore();
    p.cmd("SET").arg("ttl").arg("v").arg("PX").arg(100_000_000).ignore();
    for i in 0..2000 {
        p.cmd("SET").arg(format!("k:{i}")).arg(i * 3).ignore();
        p.cmd("RPUSH").arg("list").arg(format!("item-{i}")).ignore();
        p.cmd("HSET").arg("hash").arg(format!("f{i}")).arg(format!("v{i}")).ignore();
        p.cmd("SADD").arg("set").arg(i).ignore();
        p.cmd("ZADD").arg("zset").arg(i as f64 / 7.0).arg(format!("m{i}")).ignore();
    }
    p.query::<()>(c).unwrap();
}

/// Every key with its type, a rendering of its value, and its deadline.
fn state(c: &mut Connection) -> BTreeMap<String, (String, String, i64)> {
    let keys: Vec<String> = q(c, &["KEYS", "*"]);
    keys.into_iter()
        .map(|k| {
            let t: String = q(c, &["TYPE", &k]);
            let v = match t.as_str() {
                "string" => q::<String>(c, &["GET", &k]),
                "list" => q::<Vec<String>>(c, &["LRANGE", &k, "0", "-1"]).join(","),
                "hash" => format!("{:?}", q::<BTreeMap<String, String>>(c, &["HGETALL", &k])),
                "set" => format!("{:?}", q::<std::collections::BTreeSet<String>>(c, &["SMEMBERS", &k])),
                "zset" => q::<Vec<String>>(c, &["ZRANGE", &k, "0", "-1", "WITHSCORES"]).join(","),
                other => panic!("unexpected type {other}"),
            };
            let deadline: i64 = q(c, &["PEXPIRETIME", &k]);
            (k, (t, v, deadline))
        })
        .collect()
}

fn info_field(c: &mut Connection, field: &str) -> String {
    let info: String = q(c, &["INFO", "persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

fn wait_bgsave(c: &mut Connection) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while info_field(c, "rdb_bgsave_in_progress") != "0" {
        assert!(Instant::now() < deadline, "BGSAVE did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks that the dump is sealed, private, and shows none of its contents.
fn assert_sealed(file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    assert!(bytes.starts_with(MAGIC), "not sealed");
    assert_eq!(mode(file), 0o600);
    for needle in [CANARY.as_bytes(), b"REDIS", b"redis-ver", b"item-1999", b"0123456789abcdef"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{:?} is readable", String::from_utf8_lossy(needle));
    }
}

#[test]
fn sealed_server_saves_and_restarts_with_identical_data() {
    let s = Scratch::new("restart");
    let key = s.key("seal.key");
    keygen(&key);
    assert_eq!(mode(&key), 0o600);
    let key_arg = key.display().to_string();
    let sealed = ["--seal-key-file", key_arg.as_str()];

    // SAVE.
    let p = s.start(&sealed);
    let mut c = p.conn();
    assert_eq!(info_field(&mut c, "rdb_sealed"), "1");
    let shown: Vec<String> = q(&mut c, &["CONFIG", "GET", "seal-key-file"]);
    assert_eq!(shown, ["seal-key-file", key_arg.as_str()]);
    let e = common::cmd::<()>(&mut c, &["CONFIG", "SET", "seal-key-file", "/tmp/other"]).unwrap_err();
    assert!(e.to_string().contains("can't set"), "{e}");
    fill(&mut c, "save");
    let expected = state(&mut c);
    let _: () = q(&mut c, &["SAVE"]);
    drop(p);
    assert_sealed(&s.dump());
    let p = s.start(&sealed);
    let mut c = p.conn();
    assert_eq!(state(&mut c), expected);

    // BGSAVE.
    let _: () = q(&mut c, &["SET", "tag", "bgsave"]);
    let _: () = q(&mut c, &["DEL", "list"]);
    let expected = state(&mut c);
    let _: String = q(&mut c, &["BGSAVE"]);
    wait_bgsave(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    drop(p);
    assert_sealed(&s.dump());
    let p = s.start(&sealed);
    let mut c = p.conn();
    assert_eq!(state(&mut c), expected);

    // The final save at shutdown.
    let _: () = q(&mut c, &["SET", "tag", "shutdown"]);
    let expected = state(&mut c);
    p.shutdown(&["SAVE"]);
    let bytes = std::fs::read(s.dump()).unwrap();
    assert!(bytes.starts_with(MAGIC));
    let p = s.start(&sealed);
    assert_eq!(state(&mut p.conn()), expected);
    assert_eq!(info_field(&mut p.conn(), "rdb_last_load_keys_loaded"), expected.len().to_string());
    // DUMP payloads are Redis's, sealed or not.
    let payload: Vec<u8> = redis::cmd("DUMP").arg("canary").query(&mut p.conn()).unwrap();
    assert_eq!(&payload[..1], &[0u8], "a string payload starts with type 0");
}

/// A sealed dump of `fill` in `s`, and the key file and state it was made with.
fn sealed_dump(s: &Scratch) -> (PathBuf, BTreeMap<String, (String, String, i64)>) {
    let key = s.key("seal.key");
    keygen(&key);
    let p = s.start(&["--seal-key-file", &key.display().to_string()]);
    let mut c = p.conn();
    fill(&mut c, "x");
    let expected = state(&mut c);
    let _: () = q(&mut c, &["SAVE"]);
    (key, expected)
}

#[test]
fn altered_or_cut_sealed_dumps_refuse_the_start() {
    let s = Scratch::new("flip");
    let (key, expected) = sealed_dump(&s);
    let key_arg = key.display().to_string();
    let sealed = ["--seal-key-file", key_arg.as_str()];
    let good = std::fs::read(s.dump()).unwrap();
    // One flipped bit, in the header, the first record, the middle, the last byte.
    for at in [20, 100, good.len() / 2, good.len() - 1] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        std::fs::write(s.dump(), &bad).unwrap();
        let err = s.refused(&sealed);
        assert!(err.contains("cannot load the snapshot") && err.contains("nothing was loaded"), "{err}");
        if at >= 76 {
            assert!(err.contains("failed authentication: the file was altered or damaged"), "byte {at}: {err}");
        }
    }
    // Cut short, at any point.
    for len in [good.len() - 1, good.len() / 2, 80] {
        std::fs::write(s.dump(), &good[..len]).unwrap();
        let err = s.refused(&sealed);
        assert!(err.contains("it was cut short"), "{len}: {err}");
    }
    // Something appended.
    std::fs::write(s.dump(), [&good[..], b"x"].concat()).unwrap();
    assert!(s.refused(&sealed).contains("data follows the final record"));
    // Restored: loads.
    std::fs::write(s.dump(), &good).unwrap();
    let p = s.start(&sealed);
    assert_eq!(state(&mut p.conn()), expected);
}

#[test]
fn wrong_key_missing_key_and_swapped_plain_dump_are_refused() {
    let s = Scratch::new("keys");
    let (key, expected) = sealed_dump(&s);
    let other = s.key("other.key");
    keygen(&other);
    let err = s.refused(&["--seal-key-file", &other.display().to_string()]);
    assert!(err.contains("the seal key does not open this file") && err.contains("check seal-key-file"), "{err}");
    assert!(err.contains("nothing was loaded"), "{err}");

    // A sealed dump, and no key configured.
    let err = s.refused(&[]);
    assert!(err.contains("is sealed, but seal-key-file is not set") && err.contains("redoubt unseal"), "{err}");

    // A plain dump where a sealed one belongs (as someone who can write the directory could
    // swap it in) is refused, naming the migration.
    let sealed = s.dump().with_extension("sealed");
    std::fs::rename(s.dump(), &sealed).unwrap();
    {
        let p = s.start(&[]);
        let mut c = p.conn();
        let _: () = q(&mut c, &["SET", "planted", "value"]);
        let _: () = q(&mut c, &["SAVE"]);
        assert_eq!(info_field(&mut c, "rdb_sealed"), "0");
    }
    assert!(std::fs::read(s.dump()).unwrap().starts_with(b"REDIS"));
    let err = s.refused(&["--seal-key-file", &key.display().to_string()]);
    assert!(
        err.contains("is not sealed, but seal-key-file is set") && err.contains("redoubt seal --key-file"),
        "{err}"
    );
    std::fs::rename(&sealed, s.dump()).unwrap();
    let p = s.start(&["--seal-key-file", &key.display().to_string()]);
    assert_eq!(state(&mut p.conn()), expected);
}

#[test]
fn the_key_file_must_be_private_and_well_formed() {
    let s = Scratch::new("keyfile");
    let key = s.key("seal.key");
    let key_arg = key.display().to_string();
    // The key file's checks do not depend on what is sealed: the default (the log on).
    let on = ["--appendonly", "yes"];
    let err = s.refused(&["--seal-key-file", &key_arg, on[0], on[1]]);
    assert!(err.contains("does not exist") && err.contains(&format!("redoubt seal keygen {key_arg}")), "{err}");
    keygen(&key);
    // keygen never overwrites a key.
    let before = std::fs::read(&key).unwrap();
    let out = redoubt(&["seal", "keygen", &key_arg]);
    assert!(!out.status.success() && text(&out).contains("refusing to overwrite"), "{}", text(&out));
    assert_eq!(std::fs::read(&key).unwrap(), before);
    for loose in [0o644, 0o640, 0o604] {
        chmod(&key, loose);
        let err = s.refused(&["--seal-key-file", &key_arg, on[0], on[1]]);
        assert!(err.contains(&format!("mode {loose:04o}")) && err.contains(&format!("chmod 600 {key_arg}")), "{err}");
    }
    chmod(&key, 0o400);
    drop(s.start(&["--seal-key-file", &key_arg, on[0], on[1]]));
    chmod(&key, 0o600);
    std::fs::write(&key, "0123\n").unwrap();
    let err = s.refused(&["--seal-key-file", &key_arg, on[0], on[1]]);
    assert!(err.contains("is malformed") && err.contains("64 hexadecimal digits"), "{err}");
    let err = s.refused(&["--seal-key-file", &s.data().display().to_string(), on[0], on[1]]);
    assert!(err.contains("is not a regular file"), "{err}");
}

#[test]
fn seal_a_plain_dump_then_start_with_the_key() {
    let s = Scratch::new("seal-verb");
    let expected = {
        let p = s.start(&[]);
        let mut c = p.conn();
        fill(&mut c, "plain");
        let _: () = q(&mut c, &["SAVE"]);
        state(&mut c)
    };
    let key = s.key("seal.key");
    keygen(&key);
    let (k, dump, out) = (key.display().to_string(), s.dump().display().to_string(), s.0.join("sealed.rdb"));
    let out_arg = out.display().to_string();
    let done = redoubt(&["seal", "--key-file", &k, &dump, &out_arg]);
    assert!(done.status.success(), "{}", text(&done));
    assert_sealed(&out);
    // OUT exists now: only --force replaces it.
    let again = redoubt(&["seal", "--key-file", &k, &dump, &out_arg]);
    assert!(!again.status.success() && text(&again).contains("add --force"), "{}", text(&again));
    assert!(redoubt(&["seal", "--key-file", &k, "--force", &dump, &out_arg]).status.success());
    // A sealed file is not sealed twice; a damaged plain one is not sealed at all.
    let twice = redoubt(&["seal", "--key-file", &k, &out_arg, &s.0.join("x").display().to_string()]);
    assert!(text(&twice).contains("is already sealed"), "{}", text(&twice));
    let mut damaged = std::fs::read(s.dump()).unwrap();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x40;
    let damaged_path = s.0.join("damaged.rdb");
    std::fs::write(&damaged_path, damaged).unwrap();
    let refused = redoubt(&["seal", "--key-file", &k, &damaged_path.display().to_string(), "y"]);
    assert!(text(&refused).contains("fails its CRC-64 check"), "{}", text(&refused));
    // In place of the plain dump, with the key: loads.
    std::fs::rename(&out, s.dump()).unwrap();
    let p = s.start(&["--seal-key-file", &k]);
    assert_eq!(state(&mut p.conn()), expected);
}

#[test]
fn unsealed_dump_passes_redis_check_rdb_and_loads_into_redis() {
    let s = Scratch::new("unseal-verb");
    let (key, expected) = sealed_dump(&s);
    let k = key.display().to_string();
    let dump = s.dump().display().to_string();
    let plain = s.0.join("redis").join("dump.rdb");
    std::fs::create_dir_all(plain.parent().unwrap()).unwrap();
    let plain_arg = plain.display().to_string();

    // Wrong key, or an altered file: refused, and nothing is written.
    let other = s.key("other.key");
    keygen(&other);
    let out = redoubt(&["unseal", "--key-file", &other.display().to_string(), &dump, &plain_arg]);
    assert!(!out.status.success() && text(&out).contains("does not open this file"), "{}", text(&out));
    let mut bad = std::fs::read(s.dump()).unwrap();
    let last = bad.len() - 1;
    bad[last] ^= 0x80;
    let bad_path = s.0.join("bad.rdb");
    std::fs::write(&bad_path, bad).unwrap();
    let out = redoubt(&["unseal", "--key-file", &k, &bad_path.display().to_string(), &plain_arg]);
    assert!(!out.status.success() && text(&out).contains("failed authentication"), "{}", text(&out));
    assert!(!plain.exists(), "a refused unseal wrote its output");
    let leftovers: Vec<_> = std::fs::read_dir(plain.parent().unwrap()).unwrap().collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    let out = redoubt(&["unseal", "--key-file", &k, &dump, &plain_arg]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(mode(&plain), 0o600);
    assert!(std::fs::read(&plain).unwrap().starts_with(b"REDIS0010"));
    if have("redis-check-rdb") {
        let out = Command::new("redis-check-rdb").arg(&plain).output().unwrap();
        assert!(out.status.success() && text(&out).contains("RDB looks OK"), "{}", text(&out));
        assert!(text(&out).contains("Checksum OK"), "{}", text(&out));
    }
    if !have("redis-server") {
        return;
    }
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(plain.parent().unwrap())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let redis = Proc { child, port };
    wait_answering(port, "redis-server", |l| l.starts_with("+PONG"));
    assert_eq!(state(&mut redis.conn()), expected);
}
