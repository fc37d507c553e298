//! THREATS.md, one test per threat (T1 to T17 and T19; T18, TLS, is tests/tls.rs): each
//! performs the attack against a real server process over a real socket, asserts that it
//! fails as the catalogue says, and asserts the audit line it leaves (parsed as JSON: its
//! `event`, `reason` and, where it matters, `source`).
//!
//! The servers run Redoubt's true defaults plus what the threat's row says (a password for
//! "exposed with a password", the application's credentials for T8 to T15) and an
//! `audit-log`. Threats that need a client that is not on loopback run it from a network
//! namespace the test creates (`ip netns`, a veth pair on a private /30 in 10.251.0.0/16 that
//! only the test uses); they are skipped with a printed reason only when the machine does not
//! permit `ip netns`.
//!
//! T5 is a measurement by counting and comparing, not a wall-clock threshold: later answers
//! come later than earlier ones, and the lockout refuses even the right password.

mod common;

use common::Server;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "app-secret-5f2b";
const ADMIN_PASSWORD: &str = "admin-secret-9c41";

/// An exposed server's config: the application's password, an admin, an audit log.
fn exposed_config(extra: &str) -> String {
    format!("requirepass {PASSWORD}\nuser admin on >{ADMIN_PASSWORD} ~* &* +@all\naudit-log {{dir}}/audit.log\n{extra}")
}

/// A default install, with only an audit log added.
const DEFAULT_CONFIG: &str = "audit-log {dir}/audit.log\n";

// ---------------------------------------------------------------------------------------
// A raw RESP client.

#[derive(Clone, Debug, PartialEq)]
enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    fn text(&self) -> String {
        match self {
            Reply::Status(s) | Reply::Error(s) => s.clone(),
            Reply::Int(n) => n.to_string(),
            Reply::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            Reply::Bulk(None) | Reply::Array(None) => "(nil)".into(),
            Reply::Array(Some(items)) => items.iter().map(Reply::text).collect::<Vec<_>>().join(" "),
        }
    }

    fn is_error_starting(&self, prefix: &str) -> bool {
        matches!(self, Reply::Error(e) if e.starts_with(prefix))
    }
}

struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(port: u16) -> Client {
        Client::from(TcpStream::connect(("127.0.0.1", port)).unwrap())
    }

    /// A connection from another loopback address (127.0.0.x is a different source).
    fn connect_from(source: [u8; 4], port: u16) -> Client {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let stream = rt.block_on(async {
            let s = tokio::net::TcpSocket::new_v4().unwrap();
            s.bind(SocketAddr::from((source, 0))).unwrap();
            s.connect(SocketAddr::from(([127, 0, 0, 1], port))).await.unwrap()
        });
        let std = stream.into_std().unwrap();
        std.set_nonblocking(false).unwrap();
        Client::from(std)
    }

    fn from(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Client { stream, reader }
    }

    fn send(&mut self, args: &[&str]) {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.stream.write_all(req.as_bytes()).unwrap();
    }

    fn cmd(&mut self, args: &[&str]) -> Reply {
        self.send(args);
        self.read().expect("a reply")
    }

    fn read(&mut self) -> std::io::Result<Reply> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed"));
        }
        let line = line.trim_end_matches("\r\n").to_string();
        let (kind, rest) = line.split_at(1);
        Ok(match kind {
            "+" => Reply::Status(rest.into()),
            "-" => Reply::Error(rest.into()),
            ":" => Reply::Int(rest.parse().unwrap()),
            "$" => {
                let n: i64 = rest.parse().unwrap();
                if n < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut buf = vec![0; n as usize + 2];
                    self.reader.read_exact(&mut buf)?;
                    buf.truncate(n as usize);
                    Reply::Bulk(Some(buf))
                }
            }
            "*" | "%" => {
                let n: i64 = rest.parse().unwrap();
                if n < 0 {
                    Reply::Array(None)
                } else {
                    let n = if kind == "%" { n * 2 } else { n };
                    let mut items = Vec::new();
                    for _ in 0..n {
                        items.push(self.read()?);
                    }
                    Reply::Array(Some(items))
                }
            }
            // A RESP3 double.
            "," => Reply::Status(rest.into()),
            other => panic!("unexpected reply type {other:?} in {line:?}"),
        })
    }

    /// Whether the server closed the connection (EOF or reset) without sending anything.
    fn closed_silently(&mut self) -> bool {
        let mut buf = [0u8; 64];
        matches!(self.reader.read(&mut buf), Ok(0) | Err(_)) && self.reader.buffer().is_empty()
    }

    fn auth(&mut self, user: &str, password: &str) {
        assert_eq!(self.cmd(&["AUTH", user, password]), Reply::Status("OK".into()));
    }
}

// ---------------------------------------------------------------------------------------
// The audit log.

/// Parses one audit line: a flat JSON object of strings and numbers.
fn parse_json_object(line: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let b = line.as_bytes();
    assert!(b.first() == Some(&b'{') && b.last() == Some(&b'}'), "not a JSON object: {line}");
    let mut i = 1;
    let string = |i: &mut usize| -> String {
        assert_eq!(b[*i], b'"', "expected a string in {line}");
        *i += 1;
        let mut s = String::new();
        while b[*i] != b'"' {
            if b[*i] == b'\\' {
                *i += 1;
                match b[*i] {
                    b'n' => s.push('\n'),
                    b't' => s.push('\t'),
                    b'r' => s.push('\r'),
                    b'u' => {
                        let code = u32::from_str_radix(&line[*i + 1..*i + 5], 16).unwrap();
                        s.push(char::from_u32(code).unwrap_or('?'));
                        *i += 4;
                    }
                    c => s.push(c as char),
                }
                *i += 1;
            } else {
                let start = *i;
                while b[*i] != b'"' && b[*i] != b'\\' {
                    *i += 1;
                }
                s.push_str(&line[start..*i]);
            }
        }
        *i += 1;
        s
    };
    while b[i] != b'}' {
        let key = string(&mut i);
        assert_eq!(b[i], b':', "expected ':' in {line}");
        i += 1;
        let value = if b[i] == b'"' {
            string(&mut i)
        } else {
            let start = i;
            while b[i] != b',' && b[i] != b'}' {
                i += 1;
            }
            line[start..i].to_string()
        };
        map.insert(key, value);
        if b[i] == b',' {
            i += 1;
        }
    }
    map
}

fn audit(server: &Server) -> Vec<HashMap<String, String>> {
    server.audit_lines().iter().map(|l| parse_json_object(l)).collect()
}

/// Waits (the log is written by a thread) for an audit line of `event` that satisfies `pred`.
fn audit_line(
    server: &Server,
    event: &str,
    pred: impl Fn(&HashMap<String, String>) -> bool,
) -> HashMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines = audit(server);
        if let Some(l) = lines.iter().find(|l| l["event"] == event && pred(l)) {
            for field in ["time", "event", "source", "reason"] {
                assert!(l.contains_key(field), "audit line without {field}: {l:?}");
            }
            return l.clone();
        }
        if Instant::now() > deadline {
            panic!("no '{event}' audit line as expected; the log holds:\n{}", server.audit_lines().join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn reason_has(l: &HashMap<String, String>, text: &str) -> bool {
    l.get("reason").is_some_and(|r| r.contains(text))
}

// ---------------------------------------------------------------------------------------
// A network namespace for a client that is not on loopback.

static NEXT_NS: AtomicU32 = AtomicU32::new(0);

/// A network namespace joined to the host by a veth pair on a private /30 (10.251.X.0/30:
/// the host side is .1, the namespace side .2). Removed on drop.
struct Netns {
    name: String,
    host_if: String,
    host_ip: String,
    ns_ip: String,
}

fn ip(args: &[&str]) -> Output {
    Command::new("ip").args(args).stdin(Stdio::null()).output().expect("run ip")
}

impl Netns {
    /// `None`, with the reason printed, when the machine does not permit `ip netns`.
    fn create() -> Option<Netns> {
        let n = NEXT_NS.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let name = format!("redoubt-t{pid}-{n}");
        let add = Command::new("ip").args(["netns", "add", &name]).output();
        match add {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                eprintln!(
                    "skipped: 'ip netns add' is not permitted here: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                return None;
            }
            Err(e) => {
                eprintln!("skipped: cannot run 'ip' ({e}): no network namespaces here");
                return None;
            }
        }
        let host_if = format!("rdt{}x{n}h", pid % 100_000);
        let ns_if = format!("rdt{}x{n}n", pid % 100_000);
        let mut ns = Netns { name, host_if, host_ip: String::new(), ns_ip: String::new() };
        let ok = |o: Output, what: &str| {
            assert!(o.status.success(), "{what}: {}", String::from_utf8_lossy(&o.stderr));
        };
        ok(ip(&["link", "add", &ns.host_if, "type", "veth", "peer", "name", &ns_if]), "veth");
        ok(ip(&["link", "set", &ns_if, "netns", &ns.name]), "move veth");
        // A /30 nobody else on the host uses.
        let mut chosen = None;
        for attempt in 0..50u32 {
            let third = (pid.wrapping_mul(7).wrapping_add(n * 13 + attempt * 31)) % 250 + 1;
            let host = format!("10.251.{third}.1");
            if ip(&["addr", "add", &format!("{host}/30"), "dev", &ns.host_if]).status.success() {
                chosen = Some(third);
                break;
            }
        }
        let third = chosen.expect("a free 10.251.X.0/30");
        ns.host_ip = format!("10.251.{third}.1");
        ns.ns_ip = format!("10.251.{third}.2");
        ok(ip(&["link", "set", &ns.host_if, "up"]), "host link up");
        ok(
            ip(&["netns", "exec", &ns.name, "ip", "addr", "add", &format!("{}/30", ns.ns_ip), "dev", &ns_if]),
            "ns addr",
        );
        ok(ip(&["netns", "exec", &ns.name, "ip", "link", "set", &ns_if, "up"]), "ns link up");
        ok(ip(&["netns", "exec", &ns.name, "ip", "link", "set", "lo", "up"]), "ns lo up");
        Some(ns)
    }

    /// Runs a command inside the namespace.
    fn exec(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("ip netns exec")
    }

    /// redis-cli inside the namespace, commands one per line on its standard input (one
    /// connection): what it prints.
    fn redis_cli(&self, port: u16, commands: &str) -> String {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.name, "redis-cli", "-h", &self.host_ip, "-p", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("redis-cli in the namespace");
        child.stdin.take().unwrap().write_all(commands.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        // redis-cli follows an error reply with an empty line when not on a terminal.
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        text.lines().filter(|l| !l.is_empty()).map(|l| format!("{l}\n")).collect()
    }

    /// Raw bytes from inside the namespace over bash's /dev/tcp: sends `payload` on each of
    /// `connections` connections opened in turn (all kept open), then prints what the last
    /// one received within `secs` seconds.
    fn raw(&self, port: u16, connections: u32, payload: &str, secs: u32) -> String {
        let script = format!(
            "for i in $(seq 1 {connections}); do exec {{fd}}<>/dev/tcp/{}/{port} || exit 3; printf '{payload}' >&$fd; \
             last=$fd; done; timeout {secs} cat <&$last; exit 0",
            self.host_ip
        );
        let out = self.exec(&["bash", "-c", &script]);
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
        let _ = ip(&["link", "del", &self.host_if]);
    }
}

// ---------------------------------------------------------------------------------------
// Running the binary for start-up refusals (as tests/preflight.rs does).

/// A scratch directory with mode 0755 (a fresh checkout), removed on drop.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(tag: &str) -> Scratch {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("redoubt-threats-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    Scratch(dir)
}

fn write_mode(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs a server that must refuse to start: (exit status, standard error).
fn refused(cwd: &Path, args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .args(args)
        .current_dir(cwd)
        .env_remove("REDOUBT_PASSWORD")
        .env_remove("REDOUBT_MASTERAUTH")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return (status, err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("redoubt {args:?} did not exit: it should have refused to start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn audit_file_lines(path: &Path) -> Vec<HashMap<String, String>> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(parse_json_object).collect()
}

// ---------------------------------------------------------------------------------------
// The threats.

/// T1: a stranger on the network reaches a default install. It listens on loopback only, so
/// the connection is refused by the kernel and never reaches the server (nothing to audit);
/// and the operator's attempt to expose it without authentication is refused at start, which
/// the audit log records.
#[test]
fn t01_default_install_is_loopback_only() {
    let Some(ns) = Netns::create() else { return };
    // The true default `bind` (127.0.0.1 -::1), not the harness's 127.0.0.1.
    let s = Server::start_with_config(DEFAULT_CONFIG, &["--bind", "127.0.0.1", "-::1"]);
    let out = ns.redis_cli(s.port, "PING\n");
    assert!(out.contains("Connection refused"), "a stranger reached the default install: {out}");
    assert!(!out.contains("PONG"));
    // Loopback is served.
    assert_eq!(Client::connect(s.port).cmd(&["PING"]), Reply::Status("PONG".into()));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        audit(&s).iter().all(|l| !l["source"].starts_with(&ns.ns_ip)),
        "the refused connection never reached the server"
    );

    // Exposing it without a password: refused at start, naming the fix, audited.
    let dir = scratch("t01");
    let conf = dir.0.join("redoubt.conf");
    let log = dir.0.join("audit.log");
    write_mode(&conf, &format!("audit-log {}\n", log.display()), 0o600);
    let port = common::free_port().to_string();
    let (status, err) = refused(&dir.0, &[conf.to_str().unwrap(), "--port", &port, "--bind", &ns.host_ip]);
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("refusing to listen on") && err.contains("without authentication"), "{err}");
    assert!(err.contains("requirepass"), "the refusal names the fix: {err}");
    let lines = audit_file_lines(&log);
    let l = lines.iter().find(|l| l["event"] == "start_refused").expect("a start_refused audit line");
    assert!(reason_has(l, "without authentication"), "{l:?}");
}

/// Protected mode (Redis 7): with no password, a lab that set `insecure-no-auth yes` still
/// answers a client not on loopback with -DENIED and closes it.
#[test]
fn t01_protected_mode_refuses_clients_not_on_loopback() {
    let Some(ns) = Netns::create() else { return };
    let s =
        Server::start_with_config(DEFAULT_CONFIG, &["--bind", "127.0.0.1", &ns.host_ip, "--insecure-no-auth", "yes"]);
    let out = ns.redis_cli(s.port, "PING\n");
    assert!(out.contains("DENIED Redis is running in protected mode"), "{out}");
    assert!(out.contains("requirepass-file"), "the refusal names Redoubt's fixes: {out}");
    assert!(!out.contains("PONG"));
    let l = audit_line(&s, "protected_mode_refused", |l| l["source"].starts_with(&ns.ns_ip));
    assert!(reason_has(&l, "no password"), "{l:?}");
    // The lab's own warning is audited at start.
    audit_line(&s, "config_change", |l| reason_has(l, "INSECURE"));
    assert_eq!(Client::connect(s.port).cmd(&["PING"]), Reply::Status("PONG".into()));
}

/// T2: a stranger reaches a server exposed with a password: before AUTH only AUTH, HELLO,
/// QUIT and RESET run; everything else is NOAUTH, and nothing it sent ran.
#[test]
fn t02_stranger_on_an_exposed_server_gets_only_noauth() {
    let Some(ns) = Netns::create() else { return };
    let s = Server::start_with_config(&exposed_config(""), &["--bind", "127.0.0.1", &ns.host_ip]);
    let out = ns.redis_cli(
        s.port,
        "PING\nSET t02 pwned\nGET t02\nKEYS *\nFLUSHALL\nCONFIG SET dir /tmp\nCLIENT LIST\nSUBSCRIBE x\nNOSUCHCOMMAND\n",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 9, "{out}");
    assert!(lines.iter().all(|l| *l == "NOAUTH Authentication required."), "{out}");
    let out = ns.redis_cli(s.port, "RESET\nAUTH wrong-guess\n");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["RESET", "WRONGPASS invalid username-password pair or user is disabled."],
        "{out}"
    );
    // (redis-cli answers QUIT itself: sent raw.)
    assert_eq!(ns.raw(s.port, 1, "QUIT\\r\\n", 1), "+OK\r\n");
    // The stranger's SET did not run.
    let mut c = Client::connect(s.port);
    c.auth("default", PASSWORD);
    assert_eq!(c.cmd(&["EXISTS", "t02"]), Reply::Int(0));
    let l = audit_line(&s, "permission_denied", |l| l["source"].starts_with(&ns.ns_ip) && l["command"] == "set");
    assert!(reason_has(&l, "NOAUTH"), "{l:?}");
    assert!(!l.contains_key("user"), "a stranger has no user: {l:?}");
    let l = audit_line(&s, "auth_failure", |l| l["source"].starts_with(&ns.ns_ip));
    assert!(reason_has(&l, "wrong password"), "{l:?}");
    assert!(!s.audit_lines().join("\n").contains("wrong-guess"), "a guessed password is never written");
}

/// T3: INFO, the version or the config read before AUTH reveal nothing, not even the version.
#[test]
fn t03_nothing_is_revealed_before_auth() {
    let Some(ns) = Netns::create() else { return };
    let s = Server::start_with_config(&exposed_config(""), &["--bind", "127.0.0.1", &ns.host_ip]);
    let probes = "INFO\nINFO server\nHELLO\nHELLO 3\nHELLO 2\nCOMMAND\nCOMMAND DOCS get\nCONFIG GET *\nLOLWUT\n\
                  TIME\nDBSIZE\nCLIENT INFO\nMEMORY STATS\nACL WHOAMI\nECHO hi\nNOSUCH cmd\n";
    let out = ns.redis_cli(s.port, probes);
    assert_eq!(out.lines().count(), 16, "{out}");
    for line in out.lines() {
        assert!(line.starts_with("NOAUTH"), "answered before AUTH: {line}");
    }
    for leak in ["7.0", "redis_version", "redoubt", "Redoubt", "0.1.0", "standalone"] {
        assert!(!out.contains(leak), "'{leak}' leaked before AUTH: {out}");
    }
    // HELLO without AUTH gets Redis's own text, without the server map.
    assert!(out.contains("NOAUTH HELLO must be called with the client already authenticated"), "{out}");
    let l = audit_line(&s, "permission_denied", |l| l["source"].starts_with(&ns.ns_ip) && l["command"] == "info");
    assert!(reason_has(&l, "not authenticated"), "{l:?}");
}

/// T4: an HTTP request (a browser, an SSRF) whose body carries commands: the connection is
/// closed on the request line, and no command after it runs; a multibulk `POST` or `Host:`
/// closes too.
#[test]
fn t04_http_request_closes_the_connection_and_nothing_after_it_runs() {
    let s = Server::start_with_config(DEFAULT_CONFIG, &[]);
    let mut c = Client::connect(s.port);
    c.stream
        .write_all(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 18\r\n\r\nSET t04 pwned\r\nGET t04\r\n")
        .unwrap();
    assert!(c.closed_silently(), "the HTTP request was answered");
    // The same through a multibulk POST, and a Host: header after a command that runs.
    let mut c = Client::connect(s.port);
    c.stream.write_all(b"*1\r\n$4\r\nPOST\r\n*3\r\n$3\r\nSET\r\n$4\r\nt04b\r\n$5\r\npwned\r\n").unwrap();
    assert!(c.closed_silently());
    let mut c = Client::connect(s.port);
    c.stream.write_all(b"PING\r\n*2\r\n$5\r\nHost:\r\n$9\r\n127.0.0.1\r\nSET t04c pwned\r\n").unwrap();
    assert_eq!(c.read().unwrap(), Reply::Status("PONG".into()), "what came before the header ran");
    assert!(c.closed_silently());
    let mut c = Client::connect(s.port);
    assert_eq!(c.cmd(&["EXISTS", "t04", "t04b", "t04c"]), Reply::Int(0), "nothing after the request line ran");
    let l = audit_line(&s, "http_probe", |l| l["source"].starts_with("127.0.0.1:"));
    assert!(reason_has(&l, "HTTP"), "{l:?}");
    // The audit writer is a thread of its own: the three lines may land one after the other.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut probes = 0;
    while probes < 3 && Instant::now() < deadline {
        probes = audit(&s).iter().filter(|l| l["event"] == "http_probe").count();
        std::thread::sleep(Duration::from_millis(25));
    }
    assert_eq!(probes, 3, "each probe is audited");
}

/// T5, one source: pipelined guesses are answered later and later, then the source is locked
/// out and even the right password is refused unchecked, while another client is unaffected.
/// A measurement by comparison: each delayed answer comes later after the previous one than
/// that one came after its own predecessor.
#[test]
fn t05_password_guessing_from_one_source_is_slowed_then_locked_out() {
    let s = Server::start_with_config(
        &exposed_config(
            "auth-free-failures 2\nauth-backoff-base-ms 100\nauth-backoff-max-ms 10000\nauth-lockout-failures 7\n",
        ),
        &[],
    );
    // The legitimate application, on 127.0.0.1, is in already.
    let mut app = Client::connect(s.port);
    app.auth("default", PASSWORD);
    // The attacker, on 127.0.0.2: seven wrong guesses, then the right password, pipelined.
    let mut attacker = Client::connect_from([127, 0, 0, 2], s.port);
    for i in 0..7 {
        attacker.send(&["AUTH", &format!("guess-{i}")]);
    }
    attacker.send(&["AUTH", PASSWORD]);
    let t0 = Instant::now();
    let mut answered = Vec::new();
    for _ in 0..8 {
        let r = attacker.read().unwrap();
        answered.push((t0.elapsed(), r));
        // Meanwhile the application is not slowed: its command is answered before the
        // attacker's next delayed answer arrives.
        if answered.len() == 4 {
            let before = t0.elapsed();
            assert_eq!(app.cmd(&["SET", "t05", "ok"]), Reply::Status("OK".into()));
            assert!(t0.elapsed() - before < answered[3].0 - answered[2].0, "another client waited");
        }
    }
    for (_, r) in &answered[..7] {
        assert!(r.is_error_starting("WRONGPASS invalid username-password pair"), "{r:?}");
    }
    let lock = &answered[7].1;
    assert!(lock.is_error_starting("WRONGPASS too many failed authentication attempts"), "{lock:?}");
    assert!(lock.text().contains("not checked"), "the right password was not even checked: {lock:?}");
    let gaps: Vec<Duration> = answered.windows(2).map(|w| w[1].0 - w[0].0).collect();
    // Answers 3 to 7 wait 100, 200, 400, 800, 1600 ms: each gap longer than the one before.
    for w in gaps[1..6].windows(2) {
        assert!(w[1] > w[0], "the back-off did not grow: {gaps:?}");
    }
    assert!(gaps[6] < gaps[5], "the locked-out attempt is answered at once: {gaps:?}");
    // The application still works, and a new connection from it still authenticates.
    assert_eq!(app.cmd(&["GET", "t05"]), Reply::Bulk(Some(b"ok".to_vec())));
    Client::connect(s.port).auth("default", PASSWORD);
    let failures =
        audit(&s).iter().filter(|l| l["event"] == "auth_failure" && l["source"].starts_with("127.0.0.2:")).count();
    assert_eq!(failures, 7);
    let l = audit_line(&s, "auth_failure", |l| reason_has(l, "failure 7 from this source"));
    assert!(reason_has(&l, "wrong password"), "{l:?}");
    let l = audit_line(&s, "lockout", |l| reason_has(l, "7 failed attempts"));
    assert!(l["source"].starts_with("127.0.0.2:"), "{l:?}");
    audit_line(&s, "lockout", |l| reason_has(l, "refused unchecked"));
}

/// T5, many sources: once failures from everywhere exceed the global budget, unknown sources
/// queue for a shared turn and those that would wait too long are refused unchecked; a source
/// that authenticated recently is not slowed.
#[test]
fn t05_distributed_guessing_meets_the_global_budget() {
    let s = Server::start_with_config(&exposed_config("auth-backoff-base-ms 50\nauth-backoff-max-ms 200\n"), &[]);
    let mut app = Client::connect(s.port);
    app.auth("default", PASSWORD);
    // 110 sources fail once each: over the budget of 100 a minute.
    for i in 0..110u8 {
        let mut c = Client::connect_from([127, 0, 1, 10 + i], s.port);
        assert!(c.cmd(&["AUTH", "guess"]).is_error_starting("WRONGPASS"));
    }
    // 20 fresh sources guess at once: at most a few are checked, the rest refused unchecked.
    let mut clients: Vec<Client> = (0..20u8).map(|i| Client::connect_from([127, 0, 2, 10 + i], s.port)).collect();
    for c in clients.iter_mut() {
        c.send(&["AUTH", "guess"]);
    }
    let replies: Vec<Reply> = clients.iter_mut().map(|c| c.read().unwrap()).collect();
    let refused = replies.iter().filter(|r| r.text().contains("too many failed")).count();
    let checked = replies.iter().filter(|r| r.text().contains("invalid username-password")).count();
    assert_eq!(refused + checked, 20, "{replies:?}");
    assert!(refused >= 10, "the global budget refused {refused} of 20 guesses: {replies:?}");
    // The trusted application source is not slowed: a new connection of it gets in at once.
    let mut again = Client::connect(s.port);
    again.auth("default", PASSWORD);
    assert_eq!(again.cmd(&["PING"]), Reply::Status("PONG".into()));
    let l = audit_line(&s, "lockout", |l| l["source"].starts_with("127.0.2."));
    assert!(reason_has(&l, "refused unchecked"), "{l:?}");
}

/// T6: huge `*`/`$` headers and replies never read, before AUTH: Redis's tight limits (10
/// arguments, 16 KiB bulks) close the connection with an error; a client that does not read
/// its NOAUTH replies is closed once a small output cap is reached; nothing a client merely
/// announces is reserved; after AUTH the usual limits apply.
#[test]
fn t06_huge_headers_and_unread_replies_before_auth_are_cut_off() {
    let s = Server::start_with_config(&exposed_config(""), &[]);
    let mut c = Client::connect(s.port);
    c.stream.write_all(b"*11\r\n").unwrap();
    assert_eq!(c.read().unwrap(), Reply::Error("ERR Protocol error: unauthenticated multibulk length".into()));
    assert!(c.closed_silently());
    let mut c = Client::connect(s.port);
    c.stream.write_all(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n").unwrap();
    assert_eq!(c.read().unwrap(), Reply::Error("ERR Protocol error: unauthenticated bulk length".into()));
    assert!(c.closed_silently());
    let l = audit_line(&s, "limit_hit", |l| reason_has(l, "more than 10 arguments"));
    assert!(l["source"].starts_with("127.0.0.1:"), "{l:?}");
    audit_line(&s, "limit_hit", |l| reason_has(l, "16 KiB"));

    // Never reading the replies (CVE-2025-21605): the server closes the connection instead of
    // buffering NOAUTH replies; counted in bytes written before the server gave up.
    let mut c = Client::connect(s.port);
    c.stream.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    let chunk = b"PING\r\n".repeat(10_000);
    let mut written = 0usize;
    let closed = loop {
        match c.stream.write(&chunk) {
            Ok(n) => written += n,
            Err(_) => break true,
        }
        if written > 512 << 20 {
            break false;
        }
    };
    assert!(closed, "a client that never reads was still served after {written} bytes");
    let l = audit_line(&s, "limit_hit", |l| reason_has(l, "does not read its replies"));
    assert!(l["source"].starts_with("127.0.0.1:"), "{l:?}");

    // An announced 400 MB bulk is not reserved: the server's memory stays small.
    let mut c = Client::connect(s.port);
    c.auth("default", PASSWORD);
    c.stream.write_all(b"*3\r\n$3\r\nSET\r\n$4\r\nt06x\r\n$400000000\r\nabc").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.pid())).unwrap();
    let rss_kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(rss_kb < 200 * 1024, "the server reserved what a client announced: VmRSS {rss_kb} kB");
    drop(c);
    // After AUTH the configurable limits apply: 11 arguments are fine.
    let mut c = Client::connect(s.port);
    c.auth("default", PASSWORD);
    assert_eq!(c.cmd(&["MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]), Reply::Status("OK".into()));
}

/// T7: idle and half-open connections: one that never authenticates is closed at
/// `unauthenticated-timeout`; more than `maxclients-per-source` unauthenticated connections
/// from one address are refused.
#[test]
fn t07_connections_that_never_authenticate_are_timed_out_and_capped() {
    let s = Server::start_with_config(&exposed_config("unauthenticated-timeout 1\n"), &[]);
    let mut idle = Client::connect(s.port);
    let mut authed = Client::connect(s.port);
    authed.auth("default", PASSWORD);
    let t0 = Instant::now();
    assert!(idle.closed_silently(), "the idle unauthenticated connection was not closed");
    assert!(t0.elapsed() < Duration::from_secs(15));
    let l = audit_line(&s, "limit_hit", |l| reason_has(l, "did not authenticate within 1 seconds"));
    assert!(l["source"].starts_with("127.0.0.1:"), "{l:?}");
    // An authenticated connection is not subject to it.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(authed.cmd(&["PING"]), Reply::Status("PONG".into()));

    let Some(ns) = Netns::create() else { return };
    let s =
        Server::start_with_config(&exposed_config("maxclients-per-source 3\n"), &["--bind", "127.0.0.1", &ns.host_ip]);
    // Four connections from one address that say nothing: the fourth is refused.
    let out = ns.raw(s.port, 4, "", 2);
    assert!(out.contains("-ERR too many connections from this address have not authenticated"), "{out}");
    let l = audit_line(&s, "limit_hit", |l| l["source"].starts_with(&ns.ns_ip));
    assert!(reason_has(&l, "maxclients-per-source"), "{l:?}");
    // Three are fine, and an authenticated one does not count (once the server has seen the
    // first four close).
    std::thread::sleep(Duration::from_secs(1));
    let out = ns.raw(s.port, 3, &format!("AUTH {PASSWORD}\\r\\nPING\\r\\n"), 1);
    assert!(out.contains("+OK") && out.contains("+PONG"), "{out}");
}

/// A client with the application's credentials (the `default` user's password).
fn app(s: &Server) -> Client {
    let mut c = Client::connect(s.port);
    c.auth("default", PASSWORD);
    c
}

fn admin(s: &Server) -> Client {
    let mut c = Client::connect(s.port);
    c.auth("admin", ADMIN_PASSWORD);
    c
}

/// T8: `REPLICAOF <attacker>` with the application's credentials: refused by the permissions
/// (REPLICAOF is on the admin surface); even an admin may only name a primary the
/// configuration allows. The role is unchanged either way, and both refusals are audited.
#[test]
fn t08_replicaof_with_app_credentials_is_refused() {
    let s = Server::start_with_config(&exposed_config(""), &[]);
    let mut c = app(&s);
    for (cmd, name) in
        [(&["REPLICAOF", "10.9.9.9", "24798"][..], "replicaof"), (&["SLAVEOF", "10.9.9.9", "24798"], "slaveof")]
    {
        let r = c.cmd(cmd);
        assert_eq!(r, Reply::Error(format!("NOPERM this user has no permissions to run the '{name}' command")));
    }
    for cmd in [&["SYNC"][..], &["PSYNC", "?", "-1"]] {
        let r = c.cmd(cmd);
        assert!(r.is_error_starting("NOPERM"), "{cmd:?}: {r:?}");
    }
    let l = audit_line(&s, "permission_denied", |l| l["command"] == "replicaof");
    assert_eq!(l["user"], "default");
    // An admin cannot name a primary the configuration does not list.
    let mut a = admin(&s);
    let r = a.cmd(&["REPLICAOF", "10.9.9.9", "24798"]);
    assert!(r.is_error_starting("ERR REPLICAOF refused: 10.9.9.9:24798 is not a primary"), "{r:?}");
    let l = audit_line(&s, "permission_denied", |l| l["command"] == "replicaof" && l["user"] == "admin");
    assert!(reason_has(&l, "replication"), "{l:?}");
    let info = c.cmd(&["INFO", "replication"]).text();
    assert!(info.contains("role:master"), "{info}");
    assert_eq!(c.cmd(&["SET", "t08", "still-writable"]), Reply::Status("OK".into()));
}

/// T9: `CONFIG SET dir` + `dbfilename` + `SAVE` to write authorized_keys: refused for the
/// application, and paths never change at run time even for an admin.
#[test]
fn t09_config_set_dir_and_save_are_refused() {
    let s = Server::start_with_config(&exposed_config(""), &[]);
    let mut c = app(&s);
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dir", "/root/.ssh"]),
        Reply::Error("NOPERM this user has no permissions to run the 'config|set' command".into())
    );
    assert!(c.cmd(&["CONFIG", "SET", "dbfilename", "authorized_keys"]).is_error_starting("NOPERM"));
    assert_eq!(c.cmd(&["SAVE"]), Reply::Error("NOPERM this user has no permissions to run the 'save' command".into()));
    assert!(c.cmd(&["BGSAVE"]).is_error_starting("NOPERM"));
    let mut a = admin(&s);
    assert_eq!(
        a.cmd(&["CONFIG", "SET", "dir", "/root/.ssh"]),
        Reply::Error("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set immutable config".into())
    );
    let l = audit_line(&s, "permission_denied", |l| l["command"] == "config|set");
    assert!(reason_has(&l, "command not allowed"), "{l:?}");
    assert_eq!(l["user"], "default");
    audit_line(&s, "permission_denied", |l| l["command"] == "save");
}

/// T10: DEBUG SEGFAULT / DEBUG SLEEP: there is no such command; the server keeps serving.
#[test]
fn t10_debug_does_not_exist() {
    let s = Server::start_with_config(&exposed_config(""), &[]);
    for c in [&mut app(&s), &mut admin(&s)] {
        assert!(c.cmd(&["DEBUG", "SEGFAULT"]).is_error_starting("ERR unknown command 'DEBUG'"));
        assert!(c.cmd(&["DEBUG", "SLEEP", "30"]).is_error_starting("ERR unknown command"));
        assert_eq!(c.cmd(&["PING"]), Reply::Status("PONG".into()));
    }
    let l = audit_line(&s, "permission_denied", |l| l["command"] == "debug");
    assert!(reason_has(&l, "no DEBUG command"), "{l:?}");
}

/// T11: MODULE LOAD of a shared object: no module loading.
#[test]
fn t11_module_load_does_not_exist() {
    let s = Server::start_with_config(&exposed_config(""), &[]);
    for c in [&mut app(&s), &mut admin(&s)] {
        assert!(c.cmd(&["MODULE", "LOAD", "/tmp/exp.so"]).is_error_starting("ERR unknown command 'MODULE'"));
    }
    let l = audit_line(&s, "permission_denied", |l| l["command"] == "module");
    assert!(reason_has(&l, "no module loading"), "{l:?}");
}

/// T12: scripting that reaches the host: there is no scripting engine.
#[test]
fn t12_scripting_with_host_access_does_not_exist() {
    let s = Server::start_with_config(&exposed_config(""), &[]);
    let mut c = admin(&s);
    let lua = "local f = package.loadlib('/lib/x86_64-linux-gnu/libc.so.6', 'system'); return os.execute('id')";
    assert!(c.cmd(&["EVAL", lua, "0"]).is_error_starting("ERR unknown command 'EVAL'"));
    assert!(c
        .cmd(&["EVALSHA", "0123456789012345678901234567890123456789", "0"])
        .is_error_starting("ERR unknown command"));
    assert!(c.cmd(&["SCRIPT", "LOAD", lua]).is_error_starting("ERR unknown command"));
    assert!(c.cmd(&["FCALL", "f", "0"]).is_error_starting("ERR unknown command"));
    assert!(c
        .cmd(&["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', os.exit)"])
        .is_error_starting("ERR"));
    let l = audit_line(&s, "permission_denied", |l| l["command"] == "eval");
    assert!(reason_has(&l, "no scripting engine"), "{l:?}");
    assert_eq!(l["user"], "admin");
    assert!(!s.audit_lines().join("\n").contains("loadlib"), "a script's text is never written");
}

/// T13: `ACL SETUSER <self> +@all` with the application's credentials: refused.
#[test]
fn t13_granting_yourself_everything_is_refused() {
    let s = Server::start_with_config(&exposed_config(""), &[]);
    let mut c = app(&s);
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "default", "+@all"]),
        Reply::Error("NOPERM this user has no permissions to run the 'acl|setuser' command".into())
    );
    assert!(c.cmd(&["ACL", "SETUSER", "evil", "on", ">x", "~*", "+@all"]).is_error_starting("NOPERM"));
    assert!(c.cmd(&["ACL", "DELUSER", "admin"]).is_error_starting("NOPERM"));
    assert!(c.cmd(&["FLUSHALL"]).is_error_starting("NOPERM"), "no escalation happened");
    assert_eq!(c.cmd(&["ACL", "WHOAMI"]), Reply::Bulk(Some(b"default".to_vec())));
    let l = audit_line(&s, "permission_denied", |l| l["command"] == "acl|setuser");
    assert_eq!(l["user"], "default");
    assert!(!s.audit_lines().join("\n").contains(">x"), "rules are never written");
    // An admin may, and that is audited as an ACL change (without the rules).
    let mut a = admin(&s);
    assert_eq!(
        a.cmd(&["ACL", "SETUSER", "reporter", "on", ">r3p0rt", "~report:*", "+get"]),
        Reply::Status("OK".into())
    );
    let l = audit_line(&s, "acl_change", |l| l["command"] == "acl|setuser");
    assert!(reason_has(&l, "reporter") && !reason_has(&l, "r3p0rt"), "{l:?}");
}

/// T14: FLUSHALL, FLUSHDB, SHUTDOWN with the application's credentials: refused.
#[test]
fn t14_flushall_flushdb_and_shutdown_are_refused() {
    let mut s = Server::start_with_config(&exposed_config(""), &[]);
    let mut c = app(&s);
    assert_eq!(c.cmd(&["SET", "t14", "precious"]), Reply::Status("OK".into()));
    for cmd in [&["FLUSHALL"][..], &["FLUSHALL", "ASYNC"], &["FLUSHDB"], &["SHUTDOWN", "NOSAVE"], &["SHUTDOWN"]] {
        assert!(c.cmd(cmd).is_error_starting("NOPERM this user has no permissions to run the"), "{cmd:?}");
    }
    assert_eq!(c.cmd(&["GET", "t14"]), Reply::Bulk(Some(b"precious".to_vec())));
    assert!(s.wait_exit(Duration::from_millis(300)).is_none(), "the server shut down");
    for cmd in ["flushall", "flushdb", "shutdown"] {
        let l = audit_line(&s, "permission_denied", |l| l["command"] == cmd);
        assert!(reason_has(&l, "command not allowed"), "{l:?}");
    }
}

/// T15: snooping with the application's credentials: MONITOR and CLIENT LIST/KILL are refused,
/// and a user limited by key patterns cannot read other keys.
#[test]
fn t15_snooping_on_others_is_refused() {
    let s = Server::start_with_config(&exposed_config("user reader on >r34d ~app:* +@read +@connection\n"), &[]);
    let mut c = app(&s);
    assert!(c
        .cmd(&["CLIENT", "LIST"])
        .is_error_starting("NOPERM this user has no permissions to run the 'client|list'"));
    assert!(c.cmd(&["CLIENT", "KILL", "TYPE", "normal"]).is_error_starting("NOPERM"));
    assert!(c.cmd(&["MONITOR"]).is_error_starting("ERR unknown command 'MONITOR'"));
    assert_eq!(c.cmd(&["SET", "app:1", "a"]), Reply::Status("OK".into()));
    assert_eq!(c.cmd(&["SET", "secret:1", "s"]), Reply::Status("OK".into()));
    let mut r = Client::connect(s.port);
    r.auth("reader", "r34d");
    assert_eq!(r.cmd(&["GET", "app:1"]), Reply::Bulk(Some(b"a".to_vec())));
    assert_eq!(
        r.cmd(&["GET", "secret:1"]),
        Reply::Error("NOPERM this user has no permissions to access one of the keys used as arguments".into())
    );
    assert!(r.cmd(&["MGET", "app:1", "secret:1"]).is_error_starting("NOPERM"));
    let l = audit_line(&s, "permission_denied", |l| l["command"] == "get" && l["user"] == "reader");
    assert!(reason_has(&l, "key not allowed"), "{l:?}");
    assert!(!s.audit_lines().join("\n").contains("secret:1"), "key names are not written to the audit log");
    audit_line(&s, "permission_denied", |l| l["command"] == "client|list");
    audit_line(&s, "permission_denied", |l| l["command"] == "monitor");
    // ACL LOG, for an admin, has the key refusal as Redis logs it.
    let log = admin(&s).cmd(&["ACL", "LOG", "1"]).text();
    assert!(log.contains("key") && log.contains("secret:1") && log.contains("reader"), "{log}");
}

/// T16: a local account reads or alters the snapshot: the data directory is 0700 and its
/// files 0600, and a looser data directory refuses the start (audited).
#[test]
fn t16_data_files_are_private_and_loose_modes_refuse_to_start() {
    use std::os::unix::fs::PermissionsExt;
    let s = Server::start_with_config(&exposed_config(""), &[]);
    let mut a = admin(&s);
    assert_eq!(a.cmd(&["SET", "t16", "v"]), Reply::Status("OK".into()));
    assert_eq!(a.cmd(&["SAVE"]), Reply::Status("OK".into()));
    let data = s.dir.join("redoubt-data");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("dump.rdb")), 0o600);
    let l = audit_line(&s, "auth_success", |_| true);
    assert_eq!(l["user"], "admin");

    let dir = scratch("t16");
    let conf = dir.0.join("redoubt.conf");
    let log = dir.0.join("audit.log");
    write_mode(&conf, &format!("requirepass {PASSWORD}\naudit-log {}\n", log.display()), 0o600);
    std::fs::create_dir(dir.0.join("redoubt-data")).unwrap();
    std::fs::set_permissions(dir.0.join("redoubt-data"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let port = common::free_port().to_string();
    let (status, err) = refused(&dir.0, &[conf.to_str().unwrap(), "--port", &port, "--bind", "127.0.0.1"]);
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("chmod 700"), "{err}");
    let lines = audit_file_lines(&log);
    let l = lines.iter().find(|l| l["event"] == "start_refused").expect("a start_refused audit line");
    assert!(reason_has(l, "chmod 700"), "{l:?}");
}

/// T17: the secret read from `ps`, a world-readable config, or the logs: refused on the
/// command line, refused in a readable config file (audited), and never written to the audit
/// log or shown by CONFIG GET.
#[test]
fn t17_secrets_stay_out_of_argv_readable_files_and_logs() {
    let dir = scratch("t17");
    let port = common::free_port().to_string();
    let (status, err) = refused(&dir.0, &["--port", &port, "--bind", "127.0.0.1", "--requirepass", PASSWORD]);
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("secrets are not accepted on the command line") && err.contains("requirepass-file"), "{err}");
    assert!(!err.contains(PASSWORD), "the refusal repeats the secret: {err}");

    let conf = dir.0.join("redoubt.conf");
    let log = dir.0.join("audit.log");
    write_mode(&conf, &format!("requirepass {PASSWORD}\naudit-log {}\n", log.display()), 0o644);
    let (status, err) = refused(&dir.0, &[conf.to_str().unwrap(), "--port", &port, "--bind", "127.0.0.1"]);
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("chmod 600"), "{err}");
    let lines = audit_file_lines(&log);
    let l = lines.iter().find(|l| l["event"] == "start_refused").expect("a start_refused audit line");
    assert!(reason_has(l, "holds a secret"), "{l:?}");
    assert!(!std::fs::read_to_string(&log).unwrap().contains(PASSWORD));

    // A running server: passwords (right or wrong) never reach the audit log, CONFIG GET
    // redacts the secret, CLIENT LIST shows no argument.
    let s = Server::start_with_config(&exposed_config(""), &[]);
    let mut c = Client::connect(s.port);
    assert!(c.cmd(&["AUTH", "default", "almost-the-secret"]).is_error_starting("WRONGPASS"));
    c.auth("default", PASSWORD);
    assert!(c.cmd(&["HELLO", "2", "AUTH", "admin", ADMIN_PASSWORD]).text().contains("proto"));
    assert_eq!(c.cmd(&["CONFIG", "GET", "requirepass"]).text(), "requirepass (redacted)");
    let list = c.cmd(&["CLIENT", "LIST"]).text();
    assert!(!list.contains(PASSWORD) && !list.contains(ADMIN_PASSWORD), "{list}");
    assert_eq!(c.cmd(&["CONFIG", "SET", "requirepass", "rotated-secret-1"]), Reply::Status("OK".into()));
    let l = audit_line(&s, "config_change", |l| l["command"] == "config|set");
    assert!(reason_has(&l, "requirepass"), "{l:?}");
    let text = s.audit_lines().join("\n");
    for secret in [PASSWORD, ADMIN_PASSWORD, "almost-the-secret", "rotated-secret-1"] {
        assert!(!text.contains(secret), "a secret reached the audit log: {text}");
    }
    audit_line(&s, "auth_failure", |l| reason_has(l, "wrong password"));
}

/// T19: an address with no business with the server: `allow-from` closes it at accept,
/// before a byte is read, and audits it.
#[test]
fn t19_allowlist_refuses_other_sources_at_accept() {
    let Some(ns) = Netns::create() else { return };
    let s =
        Server::start_with_config(&exposed_config("allow-from 127.0.0.1/32\n"), &["--bind", "127.0.0.1", &ns.host_ip]);
    let out = ns.raw(s.port, 1, &format!("AUTH {PASSWORD}\\r\\nPING\\r\\n"), 2);
    assert!(!out.contains("PONG") && !out.contains("OK") && !out.contains("NOAUTH"), "{out}");
    let l = audit_line(&s, "allowlist_refused", |l| l["source"].starts_with(&ns.ns_ip));
    assert!(reason_has(&l, "allow-from"), "{l:?}");
    // Listed sources are served.
    let mut c = app(&s);
    assert_eq!(c.cmd(&["PING"]), Reply::Status("PONG".into()));
}
