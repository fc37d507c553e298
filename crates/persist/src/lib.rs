//! Persistence for Redoubt: Redis-compatible RDB snapshots and DUMP/RESTORE payloads.
//!
//! - Writing ([`write_rdb`], [`Snapshot`]): RDB version 10, as Redis 7.0 writes it, so
//!   `redis-check-rdb` accepts the file and redis-server 7.0 loads it: strings with integer
//!   encodings and LZF compression, lists as quicklists of listpacks, hashes and sorted sets
//!   as listpacks or tables, sets as intsets or tables, deadlines, `SELECTDB`, `RESIZEDB`, AUX
//!   fields and the CRC-64 trailer.
//! - Reading ([`load_file`], [`load_from`]): every type and encoding Redis 7.0 to 7.2 write
//!   (and the older ziplist, zipmap and linked-list forms), with the CRC-64 verified before
//!   anything is parsed. Streams and module values are refused with a clear error. A malformed
//!   file is an error, never a panic, and no length read from a file is allocated before it
//!   is checked against the bytes that remain.
//! - DUMP and RESTORE payloads ([`dump_value`], [`restore_value`]): one value, the RDB version
//!   and a CRC-64, as Redis's `createDumpPayload`.
//! - Files ([`write_atomically`]): a temporary file created 0600 in the data directory,
//!   fsync, rename over the target, fsync of the directory: a crash leaves the old file or
//!   the new one, never half of one.
//! - Sealed files ([`seal`]): the RDB (and AOF) encrypted and authenticated with the key of
//!   `seal-key-file`, streamed record by record.
//!
//! The store is read through its public API ([`redoubt_store::Db::for_each_entry`] and the
//! value types); this crate knows nothing of clients or commands. No `unsafe`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aof;
pub mod crc64;
mod decode;
mod dump;
mod encode;
mod file;
pub mod legacy;
pub mod listpack;
mod load;
pub mod lzf;
pub mod seal;

pub use decode::Limits;
pub use dump::{decode_body, dump_value, restore_value, verify_payload, RestoreError};
pub use encode::{write_rdb, SaveOptions, SaveStats, Snapshot};
pub use file::{write_atomically, TempFile, TEMP_PREFIX};
pub use load::{load_file, load_from, load_prefix, LoadOptions, LoadReport};

/// The RDB version Redoubt writes (Redis 7.0's).
pub const RDB_VERSION: u16 = 10;
/// The newest RDB version Redoubt reads (Redis 7.2's).
pub const RDB_VERSION_MAX_READ: u16 = 11;

/// Value types and opcodes of the RDB format (rdb.h).
pub mod consts {
    #![allow(missing_docs)]
    pub const TYPE_STRING: u8 = 0;
    pub const TYPE_LIST: u8 = 1;
    pub const TYPE_SET: u8 = 2;
    pub const TYPE_ZSET: u8 = 3;
    pub const TYPE_HASH: u8 = 4;
    pub const TYPE_ZSET_2: u8 = 5;
    pub const TYPE_MODULE: u8 = 6;
    pub const TYPE_MODULE_2: u8 = 7;
    pub const TYPE_HASH_ZIPMAP: u8 = 9;
    pub const TYPE_LIST_ZIPLIST: u8 = 10;
    pub const TYPE_SET_INTSET: u8 = 11;
    pub const TYPE_ZSET_ZIPLIST: u8 = 12;
    pub const TYPE_HASH_ZIPLIST: u8 = 13;
    pub const TYPE_LIST_QUICKLIST: u8 = 14;
    pub const TYPE_STREAM_LISTPACKS: u8 = 15;
    pub const TYPE_HASH_LISTPACK: u8 = 16;
    pub const TYPE_ZSET_LISTPACK: u8 = 17;
    pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
    pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
    /// Redis 7.2 (RDB 11).
    pub const TYPE_SET_LISTPACK: u8 = 20;
    /// Redis 7.2 (RDB 11).
    pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

    pub const OPCODE_FUNCTION2: u8 = 245;
    pub const OPCODE_FUNCTION: u8 = 246;
    pub const OPCODE_MODULE_AUX: u8 = 247;
    pub const OPCODE_IDLE: u8 = 248;
    pub const OPCODE_FREQ: u8 = 249;
    pub const OPCODE_AUX: u8 = 250;
    pub const OPCODE_RESIZEDB: u8 = 251;
    pub const OPCODE_EXPIRETIME_MS: u8 = 252;
    pub const OPCODE_EXPIRETIME: u8 = 253;
    pub const OPCODE_SELECTDB: u8 = 254;
    pub const OPCODE_EOF: u8 = 255;

    /// Quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2).
    pub const CONTAINER_PLAIN: u64 = 1;
    pub const CONTAINER_PACKED: u64 = 2;

    /// Name of a value type, for messages.
    pub fn type_name(t: u8) -> &'static str {
        match t {
            TYPE_STRING => "string",
            TYPE_LIST | TYPE_LIST_ZIPLIST | TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => "list",
            TYPE_SET | TYPE_SET_INTSET | TYPE_SET_LISTPACK => "set",
            TYPE_ZSET | TYPE_ZSET_2 | TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => "zset",
            TYPE_HASH | TYPE_HASH_ZIPMAP | TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => "hash",
            TYPE_MODULE | TYPE_MODULE_2 => "module",
            TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => "stream",
            _ => "unknown",
        }
    }
}

/// Why an RDB file or a DUMP payload could not be read.
#[derive(Debug)]
pub enum RdbError {
    /// Reading the file failed.
    Io(std::io::Error),
    /// The data ends before the structure it announces.
    Truncated,
    /// The data is malformed.
    Corrupt(String),
    /// Well-formed, but holds something Redoubt cannot represent (streams, modules...).
    Unsupported(String),
    /// The CRC-64 at the end does not match the contents.
    Checksum {
        /// The checksum stored in the file.
        stored: u64,
        /// The checksum of the contents.
        computed: u64,
    },
    /// Not an RDB file, or a version this reader does not know.
    Version(String),
}

impl std::fmt::Display for RdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RdbError::Io(e) => write!(f, "read error: {e}"),
            RdbError::Truncated => f.write_str("unexpected end of data (truncated file?)"),
            RdbError::Corrupt(m) => write!(f, "malformed data: {m}"),
            RdbError::Unsupported(m) => write!(f, "unsupported {m}"),
            RdbError::Checksum { stored, computed } => {
                write!(
                    f,
                    "CRC-64 checksum mismatch (stored {stored:016x}, computed {computed:016x}): the file is damaged"
                )
            }
            RdbError::Version(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RdbError {}

impl From<std::io::Error> for RdbError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            RdbError::Truncated
        } else {
            RdbError::Io(e)
        }
    }
}
