//! Keyspace notifications (Redis's notify.c): events about keys published on
//! `__keyspace@<db>__:<key>` (message: the event) and `__keyevent@<db>__:<event>` (message:
//! the key), for the event classes `notify-keyspace-events` enables.
//!
//! Commands call [`keyspace_event`] where Redis calls `notifyKeyspaceEvent`, with the class
//! and event name Redis uses (`STRING`, "set"; `GENERIC`, "del"; `LIST`, "lpush" ...). With
//! notifications off (the default) the call costs one atomic load.
//!
//! The events the store itself causes, "expired" (lazy and active expiry), "new" (a key
//! created) and "evicted", are recorded by the store when its event mask asks for them
//! ([`redoubt_store::Keyspace::set_event_mask`], kept in line with the configuration by
//! [`after_command`]) and published from here: before the next event a command publishes, so
//! the order is Redis's (expired, new, then the command's own event), and after each command
//! and each cron tick.

use super::deliver;
use crate::context::Ctx;
use crate::engine::Engine;
use redoubt_resp::ReplyBuffer;
use redoubt_store::{KeyEvent, Keyspace};

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub(crate) const KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub(crate) const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME ...).
pub(crate) const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub(crate) const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub(crate) const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub(crate) const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub(crate) const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub(crate) const ZSET: u32 = 1 << 7;
/// `x`: a key expired.
pub(crate) const EXPIRED: u32 = 1 << 8;
/// `e`: a key was evicted.
pub(crate) const EVICTED: u32 = 1 << 9;
/// `t`: stream commands (Redoubt has no streams: nothing publishes it).
#[allow(dead_code)]
pub(crate) const STREAM: u32 = 1 << 10;
/// `m`: a key was missed (not part of `A`). Not published yet: read lookups do not report
/// misses to the event log.
#[allow(dead_code)]
pub(crate) const KEY_MISS: u32 = 1 << 11;
/// `d`: module key types (Redoubt loads no modules: nothing publishes it).
#[allow(dead_code)]
pub(crate) const MODULE: u32 = 1 << 13;
/// `n`: a key was created (not part of `A`).
pub(crate) const NEW: u32 = 1 << 14;

/// The classes `A` stands for.
#[cfg(test)]
const ALL: u32 = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Parses a `notify-keyspace-events` value into class bits (the engine takes them from the
/// config, [`redoubt_config::Config::notify_keyspace_events`]; this checks they agree).
#[cfg(test)]
fn parse_flags(value: &str) -> u32 {
    value.chars().fold(0, |flags, c| {
        flags
            | match c {
                'A' => ALL,
                'g' => GENERIC,
                '$' => STRING,
                'l' => LIST,
                's' => SET,
                'h' => HASH,
                'z' => ZSET,
                'x' => EXPIRED,
                'e' => EVICTED,
                'K' => KEYSPACE,
                'E' => KEYEVENT,
                't' => STREAM,
                'm' => KEY_MISS,
                'd' => MODULE,
                'n' => NEW,
                _ => 0,
            }
    })
}

/// The store-side events (expiry, creation, eviction) the store must record for `flags`:
/// those whose class is enabled, when some channel kind (K or E) is.
pub(crate) fn store_mask(flags: u32) -> u8 {
    if flags & (KEYSPACE | KEYEVENT) == 0 {
        return 0;
    }
    let mut mask = 0;
    for (class, event) in [(EXPIRED, KeyEvent::Expired), (NEW, KeyEvent::New), (EVICTED, KeyEvent::Evicted)] {
        if flags & class != 0 {
            mask |= event.bit();
        }
    }
    mask
}

/// Publishes keyspace event `event` of class `class` about `key` of the session's database,
/// if `notify-keyspace-events` enables the class. Events the store recorded before (a key
/// that expired or was created while the command ran) are published first, in Redis's order.
pub(crate) fn keyspace_event(ctx: &mut Ctx<'_>, class: u32, event: &str, key: &[u8]) {
    let db = ctx.session.db;
    keyspace_event_in(ctx, db, class, event, key);
}

/// [`keyspace_event`] about a key of database `db` (MOVE, COPY ... DB).
pub(crate) fn keyspace_event_in(ctx: &mut Ctx<'_>, db: usize, class: u32, event: &str, key: &[u8]) {
    let flags = ctx.engine.notify_flags();
    if flags & class == 0 {
        return;
    }
    if ctx.keyspace.event_mask() != 0 {
        let me = Some((ctx.session.id(), &mut *ctx.out));
        publish_store_events(ctx.engine, ctx.keyspace, flags, me, ctx.now_ms);
    }
    let me = Some((ctx.session.id(), &mut *ctx.out));
    publish(ctx.engine, me, ctx.now_ms, flags, db, event, key);
}

/// After a command (`me`: the client that ran it) or the cron's active expiry (`None`):
/// points the store's event recording at what `notify-keyspace-events` enables, and publishes
/// the events it recorded (Redis's "expired", "new" and "evicted"). With notifications off,
/// one atomic load and a byte comparison.
pub(crate) fn after_command(
    engine: &Engine,
    keyspace: &mut Keyspace,
    me: Option<(u64, &mut ReplyBuffer)>,
    now_ms: i64,
) {
    let flags = engine.notify_flags();
    let mut mask = store_mask(flags);
    if engine.propagating() {
        // The append-only file logs the keys the store deletes on its own.
        mask |= KeyEvent::Expired.bit() | KeyEvent::Evicted.bit();
    }
    if mask != keyspace.event_mask() {
        keyspace.set_event_mask(mask);
    }
    if mask != 0 {
        publish_store_events(engine, keyspace, flags, me, now_ms);
    }
}

/// Takes the events the store recorded: logs the deletions in the append-only file and
/// publishes what `notify-keyspace-events` enables (the engine calls it before logging a
/// command, so an expired key's DEL comes first).
pub(crate) fn drain_store_events(
    engine: &Engine,
    keyspace: &mut Keyspace,
    me: Option<(u64, &mut ReplyBuffer)>,
    now_ms: i64,
) {
    publish_store_events(engine, keyspace, engine.notify_flags(), me, now_ms);
}

/// Publishes the events the store recorded since the last call (and logs deletions).
fn publish_store_events(
    engine: &Engine,
    keyspace: &mut Keyspace,
    flags: u32,
    mut me: Option<(u64, &mut ReplyBuffer)>,
    now_ms: i64,
) {
    let mut events = Vec::new();
    keyspace.take_events(&mut events);
    let logging = engine.propagating();
    for (db, event, key) in events {
        if logging && matches!(event, KeyEvent::Expired | KeyEvent::Evicted) {
            crate::aof::propagate::store_deleted(engine, db, &key);
        }
        let class = match event {
            KeyEvent::Expired => EXPIRED,
            KeyEvent::New => NEW,
            KeyEvent::Evicted => EVICTED,
        };
        if flags & class != 0 {
            let me = me.as_mut().map(|(id, out)| (*id, &mut **out));
            publish(engine, me, now_ms, flags, db, event.name(), &key);
        }
    }
}

/// Publishes `event` about `key` of database `db` on the channels `flags` enables.
fn publish(
    engine: &Engine,
    mut me: Option<(u64, &mut ReplyBuffer)>,
    now_ms: i64,
    flags: u32,
    db: usize,
    event: &str,
    key: &[u8],
) {
    if flags & KEYSPACE != 0 {
        let mut channel = format!("__keyspace@{db}__:").into_bytes();
        channel.extend_from_slice(key);
        let me = me.as_mut().map(|(id, out)| (*id, &mut **out));
        deliver(engine, me, now_ms, false, &channel, event.as_bytes());
    }
    if flags & KEYEVENT != 0 {
        let channel = format!("__keyevent@{db}__:{event}");
        deliver(engine, me, now_ms, false, channel.as_bytes(), key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_as_redis_renders_them() {
        assert_eq!(parse_flags(""), 0);
        assert_eq!(parse_flags("AKE"), ALL | KEYSPACE | KEYEVENT);
        assert_eq!(parse_flags("$lK"), STRING | LIST | KEYSPACE);
        assert_eq!(parse_flags("Exn"), KEYEVENT | EXPIRED | NEW);
    }

    #[test]
    fn the_config_speaks_the_same_bits() {
        let mut config = redoubt_config::Config::default();
        for value in ["", "A", "KEA", "KAn", "En", "g$lshzxeKE", "Kmd", "Et"] {
            config.set("notify-keyspace-events", value).unwrap();
            assert_eq!(config.notify_keyspace_events(), parse_flags(value), "{value}");
        }
    }

    #[test]
    fn the_store_records_only_what_someone_can_hear() {
        assert_eq!(store_mask(0), 0);
        assert_eq!(store_mask(parse_flags("A")), 0);
        assert_eq!(store_mask(parse_flags("K$")), 0);
        assert_eq!(store_mask(parse_flags("Ex")), KeyEvent::Expired.bit());
        assert_eq!(store_mask(parse_flags("KA")), KeyEvent::Expired.bit() | KeyEvent::Evicted.bit());
        assert_eq!(
            store_mask(parse_flags("KEAn")),
            KeyEvent::Expired.bit() | KeyEvent::Evicted.bit() | KeyEvent::New.bit()
        );
    }
}
