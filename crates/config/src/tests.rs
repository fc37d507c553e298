//! Invariants of the directive table, checked against the code that reads it.

use std::collections::HashSet;

use crate::config::default_value;
use crate::directives::{directives, lookup, Kind, Runtime};
use crate::fields;
use crate::value::render;
use crate::Config;

#[test]
fn names_and_aliases_are_unique_and_lowercase() {
    let mut seen = HashSet::new();
    for d in directives() {
        for name in std::iter::once(&d.name).chain(d.aliases) {
            assert_eq!(*name, name.to_ascii_lowercase());
            assert!(seen.insert(*name), "{name} appears twice");
        }
    }
}

#[test]
fn every_default_parses_and_typed_fields_round_trip() {
    let cfg = Config::default();
    for (i, d) in directives().iter().enumerate() {
        if !d.has_value() {
            assert!(d.field.is_none(), "{}", d.name);
            continue;
        }
        let value = default_value(d).unwrap_or_else(|e| panic!("{}: {e}", d.name));
        if let Some(f) = d.field {
            // What the field holds renders exactly as the parsed default.
            assert_eq!(render(d, &fields::read(&cfg, f)), render(d, &value), "{}", d.name);
        } else {
            assert_eq!(cfg.value_at(i), value, "{}", d.name);
        }
    }
}

#[test]
fn each_field_backs_one_directive() {
    let mut seen = HashSet::new();
    for d in directives().iter().filter_map(|d| d.field) {
        assert!(seen.insert(format!("{d:?}")), "{d:?} backs two directives");
    }
    assert_eq!(seen.len(), 35);
}

#[test]
fn docs_and_reasons_are_written() {
    for d in directives() {
        assert!(!d.doc.is_empty(), "{} has no doc", d.name);
        assert!(!d.doc.contains('\n'), "{}", d.name);
        if let Some(why) = d.inert {
            assert!(!why.is_empty() && !why.ends_with('.'), "{}", d.name);
        }
    }
    for kind in ["loadmodule", "list-max-ziplist-entries", "lua-replicate-commands"] {
        assert!(directives()[lookup(kind).unwrap()].inert.is_some(), "{kind}");
    }
}

/// DESIGN.md: these never change at run time.
pub(crate) const NEVER_AT_RUNTIME: &[&str] = &[
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
    "seal-key-file",
    "insecure-no-auth",
    "auth-free-failures",
    "auth-backoff-base-ms",
    "auth-backoff-max-ms",
    "auth-lockout-failures",
    "auth-lockout-seconds",
    "auth-lockout-max-seconds",
];

#[test]
fn protected_directives_are_not_mutable() {
    for name in NEVER_AT_RUNTIME {
        let d = &directives()[lookup(name).unwrap_or_else(|| panic!("{name}"))];
        assert_ne!(d.runtime, Runtime::Mutable, "{name}");
    }
    // Every path-like directive is covered: names ending in -file, -dir, dirname, filename.
    for d in directives() {
        let pathish = ["file", "dir", "filename", "dirname", "socket", "-log"].iter().any(|s| d.name.ends_with(s));
        if pathish && d.inert.is_none() {
            assert_ne!(d.runtime, Runtime::Mutable, "{} looks like a path", d.name);
        }
    }
}

#[test]
fn secrets_are_marked() {
    let secrets: Vec<_> = directives().iter().filter(|d| d.secret).map(|d| d.name).collect();
    assert_eq!(secrets, ["tls-key-file-pass", "tls-client-key-file-pass", "masterauth", "requirepass"]);
    for d in directives() {
        if let Kind::SecretFile(target) = d.kind {
            assert!(directives()[lookup(target).unwrap()].secret);
        }
    }
}

#[test]
fn multi_word_kinds_match_redis() {
    // Redis's MULTI_ARG_CONFIG directives, then Redoubt's own.
    let multi: Vec<_> = directives().iter().filter(|d| d.kind.is_multi()).map(|d| d.name).collect();
    assert_eq!(
        multi,
        [
            "bind",
            "save",
            "replicaof",
            "oom-score-adj-values",
            "shutdown-on-sigint",
            "shutdown-on-sigterm",
            "latency-tracking-info-percentiles",
            "client-output-buffer-limit",
            "allow-from",
            "replica-allowed-primaries",
        ]
    );
}
