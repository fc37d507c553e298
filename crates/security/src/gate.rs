//! The gate as the server runs it: [`Gate`] ties the users, ACL LOG, the audit log and the
//! failed-authentication throttle together, and implements the command layer's seams
//! (`redoubt_commands::gate`): [`GateUser`] is a session's identity, [`Gate`] the server-wide
//! [`AccessControl`] the engine holds.
//!
//! Where the server calls what:
//! - at start: [`Gate::from_config`], then `Engine::install_gate`; every new session gets
//!   [`Gate::start_session`] (the `default` user, authenticated when `default` is `nopass`);
//! - per command, in the engine: [`SessionUser::check`] (NOPERM), [`AccessControl::refused`]
//!   (ACL LOG, `permission_denied` audit line); EXEC re-checks queued commands;
//! - AUTH and HELLO AUTH, on the connection's task (the door, `redoubt-net`), never under the
//!   store lock: [`Gate::auth_one_arg_refused`], [`Gate::auth_turn`] (throttle: now, after an
//!   asynchronous wait, or refused), [`Gate::auth_locked_after_wait`], [`Gate::verify`] (on a
//!   blocking thread when [`Gate::is_slow`]), [`Gate::auth_result`] (session identity,
//!   throttle bookkeeping, audit, ACL LOG). AUTH queued in MULTI runs [`AccessControl::auth_now`];
//! - the ACL command family ([`AccessControl::acl`]) and CONFIG SET's side effects
//!   ([`AccessControl::config_changed`]);
//! - events only the door sees (protected mode, allowlist, HTTP probes, limits): [`Gate::audit`];
//! - about once a second: [`Gate::housekeeping`].

use crate::acllog::{AclLog, AclLogContext, AclLogReason};
use crate::audit::{AuditConfig, AuditEvent, AuditLog, AuditRecord, AuditSource};
use crate::throttle::{AuthThrottle, Decision, ThrottleConfig};
use crate::user::{AclUser, DenialReason, SelectorInfo};
use crate::users::{AuthError, UserHandle, Users, AUTH_WITHOUT_PASSWORD_ERROR};
use bytes::Bytes;
use redoubt_commands::context::parse_i64;
use redoubt_commands::gate::{AccessControl, Refusal, RefusalContext, RefusalKind, SessionUser};
use redoubt_commands::spec::CommandSpec;
use redoubt_commands::{unix_ms, ClientHandle, CmdError, CmdResult, Ctx, Engine, Session, Transport};
use redoubt_config::Config;
use redoubt_resp::ReplyBuffer;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The reply to an AUTH that arrives inside MULTI (run by EXEC) while its source is being
/// slowed down: the engine cannot wait, so the attempt is refused unchecked.
pub const AUTH_THROTTLED_IN_ENGINE: &str = "ERR authentication from this source is being slowed down after failed \
                                            attempts: send AUTH outside MULTI to wait for its turn";

/// A session's identity: a handle on its user, which always reads the user's current rules.
///
/// The rules are checked on every command, so the session keeps its own copy of the user's
/// `Arc` and takes a fresh one only when the user's generation moves: many connections share
/// one user, and reading the shared slot (its lock and reference count) on every command
/// would make every core write the same cache lines.
#[derive(Debug)]
pub struct GateUser {
    handle: UserHandle,
    name: String,
    /// (generation, rules) as last read from the handle; only this session locks it.
    rules: std::sync::Mutex<(u64, Arc<AclUser>)>,
}

impl GateUser {
    /// The identity of a user handle.
    pub fn new(handle: UserHandle) -> GateUser {
        let generation = handle.generation();
        let user = handle.user();
        let name = user.name().to_string();
        GateUser { handle, name, rules: std::sync::Mutex::new((generation, user)) }
    }

    /// Runs `f` with the user's current rules.
    fn with_rules<R>(&self, f: impl FnOnce(&AclUser) -> R) -> R {
        let mut cached = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let generation = self.handle.generation();
        if cached.0 != generation {
            *cached = (generation, self.handle.user());
        }
        f(&cached.1)
    }

    /// The user's handle.
    pub fn handle(&self) -> &UserHandle {
        &self.handle
    }
}

impl SessionUser for GateUser {
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self, spec: &CommandSpec, container: Option<&CommandSpec>, args: &[Bytes]) -> Result<(), Refusal> {
        self.with_rules(|user| user.check(spec, container, args)).map_err(|d| {
            let command = match container {
                Some(c) => format!("{}|{}", c.name, spec.name),
                None => spec.name.to_string(),
            };
            let kind = match d.reason {
                DenialReason::Command => RefusalKind::Command,
                DenialReason::Key => RefusalKind::Key,
                DenialReason::Channel => RefusalKind::Channel,
            };
            Refusal { message: d.noperm_message(), kind, object: d.object, command }
        })
    }

    fn is_deleted(&self) -> bool {
        self.handle.is_deleted()
    }

    fn generation(&self) -> u64 {
        self.handle.generation()
    }

    fn full_key_access(
        &self,
        spec: &CommandSpec,
        container: Option<&CommandSpec>,
        args: &[Bytes],
        read: bool,
        write: bool,
    ) -> bool {
        self.with_rules(|user| user.check_unrestricted_keys(spec, container, args, read, write))
    }

    fn channel_allowed(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.with_rules(|user| user.channel_allowed(channel, is_pattern))
    }
}

/// When an authentication attempt may be answered.
#[derive(Debug)]
pub enum AuthTurn {
    /// Check the password now.
    Now,
    /// Wait this long without holding anything (asynchronously: no other client waits), then
    /// ask [`Gate::auth_locked_after_wait`] and check the password.
    After(Duration),
    /// Refused without checking the password (the source is locked out): this reply.
    Refused(CmdError),
}

/// Users, permissions, ACL LOG, audit log and throttle: what the server installs.
pub struct Gate {
    users: Users,
    acl_log: Mutex<AclLog>,
    audit: Option<AuditLog>,
    throttle: Mutex<AuthThrottle>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate").field("audit", &self.audit.is_some()).finish()
    }
}

/// The pseudo-address every unix-socket client is throttled as: one local source.
const UNIX_SOURCE: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

impl Gate {
    /// A gate over these users, audit log and throttle settings.
    pub fn new(users: Users, audit: Option<AuditLog>, throttle: ThrottleConfig, acllog_max_len: usize) -> Gate {
        Gate {
            users,
            acl_log: Mutex::new(AclLog::new(acllog_max_len)),
            audit,
            throttle: Mutex::new(AuthThrottle::new(throttle, Instant::now())),
        }
    }

    /// The gate of a configuration: its users (`user` lines, `aclfile`, `requirepass`),
    /// `audit-log` (opened now, 0600), `acllog-max-len`, and the throttle's settings.
    pub fn from_config(cfg: &Config, throttle: ThrottleConfig) -> Result<Gate, String> {
        let users = Users::from_config(cfg).map_err(|e| e.message().trim_start_matches("ERR ").to_string())?;
        let audit = match &cfg.audit_log {
            Some(path) => Some(AuditLog::open(path, AuditConfig::default()).map_err(|e| e.to_string())?),
            None => None,
        };
        let acllog_max_len = cfg.value("acllog-max-len").and_then(|v| v.parse().ok()).unwrap_or(128);
        Ok(Gate::new(users, audit, throttle, acllog_max_len))
    }

    /// The users.
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// The audit log, if `audit-log` is set.
    pub fn audit_log(&self) -> Option<&AuditLog> {
        self.audit.as_ref()
    }

    /// Writes an audit line (nothing without `audit-log`). Never pass a secret: names only.
    pub fn audit(
        &self,
        event: AuditEvent,
        source: AuditSource,
        user: Option<&str>,
        command: Option<&str>,
        reason: &str,
    ) {
        if let Some(log) = &self.audit {
            log.record(&AuditRecord { event, source, user, command, reason });
        }
    }

    /// The identity of a user handle, for [`Session::set_identity`].
    pub fn identity(handle: UserHandle) -> Arc<dyn SessionUser> {
        Arc::new(GateUser::new(handle))
    }

    /// A new session starts as `default`, authenticated if `default` is `on` and `nopass`
    /// (Redis decides it when the client connects).
    pub fn start_session(&self, session: &mut Session) {
        let authenticated = self.users.default_needs_no_auth();
        session.set_identity(Gate::identity(self.users.default_handle()));
        session.authenticated = authenticated;
    }

    /// Logs a session in as the user `name` without a password (a TLS client certificate the
    /// door verified names it). False when there is no such user or it is `off`.
    pub fn login_as(&self, session: &mut Session, name: &str) -> bool {
        match self.users.handle(name.as_bytes()) {
            Some(h) if h.user().is_enabled() => {
                session.set_identity(Gate::identity(h));
                true
            }
            _ => false,
        }
    }

    /// Where a session's client came from, for the audit log.
    pub fn source(session: &Session) -> AuditSource {
        source_of(&session.handle)
    }

    /// The address a session is throttled as: its IP; every unix-socket client is one source.
    pub fn throttle_ip(session: &Session) -> IpAddr {
        match source_of(&session.handle) {
            AuditSource::Tcp(addr) => addr.ip(),
            _ => UNIX_SOURCE,
        }
    }

    fn lock_throttle(&self) -> MutexGuard<'_, AuthThrottle> {
        self.throttle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The throttle (tests and measurements look at it).
    pub fn throttle(&self) -> MutexGuard<'_, AuthThrottle> {
        self.lock_throttle()
    }

    /// AUTH with only a password while `default` needs none: Redis's error, before anything.
    pub fn auth_one_arg_refused(&self) -> Option<CmdError> {
        let nopass = self.users.get(b"default").is_some_and(|u| u.is_nopass());
        nopass.then(|| CmdError::raw(AUTH_WITHOUT_PASSWORD_ERROR))
    }

    /// Asks the throttle when this attempt may be answered, and reserves that turn. A locked
    /// source is refused at once (a `lockout` audit line, rate-limited like every line).
    pub fn auth_turn(&self, session: &Session, username: &[u8], command: &[u8]) -> AuthTurn {
        let now = Instant::now();
        let decision = self.lock_throttle().before_attempt(Gate::throttle_ip(session), now);
        match decision {
            Decision::Now => AuthTurn::Now,
            Decision::After(d) => AuthTurn::After(d),
            Decision::Locked { until } => AuthTurn::Refused(self.locked(session, username, command, until, now)),
        }
    }

    /// After waiting its turn: refused if a parallel attempt locked the source meanwhile.
    pub fn auth_locked_after_wait(&self, session: &Session, username: &[u8], command: &[u8]) -> Option<CmdError> {
        let now = Instant::now();
        let until = self.lock_throttle().locked_until(Gate::throttle_ip(session), now)?;
        Some(self.locked(session, username, command, until, now))
    }

    fn locked(&self, session: &Session, username: &[u8], command: &[u8], until: Instant, now: Instant) -> CmdError {
        let secs = until.saturating_duration_since(now).as_secs_f64().ceil() as u64;
        self.audit(
            AuditEvent::Lockout,
            Gate::source(session),
            Some(&String::from_utf8_lossy(username)),
            Some(&command_name(command)),
            &format!("attempt refused unchecked: source locked out for {secs} more seconds"),
        );
        CmdError(
            format!(
                "WRONGPASS too many failed authentication attempts from this address: try again in {secs} seconds \
                 (the password was not checked)"
            )
            .into(),
        )
    }

    /// Whether checking this user's password may take an argon2id computation: run
    /// [`Gate::verify`] on a blocking thread then.
    pub fn is_slow(&self, username: &[u8]) -> bool {
        self.users.get(username).is_some_and(|u| u.has_slow_hashes())
    }

    /// Checks a password (constant time; see [`Users::authenticate`]).
    pub fn verify(&self, username: &[u8], password: &[u8]) -> Result<UserHandle, AuthError> {
        self.users.authenticate(username, password)
    }

    /// Applies the outcome of an attempt: on success the session becomes the user, its
    /// source's failures are forgotten (an `auth_success` line when the source was not trusted
    /// already); on failure `WRONGPASS`, a failure counted (and maybe a lockout), an
    /// `auth_failure` audit line and an ACL LOG entry.
    pub fn auth_result(
        &self,
        session: &mut Session,
        command: &[u8],
        username: &[u8],
        result: Result<UserHandle, AuthError>,
    ) -> CmdResult {
        let ip = Gate::throttle_ip(session);
        let name = String::from_utf8_lossy(username).into_owned();
        let cmd = command_name(command);
        match result {
            Ok(handle) => {
                session.set_identity(Gate::identity(handle));
                if self.lock_throttle().record_success(ip, Instant::now()) {
                    self.audit(
                        AuditEvent::AuthSuccess,
                        Gate::source(session),
                        Some(&name),
                        Some(&cmd),
                        "authenticated (first success from this source recently)",
                    );
                }
                Ok(())
            }
            Err(e) => {
                let outcome = self.lock_throttle().record_failure(ip, Instant::now());
                let source = Gate::source(session);
                self.audit(
                    AuditEvent::AuthFailure,
                    source,
                    Some(&name),
                    Some(&cmd),
                    &format!("{} (failure {} from this source)", e.reason(), outcome.failures),
                );
                if let Some(until) = outcome.locked_until {
                    let secs = until.saturating_duration_since(Instant::now()).as_secs_f64().ceil() as u64;
                    self.audit(
                        AuditEvent::Lockout,
                        source,
                        Some(&name),
                        Some(&cmd),
                        &format!("{} failed attempts: source locked out for {secs} seconds", outcome.failures),
                    );
                }
                let context = if session.in_multi() { AclLogContext::Multi } else { AclLogContext::Toplevel };
                self.log_acl(session, AclLogReason::Auth, context, command, username);
                Err(CmdError::raw(e.message()))
            }
        }
    }

    fn log_acl(&self, session: &Session, reason: AclLogReason, context: AclLogContext, object: &[u8], user: &[u8]) {
        let now = unix_ms();
        let info = session.handle.info_line(now);
        self.acl_log.lock().unwrap_or_else(|e| e.into_inner()).add(reason, context, object, user, info, now);
    }

    /// Periodic work (about once a second): audit lines held back by the rate limit are
    /// summarised, and forgotten throttle state is dropped.
    pub fn housekeeping(&self) {
        if let Some(log) = &self.audit {
            log.flush();
        }
        self.lock_throttle().purge(Instant::now());
    }

    /// ACL SETUSER, DELUSER, LOAD: an `acl_change` audit line.
    fn audit_acl_change(&self, session: &Session, command: &str, reason: &str) {
        self.audit(AuditEvent::AclChange, Gate::source(session), Some(&session.user), Some(command), reason);
    }
}

fn source_of(handle: &ClientHandle) -> AuditSource {
    if handle.transport == Transport::Unix {
        return AuditSource::Unix;
    }
    match handle.addr.parse::<SocketAddr>() {
        Ok(addr) => AuditSource::Tcp(addr),
        Err(_) => AuditSource::Internal,
    }
}

/// A command's name for the audit log: lowercase, at most 32 bytes (never an argument).
fn command_name(argv0: &[u8]) -> String {
    String::from_utf8_lossy(&argv0[..argv0.len().min(32)]).to_lowercase()
}

fn not_integer() -> CmdError {
    CmdError::not_integer()
}

/// Redis's `addReplySubcommandSyntaxError`.
fn subcommand_syntax(ctx: &Ctx<'_>) -> CmdError {
    let sub = String::from_utf8_lossy(&ctx.args[1][..ctx.args[1].len().min(128)]).into_owned();
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        String::from_utf8_lossy(&ctx.args[0]).to_uppercase()
    ))
}

/// Closes the clients `victim` picks: others at once, the calling one after its reply.
fn close_clients(engine: &Engine, session: &mut Session, victim: impl Fn(&ClientHandle, &str) -> bool) {
    for c in engine.clients.all() {
        let user = c.user.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if !victim(&c, &user) {
            continue;
        }
        if c.id == session.id() {
            session.close_after_reply = true;
        } else {
            c.kill();
        }
    }
}

/// Closes the subscribers of user `name` holding a channel or pattern that `user` no longer
/// allows (Redis's `ACLKillPubsubClientsIfNeeded`).
fn close_revoked_subscribers(engine: &Engine, session: &mut Session, name: &str, user: &AclUser) {
    let ids: HashSet<u64> = engine
        .clients
        .all()
        .iter()
        .filter(|c| c.is_subscriber() && *c.user.lock().unwrap_or_else(|e| e.into_inner()) == name)
        .map(|c| c.id)
        .collect();
    if ids.is_empty() {
        return;
    }
    let revoked: HashSet<u64> = engine
        .subscriptions_of(&ids)
        .into_iter()
        .filter(|(_, channel, pattern)| !user.channel_allowed(channel, *pattern))
        .map(|(id, _, _)| id)
        .collect();
    if !revoked.is_empty() {
        close_clients(engine, session, |c, _| revoked.contains(&c.id));
    }
}

impl AccessControl for Gate {
    fn auth_required(&self) -> bool {
        !self.users.default_needs_no_auth()
    }

    fn refused(&self, session: &Session, refusal: &Refusal, context: RefusalContext) {
        let (reason, why) = match refusal.kind {
            RefusalKind::Command => (AclLogReason::Command, "command not allowed"),
            RefusalKind::Key => (AclLogReason::Key, "key not allowed"),
            RefusalKind::Channel => (AclLogReason::Channel, "channel not allowed"),
        };
        let context = match context {
            RefusalContext::Toplevel => AclLogContext::Toplevel,
            RefusalContext::Multi => AclLogContext::Multi,
        };
        self.log_acl(session, reason, context, &refusal.object, session.user.as_bytes());
        self.audit(
            AuditEvent::PermissionDenied,
            Gate::source(session),
            Some(&session.user),
            Some(&refusal.command),
            why,
        );
    }

    fn reset_identity(&self, session: &mut Session) {
        self.start_session(session);
    }

    fn refused_early(&self, session: &Session, command: &str, reason: &str) {
        let user = session.authenticated.then_some(session.user.as_str());
        self.audit(AuditEvent::PermissionDenied, Gate::source(session), user, Some(command), reason);
    }

    fn auth_now(&self, session: &mut Session, argv0: &[u8], user: Option<&[u8]>, password: &[u8]) -> CmdResult {
        if user.is_none() {
            if let Some(e) = self.auth_one_arg_refused() {
                return Err(e);
            }
        }
        let username = user.unwrap_or(b"default");
        match self.auth_turn(session, username, argv0) {
            AuthTurn::Now => {}
            AuthTurn::After(_) => return Err(CmdError::raw(AUTH_THROTTLED_IN_ENGINE)),
            AuthTurn::Refused(e) => return Err(e),
        }
        let result = self.verify(username, password);
        self.auth_result(session, argv0, username, result)
    }

    fn user_lines(&self) -> Vec<String> {
        self.users.list()
    }

    fn role_changed(&self, session: Option<&Session>, command: &str, what: &str) {
        let source = session.map_or(AuditSource::Internal, Gate::source);
        let user = session.map(|s| s.user.as_str());
        self.audit(AuditEvent::RoleChange, source, user, Some(command), what);
    }

    fn config_changed(&self, engine: &Engine, session: &Session, names: &[String]) {
        for name in names {
            match name.as_str() {
                "requirepass" => {
                    let pass = engine.config().requirepass.as_ref().map(|s| s.expose().as_bytes().to_vec());
                    self.users.set_requirepass(pass.as_deref());
                }
                "acl-pubsub-default" => {
                    let all = engine.config().value("acl-pubsub-default").is_some_and(|v| v == "allchannels");
                    self.users.set_pubsub_default(all);
                }
                "acllog-max-len" => {
                    let len = engine.config().value("acllog-max-len").and_then(|v| v.parse().ok()).unwrap_or(128);
                    self.acl_log.lock().unwrap_or_else(|e| e.into_inner()).set_max_len(len);
                }
                _ => {}
            }
        }
        self.audit(
            AuditEvent::ConfigChange,
            Gate::source(session),
            Some(&session.user),
            Some("config|set"),
            &format!("set {}", names.join(" ")),
        );
    }

    fn acl(&self, ctx: &mut Ctx<'_>) -> CmdResult {
        let sub = String::from_utf8_lossy(&ctx.args[1]).to_lowercase();
        let argc = ctx.args.len();
        match sub.as_str() {
            "setuser" => self.acl_setuser(ctx),
            "deluser" => self.acl_deluser(ctx),
            "getuser" => {
                match self.users.get(&ctx.args[2]) {
                    Some(u) => getuser_reply(ctx, &u),
                    None => ctx.out.null(),
                }
                Ok(())
            }
            "list" | "users" => {
                let items = if sub == "list" { self.users.list() } else { self.users.usernames() };
                ctx.out.array(items.len());
                for i in &items {
                    ctx.out.bulk(i.as_bytes());
                }
                Ok(())
            }
            "whoami" => {
                let name = ctx.session.user.clone();
                ctx.out.bulk(name.as_bytes());
                Ok(())
            }
            "load" => {
                self.users.acl_load().map_err(|e| CmdError(e.message().to_string().into()))?;
                let engine = ctx.engine;
                close_clients(engine, ctx.session, |_, user| user != "default");
                if let Some(u) = self.users.get(b"default") {
                    close_revoked_subscribers(engine, ctx.session, "default", &u);
                }
                self.audit_acl_change(ctx.session, "acl|load", "users reloaded from the aclfile");
                ctx.out.ok();
                Ok(())
            }
            "save" => {
                self.users.acl_save().map_err(|e| CmdError(e.message().to_string().into()))?;
                ctx.out.ok();
                Ok(())
            }
            "cat" if argc <= 3 => {
                let list = Users::cat(ctx.args.get(2).map(|c| &c[..]))
                    .map_err(|e| CmdError(e.message().to_string().into()))?;
                ctx.out.array(list.len());
                for c in &list {
                    ctx.out.bulk(c.as_bytes());
                }
                Ok(())
            }
            "genpass" if argc <= 3 => {
                let bits = match ctx.args.get(2) {
                    Some(b) => Some(parse_i64(b).ok_or_else(not_integer)?),
                    None => None,
                };
                let pass = crate::password::genpass(bits).map_err(|e| CmdError(e.message().to_string().into()))?;
                ctx.out.bulk(pass.as_bytes());
                Ok(())
            }
            "log" if argc <= 3 => self.acl_log_reply(ctx),
            "dryrun" => {
                let args = &ctx.args[3..];
                match self.users.dryrun(&ctx.args[2], args) {
                    Ok(Ok(())) => ctx.out.ok(),
                    Ok(Err(denial)) => ctx.out.bulk(denial.dryrun_message().as_bytes()),
                    Err(e) => return Err(CmdError(e.message().to_string().into())),
                }
                Ok(())
            }
            _ => Err(subcommand_syntax(ctx)),
        }
    }
}

impl Gate {
    fn acl_setuser(&self, ctx: &mut Ctx<'_>) -> CmdResult {
        let name = ctx.args[2].clone();
        self.users.setuser(&name, &ctx.args[3..]).map_err(|e| CmdError(e.message().to_string().into()))?;
        let shown = String::from_utf8_lossy(&name).into_owned();
        if let Some(u) = self.users.get(&name) {
            close_revoked_subscribers(ctx.engine, ctx.session, &shown, &u);
        }
        // The rules are not written: they may hold passwords (`>secret`).
        self.audit_acl_change(ctx.session, "acl|setuser", &format!("user '{shown}' created or changed"));
        ctx.out.ok();
        Ok(())
    }

    fn acl_deluser(&self, ctx: &mut Ctx<'_>) -> CmdResult {
        let names: Vec<Bytes> = ctx.args[2..].to_vec();
        let existing: HashSet<String> = names
            .iter()
            .filter(|n| self.users.get(n).is_some())
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        let deleted = self.users.deluser(&names).map_err(|e| CmdError(e.message().to_string().into()))?;
        if deleted > 0 {
            close_clients(ctx.engine, ctx.session, |_, user| existing.contains(user));
            let mut list: Vec<&str> = existing.iter().map(String::as_str).collect();
            list.sort_unstable();
            self.audit_acl_change(ctx.session, "acl|deluser", &format!("deleted {}", list.join(", ")));
        }
        ctx.out.int(deleted as i64);
        Ok(())
    }

    fn acl_log_reply(&self, ctx: &mut Ctx<'_>) -> CmdResult {
        let mut count = 10usize;
        if let Some(arg) = ctx.args.get(2) {
            if arg.eq_ignore_ascii_case(b"reset") {
                self.acl_log.lock().unwrap_or_else(|e| e.into_inner()).reset();
                ctx.out.ok();
                return Ok(());
            }
            count = parse_i64(arg).ok_or_else(not_integer)?.max(0) as usize;
        }
        let now = unix_ms();
        let log = self.acl_log.lock().unwrap_or_else(|e| e.into_inner());
        let n = count.min(log.len());
        ctx.out.array(n);
        for e in log.entries(n) {
            ctx.out.map(7);
            ctx.out.bulk(b"count");
            ctx.out.int(e.count as i64);
            ctx.out.bulk(b"reason");
            ctx.out.bulk(e.reason.as_str().as_bytes());
            ctx.out.bulk(b"context");
            ctx.out.bulk(e.context.as_str().as_bytes());
            ctx.out.bulk(b"object");
            ctx.out.bulk(&e.object);
            ctx.out.bulk(b"username");
            ctx.out.bulk(&e.username);
            ctx.out.bulk(b"age-seconds");
            ctx.out.double(e.age_seconds(now));
            ctx.out.bulk(b"client-info");
            ctx.out.bulk(e.client_info.as_bytes());
        }
        Ok(())
    }
}

/// ACL GETUSER's map: flags, passwords, the root selector's commands, keys and channels,
/// and the other selectors.
fn getuser_reply(ctx: &mut Ctx<'_>, user: &AclUser) {
    let info = user.info();
    let out = &mut *ctx.out;
    out.map(6);
    out.bulk(b"flags");
    out.array(info.flags.len());
    for f in &info.flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"passwords");
    out.array(info.passwords.len());
    for p in &info.passwords {
        out.bulk(p.as_bytes());
    }
    describe_selector(out, &info.root);
    out.bulk(b"selectors");
    out.array(info.selectors.len());
    for s in &info.selectors {
        out.map(3);
        describe_selector(out, s);
    }
}

fn describe_selector(out: &mut ReplyBuffer, s: &SelectorInfo) {
    out.bulk(b"commands");
    out.bulk(s.commands.as_bytes());
    out.bulk(b"keys");
    out.bulk(s.keys.as_bytes());
    out.bulk(b"channels");
    out.bulk(s.channels.as_bytes());
}
