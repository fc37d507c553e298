//! An ACL user: flags, passwords and selectors, changed by rules in Redis ACL syntax and
//! checked against every command before it runs. Semantics and texts follow Redis 7.0.15's
//! `ACLSetUser`, `ACLStringSetUser`, `ACLDescribeUser` and `ACLCheckAllUserCommandPerm`.
//!
//! Redoubt keeps user names, patterns and first-args as UTF-8 (a rule that is not UTF-8 is a
//! syntax error); passwords (`>secret`, `<secret`) are any bytes.

use crate::error::{AclError, RuleError};
use crate::index::{CmdId, CommandIndex};
use crate::password::{self, has_space_or_nul, HashError, StoredPassword};
use crate::selector::{key_access, Refusal, Selector};
use bytes::Bytes;
use redoubt_commands::spec::{CmdFlags, CommandSpec};

/// Why a command was refused, for the NOPERM reply, ACL DRYRUN, ACL LOG and the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// What was refused.
    pub reason: DenialReason,
    /// The command's full name (`config|set`) for [`DenialReason::Command`], else the key or
    /// channel argument at fault.
    pub object: Bytes,
    /// The position of that key or channel argument in the command's arguments.
    pub position: Option<usize>,
}

/// What a [`Denial`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenialReason {
    /// The command or subcommand.
    Command,
    /// One of the keys.
    Key,
    /// One of the channels.
    Channel,
}

impl Denial {
    /// The error reply, as Redis 7.0's `processCommand` words it (code included).
    pub fn noperm_message(&self) -> String {
        match self.reason {
            DenialReason::Command => format!(
                "NOPERM this user has no permissions to run the '{}' command",
                String::from_utf8_lossy(&self.object)
            ),
            DenialReason::Key => {
                "NOPERM this user has no permissions to access one of the keys used as arguments".into()
            }
            DenialReason::Channel => {
                "NOPERM this user has no permissions to access one of the channels used as arguments".into()
            }
        }
    }

    /// ACL DRYRUN's answer (a bulk string, not an error).
    pub fn dryrun_message(&self) -> String {
        let object = String::from_utf8_lossy(&self.object);
        match self.reason {
            DenialReason::Command => format!("This user has no permissions to run the '{object}' command"),
            DenialReason::Key => format!("This user has no permissions to access the '{object}' key"),
            DenialReason::Channel => format!("This user has no permissions to access the '{object}' channel"),
        }
    }

    /// ACL LOG's `reason` field.
    pub fn log_reason(&self) -> crate::acllog::AclLogReason {
        match self.reason {
            DenialReason::Command => crate::acllog::AclLogReason::Command,
            DenialReason::Key => crate::acllog::AclLogReason::Key,
            DenialReason::Channel => crate::acllog::AclLogReason::Channel,
        }
    }
}

/// The command being checked, resolved once for all selectors.
pub(crate) struct CheckedCommand<'a> {
    pub(crate) spec: &'a CommandSpec,
    pub(crate) id: Option<CmdId>,
    pub(crate) is_sub: bool,
    pub(crate) no_auth: bool,
    pub(crate) args: &'a [Bytes],
}

/// What ACL GETUSER shows of one selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorInfo {
    /// Command rules (`-@all +get`).
    pub commands: String,
    /// Key patterns (`~*`, `%R~foo ~bar`).
    pub keys: String,
    /// Channel patterns (`&*`, `&news`).
    pub channels: String,
}

/// What ACL GETUSER shows of a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    /// `on`/`off`, `nopass`, `skip-sanitize-payload`/`sanitize-payload`, in Redis's order.
    pub flags: Vec<&'static str>,
    /// The stored hashes (SHA-256 hex or argon2id PHC strings), never a cleartext.
    pub passwords: Vec<String>,
    /// The root selector, shown at the top level.
    pub root: SelectorInfo,
    /// The other selectors.
    pub selectors: Vec<SelectorInfo>,
}

/// An ACL user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclUser {
    name: String,
    enabled: bool,
    nopass: bool,
    /// `Some(true)`: sanitize-payload; `Some(false)`: skip-sanitize-payload.
    sanitize: Option<bool>,
    passwords: Vec<StoredPassword>,
    /// The root selector first.
    selectors: Vec<Selector>,
    /// `acl-pubsub-default allchannels`: new selectors and `reset` get `allchannels`.
    pubsub_all: bool,
}

impl AclUser {
    /// A new user as ACL SETUSER creates it: `off resetchannels -@all` (or `&*` when
    /// `acl-pubsub-default` is `allchannels`). The name may not hold spaces or NUL.
    pub fn new(name: &str, pubsub_all: bool) -> Result<AclUser, AclError> {
        if has_space_or_nul(name.as_bytes()) {
            return Err(AclError::new("ERR Usernames can't contain spaces or null characters"));
        }
        let idx = CommandIndex::global();
        Ok(AclUser {
            name: name.to_string(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(idx, pubsub_all)],
            pubsub_all,
        })
    }

    /// Redis's built-in default user: `on nopass ~* &* +@all` (Redoubt's secure default is
    /// [`crate::users::DATA_SURFACE_RULES`], applied by [`crate::Users`]).
    pub fn redis_default() -> AclUser {
        let mut u = AclUser::new("default", false).expect("valid name");
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            u.apply_rule(op.as_bytes()).expect("valid rule");
        }
        u
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the user is `on` (may authenticate).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Whether any password is accepted (`nopass`).
    pub fn is_nopass(&self) -> bool {
        self.nopass
    }

    /// Whether checking a password may need an argon2id computation (tens of milliseconds):
    /// the server then runs authentication off its event loop.
    pub fn has_slow_hashes(&self) -> bool {
        self.passwords.iter().any(StoredPassword::is_slow)
    }

    /// Whether `password` is one of the user's (always true for `nopass`). Does not look at
    /// `on`/`off`: see [`crate::Users::authenticate`].
    pub fn verify_password(&self, password: &[u8]) -> bool {
        self.nopass || password::verify(&self.passwords, password)
    }

    pub(crate) fn set_pubsub_default(&mut self, all: bool) {
        self.pubsub_all = all;
    }

    /// Applies rules as ACL SETUSER and `user` lines do (Redis's `ACLStringSetUser`):
    /// selectors spread over several arguments are merged first, then every rule is applied
    /// to a copy, and the user changes only if all of them are valid.
    pub fn apply_rules<R: AsRef<[u8]>>(&mut self, rules: &[R]) -> Result<(), AclError> {
        let merged = merge_selector_args(rules).map_err(|start| {
            AclError::new(format!(
                "ERR Unmatched parenthesis in acl selector starting at '{}'.",
                String::from_utf8_lossy(start)
            ))
        })?;
        let mut staged = self.clone();
        for op in &merged {
            staged.apply_rule(op).map_err(|e| {
                AclError::new(format!("ERR Error in ACL SETUSER modifier '{}': {}", String::from_utf8_lossy(op), e))
            })?;
        }
        *self = staged;
        Ok(())
    }

    /// Applies one rule (Redis's `ACLSetUser`); on error the user may be partly changed, so
    /// callers that need all-or-nothing use [`AclUser::apply_rules`].
    pub fn apply_rule(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let idx = CommandIndex::global();
        let Some(&first) = op.first() else { return Ok(()) };
        let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Some(false);
        } else if is("sanitize-payload") {
            self.sanitize = Some(true);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if first == b'>' || first == b'#' {
            let p = if first == b'>' {
                StoredPassword::from_cleartext(&op[1..])
            } else {
                StoredPassword::from_hash(&op[1..]).map_err(hash_error)?
            };
            if !self.passwords.contains(&p) {
                self.passwords.push(p);
            }
            self.nopass = false;
        } else if first == b'<' || first == b'!' {
            let p = if first == b'<' {
                StoredPassword::from_cleartext(&op[1..])
            } else {
                StoredPassword::from_hash(&op[1..]).map_err(hash_error)?
            };
            let at = self.passwords.iter().position(|q| *q == p).ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(at);
        } else if first == b'(' && op[op.len() - 1] == b')' && op.len() >= 2 {
            let mut s = Selector::new(idx, self.pubsub_all);
            for arg in redoubt_resp::split_words(&op[1..op.len() - 1]).ok_or(RuleError::Syntax)? {
                let arg = std::str::from_utf8(&arg).map_err(|_| RuleError::Syntax)?;
                s.apply(arg, idx)?;
            }
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for op in ["resetpass", "resetkeys", "resetchannels"] {
                self.apply_rule(op.as_bytes())?;
            }
            if self.pubsub_all {
                self.apply_rule(b"allchannels")?;
            }
            for op in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                self.apply_rule(op.as_bytes())?;
            }
        } else {
            let op = std::str::from_utf8(op).map_err(|_| RuleError::Syntax)?;
            self.selectors[0].apply(op, idx)?;
        }
        Ok(())
    }

    /// The rules that rebuild this user, as ACL LIST shows them after `user <name> `
    /// (Redis's `ACLDescribeUser`).
    pub fn describe(&self) -> String {
        let idx = CommandIndex::global();
        let mut s = String::new();
        for flag in self.flags() {
            s.push_str(flag);
            s.push(' ');
        }
        for p in &self.passwords {
            s.push('#');
            s.push_str(p.text());
            s.push(' ');
        }
        s.push_str(&self.selectors[0].describe(idx));
        for sel in &self.selectors[1..] {
            s.push_str(" (");
            s.push_str(&sel.describe(idx));
            s.push(')');
        }
        s
    }

    /// The user's line in ACL LIST and in the ACL file: `user <name> <rules>`.
    pub fn acl_line(&self) -> String {
        format!("user {} {}", self.name, self.describe())
    }

    fn flags(&self) -> Vec<&'static str> {
        let mut f = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            f.push("nopass");
        }
        match self.sanitize {
            Some(false) => f.push("skip-sanitize-payload"),
            Some(true) => f.push("sanitize-payload"),
            None => {}
        }
        f
    }

    /// What ACL GETUSER shows.
    pub fn info(&self) -> UserInfo {
        let idx = CommandIndex::global();
        let describe = |s: &Selector| SelectorInfo {
            commands: s.describe_commands(idx),
            keys: s.keys_text(),
            channels: s.channels_text(),
        };
        UserInfo {
            flags: self.flags(),
            passwords: self.passwords.iter().map(|p| p.text().to_string()).collect(),
            root: describe(&self.selectors[0]),
            selectors: self.selectors[1..].iter().map(describe).collect(),
        }
    }

    /// Resolves the command once for all selectors. A command the index does not know
    /// (added after start) is allowed only by `+@all`, like Redis's future commands.
    fn resolve<'a>(spec: &'a CommandSpec, container: Option<&CommandSpec>, args: &'a [Bytes]) -> CheckedCommand<'a> {
        CheckedCommand {
            spec,
            id: CommandIndex::global().id_of(spec, container),
            is_sub: container.is_some(),
            no_auth: spec.flags.contains(CmdFlags::NO_AUTH),
            args,
        }
    }

    /// Whether the user may run this command with these arguments: the root selector or any
    /// other selector must allow the command, every key (read and write told apart by the key
    /// specs) and every channel. `spec` is the command, or the subcommand with its
    /// `container`; `args` are all the arguments, the command's name first.
    ///
    /// When no selector allows it, the denial is Redis's choice: the command if no selector
    /// ran it, else the last key or channel no selector could match.
    pub fn check(&self, spec: &CommandSpec, container: Option<&CommandSpec>, args: &[Bytes]) -> Result<(), Denial> {
        let cmd = Self::resolve(spec, container, args);
        let mut keys = None;
        let mut relevant = Refusal::Command;
        for s in &self.selectors {
            match s.check(&cmd, &mut keys) {
                Ok(()) => return Ok(()),
                Err(r) => {
                    if rank(r) > rank(relevant) {
                        relevant = r;
                    }
                }
            }
        }
        Err(match relevant {
            Refusal::Command => {
                let name = match container {
                    Some(c) => format!("{}|{}", c.name, spec.name),
                    None => spec.name.to_string(),
                };
                Denial { reason: DenialReason::Command, object: Bytes::from(name), position: None }
            }
            Refusal::Key(p) => Denial { reason: DenialReason::Key, object: args[p].clone(), position: Some(p) },
            Refusal::Channel(p) => Denial { reason: DenialReason::Channel, object: args[p].clone(), position: Some(p) },
        })
    }

    /// Whether some selector allows the command and grants `~*`-like access of the asked kind
    /// to every key (Redis's `ACLUserCheckCmdWithUnrestrictedKeyAccess`; SORT's BY and GET
    /// options need it).
    pub fn check_unrestricted_keys(
        &self,
        spec: &CommandSpec,
        container: Option<&CommandSpec>,
        args: &[Bytes],
        read: bool,
        write: bool,
    ) -> bool {
        let cmd = Self::resolve(spec, container, args);
        let mut keys = None;
        self.selectors.iter().any(|s| s.check(&cmd, &mut keys).is_ok() && s.unrestricted_keys(read, write))
    }

    /// Whether some selector allows this key for this access (Redis's `ACLUserCheckKeyPerm`).
    pub fn key_allowed(&self, key: &[u8], read: bool, write: bool) -> bool {
        self.selectors.iter().any(|s| s.key_allowed(key, read, write))
    }

    /// Whether some selector allows this channel (`is_pattern`: a PSUBSCRIBE pattern, which
    /// must be allowed literally). After the user changes, a subscribed connection re-checks
    /// its channels and patterns with this and is closed if one is no longer allowed, as
    /// Redis's `ACLKillPubsubClientsIfNeeded` does.
    pub fn channel_allowed(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.selectors.iter().any(|s| s.channel_allowed(channel, is_pattern))
    }
}

fn rank(r: Refusal) -> (u8, usize) {
    match r {
        Refusal::Command => (1, 0),
        Refusal::Key(p) => (2, p),
        Refusal::Channel(p) => (4, p),
    }
}

/// The access a key-spec's flags need: (read, write).
pub fn key_flags_access(flags: redoubt_commands::spec::KeyFlags) -> (bool, bool) {
    key_access(flags)
}

fn hash_error(e: HashError) -> RuleError {
    match e {
        HashError::BadSha => RuleError::BadHash,
        HashError::BadArgon2 => RuleError::BadArgon2,
    }
}

/// Redis's `ACLMergeSelectorArguments`: `(` ... `)` spread over several arguments becomes one
/// rule; an unclosed selector is an error naming the argument that opened it.
pub(crate) fn merge_selector_args<R: AsRef<[u8]>>(args: &[R]) -> Result<Vec<Vec<u8>>, &[u8]> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, a) in args.iter().enumerate() {
        let a = a.as_ref();
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(a);
            if a.last() == Some(&b')') {
                out.push(open.take().map(|(_, s)| s).unwrap_or_default());
            }
            continue;
        }
        if a.first() == Some(&b'(') && a.last() != Some(&b')') {
            open = Some((i, a.to_vec()));
            continue;
        }
        out.push(a.to_vec());
    }
    match open {
        Some((i, _)) => Err(args[i].as_ref()),
        None => Ok(out),
    }
}
