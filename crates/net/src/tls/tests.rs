//! The handshake in-process: certificates from `redoubt tls init`'s library, a rustls client
//! over loopback. (tests/tls.rs drives the real binary with redis-cli and the redis crate.)

use super::*;
use redoubt_tlsgen::{init, Generated, InitOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn certs(name: &str, clients: &[&str]) -> Generated {
    let dir = std::env::temp_dir().join(format!("redoubt-tls-unit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    init(&InitOptions {
        dir,
        hosts: vec![],
        ips: vec![],
        clients: clients.iter().map(|c| c.to_string()).collect(),
        port: 6379,
    })
    .unwrap()
}

fn config(g: &Generated, extra: &str) -> Config {
    let text = format!(
        "tls-port 6390\ntls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\n{extra}",
        g.server.0.display(),
        g.server.1.display(),
        g.ca.0.display()
    );
    Config::parse_str(&text, "t.conf").unwrap()
}

fn client_config(g: &Generated, client: Option<&(String, PathBuf, PathBuf)>) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(&g.ca.0).unwrap()).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    Arc::new(match client {
        None => builder.with_no_client_auth(),
        Some((_, crt, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(crt).unwrap()],
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap(),
    })
}

/// Runs one server handshake against `client` (a closure driving the client side of a
/// loopback connection); returns the server's result.
async fn one_handshake<F, Fut>(tls: &Tls, client: F) -> Option<Accepted>
where
    F: FnOnce(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(client(addr));
    let (stream, peer) = listener.accept().await.unwrap();
    let out = tls.handshake(stream, peer).await;
    if let Some(a) = out {
        let mut s = a.stream;
        // Answer one line so the client can tell it got through.
        let mut buf = [0u8; 6];
        let _ = s.read_exact(&mut buf).await;
        let _ = s.write_all(b"+PONG\r\n").await;
        let _ = s.flush().await;
        let _ = task.await;
        return Some(Accepted { stream: s, client_cn: a.client_cn });
    }
    let _ = task.await;
    None
}

async fn tls_client(addr: SocketAddr, cfg: Arc<rustls::ClientConfig>) -> Result<String, String> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(cfg);
    let mut s = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.map_err(|e| e.to_string())?;
    s.write_all(b"PING\r\n").await.map_err(|e| e.to_string())?;
    let mut line = vec![0u8; 7];
    s.read_exact(&mut line).await.map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&line).into_owned())
}

#[tokio::test]
async fn client_certificate_cn_is_the_identity() {
    let g = certs("cn", &["alice"]);
    let tls = Tls::load(&config(&g, "")).unwrap().unwrap();
    let cfg = client_config(&g, Some(&g.clients[0]));
    let got = one_handshake(&tls, move |addr| async move {
        assert_eq!(tls_client(addr, cfg).await.unwrap(), "+PONG\r\n");
    })
    .await
    .expect("handshake");
    assert_eq!(got.client_cn.as_deref(), Some("alice"));
    assert_eq!(tls.stats.handshakes.load(Ordering::Relaxed), 1);
    std::fs::remove_dir_all(&g.dir).unwrap();
}

#[tokio::test]
async fn auth_clients_yes_no_optional() {
    let g = certs("modes", &["bob"]);
    // yes (the default): no certificate, no connection.
    let tls = Tls::load(&config(&g, "")).unwrap().unwrap();
    let cfg = client_config(&g, None);
    assert!(one_handshake(&tls, move |addr| async move {
        assert!(tls_client(addr, cfg).await.is_err());
    })
    .await
    .is_none());
    assert_eq!(tls.stats.handshake_failures.load(Ordering::Relaxed), 1);

    // optional: served without one (no identity), and with one (its CN).
    let tls = Tls::load(&config(&g, "tls-auth-clients optional\n")).unwrap().unwrap();
    let cfg = client_config(&g, None);
    let got = one_handshake(&tls, move |addr| async move {
        assert_eq!(tls_client(addr, cfg).await.unwrap(), "+PONG\r\n");
    })
    .await
    .unwrap();
    assert_eq!(got.client_cn, None);
    let cfg = client_config(&g, Some(&g.clients[0]));
    let got = one_handshake(&tls, move |addr| async move {
        assert_eq!(tls_client(addr, cfg).await.unwrap(), "+PONG\r\n");
    })
    .await
    .unwrap();
    assert_eq!(got.client_cn.as_deref(), Some("bob"));

    // optional: a certificate from another CA is refused, not taken as "no certificate".
    let other = certs("modes-other", &["bob"]);
    let mut cfg = (*client_config(&g, None)).clone();
    let stranger = client_config(&other, Some(&other.clients[0]));
    cfg.client_auth_cert_resolver = stranger.client_auth_cert_resolver.clone();
    let cfg = Arc::new(cfg);
    assert!(one_handshake(&tls, move |addr| async move {
        assert!(tls_client(addr, cfg).await.is_err());
    })
    .await
    .is_none());

    // no: served, and a certificate is not even asked for.
    let tls = Tls::load(&config(&g, "tls-auth-clients no\n")).unwrap().unwrap();
    let cfg = client_config(&g, Some(&g.clients[0]));
    let got = one_handshake(&tls, move |addr| async move {
        assert_eq!(tls_client(addr, cfg).await.unwrap(), "+PONG\r\n");
    })
    .await
    .unwrap();
    assert_eq!(got.client_cn, None);
    std::fs::remove_dir_all(&g.dir).unwrap();
    std::fs::remove_dir_all(&other.dir).unwrap();
}

#[tokio::test]
async fn plaintext_is_closed_without_a_byte() {
    let g = certs("plain", &[]);
    let tls = Tls::load(&config(&g, "tls-auth-clients no\n")).unwrap().unwrap();
    let got = one_handshake(&tls, |addr| async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"PING\r\n").await.unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        assert!(out.is_empty(), "{out:?}");
    })
    .await;
    assert!(got.is_none());
    assert_eq!(tls.stats.plaintext_refused.load(Ordering::Relaxed), 1);
    std::fs::remove_dir_all(&g.dir).unwrap();
}

#[test]
fn refuses_bad_files_naming_the_fix() {
    let g = certs("files", &[]);
    std::fs::set_permissions(&g.server.1, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = Tls::load(&config(&g, "")).err().unwrap();
    assert!(e.contains("mode 0644") && e.contains("chmod 600"), "{e}");
    std::fs::set_permissions(&g.server.1, std::fs::Permissions::from_mode(0o600)).unwrap();
    // A key that does not belong to the certificate.
    let other = certs("files-other", &[]);
    let text = format!(
        "tls-port 6390\ntls-cert-file {}\ntls-key-file {}\ntls-auth-clients no\n",
        g.server.0.display(),
        other.server.1.display()
    );
    let e = Tls::load(&Config::parse_str(&text, "t.conf").unwrap()).err().unwrap();
    assert!(e.contains("does the key belong"), "{e}");
    // A CA file that is not PEM.
    let e = Tls::load(&config(&g, &format!("tls-ca-cert-file {}\n", g.server.1.display()))).err().unwrap();
    assert!(e.contains("no certificate"), "{e}");
    let e = Tls::load(&config(&g, "tls-protocols TLSv1.2\ntls-ciphers AES128-SHA256\n")).err().unwrap();
    assert!(e.contains("selects none"), "{e}");
    std::fs::remove_dir_all(&g.dir).unwrap();
    std::fs::remove_dir_all(&other.dir).unwrap();
}

#[tokio::test]
async fn config_set_of_a_tls_directive_applies_to_the_next_connection() {
    let g = certs("configset", &[]);
    let engine = Engine::new(config(&g, ""));
    let tls = Tls::load(&engine.config()).unwrap().unwrap();
    let cfg = client_config(&g, None);
    let refused = cfg.clone();
    assert!(one_handshake(&tls, move |addr| async move {
        assert!(tls_client(addr, refused).await.is_err());
    })
    .await
    .is_none());

    engine.config_mut().set("tls-auth-clients", "no").unwrap();
    tls.refresh_on_accept(&engine);
    assert_eq!(tls.stats.reloads.load(Ordering::Relaxed), 1);
    assert!(one_handshake(&tls, move |addr| async move {
        assert_eq!(tls_client(addr, cfg).await.unwrap(), "+PONG\r\n");
    })
    .await
    .is_some());

    // A value that cannot apply keeps what is in force, and is not retried at every accept.
    let pairs = [("tls-protocols", "TLSv1.2"), ("tls-ciphers", "AES128-SHA256")];
    engine.config_mut().set_many(&pairs.map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
    tls.refresh_on_accept(&engine);
    tls.refresh_on_accept(&engine);
    assert_eq!(tls.stats.reload_failures.load(Ordering::Relaxed), 1);
    assert_eq!(tls.generation().settings.client_auth, settings::ClientAuth::No);
    std::fs::remove_dir_all(&g.dir).unwrap();
}
