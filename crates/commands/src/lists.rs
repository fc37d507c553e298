//! The lists family (Redis's t_list.c): LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP (with
//! COUNT), LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, RPOPLPUSH, LMOVE and
//! LMPOP. The value itself is [`ListValue`] in the store.
//!
//! The order of checks follows Redis command by command (which argument is parsed before
//! the key is looked up, which error wins), since clients and Redis's tests see it. A list
//! is never left empty: the command that takes its last element deletes the key.
//!
//! The blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) are built elsewhere on
//! the helpers here, which do the non-blocking half of each: [`pop_one_with`],
//! [`pop_with_key_reply`], [`move_element`], [`parse_mpop`] and [`End`].

use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, GENERIC, LIST};
use crate::strings::{mark_dirty, Lookup};
use bytes::Bytes;
use redoubt_resp::ReplyBuffer;
use redoubt_store::list::Elem;
use redoubt_store::{Db, Keyspace, ListValue, Value};

/// `ERR index out of range` (LSET).
const OUT_OF_RANGE: CmdError = CmdError::raw("ERR index out of range");

/// Redis's `getPositiveLongFromObjectOrReply` error without a message of its own.
const NOT_POSITIVE: CmdError = CmdError::raw("ERR value is out of range, must be positive");

/// Which end of a list: LEFT is the head, RIGHT the tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The head (index 0).
    Left,
    /// The tail (index -1).
    Right,
}

impl End {
    /// The keyspace event of a push at this end.
    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    /// The keyspace event of a pop from this end.
    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }
}

/// The keyspace events of elements popped from `end` of `key`, and of the key's deletion if
/// that emptied it (Redis's `listElementsRemoved`).
fn notify_popped(ctx: &mut Ctx<'_>, key: &[u8], end: End, deleted: bool) {
    keyspace_event(ctx, LIST, end.pop_event(), key);
    if deleted {
        keyspace_event(ctx, GENERIC, "del", key);
    }
}

impl End {
    /// Parses `LEFT` or `RIGHT` (any case); anything else is a syntax error.
    pub(crate) fn parse(arg: &[u8]) -> Result<End, CmdError> {
        if is_opt(arg, "left") {
            Ok(End::Left)
        } else if is_opt(arg, "right") {
            Ok(End::Right)
        } else {
            Err(CmdError::syntax())
        }
    }
}

fn push_at(list: &mut ListValue, end: End, elem: &[u8]) {
    match end {
        End::Left => list.push_front(elem),
        End::Right => list.push_back(elem),
    }
}

/// A non-negative integer argument, as Redis's `getPositiveLongFromObjectOrReply`: `msg` is
/// the error for both a non-integer and a negative value.
fn positive_arg(arg: &[u8], msg: CmdError) -> Result<usize, CmdError> {
    match parse_i64(arg) {
        Some(v) if v >= 0 => Ok(usize::try_from(v).unwrap_or(usize::MAX)),
        _ => Err(msg),
    }
}

/// A read lookup of a list key (counts a keyspace hit or miss): `None` if absent, WRONGTYPE
/// if it holds another type.
pub(crate) fn read_list<'k>(lk: Lookup, ks: &'k mut Keyspace, key: &[u8]) -> Result<Option<&'k ListValue>, CmdError> {
    match lk.read(ks, key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::wrong_type()),
    }
}

/// Runs `f` on the list at `key` for writing (Redis's `lookupKeyWrite`: no hit/miss count),
/// then deletes the key if `f` left the list empty. `Ok(None)` if the key is absent.
fn with_list<R>(db: &mut Db, key: &[u8], now: i64, f: impl FnOnce(&mut ListValue) -> R) -> Result<Option<R>, CmdError> {
    Ok(with_list_del(db, key, now, f)?.map(|(r, _)| r))
}

/// [`with_list`], also telling whether the key was deleted (`f` emptied the list).
fn with_list_del<R>(
    db: &mut Db,
    key: &[u8],
    now: i64,
    f: impl FnOnce(&mut ListValue) -> R,
) -> Result<Option<(R, bool)>, CmdError> {
    let (r, empty) = match db.get_mut(key, now) {
        None => return Ok(None),
        Some(mut v) => match &mut *v {
            Value::List(l) => {
                let r = f(l);
                (r, l.is_empty())
            }
            _ => return Err(CmdError::wrong_type()),
        },
    };
    if empty {
        db.remove(key, now);
    }
    Ok(Some((r, empty)))
}

/// WRONGTYPE if `key` exists and is not a list (a write lookup: it touches the key).
fn check_list_or_absent(db: &mut Db, key: &[u8], now: i64) -> CmdResult {
    match db.get_mut(key, now) {
        Some(v) if !matches!(*v, Value::List(_)) => Err(CmdError::wrong_type()),
        _ => Ok(()),
    }
}

/// Stores a new list under an absent `key`: the one place list keys are created, so
/// whatever must happen when a list appears (waking blocked clients) can hook here.
fn create_list(db: &mut Db, key: &[u8], list: ListValue, now: i64) {
    db.set(key, Value::List(Box::new(list)), false, now);
}

/// Writes an element as a bulk string (an integer-encoded one is formatted in place).
pub(crate) fn reply_elem(out: &mut ReplyBuffer, e: Elem<'_>) {
    match e {
        Elem::Bytes(b) => out.bulk(b),
        Elem::Int(v) => out.bulk_int(v),
    }
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------
// LPUSH, RPUSH, LPUSHX, RPUSHX, LINSERT
// ---------------------------------------------------------------------------------------

/// Redis's `pushGenericCommand`: pushes `args[2..]` one by one; with `only_existing`
/// (the X forms) an absent key answers 0.
fn push(ctx: &mut Ctx<'_>, end: End, only_existing: bool) -> CmdResult {
    let (now, key, elems) = (ctx.now_ms, &ctx.args[1], &ctx.args[2..]);
    let db = ctx.keyspace.db(ctx.session.db);
    let len = match with_list(db, key, now, |l| {
        for e in elems {
            push_at(l, end, e);
        }
        l.len()
    })? {
        Some(len) => len,
        None if only_existing => {
            ctx.out.int(0);
            return Ok(());
        }
        None => {
            let mut list = ListValue::new();
            for e in elems {
                push_at(&mut list, end, e);
            }
            let len = list.len();
            create_list(db, key, list, now);
            len
        }
    };
    mark_dirty(ctx, elems.len() as u64);
    keyspace_event(ctx, LIST, end.push_event(), key);
    ctx.out.int(len_i64(len));
    Ok(())
}

/// `LPUSH key element [element ...]`
pub(crate) fn lpush(ctx: &mut Ctx<'_>) -> CmdResult {
    push(ctx, End::Left, false)
}

/// `RPUSH key element [element ...]`
pub(crate) fn rpush(ctx: &mut Ctx<'_>) -> CmdResult {
    push(ctx, End::Right, false)
}

/// `LPUSHX key element [element ...]`
pub(crate) fn lpushx(ctx: &mut Ctx<'_>) -> CmdResult {
    push(ctx, End::Left, true)
}

/// `RPUSHX key element [element ...]`
pub(crate) fn rpushx(ctx: &mut Ctx<'_>) -> CmdResult {
    push(ctx, End::Right, true)
}

/// `LINSERT key BEFORE|AFTER pivot element`: the new length, -1 if the pivot is not
/// found, 0 if there is no list.
pub(crate) fn linsert(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let after = if is_opt(&args[2], "after") {
        true
    } else if is_opt(&args[2], "before") {
        false
    } else {
        return Err(CmdError::syntax());
    };
    let (pivot, elem) = (&args[3][..], &args[4][..]);
    let db = ctx.keyspace.db(ctx.session.db);
    let result = with_list(db, &args[1], ctx.now_ms, |l| {
        let i = l.position(pivot)?;
        l.insert(if after { i + 1 } else { i }, elem);
        Some(l.len())
    })?;
    match result {
        None => ctx.out.int(0),
        Some(None) => ctx.out.int(-1),
        Some(Some(len)) => {
            mark_dirty(ctx, 1);
            keyspace_event(ctx, LIST, "linsert", &args[1]);
            ctx.out.int(len_i64(len));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// LPOP, RPOP, LMPOP
// ---------------------------------------------------------------------------------------

/// Pops one element from `end` of the list at `key` and hands it to `f` with the reply
/// buffer, deleting the key if the list empties. `Ok(None)` if the key is absent; WRONGTYPE
/// if it holds another type. (LPOP and RPOP; BLPOP and BRPOP reply `[key, element]`.)
pub(crate) fn pop_one_with<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    end: End,
    f: impl FnOnce(&mut ReplyBuffer, Elem<'_>) -> R,
) -> Result<Option<R>, CmdError> {
    let out = &mut *ctx.out;
    let db = ctx.keyspace.db(ctx.session.db);
    let r = with_list_del(db, key, ctx.now_ms, |l| match end {
        End::Left => l.pop_front_with(|e| f(out, e)),
        End::Right => l.pop_back_with(|e| f(out, e)),
    })?;
    let Some((Some(r), deleted)) = r else {
        return Ok(None);
    };
    mark_dirty(ctx, 1);
    notify_popped(ctx, key, end, deleted);
    Ok(Some(r))
}

/// Writes up to `count` elements from `end` of `list` as an array (from the tail, the last
/// one first, as Redis does) and removes them; returns how many.
fn pop_range_reply(out: &mut ReplyBuffer, list: &mut ListValue, end: End, count: usize) -> usize {
    let len = list.len();
    let n = count.min(len);
    out.array(n);
    let start = match end {
        End::Left => {
            for e in list.range(0, n) {
                reply_elem(out, e);
            }
            0
        }
        End::Right => {
            for e in list.range(len - n, len).rev() {
                reply_elem(out, e);
            }
            len - n
        }
    };
    list.remove_range(start, n);
    n
}

/// Redis's `popGenericCommand`: `LPOP key [count]` / `RPOP key [count]`.
fn pop(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    let args = ctx.args;
    if args.len() > 3 {
        return Err(CmdError::arity(&ctx.command_name()));
    }
    let Some(count_arg) = args.get(2) else {
        if pop_one_with(ctx, &args[1], end, reply_elem)?.is_none() {
            ctx.out.null();
        }
        return Ok(());
    };
    let count = positive_arg(count_arg, NOT_POSITIVE)?;
    let out = &mut *ctx.out;
    let db = ctx.keyspace.db(ctx.session.db);
    let popped = with_list_del(db, &args[1], ctx.now_ms, |l| {
        if count == 0 {
            out.array(0);
            0
        } else {
            pop_range_reply(out, l, end, count)
        }
    })?;
    match popped {
        None => ctx.out.null_array(),
        Some((0, _)) => {}
        Some((n, deleted)) => {
            mark_dirty(ctx, n as u64);
            notify_popped(ctx, &args[1], end, deleted);
        }
    }
    Ok(())
}

/// `LPOP key [count]`
pub(crate) fn lpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop(ctx, End::Left)
}

/// `RPOP key [count]`
pub(crate) fn rpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop(ctx, End::Right)
}

/// LMPOP's (and BLMPOP's) arguments after the parse.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MpopArgs {
    /// Index of the first key in the arguments.
    pub(crate) first_key: usize,
    /// Number of keys.
    pub(crate) numkeys: usize,
    /// Which end to pop from.
    pub(crate) end: End,
    /// Most elements to pop (1 without COUNT).
    pub(crate) count: usize,
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` starting at `numkeys_idx`
/// (1 for LMPOP, 2 for BLMPOP), with Redis's errors.
pub(crate) fn parse_mpop(args: &[Bytes], numkeys_idx: usize) -> Result<MpopArgs, CmdError> {
    const NUMKEYS: CmdError = CmdError::raw("ERR numkeys should be greater than 0");
    const COUNT: CmdError = CmdError::raw("ERR count should be greater than 0");
    let numkeys = match parse_i64(&args[numkeys_idx]) {
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => return Err(NUMKEYS),
    };
    let where_idx = numkeys_idx.saturating_add(numkeys).saturating_add(1);
    let Some(where_arg) = args.get(where_idx) else {
        return Err(CmdError::syntax());
    };
    let end = End::parse(where_arg)?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && is_opt(&args[j], "count") && j + 1 < args.len() {
            j += 1;
            match parse_i64(&args[j]) {
                Some(n) if n >= 1 => count = Some(usize::try_from(n).unwrap_or(usize::MAX)),
                _ => return Err(COUNT),
            }
        } else {
            return Err(CmdError::syntax());
        }
        j += 1;
    }
    Ok(MpopArgs { first_key: numkeys_idx + 1, numkeys, end, count: count.unwrap_or(1) })
}

/// If `key` holds a list, pops up to `count` elements from `end`, replies
/// `[key, [elements]]` and returns true; false if the key is absent; WRONGTYPE if it holds
/// another type. (LMPOP, BLMPOP.)
pub(crate) fn pop_with_key_reply(ctx: &mut Ctx<'_>, key: &[u8], end: End, count: usize) -> Result<bool, CmdError> {
    let out = &mut *ctx.out;
    let db = ctx.keyspace.db(ctx.session.db);
    let popped = with_list_del(db, key, ctx.now_ms, |l| {
        out.array(2);
        out.bulk(key);
        pop_range_reply(out, l, end, count)
    })?;
    match popped {
        None => Ok(false),
        Some((n, deleted)) => {
            mark_dirty(ctx, n as u64);
            notify_popped(ctx, key, end, deleted);
            Ok(true)
        }
    }
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`: pops from the first key that
/// holds a list.
pub(crate) fn lmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let m = parse_mpop(args, 1)?;
    for key in &args[m.first_key..m.first_key + m.numkeys] {
        if pop_with_key_reply(ctx, key, m.end, m.count)? {
            return Ok(());
        }
    }
    ctx.out.null_array();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// LLEN, LRANGE, LINDEX, LPOS
// ---------------------------------------------------------------------------------------

/// `LLEN key`
pub(crate) fn llen(ctx: &mut Ctx<'_>) -> CmdResult {
    let lk = Lookup::of(ctx);
    let len = read_list(lk, ctx.keyspace, &ctx.args[1])?.map_or(0, ListValue::len);
    ctx.out.int(len_i64(len));
    Ok(())
}

/// Clamps Redis's inclusive `start..=end` (negative from the tail) to `list`: the
/// half-open range of positions, or `None` when it is empty.
fn clamp_range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len_i64(len);
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    let end = end.min(len - 1);
    Some((start as usize, end as usize + 1))
}

/// `LRANGE key start stop`
pub(crate) fn lrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let start = ctx.int_arg(2)?;
    let end = ctx.int_arg(3)?;
    let lk = Lookup::of(ctx);
    let Some(list) = read_list(lk, ctx.keyspace, &ctx.args[1])? else {
        ctx.out.array(0);
        return Ok(());
    };
    match clamp_range(list.len(), start, end) {
        None => ctx.out.array(0),
        Some((a, b)) => {
            ctx.out.array(b - a);
            for e in list.range(a, b) {
                reply_elem(ctx.out, e);
            }
        }
    }
    Ok(())
}

/// `LINDEX key index`
pub(crate) fn lindex(ctx: &mut Ctx<'_>) -> CmdResult {
    let lk = Lookup::of(ctx);
    let Some(list) = read_list(lk, ctx.keyspace, &ctx.args[1])? else {
        ctx.out.null();
        return Ok(());
    };
    let index = parse_i64(&ctx.args[2]).ok_or(CmdError::not_integer())?;
    match list.resolve_index(index).and_then(|i| list.get(i)) {
        Some(e) => reply_elem(ctx.out, e),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`
pub(crate) fn lpos(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if is_opt(&args[j], "rank") && more {
            j += 1;
            rank = parse_i64(&args[j]).ok_or(CmdError::not_integer())?;
            if rank == 0 {
                return Err(CmdError::raw(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                     or use negative to start from the end of the list",
                ));
            }
        } else if is_opt(&args[j], "count") && more {
            j += 1;
            count = Some(positive_arg(&args[j], CmdError::raw("ERR COUNT can't be negative"))?);
        } else if is_opt(&args[j], "maxlen") && more {
            j += 1;
            maxlen = positive_arg(&args[j], CmdError::raw("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(CmdError::syntax());
        }
        j += 1;
    }
    let lk = Lookup::of(ctx);
    let Some(list) = read_list(lk, ctx.keyspace, &args[1])? else {
        match count {
            Some(_) => ctx.out.array(0),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let (elem, elem_int) = (&args[2][..], parse_i64(&args[2]));
    let from_tail = rank < 0;
    let rank = rank.unsigned_abs();
    let len = list.len();
    let scan = if maxlen == 0 { usize::MAX } else { maxlen };
    let mut found = Vec::new();
    let mut matches: u64 = 0;
    let mut visit = |index: usize, e: Elem<'_>| -> bool {
        let hit = match e {
            Elem::Bytes(b) => b == elem,
            Elem::Int(v) => elem_int == Some(v),
        };
        if !hit {
            return true;
        }
        matches += 1;
        if matches < rank {
            return true;
        }
        found.push(if from_tail { len - index - 1 } else { index });
        match count {
            None => false,
            Some(0) => true,
            Some(c) => matches - rank + 1 < c as u64,
        }
    };
    if from_tail {
        for (i, e) in list.iter().rev().take(scan).enumerate() {
            if !visit(i, e) {
                break;
            }
        }
    } else {
        for (i, e) in list.iter().take(scan).enumerate() {
            if !visit(i, e) {
                break;
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array(found.len());
            for i in found {
                ctx.out.int(len_i64(i));
            }
        }
        None => match found.first() {
            Some(&i) => ctx.out.int(len_i64(i)),
            None => ctx.out.null(),
        },
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// LSET, LREM, LTRIM
// ---------------------------------------------------------------------------------------

/// `LSET key index element`
pub(crate) fn lset(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let db = ctx.keyspace.db(ctx.session.db);
    let done = with_list(db, &args[1], ctx.now_ms, |l| {
        let index = parse_i64(&args[2]).ok_or(CmdError::not_integer())?;
        match l.resolve_index(index) {
            Some(i) if l.set(i, &args[3]) => Ok(()),
            _ => Err(OUT_OF_RANGE),
        }
    })?;
    match done {
        None => Err(CmdError::no_such_key()),
        Some(r) => {
            r?;
            mark_dirty(ctx, 1);
            keyspace_event(ctx, LIST, "lset", &args[1]);
            ctx.out.ok();
            Ok(())
        }
    }
}

/// `LREM key count element`: removes the first `count` matches (the last ones if negative,
/// all of them if 0).
pub(crate) fn lrem(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let count = ctx.int_arg(2)?;
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let db = ctx.keyspace.db(ctx.session.db);
    let removed = with_list_del(db, &args[1], ctx.now_ms, |l| l.remove_matching(&args[3], limit, count < 0))?;
    let (removed, deleted) = removed.unwrap_or((0, false));
    mark_dirty(ctx, removed as u64);
    if removed > 0 {
        keyspace_event(ctx, LIST, "lrem", &args[1]);
    }
    if deleted {
        keyspace_event(ctx, GENERIC, "del", &args[1]);
    }
    ctx.out.int(len_i64(removed));
    Ok(())
}

/// `LTRIM key start stop`
pub(crate) fn ltrim(ctx: &mut Ctx<'_>) -> CmdResult {
    let start = ctx.int_arg(2)?;
    let end = ctx.int_arg(3)?;
    let db = ctx.keyspace.db(ctx.session.db);
    let trimmed = with_list_del(db, &ctx.args[1], ctx.now_ms, |l| {
        let before = l.len();
        match clamp_range(before, start, end) {
            Some((a, b)) => l.retain_range(a, b),
            None => l.clear(),
        }
        before - l.len()
    })?;
    if let Some((removed, deleted)) = trimmed {
        mark_dirty(ctx, removed as u64);
        keyspace_event(ctx, LIST, "ltrim", &ctx.args[1]);
        if deleted {
            keyspace_event(ctx, GENERIC, "del", &ctx.args[1]);
        }
    }
    ctx.out.ok();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// RPOPLPUSH, LMOVE
// ---------------------------------------------------------------------------------------

/// Redis's `lmoveGenericCommand` without the reply: pops from `from` of `src` and pushes to
/// `to` of `dst` (created if absent), returning the element; `Ok(None)` if `src` is absent.
/// Both keys are type-checked before anything moves; `src` and `dst` may be the same key.
/// (RPOPLPUSH, LMOVE; BRPOPLPUSH and BLMOVE once a source has an element.)
pub(crate) fn move_element(
    ctx: &mut Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Result<Option<Vec<u8>>, CmdError> {
    let now = ctx.now_ms;
    let db = ctx.keyspace.db(ctx.session.db);
    match db.get_mut(src, now) {
        None => return Ok(None),
        Some(v) if !matches!(*v, Value::List(_)) => return Err(CmdError::wrong_type()),
        Some(_) => {}
    }
    check_list_or_absent(db, dst, now)?;
    // Pop without deleting an emptied source yet: when it is also the destination the
    // element goes straight back in.
    let elem = match db.get_mut(src, now) {
        Some(mut v) => match &mut *v {
            Value::List(l) => match from {
                End::Left => l.pop_front(),
                End::Right => l.pop_back(),
            },
            _ => None,
        },
        None => None,
    };
    let Some(elem) = elem else {
        return Ok(None);
    };
    if with_list(db, dst, now, |l| push_at(l, to, &elem))?.is_none() {
        let mut list = ListValue::new();
        list.push_back(&elem);
        create_list(db, dst, list, now);
    }
    let deleted = matches!(db.get(src, now, false), Some(Value::List(l)) if l.is_empty());
    if deleted {
        db.remove(src, now);
    }
    mark_dirty(ctx, 1);
    keyspace_event(ctx, LIST, to.push_event(), dst);
    notify_popped(ctx, src, from, deleted);
    Ok(Some(elem))
}

fn lmove_reply(ctx: &mut Ctx<'_>, from: End, to: End) -> CmdResult {
    let args = ctx.args;
    match move_element(ctx, &args[1], &args[2], from, to)? {
        Some(elem) => ctx.out.bulk(&elem),
        None => ctx.out.null(),
    }
    Ok(())
}

/// `RPOPLPUSH source destination`
pub(crate) fn rpoplpush(ctx: &mut Ctx<'_>) -> CmdResult {
    lmove_reply(ctx, End::Right, End::Left)
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
pub(crate) fn lmove(ctx: &mut Ctx<'_>) -> CmdResult {
    let from = End::parse(&ctx.args[3])?;
    let to = End::parse(&ctx.args[4])?;
    lmove_reply(ctx, from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_clamp_as_redis_does() {
        assert_eq!(clamp_range(10, 0, -1), Some((0, 10)));
        assert_eq!(clamp_range(10, -3, -1), Some((7, 10)));
        assert_eq!(clamp_range(10, 6, 2), None);
        assert_eq!(clamp_range(4, -1000, 1000), Some((0, 4)));
        assert_eq!(clamp_range(4, 0, -4), Some((0, 1)));
        assert_eq!(clamp_range(4, 0, -5), None);
        assert_eq!(clamp_range(4, 4, 10), None);
        assert_eq!(clamp_range(0, 0, -1), None);
        assert_eq!(clamp_range(3, i64::MIN, i64::MAX), Some((0, 3)));
        assert_eq!(clamp_range(3, i64::MAX, i64::MIN), None);
    }

    fn args(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    #[test]
    fn mpop_arguments() {
        let m = parse_mpop(&args("lmpop 2 a b left count 3"), 1).unwrap();
        assert_eq!((m.first_key, m.numkeys, m.end, m.count), (2, 2, End::Left, 3));
        let m = parse_mpop(&args("blmpop 0 1 a RIGHT"), 2).unwrap();
        assert_eq!((m.first_key, m.numkeys, m.end, m.count), (3, 1, End::Right, 1));
        let err = |s| parse_mpop(&args(s), 1).unwrap_err().message().to_string();
        assert!(err("lmpop 0 a left").starts_with("ERR numkeys"));
        assert!(err("lmpop a a left").starts_with("ERR numkeys"));
        assert!(err("lmpop 9223372036854775807 a left").contains("syntax"));
        assert!(err("lmpop 1 a middle").contains("syntax"));
        assert!(err("lmpop 1 a left count").contains("syntax"));
        assert!(err("lmpop 1 a left count 1 count 2").contains("syntax"));
        assert!(err("lmpop 1 a left count 0").starts_with("ERR count"));
        assert!(err("lmpop 1 a left count -1").starts_with("ERR count"));
    }
}
