//! Sealed files: snapshots and append-only files encrypted and authenticated with a key the
//! operator holds (`seal-key-file`), so a copied file is worthless and an altered one is
//! refused (THREATS.md T16). docs/persistence.md "Sealed files" is the operator's view.
//!
//! **Format, version 1.** A 76-byte header, then records:
//!
//! ```text
//! header  magic "\x89SEAL\r\n\x1a" (8) | format version 1 | AEAD id (1 = ChaCha20-Poly1305)
//!         | file kind (1 = RDB, 2 = AOF) | reserved 0 | salt (32, random) | key check (32)
//! record  counter (u64 BE) | flags and length (u32 BE) | prefix MAC (8)
//!         | ciphertext (length bytes, at most 1 MiB) | AEAD tag (16)
//! ```
//!
//! - The magic cannot be taken for an RDB file ("REDIS"), a RESP or text file (its first byte
//!   has the high bit set), and breaks visibly under line-ending conversion, as PNG's does.
//! - Keys: HKDF-SHA256 with the header's salt extracts a per-file secret from the master key;
//!   it expands (info `redoubt-seal v1 <kind> <purpose>`) into the AEAD key, the prefix MAC
//!   key and the key check. The check, stored in the header, tells a wrong key apart from an
//!   altered record and commits the file to one key.
//! - Each record is sealed with its counter as the nonce and, as associated data, the whole
//!   header, the counter, the flags-and-length word and the counter the reader expects there
//!   (the same, but for a resumed record): moving, reordering or dropping records breaks a
//!   tag, and so does any change to the header.
//! - The prefix MAC (HMAC-SHA256 of counter and word, first 8 bytes) authenticates the length
//!   before it is trusted, so a flipped length byte is reported as an alteration, never as a
//!   short (truncated) file, and no length is believed beyond [`MAX_RECORD`].
//! - Flag `FINAL` marks the last record of a file written in one go (RDB): a file that ends
//!   without it was cut short. Flag `RESUMED` marks the first record an appendable log wrote
//!   after cutting a partial record off its tail: its counter jumps past the cut record's, so
//!   no nonce is ever used twice with one key; only such a record may skip counters.
//! - Flag `CONTINUED` marks a record of a log whose append goes on in the next record (one
//!   append of more than [`MAX_RECORD`] bytes is several records): a log that ends after such
//!   a record was cut inside an append, which is reported as a cut tail, and cutting it
//!   removes the whole append. So a log always ends on an append boundary (for the AOF: a
//!   group-commit write, whole commands), or is reported as cut.
//!
//! [`Writer`] streams a one-shot file (the RDB writer thread writes through it), [`Reader`]
//! verifies and yields plaintext (and implements `Read`), [`SealedLog`] is the appendable log
//! for the AOF (one append per flush, `CONTINUED` records past 1 MiB). [`SealKey`] and the
//! key file are in `keyfile.rs`.
//! Crypto is `ring`'s: AEAD, HKDF, HMAC and the system's random generator.

mod keyfile;
mod log;
mod stream;
#[cfg(test)]
mod tests;

pub use keyfile::{create_key_file, read_key_file, SealKey, KEY_FILE_HELP};
pub use log::{LogOpen, SealedLog};
pub use stream::{verify, Reader, Verified, Writer};

use ring::{aead, hkdf, hmac};
use std::io::{self, Read};
use std::path::Path;

/// The first bytes of every sealed file.
pub const MAGIC: [u8; 8] = *b"\x89SEAL\r\n\x1a";
/// The format version this code writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// AEAD id of ChaCha20-Poly1305 in the header.
pub const AEAD_CHACHA20_POLY1305: u8 = 1;
/// Bytes of the header.
pub const HEADER_LEN: usize = 8 + 4 + 32 + 32;
/// The most plaintext one record may hold; a longer announced length is refused unread.
pub const MAX_RECORD: usize = 1 << 20;
/// The plaintext [`Writer`] puts in each record.
pub const RECORD_CHUNK: usize = 64 << 10;

/// Counter, flags-and-length, MAC.
const PREFIX_LEN: usize = 8 + 4 + MAC_LEN;
const MAC_LEN: usize = 8;
const TAG_LEN: usize = 16;
/// The last record of a one-shot file.
const FINAL: u32 = 1 << 31;
/// The first record written after a cut tail: its counter may jump.
const RESUMED: u32 = 1 << 30;
/// The append this record belongs to goes on in the next record.
const CONTINUED: u32 = 1 << 29;
const LEN_MASK: u32 = CONTINUED - 1;

/// What a sealed file holds, as its header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// An RDB snapshot, written in one go (ends with a final record).
    Rdb,
    /// An append-only file (a log: appended one record per flush).
    Aof,
}

impl FileKind {
    fn id(self) -> u8 {
        match self {
            FileKind::Rdb => 1,
            FileKind::Aof => 2,
        }
    }

    fn from_id(id: u8) -> Option<FileKind> {
        match id {
            1 => Some(FileKind::Rdb),
            2 => Some(FileKind::Aof),
            _ => None,
        }
    }

    /// The word used in key derivation and messages.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Rdb => "rdb",
            FileKind::Aof => "aof",
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::Rdb => "RDB snapshot",
            FileKind::Aof => "append-only file",
        })
    }
}

/// Why a sealed file could not be read (or written).
#[derive(Debug)]
pub enum SealError {
    /// Reading or writing failed.
    Io(io::Error),
    /// The file does not start with the seal magic.
    NotSealed,
    /// The header is short, or names a version, AEAD or kind this code does not know.
    Header(String),
    /// The key check in the header does not match the key.
    WrongKey,
    /// A record failed authentication, or is out of order.
    Altered {
        /// The record's number (its counter when it was readable).
        record: u64,
        /// Where it starts in the file.
        offset: u64,
    },
    /// The file ends early: inside a record (`partial`), or at a record boundary before the
    /// final record of a one-shot file.
    Truncated {
        /// Whether the last record is cut (a partial write) rather than missing.
        partial: bool,
        /// Verified records before the cut.
        records: u64,
        /// Where the verified part ends (the length to cut a log back to).
        offset: u64,
    },
    /// Bytes follow the final record.
    TrailingData {
        /// Where they start.
        offset: u64,
    },
}

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SealError::Io(e) => write!(f, "I/O error: {e}"),
            SealError::NotSealed => f.write_str("not a sealed file (no seal header)"),
            SealError::Header(m) => f.write_str(m),
            SealError::WrongKey => f.write_str(
                "the seal key does not open this file: it was sealed with another key (check seal-key-file), or its \
                 header was altered",
            ),
            SealError::Altered { record, offset } => {
                write!(f, "record {record} at byte {offset} failed authentication: the file was altered or damaged")
            }
            SealError::Truncated { partial: true, records, offset } => write!(
                f,
                "the file ends inside a record after {records} whole records (byte {offset}): it was cut short"
            ),
            SealError::Truncated { partial: false, records, offset } => write!(
                f,
                "the file ends after {records} records (byte {offset}) without its final record: it was cut short"
            ),
            SealError::TrailingData { offset } => {
                write!(f, "data follows the final record at byte {offset}: the file was altered")
            }
        }
    }
}

impl std::error::Error for SealError {}

impl From<io::Error> for SealError {
    fn from(e: io::Error) -> Self {
        // A SealError carried through an io::Error (by `Reader`'s `Read`) comes back as itself.
        if e.get_ref().is_some_and(|inner| inner.is::<SealError>()) {
            if let Some(inner) = e.into_inner() {
                if let Ok(s) = inner.downcast::<SealError>() {
                    return *s;
                }
            }
            return SealError::Io(io::Error::other("sealed file error"));
        }
        SealError::Io(e)
    }
}

impl From<SealError> for io::Error {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Io(e) => e,
            e => io::Error::other(e),
        }
    }
}

/// A parsed header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// What the file holds.
    pub kind: FileKind,
    salt: [u8; 32],
    key_check: [u8; 32],
}

impl Header {
    /// The header's bytes (the associated data of every record).
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..8].copy_from_slice(&MAGIC);
        b[8] = FORMAT_VERSION;
        b[9] = AEAD_CHACHA20_POLY1305;
        b[10] = self.kind.id();
        b[12..44].copy_from_slice(&self.salt);
        b[44..76].copy_from_slice(&self.key_check);
        b
    }

    fn parse(b: &[u8; HEADER_LEN]) -> Result<Header, SealError> {
        if b[..8] != MAGIC {
            return Err(SealError::NotSealed);
        }
        if b[8] != FORMAT_VERSION {
            return Err(SealError::Header(format!(
                "sealed file format version {} is not supported (this server reads version {FORMAT_VERSION})",
                b[8]
            )));
        }
        if b[9] != AEAD_CHACHA20_POLY1305 {
            return Err(SealError::Header(format!("sealed file uses unknown AEAD {}", b[9])));
        }
        let kind = FileKind::from_id(b[10])
            .ok_or_else(|| SealError::Header(format!("sealed file holds an unknown kind of file ({})", b[10])))?;
        if b[11] != 0 {
            return Err(SealError::Header("sealed file header has a nonzero reserved byte".into()));
        }
        let mut salt = [0u8; 32];
        salt.copy_from_slice(&b[12..44]);
        let mut key_check = [0u8; 32];
        key_check.copy_from_slice(&b[44..76]);
        Ok(Header { kind, salt, key_check })
    }
}

/// Whether `start` (a file's first bytes) begins with the seal magic.
pub fn is_sealed(start: &[u8]) -> bool {
    start.len() >= MAGIC.len() && start[..MAGIC.len()] == MAGIC
}

/// The kind of the sealed file at `path` from its header, without the key; `Ok(None)` when
/// the file is not sealed.
pub fn sealed_kind(path: &Path) -> Result<Option<FileKind>, SealError> {
    let mut file = std::fs::File::open(path)?;
    let mut b = [0u8; HEADER_LEN];
    let n = read_full(&mut file, &mut b)?;
    if !is_sealed(&b[..n]) {
        return Ok(None);
    }
    if n < HEADER_LEN {
        return Err(SealError::Header("the sealed file's header is cut short".into()));
    }
    Header::parse(&b).map(|h| Some(h.kind))
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Compares without an early exit, so timing tells nothing about where secrets differ.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Output lengths for HKDF.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// The keys of one file.
struct FileKeys {
    aead: aead::LessSafeKey,
    mac: hmac::Key,
    check: [u8; 32],
}

impl FileKeys {
    fn derive(master: &SealKey, kind: FileKind, salt: &[u8; 32]) -> FileKeys {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(master.bytes());
        let info = |purpose: &str| format!("redoubt-seal v{FORMAT_VERSION} {} {purpose}", kind.label());
        let (aead_info, mac_info, check_info) = (info("record key"), info("prefix key"), info("key check"));
        // Lengths of 32 bytes are far below HKDF's limit (255 × 32): expand cannot fail.
        let aead_key = prk
            .expand(&[aead_info.as_bytes()], &aead::CHACHA20_POLY1305)
            .map(aead::UnboundKey::from)
            .expect("HKDF output of 32 bytes");
        let mac = prk.expand(&[mac_info.as_bytes()], hmac::HMAC_SHA256).map(hmac::Key::from).expect("HKDF output");
        let mut check = [0u8; 32];
        prk.expand(&[check_info.as_bytes()], Len(32)).and_then(|okm| okm.fill(&mut check)).expect("HKDF output");
        FileKeys { aead: aead::LessSafeKey::new(aead_key), mac, check }
    }

    fn prefix_mac(&self, counter: u64, word: u32) -> [u8; MAC_LEN] {
        let mut input = [0u8; 12];
        input[..8].copy_from_slice(&counter.to_be_bytes());
        input[8..].copy_from_slice(&word.to_be_bytes());
        let tag = hmac::sign(&self.mac, &input);
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&tag.as_ref()[..MAC_LEN]);
        out
    }
}

fn nonce(counter: u64) -> aead::Nonce {
    let mut n = [0u8; aead::NONCE_LEN];
    n[4..].copy_from_slice(&counter.to_be_bytes());
    aead::Nonce::assume_unique_for_key(n)
}

/// Associated data of a record: the header, the counter, the flags-and-length word, and the
/// counter the reader expects there. The last differs from the counter only in a resumed
/// record, and binds it to the exact record it follows, so records before it cannot be dropped.
fn record_aad(header: &[u8; HEADER_LEN], counter: u64, word: u32, expected: u64) -> [u8; HEADER_LEN + 20] {
    let mut a = [0u8; HEADER_LEN + 20];
    a[..HEADER_LEN].copy_from_slice(header);
    a[HEADER_LEN..HEADER_LEN + 8].copy_from_slice(&counter.to_be_bytes());
    a[HEADER_LEN + 8..HEADER_LEN + 12].copy_from_slice(&word.to_be_bytes());
    a[HEADER_LEN + 12..].copy_from_slice(&expected.to_be_bytes());
    a
}

/// The sealing side shared by [`Writer`] and [`SealedLog`]: a file's keys and its counter.
struct Sealer {
    header: [u8; HEADER_LEN],
    keys: FileKeys,
    counter: u64,
    /// The counter a reader expects at the next record: `counter`, except after a resume.
    expected: u64,
}

impl Sealer {
    /// A new file's header (fresh random salt) and keys.
    fn new(key: &SealKey, kind: FileKind) -> io::Result<Sealer> {
        let mut salt = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
            .map_err(|_| io::Error::other("the system's random generator failed"))?;
        let keys = FileKeys::derive(key, kind, &salt);
        let header = Header { kind, salt, key_check: keys.check }.encode();
        Ok(Sealer { header, keys, counter: 0, expected: 0 })
    }

    /// Seals `plain` (at most [`MAX_RECORD`] bytes) as the next record, in place, and writes
    /// the record to `out`.
    fn seal(&mut self, flags: u32, plain: &mut [u8], out: &mut impl io::Write) -> io::Result<()> {
        debug_assert!(plain.len() <= MAX_RECORD);
        let word = flags | plain.len() as u32;
        let counter = self.counter;
        let aad = record_aad(&self.header, counter, word, self.expected);
        let tag = self
            .keys
            .aead
            .seal_in_place_separate_tag(nonce(counter), aead::Aad::from(&aad[..]), plain)
            .map_err(|_| io::Error::other("sealing a record failed"))?;
        let mut prefix = [0u8; PREFIX_LEN];
        prefix[..8].copy_from_slice(&counter.to_be_bytes());
        prefix[8..12].copy_from_slice(&word.to_be_bytes());
        prefix[12..].copy_from_slice(&self.keys.prefix_mac(counter, word));
        out.write_all(&prefix)?;
        out.write_all(plain)?;
        out.write_all(tag.as_ref())?;
        self.counter = counter.checked_add(1).ok_or_else(|| io::Error::other("record counter exhausted"))?;
        self.expected = self.counter;
        Ok(())
    }
}
