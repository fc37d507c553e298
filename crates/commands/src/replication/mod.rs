//! Replication, the engine's side (Redis 7.0's `replication.c` semantics, full resync only).
//!
//! **As a primary.** A replica (or any admin client) runs SYNC or PSYNC: under the keyspace
//! lock the dataset is captured as a [`Snapshot`] (encoded records, as BGSAVE does) and the
//! client gets a [`ReplicaFeed`], so every write after that instant reaches it, in order.
//! The door (`redoubt-net`) then sends `+FULLRESYNC <replid> <offset>` (PSYNC), the snapshot
//! as `$<len>\r\n<rdb>`, and whatever the feed buffered meanwhile, and goes on sending the
//! stream. The stream is exactly what the append-only file gets (`aof::propagate`: relative
//! expiries made absolute, expired and evicted keys as DEL, transactions as MULTI/EXEC),
//! with a SELECT before the first command and whenever the database changes; it is produced
//! whenever a replica is attached, whether `appendonly` is on or not. A replica's buffered
//! stream is counted apart from other client buffers (`mem_clients_slaves`): in
//! `used_memory`, never towards eviction (Redis's `freeMemoryGetNotCountedMemory`), and
//! bounded by `client-output-buffer-limit replica`.
//!
//! **As a replica.** REPLICAOF (an admin, towards a primary the configuration allows) or the
//! `replicaof` directive names the primary; the door's link task connects, authenticates
//! with `masteruser`/`masterauth`, asks `PSYNC ? -1`, loads the snapshot
//! ([`load_full_sync`]) and applies the stream as a privileged client (no permission checks,
//! never refused for memory, its writes propagated onward to this server's own file and
//! replicas). Clients get `READONLY` for writes while `replica-read-only` is yes.
//!
//! Left out: partial resynchronisation (every PSYNC gets a full resync; there is no backlog),
//! diskless `$EOF:` transfers, TLS towards the primary, and WAIT.

mod commands;

pub use commands::{allowed_primary, info};
pub(crate) use commands::{psync, replconf, replicaof, role, sync};

use crate::clients::ClientHandle;
use crate::context::CmdError;
use crate::engine::{unix_ms, Engine};
use crate::session::Session;
use crate::spec::{CmdFlags, CommandSpec};
use redoubt_persist::aof::encode_command;
use redoubt_persist::{LoadOptions, Snapshot};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Redis's reply to a write on a read-only replica.
pub const READONLY: &str = "READONLY You can't write against a read only replica.";

/// A random 40-hex-digit replication id.
fn new_replid() -> String {
    (0..40).map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0')).collect()
}

/// Where the link to the primary stands (ROLE's state, INFO's `master_link_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum LinkStatus {
    /// Not connected; will connect.
    Connect = 0,
    /// Connecting and handshaking.
    Connecting = 1,
    /// Receiving the snapshot.
    Sync = 2,
    /// Applying the stream.
    Connected = 3,
}

/// The replication state the engine carries.
pub struct Replication {
    /// Some replica is attached: commands are propagated into the feed.
    feeding: AtomicBool,
    feed: Mutex<Feed>,
    /// This server's replication id (a new one on promotion).
    replid: Mutex<String>,
    /// The primary to follow (`None`: this server is a primary), and its generation: the
    /// link task starts over whenever it changes.
    wanted: tokio::sync::watch::Sender<(u64, Option<(String, u16)>)>,
    /// Writes from clients are refused (a replica with `replica-read-only yes`).
    read_only: AtomicBool,
    /// This server follows a primary.
    replica: AtomicBool,
    status: AtomicU8,
    /// Offset of the primary's stream applied so far (`slave_repl_offset`).
    reploff: AtomicU64,
    /// Last byte from the primary, unix ms.
    last_io_ms: AtomicI64,
    /// Link down since, unix ms.
    down_since_ms: AtomicI64,
    /// The cron's last PING to replicas, unix ms.
    last_ping_ms: AtomicI64,
}

/// The stream going to replicas.
#[derive(Default)]
struct Feed {
    /// Database of the last SELECT sent; `None`: the next command selects.
    db: Option<usize>,
    /// `master_repl_offset`: bytes of stream produced.
    offset: u64,
    replicas: Vec<Arc<ReplicaFeed>>,
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            feeding: AtomicBool::new(false),
            feed: Mutex::default(),
            replid: Mutex::new(new_replid()),
            wanted: tokio::sync::watch::Sender::new((0, None)),
            read_only: AtomicBool::new(false),
            replica: AtomicBool::new(false),
            status: AtomicU8::new(LinkStatus::Connect as u8),
            reploff: AtomicU64::new(0),
            last_io_ms: AtomicI64::new(0),
            down_since_ms: AtomicI64::new(0),
            last_ping_ms: AtomicI64::new(0),
        }
    }
}

impl std::fmt::Debug for Replication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replication").field("primary", &self.primary()).finish()
    }
}

/// One attached replica's stream: what the feed appended and its socket has not taken.
#[derive(Debug)]
pub struct ReplicaFeed {
    /// The replica's client.
    pub handle: Arc<ClientHandle>,
    /// The port it listens on (REPLCONF listening-port), 0 when not told.
    pub listening_port: u16,
    /// It asked with PSYNC (an old-style SYNC client is never timed out, as in Redis).
    pub psync: bool,
    buf: Mutex<Vec<u8>>,
    /// Bytes the link task took from `buf` and has not written yet.
    inflight: AtomicU64,
    wake: tokio::sync::Notify,
    /// The snapshot was sent: the replica is `online`.
    online: AtomicBool,
    /// Last REPLCONF ACK offset, and when it came (unix ms).
    ack_offset: AtomicU64,
    ack_ms: AtomicI64,
}

impl ReplicaFeed {
    fn push(&self, engine: &Engine, bytes: &[u8], now_ms: i64) {
        if self.handle.is_killed() {
            return;
        }
        let total = {
            let mut buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
            buf.extend_from_slice(bytes);
            buf.len() as u64 + self.inflight.load(Ordering::Relaxed)
        };
        self.handle.set_replica_pending(total);
        if engine.check_output_limits(&self.handle, total, now_ms) {
            self.buf.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        self.wake.notify_one();
    }

    /// Takes what the feed buffered into `out` (the link task writes it); `out` must be
    /// empty. The bytes stay counted until [`ReplicaFeed::written`] says they left.
    pub fn take(&self, out: &mut Vec<u8>) {
        let mut buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::swap(&mut *buf, out);
        self.inflight.store(out.len() as u64, Ordering::Relaxed);
    }

    /// The socket took `n` bytes of what [`ReplicaFeed::take`] gave, `left` remain.
    pub fn written(&self, left: usize) {
        if self.handle.is_killed() {
            return;
        }
        let buffered = self.buf.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
        self.inflight.store(left as u64, Ordering::Relaxed);
        self.handle.set_replica_pending(buffered + left as u64);
    }

    /// Resolves when the feed appended something.
    pub async fn appended(&self) {
        self.wake.notified().await
    }

    /// The snapshot was sent.
    pub fn set_online(&self) {
        self.online.store(true, Ordering::Relaxed);
        self.ack_ms.store(unix_ms(), Ordering::Relaxed);
    }

    /// REPLCONF ACK from the replica.
    pub fn ack(&self, offset: u64) {
        self.ack_offset.fetch_max(offset, Ordering::Relaxed);
        self.ack_ms.store(unix_ms(), Ordering::Relaxed);
    }

    /// When the replica last acknowledged (unix ms).
    pub fn last_ack_ms(&self) -> i64 {
        self.ack_ms.load(Ordering::Relaxed)
    }

    /// The replica's address as INFO shows it.
    fn ip(&self) -> &str {
        self.handle.addr.rsplit_once(':').map_or(&self.handle.addr, |(ip, _)| ip)
    }
}

/// What SYNC or PSYNC leaves in the session for the door: the snapshot to send and the feed.
#[derive(Debug)]
pub struct ReplicaAttach {
    /// The replica's stream from the snapshot's instant on.
    pub feed: Arc<ReplicaFeed>,
    /// The dataset at that instant.
    pub snapshot: Snapshot,
}

impl Replication {
    fn feed(&self) -> MutexGuard<'_, Feed> {
        self.feed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether commands must be propagated to replicas.
    #[inline]
    pub fn feeding(&self) -> bool {
        self.feeding.load(Ordering::Relaxed)
    }

    /// The replication id.
    pub fn replid(&self) -> String {
        self.replid.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The primary this server follows, if any.
    pub fn primary(&self) -> Option<(String, u16)> {
        self.wanted.borrow().1.clone()
    }

    /// Watches the primary to follow: (generation, primary).
    pub fn watch_primary(&self) -> tokio::sync::watch::Receiver<(u64, Option<(String, u16)>)> {
        self.wanted.subscribe()
    }

    /// The link's state.
    pub fn status(&self) -> LinkStatus {
        match self.status.load(Ordering::Relaxed) {
            1 => LinkStatus::Connecting,
            2 => LinkStatus::Sync,
            3 => LinkStatus::Connected,
            _ => LinkStatus::Connect,
        }
    }

    /// Sets the link's state (the door's link task).
    pub fn set_status(&self, status: LinkStatus) {
        let was = self.status.swap(status as u8, Ordering::Relaxed);
        if was == LinkStatus::Connected as u8 && status != LinkStatus::Connected {
            self.down_since_ms.store(unix_ms(), Ordering::Relaxed);
        }
    }

    /// Bytes of the primary's stream applied: `slave_repl_offset`.
    pub fn reploff(&self) -> u64 {
        self.reploff.load(Ordering::Relaxed)
    }

    /// Counts `n` more bytes of the primary's stream applied.
    pub fn advance(&self, n: u64) {
        self.reploff.fetch_add(n, Ordering::Relaxed);
        self.last_io_ms.store(unix_ms(), Ordering::Relaxed);
    }

    /// Something (a PING, newlines) came from the primary.
    pub fn touched_by_primary(&self) {
        self.last_io_ms.store(unix_ms(), Ordering::Relaxed);
    }

    /// When the primary was last heard from (unix ms).
    pub fn last_io_ms(&self) -> i64 {
        self.last_io_ms.load(Ordering::Relaxed)
    }

    /// Starts following `primary` (or stops, with `None`).
    fn set_primary(&self, primary: Option<(String, u16)>) {
        self.replica.store(primary.is_some(), Ordering::Relaxed);
        self.wanted.send_modify(|(generation, p)| {
            *generation += 1;
            *p = primary;
        });
    }

    /// Appends one command run in database `db` to every replica's stream.
    fn append<A: AsRef<[u8]>>(&self, engine: &Engine, db: Option<usize>, args: &[A]) {
        let mut feed = self.feed();
        if feed.replicas.is_empty() {
            return;
        }
        let mut bytes = Vec::with_capacity(64);
        if let Some(db) = db {
            if feed.db != Some(db) {
                let n = db.to_string();
                encode_command(&mut bytes, &[&b"SELECT"[..], n.as_bytes()]);
                feed.db = Some(db);
            }
        }
        encode_command(&mut bytes, args);
        feed.offset += bytes.len() as u64;
        let now_ms = unix_ms();
        for r in &feed.replicas {
            r.push(engine, &bytes, now_ms);
        }
    }

    /// Attaches a replica (under the keyspace lock, with the snapshot taken at the same
    /// instant); the next command selects its database. Returns the stream's offset.
    fn attach(&self, feed: Arc<ReplicaFeed>) -> u64 {
        let mut f = self.feed();
        f.replicas.push(feed);
        f.db = None;
        self.feeding.store(true, Ordering::Relaxed);
        f.offset
    }

    /// Forgets a replica whose link closed.
    pub fn detach(&self, client_id: u64) {
        let mut f = self.feed();
        f.replicas.retain(|r| r.handle.id != client_id);
        self.feeding.store(!f.replicas.is_empty(), Ordering::Relaxed);
    }

    /// The attached replicas.
    fn replicas(&self) -> Vec<Arc<ReplicaFeed>> {
        self.feed().replicas.clone()
    }

    /// `master_repl_offset` of this server as a primary.
    fn offset(&self) -> u64 {
        self.feed().offset
    }

    /// Whether this server follows a primary (one atomic load).
    #[inline]
    pub fn is_replica(&self) -> bool {
        self.replica.load(Ordering::Relaxed)
    }

    /// Whether clients' writes are refused.
    #[inline]
    pub(crate) fn read_only(&self) -> bool {
        self.read_only.load(Ordering::Relaxed)
    }

    /// Refreshes the read-only switch from the role and `replica-read-only`.
    pub(crate) fn refresh_read_only(&self, config_read_only: bool) {
        self.read_only.store(config_read_only && self.is_replica(), Ordering::Relaxed);
    }
}

impl Engine {
    /// Whether commands are being propagated (to the append-only file or to replicas):
    /// handlers build their deterministic form only then.
    #[inline]
    pub(crate) fn propagating(&self) -> bool {
        self.aof.active() || self.replication.feeding()
    }

    /// Propagates one command run in database `db`: to the append-only file and to the
    /// replicas (under the keyspace lock: memory only).
    pub(crate) fn propagate_record<A: AsRef<[u8]>>(&self, db: usize, args: &[A]) {
        if self.aof.active() {
            self.aof.append(db, args);
        }
        if self.replication.feeding() {
            self.replication.append(self, Some(db), args);
        }
    }

    /// Refuses a client's write on a read-only replica (`None` lets the command run).
    pub(crate) fn refuse_on_replica(&self, session: &mut Session, spec: &CommandSpec) -> Option<crate::CmdResult> {
        if !self.replication.read_only() || session.from_primary || !spec.flags.contains(CmdFlags::WRITE) {
            return None;
        }
        if session.in_multi() {
            crate::transactions::flag_abort(session);
        }
        Some(Err(CmdError::raw(READONLY)))
    }

    /// Once a second from the cron: PING to the replicas every `repl-ping-replica-period`,
    /// and replicas silent for longer than `repl-timeout` are closed.
    pub(crate) fn replication_cron(&self, now_ms: i64) {
        if !self.replication.feeding() {
            return;
        }
        let (period, timeout) = {
            let cfg = self.config();
            let n = |name: &str, d: i64| cfg.value(name).and_then(|v| v.parse::<i64>().ok()).unwrap_or(d);
            (n("repl-ping-replica-period", 10), n("repl-timeout", 60))
        };
        let last = self.replication.last_ping_ms.load(Ordering::Relaxed);
        if now_ms - last >= period * 1000 {
            self.replication.last_ping_ms.store(now_ms, Ordering::Relaxed);
            if last != 0 {
                self.replication.append(self, None, &[&b"PING"[..]]);
            }
        }
        for r in self.replication.replicas() {
            let silent = now_ms - r.last_ack_ms();
            if r.psync && r.online.load(Ordering::Relaxed) && silent > timeout * 1000 {
                tracing::warn!("Disconnecting timedout replica (streaming sync): {}", r.handle.addr);
                r.handle.kill();
                r.handle.release();
            }
        }
    }
}

/// At start: follows the `replicaof` directive's primary, if one is set (audited as a role
/// change).
pub fn start_from_config(engine: &Engine) {
    let value = engine.config().value("replicaof").unwrap_or_default();
    let mut words = value.split_whitespace();
    let (Some(host), Some(port)) = (words.next(), words.next().and_then(|p| p.parse::<u16>().ok())) else {
        return;
    };
    engine.replication.set_primary(Some((host.to_string(), port)));
    let ro = engine.config().value("replica-read-only").is_none_or(|v| v == "yes");
    engine.replication.refresh_read_only(ro);
    if let Some(gate) = engine.gate() {
        gate.role_changed(None, "replicaof", &format!("replica of {host}:{port} (replicaof directive)"));
    }
}

/// Encodes a replica's snapshot as an RDB image (on a blocking thread, outside the lock).
pub fn encode_snapshot(engine: &Engine, snapshot: &Snapshot) -> std::io::Result<Vec<u8>> {
    let opts = crate::persistence::save_options(engine);
    let mut rdb = Vec::new();
    snapshot.write_to(&mut rdb, &opts)?;
    Ok(rdb)
}

/// Replaces the dataset with the primary's snapshot (a full resync), as one step under the
/// keyspace lock: the image is in memory, so no file I/O happens under it. With the
/// append-only file on, a rewrite then makes the new dataset its base. `replid` and
/// `offset` are the primary's, from `+FULLRESYNC`.
pub fn load_full_sync(engine: &Engine, rdb: &[u8], replid: &str, offset: u64) -> Result<u64, String> {
    let opts =
        LoadOptions { limits: crate::persistence::load_limits(engine), verify_checksum: true, now_ms: unix_ms() };
    // The replicas of this server were fed the old dataset: they must resynchronise.
    for r in engine.replication.replicas() {
        r.handle.kill();
        r.handle.release();
    }
    let keys = engine.with_keyspace(|ks| {
        ks.flush_all();
        match redoubt_persist::load_from(rdb, rdb.len() as u64, ks, &opts) {
            Ok(report) => {
                if engine.aof.active() {
                    if let Err(e) = crate::aof::rewrite::start(engine, ks, unix_ms()) {
                        tracing::warn!("Can't rewrite the append only file after a full sync: {e}");
                    }
                }
                Ok(report.keys_loaded)
            }
            Err(e) => {
                ks.flush_all();
                Err(e.to_string())
            }
        }
    })?;
    *engine.replication.replid.lock().unwrap_or_else(|e| e.into_inner()) = replid.to_string();
    engine.replication.reploff.store(offset, Ordering::Relaxed);
    engine.replication.touched_by_primary();
    Ok(keys)
}
