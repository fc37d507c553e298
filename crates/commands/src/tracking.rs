//! Client-side caching (Redis's tracking.c): which clients may hold which keys in a local
//! cache, and the `invalidate` pushes that tell them a key changed.
//!
//! Default mode: after a read-only command of a tracking client, its keys are remembered in a
//! key -> client ids table (keys that do not exist too: the client caches the miss). When a
//! remembered key is modified (a write, expiry, eviction) every client that read it gets one
//! `invalidate` push naming it, and the key is forgotten until read again. FLUSHDB and
//! FLUSHALL send every tracking client an `invalidate` with a null instead of keys, and empty
//! the table. The table holds at most `tracking-table-max-keys` keys: over it, keys are
//! dropped, their readers told as if they had been modified. Broadcasting mode (BCAST) keeps
//! no table: a client names key prefixes and hears of every modified key that starts with
//! one, gathered per prefix and sent after the command that modified them.
//!
//! A RESP3 client gets `>2 invalidate [keys]` in its own connection; any client may send its
//! invalidations to another (REDIRECT): a RESP3 one gets the same push, a RESP2 one in
//! Pub/Sub mode gets a message on `__redis__:invalidate`. A redirection to a client that is
//! gone marks the tracking client broken (`R`) and, in RESP3, tells it with a
//! `tracking-redir-broken` push.
//!
//! Modifications are seen through the store's modification tracking, the signal WATCH and
//! blocking commands use: a remembered key is registered there (once per database it was
//! read in), and broadcasting switches the store to recording every modified key. After each
//! command (and each command EXEC runs), still under the store lock, [`after_dispatch`] takes
//! the modified keys, sends the invalidations and leaves the keys for the engine to serve
//! watchers and blocked clients; then it remembers what the command read. That order is
//! Redis's: a read that deletes an expired key tracks the key again after invalidating it.
//!
//! Pushes to other clients go through their mailbox (the Pub/Sub inbox, pubsub.rs), so they
//! count in the output buffer and obey `client-output-buffer-limit`, and no client ever waits
//! for another's socket. Pushes to the client whose command caused them wait until its reply
//! is written (EXEC's whole reply), as Redis's pending invalidations do; those caused by
//! eviction before a command go before its reply. Invalidations are not counted as memory
//! that eviction frees: one eviction pass aims at the limit it computed when it began, so the
//! pushes it causes cannot feed it.
//!
//! Key permissions: as in Redis, a client only tracks keys its commands were allowed to read,
//! and broadcasting sends the names of modified keys under the prefixes without checking
//! the user's key patterns.
//!
//! Cost when no client tracks and the table is empty: one atomic load per command.

pub(crate) mod command;

use crate::clients::{ClientHandle, TRACKING_BCAST, TRACKING_BROKEN_REDIRECT, TRACKING_ON};
use crate::engine::Engine;
use crate::session::Session;
use crate::spec::{CmdFlags, CommandSpec};
use bytes::Bytes;
use redoubt_resp::{Protocol, ReplyBuffer};
use redoubt_store::Keyspace;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The channel a RESP2 client in Pub/Sub mode receives redirected invalidations on.
pub(crate) const CHANNEL: &[u8] = b"__redis__:invalidate";

/// `Session::features` bit: CLIENT TRACKING is on.
pub(crate) const TRACKING: u8 = 8;

/// Keys forgotten per call over `tracking-table-max-keys`, times the calls in a row that
/// found the table still over it (Redis's effort).
const LIMIT_EFFORT: usize = 100;

/// The engine's client-side caching state.
#[derive(Debug, Default)]
pub(crate) struct Tracking {
    table: Mutex<TrackingTable>,
    /// Some client tracks, or the table remembers keys: the commands' hooks run.
    on: AtomicBool,
    /// `tracking-table-max-keys`, cached (0: no limit).
    pub(crate) max_keys: AtomicU64,
}

impl Tracking {
    /// Whether there is anything to do: one atomic load.
    #[inline]
    pub(crate) fn on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// The table; taken while the store lock is held (lock order: store first).
    pub(crate) fn lock(&self) -> MutexGuard<'_, TrackingTable> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// INFO's `tracking_clients`, `tracking_total_keys`, `tracking_total_items`,
    /// `tracking_total_prefixes`.
    pub(crate) fn counts(&self) -> [u64; 4] {
        let t = self.lock();
        [t.trackers.len() as u64, t.keys.len() as u64, t.items, t.prefixes.len() as u64]
    }
}

/// One tracking client's options.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tracker {
    /// Client id invalidations go to instead (0: none).
    redirect: u64,
    bcast: bool,
    optin: bool,
    optout: bool,
    noloop: bool,
    /// CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command.
    caching: bool,
    /// The redirection's client is gone.
    broken: bool,
    /// Broadcasting prefixes, in the order given.
    prefixes: Vec<Bytes>,
}

/// Who may hold a remembered key, and the databases it was read in (registered with the
/// store's modification tracking once each).
#[derive(Debug, Default)]
struct Readers {
    ids: Vec<u64>,
    dbs: Vec<usize>,
}

/// One broadcasting prefix: its clients, and the keys under it modified since the last
/// broadcast, each with the client that last modified it (0: none, as expiry).
#[derive(Debug, Default)]
struct Prefix {
    clients: Vec<u64>,
    keys: BTreeMap<Bytes, u64>,
}

/// The tracking table, the tracking clients and the broadcasting prefixes.
#[derive(Debug, Default)]
pub(crate) struct TrackingTable {
    keys: HashMap<Box<[u8]>, Readers>,
    /// Client ids over all keys (INFO `tracking_total_items`).
    items: u64,
    trackers: HashMap<u64, Tracker>,
    prefixes: BTreeMap<Bytes, Prefix>,
    /// Frames for the client whose command is running, sent after its reply.
    pending: Vec<Bytes>,
    /// Modified keys taken from the store and invalidated, left for the engine's watchers
    /// and blocked clients.
    deferred: Vec<(usize, Box<[u8]>)>,
    /// Calls in a row that found the table over its limit.
    limit_rounds: usize,
}

/// What an invalidation carries.
enum Body<'a> {
    /// These keys changed.
    Keys(&'a [&'a [u8]]),
    /// Everything changed (a flush).
    All,
}

/// Where an invalidation comes from: the client that modified the key (for NOLOOP; 0 when
/// none), and the running client with, when its frames may go at once, its reply buffer.
struct Origin<'a> {
    modifier: u64,
    me: u64,
    out: Option<&'a mut ReplyBuffer>,
}

impl TrackingTable {
    fn refresh(&self, engine: &Engine, keyspace: &mut Keyspace) {
        let busy = !(self.trackers.is_empty() && self.keys.is_empty() && self.deferred.is_empty());
        engine.tracking.on.store(busy || !self.pending.is_empty(), Ordering::Relaxed);
        keyspace.track_all(!self.prefixes.is_empty());
    }

    /// Encodes an invalidation for client `to` in its protocol, or `None` when it cannot
    /// receive one (RESP2 and not a redirection target in Pub/Sub mode).
    fn frame(to: &ClientHandle, redirected: bool, body: &Body<'_>) -> Option<Bytes> {
        let resp3 = to.resp.load(Ordering::Relaxed) == 3;
        let mut out = ReplyBuffer::new(if resp3 { Protocol::Resp3 } else { Protocol::Resp2 });
        if resp3 {
            out.push(2);
            out.bulk(b"invalidate");
        } else if redirected && to.is_subscriber() {
            out.push(3);
            out.bulk(b"message");
            out.bulk(CHANNEL);
        } else {
            return None;
        }
        match body {
            Body::Keys(keys) => {
                out.array(keys.len());
                for k in *keys {
                    out.bulk(k);
                }
            }
            Body::All => out.null(),
        }
        Some(out.take().freeze())
    }

    /// Sends tracking client `id` (or its redirection) an invalidation.
    fn send(&mut self, engine: &Engine, id: u64, body: Body<'_>, origin: &mut Origin<'_>, now_ms: i64) {
        let Some(tracker) = self.trackers.get_mut(&id) else {
            return;
        };
        let redirect = tracker.redirect;
        let (to, redirected) = if redirect != 0 { (redirect, true) } else { (id, false) };
        let Some(target) = engine.clients.get(to) else {
            if redirected {
                tracker.broken = true;
                if let Some(me) = engine.clients.get(id) {
                    me.tracking.fetch_or(TRACKING_BROKEN_REDIRECT, Ordering::Relaxed);
                    if me.resp.load(Ordering::Relaxed) == 3 {
                        let mut out = ReplyBuffer::new(Protocol::Resp3);
                        out.push(2);
                        out.bulk(b"tracking-redir-broken");
                        out.int(redirect as i64);
                        self.deliver(engine, id, out.take().freeze(), origin, now_ms);
                    }
                }
            }
            return;
        };
        if let Some(frame) = Self::frame(&target, redirected, &body) {
            self.deliver(engine, to, frame, origin, now_ms);
        }
    }

    /// Hands a frame to client `to`: the running client's reply (now or after it), or the
    /// mailbox of another.
    fn deliver(&mut self, engine: &Engine, to: u64, frame: Bytes, origin: &mut Origin<'_>, now_ms: i64) {
        if to == origin.me {
            match origin.out.as_deref_mut() {
                Some(out) => out.raw(&frame),
                None => self.pending.push(frame),
            }
        } else if let Some(mailbox) = engine.pubsub.mailbox_of(to) {
            mailbox.deliver(frame, now_ms, engine);
        }
    }

    /// A key was modified: note it for the broadcasting prefixes (`bcast`), tell the clients
    /// that may cache it, and forget it.
    fn invalidate(
        &mut self,
        engine: &Engine,
        keyspace: &mut Keyspace,
        key: &[u8],
        bcast: bool,
        origin: &mut Origin<'_>,
        now_ms: i64,
    ) {
        if bcast {
            for (prefix, state) in self.prefixes.iter_mut() {
                if key.starts_with(prefix) {
                    state.keys.insert(Bytes::copy_from_slice(key), origin.modifier);
                }
            }
        }
        let Some(readers) = self.keys.remove(key) else {
            return;
        };
        for db in &readers.dbs {
            keyspace.untrack(*db, key);
        }
        self.items = self.items.saturating_sub(readers.ids.len() as u64);
        for id in readers.ids {
            let Some(tracker) = self.trackers.get(&id) else {
                continue;
            };
            // A client that switched to broadcasting no longer hears of keys it read before.
            if tracker.bcast || (tracker.noloop && id == origin.modifier) {
                continue;
            }
            self.send(engine, id, Body::Keys(&[key]), origin, now_ms);
        }
    }

    /// Takes the keys the store saw modified, invalidates them, and keeps them for the
    /// engine's watchers and blocked clients.
    fn invalidate_modified(&mut self, engine: &Engine, keyspace: &mut Keyspace, origin: &mut Origin<'_>, now_ms: i64) {
        let start = self.deferred.len();
        keyspace.take_touched(&mut self.deferred);
        for i in start..self.deferred.len() {
            let key = std::mem::take(&mut self.deferred[i].1);
            self.invalidate(engine, keyspace, &key, true, origin, now_ms);
            self.deferred[i].1 = key;
        }
        if !keyspace.any_tracked() {
            // No watcher or blocked client left to serve.
            self.deferred.clear();
        }
    }

    /// Remembers the keys a read-only command of tracking client `session` read.
    fn remember(&mut self, keyspace: &mut Keyspace, session: &Session, spec: &CommandSpec, args: &[Bytes]) {
        let id = session.id();
        let Some(tracker) = self.trackers.get(&id) else {
            return;
        };
        if tracker.bcast || (tracker.optin && !tracker.caching) || (tracker.optout && tracker.caching) {
            return;
        }
        // Shard channels are keys for cluster routing only.
        if spec.flags.contains(CmdFlags::PUBSUB) {
            return;
        }
        let is_sub = crate::table::lookup(&args[0]).is_none_or(|top| !std::ptr::eq(top, spec));
        for (pos, _) in crate::keyfind::command_keys(spec, is_sub, args) {
            let key = &args[pos][..];
            let readers = match self.keys.get_mut(key) {
                Some(r) => r,
                None => self.keys.entry(key.into()).or_default(),
            };
            if !readers.ids.contains(&id) {
                readers.ids.push(id);
                self.items += 1;
            }
            if !readers.dbs.contains(&session.db) {
                readers.dbs.push(session.db);
                keyspace.track(session.db, key);
            }
        }
    }

    /// Over `tracking-table-max-keys`, forgets keys (telling their readers) until under it
    /// or out of this call's effort (Redis's `trackingLimitUsedSlots`).
    fn limit(&mut self, engine: &Engine, keyspace: &mut Keyspace, origin: &mut Origin<'_>, now_ms: i64) {
        let max = engine.tracking.max_keys.load(Ordering::Relaxed) as usize;
        if max == 0 || self.keys.len() <= max {
            self.limit_rounds = 0;
            return;
        }
        let mut effort = LIMIT_EFFORT * (self.limit_rounds + 1);
        while effort > 0 {
            effort -= 1;
            // The map's order is its hasher's: an arbitrary pick, as Redis's random walk.
            let Some(key) = self.keys.keys().next().cloned() else {
                break;
            };
            self.invalidate(engine, keyspace, &key, false, origin, now_ms);
            if self.keys.len() <= max {
                self.limit_rounds = 0;
                return;
            }
        }
        self.limit_rounds += 1;
    }

    /// Sends each broadcasting prefix's modified keys to its clients (Redis's
    /// `trackingBroadcastInvalidationMessages`); a NOLOOP client does not hear of its own.
    fn broadcast(&mut self, engine: &Engine, origin: &mut Origin<'_>, now_ms: i64) {
        let prefixes: Vec<Bytes> =
            self.prefixes.iter().filter(|(_, p)| !p.keys.is_empty()).map(|(name, _)| name.clone()).collect();
        for name in prefixes {
            let Some(state) = self.prefixes.get_mut(&name) else {
                continue;
            };
            let keys = std::mem::take(&mut state.keys);
            let clients = state.clients.clone();
            for id in clients {
                let noloop = self.trackers.get(&id).is_some_and(|t| t.noloop);
                let list: Vec<&[u8]> =
                    keys.iter().filter(|(_, by)| !noloop || **by != id).map(|(k, _)| &k[..]).collect();
                if !list.is_empty() {
                    self.send(engine, id, Body::Keys(&list), origin, now_ms);
                }
            }
        }
    }

    /// Forgets client `id`'s tracking (CLIENT TRACKING OFF, RESET, disconnection). Its ids
    /// in the table go lazily, when their keys are invalidated.
    fn disable(&mut self, id: u64) {
        let Some(tracker) = self.trackers.remove(&id) else {
            return;
        };
        for prefix in &tracker.prefixes {
            if let Some(state) = self.prefixes.get_mut(prefix) {
                state.clients.retain(|c| *c != id);
                if state.clients.is_empty() {
                    self.prefixes.remove(prefix);
                }
            }
        }
    }

    /// Empties the table and unregisters its keys from the store.
    fn clear_keys(&mut self, keyspace: &mut Keyspace) {
        for (key, readers) in self.keys.drain() {
            for db in readers.dbs {
                keyspace.untrack(db, &key);
            }
        }
        self.items = 0;
        self.keys.shrink_to(64);
    }
}

/// After a command's handler ran (at the top level or in EXEC): invalidates what it modified
/// (its own client's pushes wait for the reply), then remembers what it read if its client
/// tracks. See the [module documentation](self).
pub(crate) fn after_dispatch(
    engine: &Engine,
    keyspace: &mut Keyspace,
    session: &Session,
    spec: &CommandSpec,
    args: &[Bytes],
    now_ms: i64,
) {
    let mut table = engine.tracking.lock();
    let id = session.id();
    let mut origin = Origin { modifier: id, me: id, out: None };
    table.invalidate_modified(engine, keyspace, &mut origin, now_ms);
    if session.features & TRACKING != 0 && spec.flags.contains(CmdFlags::READONLY) {
        table.remember(keyspace, session, spec, args);
    }
    table.refresh(engine, keyspace);
}

/// Before a command runs, after eviction made room for it: invalidates the evicted keys, and
/// keeps the table within `tracking-table-max-keys`; the running client's pushes go before
/// its reply, as in Redis.
pub(crate) fn before_command(
    engine: &Engine,
    keyspace: &mut Keyspace,
    session: &Session,
    out: &mut ReplyBuffer,
    now_ms: i64,
) {
    let mut table = engine.tracking.lock();
    let mut origin = Origin { modifier: 0, me: session.id(), out: Some(out) };
    if keyspace.any_tracked() {
        table.invalidate_modified(engine, keyspace, &mut origin, now_ms);
    }
    table.limit(engine, keyspace, &mut origin, now_ms);
    table.refresh(engine, keyspace);
}

/// After a command, once the engine served watchers and blocked clients: the running
/// client's own invalidations follow its reply, the broadcasting prefixes go out, and a
/// CLIENT CACHING given for this command lapses (not inside MULTI, not after CLIENT itself).
/// `me` is the running client (none for the cron).
pub(crate) fn after_command(
    engine: &Engine,
    keyspace: &mut Keyspace,
    me: Option<(&Session, &[Bytes], &mut ReplyBuffer)>,
    now_ms: i64,
) {
    let cron = me.is_none();
    let mut table = engine.tracking.lock();
    let mut origin = Origin { modifier: 0, me: 0, out: None };
    if let Some((session, args, out)) = me {
        for frame in table.pending.drain(..) {
            out.raw(&frame);
        }
        if !session.in_multi() && !args[0].eq_ignore_ascii_case(b"client") {
            if let Some(t) = table.trackers.get_mut(&session.id()) {
                t.caching = false;
            }
        }
        origin = Origin { modifier: 0, me: session.id(), out: Some(out) };
    }
    if cron {
        // The cron: what commands left over the limit (or CONFIG SET lowered it).
        table.limit(engine, keyspace, &mut origin, now_ms);
    }
    if !table.prefixes.is_empty() {
        table.broadcast(engine, &mut origin, now_ms);
    }
    table.refresh(engine, keyspace);
}

/// Invalidates keys modified outside any command (active expiry, eviction by the cron,
/// blocked clients served) and moves every modified key taken so far into `touched`, for the
/// engine's watchers and blocked clients.
pub(crate) fn take_modified(
    engine: &Engine,
    keyspace: &mut Keyspace,
    touched: &mut Vec<(usize, Box<[u8]>)>,
    now_ms: i64,
) {
    let mut table = engine.tracking.lock();
    let mut origin = Origin { modifier: 0, me: 0, out: None };
    table.invalidate_modified(engine, keyspace, &mut origin, now_ms);
    touched.append(&mut table.deferred);
    table.refresh(engine, keyspace);
}

/// A flush (FLUSHDB, FLUSHALL): every tracking client is told everything changed, with a
/// null (the running client after its reply), and the table is emptied.
pub(crate) fn flushed(engine: &Engine, keyspace: &mut Keyspace, session: &Session, now_ms: i64) {
    if !engine.tracking.on() {
        return;
    }
    let mut table = engine.tracking.lock();
    let id = session.id();
    let mut origin = Origin { modifier: id, me: id, out: None };
    let mut ids: Vec<u64> = table.trackers.keys().copied().collect();
    ids.sort_unstable();
    for target in ids {
        table.send(engine, target, Body::All, &mut origin, now_ms);
    }
    table.clear_keys(keyspace);
    table.refresh(engine, keyspace);
}

/// Turns the session's tracking off (RESET, disconnection).
pub(crate) fn reset(engine: &Engine, keyspace: &mut Keyspace, session: &mut Session) {
    if session.features & TRACKING == 0 {
        return;
    }
    let mut table = engine.tracking.lock();
    table.disable(session.id());
    table.refresh(engine, keyspace);
    drop(table);
    session.features &= !TRACKING;
    session.handle.tracking.store(0, Ordering::Relaxed);
    session.handle.tracking_redirect.store(-1, Ordering::Relaxed);
}

/// Shows the tracker's flags in its client's handle (CLIENT LIST).
fn show(handle: &Arc<ClientHandle>, tracker: &Tracker) {
    let mut bits = TRACKING_ON;
    if tracker.broken {
        bits |= TRACKING_BROKEN_REDIRECT;
    }
    if tracker.bcast {
        bits |= TRACKING_BCAST;
    }
    handle.tracking.store(bits, Ordering::Relaxed);
    handle.tracking_redirect.store(tracker.redirect as i64, Ordering::Relaxed);
}
