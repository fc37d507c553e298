//! The command layer: one table describes every command (name, arity, flags, ACL categories,
//! key positions, docs), and the implementations are grouped by data type as Redis groups
//! t_string.c and friends. The [`Engine`] owns the keyspace and runs a connection's batch of
//! commands under one acquisition of it.

pub mod aof;
pub mod clients;
pub mod context;
pub mod engine;
pub mod gate;
pub mod keyfind;
pub mod obuf;
pub mod session;
pub mod spec;
pub mod stats;
pub mod table;

mod bits;
mod blocking;
mod connection;
mod hashes;
mod hll;
mod keys;
mod lists;
mod memory;
pub mod persistence;
mod pubsub;
pub mod replication;
mod server;
mod sets;
mod sort;
mod strings;
mod tracking;
mod transactions;
mod zsets;

pub use blocking::BlockWait;
pub use clients::{ClientHandle, ClientKind, ClientRegistry, Transport};
pub use context::{CmdError, CmdResult, Ctx};
pub use engine::{unix_ms, BatchEnd, Engine, ServerFacts};
pub use session::Session;
