//! Process checks on this host, from /proc: redis-server, valkey-server and redoubt
//! processes running as root, secrets in their argv (T17), and their listening sockets on
//! non-loopback addresses without TLS (from /proc/net/tcp and tcp6, mapped to processes
//! through the socket inodes in /proc/PID/fd where permissions allow).

use crate::finding::{finding, Report, Severity};
use crate::remote::is_loopback;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// A server process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// Its pid.
    pub pid: u32,
    /// Its command name.
    pub name: String,
    /// Its argv (as /proc shows it: Redis rewrites its own to a title).
    pub argv: Vec<String>,
    /// Its effective uid.
    pub euid: Option<u32>,
}

const SERVER_NAMES: &[&str] = &["redis-server", "valkey-server", "redoubt", "redis-sentinel", "valkey-sentinel"];
const SECRET_FLAGS: &[&str] = &["requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass"];

/// Whether a process with this command name and argv is a server (not `redoubt audit`,
/// `redoubt passwd` and the like).
pub fn is_server(name: &str, argv: &[String]) -> bool {
    let base = |s: &str| Path::new(s).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let argv0 = argv.first().map(|a| base(a.split_whitespace().next().unwrap_or(""))).unwrap_or_default();
    let named = SERVER_NAMES.contains(&name) || SERVER_NAMES.contains(&argv0.as_str());
    if !named {
        return false;
    }
    if name == "redoubt" || argv0 == "redoubt" {
        let verb = argv.get(1).map(String::as_str).unwrap_or("");
        return !matches!(verb, "audit" | "passwd" | "tls" | "help" | "--help" | "-h" | "version" | "--version" | "-v")
            && !argv.iter().any(|a| a == "--check-config");
    }
    true
}

/// The secret-bearing flags in an argv (`--requirepass x`, `"requirepass x"`, `user ... >pw`).
pub fn argv_secrets(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, arg) in argv.iter().enumerate() {
        let first = arg.split_whitespace().next().unwrap_or("");
        let name = first.trim_start_matches('-').to_ascii_lowercase();
        let name = name.split('=').next().unwrap_or("").to_string();
        if SECRET_FLAGS.contains(&name.as_str())
            && (arg.contains(' ') || arg.contains('=') || argv.get(i + 1).is_some())
        {
            out.push(format!("--{name}"));
        }
        if (name == "user" || (i > 0 && argv[i - 1].trim_start_matches('-') == "user"))
            && arg.split_whitespace().any(|w| w.starts_with('>'))
        {
            out.push("--user with a >password".to_string());
        }
    }
    out.dedup();
    out
}

/// Every server process visible in /proc, except this one.
pub fn servers() -> Vec<Proc> {
    let me = std::process::id();
    let Ok(rd) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let dir = e.path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default().trim().to_string();
        let argv: Vec<String> = std::fs::read(dir.join("cmdline"))
            .unwrap_or_default()
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if !is_server(&name, &argv) {
            continue;
        }
        let euid = std::fs::read_to_string(dir.join("status")).ok().and_then(|s| {
            s.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(2)?.parse().ok())
        });
        out.push(Proc { pid, name, argv, euid });
    }
    out.sort_by_key(|p| p.pid);
    out
}

/// A listening TCP socket from /proc/net.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    /// Its local address.
    pub ip: IpAddr,
    /// Its port.
    pub port: u16,
    /// Its socket inode.
    pub inode: u64,
}

/// Parses /proc/net/tcp or tcp6 text: the sockets in LISTEN state.
pub fn parse_net_tcp(text: &str) -> Vec<Listener> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.get(3) != Some(&"0A") {
                return None;
            }
            let (addr, port) = f.get(1)?.split_once(':')?;
            let port = u16::from_str_radix(port, 16).ok()?;
            let ip = match addr.len() {
                8 => IpAddr::V4(Ipv4Addr::from(u32::from_str_radix(addr, 16).ok()?.swap_bytes())),
                32 => {
                    let mut bytes = [0u8; 16];
                    for (w, chunk) in addr.as_bytes().chunks(8).enumerate() {
                        let word = u32::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
                        bytes[w * 4..w * 4 + 4].copy_from_slice(&word.to_le_bytes());
                    }
                    IpAddr::V6(Ipv6Addr::from(bytes))
                }
                _ => return None,
            };
            Some(Listener { ip, port, inode: f.get(9)?.parse().ok()? })
        })
        .collect()
}

/// The socket inodes a process holds (empty when /proc/PID/fd is not readable).
fn socket_inodes(pid: u32) -> Vec<u64> {
    let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return Vec::new() };
    rd.flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| l.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok())
        .collect()
}

fn shown_argv(argv: &[String]) -> String {
    let mut out = Vec::new();
    let mut hide_next = false;
    for a in argv {
        if hide_next {
            out.push("<redacted>".to_string());
            hide_next = false;
            continue;
        }
        let first = a.split_whitespace().next().unwrap_or("");
        let name = first.trim_start_matches('-').split('=').next().unwrap_or("").to_ascii_lowercase();
        if SECRET_FLAGS.contains(&name.as_str()) || name == "user" {
            if a.contains(' ') || a.contains('=') {
                out.push(format!("{} <redacted>", first.split('=').next().unwrap_or(first)));
            } else {
                out.push(a.clone());
                hide_next = true;
            }
        } else {
            out.push(a.clone());
        }
    }
    let s = out.join(" ");
    if s.len() > 160 {
        let mut cut = 157;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}...", &s[..cut])
    } else {
        s
    }
}

/// Runs the process checks. `tls_ports` are ports known to speak TLS (from `--config`).
pub fn check(tls_ports: &[u16], report: &mut Report) {
    report.targets.push("local".into());
    let procs = servers();
    if procs.is_empty() {
        report.note("local", "no redis-server, valkey-server or redoubt server process is visible in /proc");
        return;
    }
    let mut listeners = Vec::new();
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        listeners.extend(parse_net_tcp(&std::fs::read_to_string(f).unwrap_or_default()));
    }
    for p in &procs {
        let who = format!("pid {} ({}): {}", p.pid, p.name, shown_argv(&p.argv));
        if p.euid == Some(0) {
            report.add(finding(
                "process.root",
                Severity::High,
                "local",
                format!(
                    "{} runs as root: a file it is made to write (CONFIG SET dir + SAVE, T9) is written as root",
                    p.name
                ),
                format!("{who}; effective uid 0"),
                "run the server as an unprivileged user (systemd User=redis, docker --user, or the package's own user)",
            ));
        }
        let secrets = argv_secrets(&p.argv);
        if !secrets.is_empty() {
            report.add(finding(
                "process.argv-secret",
                Severity::High,
                "local",
                format!("{} has a secret on its command line: every local user can read it with ps (T17)", p.name),
                format!("{who}; argv holds {}", secrets.join(", ")),
                "move the secret to the config file (mode 600), a requirepass-file/masterauth-file (Redoubt) or \
                 REDOUBT_PASSWORD, and restart",
            ));
        }
        let inodes = socket_inodes(p.pid);
        for l in listeners.iter().filter(|l| inodes.contains(&l.inode) && !is_loopback(l.ip)) {
            if tls_ports.contains(&l.port) {
                continue;
            }
            let addr = if l.ip.is_ipv6() { format!("[{}]:{}", l.ip, l.port) } else { format!("{}:{}", l.ip, l.port) };
            report.add(finding(
                "process.plaintext-listener",
                Severity::Medium,
                "local",
                format!("{} listens on {addr}, beyond loopback, and the port is not a known TLS port (T18)", p.name),
                format!("{who}; /proc/net: {addr} LISTEN, inode {}; tls ports known: {tls_ports:?}", l.inode),
                "serve TLS (tls-port) and set port 0, or bind loopback only; a port that really is TLS: pass its \
                 config with --config",
            ));
        }
        if inodes.is_empty() {
            report.note("local", format!("pid {}: its sockets are not readable here; listeners not mapped", p.pid));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split('|').map(String::from).collect()
    }

    #[test]
    fn server_detection() {
        assert!(is_server("redis-server", &v("redis-server *:6379")));
        assert!(is_server("valkey-server", &v("/usr/bin/valkey-server|/etc/valkey.conf")));
        assert!(is_server("redoubt", &v("/usr/bin/redoubt|server")));
        assert!(is_server("redoubt", &v("redoubt")));
        assert!(!is_server("redoubt", &v("redoubt|audit|127.0.0.1")));
        assert!(!is_server("bash", &v("bash|-c|redis-server")));
    }

    #[test]
    fn secrets_in_argv() {
        assert_eq!(argv_secrets(&v("redis-server|--requirepass|hunter2")), vec!["--requirepass"]);
        assert_eq!(argv_secrets(&v("redis-server|--masterauth=x")), vec!["--masterauth"]);
        assert_eq!(argv_secrets(&v("redis-server|requirepass hunter2")), vec!["--requirepass"]);
        assert_eq!(argv_secrets(&v("redis-server|--user|app on >pw ~*")), vec!["--user with a >password"]);
        assert!(argv_secrets(&v("redis-server *:6379")).is_empty());
        assert!(argv_secrets(&v("redoubt|--requirepass-file|/etc/pw")).is_empty());
        let shown = shown_argv(&v("redis-server|--requirepass|hunter2|--port|1"));
        assert_eq!(shown, "redis-server --requirepass <redacted> --port 1");
        assert!(!shown_argv(&v("redis-server|requirepass hunter2")).contains("hunter2"));
    }

    #[test]
    fn net_tcp() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
            0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   100        0 1234 1 0 100 0 0 10 0\n   \
            1: 00000000:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   100        0 1235 1 0 100 0 0 10 0\n   \
            2: 0100007F:18EB 0100007F:D3A2 01 00000000:00000000 00:00000000 00000000   100        0 1236 1 0 100 0 0 10 0\n";
        let l = parse_net_tcp(text);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0], Listener { ip: "127.0.0.1".parse().unwrap(), port: 6379, inode: 1234 });
        assert_eq!(l[1].ip, "0.0.0.0".parse::<IpAddr>().unwrap());
        let v6 = "header\n 0: 00000000000000000000000001000000:18EB 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 77 1\n \
            1: 00000000000000000000000000000000:18EB 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 78 1\n";
        let l = parse_net_tcp(v6);
        assert_eq!(l[0].ip, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(l[1].ip, "::".parse::<IpAddr>().unwrap());
        assert_eq!(l[1].inode, 78);
    }
}
