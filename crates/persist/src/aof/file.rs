//! The one place append-only file bytes go to disk and come back: [`AofWriter`] appends to
//! an incremental file and syncs it, [`open_reader`] reads any AOF file, and
//! [`write_manifest`] replaces the manifest atomically. Sealed (encrypted) files plug in
//! here, so nothing else in the server opens an AOF file itself.
//!
//! Files are created 0600 with `O_EXCL` where they are new (never following a planted
//! symlink); the directory is created 0700.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;

/// Creates the AOF directory (0700) if it does not exist.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        r => r,
    }
}

/// An incremental file open for appending. Shared (`Arc`) so a background thread can fsync
/// it while the writer appends.
#[derive(Clone, Debug)]
pub struct AofWriter {
    file: Arc<File>,
}

impl AofWriter {
    /// Opens `path` for appending, creating it 0600 if it does not exist.
    pub fn open(path: &Path) -> io::Result<AofWriter> {
        let file = OpenOptions::new().append(true).create(true).mode(0o600).open(path)?;
        Ok(AofWriter { file: Arc::new(file) })
    }

    /// Creates `path` (0600), which must not exist.
    pub fn create_new(path: &Path) -> io::Result<AofWriter> {
        let file = OpenOptions::new().append(true).create_new(true).mode(0o600).open(path)?;
        Ok(AofWriter { file: Arc::new(file) })
    }

    /// The file's current size.
    pub fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Appends `bytes` with write(2): on return they are in the kernel. On error, returns
    /// how many bytes did reach the file.
    pub fn append(&self, bytes: &[u8]) -> Result<(), (usize, io::Error)> {
        let mut done = 0;
        while done < bytes.len() {
            match (&*self.file).write(&bytes[done..]) {
                Ok(0) => return Err((done, io::Error::new(io::ErrorKind::WriteZero, "short write"))),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err((done, e)),
            }
        }
        Ok(())
    }

    /// Cuts the file back to `len` bytes (undoing a partial append, as Redis does).
    pub fn truncate(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    /// fdatasync: the appended bytes survive a power loss.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// Opens an AOF file for reading: the reader and the file's length.
pub fn open_reader(path: &Path) -> io::Result<(BufReader<File>, u64)> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    Ok((BufReader::with_capacity(1 << 20, file), len))
}

/// Cuts `path` to `len` bytes (loading a truncated tail with `aof-load-truncated yes`).
pub fn truncate_file(path: &Path, len: u64) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}

/// Replaces `dir/name` with `text` atomically: temporary file (0600), fsync, rename, fsync
/// of the directory.
pub fn write_manifest(dir: &Path, name: &str, text: &str) -> io::Result<()> {
    crate::write_atomically(dir, name, |w| w.write_all(text.as_bytes()))
}

/// Fsyncs a directory, so a file created or renamed in it survives a power loss.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
