//! The `tls-*` directives, read from the configuration and checked: what the TLS listener
//! is to be, before any file is opened.
//!
//! Redis's names and semantics, within what rustls offers: TLS 1.2 and 1.3 only (an older
//! version in `tls-protocols` is refused, never silently dropped), the ECDHE AEAD suites for
//! TLS 1.2 (`tls-ciphers`, OpenSSL names and the common keywords) and the three TLS 1.3
//! suites (`tls-ciphersuites`). Unknown cipher names are ignored with a warning, as OpenSSL
//! ignores them; a list that leaves nothing is refused.

use redoubt_config::Config;
use rustls::crypto::ring::cipher_suite as cs;
use rustls::{ProtocolVersion, SupportedCipherSuite};
use std::path::PathBuf;

/// `tls-auth-clients`: whether a client must present a certificate (Redis's semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    /// No certificate is asked for; one sent anyway is ignored.
    No,
    /// A certificate that chains to the CA is required (the default).
    Yes,
    /// A certificate is asked for; without one the client is served, with one it must chain
    /// to the CA.
    Optional,
}

/// The TLS listener's settings, checked.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TlsSettings {
    /// `tls-port` (never 0 here).
    pub port: u16,
    /// `tls-cert-file`: the server's certificate chain (PEM), leaf first.
    pub cert_file: PathBuf,
    /// `tls-key-file`: its private key (PEM: PKCS#8, PKCS#1 or SEC1), mode 0600.
    pub key_file: PathBuf,
    /// `tls-ca-cert-file`: CA certificates client certificates must chain to.
    pub ca_file: Option<PathBuf>,
    /// `tls-ca-cert-dir`: a directory of CA certificates (every PEM file in it).
    pub ca_dir: Option<PathBuf>,
    /// `tls-auth-clients`.
    pub client_auth: ClientAuth,
    /// `tls-auth-clients-user CN`: a client certificate's CN names the user it logs in as.
    pub cn_as_user: bool,
    /// `tls-protocols`: TLS 1.2 allowed.
    pub tls12: bool,
    /// `tls-protocols`: TLS 1.3 allowed.
    pub tls13: bool,
    /// `tls-ciphers` then `tls-ciphersuites`, in preference order.
    pub suites: Vec<SupportedCipherSuite>,
    /// `tls-prefer-server-ciphers`.
    pub prefer_server_ciphers: bool,
    /// `tls-session-caching` and `tls-session-cache-size`: `None` = no resumption.
    pub session_cache: Option<usize>,
}

/// The directives whose values make the settings. A change to any of them (CONFIG SET of
/// the mutable ones) rebuilds the TLS configuration for the next connection.
pub(crate) const DIRECTIVES: &[&str] = &[
    "tls-port",
    "tls-cert-file",
    "tls-key-file",
    "tls-key-file-pass",
    "tls-ca-cert-file",
    "tls-ca-cert-dir",
    "tls-auth-clients",
    "tls-auth-clients-user",
    "tls-protocols",
    "tls-ciphers",
    "tls-ciphersuites",
    "tls-prefer-server-ciphers",
    "tls-session-caching",
    "tls-session-cache-size",
    "tls-dh-params-file",
];

/// The raw values of [`DIRECTIVES`], to notice a change cheaply.
pub(crate) fn raw(cfg: &Config) -> Vec<Option<String>> {
    DIRECTIVES.iter().map(|d| cfg.value(d)).collect()
}

/// TLS 1.2 suites rustls (ring) offers, by OpenSSL name.
const TLS12_SUITES: &[(&str, SupportedCipherSuite)] = &[
    ("ECDHE-ECDSA-AES256-GCM-SHA384", cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
    ("ECDHE-RSA-AES256-GCM-SHA384", cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
    ("ECDHE-RSA-CHACHA20-POLY1305", cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
    ("ECDHE-ECDSA-AES128-GCM-SHA256", cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
    ("ECDHE-RSA-AES128-GCM-SHA256", cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
];

/// TLS 1.3 suites, by their RFC 8446 (and OpenSSL) names.
const TLS13_SUITES: &[(&str, SupportedCipherSuite)] = &[
    ("TLS_AES_256_GCM_SHA384", cs::TLS13_AES_256_GCM_SHA384),
    ("TLS_CHACHA20_POLY1305_SHA256", cs::TLS13_CHACHA20_POLY1305_SHA256),
    ("TLS_AES_128_GCM_SHA256", cs::TLS13_AES_128_GCM_SHA256),
];

/// OpenSSL keywords in `tls-ciphers` that cover every suite of [`TLS12_SUITES`] (all of them
/// are ECDHE with an AEAD: "high" by any definition).
const TLS12_KEYWORDS: &[&str] =
    &["DEFAULT", "ALL", "HIGH", "ECDHE", "EECDH", "KECDHE", "AEAD", "COMPLEMENTOFDEFAULT", "FIPS", "TLSV1.2", "SECURE"];

impl TlsSettings {
    /// The settings of `cfg`, `Ok(None)` when `tls-port` is 0, and the warnings to log.
    /// `Err` names what is wrong and how to fix it.
    pub(crate) fn from_config(cfg: &Config) -> Result<Option<(TlsSettings, Vec<String>)>, String> {
        let get = |name: &str| cfg.value(name).unwrap_or_default();
        let port: u16 = get("tls-port").parse().unwrap_or(0);
        if port == 0 {
            return Ok(None);
        }
        let mut warnings = Vec::new();
        let path = |name: &str| Some(get(name)).filter(|p| !p.is_empty()).map(PathBuf::from);
        let cert_file = path("tls-cert-file").ok_or(
            "tls-port is set but tls-cert-file is not: name the server's certificate (see `redoubt tls init`)",
        )?;
        let key_file = path("tls-key-file")
            .ok_or("tls-port is set but tls-key-file is not: name the server certificate's private key")?;
        if !get("tls-key-file-pass").is_empty() {
            return Err("tls-key-file-pass: encrypted private keys are not supported; keep the key unencrypted in a \
                        file only the server's user can read (chmod 600)"
                .into());
        }
        let client_auth = match get("tls-auth-clients").as_str() {
            "no" => ClientAuth::No,
            "optional" => ClientAuth::Optional,
            _ => ClientAuth::Yes,
        };
        let ca_file = path("tls-ca-cert-file");
        let ca_dir = path("tls-ca-cert-dir");
        if client_auth != ClientAuth::No && ca_file.is_none() && ca_dir.is_none() {
            return Err(
                "tls-auth-clients is yes or optional but neither tls-ca-cert-file nor tls-ca-cert-dir is set: \
                        name the CA that signs client certificates, or set tls-auth-clients no"
                    .into(),
            );
        }
        let cn_as_user = get("tls-auth-clients-user").eq_ignore_ascii_case("cn");
        if cn_as_user && client_auth == ClientAuth::No {
            warnings.push(
                "tls-auth-clients-user CN has no effect with tls-auth-clients no: no certificate is asked for".into(),
            );
        }
        let (tls12, tls13) = parse_protocols(&get("tls-protocols"))?;
        let mut suites = Vec::new();
        if tls12 {
            suites.extend(parse_tls12_ciphers(&get("tls-ciphers"), &mut warnings)?);
        }
        if tls13 {
            suites.extend(parse_tls13_suites(&get("tls-ciphersuites"), &mut warnings)?);
        }
        if !get("tls-dh-params-file").is_empty() {
            warnings.push("tls-dh-params-file is ignored: Redoubt offers only ECDHE key exchange".into());
        }
        let session_cache = (get("tls-session-caching") != "no")
            .then(|| get("tls-session-cache-size").parse::<usize>().unwrap_or(20480))
            .filter(|&n| n > 0);
        Ok(Some((
            TlsSettings {
                port,
                cert_file,
                key_file,
                ca_file,
                ca_dir,
                client_auth,
                cn_as_user,
                tls12,
                tls13,
                suites,
                prefer_server_ciphers: get("tls-prefer-server-ciphers") == "yes",
                session_cache,
            },
            warnings,
        )))
    }

    /// The protocol versions, for rustls.
    pub(crate) fn versions(&self) -> Vec<&'static rustls::SupportedProtocolVersion> {
        let mut v = Vec::new();
        if self.tls13 {
            v.push(&rustls::version::TLS13);
        }
        if self.tls12 {
            v.push(&rustls::version::TLS12);
        }
        v
    }
}

/// `tls-protocols`: words `TLSv1.2` and `TLSv1.3` (any case); empty = both. Anything older is
/// refused by name, so a config written for OpenSSL's TLSv1/TLSv1.1 does not quietly change.
fn parse_protocols(value: &str) -> Result<(bool, bool), String> {
    let (mut tls12, mut tls13) = (false, false);
    for word in value.split_whitespace() {
        match word.to_ascii_lowercase().as_str() {
            "tlsv1.2" => tls12 = true,
            "tlsv1.3" => tls13 = true,
            "tlsv1" | "tlsv1.0" | "tlsv1.1" | "sslv3" | "sslv2" => {
                return Err(format!(
                    "tls-protocols: {word} is not supported (it is broken or deprecated); Redoubt speaks TLSv1.2 and \
                     TLSv1.3: write \"TLSv1.2 TLSv1.3\" or leave it empty"
                ))
            }
            _ => return Err(format!("tls-protocols: unknown protocol '{word}'; expected TLSv1.2 and/or TLSv1.3")),
        }
    }
    Ok(if tls12 || tls13 { (tls12, tls13) } else { (true, true) })
}

/// `tls-ciphers`, an OpenSSL cipher list restricted to what rustls offers: suite names and
/// [`TLS12_KEYWORDS`], `!X`/`-X` to remove, `+X` and `@...` accepted and ignored.
fn parse_tls12_ciphers(value: &str, warnings: &mut Vec<String>) -> Result<Vec<SupportedCipherSuite>, String> {
    if value.trim().is_empty() {
        return Ok(TLS12_SUITES.iter().map(|(_, s)| *s).collect());
    }
    let mut chosen: Vec<SupportedCipherSuite> = Vec::new();
    let mut ignored = Vec::new();
    for token in value.split([':', ',', ' ']).filter(|t| !t.is_empty()) {
        let (remove, name) = match token.as_bytes()[0] {
            b'!' | b'-' => (true, &token[1..]),
            b'+' => continue,
            b'@' => continue,
            _ => (false, token),
        };
        let matched: Vec<SupportedCipherSuite> = if TLS12_KEYWORDS.contains(&name.to_ascii_uppercase().as_str()) {
            TLS12_SUITES.iter().map(|(_, s)| *s).collect()
        } else {
            TLS12_SUITES.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, s)| *s).collect()
        };
        if matched.is_empty() {
            if !remove {
                ignored.push(name.to_string());
            }
            continue;
        }
        for s in matched {
            chosen.retain(|c| c.suite() != s.suite());
            if !remove {
                chosen.push(s);
            }
        }
    }
    if !ignored.is_empty() {
        warnings.push(format!(
            "tls-ciphers: ignored {} (not offered by Redoubt; it offers {})",
            ignored.join(", "),
            TLS12_SUITES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ));
    }
    if chosen.is_empty() {
        return Err(format!(
            "tls-ciphers '{value}' selects none of the TLS 1.2 ciphers Redoubt offers ({}); list some of them, or \
             drop TLSv1.2 from tls-protocols",
            TLS12_SUITES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(chosen)
}

/// `tls-ciphersuites`: TLS 1.3 suite names separated by `:`; unknown ones are ignored.
fn parse_tls13_suites(value: &str, warnings: &mut Vec<String>) -> Result<Vec<SupportedCipherSuite>, String> {
    if value.trim().is_empty() {
        return Ok(TLS13_SUITES.iter().map(|(_, s)| *s).collect());
    }
    let mut chosen: Vec<SupportedCipherSuite> = Vec::new();
    let mut ignored = Vec::new();
    for name in value.split([':', ',', ' ']).filter(|t| !t.is_empty()) {
        match TLS13_SUITES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, s)) if !chosen.iter().any(|c| c.suite() == s.suite()) => chosen.push(*s),
            Some(_) => {}
            None => ignored.push(name.to_string()),
        }
    }
    if !ignored.is_empty() {
        warnings.push(format!("tls-ciphersuites: ignored {} (not offered by Redoubt)", ignored.join(", ")));
    }
    if chosen.is_empty() {
        return Err(format!(
            "tls-ciphersuites '{value}' selects none of the TLS 1.3 suites Redoubt offers ({}); or drop TLSv1.3 \
             from tls-protocols",
            TLS13_SUITES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(chosen)
}

/// The name of a negotiated protocol version, as OpenSSL prints it.
pub(crate) fn version_name(v: Option<ProtocolVersion>) -> &'static str {
    match v {
        Some(ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> Config {
        Config::parse_str(
            &format!("tls-port 6380\ntls-cert-file s.crt\ntls-key-file s.key\ntls-ca-cert-file ca.crt\n{extra}"),
            "t.conf",
        )
        .unwrap()
    }

    fn settings(extra: &str) -> Result<TlsSettings, String> {
        TlsSettings::from_config(&cfg(extra)).map(|s| s.unwrap().0)
    }

    #[test]
    fn off_without_a_port() {
        assert!(TlsSettings::from_config(&Config::default()).unwrap().is_none());
    }

    #[test]
    fn defaults_are_redis_defaults() {
        let s = settings("").unwrap();
        assert_eq!(s.port, 6380);
        assert_eq!(s.client_auth, ClientAuth::Yes);
        assert!(s.tls12 && s.tls13 && !s.cn_as_user && !s.prefer_server_ciphers);
        assert_eq!(s.suites.len(), 9);
        assert_eq!(s.session_cache, Some(20480));
    }

    #[test]
    fn files_are_required() {
        let c = Config::parse_str("tls-port 6380\n", "t.conf").unwrap();
        assert!(TlsSettings::from_config(&c).unwrap_err().contains("tls-cert-file"));
        let c = Config::parse_str("tls-port 6380\ntls-cert-file a\ntls-key-file b\n", "t.conf").unwrap();
        assert!(TlsSettings::from_config(&c).unwrap_err().contains("tls-ca-cert-file"));
        let c = Config::parse_str("tls-port 6380\ntls-cert-file a\ntls-key-file b\ntls-auth-clients no\n", "t.conf")
            .unwrap();
        assert_eq!(TlsSettings::from_config(&c).unwrap().unwrap().0.client_auth, ClientAuth::No);
        assert!(settings("tls-key-file-pass x\n").unwrap_err().contains("encrypted"));
    }

    #[test]
    fn protocols() {
        assert_eq!(parse_protocols("").unwrap(), (true, true));
        assert_eq!(parse_protocols("TLSv1.2").unwrap(), (true, false));
        assert_eq!(parse_protocols("tlsv1.3").unwrap(), (false, true));
        assert_eq!(parse_protocols("TLSv1.2 TLSv1.3").unwrap(), (true, true));
        assert!(parse_protocols("TLSv1.1 TLSv1.2").unwrap_err().contains("TLSv1.1 is not supported"));
        assert!(parse_protocols("TLSv1").unwrap_err().contains("not supported"));
        assert!(parse_protocols("SSLv9").unwrap_err().contains("unknown"));
        let s = settings("tls-protocols TLSv1.3\n").unwrap();
        assert_eq!(s.suites.len(), 3);
        assert_eq!(s.versions().len(), 1);
    }

    #[test]
    fn ciphers() {
        let mut w = Vec::new();
        assert_eq!(parse_tls12_ciphers("DEFAULT", &mut w).unwrap().len(), 6);
        let only = parse_tls12_ciphers("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256", &mut w).unwrap();
        assert_eq!(only.len(), 2);
        assert_eq!(only[0].suite(), cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.suite());
        let minus = parse_tls12_ciphers("DEFAULT:!ECDHE-RSA-AES128-GCM-SHA256:@STRENGTH", &mut w).unwrap();
        assert_eq!(minus.len(), 5);
        assert!(w.is_empty(), "{w:?}");
        // Names rustls does not offer are ignored with a warning; nothing left is an error.
        let e = parse_tls12_ciphers("AES128-SHA256", &mut w).unwrap_err();
        assert!(e.contains("selects none"), "{e}");
        assert!(w[0].contains("AES128-SHA256"), "{w:?}");
        let mut w = Vec::new();
        let s = parse_tls13_suites("TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256", &mut w).unwrap();
        assert_eq!(s.len(), 1);
        assert!(w[0].contains("TLS_AES_128_CCM_SHA256"));
        assert!(parse_tls13_suites("TLS_AES_128_CCM_SHA256", &mut w).is_err());
        // TLS 1.2 ciphers do not matter when TLS 1.2 is off.
        assert!(settings("tls-protocols TLSv1.3\ntls-ciphers NOTHING\n").is_ok());
    }

    #[test]
    fn session_cache_and_order() {
        let s = settings("tls-session-caching no\ntls-prefer-server-ciphers yes\n").unwrap();
        assert_eq!(s.session_cache, None);
        assert!(s.prefer_server_ciphers);
        assert_eq!(settings("tls-session-cache-size 0\n").unwrap().session_cache, None);
    }
}
