//! Persistence commands and the server's snapshot life cycle: SAVE, BGSAVE, LASTSAVE, DUMP,
//! RESTORE, the `save` rules the cron applies, loading `dir/dbfilename` at start, the final
//! save at shutdown, and INFO's persistence section. The RDB format itself is
//! `redoubt_persist`'s.
//!
//! **Background saves without fork.** BGSAVE encodes every key into compact, uncompressed
//! RDB records while it holds the store (about as fast as copying the bytes, and about the
//! size of the uncompressed file: far less than a copy of the dataset), then a thread
//! compresses, checksums and writes the file while clients are served. INFO reports how long
//! the store was held (`rdb_last_bgsave_lock_usec`) and how much memory the snapshot took
//! (`rdb_last_bgsave_snapshot_bytes`). A finished background save is collected by the cron
//! (or the next persistence command), as Redis collects its child.
//!
//! **Files** are written atomically and private (0600): see `redoubt_persist::TempFile`.
//!
//! **Sealed snapshots.** With `seal-key-file` set, every save (SAVE, BGSAVE, the rules,
//! FLUSHALL, shutdown) writes the RDB through `redoubt_persist::seal::Writer`, and the load
//! at start accepts only a sealed file: it verifies every record first, then loads, so a
//! wrong key or an altered byte refuses the start with nothing loaded. A plain snapshot while
//! the key is set is refused too (it could have been swapped in: THREATS.md T16), and so is a
//! sealed one without the key. The key is read once (preflight checked the file) and kept.
//! `rdb_changes_since_last_save` is the engine's `dirty` counter; a successful save subtracts
//! the changes it captured.
//!
//! As Redis: after a failed save, with `stop-writes-on-bgsave-error yes` and `save` rules set,
//! write commands (and PING) get `MISCONF` until a save succeeds (`refuse_write`, one atomic
//! load per command otherwise); FLUSHALL writes the empty dataset at once when rules are set and
//! stops a background save in flight from renaming its older file into place, so flushed keys
//! never come back after a restart.

use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::engine::{unix_ms, Engine};
use redoubt_persist::seal::{self, FileKind, SealKey};
use redoubt_persist::{
    dump_value, load_file, load_from, restore_value, write_atomically, write_rdb, Limits, LoadOptions, LoadReport,
    RestoreError, SaveOptions, SaveStats, Snapshot, TempFile,
};
use redoubt_store::hash::HashLimits;
use redoubt_store::zset::ZSetLimits;
use redoubt_store::Keyspace;
use std::fmt::Write as _;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

/// Redis's `CONFIG_BGSAVE_RETRY_DELAY`: after a failed background save, the rules wait this
/// long before trying again.
const RETRY_DELAY_S: i64 = 5;

/// A background save in flight.
struct Job {
    handle: JoinHandle<std::io::Result<SaveStats>>,
    started: Instant,
    /// The dirty count when the snapshot was taken: what a success subtracts.
    dirty_at_start: u64,
    /// Set by FLUSHALL: the thread must not rename its (older) file over the current one.
    /// The thread checks it and renames under this lock.
    cancelled: Arc<Mutex<bool>>,
}

/// How SHUTDOWN asked to treat the dataset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShutdownSave {
    /// Save if `save` rules are configured (Redis's default).
    #[default]
    Default,
    /// SHUTDOWN SAVE: save even without rules.
    Save,
    /// SHUTDOWN NOSAVE: do not save.
    NoSave,
}

struct State {
    /// Unix seconds of the last successful save (the start time until then, as Redis).
    lastsave_s: i64,
    /// Unix seconds of the last background save attempt.
    last_try_s: i64,
    last_bgsave_ok: bool,
    last_bgsave_secs: i64,
    saves: u64,
    job: Option<Job>,
    last_lock_usec: u64,
    last_snapshot_bytes: u64,
    last_load: Option<LoadReport>,
    shutdown: ShutdownSave,
}

/// The snapshot state the engine carries (Redis's `lastsave`, `lastbgsave_status`, the
/// child in flight...).
pub struct PersistState {
    state: Mutex<State>,
    /// Writes are refused (MISCONF): the last save failed, `stop-writes-on-bgsave-error` is
    /// yes and `save` rules are set. Refreshed by the cron; one atomic load per command.
    deny_writes: AtomicBool,
    /// The key of `seal-key-file`, once read.
    seal_key: Mutex<Option<Arc<SealKey>>>,
    /// The value of the engine's `dirty` counter the last successful save captured.
    pub(crate) saved_dirty: AtomicU64,
}

impl Default for PersistState {
    fn default() -> Self {
        PersistState::new()
    }
}

impl std::fmt::Debug for PersistState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersistState")
    }
}

impl PersistState {
    /// The state of a server that starts now.
    pub fn new() -> PersistState {
        PersistState {
            state: Mutex::new(State {
                lastsave_s: unix_ms() / 1000,
                last_try_s: 0,
                last_bgsave_ok: true,
                last_bgsave_secs: -1,
                saves: 0,
                job: None,
                last_lock_usec: 0,
                last_snapshot_bytes: 0,
                last_load: None,
                shutdown: ShutdownSave::Default,
            }),
            deny_writes: AtomicBool::new(false),
            seal_key: Mutex::new(None),
            saved_dirty: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records what SHUTDOWN asked for.
    pub fn set_shutdown_mode(&self, mode: ShutdownSave) {
        self.lock().shutdown = mode;
    }

    /// Whether a background save is running.
    pub fn bgsave_in_progress(&self) -> bool {
        self.lock().job.is_some()
    }
}

/// Records that a save captured every change up to `captured` (a value of the engine's
/// `dirty` counter). `dirty` itself only grows, so the append-only file can tell what one
/// command changed from it while a save finishes concurrently.
fn settle_dirty(engine: &Engine, captured: u64) {
    engine.persistence.saved_dirty.fetch_max(captured, Ordering::Relaxed);
}

/// Changes since the last successful save (INFO's `rdb_changes_since_last_save`).
pub fn changes_since_save(engine: &Engine) -> u64 {
    engine.stats.dirty.load(Ordering::Relaxed).saturating_sub(engine.persistence.saved_dirty.load(Ordering::Relaxed))
}

/// Collects a finished background save (or waits for it when `wait`).
fn reap(engine: &Engine, wait: bool) {
    let mut st = engine.persistence.lock();
    let finished = st.job.as_ref().is_some_and(|j| wait || j.handle.is_finished());
    let Some(job) = st.job.take_if(|_| finished) else { return };
    let elapsed = job.started.elapsed();
    let result = job.handle.join().unwrap_or_else(|_| Err(std::io::Error::other("the save thread panicked")));
    if result.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::Interrupted) {
        tracing::info!("background save discarded: FLUSHALL ran while it was being written");
        return;
    }
    st.last_bgsave_secs = elapsed.as_secs() as i64;
    st.last_bgsave_ok = result.is_ok();
    if result.is_ok() {
        st.lastsave_s = unix_ms() / 1000;
        st.saves += 1;
    }
    drop(st);
    match result {
        Ok(stats) => {
            settle_dirty(engine, job.dirty_at_start);
            let secs = elapsed.as_secs_f64();
            tracing::info!("background save done: {} keys, {} bytes in {secs:.3} s", stats.keys, stats.bytes);
        }
        Err(e) => tracing::error!("background save failed: {e}"),
    }
    refresh_deny_writes(engine);
}

/// Where snapshots go, and how they are written.
fn target(engine: &Engine) -> (PathBuf, String, SaveOptions) {
    let cfg = engine.config();
    let yes = |name: &str| cfg.value(name).is_none_or(|v| v == "yes");
    let opts = SaveOptions {
        compress: yes("rdbcompression"),
        checksum: yes("rdbchecksum"),
        producer_version: crate::server::REDOUBT_VERSION.to_string(),
    };
    (cfg.dir.clone(), cfg.dbfilename.clone(), opts)
}

/// How snapshots are written (`rdbcompression`, `rdbchecksum`): also a replica's snapshot.
pub(crate) fn save_options(engine: &Engine) -> SaveOptions {
    target(engine).2
}

/// The encodings' thresholds from the configuration; LZF output bounded by `inflate_budget`.
fn limits(engine: &Engine, inflate_budget: u64) -> Limits {
    let cfg = engine.config();
    let num = |name: &str, default: usize| cfg.value(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let (h, z) = (HashLimits::default(), ZSetLimits::default());
    Limits {
        hash: HashLimits {
            max_entries: num("hash-max-listpack-entries", h.max_entries),
            max_value: num("hash-max-listpack-value", h.max_value),
        },
        zset: ZSetLimits {
            max_entries: num("zset-max-listpack-entries", z.max_entries),
            max_value: num("zset-max-listpack-value", z.max_value),
        },
        set_max_intset: num("set-max-intset-entries", 512),
        inflate_budget,
    }
}

/// The key of `seal-key-file`, when it is set; read on first use and kept (the path cannot
/// change at run time, and preflight checked the file before the server started).
pub(crate) fn seal_key(engine: &Engine) -> std::io::Result<Option<Arc<SealKey>>> {
    let Some(path) = engine.config().seal_key_file.clone() else { return Ok(None) };
    let mut cached = engine.persistence.seal_key.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(key) = cached.as_ref() {
        return Ok(Some(key.clone()));
    }
    let key = Arc::new(seal::read_key_file(&path).map_err(std::io::Error::other)?);
    *cached = Some(key.clone());
    Ok(Some(key))
}

/// Runs `body` on a sealing writer over `w` (a file of `kind`) and seals the final record.
pub(crate) fn sealed<W: Write, T>(
    w: W,
    key: &SealKey,
    kind: FileKind,
    body: impl FnOnce(&mut seal::Writer<W>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut writer = seal::Writer::new(w, key, kind)?;
    let value = body(&mut writer)?;
    writer.finish()?;
    Ok(value)
}

/// The encodings' thresholds for loading files at start (no LZF budget: the files are ours).
pub(crate) fn load_limits(engine: &Engine) -> Limits {
    limits(engine, u64::MAX)
}

/// Saves synchronously (SAVE, shutdown): the store is held for the whole write.
fn save_now(engine: &Engine, ks: &Keyspace, now_ms: i64) -> std::io::Result<SaveStats> {
    let (dir, name, opts) = target(engine);
    let key = seal_key(engine)?;
    let dirty = engine.stats.dirty.load(Ordering::Relaxed);
    let started = Instant::now();
    let stats = write_atomically(&dir, &name, |w| match key.as_deref() {
        Some(key) => sealed(w, key, FileKind::Rdb, |s| write_rdb(s, ks, now_ms, &opts)),
        None => write_rdb(w, ks, now_ms, &opts),
    })?;
    settle_dirty(engine, dirty);
    let mut st = engine.persistence.lock();
    st.lastsave_s = now_ms / 1000;
    st.last_bgsave_ok = true;
    st.saves += 1;
    drop(st);
    tracing::info!(
        "DB saved on disk: {} keys, {} bytes in {:.3} s",
        stats.keys,
        stats.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(stats)
}

/// Starts a background save of `ks` (held by the caller).
fn start_bgsave(engine: &Engine, ks: &Keyspace, now_ms: i64) -> std::io::Result<()> {
    let (dir, name, opts) = target(engine);
    let key = seal_key(engine)?;
    let started = Instant::now();
    let snapshot = Snapshot::capture(ks, now_ms);
    let lock_usec = started.elapsed().as_micros() as u64;
    let bytes = snapshot.heap_bytes() as u64;
    let dirty_at_start = engine.stats.dirty.load(Ordering::Relaxed);
    let cancelled = Arc::new(Mutex::new(false));
    let flag = cancelled.clone();
    let handle = std::thread::Builder::new().name("redoubt-bgsave".into()).spawn(move || {
        let mut temp = TempFile::create(&dir)?;
        let stats = match key.as_deref() {
            Some(key) => sealed(temp.writer(), key, FileKind::Rdb, |s| snapshot.write_to(s, &opts))?,
            None => snapshot.write_to(temp.writer(), &opts)?,
        };
        drop(snapshot);
        temp.finish()?;
        let cancelled = flag.lock().unwrap_or_else(|e| e.into_inner());
        if *cancelled {
            return Err(std::io::Error::new(std::io::ErrorKind::Interrupted, "cancelled"));
        }
        temp.commit(&name)?;
        Ok(stats)
    })?;
    let mut st = engine.persistence.lock();
    st.job = Some(Job { handle, started, dirty_at_start, cancelled });
    st.last_try_s = now_ms / 1000;
    st.last_lock_usec = lock_usec;
    st.last_snapshot_bytes = bytes;
    drop(st);
    tracing::info!("background saving started: snapshot of {bytes} bytes taken in {lock_usec} us");
    Ok(())
}

/// SAVE
pub(crate) fn save(ctx: &mut Ctx<'_>) -> CmdResult {
    reap(ctx.engine, false);
    if ctx.engine.persistence.bgsave_in_progress() {
        return Err(CmdError::raw("ERR Background save already in progress"));
    }
    match save_now(ctx.engine, ctx.keyspace, ctx.now_ms) {
        Ok(_) => {
            refresh_deny_writes(ctx.engine);
            ctx.out.ok();
            Ok(())
        }
        Err(e) => {
            tracing::error!("SAVE failed: {e}");
            ctx.engine.persistence.lock().last_bgsave_ok = false;
            refresh_deny_writes(ctx.engine);
            Err(CmdError::err(format!("Failed to save the snapshot: {e}")))
        }
    }
}

/// BGSAVE [SCHEDULE]
pub(crate) fn bgsave(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.args.len() {
        1 => {}
        2 if is_opt(&ctx.args[1], "SCHEDULE") => {}
        _ => return Err(CmdError::syntax()),
    }
    reap(ctx.engine, false);
    if ctx.engine.persistence.bgsave_in_progress() {
        return Err(CmdError::raw("ERR Background save already in progress"));
    }
    start_bgsave(ctx.engine, ctx.keyspace, ctx.now_ms)
        .map_err(|e| CmdError::err(format!("Failed to start the background save: {e}")))?;
    ctx.out.simple("Background saving started");
    Ok(())
}

/// After FLUSHALL emptied every database (`removed` keys): counts the change, stops a
/// background save in flight from renaming its older file into place, and with `save` rules
/// writes the empty dataset at once, so a restart cannot bring the flushed keys back (as
/// Redis's `flushAllDataAndResetRDB`).
pub(crate) fn flushed_all(ctx: &mut Ctx<'_>, removed: u64) {
    let engine = ctx.engine;
    engine.stats.dirty.fetch_add(removed, Ordering::Relaxed);
    if let Some(job) = engine.persistence.lock().job.as_ref() {
        *job.cancelled.lock().unwrap_or_else(|e| e.into_inner()) = true;
    }
    if !save_rules(engine).is_empty() {
        if let Err(e) = save_now(engine, ctx.keyspace, ctx.now_ms) {
            tracing::error!("saving the flushed dataset failed: {e}");
            engine.persistence.lock().last_bgsave_ok = false;
        }
    }
    engine.stats.dirty.fetch_add(1, Ordering::Relaxed);
}

/// LASTSAVE
pub(crate) fn lastsave(ctx: &mut Ctx<'_>) -> CmdResult {
    reap(ctx.engine, false);
    let s = ctx.engine.persistence.lock().lastsave_s;
    ctx.out.int(s);
    Ok(())
}

fn rdbcompression(engine: &Engine) -> bool {
    engine.config().value("rdbcompression").is_none_or(|v| v == "yes")
}

/// DUMP key
pub(crate) fn dump(ctx: &mut Ctx<'_>) -> CmdResult {
    let compress = rdbcompression(ctx.engine);
    let now = ctx.now_ms;
    let found = ctx.keyspace.db(ctx.session.db).get(&ctx.args[1], now, true).map(|v| dump_value(v, compress));
    ctx.keyspace.record_lookup(found.is_some());
    match found {
        Some(payload) => ctx.out.bulk(&payload),
        None => ctx.out.null(),
    }
    Ok(())
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
pub(crate) fn restore(ctx: &mut Ctx<'_>) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<u64>, Option<u8>) = (None, None);
    let mut j = 4;
    while j < ctx.args.len() {
        let more = ctx.args.len() - j - 1;
        let a = &ctx.args[j];
        if is_opt(a, "REPLACE") {
            replace = true;
        } else if is_opt(a, "ABSTTL") {
            absttl = true;
        } else if is_opt(a, "IDLETIME") && more >= 1 && freq.is_none() {
            let v = ctx.int_arg(j + 1)?;
            if v < 0 {
                return Err(CmdError::raw("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v as u64);
            j += 1;
        } else if is_opt(a, "FREQ") && more >= 1 && idle.is_none() {
            let v = ctx.int_arg(j + 1)?;
            freq = Some(u8::try_from(v).map_err(|_| CmdError::raw("ERR Invalid FREQ value, must be >= 0 and <= 255"))?);
            j += 1;
        } else {
            return Err(CmdError::syntax());
        }
        j += 1;
    }
    let now = ctx.now_ms;
    let args = ctx.args;
    let key = &args[1];
    if !replace && ctx.db().exists(key, now) {
        return Err(CmdError::raw("BUSYKEY Target key name already exists."));
    }
    let mut ttl = parse_i64(&ctx.args[2]).ok_or(CmdError::not_integer())?;
    if ttl < 0 {
        return Err(CmdError::raw("ERR Invalid TTL value, must be >= 0"));
    }
    let budget = ctx.engine.config().proto_max_bulk_len as u64;
    let value = restore_value(&ctx.args[3], &limits(ctx.engine, budget)).map_err(|e| match e {
        RestoreError::Footer => CmdError::raw("ERR DUMP payload version or checksum are wrong"),
        RestoreError::Data(_) => CmdError::raw("ERR Bad data format"),
    })?;
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(now);
        // Logged with ABSTTL: the deadline, not the time left.
        let (args, deadline) = (ctx.args, ttl);
        ctx.propagate_as(|| {
            let mut logged = args.to_vec();
            logged[2] = crate::aof::propagate::int(deadline);
            logged.push(bytes::Bytes::from_static(b"ABSTTL"));
            logged
        });
    }
    let db = ctx.keyspace.db(ctx.session.db);
    let deleted = replace && db.remove(key, now).is_some();
    if ttl != 0 && ttl <= now {
        // Already expired: nothing to create (an old value REPLACE removed stays removed).
        if deleted {
            ctx.engine.stats.dirty.fetch_add(1, Ordering::Relaxed);
        }
        ctx.out.ok();
        return Ok(());
    }
    if ttl != 0 {
        db.set_with_deadline(key, value, ttl, now);
    } else {
        db.set(key, value, false, now);
    }
    if idle.is_some() || freq.is_some() {
        db.set_access(key, idle, freq, now);
    }
    ctx.engine.stats.dirty.fetch_add(1, Ordering::Relaxed);
    ctx.out.ok();
    Ok(())
}

/// Loads `dir/dbfilename` into the (empty) keyspace at start, if the file exists. `Ok(None)`
/// when there is no file; an error names the file and what is wrong with it, and leaves the
/// keyspace empty. With `seal-key-file` only a sealed snapshot loads, and only without it a
/// plain one.
pub fn load_at_start(engine: &Engine) -> Result<Option<LoadReport>, String> {
    let (path, verify) = {
        let cfg = engine.config();
        (cfg.dir.join(&cfg.dbfilename), cfg.value("rdbchecksum").is_none_or(|v| v == "yes"))
    };
    // Read now even without a snapshot, so every save uses the key preflight checked.
    let key = seal_key(engine).map_err(|e| e.to_string())?;
    if !path.exists() {
        return Ok(None);
    }
    let shown = path.display();
    let kind = seal::sealed_kind(&path).map_err(|e| format!("cannot load the snapshot {shown}: {e}"))?;
    match (kind, &key) {
        (Some(FileKind::Rdb), Some(_)) | (None, None) => {}
        (Some(kind @ FileKind::Aof), _) => {
            return Err(format!("cannot load the snapshot {shown}: it is a sealed {kind}, not a snapshot"))
        }
        (Some(_), None) => {
            return Err(format!(
                "the snapshot {shown} is sealed, but seal-key-file is not set: set seal-key-file to the key file it \
                 was sealed with, or unseal it with: redoubt unseal --key-file KEY {shown} OUT"
            ))
        }
        (None, Some(_)) => {
            return Err(format!(
                "the snapshot {shown} is not sealed, but seal-key-file is set: a plain snapshot is refused, since \
                 whoever can write the data directory could have put it there. To adopt it, seal it with: redoubt \
                 seal --key-file KEY {shown} {shown}.sealed, check it, and move it into place (or unset seal-key-file)"
            ))
        }
    }
    let opts = LoadOptions { limits: limits(engine, u64::MAX), verify_checksum: verify, now_ms: unix_ms() };
    let started = Instant::now();
    let result = match key {
        Some(key) => load_sealed(engine, &path, &key, &opts),
        None => engine.with_keyspace(|ks| {
            let r = load_file(&path, ks, &opts);
            if r.is_err() {
                ks.flush_all();
            }
            r.map_err(|e| e.to_string())
        }),
    };
    match result {
        Ok(report) => {
            let ignored = if report.functions_skipped > 0 {
                format!(", {} function libraries ignored (Redoubt runs no server-side code)", report.functions_skipped)
            } else {
                String::new()
            };
            tracing::info!(
                "DB loaded from {}: {} keys loaded, {} expired keys skipped, {} empty keys skipped{ignored} in {:.3} s",
                path.display(),
                report.keys_loaded,
                report.keys_expired,
                report.empty_keys_skipped,
                started.elapsed().as_secs_f64()
            );
            engine.persistence.lock().last_load = Some(report.clone());
            Ok(Some(report))
        }
        Err(e) => Err(format!(
            "cannot load the snapshot {shown}: {e}; nothing was loaded. Move the file away to start with an empty \
             dataset, or restore a good copy"
        )),
    }
}

/// Loads a sealed snapshot: every record is verified first, without the store (so a wrong
/// key or an altered byte loads nothing), then the verified file is read again and parsed.
/// A file changed between the two passes fails its own verification in the second.
fn load_sealed(engine: &Engine, path: &Path, key: &SealKey, opts: &LoadOptions) -> Result<LoadReport, String> {
    let open = || std::fs::File::open(path).map(|f| BufReader::with_capacity(1 << 20, f)).map_err(|e| e.to_string());
    let verified = seal::verify(open()?, key).map_err(|e| format!("the sealed file is refused: {e}"))?;
    let reader = seal::Reader::open(open()?, key).map_err(|e| format!("the sealed file is refused: {e}"))?;
    let plain = BufReader::with_capacity(64 << 10, reader);
    engine.with_keyspace(|ks| {
        let r = load_from(plain, verified.plaintext_bytes, ks, opts);
        if r.is_err() {
            ks.flush_all();
        }
        r.map_err(|e| format!("{e} (inside the sealed file)"))
    })
}

/// The `save` rules: (seconds, changes) pairs; empty when snapshots are off.
fn save_rules(engine: &Engine) -> Vec<(i64, u64)> {
    let text = engine.config().value("save").unwrap_or_default();
    let nums: Vec<&str> = text.split_whitespace().collect();
    nums.chunks_exact(2).filter_map(|p| Some((p[0].parse().ok()?, p[1].parse().ok()?))).collect()
}

/// The cron's part (Redis's serverCron): collects a finished background save and starts one
/// when a `save` rule is met (enough changes, long enough since the last save, and not
/// right after a failure).
pub fn cron(engine: &Engine) {
    reap(engine, false);
    refresh_deny_writes(engine);
    if engine.persistence.bgsave_in_progress() {
        return;
    }
    let now_s = unix_ms() / 1000;
    let dirty = changes_since_save(engine);
    if dirty == 0 {
        return;
    }
    let (lastsave, last_try, ok) = {
        let st = engine.persistence.lock();
        (st.lastsave_s, st.last_try_s, st.last_bgsave_ok)
    };
    let due = save_rules(engine).into_iter().find(|&(secs, changes)| {
        dirty >= changes && now_s - lastsave > secs && (ok || now_s - last_try > RETRY_DELAY_S)
    });
    if let Some((secs, changes)) = due {
        tracing::info!("{changes} changes in {secs} seconds. Saving...");
        let now_ms = unix_ms();
        if let Err(e) = engine.with_keyspace(|ks| start_bgsave(engine, ks, now_ms)) {
            tracing::error!("cannot start the background save: {e}");
            let mut st = engine.persistence.lock();
            st.last_bgsave_ok = false;
            st.last_try_s = now_s;
        }
    }
}

/// Redis's MISCONF error text.
const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. \
Commands that may modify the data set are disabled, because this instance is configured to report errors during writes \
if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Recomputes whether writes are refused after a failed save (Redis's
/// `writeCommandsDeniedByDiskError`).
fn refresh_deny_writes(engine: &Engine) {
    let failed = !engine.persistence.lock().last_bgsave_ok;
    let deny = failed
        && engine.config().value("stop-writes-on-bgsave-error").is_none_or(|v| v == "yes")
        && !save_rules(engine).is_empty();
    engine.persistence.deny_writes.store(deny, Ordering::Relaxed);
}

/// Refuses a write command (and PING, as Redis does) with MISCONF while the last save
/// failed and `stop-writes-on-bgsave-error` is on; `None` lets it run. In MULTI the
/// refusal aborts the transaction.
pub(crate) fn refuse_write(
    engine: &Engine,
    session: &mut crate::session::Session,
    spec: &crate::spec::CommandSpec,
    args: &[bytes::Bytes],
) -> Option<CmdResult> {
    let rdb_failed = engine.persistence.deny_writes.load(Ordering::Relaxed);
    let aof_failed = engine.aof.write_failed.load(Ordering::Relaxed);
    if !rdb_failed && !aof_failed {
        return None;
    }
    if !(spec.flags.contains(crate::spec::CmdFlags::WRITE) || args[0].eq_ignore_ascii_case(b"ping")) {
        return None;
    }
    if session.features & crate::session::IN_MULTI != 0 {
        crate::transactions::flag_abort(session);
    }
    if aof_failed && !rdb_failed {
        // Redis's text after a failed write(2) to the append-only file.
        return Some(Err(CmdError(
            format!("MISCONF Errors writing to the AOF file: {}", engine.aof.last_write_error()).into(),
        )));
    }
    Some(Err(CmdError::raw(MISCONF)))
}

/// At shutdown: waits for a background save in flight, then saves if SHUTDOWN SAVE asked,
/// or `save` rules are configured and SHUTDOWN NOSAVE did not say otherwise (as Redis).
/// `Ok(true)` when it saved.
pub fn save_on_shutdown(engine: &Engine) -> Result<bool, String> {
    reap(engine, true);
    let mode = engine.persistence.lock().shutdown;
    let wanted = match mode {
        ShutdownSave::Save => true,
        ShutdownSave::NoSave => false,
        ShutdownSave::Default => !save_rules(engine).is_empty(),
    };
    if !wanted {
        return Ok(false);
    }
    tracing::info!("saving the final snapshot before exiting");
    let now_ms = unix_ms();
    engine.with_keyspace(|ks| save_now(engine, ks, now_ms)).map(|_| true).map_err(|e| format!("final save failed: {e}"))
}

/// INFO's persistence section.
pub(crate) fn info(engine: &Engine, t: &mut String) {
    reap(engine, false);
    let st = engine.persistence.lock();
    let current = st.job.as_ref().map_or(-1, |j| j.started.elapsed().as_secs() as i64);
    let (loaded, expired) = st.last_load.as_ref().map_or((0, 0), |r| (r.keys_loaded, r.keys_expired));
    let sealed = u8::from(engine.config().seal_key_file.is_some());
    let _ = write!(
        t,
        "# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\n\
         rdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\n\
         rdb_saves:{}\r\nrdb_last_load_keys_expired:{expired}\r\nrdb_last_load_keys_loaded:{loaded}\r\n\
         rdb_last_bgsave_lock_usec:{}\r\nrdb_last_bgsave_snapshot_bytes:{}\r\nrdb_sealed:{sealed}\r\n",
        changes_since_save(engine),
        u8::from(st.job.is_some()),
        st.lastsave_s,
        if st.last_bgsave_ok { "ok" } else { "err" },
        st.last_bgsave_secs,
        current,
        st.saves,
        st.last_lock_usec,
        st.last_snapshot_bytes,
    );
    drop(st);
    crate::aof::rewrite::info(engine, t);
}
