//! The registry of connected clients: what CLIENT LIST, CLIENT INFO and CLIENT KILL see, and
//! the kill switch the door listens to. Each connection updates its own handle; others only
//! read it, so the hot path takes no registry lock.
//!
//! Client memory (Redis's `getClientMemoryUsage`, in part): each handle holds the bytes its
//! connection has in its query buffer (unparsed input, and the arguments of a request in
//! progress) and in its output buffer (replies produced and not yet taken by the socket, and
//! published messages waiting in its Pub/Sub inbox). Every change goes through a swap or an
//! add on the handle and the same change on the registry's totals, so the sum over all clients
//! that `maxmemory` and `maxmemory-clients` compare is one load, and a connection whose socket
//! takes its replies at once publishes nothing at all.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// How a client reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP (plain).
    Tcp,
    /// Unix domain socket.
    Unix,
}

/// What a client is to replication: CLIENT LIST's `S` and `M` flags, CLIENT KILL TYPE, and
/// the `client-output-buffer-limit` class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ClientKind {
    /// An ordinary client (or a Pub/Sub subscriber).
    Normal = 0,
    /// A replica this server feeds (it ran SYNC or PSYNC).
    Replica = 1,
    /// The link to this server's primary.
    Primary = 2,
}

/// One connected client, shared between its connection task and the registry.
#[derive(Debug)]
pub struct ClientHandle {
    /// Unique, increasing client id.
    pub id: u64,
    /// Peer address as `ip:port` (or the socket path for unix clients).
    pub addr: String,
    /// Local address as `ip:port`.
    pub laddr: String,
    /// Transport.
    pub transport: Transport,
    /// Connection time, unix ms.
    pub created_ms: i64,
    /// CLIENT SETNAME value.
    pub name: Mutex<Option<Bytes>>,
    /// Selected database.
    pub db: AtomicUsize,
    /// Last command's full name (index into nothing: a short string).
    pub last_command: Mutex<String>,
    /// Last interaction, unix ms.
    pub last_interaction_ms: AtomicI64,
    /// Protocol version (2 or 3).
    pub resp: AtomicU8,
    /// Authenticated user.
    pub user: Mutex<String>,
    /// Bytes waiting in the query buffer at the last read (CLIENT LIST `qbuf`).
    query_buffer: AtomicU64,
    /// Room left in the query buffer at the last read (CLIENT LIST `qbuf-free`).
    query_free: AtomicU64,
    /// Arguments held of a request in progress (CLIENT LIST `argv-mem`).
    argv_mem: AtomicU64,
    /// Reply bytes produced and not yet taken by the socket.
    reply_pending: AtomicU64,
    /// Published frames delivered to the inbox and not yet taken by the socket.
    push_pending: AtomicU64,
    /// A replica's part of the replication stream not yet taken by the socket: counted
    /// apart (INFO `mem_clients_slaves`), since it must not make keys be evicted.
    replica_pending: AtomicU64,
    /// [`ClientKind`] as a byte.
    kind: AtomicU8,
    /// When the output buffer went over its class's soft limit (unix ms; 0 when under it).
    pub(crate) soft_since_ms: AtomicI64,
    /// CLIENT NO-EVICT: `maxmemory-clients` never picks this client.
    pub(crate) no_evict: AtomicBool,
    totals: Arc<ClientTotals>,
    /// A key this client WATCHes was modified: its next EXEC fails (Redis's `CLIENT_DIRTY_CAS`).
    /// Set by whichever client's command modified the key, under the store lock.
    pub(crate) cas_dirty: AtomicBool,
    /// Subscriptions: channels, patterns, shard channels (CLIENT LIST `sub`, `psub`, `ssub`).
    pub(crate) subscriptions: [AtomicU32; 3],
    /// Commands queued in MULTI, -1 outside a transaction (CLIENT LIST `multi`).
    pub(crate) multi: AtomicI64,
    /// Whether the client waits in a blocking command (CLIENT LIST flag `b`).
    pub(crate) blocked: AtomicBool,
    /// Client-side caching: `TRACKING_*` bits (CLIENT LIST flags `t`, `R`, `B`), kept by
    /// tracking.rs.
    pub(crate) tracking: AtomicU8,
    /// Client-side caching's redirection (CLIENT LIST `redir`): -1 when not tracking.
    pub(crate) tracking_redirect: AtomicI64,
    killed: AtomicBool,
    kill_signal: Notify,
}

/// The sums over every client of what their handles hold, kept in step with them.
#[derive(Debug, Default)]
struct ClientTotals {
    /// Query buffers and arguments in progress.
    query: AtomicU64,
    /// Output buffers: replies and Pub/Sub inboxes.
    output: AtomicU64,
    /// Replicas' output buffers (the replication stream not yet sent).
    replica_output: AtomicU64,
}

/// Size of the reply buffer Redis gives every client (`PROTO_REPLY_CHUNK_BYTES`): what CLIENT
/// LIST shows as `rbs`, and the size of the output blocks `obl` and `oll` are counted in.
const REPLY_CHUNK: u64 = 16 * 1024;

/// `ClientHandle::tracking` bit: CLIENT TRACKING is on.
pub(crate) const TRACKING_ON: u8 = 1;
/// `ClientHandle::tracking` bit: the client it redirects to is gone.
pub(crate) const TRACKING_BROKEN_REDIRECT: u8 = 2;
/// `ClientHandle::tracking` bit: broadcasting mode.
pub(crate) const TRACKING_BCAST: u8 = 4;

/// Moves `total` by the change from `old` to `new`.
fn follow(total: &AtomicU64, old: u64, new: u64) {
    if new > old {
        total.fetch_add(new - old, Ordering::Relaxed);
    } else if old > new {
        total.fetch_sub(old - new, Ordering::Relaxed);
    }
}

impl ClientHandle {
    /// Records the reply bytes the connection holds that the socket has not taken yet.
    pub fn set_reply_pending(&self, n: u64) {
        let old = self.reply_pending.swap(n, Ordering::Relaxed);
        follow(&self.totals.output, old, n);
    }

    /// Records the query buffer after a read: bytes waiting, room left, and the arguments
    /// held of a request in progress.
    pub fn set_query(&self, waiting: u64, free: u64, argv: u64) {
        self.query_free.store(free, Ordering::Relaxed);
        let old = self.query_buffer.swap(waiting, Ordering::Relaxed) + self.argv_mem.swap(argv, Ordering::Relaxed);
        follow(&self.totals.query, old, waiting + argv);
    }

    /// Counts `n` bytes delivered to the Pub/Sub inbox; returns the output buffer's new size.
    pub(crate) fn add_push(&self, n: u64) -> u64 {
        let before = self.push_pending.fetch_add(n, Ordering::Relaxed);
        self.totals.output.fetch_add(n, Ordering::Relaxed);
        before + n + self.reply_pending.load(Ordering::Relaxed)
    }

    /// Counts `n` bytes of the inbox as taken (written, or moved into the reply buffer).
    pub(crate) fn sub_push(&self, n: u64) {
        let before = self
            .push_pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| Some(p.saturating_sub(n)))
            .unwrap_or(0);
        follow(&self.totals.output, before, before.saturating_sub(n));
    }

    /// Forgets the bytes of the Pub/Sub inbox (dropped with the client's subscriptions).
    pub(crate) fn release_inbox(&self) {
        let p = self.push_pending.swap(0, Ordering::Relaxed);
        follow(&self.totals.output, p, 0);
    }

    /// Records the replication stream bytes a replica's link holds that its socket has not
    /// taken yet.
    pub fn set_replica_pending(&self, n: u64) {
        let old = self.replica_pending.swap(n, Ordering::Relaxed);
        follow(&self.totals.replica_output, old, n);
    }

    /// What the client is to replication.
    pub fn kind(&self) -> ClientKind {
        match self.kind.load(Ordering::Relaxed) {
            1 => ClientKind::Replica,
            2 => ClientKind::Primary,
            _ => ClientKind::Normal,
        }
    }

    /// Marks the client as a replica or as the link to the primary.
    pub fn set_kind(&self, kind: ClientKind) {
        self.kind.store(kind as u8, Ordering::Relaxed);
    }

    /// Forgets every buffered byte: the client is closed.
    pub fn release(&self) {
        self.release_inbox();
        let s = self.replica_pending.swap(0, Ordering::Relaxed);
        follow(&self.totals.replica_output, s, 0);
        let r = self.reply_pending.swap(0, Ordering::Relaxed);
        follow(&self.totals.output, r, 0);
        let q = self.query_buffer.swap(0, Ordering::Relaxed) + self.argv_mem.swap(0, Ordering::Relaxed);
        follow(&self.totals.query, q, 0);
    }

    /// Bytes in the output buffer: replies not yet written and the Pub/Sub inbox (CLIENT
    /// LIST `omem`, what `client-output-buffer-limit` limits).
    pub fn output_pending(&self) -> u64 {
        self.reply_pending.load(Ordering::Relaxed)
            + self.push_pending.load(Ordering::Relaxed)
            + self.replica_pending.load(Ordering::Relaxed)
    }

    /// Reply bytes produced and not yet taken by the socket.
    pub fn reply_pending(&self) -> u64 {
        self.reply_pending.load(Ordering::Relaxed)
    }

    /// Bytes in the query buffer and the arguments of a request in progress.
    pub fn input_pending(&self) -> u64 {
        self.query_buffer.load(Ordering::Relaxed) + self.argv_mem.load(Ordering::Relaxed)
    }

    /// The memory the client's buffers hold (CLIENT LIST `tot-mem` less the fixed part;
    /// what `maxmemory-clients` ranks clients by).
    pub fn memory(&self) -> u64 {
        self.output_pending() + self.input_pending()
    }

    /// Marks the client killed and wakes its connection task, which closes it.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        self.kill_signal.notify_one();
    }

    /// Whether CLIENT KILL (or shutdown) asked this client to go.
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// Resolves when the client is killed.
    pub async fn killed(&self) {
        while !self.is_killed() {
            self.kill_signal.notified().await;
        }
    }

    /// The name set by CLIENT SETNAME, empty if none.
    pub fn name_string(&self) -> String {
        self.name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default()
    }

    /// CLIENT LIST flags, in Redis 7.0's order: `P` pub/sub, `x` in MULTI, `b` blocked, `t`
    /// tracking, `R` its redirection broken, `B` broadcasting, `d` a watched key changed, `U`
    /// unix socket; `N` when none.
    fn flags(&self) -> String {
        let mut f = String::new();
        match self.kind() {
            ClientKind::Replica => f.push('S'),
            ClientKind::Primary => f.push('M'),
            ClientKind::Normal => {}
        }
        if self.is_subscriber() {
            f.push('P');
        }
        if self.multi.load(Ordering::Relaxed) >= 0 {
            f.push('x');
        }
        if self.blocked.load(Ordering::Relaxed) {
            f.push('b');
        }
        let tracking = self.tracking.load(Ordering::Relaxed);
        for (bit, letter) in [(TRACKING_ON, 't'), (TRACKING_BROKEN_REDIRECT, 'R'), (TRACKING_BCAST, 'B')] {
            if tracking & bit != 0 {
                f.push(letter);
            }
        }
        if self.cas_dirty.load(Ordering::Relaxed) {
            f.push('d');
        }
        if self.transport == Transport::Unix {
            f.push('U');
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }

    /// Whether the client waits in a blocking command (INFO `blocked_clients`).
    pub fn is_blocked(&self) -> bool {
        self.blocked.load(Ordering::Relaxed)
    }

    /// Whether the client has Pub/Sub subscriptions.
    pub fn is_subscriber(&self) -> bool {
        self.subscriptions.iter().any(|n| n.load(Ordering::Relaxed) > 0)
    }

    /// One line of CLIENT LIST / CLIENT INFO, in Redis 7.0's field order.
    pub fn info_line(&self, now_ms: i64) -> String {
        let age = (now_ms - self.created_ms).max(0) / 1000;
        let idle = (now_ms - self.last_interaction_ms.load(Ordering::Relaxed)).max(0) / 1000;
        let flags = self.flags();
        let qbuf = self.query_buffer.load(Ordering::Relaxed);
        let qfree = self.query_free.load(Ordering::Relaxed);
        let argv = self.argv_mem.load(Ordering::Relaxed);
        let omem = self.output_pending();
        // Redis's first 16 KiB of replies sit in the client's own buffer (`obl` bytes), the
        // rest in a list of 16 KiB blocks (`oll`); here they are one buffer, shown that way.
        let obl = omem.min(REPLY_CHUNK);
        let oll = (omem - obl).div_ceil(REPLY_CHUNK);
        let cmd = self.last_command.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let user = self.user.lock().unwrap_or_else(|e| e.into_inner()).clone();
        format!(
            "id={} addr={} laddr={} fd=-1 name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}",
            self.id,
            self.addr,
            self.laddr,
            self.name_string(),
            age,
            idle,
            flags,
            self.db.load(Ordering::Relaxed),
            self.subscriptions[0].load(Ordering::Relaxed),
            self.subscriptions[1].load(Ordering::Relaxed),
            self.subscriptions[2].load(Ordering::Relaxed),
            self.multi.load(Ordering::Relaxed),
            qbuf,
            qfree,
            argv,
            REPLY_CHUNK,
            obl,
            obl,
            oll,
            omem,
            qbuf + qfree + argv + omem + REPLY_CHUNK + CLIENT_FIXED,
            if omem > 0 { "rw" } else { "r" },
            if cmd.is_empty() { "NULL" } else { &cmd },
            user,
            self.tracking_redirect.load(Ordering::Relaxed),
            self.resp.load(Ordering::Relaxed),
        )
    }
}

/// Memory a client costs beyond its buffers (its state and its connection task), for
/// CLIENT LIST `tot-mem`.
const CLIENT_FIXED: u64 = 2048;

/// All connected clients.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    next_id: AtomicU64,
    clients: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
    totals: Arc<ClientTotals>,
}

impl ClientRegistry {
    /// Registers a new connection and returns its handle.
    pub fn register(&self, addr: String, laddr: String, transport: Transport, now_ms: i64) -> Arc<ClientHandle> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let handle = Arc::new(ClientHandle {
            id,
            addr,
            laddr,
            transport,
            created_ms: now_ms,
            name: Mutex::new(None),
            db: AtomicUsize::new(0),
            last_command: Mutex::new(String::new()),
            last_interaction_ms: AtomicI64::new(now_ms),
            resp: AtomicU8::new(2),
            user: Mutex::new("default".to_string()),
            query_buffer: AtomicU64::new(0),
            query_free: AtomicU64::new(0),
            argv_mem: AtomicU64::new(0),
            reply_pending: AtomicU64::new(0),
            push_pending: AtomicU64::new(0),
            replica_pending: AtomicU64::new(0),
            kind: AtomicU8::new(ClientKind::Normal as u8),
            soft_since_ms: AtomicI64::new(0),
            no_evict: AtomicBool::new(false),
            totals: self.totals.clone(),
            cas_dirty: AtomicBool::new(false),
            subscriptions: Default::default(),
            multi: AtomicI64::new(-1),
            blocked: AtomicBool::new(false),
            tracking: AtomicU8::new(0),
            tracking_redirect: AtomicI64::new(-1),
            killed: AtomicBool::new(false),
            kill_signal: Notify::new(),
        });
        self.lock().insert(id, handle.clone());
        handle
    }

    /// Removes a closed connection, and its buffers from the totals.
    pub fn unregister(&self, id: u64) {
        if let Some(h) = self.lock().remove(&id) {
            h.release();
        }
    }

    /// Bytes in every client's output buffer (INFO `mem_clients_normal` in part).
    pub fn output_total(&self) -> u64 {
        self.totals.output.load(Ordering::Relaxed)
    }

    /// Bytes in replicas' output buffers (INFO `mem_clients_slaves`): in `used_memory`, not
    /// counted for eviction (Redis's `freeMemoryGetNotCountedMemory`).
    pub fn replica_output_total(&self) -> u64 {
        self.totals.replica_output.load(Ordering::Relaxed)
    }

    /// Bytes in every client's buffers but replicas' output, input and output: what counts
    /// towards `maxmemory` and `maxmemory-clients`.
    pub fn memory_total(&self) -> u64 {
        self.output_total() + self.totals.query.load(Ordering::Relaxed)
    }

    /// The connected client with this id.
    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.lock().get(&id).cloned()
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of all clients, by id.
    pub fn all(&self) -> Vec<Arc<ClientHandle>> {
        self.lock().values().cloned().collect()
    }

    /// Kills every client (shutdown).
    pub fn kill_all(&self) {
        for c in self.all() {
            c.kill();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<ClientHandle>>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}
