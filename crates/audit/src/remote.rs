//! Remote checks: talks to one named server (in plaintext, or over TLS with `--tls`:
//! [`crate::tls`]) and gathers [`Facts`]; [`crate::rules`] turns
//! them into findings. Every request here is read-only: PING, INFO, DBSIZE, CONFIG GET of
//! named non-secret settings, ACL WHOAMI/LIST/GETUSER/DRYRUN, COMMAND INFO, and (opt-in,
//! bounded) wrong AUTHs for a user that does not exist.

use crate::client::{self, Budget, Client};
use crate::finding::Report;
use crate::options::{Options, Target};
use crate::reach::{self, Reach};
use crate::rules;
use crate::tls::{self, Failure, TlsFacts, TlsSetup};
use redoubt_resp::Frame;
use std::collections::BTreeMap;
use std::io;
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
    /// What `--tls` found.
    pub tls: TlsFacts,
}

/// Whether an IP is loopback (including IPv4-mapped IPv6 loopback).
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// How to open one more connection to the target: plaintext, or TLS with the audit's setup.
struct Dial<'a> {
    target: &'a Target,
    budget: &'a Rc<Budget>,
    tls: Option<&'a TlsSetup>,
}

impl Dial<'_> {
    /// A connection (with the client certificate, when one was given).
    fn open(&self) -> io::Result<Client> {
        self.open_with(true)
    }

    fn open_with(&self, client_cert: bool) -> io::Result<Client> {
        match self.tls {
            Some(setup) => Client::connect_tls(self.target, self.budget, setup, client_cert),
            None => Client::connect(self.target, self.budget),
        }
    }

    /// A connection and its answer to PING (over TLS, the first read is where a server that
    /// requires a client certificate says so).
    fn open_and_ping(&self, client_cert: bool) -> io::Result<(Client, Frame)> {
        let mut c = self.open_with(client_cert)?;
        let ping = c.call(&["PING"])?;
        Ok((c, ping))
    }
}

/// Audits one server and adds its findings and notes to `report`. `tls` is set with `--tls`.
pub fn audit(target: &Target, opts: &Options, tls: Option<&TlsSetup>, budget: &Rc<Budget>, report: &mut Report) {
    let label = target.to_string();
    report.targets.push(label.clone());
    let mut facts = Facts { label: label.clone(), ..Facts::default() };
    facts.unix = matches!(target, Target::Unix(_));
    if let Target::Unix(path) = target {
        facts.socket_perm = crate::local::mode(path).map(|m| m.perm);
    }
    if let Target::Tcp { host, port } = target {
        facts.local = client::resolve(host, *port).is_ok_and(|a| is_loopback(a.ip()));
    } else {
        facts.local = true;
    }
    // TLS does not apply to a unix socket (the unix-socket note says so).
    let mut dial = Dial { target, budget, tls: tls.filter(|_| !facts.unix) };
    let (mut anon, ping) = match dial.tls {
        Some(setup) => match dial.open_and_ping(true) {
            Ok((c, ping)) => {
                facts.tls.session = c.tls.clone();
                (c, ping)
            }
            Err(e) => match tls::classify(&e, setup.has_cert) {
                Failure::NotTls(why) => match (Dial { tls: None, ..dial }).open_and_ping(false) {
                    Ok(plain) => {
                        report.note(&label, format!("no TLS handshake on this port: {why}"));
                        facts.plaintext_despite_tls = true;
                        dial.tls = None;
                        plain
                    }
                    Err(e) => {
                        report.error(
                            &label,
                            format!("no TLS handshake ({why}) and no plaintext RESP answer ({e}) on this port"),
                        );
                        return;
                    }
                },
                Failure::ClientCertRefused(why) => {
                    report.error(&label, format!("the server refused the client certificate of --cert: {why}"));
                    return;
                }
                Failure::ClientCertRequired(why) => {
                    report.error(
                        &label,
                        format!(
                            "the server requires a client certificate: give --cert FILE --key FILE to run the checks                              ({why})"
                        ),
                    );
                    return;
                }
                failure => {
                    report.error(&label, "remote checks skipped: no usable TLS connection (see the tls.* finding)");
                    facts.tls.failure = Some(failure);
                    rules::evaluate(&facts, opts, report);
                    return;
                }
            },
        },
        None => {
            let mut c = match dial.open() {
                Ok(c) => c,
                Err(e) => {
                    report.error(&label, format!("cannot connect: {e}"));
                    return;
                }
            };
            match c.call(&["PING"]) {
                Ok(ping) => (c, ping),
                Err(e) => {
                    report.error(
                        &label,
                        format!("no RESP answer in plaintext ({e}); a TLS-only port? (--tls --cacert FILE)"),
                    );
                    return;
                }
            }
        }
    };
    if let Some(peer) = anon.peer {
        facts.local = is_loopback(peer.ip());
    }
    if let Some(setup) = dial.tls.filter(|_| facts.tls.session.is_some()) {
        check_client_cert(&dial, setup, &ping, &mut facts.tls);
        if let (Some(peer), Target::Tcp { host, .. }) = (anon.peer, target) {
            let name = opts.sni.as_deref().unwrap_or(host);
            let probe =
                budget.spend().and_then(|_| budget.step()).and_then(|t| tls::old_protocol_probe(peer, Some(name), t));
            match probe {
                Ok(v) => facts.tls.old_protocol = v,
                Err(e) => report.note(&label, format!("TLS 1.0/1.1 probe inconclusive: {e}")),
            }
        }
    }
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
        Some(pw) => match authenticate(&dial, opts.user.as_deref(), &pw.0) {
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
    if facts.tls.session.is_some() {
        facts.tls.plaintext_port = facts.config.get("port").filter(|p| p.as_str() != "0").cloned();
    }
    if let Some(n) = opts.probe_auth {
        facts.probe = Some(probe_auth(&dial, n));
    }
    rules::evaluate(&facts, opts, report);
}

/// Whether the server answers a client without a certificate: over the session that just ran
/// without one, or on one more connection when `--cert` was given.
fn check_client_cert(dial: &Dial, setup: &TlsSetup, ping: &Frame, tls: &mut TlsFacts) {
    if !setup.has_cert {
        tls.client_cert_required = Some(false);
        tls.without_cert_evidence = format!("PING -> {}", client::describe(ping));
        return;
    }
    match dial.open_and_ping(false) {
        Ok((_, reply)) => {
            tls.client_cert_required = Some(false);
            tls.without_cert_evidence = format!("PING -> {}", client::describe(&reply));
        }
        Err(e) => {
            if let Failure::ClientCertRequired(why) = tls::classify(&e, false) {
                tls.client_cert_required = Some(true);
                tls.without_cert_evidence = why;
            }
        }
    }
}

/// Opens a connection and sends AUTH: `(client, accepted, reply)`.
fn authenticate(dial: &Dial, user: Option<&str>, pw: &str) -> io::Result<(Client, bool, String)> {
    let mut c = dial.open()?;
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
fn probe_auth(dial: &Dial, n: u32) -> Probe {
    let mut probe = Probe::default();
    let mut c = match dial.open() {
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
