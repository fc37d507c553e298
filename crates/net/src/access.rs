//! The door's side of the gate: what the connection layer enforces around the engine, with
//! the gate (`redoubt_security::Gate`) deciding and recording.
//!
//! - **At accept, before a byte is read**: the source allowlist (`allow-from`, T19)
//!   ([`Door::allowed`]); then ([`Door::admit`]) protected mode (Redis 7: while `default` is
//!   `nopass` and `protected-mode` is yes, a client not on loopback or the unix socket gets
//!   `-DENIED ...` and is closed) and the per-source cap on connections that have not
//!   authenticated (`maxclients-per-source`; an IPv4 address or an IPv6 /64; loopback and unix
//!   exempt) (T7).
//! - **Before authentication** ([`ConnGate`]): the parser's tight limits
//!   (`Limits::unauthenticated`: 10 arguments, 16 KiB bulks), replies written every
//!   [`UNAUTHENTICATED_OUTPUT_LIMIT`] bytes that the socket must take at once (a client that
//!   does not read them is closed: the CVE-2025-21605 fix) and `unauthenticated-timeout`
//!   (T6, T7). The engine itself answers
//!   NOAUTH to everything but AUTH, HELLO, QUIT and RESET (T2, T3).
//! - **AUTH and HELLO AUTH** run here, on the connection's task and never under the store lock
//!   ([`ConnGate::run_auth`]): the throttle decides (now; after an asynchronous wait, during
//!   which no other client waits; or refused while the source is locked out), the password is
//!   checked (argon2id users on a blocking thread), and the gate records the outcome (T5). A
//!   pipelined batch runs the requests before the AUTH, then the AUTH, then the rest, in order
//!   ([`ConnGate::engine_run`]). AUTH inside MULTI is queued by the engine as in Redis, and
//!   checked there without waiting.
//! - **Cross-protocol requests**: an HTTP request line closes the connection in the parser; a
//!   multibulk request named `POST` or `Host:` does too ([`is_http_command`], Redis's
//!   `securityWarningCommand`); both leave an `http_probe` audit line (T4).
//!
//! Every refusal leaves an audit line (`allowlist_refused`, `protected_mode_refused`,
//! `limit_hit`, `http_probe`), rate-limited by the audit log so a flood cannot fill the disk.

use bytes::Bytes;
use redoubt_commands::{Engine, Session};
use redoubt_config::Config;
use redoubt_resp::{Limits, ProtocolError, ReplyBuffer};
use redoubt_security::audit::{AuditEvent, AuditSource};
use redoubt_security::{canonical_ip, AuthError, AuthTurn, Gate, SourceAllowlist, SourceKey};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Most reply bytes held for a client that has not authenticated before they are written; the
/// socket must take them at once, or the connection is closed (CVE-2025-21605: NOAUTH replies
/// to a client that never reads must not grow the server).
pub(crate) const UNAUTHENTICATED_OUTPUT_LIMIT: usize = 1024;

/// Redis 7's protected-mode refusal, with Redoubt's ways out.
pub(crate) const PROTECTED_MODE_REPLY: &[u8] = b"-DENIED Redis is running in protected mode because protected mode \
is enabled and no password is set for the default user. In this mode connections are only accepted from the \
loopback interface. If you want to connect from external computers to Redis you may adopt one of the following \
solutions: 1) Give the default user a password: 'requirepass-file FILE' in the configuration file (make the file \
with 'redoubt passwd --requirepass'), or the REDOUBT_PASSWORD environment variable, and restart the server. \
2) Or turn the default user off and define users: 'user default off' and the 'user NAME ...' lines that \
'redoubt passwd NAME' prints. 3) Only for a lab on a trusted network: set 'protected-mode no' (and \
'insecure-no-auth yes') in the configuration file and restart the server, or run 'CONFIG SET protected-mode no' \
as an admin user from the loopback interface. NOTE: You only need to do one of the above things in order for the \
server to start accepting connections from the outside.\r\n";

/// The reply to a connection over `maxclients-per-source`.
pub(crate) const PER_SOURCE_REPLY: &[u8] =
    b"-ERR too many connections from this address have not authenticated (maxclients-per-source)\r\n";

/// Whether a multibulk request is an HTTP verb or header that the parser cannot see as one
/// (Redis's `securityWarningCommand`: `POST` and `Host:`).
pub(crate) fn is_http_command(args: &[Bytes]) -> bool {
    args.first().is_some_and(|a| a.eq_ignore_ascii_case(b"post") || a.eq_ignore_ascii_case(b"host:"))
}

/// The server-wide part: the gate, the allowlist, and unauthenticated connections per source.
pub(crate) struct Door {
    pub(crate) gate: Arc<Gate>,
    allow: Option<SourceAllowlist>,
    unauthenticated: Mutex<HashMap<SourceKey, u32>>,
}

impl Door {
    /// Builds the gate from the configuration, installs it in the engine, and writes the
    /// start-up warnings that belong in the audit log (`insecure-no-auth`).
    pub(crate) fn start(engine: &Engine, warnings: &[crate::preflight::Warning]) -> Result<Arc<Door>, String> {
        let (gate, allow) = {
            let cfg: &Config = &engine.config();
            let gate = Gate::from_config(cfg, crate::preflight::throttle_config(cfg))?;
            let allow = crate::preflight::allowlist(cfg).map_err(|e| e.0)?;
            (Arc::new(gate), allow)
        };
        engine.install_gate(gate.clone());
        for w in warnings.iter().filter(|w| w.kind == crate::preflight::WarningKind::InsecureNoAuth) {
            gate.audit(AuditEvent::ConfigChange, AuditSource::Internal, None, None, &w.message);
        }
        Ok(Arc::new(Door { gate, allow, unauthenticated: Mutex::new(HashMap::new()) }))
    }

    /// The allowlist, at accept and before a byte is read: false closes the connection at
    /// once (an `allowlist_refused` line).
    pub(crate) fn allowed(&self, peer: SocketAddr) -> bool {
        let Some(list) = &self.allow else { return true };
        if list.allows(peer.ip()) {
            return true;
        }
        self.gate.audit(
            AuditEvent::AllowlistRefused,
            AuditSource::Tcp(peer),
            None,
            None,
            "source not in allow-from: closed at accept",
        );
        false
    }

    /// Protected mode and the per-source cap, for a client that passed maxclients (`peer`:
    /// `None` for the unix socket). `Err` holds the reply to write before closing.
    pub(crate) fn admit(
        self: &Arc<Self>,
        engine: &Engine,
        peer: Option<SocketAddr>,
    ) -> Result<ConnGate, &'static [u8]> {
        let local = peer.is_none_or(|p| canonical_ip(p.ip()).is_loopback());
        let (protected, cap, timeout) = {
            let cfg = engine.config();
            (cfg.protected_mode, cfg.maxclients_per_source, cfg.unauthenticated_timeout)
        };
        let users = self.gate.users();
        if protected && !local && users.get(b"default").is_some_and(|u| u.is_nopass()) {
            let source = peer.map_or(AuditSource::Unix, AuditSource::Tcp);
            self.gate.audit(
                AuditEvent::ProtectedModeRefused,
                source,
                None,
                None,
                "no password is set for the default user and the client is not on loopback",
            );
            return Err(PROTECTED_MODE_REPLY);
        }
        let mut slot = None;
        if let Some(peer) = peer.filter(|_| !local && cap > 0 && !users.default_needs_no_auth()) {
            let key = SourceKey::of(peer.ip());
            let mut counts = self.unauthenticated.lock().unwrap_or_else(|e| e.into_inner());
            let n = counts.entry(key).or_insert(0);
            if *n >= cap {
                drop(counts);
                self.gate.audit(
                    AuditEvent::LimitHit,
                    AuditSource::Tcp(peer),
                    None,
                    None,
                    &format!("{cap} connections from this source have not authenticated yet (maxclients-per-source)"),
                );
                return Err(PER_SOURCE_REPLY);
            }
            *n += 1;
            slot = Some(SourceSlot { door: self.clone(), key });
        }
        let deadline = (timeout > 0).then(|| tokio::time::Instant::now() + Duration::from_secs(timeout));
        Ok(ConnGate { door: self.clone(), slot, deadline, login: None })
    }
}

/// One unauthenticated connection counted against its source; released on authentication
/// or when the connection closes.
struct SourceSlot {
    door: Arc<Door>,
    key: SourceKey,
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut counts = self.door.unauthenticated.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// What a flush of an unauthenticated client's replies came to.
pub(crate) enum UnauthFlush {
    /// Written.
    Done,
    /// The peer is gone or the client was killed.
    Closed,
    /// The socket did not take the replies at once: closed (audited).
    LimitHit,
}

/// How a HELLO with AUTH is run: the credentials checked here, then the HELLO without them
/// by the engine.
struct HelloAuth {
    credentials: Vec<(Bytes, Bytes)>,
    rest: Vec<Bytes>,
}

/// Parses a HELLO as Redis does; `Some` when it is well formed and carries AUTH.
fn hello_auth(args: &[Bytes]) -> Option<HelloAuth> {
    if args.len() < 4 {
        return None;
    }
    let ver = redoubt_commands::context::parse_i64(&args[1])?;
    if !(2..=3).contains(&ver) {
        return None;
    }
    let mut hello = HelloAuth { credentials: Vec::new(), rest: vec![args[0].clone(), args[1].clone()] };
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args[i].eq_ignore_ascii_case(b"auth") && more >= 2 {
            hello.credentials.push((args[i + 1].clone(), args[i + 2].clone()));
            i += 3;
        } else if args[i].eq_ignore_ascii_case(b"setname") && more >= 1 {
            hello.rest.extend_from_slice(&args[i..i + 2]);
            i += 2;
        } else {
            return None;
        }
    }
    (!hello.credentials.is_empty()).then_some(hello)
}

/// A connection's part: its per-source slot and its deadline to authenticate.
pub(crate) struct ConnGate {
    door: Arc<Door>,
    slot: Option<SourceSlot>,
    deadline: Option<tokio::time::Instant>,
    /// A user to log in as when the session starts (a verified TLS client certificate's CN).
    login: Option<String>,
}

impl ConnGate {
    /// The session starts as `default` (authenticated when `default` needs no password), or
    /// as the user [`ConnGate::login_on_start`] named when that user exists and is on.
    pub(crate) fn start(&mut self, engine: &Engine, session: &mut Session) {
        self.door.gate.start_session(session);
        if let Some(name) = self.login.take() {
            if !self.door.gate.login_as(session, &name) {
                tracing::debug!(client = %session.handle.addr, "TLS client certificate names no enabled user");
            }
        }
        self.refresh(engine, session);
    }

    /// Starts the session authenticated as `name` (`tls-auth-clients-user CN`: the door
    /// verified the client certificate that names it), without a password.
    pub(crate) fn login_on_start(&mut self, name: Option<String>) {
        self.login = name;
    }

    /// Drops the per-source slot and the deadline once the session may run commands.
    fn refresh(&mut self, engine: &Engine, session: &Session) {
        if !engine.auth_required(session) {
            self.slot = None;
            if session.authenticated {
                self.deadline = None;
            }
        }
    }

    /// The deadline to authenticate, while there is one.
    pub(crate) fn deadline(&self) -> Option<tokio::time::Instant> {
        self.deadline
    }

    /// Whether the session must still authenticate.
    pub(crate) fn unauthenticated(&self, engine: &Engine, session: &Session) -> bool {
        engine.auth_required(session)
    }

    /// The parser's limits for the next request: Redis's tight ones before authentication.
    pub(crate) fn limits(&mut self, engine: &Engine, session: &Session, normal: Limits) -> Limits {
        self.refresh(engine, session);
        if engine.auth_required(session) {
            Limits { max_query_buffer: normal.max_query_buffer, ..Limits::unauthenticated() }
        } else {
            normal
        }
    }

    /// The deadline passed: true when the connection must close (a `limit_hit` line); false
    /// when the session needs no authentication any more (the deadline is dropped).
    pub(crate) fn deadline_passed(&mut self, engine: &Engine, session: &Session) -> bool {
        self.deadline = None;
        if !engine.auth_required(session) {
            return false;
        }
        let secs = engine.config().unauthenticated_timeout;
        self.door.gate.audit(
            AuditEvent::LimitHit,
            Gate::source(session),
            None,
            None,
            &format!("did not authenticate within {secs} seconds (unauthenticated-timeout): closed"),
        );
        true
    }

    /// A fatal protocol error: an HTTP request (`http_probe`) or a limit (`limit_hit`).
    pub(crate) fn protocol_error(&self, session: &Session, e: &ProtocolError) {
        let (event, reason) = match e {
            ProtocolError::CrossProtocol => {
                (AuditEvent::HttpProbe, "HTTP request line or header received: closed, nothing after it ran")
            }
            ProtocolError::UnauthenticatedMultibulkLength => {
                (AuditEvent::LimitHit, "more than 10 arguments before authentication: closed")
            }
            ProtocolError::UnauthenticatedBulkLength => {
                (AuditEvent::LimitHit, "a bulk string over 16 KiB before authentication: closed")
            }
            ProtocolError::QueryBufferLimit => {
                (AuditEvent::LimitHit, "query buffer over client-query-buffer-limit: closed")
            }
            ProtocolError::TooBigInline | ProtocolError::TooBigBulkCount | ProtocolError::TooBigMultibulkCount => {
                (AuditEvent::LimitHit, "request header or inline request over 64 KiB: closed")
            }
            _ => return,
        };
        let user = (!session.user.is_empty()).then_some(session.user.as_str());
        self.door.gate.audit(event, Gate::source(session), user, None, reason);
    }

    /// How many of the next requests the engine runs before the door must step in: 0 when
    /// the first is an AUTH or HELLO AUTH the door runs ([`ConnGate::run_auth`]).
    pub(crate) fn engine_run(&self, session: &Session, batch: &[Vec<Bytes>]) -> usize {
        if batch.first().is_some_and(|r| self.takes(session, r)) {
            return 0;
        }
        1 + batch[1..].iter().position(|r| candidate(r)).unwrap_or(batch.len() - 1)
    }

    /// Whether the door runs this request: AUTH (two or three arguments) or a well-formed
    /// HELLO with AUTH, outside MULTI (where the engine queues it) and outside RESP2's
    /// subscribed context (where the engine refuses it).
    fn takes(&self, session: &Session, args: &[Bytes]) -> bool {
        candidate(args)
            && !session.in_multi()
            && !(session.is_subscribed() && session.handle.resp.load(Ordering::Relaxed) == 2)
    }

    /// Runs an AUTH or HELLO AUTH: its reply goes to `out`. False when the connection must
    /// close (killed, peer gone, or the deadline to authenticate passed while waiting).
    pub(crate) async fn run_auth<S: AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        engine: &Engine,
        session: &mut Session,
        args: &[Bytes],
        out: &mut ReplyBuffer,
    ) -> bool {
        engine.stats.commands.fetch_add(1, Ordering::Relaxed);
        let start = out.len();
        let outcome = if args[0].eq_ignore_ascii_case(b"auth") {
            let (user, password) = if args.len() == 2 { (None, &args[1]) } else { (Some(&args[1]), &args[2]) };
            match self.attempt(stream, engine, session, out, &args[0], user, password).await {
                Some(Ok(())) => {
                    out.ok();
                    Ok(())
                }
                Some(Err(e)) => Err(e),
                None => return false,
            }
        } else {
            let Some(hello) = hello_auth(args) else { return true };
            let mut result = Ok(());
            for (user, password) in &hello.credentials {
                match self.attempt(stream, engine, session, out, &args[0], Some(user), password).await {
                    Some(Ok(())) => {}
                    Some(Err(e)) => {
                        result = Err(e);
                        break;
                    }
                    None => return false,
                }
            }
            if result.is_ok() {
                // Authenticated: the rest of HELLO (protocol, SETNAME, the reply) is the engine's.
                engine.execute_batch(session, &[hello.rest], out);
                self.refresh(engine, session);
                return true;
            }
            result
        };
        if let Err(e) = outcome {
            engine.command_stats.record_error(e.message());
            out.error(e.message());
        }
        apply_reply_mode(session, out, start);
        self.refresh(engine, session);
        true
    }

    /// One credential check, throttled. `None` when the connection must close.
    #[allow(clippy::too_many_arguments)]
    async fn attempt<S: AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        engine: &Engine,
        session: &mut Session,
        out: &mut ReplyBuffer,
        command: &[u8],
        user: Option<&Bytes>,
        password: &Bytes,
    ) -> Option<redoubt_commands::CmdResult> {
        let gate = self.door.gate.clone();
        if user.is_none() {
            if let Some(e) = gate.auth_one_arg_refused() {
                return Some(Err(e));
            }
        }
        let username = user.cloned().unwrap_or_else(|| Bytes::from_static(b"default"));
        match gate.auth_turn(session, &username, command) {
            AuthTurn::Now => {}
            AuthTurn::Refused(e) => return Some(Err(e)),
            AuthTurn::After(delay) => {
                // The replies so far go out first; then only this connection waits.
                if !out.is_empty() && !write_out(stream, out, engine, session).await {
                    return None;
                }
                let deadline = self.deadline;
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = session.handle.killed() => return None,
                    _ = sleep_until(deadline) => {
                        if self.deadline_passed(engine, session) {
                            return None;
                        }
                        tokio::time::sleep(delay).await;
                    }
                }
                if let Some(e) = gate.auth_locked_after_wait(session, &username, command) {
                    return Some(Err(e));
                }
            }
        }
        let result = if gate.is_slow(&username) {
            // argon2id costs tens of milliseconds: off the event loop.
            let (g, u, p) = (gate.clone(), username.clone(), password.clone());
            tokio::task::spawn_blocking(move || g.verify(&u, &p)).await.unwrap_or(Err(AuthError::WrongPassword))
        } else {
            gate.verify(&username, password)
        };
        Some(gate.auth_result(session, command, &username, result))
    }

    /// Writes an unauthenticated client's replies, which the door lets accumulate only up to
    /// [`UNAUTHENTICATED_OUTPUT_LIMIT`] bytes: the socket must take them at once. A client
    /// that has not authenticated and does not read its replies (so the socket's buffer is
    /// full) is closed rather than buffered for (CVE-2025-21605); a `limit_hit` line.
    pub(crate) async fn flush_unauthenticated<S: AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        out: &mut ReplyBuffer,
        engine: &Engine,
        session: &Session,
    ) -> UnauthFlush {
        if out.is_empty() {
            return UnauthFlush::Done;
        }
        let total = out.len();
        let mut pos = 0;
        while pos < total {
            match tokio::time::timeout(Duration::ZERO, stream.write(&out.as_bytes()[pos..])).await {
                Ok(Ok(0)) | Ok(Err(_)) => return UnauthFlush::Closed,
                Ok(Ok(n)) => pos += n,
                Err(_) => break,
            }
        }
        if pos == total {
            if let Ok(Ok(())) = tokio::time::timeout(Duration::ZERO, stream.flush()).await {
                engine.stats.net_output_bytes.fetch_add(total as u64, Ordering::Relaxed);
                out.truncate(0);
                return UnauthFlush::Done;
            }
        }
        self.door.gate.audit(
            AuditEvent::LimitHit,
            Gate::source(session),
            None,
            None,
            "unauthenticated client does not read its replies: socket buffer full, closed",
        );
        UnauthFlush::LimitHit
    }
}

/// Whether a request is an AUTH or HELLO AUTH the door may run (a parse round stops after
/// one while the client has not authenticated).
pub(crate) fn is_auth(args: &[Bytes]) -> bool {
    candidate(args)
}

/// AUTH with two or three arguments, or HELLO with AUTH: what the door may take.
fn candidate(args: &[Bytes]) -> bool {
    match args.first() {
        Some(a) if a.eq_ignore_ascii_case(b"auth") => (2..=3).contains(&args.len()),
        Some(a) if a.eq_ignore_ascii_case(b"hello") => hello_auth(args).is_some(),
        _ => false,
    }
}

/// CLIENT REPLY applies to AUTH's reply as to any other.
fn apply_reply_mode(session: &mut Session, out: &mut ReplyBuffer, start: usize) {
    use redoubt_commands::session::ReplyMode;
    match session.reply_mode {
        ReplyMode::On => {}
        ReplyMode::Off => out.truncate(start),
        ReplyMode::Skip => {
            out.truncate(start);
            session.reply_mode = ReplyMode::On;
        }
        ReplyMode::SkipNext => session.reply_mode = ReplyMode::Skip,
    }
}

/// Writes the buffered replies; false when the peer is gone or the client is killed.
async fn write_out<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut ReplyBuffer,
    engine: &Engine,
    session: &Session,
) -> bool {
    let len = out.len();
    let written = tokio::select! {
        biased;
        r = async { stream.write_all(out.as_bytes()).await?; stream.flush().await } => r.is_ok(),
        _ = session.handle.killed() => false,
    };
    if written {
        engine.stats.net_output_bytes.fetch_add(len as u64, Ordering::Relaxed);
        out.truncate(0);
    }
    written
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Writes a refused start to the audit log, when `audit-log` is set and can be opened (the
/// refusal may be about the audit log itself).
pub(crate) fn audit_start_refused(cfg: &Config, refusal: &crate::server::ServerError) {
    let Some(path) = &cfg.audit_log else { return };
    let Ok(log) = redoubt_security::AuditLog::open(path, redoubt_security::AuditConfig::default()) else { return };
    let reason: String = refusal.0.split_whitespace().collect::<Vec<_>>().join(" ");
    log.record(&redoubt_security::AuditRecord {
        event: AuditEvent::StartRefused,
        source: AuditSource::Internal,
        user: None,
        command: None,
        reason: &reason,
    });
    log.sync();
}

/// The gate's periodic work (audit summaries, throttle purge), once a second.
pub(crate) async fn housekeeping(door: Arc<Door>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        door.gate.housekeeping();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|w| Bytes::copy_from_slice(w.as_bytes())).collect()
    }

    #[test]
    fn hello_auth_is_parsed_as_redis_does() {
        let h = hello_auth(&args("HELLO 3 AUTH u p SETNAME n")).unwrap();
        assert_eq!(h.credentials, vec![(Bytes::from("u"), Bytes::from("p"))]);
        assert_eq!(h.rest, args("HELLO 3 SETNAME n"));
        for not_taken in ["HELLO 3", "HELLO 4 AUTH u p", "HELLO x AUTH u p", "HELLO 3 AUTH u", "HELLO 3 AUTH u p FOO"] {
            assert!(hello_auth(&args(not_taken)).is_none(), "{not_taken}");
        }
        assert!(candidate(&args("auth pw")) && candidate(&args("AUTH u pw")));
        assert!(!candidate(&args("auth")) && !candidate(&args("auth a b c")) && !candidate(&args("get k")));
        assert!(is_http_command(&args("POST /")) && is_http_command(&args("Host: x")));
        assert!(!is_http_command(&args("GET k")));
    }
}
