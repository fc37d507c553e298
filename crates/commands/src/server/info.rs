//! INFO: only sections that hold real figures. Field names follow Redis so that clients and
//! dashboards parse them unchanged.

use crate::context::{CmdResult, Ctx};
use std::fmt::Write;
use std::sync::atomic::Ordering;

/// Sections in INFO's default order, and whether each is in `default`.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("commandstats", false),
    ("errorstats", true),
    ("keyspace", true),
];

/// INFO [section ...]
pub(crate) fn info(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut wanted: Vec<&str> = Vec::new();
    let requested: Vec<String> = ctx.args[1..].iter().map(|a| String::from_utf8_lossy(a).to_lowercase()).collect();
    if requested.is_empty() {
        wanted.extend(SECTIONS.iter().filter(|s| s.1).map(|s| s.0));
    }
    for r in &requested {
        match r.as_str() {
            "all" | "everything" => wanted.extend(SECTIONS.iter().map(|s| s.0)),
            "default" => wanted.extend(SECTIONS.iter().filter(|s| s.1).map(|s| s.0)),
            other => {
                if let Some((name, _)) = SECTIONS.iter().find(|s| s.0 == other) {
                    wanted.push(name);
                }
            }
        }
    }
    let mut text = String::new();
    for (name, _) in SECTIONS {
        if !wanted.contains(name) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        section(ctx, name, &mut text);
    }
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{n}B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.2}K", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", n / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", n / (1024.0 * 1024.0 * 1024.0))
    }
}

/// Resident set size of this process, from /proc (0 where unavailable).
pub(super) fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// User and system CPU seconds of this process, from /proc (Linux's USER_HZ is 100).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (ticks(11), ticks(12))
}

fn section(ctx: &mut Ctx<'_>, name: &str, t: &mut String) {
    let engine = ctx.engine;
    let config = engine.config();
    match name {
        "server" => {
            let facts = engine.facts.read().unwrap_or_else(|e| e.into_inner()).clone();
            let uptime = engine.started.elapsed().as_secs();
            let _ = write!(
                t,
                "# Server\r\nredis_version:{}\r\nredoubt_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:{}\r\nmultiplexing_api:epoll\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nexecutable:{}\r\nconfig_file:{}\r\n",
                super::REDIS_VERSION,
                super::REDOUBT_VERSION,
                std::env::consts::OS,
                std::env::consts::ARCH,
                usize::BITS,
                std::process::id(),
                engine.run_id,
                facts.tcp_port,
                ctx.now_ms * 1000,
                uptime,
                uptime / 86400,
                config.hz,
                config.hz,
                facts.executable,
                facts.config_file,
            );
        }
        "clients" => {
            let (max_out, max_in) = engine.output_limits.recent_peaks(ctx.now_ms);
            let _ = write!(
                t,
                "# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:{max_in}\r\nclient_recent_max_output_buffer:{max_out}\r\nblocked_clients:{}\r\ntracking_clients:{}\r\n",
                engine.clients.len(),
                config.maxclients,
                engine.blocked_clients(),
                engine.tracking.counts()[0],
            );
        }
        "memory" => {
            // As in Redis, client buffers count in used_memory (and towards maxmemory); the
            // replicas' buffers and the append-only file's buffer count in used_memory but
            // not towards maxmemory (`mem_not_counted_for_evict`).
            let dataset = ctx.keyspace.used_bytes() as u64;
            let clients = engine.clients.memory_total();
            let replicas = engine.clients.replica_output_total();
            let not_counted = replicas + engine.aof.buffer_length();
            let used = dataset + clients + not_counted;
            let rss = rss_bytes();
            let maxmemory = config.maxmemory;
            let _ = write!(
                t,
                "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_dataset:{dataset}\r\nmaxmemory:{maxmemory}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nmem_not_counted_for_evict:{not_counted}\r\nmem_clients_slaves:{replicas}\r\nmem_clients_normal:{clients}\r\nmem_allocator:libc\r\nlazyfree_pending_objects:0\r\nlazyfreed_objects:0\r\n",
                human_bytes(used),
                human_bytes(rss),
                human_bytes(maxmemory),
                config.get("maxmemory-policy").first().map(|(_, v)| v.clone()).unwrap_or_else(|| "noeviction".into()),
            );
        }
        "persistence" => crate::persistence::info(engine, t),
        "stats" => {
            let s = &engine.stats;
            let ks = ctx.keyspace.stats();
            let tracking = engine.tracking.counts();
            let _ = write!(
                t,
                "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:{}\r\nevicted_clients:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\nmigrate_cached_sockets:0\r\ntracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\ntotal_error_replies:{}\r\nprotocol_errors:{}\r\nhttp_probes_refused:{}\r\nclient_output_buffer_limit_disconnections:{}\r\n",
                s.connections.load(Ordering::Relaxed),
                s.commands.load(Ordering::Relaxed),
                s.net_input_bytes.load(Ordering::Relaxed),
                s.net_output_bytes.load(Ordering::Relaxed),
                s.rejected_connections.load(Ordering::Relaxed),
                ks.expired_keys,
                ctx.keyspace.evicted_keys(),
                s.evicted_clients.load(Ordering::Relaxed),
                ks.keyspace_hits,
                ks.keyspace_misses,
                tracking[1],
                tracking[2],
                tracking[3],
                engine.command_stats.total_errors(),
                s.protocol_errors.load(Ordering::Relaxed),
                s.http_probes.load(Ordering::Relaxed),
                s.output_limit_disconnections.load(Ordering::Relaxed),
            );
        }
        "replication" => {
            crate::replication::info(engine, ctx.now_ms, t);
        }
        "cpu" => {
            let (user, sys) = cpu_seconds();
            let _ = write!(
                t,
                "# CPU\r\nused_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n"
            );
        }
        "commandstats" => {
            t.push_str("# Commandstats\r\n");
            for l in engine.command_stats.command_lines() {
                t.push_str(&l);
                t.push_str("\r\n");
            }
        }
        "errorstats" => {
            t.push_str("# Errorstats\r\n");
            for l in engine.command_stats.error_lines() {
                t.push_str(&l);
                t.push_str("\r\n");
            }
        }
        "keyspace" => {
            t.push_str("# Keyspace\r\n");
            for i in 0..ctx.keyspace.db_count() {
                let db = ctx.keyspace.db(i);
                if !db.is_empty() {
                    let _ = write!(
                        t,
                        "db{i}:keys={},expires={},avg_ttl={}\r\n",
                        db.len(),
                        db.volatile_len(),
                        db.avg_ttl_ms()
                    );
                }
            }
        }
        _ => {}
    }
}
