//! Redoubt's gate directives (issue 3): `allow-from`, `audit-log`, `insecure-no-auth`,
//! `unauthenticated-timeout`, `maxclients-per-source`, the `auth-*` throttle knobs, and the
//! `aclfile` and `dir` rules that go with them.

use std::path::PathBuf;

use redoubt_config::{directives, Config, Runtime};

fn one(cfg: &Config, name: &str) -> String {
    match cfg.get(name).as_slice() {
        [(_, v)] => v.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn parse(text: &str) -> Config {
    Config::parse_str(text, "t.conf").unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn parse_err(text: &str) -> String {
    Config::parse_str(text, "t.conf").unwrap_err().to_string()
}

fn set_err(cfg: &mut Config, name: &str, value: &str) -> String {
    cfg.set(name, value).unwrap_err().message().to_string()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

const IMMUTABLE: &str = "can't set immutable config";

#[test]
fn defaults() {
    let cfg = Config::default();
    assert!(cfg.allow_from.is_empty());
    assert_eq!(cfg.audit_log, None);
    assert!(!cfg.insecure_no_auth);
    assert_eq!(cfg.unauthenticated_timeout, 10);
    assert_eq!(cfg.maxclients_per_source, 64);
    // crates/security's ThrottleConfig::default, field for field.
    assert_eq!(cfg.auth_free_failures, 3);
    assert_eq!(cfg.auth_backoff_base_ms, 250);
    assert_eq!(cfg.auth_backoff_max_ms, 30_000);
    assert_eq!(cfg.auth_lockout_failures, 10);
    assert_eq!(cfg.auth_lockout_seconds, 300);
    assert_eq!(cfg.auth_lockout_max_seconds, 3600);
    assert_eq!(cfg.dir, PathBuf::from("redoubt-data"));
    let shown: Vec<(String, String)> = cfg.get_many(&[
        "allow-from",
        "audit-log",
        "insecure-no-auth",
        "unauthenticated-timeout",
        "maxclients-per-source",
        "auth-*",
        "aclfile",
    ]);
    let expected = [
        ("allow-from", ""),
        ("audit-log", ""),
        ("insecure-no-auth", "no"),
        ("unauthenticated-timeout", "10"),
        ("maxclients-per-source", "64"),
        ("auth-free-failures", "3"),
        ("auth-backoff-base-ms", "250"),
        ("auth-backoff-max-ms", "30000"),
        ("auth-lockout-failures", "10"),
        ("auth-lockout-seconds", "300"),
        ("auth-lockout-max-seconds", "3600"),
        ("aclfile", ""),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(shown, expected);
}

#[test]
fn allow_from_lines_add_up_and_are_checked() {
    let cfg = parse("allow-from 10.0.0.0/8 192.0.2.7\nallow-from 2001:db8::/32,::1\n");
    assert_eq!(cfg.allow_from, ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1"]);
    assert_eq!(one(&cfg, "allow-from"), "10.0.0.0/8 192.0.2.7 2001:db8::/32 ::1");
    // One quoted word is split again, as Redis does for multi-word directives.
    let cfg = parse("allow-from \"10.0.0.0/8 172.16.0.0/12\"\n");
    assert_eq!(cfg.allow_from, ["10.0.0.0/8", "172.16.0.0/12"]);
    // `allow-from ""` clears what came before.
    let cfg = parse("allow-from 10.0.0.0/8\nallow-from \"\"\nallow-from 192.0.2.0/24\n");
    assert_eq!(cfg.allow_from, ["192.0.2.0/24"]);
    let cfg = parse("allow-from 10.0.0.0/8\nallow-from \"\"\n");
    assert!(cfg.allow_from.is_empty());

    assert_eq!(
        parse_err("port 1\nallow-from 10.0.0.1/8\n"),
        "t.conf:2: 'allow-from': '10.0.0.1/8' has bits set after the /8 prefix (did you mean 10.0.0.0/8, or \
         10.0.0.1/32?)"
    );
    assert_eq!(
        parse_err("allow-from example.com\n"),
        "t.conf:1: 'allow-from': 'example.com' is not an IPv4 or IPv6 address or network"
    );
    assert_eq!(
        parse_err("allow-from 10.0.0.0/33\n"),
        "t.conf:1: 'allow-from': '10.0.0.0/33' has a prefix longer than 32"
    );
    assert_eq!(
        parse_err("allow-from ,\n"),
        "t.conf:1: 'allow-from': needs at least one network, such as 10.0.0.0/8 or 2001:db8::/32"
    );
    assert_eq!(parse_err("allow-from\n"), "t.conf:1: 'allow-from': wrong number of arguments");
}

#[test]
fn allow_from_flags_add_to_the_file() {
    let cfg = Config::from_args(&args(&["--allow-from", "10.0.0.0/8", "192.0.2.7", "--allow-from", "::1"])).unwrap();
    assert_eq!(cfg.allow_from, ["10.0.0.0/8", "192.0.2.7", "::1"]);
    let err = Config::from_args(&args(&["--allow-from", "10.0.0.0/x"])).unwrap_err().to_string();
    assert_eq!(err, "command line argument 1: 'allow-from': '10.0.0.0/x' has an invalid prefix length");
}

#[test]
fn audit_log_and_insecure_switch() {
    let cfg = parse("audit-log /var/log/redoubt/audit.jsonl\ninsecure-no-auth yes\n");
    assert_eq!(cfg.audit_log, Some(PathBuf::from("/var/log/redoubt/audit.jsonl")));
    assert_eq!(one(&cfg, "audit-log"), "/var/log/redoubt/audit.jsonl");
    assert!(cfg.insecure_no_auth);
    assert_eq!(one(&cfg, "insecure-no-auth"), "yes");
    assert_eq!(parse_err("insecure-no-auth maybe\n"), "t.conf:1: 'insecure-no-auth': argument must be 'yes' or 'no'");
    // Flags are fine for these: they hold no secret.
    let cfg = Config::from_args(&args(&["--insecure-no-auth", "yes", "--audit-log", "a.log"])).unwrap();
    assert!(cfg.insecure_no_auth);
    assert_eq!(cfg.audit_log, Some(PathBuf::from("a.log")));
    assert!(cfg.describe_posture().ends_with("; insecure-no-auth"), "{}", cfg.describe_posture());
}

#[test]
fn throttle_knobs() {
    let cfg = parse(
        "auth-free-failures 0\nauth-backoff-base-ms 100\nauth-backoff-max-ms 5000\nauth-lockout-failures 5\n\
         auth-lockout-seconds 60\nauth-lockout-max-seconds 600\n",
    );
    assert_eq!(
        (
            cfg.auth_free_failures,
            cfg.auth_backoff_base_ms,
            cfg.auth_backoff_max_ms,
            cfg.auth_lockout_failures,
            cfg.auth_lockout_seconds,
            cfg.auth_lockout_max_seconds
        ),
        (0, 100, 5000, 5, 60, 600)
    );
    for (line, why) in [
        ("auth-backoff-base-ms 0", "argument must be between 1 and 2147483647 inclusive"),
        ("auth-backoff-max-ms 0", "argument must be between 1 and 2147483647 inclusive"),
        ("auth-lockout-failures 0", "argument must be between 1 and 2147483647 inclusive"),
        ("auth-lockout-seconds 0", "argument must be between 1 and 2147483647 inclusive"),
        ("auth-lockout-max-seconds 0", "argument must be between 1 and 2147483647 inclusive"),
        ("auth-free-failures -1", "argument must be between 0 and 2147483647 inclusive"),
        ("auth-free-failures lots", "argument couldn't be parsed into an integer"),
    ] {
        let name = line.split(' ').next().unwrap();
        assert_eq!(parse_err(&format!("{line}\n")), format!("t.conf:1: '{name}': {why}"));
    }
}

#[test]
fn connection_limits_change_at_run_time() {
    let mut cfg = parse("unauthenticated-timeout 5\nmaxclients-per-source 0\n");
    assert_eq!((cfg.unauthenticated_timeout, cfg.maxclients_per_source), (5, 0));
    cfg.set("unauthenticated-timeout", "30").unwrap();
    cfg.set("maxclients-per-source", "128").unwrap();
    assert_eq!((cfg.unauthenticated_timeout, cfg.maxclients_per_source), (30, 128));
    assert_eq!(one(&cfg, "unauthenticated-timeout"), "30");
    assert_eq!(
        set_err(&mut cfg, "unauthenticated-timeout", "-1"),
        "ERR CONFIG SET failed (possibly related to argument 'unauthenticated-timeout') - argument must be between 0 \
         and 2147483647 inclusive"
    );
}

#[test]
fn config_set_refuses_the_gate_paths_and_switches() {
    let mut cfg = Config::default();
    let before = cfg.clone();
    for (name, value) in [
        ("allow-from", "0.0.0.0/0"),
        ("audit-log", "/tmp/x"),
        ("aclfile", "/tmp/x"),
        ("insecure-no-auth", "yes"),
        ("auth-free-failures", "1000"),
        ("auth-backoff-base-ms", "1"),
        ("auth-backoff-max-ms", "1"),
        ("auth-lockout-failures", "1000000"),
        ("auth-lockout-seconds", "1"),
        ("auth-lockout-max-seconds", "1"),
        ("dir", "/tmp"),
    ] {
        assert_eq!(
            set_err(&mut cfg, name, value),
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {IMMUTABLE}"),
        );
    }
    assert_eq!(cfg, before);
    for d in directives() {
        if ["allow-from", "audit-log", "insecure-no-auth"].contains(&d.name()) || d.name().starts_with("auth-") {
            assert_eq!(d.runtime(), Runtime::Protected, "{}", d.name());
            assert!(d.is_typed(), "{}", d.name());
        }
    }
}

#[test]
fn secrets_on_argv_name_the_alternatives() {
    let err = Config::from_args(&args(&["--requirepass", "x"])).unwrap_err().to_string();
    assert!(err.contains("--requirepass-file") && err.contains("REDOUBT_PASSWORD"), "{err}");
    assert!(!err.contains(" x "), "{err}");
}

#[test]
fn posture_mentions_the_allowlist() {
    let cfg = parse("allow-from 10.0.0.0/8 192.0.2.7\n");
    assert!(cfg.describe_posture().ends_with("; allow-from 2 networks"), "{}", cfg.describe_posture());
}
