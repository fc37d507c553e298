//! Loading an RDB file into the keyspace (`rdbLoad`).
//!
//! [`load_file`] first verifies the CRC-64 of the whole file (so a damaged file is refused
//! with a checksum error rather than whatever the damage looks like to the parser), then
//! parses it. Keys whose deadline has passed are skipped and counted, as a Redis primary
//! does; empty collections are skipped and counted. AUX fields are kept for the report.
//! Function libraries (Redis 7 `FUNCTION2` records) are skipped and counted: Redoubt runs no
//! server-side code. Module data and streams are refused.
//!
//! On any error the databases may hold part of the file: callers load into an empty
//! keyspace and discard it on error (the server refuses to start).

use crate::consts::*;
use crate::decode::{is_value_type, read_value, Input, Limits};
use crate::{RdbError, RDB_VERSION_MAX_READ};
use redoubt_store::Keyspace;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// How to load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The encodings' thresholds.
    pub limits: Limits,
    /// Verify the CRC-64 trailer (`rdbchecksum`); a stored zero means the writer had it off.
    pub verify_checksum: bool,
    /// The time: keys whose deadline is before it are skipped.
    pub now_ms: i64,
}

/// What a load found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// The file's RDB version.
    pub version: u16,
    /// Keys loaded.
    pub keys_loaded: u64,
    /// Keys skipped because their deadline had passed.
    pub keys_expired: u64,
    /// Empty collections skipped.
    pub empty_keys_skipped: u64,
    /// Function libraries skipped.
    pub functions_skipped: u64,
    /// Whether a CRC-64 was present and verified.
    pub checksum_verified: bool,
    /// The AUX fields (`redis-ver`, `ctime`...), as text.
    pub aux: Vec<(String, String)>,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A key for messages: at most 64 bytes, lossy UTF-8.
fn show_key(k: &[u8]) -> String {
    let mut s = text(&k[..k.len().min(64)]);
    if k.len() > 64 {
        s.push_str("...");
    }
    s
}

/// Reads the magic and version.
fn header<R: Read>(inp: &mut Input<R>) -> Result<u16, RdbError> {
    let magic: [u8; 9] = inp.array().map_err(|_| RdbError::Version("not an RDB file (too short)".into()))?;
    if &magic[..5] != b"REDIS" {
        return Err(RdbError::Version("not an RDB file (no REDIS signature)".into()));
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| RdbError::Version("not an RDB file (bad version field)".into()))?;
    if version == 0 || version > RDB_VERSION_MAX_READ {
        return Err(RdbError::Version(format!(
            "RDB format version {version} is not supported (this server reads versions 1 to {RDB_VERSION_MAX_READ}, \
             written by Redis up to 7.2)"
        )));
    }
    Ok(version)
}

/// Loads the RDB file at `path` into `ks`, verifying its checksum first (if the file has one
/// and `opts.verify_checksum`).
pub fn load_file(path: &Path, ks: &mut Keyspace, opts: &LoadOptions) -> Result<LoadReport, RdbError> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut verified = false;
    if opts.verify_checksum && len >= 9 + 8 {
        let mut reader = BufReader::with_capacity(1 << 20, &mut file);
        let mut probe = Input::new(&mut reader, 9, false, &opts.limits);
        if header(&mut probe)? >= 5 {
            drop(reader);
            file.seek(SeekFrom::Start(0))?;
            let (stored, computed) = file_crc(&mut file, len)?;
            if stored != 0 {
                if stored != computed {
                    return Err(RdbError::Checksum { stored, computed });
                }
                verified = true;
            }
        }
        file.seek(SeekFrom::Start(0))?;
    }
    let mut report = load_from(
        BufReader::with_capacity(1 << 20, file),
        len,
        ks,
        &LoadOptions { verify_checksum: false, ..opts.clone() },
    )?;
    report.checksum_verified = verified;
    Ok(report)
}

/// The CRC stored in the last 8 bytes of the file, and the CRC of everything before them.
fn file_crc(file: &mut File, len: u64) -> Result<(u64, u64), RdbError> {
    let mut crc = 0u64;
    let mut left = len - 8;
    let mut buf = vec![0u8; 1 << 20];
    while left > 0 {
        let n = (buf.len() as u64).min(left) as usize;
        file.read_exact(&mut buf[..n])?;
        crc = crate::crc64::crc64(crc, &buf[..n]);
        left -= n as u64;
    }
    let mut stored = [0u8; 8];
    file.read_exact(&mut stored)?;
    Ok((u64::from_le_bytes(stored), crc))
}

/// Loads RDB data of `len` bytes from `r` into `ks` (the whole input must be one file:
/// nothing may follow its checksum). With `opts.verify_checksum` the CRC-64 is computed
/// as the data is read and compared at the end.
pub fn load_from<R: Read>(r: R, len: u64, ks: &mut Keyspace, opts: &LoadOptions) -> Result<LoadReport, RdbError> {
    let (report, left) = load_rdb(r, len, ks, opts)?;
    if left != 0 {
        return Err(RdbError::Corrupt(format!("{left} bytes of trailing data after the end of the file")));
    }
    Ok(report)
}

/// Loads an RDB image at the start of `r` (of `len` bytes) that other data may follow (the
/// RDB preamble of a Redis 4 to 6 append-only file); returns the report and the length of
/// the RDB part.
pub fn load_prefix<R: Read>(
    r: R,
    len: u64,
    ks: &mut Keyspace,
    opts: &LoadOptions,
) -> Result<(LoadReport, u64), RdbError> {
    let (report, left) = load_rdb(r, len, ks, opts)?;
    Ok((report, len - left))
}

fn load_rdb<R: Read>(r: R, len: u64, ks: &mut Keyspace, opts: &LoadOptions) -> Result<(LoadReport, u64), RdbError> {
    let mut inp = Input::new(r, len, opts.verify_checksum, &opts.limits);
    let version = header(&mut inp)?;
    let mut report = LoadReport { version, ..LoadReport::default() };
    let mut db = 0usize;
    let mut deadline: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    loop {
        let t = inp.u8()?;
        match t {
            OPCODE_EXPIRETIME => {
                deadline = Some(i64::from(i32::from_le_bytes(inp.array()?)) * 1000);
                continue;
            }
            OPCODE_EXPIRETIME_MS => {
                deadline = Some(i64::from_le_bytes(inp.array()?));
                continue;
            }
            OPCODE_FREQ => {
                freq = Some(inp.u8()?);
                continue;
            }
            OPCODE_IDLE => {
                idle = Some(inp.len()?);
                continue;
            }
            OPCODE_EOF => break,
            OPCODE_SELECTDB => {
                let n = inp.len()?;
                if n >= ks.db_count() as u64 {
                    return Err(RdbError::Corrupt(format!(
                        "the file selects database {n}, but this server has {} (raise 'databases')",
                        ks.db_count()
                    )));
                }
                db = n as usize;
                continue;
            }
            OPCODE_RESIZEDB => {
                inp.len()?;
                inp.len()?;
                continue;
            }
            OPCODE_AUX => {
                let key = inp.bytes()?;
                let value = inp.bytes()?;
                report.aux.push((text(&key), text(&value)));
                continue;
            }
            OPCODE_FUNCTION2 => {
                inp.bytes()?;
                report.functions_skipped += 1;
                continue;
            }
            OPCODE_FUNCTION => {
                return Err(RdbError::Unsupported(
                    "function library in the Redis 7.0 release-candidate format (opcode 246)".into(),
                ))
            }
            OPCODE_MODULE_AUX => {
                return Err(RdbError::Unsupported(
                    "module auxiliary data (opcode 247): Redoubt loads no modules".into(),
                ))
            }
            _ if !is_value_type(t) => return Err(RdbError::Corrupt(format!("unknown record type {t}"))),
            _ => {}
        }
        let key = inp.bytes()?;
        let value = read_value(&mut inp, t, &opts.limits).map_err(|e| match e {
            RdbError::Corrupt(m) => RdbError::Corrupt(format!("key '{}' (db {db}): {m}", show_key(&key))),
            RdbError::Unsupported(m) => RdbError::Unsupported(format!("{m} (key '{}', db {db})", show_key(&key))),
            e => e,
        })?;
        let (d, i, f) = (deadline.take(), idle.take(), freq.take());
        let Some(value) = value else {
            report.empty_keys_skipped += 1;
            continue;
        };
        if d.is_some_and(|d| d < opts.now_ms) {
            report.keys_expired += 1;
            continue;
        }
        let target = ks.db(db);
        if target.holds(&key) {
            return Err(RdbError::Corrupt(format!("duplicate key '{}' in db {db}", show_key(&key))));
        }
        match d {
            Some(d) => target.set_with_deadline(&key, value, d, opts.now_ms),
            None => target.set(&key, value, false, opts.now_ms),
        }
        if i.is_some() || f.is_some() {
            target.set_access(&key, i, f, opts.now_ms);
        }
        report.keys_loaded += 1;
    }
    if version >= 5 {
        // The CRC of everything before the trailer.
        let computed = inp.crc;
        let stored = u64::from_le_bytes(inp.array()?);
        if let Some(computed) = computed {
            if stored != 0 && stored != computed {
                return Err(RdbError::Checksum { stored, computed });
            }
            report.checksum_verified = stored != 0;
        }
    }
    Ok((report, inp.left()))
}
