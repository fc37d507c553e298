//! What the log records for a command: by default its arguments when it changed the dataset
//! (the engine's `dirty` counter moved), or what its handler asked for with
//! [`Ctx::propagate_as`] (the deterministic form: absolute deadlines, the members SPOP
//! popped, the non-blocking twin of a blocking pop, the value INCRBYFLOAT computed...).
//! A transaction's writes are wrapped in MULTI/EXEC; keys the store expired or evicted are
//! logged as DEL before the command that noticed them.

use crate::context::Ctx;
use crate::engine::Engine;
use crate::session::Session;
use bytes::Bytes;
use redoubt_resp::ReplyBuffer;
use redoubt_store::Keyspace;
use std::sync::atomic::Ordering;

impl Ctx<'_> {
    /// Whether commands are being logged: handlers build a replacement only then.
    #[inline]
    pub fn propagating(&self) -> bool {
        self.engine.propagating()
    }

    /// Logs `args` (run in the session's database) in place of the command as sent; called
    /// several times, logs each in order. Nothing is built when logging is off.
    pub fn propagate_as(&mut self, args: impl FnOnce() -> Vec<Bytes>) {
        if self.propagating() {
            self.session.propagate.get_or_insert_with(Vec::new).push(args());
        }
    }

    /// Logs nothing for this command (its parts were logged on their own: EXEC).
    pub(crate) fn propagate_nothing(&mut self) {
        if self.propagating() {
            self.session.propagate.get_or_insert_with(Vec::new);
        }
    }

    /// Logs the key's new deadline as `PEXPIREAT key ms`, or `DEL key` when it is already
    /// past (the command deleted the key).
    pub(crate) fn propagate_deadline(&mut self, key: &[u8], deadline_ms: i64) {
        let now = self.now_ms;
        self.propagate_as(|| {
            if deadline_ms <= now {
                vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)]
            } else {
                vec![Bytes::from_static(b"PEXPIREAT"), Bytes::copy_from_slice(key), int(deadline_ms)]
            }
        });
    }
}

/// An integer argument.
pub(crate) fn int(v: i64) -> Bytes {
    Bytes::from(v.to_string())
}

/// After a handler ran with logging on: logs what the command changed.
pub(crate) fn after_command(
    engine: &Engine,
    keyspace: &mut Keyspace,
    session: &mut Session,
    args: &[Bytes],
    dirty_before: u64,
    out: &mut ReplyBuffer,
    now_ms: i64,
) {
    let replaced = session.propagate.take();
    let moved = engine.stats.dirty.load(Ordering::Relaxed) != dirty_before;
    if replaced.is_none() && !moved {
        return;
    }
    // Keys the command found expired (or that eviction removed) are deleted first.
    if keyspace.event_mask() != 0 {
        crate::pubsub::notify::drain_store_events(engine, keyspace, Some((session.id(), out)), now_ms);
    }
    match replaced {
        Some(cmds) => {
            for cmd in cmds {
                emit(engine, session, &cmd);
            }
        }
        None => emit(engine, session, args),
    }
}

/// Logs one command in the session's database, opening the transaction first inside EXEC.
fn emit(engine: &Engine, session: &mut Session, args: &[Bytes]) {
    if session.in_exec && !session.aof_multi_open {
        engine.propagate_record(session.db, &[&b"MULTI"[..]]);
        session.aof_multi_open = true;
    }
    engine.propagate_record(session.db, args);
}

/// At the end of EXEC: closes the logged transaction, and keeps EXEC itself out of the log.
pub(crate) fn exec_done(ctx: &mut Ctx<'_>) {
    if ctx.session.aof_multi_open {
        ctx.session.aof_multi_open = false;
        ctx.engine.propagate_record(ctx.session.db, &[&b"EXEC"[..]]);
    }
    ctx.propagate_nothing();
}

/// Logs what a blocked client's command did when another client's write served it (its
/// handler ran in `session`, a stand-in for the parked client).
pub(crate) fn served(engine: &Engine, session: &mut Session) {
    if let Some(cmds) = session.propagate.take() {
        for cmd in cmds {
            engine.propagate_record(session.db, &cmd);
        }
    }
}

/// A key the store deleted on its own (expiry, eviction): logged as DEL.
pub(crate) fn store_deleted(engine: &Engine, db: usize, key: &[u8]) {
    engine.propagate_record(db, &[&b"DEL"[..], key]);
}
