//! The door: listeners (TCP for each `bind` address, TLS on `tls-port`, a unix socket), the
//! per-connection loop (read, parse, run a batch under one store acquisition, write), the
//! limits a connection is held to, idle timeouts, the cron, and a clean shutdown on
//! SIGTERM/SIGINT.

mod access;
mod busy_poll;
mod connection;
mod listen;
pub mod preflight;
mod replication;
mod server;
mod tls;
mod workers;

pub use server::{run, ServerError};
