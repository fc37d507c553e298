//! Atomic, private files in the data directory.
//!
//! A [`TempFile`] is created next to the target with `O_CREAT|O_EXCL` and mode 0600 (so it
//! never follows a symlink someone planted, and is never readable by others, whatever the
//! umask). The caller writes it, [`TempFile::finish`] flushes and fsyncs it, and
//! [`TempFile::commit`] renames it over the target and fsyncs the directory so the rename
//! itself is durable. Dropped before its commit, it is removed. A crash at any point leaves
//! either the old target or the new one, never half of one. [`write_atomically`] does all
//! of it in one call.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporary files are named `temp-<pid>-<n>.rdb`, as Redis names them `temp-<pid>.rdb`.
pub const TEMP_PREFIX: &str = "temp-";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A private temporary file in a directory, renamed over its target on commit.
#[derive(Debug)]
pub struct TempFile {
    dir: PathBuf,
    path: PathBuf,
    writer: Option<BufWriter<File>>,
}

fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

impl TempFile {
    /// Creates `dir/temp-<pid>-<n>.rdb`, mode 0600.
    pub fn create(dir: &Path) -> io::Result<TempFile> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{TEMP_PREFIX}{}-{n}.rdb", std::process::id()));
        let file = match create_private(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // A leftover of a crashed run with the same pid: remove it (never follow it).
                std::fs::remove_file(&path)?;
                create_private(&path)?
            }
            Err(e) => return Err(e),
        };
        Ok(TempFile { dir: dir.to_path_buf(), path, writer: Some(BufWriter::with_capacity(1 << 20, file)) })
    }

    /// Where to write.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        // Present until `commit` consumes the file.
        self.writer.get_or_insert_with(|| unreachable!("TempFile writer taken before commit"))
    }

    /// Flushes and fsyncs the contents (the slow part; no rename yet).
    pub fn finish(&mut self) -> io::Result<()> {
        let w = self.writer();
        w.flush()?;
        w.get_ref().sync_all()
    }

    /// Renames the (finished) file over `dir/name` and fsyncs the directory.
    pub fn commit(mut self, name: &str) -> io::Result<()> {
        self.finish()?;
        drop(self.writer.take());
        std::fs::rename(&self.path, self.dir.join(name))?;
        // Renamed: nothing to remove any more, whatever happens next.
        self.path = PathBuf::new();
        File::open(&self.dir)?.sync_all()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            drop(self.writer.take());
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `dir/name` atomically through `write` (given a buffered writer); returns what
/// `write` returned.
pub fn write_atomically<T>(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<T>,
) -> io::Result<T> {
    let mut temp = TempFile::create(dir)?;
    let value = write(temp.writer())?;
    temp.commit(name)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_private_and_clean() {
        let dir = std::env::temp_dir().join(format!("redoubt-persist-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        write_atomically(&dir, "x.rdb", |w| w.write_all(b"one")).unwrap();
        assert_eq!(std::fs::read(dir.join("x.rdb")).unwrap(), b"one");
        assert_eq!(std::fs::metadata(dir.join("x.rdb")).unwrap().permissions().mode() & 0o777, 0o600);
        // A failed write leaves the old file and no temporary file.
        let e = write_atomically(&dir, "x.rdb", |w| {
            w.write_all(b"two")?;
            Err::<(), _>(io::Error::other("disk full"))
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read(dir.join("x.rdb")).unwrap(), b"one");
        // An abandoned temporary file is removed.
        let mut t = TempFile::create(&dir).unwrap();
        t.writer().write_all(b"three").unwrap();
        t.finish().unwrap();
        drop(t);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, ["x.rdb"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
