//! The strings family (Redis's t_string.c): GET, SET and its variants, MGET/MSET, GETEX,
//! GETDEL, APPEND, STRLEN, the INCR family, INCRBYFLOAT, GETRANGE/SETRANGE and LCS.
//!
//! Also the helpers the bits family shares: reading a string key (with keyspace hit/miss
//! counting), the proto-max-bulk-len size check, and growing a string without letting a
//! failed allocation abort the process.

mod lcs;
pub(crate) mod longdouble;

use crate::context::{is_opt, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, GENERIC, STRING};
use bytes::Bytes;
use longdouble::{LongDouble, Parsed};
use redoubt_resp::ReplyBuffer;
use redoubt_store::{Keyspace, StrValue, Value};

pub(crate) use lcs::lcs;

/// The largest string a command may build (proto-max-bulk-len).
pub(crate) fn proto_max_bulk_len(ctx: &Ctx<'_>) -> u64 {
    ctx.engine.config().proto_max_bulk_len as u64
}

/// Counts `n` changes to the dataset (INFO's `rdb_changes_since_last_save`), with Redis's
/// counts (SETBIT and BITFIELD count only real changes). Redoubt has no such counter yet:
/// this is the one place of the strings and bits families to connect it to.
pub(crate) fn mark_dirty(ctx: &mut Ctx<'_>, n: u64) {
    ctx.engine.stats.dirty.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
}

/// Redis's `checkStringLength` error: a string would exceed proto-max-bulk-len.
const STRING_TOO_LONG: CmdError = CmdError::raw("ERR string exceeds maximum allowed size (proto-max-bulk-len)");

/// Grows `buf` with zero bytes to at least `len` bytes. The caller has bounded `len` by
/// proto-max-bulk-len; an allocation failure (a huge configured limit) becomes an error
/// instead of aborting the process.
pub(crate) fn grow_zeroed(buf: &mut Vec<u8>, len: usize) -> CmdResult {
    if len > buf.len() {
        buf.try_reserve(len - buf.len()).map_err(|_| CmdError::err("out of memory growing the string"))?;
        buf.resize(len, 0);
    }
    Ok(())
}

/// A zero-filled buffer of `len` bytes, or an error if the allocation fails.
pub(crate) fn zeroed(len: usize) -> Result<Vec<u8>, CmdError> {
    let mut v = Vec::new();
    grow_zeroed(&mut v, len)?;
    Ok(v)
}

/// How a handler looks keys up: the selected database, the batch's clock, and whether reads
/// update the access clock (CLIENT NO-TOUCH).
#[derive(Clone, Copy)]
pub(crate) struct Lookup {
    pub(crate) db: usize,
    pub(crate) now: i64,
    pub(crate) touch: bool,
}

impl Lookup {
    pub(crate) fn of(ctx: &Ctx<'_>) -> Lookup {
        Lookup { db: ctx.session.db, now: ctx.now_ms, touch: !ctx.session.no_touch }
    }

    /// A read lookup (Redis's `lookupKeyRead`): counts a keyspace hit or miss.
    pub(crate) fn read<'k>(self, ks: &'k mut Keyspace, key: &[u8]) -> Option<&'k Value> {
        ks.read(self.db, key, self.now, self.touch)
    }

    /// A read lookup of a key that must hold a string: `None` if absent, WRONGTYPE if it is
    /// another type.
    pub(crate) fn read_str<'k>(self, ks: &'k mut Keyspace, key: &[u8]) -> Result<Option<&'k StrValue>, CmdError> {
        match self.read(ks, key) {
            None => Ok(None),
            Some(v) => v.as_str().map(Some).ok_or(CmdError::wrong_type()),
        }
    }
}

/// Writes a string value as a bulk reply without copying it.
pub(crate) fn reply_str(out: &mut ReplyBuffer, s: &StrValue) {
    match s.as_bytes() {
        Some(b) => out.bulk(b),
        None => out.bulk_int(s.as_int().unwrap_or(0)),
    }
}

fn new_str(bytes: &[u8]) -> Value {
    Value::Str(StrValue::from_bytes(bytes))
}

// ---------------------------------------------------------------------------------------
// GET, SET and friends
// ---------------------------------------------------------------------------------------

/// `GET key`
pub(crate) fn get(ctx: &mut Ctx<'_>) -> CmdResult {
    get_generic(ctx).map(|_| ())
}

/// Redis's `getGenericCommand`: replies with the value of `args[1]` or null; WRONGTYPE if it
/// is not a string. Returns whether the key existed.
fn get_generic(ctx: &mut Ctx<'_>) -> Result<bool, CmdError> {
    let lk = Lookup::of(ctx);
    match lk.read_str(ctx.keyspace, &ctx.args[1])? {
        Some(s) => {
            reply_str(ctx.out, s);
            Ok(true)
        }
        None => {
            ctx.out.null();
            Ok(false)
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Unit {
    Seconds,
    Millis,
}

/// The expiry given to SET or GETEX: the argument index of its value, its unit, and
/// whether it is relative (EX, PX) or absolute (EXAT, PXAT).
#[derive(Clone, Copy, Debug)]
struct Expire {
    arg: usize,
    unit: Unit,
    relative: bool,
}

/// SET's and GETEX's options, parsed as Redis's `parseExtendedStringArgumentsOrReply`.
#[derive(Default, Debug)]
struct ExtOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<Expire>,
}

/// Parses `args[start..]` as SET options (`for_set`) or GETEX options, with Redis's rules for
/// which options exclude which (any conflict is a syntax error).
fn parse_ext_opts(args: &[bytes::Bytes], start: usize, for_set: bool) -> Result<ExtOpts, CmdError> {
    let mut o = ExtOpts::default();
    let mut j = start;
    while j < args.len() {
        let opt = &args[j][..];
        let has_next = j + 1 < args.len();
        let (ex, px, exat, pxat) = match o.expire {
            Some(Expire { unit: Unit::Seconds, relative: true, .. }) => (true, false, false, false),
            Some(Expire { unit: Unit::Millis, relative: true, .. }) => (false, true, false, false),
            Some(Expire { unit: Unit::Seconds, relative: false, .. }) => (false, false, true, false),
            Some(Expire { unit: Unit::Millis, relative: false, .. }) => (false, false, false, true),
            None => (false, false, false, false),
        };
        let expire_opt = |unit, relative| Expire { arg: j + 1, unit, relative };
        if is_opt(opt, "nx") && !o.xx && for_set {
            o.nx = true;
        } else if is_opt(opt, "xx") && !o.nx && for_set {
            o.xx = true;
        } else if is_opt(opt, "get") && for_set {
            o.get = true;
        } else if is_opt(opt, "keepttl") && !o.persist && o.expire.is_none() && for_set {
            o.keepttl = true;
        } else if is_opt(opt, "persist") && !for_set && o.expire.is_none() && !o.keepttl {
            o.persist = true;
        } else if is_opt(opt, "ex") && !o.keepttl && !o.persist && !exat && !px && !pxat && has_next {
            o.expire = Some(expire_opt(Unit::Seconds, true));
            j += 1;
        } else if is_opt(opt, "px") && !o.keepttl && !o.persist && !ex && !exat && !pxat && has_next {
            o.expire = Some(expire_opt(Unit::Millis, true));
            j += 1;
        } else if is_opt(opt, "exat") && !o.keepttl && !o.persist && !ex && !px && !pxat && has_next {
            o.expire = Some(expire_opt(Unit::Seconds, false));
            j += 1;
        } else if is_opt(opt, "pxat") && !o.keepttl && !o.persist && !ex && !exat && !px && has_next {
            o.expire = Some(expire_opt(Unit::Millis, false));
            j += 1;
        } else {
            return Err(CmdError::syntax());
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute deadline in unix ms of an expiry
/// argument, or `ERR invalid expire time in '<cmd>' command`.
fn expire_deadline(ctx: &Ctx<'_>, e: Expire) -> Result<i64, CmdError> {
    let v = ctx.int_arg(e.arg)?;
    let invalid = || CmdError::err(format!("invalid expire time in '{}' command", ctx.command_name()));
    if v <= 0 {
        return Err(invalid());
    }
    let mut ms = match e.unit {
        Unit::Seconds => v.checked_mul(1000).ok_or_else(invalid)?,
        Unit::Millis => v,
    };
    if e.relative {
        ms = ms.checked_add(ctx.now_ms).ok_or_else(invalid)?;
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

/// What SET-like commands reply when they set, and when NX/XX stops them.
#[derive(Clone, Copy)]
enum SetReply {
    /// `+OK` / null (SET, SETEX, PSETEX).
    OkNull,
    /// `:1` / `:0` (SETNX).
    OneZero,
}

/// Redis's `setGenericCommand`: key `args[1]`, value `args[val]`.
fn set_generic(ctx: &mut Ctx<'_>, opts: &ExtOpts, val: usize, reply: SetReply) -> CmdResult {
    let deadline = match opts.expire {
        Some(e) => Some(expire_deadline(ctx, e)?),
        None => None,
    };
    if opts.get {
        get_generic(ctx)?;
    }
    let (now, key) = (ctx.now_ms, &ctx.args[1]);
    let db = ctx.keyspace.db(ctx.session.db);
    let found = db.exists(key, now);
    if (opts.nx && found) || (opts.xx && !found) {
        if !opts.get {
            match reply {
                SetReply::OkNull => ctx.out.null(),
                SetReply::OneZero => ctx.out.int(0),
            }
        }
        return Ok(());
    }
    let value = new_str(&ctx.args[val]);
    match deadline {
        Some(ms) => db.set_with_deadline(key, value, ms, now),
        None => db.set(key, value, opts.keepttl, now),
    }
    mark_dirty(ctx, 1);
    if let Some(ms) = deadline {
        // Logged with an absolute deadline, so a replay gives the key the same life.
        let args = ctx.args;
        ctx.propagate_as(|| {
            if ms <= now {
                vec![Bytes::from_static(b"DEL"), args[1].clone()]
            } else {
                let pxat = crate::aof::propagate::int(ms);
                vec![Bytes::from_static(b"SET"), args[1].clone(), args[val].clone(), Bytes::from_static(b"PXAT"), pxat]
            }
        });
    }
    keyspace_event(ctx, STRING, "set", key);
    if deadline.is_some() {
        keyspace_event(ctx, GENERIC, "expire", key);
    }
    if !opts.get {
        match reply {
            SetReply::OkNull => ctx.out.ok(),
            SetReply::OneZero => ctx.out.int(1),
        }
    }
    Ok(())
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]`
pub(crate) fn set(ctx: &mut Ctx<'_>) -> CmdResult {
    let opts = parse_ext_opts(ctx.args, 3, true)?;
    set_generic(ctx, &opts, 2, SetReply::OkNull)
}

/// `SETNX key value`
pub(crate) fn setnx(ctx: &mut Ctx<'_>) -> CmdResult {
    let opts = ExtOpts { nx: true, ..ExtOpts::default() };
    set_generic(ctx, &opts, 2, SetReply::OneZero)
}

/// `SETEX key seconds value`
pub(crate) fn setex(ctx: &mut Ctx<'_>) -> CmdResult {
    let opts = ExtOpts { expire: Some(Expire { arg: 2, unit: Unit::Seconds, relative: true }), ..ExtOpts::default() };
    set_generic(ctx, &opts, 3, SetReply::OkNull)
}

/// `PSETEX key milliseconds value`
pub(crate) fn psetex(ctx: &mut Ctx<'_>) -> CmdResult {
    let opts = ExtOpts { expire: Some(Expire { arg: 2, unit: Unit::Millis, relative: true }), ..ExtOpts::default() };
    set_generic(ctx, &opts, 3, SetReply::OkNull)
}

/// `GETSET key value`
pub(crate) fn getset(ctx: &mut Ctx<'_>) -> CmdResult {
    get_generic(ctx)?;
    let (now, key) = (ctx.now_ms, &ctx.args[1]);
    ctx.keyspace.db(ctx.session.db).set(key, new_str(&ctx.args[2]), false, now);
    mark_dirty(ctx, 1);
    keyspace_event(ctx, STRING, "set", key);
    Ok(())
}

/// `GETDEL key`
pub(crate) fn getdel(ctx: &mut Ctx<'_>) -> CmdResult {
    if get_generic(ctx)? {
        let (now, key) = (ctx.now_ms, &ctx.args[1]);
        if ctx.keyspace.db(ctx.session.db).remove(key, now).is_some() {
            mark_dirty(ctx, 1);
            keyspace_event(ctx, GENERIC, "del", key);
        }
    }
    Ok(())
}

/// `GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]`
pub(crate) fn getex(ctx: &mut Ctx<'_>) -> CmdResult {
    let opts = parse_ext_opts(ctx.args, 2, false)?;
    // Redis looks the key up and checks its type before validating the expiry: a missing
    // key answers null whatever the expiry says.
    let deadline = opts.expire.map(|e| expire_deadline(ctx, e)).transpose();
    let lk = Lookup::of(ctx);
    let (now, key) = (ctx.now_ms, &ctx.args[1]);
    let Some(s) = lk.read_str(ctx.keyspace, key)? else {
        ctx.out.null();
        return Ok(());
    };
    let deadline = deadline?;
    reply_str(ctx.out, s);
    let db = ctx.keyspace.db(ctx.session.db);
    match (opts.expire, deadline) {
        (Some(e), Some(ms)) if !e.relative && ms <= now => {
            db.remove(key, now);
            mark_dirty(ctx, 1);
            ctx.propagate_deadline(key, ms);
            keyspace_event(ctx, GENERIC, "del", key);
        }
        (_, Some(ms)) => {
            db.set_deadline(key, ms, now);
            mark_dirty(ctx, 1);
            ctx.propagate_deadline(key, ms);
            keyspace_event(ctx, GENERIC, "expire", key);
        }
        _ if opts.persist && db.persist(key, now) => {
            mark_dirty(ctx, 1);
            let key = key.clone();
            ctx.propagate_as(|| vec![Bytes::from_static(b"PERSIST"), key]);
            keyspace_event(ctx, GENERIC, "persist", &ctx.args[1]);
        }
        _ => {}
    }
    Ok(())
}

/// `MGET key [key ...]`
pub(crate) fn mget(ctx: &mut Ctx<'_>) -> CmdResult {
    let lk = Lookup::of(ctx);
    ctx.out.array(ctx.args.len() - 1);
    for key in &ctx.args[1..] {
        match lk.read(ctx.keyspace, key).and_then(Value::as_str) {
            Some(s) => reply_str(ctx.out, s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// `MSET key value [key value ...]`
pub(crate) fn mset(ctx: &mut Ctx<'_>) -> CmdResult {
    mset_generic(ctx, false)
}

/// `MSETNX key value [key value ...]`
pub(crate) fn msetnx(ctx: &mut Ctx<'_>) -> CmdResult {
    mset_generic(ctx, true)
}

fn mset_generic(ctx: &mut Ctx<'_>, nx: bool) -> CmdResult {
    if ctx.args.len().is_multiple_of(2) {
        return Err(CmdError::arity(&ctx.command_name()));
    }
    let now = ctx.now_ms;
    let args = ctx.args;
    let db = ctx.keyspace.db(ctx.session.db);
    if nx && args[1..].chunks_exact(2).any(|kv| db.exists(&kv[0], now)) {
        ctx.out.int(0);
        return Ok(());
    }
    for kv in args[1..].chunks_exact(2) {
        ctx.keyspace.db(ctx.session.db).set(&kv[0], new_str(&kv[1]), false, now);
        keyspace_event(ctx, STRING, "set", &kv[0]);
    }
    mark_dirty(ctx, (args.len() as u64 - 1) / 2);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// APPEND, STRLEN, GETRANGE, SETRANGE
// ---------------------------------------------------------------------------------------

/// `APPEND key value`
pub(crate) fn append(ctx: &mut Ctx<'_>) -> CmdResult {
    let (now, key, tail) = (ctx.now_ms, &ctx.args[1], &ctx.args[2]);
    let max = proto_max_bulk_len(ctx);
    let db = ctx.keyspace.db(ctx.session.db);
    let appended = match db.get_mut(key, now) {
        Some(mut v) => {
            let s = v.as_str_mut().ok_or(CmdError::wrong_type())?;
            if (s.len() as u64).checked_add(tail.len() as u64).is_none_or(|t| t > max) {
                return Err(STRING_TOO_LONG);
            }
            let buf = s.make_mut_bytes();
            buf.try_reserve(tail.len()).map_err(|_| CmdError::err("out of memory growing the string"))?;
            buf.extend_from_slice(tail);
            Some(buf.len())
        }
        None => None,
    };
    let len = match appended {
        Some(len) => len,
        None => {
            db.set(key, new_str(tail), false, now);
            tail.len()
        }
    };
    mark_dirty(ctx, 1);
    keyspace_event(ctx, STRING, "append", key);
    ctx.out.int(len as i64);
    Ok(())
}

/// `STRLEN key`
pub(crate) fn strlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let lk = Lookup::of(ctx);
    let len = lk.read_str(ctx.keyspace, &ctx.args[1])?.map_or(0, StrValue::len);
    ctx.out.int(len as i64);
    Ok(())
}

/// `GETRANGE key start end`
pub(crate) fn getrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let start = ctx.int_arg(2)?;
    let end = ctx.int_arg(3)?;
    let lk = Lookup::of(ctx);
    let Some(s) = lk.read_str(ctx.keyspace, &ctx.args[1])? else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let bytes = s.to_bytes();
    match range(start, end, bytes.len()) {
        Some((from, to)) => ctx.out.bulk(&bytes[from..=to]),
        None => ctx.out.bulk(b""),
    }
    Ok(())
}

/// `SUBSTR key start end` (GETRANGE's old name).
pub(crate) fn substr(ctx: &mut Ctx<'_>) -> CmdResult {
    getrange(ctx)
}

/// GETRANGE's index arithmetic: the inclusive byte range `start..=end` of a string of `len`
/// bytes (negative indexes count from the end), or `None` when it is empty.
fn range(mut start: i64, mut end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

/// `SETRANGE key offset value`
pub(crate) fn setrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let offset = ctx.int_arg(2)?;
    if offset < 0 {
        return Err(CmdError::raw("ERR offset is out of range"));
    }
    let offset = offset as u64;
    let (now, key, value) = (ctx.now_ms, &ctx.args[1], &ctx.args[3]);
    let max = proto_max_bulk_len(ctx);
    let end = offset.checked_add(value.len() as u64).filter(|&t| t <= max);
    let db = ctx.keyspace.db(ctx.session.db);
    if value.is_empty() {
        // Nothing to write: the current length (0 for a missing key), and no modification.
        let len = match db.get(key, now, true) {
            None => 0,
            Some(v) => v.as_str().ok_or(CmdError::wrong_type())?.len(),
        };
        ctx.out.int(len as i64);
        return Ok(());
    }
    // Checked after the key's type, as Redis orders its errors.
    let end = end.and_then(|e| usize::try_from(e).ok()).ok_or(STRING_TOO_LONG);
    let written = match db.get_mut(key, now) {
        Some(mut v) => {
            let buf = v.as_str_mut().ok_or(CmdError::wrong_type())?.make_mut_bytes();
            let end = end.clone()?;
            grow_zeroed(buf, end)?;
            buf[offset as usize..end].copy_from_slice(value);
            Some(buf.len())
        }
        None => None,
    };
    let len = match written {
        Some(len) => len,
        None => {
            let end = end?;
            let mut buf = zeroed(end)?;
            buf[offset as usize..].copy_from_slice(value);
            db.set(key, Value::Str(StrValue::from_vec(buf)), false, now);
            end
        }
    };
    mark_dirty(ctx, 1);
    keyspace_event(ctx, STRING, "setrange", key);
    ctx.out.int(len as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT
// ---------------------------------------------------------------------------------------

/// `INCR key`
pub(crate) fn incr(ctx: &mut Ctx<'_>) -> CmdResult {
    incr_decr(ctx, 1)
}

/// `DECR key`
pub(crate) fn decr(ctx: &mut Ctx<'_>) -> CmdResult {
    incr_decr(ctx, -1)
}

/// `INCRBY key increment`
pub(crate) fn incrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let by = ctx.int_arg(2)?;
    incr_decr(ctx, by)
}

/// `DECRBY key decrement`
pub(crate) fn decrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let by = ctx.int_arg(2)?;
    let by = by.checked_neg().ok_or(CmdError::raw("ERR decrement would overflow"))?;
    incr_decr(ctx, by)
}

/// Adds `by` to the integer at `args[1]` (0 when absent), keeping its TTL.
fn incr_decr(ctx: &mut Ctx<'_>, by: i64) -> CmdResult {
    let (now, key) = (ctx.now_ms, &ctx.args[1]);
    let db = ctx.keyspace.db(ctx.session.db);
    let updated = match db.get_mut(key, now) {
        Some(mut v) => {
            let old = v.as_str().ok_or(CmdError::wrong_type())?.as_int().ok_or(CmdError::not_integer())?;
            let new = old.checked_add(by).ok_or(CmdError::overflow())?;
            *v = Value::Str(StrValue::from_int(new));
            Some(new)
        }
        None => None,
    };
    let new = match updated {
        Some(new) => new,
        None => {
            db.set(key, Value::Str(StrValue::from_int(by)), false, now);
            by
        }
    };
    mark_dirty(ctx, 1);
    keyspace_event(ctx, STRING, "incrby", key);
    ctx.out.int(new);
    Ok(())
}

/// Parses a float the way INCRBYFLOAT does (`string2ld`).
fn parse_long_double(bytes: &[u8]) -> Result<Parsed, CmdError> {
    longdouble::parse(bytes).ok_or(CmdError::not_float())
}

/// `INCRBYFLOAT key increment`: long double arithmetic, formatted as Redis formats it.
pub(crate) fn incrbyfloat(ctx: &mut Ctx<'_>) -> CmdResult {
    let (now, key) = (ctx.now_ms, &ctx.args[1]);
    // Parsed first, reported after the key's type and value are checked, in Redis's order.
    let by = parse_long_double(&ctx.args[2]);
    let add = |current: Parsed, by: Parsed| -> Result<String, CmdError> {
        let nan_or_inf = || CmdError::raw("ERR increment would produce NaN or Infinity");
        match (current, by) {
            (Parsed::Finite(a), Parsed::Finite(b)) => Ok(a.add(b).ok_or_else(nan_or_inf)?.to_human_string()),
            _ => Err(nan_or_inf()),
        }
    };
    let db = ctx.keyspace.db(ctx.session.db);
    let updated = match db.get_mut(key, now) {
        Some(mut v) => {
            let s = v.as_str().ok_or(CmdError::wrong_type())?;
            let current = match s.as_int() {
                Some(i) => Parsed::Finite(LongDouble::from_i64(i)),
                None => parse_long_double(&s.to_bytes())?,
            };
            let text = add(current, by.clone()?)?;
            *v = new_str(text.as_bytes());
            Some(text)
        }
        None => None,
    };
    let text = match updated {
        Some(text) => text,
        None => {
            let text = add(Parsed::Finite(LongDouble::from_i64(0)), by?)?;
            db.set(key, new_str(text.as_bytes()), false, now);
            text
        }
    };
    mark_dirty(ctx, 1);
    // Logged as the value computed: float arithmetic must not be redone on replay.
    let logged = Bytes::copy_from_slice(text.as_bytes());
    let key = key.clone();
    ctx.propagate_as(|| vec![Bytes::from_static(b"SET"), key, logged, Bytes::from_static(b"KEEPTTL")]);
    keyspace_event(ctx, STRING, "incrbyfloat", &ctx.args[1]);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn args(list: &[&str]) -> Vec<Bytes> {
        list.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    #[test]
    fn getrange_arithmetic_matches_redis() {
        assert_eq!(range(0, 3, 11), Some((0, 3)));
        assert_eq!(range(0, -1, 11), Some((0, 10)));
        assert_eq!(range(-4, -1, 11), Some((7, 10)));
        assert_eq!(range(5, 3, 11), None);
        assert_eq!(range(5, 5000, 11), Some((5, 10)));
        assert_eq!(range(-5000, 10000, 11), Some((0, 10)));
        assert_eq!(range(0, -1, 0), None);
        assert_eq!(range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(range(i64::MAX, i64::MIN, 3), None);
        assert_eq!(range(-1, -2, 3), None);
    }

    #[test]
    fn set_options_follow_redis_conflict_rules() {
        let ok = |l: &[&str]| parse_ext_opts(&args(l), 0, true).is_ok();
        assert!(ok(&["nx", "get", "ex", "10"]));
        assert!(ok(&["xx", "keepttl"]));
        assert!(ok(&["ex", "1", "ex", "2"]));
        assert!(ok(&["NX", "nx"]));
        assert!(!ok(&["nx", "xx"]));
        assert!(!ok(&["ex", "1", "px", "2"]));
        assert!(!ok(&["keepttl", "ex", "1"]));
        assert!(!ok(&["ex", "1", "keepttl"]));
        assert!(!ok(&["ex"]));
        assert!(!ok(&["persist"]));
        assert!(!ok(&["pxat", "1", "exat", "1"]));
        let getex_ok = |l: &[&str]| parse_ext_opts(&args(l), 0, false).is_ok();
        assert!(getex_ok(&["persist"]));
        assert!(getex_ok(&["exat", "100"]));
        assert!(!getex_ok(&["persist", "ex", "1"]));
        assert!(!getex_ok(&["nx"]));
        assert!(!getex_ok(&["get"]));
        assert!(!getex_ok(&["keepttl"]));
    }
}
