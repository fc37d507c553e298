//! `redoubt audit`: finds the exposures of a Redis, Valkey or Redoubt deployment before
//! someone else does (issue 7; THREATS.md; seeds 000, 001 and 002).
//!
//! It is independent of the server's internals: a small RESP client ([`client`]) plus file
//! and /proc checks.
//!
//! * Remote checks ([`remote`], judged by [`rules`] and [`reach`]) against each server named
//!   on the command line: answers without authentication, protected mode, version and the
//!   CVEs known for it ([`cves`], `data/cves.tsv`), replica of an unexpected primary, the
//!   dangerous commands the given credentials reach (found with COMMAND INFO, ACL DRYRUN and
//!   ACL GETUSER, never by running them), TLS (a real handshake with `--tls`: [`tls`]), password strength ([`password`]), users with
//!   nopass, and (opt-in, bounded) whether failed AUTH is throttled.
//! * Local checks ([`local`], [`conf`], [`procs`]): a config file's settings and the modes of
//!   the files it names, a data directory, and server processes (root, secrets in argv,
//!   non-loopback listeners without TLS).
//! * Output ([`output`]): a table or one JSON document; the exit status is 1 when a finding
//!   is at or above `--fail-on` (default high), 2 on a usage error or a target that could not
//!   be audited, else 0.
//!
//! Safety: nothing it sends changes the target's state; requests, reply sizes and time are
//! bounded ([`client::Budget`]); only the named targets are contacted, never a range.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cert;
pub mod client;
pub mod conf;
pub mod cves;
pub mod finding;
pub mod local;
pub mod options;
pub mod output;
pub mod password;
pub mod procs;
pub mod reach;
pub mod remote;
pub mod rules;
pub mod tls;

pub use finding::{Finding, Note, Report, Severity};
pub use options::{Options, Target};

use std::process::ExitCode;

/// Every check id (as docs/audit.md lists them; `<user>` and `<CVE-ID>` are filled in).
pub const CHECKS: &[&str] = &[
    "auth.none",
    "protected-mode.denied",
    "protected-mode.off",
    "cve.<CVE-ID>",
    "replica.unexpected",
    "replica.not-replicating",
    "cmd.config-set-dir",
    "cmd.debug",
    "cmd.module",
    "cmd.replicaof",
    "cmd.flushall",
    "cmd.acl-setuser",
    "cmd.eval",
    "cmd.unknown",
    "tls.none",
    "tls.verify",
    "tls.old-protocol",
    "tls.client-cert-optional",
    "tls.cert-expiring",
    "unix.socket-mode",
    "password.weak",
    "acl.nopass.<user>",
    "auth.unthrottled",
    "config.exposed",
    "config.no-auth",
    "config.protected-mode-off",
    "config.plaintext",
    "config.unixsocketperm",
    "config.enable-protected-configs",
    "config.enable-module-command",
    "config.enable-debug-command",
    "config.nopass.<user>",
    "config.writable",
    "config.secret-readable",
    "config.readable",
    "aclfile.mode",
    "tls.key-mode",
    "secret-file.mode",
    "datadir.mode",
    "datadir.file-mode",
    "datadir.owner",
    "process.root",
    "process.argv-secret",
    "process.plaintext-listener",
];

/// Runs every check the options ask for and returns the report.
pub fn run(opts: &Options) -> Report {
    let mut report = Report::default();
    let budget = client::Budget::new(opts.timeout, opts.deadline);
    match tls::TlsSetup::load(opts) {
        Ok(setup) => {
            for target in &opts.targets {
                remote::audit(target, opts, setup.as_ref(), &budget, &mut report);
            }
        }
        Err(e) => {
            for target in &opts.targets {
                let label = target.to_string();
                report.targets.push(label.clone());
                report.error(&label, format!("cannot set up TLS: {e}"));
            }
        }
    }
    if let Some(path) = &opts.config {
        local::check_config(path, &mut report);
    }
    if let Some(dir) = &opts.data_dir {
        local::check_data_dir(dir, &mut report);
    }
    if opts.local {
        let tls_ports: Vec<u16> = opts
            .config
            .as_deref()
            .and_then(|p| conf::load(p).ok())
            .and_then(|c| c.value("tls-port"))
            .and_then(|p| p.parse().ok())
            .filter(|&p: &u16| p != 0)
            .into_iter()
            .collect();
        procs::check(&tls_ports, &mut report);
    }
    report
}

/// The exit status for a report: 1 when a finding is at or above `fail_on`, else 2 when a
/// target could not be audited, else 0.
pub fn exit_status(report: &Report, fail_on: Option<Severity>) -> u8 {
    if failed(report, fail_on) {
        1
    } else if !report.errors.is_empty() {
        2
    } else {
        0
    }
}

fn failed(report: &Report, fail_on: Option<Severity>) -> bool {
    match (fail_on, report.worst()) {
        (Some(threshold), Some(worst)) => worst >= threshold,
        _ => false,
    }
}

/// `redoubt audit ARGS...`: parses the arguments (those after `audit`), audits, prints the
/// table or JSON to stdout, and returns the exit status.
pub fn main(args: Vec<String>) -> ExitCode {
    let opts = match options::parse(&args, std::env::var("REDOUBT_AUDIT_PASSWORD").ok()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("redoubt audit: {e}\n\n{}", options::USAGE);
            return ExitCode::from(2);
        }
    };
    if opts.help {
        println!("{}", options::USAGE);
        return ExitCode::SUCCESS;
    }
    let report = run(&opts);
    if opts.json {
        println!("{}", output::json(&report, opts.fail_on, failed(&report, opts.fail_on)));
    } else {
        print!("{}", output::table(&report, opts.fail_on));
    }
    ExitCode::from(exit_status(&report, opts.fail_on))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::finding;

    #[test]
    fn every_check_is_documented_and_exists() {
        let docs = include_str!("../../../docs/audit.md");
        let sources = [
            include_str!("rules.rs"),
            include_str!("reach.rs"),
            include_str!("local.rs"),
            include_str!("procs.rs"),
            include_str!("tls.rs"),
        ]
        .concat();
        for id in CHECKS {
            assert!(docs.contains(&format!("`{id}`")), "{id} is not in docs/audit.md");
            let stem = id.split('<').next().unwrap_or(id);
            let in_code = if stem.len() < id.len() {
                sources.contains(&format!("\"{stem}")) || sources.contains(&format!("\"{stem}{{"))
            } else {
                let switch = id.strip_prefix("config.").filter(|n| n.starts_with("enable-"));
                sources.contains(&format!("\"{id}\""))
                    || switch
                        .is_some_and(|n| sources.contains(&format!("(\"{n}\"")) && sources.contains("config.{name}"))
            };
            assert!(in_code, "{id} is not produced by the code");
        }
    }

    #[test]
    fn exit_statuses() {
        let mut r = Report::default();
        assert_eq!(exit_status(&r, Some(Severity::High)), 0);
        r.add(finding("x", Severity::Medium, "t", "f", "e", "fix"));
        assert_eq!(exit_status(&r, Some(Severity::High)), 0);
        assert_eq!(exit_status(&r, Some(Severity::Medium)), 1);
        assert_eq!(exit_status(&r, None), 0);
        r.error("t", "cannot connect");
        assert_eq!(exit_status(&r, Some(Severity::High)), 2);
        assert_eq!(exit_status(&r, Some(Severity::Low)), 1);
    }
}
