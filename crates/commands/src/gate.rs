//! The seams through which the gate (`redoubt-security`, installed by the server) decides who
//! a session is and what it may run. The command layer cannot depend on the gate (the gate
//! reads the command table), so it defines two traits here and the gate implements them:
//!
//! - [`SessionUser`]: a session's identity ([`Session::identity`]). The engine asks it, after
//!   resolving a command and before running it, whether the user may run the command with
//!   these arguments (commands, keys read and written apart, channels); EXEC asks again for
//!   every queued command; SORT asks it for BY and GET; SUBSCRIBE and PUBLISH for channels.
//! - [`AccessControl`]: the server-wide part, held by the [`Engine`]: whether clients must
//!   authenticate, the log of refusals (ACL LOG and the audit log), the ACL command family,
//!   AUTH when it reaches the engine (queued in MULTI), and CONFIG SET's side effects.
//!
//! With no gate installed (the command layer's own unit tests) every session may run every
//! command. The server binary always installs one.
//!
//! Before-auth rules live here too: while a session is not authenticated and the gate says
//! authentication is required, every command without the `no_auth` flag (unknown commands
//! included, so nothing about the command set leaks) gets `NOAUTH Authentication required.`.

use crate::context::{CmdError, CmdResult, Ctx};
use crate::engine::Engine;
use crate::session::Session;
use crate::spec::{CmdFlags, CommandSpec};
use crate::table;
use bytes::Bytes;
use std::collections::HashSet;
use std::sync::Arc;

/// Redis's reply to a command sent before authentication.
pub const NOAUTH: &str = "NOAUTH Authentication required.";

/// Redis's reply to HELLO without AUTH before authentication.
pub const NOAUTH_HELLO: &str = "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
                                HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
                                select the RESP protocol version at the same time";

/// Commands of Redis's dangerous surface that Redoubt does not have (THREATS.md T8, T10 to T12,
/// T15): an attempt to run one is answered as an unknown command, and audited, since no
/// legitimate client of Redoubt sends them.
pub const ABSENT_DANGEROUS: &[(&str, &str)] = &[
    ("debug", "no DEBUG command: nothing crashes or stalls the server on request"),
    ("module", "no MODULE command: no module loading"),
    ("eval", "no scripting engine"),
    ("evalsha", "no scripting engine"),
    ("eval_ro", "no scripting engine"),
    ("evalsha_ro", "no scripting engine"),
    ("script", "no scripting engine"),
    ("fcall", "no scripting engine"),
    ("fcall_ro", "no scripting engine"),
    ("monitor", "no MONITOR: clients cannot snoop on others"),
    ("migrate", "no MIGRATE: the server opens no connection a client names"),
];

/// What a refused permission check was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// The command or subcommand.
    Command,
    /// A key argument.
    Key,
    /// A channel argument.
    Channel,
}

impl RefusalKind {
    /// The reason EXEC gives when a queued command is no longer allowed (Redis's words).
    pub fn exec_reason(self) -> &'static str {
        match self {
            RefusalKind::Command => "no permission to execute the command or subcommand",
            RefusalKind::Key => "no permission to touch the specified keys",
            RefusalKind::Channel => "no permission to access one of the channels used as arguments",
        }
    }
}

/// A refused permission check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The `NOPERM ...` reply, Redis's words.
    pub message: String,
    /// What was refused.
    pub kind: RefusalKind,
    /// The command's full name (`config|set`), or the key or channel at fault.
    pub object: Bytes,
    /// The command's full name (`config|set`), for the audit log.
    pub command: String,
}

/// Where a refusal happened, for ACL LOG's `context`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalContext {
    /// A command sent by the client (queued in MULTI included, as Redis logs it `multi`).
    Toplevel,
    /// Inside MULTI: queued, or re-checked by EXEC.
    Multi,
}

/// A session's identity: the user it is authenticated as, always with the user's current
/// rules (a change applies to the next command).
pub trait SessionUser: Send + Sync + std::fmt::Debug {
    /// The user's name.
    fn name(&self) -> &str;
    /// Whether the user may run this command with these arguments. `spec` is the command
    /// or subcommand, `container` the subcommand's container; `args` start with the name.
    fn check(&self, spec: &CommandSpec, container: Option<&CommandSpec>, args: &[Bytes]) -> Result<(), Refusal>;
    /// Whether the user was deleted (ACL DELUSER, ACL LOAD): the connection must close.
    fn is_deleted(&self) -> bool;
    /// Bumped on every change of the user's rules.
    fn generation(&self) -> u64;
    /// Whether the user may run the command and read (`read`) or write (`write`) every key
    /// (SORT's BY and GET options read keys no key spec names).
    fn full_key_access(
        &self,
        spec: &CommandSpec,
        container: Option<&CommandSpec>,
        args: &[Bytes],
        read: bool,
        write: bool,
    ) -> bool;
    /// Whether the user may use this channel (`is_pattern`: a PSUBSCRIBE pattern, which must
    /// be allowed literally).
    fn channel_allowed(&self, channel: &[u8], is_pattern: bool) -> bool;
}

/// The server-wide gate, held by the [`Engine`] ([`Engine::install_gate`]).
pub trait AccessControl: Send + Sync {
    /// Whether a session that has not authenticated must (the `default` user needs a password
    /// or is off), as Redis's `authRequired` decides.
    fn auth_required(&self) -> bool;
    /// A command was refused by the session's permissions: ACL LOG entry, audit line.
    fn refused(&self, session: &Session, refusal: &Refusal, context: RefusalContext);
    /// A command refused before permissions apply: NOAUTH, or a command of Redis's
    /// dangerous surface that Redoubt does not have ([`ABSENT_DANGEROUS`]). An audit line
    /// (`permission_denied`) naming the command, never its arguments.
    fn refused_early(&self, session: &Session, command: &str, reason: &str);
    /// ACL and its subcommands (the subcommand is `ctx.args[1]`).
    fn acl(&self, ctx: &mut Ctx<'_>) -> CmdResult;
    /// AUTH or HELLO AUTH reaching the engine (queued in MULTI and run by EXEC): checked at
    /// once, never waiting (a throttled source gets an error). `argv0` is the command name as
    /// sent; `user` is `None` for AUTH's one-argument form (the `default` user, refused with
    /// Redis's error when `default` needs no password). On success the session is
    /// authenticated as the user.
    fn auth_now(&self, session: &mut Session, argv0: &[u8], user: Option<&[u8]>, password: &[u8]) -> CmdResult;
    /// RESET: the session goes back to `default`, authenticated only if `default` needs no
    /// password (Redis's `clientSetDefaultAuth`).
    fn reset_identity(&self, session: &mut Session);
    /// CONFIG SET changed these parameters (lowercase names; never values): applies the ones
    /// the gate owns (requirepass, acl-pubsub-default, acllog-max-len) and audits the change.
    fn config_changed(&self, engine: &Engine, session: &Session, names: &[String]);
    /// The `user` lines that recreate every user as it is now (ACL LIST's), for CONFIG
    /// REWRITE; passwords appear only as hashes.
    fn user_lines(&self) -> Vec<String>;
    /// The replication role changed (REPLICAOF by `session`, or `None`: the server itself):
    /// an audit line naming the command and the new role.
    fn role_changed(&self, _session: Option<&Session>, _command: &str, _what: &str) {}
}

impl Engine {
    /// Installs the gate; the first one stays.
    pub fn install_gate(&self, gate: Arc<dyn AccessControl>) {
        let _ = self.gate.set(gate);
    }

    /// The gate, when one is installed.
    pub fn gate(&self) -> Option<&Arc<dyn AccessControl>> {
        self.gate.get()
    }

    /// Whether this session must authenticate before running commands.
    pub fn auth_required(&self, session: &Session) -> bool {
        !session.authenticated && self.gate().is_some_and(|g| g.auth_required())
    }

    /// Before resolving: NOAUTH for a session that must authenticate, unless the command is
    /// flagged `no_auth` (audited: a stranger probing an exposed server).
    pub(crate) fn check_auth(&self, session: &Session, args: &[Bytes]) -> Result<(), CmdError> {
        if session.authenticated || !self.auth_required(session) {
            return Ok(());
        }
        match table::lookup(&args[0]) {
            Some(spec) if spec.flags.contains(CmdFlags::NO_AUTH) => Ok(()),
            _ => {
                if let Some(gate) = self.gate() {
                    gate.refused_early(session, &audit_name(&args[0]), "not authenticated (NOAUTH)");
                }
                Err(CmdError::raw(NOAUTH))
            }
        }
    }

    /// After an unknown-command error: audits an attempt to use Redis's dangerous surface.
    pub(crate) fn note_unknown(&self, session: &Session, args: &[Bytes]) {
        let Some(gate) = self.gate() else { return };
        if table::lookup(&args[0]).is_some() {
            return;
        }
        let name = audit_name(&args[0]);
        if let Some((_, why)) = ABSENT_DANGEROUS.iter().find(|(n, _)| *n == name) {
            gate.refused_early(session, &name, why);
        }
    }

    /// Whether the session's user was deleted (ACL DELUSER, ACL LOAD): the session is marked
    /// to close and the command does not run, as Redis closes such clients.
    pub(crate) fn user_deleted(&self, session: &mut Session) -> bool {
        if session.identity.as_ref().is_some_and(|i| i.is_deleted()) {
            session.close_after_reply = true;
            return true;
        }
        false
    }

    /// After resolving: the session's permissions. `Some(refusal)` when refused (already
    /// logged in ACL LOG and the audit log).
    pub(crate) fn check_permission(
        &self,
        session: &Session,
        spec: &'static CommandSpec,
        args: &[Bytes],
        context: RefusalContext,
    ) -> Option<Refusal> {
        let identity = session.identity.as_ref()?;
        // A top-level command is its own name; only a subcommand needs its container found.
        let container = if spec.name.as_bytes().eq_ignore_ascii_case(&args[0]) {
            None
        } else {
            table::lookup(&args[0]).filter(|top| !std::ptr::eq(*top, spec))
        };
        match identity.check(spec, container, args) {
            Ok(()) => None,
            Err(refusal) => {
                if let Some(gate) = self.gate() {
                    gate.refused(session, &refusal, context);
                }
                Some(refusal)
            }
        }
    }

    /// Every subscription (channel or pattern, shard channels with the channels) of the given
    /// clients: (client id, name, is a pattern). The gate closes subscribers whose channel
    /// permissions were revoked with it.
    pub fn subscriptions_of(&self, clients: &HashSet<u64>) -> Vec<(u64, Bytes, bool)> {
        self.pubsub.subscriptions_of(clients)
    }
}

/// A command's name for the audit log: lowercase, at most 32 bytes.
fn audit_name(argv0: &[u8]) -> String {
    String::from_utf8_lossy(&argv0[..argv0.len().min(32)]).to_lowercase()
}

impl Session {
    /// Authenticates the session as `identity` (AUTH, HELLO AUTH, a TLS client certificate
    /// mapped to a user): CLIENT LIST and ACL WHOAMI show it from now on.
    pub fn set_identity(&mut self, identity: Arc<dyn SessionUser>) {
        let name = identity.name().to_string();
        *self.handle.user.lock().unwrap_or_else(|e| e.into_inner()) = name.clone();
        self.user = name;
        self.identity = Some(identity);
        self.authenticated = true;
    }

    /// Whether the session's user may read (`read`) or write (`write`) every key with this
    /// command; true without a gate.
    pub fn full_key_access(&self, args: &[Bytes], read: bool, write: bool) -> bool {
        let Some(identity) = &self.identity else { return true };
        let Some(top) = table::lookup(&args[0]) else { return false };
        let (spec, container) = match (top.subcommands.is_empty(), args.get(1)) {
            (false, Some(sub)) => match table::lookup_sub(top, sub) {
                Some(s) => (s, Some(top)),
                None => return false,
            },
            _ => (top, None),
        };
        identity.full_key_access(spec, container, args, read, write)
    }

    /// Whether the session's user may use every one of these channels (or patterns); true
    /// without a gate.
    pub fn channels_allowed(&self, names: &[Bytes], are_patterns: bool) -> bool {
        match &self.identity {
            Some(identity) => names.iter().all(|n| identity.channel_allowed(n, are_patterns)),
            None => true,
        }
    }
}

/// AUTH [username] password: run here only when it reached the engine (queued in MULTI, or
/// the door did not take it); the door runs a client's AUTH on its own task otherwise.
pub(crate) fn auth(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(CmdError::syntax());
    }
    let Some(gate) = ctx.engine.gate().cloned() else {
        return Err(CmdError::raw("ERR AUTH is not available: no users are configured"));
    };
    let (user, password) =
        if ctx.args.len() == 2 { (None, &ctx.args[1][..]) } else { (Some(&ctx.args[1][..]), &ctx.args[2][..]) };
    gate.auth_now(ctx.session, &ctx.args[0], user, password)?;
    ctx.out.ok();
    Ok(())
}

/// ACL and its subcommands: forwarded to the gate; ACL HELP is answered here.
pub(crate) fn acl(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.engine.gate().cloned() {
        Some(gate) => gate.acl(ctx),
        None => Err(CmdError::raw("ERR ACL is not available: no users are configured")),
    }
}

/// ACL HELP
pub(crate) fn acl_help(ctx: &mut Ctx<'_>) -> CmdResult {
    crate::server::help_reply(
        ctx,
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
    Ok(())
}

impl Engine {
    /// The permission check as `execute_one` applies it: `Some(error)` when refused (logged,
    /// counted as rejected, and aborting a transaction being queued).
    pub(crate) fn refuse_unpermitted(
        &self,
        session: &mut Session,
        spec: &'static CommandSpec,
        args: &[Bytes],
    ) -> Option<CmdResult> {
        session.identity.as_ref()?;
        let in_multi = session.in_multi();
        let context = if in_multi { RefusalContext::Multi } else { RefusalContext::Toplevel };
        let refusal = self.check_permission(session, spec, args, context)?;
        if in_multi {
            crate::transactions::flag_abort(session);
        }
        if let Some(stat) = self.command_stats.of(spec) {
            stat.rejected.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Some(Err(CmdError(refusal.message.into())))
    }

    /// EXEC's re-check of a queued command: the rules may have changed since it was queued.
    pub(crate) fn recheck_queued(&self, session: &Session, spec: &'static CommandSpec, args: &[Bytes]) -> CmdResult {
        match self.check_permission(session, spec, args, RefusalContext::Multi) {
            None => Ok(()),
            Some(refusal) => Err(CmdError(
                format!(
                "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This \
                 command is no longer allowed for the following reason: {}",
                    refusal.kind.exec_reason()
                )
                .into(),
            )),
        }
    }
}
