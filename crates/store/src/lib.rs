//! The storage layer of Redoubt: databases, values, expiry and memory accounting.
//!
//! It knows nothing of sockets, users, files or the protocol, and never reads the clock:
//! every operation that depends on time takes `now_ms` (unix milliseconds) from the caller,
//! which can cache it per batch of commands.
//!
//! - [`Dict`]: the hash table (keyed SipHash against hash flooding, Redis-compatible SCAN
//!   cursors, O(1) random sampling, compact slots with inline short keys).
//! - [`Value`] and [`StrValue`]: what keys hold, with Redis's string encodings.
//! - [`Db`]: one database: lazy and active expiry, access clocks, incremental memory
//!   accounting ([`ValueMut`] keeps it exact across in-place edits).
//! - [`Keyspace`]: all databases, the active expiry cycle, keyspace statistics.
//! - [`glob_match`]: Redis's glob patterns in polynomial time.
//!
//! No `unsafe`, and no panic on any key or value content.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod db;
pub mod dict;
pub mod evict;
mod expire;
pub mod glob;
pub mod hash;
mod keyspace;
pub mod list;
mod mem;
pub mod set;
mod string;
mod value;
pub mod zset;

pub use db::{Db, KeyEvent, LfuConfig, LFU_INIT_VAL};
pub use dict::Dict;
pub use expire::KEYS_PER_LOOP;
pub use glob::{glob_match, matches_everything};
pub use hash::HashValue;
pub use keyspace::{Keyspace, KeyspaceStats};
pub use list::ListValue;
pub use mem::alloc_size;
pub use set::SetValue;
pub use string::{parse_i64, StrValue, EMBSTR_LIMIT, STR_INLINE};
pub use value::{Value, ValueMut};
pub use zset::ZSetValue;
