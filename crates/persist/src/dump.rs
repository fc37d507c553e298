//! DUMP and RESTORE payloads (`createDumpPayload`, `verifyDumpPayload`): one value in RDB
//! form, then the RDB version (2 bytes) and a CRC-64 of everything before it (8 bytes), both
//! little endian.
//!
//! Redoubt writes version 10 payloads (Redis 7.0 restores them) and accepts versions up to
//! 11 (Redis 7.2's). A payload comes from a client, so [`restore_value`] treats it as
//! hostile: the checksum is verified first, every length is bounded by the payload, LZF
//! output by the [`Limits::inflate_budget`], and trailing bytes are refused.

use crate::crc64::crc64;
use crate::decode::{is_value_type, read_value, Input, Limits};
use crate::encode::{put_value, rdb_type};
use crate::{RdbError, RDB_VERSION, RDB_VERSION_MAX_READ};
use redoubt_store::Value;

/// Why RESTORE refused a payload.
#[derive(Debug)]
pub enum RestoreError {
    /// The footer's version is unknown or the checksum does not match (Redis: `DUMP payload
    /// version or checksum are wrong`).
    Footer,
    /// The value itself is malformed (Redis: `Bad data format`).
    Data(RdbError),
}

/// The DUMP payload of `v` (strings compressed with LZF when `compress`, as `rdbcompression`).
pub fn dump_value(v: &Value, compress: bool) -> Vec<u8> {
    let mut out = vec![rdb_type(v)];
    // Writing to memory cannot fail.
    let _ = put_value(&mut out, v, compress);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Whether the payload's footer is sound: a known version and a matching checksum.
pub fn verify_payload(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION_MAX_READ {
        return false;
    }
    let stored =
        u64::from_le_bytes([footer[2], footer[3], footer[4], footer[5], footer[6], footer[7], footer[8], footer[9]]);
    crc64(0, &p[..p.len() - 8]) == stored
}

/// The value of a payload, footer verified.
pub fn restore_value(p: &[u8], limits: &Limits) -> Result<Value, RestoreError> {
    if !verify_payload(p) {
        return Err(RestoreError::Footer);
    }
    decode_body(&p[..p.len() - 10], limits)?
        .ok_or_else(|| RestoreError::Data(RdbError::Corrupt("empty collection".into())))
}

/// The value of a payload without its footer (type byte, then the value); `None` for an
/// empty collection. Public for the fuzz target, which cannot forge checksums.
#[doc(hidden)]
pub fn decode_body(body: &[u8], limits: &Limits) -> Result<Option<Value>, RestoreError> {
    let mut inp = Input::new(body, body.len() as u64, false, limits);
    let t = inp.u8().map_err(RestoreError::Data)?;
    if !is_value_type(t) {
        return Err(RestoreError::Data(RdbError::Corrupt(format!("unknown value type {t}"))));
    }
    let v = read_value(&mut inp, t, limits).map_err(RestoreError::Data)?;
    if inp.left() != 0 {
        return Err(RestoreError::Data(RdbError::Corrupt("trailing bytes after the value".into())));
    }
    Ok(v)
}
