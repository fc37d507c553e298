//! The engine: the one owner of the keyspace, and the dispatcher that runs a connection's
//! batch of pipelined commands under a single acquisition of it (DESIGN.md's concurrency
//! rule). Parsing, and later authentication and permission checks, happen on the
//! connection's task before a batch gets here.
//!
//! The engine also carries the features that span clients: transactions and WATCH
//! (`transactions.rs`), blocking commands (`blocking.rs`) and Pub/Sub
//! (`pubsub.rs`). After each command it drains the watched or blocked-on keys the
//! store saw modified, marks watchers dirty and serves blocked clients, still under the same
//! acquisition. A session that uses none of these features pays one byte test per command;
//! with no key watched or blocked on anywhere, the drain is one integer test.

use crate::blocking::{BlockRegistry, BlockWait};
use crate::clients::ClientRegistry;
use crate::context::{CmdError, CmdResult, Ctx};
use crate::pubsub::{self, PubSubHub};
use crate::session::{ReplyMode, Session, IN_MULTI, SUBSCRIBED};
use crate::spec::{CmdFlags, CommandSpec};
use crate::stats::CommandStats;
use crate::table;
use crate::transactions::{self, InMulti, WatchRegistry};
use bytes::Bytes;
use redoubt_config::Config;
use redoubt_resp::{Protocol, ReplyBuffer};
use redoubt_store::Keyspace;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Counters INFO stats reports.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Commands run.
    pub commands: AtomicU64,
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections refused by maxclients.
    pub rejected_connections: AtomicU64,
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
    /// Requests refused by the parser's limits or protocol errors.
    pub protocol_errors: AtomicU64,
    /// Cross-protocol (HTTP) requests refused.
    pub http_probes: AtomicU64,
    /// Clients disconnected for going over `client-output-buffer-limit`.
    pub output_limit_disconnections: AtomicU64,
    /// Clients evicted by `maxmemory-clients`.
    pub evicted_clients: AtomicU64,
    /// Changes to the dataset (INFO's `rdb_changes_since_last_save`; persistence resets it).
    pub dirty: AtomicU64,
}

/// Facts about the running server that INFO server reports; set once by the door.
#[derive(Debug, Default, Clone)]
pub struct ServerFacts {
    /// TCP port, 0 when TCP is off.
    pub tcp_port: u16,
    /// Path of the executable.
    pub executable: String,
    /// Config file, if any.
    pub config_file: String,
}

/// Shared server state: the keyspace under its lock, configuration, clients and counters.
pub struct Engine {
    keyspace: Mutex<Keyspace>,
    config: RwLock<Config>,
    /// Connected clients.
    pub clients: ClientRegistry,
    /// Counters.
    pub stats: ServerStats,
    /// Per-command and per-error counters.
    pub command_stats: CommandStats,
    /// Facts for INFO server.
    pub facts: RwLock<ServerFacts>,
    /// A random 40-hex-digit id of this run.
    pub run_id: String,
    /// When the server started.
    pub started: Instant,
    shutdown: AtomicBool,
    shutdown_signal: Notify,
    /// Who watches which key (taken with the store lock held).
    pub(crate) watch_registry: Mutex<WatchRegistry>,
    /// Clients parked in blocking commands (taken with the store lock held).
    pub(crate) block_registry: Mutex<BlockRegistry>,
    /// Number of parked clients, readable without a lock.
    pub(crate) blocked_count: AtomicUsize,
    /// Snapshot state: last save, the background save in flight (see `persistence`).
    pub persistence: crate::persistence::PersistState,
    /// The append-only file (see `aof`).
    pub aof: std::sync::Arc<crate::aof::Aof>,
    /// Pub/Sub subscriptions.
    pub(crate) pubsub: PubSubHub,
    /// Client-side caching: tracked keys, tracking clients (tracking.rs).
    pub(crate) tracking: crate::tracking::Tracking,
    /// `client-output-buffer-limit` and `maxmemory-clients`, cached (obuf.rs).
    pub output_limits: crate::obuf::OutputLimits,
    /// When the cron last looked at every client (unix ms).
    clients_cron_ms: std::sync::atomic::AtomicI64,
    /// `maxmemory`, cached so commands check it without the config lock (0: no limit).
    maxmemory: AtomicU64,
    /// `notify-keyspace-events` as class bits, cached likewise.
    notify_flags: AtomicU32,
    /// `proto-max-bulk-len` and `client-query-buffer-limit`, cached for the parser of every
    /// read (the config lock's counter is shared by all cores).
    proto_max_bulk_len: AtomicUsize,
    query_buffer_limit: AtomicUsize,
    /// The compact encodings' thresholds (`hash-max-listpack-*`, `zset-max-listpack-*`,
    /// `set-max-intset-entries`), cached: write commands of those types read them every time.
    encoding_limits: [AtomicUsize; 5],
    /// Replication: the feed to replicas and the role (`crate::replication`).
    pub replication: crate::replication::Replication,
    /// The gate (users, permissions, audit), installed by the server (`crate::gate`).
    pub(crate) gate: std::sync::OnceLock<std::sync::Arc<dyn crate::gate::AccessControl>>,
}

/// Write access to the configuration; refreshes the engine's cached settings when dropped.
pub struct ConfigGuard<'a> {
    guard: RwLockWriteGuard<'a, Config>,
    engine: &'a Engine,
}

impl std::ops::Deref for ConfigGuard<'_> {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.guard
    }
}

impl std::ops::DerefMut for ConfigGuard<'_> {
    fn deref_mut(&mut self) -> &mut Config {
        &mut self.guard
    }
}

impl Drop for ConfigGuard<'_> {
    fn drop(&mut self) {
        self.engine.cache_settings(&self.guard);
    }
}

/// Redis's reply to a command that may grow memory when over `maxmemory`.
const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// How a batch ended.
#[derive(Debug)]
pub enum BatchEnd {
    /// Every request ran (or one asked to close the connection).
    Done,
    /// Request `index` blocked: the connection awaits `wait`, then runs the requests after it.
    Blocked {
        /// Index in the batch of the blocking request.
        index: usize,
        /// What to await.
        wait: BlockWait,
    },
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("run_id", &self.run_id).finish()
    }
}

/// Current time in unix milliseconds.
pub fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Engine {
    /// An engine with an empty keyspace sized by the configuration.
    pub fn new(config: Config) -> Engine {
        let keyspace = Keyspace::new(config.databases);
        let pubsub = PubSubHub::default();
        let run_id: String = (0..40).map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0')).collect();
        let engine = Engine {
            keyspace: Mutex::new(keyspace),
            config: RwLock::new(config),
            clients: ClientRegistry::default(),
            stats: ServerStats::default(),
            command_stats: CommandStats::default(),
            facts: RwLock::new(ServerFacts::default()),
            run_id,
            started: Instant::now(),
            shutdown: AtomicBool::new(false),
            shutdown_signal: Notify::new(),
            watch_registry: Mutex::default(),
            block_registry: Mutex::default(),
            blocked_count: AtomicUsize::new(0),
            persistence: crate::persistence::PersistState::new(),
            aof: std::sync::Arc::default(),
            pubsub,
            tracking: crate::tracking::Tracking::default(),
            output_limits: crate::obuf::OutputLimits::default(),
            clients_cron_ms: std::sync::atomic::AtomicI64::new(0),
            maxmemory: AtomicU64::new(0),
            notify_flags: AtomicU32::new(0),
            proto_max_bulk_len: AtomicUsize::new(0),
            query_buffer_limit: AtomicUsize::new(0),
            encoding_limits: Default::default(),
            replication: crate::replication::Replication::default(),
            gate: std::sync::OnceLock::new(),
        };
        engine.cache_settings(&engine.config());
        engine
    }

    /// Reads the configuration.
    pub fn config(&self) -> RwLockReadGuard<'_, Config> {
        self.config.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the configuration (CONFIG SET). Settings the engine caches for its hot path
    /// (maxmemory, notify-keyspace-events, the pubsub output-buffer limits) are refreshed
    /// when the guard drops.
    pub fn config_mut(&self) -> ConfigGuard<'_> {
        ConfigGuard { guard: self.config.write().unwrap_or_else(|e| e.into_inner()), engine: self }
    }

    /// Refreshes the settings the engine caches for its hot path.
    fn cache_settings(&self, config: &Config) {
        self.maxmemory.store(config.maxmemory, Ordering::Relaxed);
        self.notify_flags.store(config.notify_keyspace_events(), Ordering::Relaxed);
        self.proto_max_bulk_len.store(config.proto_max_bulk_len, Ordering::Relaxed);
        self.query_buffer_limit.store(config.client_query_buffer_limit, Ordering::Relaxed);
        self.aof.set_fsync(&config.value("appendfsync").unwrap_or_default());
        for (slot, (name, default)) in self.encoding_limits.iter().zip(ENCODING_LIMITS) {
            let value = config.value(name).and_then(|v| v.parse().ok()).unwrap_or(default);
            slot.store(value, Ordering::Relaxed);
        }
        if let Some(limits) = config.value("client-output-buffer-limit") {
            self.output_limits.set_from(&limits);
        }
        let max_keys = config.value("tracking-table-max-keys").and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
        self.tracking.max_keys.store(max_keys, Ordering::Relaxed);
        if let Some(v) = config.value("maxmemory-clients") {
            self.output_limits.set_maxmemory_clients(&v);
        }
        self.replication.refresh_read_only(config.value("replica-read-only").is_none_or(|v| v == "yes"));
    }

    /// `maxmemory`, cached (0: no limit).
    pub(crate) fn maxmemory(&self) -> u64 {
        self.maxmemory.load(Ordering::Relaxed)
    }

    /// `hash-max-listpack-entries` and `hash-max-listpack-value`.
    pub(crate) fn hash_limits(&self) -> redoubt_store::hash::HashLimits {
        let l = &self.encoding_limits;
        redoubt_store::hash::HashLimits {
            max_entries: l[0].load(Ordering::Relaxed),
            max_value: l[1].load(Ordering::Relaxed),
        }
    }

    /// `zset-max-listpack-entries` and `zset-max-listpack-value`.
    pub(crate) fn zset_limits(&self) -> redoubt_store::zset::ZSetLimits {
        let l = &self.encoding_limits;
        redoubt_store::zset::ZSetLimits {
            max_entries: l[2].load(Ordering::Relaxed),
            max_value: l[3].load(Ordering::Relaxed),
        }
    }

    /// `set-max-intset-entries`.
    pub(crate) fn set_max_intset(&self) -> usize {
        self.encoding_limits[4].load(Ordering::Relaxed)
    }

    /// `proto-max-bulk-len` and `client-query-buffer-limit`, for the request parser.
    pub fn request_limits(&self) -> (usize, usize) {
        (self.proto_max_bulk_len.load(Ordering::Relaxed), self.query_buffer_limit.load(Ordering::Relaxed))
    }

    /// The `notify-keyspace-events` classes enabled.
    pub(crate) fn notify_flags(&self) -> u32 {
        self.notify_flags.load(Ordering::Relaxed)
    }

    fn lock_keyspace(&self) -> MutexGuard<'_, Keyspace> {
        // A panic while the lock was held cannot leave the keyspace half-updated in a way
        // that matters more than stopping the whole server would, so keep serving.
        self.keyspace.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a batch of pipelined requests in order under one acquisition of the keyspace,
    /// appending every reply to `out`. Stops early if a command asks to close the connection,
    /// or blocks: the connection then awaits the [`BlockWait`] and runs the rest afterwards.
    pub fn execute_batch(&self, session: &mut Session, requests: &[Vec<Bytes>], out: &mut ReplyBuffer) -> BatchEnd {
        if requests.is_empty() {
            return BatchEnd::Done;
        }
        let now_ms = unix_ms();
        // Before key eviction: clients over `maxmemory-clients` go first (obuf.rs).
        self.evict_clients();
        let mut keyspace = self.lock_keyspace();
        if session.has_inbox() {
            pubsub::drain_inbox(session, out);
        }
        if requests.len() > 1 {
            warm_keys(&keyspace, session.db, requests);
            crate::zsets::warm_zadds(&keyspace, session.db, requests);
        }
        let mut clock = Instant::now();
        let mut end = BatchEnd::Done;
        for (index, args) in requests.iter().enumerate() {
            let wait = self.execute_one(&mut keyspace, session, args, out, now_ms, &mut clock);
            pubsub::notify::after_command(self, &mut keyspace, Some((session.id(), &mut *out)), now_ms);
            if keyspace.any_tracked() {
                self.process_touched(&mut keyspace, now_ms);
            }
            if self.tracking.on() {
                crate::tracking::after_command(self, &mut keyspace, Some((session, args, &mut *out)), now_ms);
            }
            if let Some(wait) = wait {
                end = BatchEnd::Blocked { index, wait };
                break;
            }
            if session.close_after_reply {
                break;
            }
        }
        drop(keyspace);
        session.handle.last_interaction_ms.store(now_ms, Ordering::Relaxed);
        session.handle.db.store(session.db, Ordering::Relaxed);
        end
    }

    fn execute_one(
        &self,
        keyspace: &mut Keyspace,
        session: &mut Session,
        args: &[Bytes],
        out: &mut ReplyBuffer,
        now_ms: i64,
        clock: &mut Instant,
    ) -> Option<BlockWait> {
        let reply_start = out.len();
        let mut wait = None;
        if self.user_deleted(session) {
            return None;
        }
        // The gate (gate.rs): NOAUTH before authentication, then the user's permissions.
        let result = match self.check_auth(session, args).and_then(|()| resolve(args)) {
            Ok(spec) => {
                // Answered before running: refused by the user's permissions, refused over
                // maxmemory, queued in MULTI, refused in the subscribed context. One byte
                // test for a plain session.
                let refused = self
                    .refuse_unpermitted(session, spec, args)
                    .or_else(|| self.refuse_on_replica(session, spec))
                    .or_else(|| self.refuse_on_oom(keyspace, session, spec, args));
                if self.tracking.on() {
                    // Invalidations of keys evicted for this command go before its reply.
                    crate::tracking::before_command(self, keyspace, session, out, now_ms);
                }
                let answered = match refused.or_else(|| crate::persistence::refuse_write(self, session, spec, args)) {
                    Some(result) => Some(result),
                    None if session.features != 0 => self.intercept(keyspace, session, spec, args, out),
                    None => None,
                };
                match answered {
                    Some(result) => result,
                    None => {
                        let result = self.dispatch(keyspace, session, spec, args, out, now_ms, clock);
                        if spec.flags.contains(CmdFlags::BLOCKING) {
                            if let Some(request) = session.block.take() {
                                wait = Some(self.park(keyspace, session, args, *request, out.protocol()));
                            }
                        }
                        result
                    }
                }
            }
            Err(e) => {
                if session.features & IN_MULTI != 0 {
                    transactions::flag_abort(session);
                }
                self.note_unknown(session, args);
                if let Some(stat) = table::lookup(&args[0]).and_then(|s| self.command_stats.of(s)) {
                    stat.rejected.fetch_add(1, Ordering::Relaxed);
                }
                Err(e)
            }
        };
        if let Err(e) = result {
            self.command_stats.record_error(e.message());
            out.error(e.message());
        }
        // Push frames (subscribe confirmations) go out whatever CLIENT REPLY says.
        let pushed = std::mem::take(&mut session.pushed);
        match session.reply_mode {
            ReplyMode::On => {}
            ReplyMode::Off => {
                if !pushed {
                    out.truncate(reply_start);
                }
            }
            ReplyMode::Skip => {
                if !pushed {
                    out.truncate(reply_start);
                }
                session.reply_mode = ReplyMode::On;
            }
            ReplyMode::SkipNext => session.reply_mode = ReplyMode::Skip,
        }
        wait
    }

    /// Runs one resolved command: the handler, and the command's counters. `clock` is when
    /// the previous command of the batch ended (or the batch began): one clock read per
    /// command, and a command's time includes its checks before the handler.
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        keyspace: &mut Keyspace,
        session: &mut Session,
        spec: &'static CommandSpec,
        args: &[Bytes],
        out: &mut ReplyBuffer,
        now_ms: i64,
        clock: &mut Instant,
    ) -> CmdResult {
        self.stats.commands.fetch_add(1, Ordering::Relaxed);
        let Some(handler) = spec.handler else {
            return Ok(());
        };
        // The append-only file and the replicas: two atomic loads when both are off.
        let logging = self.propagating();
        let dirty_before = if logging { self.stats.dirty.load(Ordering::Relaxed) } else { 0 };
        let mut ctx = Ctx { args, out, keyspace, session, engine: self, now_ms };
        let result = handler(&mut ctx);
        if self.tracking.on() {
            crate::tracking::after_dispatch(self, keyspace, session, spec, args, now_ms);
        }
        if logging {
            crate::aof::propagate::after_command(self, keyspace, session, args, dirty_before, out, now_ms);
        }
        let ended = Instant::now();
        let took = ended.saturating_duration_since(*clock);
        *clock = ended;
        if let Some(stat) = self.command_stats.of(spec) {
            stat.calls.fetch_add(1, Ordering::Relaxed);
            stat.usec.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
            if result.is_err() {
                stat.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    }

    /// Runs one command read from the append-only file at start, as a trusted internal
    /// client: no gate, no limits, no blocking. Its reply is discarded.
    pub(crate) fn replay(
        &self,
        keyspace: &mut Keyspace,
        session: &mut Session,
        spec: &'static CommandSpec,
        args: &[Bytes],
        out: &mut ReplyBuffer,
        now_ms: i64,
    ) -> CmdResult {
        let result = self.dispatch(keyspace, session, spec, args, out, now_ms, &mut Instant::now());
        session.block = None;
        out.truncate(0);
        result
    }

    /// Over `maxmemory`, refuses commands that may grow memory, and in MULTI any command but
    /// EXEC, DISCARD, QUIT and RESET (queueing grows memory too); an EXEC whose queue holds a
    /// command that may grow memory aborts the transaction, once eviction by
    /// `maxmemory-policy` could not get under the limit. `None` lets the command run.
    fn refuse_on_oom(
        &self,
        keyspace: &mut Keyspace,
        session: &mut Session,
        spec: &'static CommandSpec,
        args: &[Bytes],
    ) -> Option<CmdResult> {
        let maxmemory = self.maxmemory.load(Ordering::Relaxed);
        if maxmemory == 0 {
            // No limit (any more): tables grow freely. One flag test when none was set.
            keyspace.set_growth_limit(None);
            return None;
        }
        // The primary's stream is applied whatever this server's memory (as Redis does).
        if session.from_primary {
            return None;
        }
        if crate::memory::enforce_maxmemory(self, keyspace, spec, session).is_ok() {
            return None;
        }
        let in_multi = session.features & IN_MULTI != 0;
        let is = |name: &str| args[0].eq_ignore_ascii_case(name.as_bytes());
        let is_exec = in_multi && is("exec");
        let refuse = spec.flags.contains(CmdFlags::DENYOOM)
            || (is_exec && transactions::queued_denyoom(session))
            || (in_multi && !(is_exec || is("discard") || is("quit") || is("reset")));
        if !refuse || keyspace.used_bytes() as u64 + self.clients.memory_total() <= maxmemory {
            return None;
        }
        if let Some(stat) = table::lookup(&args[0]).and_then(|s| self.command_stats.of(s)) {
            stat.rejected.fetch_add(1, Ordering::Relaxed);
        }
        if is_exec {
            transactions::reset(self, keyspace, session);
            return Some(Err(CmdError(format!("EXECABORT Transaction discarded because of: {OOM}").into())));
        }
        if in_multi {
            transactions::flag_abort(session);
        }
        Some(Err(CmdError::raw(OOM)))
    }

    /// What a session in MULTI, subscribed, or watching keys changes about running a command:
    /// `Some(result)` when the command was answered here (queued, refused), `None` to run it.
    fn intercept(
        &self,
        keyspace: &mut Keyspace,
        session: &mut Session,
        spec: &'static CommandSpec,
        args: &[Bytes],
        out: &mut ReplyBuffer,
    ) -> Option<CmdResult> {
        if session.features & SUBSCRIBED != 0 && out.protocol() == Protocol::Resp2 {
            let top = table::lookup(&args[0]).unwrap_or(spec);
            let fullname = || {
                if std::ptr::eq(top, spec) {
                    spec.name.to_string()
                } else {
                    format!("{}|{}", top.name, spec.name)
                }
            };
            if let Some(result) = pubsub::refuse_in_subscribed_context(top.name, fullname, args, out) {
                if result.is_err() {
                    transactions::flag_abort(session);
                }
                return Some(result);
            }
        }
        if session.features & IN_MULTI != 0 {
            if let InMulti::Handled(result) = transactions::queue(session, spec, args, out) {
                return Some(result);
            }
        }
        if args[0].eq_ignore_ascii_case(b"reset") {
            transactions::reset(self, keyspace, session);
            pubsub::reset(self, session);
            crate::tracking::reset(self, keyspace, session);
        }
        None
    }

    /// Runs a command EXEC took from the transaction's queue (the store lock is held). A
    /// blocking command never blocks here.
    pub(crate) fn run_queued(
        &self,
        keyspace: &mut Keyspace,
        session: &mut Session,
        spec: &'static CommandSpec,
        args: &[Bytes],
        out: &mut ReplyBuffer,
        now_ms: i64,
    ) {
        // The rules may have changed since the command was queued: checked again (gate.rs).
        let result = match self.recheck_queued(session, spec, args) {
            Ok(()) => self.dispatch(keyspace, session, spec, args, out, now_ms, &mut Instant::now()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            self.command_stats.record_error(e.message());
            out.error(e.message());
        }
        session.block = None;
    }

    /// Drains the watched and blocked-on keys the store saw modified: marks their watchers
    /// dirty and serves the clients blocked on them, until serving modifies nothing more.
    fn process_touched(&self, keyspace: &mut Keyspace, now_ms: i64) {
        let mut touched = Vec::new();
        loop {
            if self.tracking.on() {
                crate::tracking::take_modified(self, keyspace, &mut touched, now_ms);
            } else {
                keyspace.take_touched(&mut touched);
            }
            if touched.is_empty() {
                return;
            }
            for (db, key) in touched.drain(..) {
                self.watches().touched(keyspace, db, &key);
                if self.blocked_count.load(Ordering::Relaxed) > 0 {
                    self.serve_key(keyspace, db, &key, now_ms);
                }
            }
        }
    }

    /// Forgets everything a closing connection registered: its transaction and watched keys,
    /// its subscriptions, its place in blocking queues.
    pub fn disconnect(&self, session: &mut Session) {
        if session.features == 0 && session.watched.is_empty() && !session.has_inbox() && !session.handle.is_blocked() {
            return;
        }
        self.cancel_block(session);
        self.with_keyspace(|keyspace| {
            transactions::reset(self, keyspace, session);
            pubsub::reset(self, session);
            crate::tracking::reset(self, keyspace, session);
        });
    }

    /// Periodic work (Redis's serverCron): active expiry with a bounded sampling budget,
    /// eviction while over maxmemory, and the keyspace events they cause.
    pub fn cron(&self) {
        let now_ms = unix_ms();
        if now_ms - self.clients_cron_ms.load(Ordering::Relaxed) >= 1000 {
            self.clients_cron_ms.store(now_ms, Ordering::Relaxed);
            self.clients_cron(now_ms);
            self.replication_cron(now_ms);
        }
        let mut keyspace = self.lock_keyspace();
        keyspace.active_expire_cycle(now_ms, ACTIVE_EXPIRE_BUDGET);
        // Over maxmemory (CONFIG SET lowered it), evict without waiting for a command, as
        // Redis's eviction timer does.
        if self.maxmemory.load(Ordering::Relaxed) != 0 {
            crate::memory::evict_to_limit(self, &mut keyspace);
        }
        pubsub::notify::after_command(self, &mut keyspace, None, now_ms);
        if keyspace.any_tracked() {
            self.process_touched(&mut keyspace, now_ms);
        }
        if self.tracking.on() {
            crate::tracking::after_command(self, &mut keyspace, None, now_ms);
        }
    }

    /// Zeroes the counters INFO reports (CONFIG RESETSTAT).
    pub fn reset_stats(&self) {
        self.command_stats.reset();
        for c in [
            &self.stats.commands,
            &self.stats.connections,
            &self.stats.rejected_connections,
            &self.stats.net_input_bytes,
            &self.stats.net_output_bytes,
            &self.stats.protocol_errors,
            &self.stats.http_probes,
            &self.stats.output_limit_disconnections,
            &self.stats.evicted_clients,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// Asks the server to shut down (SHUTDOWN, signals).
    pub fn request_shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        self.shutdown_signal.notify_waiters();
        self.clients.kill_all();
    }

    /// Whether shutdown was requested.
    pub fn shutting_down(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Resolves once shutdown is requested.
    pub async fn shutdown_requested(&self) {
        loop {
            let notified = self.shutdown_signal.notified();
            if self.shutting_down() {
                return;
            }
            notified.await;
        }
    }

    /// Runs `f` with the keyspace locked (INFO keyspace, tests).
    pub fn with_keyspace<R>(&self, f: impl FnOnce(&mut Keyspace) -> R) -> R {
        f(&mut self.lock_keyspace())
    }
}

/// Warms the cache for the keys a pipelined batch is about to look up (`Dict::warm`): the
/// first argument after the name is the first key of nearly every command that has keys, and
/// warming a bucket that is not one costs only that load. Long arguments are left out: the
/// warming hashes each key a second time under the store lock, and a client's huge argument
/// must not make every other client wait twice as long.
fn warm_keys(keyspace: &Keyspace, db: usize, requests: &[Vec<Bytes>]) {
    const WARM_KEY_MAX: usize = 128;
    let mut keys: [&[u8]; redoubt_store::dict::WARM_MAX] = [&[]; redoubt_store::dict::WARM_MAX];
    let mut n = 0;
    for args in requests.iter().filter(|a| a.len() > 1 && a[1].len() <= WARM_KEY_MAX).take(keys.len()) {
        keys[n] = &args[1];
        n += 1;
    }
    keyspace.warm(db, &keys[..n]);
}

/// The directives `Engine::encoding_limits` caches, in its order, with Redis 7.0's defaults.
const ENCODING_LIMITS: [(&str, usize); 5] = [
    ("hash-max-listpack-entries", 128),
    ("hash-max-listpack-value", 64),
    ("zset-max-listpack-entries", 128),
    ("zset-max-listpack-value", 64),
    ("set-max-intset-entries", 512),
];

/// Keys examined per cron tick by active expiry; bounds the time the store lock is held.
const ACTIVE_EXPIRE_BUDGET: usize = 2000;

/// Finds the command (or subcommand) to run and checks its arity, with Redis's error texts.
pub fn resolve(args: &[Bytes]) -> Result<&'static CommandSpec, CmdError> {
    let name = &args[0];
    let Some(spec) = table::lookup(name) else {
        return Err(unknown_command(args));
    };
    if spec.subcommands.is_empty() {
        if !spec.arity_ok(args.len()) {
            return Err(CmdError::arity(spec.name));
        }
        return Ok(spec);
    }
    if args.len() < 2 {
        // A container with a handler of its own (COMMAND) runs it when given no subcommand.
        return if spec.handler.is_some() { Ok(spec) } else { Err(CmdError::arity(spec.name)) };
    }
    let Some(sub) = table::lookup_sub(spec, &args[1]) else {
        return Err(CmdError::err(format!(
            "unknown subcommand '{}'. Try {} HELP.",
            truncate(&args[1], 128),
            spec.name.to_uppercase()
        )));
    };
    if !sub.arity_ok(args.len()) {
        return Err(CmdError::arity(&format!("{}|{}", spec.name, sub.name)));
    }
    Ok(sub)
}

fn truncate(b: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(max)]).into_owned()
}

/// Redis's unknown-command error: the name and the first arguments, up to 128 characters.
fn unknown_command(args: &[Bytes]) -> CmdError {
    let mut listed = String::new();
    for a in &args[1..] {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push('\'');
        listed.push_str(&truncate(a, room));
        listed.push_str("' ");
    }
    CmdError::err(format!("unknown command '{}', with args beginning with: {}", truncate(&args[0], 128), listed))
}
