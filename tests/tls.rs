//! Native TLS end to end (issue 4): certificates from `redoubt tls init`, the real server
//! binary, and real clients: redis-cli `--tls` (OpenSSL) and the `redis` crate and a raw
//! rustls client. Also the unix socket's stale-file handling (issue 4 §5).
//!
//! What is left to the gate integration and tested there: `tls-auth-clients-user CN` logging
//! a client in as the user its certificate names, and refusing (and auditing) a CN that names
//! no user. Here the CN is checked where the door exposes it (the debug log line of the
//! handshake; the session carries it).

mod common;

use common::free_port;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_redoubt");

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("redoubt-tls-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// What `redoubt tls init` made.
struct Certs {
    dir: PathBuf,
}

impl Certs {
    /// Runs `redoubt tls init DIR --client CN...`, checking what it prints.
    fn init(dir: &Path, clients: &[&str]) -> Certs {
        let mut args = vec!["tls".to_string(), "init".into(), dir.display().to_string()];
        for c in clients {
            args.extend(["--client".into(), c.to_string()]);
        }
        let out = Command::new(BIN).args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "tls init failed: {}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains(&format!("tls-key-file {}", dir.join("server.key").display())), "{text}");
        assert!(text.contains("redis-cli --tls --cacert"), "{text}");
        Certs { dir: dir.to_path_buf() }
    }
    fn ca(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }
    fn crt(&self) -> PathBuf {
        self.dir.join("server.crt")
    }
    fn key(&self) -> PathBuf {
        self.dir.join("server.key")
    }
    fn client(&self, cn: &str) -> (PathBuf, PathBuf) {
        (self.dir.join(format!("client-{cn}.crt")), self.dir.join(format!("client-{cn}.key")))
    }
    /// The server arguments for these files.
    fn server_args(&self, tls_port: u16) -> Vec<String> {
        [
            "--tls-port",
            &tls_port.to_string(),
            "--tls-cert-file",
            &self.crt().display().to_string(),
            "--tls-key-file",
            &self.key().display().to_string(),
            "--tls-ca-cert-file",
            &self.ca().display().to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

/// A running server, killed on drop.
struct Running {
    child: Child,
    log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// The server's log so far (stderr).
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends a signal by name (HUP, TERM).
    fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([&format!("-{sig}"), &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success());
    }
}

/// Starts the server in `work` with `--bind 127.0.0.1` and `args`; waits for "Ready to accept
/// connections". `Err(log)` when it exits instead.
fn start(work: &Path, args: &[String]) -> Result<Running, String> {
    let log = work.join(format!("server-{}.log", free_port()));
    let child = Command::new(BIN)
        .args(["--bind", "127.0.0.1"])
        .args(args)
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // Killed and reaped on drop, whichever way this returns.
    let mut server = Running { child, log };
    let stdout = server.child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Ready to accept connections") {
                let _ = tx.send(());
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if rx.recv_timeout(Duration::from_millis(50)).is_ok() {
            return Ok(server);
        }
        if let Ok(Some(_)) = server.child.try_wait() {
            return Err(server.log());
        }
    }
    panic!("server did not start: {}", server.log());
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Whether redis-cli is here (CI installs redis-tools first: scripts/lib/deps.sh).
fn have_redis_cli() -> bool {
    let found = Command::new("redis-cli").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "redis-cli is missing (install redis-tools)");
        eprintln!("redis-cli not found: skipping its part of the test");
    }
    found
}

/// `redis-cli --tls --cacert CA [--cert C --key K] -p PORT ARGS...`: (success, output).
fn cli(port: u16, certs: &Certs, client: Option<&str>, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new("redis-cli");
    cmd.args(["--tls", "--cacert"]).arg(certs.ca());
    if let Some(cn) = client {
        let (crt, key) = certs.client(cn);
        cmd.arg("--cert").arg(crt).arg("--key").arg(key);
    }
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string()]).args(args);
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success() && !text.contains("Error") && !text.contains("Could not connect"), text)
}

/// A rustls client configuration trusting `cas`, with an optional client certificate.
fn rustls_client(cas: &[PathBuf], client: Option<(PathBuf, PathBuf)>) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in cas {
        roots.add(CertificateDer::from_pem_file(ca).unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    Arc::new(match client {
        None => builder.with_no_client_auth(),
        Some((crt, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(crt).unwrap()],
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap(),
    })
}

type RawTls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A raw TLS connection; returns it with the SHA-256 of the server's certificate.
fn raw_tls(port: u16, cfg: Arc<rustls::ClientConfig>) -> std::io::Result<(RawTls, String)> {
    let tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    let conn = rustls::ClientConnection::new(cfg, ServerName::try_from("localhost").unwrap()).unwrap();
    let mut s = rustls::StreamOwned::new(conn, tcp);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock)?;
    }
    let fp = s.conn.peer_certificates().map(|c| hex(&Sha256::digest(c[0].as_ref()))).unwrap_or_default();
    Ok((s, fp))
}

/// PING over a raw connection: the reply line, or the error.
fn ping(s: &mut RawTls) -> std::io::Result<String> {
    s.write_all(b"PING\r\n")?;
    s.flush()?;
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of the first certificate of a PEM file.
fn fingerprint(pem: &Path) -> String {
    hex(&Sha256::digest(CertificateDer::from_pem_file(pem).unwrap().as_ref()))
}

/// TCP ports the process listens on (its sockets in LISTEN state), from /proc.
fn listening_ports(pid: u32) -> Vec<u16> {
    let mut inodes = Vec::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().flatten() {
        if let Ok(target) = std::fs::read_link(fd.path()) {
            let t = target.to_string_lossy();
            if let Some(inode) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                inodes.push(inode.to_string());
            }
        }
    }
    let mut ports = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 9 && cols[3] == "0A" && inodes.iter().any(|i| i == cols[9]) {
                let port = cols[1].rsplit(':').next().unwrap();
                ports.push(u16::from_str_radix(port, 16).unwrap());
            }
        }
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}

#[test]
fn tls_init_then_redis_cli_with_client_certificate_on_a_tls_only_server() {
    let work = scratch("mtls");
    let certs = Certs::init(&work.join("tls"), &["alice"]);
    for key in [certs.key(), certs.dir.join("ca.key"), certs.client("alice").1] {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600, "{}", key.display());
    }
    let port = free_port();
    let mut args = certs.server_args(port);
    args.extend(strings(&["--port", "0"]));
    let server = start(&work, &args).unwrap();
    // TLS only: the one listening socket is the TLS port.
    assert_eq!(listening_ports(server.child.id()), [port]);
    assert!(server.log().contains("TCP off"), "{}", server.log());

    if have_redis_cli() {
        let (ok, out) = cli(port, &certs, Some("alice"), &["PING"]);
        assert!(ok && out.trim() == "PONG", "{out}");
        let (ok, out) = cli(port, &certs, Some("alice"), &["SET", "k", "v"]);
        assert!(ok && out.trim() == "OK", "{out}");
        let (ok, out) = cli(port, &certs, Some("alice"), &["GET", "k"]);
        assert!(ok && out.trim() == "v", "{out}");
        // tls-auth-clients yes (the default): no certificate, no service.
        let (ok, out) = cli(port, &certs, None, &["PING"]);
        assert!(!ok && !out.contains("PONG"), "{out}");
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn the_redis_crate_with_rustls_connects() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let work = scratch("rediscrate");
    let certs = Certs::init(&work.join("tls"), &["app"]);
    let port = free_port();
    let mut args = certs.server_args(port);
    args.extend(strings(&["--port", &free_port().to_string()]));
    let _server = start(&work, &args).unwrap();
    let (crt, key) = certs.client("app");
    let tls = redis::TlsCertificates {
        client_tls: Some(redis::ClientTlsConfig {
            client_cert: std::fs::read(crt).unwrap(),
            client_key: std::fs::read(key).unwrap(),
        }),
        root_cert: Some(std::fs::read(certs.ca()).unwrap()),
    };
    let client = redis::Client::build_with_tls(format!("rediss://localhost:{port}/"), tls).unwrap();
    let mut con = client.get_connection().unwrap();
    let _: () = redis::cmd("SET").arg("greeting").arg("hello").query(&mut con).unwrap();
    let got: String = redis::cmd("GET").arg("greeting").query(&mut con).unwrap();
    assert_eq!(got, "hello");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn tls_auth_clients_no_and_optional() {
    let work = scratch("authmodes");
    let certs = Certs::init(&work.join("tls"), &["bob"]);
    let stranger = Certs::init(&work.join("other"), &["bob"]);
    let no_cert = rustls_client(&[certs.ca()], None);
    let with_cert = rustls_client(&[certs.ca()], Some(certs.client("bob")));
    let foreign_cert = rustls_client(&[certs.ca()], Some(stranger.client("bob")));

    // no: served without a certificate.
    let port = free_port();
    let mut args = certs.server_args(port);
    args.extend(strings(&["--port", "0", "--tls-auth-clients", "no"]));
    let server = start(&work, &args).unwrap();
    let (mut s, _) = raw_tls(port, no_cert.clone()).unwrap();
    assert_eq!(ping(&mut s).unwrap(), "+PONG\r\n");
    if have_redis_cli() {
        let (ok, out) = cli(port, &certs, None, &["PING"]);
        assert!(ok && out.trim() == "PONG", "{out}");
    }
    drop(server);

    // optional: served without one, and with one from the CA; one from elsewhere is refused.
    let port = free_port();
    let mut args = certs.server_args(port);
    args.extend(strings(&["--port", "0", "--tls-auth-clients", "optional"]));
    let _server = start(&work, &args).unwrap();
    let (mut s, _) = raw_tls(port, no_cert.clone()).unwrap();
    assert_eq!(ping(&mut s).unwrap(), "+PONG\r\n");
    let (mut s, _) = raw_tls(port, with_cert.clone()).unwrap();
    assert_eq!(ping(&mut s).unwrap(), "+PONG\r\n");
    let refused = raw_tls(port, foreign_cert).and_then(|(mut s, _)| ping(&mut s));
    assert!(refused.is_err(), "{refused:?}");
    if have_redis_cli() {
        let (ok, out) = cli(port, &certs, None, &["PING"]);
        assert!(ok && out.trim() == "PONG", "{out}");
        let (ok, out) = cli(port, &certs, Some("bob"), &["PING"]);
        assert!(ok && out.trim() == "PONG", "{out}");
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn the_verified_client_cn_reaches_the_connection() {
    let work = scratch("cn");
    let certs = Certs::init(&work.join("tls"), &["carol"]);
    let port = free_port();
    let mut args = certs.server_args(port);
    args.extend(strings(&["--port", "0", "--tls-auth-clients", "optional", "--loglevel", "debug"]));
    let server = start(&work, &args).unwrap();
    let (mut s, _) = raw_tls(port, rustls_client(&[certs.ca()], Some(certs.client("carol")))).unwrap();
    assert_eq!(ping(&mut s).unwrap(), "+PONG\r\n");
    let (mut s, _) = raw_tls(port, rustls_client(&[certs.ca()], None)).unwrap();
    assert_eq!(ping(&mut s).unwrap(), "+PONG\r\n");
    let log = server.log();
    assert!(log.contains("client certificate CN=carol"), "{log}");
    assert!(log.contains("client certificate CN=(none)"), "{log}");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn plaintext_on_the_tls_port_gets_no_reply_and_is_closed() {
    let work = scratch("plain");
    let certs = Certs::init(&work.join("tls"), &[]);
    let port = free_port();
    let plain = free_port();
    let mut args = certs.server_args(port);
    args.extend(strings(&["--port", &plain.to_string(), "--tls-auth-clients", "no"]));
    let server = start(&work, &args).unwrap();
    for probe in [&b"PING\r\n"[..], b"*1\r\n$4\r\nPING\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"] {
        let started = Instant::now();
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let out = common::send_raw(&mut s, probe, Duration::from_secs(5));
        assert!(out.is_empty(), "the TLS port answered plaintext {probe:?} with {out:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "not closed at once: {:?}", started.elapsed());
    }
    // The plaintext port still is one, and the TLS port serves TLS.
    let mut s = TcpStream::connect(("127.0.0.1", plain)).unwrap();
    assert_eq!(common::send_raw(&mut s, b"PING\r\nQUIT\r\n", Duration::from_secs(5)), b"+PONG\r\n+OK\r\n");
    let (mut s, _) = raw_tls(port, rustls_client(&[certs.ca()], None)).unwrap();
    assert_eq!(ping(&mut s).unwrap(), "+PONG\r\n");
    assert!(server.log().contains("plaintext on the TLS port"), "{}", server.log());
    let _ = std::fs::remove_dir_all(&work);
}

/// Replaces `dst` by a copy of `src` (same mode), as an operator renewing a certificate would.
fn replace(src: &Path, dst: &Path) {
    let tmp = dst.with_extension("new");
    std::fs::copy(src, &tmp).unwrap();
    std::fs::rename(&tmp, dst).unwrap();
}

/// Polls until a new connection presents the certificate `want`.
fn wait_for_certificate(port: u16, cfg: &Arc<rustls::ClientConfig>, want: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if raw_tls(port, cfg.clone()).is_ok_and(|(_, fp)| fp == want) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn certificates_reload_on_sighup_and_on_file_change_and_live_connections_continue() {
    let work = scratch("reload");
    let old = Certs::init(&work.join("old"), &[]);
    let new = Certs::init(&work.join("new"), &[]);
    let live = Certs::init(&work.join("live"), &[]);
    for f in ["server.crt", "server.key", "ca.crt"] {
        std::fs::copy(old.dir.join(f), live.dir.join(f).with_extension("tmp")).unwrap();
        std::fs::rename(live.dir.join(f).with_extension("tmp"), live.dir.join(f)).unwrap();
    }
    let both = rustls_client(&[old.ca(), new.ca()], None);
    let port = free_port();
    let mut args = live.server_args(port);
    args.extend(strings(&["--port", "0", "--tls-auth-clients", "no"]));
    let server = start(&work, &args).unwrap();
    let (mut first, fp) = raw_tls(port, both.clone()).unwrap();
    assert_eq!(fp, fingerprint(&old.crt()));
    assert_eq!(ping(&mut first).unwrap(), "+PONG\r\n");

    // SIGHUP after new files: new connections get the new certificate, the old one goes on.
    replace(&new.key(), &live.key());
    replace(&new.crt(), &live.crt());
    server.signal("HUP");
    assert!(wait_for_certificate(port, &both, &fingerprint(&new.crt()), Duration::from_secs(10)), "{}", server.log());
    assert_eq!(ping(&mut first).unwrap(), "+PONG\r\n");

    // A bad key (another certificate's) is refused; the current configuration stays.
    replace(&old.key(), &live.key());
    server.signal("HUP");
    std::thread::sleep(Duration::from_millis(500));
    let (mut s, fp) = raw_tls(port, both.clone()).unwrap();
    assert_eq!(fp, fingerprint(&new.crt()));
    assert_eq!(ping(&mut s).unwrap(), "+PONG\r\n");
    assert!(server.log().contains("TLS reload failed"), "{}", server.log());

    // Without a signal: the watcher notices the files changed.
    replace(&old.crt(), &live.crt());
    assert!(wait_for_certificate(port, &both, &fingerprint(&old.crt()), Duration::from_secs(10)), "{}", server.log());
    assert_eq!(ping(&mut first).unwrap(), "+PONG\r\n");
    assert!(server.log().contains("reloaded after a file changed"), "{}", server.log());
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn start_is_refused_for_a_readable_key_and_old_protocols() {
    use std::os::unix::fs::PermissionsExt;
    let work = scratch("refuse");
    let certs = Certs::init(&work.join("tls"), &[]);
    std::fs::set_permissions(certs.key(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut args = certs.server_args(free_port());
    args.extend(strings(&["--port", "0", "--tls-auth-clients", "no"]));
    let log = start(&work, &args).err().expect("started with a 0644 key");
    assert!(log.contains(&format!("chmod 600 {}", certs.key().display())), "{log}");

    std::fs::set_permissions(certs.key(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut args = certs.server_args(free_port());
    args.extend(strings(&["--port", "0", "--tls-protocols", "TLSv1.1 TLSv1.2"]));
    let log = start(&work, &args).err().expect("started with TLSv1.1");
    assert!(log.contains("tls-protocols") && log.contains("not supported"), "{log}");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn unix_socket_replaces_a_stale_socket_and_refuses_any_other_file() {
    use std::os::unix::fs::PermissionsExt;
    let work = scratch("unix");
    let sock = work.join("redoubt.sock");
    // A socket file left by a crash: nobody listens on it.
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    assert!(std::os::unix::net::UnixStream::connect(&sock).is_err());
    let server = start(&work, &strings(&["--port", "0", "--unixsocket", sock.to_str().unwrap()])).unwrap();
    assert_eq!(std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777, 0o700);
    let mut c = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    c.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 7];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"+PONG\r\n");
    // A second server on the same path: the socket is live, so it is left alone.
    let log = start(&work, &strings(&["--port", "0", "--unixsocket", sock.to_str().unwrap()])).err().unwrap();
    assert!(log.contains("in use"), "{log}");
    drop(server);

    // A regular file at the path is never replaced.
    let file = work.join("not-a-socket");
    std::fs::write(&file, b"precious").unwrap();
    let log = start(&work, &strings(&["--port", "0", "--unixsocket", file.to_str().unwrap()])).err().unwrap();
    assert!(log.contains("is not a socket"), "{log}");
    assert_eq!(std::fs::read(&file).unwrap(), b"precious");
    let _ = std::fs::remove_dir_all(&work);
}
