//! `redoubt tls init DIR`: everything a TLS deployment needs, made in one command with no
//! openssl: a private CA, a server certificate for the hostnames and addresses given, and one
//! client certificate per user CN given (issue 4 §4, THREATS.md T18).
//!
//! - DIR is created 0700 (an existing DIR must already be private: nothing is written into a
//!   directory others can read); every key file is created 0600 with `O_EXCL`, so nothing is
//!   ever overwritten, least of all an existing CA key.
//! - Keys are ECDSA P-256, signatures SHA-256 (every TLS 1.2/1.3 client, OpenSSL's redis-cli
//!   among them, speaks them). The CA is valid 10 years and may sign end certificates only
//!   (path length 0); server and client certificates 2 years, with the `serverAuth` and
//!   `clientAuth` extended key usages respectively.
//! - The server certificate names the `--host` names and `--ip` addresses, plus `localhost`,
//!   `127.0.0.1` and `::1` so that a client on the machine itself always verifies it.
//! - A client certificate's subject CN is the user name it logs in as when the server has
//!   `tls-auth-clients-user CN`; CNs are limited to `[A-Za-z0-9._@-]`, 64 characters.
//!
//! It then prints the config lines and the redis-cli command that connects.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::net::IpAddr;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::{Duration, OffsetDateTime};

const USAGE: &str = "\
Usage:
  redoubt tls init DIR [--host NAME]... [--ip ADDR]... [--client CN]... [--port PORT]

Creates in DIR (made 0700; an existing DIR must be private):
  ca.crt, ca.key                  a new certificate authority (keep ca.key offline once done)
  server.crt, server.key          the server's certificate: localhost, 127.0.0.1, ::1 and
                                  every --host NAME and --ip ADDR
  client-CN.crt, client-CN.key    one client certificate per --client CN (the CN is the
                                  user it logs in as with tls-auth-clients-user CN)
Key files are 0600 and nothing is overwritten. Then prints the config lines (TLS on PORT,
default 6379, and no plaintext port) and the redis-cli command that connects.";

/// The loopback names every server certificate carries.
const LOOPBACK_HOSTS: &[&str] = &["localhost"];
const LOOPBACK_IPS: &[&str] = &["127.0.0.1", "::1"];

/// Longest CN (X.509's ub-common-name).
const MAX_CN: usize = 64;

/// What `redoubt tls init` makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitOptions {
    /// The directory to create (or a private, empty-enough existing one).
    pub dir: PathBuf,
    /// DNS names of the server certificate, besides `localhost`.
    pub hosts: Vec<String>,
    /// Addresses of the server certificate, besides 127.0.0.1 and ::1.
    pub ips: Vec<IpAddr>,
    /// One client certificate per CN.
    pub clients: Vec<String>,
    /// The TLS port in the printed config and command.
    pub port: u16,
}

/// Where `init` wrote what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// The directory, absolute.
    pub dir: PathBuf,
    /// CA certificate and key.
    pub ca: (PathBuf, PathBuf),
    /// Server certificate and key.
    pub server: (PathBuf, PathBuf),
    /// `(CN, certificate, key)` of each client.
    pub clients: Vec<(String, PathBuf, PathBuf)>,
    /// The TLS port.
    pub port: u16,
}

/// `redoubt tls ...` with the arguments after `tls`; prints to stdout/stderr.
pub fn main(args: Vec<String>) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("init") => {}
        Some("--help" | "-h" | "help") | None => {
            println!("{USAGE}");
            return if args.is_empty() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
        Some(other) => {
            eprintln!("redoubt tls: unknown command '{other}'\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let opts = match parse_args(&args[1..]) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("redoubt tls init: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match init(&opts) {
        Ok(g) => {
            print!("{}", instructions(&g));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("redoubt tls init: {e}");
            ExitCode::from(1)
        }
    }
}

/// Parses `DIR [--host NAME]... [--ip ADDR]... [--client CN]... [--port PORT]`; `Ok(None)`
/// for `--help`.
pub fn parse_args(args: &[String]) -> Result<Option<InitOptions>, String> {
    let mut dir = None;
    let mut opts =
        InitOptions { dir: PathBuf::new(), hosts: Vec::new(), ips: Vec::new(), clients: Vec::new(), port: 6379 };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--host" => {
                let h = value("--host")?;
                check_host(&h)?;
                opts.hosts.push(h.to_ascii_lowercase());
            }
            "--ip" => {
                let v = value("--ip")?;
                opts.ips.push(v.parse().map_err(|_| format!("--ip {v}: not an IPv4 or IPv6 address"))?);
            }
            "--client" => {
                let cn = value("--client")?;
                check_cn(&cn)?;
                if opts.clients.contains(&cn) {
                    return Err(format!("--client {cn} is given twice"));
                }
                opts.clients.push(cn);
            }
            "--port" => {
                let v = value("--port")?;
                opts.port =
                    v.parse().ok().filter(|&p| p != 0).ok_or_else(|| format!("--port {v}: expected 1-65535"))?;
            }
            a if a.starts_with('-') => return Err(format!("unknown option {a}")),
            a => match &dir {
                None => dir = Some(PathBuf::from(a)),
                Some(d) => return Err(format!("unexpected argument {a} (DIR is {})", d.display())),
            },
        }
    }
    opts.dir = dir.ok_or("missing DIR")?;
    Ok(Some(opts))
}

/// A DNS name for a SAN: letters, digits, `-` and `.`, an optional leading `*.` label.
fn check_host(h: &str) -> Result<(), String> {
    let body = h.strip_prefix("*.").unwrap_or(h);
    let ok = !body.is_empty()
        && h.len() <= 253
        && body.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("--host {h}: not a DNS name (use --ip for an address)"))
    }
}

/// A client CN: it becomes a user name and a file name, so only `[A-Za-z0-9._@-]`.
fn check_cn(cn: &str) -> Result<(), String> {
    let ok = !cn.is_empty()
        && cn.len() <= MAX_CN
        && !cn.starts_with('.')
        && !cn.starts_with('-')
        && cn.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!("--client {cn}: a CN is 1-{MAX_CN} characters of A-Z a-z 0-9 . _ @ - (not starting with . or -)"))
    }
}

/// Creates the CA, the server certificate and the client certificates in `opts.dir`.
pub fn init(opts: &InitOptions) -> Result<Generated, String> {
    let dir = prepare_dir(&opts.dir)?;
    let ca = (dir.join("ca.crt"), dir.join("ca.key"));
    let server = (dir.join("server.crt"), dir.join("server.key"));
    let clients: Vec<(String, PathBuf, PathBuf)> = opts
        .clients
        .iter()
        .map(|cn| (cn.clone(), dir.join(format!("client-{cn}.crt")), dir.join(format!("client-{cn}.key"))))
        .collect();
    // Refuse before writing anything: a half-made directory helps nobody.
    let targets = [&ca.0, &ca.1, &server.0, &server.1].into_iter().chain(clients.iter().flat_map(|(_, c, k)| [c, k]));
    for path in targets {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(format!("{} exists; refusing to overwrite it (choose a new DIR)", path.display()));
        }
    }

    let now = OffsetDateTime::now_utc();

    // The CA.
    let ca_key = KeyPair::generate().map_err(err("CA key"))?;
    let tag: String = ca_key.public_key_raw().iter().rev().take(4).map(|b| format!("{b:02x}")).collect();
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = name(&format!("Redoubt CA {tag}"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    ca_params.not_before = now - Duration::hours(1);
    ca_params.not_after = now + Duration::days(3650);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(err("CA certificate"))?;
    let issuer = Issuer::new(ca_params, ca_key);

    // The server.
    let mut sans: Vec<SanType> = Vec::new();
    for h in LOOPBACK_HOSTS.iter().map(|h| h.to_string()).chain(opts.hosts.iter().cloned()) {
        let san = SanType::DnsName(h.clone().try_into().map_err(|e| format!("--host {h}: {e}"))?);
        if !sans.contains(&san) {
            sans.push(san);
        }
    }
    let loopback_ips = LOOPBACK_IPS.iter().map(|a| a.parse::<IpAddr>().expect("literal address"));
    for ip in loopback_ips.chain(opts.ips.iter().copied()) {
        if !sans.contains(&SanType::IpAddress(ip)) {
            sans.push(SanType::IpAddress(ip));
        }
    }
    let server_cn = opts.hosts.first().map(String::as_str).unwrap_or("localhost");
    let server_key = KeyPair::generate().map_err(err("server key"))?;
    let mut params = leaf_params(server_cn, now);
    params.subject_alt_names = sans;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = params.signed_by(&server_key, &issuer).map_err(err("server certificate"))?;

    // The clients.
    let mut client_files = Vec::new();
    for (cn, crt, key) in &clients {
        let client_key = KeyPair::generate().map_err(err("client key"))?;
        let mut params = leaf_params(cn, now);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&client_key, &issuer).map_err(err(&format!("certificate of {cn}")))?;
        client_files.push((crt, cert.pem(), key, client_key.serialize_pem()));
    }

    // Keys first, each created 0600 with O_EXCL; then the certificates.
    write_new(&ca.1, issuer.key().serialize_pem().as_bytes(), 0o600)?;
    write_new(&server.1, server_key.serialize_pem().as_bytes(), 0o600)?;
    for (_, _, key, key_pem) in &client_files {
        write_new(key, key_pem.as_bytes(), 0o600)?;
    }
    write_new(&ca.0, ca_cert.pem().as_bytes(), 0o644)?;
    write_new(&server.0, server_cert.pem().as_bytes(), 0o644)?;
    for (crt, cert_pem, _, _) in &client_files {
        write_new(crt, cert_pem.as_bytes(), 0o644)?;
    }
    Ok(Generated { dir, ca, server, clients, port: opts.port })
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// The message of an rcgen failure while making `what`.
fn err(what: &str) -> impl Fn(rcgen::Error) -> String + '_ {
    move |e| format!("cannot create the {what}: {e}")
}

/// An end certificate valid 2 years, signed by the CA (with its key identifier).
fn leaf_params(cn: &str, now: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(cn);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(730);
    params
}

/// Creates `dir` 0700, or checks that an existing one is a private directory. Returns it
/// absolute.
fn prepare_dir(dir: &Path) -> Result<PathBuf, String> {
    let shown = dir.display();
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => {
            if !meta.is_dir() {
                return Err(format!("{shown} exists and is not a directory"));
            }
            let mode = meta.mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(format!(
                    "{shown} has mode {mode:04o}, open to group or others: private keys go there; choose a new \
                     directory or chmod 700 {shown}"
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("cannot create {shown}: {e}"))?;
            // The umask may only have removed bits; make the mode exact.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("cannot chmod 700 {shown}: {e}"))?;
        }
        Err(e) => return Err(format!("{shown}: {e}")),
    }
    std::fs::canonicalize(dir).map_err(|e| format!("{shown}: {e}"))
}

/// Writes a new file with exactly `mode`; fails if anything exists at `path`.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let shown = path.display();
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| format!("cannot create {shown}: {e}"))?;
    f.set_permissions(std::fs::Permissions::from_mode(mode)).map_err(|e| format!("cannot chmod {shown}: {e}"))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(|e| format!("cannot write {shown}: {e}"))
}

/// What to tell the operator: the files, the config lines, the redis-cli command.
pub fn instructions(g: &Generated) -> String {
    let p = |path: &PathBuf| path.display().to_string();
    let mut s = String::new();
    s.push_str(&format!("# Created in {} (mode 0700; key files 0600):\n", g.dir.display()));
    s.push_str(&format!("#   {}  the CA: clients trust it (--cacert)\n", p(&g.ca.0)));
    s.push_str(&format!(
        "#   {}  the CA's key: it can sign certificates the server accepts; keep it offline once done\n",
        p(&g.ca.1)
    ));
    s.push_str(&format!("#   {}, {}  the server's certificate and key\n", p(&g.server.0), p(&g.server.1)));
    for (cn, crt, key) in &g.clients {
        s.push_str(&format!("#   {}, {}  client certificate of '{cn}'\n", p(crt), p(key)));
    }
    s.push_str("#\n# Config lines for the server (TLS only: no plaintext port):\n");
    s.push_str("port 0\n");
    s.push_str(&format!("tls-port {}\n", g.port));
    s.push_str(&format!("tls-cert-file {}\n", p(&g.server.0)));
    s.push_str(&format!("tls-key-file {}\n", p(&g.server.1)));
    s.push_str(&format!("tls-ca-cert-file {}\n", p(&g.ca.0)));
    if g.clients.is_empty() {
        s.push_str("tls-auth-clients no\n");
        s.push_str("#\n# Connect:\n");
        s.push_str(&format!("redis-cli --tls --cacert {} -p {}\n", p(&g.ca.0), g.port));
    } else {
        s.push_str("tls-auth-clients yes\n");
        s.push_str("# and, to log each client certificate in as the user its CN names:\n");
        s.push_str("# tls-auth-clients-user CN\n");
        s.push_str("#\n# Connect:\n");
        for (_, crt, key) in &g.clients {
            s.push_str(&format!(
                "redis-cli --tls --cacert {} --cert {} --key {} -p {}\n",
                p(&g.ca.0),
                p(crt),
                p(key),
                g.port
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("redoubt-tlsgen-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn parses_options() {
        let o = parse_args(&args("d --host Db.Example --ip 10.0.0.1 --client alice --client bob --port 7000"))
            .unwrap()
            .unwrap();
        assert_eq!(o.dir, PathBuf::from("d"));
        assert_eq!(o.hosts, ["db.example"]);
        assert_eq!(o.ips, ["10.0.0.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(o.clients, ["alice", "bob"]);
        assert_eq!(o.port, 7000);
        assert!(parse_args(&args("--host x")).unwrap_err().contains("missing DIR"));
        assert!(parse_args(&args("d --client a/b")).unwrap_err().contains("CN is"));
        assert!(parse_args(&args("d --client a --client a")).unwrap_err().contains("twice"));
        assert!(parse_args(&args("d --host a_b")).unwrap_err().contains("DNS name"));
        assert!(parse_args(&args("d --ip 1.2.3")).unwrap_err().contains("not an IPv4"));
        assert!(parse_args(&args("d e")).unwrap_err().contains("unexpected"));
        assert!(parse_args(&args("d --port 0")).is_err());
        assert_eq!(parse_args(&args("--help")).unwrap(), None);
    }

    #[test]
    fn makes_private_files_and_never_overwrites() {
        let dir = scratch("files");
        let opts = InitOptions {
            dir: dir.clone(),
            hosts: vec!["db.example".into()],
            ips: vec![],
            clients: vec!["alice".into()],
            port: 6390,
        };
        let g = init(&opts).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        for key in [&g.ca.1, &g.server.1, &g.clients[0].2] {
            assert_eq!(std::fs::metadata(key).unwrap().mode() & 0o777, 0o600, "{}", key.display());
            assert!(std::fs::read_to_string(key).unwrap().starts_with("-----BEGIN PRIVATE KEY-----"));
        }
        for crt in [&g.ca.0, &g.server.0, &g.clients[0].1] {
            assert!(std::fs::read_to_string(crt).unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
        }
        let text = instructions(&g);
        assert!(text.contains("\nport 0\ntls-port 6390\n"), "{text}");
        assert!(text.contains("tls-auth-clients yes"), "{text}");
        assert!(text.contains(&format!("--cert {}", g.clients[0].1.display())), "{text}");
        // A second run refuses, and leaves the CA key as it was.
        let before = std::fs::read(&g.ca.1).unwrap();
        assert!(init(&opts).unwrap_err().contains("refusing to overwrite"));
        assert_eq!(std::fs::read(&g.ca.1).unwrap(), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_shared_directory() {
        let dir = scratch("shared");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let opts = InitOptions { dir: dir.clone(), hosts: vec![], ips: vec![], clients: vec![], port: 6379 };
        let e = init(&opts).unwrap_err();
        assert!(e.contains("chmod 700"), "{e}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
