//! Redis 7.0.15 compatibility: every directive of Redis's config.c loads, and Redoubt's
//! defaults are Redis's except where docs/configuration.md says otherwise.

use redoubt_config::{directives, Config};

/// One line per directive of Redis 7.0.15's config.c, with Redis's default.
const FIXTURE: &str = include_str!("fixtures/redis-7.0.15-directives.conf");

/// Defaults Redoubt changes on purpose: loopback only (Redis: every interface), `dir` (Redis
/// shows its working directory), `appendonly` (on: a default install persists every
/// acknowledged write, docs/persistence.md), `io-threads` (0: one event loop per two cores),
/// and a bound on normal clients' output buffers (`client-output-buffer-limit normal 1gb 256mb
/// 60`; Redis: none).
const REDOUBT_DEFAULTS: &[&str] = &["bind", "dir", "appendonly", "io-threads", "client-output-buffer-limit"];

/// `(name, value)` of each fixture line; values are at most one quoted word.
fn fixture_lines() -> Vec<(&'static str, String)> {
    FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, value) = l.split_once(' ').unwrap();
            (name, value.trim_matches('"').to_string())
        })
        .collect()
}

#[test]
fn every_redis_directive_loads() {
    let cfg = Config::parse_str(FIXTURE, "redis-7.0.15-directives.conf").unwrap();
    let inert: Vec<_> = fixture_lines()
        .into_iter()
        .filter(|(name, _)| {
            directives().iter().any(|d| (d.name() == *name || d.aliases().contains(name)) && d.inert_reason().is_some())
        })
        .collect();
    assert_eq!(cfg.warnings().len(), inert.len(), "{:#?}", cfg.warnings());
    assert!(cfg.warnings()[0].starts_with("redis-7.0.15-directives.conf:"));
}

#[test]
fn defaults_are_redis_defaults() {
    let cfg = Config::default();
    let mut checked = 0;
    for (name, value) in fixture_lines() {
        if REDOUBT_DEFAULTS.contains(&name) {
            continue;
        }
        let expected = if name == "replicaof" || name == "slaveof" { String::new() } else { value };
        assert_eq!(cfg.get(name), [(name.to_string(), expected)], "{name}");
        checked += 1;
    }
    assert!(checked > 190, "{checked}");
}

#[test]
fn the_table_invents_no_redis_directive() {
    let names: Vec<_> = fixture_lines().into_iter().map(|(n, _)| n).collect();
    let own = [
        "requirepass-file",
        "masterauth-file",
        "allow-from",
        "audit-log",
        "insecure-no-auth",
        "unauthenticated-timeout",
        "maxclients-per-source",
        "auth-free-failures",
        "auth-backoff-base-ms",
        "auth-backoff-max-ms",
        "auth-lockout-failures",
        "auth-lockout-seconds",
        "auth-lockout-max-seconds",
        "seal-key-file",
        "replica-allowed-primaries",
        "busy-poll-us",
        // Valkey 9 and Redis 8.6.
        "tls-auth-clients-user",
    ];
    for name in Config::default().names() {
        assert!(names.contains(&name) || own.contains(&name), "{name} is not in Redis 7.0.15");
    }
}

/// With `REDOUBT_REDIS_CONF` pointing at Redis 7.0.15's own redis.conf
/// (`git show 7.0.15:redis.conf`), checks that it loads unchanged.
#[test]
fn redis_own_redis_conf_loads() {
    let Some(path) = std::env::var_os("REDOUBT_REDIS_CONF") else {
        println!("skipped: set REDOUBT_REDIS_CONF to Redis 7.0.15's redis.conf to run this test");
        return;
    };
    let cfg = Config::load(std::path::Path::new(&path), &[]).unwrap();
    assert_eq!(cfg.port, 6379);
    assert_eq!(cfg.bind, ["127.0.0.1", "-::1"]);
    assert!(cfg.protected_mode);
    assert!(cfg.warnings().iter().any(|w| w.contains("'daemonize' has no effect")));
    for w in cfg.warnings() {
        println!("{w}");
    }
}
