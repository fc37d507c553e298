//! Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH, with Redis 7.0's semantics.
//!
//! Inside MULTI the engine queues every command but EXEC, DISCARD, MULTI, WATCH, QUIT and
//! RESET, answering `+QUEUED`; a command refused at queue time (unknown, wrong arity, not
//! allowed in a transaction) marks the transaction aborted and EXEC answers `EXECABORT`.
//! EXEC runs the queued commands one after the other inside the EXEC command itself, so under
//! the single acquisition of the store its batch holds: nothing runs in between.
//!
//! WATCH is optimistic locking. The engine keeps, per database, the clients watching each key
//! ([`WatchRegistry`]) and registers the key with the store's modification tracking. After
//! every command the engine drains the keys the store saw modified (a write by anyone, this
//! client included, expiry, FLUSHDB/FLUSHALL, SWAPDB) and marks their watchers dirty; EXEC of
//! a dirty client answers a null array. As Redis 7.0, a key that was already logically expired
//! when watched does not break the transaction when it is merely deleted, and a watched key
//! that expires before EXEC does.

use crate::clients::ClientHandle;
use crate::context::{CmdError, CmdResult, Ctx};
use crate::engine::Engine;
use crate::session::{Session, IN_MULTI, WATCHING};
use crate::spec::{CmdFlags, CommandSpec};
use bytes::Bytes;
use redoubt_resp::ReplyBuffer;
use redoubt_store::Keyspace;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};

/// Redis's reply to EXEC after a command was refused while queueing.
const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// Per-command overhead counted against the queue's memory cap, as Redis counts argv slots.
const QUEUED_OVERHEAD: usize = 64;

/// A transaction being queued.
#[derive(Debug, Default)]
pub(crate) struct MultiState {
    /// The queued commands, resolved at queue time.
    commands: Vec<(&'static CommandSpec, Vec<Bytes>)>,
    /// Bytes held by the queue (arguments plus per-command overhead).
    bytes: usize,
    /// Most bytes the queue may hold (`client-query-buffer-limit`).
    cap: usize,
    /// A command was refused while queueing (Redis's `CLIENT_DIRTY_EXEC`).
    aborted: bool,
    /// A queued command may grow memory (EXEC is then refused over maxmemory).
    denyoom: bool,
}

/// One client's watch of one key.
#[derive(Debug)]
struct Watcher {
    client: Arc<ClientHandle>,
    /// The key was already logically expired when watched (Redis's `watchedKey.expired`).
    expired: bool,
}

/// The clients watching each key, per database.
#[derive(Debug, Default)]
pub(crate) struct WatchRegistry {
    dbs: Vec<HashMap<Bytes, Vec<Watcher>>>,
}

impl WatchRegistry {
    fn db(&mut self, db: usize) -> &mut HashMap<Bytes, Vec<Watcher>> {
        if self.dbs.len() <= db {
            self.dbs.resize_with(db + 1, HashMap::new);
        }
        &mut self.dbs[db]
    }

    /// A watched key was modified: marks its watchers dirty (Redis's `touchWatchedKey`).
    pub(crate) fn touched(&mut self, keyspace: &mut Keyspace, db: usize, key: &[u8]) {
        let Some(watchers) = self.dbs.get_mut(db).and_then(|m| m.get_mut(key)) else {
            return;
        };
        let exists = keyspace.db_ref(db).is_some_and(|d| d.holds(key));
        for w in watchers {
            if w.expired && !exists {
                // An already expired key got deleted: logically no change.
                w.expired = false;
                continue;
            }
            w.client.cas_dirty.store(true, Ordering::Relaxed);
        }
    }

    fn remove(&mut self, db: usize, key: &[u8], client: u64) {
        let Some(map) = self.dbs.get_mut(db) else {
            return;
        };
        if let Some(watchers) = map.get_mut(key) {
            watchers.retain(|w| w.client.id != client);
            if watchers.is_empty() {
                map.remove(key);
            }
        }
    }
}

impl Engine {
    /// The watch registry; taken while the store lock is held (lock order: store first).
    pub(crate) fn watches(&self) -> MutexGuard<'_, WatchRegistry> {
        self.watch_registry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How the engine treats a command while the session is in MULTI.
pub(crate) enum InMulti {
    /// Run it now (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET).
    Run,
    /// Queued, or refused; the reply is the result.
    Handled(CmdResult),
}

/// Queues `args` (resolved to `spec`) in the session's transaction, or refuses it.
pub(crate) fn queue(
    session: &mut Session,
    spec: &'static CommandSpec,
    args: &[Bytes],
    out: &mut ReplyBuffer,
) -> InMulti {
    let name = &args[0];
    let runs_now =
        ["exec", "discard", "multi", "watch", "quit", "reset"].iter().any(|n| name.eq_ignore_ascii_case(n.as_bytes()));
    if runs_now {
        return InMulti::Run;
    }
    if spec.flags.contains(CmdFlags::NO_MULTI) {
        flag_abort(session);
        return InMulti::Handled(Err(CmdError::raw("ERR Command not allowed inside a transaction")));
    }
    let Some(multi) = session.multi.as_deref_mut() else {
        return InMulti::Run;
    };
    // An aborted transaction will never run: keep nothing (Redis does the same).
    if !multi.aborted {
        let size = args.iter().map(|a| a.len()).sum::<usize>() + QUEUED_OVERHEAD;
        if multi.bytes.saturating_add(size) > multi.cap {
            multi.aborted = true;
            multi.commands = Vec::new();
            multi.bytes = 0;
            return InMulti::Handled(Err(CmdError::raw(
                "ERR Transaction discarded: the queued commands exceed client-query-buffer-limit",
            )));
        }
        multi.bytes += size;
        multi.denyoom |= spec.flags.contains(CmdFlags::DENYOOM);
        multi.commands.push((spec, args.to_vec()));
        session.handle.multi.store(multi.commands.len() as i64, Ordering::Relaxed);
    }
    out.simple("QUEUED");
    InMulti::Handled(Ok(()))
}

/// Whether a command queued in the session's transaction may grow memory.
pub(crate) fn queued_denyoom(session: &Session) -> bool {
    session.multi.as_ref().is_some_and(|m| m.denyoom)
}

/// Marks the session's transaction aborted (a command was refused while queueing).
pub(crate) fn flag_abort(session: &mut Session) {
    if let Some(multi) = session.multi.as_deref_mut() {
        multi.aborted = true;
        multi.commands = Vec::new();
        multi.bytes = 0;
    }
}

/// MULTI
pub(crate) fn multi(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.session.features & IN_MULTI != 0 {
        return Err(CmdError::raw("ERR MULTI calls can not be nested"));
    }
    let cap = ctx.engine.config().client_query_buffer_limit;
    ctx.session.multi = Some(Box::new(MultiState { cap, ..MultiState::default() }));
    ctx.session.features |= IN_MULTI;
    ctx.session.handle.multi.store(0, Ordering::Relaxed);
    ctx.out.ok();
    Ok(())
}

/// EXEC
pub(crate) fn exec(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.session.features & IN_MULTI == 0 {
        return Err(CmdError::raw("ERR EXEC without MULTI"));
    }
    let multi = end_multi(ctx.session);
    let dirty = ctx.session.handle.cas_dirty.load(Ordering::Relaxed) || watched_key_expired(ctx);
    unwatch_all(ctx.engine, ctx.keyspace, ctx.session);
    if multi.aborted {
        return Err(CmdError::raw(EXECABORT));
    }
    if dirty {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.out.array(multi.commands.len());
    ctx.session.in_exec = true;
    for (spec, args) in &multi.commands {
        ctx.engine.run_queued(ctx.keyspace, ctx.session, spec, args, ctx.out, ctx.now_ms);
    }
    ctx.session.in_exec = false;
    crate::aof::propagate::exec_done(ctx);
    Ok(())
}

/// DISCARD
pub(crate) fn discard(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.session.features & IN_MULTI == 0 {
        return Err(CmdError::raw("ERR DISCARD without MULTI"));
    }
    end_multi(ctx.session);
    unwatch_all(ctx.engine, ctx.keyspace, ctx.session);
    ctx.out.ok();
    Ok(())
}

/// WATCH key [key ...]
pub(crate) fn watch(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.session.features & IN_MULTI != 0 {
        return Err(CmdError::raw("ERR WATCH inside MULTI is not allowed"));
    }
    // No point in watching more once a watched key changed: EXEC will fail anyway.
    if !ctx.session.handle.cas_dirty.load(Ordering::Relaxed) {
        let db = ctx.session.db;
        let id = ctx.session.id();
        let mut registry = ctx.engine.watches();
        for key in &ctx.args[1..] {
            let watchers = registry.db(db).entry(key.clone()).or_default();
            // Already watched by this client: once is enough.
            if watchers.iter().any(|w| w.client.id == id) {
                continue;
            }
            let expired = ctx.keyspace.db_ref(db).is_some_and(|d| d.is_stale(key, ctx.now_ms));
            watchers.push(Watcher { client: ctx.session.handle.clone(), expired });
            ctx.keyspace.track(db, key);
            ctx.session.watched.push((db, key.clone()));
        }
        if !ctx.session.watched.is_empty() {
            ctx.session.features |= WATCHING;
        }
    }
    ctx.out.ok();
    Ok(())
}

/// UNWATCH
pub(crate) fn unwatch(ctx: &mut Ctx<'_>) -> CmdResult {
    unwatch_all(ctx.engine, ctx.keyspace, ctx.session);
    ctx.out.ok();
    Ok(())
}

/// Leaves MULTI, returning the queued transaction.
fn end_multi(session: &mut Session) -> MultiState {
    session.features &= !IN_MULTI;
    session.handle.multi.store(-1, Ordering::Relaxed);
    session.multi.take().map(|m| *m).unwrap_or_default()
}

/// Whether a watched key, alive when watched, has expired since (Redis's
/// `isWatchedKeyExpired`): EXEC then fails even if nothing deleted the key yet.
fn watched_key_expired(ctx: &mut Ctx<'_>) -> bool {
    if ctx.session.watched.is_empty() {
        return false;
    }
    let mut registry = ctx.engine.watches();
    let id = ctx.session.id();
    ctx.session.watched.iter().any(|(db, key)| {
        let expired_when_watched =
            registry.db(*db).get(key).and_then(|ws| ws.iter().find(|w| w.client.id == id)).is_none_or(|w| w.expired);
        !expired_when_watched && ctx.keyspace.db_ref(*db).is_some_and(|d| d.is_stale(key, ctx.now_ms))
    })
}

/// Forgets every watched key of the session and clears its dirty flag (UNWATCH, after EXEC
/// and DISCARD, RESET, disconnection).
pub(crate) fn unwatch_all(engine: &Engine, keyspace: &mut Keyspace, session: &mut Session) {
    if !session.watched.is_empty() {
        let mut registry = engine.watches();
        let id = session.id();
        for (db, key) in session.watched.drain(..) {
            registry.remove(db, &key, id);
            keyspace.untrack(db, &key);
        }
    }
    session.watched.shrink_to(8);
    session.features &= !WATCHING;
    session.handle.cas_dirty.store(false, Ordering::Relaxed);
}

/// Drops the transaction and the watches (RESET, disconnection).
pub(crate) fn reset(engine: &Engine, keyspace: &mut Keyspace, session: &mut Session) {
    if session.features & IN_MULTI != 0 {
        end_multi(session);
    }
    unwatch_all(engine, keyspace, session);
}
