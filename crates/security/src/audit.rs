//! The audit log (`audit-log FILE`): one JSON object per line, never a secret.
//!
//! ```text
//! {"time":"2024-05-01T12:34:56.789Z","event":"auth_failure","source":"192.0.2.7:51234","user":"default","command":"auth","reason":"wrong password"}
//! ```
//!
//! - The file is opened append-only, created with mode 0600; a path that is a symbolic link,
//!   not a regular file, or open to group or others is refused, naming the fix.
//! - Lines carry the command's name only, never its arguments (AUTH, HELLO and ACL SETUSER
//!   arguments hold passwords); the server passes only names and its own reason texts.
//! - A flood cannot fill the disk: each (event, source) has a token bucket (`burst` lines,
//!   then `per_second`), and all lines together have a global bucket. Lines held back are
//!   counted and reported by one `suppressed` line when that key is heard from again or when
//!   [`AuditLog::flush`] runs.
//! - Writing never blocks the caller: lines go through a bounded queue to a writer thread; if
//!   the queue is full (the disk stalls), lines are counted as dropped and reported later.

use crate::json;
use crate::throttle::SourceKey;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditEvent {
    /// A successful AUTH from a source not seen succeeding recently.
    AuthSuccess,
    /// A failed AUTH or HELLO AUTH.
    AuthFailure,
    /// A source was locked out after repeated failures.
    Lockout,
    /// A command was refused by the user's permissions.
    PermissionDenied,
    /// A connection was refused by protected mode.
    ProtectedModeRefused,
    /// A connection was refused by the source allowlist.
    AllowlistRefused,
    /// A connection sent an HTTP request line and was closed.
    HttpProbe,
    /// A limit was hit (connections per source, query buffer, unauthenticated timeout...).
    LimitHit,
    /// The configuration changed (CONFIG SET, CONFIG REWRITE).
    ConfigChange,
    /// Users changed (ACL SETUSER, DELUSER, LOAD).
    AclChange,
    /// The replication role changed.
    RoleChange,
    /// The server refused to start (preflight: file modes, exposure); written when the
    /// audit log itself could be opened.
    StartRefused,
}

impl AuditEvent {
    /// The `event` field.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditEvent::AuthSuccess => "auth_success",
            AuditEvent::AuthFailure => "auth_failure",
            AuditEvent::Lockout => "lockout",
            AuditEvent::PermissionDenied => "permission_denied",
            AuditEvent::ProtectedModeRefused => "protected_mode_refused",
            AuditEvent::AllowlistRefused => "allowlist_refused",
            AuditEvent::HttpProbe => "http_probe",
            AuditEvent::LimitHit => "limit_hit",
            AuditEvent::ConfigChange => "config_change",
            AuditEvent::AclChange => "acl_change",
            AuditEvent::RoleChange => "role_change",
            AuditEvent::StartRefused => "start_refused",
        }
    }
}

/// Where a client came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditSource {
    /// A TCP (or TLS) client.
    Tcp(SocketAddr),
    /// A unix-socket client.
    Unix,
    /// The server itself (start-up, a timer).
    Internal,
}

/// One audit event. `user`, `command` and `reason` must never hold a secret: pass a
/// command's name, never its arguments.
#[derive(Clone, Copy, Debug)]
pub struct AuditRecord<'a> {
    /// What happened.
    pub event: AuditEvent,
    /// The client.
    pub source: AuditSource,
    /// The user, when known (for AUTH failures: the name tried).
    pub user: Option<&'a str>,
    /// The command's name, when there is one.
    pub command: Option<&'a str>,
    /// Why, in a few words.
    pub reason: &'a str,
}

/// Rate limits and sizes of the audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditConfig {
    /// Lines per (event, source) written at once before the rate applies. Default 20.
    pub burst: f64,
    /// Lines per (event, source) per second after the burst. Default 1.
    pub per_second: f64,
    /// Lines of all keys written at once. Default 200.
    pub global_burst: f64,
    /// Lines of all keys per second. Default 50.
    pub global_per_second: f64,
    /// Most (event, source) keys tracked. Default 4096.
    pub max_keys: usize,
    /// Lines queued for the writer thread. Default 4096.
    pub queue: usize,
    /// Longest `user`, `command` or `reason` field, bytes. Default 256.
    pub max_field: usize,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig {
            burst: 20.0,
            per_second: 1.0,
            global_burst: 200.0,
            global_per_second: 50.0,
            max_keys: 4096,
            queue: 4096,
            max_field: 256,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum KeySource {
    Ip(SourceKey),
    Unix,
    Internal,
}

#[derive(Clone, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    suppressed: u64,
    source: AuditSource,
}

impl Bucket {
    fn refill(&mut self, now: Instant, rate: f64, cap: f64) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * rate).min(cap);
        self.last = now;
    }
}

#[derive(Debug)]
struct Limiter {
    keys: HashMap<(AuditEvent, KeySource), Bucket>,
    global: Bucket,
    global_suppressed: u64,
}

enum Msg {
    Line(String),
    Sync(SyncSender<()>),
}

/// The audit log. Shared by every connection (`Arc<AuditLog>`); `record` takes a short lock
/// and never does I/O.
pub struct AuditLog {
    cfg: AuditConfig,
    limiter: Mutex<Limiter>,
    tx: SyncSender<Msg>,
    dropped: AtomicU64,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").field("cfg", &self.cfg).finish()
    }
}

/// Opens (creating with mode 0600) an audit log file for appending, refusing a symbolic
/// link, anything but a regular file, and a file open to group or others.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    let refuse = |why: String| io::Error::new(io::ErrorKind::PermissionDenied, why);
    let shown = path.display();
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(refuse(format!("audit-log {shown} is a symbolic link; refusing to follow it")));
        }
        check_meta(&meta, path)?;
    }
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        // No following a symbolic link; no blocking on a FIFO put in the file's place.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("audit-log {shown}: {e}")))?;
    check_meta(&file.metadata()?, path)?;
    Ok(file)
}

fn check_meta(meta: &std::fs::Metadata, path: &Path) -> io::Result<()> {
    let shown = path.display();
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("audit-log {shown} is not a regular file"),
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("audit-log {shown} has mode {mode:04o}, open to group or others; fix it with: chmod 600 {shown}"),
        ));
    }
    Ok(())
}

impl AuditLog {
    /// Opens `audit-log FILE` (see [`open_private_append`]) and starts its writer thread.
    pub fn open(path: &Path, cfg: AuditConfig) -> io::Result<AuditLog> {
        let file = open_private_append(path)?;
        Ok(AuditLog::with_writer(Box::new(file), cfg))
    }

    /// An audit log writing to any writer (tests, standard error).
    pub fn with_writer(writer: Box<dyn Write + Send>, cfg: AuditConfig) -> AuditLog {
        let (tx, rx) = mpsc::sync_channel(cfg.queue.max(1));
        std::thread::Builder::new()
            .name("audit-log".into())
            .spawn(move || writer_thread(writer, rx))
            .expect("spawn the audit-log writer thread");
        let now = Instant::now();
        let global = Bucket { tokens: cfg.global_burst, last: now, suppressed: 0, source: AuditSource::Internal };
        AuditLog {
            limiter: Mutex::new(Limiter { keys: HashMap::new(), global, global_suppressed: 0 }),
            cfg,
            tx,
            dropped: AtomicU64::new(0),
        }
    }

    /// Records an event now.
    pub fn record(&self, rec: &AuditRecord<'_>) {
        self.record_at(rec, SystemTime::now(), Instant::now());
    }

    /// Records an event with explicit clocks: `wall` for the `time` field, `now` for the rate
    /// limits. Returns whether the line was written (not held back by a rate limit).
    pub fn record_at(&self, rec: &AuditRecord<'_>, wall: SystemTime, now: Instant) -> bool {
        let mut lines = Vec::new();
        let written = {
            let mut lim = self.limiter.lock().unwrap_or_else(|e| e.into_inner());
            self.admit(&mut lim, rec, wall, now, &mut lines)
        };
        for l in lines {
            self.send(l);
        }
        written
    }

    fn admit(
        &self,
        lim: &mut Limiter,
        rec: &AuditRecord<'_>,
        wall: SystemTime,
        now: Instant,
        out: &mut Vec<String>,
    ) -> bool {
        let cfg = &self.cfg;
        lim.global.refill(now, cfg.global_per_second, cfg.global_burst);
        let key = (rec.event, key_source(rec.source));
        if !lim.keys.contains_key(&key) && lim.keys.len() >= cfg.max_keys {
            self.evict(lim, now);
        }
        let b =
            lim.keys.entry(key).or_insert(Bucket { tokens: cfg.burst, last: now, suppressed: 0, source: rec.source });
        b.refill(now, cfg.per_second, cfg.burst);
        if b.tokens < 1.0 || lim.global.tokens < 1.0 {
            b.suppressed += 1;
            return false;
        }
        b.tokens -= 1.0;
        lim.global.tokens -= 1.0;
        let suppressed = std::mem::take(&mut b.suppressed);
        b.source = rec.source;
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        let global = std::mem::take(&mut lim.global_suppressed) + dropped;
        if global > 0 {
            out.push(self.summary(wall, AuditSource::Internal, None, global));
        }
        if suppressed > 0 {
            out.push(self.summary(wall, rec.source, Some(rec.event), suppressed));
        }
        out.push(self.line(rec, wall));
        true
    }

    /// Makes room for a new key: keys with nothing held back go first; a key whose count is
    /// dropped is added to the global count so no suppression goes unreported.
    fn evict(&self, lim: &mut Limiter, now: Instant) {
        let (rate, cap) = (self.cfg.per_second, self.cfg.burst);
        lim.keys.retain(|_, b| {
            b.refill(now, rate, cap);
            b.suppressed > 0 || b.tokens < cap
        });
        while lim.keys.len() >= self.cfg.max_keys {
            let Some(k) = lim.keys.iter().min_by_key(|(_, b)| b.last).map(|(k, _)| *k) else { break };
            if let Some(b) = lim.keys.remove(&k) {
                lim.global_suppressed += b.suppressed;
            }
        }
    }

    /// Writes the `suppressed` lines of keys that may write again, and the global count.
    /// Call it every second or so; it never blocks.
    pub fn flush(&self) {
        self.flush_at(SystemTime::now(), Instant::now());
    }

    /// [`AuditLog::flush`] with explicit clocks.
    pub fn flush_at(&self, wall: SystemTime, now: Instant) {
        let mut lines = Vec::new();
        {
            let mut lim = self.limiter.lock().unwrap_or_else(|e| e.into_inner());
            let (rate, cap) = (self.cfg.per_second, self.cfg.burst);
            lim.global.refill(now, self.cfg.global_per_second, self.cfg.global_burst);
            let mut folded = 0;
            let Limiter { keys, global, .. } = &mut *lim;
            for ((event, _), b) in keys.iter_mut() {
                b.refill(now, rate, cap);
                if b.suppressed == 0 {
                    continue;
                }
                if b.tokens >= 1.0 && global.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    global.tokens -= 1.0;
                    lines.push(self.summary(wall, b.source, Some(*event), std::mem::take(&mut b.suppressed)));
                } else {
                    // No room for one line per key: one global count for the rest.
                    folded += std::mem::take(&mut b.suppressed);
                }
            }
            let global = std::mem::take(&mut lim.global_suppressed) + folded + self.dropped.swap(0, Ordering::Relaxed);
            if global > 0 {
                lines.push(self.summary(wall, AuditSource::Internal, None, global));
            }
        }
        for l in lines {
            self.send(l);
        }
    }

    /// Waits until every line recorded so far is written and flushed (tests, shutdown).
    pub fn sync(&self) {
        let (tx, rx) = mpsc::sync_channel(1);
        if self.tx.send(Msg::Sync(tx)).is_ok() {
            let _ = rx.recv();
        }
    }

    fn send(&self, line: String) {
        match self.tx.try_send(Msg::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn line(&self, rec: &AuditRecord<'_>, wall: SystemTime) -> String {
        self.format(wall, rec.event.as_str(), rec.source, rec.user, rec.command, rec.reason, None)
    }

    fn summary(&self, wall: SystemTime, source: AuditSource, event: Option<AuditEvent>, n: u64) -> String {
        let reason = match event {
            Some(e) => format!("suppressed {n} {} events", e.as_str()),
            None => format!("suppressed {n} events (global rate limit or full queue)"),
        };
        self.format(wall, "suppressed", source, None, None, &reason, Some(n))
    }

    #[allow(clippy::too_many_arguments)]
    fn format(
        &self,
        wall: SystemTime,
        event: &str,
        source: AuditSource,
        user: Option<&str>,
        command: Option<&str>,
        reason: &str,
        count: Option<u64>,
    ) -> String {
        let max = self.cfg.max_field;
        let mut s = String::with_capacity(160);
        s.push_str("{\"time\":");
        json::push_str(&mut s, &json::rfc3339_ms(wall), 64);
        s.push_str(",\"event\":");
        json::push_str(&mut s, event, 64);
        s.push_str(",\"source\":");
        json::push_str(&mut s, &source_text(source), 128);
        if let Some(u) = user {
            s.push_str(",\"user\":");
            json::push_str(&mut s, u, max);
        }
        if let Some(c) = command {
            s.push_str(",\"command\":");
            json::push_str(&mut s, c, max);
        }
        s.push_str(",\"reason\":");
        json::push_str(&mut s, reason, max);
        if let Some(n) = count {
            s.push_str(&format!(",\"count\":{n}"));
        }
        s.push('}');
        s
    }
}

fn key_source(s: AuditSource) -> KeySource {
    match s {
        AuditSource::Tcp(addr) => KeySource::Ip(SourceKey::of(addr.ip())),
        AuditSource::Unix => KeySource::Unix,
        AuditSource::Internal => KeySource::Internal,
    }
}

fn source_text(s: AuditSource) -> String {
    match s {
        AuditSource::Tcp(addr) => addr.to_string(),
        AuditSource::Unix => "unix".into(),
        AuditSource::Internal => "internal".into(),
    }
}

fn writer_thread(mut w: Box<dyn Write + Send>, rx: Receiver<Msg>) {
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Line(l) => {
                    let _ = w.write_all(l.as_bytes()).and_then(|_| w.write_all(b"\n"));
                }
                Msg::Sync(ack) => {
                    let _ = w.flush();
                    let _ = ack.send(());
                }
            }
            next = rx.try_recv().ok();
        }
        let _ = w.flush();
    }
}
