//! From checked settings to a rustls `ServerConfig`: reading the certificate, key and CA
//! files (PEM), refusing a key file others can read, and the stamps of those files that the
//! reload watcher compares.

use super::settings::{ClientAuth, TlsSettings};
use redoubt_security::sha256_hex;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest certificate, key or CA file read (a CA bundle of a few hundred certificates fits).
const MAX_PEM_BYTES: u64 = 4 << 20;

/// Most files read from `tls-ca-cert-dir`.
const MAX_CA_DIR_FILES: usize = 4096;

/// A built configuration and what to log about it.
pub(crate) struct Built {
    /// For the acceptor.
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the server's leaf certificate (hex), for the log.
    pub fingerprint: String,
    /// CA certificates loaded.
    pub roots: usize,
}

/// What identifies a file's content cheaply: inode, size, modification time (ns).
type Stamp = Option<(u64, u64, i64, i64)>;

/// The stamps of every file the settings read; a difference means "reload".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stamps(Vec<(PathBuf, Stamp)>);

fn stamp(path: &Path) -> Stamp {
    std::fs::metadata(path).ok().map(|m| (m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
}

/// Stamps of the certificate, key, CA file, CA directory and the files in it.
pub(crate) fn stamps(s: &TlsSettings) -> Stamps {
    let mut v = Vec::new();
    for p in [Some(&s.cert_file), Some(&s.key_file), s.ca_file.as_ref(), s.ca_dir.as_ref()].into_iter().flatten() {
        v.push((p.clone(), stamp(p)));
    }
    if let Some(dir) = &s.ca_dir {
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).take(MAX_CA_DIR_FILES).collect();
            files.sort();
            for f in files {
                let st = stamp(&f);
                v.push((f, st));
            }
        }
    }
    Stamps(v)
}

/// Reads a file of at most [`MAX_PEM_BYTES`]; with `private`, refuses one that group or
/// others may read (checked on the opened file, so a swap between check and read is moot).
fn read_file(path: &Path, what: &str, private: bool) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let f = std::fs::File::open(path).map_err(|e| format!("{what} {shown}: {e}"))?;
    let meta = f.metadata().map_err(|e| format!("{what} {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{what} {shown} is not a regular file"));
    }
    let mode = meta.mode() & 0o777;
    if private && mode & 0o077 != 0 {
        return Err(format!(
            "{what} {shown} has mode {mode:04o}, open to group or others; fix it with: chmod 600 {shown}"
        ));
    }
    if meta.len() > MAX_PEM_BYTES {
        return Err(format!("{what} {shown} is larger than {} MiB; is it the right file?", MAX_PEM_BYTES >> 20));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(MAX_PEM_BYTES).read_to_end(&mut bytes).map_err(|e| format!("{what} {shown}: {e}"))?;
    Ok(bytes)
}

/// Every certificate in a PEM file; at least one.
fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read_file(path, what, false)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} {}: not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{what} {} holds no certificate (expected -----BEGIN CERTIFICATE-----)", path.display()));
    }
    Ok(certs)
}

/// The private key (PKCS#8, PKCS#1 or SEC1 PEM) of a 0600 file.
fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = read_file(path, "tls-key-file", true)?;
    if bytes.windows(9).any(|w| w == b"ENCRYPTED") {
        return Err(format!(
            "tls-key-file {}: encrypted private keys are not supported; keep the key unencrypted with mode 0600",
            path.display()
        ));
    }
    // The error never quotes the file: it is a secret.
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| {
        format!(
            "tls-key-file {}: no private key found (expected PEM: BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)",
            path.display()
        )
    })
}

/// The CA certificates of `tls-ca-cert-file` and of every file in `tls-ca-cert-dir` (files
/// without a certificate there are skipped, as OpenSSL's lookup skips them).
fn load_roots(s: &TlsSettings) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    if let Some(file) = &s.ca_file {
        for cert in load_certs(file, "tls-ca-cert-file")? {
            roots.add(cert).map_err(|e| {
                format!("tls-ca-cert-file {}: a certificate is not usable as a CA: {e}", file.display())
            })?;
        }
    }
    if let Some(dir) = &s.ca_dir {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("tls-ca-cert-dir {}: {e}", dir.display()))?;
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).take(MAX_CA_DIR_FILES).collect();
        files.sort();
        for f in files.iter().filter(|f| f.is_file()) {
            let Ok(bytes) = read_file(f, "tls-ca-cert-dir file", false) else { continue };
            let certs = CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok);
            roots.add_parsable_certificates(certs);
        }
    }
    if roots.is_empty() && s.client_auth != ClientAuth::No {
        return Err("no CA certificate found in tls-ca-cert-file / tls-ca-cert-dir".into());
    }
    Ok(roots)
}

/// Reads the files and builds the server configuration.
pub(crate) fn build(s: &TlsSettings) -> Result<Built, String> {
    let certs = load_certs(&s.cert_file, "tls-cert-file")?;
    let key = load_key(&s.key_file)?;
    let roots = load_roots(s)?;
    let root_count = roots.len();
    let fingerprint = sha256_hex(certs[0].as_ref());

    let provider =
        Arc::new(CryptoProvider { cipher_suites: s.suites.clone(), ..rustls::crypto::ring::default_provider() });
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&s.versions())
        .map_err(|e| format!("tls-protocols / tls-ciphers: {e}"))?;
    let builder = match s.client_auth {
        ClientAuth::No => builder.with_no_client_auth(),
        auth => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if auth == ClientAuth::Optional { verifier.allow_unauthenticated() } else { verifier };
            builder.with_client_cert_verifier(
                verifier.build().map_err(|e| format!("tls-ca-cert-file / tls-ca-cert-dir: {e}"))?,
            )
        }
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        format!(
            "tls-cert-file {} / tls-key-file {}: {e} (does the key belong to the certificate?)",
            s.cert_file.display(),
            s.key_file.display()
        )
    })?;
    config.ignore_client_order = s.prefer_server_ciphers;
    match s.session_cache {
        Some(size) => config.session_storage = ServerSessionMemoryCache::new(size),
        None => {
            config.session_storage = Arc::new(NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
    }
    Ok(Built { config: Arc::new(config), fingerprint, roots: root_count })
}
