//! Small types of [`crate::Config`]'s typed fields.

use std::fmt;
use std::path::PathBuf;

/// `loglevel`: how much the server logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Everything, for development.
    Debug = 0,
    /// Much rarely useful information.
    Verbose = 1,
    /// Moderately verbose, for production (the default).
    Notice = 2,
    /// Only important or critical messages.
    Warning = 3,
}

impl LogLevel {
    /// The name used in the config file and CONFIG GET.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Verbose => "verbose",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
        }
    }

    /// From the number the table gives it (see `table::LOGLEVELS`).
    pub(crate) fn from_index(v: u32) -> Self {
        match v {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            3 => LogLevel::Warning,
            _ => LogLevel::Notice,
        }
    }
}

/// `maxmemory-policy`: what to evict when `maxmemory` is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MaxmemoryPolicy {
    /// Least recently used among keys with an expiry.
    VolatileLru = 0,
    /// Least frequently used among keys with an expiry.
    VolatileLfu = 1,
    /// Random keys with an expiry.
    VolatileRandom = 2,
    /// Keys with the nearest expiry.
    VolatileTtl = 3,
    /// Least recently used among all keys.
    AllkeysLru = 4,
    /// Least frequently used among all keys.
    AllkeysLfu = 5,
    /// Random keys.
    AllkeysRandom = 6,
    /// Evict nothing: refuse writes that need memory (the default).
    Noeviction = 7,
}

impl MaxmemoryPolicy {
    /// The name used in the config file and CONFIG GET.
    pub fn as_str(self) -> &'static str {
        match self {
            MaxmemoryPolicy::VolatileLru => "volatile-lru",
            MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
            MaxmemoryPolicy::VolatileRandom => "volatile-random",
            MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
            MaxmemoryPolicy::AllkeysLru => "allkeys-lru",
            MaxmemoryPolicy::AllkeysLfu => "allkeys-lfu",
            MaxmemoryPolicy::AllkeysRandom => "allkeys-random",
            MaxmemoryPolicy::Noeviction => "noeviction",
        }
    }

    /// From the number the table gives it (see `table::POLICIES`).
    pub(crate) fn from_index(v: u32) -> Self {
        match v {
            0 => MaxmemoryPolicy::VolatileLru,
            1 => MaxmemoryPolicy::VolatileLfu,
            2 => MaxmemoryPolicy::VolatileRandom,
            3 => MaxmemoryPolicy::VolatileTtl,
            4 => MaxmemoryPolicy::AllkeysLru,
            5 => MaxmemoryPolicy::AllkeysLfu,
            6 => MaxmemoryPolicy::AllkeysRandom,
            _ => MaxmemoryPolicy::Noeviction,
        }
    }
}

/// A secret (a password): its `Debug` shows `(redacted)`, so it cannot reach a log by
/// accident. Read it with [`Secret::expose`], and compare it in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    /// The secret itself. Never log it or send it to a client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret((redacted))")
    }
}

/// A `user <name> <rules...>` line of a config file, for the ACL layer to apply at start.
/// Its rules may hold passwords (`>secret`), so `Debug` shows only the name.
#[derive(Clone, PartialEq, Eq)]
pub struct UserDirective {
    /// The user's name.
    pub name: String,
    /// The ACL rules, in Redis ACL syntax (`on`, `>password`, `~keys*`, `+@read`...).
    pub rules: Vec<String>,
}

impl fmt::Debug for UserDirective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserDirective({:?}, {} rules)", self.name, self.rules.len())
    }
}

/// A config file that was read (the main file or an included one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Its canonical (absolute) path.
    pub path: PathBuf,
    /// Whether it holds a secret (`requirepass`, `masterauth`, a `user` line, a TLS key
    /// passphrase): the server refuses to start when such a file is readable by group or
    /// others.
    pub holds_secrets: bool,
}
