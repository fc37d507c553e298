//! Preflight: what [`crate::run`] checks before it opens a socket, so that an install that
//! would be exposed or leaky refuses to start instead (DESIGN.md "Secure defaults",
//! THREATS.md T1, T16, T17). Every refusal names its fix.
//!
//! - **Exposure.** A TCP listener on anything but loopback (127.0.0.0/8, ::1, `localhost`;
//!   `*`, `0.0.0.0`, `::` are not loopback) while the `default` user needs no password (no
//!   `requirepass`, no `user default` line or aclfile entry with a password or `off`) is
//!   refused; `insecure-no-auth yes` lets it start with a loud warning for labs. Non-loopback
//!   without TLS starts with a warning.
//! - **Secret files.** Config files that hold a secret (`requirepass`, `masterauth`, a `user`
//!   line, a TLS key passphrase), `requirepass-file`, `masterauth-file`, the `aclfile`, and
//!   the TLS private keys must be readable by their owner only (`chmod 600`); so must the
//!   `seal-key-file`, which must also hold a well-formed key; any config file
//!   writable by group or others is refused too (`chmod go-w`), since whoever can write it
//!   chooses the users. The `audit-log` is opened (created 0600) to prove it is a private
//!   regular file.
//! - **Data directory.** `dir` is created 0700 when missing; an existing one open to group or
//!   others is refused (`chmod 700`), and so are Redoubt's files in it (`dbfilename`, the
//!   `appenddirname` directory and its files) when looser than 0600 / 0700. The default `dir`
//!   is `./redoubt-data`, a directory Redoubt creates itself, so a fresh machine starts in
//!   any working directory (see docs/security.md).
//! - **Consistency** of the `auth-*` throttle knobs and the `allow-from` networks.
//!
//! [`throttle_config`] and [`allowlist`] map the configuration onto the gate's types, so the
//! connection layer builds them from one place.

use crate::server::ServerError;
use redoubt_config::Config;
use redoubt_security::{check_private_file, SourceAllowlist, ThrottleConfig, Users};
use std::net::IpAddr;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a start-up warning is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// `insecure-no-auth yes` let the server listen on a non-loopback address with no
    /// authentication. Log it loudly, and write it to the audit log when there is one.
    InsecureNoAuth,
    /// A non-loopback address without TLS: passwords and data cross the network in clear.
    Plaintext,
    /// Anything else worth one line at start.
    Notice,
}

/// A start-up warning: the server starts, and logs the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// What it is about.
    pub kind: WarningKind,
    /// One line for the log.
    pub message: String,
}

impl Warning {
    fn new(kind: WarningKind, message: String) -> Warning {
        Warning { kind, message }
    }
}

/// Checks the configuration before the server opens a socket; creates the data directory
/// (0700) when it is missing. `Err` holds every refusal found, each naming its fix.
pub fn check(cfg: &Config) -> Result<Vec<Warning>, ServerError> {
    let mut refusals = Vec::new();
    let mut warnings = Vec::new();

    check_throttle(cfg, &mut refusals);
    let allow = match allowlist(cfg) {
        Ok(list) => list,
        Err(e) => {
            refusals.push(e.0);
            None
        }
    };
    let aclfile_ok = check_files(cfg, &mut refusals);

    let exposed = exposed_addrs(cfg);
    // The users decide whether a client needs to authenticate; skip when their aclfile was
    // refused already (that refusal is the one to fix first).
    let open_to_all = if aclfile_ok {
        match Users::from_config(cfg) {
            Ok(users) => Some(users.default_needs_no_auth()),
            Err(e) => {
                refusals.push(format!("cannot load the users: {}", e.message().trim_start_matches("ERR ")));
                None
            }
        }
    } else {
        None
    };
    if !exposed.is_empty() && open_to_all == Some(true) {
        let listen = exposed.join(", ");
        if cfg.insecure_no_auth {
            let mut m = format!(
                "INSECURE: listening on {listen} with no authentication because insecure-no-auth is yes: anyone who \
                 can reach it can read, change and delete every key; for labs only"
            );
            if cfg.protected_mode {
                m.push_str(
                    " (protected mode is still on: clients not on loopback get -DENIED until protected-mode is no)",
                );
            }
            warnings.push(Warning::new(WarningKind::InsecureNoAuth, m));
        } else {
            refusals.insert(
                0,
                format!(
                    "refusing to listen on {listen} without authentication: set requirepass (or requirepass-file / \
                     {}), or define users and give the default user a password or turn it off ('user default \
                     off'); --insecure-no-auth yes overrides this for labs",
                    redoubt_config::ENV_PASSWORD
                ),
            );
        }
    } else if cfg.insecure_no_auth {
        warnings.push(Warning::new(
            WarningKind::Notice,
            "insecure-no-auth is yes but has no effect: authentication is configured or the server listens on \
             loopback only; remove it"
                .into(),
        ));
    }
    if !exposed.is_empty() && tls_port(cfg) == 0 {
        warnings.push(Warning::new(
            WarningKind::Plaintext,
            format!(
                "listening on {} without TLS: passwords and data cross the network in clear text; keep it on a \
                 trusted network or a tunnel",
                exposed.join(", ")
            ),
        ));
    }
    if let Some(list) = &allow {
        for (addr, probe) in loopback_binds(cfg) {
            if !list.allows(probe) {
                warnings.push(Warning::new(
                    WarningKind::Notice,
                    format!(
                        "allow-from does not include {probe}: TCP clients on {addr} will be refused (the unix socket \
                         is not filtered)"
                    ),
                ));
            }
        }
    }

    check_data_dir(cfg, refusals.is_empty(), &mut refusals);
    if let Some(key) = &cfg.seal_key_file {
        let (key, dir) = (absolute(key), absolute(&cfg.dir));
        if key.starts_with(&dir) {
            warnings.push(Warning::new(
                WarningKind::Notice,
                format!(
                    "seal-key-file {} is inside the data directory: a copy of the directory carries the key that \
                     opens its files; keep the key elsewhere",
                    key.display()
                ),
            ));
        }
    }

    match refusals.len() {
        0 => Ok(warnings),
        1 => Err(ServerError(refusals.remove(0))),
        _ => Err(ServerError(format!("refusing to start:\n  - {}", refusals.join("\n  - ")))),
    }
}

/// The failed-authentication throttle's tunables from the `auth-*` directives; the global
/// budget and table sizes keep [`ThrottleConfig::default`]'s values.
pub fn throttle_config(cfg: &Config) -> ThrottleConfig {
    ThrottleConfig {
        free_failures: cfg.auth_free_failures,
        base_delay: Duration::from_millis(cfg.auth_backoff_base_ms),
        max_delay: Duration::from_millis(cfg.auth_backoff_max_ms),
        lockout_after: cfg.auth_lockout_failures,
        lockout: Duration::from_secs(cfg.auth_lockout_seconds),
        max_lockout: Duration::from_secs(cfg.auth_lockout_max_seconds),
        ..ThrottleConfig::default()
    }
}

/// The source allowlist of `allow-from`, or `None` when there is none (every source may
/// connect).
pub fn allowlist(cfg: &Config) -> Result<Option<SourceAllowlist>, ServerError> {
    if cfg.allow_from.is_empty() {
        return Ok(None);
    }
    SourceAllowlist::parse(&cfg.allow_from).map(Some).map_err(ServerError)
}

fn check_throttle(cfg: &Config, refusals: &mut Vec<String>) {
    if cfg.auth_backoff_base_ms > cfg.auth_backoff_max_ms {
        refusals.push(format!(
            "auth-backoff-base-ms ({}) is larger than auth-backoff-max-ms ({}): raise auth-backoff-max-ms or lower \
             auth-backoff-base-ms",
            cfg.auth_backoff_base_ms, cfg.auth_backoff_max_ms
        ));
    }
    if cfg.auth_lockout_seconds > cfg.auth_lockout_max_seconds {
        refusals.push(format!(
            "auth-lockout-seconds ({}) is larger than auth-lockout-max-seconds ({}): raise auth-lockout-max-seconds \
             or lower auth-lockout-seconds",
            cfg.auth_lockout_seconds, cfg.auth_lockout_max_seconds
        ));
    }
}

/// Whether a `bind` address (without its `-`) is loopback only.
fn is_loopback(addr: &str) -> bool {
    if addr.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match addr.parse::<IpAddr>() {
        Ok(ip) => redoubt_security::canonical_ip(ip).is_loopback(),
        // `*`, `::*`, names: not loopback (and `bind` refuses names anyway).
        Err(_) => false,
    }
}

/// `tls-port`; 0 = no TLS listener.
fn tls_port(cfg: &Config) -> u16 {
    cfg.value("tls-port").and_then(|p| p.parse().ok()).unwrap_or(0)
}

/// `host:port` of every TCP listener that is not on loopback.
fn exposed_addrs(cfg: &Config) -> Vec<String> {
    let port = if cfg.port != 0 { cfg.port } else { tls_port(cfg) };
    if port == 0 {
        return Vec::new();
    }
    cfg.bind_addrs()
        .filter(|(addr, _)| !is_loopback(addr))
        .map(|(addr, _)| if addr.contains(':') { format!("[{addr}]:{port}") } else { format!("{addr}:{port}") })
        .collect()
}

/// Loopback `bind` addresses and the address their clients come from.
fn loopback_binds(cfg: &Config) -> Vec<(String, IpAddr)> {
    if cfg.port == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (addr, _) in cfg.bind_addrs() {
        let probe = match addr.parse::<IpAddr>() {
            Ok(ip) if redoubt_security::canonical_ip(ip).is_loopback() => redoubt_security::canonical_ip(ip),
            _ if addr.eq_ignore_ascii_case("localhost") => IpAddr::from([127, 0, 0, 1]),
            _ => continue,
        };
        out.push((addr.to_string(), probe));
    }
    out
}

/// `path` made absolute against the working directory, for messages the operator acts on.
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    let joined = match std::env::current_dir() {
        Ok(cwd) => cwd.join(path),
        Err(_) => return path.to_path_buf(),
    };
    joined.components().filter(|c| *c != std::path::Component::CurDir).collect()
}

/// The permissions of every file that holds a secret or decides who may do what. Returns
/// whether the aclfile (if any) passed, so the users can be loaded from it.
fn check_files(cfg: &Config, refusals: &mut Vec<String>) -> bool {
    for f in &cfg.files {
        let Ok(meta) = std::fs::metadata(&f.path) else { continue };
        let (mode, shown) = (meta.mode() & 0o777, f.path.display());
        if f.holds_secrets && mode & 0o077 != 0 {
            refusals.push(format!(
                "config file {shown} holds a secret and has mode {mode:04o}, open to group or others; fix it with: \
                 chmod 600 {shown}"
            ));
        } else if mode & 0o022 != 0 {
            refusals.push(format!(
                "config file {shown} has mode {mode:04o}, writable by group or others (who could then choose the \
                 users and the data directory); fix it with: chmod go-w {shown}"
            ));
        }
    }
    let mut aclfile_ok = true;
    // A relative aclfile is relative to `dir`, as in Redis (see `aclfile_path`).
    if let Some(path) = redoubt_security::aclfile_path(cfg) {
        if let Err(e) = check_private_file(&absolute(&path), "aclfile") {
            refusals.push(e);
            aclfile_ok = false;
        }
    }
    for (what, path) in [("requirepass-file", &cfg.requirepass_file), ("masterauth-file", &cfg.masterauth_file)] {
        if let Some(path) = path {
            if let Err(e) = check_private_file(&absolute(path), what) {
                refusals.push(e);
            }
        }
    }
    for what in ["tls-key-file", "tls-client-key-file"] {
        if let Some(path) = cfg.value(what).filter(|p| !p.is_empty()) {
            if let Err(e) = check_private_file(&absolute(Path::new(&path)), what) {
                refusals.push(e);
            }
        }
    }
    if let Some(path) = &cfg.seal_key_file {
        // Missing, not a regular file, open to group or others, or not a key: each names its fix.
        if let Err(e) = redoubt_persist::seal::read_key_file(&absolute(path)) {
            refusals.push(e);
        }
    }
    if let Some(path) = &cfg.audit_log {
        // Creates it 0600 when missing, so a wrong directory shows now, not at the first event.
        if let Err(e) = redoubt_security::audit::open_private_append(&absolute(path)) {
            refusals.push(e.to_string());
        }
    }
    aclfile_ok
}

/// The data directory: created 0700 when missing (and `create` is set), refused when open
/// to group or others; Redoubt's files in it must be private too.
fn check_data_dir(cfg: &Config, create: bool, refusals: &mut Vec<String>) {
    let dir = absolute(&cfg.dir);
    let shown = dir.display();
    let meta = match std::fs::metadata(&dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return;
            }
            if let Err(e) = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir) {
                refusals.push(format!(
                    "cannot create the data directory {shown}: {e}; create it with: mkdir -m 700 {shown}"
                ));
            }
            return;
        }
        Err(e) => {
            refusals.push(format!("data directory {shown}: {e}"));
            return;
        }
    };
    if !meta.is_dir() {
        refusals.push(format!("data directory {shown} is not a directory; set dir to a directory"));
        return;
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        refusals.push(format!(
            "data directory {shown} has mode {mode:04o}, open to group or others; fix it with: chmod 700 {shown}"
        ));
    }
    let rdb = dir.join(&cfg.dbfilename);
    if rdb.exists() {
        if let Err(e) = check_private_file(&rdb, "data file") {
            refusals.push(e);
        }
    }
    let Some(aof_dir) = cfg.value("appenddirname").filter(|n| !n.is_empty()).map(|n| dir.join(n)) else {
        return;
    };
    let Ok(aof_meta) = std::fs::metadata(&aof_dir) else { return };
    let aof_shown = aof_dir.display();
    if aof_meta.is_dir() && aof_meta.mode() & 0o077 != 0 {
        refusals.push(format!(
            "AOF directory {aof_shown} has mode {:04o}, open to group or others; fix it with: chmod 700 {aof_shown}",
            aof_meta.mode() & 0o777
        ));
    }
    if let Ok(entries) = std::fs::read_dir(&aof_dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                if let Err(e) = check_private_file(&path, "data file") {
                    refusals.push(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A private scratch directory, removed on drop.
    struct Tmp(PathBuf);

    impl std::ops::Deref for Tmp {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tmpdir(tag: &str) -> Tmp {
        let dir = std::env::temp_dir().join(format!("redoubt-preflight-unit-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        Tmp(dir)
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn cfg(text: &str, dir: &Path) -> Config {
        let text = format!("dir {}\n{text}", dir.join("data").display());
        Config::parse_str(&text, "t.conf").unwrap()
    }

    fn refusal(cfg: &Config) -> String {
        check(cfg).unwrap_err().0
    }

    #[test]
    fn loopback_addresses() {
        for lo in ["127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"] {
            assert!(is_loopback(lo), "{lo}");
        }
        for open in ["0.0.0.0", "*", "::", "::*", "10.0.0.1", "2001:db8::1", "example.com"] {
            assert!(!is_loopback(open), "{open}");
        }
    }

    #[test]
    fn exposure_needs_authentication() {
        let dir = tmpdir("exposure");
        // The default: loopback only, no password: fine.
        assert_eq!(check(&cfg("", &dir)).unwrap(), []);
        let e = refusal(&cfg("bind 0.0.0.0\n", &dir));
        assert!(e.starts_with("refusing to listen on 0.0.0.0:6379 without authentication: set requirepass"), "{e}");
        assert!(e.contains("REDOUBT_PASSWORD") && e.contains("--insecure-no-auth yes"), "{e}");
        let e = refusal(&cfg("bind 127.0.0.1 * -::*\nport 7000\n", &dir));
        assert!(e.starts_with("refusing to listen on *:7000, [::*]:7000 without"), "{e}");
        // TCP off: nothing is exposed.
        assert!(check(&cfg("bind 0.0.0.0\nport 0\nunixsocket /tmp/x.sock\n", &dir)).is_ok());
        // Authentication in any form makes it a warning about TLS only.
        for auth in ["requirepass s3cret\n", "user default on >pw ~* +@all\n", "user default off\n"] {
            let w = check(&cfg(&format!("bind 0.0.0.0\n{auth}"), &dir)).unwrap();
            assert_eq!(w.len(), 1, "{auth}: {w:?}");
            assert_eq!(w[0].kind, WarningKind::Plaintext);
            assert!(w[0].message.starts_with("listening on 0.0.0.0:6379 without TLS"), "{w:?}");
        }
        // A `user default on nopass` line is no authentication.
        assert!(check(&cfg("bind 0.0.0.0\nuser default on nopass ~* +@all\n", &dir)).is_err());
        // Labs.
        let w = check(&cfg("bind 0.0.0.0\ninsecure-no-auth yes\n", &dir)).unwrap();
        assert_eq!(w.iter().map(|w| w.kind).collect::<Vec<_>>(), [WarningKind::InsecureNoAuth, WarningKind::Plaintext]);
        assert!(w[0].message.contains("protected mode is still on"), "{w:?}");
        let w = check(&cfg("insecure-no-auth yes\n", &dir)).unwrap();
        assert_eq!(w[0].kind, WarningKind::Notice);
    }

    #[test]
    fn data_directory_is_created_private_and_checked() {
        let dir = tmpdir("datadir");
        let c = cfg("", &dir);
        check(&c).unwrap();
        let data = dir.join("data");
        assert_eq!(std::fs::metadata(&data).unwrap().mode() & 0o777, 0o700);
        chmod(&data, 0o755);
        let e = refusal(&c);
        assert_eq!(
            e,
            format!(
                "data directory {0} has mode 0755, open to group or others; fix it with: chmod 700 {0}",
                data.display()
            )
        );
        chmod(&data, 0o700);
        std::fs::write(data.join("dump.rdb"), b"x").unwrap();
        chmod(&data.join("dump.rdb"), 0o644);
        let e = refusal(&c);
        assert!(e.ends_with(&format!("fix it with: chmod 600 {}", data.join("dump.rdb").display())), "{e}");
        chmod(&data.join("dump.rdb"), 0o600);
        std::fs::create_dir(data.join("appendonlydir")).unwrap();
        std::fs::write(data.join("appendonlydir/appendonly.aof.1.incr.aof"), b"").unwrap();
        chmod(&data.join("appendonlydir/appendonly.aof.1.incr.aof"), 0o640);
        let e = refusal(&c);
        assert!(e.contains("chmod 700") && e.contains("chmod 600"), "{e}");
        assert!(e.starts_with("refusing to start:\n  - "), "{e}");
        chmod(&data.join("appendonlydir"), 0o700);
        chmod(&data.join("appendonlydir/appendonly.aof.1.incr.aof"), 0o600);
        check(&c).unwrap();
    }

    #[test]
    fn secret_files_must_be_private() {
        let dir = tmpdir("secrets");
        let conf = dir.join("r.conf");
        std::fs::write(&conf, format!("dir {}\nrequirepass s3cret\n", dir.join("data").display())).unwrap();
        chmod(&conf, 0o644);
        let c = Config::load(&conf, &[]).unwrap();
        let e = refusal(&c);
        let shown = conf.canonicalize().unwrap();
        assert_eq!(
            e,
            format!(
                "config file {0} holds a secret and has mode 0644, open to group or others; fix it with: chmod 600 {0}",
                shown.display()
            )
        );
        chmod(&conf, 0o600);
        check(&c).unwrap();

        // No secret, but writable by others: refused too.
        let plain = dir.join("plain.conf");
        std::fs::write(&plain, format!("dir {}\n", dir.join("data").display())).unwrap();
        chmod(&plain, 0o666);
        let e = refusal(&Config::load(&plain, &[]).unwrap());
        assert!(e.contains("chmod go-w"), "{e}");
        // Every refusal is listed, the exposure first.
        let e = refusal(&Config::load(&plain, &["--bind".into(), "0.0.0.0".into()]).unwrap());
        assert!(e.starts_with("refusing to start:\n  - refusing to listen on 0.0.0.0:6379"), "{e}");
        assert!(e.contains("\n  - config file ") && e.contains("chmod go-w"), "{e}");
        chmod(&plain, 0o644);
        check(&Config::load(&plain, &[]).unwrap()).unwrap();

        let pass = dir.join("pass");
        std::fs::write(&pass, "s3cret\n").unwrap();
        chmod(&pass, 0o640);
        let c = Config::load(&plain, &["--requirepass-file".into(), pass.display().to_string()]).unwrap();
        let e = refusal(&c);
        assert!(e.starts_with(&format!("requirepass-file {} has mode 0640", pass.display())), "{e}");

        let acl = dir.join("users.acl");
        std::fs::write(&acl, "user default on nopass ~* +@all\n").unwrap();
        chmod(&acl, 0o644);
        let c = cfg(&format!("aclfile {}\n", acl.display()), &dir);
        assert!(refusal(&c).ends_with(&format!("chmod 600 {}", acl.display())));
        chmod(&acl, 0o600);
        check(&c).unwrap();

        let audit = dir.join("audit.log");
        let c = cfg(&format!("audit-log {}\n", audit.display()), &dir);
        check(&c).unwrap();
        assert_eq!(std::fs::metadata(&audit).unwrap().mode() & 0o777, 0o600);
        chmod(&audit, 0o644);
        assert!(refusal(&c).contains(&format!("chmod 600 {}", audit.display())));
    }

    #[test]
    fn seal_key_file_is_checked() {
        let dir = tmpdir("seal");
        let key = dir.join("seal.key");
        let c = cfg(&format!("seal-key-file {}\n", key.display()), &dir);
        assert!(refusal(&c).contains("redoubt seal keygen"));
        redoubt_persist::seal::create_key_file(&key).unwrap();
        assert_eq!(check(&c).unwrap(), []);
        chmod(&key, 0o644);
        assert!(refusal(&c).ends_with(&format!("chmod 600 {}", key.display())));
        // A key inside the data directory travels with the data: allowed, with a warning.
        let data = dir.join("data");
        let inside = data.join("seal.key");
        redoubt_persist::seal::create_key_file(&inside).unwrap();
        let w = check(&cfg(&format!("seal-key-file {}\n", inside.display()), &dir)).unwrap();
        assert!(w.len() == 1 && w[0].message.contains("is inside the data directory"), "{w:?}");
    }

    #[test]
    fn throttle_and_allowlist() {
        assert_eq!(throttle_config(&Config::default()), ThrottleConfig::default());
        let dir = tmpdir("throttle");
        let e = refusal(&cfg("auth-backoff-base-ms 5000\nauth-backoff-max-ms 1000\n", &dir));
        assert!(e.contains("raise auth-backoff-max-ms"), "{e}");
        let e = refusal(&cfg("auth-lockout-seconds 7200\n", &dir));
        assert!(e.contains("raise auth-lockout-max-seconds"), "{e}");

        assert!(allowlist(&Config::default()).unwrap().is_none());
        let c = cfg("allow-from 10.0.0.0/8\n", &dir);
        let list = allowlist(&c).unwrap().unwrap();
        assert!(list.allows("10.1.2.3".parse().unwrap()));
        let w = check(&c).unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].message.starts_with("allow-from does not include 127.0.0.1"), "{w:?}");
        assert_eq!(check(&cfg("allow-from 10.0.0.0/8 127.0.0.1 ::1\n", &dir)).unwrap(), []);
    }
}
