//! SYNC, PSYNC, REPLCONF, REPLICAOF/SLAVEOF, ROLE and INFO's replication section.
//!
//! Security (DESIGN.md): every command here but ROLE is on the admin surface (`@admin`, the
//! gate refuses them to application users), and REPLICAOF may only name a primary the
//! configuration allows: the `replicaof` directive's, or one matched by
//! `replica-allowed-primaries`. A refusal is audited; so is every role change.

use super::{LinkStatus, ReplicaAttach, ReplicaFeed};
use crate::clients::ClientKind;
use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::engine::Engine;
use redoubt_persist::Snapshot;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// SYNC: the snapshot then the stream, without the `+FULLRESYNC` line.
pub(crate) fn sync(ctx: &mut Ctx<'_>) -> CmdResult {
    attach(ctx, false)
}

/// PSYNC replid offset: always a full resynchronisation (no backlog is kept).
pub(crate) fn psync(ctx: &mut Ctx<'_>) -> CmdResult {
    attach(ctx, true)
}

fn attach(ctx: &mut Ctx<'_>, psync: bool) -> CmdResult {
    if ctx.session.handle.kind() == ClientKind::Replica || ctx.session.replica_attach.is_some() {
        // Redis ignores a second SYNC from a replica.
        return Ok(());
    }
    let repl = &ctx.engine.replication;
    if repl.primary().is_some() && repl.status() != LinkStatus::Connected {
        return Err(CmdError::raw("NOMASTERLINK Can't SYNC while not connected with my master"));
    }
    let snapshot = Snapshot::capture(ctx.keyspace, ctx.now_ms);
    let feed = Arc::new(ReplicaFeed {
        handle: ctx.session.handle.clone(),
        listening_port: ctx.session.replica_port,
        psync,
        buf: Mutex::default(),
        inflight: AtomicU64::new(0),
        wake: tokio::sync::Notify::new(),
        online: AtomicBool::new(false),
        ack_offset: AtomicU64::new(0),
        ack_ms: AtomicI64::new(ctx.now_ms),
    });
    let offset = repl.attach(feed.clone());
    ctx.session.handle.set_kind(ClientKind::Replica);
    tracing::info!(
        "Replica {} asks for synchronization; full resync with the dataset in memory ({} keys)",
        ctx.session.handle.addr,
        snapshot.keys()
    );
    if psync {
        let line = format!("FULLRESYNC {} {offset}", repl.replid());
        ctx.out.simple(&line);
    }
    ctx.session.replica_attach = Some(Box::new(ReplicaAttach { feed, snapshot }));
    Ok(())
}

/// REPLCONF <option> <value> ...: what a replica tells its primary before PSYNC.
pub(crate) fn replconf(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len().is_multiple_of(2) {
        return Err(CmdError::syntax());
    }
    for pair in ctx.args[1..].chunks(2) {
        let value = &pair[1];
        if is_opt(&pair[0], "listening-port") {
            match parse_i64(value).and_then(|p| u16::try_from(p).ok()) {
                Some(p) => ctx.session.replica_port = p,
                None => return Err(CmdError::not_integer()),
            }
        } else if is_opt(&pair[0], "ack") || is_opt(&pair[0], "getack") {
            // An acknowledgement gets no reply; GETACK means something only from a primary
            // (the link to it answers it).
            return Ok(());
        } else if !(is_opt(&pair[0], "capa") || is_opt(&pair[0], "ip-address") || is_opt(&pair[0], "rdb-only")) {
            return Err(CmdError::err(format!("Unrecognized REPLCONF option: {}", String::from_utf8_lossy(&pair[0]))));
        }
    }
    ctx.out.ok();
    Ok(())
}

/// Whether the configuration allows `host:port` as a primary: the `replicaof` directive's
/// primary, or one `replica-allowed-primaries` lists (`*` as the port: any port).
pub fn allowed_primary(engine: &Engine, host: &str, port: u16) -> bool {
    let cfg = engine.config();
    if let Some(v) = cfg.value("replicaof").filter(|v| !v.is_empty()) {
        let mut w = v.split_whitespace();
        if let (Some(h), Some(p)) = (w.next(), w.next()) {
            if h.eq_ignore_ascii_case(host) && p.parse::<u16>().ok() == Some(port) {
                return true;
            }
        }
    }
    let list = cfg.value("replica-allowed-primaries").unwrap_or_default();
    list.split_whitespace().any(|item| {
        item.rsplit_once(':')
            .is_some_and(|(h, p)| h.eq_ignore_ascii_case(host) && (p == "*" || p.parse::<u16>().ok() == Some(port)))
    })
}

/// REPLICAOF host port | REPLICAOF NO ONE (and SLAVEOF).
pub(crate) fn replicaof(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = String::from_utf8_lossy(&ctx.args[0]).to_lowercase();
    let repl = &ctx.engine.replication;
    if is_opt(&ctx.args[1], "no") && is_opt(&ctx.args[2], "one") {
        if let Some((host, port)) = repl.primary() {
            repl.set_primary(None);
            *repl.replid.lock().unwrap_or_else(|e| e.into_inner()) = super::new_replid();
            refresh(ctx.engine);
            tracing::info!("MASTER MODE enabled (user request from '{}')", ctx.session.handle.addr);
            audit_role(ctx, &name, &format!("promoted to primary (was a replica of {host}:{port})"));
        }
        ctx.out.ok();
        return Ok(());
    }
    let host = String::from_utf8_lossy(&ctx.args[1]).into_owned();
    let port = match parse_i64(&ctx.args[2]) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Err(CmdError::raw("ERR Invalid master port")),
    };
    if !allowed_primary(ctx.engine, &host, port) {
        if let Some(gate) = ctx.engine.gate() {
            gate.refused_early(
                ctx.session,
                &name,
                &format!("replication: primary {host}:{port} is not allowed by replicaof or replica-allowed-primaries"),
            );
        }
        return Err(CmdError::err(format!(
            "{} refused: {host}:{port} is not a primary this server's configuration allows (the replicaof directive \
             or replica-allowed-primaries)",
            name.to_uppercase()
        )));
    }
    if repl.primary().is_some_and(|(h, p)| h.eq_ignore_ascii_case(&host) && p == port) {
        ctx.out.simple("OK Already connected to specified master");
        return Ok(());
    }
    // This server's own replicas were fed another history: they resynchronise.
    for r in repl.replicas() {
        r.handle.kill();
        r.handle.release();
    }
    repl.set_primary(Some((host.clone(), port)));
    repl.set_status(LinkStatus::Connect);
    refresh(ctx.engine);
    tracing::info!("REPLICAOF {host}:{port} enabled (user request from '{}')", ctx.session.handle.addr);
    audit_role(ctx, &name, &format!("replica of {host}:{port}"));
    ctx.out.ok();
    Ok(())
}

/// The read-only switch follows the role.
fn refresh(engine: &Engine) {
    let ro = engine.config().value("replica-read-only").is_none_or(|v| v == "yes");
    engine.replication.refresh_read_only(ro);
}

fn audit_role(ctx: &Ctx<'_>, command: &str, what: &str) {
    if let Some(gate) = ctx.engine.gate() {
        gate.role_changed(Some(ctx.session), command, what);
    }
}

/// ROLE
pub(crate) fn role(ctx: &mut Ctx<'_>) -> CmdResult {
    let repl = &ctx.engine.replication;
    let out = &mut *ctx.out;
    match repl.primary() {
        Some((host, port)) => {
            out.array(5);
            out.bulk(b"slave");
            out.bulk(host.as_bytes());
            out.int(i64::from(port));
            let state: &[u8] = match repl.status() {
                LinkStatus::Connect => b"connect",
                LinkStatus::Connecting => b"connecting",
                LinkStatus::Sync => b"sync",
                LinkStatus::Connected => b"connected",
            };
            out.bulk(state);
            out.int(if repl.status() == LinkStatus::Connected { repl.reploff() as i64 } else { -1 });
        }
        None => {
            let replicas: Vec<_> = repl.replicas().into_iter().filter(|r| r.online.load(Ordering::Relaxed)).collect();
            out.array(3);
            out.bulk(b"master");
            out.int(repl.offset() as i64);
            out.array(replicas.len());
            for r in replicas {
                out.array(3);
                out.bulk(r.ip().as_bytes());
                out.bulk(r.listening_port.to_string().as_bytes());
                out.bulk(r.ack_offset.load(Ordering::Relaxed).to_string().as_bytes());
            }
        }
    }
    Ok(())
}

/// INFO's replication section, with Redis's field names.
pub fn info(engine: &Engine, now_ms: i64, t: &mut String) {
    let repl = &engine.replication;
    let replid = repl.replid();
    t.push_str("# Replication\r\n");
    let offset = match repl.primary() {
        Some((host, port)) => {
            let up = repl.status() == LinkStatus::Connected;
            let last_io = repl.last_io_ms();
            let _ = write!(
                t,
                "role:slave\r\nmaster_host:{host}\r\nmaster_port:{port}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{off}\r\nslave_repl_offset:{off}\r\n",
                if up { "up" } else { "down" },
                if last_io > 0 && up { (now_ms - last_io).max(0) / 1000 } else { -1 },
                u8::from(repl.status() == LinkStatus::Sync),
                off = repl.reploff(),
            );
            if !up {
                let since = repl.down_since_ms.load(Ordering::Relaxed);
                let secs = if since > 0 { (now_ms - since).max(0) / 1000 } else { -1 };
                let _ = write!(t, "master_link_down_since_seconds:{secs}\r\n");
            }
            let ro = engine.config().value("replica-read-only").is_none_or(|v| v == "yes");
            let _ = write!(t, "slave_priority:100\r\nslave_read_only:{}\r\nreplica_announced:1\r\n", u8::from(ro));
            repl.reploff()
        }
        None => {
            t.push_str("role:master\r\n");
            repl.offset()
        }
    };
    let replicas = repl.replicas();
    let _ = write!(t, "connected_slaves:{}\r\n", replicas.len());
    for (i, r) in replicas.iter().enumerate() {
        let online = r.online.load(Ordering::Relaxed);
        let _ = write!(
            t,
            "slave{i}:ip={},port={},state={},offset={},lag={}\r\n",
            r.ip(),
            r.listening_port,
            if online { "online" } else { "wait_bgsave" },
            r.ack_offset.load(Ordering::Relaxed),
            (now_ms - r.last_ack_ms()).max(0) / 1000,
        );
    }
    let backlog = engine.config().value("repl-backlog-size").unwrap_or_else(|| "1048576".into());
    let _ = write!(
        t,
        "master_failover_state:no-failover\r\nmaster_replid:{replid}\r\nmaster_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:{offset}\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:{backlog}\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n"
    );
}
