//! `redoubt audit` against real targets started here (issue 7, "Done when"): Debian's
//! redis-server in the seed 000 setup, the same with `requirepass`, a default Redoubt, and a
//! redis-server made a replica of a second one. Every server listens on 127.0.0.1 only; "bound
//! to all addresses" is shown through a config file that says so. The tests are skipped (with
//! a printed reason) only when redis-server is not installed.

mod common;

use redoubt_audit::{options, Report, Severity};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A redis-server on 127.0.0.1, killed by pid on drop.
struct Redis {
    child: Child,
    port: u16,
    dir: PathBuf,
}

fn redis_missing() -> bool {
    let missing = Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err();
    if missing {
        eprintln!("skipped: redis-server is not installed (scripts/test installs it: apt-get install redis-server)");
    }
    missing
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redoubt-audit-{tag}-{}-{}", std::process::id(), common::free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Redis {
    /// Starts redis-server with a config file holding `conf` (mode 0600), then `args`.
    fn start(conf: &str, args: &[&str]) -> Redis {
        let port = common::free_port();
        let dir = scratch("redis");
        let conf_path = dir.join("redis.conf");
        std::fs::write(&conf_path, conf).unwrap();
        std::fs::set_permissions(&conf_path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let port_s = port.to_string();
        let dir_s = dir.to_str().unwrap().to_string();
        let mut all: Vec<&str> =
            vec![conf_path.to_str().unwrap(), "--port", &port_s, "--bind", "127.0.0.1", "--save", "", "--dir", &dir_s];
        all.extend_from_slice(args);
        let child = Command::new("redis-server")
            .args(&all)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let r = Redis { child, port, dir };
        r.wait_ready();
        r
    }

    fn wait_ready(&self) {
        common::wait_answering(self.port, "redis-server", |line| line.starts_with('+') || line.starts_with('-'));
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends one inline command (the test's own setup, never the tool) and returns the line.
    fn send(&self, cmd: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        let mut line = String::new();
        BufReader::new(&mut s).read_line(&mut line).unwrap();
        line
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the audit in-process (as `redoubt audit ARGS` would) and returns its report.
fn audit(args: &[&str], password: Option<&str>) -> Report {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let opts = options::parse(&args, password.map(String::from)).expect("audit arguments");
    redoubt_audit::run(&opts)
}

/// Runs the binary: (exit code, stdout, stderr).
fn audit_bin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .arg("audit")
        .args(args)
        .env_remove("REDOUBT_AUDIT_PASSWORD")
        .output()
        .expect("run redoubt audit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ids(r: &Report) -> Vec<String> {
    r.findings.iter().map(|f| format!("{} [{}]", f.id, f.severity)).collect()
}

fn has(r: &Report, id: &str) -> bool {
    r.findings.iter().any(|f| f.id == id)
}

fn severity(r: &Report, id: &str) -> Severity {
    r.findings.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no {id} in {:?}", ids(r))).severity
}

fn write_mode(path: &Path, text: &[u8], mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

/// Seed 000: protected-mode no and no password. The live server is on loopback; the config
/// file audited beside it says `bind * -::*` and `protected-mode no`, as the exposed server's
/// did. The enable-* switches are on, as every Redis before 7.0 effectively was, so that the
/// CONFIG SET dir, DEBUG and MODULE checks have something to find.
#[test]
fn seed_000_setup_reports_every_exposure() {
    if redis_missing() {
        return;
    }
    let redis = Redis::start(
        "",
        &[
            "--protected-mode",
            "no",
            "--enable-protected-configs",
            "yes",
            "--enable-debug-command",
            "yes",
            "--enable-module-command",
            "yes",
        ],
    );
    let site = scratch("seed000");
    let data = site.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    write_mode(&data.join("dump.rdb"), b"REDIS0010", 0o644);
    let conf = site.join("redis.conf");
    let text = format!(
        "bind * -::*\nprotected-mode no\nport {}\ndir {}\nmasterauth primary-secret\nenable-debug-command yes\n",
        redis.port,
        data.display()
    );
    write_mode(&conf, text.as_bytes(), 0o644);

    let r = audit(&[&redis.addr(), "--config", conf.to_str().unwrap(), "--probe-auth", "4"], None);
    println!("{}", redoubt_audit::output::table(&r, Some(Severity::High)));
    for id in [
        // remote
        "auth.none",
        "protected-mode.off",
        "cve.CVE-2025-49844",
        "cve.CVE-2025-46817",
        "cve.CVE-2025-46818",
        "cve.CVE-2025-46819",
        "cve.CVE-2024-31228",
        "cve.CVE-2025-21605",
        "cmd.config-set-dir",
        "cmd.debug",
        "cmd.module",
        "cmd.replicaof",
        "cmd.flushall",
        "cmd.acl-setuser",
        "cmd.eval",
        "tls.none",
        "acl.nopass.default",
        "auth.unthrottled",
        // local
        "config.exposed",
        "config.protected-mode-off",
        "config.plaintext",
        "config.secret-readable",
        "config.enable-debug-command",
        "datadir.mode",
        "datadir.file-mode",
    ] {
        assert!(has(&r, id), "{id} missing from {:?}", ids(&r));
    }
    assert_eq!(severity(&r, "config.exposed"), Severity::Critical);
    assert_eq!(severity(&r, "cmd.replicaof"), Severity::High);
    assert_eq!(severity(&r, "datadir.file-mode"), Severity::High);
    assert_eq!(severity(&r, "config.secret-readable"), Severity::High);
    // Redis 7.0.15 is past these fixes.
    for id in ["cve.CVE-2021-32675", "cve.CVE-2022-36021", "cve.CVE-2022-0543"] {
        assert!(!has(&r, id), "{id} reported for 7.0.15: {:?}", ids(&r));
    }
    if running_as_root() {
        assert!(has(&r, "process.root"), "{:?}", ids(&r));
    }
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // Nothing the tool did changed the server: still a primary, still no keys.
    assert!(redis.send("ROLE").starts_with("*3"));
    assert_eq!(redis.send("DBSIZE").trim(), ":0");
    let _ = std::fs::remove_dir_all(&site);
}

/// The same server with `requirepass` (a weak one): the credentials still reach REPLICAOF,
/// FLUSHALL and ACL SETUSER on themselves, and nothing slows failed AUTH down. CONFIG SET dir
/// stays closed by Redis 7's `enable-protected-configs no`.
#[test]
fn requirepass_still_reaches_the_admin_surface() {
    if redis_missing() {
        return;
    }
    let redis = Redis::start("requirepass foobared\n", &["--protected-mode", "no"]);
    let site = scratch("requirepass");
    let pass_file = site.join("pass");
    write_mode(&pass_file, b"foobared\n", 0o600);
    let pf = pass_file.to_str().unwrap();

    let r = audit(&[&redis.addr(), "--pass-file", pf, "--probe-auth", "6"], None);
    println!("{}", redoubt_audit::output::table(&r, Some(Severity::High)));
    for id in ["cmd.replicaof", "cmd.flushall", "cmd.acl-setuser", "auth.unthrottled", "password.weak"] {
        assert!(has(&r, id), "{id} missing from {:?}", ids(&r));
    }
    assert_eq!(severity(&r, "cmd.replicaof"), Severity::High);
    assert_eq!(severity(&r, "password.weak"), Severity::High);
    for id in ["auth.none", "cmd.config-set-dir", "cmd.debug", "cmd.module", "acl.nopass.default"] {
        assert!(!has(&r, id), "{id} should not be reported: {:?}", ids(&r));
    }

    // The binary: exit status 1 at the default --fail-on high, JSON, and the password never
    // printed.
    let (code, out, _) = audit_bin(&[&redis.addr(), "--pass-file", pf, "--json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.trim_start().starts_with('{') && out.trim_end().ends_with('}'), "{out}");
    assert!(out.contains("\"id\":\"cmd.replicaof\",\"severity\":\"high\""), "{out}");
    assert!(!out.contains("foobared"), "the password leaked: {out}");
    let (code, out, _) = audit_bin(&[&redis.addr(), "--pass-file", pf, "--fail-on", "never"]);
    assert_eq!(code, 0);
    assert!(out.contains("HIGH") && out.contains("cmd.flushall") && !out.contains("foobared"), "{out}");
    // Passwords are refused on argv, with the hint.
    let (code, _, err) = audit_bin(&[&redis.addr(), "--pass", "foobared"]);
    assert_eq!(code, 2);
    assert!(err.contains("--pass-file") && !err.contains("foobared"), "{err}");
    // Without credentials nothing but the plaintext port and the version-free NOAUTH shows.
    let r = audit(&[&redis.addr()], None);
    assert!(r.findings.iter().all(|f| f.severity <= Severity::Info), "{:?}", ids(&r));
    assert!(redis.send("ROLE").starts_with("-NOAUTH"));
    let _ = std::fs::remove_dir_all(&site);
}

/// A default Redoubt (no config, loopback) reports nothing above low.
#[test]
fn default_redoubt_reports_nothing_above_low() {
    // The true defaults (Server::start would give the default user everything).
    let server = common::Server::start_with_config("", &[]);
    let r = audit(&[&format!("127.0.0.1:{}", server.port)], None);
    let text = redoubt_audit::output::table(&r, Some(Severity::Low));
    println!("{text}");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let above: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Low)
        .map(|f| format!("{} [{}]: {}", f.id, f.severity, f.evidence))
        .collect();
    assert!(above.is_empty(), "a default Redoubt reports findings above low:\n{}", above.join("\n"));
}

/// A redis-server made (by this test) a replica of a second one, audited with
/// `--expect-primary` naming a different address: the hijack of seed 000 in progress.
#[test]
fn replica_of_an_unexpected_primary_is_high() {
    if redis_missing() {
        return;
    }
    let primary = Redis::start("", &[]);
    let replica = Redis::start("", &[]);
    assert!(replica.send(&format!("REPLICAOF 127.0.0.1 {}", primary.port)).starts_with("+OK"));
    let elsewhere = format!("127.0.0.1:{}", common::free_port());

    let r = audit(&[&replica.addr(), "--expect-primary", &elsewhere], None);
    let f = r.findings.iter().find(|f| f.id == "replica.unexpected").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert_eq!(f.severity, Severity::High);
    assert!(f.evidence.contains(&format!("master_port:{}", primary.port)), "{}", f.evidence);
    assert!(f.finding.contains(&elsewhere), "{}", f.finding);

    // No primary named: still a finding. The right one named: none.
    let r = audit(&[&replica.addr()], None);
    assert_eq!(severity(&r, "replica.unexpected"), Severity::High);
    let r = audit(&[&replica.addr(), "--expect-primary", &primary.addr()], None);
    assert!(!has(&r, "replica.unexpected"), "{:?}", ids(&r));
    // The primary itself, expected to be a replica, is low.
    let r = audit(&[&primary.addr(), "--expect-primary", &elsewhere], None);
    assert_eq!(severity(&r, "replica.not-replicating"), Severity::Low);
    // The tool never changed the role.
    assert!(replica.send("ROLE").starts_with("*5"));
}

/// `redoubt tls init DIR --client audit`: a CA, a server certificate for localhost, 127.0.0.1
/// and ::1, and a client certificate.
fn tls_init(dir: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_redoubt"))
        .args(["tls", "init", dir.to_str().unwrap(), "--client", "audit"])
        .output()
        .expect("run redoubt tls init");
    assert!(out.status.success(), "tls init: {}", String::from_utf8_lossy(&out.stderr));
    dir.to_path_buf()
}

/// The server side of `redoubt tls init`'s files, as Redis and Redoubt both spell them.
fn tls_server_args(certs: &Path, tls_port: u16) -> Vec<String> {
    let p = |f: &str| certs.join(f).display().to_string();
    vec![
        "--tls-port".into(),
        tls_port.to_string(),
        "--tls-cert-file".into(),
        p("server.crt"),
        "--tls-key-file".into(),
        p("server.key"),
        "--tls-ca-cert-file".into(),
        p("ca.crt"),
    ]
}

/// `--tls --cacert CA [--cert --key]` for `redoubt tls init`'s files.
fn tls_audit_args(certs: &Path, client_cert: bool) -> Vec<String> {
    let p = |f: &str| certs.join(f).display().to_string();
    let mut v = vec!["--tls".to_string(), "--cacert".into(), p("ca.crt")];
    if client_cert {
        v.extend(["--cert".into(), p("client-audit.crt"), "--key".into(), p("client-audit.key")]);
    }
    v
}

fn audit_strs(target: &str, extra: &[String], more: &[&str]) -> Report {
    let mut args: Vec<&str> = vec![target];
    args.extend(extra.iter().map(String::as_str));
    args.extend_from_slice(more);
    audit(&args, None)
}

fn notes(r: &Report) -> String {
    r.notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>().join("\n")
}

/// Debian's redis-server (built with TLS) in the seed 000 setup, with a TLS port beside its
/// plaintext one: audited over TLS with a client certificate it reports what it reports in
/// plaintext (minus `tls.none`), and shows the negotiated protocol and suite.
#[test]
fn redis_over_tls_reports_the_same_exposures_as_in_plaintext() {
    if redis_missing() {
        return;
    }
    let site = scratch("redis-tls");
    let certs = tls_init(&site.join("tls"));
    let tls_port = common::free_port();
    let mut args = vec!["--protected-mode".to_string(), "no".into()];
    args.extend(tls_server_args(&certs, tls_port));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let redis = Redis::start("", &args);
    let tls_target = format!("127.0.0.1:{tls_port}");

    let plain = audit(&[&redis.addr()], None);
    let over_tls = audit_strs(&tls_target, &tls_audit_args(&certs, true), &[]);
    println!("{}", redoubt_audit::output::table(&over_tls, Some(Severity::High)));
    assert!(over_tls.errors.is_empty(), "{:?}", over_tls.errors);
    let plain_ids: Vec<String> = ids(&plain).into_iter().filter(|i| !i.starts_with("tls.")).collect();
    let tls_ids: Vec<String> = ids(&over_tls).into_iter().filter(|i| !i.starts_with("tls.")).collect();
    assert_eq!(plain_ids, tls_ids, "plaintext and TLS audits differ");
    for id in ["auth.none", "protected-mode.off", "cmd.replicaof", "cmd.flushall", "cve.CVE-2025-49844"] {
        assert!(has(&over_tls, id), "{id} missing over TLS: {:?}", ids(&over_tls));
    }
    assert!(has(&plain, "tls.none") && !has(&over_tls, "tls.none"), "{:?}", ids(&over_tls));
    // The evidence: protocol and suite, the name verified; Redis requires the client
    // certificate by default (tls-auth-clients yes) and also listens in plaintext.
    let n = notes(&over_tls);
    assert!(n.contains("TLS: TLS 1.3, TLS13_") && n.contains("verified against --cacert for '127.0.0.1'"), "{n}");
    assert!(n.contains("requires a client certificate"), "{n}");
    assert!(n.contains(&format!("also listens in plaintext on port {}", redis.port)), "{n}");
    assert!(!has(&over_tls, "tls.old-protocol") && !has(&over_tls, "tls.cert-expiring"), "{:?}", ids(&over_tls));

    // Without --cert: not audited, with the hint.
    let r = audit_strs(&tls_target, &tls_audit_args(&certs, false), &[]);
    assert!(r.errors.iter().any(|e| e.text.contains("--cert FILE --key FILE")), "{:?}", r.errors);
    // With tls-auth-clients no, the same audit without --cert runs, and says the server serves
    // clients that have no certificate.
    assert!(redis.send("CONFIG SET tls-auth-clients no").starts_with("+OK"));
    let r = audit_strs(&tls_target, &tls_audit_args(&certs, false), &[]);
    assert_eq!(severity(&r, "tls.client-cert-optional"), Severity::Info);
    assert!(has(&r, "auth.none"), "{:?}", ids(&r));
    let _ = std::fs::remove_dir_all(&site);
}

/// A Redoubt with TLS (its defaults otherwise: client certificates required), audited with
/// `--tls --cacert --cert --key`, reports nothing above low.
#[test]
fn redoubt_over_tls_reports_nothing_above_low() {
    let site = scratch("redoubt-tls");
    let certs = tls_init(&site.join("tls"));
    let tls_port = common::free_port();
    let args = tls_server_args(&certs, tls_port);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = common::Server::start_with_config("", &args);
    let r = audit_strs(&format!("127.0.0.1:{tls_port}"), &tls_audit_args(&certs, true), &[]);
    println!("{}", redoubt_audit::output::table(&r, Some(Severity::Low)));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let above: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Low)
        .map(|f| format!("{} [{}]: {}", f.id, f.severity, f.evidence))
        .collect();
    assert!(above.is_empty(), "Redoubt over TLS reports findings above low:\n{}", above.join("\n"));
    let n = notes(&r);
    assert!(n.contains("TLS: TLS 1.3") && n.contains("client certificate sent"), "{n}");
    assert!(n.contains("requires a client certificate"), "{n}");
    assert!(!has(&r, "tls.none") && !has(&r, "tls.client-cert-optional"), "{:?}", ids(&r));
    drop(server);
    let _ = std::fs::remove_dir_all(&site);
}

/// A CA that did not sign the server's certificate, and a name the certificate does not carry:
/// `tls.verify` with the reason, and nothing sent over that connection.
#[test]
fn a_certificate_that_does_not_verify_is_reported_with_the_reason() {
    let site = scratch("wrong-ca");
    let certs = tls_init(&site.join("tls"));
    let stranger = tls_init(&site.join("other"));
    let tls_port = common::free_port();
    let mut args = tls_server_args(&certs, tls_port);
    args.extend(["--tls-auth-clients".into(), "no".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let _server = common::Server::start_with_config("", &args);
    let target = format!("127.0.0.1:{tls_port}");

    let r = audit_strs(&target, &tls_audit_args(&stranger, false), &[]);
    let f = r.get("tls.verify").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert_eq!(f.severity, Severity::High);
    assert!(f.finding.contains("unknown issuer"), "{}", f.finding);
    assert!(!has(&r, "auth.none"), "checks ran over an unverified connection: {:?}", ids(&r));
    assert!(!r.errors.is_empty());

    let r = audit_strs(&target, &tls_audit_args(&certs, false), &["--sni", "db.example.net"]);
    let f = r.get("tls.verify").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert!(f.finding.contains("wrong name"), "{}", f.finding);

    // The binary exits 1 (high at the default --fail-on) and says why.
    let mut bin_args = vec![target.clone()];
    bin_args.extend(tls_audit_args(&stranger, false));
    let bin_args: Vec<&str> = bin_args.iter().map(String::as_str).collect();
    let (code, out, _) = audit_bin(&bin_args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("tls.verify") && out.contains("unknown issuer"), "{out}");
    let _ = std::fs::remove_dir_all(&site);
}

/// `--tls` against a plaintext port: no TLS is offered, the port speaks RESP in plaintext.
#[test]
fn tls_asked_of_a_plaintext_port_is_reported() {
    let site = scratch("tls-plain");
    let certs = tls_init(&site.join("tls"));
    let server = common::Server::start_with_config("", &[]);
    let r = audit_strs(&format!("127.0.0.1:{}", server.port), &tls_audit_args(&certs, false), &["--timeout", "2"]);
    println!("{}", redoubt_audit::output::table(&r, Some(Severity::Low)));
    let f = r.get("tls.none").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.finding.contains("--tls was given"), "{}", f.finding);
    assert!(notes(&r).contains("no TLS handshake on this port"), "{}", notes(&r));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    if !redis_missing() {
        let redis = Redis::start("", &[]);
        let r = audit_strs(&redis.addr(), &tls_audit_args(&certs, false), &["--timeout", "2"]);
        assert_eq!(severity(&r, "tls.none"), Severity::Medium, "{:?}", ids(&r));
    }
    let _ = std::fs::remove_dir_all(&site);
}
