//! Turns the [`Facts`] gathered from one server into findings and notes. Pure: no I/O
//! except resolving the two host names of `--expect-primary` and `master_host`.

use crate::client;
use crate::cves::{self, Product, Version};
use crate::finding::{finding, Report, Severity};
use crate::options::{parse_target, Options, Target};
use crate::password;
use crate::reach::Status;
use crate::remote::{is_loopback, Anon, Facts, Probe};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// The product and version INFO reports: Redoubt by `redoubt_version`, Valkey by
/// `valkey_version` or `server_name:valkey`, else Redis by `redis_version`.
pub fn product_version(info: &BTreeMap<String, String>) -> (Option<Product>, Option<Version>) {
    let v = |k: &str| info.get(k).and_then(|s| cves::parse_version(s));
    if info.contains_key("redoubt_version") {
        (Some(Product::Redoubt), v("redoubt_version"))
    } else if info.contains_key("valkey_version") {
        (Some(Product::Valkey), v("valkey_version"))
    } else if info.get("server_name").is_some_and(|s| s.eq_ignore_ascii_case("valkey")) {
        (Some(Product::Valkey), v("redis_version"))
    } else if info.contains_key("redis_version") {
        (Some(Product::Redis), v("redis_version"))
    } else {
        (None, None)
    }
}

/// Whether a `bind` value (space-separated, `-` prefix for optional) listens beyond
/// loopback: `*`, `0.0.0.0`, `::`, `::*`, any non-loopback IP or any host name but `localhost`.
pub fn bind_exposed(bind: &str) -> bool {
    bind.split_whitespace().map(|a| a.trim_start_matches('-')).any(|a| match a {
        "*" | "::*" | "0.0.0.0" | "::" => true,
        "localhost" => false,
        other => !matches!(other.parse::<IpAddr>(), Ok(ip) if is_loopback(ip)),
    })
}

/// Adds the findings and notes for one server.
pub fn evaluate(f: &Facts, opts: &Options, report: &mut Report) {
    let t = f.label.as_str();
    let protected_off = f.config.get("protected-mode").map(|v| v.eq_ignore_ascii_case("no"));
    let bind = f.config.get("bind").cloned();
    let bind_wide = bind.as_deref().map(bind_exposed);
    // Reachable from beyond this host: we came over a non-loopback address, or the server
    // listens beyond loopback with protected mode off.
    let wide = !f.local || (bind_wide == Some(true) && protected_off == Some(true));
    let answers = f.anon == Some(Anon::Answers);
    let (product, version) = product_version(&f.info);
    let cve_rows = match (product, version) {
        (Some(p @ (Product::Redis | Product::Valkey)), Some(v)) => cves::affecting(p, v),
        _ => Vec::new(),
    };

    match &f.anon {
        Some(Anon::Answers) => {
            let mut ev = vec!["PING -> PONG without AUTH".to_string()];
            if let Some(n) = f.anon_dbsize {
                ev.push(format!("DBSIZE -> {n} keys"));
            }
            if f.anon_info {
                let v = f.info.get("redis_version").map(|v| format!(" (redis_version {v})")).unwrap_or_default();
                ev.push(format!("INFO readable{v}"));
            }
            if !f.local {
                ev.push("reached over a non-loopback address".into());
            }
            if let (Some(b), Some(true)) = (&bind, protected_off) {
                ev.push(format!("bind '{b}', protected-mode no"));
            }
            let (sev, text, fix) = if wide {
                (
                    Severity::Critical,
                    "answers every client without authentication, from beyond this host (seed 000, seed 001)",
                    "require authentication: requirepass <long random secret> (redoubt passwd makes one) or ACL users \
                     with passwords; bind only the addresses clients use, keep protected-mode yes, firewall the port",
                )
            } else {
                (
                    Severity::Low,
                    "answers without authentication, reachable from this host only (loopback or unix socket)",
                    "set a password if other local users, containers sharing the network namespace or a local web \
                     application (SSRF) must not reach the data; never bind beyond loopback without one",
                )
            };
            report.add(finding("auth.none", sev, t, text, ev.join("; "), fix));
        }
        Some(Anon::Denied(e)) => report.add(finding(
            "protected-mode.denied",
            Severity::Info,
            t,
            "protected mode refused this non-loopback client: the server has no password",
            format!("PING -> -{e}"),
            "set a password (requirepass or ACL users) and bind only the addresses clients use; protected mode \
             is a safety net, not access control",
        )),
        Some(Anon::NoAuth(_)) => report.note(t, "requires authentication before any command (PING -> NOAUTH)"),
        Some(Anon::Refused(r)) => report.note(t, format!("PING without AUTH -> {r}")),
        None => {}
    }

    if protected_off == Some(true) {
        let (sev, text) = match (answers, bind_wide) {
            (true, Some(true)) => (Severity::High, "protected mode is off while there is no password and the server listens beyond loopback"),
            (true, _) => (Severity::Medium, "protected mode is off while there is no password: the next bind change or port mapping exposes an open server"),
            (false, _) => (Severity::Info, "protected mode is off (harmless while a password is required)"),
        };
        let ev = format!("CONFIG GET protected-mode -> no; bind '{}'", bind.as_deref().unwrap_or("?"));
        let fix = "protected-mode yes, and bind only the addresses clients use";
        report.add(finding("protected-mode.off", sev, t, text, ev, fix));
    }
    if let Some(e) = &f.config_error {
        report.note(
            t,
            format!("CONFIG GET not permitted ({e}): protected mode and the Redis 7 enable-* switches were not read"),
        );
    }

    version_findings(f, product, version, &cve_rows, report);
    replication(f, opts, report);
    reach_findings(f, wide, &cve_rows, report);

    crate::tls::findings(t, &f.tls, wide, report);
    if let Some(anon) = &f.anon {
        if f.tls.session.is_some() {
            // Over TLS: the tls.* checks above said what there is to say.
        } else if f.unix {
            report.note(t, "unix socket: TLS does not apply");
            if let Some(perm) = f.socket_perm.filter(|p| p & 0o002 != 0) {
                report.add(finding(
                    "unix.socket-mode",
                    if answers { Severity::High } else { Severity::Low },
                    t,
                    "every local user may connect to the unix socket (T20)",
                    format!("socket mode {perm:04o}{}", if answers { "; it answers without a password" } else { "" }),
                    "unixsocketperm 700 (or 770 with a dedicated group), and keep the socket in a directory only \
                     the server's user can enter",
                ));
            }
        } else {
            let mut ev = format!(
                "PING over plaintext TCP -> {}",
                match anon {
                    Anon::Answers => "PONG".to_string(),
                    Anon::NoAuth(e) | Anon::Denied(e) => format!("-{e}"),
                    Anon::Refused(r) => r.clone(),
                }
            );
            if let Some(p) = f.config.get("tls-port").filter(|p| p.as_str() != "0") {
                ev.push_str(&format!("; tls-port {p} is also open, but this plaintext port remains"));
            }
            let (sev, text) = match (f.plaintext_despite_tls, f.local) {
                (true, false) => (Severity::High, "--tls was given but the port speaks RESP in plaintext: passwords and data cross the network unencrypted"),
                (true, true) => (Severity::Medium, "--tls was given but the port speaks RESP in plaintext"),
                (false, false) => (Severity::Medium, "no TLS: passwords and data cross the network unencrypted (T18)"),
                (false, true) => (Severity::Info, "no TLS on this port (loopback only: traffic stays on this host)"),
            };
            let fix =
                "serve TLS (tls-port, tls-cert-file, tls-key-file; redoubt tls init makes them) and set port 0 so \
                       no plaintext port remains";
            report.add(finding("tls.none", sev, t, text, ev, fix));
        }
    }

    if let Some(pw) = &opts.password {
        if let Some(w) = password::weakness(&pw.0) {
            report.add(finding(
                "password.weak",
                w.severity,
                t,
                format!("the password given is weak: {}", w.reason),
                format!("the password: {}", password::describe(&pw.0)),
                "use a long random secret (redoubt passwd, or openssl rand -base64 32); Redis and Valkey do not slow \
                 password guessing down",
            ));
        }
    }

    for line in f.acl_list.iter().flatten() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"user") && words.contains(&"on") && words.contains(&"nopass") {
            let name = words.get(1).copied().unwrap_or("?");
            let shown: Vec<&str> =
                words.iter().map(|w| if w.starts_with('#') || w.starts_with('>') { "<hash>" } else { w }).collect();
            report.add(finding(
                format!("acl.nopass.{name}"),
                if wide { Severity::High } else { Severity::Medium },
                t,
                format!("user '{name}' is enabled and needs no password: anyone who connects can act as it"),
                format!("ACL LIST: {}", shown.join(" ")),
                format!("ACL SETUSER {name} resetpass >LONG-RANDOM-SECRET (or ACL SETUSER {name} off), then ACL SAVE or the same in the config file"),
            ));
        }
    }
    if f.acl_list.is_none() && f.anon.is_some() {
        report.note(t, "ACL LIST not permitted with these credentials: users with nopass were not listed");
    }

    if let Some(p) = &f.probe {
        auth_probe(t, p, wide, report);
    }
}

fn version_findings(
    f: &Facts,
    product: Option<Product>,
    version: Option<Version>,
    rows: &[cves::Cve],
    report: &mut Report,
) {
    let t = f.label.as_str();
    let (Some(product), Some(version)) = (product, version) else {
        if f.anon.is_some() {
            report.note(t, "version unknown: INFO was not readable (good before authentication: T3)");
        }
        return;
    };
    let field = match product {
        Product::Redis => "redis_version",
        Product::Valkey if f.info.contains_key("valkey_version") => "valkey_version",
        Product::Valkey => "redis_version",
        Product::Redoubt => "redoubt_version",
    };
    report.note(t, format!("{} {} ({field} in INFO)", product.display(), cves::show(version)));
    if product == Product::Redoubt {
        report.note(t, "the CVE table covers Redis and Valkey; Redoubt has no Lua, DEBUG or MODULE surface");
    }
    let eval = f.reach.iter().find(|r| r.danger.id == "cmd.eval").map(|r| &r.status);
    for c in rows {
        let mut ev = format!(
            "INFO {field}:{}; affected {} <= version < {}; fixed in {}",
            cves::show(version),
            cves::show(c.from),
            cves::show(c.fixed),
            cves::fixed_versions(&c.id, &c.product).join(", ")
        );
        match c.needs.as_str() {
            "lua" => ev.push_str(match eval {
                Some(Status::Reachable(_) | Status::LocalOnly(_)) => "; EVAL is reachable with these credentials",
                Some(Status::Blocked(_)) => "; EVAL is not reachable with these credentials (other users may have it)",
                _ => "; needs a client that may run EVAL",
            }),
            "none" => ev.push_str("; needs no authentication"),
            "debian" => ev.push_str("; only Debian/Ubuntu packages are affected: check dpkg -l redis-server"),
            _ => ev.push_str("; needs an authenticated client"),
        }
        ev.push_str("; a distribution package may carry a backported fix under this version number");
        if !c.notes.is_empty() {
            ev.push_str(&format!(" (table note: {})", c.notes));
        }
        report.add(finding(
            format!("cve.{}", c.id),
            c.severity,
            t,
            format!("{} {} is affected by {}: {}", product.display(), cves::show(version), c.id, c.summary),
            ev,
            c.mitigation.clone(),
        ));
    }
}

/// Whether `expected` (`HOST:PORT`) names the primary `host:port`.
fn same_primary(expected: &str, host: &str, port: u16) -> bool {
    let Ok(Target::Tcp { host: eh, port: ep }) = parse_target(expected) else { return false };
    if ep != port {
        return false;
    }
    if eh.eq_ignore_ascii_case(host) {
        return true;
    }
    match (client::resolve(&eh, ep), client::resolve(host, port)) {
        (Ok(a), Ok(b)) => a.ip() == b.ip(),
        _ => false,
    }
}

fn replication(f: &Facts, opts: &Options, report: &mut Report) {
    let t = f.label.as_str();
    let role = f.info.get("role").map(String::as_str);
    let get = |k: &str| f.info.get(k).map(String::as_str).unwrap_or("?");
    match role {
        Some("slave" | "replica") => {
            let host = get("master_host");
            let port: u16 = get("master_port").parse().unwrap_or(0);
            let ev = format!(
                "INFO replication: role:{} master_host:{host} master_port:{port} master_link_status:{} master_last_io_seconds_ago:{}",
                role.unwrap_or("?"),
                get("master_link_status"),
                get("master_last_io_seconds_ago")
            );
            let fix = "if nobody meant this: REPLICAOF NO ONE as an admin, read the server log for 'REPLICAOF ... \
                       enabled (user request from ...)' to find the client, rotate the credentials it used and deny \
                       REPLICAOF to application users; name the intended primary with --expect-primary";
            match &opts.expect_primary {
                Some(e) if same_primary(e, host, port) => report.note(t, format!("replica of the expected primary {e}")),
                Some(e) => report.add(finding(
                    "replica.unexpected",
                    Severity::High,
                    t,
                    format!("replica of {host}:{port}, not of the expected primary {e}: the hijack of seed 000"),
                    ev,
                    fix,
                )),
                None => report.add(finding(
                    "replica.unexpected",
                    Severity::High,
                    t,
                    format!("replica of {host}:{port}, and no primary was expected (--expect-primary): the hijack of seed 000?"),
                    ev,
                    fix,
                )),
            }
        }
        Some(r) => {
            if let Some(e) = &opts.expect_primary {
                report.add(finding(
                    "replica.not-replicating",
                    Severity::Low,
                    t,
                    format!("expected to replicate from {e}, but it is a {r}"),
                    format!("INFO replication: role:{r}"),
                    format!(
                        "REPLICAOF {} as an admin if it should replicate, or drop --expect-primary",
                        e.replace(':', " ")
                    ),
                ));
            }
        }
        None if opts.expect_primary.is_some() => {
            report.note(t, "INFO replication not readable: --expect-primary was not checked");
        }
        None => {}
    }
}

fn reach_findings(f: &Facts, wide: bool, cve_rows: &[cves::Cve], report: &mut Report) {
    let t = f.label.as_str();
    let user = f.user.as_deref().unwrap_or("default");
    let who = if f.session_anonymous {
        format!("any client, without a password (user '{user}'),")
    } else {
        format!("user '{user}'")
    };
    let lua_cves = cve_rows.iter().any(|c| c.needs == "lua");
    let mut unknown = Vec::new();
    for r in &f.reach {
        let d = r.danger;
        let mut sev = d.severity;
        if d.id == "cmd.eval" && lua_cves {
            sev = Severity::High;
        }
        if f.session_anonymous && wide {
            sev = Severity::Critical;
        }
        let (sev, ev, scope) = match &r.status {
            Status::Reachable(how) => (sev, how.clone(), ""),
            Status::LocalOnly(how) => (sev.lower(), how.clone(), " from local connections"),
            Status::Blocked(why) => {
                report.note(t, format!("not reachable: {}: {why}", d.title));
                continue;
            }
            Status::Unknown(why) => {
                unknown.push(format!("{} ({why})", d.title));
                continue;
            }
        };
        report.add(finding(
            d.id,
            sev,
            t,
            format!("{who} can run {}{scope}: {}", d.title, d.impact),
            format!("{ev} (evaluated without running the command)"),
            d.fix,
        ));
    }
    if !unknown.is_empty() {
        report.add(finding(
            "cmd.unknown",
            Severity::Info,
            t,
            format!("could not tell whether user '{user}' can reach {} dangerous command(s)", unknown.len()),
            unknown.join("; "),
            "rerun with an admin user's credentials and --check-user <application user>: ACL DRYRUN then answers \
             for the application's user without running anything",
        ));
    }
    if let Some(e) = &f.reach_error {
        report.note(t, format!("dangerous commands not checked: {e}"));
    }
}

/// Judges the failed-AUTH probe: throttled if the server cut the connection, said so, or the
/// later replies are clearly slower than the first ones.
pub fn throttled(p: &Probe) -> bool {
    if p.cut_off.is_some() {
        return true;
    }
    let said_so = p.attempts.iter().any(|(_, r)| {
        let r = r.to_ascii_lowercase();
        ["throttl", "locked", "too many", "try again", "slow down"].iter().any(|w| r.contains(w))
    });
    if said_so {
        return true;
    }
    let times: Vec<Duration> = p.attempts.iter().map(|(d, _)| *d).collect();
    if times.len() < 3 {
        return false;
    }
    // The fastest reply of each half: one slow reply (a busy host) moves neither, while a
    // back-off slows every later reply.
    let half = times.len() / 2;
    let fastest = |s: &[Duration]| s.iter().min().copied().unwrap_or_default();
    let (early, late) = (fastest(&times[..half]), fastest(&times[times.len() - half..]));
    late >= early * 4 && late >= early + Duration::from_millis(50)
}

fn auth_probe(t: &str, p: &Probe, wide: bool, report: &mut Report) {
    if let Some(why) = &p.skipped {
        report.note(t, format!("failed-AUTH probe: {why}"));
        return;
    }
    let times: Vec<String> = p.attempts.iter().map(|(d, _)| format!("{:.1}", d.as_secs_f64() * 1000.0)).collect();
    let last = p.attempts.last().map(|(_, r)| r.as_str()).unwrap_or("-");
    let ev = format!(
        "{} wrong AUTHs for a non-existent user answered in [{}] ms; last reply {last}{}",
        p.attempts.len(),
        times.join(", "),
        p.cut_off.as_deref().map(|c| format!("; cut off {c}")).unwrap_or_default()
    );
    if throttled(p) {
        report.note(t, format!("failed AUTH is throttled: {ev}"));
        return;
    }
    report.add(finding(
        "auth.unthrottled",
        if wide { Severity::High } else { Severity::Medium },
        t,
        "failed AUTH is not throttled: passwords can be guessed at network speed (T5)",
        format!("{ev}; no slowdown, no lockout"),
        "use a long random password so guessing stays hopeless, and limit who can connect (bind, firewall, TLS \
         client certificates) or put redoubt guard in front; Redoubt throttles failed AUTH per source by default",
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds() {
        assert!(bind_exposed("* -::*"));
        assert!(bind_exposed("0.0.0.0"));
        assert!(bind_exposed("127.0.0.1 10.0.0.5"));
        assert!(bind_exposed("db.internal"));
        assert!(!bind_exposed("127.0.0.1 -::1"));
        assert!(!bind_exposed("localhost"));
        assert!(!bind_exposed(""));
    }

    #[test]
    fn products() {
        let info = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(product_version(&info(&[("redis_version", "7.0.15")])), (Some(Product::Redis), Some([7, 0, 15])));
        assert_eq!(
            product_version(&info(&[("redis_version", "7.2.4"), ("valkey_version", "8.0.1")])),
            (Some(Product::Valkey), Some([8, 0, 1]))
        );
        assert_eq!(
            product_version(&info(&[("redis_version", "7.2.5"), ("server_name", "valkey")])),
            (Some(Product::Valkey), Some([7, 2, 5]))
        );
        assert_eq!(
            product_version(&info(&[("redis_version", "7.0.15"), ("redoubt_version", "0.1.0")])),
            (Some(Product::Redoubt), Some([0, 1, 0]))
        );
        assert_eq!(product_version(&BTreeMap::new()), (None, None));
    }

    #[test]
    fn throttle_judgement() {
        let ms = |v: &[u64]| Probe {
            attempts: v.iter().map(|&m| (Duration::from_millis(m), "-WRONGPASS".to_string())).collect(),
            ..Probe::default()
        };
        assert!(!throttled(&ms(&[1, 1, 1, 1, 1, 1])));
        assert!(throttled(&ms(&[1, 1, 1, 200, 400, 800])));
        assert!(!throttled(&ms(&[1, 2, 3, 4, 5, 6])));
        assert!(!throttled(&ms(&[1, 1, 1, 1, 900, 1])));
        assert!(throttled(&Probe { cut_off: Some("closed".into()), ..Probe::default() }));
    }

    fn run(f: &Facts) -> Report {
        let mut r = Report::default();
        evaluate(f, &Options::default(), &mut r);
        r
    }

    #[test]
    fn exposure_decides_severity() {
        let open = Facts { label: "10.0.0.5:6379".into(), anon: Some(Anon::Answers), ..Facts::default() };
        let r = run(&open);
        assert_eq!(r.get("auth.none").unwrap().severity, Severity::Critical);
        assert_eq!(r.get("tls.none").unwrap().severity, Severity::Medium);
        let local = Facts { local: true, ..open.clone() };
        let r = run(&local);
        assert_eq!(r.get("auth.none").unwrap().severity, Severity::Low);
        assert_eq!(r.get("tls.none").unwrap().severity, Severity::Info);
        let mut wide = local.clone();
        wide.config.insert("bind".into(), "* -::*".into());
        wide.config.insert("protected-mode".into(), "no".into());
        let r = run(&wide);
        assert_eq!(r.get("auth.none").unwrap().severity, Severity::Critical);
        assert_eq!(r.get("protected-mode.off").unwrap().severity, Severity::High);
        let denied = Facts { anon: Some(Anon::Denied("DENIED Redis is running in protected mode".into())), ..open };
        let r = run(&denied);
        assert_eq!(r.get("protected-mode.denied").unwrap().severity, Severity::Info);
        assert!(r.get("auth.none").is_none());
    }

    #[test]
    fn redoubt_is_not_matched_against_redis_cves() {
        let mut f = Facts { label: "x".into(), local: true, anon: Some(Anon::Answers), ..Facts::default() };
        f.info.insert("redis_version".into(), "7.0.15".into());
        f.info.insert("redoubt_version".into(), "0.1.0".into());
        assert!(!run(&f).findings.iter().any(|x| x.id.starts_with("cve.")));
        f.info.remove("redoubt_version");
        assert!(run(&f).findings.iter().any(|x| x.id == "cve.CVE-2025-49844"));
    }

    #[test]
    fn nopass_users_and_hash_redaction() {
        let mut f = Facts { label: "x".into(), local: true, ..Facts::default() };
        f.acl_list = Some(vec![
            "user default on nopass ~* &* +@all".into(),
            "user app on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~* +@all".into(),
            "user old off nopass".into(),
        ]);
        let r = run(&f);
        assert_eq!(r.get("acl.nopass.default").unwrap().severity, Severity::Medium);
        assert!(r.get("acl.nopass.app").is_none() && r.get("acl.nopass.old").is_none());
    }

    #[test]
    fn primaries() {
        assert!(same_primary("127.0.0.1:6379", "127.0.0.1", 6379));
        assert!(!same_primary("127.0.0.1:6380", "127.0.0.1", 6379));
        assert!(same_primary("localhost:6379", "127.0.0.1", 6379));
        assert!(!same_primary("10.9.9.9:6379", "127.0.0.1", 6379));
    }
}
