//! Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP.
//!
//! A blocking command first tries to serve itself like its non-blocking twin. When every key
//! is empty it does not wait holding the store: it leaves a [`BlockRequest`] in the session
//! and the engine parks the client ([`Engine::park`]): the client joins a first-come
//! first-served queue per (database, key), each key is registered with the store's
//! modification tracking, and the connection task gets a [`BlockWait`] to await (the reply,
//! its timeout, its disconnection or CLIENT KILL), while every other client carries on.
//!
//! After each command the engine drains the tracked keys the store saw modified; for a key
//! with a queue it serves the waiting clients in order, still under the same acquisition of
//! the store ([`Engine::serve_key`]), by running their command against that key, and sends
//! each reply down the client's channel. As Redis 7.0, a client waits on while the key holds
//! another type than its command pops; BLMOVE's push may make another key ready, which is
//! served in turn, as Redis's `handleClientsBlockedOnKeys` loop does. Inside MULTI/EXEC a
//! blocking command never blocks: it answers as if it had timed out.

use crate::clients::ClientHandle;
use crate::context::{is_opt, parse_f64, parse_i64, CmdError, CmdResult, Ctx};
use crate::engine::Engine;
use crate::lists::{self, End};
use crate::pubsub::notify::{keyspace_event, GENERIC, ZSET};
use crate::session::Session;
use bytes::Bytes;
use redoubt_resp::{Protocol, ReplyBuffer};
use redoubt_store::{Keyspace, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Longest timeout accepted, in milliseconds (about 292 million years would overflow; a
/// century is forever enough).
const MAX_TIMEOUT_MS: f64 = 100.0 * 365.0 * 86_400_000.0;

/// What a parked client waits to do once a key is ready.
#[derive(Debug, Clone)]
enum Action {
    /// BLPOP / BRPOP: one element, replied `[key, element]`.
    Pop(End),
    /// BLMPOP: up to `count` elements, replied `[key, [elements]]`.
    MPop(End, usize),
    /// BLMOVE / BRPOPLPUSH: pop from the key, push to `dst`, reply the element.
    Move { dst: Bytes, from: End, to: End },
    /// BZPOPMIN / BZPOPMAX: one member, replied `[key, member, score]`.
    ZPop { max: bool },
    /// BZMPOP: up to `count` members, replied `[key, [[member, score] ...]]`.
    ZMPop { max: bool, count: usize },
}

impl Action {
    /// Whether the action pops sorted sets (else lists).
    fn wants_zset(&self) -> bool {
        matches!(self, Action::ZPop { .. } | Action::ZMPop { .. })
    }
}

/// A blocking command that found nothing to serve: what it waits for, and for how long.
#[derive(Debug, Clone)]
pub(crate) struct BlockRequest {
    action: Action,
    /// The keys, in argument order, each once.
    keys: Vec<Bytes>,
    /// Milliseconds to wait; 0 waits forever.
    timeout_ms: u64,
}

/// What the connection task of a parked client awaits: the reply sent when a key serves it.
#[derive(Debug)]
pub struct BlockWait {
    rx: oneshot::Receiver<Bytes>,
    /// When the command times out; `None` waits forever.
    pub deadline: Option<Instant>,
}

impl BlockWait {
    /// Resolves with the reply once the client was served (or unblocked); `None` if the
    /// engine dropped the wait without a reply, which the caller treats as a timeout.
    pub async fn reply(&mut self) -> Option<Bytes> {
        (&mut self.rx).await.ok()
    }
}

/// A parked client.
#[derive(Debug)]
struct Parked {
    handle: Arc<ClientHandle>,
    db: usize,
    args: Vec<Bytes>,
    request: BlockRequest,
    protocol: Protocol,
    reply: oneshot::Sender<Bytes>,
}

/// Parked clients and, per (database, key), the order they arrived in.
#[derive(Debug, Default)]
pub(crate) struct BlockRegistry {
    queues: HashMap<(usize, Bytes), VecDeque<u64>>,
    parked: HashMap<u64, Parked>,
}

impl BlockRegistry {
    /// Removes a parked client from every queue and the store's tracking.
    fn remove(&mut self, keyspace: &mut Keyspace, id: u64) -> Option<Parked> {
        let parked = self.parked.remove(&id)?;
        for key in &parked.request.keys {
            let slot = (parked.db, key.clone());
            if let Some(q) = self.queues.get_mut(&slot) {
                // Served clients are usually first in line.
                if q.front() == Some(&id) {
                    q.pop_front();
                } else {
                    q.retain(|c| *c != id);
                }
                if q.is_empty() {
                    self.queues.remove(&slot);
                }
            }
            keyspace.untrack(parked.db, key);
        }
        parked.handle.blocked.store(false, Ordering::Relaxed);
        Some(parked)
    }
}

/// The reply of a command that timed out (or may not block): a null array.
fn timeout_reply(protocol: Protocol) -> Bytes {
    let mut out = ReplyBuffer::new(protocol);
    out.null_array();
    out.take().freeze()
}

impl Engine {
    fn blocked(&self) -> MutexGuard<'_, BlockRegistry> {
        self.block_registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of clients waiting in a blocking command (INFO `blocked_clients`).
    pub fn blocked_clients(&self) -> usize {
        self.blocked_count.load(Ordering::Relaxed)
    }

    /// Parks the session's client on the keys of `request` (the store lock is held).
    pub(crate) fn park(
        &self,
        keyspace: &mut Keyspace,
        session: &Session,
        args: &[Bytes],
        request: BlockRequest,
        protocol: Protocol,
    ) -> BlockWait {
        let (tx, rx) = oneshot::channel();
        let id = session.id();
        let deadline = (request.timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(request.timeout_ms));
        let mut registry = self.blocked();
        // A parked client runs nothing, so it cannot park twice; never leak registrations.
        registry.remove(keyspace, id);
        for key in &request.keys {
            registry.queues.entry((session.db, key.clone())).or_default().push_back(id);
            keyspace.track(session.db, key);
        }
        let parked = Parked {
            handle: session.handle.clone(),
            db: session.db,
            args: args.to_vec(),
            request,
            protocol,
            reply: tx,
        };
        registry.parked.insert(id, parked);
        session.handle.blocked.store(true, Ordering::Relaxed);
        self.blocked_count.store(registry.parked.len(), Ordering::Relaxed);
        BlockWait { rx, deadline }
    }

    /// The session's blocking command timed out: unparks it and returns its reply, which is
    /// the null array, or the real reply if a key served it just before.
    pub fn unblock_timeout(&self, session: &mut Session, wait: &mut BlockWait) -> Bytes {
        self.with_keyspace(|keyspace| {
            let mut registry = self.blocked();
            let removed = registry.remove(keyspace, session.id());
            self.blocked_count.store(registry.parked.len(), Ordering::Relaxed);
            match removed {
                Some(parked) => timeout_reply(parked.protocol),
                None => wait.rx.try_recv().unwrap_or_else(|_| timeout_reply(parked_protocol(session))),
            }
        })
    }

    /// Unparks the session's client without a reply (disconnection, CLIENT KILL).
    pub fn cancel_block(&self, session: &mut Session) {
        if !session.handle.is_blocked() {
            return;
        }
        self.with_keyspace(|keyspace| {
            let mut registry = self.blocked();
            registry.remove(keyspace, session.id());
            self.blocked_count.store(registry.parked.len(), Ordering::Relaxed);
        });
    }

    /// Unblocks client `id` as CLIENT UNBLOCK does: with the timeout reply, or with
    /// `-UNBLOCKED` if `error`. False if it was not blocked.
    pub(crate) fn unblock_client(&self, keyspace: &mut Keyspace, id: u64, error: bool) -> bool {
        let mut registry = self.blocked();
        let removed = registry.remove(keyspace, id);
        self.blocked_count.store(registry.parked.len(), Ordering::Relaxed);
        let Some(parked) = removed else {
            return false;
        };
        let reply = if error {
            let mut out = ReplyBuffer::new(parked.protocol);
            out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
            out.take().freeze()
        } else {
            timeout_reply(parked.protocol)
        };
        let _ = parked.reply.send(reply);
        true
    }

    /// Serves, first come first served, the clients parked on `key` of database `db`, which
    /// was just modified (the store lock is held).
    pub(crate) fn serve_key(&self, keyspace: &mut Keyspace, db: usize, key: &[u8], now_ms: i64) {
        let mut registry = self.blocked();
        let slot = (db, Bytes::copy_from_slice(key));
        let Some(queue) = registry.queues.get(&slot) else {
            return;
        };
        let waiting: Vec<u64> = queue.iter().copied().collect();
        for id in waiting {
            let is_zset = match keyspace.get_db(db).and_then(|d| d.get(key, now_ms, false)) {
                None => break,
                Some(Value::List(_)) => false,
                Some(Value::ZSet(_)) => true,
                Some(_) => break,
            };
            let Some(parked) = registry.parked.get(&id) else {
                continue;
            };
            if parked.request.action.wants_zset() != is_zset {
                continue;
            }
            let mut out = ReplyBuffer::new(parked.protocol);
            let mut session = Session::new(parked.handle.clone());
            session.db = db;
            let mut ctx =
                Ctx { args: &parked.args, out: &mut out, keyspace, session: &mut session, engine: self, now_ms };
            match serve(&mut ctx, &parked.request.action, key) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => out.error(e.message()),
            }
            crate::aof::propagate::served(self, &mut session);
            if let Some(parked) = registry.remove(keyspace, id) {
                let _ = parked.reply.send(out.take().freeze());
            }
        }
        self.blocked_count.store(registry.parked.len(), Ordering::Relaxed);
    }
}

/// The protocol a session replies in (after a race where its reply went missing).
fn parked_protocol(session: &Session) -> Protocol {
    if session.handle.resp.load(Ordering::Relaxed) == 3 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    }
}

/// Parses a timeout in seconds (a float) as Redis's `getTimeoutFromObjectOrReply`:
/// milliseconds rounded up, 0 for forever.
fn parse_timeout(arg: &[u8]) -> Result<u64, CmdError> {
    let secs = parse_f64(arg).ok_or(CmdError::raw("ERR timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).ceil();
    if ms > MAX_TIMEOUT_MS {
        return Err(CmdError::raw("ERR timeout is not a float or out of range"));
    }
    if ms < 0.0 {
        return Err(CmdError::raw("ERR timeout is negative"));
    }
    Ok(ms as u64)
}

/// The keys, each once, in argument order.
fn distinct(keys: &[Bytes]) -> Vec<Bytes> {
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    keys.iter().filter(|k| seen.insert(*k)).cloned().collect()
}

/// Tries to serve `action` from `key`: true if it replied, false if the key is absent or
/// empty; WRONGTYPE if it holds another type.
fn serve(ctx: &mut Ctx<'_>, action: &Action, key: &[u8]) -> Result<bool, CmdError> {
    let served = serve_action(ctx, action, key)?;
    if served {
        // The log gets the non-blocking twin, with the key that served it.
        ctx.propagate_as(|| nonblocking_form(action, key));
    }
    Ok(served)
}

/// What a served blocking pop is logged as: BLPOP as LPOP, BLMPOP as LPOP key count,
/// BRPOPLPUSH as RPOPLPUSH, BLMOVE as LMOVE, BZPOPMIN as ZPOPMIN, BZMPOP as ZPOPMIN key count.
fn nonblocking_form(action: &Action, key: &[u8]) -> Vec<Bytes> {
    let key = Bytes::copy_from_slice(key);
    let side = |end: &End| Bytes::from_static(if matches!(end, End::Left) { b"LEFT" } else { b"RIGHT" });
    let pop = |end: &End| Bytes::from_static(if matches!(end, End::Left) { b"LPOP" } else { b"RPOP" });
    let zpop = |max: bool| Bytes::from_static(if max { b"ZPOPMAX" } else { b"ZPOPMIN" });
    let count = |n: usize| Bytes::from(n.to_string());
    match action {
        Action::Pop(end) => vec![pop(end), key],
        Action::MPop(end, n) => vec![pop(end), key, count(*n)],
        Action::Move { dst, from: End::Right, to: End::Left } => {
            vec![Bytes::from_static(b"RPOPLPUSH"), key, dst.clone()]
        }
        Action::Move { dst, from, to } => vec![Bytes::from_static(b"LMOVE"), key, dst.clone(), side(from), side(to)],
        Action::ZPop { max } => vec![zpop(*max), key],
        Action::ZMPop { max, count: n } => vec![zpop(*max), key, count(*n)],
    }
}

fn serve_action(ctx: &mut Ctx<'_>, action: &Action, key: &[u8]) -> Result<bool, CmdError> {
    match action {
        Action::Pop(end) => Ok(lists::pop_one_with(ctx, key, *end, |out, e| {
            out.array(2);
            out.bulk(key);
            e.with_bytes(|b| out.bulk(b));
        })?
        .is_some()),
        Action::MPop(end, count) => lists::pop_with_key_reply(ctx, key, *end, *count),
        Action::Move { dst, from, to } => match lists::move_element(ctx, key, dst, *from, *to)? {
            Some(elem) => {
                ctx.out.bulk(&elem);
                Ok(true)
            }
            None => Ok(false),
        },
        Action::ZPop { max } => zpop(ctx, key, *max, None),
        Action::ZMPop { max, count } => zpop(ctx, key, *max, Some(*count)),
    }
}

/// Pops up to `count` members (one, replied flat, when `None`) from the sorted set at `key`.
fn zpop(ctx: &mut Ctx<'_>, key: &[u8], max: bool, count: Option<usize>) -> Result<bool, CmdError> {
    let now = ctx.now_ms;
    let db = ctx.keyspace.db(ctx.session.db);
    let empty = {
        let Some(mut v) = db.get_mut(key, now) else {
            return Ok(false);
        };
        let Value::ZSet(z) = &mut *v else {
            return Err(CmdError::wrong_type());
        };
        if z.is_empty() {
            return Ok(false);
        }
        let n = count.unwrap_or(1).min(z.len());
        let out = &mut *ctx.out;
        match count {
            None => out.array(3),
            Some(_) => {
                out.array(2);
                out.bulk(key);
                out.array(n);
            }
        }
        if count.is_none() {
            out.bulk(key);
        }
        for _ in 0..n {
            let Some((member, score)) = (if max { z.pop_max() } else { z.pop_min() }) else {
                break;
            };
            if count.is_some() {
                out.array(2);
            }
            out.bulk(&member);
            out.double(score);
        }
        z.is_empty()
    };
    if empty {
        db.remove(key, now);
    }
    keyspace_event(ctx, ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
    if empty {
        keyspace_event(ctx, GENERIC, "del", key);
    }
    Ok(true)
}

/// Serves the request from the first key that can, or asks the engine to park the client
/// (as if timed out inside MULTI/EXEC: a null array, a null for BLMOVE/BRPOPLPUSH).
fn run(ctx: &mut Ctx<'_>, request: BlockRequest) -> CmdResult {
    for key in &request.keys {
        if serve(ctx, &request.action, key)? {
            return Ok(());
        }
    }
    if ctx.session.in_exec {
        match request.action {
            Action::Move { .. } => ctx.out.null(),
            _ => ctx.out.null_array(),
        }
        return Ok(());
    }
    ctx.session.block = Some(Box::new(request));
    Ok(())
}

fn pop_generic(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    let n = ctx.args.len();
    let timeout_ms = parse_timeout(&ctx.args[n - 1])?;
    let keys = distinct(&ctx.args[1..n - 1]);
    run(ctx, BlockRequest { action: Action::Pop(end), keys, timeout_ms })
}

/// BLPOP key [key ...] timeout
pub(crate) fn blpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop_generic(ctx, End::Left)
}

/// BRPOP key [key ...] timeout
pub(crate) fn brpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop_generic(ctx, End::Right)
}

fn move_generic(ctx: &mut Ctx<'_>, from: End, to: End, timeout_ms: u64) -> CmdResult {
    let action = Action::Move { dst: ctx.args[2].clone(), from, to };
    run(ctx, BlockRequest { action, keys: vec![ctx.args[1].clone()], timeout_ms })
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub(crate) fn blmove(ctx: &mut Ctx<'_>) -> CmdResult {
    let from = End::parse(&ctx.args[3])?;
    let to = End::parse(&ctx.args[4])?;
    let timeout_ms = parse_timeout(&ctx.args[5])?;
    move_generic(ctx, from, to, timeout_ms)
}

/// BRPOPLPUSH source destination timeout
pub(crate) fn brpoplpush(ctx: &mut Ctx<'_>) -> CmdResult {
    let timeout_ms = parse_timeout(&ctx.args[3])?;
    move_generic(ctx, End::Right, End::Left, timeout_ms)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub(crate) fn blmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let m = lists::parse_mpop(ctx.args, 2)?;
    let timeout_ms = parse_timeout(&ctx.args[1])?;
    let keys = distinct(&ctx.args[m.first_key..m.first_key + m.numkeys]);
    run(ctx, BlockRequest { action: Action::MPop(m.end, m.count), keys, timeout_ms })
}

fn zpop_generic(ctx: &mut Ctx<'_>, max: bool) -> CmdResult {
    let n = ctx.args.len();
    let timeout_ms = parse_timeout(&ctx.args[n - 1])?;
    let keys = distinct(&ctx.args[1..n - 1]);
    run(ctx, BlockRequest { action: Action::ZPop { max }, keys, timeout_ms })
}

/// BZPOPMIN key [key ...] timeout
pub(crate) fn bzpopmin(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop_generic(ctx, false)
}

/// BZPOPMAX key [key ...] timeout
pub(crate) fn bzpopmax(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop_generic(ctx, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub(crate) fn bzmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let numkeys = match parse_i64(&args[2]) {
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => return Err(CmdError::raw("ERR numkeys should be greater than 0")),
    };
    let where_idx = numkeys.saturating_add(3);
    let max = match args.get(where_idx) {
        Some(w) if is_opt(w, "min") => false,
        Some(w) if is_opt(w, "max") => true,
        _ => return Err(CmdError::syntax()),
    };
    let mut count = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && is_opt(&args[j], "count") && j + 1 < args.len() {
            j += 1;
            match parse_i64(&args[j]) {
                Some(n) if n >= 1 => count = Some(usize::try_from(n).unwrap_or(usize::MAX)),
                _ => return Err(CmdError::raw("ERR count should be greater than 0")),
            }
        } else {
            return Err(CmdError::syntax());
        }
        j += 1;
    }
    let timeout_ms = parse_timeout(&args[1])?;
    let keys = distinct(&args[3..3 + numkeys]);
    run(ctx, BlockRequest { action: Action::ZMPop { max, count: count.unwrap_or(1) }, keys, timeout_ms })
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: `:1` if the client was blocked and now is not.
pub(crate) fn client_unblock(ctx: &mut Ctx<'_>) -> CmdResult {
    let error = match ctx.args.get(3) {
        None => false,
        Some(a) if is_opt(a, "timeout") => false,
        Some(a) if is_opt(a, "error") => true,
        Some(_) if ctx.args.len() == 4 => {
            return Err(CmdError::raw("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
        }
        Some(_) => return Err(CmdError::syntax()),
    };
    if ctx.args.len() > 4 {
        return Err(CmdError::syntax());
    }
    let id = ctx.int_arg(2)?;
    let unblocked = u64::try_from(id).is_ok_and(|id| ctx.engine.unblock_client(ctx.keyspace, id, error));
    ctx.out.int(i64::from(unblocked));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_redis_does() {
        assert_eq!(parse_timeout(b"0"), Ok(0));
        assert_eq!(parse_timeout(b"0.001"), Ok(1));
        assert_eq!(parse_timeout(b"0.0001"), Ok(1));
        assert_eq!(parse_timeout(b"1.5"), Ok(1500));
        assert_eq!(parse_timeout(b"-1").unwrap_err().message(), "ERR timeout is negative");
        for bad in [&b"abc"[..], b"", b"nan", b"inf", b"1e300"] {
            assert_eq!(parse_timeout(bad).unwrap_err().message(), "ERR timeout is not a float or out of range");
        }
    }

    #[test]
    fn keys_are_kept_once_in_order() {
        let k = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(distinct(&[k("a"), k("b"), k("b"), k("a"), k("c")]), vec![k("a"), k("b"), k("c")]);
    }
}
