//! [`Config`]: the typed fields the server reads, the stored values of everything else, and
//! CONFIG GET/SET over both.

use std::collections::HashSet;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::directives::{directives, index_of, lookup, Directive, Kind, Runtime};
use crate::error::ConfigError;
use crate::fields::{self, Field};
use crate::glob::{is_pattern, string_match};
use crate::parse::split_args;
use crate::types::{LogLevel, MaxmemoryPolicy, Secret, SourceFile, UserDirective};
use crate::value::{parse, render, Value};

/// The environment variable that sets `requirepass` (see [`Config::apply_env`]).
pub const ENV_PASSWORD: &str = "REDOUBT_PASSWORD";
/// The environment variable that sets `masterauth` (see [`Config::apply_env`]).
pub const ENV_MASTERAUTH: &str = "REDOUBT_MASTERAUTH";

/// What CONFIG GET shows instead of a secret that is set.
pub const REDACTED: &str = "(redacted)";

/// The server's configuration: secure defaults, then a redis.conf-syntax file, then
/// `--directive value` flags, then the environment.
///
/// The `pub` fields are the directives the server acts on; CONFIG GET reads and CONFIG SET
/// writes them directly, so they always agree with what clients see. Change them through
/// [`Config::set`] (which validates) rather than by assignment. Every other directive Redis
/// 7.0 knows is kept as a stored value, so CONFIG GET/SET work on it; [`Config::value`] reads one.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// `bind`: addresses to listen on, as written; a leading `-` means "skip it if it is
    /// unavailable" (see [`Config::bind_addrs`]). Default `["127.0.0.1", "-::1"]`.
    pub bind: Vec<String>,
    /// `port`: TCP port; 0 = no TCP listener. Default 6379.
    pub port: u16,
    /// `unixsocket`: path of the unix socket, if any. Default none.
    pub unixsocket: Option<PathBuf>,
    /// `unixsocketperm`: the socket's mode (written in octal); `None` (0 in the file) means
    /// "not configured": the server applies its owner-only default.
    pub unixsocketperm: Option<u32>,
    /// `maxclients`: most clients connected at once. Default 10000.
    pub maxclients: u32,
    /// `timeout`: seconds a client may stay idle; 0 = forever. Default 0.
    pub timeout: u64,
    /// `tcp-keepalive`: TCP keepalive interval in seconds; 0 = off. Default 300.
    pub tcp_keepalive: u64,
    /// `tcp-backlog`: listen backlog. Default 511.
    pub tcp_backlog: u32,
    /// `databases`: number of databases. Default 16.
    pub databases: usize,
    /// `hz`: background task frequency, clamped to 1..=500. Default 10.
    pub hz: u32,
    /// `proto-max-bulk-len`: largest bulk string a client may send, bytes. Default 512 MiB.
    pub proto_max_bulk_len: usize,
    /// `client-query-buffer-limit`: largest query buffer of a client, bytes. Default 1 GiB.
    pub client_query_buffer_limit: usize,
    /// `loglevel`. Default notice.
    pub loglevel: LogLevel,
    /// `logfile`: `None` = standard output (the default).
    pub logfile: Option<PathBuf>,
    /// `dir`: the data directory, as written; relative paths are relative to the working
    /// directory at start. Default `redoubt-data` (Redis: the working directory), which the
    /// server creates 0700 at start.
    pub dir: PathBuf,
    /// `dbfilename`: snapshot file name inside `dir` (never a path). Default `dump.rdb`.
    pub dbfilename: String,
    /// `requirepass`: password of the default user, if any.
    pub requirepass: Option<Secret>,
    /// `requirepass-file`: the file `requirepass` was read from, if it was, for the server's
    /// permission check.
    pub requirepass_file: Option<PathBuf>,
    /// `masterauth`: password for the primary, if any.
    pub masterauth: Option<Secret>,
    /// `masterauth-file`: the file `masterauth` was read from, if it was.
    pub masterauth_file: Option<PathBuf>,
    /// `protected-mode`. Default true.
    pub protected_mode: bool,
    /// `maxmemory`: bytes; 0 = no limit (the default).
    pub maxmemory: u64,
    /// `maxmemory-policy`. Default noeviction.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `rename-command` lines in order: (command, new name); an empty new name hides the
    /// command. The server applies them to its command table at start.
    pub renamed_commands: Vec<(String, String)>,
    /// `user` lines in order, for the ACL layer.
    pub users: Vec<UserDirective>,
    /// `allow-from`: the networks whose TCP clients may connect, as written (one per entry,
    /// already checked); empty = no allowlist, every source may connect. The server builds
    /// `redoubt_security::SourceAllowlist::parse(&cfg.allow_from)` from it.
    pub allow_from: Vec<String>,
    /// `audit-log`: the JSON-lines audit log, if any.
    pub audit_log: Option<PathBuf>,
    /// `seal-key-file`: the key of sealed (encrypted, authenticated) snapshots, if any;
    /// relative paths are relative to the working directory at start.
    pub seal_key_file: Option<PathBuf>,
    /// `insecure-no-auth`: start on a non-loopback address with no authentication (labs).
    /// Default false.
    pub insecure_no_auth: bool,
    /// `unauthenticated-timeout`: seconds a connection has to authenticate; 0 = no
    /// deadline. Default 10.
    pub unauthenticated_timeout: u64,
    /// `maxclients-per-source`: most not-yet-authenticated connections from one source
    /// (IPv4 address or IPv6 /64); 0 = no cap. Default 64.
    pub maxclients_per_source: u32,
    /// `auth-free-failures`: failed AUTHs of a source answered without delay. Default 3.
    pub auth_free_failures: u32,
    /// `auth-backoff-base-ms`: first throttled delay, ms (doubling). Default 250.
    pub auth_backoff_base_ms: u64,
    /// `auth-backoff-max-ms`: longest throttled delay, ms. Default 30000.
    pub auth_backoff_max_ms: u64,
    /// `auth-lockout-failures`: failures that lock a source out. Default 10.
    pub auth_lockout_failures: u32,
    /// `auth-lockout-seconds`: first lockout, seconds (doubling). Default 300.
    pub auth_lockout_seconds: u64,
    /// `auth-lockout-max-seconds`: longest lockout, seconds. Default 3600.
    pub auth_lockout_max_seconds: u64,
    /// The main config file (canonical path), if one was read.
    pub config_file: Option<PathBuf>,
    /// Every config file read (the main one and includes), in order.
    pub files: Vec<SourceFile>,
    pub(crate) warnings: Vec<String>,
    pub(crate) stored: Stored,
}

/// Values of directives without a typed field, indexed like the table.
#[derive(Clone, PartialEq)]
pub(crate) struct Stored(pub(crate) Vec<Value>);

impl fmt::Debug for Stored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (d, v) in directives().iter().zip(&self.0) {
            if *v == Value::None {
                continue;
            }
            let shown = match v {
                Value::Str(s) if d.secret && !s.is_empty() => REDACTED.to_string(),
                v => render(d, v),
            };
            map.entry(&d.name, &shown);
        }
        map.finish()
    }
}

impl Default for Config {
    /// The embedded secure defaults: the table's defaults, with no file, flag or environment.
    fn default() -> Config {
        let table = directives();
        let mut cfg = Config {
            bind: Vec::new(),
            port: 0,
            unixsocket: None,
            unixsocketperm: None,
            maxclients: 0,
            timeout: 0,
            tcp_keepalive: 0,
            tcp_backlog: 0,
            databases: 0,
            hz: 0,
            proto_max_bulk_len: 0,
            client_query_buffer_limit: 0,
            loglevel: LogLevel::Notice,
            logfile: None,
            dir: PathBuf::new(),
            dbfilename: String::new(),
            requirepass: None,
            requirepass_file: None,
            masterauth: None,
            masterauth_file: None,
            protected_mode: true,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::Noeviction,
            renamed_commands: Vec::new(),
            users: Vec::new(),
            allow_from: Vec::new(),
            audit_log: None,
            seal_key_file: None,
            insecure_no_auth: false,
            unauthenticated_timeout: 0,
            maxclients_per_source: 0,
            auth_free_failures: 0,
            auth_backoff_base_ms: 0,
            auth_backoff_max_ms: 0,
            auth_lockout_failures: 0,
            auth_lockout_seconds: 0,
            auth_lockout_max_seconds: 0,
            config_file: None,
            files: Vec::new(),
            warnings: Vec::new(),
            stored: Stored(vec![Value::None; table.len()]),
        };
        for (i, d) in table.iter().enumerate().filter(|(_, d)| d.has_value()) {
            let value =
                default_value(d).unwrap_or_else(|e| panic!("the table's default of '{}' is invalid: {e}", d.name));
            cfg.store(i, value);
        }
        cfg
    }
}

/// Parses a table entry's default, exactly as `<name> "<default>"` in a file would be.
pub(crate) fn default_value(d: &Directive) -> Result<Value, String> {
    let words = file_words(d, &[d.default.to_string()]).map_err(|e| e.describe().to_string())?;
    parse(d, &words, &Value::None)
}

/// The value words of a directive met in a file: a multi-word directive given one non-empty
/// word is split again (`save "900 1 300 10"`), as Redis does.
pub(crate) fn file_words(d: &Directive, args: &[String]) -> Result<Vec<String>, crate::parse::SplitError> {
    match args {
        [one] if d.kind.is_multi() && !one.is_empty() => split_args(one),
        _ => Ok(args.to_vec()),
    }
}

fn set_failed(name: &str, why: &str) -> ConfigError {
    ConfigError::reply(Some(name), format!("CONFIG SET failed (possibly related to argument '{name}') - {why}"))
}

/// Whether `name` is a secret directive: refused on the command line, redacted by CONFIG
/// GET, and to be redacted from SLOWLOG and MONITOR when a client sets it.
pub fn is_secret(name: &str) -> bool {
    lookup(name).is_some_and(|i| directives()[i].secret)
}

impl Config {
    /// The current value of table entry `i`.
    pub(crate) fn value_at(&self, i: usize) -> Value {
        match directives()[i].field {
            Some(f) => fields::read(self, f),
            None => self.stored.0.get(i).cloned().unwrap_or(Value::None),
        }
    }

    /// Replaces the value of table entry `i` with a validated value.
    pub(crate) fn store(&mut self, i: usize, value: Value) {
        match directives()[i].field {
            Some(f) => fields::write(self, f, value),
            None => {
                if let Some(slot) = self.stored.0.get_mut(i) {
                    *slot = value;
                }
            }
        }
    }

    /// Table entry `i` as CONFIG GET shows it: secrets redacted, `dir` absolute.
    fn shown_at(&self, i: usize) -> String {
        let d = &directives()[i];
        let value = self.value_at(i);
        if d.secret && value != Value::Str(String::new()) {
            return REDACTED.to_string();
        }
        if d.field == Some(Field::Dir) {
            return absolute(&self.dir).to_string_lossy().into_owned();
        }
        render(d, &value)
    }

    /// Warnings met while loading, one line each: inert directives
    /// (`<file>:<line>: 'always-show-logo' has no effect in Redoubt: <why>`) and environment
    /// overrides. The server logs them at start.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// CONFIG GET with one pattern: `(name, value)` for every parameter whose name matches
    /// the glob (case-insensitive), in table order. A name without glob characters is looked
    /// up exactly and returned as the client spelled it, as Redis does. Memory values are
    /// plain bytes, booleans `yes`/`no`, enums lowercase; secrets show as `(redacted)`.
    pub fn get(&self, pattern: &str) -> Vec<(String, String)> {
        self.get_many(&[pattern])
    }

    /// CONFIG GET with several patterns (Redis 7): the union, each parameter once.
    pub fn get_many<S: AsRef<str>>(&self, patterns: &[S]) -> Vec<(String, String)> {
        let table = directives();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for pattern in patterns.iter().map(AsRef::as_ref) {
            if !is_pattern(pattern) {
                if let Some(i) = lookup(pattern).filter(|&i| table[i].has_value()) {
                    if seen.insert(pattern.to_ascii_lowercase()) {
                        out.push((pattern.to_string(), self.shown_at(i)));
                    }
                }
                continue;
            }
            for (i, d) in table.iter().enumerate() {
                if !d.has_value() || d.hidden {
                    continue;
                }
                for name in std::iter::once(&d.name).chain(d.aliases) {
                    if string_match(pattern, name, true) && seen.insert(name.to_string()) {
                        out.push((name.to_string(), self.shown_at(i)));
                    }
                }
            }
        }
        out
    }

    /// The value of one directive (by name or alias) in CONFIG GET's rendering, but with
    /// secrets NOT redacted and `dir` as written (not made absolute): for the server's own
    /// use (e.g. `tls-port`, `tls-key-file-pass`, `aclfile`), never for a client. `None` for
    /// an unknown name or a directive without a value.
    pub fn value(&self, name: &str) -> Option<String> {
        let i = lookup(name).filter(|&i| directives()[i].has_value())?;
        Some(render(&directives()[i], &self.value_at(i)))
    }

    /// `notify-keyspace-events` as class bits (Redis's `NOTIFY_*` values: `K` is bit 0, `E`
    /// bit 1, `g` bit 2 ... `n` bit 14), exactly as set. Its rendering drops `n` next to `A`,
    /// as Redis 7.0's does, so it cannot be parsed back.
    pub fn notify_keyspace_events(&self) -> u32 {
        match lookup("notify-keyspace-events").map(|i| self.value_at(i)) {
            Some(Value::Notify(flags)) => flags,
            _ => 0,
        }
    }

    /// CONFIG SET of one parameter. Errors carry Redis 7.0's reply text, e.g.
    /// `ERR Unknown option or number of arguments for CONFIG SET - 'foo'` or
    /// `ERR CONFIG SET failed (possibly related to argument 'dir') - can't set immutable
    /// config` (Redoubt also refuses its protected directives with that text).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        self.set_many(&[(name.to_string(), value.to_string())])
    }

    /// CONFIG SET of several parameters, atomically: all change or none does. As in Redis,
    /// the first unknown, immutable or repeated name is reported before any value is read;
    /// then the first value that does not parse.
    pub fn set_many(&mut self, pairs: &[(String, String)]) -> Result<(), ConfigError> {
        let table = directives();
        let mut targets = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let found = lookup(name).filter(|&i| table[i].has_value() || matches!(table[i].kind, Kind::Include));
            let Some(i) = found else {
                return Err(ConfigError::reply(
                    None,
                    format!("Unknown option or number of arguments for CONFIG SET - '{name}'"),
                ));
            };
            let d = &table[i];
            if d.runtime != Runtime::Mutable || !d.has_value() {
                return Err(set_failed(name, "can't set immutable config"));
            }
            if targets.contains(&i) {
                return Err(set_failed(name, "duplicate parameter"));
            }
            targets.push(i);
        }
        let mut next = self.clone();
        for ((name, value), &i) in pairs.iter().zip(&targets) {
            let d = &table[i];
            let words: Vec<String> = if !d.kind.is_multi() {
                vec![value.clone()]
            } else if value.is_empty() {
                Vec::new()
            } else {
                value.split(' ').map(str::to_string).collect()
            };
            let parsed =
                parse(d, &words, &next.value_at(i)).map_err(|why| set_failed(&name.to_ascii_lowercase(), &why))?;
            next.store(i, parsed);
        }
        *self = next;
        Ok(())
    }

    /// Every name CONFIG GET and CONFIG SET accept (names and aliases), in table order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        directives()
            .iter()
            .filter(|d| d.has_value())
            .flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied()))
    }

    /// The `bind` addresses as `(address, optional)`: an address written with a leading `-`
    /// is optional (skipped if unavailable), and is given here without the `-`.
    pub fn bind_addrs(&self) -> impl Iterator<Item = (&str, bool)> + '_ {
        self.bind.iter().map(|a| match a.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (a.as_str(), false),
        })
    }

    /// Applies the environment: `REDOUBT_PASSWORD` sets `requirepass` and
    /// `REDOUBT_MASTERAUTH` sets `masterauth`, overriding the file (with a warning when they
    /// replace a value). An empty variable is ignored with a warning. `env` is
    /// `|k| std::env::var(k).ok()` in the server, a map in tests.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        for (var, name) in [(ENV_PASSWORD, "requirepass"), (ENV_MASTERAUTH, "masterauth")] {
            let Some(secret) = env(var) else { continue };
            if secret.is_empty() {
                self.warnings.push(format!("environment: {var} is set but empty; ignored"));
                continue;
            }
            let i = index_of(name);
            if self.value_at(i) != Value::Str(String::new()) {
                self.warnings.push(format!("environment: {var} overrides the '{name}' of the configuration"));
            }
            self.store(i, Value::Str(secret));
        }
    }

    /// One line for the start log: where the server listens, the unix socket, whether
    /// authentication is required, protected mode, and the allowlist and `insecure-no-auth`
    /// when set. Never shows a secret.
    pub fn describe_posture(&self) -> String {
        let tcp = if self.port == 0 {
            "TCP off".to_string()
        } else {
            let addrs: Vec<String> = self
                .bind_addrs()
                .map(|(addr, optional)| {
                    let host = if addr.contains(':') { format!("[{addr}]") } else { addr.into() };
                    let note = if optional { " (if available)" } else { "" };
                    format!("{host}:{}{note}", self.port)
                })
                .collect();
            format!("TCP {}", addrs.join(", "))
        };
        let tls = match self.value("tls-port").as_deref() {
            None | Some("0") => "TLS off".to_string(),
            Some(port) => format!("TLS port {port}"),
        };
        let unix = match (&self.unixsocket, self.unixsocketperm) {
            (None, _) => "unix socket off".to_string(),
            (Some(p), Some(perm)) => format!("unix socket {} (mode {perm:o})", p.display()),
            (Some(p), None) => format!("unix socket {} (owner-only)", p.display()),
        };
        let auth = match (&self.requirepass, self.users.len()) {
            (Some(_), 0) => "auth required (password)".to_string(),
            (Some(_), n) => format!("auth required (password, {n} ACL users)"),
            (None, 0) => "auth none".to_string(),
            (None, n) => format!("auth by {n} ACL users"),
        };
        let protected = if self.protected_mode { "on" } else { "off" };
        let mut line = format!("listening: {tcp}; {tls}; {unix}; {auth}; protected mode {protected}");
        match self.allow_from.len() {
            0 => {}
            1 => line.push_str("; allow-from 1 network"),
            n => line.push_str(&format!("; allow-from {n} networks")),
        }
        if self.insecure_no_auth {
            line.push_str("; insecure-no-auth");
        }
        line
    }
}

/// `path` made absolute against the working directory, without `.` components, as Redis
/// shows `dir` (it `chdir`s there and reports `getcwd`).
fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(path),
            Err(_) => return path.to_path_buf(),
        }
    };
    joined.components().filter(|c| *c != Component::CurDir).collect()
}
