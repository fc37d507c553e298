//! The user registry: `user` lines of the config or an `aclfile`, `requirepass` as Redis's
//! compatibility layer, Redoubt's secure default for the `default` user, and the logic of
//! the ACL subcommands that change or show users.
//!
//! Live connections hold a [`UserHandle`]: a change to the user (ACL SETUSER, a new
//! `requirepass`, ACL LOAD for `default`) applies to the connection's next command, as in
//! Redis; ACL DELUSER, and ACL LOAD for every user but `default`, mark the handle deleted and
//! the connection must be closed (Redis kills those clients).

use crate::error::AclError;
use crate::index::CommandIndex;
use crate::password::{self, has_space_or_nul};
use crate::user::{AclUser, Denial};
use bytes::Bytes;
use redoubt_commands::table;
use redoubt_config::{Config, UserDirective};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The command rules of Redoubt's default `default` user: the data surface. Everything but
/// the admin surface: `@admin` (CONFIG, REPLICAOF/SLAVEOF, SYNC/PSYNC/REPLCONF, FAILOVER,
/// SHUTDOWN, ACL SETUSER/DELUSER/GETUSER/LIST/USERS/LOAD/SAVE/LOG/DRYRUN, MONITOR, CLIENT
/// LIST/KILL/PAUSE/UNPAUSE/UNBLOCK/NO-EVICT, SAVE/BGSAVE/BGREWRITEAOF, DEBUG, MODULE,
/// SLOWLOG, LATENCY, LASTSAVE, ROLE, CLUSTER admin subcommands), plus FLUSHALL, FLUSHDB and
/// MIGRATE (which opens a connection to any host). ACL WHOAMI, CAT and GENPASS stay allowed.
/// Commands absent from the table are skipped.
pub const DATA_SURFACE_RULES: &[&str] = &["+@all", "-@admin", "-flushall", "-flushdb", "-migrate"];

/// The reply to a one-argument AUTH while `default` needs no password (Redis's text).
pub const AUTH_WITHOUT_PASSWORD_ERROR: &str = "ERR AUTH <password> called without any password configured for the \
                                               default user. Are you sure your configuration is correct?";

/// Why an authentication failed. Every kind gets the same reply ([`AuthError::message`]);
/// the kind is for the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No such user.
    NoSuchUser,
    /// The user is `off`.
    Disabled,
    /// Wrong password.
    WrongPassword,
}

impl AuthError {
    /// The reply: `WRONGPASS invalid username-password pair or user is disabled.`
    pub fn message(self) -> &'static str {
        "WRONGPASS invalid username-password pair or user is disabled."
    }

    /// A short reason for the audit log.
    pub fn reason(self) -> &'static str {
        match self {
            AuthError::NoSuchUser => "no such user",
            AuthError::Disabled => "user is disabled",
            AuthError::WrongPassword => "wrong password",
        }
    }
}

#[derive(Debug)]
struct Slot {
    user: RwLock<Arc<AclUser>>,
    deleted: AtomicBool,
    generation: AtomicU64,
}

impl Slot {
    fn new(user: AclUser) -> Arc<Slot> {
        Arc::new(Slot {
            user: RwLock::new(Arc::new(user)),
            deleted: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        })
    }

    fn get(&self) -> Arc<AclUser> {
        self.user.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn replace(&self, user: AclUser) {
        *self.user.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(user);
        self.generation.fetch_add(1, Ordering::Release);
    }
}

/// A connection's reference to its user: always the user's current rules.
#[derive(Clone, Debug)]
pub struct UserHandle(Arc<Slot>);

impl UserHandle {
    /// The user's current rules (cheap: an `Arc` clone under a read lock).
    pub fn user(&self) -> Arc<AclUser> {
        self.0.get()
    }

    /// Whether the user was deleted (ACL DELUSER, ACL LOAD): close the connection.
    pub fn is_deleted(&self) -> bool {
        self.0.deleted.load(Ordering::Acquire)
    }

    /// Bumped on every change of the user: a subscribed connection re-checks its channels
    /// when it changes ([`AclUser::channel_allowed`]).
    pub fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Acquire)
    }

    /// Whether both handles are the same user.
    pub fn same_user(&self, other: &UserHandle) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Debug)]
struct Registry {
    users: BTreeMap<String, Arc<Slot>>,
    pubsub_all: bool,
    /// `#<sha256>` of `requirepass`, re-applied when ACL LOAD recreates `default`.
    requirepass_hash: Option<String>,
    aclfile: Option<PathBuf>,
}

/// Where the users come from at start.
#[derive(Clone, Copy, Debug, Default)]
pub struct UsersSetup<'a> {
    /// `user` lines of the config.
    pub users: &'a [UserDirective],
    /// `requirepass`.
    pub requirepass: Option<&'a [u8]>,
    /// `aclfile`.
    pub aclfile: Option<&'a Path>,
    /// `acl-pubsub-default allchannels`.
    pub pubsub_all: bool,
}

/// All users. Shared by every connection (`Arc<Users>`).
#[derive(Debug)]
pub struct Users {
    inner: RwLock<Registry>,
}

impl Default for Users {
    fn default() -> Users {
        Users::setup(UsersSetup::default()).expect("the built-in default user is valid")
    }
}

/// Redoubt's `default` user: `on`, `nopass` or the `requirepass` hash, all keys and
/// channels, and [`DATA_SURFACE_RULES`].
pub fn secure_default_user(requirepass_hash: Option<&str>, pubsub_all: bool) -> AclUser {
    let mut u = AclUser::new("default", pubsub_all).expect("valid name");
    let pass = match requirepass_hash {
        Some(h) => format!("#{h}"),
        None => "nopass".to_string(),
    };
    for op in ["on", pass.as_str(), "~*", "&*"] {
        u.apply_rule(op.as_bytes()).expect("valid rule");
    }
    let idx = CommandIndex::global();
    for op in DATA_SURFACE_RULES {
        let known = op[1..].starts_with('@') || idx.lookup(&op[1..]).is_some();
        if known {
            u.apply_rule(op.as_bytes()).expect("valid rule");
        }
    }
    u
}

impl Users {
    /// Users from the configuration: `user` lines, `requirepass`, `aclfile`,
    /// `acl-pubsub-default`.
    pub fn from_config(cfg: &Config) -> Result<Users, AclError> {
        let aclfile = aclfile_path(cfg);
        let pubsub_all = cfg.value("acl-pubsub-default").is_some_and(|v| v == "allchannels");
        Users::setup(UsersSetup {
            users: &cfg.users,
            requirepass: cfg.requirepass.as_ref().map(|s| s.expose().as_bytes()),
            aclfile: aclfile.as_deref(),
            pubsub_all,
        })
    }

    /// Users as Redis's `ACLLoadUsersAtStartup` makes them. Without a `user default` line
    /// (or an aclfile line for it), `default` is [`secure_default_user`].
    pub fn setup(s: UsersSetup<'_>) -> Result<Users, AclError> {
        if s.aclfile.is_some() && !s.users.is_empty() {
            return Err(AclError::new(
                "ERR Configuring users in the config file and an ACL file at the same time is invalid: declare users \
                 either in the aclfile or with 'user' lines, not both",
            ));
        }
        let requirepass_hash = s.requirepass.filter(|p| !p.is_empty()).map(password::sha256_hex);
        let mut users = BTreeMap::new();
        users.insert("default".to_string(), Slot::new(secure_default_user(requirepass_hash.as_deref(), s.pubsub_all)));
        let mut seen = std::collections::HashSet::new();
        for d in s.users {
            if !seen.insert(d.name.as_str()) {
                return Err(AclError::new(format!(
                    "ERR Error in user declaration '{}': Duplicate user found. A user can only be defined once in \
                     config files",
                    d.name
                )));
            }
            let mut u = if d.name == "default" {
                let mut u = AclUser::new("default", s.pubsub_all)?;
                u.apply_rule(b"reset").expect("valid rule");
                u
            } else {
                AclUser::new(&d.name, s.pubsub_all)?
            };
            u.apply_rules(&d.rules).map_err(|e| {
                AclError::new(format!(
                    "ERR Error loading ACL rules for the user named '{}': {}",
                    d.name,
                    e.message().trim_start_matches("ERR ")
                ))
            })?;
            users.insert(d.name.clone(), Slot::new(u));
        }
        let registry =
            Registry { users, pubsub_all: s.pubsub_all, requirepass_hash, aclfile: s.aclfile.map(Path::to_path_buf) };
        let this = Users { inner: RwLock::new(registry) };
        if let Some(path) = s.aclfile {
            check_private_file(path, "aclfile").map_err(AclError::new)?;
            this.load_file(path)?;
        }
        Ok(this)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    fn slot(&self, name: &[u8]) -> Option<Arc<Slot>> {
        let name = std::str::from_utf8(name).ok()?;
        self.read().users.get(name).cloned()
    }

    /// AUTH / HELLO AUTH: the user if it exists, is `on` and the password matches. The
    /// password is hashed even for an unknown user, so timing does not tell users apart
    /// (argon2id users excepted: see [`AclUser::has_slow_hashes`]).
    pub fn authenticate(&self, username: &[u8], password: &[u8]) -> Result<UserHandle, AuthError> {
        let Some(slot) = self.slot(username) else {
            let _ = password::sha256_hex(password);
            return Err(AuthError::NoSuchUser);
        };
        let user = slot.get();
        let ok = user.verify_password(password);
        if !user.is_enabled() {
            return Err(AuthError::Disabled);
        }
        if ok {
            Ok(UserHandle(slot))
        } else {
            Err(AuthError::WrongPassword)
        }
    }

    /// The `default` user, which every new connection starts as.
    pub fn default_handle(&self) -> UserHandle {
        UserHandle(self.slot(b"default").expect("the default user always exists"))
    }

    /// Whether a new connection is authenticated without AUTH (`default` is `on` and
    /// `nopass`), as Redis decides. Protected mode applies exactly then.
    pub fn default_needs_no_auth(&self) -> bool {
        let u = self.default_handle().user();
        u.is_enabled() && u.is_nopass()
    }

    /// A connection's handle for a user by name.
    pub fn handle(&self, name: &[u8]) -> Option<UserHandle> {
        self.slot(name).map(UserHandle)
    }

    /// A user's current rules (ACL GETUSER).
    pub fn get(&self, name: &[u8]) -> Option<Arc<AclUser>> {
        self.slot(name).map(|s| s.get())
    }

    /// `requirepass` (at start or by CONFIG SET): Redis's `ACLUpdateDefaultUserPassword`,
    /// `resetpass` then the password, or `nopass` for none.
    pub fn set_requirepass(&self, password: Option<&[u8]>) {
        let mut reg = self.write();
        reg.requirepass_hash = password.filter(|p| !p.is_empty()).map(password::sha256_hex);
        let slot = reg.users.get("default").expect("default exists").clone();
        let mut u = (*slot.get()).clone();
        u.apply_rule(b"resetpass").expect("valid rule");
        match &reg.requirepass_hash {
            Some(h) => u.apply_rule(format!("#{h}").as_bytes()).expect("valid hash"),
            None => u.apply_rule(b"nopass").expect("valid rule"),
        }
        slot.replace(u);
    }

    /// CONFIG SET acl-pubsub-default: `allchannels` or `resetchannels` for users and
    /// selectors created (or `reset`) from now on.
    pub fn set_pubsub_default(&self, all: bool) {
        let mut reg = self.write();
        reg.pubsub_all = all;
        for slot in reg.users.values() {
            let mut u = (*slot.get()).clone();
            u.set_pubsub_default(all);
            *slot.user.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(u);
        }
    }

    /// ACL SETUSER: creates the user if needed and applies the rules, all or nothing.
    pub fn setuser<R: AsRef<[u8]>>(&self, name: &[u8], rules: &[R]) -> Result<(), AclError> {
        let name = match std::str::from_utf8(name) {
            Ok(n) if !has_space_or_nul(n.as_bytes()) => n,
            _ => return Err(AclError::new("ERR Usernames can't contain spaces or null characters")),
        };
        let mut reg = self.write();
        match reg.users.get(name) {
            Some(slot) => {
                let mut u = (*slot.get()).clone();
                u.apply_rules(rules)?;
                slot.replace(u);
            }
            None => {
                let mut u = AclUser::new(name, reg.pubsub_all)?;
                u.apply_rules(rules)?;
                reg.users.insert(name.to_string(), Slot::new(u));
            }
        }
        Ok(())
    }

    /// ACL DELUSER: the number of users deleted. Their connections must be closed
    /// ([`UserHandle::is_deleted`]).
    pub fn deluser<N: AsRef<[u8]>>(&self, names: &[N]) -> Result<usize, AclError> {
        if names.iter().any(|n| n.as_ref() == b"default") {
            return Err(AclError::new("ERR The 'default' user cannot be removed"));
        }
        let mut reg = self.write();
        let mut deleted = 0;
        for n in names {
            let Ok(n) = std::str::from_utf8(n.as_ref()) else { continue };
            if let Some(slot) = reg.users.remove(n) {
                slot.deleted.store(true, Ordering::Release);
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// ACL LIST: `user <name> <rules>` for every user, by name.
    pub fn list(&self) -> Vec<String> {
        self.read().users.values().map(|s| s.get().acl_line()).collect()
    }

    /// ACL USERS: every name, sorted.
    pub fn usernames(&self) -> Vec<String> {
        self.read().users.keys().cloned().collect()
    }

    /// ACL CAT (no category: the categories; else the commands of one).
    pub fn cat(category: Option<&[u8]>) -> Result<Vec<String>, AclError> {
        let Some(c) = category else {
            return Ok(CommandIndex::category_names().map(str::to_string).collect());
        };
        let name = String::from_utf8_lossy(c);
        CommandIndex::global().category_commands(&name).map(|v| v.into_iter().map(str::to_string).collect()).ok_or_else(
            || AclError::new(format!("ERR Unknown category '{}'", name.chars().take(128).collect::<String>())),
        )
    }

    /// ACL DRYRUN user command [args...]: `Ok(Ok(()))` for "OK", `Ok(Err(denial))` for the
    /// denial's [`Denial::dryrun_message`], `Err` for an error reply.
    pub fn dryrun(&self, username: &[u8], args: &[Bytes]) -> Result<Result<(), Denial>, AclError> {
        let user = self
            .get(username)
            .ok_or_else(|| AclError::new(format!("ERR User '{}' not found", String::from_utf8_lossy(username))))?;
        let not_found = || AclError::new(format!("ERR Command '{}' not found", String::from_utf8_lossy(&args[0])));
        let top = args.first().and_then(|a| table::lookup(a)).ok_or_else(not_found)?;
        let (spec, container) = if !top.subcommands.is_empty() && args.len() >= 2 {
            (table::lookup_sub(top, &args[1]).ok_or_else(not_found)?, Some(top))
        } else {
            (top, None)
        };
        if !spec.arity_ok(args.len()) {
            let full = match container {
                Some(c) => format!("{}|{}", c.name, spec.name),
                None => spec.name.to_string(),
            };
            return Err(AclError::new(format!("ERR wrong number of arguments for '{full}' command")));
        }
        Ok(user.check(spec, container, args))
    }

    /// The configured aclfile, if any.
    pub fn aclfile(&self) -> Option<PathBuf> {
        self.read().aclfile.clone()
    }

    fn no_aclfile() -> AclError {
        AclError::new(
            "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL \
             SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in \
             order to store users in the Redis configuration.",
        )
    }

    /// ACL LOAD from the configured aclfile.
    pub fn acl_load(&self) -> Result<(), AclError> {
        let path = self.aclfile().ok_or_else(Self::no_aclfile)?;
        check_private_file(&path, "aclfile").map_err(|e| AclError::new(format!("ERR {e}")))?;
        self.load_file(&path)
    }

    /// ACL SAVE to the configured aclfile.
    pub fn acl_save(&self) -> Result<(), AclError> {
        let path = self.aclfile().ok_or_else(Self::no_aclfile)?;
        self.save_file(&path).map_err(|_| {
            AclError::new(
                "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
            )
        })
    }

    /// Replaces every user by the file's (Redis's `ACLLoadFromFile`): all or nothing. The
    /// `default` user keeps its handles (a missing `default` line gives the secure default);
    /// every other previous user is deleted.
    pub fn load_file(&self, path: &Path) -> Result<(), AclError> {
        let text = read_limited(path)
            .map_err(|e| AclError::new(format!("ERR Error loading ACLs, opening file '{}': {e}", path.display())))?;
        let pubsub_all = self.read().pubsub_all;
        let mut parsed = parse_acl_text(&text, &path.display().to_string(), pubsub_all)
            .map_err(|e| AclError::new(format!("ERR {e}")))?;
        let mut reg = self.write();
        let default = parsed
            .remove("default")
            .unwrap_or_else(|| secure_default_user(reg.requirepass_hash.as_deref(), reg.pubsub_all));
        let old = std::mem::take(&mut reg.users);
        for (name, slot) in old {
            if name == "default" {
                slot.replace(default.clone());
                reg.users.insert(name, slot);
            } else {
                slot.deleted.store(true, Ordering::Release);
            }
        }
        for (name, u) in parsed {
            reg.users.insert(name, Slot::new(u));
        }
        Ok(())
    }

    /// The ACL file's text: one `user` line per user.
    pub fn acl_text(&self) -> String {
        let mut s = String::new();
        for line in self.list() {
            s.push_str(&line);
            s.push('\n');
        }
        s
    }

    /// Writes every user to `path` (mode 0600, through a temporary file and a rename).
    pub fn save_file(&self, path: &Path) -> io::Result<()> {
        let text = self.acl_text();
        let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis();
        let tmp = PathBuf::from(format!("{}.tmp-{}-{}", path.display(), std::process::id(), millis));
        let result = (|| {
            let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// The `aclfile` of a configuration, if any. A relative path is relative to `dir` when `dir`
/// is set, as in Redis (which changes into `dir` before it loads the aclfile; Redoubt does not
/// change its working directory, so it joins them); with Redoubt's default `dir`
/// (`redoubt-data`) it is relative to the working directory, where Redis's default `dir` (the
/// working directory) would have found it.
pub fn aclfile_path(cfg: &Config) -> Option<PathBuf> {
    let file = PathBuf::from(cfg.value("aclfile").filter(|s| !s.is_empty())?);
    if file.is_absolute() || cfg.dir == Path::new("redoubt-data") {
        return Some(file);
    }
    Some(cfg.dir.join(file))
}

/// Largest ACL file read, bytes.
pub const MAX_ACL_FILE_BYTES: u64 = 16 << 20;

fn read_limited(path: &Path) -> io::Result<String> {
    let meta = fs::metadata(path)?;
    if meta.len() > MAX_ACL_FILE_BYTES {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "file too large"));
    }
    let bytes = fs::read(path)?;
    String::from_utf8(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

/// Refuses a file holding secrets that group or others may read or write, naming the fix.
pub fn check_private_file(path: &Path, what: &str) -> Result<(), String> {
    let meta = fs::metadata(path).map_err(|e| format!("{what} {}: {e}", path.display()))?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{what} {} has mode {mode:04o}, open to group or others; fix it with: chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

/// Parses an ACL file as Redis's `ACLLoadFromFile` does: `user <name> <rules...>` lines,
/// blank lines allowed, anything else an error; all errors are collected into one message.
pub fn parse_acl_text(text: &str, filename: &str, pubsub_all: bool) -> Result<BTreeMap<String, AclUser>, String> {
    let mut users = BTreeMap::new();
    let mut errors = String::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        let n = i + 1;
        if line.is_empty() {
            continue;
        }
        let argv: Vec<&str> = line.split(' ').collect();
        if argv[0] != "user" || argv.len() < 2 {
            errors.push_str(&format!("{filename}:{n} should start with user keyword followed by the username. "));
            continue;
        }
        let name = argv[1];
        if has_space_or_nul(name.as_bytes()) {
            errors.push_str(&format!("'{filename}:{n}: username '{name}' contains invalid characters. "));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!("WARNING: Duplicate user '{name}' found on line {n}. "));
            continue;
        }
        let mut u = match AclUser::new(name, pubsub_all) {
            Ok(u) => u,
            Err(_) => {
                errors.push_str(&format!("'{filename}:{n}: username '{name}' contains invalid characters. "));
                continue;
            }
        };
        let Ok(ops) = crate::user::merge_selector_args(&argv[2..]) else {
            errors.push_str(&format!("{filename}:{n}: Unmatched parenthesis in selector definition."));
            continue;
        };
        let mut syntax_error = false;
        for op in ops {
            let op = trim_bytes(&op);
            if let Err(e) = u.apply_rule(op) {
                if e == crate::error::RuleError::UnknownCommand {
                    errors.push_str(&format!(
                        "{filename}:{n}: Error in applying operation '{}': {e}. ",
                        String::from_utf8_lossy(op)
                    ));
                } else if !syntax_error {
                    errors.push_str(&format!("{filename}:{n}: {e}. "));
                    syntax_error = true;
                }
            }
        }
        users.insert(name.to_string(), u);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        Err(errors)
    }
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let is_trim = |c: &u8| matches!(c, b'\t' | b'\r' | b'\n');
    let start = b.iter().position(|c| !is_trim(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !is_trim(c)).map_or(start, |e| e + 1);
    &b[start..end]
}
