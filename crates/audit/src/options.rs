//! The command line of `redoubt audit`, parsed by hand.
//!
//! Secrets never come from argv (every local user can read it with `ps`): a password comes
//! from `--pass-file FILE` or the `REDOUBT_AUDIT_PASSWORD` environment variable, and
//! `--pass`/`-a` are refused with that hint.

use crate::finding::Severity;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The usage text.
pub const USAGE: &str = "\
Usage:
  redoubt audit [HOST[:PORT] ...] [--unix PATH] [options]

Remote checks (against each named server; nothing else is contacted):
  HOST[:PORT]              a server to audit (port 6379 if omitted; [v6addr]:port for IPv6)
  --unix PATH              a server's unix socket
  --user NAME              authenticate as NAME (default: the 'default' user)
  --pass-file FILE         read the password from the first line of FILE
                           (or set REDOUBT_AUDIT_PASSWORD; never on the command line)
  --check-user NAME        whose reach to check with ACL DRYRUN (default: the audit's own user)
  --expect-primary H:P     the only primary this server may replicate from
  --tls --cacert FILE      speak TLS, verifying the server's certificate against the CA in FILE
  --sni NAME               the name the certificate must carry (default: the host; an IP
                           target is verified against the certificate's IP addresses)
  --cert FILE --key FILE   a client certificate and its key, for servers that require one
  --probe-auth [N]         opt-in: send N (default 6, at most 10) wrong AUTHs for a random,
                           non-existent user and time the replies (counts toward the
                           target's failed-auth throttle)

Local checks (this host):
  --config FILE            a redis.conf/redoubt.conf: its settings, and the modes of it, its
                           includes, aclfile, data directory, dump/AOF files and TLS keys
  --data-dir DIR           a data directory: the modes of it and its files
  --local                  process checks only (also run with --config and --data-dir):
                           servers running as root, secrets in argv, listeners without TLS

Output:
  --json                   one JSON document instead of the table
  --fail-on SEVERITY       exit 1 when a finding is at or above SEVERITY
                           (info|low|medium|high|critical|never; default high)
  --timeout SECS           connect and read timeout per request (default 3)
  --deadline SECS          total time for the whole audit (default 60)

Exit status: 0 nothing at or above --fail-on; 1 a finding at or above --fail-on;
2 usage error, or a named target could not be audited.";

/// A password, whose `Debug` form never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A server to audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A TCP address, host name or IP literal.
    Tcp {
        /// The host as given (an IPv6 literal without brackets).
        host: String,
        /// The port.
        port: u16,
    },
    /// A unix socket path.
    Unix(PathBuf),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "{host}:{port}"),
            Target::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// Everything the command line says.
#[derive(Clone, Debug)]
pub struct Options {
    /// Servers to audit remotely.
    pub targets: Vec<Target>,
    /// `--user`.
    pub user: Option<String>,
    /// From `--pass-file` or `REDOUBT_AUDIT_PASSWORD`.
    pub password: Option<Secret>,
    /// `--check-user`.
    pub check_user: Option<String>,
    /// `--tls`.
    pub tls: bool,
    /// `--cacert`.
    pub cacert: Option<PathBuf>,
    /// `--sni`.
    pub sni: Option<String>,
    /// `--cert`: the client certificate.
    pub cert: Option<PathBuf>,
    /// `--key`: the client certificate's key.
    pub key: Option<PathBuf>,
    /// `--expect-primary`, as given.
    pub expect_primary: Option<String>,
    /// `--probe-auth`: how many wrong AUTHs to send.
    pub probe_auth: Option<u32>,
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--local` (implied by `--config` and `--data-dir`).
    pub local: bool,
    /// `--json`.
    pub json: bool,
    /// `--fail-on`; `None` for `never`.
    pub fail_on: Option<Severity>,
    /// Connect and per-request read timeout.
    pub timeout: Duration,
    /// Total time for the audit.
    pub deadline: Duration,
    /// `--help` was asked for.
    pub help: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            targets: Vec::new(),
            user: None,
            password: None,
            check_user: None,
            tls: false,
            cacert: None,
            sni: None,
            cert: None,
            key: None,
            expect_primary: None,
            probe_auth: None,
            config: None,
            data_dir: None,
            local: false,
            json: false,
            fail_on: Some(Severity::High),
            timeout: Duration::from_secs(3),
            deadline: Duration::from_secs(60),
            help: false,
        }
    }
}

/// The most wrong AUTHs `--probe-auth` may send.
pub const MAX_AUTH_PROBES: u32 = 10;
/// How many wrong AUTHs `--probe-auth` sends by default.
pub const DEFAULT_AUTH_PROBES: u32 = 6;

const PASSWORD_ON_ARGV: &str = "passwords are not accepted on the command line, where every local user can read \
                                them (ps); use --pass-file FILE or the environment variable REDOUBT_AUDIT_PASSWORD";

/// Parses the arguments after `audit`. `env_password` is `REDOUBT_AUDIT_PASSWORD`, if set.
pub fn parse(args: &[String], env_password: Option<String>) -> Result<Options, String> {
    let mut o = Options::default();
    let mut pass_file: Option<PathBuf> = None;
    let mut i = 0;
    while i < args.len() {
        let raw = args[i].as_str();
        let (flag, inline) = match raw.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (raw, None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i).cloned().ok_or_else(|| format!("{flag} needs {what}"))
        };
        match flag {
            "-h" | "--help" => o.help = true,
            "--pass" | "--password" | "-a" | "--requirepass" | "--auth" => {
                return Err(format!("{flag}: {PASSWORD_ON_ARGV}"));
            }
            "--unix" => o.targets.push(Target::Unix(PathBuf::from(value("a socket path")?))),
            "--user" => o.user = Some(value("a user name")?),
            "--pass-file" => pass_file = Some(PathBuf::from(value("a file")?)),
            "--check-user" => o.check_user = Some(value("a user name")?),
            "--tls" => o.tls = true,
            "--cacert" => o.cacert = Some(PathBuf::from(value("a file")?)),
            "--sni" => o.sni = Some(value("a server name")?),
            "--cert" => o.cert = Some(PathBuf::from(value("a file")?)),
            "--key" => o.key = Some(PathBuf::from(value("a file")?)),
            "--expect-primary" => {
                let v = value("HOST:PORT")?;
                parse_target(&v).map_err(|e| format!("--expect-primary: {e}"))?;
                o.expect_primary = Some(v);
            }
            "--probe-auth" => {
                let n = match inline.clone() {
                    Some(v) => Some(v),
                    None => match args.get(i + 1) {
                        Some(next) if next.parse::<u32>().is_ok() => {
                            i += 1;
                            Some(next.clone())
                        }
                        _ => None,
                    },
                };
                let n = match n {
                    Some(v) => v.parse::<u32>().map_err(|_| format!("--probe-auth: '{v}' is not a number"))?,
                    None => DEFAULT_AUTH_PROBES,
                };
                if n == 0 || n > MAX_AUTH_PROBES {
                    return Err(format!("--probe-auth: between 1 and {MAX_AUTH_PROBES} attempts"));
                }
                o.probe_auth = Some(n);
            }
            "--config" => o.config = Some(PathBuf::from(value("a file")?)),
            "--data-dir" => o.data_dir = Some(PathBuf::from(value("a directory")?)),
            "--local" => o.local = true,
            "--json" => o.json = true,
            "--fail-on" => {
                let v = value("a severity")?;
                o.fail_on = if v.eq_ignore_ascii_case("never") {
                    None
                } else {
                    Some(Severity::parse(&v).ok_or_else(|| {
                        format!("--fail-on: '{v}' is not one of info, low, medium, high, critical, never")
                    })?)
                };
            }
            "--timeout" => o.timeout = seconds(&value("seconds")?, "--timeout")?,
            "--deadline" => o.deadline = seconds(&value("seconds")?, "--deadline")?,
            f if f.starts_with('-') => return Err(format!("unknown option '{f}'")),
            t => o.targets.push(parse_target(t)?),
        }
        i += 1;
    }
    if o.config.is_some() || o.data_dir.is_some() {
        o.local = true;
    }
    if let Some(path) = pass_file {
        o.password = Some(read_pass_file(&path)?);
    } else if let Some(p) = env_password.filter(|p| !p.is_empty()) {
        o.password = Some(Secret(p));
    }
    if o.tls && o.cacert.is_none() {
        return Err("--tls needs --cacert FILE: the CA that signed the server's certificate".into());
    }
    if !o.tls && (o.cacert.is_some() || o.sni.is_some() || o.cert.is_some() || o.key.is_some()) {
        return Err("--cacert, --sni, --cert and --key go with --tls".into());
    }
    if o.cert.is_some() != o.key.is_some() {
        return Err("--cert and --key go together".into());
    }
    if o.user.is_some() && o.password.is_none() {
        return Err("--user needs a password: --pass-file FILE or REDOUBT_AUDIT_PASSWORD".into());
    }
    if !o.help && o.targets.is_empty() && !o.local {
        return Err(
            "nothing to audit: name a server (HOST:PORT or --unix PATH), --config, --data-dir or --local".into()
        );
    }
    Ok(o)
}

fn seconds(v: &str, flag: &str) -> Result<Duration, String> {
    match v.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{flag}: '{v}' is not a number of seconds between 0 and 3600")),
    }
}

/// Reads a password: the first line of the file, without its line end, at most 64 KiB.
fn read_pass_file(path: &std::path::Path) -> Result<Secret, String> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut buf))
        .map_err(|e| format!("--pass-file {}: {e}", path.display()))?;
    let text = String::from_utf8(buf).map_err(|_| format!("--pass-file {}: not UTF-8", path.display()))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(format!("--pass-file {}: the first line is empty", path.display()));
    }
    Ok(Secret(line.to_string()))
}

/// Parses `HOST`, `HOST:PORT`, `[V6]:PORT` or a bare IPv6 literal. Ranges (CIDR, `*`) are
/// refused: the audit checks only the servers it is given.
pub fn parse_target(s: &str) -> Result<Target, String> {
    if s.is_empty() {
        return Err("empty target".into());
    }
    if s.contains('/') || s.contains('*') || s.contains(',') {
        return Err(format!("'{s}': name one server (HOST:PORT); address ranges are never scanned"));
    }
    let port = |p: &str| p.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(|| format!("'{s}': bad port '{p}'"));
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest.split_once(']').ok_or_else(|| format!("'{s}': missing ']'"))?;
        let port = match tail.strip_prefix(':') {
            Some(p) => port(p)?,
            None if tail.is_empty() => 6379,
            None => return Err(format!("'{s}': expected [ADDR]:PORT")),
        };
        return Ok(Target::Tcp { host: host.to_string(), port });
    }
    if s.matches(':').count() > 1 {
        return Ok(Target::Tcp { host: s.to_string(), port: 6379 });
    }
    match s.split_once(':') {
        Some((host, p)) if !host.is_empty() => Ok(Target::Tcp { host: host.to_string(), port: port(p)? }),
        Some(_) => Err(format!("'{s}': missing host")),
        None => Ok(Target::Tcp { host: s.to_string(), port: 6379 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn targets() {
        assert_eq!(parse_target("db:6380").unwrap(), Target::Tcp { host: "db".into(), port: 6380 });
        assert_eq!(parse_target("db").unwrap(), Target::Tcp { host: "db".into(), port: 6379 });
        assert_eq!(parse_target("[::1]:7000").unwrap(), Target::Tcp { host: "::1".into(), port: 7000 });
        assert_eq!(parse_target("::1").unwrap(), Target::Tcp { host: "::1".into(), port: 6379 });
        assert_eq!(parse_target("[::1]:7000").unwrap().to_string(), "[::1]:7000");
        assert!(parse_target("10.0.0.0/24").is_err());
        assert!(parse_target("10.0.0.*:6379").is_err());
        assert!(parse_target("db:0").is_err());
        assert!(parse_target("db:x").is_err());
    }

    #[test]
    fn passwords_never_on_argv() {
        for flag in ["--pass", "--password", "-a", "--pass=x"] {
            let e = parse(&args(&format!("127.0.0.1 {flag} secret")), None).unwrap_err();
            assert!(e.contains("--pass-file"), "{e}");
            assert!(!e.contains("secret"), "{e}");
        }
        let o = parse(&args("127.0.0.1"), Some("s3cret".into())).unwrap();
        assert_eq!(o.password, Some(Secret("s3cret".into())));
        assert_eq!(format!("{:?}", o.password), "Some(Secret(<redacted>))");
        assert!(parse(&args("127.0.0.1 --user app"), None).is_err());
    }

    #[test]
    fn flags() {
        let o =
            parse(&args("127.0.0.1:7000 --probe-auth 3 --fail-on medium --json --expect-primary 10.0.0.1:6379"), None)
                .unwrap();
        assert_eq!(o.probe_auth, Some(3));
        assert_eq!(o.fail_on, Some(Severity::Medium));
        assert!(o.json);
        let o = parse(&args("--probe-auth 127.0.0.1 --fail-on never"), None).unwrap();
        assert_eq!(o.probe_auth, Some(DEFAULT_AUTH_PROBES));
        assert_eq!(o.targets.len(), 1);
        assert_eq!(o.fail_on, None);
        assert!(parse(&args("127.0.0.1 --probe-auth 11"), None).is_err());
        assert!(parse(&args(""), None).is_err());
        assert!(parse(&args("--config /x"), None).unwrap().local);
        assert!(parse(&args("--bogus"), None).is_err());
        let o = parse(&args("127.0.0.1 --tls --cacert ca.crt --sni db --cert c.crt --key c.key"), None).unwrap();
        assert!(o.tls && o.sni.as_deref() == Some("db") && o.cert.is_some() && o.key.is_some());
        assert!(parse(&args("127.0.0.1 --tls"), None).unwrap_err().contains("--cacert"));
        assert!(parse(&args("127.0.0.1 --cacert ca.crt"), None).is_err());
        assert!(parse(&args("127.0.0.1 --tls --cacert ca.crt --cert c.crt"), None).is_err());
    }
}
