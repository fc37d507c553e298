//! The generic key commands, as Redis's db.c, expire.c and object.c implement them: DEL,
//! UNLINK, EXISTS, TYPE, the EXPIRE and TTL families, PERSIST, RENAME, RENAMENX, KEYS, SCAN,
//! RANDOMKEY, DBSIZE, MOVE, COPY, TOUCH and OBJECT.
//!
//! Lookups follow Redis's flags: reads that must not disturb eviction data (EXISTS, TYPE,
//! TTL, OBJECT) do not touch the access clock; reads count keyspace hits and misses, writes
//! do not. Every lookup expires the key lazily first, so an expired key is never seen,
//! renamed, moved, copied or given a new deadline.

use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, keyspace_event_in, GENERIC};
use crate::strings::mark_dirty;
use redoubt_config::MaxmemoryPolicy;
use redoubt_store::{glob_match, matches_everything, Value};

/// Redis's `OBJ_SHARED_REFCOUNT`: what OBJECT REFCOUNT reports for a shared integer.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// Redis shares the integers 0..10000 (`OBJ_SHARED_INTEGERS`) between keys.
const SHARED_INTEGERS: i64 = 10_000;

/// Default SCAN COUNT.
const SCAN_DEFAULT_COUNT: usize = 10;

/// `ERR source and destination objects are the same` (MOVE, COPY).
const SAME_OBJECT: CmdError = CmdError::raw("ERR source and destination objects are the same");

/// `ERR DB index is out of range` (MOVE, COPY ... DB).
const DB_OUT_OF_RANGE: CmdError = CmdError::raw("ERR DB index is out of range");

/// Whether reads by this client update the access clock (CLIENT NO-TOUCH turns it off).
fn touches(ctx: &Ctx<'_>) -> bool {
    !ctx.session.no_touch
}

/// Looks `key` up for reading without touching it (Redis's `LOOKUP_NOTOUCH`), counting the
/// hit or miss; returns whether it exists.
fn read_exists(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let now = ctx.now_ms;
    let hit = ctx.db().exists(key, now);
    ctx.keyspace.record_lookup(hit);
    hit
}

// ---------------------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TYPE, TOUCH, DBSIZE, RANDOMKEY
// ---------------------------------------------------------------------------------------

fn delete_keys(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let mut deleted = 0;
    for key in &ctx.args[1..] {
        if ctx.keyspace.db(ctx.session.db).remove(key, now).is_some() {
            deleted += 1;
            keyspace_event(ctx, GENERIC, "del", key);
        }
    }
    mark_dirty(ctx, deleted);
    ctx.out.int(i64::try_from(deleted).unwrap_or(i64::MAX));
    Ok(())
}

/// DEL key [key ...]
pub(crate) fn del(ctx: &mut Ctx<'_>) -> CmdResult {
    delete_keys(ctx)
}

/// UNLINK key [key ...]: DEL whose memory is reclaimed off the critical path in Redis; values
/// here are freed in place, which is what DEL does too.
pub(crate) fn unlink(ctx: &mut Ctx<'_>) -> CmdResult {
    delete_keys(ctx)
}

/// EXISTS key [key ...]: counts every argument that exists, repeats included.
pub(crate) fn exists(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let mut count = 0;
    for key in &args[1..] {
        if read_exists(ctx, key) {
            count += 1;
        }
    }
    ctx.out.int(count);
    Ok(())
}

/// TYPE key
pub(crate) fn type_(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let key = &ctx.args[1];
    let name = ctx.db().get(key, now, false).map(Value::type_name);
    ctx.keyspace.record_lookup(name.is_some());
    ctx.out.simple(name.unwrap_or("none"));
    Ok(())
}

/// TOUCH key [key ...]: updates the access clock of each key that exists; counts them.
pub(crate) fn touch(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let args = ctx.args;
    let mut count = 0;
    for key in &args[1..] {
        let hit = ctx.db().get(key, now, true).is_some();
        ctx.keyspace.record_lookup(hit);
        if hit {
            count += 1;
        }
    }
    ctx.out.int(count);
    Ok(())
}

/// DBSIZE: keys in the selected database, expired ones not yet reclaimed included (as Redis).
pub(crate) fn dbsize(ctx: &mut Ctx<'_>) -> CmdResult {
    let n = ctx.db().len();
    ctx.out.int(i64::try_from(n).unwrap_or(i64::MAX));
    Ok(())
}

/// RANDOMKEY
pub(crate) fn randomkey(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms;
    match ctx.db().random_key(now) {
        Some(key) => ctx.out.bulk(&key),
        None => ctx.out.null(),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// KEYS, SCAN
// ---------------------------------------------------------------------------------------

/// Whether `key` matches `pattern`; `None` means every key matches (the pattern `*`).
fn matches(pattern: Option<&[u8]>, key: &[u8]) -> bool {
    pattern.is_none_or(|p| glob_match(p, key, false))
}

/// `None` for the pattern that matches everything, so the matcher is skipped.
fn effective_pattern(pattern: &[u8]) -> Option<&[u8]> {
    (!matches_everything(pattern)).then_some(pattern)
}

/// KEYS pattern
pub(crate) fn keys(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let args = ctx.args;
    let pattern = effective_pattern(&args[1]);
    let mut found: Vec<Vec<u8>> = Vec::new();
    ctx.keyspace.db(ctx.session.db).for_each_key(now, |key, _| {
        if matches(pattern, key) {
            found.push(key.to_vec());
        }
    });
    ctx.out.array(found.len());
    for key in &found {
        // A client over its output-buffer limit is being closed: stop (obuf.rs).
        if ctx.out.overflowed() {
            break;
        }
        ctx.out.bulk(key);
    }
    Ok(())
}

/// Parses a SCAN cursor as Redis does with `strtoul` in base 10: optional leading `+` or `-`
/// (a negative number wraps modulo 2^64, as C's `strtoul` does), then digits, nothing after;
/// no leading whitespace; out of range is an error. An empty string is cursor 0, as in Redis.
pub(crate) fn parse_cursor(s: &[u8]) -> Option<u64> {
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s.is_empty() {
        return Some(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub(crate) fn scan(ctx: &mut Ctx<'_>) -> CmdResult {
    let cursor = parse_cursor(&ctx.args[1]).ok_or(CmdError::raw("ERR invalid cursor"))?;
    let args = ctx.args;
    let mut count = SCAN_DEFAULT_COUNT;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i - 1;
        if is_opt(&args[i], "COUNT") && more >= 1 {
            let n = parse_i64(&args[i + 1]).ok_or(CmdError::not_integer())?;
            if n < 1 {
                return Err(CmdError::syntax());
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
            i += 2;
        } else if is_opt(&args[i], "MATCH") && more >= 1 {
            pattern = effective_pattern(&args[i + 1]);
            i += 2;
        } else if is_opt(&args[i], "TYPE") && more >= 1 {
            type_name = Some(&args[i + 1]);
            i += 2;
        } else {
            return Err(CmdError::syntax());
        }
    }
    let now = ctx.now_ms;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let next = ctx.keyspace.db(ctx.session.db).scan(cursor, count, now, |key, value| {
        let type_ok = type_name.is_none_or(|t| t.eq_ignore_ascii_case(value.type_name().as_bytes()));
        if type_ok && matches(pattern, key) {
            found.push(key.to_vec());
        }
    });
    let mut digits = itoa::Buffer::new();
    ctx.out.array(2);
    ctx.out.bulk(digits.format(next).as_bytes());
    ctx.out.array(found.len());
    for key in &found {
        // A client over its output-buffer limit is being closed: stop (obuf.rs).
        if ctx.out.overflowed() {
            break;
        }
        ctx.out.bulk(key);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT
// ---------------------------------------------------------------------------------------

/// The EXPIRE options.
#[derive(Default, Clone, Copy)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// Parses NX XX GT LT from argument 3 on, with Redis's texts for unknown and conflicting ones.
fn parse_expire_flags(args: &[bytes::Bytes]) -> Result<ExpireFlags, CmdError> {
    let mut f = ExpireFlags::default();
    for opt in args.iter().skip(3) {
        if is_opt(opt, "NX") {
            f.nx = true;
        } else if is_opt(opt, "XX") {
            f.xx = true;
        } else if is_opt(opt, "GT") {
            f.gt = true;
        } else if is_opt(opt, "LT") {
            f.lt = true;
        } else {
            // Redis prints the option as a C string: up to its first NUL byte.
            let shown = opt.split(|&b| b == 0).next().unwrap_or(&[]);
            return Err(CmdError::err(format!("Unsupported option {}", String::from_utf8_lossy(shown))));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(CmdError::raw("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if f.gt && f.lt {
        return Err(CmdError::raw("ERR GT and LT options at the same time are not compatible"));
    }
    Ok(f)
}

/// Whether the new deadline `when` may replace `current` (`None`: no deadline, which GT and
/// LT treat as infinite) under the options.
fn expire_allowed(f: ExpireFlags, current: Option<i64>, when: i64) -> bool {
    if f.nx && current.is_some() {
        return false;
    }
    if f.xx && current.is_none() {
        return false;
    }
    if f.gt && current.is_none_or(|c| when <= c) {
        return false;
    }
    if f.lt && current.is_some_and(|c| when >= c) {
        return false;
    }
    true
}

/// The EXPIRE family (Redis's `expireGenericCommand`): `relative` adds the current time;
/// `seconds` scales the argument by 1000. A deadline not in the future deletes the key.
fn expire_generic(ctx: &mut Ctx<'_>, relative: bool, seconds: bool) -> CmdResult {
    let flags = parse_expire_flags(ctx.args)?;
    let mut when = ctx.int_arg(2)?;
    let invalid = || CmdError::err(format!("invalid expire time in '{}' command", ctx.command_name()));
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let base = if relative { ctx.now_ms } else { 0 };
    // Redis rejects only overflow past the top: `when > LLONG_MAX - basetime`.
    when = when.checked_add(base).ok_or_else(invalid)?;

    let now = ctx.now_ms;
    let key = &ctx.args[1];
    let db = ctx.keyspace.db(ctx.session.db);
    let Some(current) = db.deadline(key, now) else {
        ctx.out.int(0);
        return Ok(());
    };
    if !expire_allowed(flags, current, when) {
        ctx.out.int(0);
        return Ok(());
    }
    if when <= now {
        db.remove(key, now);
        keyspace_event(ctx, GENERIC, "del", key);
    } else {
        db.set_deadline(key, when, now);
        keyspace_event(ctx, GENERIC, "expire", key);
    }
    mark_dirty(ctx, 1);
    // Logged as PEXPIREAT (or DEL): the deadline, not the time left, and the flags are spent.
    ctx.propagate_deadline(&ctx.args[1], when);
    ctx.out.int(1);
    Ok(())
}

/// EXPIRE key seconds [NX | XX | GT | LT]
pub(crate) fn expire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, true)
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
pub(crate) fn pexpire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, false)
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
pub(crate) fn expireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, true)
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
pub(crate) fn pexpireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, false)
}

// ---------------------------------------------------------------------------------------
// TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST
// ---------------------------------------------------------------------------------------

/// The TTL family (Redis's `ttlGenericCommand`): -2 for no key, -1 for no deadline, else the
/// time left (or the deadline itself when `absolute`), in ms or rounded seconds.
fn ttl_generic(ctx: &mut Ctx<'_>, millis: bool, absolute: bool) -> CmdResult {
    let now = ctx.now_ms;
    let key = &ctx.args[1];
    let deadline = ctx.db().deadline(key, now);
    ctx.keyspace.record_lookup(deadline.is_some());
    let reply = match deadline {
        None => -2,
        Some(None) => -1,
        Some(Some(d)) => {
            let t = if absolute { d } else { d.saturating_sub(now) }.max(0);
            if millis {
                t
            } else {
                t.saturating_add(500) / 1000
            }
        }
    };
    ctx.out.int(reply);
    Ok(())
}

/// TTL key
pub(crate) fn ttl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, false, false)
}

/// PTTL key
pub(crate) fn pttl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, true, false)
}

/// EXPIRETIME key
pub(crate) fn expiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, false, true)
}

/// PEXPIRETIME key
pub(crate) fn pexpiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// PERSIST key
pub(crate) fn persist(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let key = &ctx.args[1];
    let removed = ctx.db().persist(key, now);
    if removed {
        mark_dirty(ctx, 1);
        keyspace_event(ctx, GENERIC, "persist", key);
    }
    ctx.out.int(i64::from(removed));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// RENAME, RENAMENX, MOVE, COPY
// ---------------------------------------------------------------------------------------

/// RENAME and RENAMENX (Redis's `renameGenericCommand`): the value moves with its deadline;
/// the destination's old value and deadline are dropped.
fn rename_generic(ctx: &mut Ctx<'_>, nx: bool) -> CmdResult {
    let now = ctx.now_ms;
    let src = &ctx.args[1];
    let dst = &ctx.args[2];
    let db = ctx.keyspace.db(ctx.session.db);
    let Some(deadline) = db.deadline(src, now) else {
        return Err(CmdError::no_such_key());
    };
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    if nx && db.exists(dst, now) {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(value) = db.remove(src, now) else {
        return Err(CmdError::no_such_key());
    };
    // Redis deletes the old destination and adds the key anew (a "new" event).
    db.remove(dst, now);
    match deadline {
        Some(d) => db.set_with_deadline(dst, value, d, now),
        None => db.set(dst, value, false, now),
    }
    mark_dirty(ctx, 1);
    keyspace_event(ctx, GENERIC, "rename_from", src);
    keyspace_event(ctx, GENERIC, "rename_to", dst);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// RENAME key newkey
pub(crate) fn rename(ctx: &mut Ctx<'_>) -> CmdResult {
    rename_generic(ctx, false)
}

/// RENAMENX key newkey
pub(crate) fn renamenx(ctx: &mut Ctx<'_>) -> CmdResult {
    rename_generic(ctx, true)
}

/// A database index argument as Redis's `getIntFromObjectOrReply` reads it (an `int`), then
/// checked against the number of databases.
fn db_index_arg(ctx: &Ctx<'_>, i: usize) -> Result<usize, CmdError> {
    let v = ctx.int_arg(i)?;
    let v = i32::try_from(v).map_err(|_| CmdError::not_integer())?;
    usize::try_from(v).ok().filter(|&v| v < ctx.keyspace.db_count()).ok_or(DB_OUT_OF_RANGE)
}

/// MOVE key db: moves the key with its deadline, unless it already exists in the target.
pub(crate) fn move_(ctx: &mut Ctx<'_>) -> CmdResult {
    let target = db_index_arg(ctx, 2)?;
    let source = ctx.session.db;
    if target == source {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now_ms;
    let key = &ctx.args[1];
    let Some((src, dst)) = ctx.keyspace.pair(source, target) else {
        return Err(DB_OUT_OF_RANGE);
    };
    let Some(deadline) = src.deadline(key, now) else {
        ctx.out.int(0);
        return Ok(());
    };
    if dst.exists(key, now) {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(value) = src.remove(key, now) else {
        ctx.out.int(0);
        return Ok(());
    };
    match deadline {
        Some(d) => dst.set_with_deadline(key, value, d, now),
        None => dst.set(key, value, false, now),
    }
    mark_dirty(ctx, 1);
    keyspace_event_in(ctx, source, GENERIC, "move_from", key);
    keyspace_event_in(ctx, target, GENERIC, "move_to", key);
    ctx.out.int(1);
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE]: copies the value and its deadline.
pub(crate) fn copy(ctx: &mut Ctx<'_>) -> CmdResult {
    let source = ctx.session.db;
    let mut target = source;
    let mut replace = false;
    let mut i = 3;
    while i < ctx.args.len() {
        let more = ctx.args.len() - i - 1;
        if is_opt(&ctx.args[i], "REPLACE") {
            replace = true;
            i += 1;
        } else if is_opt(&ctx.args[i], "DB") && more >= 1 {
            target = db_index_arg(ctx, i + 1)?;
            i += 2;
        } else {
            return Err(CmdError::syntax());
        }
    }
    let key = &ctx.args[1];
    let newkey = &ctx.args[2];
    if source == target && key == newkey {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now_ms;
    let touch = touches(ctx);

    // Read the source: a read lookup (touches the key, counts a hit or miss).
    let src = ctx.keyspace.db(source);
    let value = src.get(key, now, touch).cloned();
    let deadline = if value.is_some() { src.deadline(key, now).flatten() } else { None };
    ctx.keyspace.record_lookup(value.is_some());
    let Some(value) = value else {
        ctx.out.int(0);
        return Ok(());
    };

    let dst = ctx.keyspace.db(target);
    if dst.exists(newkey, now) && !replace {
        ctx.out.int(0);
        return Ok(());
    }
    // Redis deletes the old destination and adds the copy anew (a "new" event).
    dst.remove(newkey, now);
    match deadline {
        Some(d) => dst.set_with_deadline(newkey, value, d, now),
        None => dst.set(newkey, value, false, now),
    }
    mark_dirty(ctx, 1);
    keyspace_event_in(ctx, target, GENERIC, "copy_to", newkey);
    ctx.out.int(1);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------------------

/// Whether the maxmemory policy is an LFU one (`allkeys-lfu`, `volatile-lfu`).
fn lfu_policy(ctx: &Ctx<'_>) -> bool {
    matches!(ctx.engine.config().maxmemory_policy, MaxmemoryPolicy::AllkeysLfu | MaxmemoryPolicy::VolatileLfu)
}

/// Whether Redis would share small integers: with no maxmemory, or a policy that is neither
/// LRU nor LFU (`MAXMEMORY_FLAG_NO_SHARED_INTEGERS`).
fn shares_integers(ctx: &Ctx<'_>) -> bool {
    let config = ctx.engine.config();
    let lru_or_lfu = matches!(
        config.maxmemory_policy,
        MaxmemoryPolicy::AllkeysLru
            | MaxmemoryPolicy::VolatileLru
            | MaxmemoryPolicy::AllkeysLfu
            | MaxmemoryPolicy::VolatileLfu
    );
    config.maxmemory == 0 || !lru_or_lfu
}

/// Looks a key up for OBJECT: no touch, counts a hit or miss; false replies nil.
fn object_lookup(ctx: &mut Ctx<'_>) -> bool {
    let args = ctx.args;
    read_exists(ctx, &args[2])
}

/// OBJECT ENCODING key
pub(crate) fn object_encoding(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let key = &ctx.args[2];
    let encoding = ctx.db().get(key, now, false).map(Value::encoding_name);
    ctx.keyspace.record_lookup(encoding.is_some());
    match encoding {
        Some(e) => ctx.out.bulk(e.as_bytes()),
        None => ctx.out.null(),
    }
    Ok(())
}

/// OBJECT REFCOUNT key: 1, or Redis's shared-object count for the small integers Redis would
/// share.
pub(crate) fn object_refcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let key = &ctx.args[2];
    let small_int = ctx.db().get(key, now, false).map(|v| {
        v.as_str()
            .filter(|s| s.encoding_name() == "int")
            .and_then(|s| s.as_int())
            .is_some_and(|n| (0..SHARED_INTEGERS).contains(&n))
    });
    ctx.keyspace.record_lookup(small_int.is_some());
    match small_int {
        None => ctx.out.null(),
        Some(true) if shares_integers(ctx) => ctx.out.int(SHARED_REFCOUNT),
        Some(_) => ctx.out.int(1),
    }
    Ok(())
}

/// OBJECT IDLETIME key: seconds since the last access; refused under an LFU policy.
pub(crate) fn object_idletime(ctx: &mut Ctx<'_>) -> CmdResult {
    if !object_lookup(ctx) {
        ctx.out.null();
        return Ok(());
    }
    if lfu_policy(ctx) {
        return Err(CmdError::raw(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let now = ctx.now_ms;
    let key = &ctx.args[2];
    let idle = ctx.db().idle_seconds(key, now).unwrap_or(0);
    ctx.out.int(i64::try_from(idle).unwrap_or(i64::MAX));
    Ok(())
}

/// OBJECT FREQ key: the logarithmic access counter; only under an LFU policy.
pub(crate) fn object_freq(ctx: &mut Ctx<'_>) -> CmdResult {
    if !object_lookup(ctx) {
        ctx.out.null();
        return Ok(());
    }
    if !lfu_policy(ctx) {
        return Err(CmdError::raw(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let now = ctx.now_ms;
    let key = &ctx.args[2];
    let freq = ctx.db().lfu_freq(key, now).unwrap_or(0);
    ctx.out.int(i64::from(freq));
    Ok(())
}

/// OBJECT HELP
pub(crate) fn object_help(ctx: &mut Ctx<'_>) -> CmdResult {
    const LINES: &[&str] = &[
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    ];
    help_reply(ctx, LINES);
    Ok(())
}

/// Redis's `addReplyHelp`: a header naming the command, the lines, and the HELP footer.
fn help_reply(ctx: &mut Ctx<'_>, lines: &[&str]) {
    let name = String::from_utf8_lossy(&ctx.args[0]).to_uppercase();
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!("{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    for line in lines {
        ctx.out.simple(line);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_as_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        for bad in [&b"18446744073709551616"[..], b"abc", b"1a", b" 1", b"1 ", b"-", b"+", b"0x1", b"1.0", b"--1"] {
            assert_eq!(parse_cursor(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn expire_options() {
        let f = |nx, xx, gt, lt| ExpireFlags { nx, xx, gt, lt };
        assert!(expire_allowed(f(true, false, false, false), None, 5));
        assert!(!expire_allowed(f(true, false, false, false), Some(1), 5));
        assert!(!expire_allowed(f(false, true, false, false), None, 5));
        assert!(expire_allowed(f(false, true, false, false), Some(1), 5));
        assert!(!expire_allowed(f(false, false, true, false), None, 5));
        assert!(expire_allowed(f(false, false, true, false), Some(1), 5));
        assert!(!expire_allowed(f(false, false, true, false), Some(5), 5));
        assert!(expire_allowed(f(false, false, false, true), None, 5));
        assert!(!expire_allowed(f(false, false, false, true), Some(5), 5));
        assert!(expire_allowed(f(false, false, false, true), Some(6), 5));
    }
}
