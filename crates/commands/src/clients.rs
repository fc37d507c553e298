//! The registry of connected clients: what CLIENT LIST, CLIENT INFO and CLIENT KILL see, and
//! the kill switch the door listens to. Each connection updates its own handle; others only
//! read it, so the hot path takes no registry lock.

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
    /// Bytes waiting in the query buffer at the last read.
    pub query_buffer: AtomicU64,
    /// Bytes waiting in the output buffer at the last write.
    pub output_buffer: AtomicU64,
    /// A key this client WATCHes was modified: its next EXEC fails (Redis's `CLIENT_DIRTY_CAS`).
    /// Set by whichever client's command modified the key, under the store lock.
    pub(crate) cas_dirty: AtomicBool,
    /// Subscriptions: channels, patterns, shard channels (CLIENT LIST `sub`, `psub`, `ssub`).
    pub(crate) subscriptions: [AtomicU32; 3],
    /// Commands queued in MULTI, -1 outside a transaction (CLIENT LIST `multi`).
    pub(crate) multi: AtomicI64,
    /// Whether the client waits in a blocking command (CLIENT LIST flag `b`).
    pub(crate) blocked: AtomicBool,
    killed: AtomicBool,
    kill_signal: Notify,
}

impl ClientHandle {
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

    /// CLIENT LIST flags, in Redis 7.0's order: `P` pub/sub, `x` in MULTI, `b` blocked, `d`
    /// a watched key changed, `U` unix socket; `N` when none.
    fn flags(&self) -> String {
        let mut f = String::new();
        if self.is_subscriber() {
            f.push('P');
        }
        if self.multi.load(Ordering::Relaxed) >= 0 {
            f.push('x');
        }
        if self.blocked.load(Ordering::Relaxed) {
            f.push('b');
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
        let obuf = self.output_buffer.load(Ordering::Relaxed);
        let cmd = self.last_command.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let user = self.user.lock().unwrap_or_else(|e| e.into_inner()).clone();
        format!(
            "id={} addr={} laddr={} fd=-1 name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl={} oll=0 omem={} tot-mem={} events=r cmd={} user={} redir=-1 resp={}",
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
            obuf,
            obuf,
            qbuf + obuf + 16384,
            if cmd.is_empty() { "NULL" } else { &cmd },
            user,
            self.resp.load(Ordering::Relaxed),
        )
    }
}

/// All connected clients.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    next_id: AtomicU64,
    clients: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
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
            output_buffer: AtomicU64::new(0),
            cas_dirty: AtomicBool::new(false),
            subscriptions: Default::default(),
            multi: AtomicI64::new(-1),
            blocked: AtomicBool::new(false),
            killed: AtomicBool::new(false),
            kill_signal: Notify::new(),
        });
        self.lock().insert(id, handle.clone());
        handle
    }

    /// Removes a closed connection.
    pub fn unregister(&self, id: u64) {
        self.lock().remove(&id);
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
