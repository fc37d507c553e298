//! The shape of the directive table: what a [`Directive`] is, and looking one up by name.
//!
//! The table itself is in `table.rs`: one entry per directive, the single list that loading,
//! CONFIG GET/SET, the warnings and docs/configuration.md all read.

use crate::fields::Field;
use crate::value::Value;

/// Bounds of C types that Redis's table uses.
pub(crate) const INT_MAX: i128 = i32::MAX as i128;
pub(crate) const INT_MIN: i128 = i32::MIN as i128;
pub(crate) const UINT_MAX: i128 = u32::MAX as i128;
pub(crate) const LONG_MAX: i128 = i64::MAX as i128;
pub(crate) const ULLONG_MAX: i128 = u64::MAX as i128;

/// How a numeric directive's text is read and rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A plain integer (`string2ll`: no sign but `-`, no leading zeros).
    Plain,
    /// Bytes with an optional unit: `b`, `k`, `kb`, `m`, `mb`, `g`, `gb` (k = 1000, kb = 1024).
    Memory,
    /// Bytes, or `N%` (stored negative, as Redis does).
    MemoryOrPercent,
    /// Octal digits, rendered in octal (`unixsocketperm 700`).
    Octal,
}

/// What kind of value a directive takes, and so how it is parsed and rendered.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// `yes` or `no`.
    Bool,
    /// An integer between `min` and `max` inclusive.
    Int { min: i128, max: i128, unit: Unit },
    /// Free text (an empty string means "unset" where that matters).
    Str,
    /// One name out of a list; the numbers are Redis's values (aliases share one).
    Enum(&'static [(&'static str, u32)]),
    /// Several names out of a list, or-ed together (`shutdown-on-sigint save now`).
    Flags(&'static [(&'static str, u32)]),
    /// `save <seconds> <changes> ...`.
    Save,
    /// `bind <addr> ...`.
    Bind,
    /// `client-output-buffer-limit <class> <hard> <soft> <seconds> ...`.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values <primary> <replica> <child>`.
    OomScoreAdjValues,
    /// `notify-keyspace-events <classes>`.
    NotifyKeyspaceEvents,
    /// `replicaof <host> <port>` or `replicaof no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles <p> ...`.
    Percentiles,
    /// Redoubt: a file whose first line is the secret of the named directive.
    SecretFile(&'static str),
    /// Redoubt: `allow-from <network> ...`, IPv4/IPv6 networks in CIDR notation (or single
    /// addresses), separated by blanks or commas; lines add up.
    AllowFrom,
    /// Redoubt: `replica-allowed-primaries <host>:<port> ...`, primaries REPLICAOF may name
    /// at run time (`*` as the port matches any port).
    Primaries,
    /// `include <path>`: read another file here.
    Include,
    /// `rename-command <name> <new-name>`.
    RenameCommand,
    /// `user <name> <rules...>`: an ACL user.
    User,
    /// `loadmodule <path> [args]`.
    LoadModule,
    /// `sentinel ...`: only in sentinel mode.
    Sentinel,
    /// A directive Redis removed but still accepts with one argument.
    Removed,
}

impl Kind {
    /// Whether the directive takes several words (Redis's MULTI_ARG_CONFIG).
    pub(crate) fn is_multi(self) -> bool {
        matches!(
            self,
            Kind::Flags(_)
                | Kind::Save
                | Kind::Bind
                | Kind::ClientOutputBufferLimit
                | Kind::OomScoreAdjValues
                | Kind::ReplicaOf
                | Kind::Percentiles
                | Kind::AllowFrom
                | Kind::Primaries
        )
    }

    /// Whether the directive holds a value that CONFIG GET shows.
    pub(crate) fn has_value(self) -> bool {
        !matches!(
            self,
            Kind::Include | Kind::RenameCommand | Kind::User | Kind::LoadModule | Kind::Sentinel | Kind::Removed
        )
    }
}

/// Whether CONFIG SET may change a directive while the server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// CONFIG SET may change it.
    Mutable,
    /// Redis itself refuses to change it at run time.
    Immutable,
    /// Redis allows changing it, Redoubt does not: a path, a listening address or a switch
    /// that an attacker with credentials could abuse (THREATS.md, T9).
    Protected,
}

/// A check beyond the kind's own rules; the error is Redis's text.
pub(crate) type Check = fn(&Value) -> Result<(), &'static str>;

/// One configuration directive: its names, value kind, default, whether it may change at run
/// time, and what Redoubt does with it.
#[derive(Clone, Copy, Debug)]
pub struct Directive {
    pub(crate) name: &'static str,
    pub(crate) aliases: &'static [&'static str],
    pub(crate) kind: Kind,
    pub(crate) default: &'static str,
    pub(crate) runtime: Runtime,
    pub(crate) field: Option<Field>,
    pub(crate) inert: Option<&'static str>,
    pub(crate) secret: bool,
    pub(crate) hidden: bool,
    pub(crate) check: Option<Check>,
    pub(crate) doc: &'static str,
}

/// A table entry with the usual settings: mutable, stored, not secret, not hidden.
pub(crate) const fn d(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> Directive {
    Directive {
        name,
        aliases: &[],
        kind,
        default,
        runtime: Runtime::Mutable,
        field: None,
        inert: None,
        secret: false,
        hidden: false,
        check: None,
        doc,
    }
}

impl Directive {
    pub(crate) const fn alias(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
    pub(crate) const fn imm(mut self) -> Self {
        self.runtime = Runtime::Immutable;
        self
    }
    pub(crate) const fn prot(mut self) -> Self {
        self.runtime = Runtime::Protected;
        self
    }
    pub(crate) const fn field(mut self, field: Field) -> Self {
        self.field = Some(field);
        self
    }
    pub(crate) const fn inert(mut self, why: &'static str) -> Self {
        self.inert = Some(why);
        self
    }
    pub(crate) const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
    pub(crate) const fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }
    pub(crate) const fn check(mut self, check: Check) -> Self {
        self.check = Some(check);
        self
    }

    /// The directive's name, lowercase, as CONFIG GET shows it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Other names accepted for it (`slaveof` for `replicaof`...).
    pub fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }

    /// The default, in config-file syntax (`""` when empty).
    pub fn default_value(&self) -> &'static str {
        self.default
    }

    /// Whether CONFIG SET may change it at run time.
    pub fn runtime(&self) -> Runtime {
        self.runtime
    }

    /// For a directive Redoubt accepts but ignores, why it has no effect.
    pub fn inert_reason(&self) -> Option<&'static str> {
        self.inert
    }

    /// Whether its value is a secret: refused on the command line, redacted in CONFIG GET.
    pub fn is_secret(&self) -> bool {
        self.secret
    }

    /// Whether the server reads it through a typed field of [`crate::Config`] (as opposed to
    /// keeping it as a stored value for CONFIG GET/SET until the feature lands).
    pub fn is_typed(&self) -> bool {
        self.field.is_some()
    }

    /// Whether it holds a value shown by CONFIG GET (`include`, `rename-command`, `user`... do
    /// not).
    pub fn has_value(&self) -> bool {
        self.kind.has_value()
    }

    /// One line on what it means.
    pub fn doc(&self) -> &'static str {
        self.doc
    }

    /// Whether `name` (lowercase) is this directive's name or one of its aliases.
    pub(crate) fn is_named(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }
}

/// Every directive Redoubt knows, in table order.
pub fn directives() -> &'static [Directive] {
    crate::table::DIRECTIVES
}

/// The table index of the directive called `name` (or with that alias), ignoring case.
pub(crate) fn lookup(name: &str) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    directives().iter().position(|d| d.is_named(&lower))
}

/// The table index of a directive known to exist (internal names only).
pub(crate) fn index_of(name: &str) -> usize {
    lookup(name).unwrap_or_else(|| unreachable!("directive {name} is in the table"))
}
