//! Redoubt's configuration: redis.conf syntax, command-line flags and environment, validated,
//! on secure defaults.
//!
//! A Redis user brings their redis.conf: every directive of Redis 7.0 is known. Those Redoubt
//! acts on are typed fields of [`Config`]; those it will act on later are stored with Redis's
//! defaults so CONFIG GET/SET work; those that make no sense in Redoubt (`daemonize`,
//! `io-threads`, `jemalloc-bg-thread`...) are accepted with a warning that says why. An
//! unknown directive is an error naming the file and line.
//!
//! ```
//! use redoubt_config::Config;
//!
//! let mut cfg = Config::parse_str("port 7000\nmaxmemory 100mb\n", "redoubt.conf").unwrap();
//! assert_eq!(cfg.port, 7000);
//! assert_eq!(cfg.get("maxmemory"), [("maxmemory".to_string(), "104857600".to_string())]);
//! cfg.set("maxmemory-policy", "allkeys-lru").unwrap();
//! let err = cfg.set("dir", "/tmp").unwrap_err();
//! assert_eq!(
//!     err.message(),
//!     "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set immutable config"
//! );
//! ```
//!
//! Security rules kept here (DESIGN.md, THREATS.md):
//! - paths, listening addresses and dangerous switches never change at run time (T9);
//! - secrets never come from the command line: a config file, `*-file` directives, or the
//!   `REDOUBT_PASSWORD` / `REDOUBT_MASTERAUTH` environment variables (T17);
//! - CONFIG GET and `Debug` never show a secret; errors never quote a value.
//!
//! The single directive table is in `table.rs`; docs/configuration.md is generated from it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod directives;
#[cfg(test)]
mod doc_table;
mod error;
mod fields;
mod glob;
mod load;
mod parse;
mod rewrite;
mod table;
#[cfg(test)]
mod tests;
mod types;
mod value;

pub use config::{is_secret, Config, ENV_MASTERAUTH, ENV_PASSWORD, REDACTED};
pub use directives::{directives, Directive, Runtime};
pub use error::ConfigError;
pub use load::{check, MAX_CONFIG_FILE_BYTES, MAX_INCLUDE_DEPTH};
pub use types::{LogLevel, MaxmemoryPolicy, Secret, SourceFile, UserDirective};
