//! Remote checks: talks to one named server and gathers [`Facts`]; [`crate::rules`] turns
//! them into findings. Every request here is read-only: PING, INFO, DBSIZE, CONFIG GET of
//! named non-secret settings, ACL WHOAMI/LIST/GETUSER/DRYRUN, COMMAND INFO, and (opt-in,
//! bounded) wrong AUTHs for a user that does not exist.

use crate::client::{self, Budget, Client};
use crate::finding::Report;
use crate::options::{Options, Target};
use crate::reach::{self, Reach};
use crate::rules;
use redoubt_resp::Frame;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

/// Settings read with CONFIG GET, when permitted. Never `requirepass`, `masterauth` or a glob.
pub const CONFIG_NAMES: &[&str] = &[
    "protected-mode",
    "bind",
    "port",
    "tls-port",
    "enable-protected-configs",
    "enable-debug-command",
    "enable-module-command",
    "dir",
    "dbfilename",
];

/// How the server answered a client that has not authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anon {
    /// It ran PING.
    Answers,
    /// `-NOAUTH ...`: a password is required.
    NoAuth(String),
    /// `-DENIED ...`: Redis's protected mode refused this client.
    Denied(String),
    /// Some other error reply.
    Refused(String),
}

/// The outcome of the opt-in failed-AUTH probe.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    /// Each attempt's reply time and reply.
    pub attempts: Vec<(Duration, String)>,
    /// Set when the server closed the connection or stopped answering.
    pub cut_off: Option<String>,
    /// Set when the probe could not say anything (and why).
    pub skipped: Option<String>,
}

/// Everything learned about one server.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The target's label.
    pub label: String,
    /// The connection is on loopback or a unix socket.
    pub local: bool,
    /// The target is a unix socket.
    pub unix: bool,
    /// The unix socket's permission bits.
    pub socket_perm: Option<u32>,
    /// The unauthenticated answer.
    pub anon: Option<Anon>,
    /// DBSIZE without authentication.
    pub anon_dbsize: Option<i64>,
    /// INFO was readable without authentication.
    pub anon_info: bool,
    /// Credentials were given: whether they were accepted, and the reply.
    pub auth: Option<(bool, String)>,
    /// The session used for the checks below ran without authentication.
    pub session_anonymous: bool,
    /// The user whose reach was checked.
    pub user: Option<String>,
    /// INFO fields.
    pub info: BTreeMap<String, String>,
    /// CONFIG GET values that could be read.
    pub config: BTreeMap<String, String>,
    /// Why CONFIG GET could not be read.
    pub config_error: Option<String>,
    /// ACL LIST lines, when permitted.
    pub acl_list: Option<Vec<String>>,
    /// Dangerous-command reach.
    pub reach: Vec<Reach>,
    /// Why reach could not be checked.
    pub reach_error: Option<String>,
    /// The auth probe.
    pub probe: Option<Probe>,
    /// `--tls` was given and the port answered plaintext RESP anyway.
    pub plaintext_despite_tls: bool,
}

/// Whether an IP is loopback (including IPv4-mapped IPv6 loopback).
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Audits one server and adds its findings and notes to `report`.
pub fn audit(target: &Target, opts: &Options, budget: &Rc<Budget>, report: &mut Report) {
    let label = target.to_string();
    report.targets.push(label.clone());
    let mut facts = Facts { label: label.clone(), ..Facts::default() };
    let mut anon = match Client::connect(target, budget) {
        Ok(c) => c,
        Err(e) => {
            report.error(&label, format!("cannot connect: {e}"));
            return;
        }
    };
    facts.unix = matches!(target, Target::Unix(_));
    if let Target::Unix(path) = target {
        facts.socket_perm = crate::local::mode(path).map(|m| m.perm);
    }
    facts.local = !matches!(anon.peer, Some(a) if !is_loopback(a.ip()));
    let ping = anon.call(&["PING"]);
    let ping = match ping {
        Ok(f) => f,
        Err(e) if opts.tls => {
            report.note(
                &label,
                format!(
                    "TLS probing not available in this build: the port did not answer RESP in plaintext ({e}), \
                     as a TLS-only port should not; remote checks of this target were skipped"
                ),
            );
            return;
        }
        Err(e) => {
            report.error(&label, format!("no RESP answer in plaintext ({e}); a TLS-only port? (--tls)"));
            return;
        }
    };
    facts.plaintext_despite_tls = opts.tls;
    facts.anon = Some(match &ping {
        Frame::Simple(s) if s.eq_ignore_ascii_case("PONG") => Anon::Answers,
        Frame::Error(e) if e.starts_with("NOAUTH") => Anon::NoAuth(e.clone()),
        Frame::Error(e) if e.starts_with("DENIED") => Anon::Denied(e.clone()),
        other => Anon::Refused(client::describe(other)),
    });
    if facts.anon == Some(Anon::Answers) {
        if let Ok(Frame::Integer(n)) = anon.call(&["DBSIZE"]) {
            facts.anon_dbsize = Some(n);
        }
        if let Ok(f) = anon.call(&["INFO"]) {
            if let Some(t) = client::text(&f) {
                facts.anon_info = true;
                facts.info = client::parse_info(&t);
            }
        }
    }

    let mut session = match &opts.password {
        Some(pw) => match authenticate(target, budget, opts.user.as_deref(), &pw.0) {
            Ok((c, accepted, reply)) => {
                facts.auth = Some((accepted, reply.clone()));
                if accepted {
                    Some(c)
                } else {
                    report.error(
                        &label,
                        format!("the credentials were refused ({reply}); checks needing them were skipped"),
                    );
                    None
                }
            }
            Err(e) => {
                report.error(&label, format!("cannot authenticate: {e}"));
                None
            }
        },
        None => None,
    };
    if session.is_none() && facts.anon == Some(Anon::Answers) {
        facts.session_anonymous = true;
        session = Some(anon);
    }
    if let Some(c) = session.as_mut() {
        gather(c, opts, &mut facts);
    }
    if let Some(n) = opts.probe_auth {
        facts.probe = Some(probe_auth(target, budget, n));
    }
    rules::evaluate(&facts, opts, report);
}

/// Opens a connection and sends AUTH: `(client, accepted, reply)`.
fn authenticate(
    target: &Target,
    budget: &Rc<Budget>,
    user: Option<&str>,
    pw: &str,
) -> std::io::Result<(Client, bool, String)> {
    let mut c = Client::connect(target, budget)?;
    let reply = match user {
        Some(u) => c.call(&["AUTH", u, pw])?,
        None => c.call(&["AUTH", pw])?,
    };
    let accepted = matches!(&reply, Frame::Simple(s) if s.eq_ignore_ascii_case("OK"));
    Ok((c, accepted, client::describe(&reply)))
}

/// Reads INFO, CONFIG, the identity, ACL LIST and the dangerous-command reach over the
/// session connection.
fn gather(c: &mut Client, opts: &Options, facts: &mut Facts) {
    if !facts.session_anonymous || facts.info.is_empty() {
        if let Ok(f) = c.call(&["INFO"]) {
            if let Some(t) = client::text(&f) {
                facts.info = client::parse_info(&t);
            }
        }
    }
    read_config(c, facts);
    let whoami = match c.call(&["ACL", "WHOAMI"]) {
        Ok(f) => client::text(&f),
        Err(_) => None,
    };
    facts.user =
        Some(opts.check_user.clone().or(whoami).or_else(|| opts.user.clone()).unwrap_or_else(|| "default".to_string()));
    if let Ok(Frame::Array(lines)) = c.call(&["ACL", "LIST"]) {
        facts.acl_list = Some(lines.iter().filter_map(client::text).collect());
    }
    let (product, version) = rules::product_version(&facts.info);
    let config = facts.config.clone();
    let lookup = move |name: &str| config.get(name).cloned();
    let user = facts.user.clone().unwrap_or_default();
    let ctx =
        reach::Context { user: &user, product, major: version.map(|v| v[0]), config: &lookup, local: facts.local };
    match reach::probe(c, &ctx) {
        Ok(r) => facts.reach = r,
        Err(e) => facts.reach_error = Some(e),
    }
}

fn read_config(c: &mut Client, facts: &mut Facts) {
    let mut args = vec!["CONFIG", "GET"];
    args.extend(CONFIG_NAMES.iter().copied());
    match c.call(&args) {
        Ok(Frame::Error(e)) if e.contains("wrong number") => {
            // Redis before 7.0 takes one pattern per CONFIG GET.
            for name in CONFIG_NAMES {
                match c.call(&["CONFIG", "GET", name]) {
                    Ok(Frame::Error(e)) => {
                        facts.config_error = Some(e);
                        return;
                    }
                    Ok(f) => facts.config.extend(client::pairs(&f)),
                    Err(e) => {
                        facts.config_error = Some(e.to_string());
                        return;
                    }
                }
            }
        }
        Ok(Frame::Error(e)) => facts.config_error = Some(e),
        Ok(f) => facts.config.extend(client::pairs(&f)),
        Err(e) => facts.config_error = Some(e.to_string()),
    }
}

/// Sends `n` wrong AUTHs for a random user that does not exist, on a fresh connection, and
/// times each reply. A wrong AUTH for a non-existent user locks no real account out; on a
/// server with per-source throttling (Redoubt) it counts toward this host's back-off.
fn probe_auth(target: &Target, budget: &Rc<Budget>, n: u32) -> Probe {
    let mut probe = Probe::default();
    let mut c = match Client::connect(target, budget) {
        Ok(c) => c,
        Err(e) => {
            probe.skipped = Some(format!("cannot connect: {e}"));
            return probe;
        }
    };
    let user = format!("redoubt-audit-probe-{:016x}", fastrand::u64(..));
    let mut one_arg = false;
    for _ in 0..n {
        let pw = format!("wrong-{:016x}", fastrand::u64(..));
        let args: Vec<&str> = if one_arg { vec!["AUTH", &pw] } else { vec!["AUTH", &user, &pw] };
        let (reply, took) = c.call_timed(&args);
        match reply {
            Ok(Frame::Error(e)) if !one_arg && e.contains("wrong number of arguments") => {
                // Before Redis 6, AUTH takes only a password.
                one_arg = true;
                continue;
            }
            Ok(Frame::Error(e))
                if e.contains("without any password configured") || e.contains("no password is set") =>
            {
                probe.skipped = Some(format!("the server has no password, so AUTH is not checked ({e})"));
                return probe;
            }
            Ok(Frame::Simple(s)) => {
                probe.skipped = Some(format!("a random password was accepted (+{s}): AUTH is not enforced"));
                return probe;
            }
            Ok(Frame::Error(e)) if e.starts_with("WRONGPASS") || e.contains("invalid password") => {
                probe.attempts.push((took, format!("-{e}")));
            }
            Ok(f) => {
                probe.skipped = Some(format!("AUTH did not answer as a failed login ({})", client::describe(&f)));
                return probe;
            }
            Err(e) => {
                probe.cut_off = Some(format!("after {} attempts: {e}", probe.attempts.len()));
                return probe;
            }
        }
    }
    probe
}
