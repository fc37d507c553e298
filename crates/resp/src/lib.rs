//! The protocol layer of Redoubt: RESP2/RESP3 requests in, replies out.
//!
//! This crate is pure: it performs no I/O, keeps no global state, contains no
//! `unsafe` code, and must never panic on any input a client can send. It has
//! four parts:
//!
//! * [`RequestParser`]: an incremental parser for client requests, both the
//!   multibulk form (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and the inline form
//!   (`GET k\r\n`), that enforces its [`Limits`] *before* allocating anything.
//!   Announced sizes (`*1000000000`, `$500000000`) never reserve memory: vectors
//!   grow only with data that has actually been received.
//! * [`ReplyBuffer`]: a connection's output buffer, writing every reply type in
//!   the connection's [`Protocol`] version (RESP2 or RESP3).
//! * [`Frame`]: a complete RESP2/RESP3 value with an encoder and a depth-limited
//!   decoder, for clients of the protocol (the audit tool, tests, fuzzing).
//! * [`format_double`]: C's `printf("%.17g")`, as Redis 7.0 formats doubles.
//!
//! Errors a client can cause are [`ProtocolError`]s whose text is Redis's own.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod double;
mod error;
mod frame;
mod inline;
mod limits;
mod number;
mod parser;
mod writer;

pub use bytes::{Bytes, BytesMut};

pub use double::{format_double, format_double_g};
pub use error::ProtocolError;
pub use frame::{encode_command, Frame, MAX_FRAME_DEPTH};
pub use inline::split_words;
pub use limits::Limits;
pub use parser::RequestParser;
pub use writer::{Protocol, ReplyBuffer};
