//! Local checks of a config file and a data directory: the settings that expose a server,
//! and the modes of the config, its includes, the aclfile, the data directory, the dump and
//! AOF files, secret files and TLS keys (seed 002, T16, T17).

use crate::conf::{self, Conf};
use crate::finding::{finding, Report, Severity};
use crate::rules::bind_exposed;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A file's mode bits, owner and type.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    /// Permission bits (`0o7777`).
    pub perm: u32,
    /// Owner uid.
    pub uid: u32,
    /// It is a directory.
    pub dir: bool,
}

/// Reads a path's mode (following symlinks).
pub fn mode(path: &Path) -> Option<Mode> {
    let m = std::fs::metadata(path).ok()?;
    Some(Mode { perm: m.mode() & 0o7777, uid: m.uid(), dir: m.is_dir() })
}

/// The name of a uid from /etc/passwd, else the number.
pub fn user_name(uid: u32) -> String {
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.get(2)? == &uid.to_string()).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| uid.to_string())
}

fn shown(path: &Path, m: Mode) -> String {
    format!("{} is mode {:04o}, owner {}", path.display(), m.perm, user_name(m.uid))
}

/// Checks a file that holds a secret or a private key: anything for group or others is
/// too much.
fn secret_file(id: &str, what: &str, path: &Path, report: &mut Report) {
    let t = path.display().to_string();
    let Some(m) = mode(path) else {
        report.note(&t, format!("{what}: cannot read its mode (missing?)"));
        return;
    };
    let sev = if m.perm & 0o006 != 0 {
        Severity::High
    } else if m.perm & 0o060 != 0 {
        Severity::Medium
    } else {
        return;
    };
    report.add(finding(
        id,
        sev,
        &t,
        format!(
            "{what} is readable or writable by {}",
            if sev == Severity::High { "every local user" } else { "its group" }
        ),
        shown(path, m),
        format!("chmod 600 {}", path.display()),
    ));
}

/// Runs every check on a config file (and the files and directories it names).
pub fn check_config(path: &Path, report: &mut Report) {
    let label = path.display().to_string();
    report.targets.push(label.clone());
    let conf = match conf::load(path) {
        Ok(c) => c,
        Err(e) => {
            report.error(&label, format!("cannot read the config: {e}"));
            return;
        }
    };
    for p in &conf.problems {
        report.note(&label, p.clone());
    }
    for file in &conf.files {
        config_file_mode(&conf, file, report);
    }
    exposure(&conf, &label, report);
    switches(&conf, &label, report);
    users(&conf, &label, report);
    named_files(&conf, report);
}

fn config_file_mode(conf: &Conf, file: &Path, report: &mut Report) {
    let t = file.display().to_string();
    let Some(m) = mode(file) else { return };
    let secrets = conf.secrets_in(file);
    if m.perm & 0o022 != 0 {
        report.add(finding(
            "config.writable",
            Severity::High,
            &t,
            "the config file is writable by other users: they choose the server's settings at the next start",
            shown(file, m),
            format!("chmod 600 {} (owned by the server's user)", file.display()),
        ));
    }
    if !secrets.is_empty() && m.perm & 0o044 != 0 {
        let names: Vec<String> = secrets.iter().map(|d| format!("{} (line {})", d.name, d.line)).collect();
        let others = m.perm & 0o004 != 0;
        report.add(finding(
            "config.secret-readable",
            if others { Severity::High } else { Severity::Medium },
            &t,
            format!(
                "a plain-text secret is in a file {} can read (T17)",
                if others { "every local user" } else { "its group" }
            ),
            format!("{}; holds {}", shown(file, m), names.join(", ")),
            format!(
                "chmod 600 {}; or move the secret out of it (Redoubt: requirepass-file, masterauth-file, or \
                 REDOUBT_PASSWORD)",
                file.display()
            ),
        ));
    } else if secrets.is_empty() && m.perm & 0o004 != 0 {
        report.add(finding(
            "config.readable",
            Severity::Low,
            &t,
            "the config file is readable by every local user (it tells addresses, paths and settings)",
            shown(file, m),
            format!("chmod 600 {}", file.display()),
        ));
    }
}

/// Whether authentication is configured: a requirepass, a password file, an enabled user
/// with a password, or an aclfile (whose users are checked separately).
fn auth_configured(conf: &Conf) -> bool {
    conf.value("requirepass").is_some_and(|v| !v.is_empty())
        || conf.last("requirepass-file").is_some()
        || conf.last("aclfile").is_some()
        || conf.all("user").any(|d| d.args.iter().any(|a| a.starts_with('>') || a.starts_with('#')))
}

fn exposure(conf: &Conf, t: &str, report: &mut Report) {
    let (bind, bind_src) = match conf.value("bind") {
        Some(b) => (b, "bind".to_string()),
        None => {
            ("* -::*".to_string(), "no bind line: Redis listens on every interface (Redoubt: loopback)".to_string())
        }
    };
    let wide = bind_exposed(&bind);
    let protected_off = conf.value("protected-mode").is_some_and(|v| v.eq_ignore_ascii_case("no"));
    let auth = auth_configured(conf);
    let port = conf.value("port").unwrap_or_else(|| "6379".into());
    let tls_port = conf.value("tls-port").filter(|p| p != "0");
    let ev = format!(
        "{bind_src} '{bind}'; protected-mode {}; {}; port {port}; tls-port {}",
        if protected_off { "no" } else { "yes" },
        if auth { "authentication configured" } else { "no requirepass, no user with a password, no aclfile" },
        tls_port.as_deref().unwrap_or("0")
    );
    if wide && protected_off && !auth {
        report.add(finding(
            "config.exposed",
            Severity::Critical,
            t,
            "the server listens on every address with protected mode off and no password: anyone who can reach \
             it runs any command (seed 000)",
            ev.clone(),
            "bind only the addresses clients use (bind 127.0.0.1 -::1 by default), protected-mode yes, and a \
             password (requirepass or ACL users); firewall the port",
        ));
    } else if wide && !auth {
        report.add(finding(
            "config.no-auth",
            Severity::Medium,
            t,
            "the server listens beyond loopback with no password: protected mode is all that stops strangers",
            ev.clone(),
            "set a password (requirepass, or ACL users with passwords) or bind only loopback",
        ));
    }
    if protected_off {
        let sev = if wide && !auth {
            Severity::High
        } else if auth {
            Severity::Info
        } else {
            Severity::Medium
        };
        report.add(finding(
            "config.protected-mode-off",
            sev,
            t,
            "protected-mode no: without a password, every client that can connect is let in",
            ev.clone(),
            "protected-mode yes",
        ));
    }
    if wide && port != "0" {
        let text = if tls_port.is_some() {
            "a plaintext port stays open beyond loopback next to the TLS port"
        } else {
            "the server listens beyond loopback without TLS: passwords and data cross the network in clear (T18)"
        };
        report.add(finding(
            "config.plaintext",
            Severity::Medium,
            t,
            text,
            ev,
            "tls-port with tls-cert-file and tls-key-file (redoubt tls init makes them), and port 0",
        ));
    }
    if let Some(d) = conf.last("unixsocket") {
        let perm = conf.value("unixsocketperm").and_then(|p| u32::from_str_radix(&p, 8).ok()).unwrap_or(0);
        if perm & 0o007 != 0 {
            report.add(finding(
                "config.unixsocketperm",
                if auth { Severity::Low } else { Severity::Medium },
                t,
                "every local user may connect to the unix socket (T20)",
                format!("unixsocket {} with unixsocketperm {perm:o}", d.args.join(" ")),
                "unixsocketperm 700 (or 770 with a dedicated group)",
            ));
        }
    }
}

fn switches(conf: &Conf, t: &str, report: &mut Report) {
    let table: [(&str, Severity, &str); 3] = [
        ("enable-protected-configs", Severity::High, "CONFIG SET dir/dbfilename may write files anywhere (T9)"),
        ("enable-module-command", Severity::High, "MODULE LOAD may load any shared object (T11)"),
        ("enable-debug-command", Severity::Medium, "DEBUG may crash or stall the server (T10)"),
    ];
    for (name, sev, why) in table {
        let Some(v) = conf.value(name) else { continue };
        let sev = match v.to_ascii_lowercase().as_str() {
            "yes" => sev,
            "local" => sev.lower(),
            _ => continue,
        };
        let d = conf.last(name).map(|d| format!("{}:{}", d.file.display(), d.line)).unwrap_or_default();
        report.add(finding(
            format!("config.{name}"),
            sev,
            t,
            format!("{name} {v}: {why}"),
            format!("{d}: {name} {v}"),
            format!("{name} no (the default)"),
        ));
    }
}

fn users(conf: &Conf, t: &str, report: &mut Report) {
    let mut lines: Vec<(String, Vec<String>)> =
        conf.all("user").map(|d| (format!("{}:{}", d.file.display(), d.line), d.args.clone())).collect();
    if let Some(d) = conf.last("aclfile") {
        let path = conf.resolve(d, &d.args.join(" "));
        if let Ok(text) = std::fs::read_to_string(&path) {
            for (i, l) in text.lines().enumerate() {
                if let Ok(w) = conf::split_args(l.trim()) {
                    if w.first().map(String::as_str) == Some("user") {
                        lines.push((format!("{}:{}", path.display(), i + 1), w[1..].to_vec()));
                    }
                }
            }
        }
    }
    for (at, args) in lines {
        let on = args.iter().any(|a| a == "on");
        if on && args.iter().any(|a| a == "nopass") {
            let name = args.first().cloned().unwrap_or_default();
            report.add(finding(
                format!("config.nopass.{name}"),
                Severity::High,
                t,
                format!("user '{name}' is enabled with nopass: anyone who connects can act as it"),
                format!("{at}: user {name} ... on ... nopass"),
                format!("replace nopass with a password (>LONG-RANDOM-SECRET or #sha256) or turn the user off: user {name} off"),
            ));
        }
    }
}

fn named_files(conf: &Conf, report: &mut Report) {
    if let Some(d) = conf.last("aclfile") {
        let path = conf.resolve(d, &d.args.join(" "));
        secret_file("aclfile.mode", "the aclfile (users and password hashes)", &path, report);
    }
    for name in ["tls-key-file", "tls-client-key-file"] {
        if let Some(d) = conf.last(name) {
            secret_file(
                "tls.key-mode",
                &format!("the TLS private key ({name})"),
                &conf.resolve(d, &d.args.join(" ")),
                report,
            );
        }
    }
    for name in ["requirepass-file", "masterauth-file"] {
        if let Some(d) = conf.last(name) {
            secret_file(
                "secret-file.mode",
                &format!("the secret file ({name})"),
                &conf.resolve(d, &d.args.join(" ")),
                report,
            );
        }
    }
    // The server takes a relative seal-key-file from its working directory, which a config
    // file does not tell: only an absolute one is checked.
    if let Some(d) = conf.last("seal-key-file") {
        let path = d.args.join(" ");
        if Path::new(&path).is_absolute() {
            secret_file("secret-file.mode", "the key of sealed snapshots (seal-key-file)", Path::new(&path), report);
        }
    }
    let Some(d) = conf.last("dir") else {
        let t = conf.files.first().map(|f| f.display().to_string()).unwrap_or_default();
        report.note(&t, "no dir line: the data directory is the server's working directory; check it with --data-dir");
        return;
    };
    let dir = conf.resolve(d, &d.args.join(" "));
    let dbfilename = conf.value("dbfilename");
    let aofdir = conf.value("appenddirname");
    check_data_dir_with(
        &dir,
        dbfilename.as_deref(),
        aofdir.as_deref(),
        conf.value("appendfilename").as_deref(),
        report,
    );
}

/// Checks a data directory and the data files in it.
pub fn check_data_dir(dir: &Path, report: &mut Report) {
    report.targets.push(dir.display().to_string());
    check_data_dir_with(dir, None, None, None, report);
}

fn check_data_dir_with(
    dir: &Path,
    dbfilename: Option<&str>,
    aofdir: Option<&str>,
    aofname: Option<&str>,
    report: &mut Report,
) {
    let t = dir.display().to_string();
    let Some(m) = mode(dir) else {
        report.note(&t, "data directory: missing or unreadable; not checked");
        return;
    };
    if !m.dir {
        report.error(&t, "not a directory");
        return;
    }
    let sev = if m.perm & 0o002 != 0 {
        Some((Severity::High, "every local user can add, replace or delete data files in the data directory (T16)"))
    } else if m.perm & 0o005 != 0 {
        Some((Severity::Medium, "every local user can enter the data directory and list its files (T16)"))
    } else if m.perm & 0o077 != 0 {
        Some((Severity::Low, "the data directory is open to its group"))
    } else {
        None
    };
    if let Some((sev, text)) = sev {
        report.add(finding(
            "datadir.mode",
            sev,
            &t,
            text,
            shown(dir, m),
            format!("chown <server user> {0} && chmod 700 {0}", dir.display()),
        ));
    }
    let others_enter = m.perm & 0o001 != 0;
    let group_enter = m.perm & 0o010 != 0;
    let mut files: Vec<PathBuf> = Vec::new();
    let is_data = |n: &str| {
        n.ends_with(".rdb")
            || n.ends_with(".aof")
            || n.ends_with(".manifest")
            || Some(n) == dbfilename
            || aofname.is_some_and(|a| n.starts_with(a))
    };
    let list = |d: &Path, all: bool, files: &mut Vec<PathBuf>| {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten().take(10_000) {
                let n = e.file_name().to_string_lossy().into_owned();
                if e.file_type().is_ok_and(|ft| ft.is_file()) && (all || is_data(&n)) {
                    files.push(e.path());
                }
            }
        }
    };
    list(dir, false, &mut files);
    list(&dir.join(aofdir.unwrap_or("appendonlydir")), true, &mut files);
    files.sort();
    for f in &files {
        let Some(fm) = mode(f) else { continue };
        let ft = f.display().to_string();
        if fm.uid != m.uid {
            report.add(finding(
                "datadir.owner",
                Severity::Low,
                &ft,
                "a data file is owned by another user than the data directory: the server's user may not be able to \
                 rewrite it, or another user controls it",
                format!("{}; directory owner {}", shown(f, fm), user_name(m.uid)),
                format!("chown <server user> {} {}", dir.display(), f.display()),
            ));
        }
        let (sev, text) = if fm.perm & 0o022 != 0 {
            (Severity::High, "a data file is writable by other users: they can change the data the server loads (T16)")
        } else if fm.perm & 0o004 != 0 && others_enter {
            (Severity::High, "a data file is readable by every local user: a full copy of the data (T16, seed 002)")
        } else if fm.perm & 0o040 != 0 && group_enter {
            (Severity::Medium, "a data file is readable by its group")
        } else if fm.perm & 0o044 != 0 {
            (Severity::Low, "a data file is readable by others, but the data directory keeps them out (for now)")
        } else {
            continue;
        };
        report.add(finding(
            "datadir.file-mode",
            sev,
            &ft,
            text,
            format!("{}; directory {:04o}", shown(f, fm), m.perm),
            format!("chmod 600 {}, and chmod 700 the data directory (the server rewrites these files)", f.display()),
        ));
    }
    report.note(&t, format!("data directory: {} data file(s) checked", files.len()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn seal_key_file_open_to_others_is_reported() {
        let dir = std::env::temp_dir().join(format!("redoubt-audit-seal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("seal.key");
        std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let conf = dir.join("redoubt.conf");
        std::fs::write(&conf, format!("seal-key-file {}\n", key.display())).unwrap();
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o600)).unwrap();
        let found = |report: &Report| report.findings.iter().any(|f| f.id == "secret-file.mode");
        let mut report = Report::default();
        check_config(&conf, &mut report);
        assert!(found(&report), "{:?}", report.findings);
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut report = Report::default();
        check_config(&conf, &mut report);
        assert!(!found(&report), "{:?}", report.findings);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
