//! Keyspace notifications (Redis's notify.c): events about keys published on
//! `__keyspace@<db>__:<key>` (message: the event) and `__keyevent@<db>__:<event>` (message:
//! the key), for the event classes `notify-keyspace-events` enables.
//!
//! Commands call [`keyspace_event`] where Redis calls `notifyKeyspaceEvent`, with the class
//! and event name Redis uses (`STRING`, "set"; `GENERIC`, "del"; `LIST`, "lpush" ...). With
//! notifications off (the default) the call costs one atomic load.

use super::deliver_all;
use crate::context::Ctx;

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
/// `t`: stream commands.
pub(crate) const STREAM: u32 = 1 << 10;
/// `m`: a key was missed (not part of `A`).
pub(crate) const KEY_MISS: u32 = 1 << 11;
/// `d`: module key types.
pub(crate) const MODULE: u32 = 1 << 13;
/// `n`: a key was created (not part of `A`).
pub(crate) const NEW: u32 = 1 << 14;

/// The classes `A` stands for.
const ALL: u32 = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Parses a `notify-keyspace-events` value (as CONFIG GET renders it) into class bits.
pub(crate) fn parse_flags(value: &str) -> u32 {
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

/// Publishes keyspace event `event` of class `class` about `key` of the session's database,
/// if `notify-keyspace-events` enables the class.
#[allow(dead_code)] // Called by the command families as they adopt notifications.
pub(crate) fn keyspace_event(ctx: &mut Ctx<'_>, class: u32, event: &str, key: &[u8]) {
    let flags = ctx.engine.notify_flags();
    if flags & class == 0 {
        return;
    }
    let db = ctx.session.db;
    if flags & KEYSPACE != 0 {
        let mut channel = format!("__keyspace@{db}__:").into_bytes();
        channel.extend_from_slice(key);
        deliver_all(ctx, false, &channel, event.as_bytes());
    }
    if flags & KEYEVENT != 0 {
        let channel = format!("__keyevent@{db}__:{event}");
        deliver_all(ctx, false, channel.as_bytes(), key);
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
}
