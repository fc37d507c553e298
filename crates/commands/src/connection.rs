//! Connection commands: PING, ECHO, QUIT, RESET, SELECT, HELLO and CLIENT.

use crate::clients::{ClientHandle, Transport};
use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::session::ReplyMode;
use redoubt_resp::Protocol;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// PING [message]
pub(crate) fn ping(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(&ctx.args[1]),
        _ => return Err(CmdError::arity("ping")),
    }
    Ok(())
}

/// ECHO message
pub(crate) fn echo(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.bulk(&ctx.args[1]);
    Ok(())
}

/// QUIT: reply OK, then the door closes the connection; nothing pipelined after it runs.
pub(crate) fn quit(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.ok();
    ctx.session.close_after_reply = true;
    Ok(())
}

/// RESET: back to a fresh connection's state.
pub(crate) fn reset(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.session.db = 0;
    ctx.session.reply_mode = ReplyMode::On;
    ctx.session.no_evict = false;
    ctx.session.handle.no_evict.store(false, std::sync::atomic::Ordering::Relaxed);
    ctx.session.no_touch = false;
    set_protocol(ctx, Protocol::Resp2);
    // RESET logs out too, as in Redis: back to `default` (gate.rs).
    if let Some(gate) = ctx.engine.gate().cloned() {
        gate.reset_identity(ctx.session);
    }
    ctx.out.simple("RESET");
    Ok(())
}

/// SELECT index
pub(crate) fn select(ctx: &mut Ctx<'_>) -> CmdResult {
    let index = ctx.int_arg(1)?;
    if index < 0 || index as usize >= ctx.keyspace.db_count() {
        return Err(CmdError::raw("ERR DB index is out of range"));
    }
    ctx.session.db = index as usize;
    ctx.out.ok();
    Ok(())
}

fn set_protocol(ctx: &mut Ctx<'_>, protocol: Protocol) {
    ctx.out.set_protocol(protocol);
    let v = if protocol == Protocol::Resp3 { 3 } else { 2 };
    ctx.session.handle.resp.store(v, Ordering::Relaxed);
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub(crate) fn hello(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut protocol = None;
    let mut i = 1;
    if ctx.args.len() > 1 {
        let v =
            parse_i64(&ctx.args[1]).ok_or(CmdError::raw("ERR Protocol version is not an integer or out of range"))?;
        protocol = match v {
            2 => Some(Protocol::Resp2),
            3 => Some(Protocol::Resp3),
            _ => return Err(CmdError::raw("NOPROTO unsupported protocol version")),
        };
        i = 2;
    }
    let mut name = None;
    let mut credentials = None;
    while i < ctx.args.len() {
        let more = ctx.args.len() - i - 1;
        if is_opt(&ctx.args[i], "AUTH") && more >= 2 {
            credentials = Some((ctx.args[i + 1].clone(), ctx.args[i + 2].clone()));
            i += 3;
        } else if is_opt(&ctx.args[i], "SETNAME") && more >= 1 {
            name = Some(ctx.args[i + 1].clone());
            i += 2;
        } else {
            return Err(CmdError::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&ctx.args[i])
            )));
        }
    }
    if let Some((user, pass)) = credentials {
        check_password(ctx, &user, &pass)?;
    }
    if ctx.engine.auth_required(ctx.session) {
        return Err(CmdError::raw(crate::gate::NOAUTH_HELLO));
    }
    if let Some(name) = name {
        validate_name(&name)?;
        *ctx.session.handle.name.lock().unwrap_or_else(|e| e.into_inner()) = (!name.is_empty()).then_some(name);
    }
    if let Some(p) = protocol {
        set_protocol(ctx, p);
        if p == Protocol::Resp3 {
            // A RESP3 client may receive pushes it did not subscribe to: invalidations.
            crate::pubsub::open_mailbox(ctx.engine, ctx.session);
        }
    }
    let proto = if ctx.out.protocol() == Protocol::Resp3 { 3 } else { 2 };
    let id = ctx.session.id() as i64;
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(crate::server::REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(proto);
    out.bulk(b"id");
    out.int(id);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(if ctx.engine.replication.primary().is_some() { b"replica" } else { b"master" });
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

/// Checks HELLO's AUTH credentials. With the gate installed (the server), the door runs a
/// client's HELLO AUTH on its own task and hands the engine the HELLO without AUTH; one that
/// reaches the engine (queued in MULTI) is checked by the gate at once. Without a gate (unit
/// tests), Redis's requirepass behaviour.
fn check_password(ctx: &mut Ctx<'_>, user: &[u8], pass: &[u8]) -> CmdResult {
    if let Some(gate) = ctx.engine.gate().cloned() {
        return gate.auth_now(ctx.session, &ctx.args[0], Some(user), pass);
    }
    let ok = user == b"default"
        && match &ctx.engine.config().requirepass {
            None => true,
            Some(p) => constant_time_eq(p.expose().as_bytes(), pass),
        };
    if ok {
        Ok(())
    } else {
        Err(CmdError::raw("WRONGPASS invalid username-password pair or user is disabled."))
    }
}

/// Compares two secrets in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u8 | ((a.len() ^ b.len()) >> 8) as u8;
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

fn validate_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::raw("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    Ok(())
}

/// CLIENT ID
pub(crate) fn client_id(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.int(ctx.session.id() as i64);
    Ok(())
}

/// CLIENT SETNAME name
pub(crate) fn client_setname(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.args[2].clone();
    validate_name(&name)?;
    *ctx.session.handle.name.lock().unwrap_or_else(|e| e.into_inner()) = (!name.is_empty()).then_some(name);
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETNAME
pub(crate) fn client_getname(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.session.handle.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match name {
        Some(n) => ctx.out.bulk(&n),
        None => ctx.out.null(),
    }
    Ok(())
}

/// CLIENT INFO
pub(crate) fn client_info(ctx: &mut Ctx<'_>) -> CmdResult {
    publish_own_state(ctx);
    let mut line = ctx.session.handle.info_line(ctx.now_ms);
    line.push('\n');
    ctx.out.verbatim("txt", line.as_bytes());
    Ok(())
}

/// The caller's own line must show this command and its current database.
fn publish_own_state(ctx: &mut Ctx<'_>) {
    let handle = &ctx.session.handle;
    handle.db.store(ctx.session.db, Ordering::Relaxed);
    *handle.last_command.lock().unwrap_or_else(|e| e.into_inner()) =
        format!("client|{}", String::from_utf8_lossy(&ctx.args[1]).to_lowercase());
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]
pub(crate) fn client_list(ctx: &mut Ctx<'_>) -> CmdResult {
    publish_own_state(ctx);
    let mut ids: Option<Vec<u64>> = None;
    let mut kind_filter: Option<ClientClass> = None;
    let mut i = 2;
    while i < ctx.args.len() {
        if is_opt(&ctx.args[i], "TYPE") && i + 1 < ctx.args.len() {
            let t = String::from_utf8_lossy(&ctx.args[i + 1]).to_lowercase();
            kind_filter =
                Some(ClientClass::parse(&t).ok_or_else(|| CmdError::err(format!("Unknown client type '{t}'")))?);
            i += 2;
        } else if is_opt(&ctx.args[i], "ID") && i + 1 < ctx.args.len() {
            let mut list = Vec::new();
            for a in &ctx.args[i + 1..] {
                match parse_i64(a) {
                    Some(id) if id > 0 => list.push(id as u64),
                    _ => return Err(CmdError::raw("ERR Invalid client ID")),
                }
            }
            ids = Some(list);
            i = ctx.args.len();
        } else {
            return Err(CmdError::syntax());
        }
    }
    let mut text = String::new();
    for c in ctx.engine.clients.all() {
        if kind_filter.is_some_and(|k| k != ClientClass::of(&c)) || ids.as_ref().is_some_and(|ids| !ids.contains(&c.id))
        {
            continue;
        }
        text.push_str(&c.info_line(ctx.now_ms));
        text.push('\n');
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// CLIENT KILL addr:port | CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [TYPE t] [USER u] [SKIPME yes|no] [MAXAGE s]
pub(crate) fn client_kill(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() == 3 {
        let addr = String::from_utf8_lossy(&ctx.args[2]).into_owned();
        let victims: Vec<Arc<ClientHandle>> = ctx.engine.clients.all().into_iter().filter(|c| c.addr == addr).collect();
        if victims.is_empty() {
            return Err(CmdError::raw("ERR No such client"));
        }
        kill_all(ctx, &victims);
        ctx.out.ok();
        return Ok(());
    }
    if !ctx.args.len().is_multiple_of(2) {
        return Err(CmdError::syntax());
    }
    let mut filter = KillFilter { skip_me: true, ..KillFilter::default() };
    for pair in ctx.args[2..].chunks(2) {
        let value = String::from_utf8_lossy(&pair[1]).into_owned();
        let opt = String::from_utf8_lossy(&pair[0]).to_lowercase();
        match opt.as_str() {
            "id" => match parse_i64(&pair[1]) {
                Some(id) if id > 0 => filter.id = Some(id as u64),
                _ => return Err(CmdError::raw("ERR client-id should be greater than 0")),
            },
            "addr" => filter.addr = Some(value),
            "laddr" => filter.laddr = Some(value),
            "user" => filter.user = Some(value),
            "type" => match ClientClass::parse(&value.to_lowercase()) {
                Some(class) => filter.class = Some(class),
                None => return Err(CmdError::err(format!("Unknown client type '{value}'"))),
            },
            "skipme" => match value.to_lowercase().as_str() {
                "yes" => filter.skip_me = true,
                "no" => filter.skip_me = false,
                _ => return Err(CmdError::syntax()),
            },
            "maxage" => match parse_i64(&pair[1]) {
                Some(age) if age >= 0 => filter.max_age = Some(age),
                _ => return Err(CmdError::syntax()),
            },
            _ => return Err(CmdError::syntax()),
        }
    }
    let me = ctx.session.id();
    let victims: Vec<Arc<ClientHandle>> =
        ctx.engine.clients.all().into_iter().filter(|c| filter.matches(c, me, ctx.now_ms)).collect();
    kill_all(ctx, &victims);
    ctx.out.int(victims.len() as i64);
    Ok(())
}

fn kill_all(ctx: &mut Ctx<'_>, victims: &[Arc<ClientHandle>]) {
    for v in victims {
        if v.id == ctx.session.id() {
            // Our own reply still goes out; then the door closes us.
            ctx.session.close_after_reply = true;
        } else {
            v.kill();
            if v.kind() == crate::clients::ClientKind::Replica {
                // Its buffered stream is freed now, as Redis frees a replica at once.
                v.release();
            }
        }
    }
}

/// CLIENT LIST and CLIENT KILL's TYPE: Redis's `getClientType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientClass {
    Normal,
    Replica,
    Primary,
    PubSub,
}

impl ClientClass {
    fn parse(name: &str) -> Option<ClientClass> {
        Some(match name {
            "normal" => ClientClass::Normal,
            "replica" | "slave" => ClientClass::Replica,
            "master" => ClientClass::Primary,
            "pubsub" => ClientClass::PubSub,
            _ => return None,
        })
    }

    fn of(c: &ClientHandle) -> ClientClass {
        match c.kind() {
            crate::clients::ClientKind::Replica => ClientClass::Replica,
            crate::clients::ClientKind::Primary => ClientClass::Primary,
            crate::clients::ClientKind::Normal if c.is_subscriber() => ClientClass::PubSub,
            crate::clients::ClientKind::Normal => ClientClass::Normal,
        }
    }
}

#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<String>,
    laddr: Option<String>,
    user: Option<String>,
    class: Option<ClientClass>,
    skip_me: bool,
    max_age: Option<i64>,
}

impl KillFilter {
    fn matches(&self, c: &ClientHandle, me: u64, now_ms: i64) -> bool {
        if self.skip_me && c.id == me {
            return false;
        }
        if self.class.is_some_and(|k| k != ClientClass::of(c)) {
            return false;
        }
        let user = c.user.lock().unwrap_or_else(|e| e.into_inner()).clone();
        self.id.is_none_or(|id| id == c.id)
            && self.addr.as_ref().is_none_or(|a| *a == c.addr)
            && self.laddr.as_ref().is_none_or(|a| *a == c.laddr)
            && self.user.as_ref().is_none_or(|u| *u == user)
            && self.max_age.is_none_or(|age| (now_ms - c.created_ms) / 1000 >= age)
            && (c.transport == Transport::Tcp || c.transport == Transport::Unix)
    }
}

/// CLIENT REPLY ON|OFF|SKIP
pub(crate) fn client_reply(ctx: &mut Ctx<'_>) -> CmdResult {
    let mode = String::from_utf8_lossy(&ctx.args[2]).to_lowercase();
    match mode.as_str() {
        "on" => {
            ctx.session.reply_mode = ReplyMode::On;
            ctx.out.ok();
        }
        "off" => ctx.session.reply_mode = ReplyMode::Off,
        // This reply is dropped by the engine once the mode is Skip; SkipNext drops the next one.
        "skip" => ctx.session.reply_mode = ReplyMode::SkipNext,
        _ => return Err(CmdError::syntax()),
    }
    Ok(())
}

/// CLIENT NO-EVICT on|off
pub(crate) fn client_no_evict(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.session.no_evict = on_off(&ctx.args[2])?;
    ctx.session.handle.no_evict.store(ctx.session.no_evict, std::sync::atomic::Ordering::Relaxed);
    ctx.out.ok();
    Ok(())
}

/// CLIENT NO-TOUCH on|off
pub(crate) fn client_no_touch(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.session.no_touch = on_off(&ctx.args[2])?;
    ctx.out.ok();
    Ok(())
}

fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if is_opt(arg, "on") {
        Ok(true)
    } else if is_opt(arg, "off") {
        Ok(false)
    } else {
        Err(CmdError::syntax())
    }
}

/// CLIENT HELP
pub(crate) fn client_help(ctx: &mut Ctx<'_>) -> CmdResult {
    crate::server::help_reply(
        ctx,
        "CLIENT",
        &[
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are: ID, ADDR, LADDR, TYPE, USER, SKIPME, MAXAGE.",
            "LIST [options ...]",
            "    Return information about client connections. Options: TYPE, ID.",
            "GETNAME",
            "    Return the name of the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
        ],
    );
    Ok(())
}
