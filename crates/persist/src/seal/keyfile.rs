//! The master key and its file (`seal-key-file`).
//!
//! A key file holds one line: the 256-bit key as 64 hexadecimal digits, then a newline
//! (optional; surrounding whitespace is ignored). It must be a regular file readable and
//! writable by its owner only (0600 or 0400): whoever reads it can open every sealed file.
//! `redoubt seal keygen FILE` ([`create_key_file`]) makes one from the system's random
//! generator, 0600, and never overwrites.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// The fix named by messages about a bad key file.
pub const KEY_FILE_HELP: &str = "make a new key file with: redoubt seal keygen FILE";

/// The most of a key file that is read: a key line is 65 bytes.
const MAX_KEY_FILE: u64 = 4096;

/// A 256-bit master key. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SealKey([u8; 32]);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(..)")
    }
}

impl SealKey {
    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> SealKey {
        SealKey(bytes)
    }

    /// A key from a key file's text: 64 hexadecimal digits, whitespace around them ignored.
    pub fn from_text(text: &str) -> Option<SealKey> {
        let hex = text.trim().as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let mut key = [0u8; 32];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            key[i] = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(SealKey(key))
    }

    /// A fresh key from the system's random generator.
    pub fn generate() -> io::Result<SealKey> {
        let mut key = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
            .map_err(|_| io::Error::other("the system's random generator failed"))?;
        Ok(SealKey(key))
    }

    /// The key file's line (without the newline).
    pub(super) fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Reads and checks the key file at `path`. The error names the file and the fix.
pub fn read_key_file(path: &Path) -> Result<SealKey, String> {
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(format!("seal-key-file {shown} does not exist; create it with: redoubt seal keygen {shown}"))
        }
        Err(e) => return Err(format!("seal-key-file {shown}: {e}")),
    };
    if !meta.is_file() {
        return Err(format!("seal-key-file {shown} is not a regular file; {KEY_FILE_HELP}"));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "seal-key-file {shown} has mode {mode:04o}, open to group or others (whoever reads it can open every \
             sealed file); fix it with: chmod 600 {shown}"
        ));
    }
    let malformed = || {
        format!(
            "seal-key-file {shown} is malformed: it must hold one line of 64 hexadecimal digits (a 256-bit key); \
             {KEY_FILE_HELP}"
        )
    };
    let mut text = String::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_KEY_FILE + 1).read_to_string(&mut text)).map_err(|e| match e
        .kind()
    {
        io::ErrorKind::InvalidData => malformed(),
        _ => format!("seal-key-file {shown}: {e}"),
    })?;
    if text.len() as u64 > MAX_KEY_FILE {
        return Err(malformed());
    }
    SealKey::from_text(&text).ok_or_else(malformed)
}

/// Creates a new key file at `path` holding a fresh key: mode 0600, fsynced; refuses to
/// overwrite anything (`create_new`, so not through a planted symlink either).
pub fn create_key_file(path: &Path) -> io::Result<()> {
    let key = SealKey::generate()?;
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(format!("{}\n", key.to_hex()).as_bytes())?;
    file.sync_all()
}
