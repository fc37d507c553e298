//! The append-only file (Redis 7's multi-part AOF): every command that changed the dataset
//! is logged, in execution order, in a deterministic, time-independent form, and replayed at
//! start.
//!
//! - [`propagate`]: what gets logged. The engine compares the `dirty` counter around each
//!   command; a handler whose command is not deterministic as sent (relative expiries, SPOP,
//!   blocking pops, INCRBYFLOAT...) says what to log instead with [`Ctx::propagate_as`].
//!   Keys the store expired or evicted become DEL; a transaction's writes are wrapped in
//!   MULTI/EXEC. With `appendonly no`, the cost is one atomic load per command.
//! - [`log`]: the buffer commands append to under the keyspace lock (memory only) and the
//!   group commit that writes it without that lock. **Durability**: before a connection
//!   sends replies, everything appended so far has reached the kernel (write(2)), in every
//!   `appendfsync` mode, so a killed server loses no acknowledged write; with `always` it has
//!   also been fdatasync'd, so a power loss loses none either; with `everysec` a background
//!   thread fsyncs once a second (a power loss may lose about a second).
//! - [`load`]: manifest, base, incremental files at start; truncated tails and garbage.
//! - [`rewrite`]: BGREWRITEAOF, automatic rewrites, turning the log on and off at run time,
//!   and INFO's aof_* fields.
//!
//! Files go through `redoubt_persist::aof` (manifest format, command encoding, the writer
//! every byte goes through).
//!
//! [`Ctx::propagate_as`]: crate::Ctx::propagate_as

pub(crate) mod load;
pub(crate) mod log;
pub(crate) mod propagate;
pub(crate) mod rewrite;

pub use load::load_at_start;
pub use rewrite::{cron, shutdown};

use log::{Output, Pending};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// `appendfsync no`.
pub(crate) const FSYNC_NO: u8 = 0;
/// `appendfsync always`.
pub(crate) const FSYNC_ALWAYS: u8 = 1;
/// `appendfsync everysec`.
pub(crate) const FSYNC_EVERYSEC: u8 = 2;

/// The append-only file's state, carried by the engine.
#[derive(Default)]
pub struct Aof {
    /// Commands are being logged (the one test on the hot path).
    active: AtomicBool,
    pending: Mutex<Pending>,
    output: Mutex<Output>,
    /// Logical offsets: appended, written to the kernel, fdatasync'd.
    appended: AtomicU64,
    written: AtomicU64,
    synced: AtomicU64,
    fsync: AtomicU8,
    /// The last write failed: writes are refused with MISCONF until one succeeds.
    pub(crate) write_failed: AtomicBool,
    last_write_error: Mutex<String>,
    pub(crate) rewrite: Mutex<rewrite::RewriteState>,
    thread: Mutex<Option<JoinHandle<()>>>,
    stop: (Mutex<bool>, Condvar),
}

impl std::fmt::Debug for Aof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aof").field("active", &self.active()).finish()
    }
}

impl Aof {
    /// Whether commands are being logged.
    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    pub(crate) fn set_active(&self, on: bool) {
        self.active.store(on, Ordering::Release);
    }

    pub(crate) fn pending(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn output(&self) -> MutexGuard<'_, Output> {
        self.output.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn fsync_mode(&self) -> u8 {
        self.fsync.load(Ordering::Relaxed)
    }

    /// Sets the fsync policy from `appendfsync`'s value.
    pub(crate) fn set_fsync(&self, value: &str) {
        let mode = match value {
            "always" => FSYNC_ALWAYS,
            "no" => FSYNC_NO,
            _ => FSYNC_EVERYSEC,
        };
        self.fsync.store(mode, Ordering::Relaxed);
    }

    /// The error of the last failed write (INFO, MISCONF).
    pub(crate) fn last_write_error(&self) -> String {
        self.last_write_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Bytes appended and not yet written (INFO's `aof_buffer_length`).
    pub(crate) fn buffer_length(&self) -> u64 {
        self.appended.load(Ordering::Acquire).saturating_sub(self.written.load(Ordering::Acquire))
    }

    /// Starts the background thread (once): every second it writes what no connection
    /// wrote and, with `everysec`, fsyncs.
    pub(crate) fn start_thread(self: &std::sync::Arc<Self>) {
        let mut slot = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_some() {
            return;
        }
        let aof = self.clone();
        let spawned = std::thread::Builder::new().name("redoubt-aof".into()).spawn(move || loop {
            {
                let (lock, cv) = &aof.stop;
                let stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                let (stopped, _) =
                    cv.wait_timeout(stopped, std::time::Duration::from_secs(1)).unwrap_or_else(|e| e.into_inner());
                if *stopped {
                    return;
                }
            }
            aof.background_tick();
        });
        match spawned {
            Ok(h) => *slot = Some(h),
            Err(e) => tracing::error!("cannot start the AOF thread: {e}"),
        }
    }

    /// At shutdown: writes and fsyncs everything, and stops the thread.
    pub fn shutdown(&self) {
        {
            let (lock, cv) = &self.stop;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
            cv.notify_all();
        }
        if let Some(h) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
        let mut out = self.output();
        self.write_pending(&mut out);
        if let Some(f) = &out.file {
            if let Err(e) = f.sync() {
                tracing::error!("Fail to fsync the AOF file: {e}");
            }
        }
    }
}
