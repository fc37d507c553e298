//! The gate (`redoubt-security`): who a client is, what it may run, failed-authentication
//! throttling and the audit trail. It decides before a command touches data.
//!
//! - [`Users`] and [`AclUser`]: users and permissions in Redis ACL syntax and semantics
//!   (Redis 7.0.15), from `user` lines, an `aclfile` and `requirepass`, with Redoubt's
//!   secure default for `default` ([`DATA_SURFACE_RULES`]).
//! - [`AclUser::check`]: the permission check of one command (command bitmap, key patterns
//!   read/write apart, channels, selectors), giving a [`Denial`] for NOPERM and ACL LOG.
//! - [`AuthThrottle`]: per-source back-off and lockout, and a global budget.
//! - [`AuditLog`]: JSON-lines audit log, 0600, rate-limited. [`AclLog`]: ACL LOG.
//! - [`SourceAllowlist`]: `allow-from` CIDRs.
//! - [`passwd`], [`genpass`]: secrets and their ACL lines.
//! - [`Gate`]: all of the above as the server installs it, implementing the command layer's
//!   seams (`redoubt_commands::gate`); its module docs list where the server calls what.
//!
//! The crate is pure: no sockets, no async; the door (`net`) calls it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod acllog;
pub mod allowlist;
pub mod audit;
mod error;
pub mod gate;
mod index;
mod json;
mod keys;
pub mod password;
mod redis_commands;
mod selector;
pub mod throttle;
mod user;
mod users;

#[cfg(test)]
mod tests;

pub use acllog::{AclLog, AclLogContext, AclLogEntry, AclLogReason};
pub use allowlist::{canonical_ip, SourceAllowlist};
pub use audit::{AuditConfig, AuditEvent, AuditLog, AuditRecord, AuditSource};
pub use error::{AclError, RuleError};
pub use gate::{AuthTurn, Gate, GateUser};
pub use index::CommandIndex;
pub use password::{argon2id_hash, constant_time_eq, genpass, passwd, sha256_hex, Passwd};
pub use throttle::{AuthThrottle, Decision, FailureOutcome, SourceKey, ThrottleConfig};
pub use user::{key_flags_access, AclUser, Denial, DenialReason, SelectorInfo, UserInfo};
pub use users::{
    aclfile_path, check_private_file, parse_acl_text, secure_default_user, AuthError, UserHandle, Users, UsersSetup,
    AUTH_WITHOUT_PASSWORD_ERROR, DATA_SURFACE_RULES, MAX_ACL_FILE_BYTES,
};
