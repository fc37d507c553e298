//! Native TLS (THREATS.md T18, issue 4): the TLS listener's handshakes, client certificates
//! as identity, and reloading certificates without a restart. rustls on the `ring` provider;
//! no OpenSSL, no stunnel.
//!
//! - **Settings** ([`settings`]): Redis's `tls-*` directives: `tls-port` (with `port 0`, TLS
//!   only), `tls-cert-file`, `tls-key-file` (mode 0600 or the start is refused, naming the
//!   chmod), `tls-ca-cert-file`, `tls-ca-cert-dir`, `tls-auth-clients yes|no|optional`
//!   (default yes), `tls-auth-clients-user CN`, `tls-protocols` (TLSv1.2 and TLSv1.3 only),
//!   `tls-ciphers`, `tls-ciphersuites`, `tls-prefer-server-ciphers`, `tls-session-caching`.
//! - **Handshake** ([`Tls::handshake`]): a deadline of [`HANDSHAKE_TIMEOUT`]; at most
//!   [`MAX_PENDING_HANDSHAKES`] at once. The first byte must open a TLS handshake record: a
//!   plaintext client (a RESP command, an HTTP request) is closed at once and nothing is ever
//!   written back in plaintext. Failures are counted ([`TlsStats`]) and logged at most once
//!   a second; [`Tls::handshake_failed`] is the hook where the gate writes the audit event.
//! - **Identity**: the subject CN of a verified client certificate ([`cert`]) comes back in
//!   [`Accepted::client_cn`]; the door puts it on the session, where the gate logs the client
//!   in as that user when `tls-auth-clients-user CN` is set.
//! - **Reload**: on SIGHUP, when a certificate, key or CA file changes (polled every
//!   [`RELOAD_POLL`]), and when CONFIG SET changes a mutable `tls-*` directive, the
//!   configuration is rebuilt; new connections get it, live ones keep theirs. A new file that
//!   does not load (a key that does not match, a key file others can read, a truncated PEM)
//!   keeps the previous configuration and logs an error.

mod cert;
mod load;
mod settings;

use load::{Built, Stamps};
use redoubt_commands::Engine;
use redoubt_config::Config;
use settings::TlsSettings;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client has to complete its handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the certificate, key and CA files are checked for changes.
pub(crate) const RELOAD_POLL: Duration = Duration::from_secs(2);

/// Handshakes in progress at once; beyond that a new connection is closed at once.
pub(crate) const MAX_PENDING_HANDSHAKES: usize = 1024;

/// The first byte of every TLS connection: a handshake record (the ClientHello).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Counters of the TLS listener (for INFO and the audit integration).
#[derive(Debug, Default)]
pub(crate) struct TlsStats {
    /// Handshakes completed.
    pub handshakes: AtomicU64,
    /// Handshakes that failed, timed out, or were refused (all the kinds below).
    pub handshake_failures: AtomicU64,
    /// Connections whose first byte was not TLS (a plaintext client on the TLS port).
    pub plaintext_refused: AtomicU64,
    /// Successful reloads of the configuration (not counting the first load).
    pub reloads: AtomicU64,
    /// Reloads that failed and kept the previous configuration.
    pub reload_failures: AtomicU64,
}

/// Why a handshake failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The first byte was not a TLS handshake record: plaintext on the TLS port.
    Plaintext,
    /// No handshake within [`HANDSHAKE_TIMEOUT`].
    Timeout,
    /// [`MAX_PENDING_HANDSHAKES`] were already in progress.
    TooMany,
    /// rustls refused it (no client certificate when one is required, an untrusted one, no
    /// common protocol or cipher...).
    Tls(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Plaintext => f.write_str("not a TLS client (plaintext on the TLS port)"),
            Failure::Timeout => write!(f, "no TLS handshake within {} s", HANDSHAKE_TIMEOUT.as_secs()),
            Failure::TooMany => write!(f, "{MAX_PENDING_HANDSHAKES} TLS handshakes already in progress"),
            Failure::Tls(e) => write!(f, "TLS handshake failed: {e}"),
        }
    }
}

/// A client past its handshake.
pub(crate) struct Accepted {
    /// The encrypted stream.
    pub stream: TlsStream<TcpStream>,
    /// The subject CN of the client's certificate, verified against the CA; `None` without a
    /// certificate (tls-auth-clients no or optional) or when its subject has no single,
    /// plain CN.
    pub client_cn: Option<String>,
}

/// What was loaded, and from which inputs.
struct Generation {
    acceptor: TlsAcceptor,
    settings: TlsSettings,
}

/// The inputs of the last build attempted, successful or not: a reload happens when they
/// change (or on SIGHUP), so a bad file is reported once, not at every poll.
struct Attempted {
    raw: Vec<Option<String>>,
    stamps: Stamps,
}

/// Why a reload is considered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    /// SIGHUP: rebuild even if nothing seems to have changed.
    Signal,
    /// The periodic check of the files (and the directives).
    Poll,
    /// A new connection: the directives only (CONFIG SET), no file system access.
    Accept,
}

/// The TLS listener's state, shared by its accept loop, its connections and the watcher.
pub(crate) struct Tls {
    port: u16,
    current: RwLock<Arc<Generation>>,
    attempted: Mutex<Attempted>,
    pending: Arc<Semaphore>,
    /// Counters.
    pub stats: TlsStats,
    /// When a failed handshake was last logged (unix ms), and how many were not since.
    last_log_ms: AtomicI64,
    unlogged: AtomicU64,
}

impl Tls {
    /// Loads the TLS configuration at start: `Ok(None)` when `tls-port` is 0; `Err` (the
    /// start is refused) when a directive or file is wrong, naming the fix.
    pub(crate) fn load(cfg: &Config) -> Result<Option<Arc<Tls>>, String> {
        let Some((settings, warnings)) = TlsSettings::from_config(cfg)? else { return Ok(None) };
        for w in &warnings {
            tracing::warn!("{w}");
        }
        let stamps = load::stamps(&settings);
        let built = load::build(&settings)?;
        log_loaded(&settings, &built, "loaded");
        Ok(Some(Arc::new(Tls {
            port: settings.port,
            current: RwLock::new(Arc::new(Generation { acceptor: TlsAcceptor::from(built.config), settings })),
            attempted: Mutex::new(Attempted { raw: settings::raw(cfg), stamps }),
            pending: Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES)),
            stats: TlsStats::default(),
            last_log_ms: AtomicI64::new(0),
            unlogged: AtomicU64::new(0),
        })))
    }

    /// `tls-port`.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Whether `tls-auth-clients-user CN` is in force: a verified certificate's CN names the
    /// user the client is logged in as.
    pub(crate) fn cn_as_user(&self) -> bool {
        self.generation().settings.cn_as_user
    }

    fn generation(&self) -> Arc<Generation> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Rebuilds the configuration if its inputs changed (see [`Trigger`]).
    fn refresh(&self, engine: &Engine, trigger: Trigger) {
        let mut attempted = self.attempted.lock().unwrap_or_else(|e| e.into_inner());
        let cfg = engine.config();
        let raw = settings::raw(&cfg);
        let raw_changed = raw != attempted.raw;
        if trigger == Trigger::Accept && !raw_changed {
            return;
        }
        let parsed = TlsSettings::from_config(&cfg);
        drop(cfg);
        let (settings, warnings) = match parsed {
            Ok(Some(s)) => s,
            Ok(None) => return, // tls-port cannot change at run time
            Err(e) => {
                attempted.raw = raw;
                self.stats.reload_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!("TLS settings not applied, the previous ones stay in force: {e}");
                return;
            }
        };
        // Stamps first: a file that changes while it is read makes the next poll try again.
        let stamps = load::stamps(&settings);
        if trigger == Trigger::Poll && !raw_changed && stamps == attempted.stamps {
            return;
        }
        let why = match trigger {
            Trigger::Signal => "reloaded on SIGHUP",
            Trigger::Poll if raw_changed => "reloaded after CONFIG SET",
            Trigger::Poll => "reloaded after a file changed",
            Trigger::Accept => "reloaded after CONFIG SET",
        };
        attempted.raw = raw;
        attempted.stamps = stamps;
        for w in &warnings {
            tracing::warn!("{w}");
        }
        match load::build(&settings) {
            Ok(built) => {
                log_loaded(&settings, &built, why);
                let next = Arc::new(Generation { acceptor: TlsAcceptor::from(built.config), settings });
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = next;
                self.stats.reloads.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.stats.reload_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!("TLS reload failed, the previous certificate and settings stay in force: {e}");
            }
        }
    }

    /// Picks up CONFIG SET changes of the `tls-*` directives before a new connection's
    /// handshake. Cheap when nothing changed: a comparison of a few strings.
    pub(crate) fn refresh_on_accept(&self, engine: &Engine) {
        self.refresh(engine, Trigger::Accept);
    }

    /// The watcher: reloads on SIGHUP and when a file changes. The SIGHUP handler is installed
    /// now (before the returned future first runs), so an early SIGHUP never kills the server.
    pub(crate) fn watcher(self: &Arc<Self>, engine: Arc<Engine>) -> impl std::future::Future<Output = ()> + Send {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("cannot watch SIGHUP ({e}); TLS files are still reloaded when they change");
                None
            }
        };
        let tls = self.clone();
        async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + RELOAD_POLL, RELOAD_POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let trigger = tokio::select! {
                    _ = tick.tick() => Trigger::Poll,
                    Some(()) = async { match hup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => Trigger::Signal,
                };
                tls.refresh(&engine, trigger);
            }
        }
    }

    /// Runs the handshake of a new connection, within [`HANDSHAKE_TIMEOUT`]. `None` when it
    /// failed (already counted and logged): the caller just drops the connection.
    pub(crate) async fn handshake(&self, stream: TcpStream, peer: SocketAddr) -> Option<Accepted> {
        let Ok(_permit) = self.pending.clone().try_acquire_owned() else {
            self.handshake_failed(peer, Failure::TooMany);
            return None;
        };
        let acceptor = self.generation().acceptor.clone();
        let deadline = tokio::time::Instant::now() + HANDSHAKE_TIMEOUT;
        // A TLS client speaks first, with a handshake record. Anything else is closed at once,
        // before rustls sees it, so not a byte goes back.
        let mut first = [0u8; 1];
        match tokio::time::timeout_at(deadline, stream.peek(&mut first)).await {
            Ok(Ok(1)) if first[0] == TLS_HANDSHAKE_RECORD => {}
            // Connected and closed without a byte (a port probe, a health check).
            Ok(Ok(0) | Err(_)) => return None,
            Ok(Ok(_)) => {
                self.handshake_failed(peer, Failure::Plaintext);
                return None;
            }
            Err(_) => {
                self.handshake_failed(peer, Failure::Timeout);
                return None;
            }
        }
        let stream = match tokio::time::timeout_at(deadline, acceptor.accept(stream)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                self.handshake_failed(peer, Failure::Tls(e.to_string()));
                return None;
            }
            Err(_) => {
                self.handshake_failed(peer, Failure::Timeout);
                return None;
            }
        };
        self.stats.handshakes.fetch_add(1, Ordering::Relaxed);
        let (_, conn) = stream.get_ref();
        let client_cn = match conn.peer_certificates().and_then(|c| c.first()) {
            None => None,
            Some(der) => match cert::subject_cn(der.as_ref()) {
                Ok(cn) => Some(cn),
                Err(e) => {
                    tracing::warn!(client = %peer, "TLS client certificate gives no identity: {e}");
                    None
                }
            },
        };
        tracing::debug!(
            client = %peer,
            "TLS handshake done: {} {}, client certificate CN={}",
            settings::version_name(conn.protocol_version()),
            conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default(),
            client_cn.as_deref().unwrap_or("(none)")
        );
        Some(Accepted { stream, client_cn })
    }

    /// A handshake failed: counted, and logged at most once a second (a flood of them must
    /// not flood the log).
    ///
    /// AUDIT HOOK (issue 4 §1, for the gate integrator): record the audit event here, e.g.
    /// `AuditRecord { event: <a TLS-handshake event>, source: AuditSource::Tcp(peer), reason:
    /// &why.to_string(), .. }` (the audit log rate-limits per event and source itself), and
    /// feed the source's failure count to the throttle if repeated failures should slow it.
    pub(crate) fn handshake_failed(&self, peer: SocketAddr, why: Failure) {
        self.stats.handshake_failures.fetch_add(1, Ordering::Relaxed);
        if why == Failure::Plaintext {
            self.stats.plaintext_refused.fetch_add(1, Ordering::Relaxed);
        }
        let now = redoubt_commands::unix_ms();
        let last = self.last_log_ms.load(Ordering::Relaxed);
        if now - last < 1000
            || self.last_log_ms.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            self.unlogged.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let more = self.unlogged.swap(0, Ordering::Relaxed);
        if more > 0 {
            tracing::warn!(client = %peer, "{why} (and {more} more failed TLS handshakes since the last report)");
        } else {
            tracing::warn!(client = %peer, "{why}");
        }
    }
}

fn log_loaded(s: &TlsSettings, built: &Built, why: &str) {
    let auth = match s.client_auth {
        settings::ClientAuth::No => "no client certificates",
        settings::ClientAuth::Yes => "client certificates required",
        settings::ClientAuth::Optional => "client certificates optional",
    };
    tracing::info!(
        "TLS {why}: certificate {} (sha256 {}), {} CA certificate(s), {auth}{}",
        s.cert_file.display(),
        &built.fingerprint[..16.min(built.fingerprint.len())],
        built.roots,
        if s.cn_as_user { ", CN = user" } else { "" }
    );
}

#[cfg(test)]
mod tests;
