//! Which dangerous commands an identity can reach, found without running any of them:
//! COMMAND INFO (does the command exist, or was it renamed away?), ACL DRYRUN (Redis 7 and
//! later, Valkey, Redoubt), else the rules of ACL GETUSER, plus the switches Redis 7 added in
//! front of some commands (`enable-debug-command`, `enable-module-command`,
//! `enable-protected-configs`), read with CONFIG GET. DRYRUN only evaluates the ACL: the
//! command it names is never executed.

use crate::client::{self, Client};
use crate::cves::Product;
use crate::finding::Severity;
use redoubt_resp::Frame;

/// A dangerous capability and how to test for it.
#[derive(Debug)]
pub struct Danger {
    /// The finding id, `cmd.<name>`.
    pub id: &'static str,
    /// What the capability is, for the finding text.
    pub title: &'static str,
    /// Command names, any of which gives the capability (for COMMAND INFO).
    pub commands: &'static [&'static str],
    /// ACL DRYRUN forms (`{user}` is replaced by the checked user); never sent as commands.
    pub dryrun: &'static [&'static [&'static str]],
    /// The command (and subcommand) names and ACL categories, for reasoning from ACL GETUSER.
    pub acl: &'static [(&'static str, &'static [&'static str])],
    /// The Redis 7 switch in front of it, if any.
    pub gate: Option<&'static str>,
    /// Severity when reachable with credentials, from any address.
    pub severity: Severity,
    /// What an attacker does with it.
    pub impact: &'static str,
    /// The fix.
    pub fix: &'static str,
}

/// Every capability checked.
pub static DANGERS: &[Danger] = &[
    Danger {
        id: "cmd.config-set-dir",
        title: "CONFIG SET dir/dbfilename (write a file anywhere the server can)",
        commands: &["config"],
        dryrun: &[&["config", "set", "dir", "/tmp"], &["config", "set", "dbfilename", "audit.rdb"]],
        acl: &[("config|set", &["admin", "slow", "dangerous"])],
        gate: Some("enable-protected-configs"),
        severity: Severity::High,
        impact: "T9: CONFIG SET dir /root/.ssh + dbfilename authorized_keys + SAVE writes a file of the attacker's choosing",
        fix: "deny CONFIG to application users (ACL SETUSER app -@admin -@dangerous), keep enable-protected-configs no (Redis 7+), or use Redoubt, where paths never change at run time",
    },
    Danger {
        id: "cmd.debug",
        title: "DEBUG (crash or stall the server)",
        commands: &["debug"],
        dryrun: &[&["debug", "sleep", "0"]],
        acl: &[("debug", &["admin", "slow", "dangerous"])],
        gate: Some("enable-debug-command"),
        severity: Severity::Medium,
        impact: "T10: DEBUG SEGFAULT crashes the server, DEBUG SLEEP stalls every client",
        fix: "set enable-debug-command no (Redis 7+) and deny DEBUG to every application user (ACL -@admin); rename-command DEBUG \"\" on older servers",
    },
    Danger {
        id: "cmd.module",
        title: "MODULE LOAD (load a shared object into the server)",
        commands: &["module"],
        dryrun: &[&["module", "load", "/nonexistent/redoubt-audit.so"]],
        acl: &[("module|load", &["admin", "slow", "dangerous"])],
        gate: Some("enable-module-command"),
        severity: Severity::High,
        impact: "T11: MODULE LOAD of a file the attacker placed (e.g. through a rogue primary) runs their code in the server",
        fix: "set enable-module-command no (Redis 7+) and deny MODULE to every application user (ACL -@admin); rename-command MODULE \"\" on older servers",
    },
    Danger {
        id: "cmd.replicaof",
        title: "REPLICAOF/SLAVEOF (make the server a replica of any host)",
        commands: &["replicaof", "slaveof"],
        dryrun: &[&["replicaof", "127.0.0.1", "1"], &["slaveof", "127.0.0.1", "1"]],
        acl: &[("replicaof", &["admin", "slow", "dangerous"]), ("slaveof", &["admin", "slow", "dangerous"])],
        gate: None,
        severity: Severity::High,
        impact: "T8, the hijack of seed 000: REPLICAOF <attacker> makes the server a read-only copy of a rogue primary (and a channel for MODULE LOAD payloads)",
        fix: "deny REPLICAOF/SLAVEOF to application users (ACL SETUSER app -@admin); in Redoubt only an admin may change the role, towards a primary named in the config",
    },
    Danger {
        id: "cmd.flushall",
        title: "FLUSHALL/FLUSHDB (erase every key)",
        commands: &["flushall", "flushdb"],
        dryrun: &[&["flushall"], &["flushdb"]],
        acl: &[("flushall", &["keyspace", "write", "slow", "dangerous"]), ("flushdb", &["keyspace", "write", "slow", "dangerous"])],
        gate: None,
        severity: Severity::High,
        impact: "T14: one command erases the whole dataset",
        fix: "deny FLUSHALL and FLUSHDB to application users (ACL SETUSER app -flushall -flushdb, or -@dangerous)",
    },
    Danger {
        id: "cmd.acl-setuser",
        title: "ACL SETUSER on itself (grant itself every permission)",
        commands: &["acl"],
        dryrun: &[&["acl", "setuser", "{user}", "+@all"]],
        acl: &[("acl|setuser", &["admin", "slow", "dangerous"])],
        gate: None,
        severity: Severity::High,
        impact: "T13: ACL SETUSER <self> +@all turns application credentials into admin credentials",
        fix: "deny ACL changes to application users (ACL SETUSER app -@admin); keep one admin user whose secret the application never holds",
    },
    Danger {
        id: "cmd.eval",
        title: "EVAL/EVALSHA (run Lua scripts)",
        commands: &["eval", "evalsha"],
        dryrun: &[&["eval", "return 1", "0"]],
        acl: &[("eval", &["slow", "scripting"]), ("evalsha", &["slow", "scripting"])],
        gate: None,
        severity: Severity::Medium,
        impact: "T12: the Lua engine is the attack surface of CVE-2022-0543, CVE-2025-49844 and its siblings",
        fix: "deny scripting to users that do not need it (ACL SETUSER app -@scripting) and keep the server patched",
    },
];

/// Whether a capability is reachable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Yes, with the evidence.
    Reachable(String),
    /// Only from local (loopback, unix socket) connections, and this one is local.
    LocalOnly(String),
    /// No, and why.
    Blocked(String),
    /// Could not tell, and why.
    Unknown(String),
}

/// One capability's result.
#[derive(Clone, Debug)]
pub struct Reach {
    /// Which capability.
    pub danger: &'static Danger,
    /// The answer.
    pub status: Status,
}

/// What the server tells about the ACL of the checked user.
enum Acl {
    /// ACL DRYRUN works.
    Dryrun,
    /// The user's command rules, from ACL GETUSER.
    Rules(String),
    /// The server has no ACL (before Redis 6): every authenticated client may run everything.
    None,
    /// Neither DRYRUN nor GETUSER is permitted or known.
    Unknown(String),
}

/// What [`probe`] needs to know about the server.
pub struct Context<'a> {
    /// The user to check.
    pub user: &'a str,
    /// The product, if INFO told it.
    pub product: Option<Product>,
    /// The version's major number, if known.
    pub major: Option<u32>,
    /// A CONFIG GET lookup (`None` when unreadable).
    pub config: &'a dyn Fn(&str) -> Option<String>,
    /// The connection is loopback or a unix socket.
    pub local: bool,
}

/// Finds the reach of `ctx.user` for every capability in [`DANGERS`].
pub fn probe(c: &mut Client, ctx: &Context) -> Result<Vec<Reach>, String> {
    let exists = command_exists(c);
    let acl = acl_mode(c, ctx.user)?;
    let mut out = Vec::new();
    for danger in DANGERS {
        let status = judge(c, ctx, danger, &exists, &acl);
        out.push(Reach { danger, status });
    }
    Ok(out)
}

/// COMMAND INFO for every command name of [`DANGERS`]: `Some(true)` exists, `Some(false)`
/// absent (renamed away or never built), `None` unknown.
fn command_exists(c: &mut Client) -> Vec<(&'static str, Option<bool>)> {
    let mut names: Vec<&'static str> = DANGERS.iter().flat_map(|d| d.commands.iter().copied()).collect();
    names.dedup();
    let mut args = vec!["COMMAND", "INFO"];
    args.extend(names.iter().copied());
    let reply = c.call(&args);
    match reply {
        Ok(Frame::Array(items)) if items.len() == names.len() => names
            .iter()
            .zip(items)
            .map(|(n, f)| (*n, Some(!matches!(f, Frame::Null | Frame::NullArray) && f != Frame::Array(vec![]))))
            .collect(),
        _ => names.iter().map(|n| (*n, None)).collect(),
    }
}

fn acl_mode(c: &mut Client, user: &str) -> Result<Acl, String> {
    let reply = c.call(&["ACL", "DRYRUN", user, "ping"]).map_err(|e| e.to_string())?;
    let dryrun_err = match &reply {
        Frame::Error(e) if e.contains("not found") && e.contains("User") => {
            return Err(format!("ACL DRYRUN: user '{user}' does not exist ({e})"));
        }
        Frame::Error(e) => e.clone(),
        _ => return Ok(Acl::Dryrun),
    };
    let reply = c.call(&["ACL", "GETUSER", user]).map_err(|e| e.to_string())?;
    match &reply {
        Frame::Error(e) if e.to_ascii_lowercase().contains("unknown command") => Ok(Acl::None),
        Frame::Error(e) => Ok(Acl::Unknown(format!("ACL DRYRUN: {dryrun_err}; ACL GETUSER: {e}"))),
        Frame::Null | Frame::NullArray => Err(format!("ACL GETUSER: user '{user}' does not exist")),
        f => match getuser_field(f, "commands") {
            Some(rules) => Ok(Acl::Rules(rules)),
            None => Ok(Acl::Unknown(format!("ACL DRYRUN: {dryrun_err}; ACL GETUSER has no 'commands' field"))),
        },
    }
}

/// A field of an ACL GETUSER reply (flat array or map) as text.
fn getuser_field(f: &Frame, name: &str) -> Option<String> {
    let pairs: Vec<(&Frame, &Frame)> = match f {
        Frame::Array(v) => v.chunks(2).filter_map(|c| Some((c.first()?, c.get(1)?))).collect(),
        Frame::Map(v) => v.iter().map(|(k, v)| (k, v)).collect(),
        _ => return None,
    };
    pairs.into_iter().find(|(k, _)| client::text(k).as_deref() == Some(name)).and_then(|(_, v)| client::text(v))
}

/// Evaluates Redis ACL command rules (`+@all -@dangerous +info -flushall`, as ACL GETUSER
/// shows them) for a command (`name` or `name|sub`) in `categories`. Selectors are ignored.
pub fn rules_allow(rules: &str, name: &str, categories: &[&str]) -> bool {
    let parent = name.split('|').next().unwrap_or(name);
    let mut allowed = false;
    for rule in rules.split_whitespace() {
        let (grant, body) = match rule.as_bytes().first() {
            Some(b'+') => (true, &rule[1..]),
            Some(b'-') => (false, &rule[1..]),
            _ => match rule {
                "allcommands" => (true, "@all"),
                "nocommands" => (false, "@all"),
                _ => continue,
            },
        };
        let hit = match body.strip_prefix('@') {
            Some("all") => true,
            Some(cat) => categories.iter().any(|c| c.eq_ignore_ascii_case(cat)),
            None => body.eq_ignore_ascii_case(name) || body.eq_ignore_ascii_case(parent),
        };
        if hit {
            allowed = grant;
        }
    }
    allowed
}

fn judge(c: &mut Client, ctx: &Context, d: &'static Danger, exists: &[(&str, Option<bool>)], acl: &Acl) -> Status {
    let known: Vec<Option<bool>> =
        d.commands.iter().map(|n| exists.iter().find(|(m, _)| m == n).and_then(|(_, e)| *e)).collect();
    if !known.is_empty() && known.iter().all(|e| *e == Some(false)) {
        return Status::Blocked(format!("COMMAND INFO {}: no such command on this server", d.commands.join(" ")));
    }
    if ctx.product == Some(Product::Redoubt) && d.id == "cmd.config-set-dir" {
        return Status::Blocked("Redoubt never changes paths (dir, dbfilename) at run time".into());
    }
    let acl_says = match acl {
        Acl::Dryrun => dryrun(c, ctx.user, d),
        Acl::Rules(rules) => {
            let hit = d.acl.iter().find(|(name, cats)| rules_allow(rules, name, cats));
            match hit {
                Some((name, _)) => Ok(format!("ACL GETUSER {}: rules '{rules}' allow {name}", ctx.user)),
                None => Err(Status::Blocked(format!("ACL GETUSER {}: rules '{rules}' deny it", ctx.user))),
            }
        }
        Acl::None => Ok("the server has no ACL command (Redis before 6.0, or no ACL at all): every client that is let in may run it".into()),
        Acl::Unknown(why) => Err(Status::Unknown(why.clone())),
    };
    let how = match acl_says {
        Ok(how) => how,
        Err(status) => return status,
    };
    let Some(gate) = d.gate else { return Status::Reachable(how) };
    let gated = match ctx.product {
        Some(Product::Redis) | Some(Product::Valkey) => ctx.major.is_some_and(|m| m >= 7),
        _ => false,
    };
    if !gated {
        return Status::Reachable(how);
    }
    match (ctx.config)(gate).map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "yes" => Status::Reachable(format!("{how}; {gate} yes")),
        Some(v) if v == "local" && ctx.local => {
            Status::LocalOnly(format!("{how}; {gate} local (this connection is local)"))
        }
        Some(v) if v == "local" => Status::Blocked(format!("{how}, but {gate} local and this connection is not local")),
        Some(v) => Status::Blocked(format!("{how}, but {gate} {v}")),
        None => Status::Blocked(format!("{how}, but {gate} (unreadable here) defaults to no")),
    }
}

/// ACL DRYRUN of each form: `Ok(evidence)` when one is allowed, else the status.
fn dryrun(c: &mut Client, user: &str, d: &Danger) -> Result<String, Status> {
    let mut denials = Vec::new();
    for form in d.dryrun {
        let form: Vec<&str> = form.iter().map(|a| if *a == "{user}" { user } else { a }).collect();
        let mut args = vec!["ACL", "DRYRUN", user];
        args.extend(form.iter().copied());
        let shown = format!("ACL DRYRUN {user} {}", form.join(" "));
        match c.call(&args) {
            Ok(Frame::Simple(s)) if s.eq_ignore_ascii_case("OK") => return Ok(format!("{shown} -> OK")),
            Ok(Frame::Error(e)) if e.contains("not found") => denials.push(format!("{shown} -> -{e}")),
            Ok(f @ Frame::Error(_)) => return Err(Status::Unknown(format!("{shown} -> {}", client::describe(&f)))),
            Ok(f) => denials.push(format!("{shown} -> {}", client::describe(&f))),
            Err(e) => return Err(Status::Unknown(format!("{shown}: {e}"))),
        }
    }
    Err(Status::Blocked(denials.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_rules() {
        let cats: &[&str] = &["admin", "slow", "dangerous"];
        assert!(rules_allow("+@all", "replicaof", cats));
        assert!(!rules_allow("+@all -@admin", "replicaof", cats));
        assert!(!rules_allow("+@all -@dangerous", "config|set", cats));
        assert!(rules_allow("+@all -@dangerous +config|set", "config|set", cats));
        assert!(rules_allow("-@all +config", "config|set", cats));
        assert!(!rules_allow("-@all +get", "flushall", &["keyspace", "write", "slow", "dangerous"]));
        assert!(rules_allow("allcommands", "flushall", &[]));
        assert!(!rules_allow("allcommands nocommands", "flushall", &[]));
        assert!(!rules_allow("", "flushall", &[]));
    }

    #[test]
    fn every_danger_is_complete() {
        for d in DANGERS {
            assert!(d.id.starts_with("cmd."));
            assert!(!d.commands.is_empty() && !d.dryrun.is_empty() && !d.acl.is_empty());
            for form in d.dryrun {
                assert!(d.commands.contains(&form[0]), "{}: {:?}", d.id, form);
            }
        }
    }
}
