//! TLS for the remote checks (`--tls --cacert FILE [--sni NAME] [--cert FILE --key FILE]`).
//!
//! The handshake is a real one, with rustls on the `ring` provider (TLS 1.2 and 1.3, as the
//! server side in `redoubt-net`): the server's certificate is verified against `--cacert` for
//! the name `--sni` gives, else the target's host name, else (an IP target) its IP SANs. The
//! handshake is bounded by the per-request timeout (and the audit's deadline). Every remote
//! check then runs over that stream with the same client code ([`crate::client`]).
//!
//! What it adds to the facts ([`TlsFacts`]), judged by [`findings`]: a certificate that does
//! not verify (and why), a server that offers only, or also, TLS 1.0/1.1 (the second found by
//! a bounded raw ClientHello that offers TLS 1.1 at most: rustls never speaks 1.0/1.1), a
//! server that serves clients without a certificate, and a certificate that expires within
//! 30 days. The negotiated version, cipher suite and certificate dates are the evidence.

use crate::cert;
use crate::finding::{finding, Report, Severity};
use crate::options::Options;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{AlertDescription, CertificateError, ClientConfig, ClientConnection, PeerIncompatible, RootCertStore};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A certificate expiring within this many days is a finding.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
/// Within this many days the finding is high.
pub const EXPIRY_URGENT_DAYS: i64 = 7;
/// Largest PEM file read for `--cacert`, `--cert` or `--key`.
const MAX_PEM_BYTES: u64 = 4 << 20;

/// A TLS stream to the audited server.
pub type TlsStream = rustls::StreamOwned<ClientConnection, TcpStream>;

/// The client configurations built from the options, once per audit.
pub struct TlsSetup {
    /// With the client certificate of `--cert/--key`, when given.
    with_cert: Arc<ClientConfig>,
    /// Without a client certificate (to see whether the server requires one).
    without_cert: Arc<ClientConfig>,
    /// `--cert` was given.
    pub has_cert: bool,
    /// `--sni`.
    sni: Option<String>,
}

fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let f = std::fs::File::open(path).map_err(|e| format!("{what} {shown}: {e}"))?;
    let mut buf = Vec::new();
    f.take(MAX_PEM_BYTES + 1).read_to_end(&mut buf).map_err(|e| format!("{what} {shown}: {e}"))?;
    if buf.len() as u64 > MAX_PEM_BYTES {
        return Err(format!("{what} {shown}: larger than 4 MiB; is it the right file?"));
    }
    Ok(buf)
}

fn certificates(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read_pem(path, what)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{what} {}: not PEM certificates ({e})", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{what} {}: no certificate in it", path.display()));
    }
    Ok(certs)
}

impl TlsSetup {
    /// Builds the configurations `--tls` asks for; `Ok(None)` without `--tls`.
    pub fn load(opts: &Options) -> Result<Option<TlsSetup>, String> {
        if !opts.tls {
            return Ok(None);
        }
        let ca = opts.cacert.as_deref().ok_or("--tls needs --cacert FILE")?;
        let mut roots = RootCertStore::empty();
        for c in certificates(ca, "--cacert")? {
            roots.add(c).map_err(|e| format!("--cacert {}: {e}", ca.display()))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = || {
            ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map(|b| b.with_root_certificates(roots.clone()))
                .map_err(|e| format!("TLS: {e}"))
        };
        let finish = |mut c: ClientConfig| {
            // Every connection shows the server's certificate afresh.
            c.resumption = rustls::client::Resumption::disabled();
            Arc::new(c)
        };
        let without_cert = finish(builder()?.with_no_client_auth());
        let with_cert = match (&opts.cert, &opts.key) {
            (Some(crt), Some(key)) => {
                let chain = certificates(crt, "--cert")?;
                let pem = read_pem(key, "--key")?;
                let key_der = PrivateKeyDer::from_pem_slice(&pem)
                    .map_err(|e| format!("--key {}: not a PEM private key ({e})", key.display()))?;
                finish(
                    builder()?
                        .with_client_auth_cert(chain, key_der)
                        .map_err(|e| format!("--cert/--key: {e} (does the key match the certificate?)"))?,
                )
            }
            _ => without_cert.clone(),
        };
        Ok(Some(TlsSetup { with_cert, without_cert, has_cert: opts.cert.is_some(), sni: opts.sni.clone() }))
    }

    /// The name the certificate must carry: `--sni`, else the host (an IP for an IP target).
    pub fn server_name(&self, host: &str) -> Result<ServerName<'static>, String> {
        let name = self.sni.as_deref().unwrap_or(host);
        if let Ok(ip) = name.parse::<IpAddr>() {
            return Ok(ServerName::IpAddress(ip.into()));
        }
        ServerName::try_from(name.to_string()).map_err(|_| format!("'{name}' is not a valid TLS server name"))
    }

    /// The configuration with (when given) or without the client certificate.
    pub fn config(&self, client_cert: bool) -> Arc<ClientConfig> {
        if client_cert {
            self.with_cert.clone()
        } else {
            self.without_cert.clone()
        }
    }
}

/// What one handshake showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Session {
    /// `TLS 1.3`, `TLS 1.2`.
    pub version: String,
    /// The negotiated cipher suite's IANA name.
    pub suite: String,
    /// The name verified (`--sni`, host or IP).
    pub name: String,
    /// The leaf certificate's `notAfter` (Unix seconds).
    pub not_after: Option<i64>,
    /// A client certificate was offered.
    pub client_cert: bool,
}

impl Session {
    /// One line of evidence.
    pub fn describe(&self) -> String {
        let expiry = match self.not_after {
            Some(t) => format!("; certificate valid until {} ({} days left)", cert::show_date(t), days_left(t)),
            None => String::new(),
        };
        format!(
            "{}, {}; certificate verified against --cacert for '{}'{expiry}; client certificate {}",
            self.version,
            self.suite,
            self.name,
            if self.client_cert { "sent" } else { "not sent" }
        )
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn days_left(not_after: i64) -> i64 {
    (not_after - now()).div_euclid(86_400)
}

/// Performs the handshake on `tcp` within `limit`.
pub fn handshake(
    mut tcp: TcpStream,
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    limit: Duration,
) -> io::Result<(TlsStream, Session)> {
    let shown = match &name {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        ServerName::IpAddress(ip) => IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    };
    let client_cert = config.client_auth_cert_resolver.has_certs();
    let mut conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
    let start = Instant::now();
    while conn.is_handshaking() {
        let left = limit.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no TLS handshake within {:.1} s", limit.as_secs_f64()),
            ));
        }
        tcp.set_read_timeout(Some(left))?;
        tcp.set_write_timeout(Some(left))?;
        match conn.complete_io(&mut tcp) {
            Ok((0, 0)) if conn.is_handshaking() && !conn.wants_write() => {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no TLS handshake within {:.1} s", limit.as_secs_f64()),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
        other => format!("{other:?}"),
    };
    let suite = conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default();
    let not_after = conn.peer_certificates().and_then(|c| c.first()).and_then(|c| cert::not_after(c));
    let session = Session { version, suite, name: shown, not_after, client_cert };
    Ok((rustls::StreamOwned::new(conn, tcp), session))
}

/// Why a TLS connection failed, read from the transport error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The certificate does not verify: (short reason, detail).
    Verify(&'static str, String),
    /// The server speaks neither TLS 1.2 nor 1.3.
    OldProtocol(String),
    /// The server requires a client certificate and none was sent.
    ClientCertRequired(String),
    /// The server refused the client certificate sent.
    ClientCertRefused(String),
    /// No TLS here (plaintext, silence, a closed connection), or another TLS error.
    NotTls(String),
}

fn rustls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

/// Classifies a connect, handshake or first-read error; `client_cert` says whether one was
/// offered.
pub fn classify(e: &io::Error, client_cert: bool) -> Failure {
    use rustls::Error as E;
    let text = e.to_string();
    match rustls_error(e) {
        Some(E::InvalidCertificate(c)) => {
            let why = match c {
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired",
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => "not valid yet",
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => "wrong name",
                CertificateError::UnknownIssuer => "unknown issuer",
                CertificateError::BadSignature => "bad signature",
                CertificateError::Revoked => "revoked",
                CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                    "not a server certificate"
                }
                _ => "invalid",
            };
            Failure::Verify(why, text)
        }
        Some(E::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13))
        | Some(E::AlertReceived(AlertDescription::ProtocolVersion)) => Failure::OldProtocol(text),
        Some(E::AlertReceived(AlertDescription::CertificateRequired)) if !client_cert => {
            Failure::ClientCertRequired(text)
        }
        Some(E::AlertReceived(AlertDescription::HandshakeFailure)) if !client_cert => {
            Failure::ClientCertRequired(format!("{text} (a TLS 1.2 server that requires a client certificate says so)"))
        }
        Some(E::AlertReceived(
            AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateExpired
            | AlertDescription::AccessDenied,
        )) if client_cert => Failure::ClientCertRefused(text),
        _ => Failure::NotTls(text),
    }
}

/// The oldest protocol probe: a ClientHello that offers TLS 1.1 at most. `Ok(Some(version))`
/// when the server answers with a ServerHello for TLS 1.0 or 1.1, `Ok(None)` when it refuses.
pub fn old_protocol_probe(addr: SocketAddr, sni: Option<&str>, limit: Duration) -> io::Result<Option<&'static str>> {
    let mut s = TcpStream::connect_timeout(&addr, limit)?;
    s.set_read_timeout(Some(limit))?;
    s.set_write_timeout(Some(limit))?;
    s.write_all(&old_client_hello(sni))?;
    let mut got = Vec::with_capacity(11);
    let mut buf = [0u8; 11];
    let start = Instant::now();
    while got.len() < 11 && start.elapsed() < limit {
        match s.read(&mut buf[..11 - got.len()]) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => break,
            Err(e) if got.is_empty() && e.kind() == io::ErrorKind::ConnectionReset => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(server_hello_version(&got))
}

/// The protocol of a ServerHello at the start of `reply`, when it is TLS 1.0 or 1.1.
pub fn server_hello_version(reply: &[u8]) -> Option<&'static str> {
    // record: type 22 (handshake), version, length; handshake: type 2 (ServerHello), length(3),
    // server_version.
    if reply.len() < 11 || reply[0] != 0x16 || reply[5] != 0x02 {
        return None;
    }
    match (reply[9], reply[10]) {
        (3, 1) => Some("TLS 1.0"),
        (3, 2) => Some("TLS 1.1"),
        _ => None,
    }
}

/// A ClientHello offering TLS 1.0-1.1 with the ECDHE and RSA CBC suites those versions used.
fn old_client_hello(sni: Option<&str>) -> Vec<u8> {
    fn u16b(v: usize) -> [u8; 2] {
        [(v >> 8) as u8, v as u8]
    }
    let suites: [u16; 7] = [0xc009, 0xc00a, 0xc013, 0xc014, 0x002f, 0x0035, 0x000a];
    let mut body = vec![3, 2];
    body.extend((0..32).map(|_| fastrand::u8(..)));
    body.push(0); // session id
    body.extend(u16b(suites.len() * 2));
    for s in suites {
        body.extend(s.to_be_bytes());
    }
    body.extend([1, 0]); // null compression
    let mut ext = Vec::new();
    if let Some(name) = sni.filter(|n| n.parse::<IpAddr>().is_err() && n.len() < 256) {
        let n = name.as_bytes();
        ext.extend([0, 0]);
        ext.extend(u16b(n.len() + 5));
        ext.extend(u16b(n.len() + 3));
        ext.push(0);
        ext.extend(u16b(n.len()));
        ext.extend(n);
    }
    ext.extend([0x00, 0x0a, 0, 8, 0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]); // supported groups
    ext.extend([0x00, 0x0b, 0, 2, 1, 0]); // ec point formats: uncompressed
    body.extend(u16b(ext.len()));
    body.extend(ext);
    let mut hs = vec![1, 0];
    hs.extend(u16b(body.len()));
    hs.extend(body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend(u16b(hs.len()));
    rec.extend(hs);
    rec
}

/// What `--tls` found about one server.
#[derive(Clone, Debug, Default)]
pub struct TlsFacts {
    /// The handshake that carried the checks.
    pub session: Option<Session>,
    /// Why no session could be made.
    pub failure: Option<Failure>,
    /// Without a client certificate: `Some(false)` when the server still answered,
    /// `Some(true)` when it refused; `None` not checked.
    pub client_cert_required: Option<bool>,
    /// How it answered without one (evidence).
    pub without_cert_evidence: String,
    /// The raw TLS 1.1 ClientHello was answered with this protocol.
    pub old_protocol: Option<&'static str>,
    /// A plaintext port the server also listens on (CONFIG GET port).
    pub plaintext_port: Option<String>,
}

/// The findings and notes of [`TlsFacts`]; `wide` says the server is reachable beyond
/// loopback.
pub fn findings(t: &str, tls: &TlsFacts, wide: bool, report: &mut Report) {
    if let Some(failure) = &tls.failure {
        match failure {
            Failure::Verify(why, detail) => {
                let fix = match *why {
                    "expired" | "not valid yet" => {
                        "renew the server certificate (redoubt tls init makes a CA and certificates) and reload it: \
                         Redoubt reloads on SIGHUP or when the file changes; Redis: CONFIG SET tls-cert-file <file>"
                    }
                    "wrong name" => {
                        "issue the certificate for the names clients use (redoubt tls init --host NAME --ip ADDR), or \
                         audit with --sni set to the name clients verify"
                    }
                    "unknown issuer" => {
                        "give --cacert the CA clients trust; if it is that CA, the server presents a certificate it \
                         did not sign: replace it (and check nobody intercepts the connection)"
                    }
                    _ => {
                        "replace the server certificate with one signed by the CA clients trust, for the names they use"
                    }
                };
                report.add(finding(
                    "tls.verify",
                    Severity::High,
                    t,
                    format!(
                        "the server's certificate does not verify against --cacert ({why}): clients that verify \
                         cannot connect, and clients that do not cannot tell the server from an impostor"
                    ),
                    detail.clone(),
                    fix,
                ));
                report
                    .note(t, "no credentials or checks were sent over a connection whose certificate does not verify");
            }
            Failure::OldProtocol(detail) => report.add(finding(
                "tls.old-protocol",
                if wide { Severity::High } else { Severity::Medium },
                t,
                "the server speaks neither TLS 1.2 nor TLS 1.3 (only TLS 1.0/1.1, or SSL)",
                detail.clone(),
                OLD_PROTOCOL_FIX,
            )),
            Failure::ClientCertRequired(detail) => {
                report.note(t, format!("the server requires a client certificate (good): {detail}"));
            }
            Failure::ClientCertRefused(_) | Failure::NotTls(_) => {}
        }
    }
    let Some(session) = &tls.session else { return };
    report.note(t, format!("TLS: {}", session.describe()));
    if let Some(p) = &tls.plaintext_port {
        report.note(t, format!("the server also listens in plaintext on port {p}: audit that port too"));
    }
    if let Some(v) = tls.old_protocol {
        report.add(finding(
            "tls.old-protocol",
            if wide { Severity::High } else { Severity::Medium },
            t,
            format!("the server also negotiates {v}, which is deprecated (RFC 8996)"),
            format!(
                "a ClientHello offering at most TLS 1.1 was answered with a ServerHello for {v}; with rustls: {}",
                session.describe()
            ),
            OLD_PROTOCOL_FIX,
        ));
    }
    match tls.client_cert_required {
        Some(false) => report.add(finding(
            "tls.client-cert-optional",
            if wide { Severity::Low } else { Severity::Info },
            t,
            "the server serves clients without a client certificate: anyone who can reach the port gets as far \
             as AUTH",
            format!("without a client certificate: {}; {}", tls.without_cert_evidence, session.describe()),
            "tls-auth-clients yes (the default of Redis and Redoubt) and give each client a certificate \
             (redoubt tls init --client NAME); with Redoubt, tls-auth-clients-user CN logs the client in as that user",
        )),
        Some(true) => {
            report.note(t, format!("the server requires a client certificate: {}", tls.without_cert_evidence))
        }
        None => {}
    }
    if let Some(not_after) = session.not_after {
        let days = days_left(not_after);
        if days < EXPIRY_WARNING_DAYS {
            report.add(finding(
                "tls.cert-expiring",
                if days < EXPIRY_URGENT_DAYS { Severity::High } else { Severity::Medium },
                t,
                format!("the server's certificate expires in {days} day(s): then every verifying client is refused"),
                session.describe(),
                "renew the certificate now (redoubt tls init makes new ones) and reload it: Redoubt reloads on \
                 SIGHUP or when the file changes; Redis: CONFIG SET tls-cert-file <file>",
            ));
        }
    }
}

const OLD_PROTOCOL_FIX: &str = "tls-protocols \"TLSv1.2 TLSv1.3\" (Redis's default; Redoubt accepts nothing older), \
                                and upgrade clients that need TLS 1.0/1.1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_is_well_formed() {
        let hello = old_client_hello(Some("db.internal"));
        assert_eq!(&hello[..3], &[0x16, 3, 1]);
        assert_eq!(u16::from_be_bytes([hello[3], hello[4]]) as usize, hello.len() - 5);
        assert_eq!(hello[5], 1);
        let hs_len = u32::from_be_bytes([0, hello[6], hello[7], hello[8]]) as usize;
        assert_eq!(hs_len, hello.len() - 9);
        assert_eq!(&hello[9..11], &[3, 2]);
        assert!(hello.windows(11).any(|w| w == b"db.internal"));
        // An IP is never sent as SNI.
        assert!(!old_client_hello(Some("127.0.0.1")).windows(9).any(|w| w == b"127.0.0.1"));
    }

    #[test]
    fn server_hello_versions() {
        let hello = |v: u8| [0x16, 3, v, 0, 80, 2, 0, 0, 76, 3, v];
        assert_eq!(server_hello_version(&hello(1)), Some("TLS 1.0"));
        assert_eq!(server_hello_version(&hello(2)), Some("TLS 1.1"));
        assert_eq!(server_hello_version(&hello(3)), None);
        // An alert (protocol_version), a short reply, plaintext.
        assert_eq!(server_hello_version(&[0x15, 3, 1, 0, 2, 2, 70]), None);
        assert_eq!(server_hello_version(b"-ERR unknown"), None);
    }

    #[test]
    fn errors_are_classified() {
        let io = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
        let c = classify(&io(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)), false);
        assert!(matches!(c, Failure::Verify("unknown issuer", _)), "{c:?}");
        let c = classify(&io(rustls::Error::InvalidCertificate(CertificateError::Expired)), false);
        assert!(matches!(c, Failure::Verify("expired", _)));
        let c = classify(&io(rustls::Error::AlertReceived(AlertDescription::CertificateRequired)), false);
        assert!(matches!(c, Failure::ClientCertRequired(_)));
        let c = classify(&io(rustls::Error::AlertReceived(AlertDescription::UnknownCA)), true);
        assert!(matches!(c, Failure::ClientCertRefused(_)));
        let c = classify(&io(rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13)), false);
        assert!(matches!(c, Failure::OldProtocol(_)));
        assert!(matches!(classify(&io::Error::from(io::ErrorKind::UnexpectedEof), false), Failure::NotTls(_)));
    }
}
