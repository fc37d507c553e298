//! Processes on a data directory that outlives them: Redoubt or redis-server started on a
//! scratch directory, killed with SIGKILL (no final save, no AOF flush) when dropped, so a
//! test can crash a server and start another on the same files. Used by the snapshot and
//! append-only file tests.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis::{Connection, Value};

/// A private scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("redoubt-proc-{}-{tag}-{}", std::process::id(), super::free_port()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        Scratch(dir)
    }

    /// Redoubt's data directory (`./redoubt-data`, the default `dir`).
    pub fn data(&self) -> PathBuf {
        self.0.join("redoubt-data")
    }

    /// The log file the servers write their stderr to.
    pub fn log(&self) -> PathBuf {
        self.0.join("server.log")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server process, killed with SIGKILL on drop.
pub struct Proc {
    pub child: Child,
    pub port: u16,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_ready(port: u16, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            if let Ok(mut c) = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection() {
                if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                    return Ok(());
                }
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited at start: {status}"));
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    Err("did not start".into())
}

impl Proc {
    /// Starts Redoubt in `scratch` (so its data is `scratch/redoubt-data`) with a `default`
    /// user that may run everything; stderr goes to `scratch/server.log` (appended).
    pub fn redoubt(scratch: &Scratch, extra: &[&str]) -> Result<Proc, String> {
        let port = super::free_port();
        let conf = scratch.0.join("redoubt-test.conf");
        std::fs::write(&conf, super::FULL_DEFAULT_USER).unwrap();
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600)).unwrap();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(scratch.log()).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_redoubt"))
            .arg(&conf)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(extra)
            .current_dir(&scratch.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        wait_ready(port, &mut child)?;
        Ok(Proc { child, port })
    }

    /// redis-server with its `dir` at `dir` and extra arguments; `None` if not installed.
    pub fn redis(dir: &Path, extra: &[&str]) -> Option<Proc> {
        let port = super::free_port();
        std::fs::create_dir_all(dir).unwrap();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(extra)
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        wait_ready(port, &mut child).unwrap();
        Some(Proc { child, port })
    }

    pub fn conn(&self) -> Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).unwrap().get_connection().unwrap()
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a tool is installed (says SKIPPED when not).
pub fn have(tool: &str) -> bool {
    let found =
        Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED: {tool} is not installed");
    }
    found
}

pub fn q<T: redis::FromRedisValue>(c: &mut Connection, args: &[&[u8]]) -> T {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(args[0])))
}

pub fn run(c: &mut Connection, line: &str) {
    let parts: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    let _: Value = q(c, &parts);
}

pub fn info_field(c: &mut Connection, field: &str) -> String {
    let info: String = q(c, &[b"INFO", b"persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

/// Waits until no AOF rewrite is running or scheduled.
pub fn wait_rewrite(c: &mut Connection) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while info_field(c, "aof_rewrite_in_progress") != "0" || info_field(c, "aof_rewrite_scheduled") != "0" {
        assert!(Instant::now() < deadline, "the AOF rewrite did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[derive(Debug, PartialEq)]
pub enum V {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    /// Members with their scores as f64 bits (servers format scores differently).
    ZSet(Vec<(Vec<u8>, u64)>),
}

/// A score reply as f64 bits, +0 and -0 alike.
pub fn score_bits(s: &[u8]) -> u64 {
    let s = String::from_utf8_lossy(s).to_lowercase();
    let v: f64 = match s.as_str() {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => s.parse().unwrap(),
    };
    if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

/// One key's value, read through commands.
pub fn value_of(c: &mut Connection, key: &[u8]) -> V {
    let t: String = q(c, &[b"TYPE", key]);
    match t.as_str() {
        "string" => V::Str(q(c, &[b"GET", key])),
        "list" => V::List(q(c, &[b"LRANGE", key, b"0", b"-1"])),
        "hash" => V::Hash(q(c, &[b"HGETALL", key])),
        "set" => V::Set(q(c, &[b"SMEMBERS", key])),
        "zset" => {
            let flat: Vec<Vec<u8>> = q(c, &[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"]);
            V::ZSet(flat.chunks(2).map(|p| (p[0].clone(), score_bits(&p[1]))).collect())
        }
        other => panic!("unexpected type {other}"),
    }
}

/// Every key of every database: value and absolute deadline.
pub type State = BTreeMap<(u8, Vec<u8>), (V, i64)>;

pub fn state(c: &mut Connection) -> State {
    let mut out = BTreeMap::new();
    for db in 0..16u8 {
        let _: () = q(c, &[b"SELECT", db.to_string().as_bytes()]);
        let keys: Vec<Vec<u8>> = q(c, &[b"KEYS", b"*"]);
        for k in keys {
            let deadline: i64 = q(c, &[b"PEXPIRETIME", &k]);
            let v = value_of(c, &k);
            out.insert((db, k), (v, deadline));
        }
    }
    let _: () = q(c, &[b"SELECT", b"0"]);
    out
}

/// Copies every file (not directories) of `from` into `to` (created 0700), each 0600.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten().filter(|e| e.path().is_file()) {
        let dst = to.join(e.file_name());
        std::fs::copy(e.path(), &dst).unwrap();
        std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// The incremental file the manifest in `aof_dir` lists last.
pub fn last_incr(aof_dir: &Path) -> PathBuf {
    let manifest = std::fs::read_to_string(aof_dir.join("appendonly.aof.manifest")).unwrap();
    let name = manifest.lines().rfind(|l| l.ends_with("type i")).unwrap().split(' ').nth(1).unwrap().to_string();
    aof_dir.join(name)
}
