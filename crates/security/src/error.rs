//! Errors of the gate, in Redis's words.

use std::fmt;

/// An error whose text is the reply a client gets, code first (`ERR ...`), with Redis's
/// wording where Redis has one.
#[derive(Clone, PartialEq, Eq)]
pub struct AclError(String);

impl AclError {
    /// An error with this exact text (code included).
    pub fn new(text: impl Into<String>) -> AclError {
        AclError(text.into())
    }

    /// The reply text, code first.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AclError({:?})", self.0)
    }
}

impl fmt::Display for AclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AclError {}

/// Why one ACL rule was refused (Redis's `errno` values in `ACLSetUser`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// EINVAL: not understood, or a pattern with spaces.
    Syntax,
    /// ENOENT: unknown command or category.
    UnknownCommand,
    /// EEXIST: a key pattern after `allkeys`.
    KeyAfterAll,
    /// EISDIR: a channel pattern after `allchannels`.
    ChannelAfterAll,
    /// ENODEV: removing a password the user does not have.
    NoSuchPassword,
    /// EBADMSG: a `#`/`!` hash that is not 64 lowercase hex digits.
    BadHash,
    /// A `#$argon2...` hash that is not a valid argon2id hash within the cost limits.
    BadArgon2,
    /// ECHILD: `+cmd|sub|arg`.
    SubcommandFirstArg,
}

impl RuleError {
    /// Redis's `ACLSetUserStringError` text.
    pub fn text(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any \
                 effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have \
                 any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::BadArgon2 => {
                "The argon2 hash must be an argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) with \
                 m <= 262144, t <= 16 and p <= 16"
            }
            RuleError::SubcommandFirstArg => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}
