//! CONFIG GET and CONFIG SET: Redis 7.0's rendering and error texts, atomic multi-set, and
//! the directives Redoubt never changes at run time.

use redoubt_config::{is_secret, Config, LogLevel, MaxmemoryPolicy};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn one(cfg: &Config, name: &str) -> String {
    match cfg.get(name).as_slice() {
        [(_, v)] => v.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn set_err(cfg: &mut Config, name: &str, value: &str) -> String {
    cfg.set(name, value).unwrap_err().message().to_string()
}

/// DESIGN.md and THREATS.md T9: none of these may change while the server runs.
const NEVER_AT_RUNTIME: &[&str] = &[
    "dir",
    "dbfilename",
    "aclfile",
    "logfile",
    "unixsocket",
    "unixsocketperm",
    "bind",
    "port",
    "tls-port",
    "tls-cert-file",
    "tls-key-file",
    "tls-key-file-pass",
    "tls-ca-cert-file",
    "tls-ca-cert-dir",
    "tls-dh-params-file",
    "tls-client-cert-file",
    "tls-client-key-file",
    "tls-client-key-file-pass",
    "appendfilename",
    "appenddirname",
    "pidfile",
    "include",
    "enable-debug-command",
    "enable-module-command",
    "enable-protected-configs",
    "daemonize",
    "requirepass-file",
    "masterauth-file",
    "replicaof",
    "slaveof",
    "allow-from",
    "audit-log",
    "insecure-no-auth",
    "auth-free-failures",
    "auth-backoff-base-ms",
    "auth-backoff-max-ms",
    "auth-lockout-failures",
    "auth-lockout-seconds",
    "auth-lockout-max-seconds",
];

#[test]
fn paths_and_switches_are_immutable_at_run_time() {
    let mut cfg = Config::default();
    let before = cfg.clone();
    for name in NEVER_AT_RUNTIME {
        assert_eq!(
            set_err(&mut cfg, name, "/tmp/evil"),
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config"),
        );
    }
    // The name is echoed as the client wrote it, as Redis does.
    assert_eq!(
        set_err(&mut cfg, "DIR", "/root/.ssh"),
        "ERR CONFIG SET failed (possibly related to argument 'DIR') - can't set immutable config"
    );
    assert_eq!(cfg, before);
}

#[test]
fn unknown_parameters() {
    let mut cfg = Config::default();
    assert_eq!(set_err(&mut cfg, "foo", "1"), "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
    assert_eq!(
        set_err(&mut cfg, "rename-command", "GET x"),
        "ERR Unknown option or number of arguments for CONFIG SET - 'rename-command'"
    );
    assert!(cfg.get("rename-command").is_empty());
    assert!(cfg.get("include").is_empty());
}

#[test]
fn value_errors_use_redis_text() {
    let mut cfg = Config::default();
    let cases = [
        ("maxclients", "lots", "argument couldn't be parsed into an integer"),
        ("maxclients", "0", "argument must be between 1 and 4294967295 inclusive"),
        ("timeout", "-1", "argument must be between 0 and 2147483647 inclusive"),
        ("maxmemory", "1tb", "argument must be a memory value"),
        ("maxmemory-clients", "150%", "percentage argument must be less or equal to 100"),
        ("appendonly", "maybe", "argument must be 'yes' or 'no'"),
        ("appendfsync", "sometimes", "argument(s) must be one of the following: everysec, always, no"),
        ("save", "3600", "Invalid save parameters"),
        ("save", "0 1", "Invalid save parameters"),
        ("client-output-buffer-limit", "master 1 1 1", "Invalid client class specified in buffer limit configuration."),
        ("client-output-buffer-limit", "normal 1", "Wrong number of arguments in buffer limit configuration."),
        ("notify-keyspace-events", "KQ", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        ("shutdown-on-sigint", "save nosave", "shutdown options SAVE and NOSAVE can't be used simultaneously"),
        (
            "latency-tracking-info-percentiles",
            "50 101",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
        ),
        ("oom-score-adj-values", "0 200", "wrong number of arguments"),
    ];
    for (name, value, why) in cases {
        assert_eq!(
            set_err(&mut cfg, name, value),
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"),
            "{name} {value}"
        );
    }
    assert_eq!(cfg, Config::default());
}

#[test]
fn set_changes_typed_fields() {
    let mut cfg = Config::default();
    cfg.set("maxclients", "50").unwrap();
    cfg.set("loglevel", "DEBUG").unwrap();
    cfg.set("maxmemory-policy", "ALLKEYS-LRU").unwrap();
    cfg.set("maxmemory", "1gb").unwrap();
    cfg.set("protected-mode", "no").unwrap();
    cfg.set("requirepass", "hunter2").unwrap();
    cfg.set("timeout", "300").unwrap();
    cfg.set("hz", "1000").unwrap();
    assert_eq!(cfg.maxclients, 50);
    assert_eq!(cfg.loglevel, LogLevel::Debug);
    assert_eq!(cfg.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
    assert_eq!(cfg.maxmemory, 1 << 30);
    assert!(!cfg.protected_mode);
    assert_eq!(cfg.requirepass.as_ref().map(|s| s.expose()), Some("hunter2"));
    assert_eq!(cfg.timeout, 300);
    assert_eq!((cfg.hz, one(&cfg, "hz").as_str()), (500, "500"));
    assert_eq!(one(&cfg, "loglevel"), "debug");
    assert_eq!(one(&cfg, "maxmemory-policy"), "allkeys-lru");
    cfg.set("requirepass", "").unwrap();
    assert_eq!(cfg.requirepass, None);
    // Fields written directly show through CONFIG GET.
    cfg.maxclients = 77;
    assert_eq!(one(&cfg, "maxclients"), "77");
}

#[test]
fn multi_set_is_atomic() {
    let mut cfg = Config::default();
    let err = cfg.set_many(&pairs(&[("maxmemory", "1mb"), ("timeout", "5"), ("maxclients", "lots")])).unwrap_err();
    assert_eq!(
        err.message(),
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"
    );
    assert_eq!(cfg, Config::default());

    cfg.set_many(&pairs(&[("maxmemory", "1mb"), ("timeout", "5")])).unwrap();
    assert_eq!((cfg.maxmemory, cfg.timeout), (1 << 20, 5));

    let err = cfg.set_many(&pairs(&[("timeout", "1"), ("TIMEOUT", "2")])).unwrap_err();
    assert_eq!(err.message(), "ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter");
    // Aliases are the same parameter.
    let err = cfg.set_many(&pairs(&[("replica-read-only", "no"), ("slave-read-only", "no")])).unwrap_err();
    assert!(err.message().ends_with("duplicate parameter"));
    // The first problem among the names wins, before any value is read.
    let err = cfg.set_many(&pairs(&[("timeout", "x"), ("nope", "1"), ("dir", "/")])).unwrap_err();
    assert_eq!(err.message(), "ERR Unknown option or number of arguments for CONFIG SET - 'nope'");
    let err = cfg.set_many(&pairs(&[("dir", "/"), ("nope", "1")])).unwrap_err();
    assert!(err.message().ends_with("can't set immutable config"));
    assert_eq!((cfg.maxmemory, cfg.timeout), (1 << 20, 5));
}

#[test]
fn aliases() {
    let mut cfg = Config::default();
    cfg.set("slave-read-only", "no").unwrap();
    assert_eq!(one(&cfg, "replica-read-only"), "no");
    assert_eq!(one(&cfg, "slave-read-only"), "no");
    cfg.set("hash-max-ziplist-entries", "64").unwrap();
    assert_eq!(one(&cfg, "hash-max-listpack-entries"), "64");
    assert_eq!(
        set_err(&mut cfg, "slave-read-only", "maybe"),
        "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'"
    );
}

#[test]
fn get_globs() {
    let cfg = Config::default();
    let names = |p: &str| cfg.get(p).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
    assert_eq!(
        names("maxmemory*"),
        ["maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity", "maxmemory-clients"]
    );
    assert_eq!(names("MAXMEMORY-P*"), ["maxmemory-policy"]);
    assert_eq!(
        names("*-ziplist-*"),
        [
            "hash-max-ziplist-entries",
            "hash-max-ziplist-value",
            "list-max-ziplist-size",
            "zset-max-ziplist-entries",
            "zset-max-ziplist-value"
        ]
    );
    assert_eq!(names("h?"), ["hz"]);
    assert_eq!(names("[pq]ort"), ["port"]);
    assert!(names("nothing*").is_empty());
    assert!(names("nothing").is_empty());
    // An exact name comes back as the client spelled it.
    assert_eq!(cfg.get("MaxMemory"), [("MaxMemory".to_string(), "0".to_string())]);
    // Hidden test knobs: exact name only.
    assert!(names("*").iter().all(|n| n != "key-load-delay"));
    assert_eq!(names("key-load-delay"), ["key-load-delay"]);
    let all = names("*");
    assert!(all.contains(&"slaveof".to_string()) && all.contains(&"replicaof".to_string()));
    assert_eq!(all.len(), cfg.names().count() - 5);
    // Several patterns: each parameter once.
    let got = cfg.get_many(&["port", "po*", "PORT", "timeout"]);
    assert_eq!(got.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["port", "timeout"]);
}

#[test]
fn get_renders_like_redis() {
    let mut cfg = Config::default();
    assert_eq!(one(&cfg, "bind"), "127.0.0.1 -::1");
    assert_eq!(one(&cfg, "save"), "3600 1 300 100 60 10000");
    assert_eq!(one(&cfg, "proto-max-bulk-len"), "536870912");
    assert_eq!(one(&cfg, "client-query-buffer-limit"), "1073741824");
    assert_eq!(one(&cfg, "protected-mode"), "yes");
    assert_eq!(one(&cfg, "appendfsync"), "everysec");
    assert_eq!(one(&cfg, "unixsocketperm"), "0");
    assert_eq!(one(&cfg, "requirepass"), "");
    assert_eq!(one(&cfg, "replicaof"), "");
    assert_eq!(one(&cfg, "oom-score-adj-values"), "0 200 800");
    assert_eq!(one(&cfg, "latency-tracking-info-percentiles"), "50 99 99.9");
    assert_eq!(
        one(&cfg, "client-output-buffer-limit"),
        "normal 1073741824 268435456 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    let dir = one(&cfg, "dir");
    assert!(std::path::Path::new(&dir).is_absolute(), "{dir}");
    // Redoubt's own data directory under the working directory (Redis: the working directory).
    assert_eq!(std::path::Path::new(&dir), std::env::current_dir().unwrap().join("redoubt-data"));

    cfg.set("client-output-buffer-limit", "pubsub 1mb 2mb 3 replica 1gb 0 0").unwrap();
    assert_eq!(
        one(&cfg, "client-output-buffer-limit"),
        "normal 1073741824 268435456 60 slave 1073741824 0 0 pubsub 1048576 2097152 3"
    );
    cfg.set("save", "900 1 300 10").unwrap();
    assert_eq!(one(&cfg, "save"), "900 1 300 10");
    cfg.set("save", "").unwrap();
    assert_eq!(one(&cfg, "save"), "");
    cfg.set("maxmemory-clients", "10%").unwrap();
    assert_eq!(one(&cfg, "maxmemory-clients"), "10%");
    cfg.set("notify-keyspace-events", "Kx$").unwrap();
    assert_eq!(one(&cfg, "notify-keyspace-events"), "$xK");
    cfg.set("shutdown-on-sigint", "now save").unwrap();
    assert_eq!(one(&cfg, "shutdown-on-sigint"), "save now");
    cfg.set("oom-score-adj", "relative").unwrap();
    assert_eq!(one(&cfg, "oom-score-adj"), "yes"); // Redis shows the first name of the value
    cfg.set("requirepass", "hunter2").unwrap();
    assert_eq!(one(&cfg, "requirepass"), "(redacted)");
    assert_eq!(cfg.value("requirepass").as_deref(), Some("hunter2"));
}

#[test]
fn secret_names() {
    assert!(is_secret("requirepass") && is_secret("MASTERAUTH") && is_secret("tls-key-file-pass"));
    assert!(!is_secret("port") && !is_secret("requirepass-file") && !is_secret("nope"));
    let cfg = Config::parse_str("tls-key-file-pass p4ss\n", "t.conf").unwrap();
    assert_eq!(one(&cfg, "tls-key-file-pass"), "(redacted)");
    assert_eq!(cfg.value("tls-key-file-pass").as_deref(), Some("p4ss"));
    assert!(!format!("{cfg:?}").contains("p4ss"));
}
