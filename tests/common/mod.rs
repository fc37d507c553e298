//! Test harness: starts the real `redoubt` binary on a free loopback port and hands out
//! `redis` crate connections to it. The server is stopped by its process id when the
//! handle drops.
//!
//! [`Server::start`] gives the `default` user every command (`user default on nopass ~* &*
//! +@all`, Redis's own default), through a config file since `--user` is refused on the
//! command line: the data-type suites run FLUSHALL, CONFIG SET and friends as Redis's tests
//! do. [`Server::start_with_config`] starts from any config text instead; the threat tests
//! (tests/threats.rs) use it to run Redoubt's true defaults.

#![allow(dead_code)]

pub mod procs;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The config line that gives the `default` user everything, as Redis's default user has.
pub const FULL_DEFAULT_USER: &str = "user default on nopass ~* &* +@all\n";

/// A running server process.
pub struct Server {
    child: Child,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
    /// A scratch directory for this server (its `dir`).
    pub dir: PathBuf,
}

/// Waits up to 20 s until the server on `port` answers an inline PING with a first line
/// that `accepted` approves; panics naming `who` otherwise.
pub fn wait_answering(port: u16, who: &str, accepted: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(2))).ok();
            if s.write_all(b"PING\r\n").is_ok() {
                let mut line = String::new();
                if BufReader::new(&mut s).read_line(&mut line).is_ok() && accepted(&line) {
                    return;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{who} did not answer PING on port {port}");
}

/// Runs a `redoubt` start that must be refused: waits up to 20 s for the process to exit
/// with a failure, and returns what it wrote to standard error.
pub fn refused_start(mut cmd: Command) -> String {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server started although it should have refused");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    err
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    /// Starts `redoubt` on 127.0.0.1 with extra arguments and a `default` user that may run
    /// everything ([`FULL_DEFAULT_USER`]), and waits until it answers PING.
    pub fn start(extra: &[&str]) -> Server {
        Server::start_with_config(FULL_DEFAULT_USER, extra)
    }

    /// Starts `redoubt` on 127.0.0.1 (unless `extra` has its own `--bind`) with `config` as
    /// its config file (written 0600 in the server's scratch directory; may be empty) and
    /// extra arguments, and waits until it accepts connections. `{dir}` in `config` is
    /// replaced by that directory.
    pub fn start_with_config(config: &str, extra: &[&str]) -> Server {
        use std::os::unix::fs::OpenOptionsExt;
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("redoubt-test-{}-{}", std::process::id(), port));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("redoubt-test.conf");
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&conf)
            .and_then(|mut f| f.write_all(config.replace("{dir}", &dir.display().to_string()).as_bytes()))
            .unwrap();
        let mut args: Vec<String> = vec![conf.display().to_string(), "--port".into(), port.to_string()];
        if !extra.contains(&"--bind") {
            args.extend(["--bind".into(), "127.0.0.1".into()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(env!("CARGO_BIN_EXE_redoubt"))
            .args(&args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redoubt");
        let server = Server { child, port, dir };
        server.wait_ready();
        server
    }

    /// Waits until the server answers PING (or NOAUTH, when it needs a password).
    fn wait_ready(&self) {
        wait_answering(self.port, "redoubt", |line| line.starts_with("+PONG") || line.starts_with("-NOAUTH"));
    }

    /// The audit log lines written so far (each a JSON object), when the config set
    /// `audit-log {dir}/audit.log`.
    pub fn audit_lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("audit.log"))
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// The audit log once it holds a line containing every one of `needles`: the log is
    /// written by a background thread, so a line may land a moment after the reply that
    /// caused it. Gives up after 10 s and returns what is there.
    pub fn audit_lines_with(&self, needles: &[&str]) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines = self.audit_lines();
            if lines.iter().any(|l| needles.iter().all(|n| l.contains(n))) || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The `redis://` URL of the server.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A synchronous `redis` crate connection.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url()).unwrap().get_connection().unwrap()
    }

    /// A raw TCP socket to the server, for protocol-level tests.
    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit on its own (after SHUTDOWN or a signal).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends raw bytes and reads whatever arrives until the peer closes or `timeout` passes.
pub fn send_raw(stream: &mut TcpStream, bytes: &[u8], timeout: Duration) -> Vec<u8> {
    stream.write_all(bytes).unwrap();
    stream.set_read_timeout(Some(timeout)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    out
}

/// Runs a command and returns its value, panicking on transport errors only.
pub fn cmd<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<T> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

/// Runs a command that must succeed.
pub fn ok<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&str]) -> T {
    match cmd(c, args) {
        Ok(v) => v,
        Err(e) => panic!("{args:?} failed: {e}"),
    }
}

/// The full error text (code and message) of a command that must fail.
pub fn err(c: &mut redis::Connection, args: &[&str]) -> String {
    match cmd::<redis::Value>(c, args) {
        Ok(v) => panic!("{args:?} succeeded with {v:?}"),
        Err(e) => error_text(&e),
    }
}

/// An error reply as Redis writes it: code, then message.
pub fn error_text(e: &redis::RedisError) -> String {
    format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or(""))
}

/// `v`, sorted (replies whose order Redis does not define).
pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// OBJECT ENCODING of `key`.
pub fn encoding(c: &mut redis::Connection, key: &str) -> String {
    ok(c, &["OBJECT", "ENCODING", key])
}
