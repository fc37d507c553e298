//! The one place append-only file bytes go to disk and come back: [`AofWriter`] appends to
//! an incremental file and syncs it, [`open_reader`] reads any AOF file, and
//! [`write_manifest`] replaces the manifest atomically. Sealed (encrypted) files plug in
//! here, so nothing else in the server opens an AOF file itself: a sealed incremental file
//! is a [`SealedLog`] (one record per group-commit write), opened again at start with
//! [`open_sealed_log`] and read with [`open_sealed_reader`]; a sealed base is a one-shot
//! sealed file of kind AOF, read with its final record required.
//!
//! Files are created 0600 with `O_EXCL` where they are new (never following a planted
//! symlink); the directory is created 0700.

use crate::seal::{self, FileKind, LogOpen, SealError, SealKey, SealedLog};
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Creates the AOF directory (0700) if it does not exist.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        r => r,
    }
}

/// An incremental file open for appending. Shared (`Arc`) so a background thread can fsync
/// it while the writer appends.
#[derive(Clone)]
pub struct AofWriter {
    /// The file (for a sealed log, a second descriptor of it): synced without the log's lock.
    file: Arc<File>,
    /// Set when the file is sealed: appends go through it.
    sealed: Option<Arc<Mutex<SealedLog>>>,
}

impl std::fmt::Debug for AofWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AofWriter").field("sealed", &self.sealed.is_some()).finish()
    }
}

impl AofWriter {
    /// Opens `path` for appending, creating it 0600 if it does not exist.
    pub fn open(path: &Path) -> io::Result<AofWriter> {
        let file = OpenOptions::new().append(true).create(true).mode(0o600).open(path)?;
        Ok(AofWriter { file: Arc::new(file), sealed: None })
    }

    /// Creates `path` (0600), which must not exist: a plain file, or with `key` a sealed log
    /// whose header and opening record are on disk (fsync'd) when this returns, so a
    /// manifest that names the file never names one without its header.
    pub fn create_new(path: &Path, key: Option<&SealKey>) -> io::Result<AofWriter> {
        let file = OpenOptions::new().read(key.is_some()).append(true).create_new(true).mode(0o600).open(path)?;
        match key {
            None => Ok(AofWriter { file: Arc::new(file), sealed: None }),
            Some(key) => {
                let log = SealedLog::create(file, key, FileKind::Aof)?;
                log.file().sync_data()?;
                AofWriter::from_sealed(log)
            }
        }
    }

    /// Appends through a sealed log from now on (one opened by [`open_sealed_log`]).
    pub fn from_sealed(log: SealedLog) -> io::Result<AofWriter> {
        let file = log.file().try_clone()?;
        Ok(AofWriter { file: Arc::new(file), sealed: Some(Arc::new(Mutex::new(log))) })
    }

    /// Whether the file is a sealed log.
    pub fn is_sealed(&self) -> bool {
        self.sealed.is_some()
    }

    /// The file's current size.
    pub fn len(&self) -> io::Result<u64> {
        match &self.sealed {
            Some(log) => Ok(log.lock().unwrap_or_else(|e| e.into_inner()).len()),
            None => Ok(self.file.metadata()?.len()),
        }
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Appends `bytes` with write(2): on return they are in the kernel; returns how many
    /// bytes the file grew by (more than `bytes` for a sealed log: one sealed append, so a
    /// crash can only cut it whole). On error, returns how many bytes did reach the file
    /// (always 0 for a sealed log, which undoes a failed append itself).
    pub fn append(&self, bytes: &[u8]) -> Result<u64, (usize, io::Error)> {
        if let Some(log) = &self.sealed {
            return log.lock().unwrap_or_else(|e| e.into_inner()).append(bytes).map_err(|e| (0, e));
        }
        let mut done = 0;
        while done < bytes.len() {
            match (&*self.file).write(&bytes[done..]) {
                Ok(0) => return Err((done, io::Error::new(io::ErrorKind::WriteZero, "short write"))),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err((done, e)),
            }
        }
        Ok(bytes.len() as u64)
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

/// Opens the sealed incremental file at `path` to append to it (at start, after it was
/// listed by the manifest): verifies every record, and with `allow_cut` removes an append a
/// crash cut short (see [`SealedLog::open`]).
pub fn open_sealed_log(path: &Path, key: &SealKey, allow_cut: bool) -> Result<(SealedLog, LogOpen), SealError> {
    let file = OpenOptions::new().read(true).append(true).open(path)?;
    SealedLog::open(file, key, allow_cut)
}

/// Opens a sealed AOF file for reading its verified plaintext: a base must end with its
/// final record (it was written in one go), an incremental file may end at any append.
pub fn open_sealed_reader(path: &Path, key: &SealKey, base: bool) -> Result<seal::Reader<BufReader<File>>, SealError> {
    let file = BufReader::with_capacity(1 << 20, File::open(path)?);
    Ok(seal::Reader::open(file, key)?.require_final(base))
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
