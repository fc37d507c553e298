//! Rewriting the log without blocking clients (BGREWRITEAOF, automatic rewrites), turning it
//! on and off at run time, and INFO's aof_* fields.
//!
//! A rewrite takes, under the keyspace lock, the same compact snapshot BGSAVE takes (or, with
//! `aof-use-rdb-preamble no`, the dataset as commands) and asks the log to start a new
//! incremental file at that exact point (memory only). A thread writes the new base to a
//! temporary file and fsyncs it; then, holding the output lock, it makes sure the switch
//! happened, renames the base into place, writes the manifest atomically (new base, the new
//! incremental file; the old ones as history) and deletes the history files unless
//! `aof-disable-auto-gc yes`. A crash at any point leaves a manifest that names complete
//! files that together hold every logged write.
//!
//! With `seal-key-file` the base (RDB preamble or commands alike) is written through a
//! sealing writer of kind AOF and ends with its final record; the new incremental file is
//! a sealed log (see `log.rs`).

use super::Aof;
use crate::context::{CmdError, CmdResult, Ctx};
use crate::engine::{unix_ms, Engine};
use crate::persistence::sealed;
use redoubt_persist::aof::{self as files, write_commands_base, AofWriter};
use redoubt_persist::seal::FileKind as SealedKind;
use redoubt_persist::{write_rdb, SaveOptions, Snapshot, TempFile};
use redoubt_store::Keyspace;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// A rewrite in flight.
struct Job {
    handle: JoinHandle<Result<u64, String>>,
    started: Instant,
}

/// Rewrite bookkeeping (Redis's `aof_rewrite_*` and `stat_aof_rewrites`).
#[derive(Default)]
pub(crate) struct RewriteState {
    job: Option<Job>,
    pub(crate) scheduled: bool,
    last_failed: bool,
    last_secs: Option<i64>,
    rewrites: u64,
    consecutive_failures: u64,
    /// `aof_current_size` after the last rewrite (or at start): the base of auto-rewrite's
    /// growth percentage.
    pub(crate) base_total: u64,
    /// The incremental file being written is named by the manifest on disk (false from
    /// turning logging on until its first base is committed).
    pub(crate) log_listed: bool,
}

impl RewriteState {
    /// A base the manifest on disk names is in place, the log with it `total` bytes: the
    /// base of auto-rewrite's growth from now on.
    pub(crate) fn base_listed(&mut self, total: u64) {
        self.base_total = total;
        self.log_listed = true;
    }
}

/// Bumped when logging is turned on or off: a rewrite started before that must not commit.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// What a rewrite writes as the new base.
enum Image {
    Rdb(Snapshot, SaveOptions),
    Commands(Vec<u8>),
}

fn cfg_yes(engine: &Engine, name: &str, default: bool) -> bool {
    engine.config().value(name).map_or(default, |v| v == "yes")
}

fn save_options() -> SaveOptions {
    SaveOptions { compress: true, checksum: true, producer_version: crate::server::REDOUBT_VERSION.to_string() }
}

/// Writes a base of `ks` and a new incremental file at once (at start, before clients):
/// the dataset loaded from a snapshot or an old-style file becomes the log's base.
pub(crate) fn write_base_now(engine: &Engine, ks: &Keyspace, now_ms: i64) -> std::io::Result<()> {
    let rdb = cfg_yes(engine, "aof-use-rdb-preamble", true);
    let gc = !cfg_yes(engine, "aof-disable-auto-gc", false);
    let mut out = engine.aof.output();
    files::create_dir(&out.dir)?;
    let mut temp = TempFile::create(&out.dir)?;
    let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        if rdb {
            write_rdb(w, ks, now_ms, &save_options()).map(|_| ())
        } else {
            write_commands_base(w, ks, now_ms).map(|_| ())
        }
    };
    match out.key.clone() {
        Some(key) => sealed(temp.writer(), &key, SealedKind::Aof, |s| write(s))?,
        None => write(temp.writer())?,
    }
    temp.finish()?;
    let mut m = out.manifest.clone();
    let base = m.rebase(&out.prefix, rdb, 0);
    let incr = m.add_incr(&out.prefix);
    temp.commit(&base)?;
    let file = AofWriter::create_new(&out.dir.join(&incr), out.key.as_deref())?;
    files::sync_dir(&out.dir)?;
    out.manifest = m;
    out.persist_manifest()?;
    tracing::info!("Creating AOF base file {base} on server start");
    tracing::info!("Creating AOF incr file {incr} on server start");
    out.base_size = std::fs::metadata(out.dir.join(&base)).map(|m| m.len()).unwrap_or(0);
    out.size_before = out.base_size;
    out.incr_len = 0;
    out.file = Some(file);
    if gc {
        delete_history(&mut out);
    }
    let total = out.current_size();
    drop(out);
    engine.aof.rewrite().base_listed(total);
    Ok(())
}

/// Removes the history files and lists them no more.
fn delete_history(out: &mut super::log::Output) {
    if out.manifest.history.is_empty() {
        return;
    }
    for h in std::mem::take(&mut out.manifest.history) {
        tracing::info!("Removing the history file {} in the background", h.name);
        let _ = std::fs::remove_file(out.dir.join(&h.name));
    }
    if let Err(e) = out.persist_manifest() {
        tracing::warn!("Can't update the AOF manifest after removing history files: {e}");
    }
}

impl Aof {
    pub(crate) fn rewrite(&self) -> std::sync::MutexGuard<'_, RewriteState> {
        self.rewrite.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Starts a background rewrite of `ks` (held by the caller).
pub(crate) fn start(engine: &Engine, ks: &Keyspace, now_ms: i64) -> Result<(), String> {
    let rdb = cfg_yes(engine, "aof-use-rdb-preamble", true);
    let gc = !cfg_yes(engine, "aof-disable-auto-gc", false);
    let image = if rdb {
        Image::Rdb(Snapshot::capture(ks, now_ms), save_options())
    } else {
        let mut buf = Vec::new();
        write_commands_base(&mut buf, ks, now_ms).map_err(|e| e.to_string())?;
        Image::Commands(buf)
    };
    let live = engine.aof.active();
    if live {
        // The first write after this point goes to a new incremental file, listed in the
        // manifest at once unless this rewrite makes the log's first base.
        let listed = engine.aof.rewrite().log_listed;
        engine.aof.schedule_switch(listed);
    }
    let generation = GENERATION.load(Ordering::Acquire);
    let aof: Arc<Aof> = engine.aof.clone();
    let handle = std::thread::Builder::new()
        .name("redoubt-aofrw".into())
        .spawn(move || write_and_commit(&aof, image, rdb, live, gc, generation))
        .map_err(|e| e.to_string())?;
    let mut st = engine.aof.rewrite();
    st.job = Some(Job { handle, started: Instant::now() });
    st.scheduled = false;
    drop(st);
    tracing::info!("Background append only file rewriting started");
    Ok(())
}

/// The rewrite thread: writes the base, then swaps the manifest.
fn write_and_commit(aof: &Aof, image: Image, rdb: bool, live: bool, gc: bool, generation: u64) -> Result<u64, String> {
    let (dir, key): (PathBuf, _) = {
        let out = aof.output();
        (out.dir.clone(), out.key.clone())
    };
    files::create_dir(&dir).map_err(|e| format!("Can't open or create append-only dir {}: {e}", dir.display()))?;
    let mut temp = TempFile::create(&dir).map_err(|e| format!("Opening the temp file for AOF rewrite: {e}"))?;
    let write = |w: &mut dyn std::io::Write| match &image {
        Image::Rdb(snapshot, opts) => snapshot.write_to(w, opts).map(|_| ()),
        Image::Commands(buf) => w.write_all(buf),
    };
    match key {
        Some(key) => sealed(temp.writer(), &key, SealedKind::Aof, |s| write(s)),
        None => write(temp.writer()),
    }
    .map_err(|e| format!("Write error writing append only file on disk: {e}"))?;
    drop(image);
    temp.finish().map_err(|e| format!("Write error writing append only file on disk: {e}"))?;
    let mut out = aof.output();
    if GENERATION.load(Ordering::Acquire) != generation {
        return Err("logging was turned on or off while the rewrite ran: discarded".into());
    }
    // The switch to the new incremental file must have happened before the manifest names it.
    aof.write_pending(&mut out);
    if live && aof.pending().switch.is_some() {
        return Err(format!("can't open the new AOF incr file: {}", aof.last_write_error()));
    }
    let mut m = out.manifest.clone();
    let base = m.rebase(&out.prefix, rdb, usize::from(live));
    temp.commit(&base).map_err(|e| format!("Error moving temp append only file on the final destination: {e}"))?;
    let previous = std::mem::replace(&mut out.manifest, m);
    if let Err(e) = out.persist_manifest() {
        out.manifest = previous;
        return Err(format!("Error writing the AOF manifest: {e}"));
    }
    let base_size = std::fs::metadata(dir.join(&base)).map(|m| m.len()).unwrap_or(0);
    out.base_size = base_size;
    out.size_before = base_size;
    if gc {
        delete_history(&mut out);
    }
    Ok(out.current_size())
}

/// Collects a finished rewrite (Redis's `backgroundRewriteDoneHandler`).
fn reap(engine: &Engine) {
    let mut st = engine.aof.rewrite();
    let Some(job) = st.job.take_if(|j| j.handle.is_finished()) else { return };
    let secs = job.started.elapsed().as_secs() as i64;
    let result = job.handle.join().unwrap_or_else(|_| Err("the rewrite thread panicked".into()));
    st.last_secs = Some(secs);
    match result {
        Ok(total) => {
            st.last_failed = false;
            st.rewrites += 1;
            st.consecutive_failures = 0;
            st.base_listed(total);
            tracing::info!("Background AOF rewrite finished successfully");
        }
        Err(e) => {
            st.last_failed = true;
            st.consecutive_failures += 1;
            tracing::error!("Background AOF rewrite failed: {e}");
            // Logging into a file no manifest names yet: the first base must be retried.
            if engine.aof.active() && !st.log_listed {
                st.scheduled = true;
            }
        }
    }
}

/// BGREWRITEAOF
pub(crate) fn bgrewriteaof(ctx: &mut Ctx<'_>) -> CmdResult {
    reap(ctx.engine);
    if ctx.engine.aof.rewrite().job.is_some() {
        return Err(CmdError::raw("ERR Background append only file rewriting already in progress"));
    }
    if ctx.engine.persistence.bgsave_in_progress() || ctx.session.in_exec {
        let mut st = ctx.engine.aof.rewrite();
        st.scheduled = true;
        st.consecutive_failures = 0;
        drop(st);
        ctx.out.simple("Background append only file rewriting scheduled");
        return Ok(());
    }
    match start(ctx.engine, ctx.keyspace, ctx.now_ms) {
        Ok(()) => {
            ctx.out.simple("Background append only file rewriting started");
            Ok(())
        }
        Err(e) => {
            tracing::error!("Can't start the AOF rewrite: {e}");
            Err(CmdError::raw(
                "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
            ))
        }
    }
}

/// After CONFIG SET: `appendonly yes` turns logging on (and writes the first base in the
/// background); `appendonly no` stops logging (what is pending is still written).
pub(crate) fn config_changed(ctx: &mut Ctx<'_>, names: &[String]) {
    if !names.iter().any(|n| n == "appendonly") {
        return;
    }
    let want = cfg_yes(ctx.engine, "appendonly", false);
    let aof = &ctx.engine.aof;
    if want == aof.active() {
        return;
    }
    GENERATION.fetch_add(1, Ordering::AcqRel);
    if !want {
        aof.set_active(false);
        tracing::info!("Append only file turned off: logging stopped");
        return;
    }
    aof.set_active(true);
    aof.rewrite().log_listed = false;
    let mask =
        ctx.keyspace.event_mask() | redoubt_store::KeyEvent::Expired.bit() | redoubt_store::KeyEvent::Evicted.bit();
    ctx.keyspace.set_event_mask(mask);
    // Writes from now on go to a new incremental file that the first base's manifest names.
    aof.schedule_switch(false);
    aof.start_thread();
    reap(ctx.engine);
    if aof.rewrite().job.is_some() {
        aof.rewrite().scheduled = true;
        return;
    }
    if let Err(e) = start(ctx.engine, ctx.keyspace, ctx.now_ms) {
        tracing::error!("Redoubt needs to enable the AOF but can't trigger a background AOF rewrite operation: {e}");
        aof.rewrite().scheduled = true;
    }
}

/// The cron's part: collects a finished rewrite, runs a scheduled one, and starts one when
/// the log grew by `auto-aof-rewrite-percentage` over its size after the last rewrite.
pub fn cron(engine: &Engine) {
    reap(engine);
    let (running, scheduled, base_total) = {
        let st = engine.aof.rewrite();
        (st.job.is_some(), st.scheduled, st.base_total)
    };
    if running || engine.persistence.bgsave_in_progress() {
        return;
    }
    let mut due = scheduled;
    if !due && engine.aof.active() {
        let (perc, min) = {
            let cfg = engine.config();
            let num = |n: &str| cfg.value(n).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            (num("auto-aof-rewrite-percentage"), num("auto-aof-rewrite-min-size"))
        };
        let current = engine.aof.output.try_lock().map(|o| o.current_size()).unwrap_or(0);
        if perc > 0 && current > min {
            let base = base_total.max(1);
            let growth = (current * 100 / base).saturating_sub(100);
            if growth >= perc {
                tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
                due = true;
            }
        }
    }
    if due {
        let now = unix_ms();
        if let Err(e) = engine.with_keyspace(|ks| start(engine, ks, now)) {
            tracing::error!("Can't start the AOF rewrite: {e}");
            let mut st = engine.aof.rewrite();
            st.last_failed = true;
            st.consecutive_failures += 1;
        }
    }
}

/// At shutdown: waits for a rewrite in flight, then writes and fsyncs the log.
pub fn shutdown(engine: &Engine) {
    let job = engine.aof.rewrite().job.take();
    if let Some(job) = job {
        let _ = job.handle.join();
    }
    engine.aof.shutdown();
}

/// INFO persistence's aof_* fields (Redis 7.0's names and order).
pub(crate) fn info(engine: &Engine, t: &mut String) {
    reap(engine);
    let aof = &engine.aof;
    let st = aof.rewrite();
    let current = st.job.as_ref().map_or(-1, |j| j.started.elapsed().as_secs() as i64);
    let _ = write!(
        t,
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\n\
         aof_current_rewrite_time_sec:{current}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\n\
         aof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:0\r\n\
         module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\naof_sealed:{}\r\n",
        u8::from(aof.active()),
        u8::from(st.job.is_some()),
        u8::from(st.scheduled),
        st.last_secs.unwrap_or(-1),
        if st.last_failed { "err" } else { "ok" },
        st.rewrites,
        st.consecutive_failures,
        if aof.write_failed.load(Ordering::Relaxed) { "err" } else { "ok" },
        u8::from(engine.config().seal_key_file.is_some()),
    );
    drop(st);
    if aof.active() {
        let (size, base) = aof.output.try_lock().map(|o| (o.current_size(), o.base_size)).unwrap_or((0, 0));
        let _ = write!(
            t,
            "aof_current_size:{size}\r\naof_base_size:{base}\r\naof_pending_rewrite:0\r\naof_buffer_length:{}\r\n\
             aof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
            aof.buffer_length()
        );
    }
}
