//! What the command table says about a command: arity, flags, ACL categories, where its keys
//! are, and its one-line documentation. Values follow Redis 7's command metadata so that
//! COMMAND INFO and COMMAND DOCS answer what clients expect.

use crate::context::Handler;
use bytes::Bytes;

macro_rules! bitset {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $flag:ident = $bit:expr, $text:expr;)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
        pub struct $name(pub u32);
        impl $name {
            /// No flag set.
            pub const NONE: $name = $name(0);
            $($(#[$fmeta])* pub const $flag: $name = $name(1 << $bit);)*
            /// Every flag with the name Redis gives it, in Redis's order.
            pub const NAMES: &'static [($name, &'static str)] = &[$(($name::$flag, $text)),*];
            /// Whether every flag of `other` is set.
            pub const fn contains(self, other: $name) -> bool { self.0 & other.0 == other.0 }
            /// Both sets together.
            pub const fn union(self, other: $name) -> $name { $name(self.0 | other.0) }
            /// Names of the flags set, in Redis's order.
            pub fn names(self) -> impl Iterator<Item = &'static str> {
                Self::NAMES.iter().filter(move |(f, _)| self.contains(*f)).map(|(_, n)| *n)
            }
        }
        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name { self.union(rhs) }
        }
    };
}

bitset! {
    /// Command flags, as Redis's `CMD_*` flags (COMMAND INFO shows them lowercase).
    CmdFlags {
        /// May modify the keyspace.
        WRITE = 0, "write";
        /// Only reads.
        READONLY = 1, "readonly";
        /// May grow memory: refused when over maxmemory.
        DENYOOM = 2, "denyoom";
        /// Administrative.
        ADMIN = 4, "admin";
        /// Pub/Sub related.
        PUBSUB = 5, "pubsub";
        /// Not allowed from scripts.
        NOSCRIPT = 6, "noscript";
        /// May block the client.
        BLOCKING = 8, "blocking";
        /// Allowed while loading the dataset.
        LOADING = 9, "loading";
        /// Allowed on a stale replica.
        STALE = 10, "stale";
        /// Not shown in MONITOR.
        SKIP_MONITOR = 11, "skip_monitor";
        /// Not logged in SLOWLOG.
        SKIP_SLOWLOG = 12, "skip_slowlog";
        /// O(1) or O(log N).
        FAST = 14, "fast";
        /// Runs before authentication.
        NO_AUTH = 15, "no_auth";
        /// May replicate even when read-only.
        MAY_REPLICATE = 16, "may_replicate";
        /// Available in sentinel mode.
        SENTINEL = 17, "sentinel";
        /// Only in sentinel mode.
        ONLY_SENTINEL = 18, "only_sentinel";
        /// Key arguments may be absent.
        NO_MANDATORY_KEYS = 19, "no_mandatory_keys";
        /// Protected by an enable-*-command setting.
        PROTECTED = 20, "protected";
        /// Not allowed in MULTI.
        NO_MULTI = 24, "no_multi";
        /// Key positions depend on the arguments.
        MOVABLE_KEYS = 25, "movablekeys";
        /// Allowed while a script is busy.
        ALLOW_BUSY = 26, "allow_busy";
        /// Touches keys that are not its arguments.
        TOUCHES_ARBITRARY_KEYS = 28, "touches_arbitrary_keys";
    }
}

bitset! {
    /// ACL categories, as Redis's `@category` names.
    AclCats {
        /// @keyspace
        KEYSPACE = 0, "@keyspace";
        /// @read
        READ = 1, "@read";
        /// @write
        WRITE = 2, "@write";
        /// @set
        SET = 3, "@set";
        /// @sortedset
        SORTEDSET = 4, "@sortedset";
        /// @list
        LIST = 5, "@list";
        /// @hash
        HASH = 6, "@hash";
        /// @string
        STRING = 7, "@string";
        /// @bitmap
        BITMAP = 8, "@bitmap";
        /// @hyperloglog
        HYPERLOGLOG = 9, "@hyperloglog";
        /// @geo
        GEO = 10, "@geo";
        /// @stream
        STREAM = 11, "@stream";
        /// @pubsub
        PUBSUB = 12, "@pubsub";
        /// @admin
        ADMIN = 13, "@admin";
        /// @fast
        FAST = 14, "@fast";
        /// @slow
        SLOW = 15, "@slow";
        /// @blocking
        BLOCKING = 16, "@blocking";
        /// @dangerous
        DANGEROUS = 17, "@dangerous";
        /// @connection
        CONNECTION = 18, "@connection";
        /// @transaction
        TRANSACTION = 19, "@transaction";
        /// @scripting
        SCRIPTING = 20, "@scripting";
    }
}

bitset! {
    /// How a command uses a key (Redis 7 key-spec flags); the gate tells reads from writes by these.
    KeyFlags {
        /// Read and write.
        RW = 0, "RW";
        /// Read only.
        RO = 1, "RO";
        /// Overwrite: written without reading.
        OW = 2, "OW";
        /// Removed.
        RM = 3, "RM";
        /// The value is returned to the user.
        ACCESS = 4, "access";
        /// The value is updated.
        UPDATE = 5, "update";
        /// Data is added.
        INSERT = 6, "insert";
        /// Data is deleted.
        DELETE = 7, "delete";
        /// Not a key name (e.g. a channel).
        NOT_KEY = 8, "not_key";
        /// Might not be a key.
        INCOMPLETE = 9, "incomplete";
        /// Flags depend on the arguments.
        VARIABLE_FLAGS = 10, "variable_flags";
    }
}

/// Where the first key of a key spec is found.
#[derive(Clone, Copy, Debug)]
pub enum BeginSearch {
    /// At a fixed argument index.
    Index(i32),
    /// After a keyword, searched from `start_from` (negative: from the end).
    Keyword {
        /// The keyword, uppercase.
        keyword: &'static str,
        /// Where the search starts.
        start_from: i32,
    },
    /// Not describable (the command has its own key finder).
    Unknown,
}

/// How the keys continue after the first one.
#[derive(Clone, Copy, Debug)]
pub enum FindKeys {
    /// A range: `last` relative to the first key (-1: to the end), every `step`.
    Range {
        /// Last key offset (negative counts from the end).
        last: i32,
        /// Distance between keys.
        step: i32,
        /// With `last` -1, stop at `argc / limit`.
        limit: i32,
    },
    /// A key count argument followed by the keys.
    Keynum {
        /// Index of the count, relative to the begin position.
        keynum_index: i32,
        /// First key, relative to the begin position.
        first: i32,
        /// Distance between keys.
        step: i32,
    },
    /// Not describable.
    Unknown,
}

/// One Redis 7 key specification.
#[derive(Clone, Copy, Debug)]
pub struct KeySpec {
    /// How the keys are used.
    pub flags: KeyFlags,
    /// Where they start.
    pub begin: BeginSearch,
    /// How they continue.
    pub find: FindKeys,
}

/// The documentation COMMAND DOCS returns.
#[derive(Clone, Copy, Debug)]
pub struct CommandDoc {
    /// One line.
    pub summary: &'static str,
    /// First Redis version with the command.
    pub since: &'static str,
    /// Redis's command group.
    pub group: &'static str,
    /// Time complexity.
    pub complexity: &'static str,
}

/// One command of the table.
#[derive(Clone, Copy)]
pub struct CommandSpec {
    /// Lowercase name (for a subcommand, the subcommand's own name).
    pub name: &'static str,
    /// Redis arity: N exactly N arguments including the name, -N at least N.
    pub arity: i32,
    /// Command flags.
    pub flags: CmdFlags,
    /// Declared ACL categories; see [`CommandSpec::categories`] for the effective ones.
    pub acl: AclCats,
    /// Where the keys are.
    pub key_specs: &'static [KeySpec],
    /// The implementation; `None` for a container whose subcommands do the work.
    pub handler: Option<Handler>,
    /// Subcommands (CLIENT LIST, CONFIG GET ...).
    pub subcommands: &'static [CommandSpec],
    /// Documentation.
    pub doc: CommandDoc,
}

impl std::fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandSpec").field("name", &self.name).finish()
    }
}

impl CommandSpec {
    /// Whether `argc` arguments (the name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// Effective ACL categories: declared ones plus those Redis derives from the flags.
    pub fn categories(&self) -> AclCats {
        let mut cats = self.acl;
        if self.flags.contains(CmdFlags::WRITE) {
            cats = cats | AclCats::WRITE;
        }
        // Redis marks read-only commands @read unless they are only about the connection or server.
        if self.flags.contains(CmdFlags::READONLY) && !cats.contains(AclCats::SCRIPTING) {
            cats = cats | AclCats::READ;
        }
        if self.flags.contains(CmdFlags::ADMIN) {
            cats = cats | AclCats::ADMIN | AclCats::DANGEROUS;
        }
        if self.flags.contains(CmdFlags::PUBSUB) {
            cats = cats | AclCats::PUBSUB;
        }
        if self.flags.contains(CmdFlags::FAST) {
            cats = cats | AclCats::FAST;
        }
        if self.flags.contains(CmdFlags::BLOCKING) {
            cats = cats | AclCats::BLOCKING;
        }
        if !cats.contains(AclCats::FAST) {
            cats = cats | AclCats::SLOW;
        }
        cats
    }

    /// Effective flags: declared ones plus `movablekeys` where the key positions depend on arguments.
    pub fn effective_flags(&self) -> CmdFlags {
        let movable = self.key_specs.iter().any(|ks| {
            !matches!(ks.begin, BeginSearch::Index(_))
                || matches!(ks.find, FindKeys::Keynum { .. } | FindKeys::Unknown)
                || ks.flags.contains(KeyFlags::INCOMPLETE)
        });
        if movable {
            self.flags | CmdFlags::MOVABLE_KEYS
        } else {
            self.flags
        }
    }

    /// Redis's legacy (first, last, step) key range, derived from the key specs as Redis does.
    pub fn legacy_range(&self) -> (i32, i32, i32) {
        let mut first = 0;
        let mut last = 0;
        let mut step = 0;
        let mut prev_last = 0;
        for (i, ks) in self.key_specs.iter().enumerate() {
            let (BeginSearch::Index(pos), FindKeys::Range { last: l, step: s, .. }) = (ks.begin, ks.find) else {
                continue;
            };
            if ks.flags.contains(KeyFlags::INCOMPLETE) {
                continue;
            }
            let this_last = if l < 0 { l } else { pos + l };
            if i == 0 || first == 0 {
                first = pos;
                last = this_last;
                step = s;
                prev_last = this_last;
                continue;
            }
            // Redis merges adjacent ranges with the same step; anything else makes the range partial.
            if s == step && prev_last >= 0 && pos == prev_last + step {
                last = this_last;
                prev_last = this_last;
            }
        }
        (first, last, step)
    }

    /// The positions of the key arguments in `args` (the name is position 0), with each key's flags.
    pub fn key_positions(&self, args: &[Bytes]) -> Vec<(usize, KeyFlags)> {
        let argc = args.len() as i64;
        let mut out = Vec::new();
        for ks in self.key_specs {
            let begin = match ks.begin {
                BeginSearch::Index(pos) => pos as i64,
                BeginSearch::Keyword { keyword, start_from } => {
                    let (mut i, end, dir): (i64, i64, i64) =
                        if start_from >= 0 { (start_from as i64, argc, 1) } else { (argc + start_from as i64, 0, -1) };
                    let mut found = None;
                    while (dir > 0 && i < end) || (dir < 0 && i > end) {
                        if i >= 0
                            && (i as usize) < args.len()
                            && args[i as usize].eq_ignore_ascii_case(keyword.as_bytes())
                        {
                            found = Some(i + 1);
                            break;
                        }
                        i += dir;
                    }
                    match found {
                        Some(p) => p,
                        None => continue,
                    }
                }
                BeginSearch::Unknown => continue,
            };
            if begin <= 0 || begin >= argc {
                continue;
            }
            match ks.find {
                FindKeys::Range { last, step, limit } => {
                    let step = step.max(1) as i64;
                    let end = if last >= 0 {
                        begin + last as i64
                    } else if limit > 1 {
                        begin + (argc - begin) / limit as i64 - 1
                    } else {
                        argc + last as i64
                    };
                    let mut i = begin;
                    while i <= end.min(argc - 1) {
                        out.push((i as usize, ks.flags));
                        i += step;
                    }
                }
                FindKeys::Keynum { keynum_index, first, step } => {
                    let idx = begin + keynum_index as i64;
                    let Some(n) = args
                        .get(idx as usize)
                        .and_then(|a| std::str::from_utf8(a).ok())
                        .and_then(|s| s.parse::<i64>().ok())
                    else {
                        continue;
                    };
                    let step = step.max(1) as i64;
                    let mut i = begin + first as i64;
                    for _ in 0..n.max(0) {
                        if i >= argc {
                            break;
                        }
                        out.push((i as usize, ks.flags));
                        i += step;
                    }
                }
                FindKeys::Unknown => {}
            }
        }
        out
    }
}
