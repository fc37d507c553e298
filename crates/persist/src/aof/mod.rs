//! Redis 7's multi-part append-only file, the parts that need no server: the manifest
//! ([`Manifest`]), commands in RESP form ([`encode_command`], [`CommandReader`]) and the
//! file access every AOF byte goes through ([`AofWriter`], [`open_reader`],
//! [`write_manifest`]).

mod base;
mod command;
mod file;
mod manifest;

pub use base::write_commands_base;
pub use command::{encode_command, AofReadError, CommandReader};
pub use file::{
    create_dir, open_reader, open_sealed_log, open_sealed_reader, sync_dir, truncate_file, write_manifest, AofWriter,
};
pub use manifest::{AofFileInfo, FileKind, Manifest, MANIFEST_SUFFIX};
