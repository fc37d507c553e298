//! Start-up refusals (issue 3, DESIGN.md "Secure defaults"): the real binary, started the way
//! an operator starts it, must refuse an exposed or leaky install with a message that names
//! the fix, and `redoubt passwd` must print a secret and the ACL line holding its hash.

mod common;

use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A scratch directory, the server's working directory, removed on drop.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A scratch directory with mode 0755, as `mkdir` makes it under the usual umask: like a fresh
/// checkout or a home directory.
fn scratch(tag: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("redoubt-preflight-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    Scratch(dir)
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn redoubt(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redoubt"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("REDOUBT_PASSWORD")
        .env_remove("REDOUBT_MASTERAUTH")
        .env_remove("REDOUBT_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs a server that must refuse to start: its exit status and standard error.
fn refused(cwd: &Path, args: &[&str]) -> (ExitStatus, String) {
    let mut child = redoubt(cwd, args).spawn().expect("start redoubt");
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

/// Starts a server that must start: waits for "Ready to accept connections", then stops it
/// by its process id and returns its standard error.
fn starts(cwd: &Path, args: &[&str]) -> String {
    let mut child: Child = redoubt(cwd, args).spawn().expect("start redoubt");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Ready to accept connections") {
                let _ = tx.send(());
            }
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(20)).is_ok();
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(ready, "redoubt {args:?} did not start; stderr:\n{err}");
    err
}

#[test]
fn any_address_without_authentication_is_refused() {
    let cwd = scratch("bind-any");
    let port = common::free_port().to_string();
    let (status, err) = refused(&cwd, &["--port", &port, "--bind", "0.0.0.0"]);
    assert!(!status.success());
    let expected = format!("refusing to listen on 0.0.0.0:{port} without authentication: set requirepass");
    assert!(err.contains(&expected), "{err}");
    assert!(err.contains("REDOUBT_PASSWORD") && err.contains("--insecure-no-auth yes"), "{err}");

    // `*` and `::` are every interface too.
    let (status, err) = refused(&cwd, &["--port", &port, "--bind", "127.0.0.1", "*"]);
    assert!(!status.success() && err.contains(&format!("refusing to listen on *:{port}")), "{err}");
}

#[test]
fn insecure_no_auth_starts_with_a_loud_warning() {
    let cwd = scratch("insecure");
    let port = common::free_port().to_string();
    let err = starts(&cwd, &["--port", &port, "--bind", "0.0.0.0", "--insecure-no-auth", "yes"]);
    assert!(err.contains(&format!("INSECURE: listening on 0.0.0.0:{port} with no authentication")), "{err}");
    assert!(err.contains("without TLS"), "{err}");
}

#[test]
fn a_password_from_the_environment_is_authentication() {
    let cwd = scratch("env-pass");
    let port = common::free_port().to_string();
    let mut child = redoubt(&cwd, &["--port", &port, "--bind", "0.0.0.0"])
        .env("REDOUBT_PASSWORD", "a-long-random-secret")
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("PID:"), "did not start: {line:?}");
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("without TLS") && !err.contains("a-long-random-secret"), "{err}");
}

#[test]
fn fresh_working_directory_starts_with_a_private_data_directory() {
    // The README's `cargo run --release` and the test harness: no config, cwd 0755.
    let cwd = scratch("fresh");
    let port = common::free_port().to_string();
    starts(&cwd, &["--port", &port]);
    assert_eq!(mode(&cwd.join("redoubt-data")), 0o700);
}

#[test]
fn loose_data_directory_is_refused() {
    let cwd = scratch("loose-dir");
    let data = cwd.join("data");
    std::fs::create_dir(&data).unwrap();
    chmod(&data, 0o755);
    let port = common::free_port().to_string();
    let (status, err) = refused(&cwd, &["--port", &port, "--dir", "data"]);
    assert!(!status.success());
    let data = data.canonicalize().unwrap();
    assert!(err.contains(&format!("data directory {} has mode 0755", data.display())), "{err}");
    assert!(err.contains(&format!("fix it with: chmod 700 {}", data.display())), "{err}");

    chmod(&data, 0o700);
    std::fs::write(data.join("dump.rdb"), b"REDIS0011").unwrap();
    chmod(&data.join("dump.rdb"), 0o644);
    let (status, err) = refused(&cwd, &["--port", &port, "--dir", "data"]);
    assert!(!status.success());
    assert!(err.contains(&format!("fix it with: chmod 600 {}", data.join("dump.rdb").display())), "{err}");
    chmod(&data.join("dump.rdb"), 0o600);

    // A missing data directory is created, owner-only.
    let (_, err) = refused(&cwd, &["--port", &port, "--dir", "new/data", "--bind", "0.0.0.0"]);
    assert!(err.contains("refusing to listen"), "{err}");
    assert!(!cwd.join("new").exists(), "nothing is created when the start is refused");
    starts(&cwd, &["--port", &port, "--dir", "new/data"]);
    assert_eq!(mode(&cwd.join("new/data")), 0o700);
}

#[test]
fn config_file_holding_a_secret_must_be_private() {
    let cwd = scratch("conf-secret");
    let conf = cwd.join("redoubt.conf");
    let port = common::free_port();
    std::fs::write(&conf, format!("port {port}\nrequirepass a-long-random-secret\n")).unwrap();
    chmod(&conf, 0o644);
    let (status, err) = refused(&cwd, &["redoubt.conf"]);
    assert!(!status.success());
    let conf = conf.canonicalize().unwrap();
    assert!(err.contains(&format!("config file {} holds a secret and has mode 0644", conf.display())), "{err}");
    assert!(err.contains(&format!("fix it with: chmod 600 {}", conf.display())), "{err}");
    assert!(!err.contains("a-long-random-secret"), "{err}");
    chmod(&conf, 0o600);
    starts(&cwd, &["redoubt.conf"]);
}

#[test]
fn aclfile_must_be_private() {
    let cwd = scratch("aclfile");
    let acl = cwd.join("users.acl");
    std::fs::write(&acl, "user default on nopass ~* &* +@all\n").unwrap();
    chmod(&acl, 0o644);
    let port = common::free_port().to_string();
    let (status, err) = refused(&cwd, &["--port", &port, "--aclfile", "users.acl"]);
    assert!(!status.success());
    assert!(err.contains(&format!("fix it with: chmod 600 {}", acl.canonicalize().unwrap().display())), "{err}");
}

#[test]
fn secret_on_the_command_line_is_refused_with_a_hint() {
    let cwd = scratch("argv-secret");
    let (status, err) = refused(&cwd, &["--requirepass", "hunter2"]);
    assert!(!status.success());
    assert!(err.contains("'requirepass': secrets are not accepted on the command line"), "{err}");
    assert!(err.contains("--requirepass-file") && err.contains("REDOUBT_PASSWORD"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

fn passwd(args: &[&str]) -> (String, Vec<String>) {
    let cwd = std::env::temp_dir();
    let out = redoubt(&cwd, &[&["passwd"], args].concat()).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    (lines[0].clone(), lines)
}

fn is_secret(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn passwd_prints_a_secret_and_its_acl_line() {
    let (secret, lines) = passwd(&[]);
    assert!(is_secret(&secret), "{lines:?}");
    let line = format!("user admin on #{} ~* &* +@all", sha256_hex(&secret));
    assert!(lines.contains(&line), "{lines:?}");
    // The secret appears once: on its own line, never in the config line.
    assert_eq!(lines.iter().filter(|l| l.contains(&secret)).count(), 1, "{lines:?}");

    let (other, lines) = passwd(&["alice"]);
    assert!(is_secret(&other) && other != secret);
    assert!(lines.contains(&format!("user alice on #{} ~* &* +@all", sha256_hex(&other))), "{lines:?}");

    let (password, lines) = passwd(&["--requirepass"]);
    assert!(is_secret(&password), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("requirepass-file ")), "{lines:?}");

    let cwd = std::env::temp_dir();
    let out = redoubt(&cwd, &["passwd", "bad name"]).output().unwrap();
    assert!(!out.status.success());
    let out = redoubt(&cwd, &["passwd", "--what"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
