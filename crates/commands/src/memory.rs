//! `maxmemory`: evicting keys before a command runs, and refusing commands that would grow
//! memory when nothing more can be evicted (Redis's `performEvictions` as `processCommand`
//! calls it).
//!
//! [`enforce_maxmemory`] runs before every command while a limit is set. Over the limit, it
//! evicts keys by `maxmemory-policy` ([`redoubt_store::evict`]) for at most the time
//! `maxmemory-eviction-tenacity` allows, then:
//! - within the limit, or out of time with more to evict: the command runs (as Redis's
//!   `EVICT_OK` and `EVICT_RUNNING`; the next command goes on evicting);
//! - still over with nothing evictable (`noeviction`, or a `volatile-*` policy with no key
//!   that has a deadline): a command that may grow memory gets
//!   `OOM command not allowed when used memory > 'maxmemory'.`; others run, so GET, DEL,
//!   FLUSHALL and friends still work and can free memory.
//!
//! "May grow memory" is Redis's rule: the `denyoom` flag; inside MULTI, any command but EXEC,
//! DISCARD, QUIT and RESET (queueing grows memory too); and EXEC when a queued command has
//! the flag.
//!
//! The memory compared is the dataset ([`redoubt_store::Keyspace::used_bytes`]: tables, keys,
//! values) plus, as in Redis, the buffers of every client (query buffers, replies not yet
//! taken by the socket, Pub/Sub inboxes: `ClientRegistry::memory_total`); INFO reports the
//! sum as `used_memory`. So clients that do not read their replies make keys be evicted (or
//! commands refused under `noeviction`), as in Redis; `client-output-buffer-limit` and
//! `maxmemory-clients` (obuf.rs), which close or evict such clients first, are what prevents
//! it. `CLIENT NO-EVICT` concerns client eviction, not key eviction.
//!
//! Cost: the engine calls in only when its cached `maxmemory` is not 0, so with no limit a
//! command pays one comparison; within the limit, a read of the configuration and a sum over
//! the databases; over it, at most the tenacity's time (500 us by default) of evictions.

use crate::context::CmdError;
use crate::engine::{unix_ms, Engine};
use crate::session::{Session, IN_MULTI};
use crate::spec::{CmdFlags, CommandSpec};
use crate::table;
use crate::transactions;
use redoubt_config::MaxmemoryPolicy;
use redoubt_store::evict::{EvictOutcome, EvictionPolicy, DEFAULT_SAMPLES};
use redoubt_store::{Keyspace, LfuConfig};
use std::time::{Duration, Instant};

/// Redis's reply to a command that may grow memory when memory cannot be freed.
pub(crate) const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Redis's default `maxmemory-eviction-tenacity`.
const DEFAULT_TENACITY: u32 = 10;

/// Evicts keys while the dataset is over `maxmemory`, and refuses the command `spec` with
/// the OOM error when it may grow memory and nothing more can be evicted. See the
/// [module documentation](self).
pub(crate) fn enforce_maxmemory(
    engine: &Engine,
    keyspace: &mut Keyspace,
    spec: &CommandSpec,
    session: &Session,
) -> Result<(), CmdError> {
    match evict_to_limit(engine, keyspace) {
        EvictOutcome::Failed if may_grow_memory(spec, session) => Err(CmdError::raw(OOM)),
        _ => Ok(()),
    }
}

/// One eviction pass: evicts keys by `maxmemory-policy` while the dataset is over
/// `maxmemory`, for at most the time `maxmemory-eviction-tenacity` allows. Also fit for a
/// periodic task, to finish what an interrupted pass left (Redis's `evictionTimeProc`).
pub(crate) fn evict_to_limit(engine: &Engine, keyspace: &mut Keyspace) -> EvictOutcome {
    let config = engine.config();
    let maxmemory = config.maxmemory;
    if maxmemory == 0 {
        keyspace.set_growth_limit(None);
        return EvictOutcome::Within;
    }
    // A replica leaves eviction to its primary, whose DELs it applies
    // (`replica-ignore-maxmemory yes`, Redis's default).
    if engine.replication.is_replica() && config.value("replica-ignore-maxmemory").is_none_or(|v| v == "yes") {
        keyspace.set_growth_limit(None);
        return EvictOutcome::Within;
    }
    // Clients over `maxmemory-clients` go before any key (Redis evicts clients before every
    // event-loop sleep): their buffers count below, and a key evicted for a client about to
    // be dropped would be lost for nothing. The cron gets here without a command's batch.
    engine.evict_clients();
    // Client buffers count, as in Redis: the dataset gets what they leave.
    let clients = usize::try_from(engine.clients.memory_total()).unwrap_or(usize::MAX);
    let limit = usize::try_from(maxmemory).unwrap_or(usize::MAX).saturating_sub(clients);
    // The command that follows may grow tables: only as far as the limit allows.
    keyspace.set_growth_limit(Some(limit));
    if keyspace.used_bytes() <= limit {
        return EvictOutcome::Within;
    }
    let policy = policy_of(config.maxmemory_policy);
    let samples = setting(&config, "maxmemory-samples").map_or(DEFAULT_SAMPLES, |n| n as usize);
    let time_limit = eviction_time_limit(setting(&config, "maxmemory-eviction-tenacity").unwrap_or(DEFAULT_TENACITY));
    let lfu = LfuConfig {
        log_factor: setting(&config, "lfu-log-factor").unwrap_or(LfuConfig::default().log_factor),
        decay_minutes: setting(&config, "lfu-decay-time").unwrap_or(LfuConfig::default().decay_minutes),
    };
    drop(config);
    // Rank by the LFU parameters in force now.
    keyspace.set_lfu_config(lfu);
    let started = Instant::now();
    keyspace.evict(limit, policy, samples, unix_ms(), || time_limit.is_some_and(|t| started.elapsed() > t))
}

/// Whether `spec` is refused when out of memory (Redis's `reject_cmd_on_oom`).
fn may_grow_memory(spec: &CommandSpec, session: &Session) -> bool {
    if spec.flags.contains(CmdFlags::DENYOOM) {
        return true;
    }
    if session.features & IN_MULTI == 0 {
        return false;
    }
    let is = |name: &str| table::lookup(name.as_bytes()).is_some_and(|s| std::ptr::eq(s, spec));
    if is("exec") {
        return transactions::queued_denyoom(session);
    }
    !(is("discard") || is("quit") || is("reset"))
}

/// The store's name for a configured policy.
fn policy_of(policy: MaxmemoryPolicy) -> EvictionPolicy {
    match policy {
        MaxmemoryPolicy::VolatileLru => EvictionPolicy::VolatileLru,
        MaxmemoryPolicy::VolatileLfu => EvictionPolicy::VolatileLfu,
        MaxmemoryPolicy::VolatileRandom => EvictionPolicy::VolatileRandom,
        MaxmemoryPolicy::VolatileTtl => EvictionPolicy::VolatileTtl,
        MaxmemoryPolicy::AllkeysLru => EvictionPolicy::AllKeysLru,
        MaxmemoryPolicy::AllkeysLfu => EvictionPolicy::AllKeysLfu,
        MaxmemoryPolicy::AllkeysRandom => EvictionPolicy::AllKeysRandom,
        MaxmemoryPolicy::Noeviction => EvictionPolicy::NoEviction,
    }
}

/// An integer setting by name (`None` if unknown or not a non-negative integer).
fn setting(config: &redoubt_config::Config, name: &str) -> Option<u32> {
    config.value(name)?.parse().ok()
}

/// How long one pass may evict before letting the command run (Redis's
/// `evictionTimeLimitUs`): 50 us per step up to tenacity 10, then 15% more per step;
/// `None` (no limit) at 100.
fn eviction_time_limit(tenacity: u32) -> Option<Duration> {
    let us = match tenacity {
        0..=10 => 50 * u64::from(tenacity),
        11..=99 => (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        _ => return None,
    };
    Some(Duration::from_micros(us))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_maps_like_redis() {
        assert_eq!(eviction_time_limit(0), Some(Duration::ZERO));
        assert_eq!(eviction_time_limit(10), Some(Duration::from_micros(500)));
        assert_eq!(eviction_time_limit(11), Some(Duration::from_micros(575)));
        // About two minutes at 99.
        let t = eviction_time_limit(99).unwrap();
        assert!(t > Duration::from_secs(100) && t < Duration::from_secs(140), "{t:?}");
        assert_eq!(eviction_time_limit(100), None);
    }

    #[test]
    fn denyoom_and_multi_rules() {
        let clients = crate::clients::ClientRegistry::default();
        let handle = clients.register("127.0.0.1:1".into(), "127.0.0.1:2".into(), crate::Transport::Tcp, 0);
        let mut session = Session::new(handle);
        let spec = |name: &str| table::lookup(name.as_bytes()).unwrap();
        assert!(may_grow_memory(spec("set"), &session));
        assert!(may_grow_memory(spec("lpush"), &session));
        for name in ["get", "del", "flushall", "exec", "dbsize", "info"] {
            assert!(!may_grow_memory(spec(name), &session), "{name}");
        }
        // In MULTI, queueing anything but EXEC, DISCARD, QUIT and RESET grows memory; EXEC
        // only when a queued command may.
        session.features |= IN_MULTI;
        session.multi = Some(Box::default());
        for name in ["get", "del", "dbsize"] {
            assert!(may_grow_memory(spec(name), &session), "{name}");
        }
        for name in ["exec", "discard", "quit", "reset"] {
            assert!(!may_grow_memory(spec(name), &session), "{name}");
        }
    }

    #[test]
    fn every_policy_maps() {
        for (name, policy) in [
            ("noeviction", EvictionPolicy::NoEviction),
            ("allkeys-lru", EvictionPolicy::AllKeysLru),
            ("allkeys-lfu", EvictionPolicy::AllKeysLfu),
            ("allkeys-random", EvictionPolicy::AllKeysRandom),
            ("volatile-lru", EvictionPolicy::VolatileLru),
            ("volatile-lfu", EvictionPolicy::VolatileLfu),
            ("volatile-random", EvictionPolicy::VolatileRandom),
            ("volatile-ttl", EvictionPolicy::VolatileTtl),
        ] {
            let mut config = redoubt_config::Config::default();
            config.set("maxmemory-policy", name).unwrap();
            assert_eq!(policy_of(config.maxmemory_policy), policy, "{name}");
        }
    }
}
