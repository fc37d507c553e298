//! The log itself: an in-memory buffer that commands append to under the keyspace lock, and
//! the group commit that moves it into the current incremental file without that lock.
//!
//! Offsets are logical: `appended` counts every byte ever appended, `written` those that
//! reached the kernel (write(2)), `synced` those fdatasync'd. A connection, before it sends
//! replies, calls [`Aof::barrier`]: whoever holds the output lock writes everything pending
//! (one write for many clients), the others find their offset already covered. With
//! `appendfsync always` the barrier also waits for fdatasync of that offset (one fsync for
//! every client waiting). With `everysec` a background thread fsyncs once a second; with
//! `no` it only writes what no connection wrote (the DELs of keys the cron expired).
//!
//! A rewrite asks for a switch to a new incremental file at an exact offset
//! ([`Pending::switch`]); the writer that crosses it fsyncs the old file, opens the new one
//! and (for a rewrite of a live log) lists it in the manifest.
//!
//! Lock order: keyspace, then pending; output, then pending. Nothing holding pending takes
//! another lock, and nothing does file I/O under the keyspace lock.

use super::{Aof, FSYNC_ALWAYS, FSYNC_EVERYSEC};
use redoubt_persist::aof::{encode_command, AofWriter, Manifest, MANIFEST_SUFFIX};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Bytes appended and not yet written.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    pub(crate) buf: Vec<u8>,
    /// Logical offset of `buf[0]`.
    pub(crate) start: u64,
    /// The database the stream last selected; `None`: the next record selects.
    pub(crate) db: Option<usize>,
    /// A new incremental file starts at this offset.
    pub(crate) switch: Option<Switch>,
}

/// A switch to a new incremental file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Switch {
    /// Logical offset of the first byte of the new file.
    pub(crate) at: u64,
    /// List the new file in the manifest at once (a rewrite of a live log). Not when AOF is
    /// being turned on: the manifest names it when the first base is written.
    pub(crate) list: bool,
}

/// The files: where bytes go, and the manifest that names them.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub(crate) file: Option<AofWriter>,
    pub(crate) dir: PathBuf,
    /// `appendfilename`: the prefix of every file name.
    pub(crate) prefix: String,
    pub(crate) manifest: Manifest,
    /// Bytes in the base and the incremental files before the current one.
    pub(crate) size_before: u64,
    /// Bytes in the current incremental file.
    pub(crate) incr_len: u64,
    /// Size of the base file.
    pub(crate) base_size: u64,
    /// `seal-key-file`'s key: new files (incremental and base) are sealed with it.
    pub(crate) key: Option<std::sync::Arc<redoubt_persist::seal::SealKey>>,
    last_error_log: Option<Instant>,
}

impl Output {
    /// INFO's `aof_current_size`.
    pub(crate) fn current_size(&self) -> u64 {
        self.size_before + self.incr_len
    }

    /// The manifest's file name.
    pub(crate) fn manifest_name(&self) -> String {
        format!("{}{MANIFEST_SUFFIX}", self.prefix)
    }

    /// Writes the manifest atomically.
    pub(crate) fn persist_manifest(&self) -> std::io::Result<()> {
        redoubt_persist::aof::write_manifest(&self.dir, &self.manifest_name(), &self.manifest.render())
    }
}

/// `SELECT` as Redis writes it into the log.
fn select_record(out: &mut Vec<u8>, db: usize) {
    let n = db.to_string();
    encode_command(out, &[&b"SELECT"[..], n.as_bytes()]);
}

impl Aof {
    /// Appends one command, run in database `db`, to the buffer (under the keyspace lock:
    /// memory only).
    pub(crate) fn append<A: AsRef<[u8]>>(&self, db: usize, args: &[A]) {
        let mut p = self.pending();
        if p.db != Some(db) {
            select_record(&mut p.buf, db);
            p.db = Some(db);
        }
        encode_command(&mut p.buf, args);
        self.appended.store(p.start + p.buf.len() as u64, Ordering::Release);
    }

    /// Asks for a new incremental file from the current end of the log on (under the
    /// keyspace lock, so the switch falls exactly between two commands).
    pub(crate) fn schedule_switch(&self, list: bool) {
        let mut p = self.pending();
        let at = p.start + p.buf.len() as u64;
        p.switch = Some(Switch { at, list });
        // The new file starts with its own SELECT.
        p.db = None;
    }

    /// Whether everything up to `target` reached the kernel (and the disk with `always`).
    fn covered(&self, target: u64) -> bool {
        self.written.load(Ordering::Acquire) >= target
            && (self.fsync_mode() != FSYNC_ALWAYS || self.synced.load(Ordering::Acquire) >= target)
    }

    /// Makes sure the replies about to be sent describe logged writes: everything appended
    /// so far is written (and fsync'd with `always`) before it returns. Called by the
    /// connection before it writes replies; cheap (two atomic loads) when there is nothing
    /// to do.
    pub fn barrier(&self) {
        let target = self.appended.load(Ordering::Acquire);
        if self.covered(target) {
            return;
        }
        self.barrier_slow(target);
    }

    /// Whether [`Aof::barrier`] has work to do, and whether that work waits for a disk
    /// (`always`): the connection then moves off the async worker while it waits.
    pub fn barrier_pending(&self) -> Option<bool> {
        let target = self.appended.load(Ordering::Acquire);
        (!self.covered(target)).then(|| self.fsync_mode() == FSYNC_ALWAYS)
    }

    fn barrier_slow(&self, target: u64) {
        if self.fsync_mode() == FSYNC_ALWAYS {
            self.sync_to(target);
        } else {
            self.write_to(target);
        }
    }

    /// Writes everything pending if `target` is not written yet.
    pub(crate) fn write_to(&self, target: u64) {
        if self.written.load(Ordering::Acquire) >= target {
            return;
        }
        let mut out = self.output();
        if self.written.load(Ordering::Acquire) < target {
            self.write_pending(&mut out);
        }
    }

    /// Writes and fdatasyncs up to at least `target` (group commit: one fsync covers every
    /// client waiting on the output lock).
    fn sync_to(&self, target: u64) {
        let mut out = self.output();
        if self.written.load(Ordering::Acquire) < target {
            self.write_pending(&mut out);
        }
        if self.synced.load(Ordering::Acquire) >= target {
            return;
        }
        let written = self.written.load(Ordering::Acquire);
        if let Some(f) = &out.file {
            if let Err(e) = f.sync() {
                // Redis: an fsync error with `always` cannot be recovered from.
                tracing::error!(
                    "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting..."
                );
                std::process::exit(1);
            }
        }
        self.synced.fetch_max(written, Ordering::AcqRel);
    }

    /// Writes the whole pending buffer into the current file, crossing a switch if one is
    /// due. Errors are recorded (INFO, MISCONF) and the bytes kept for the next try.
    pub(crate) fn write_pending(&self, out: &mut Output) {
        let (chunk, start, switch) = {
            let mut p = self.pending();
            let chunk = std::mem::take(&mut p.buf);
            let start = p.start;
            p.start += chunk.len() as u64;
            (chunk, start, p.switch)
        };
        let end = start + chunk.len() as u64;
        let mut done = 0usize;
        let mut result = Ok(());
        if let Some(sw) = switch.filter(|s| s.at >= start && s.at <= end) {
            let cut = (sw.at - start) as usize;
            result = self.write_bytes(out, &chunk[..cut], &mut done);
            if result.is_ok() {
                result = self.switch_file(out, sw);
            }
        }
        if result.is_ok() {
            result = self.write_bytes(out, &chunk[done..], &mut done);
        }
        if done < chunk.len() {
            let mut p = self.pending();
            let mut rest = chunk[done..].to_vec();
            rest.extend_from_slice(&p.buf);
            p.buf = rest;
            p.start = start + done as u64;
        }
        self.written.store(start + done as u64, Ordering::Release);
        match result {
            Ok(()) => {
                if self.write_failed.swap(false, Ordering::AcqRel) {
                    tracing::warn!("AOF write error looks solved, Redoubt can write again.");
                }
            }
            Err(e) => self.write_error(out, e),
        }
    }

    /// Appends `bytes` to the current file, advancing `done` by what reached it.
    fn write_bytes(&self, out: &mut Output, bytes: &[u8], done: &mut usize) -> std::io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let Some(file) = &out.file else {
            // No file (logging was off): nothing to keep.
            *done += bytes.len();
            return Ok(());
        };
        match file.append(bytes) {
            Ok(grown) => {
                *done += bytes.len();
                out.incr_len += grown;
                Ok(())
            }
            Err((n, e)) => {
                // As Redis: undo a partial write so the file ends on a whole command; if
                // that fails, what was written stays written.
                if n > 0 && file.truncate(out.incr_len).is_err() {
                    *done += n;
                    out.incr_len += n as u64;
                }
                Err(e)
            }
        }
    }

    /// Closes the current incremental file (fsync'd) and opens the next one.
    fn switch_file(&self, out: &mut Output, sw: Switch) -> std::io::Result<()> {
        if let Some(old) = out.file.take() {
            if let Err(e) = old.sync() {
                out.file = Some(old);
                return Err(e);
            }
            self.synced.fetch_max(self.written.load(Ordering::Acquire), Ordering::AcqRel);
        }
        let mut manifest = out.manifest.clone();
        let name = manifest.add_incr(&out.prefix);
        let file = AofWriter::create_new(&out.dir.join(&name), out.key.as_deref())?;
        let previous = std::mem::replace(&mut out.manifest, manifest);
        if sw.list {
            if let Err(e) = out.persist_manifest() {
                out.manifest = previous;
                let _ = std::fs::remove_file(out.dir.join(&name));
                return Err(e);
            }
        }
        tracing::info!("Creating AOF incr file {name} on background rewrite");
        out.size_before += out.incr_len;
        out.incr_len = 0;
        out.file = Some(file);
        self.pending().switch = None;
        Ok(())
    }

    fn write_error(&self, out: &mut Output, e: std::io::Error) {
        *self.last_write_error.lock().unwrap_or_else(|p| p.into_inner()) = e.to_string();
        self.write_failed.store(true, Ordering::Release);
        if self.fsync_mode() == FSYNC_ALWAYS {
            tracing::error!("Error writing to the AOF file: {e}");
            tracing::error!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
            std::process::exit(1);
        }
        // Rate-limited, as Redis logs it every 30 seconds.
        if out.last_error_log.is_none_or(|t| t.elapsed() > Duration::from_secs(30)) {
            out.last_error_log = Some(Instant::now());
            tracing::error!("Error writing to the AOF file: {e}");
        }
    }

    /// One tick of the background thread: writes what no connection wrote, retries after
    /// an error, and with `everysec` fsyncs outside the output lock.
    pub(crate) fn background_tick(&self) {
        let target = self.appended.load(Ordering::Acquire);
        if self.written.load(Ordering::Acquire) < target || self.write_failed.load(Ordering::Acquire) {
            let mut out = self.output();
            self.write_pending(&mut out);
        }
        if self.fsync_mode() != FSYNC_EVERYSEC {
            return;
        }
        let written = self.written.load(Ordering::Acquire);
        if self.synced.load(Ordering::Acquire) >= written {
            return;
        }
        let file = self.output().file.clone();
        if let Some(f) = file {
            match f.sync() {
                Ok(()) => {
                    self.synced.fetch_max(written, Ordering::AcqRel);
                }
                Err(e) => tracing::error!("Fail to fsync the AOF file: {e}"),
            }
        }
    }
}
