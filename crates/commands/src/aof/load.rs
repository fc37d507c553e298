//! Loading at start (Redis's `loadAppendOnlyFiles`), before any client connects.
//!
//! With `appendonly yes`: the manifest, then the base (an RDB file, or commands) and the
//! incremental files in order, each command run through its handler as a trusted internal
//! client (no gate, no limits). A truncated last command of the last file is cut off with a
//! warning under `aof-load-truncated yes` and refuses the start under `no`; a truncated
//! earlier file, a command that is not a command, or an unknown command refuses the start;
//! nothing is half-loaded (the keyspace is emptied before the error is returned). A
//! transaction left open at the end of the file is dropped, as Redis drops it.
//!
//! Without a manifest, a Redis 6 `appendonly.aof` in `dir` is loaded (RDB preamble and
//! commands); otherwise the snapshot `dbfilename`, if any. Either way the dataset becomes the
//! base of a new multi-part log, so turning the log on keeps the data.
//!
//! **Sealed files** (`seal-key-file`): every file the manifest lists must be sealed (a plain
//! one could have been put there by whoever can write the directory), and without the key
//! every sealed one is refused. All of them are verified before anything loads: the base
//! must end with its final record, earlier incremental files must be whole, and the last one
//! is reopened as the log to append to (`aof-load-truncated yes` cuts off an append a crash
//! cut short, at a record boundary; `no` refuses). Then the verified plaintext is loaded as a
//! plain file would be. A sealed log ends on whole group-commit writes, so its plaintext
//! never ends inside a command; it may end inside a transaction (a write taken between MULTI
//! and EXEC): the transaction is dropped, and since a sealed file cannot be cut inside a
//! record, a DISCARD is logged after it instead of cutting the file.

use super::rewrite::write_base_now;
use crate::engine::{resolve, unix_ms, Engine};
use crate::session::Session;
use crate::Transport;
use bytes::Bytes;
use redoubt_persist::aof::{self, AofReadError, AofWriter, CommandReader, Manifest};
use redoubt_persist::seal::{self, FileKind as SealedKind, SealError, SealKey, SealedLog};
use redoubt_persist::{load_prefix, LoadOptions};
use redoubt_resp::{Protocol, ReplyBuffer};
use redoubt_store::Keyspace;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// The AOF settings read at start.
pub(crate) struct Paths {
    pub(crate) dir: PathBuf,
    pub(crate) aof_dir: PathBuf,
    pub(crate) prefix: String,
}

pub(crate) fn paths(engine: &Engine) -> Paths {
    let cfg = engine.config();
    let prefix = cfg.value("appendfilename").unwrap_or_else(|| "appendonly.aof".into());
    let dirname = cfg.value("appenddirname").unwrap_or_else(|| "appendonlydir".into());
    Paths { dir: cfg.dir.clone(), aof_dir: cfg.dir.join(dirname), prefix }
}

fn yes(engine: &Engine, name: &str, default: bool) -> bool {
    engine.config().value(name).map_or(default, |v| v == "yes")
}

/// Loads the dataset at start: the append-only file with `appendonly yes`, else the
/// snapshot. An error names the file and the problem; the server must not start.
pub fn load_at_start(engine: &Engine) -> Result<(), String> {
    let p = paths(engine);
    let manifest_path = p.aof_dir.join(format!("{}{}", p.prefix, aof::MANIFEST_SUFFIX));
    let manifest = match std::fs::read(&manifest_path) {
        Ok(text) => Some(
            Manifest::parse(&text)
                .map_err(|e| format!("*** FATAL AOF MANIFEST FILE ERROR *** {}: {e}", manifest_path.display())),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(Err(format!("Fatal error: can't open the AOF manifest file {}: {e}", manifest_path.display()))),
    };
    let enabled = yes(engine, "appendonly", false);
    let key = crate::persistence::seal_key(engine).map_err(|e| format!("cannot read seal-key-file: {e}"))?;
    {
        let mut out = engine.aof.output();
        out.dir = p.aof_dir.clone();
        out.prefix = p.prefix.clone();
        out.key = key.clone();
    }
    if !enabled {
        match manifest {
            Some(Ok(m)) => engine.aof.output().manifest = m,
            Some(Err(e)) => tracing::warn!("{e} (ignored: appendonly is no)"),
            None => {}
        }
        crate::persistence::load_at_start(engine)?;
        return Ok(());
    }
    let manifest = manifest.transpose()?.filter(|m| !m.is_empty());
    match manifest {
        Some(m) => {
            let log = load_manifest_files(engine, &p.aof_dir, &m, key.as_deref())?;
            open_for_append(engine, m, log)?;
        }
        None => {
            let old_style = p.dir.join(&p.prefix);
            if old_style.is_file() {
                if key.is_some() {
                    return Err(format!(
                        "the old-style append-only file {} cannot be loaded while seal-key-file is set: start once \
                         without seal-key-file to turn it into the multi-part directory {}, stop, then seal that \
                         directory with: redoubt seal --key-file KEY {} {}.sealed, and move it into place",
                        old_style.display(),
                        p.aof_dir.display(),
                        p.aof_dir.display(),
                        p.aof_dir.display()
                    ));
                }
                load_old_style(engine, &old_style)?;
            } else {
                crate::persistence::load_at_start(engine)?;
            }
            aof::create_dir(&p.aof_dir)
                .map_err(|e| format!("Can't open or create append-only dir {}: {e}", p.aof_dir.display()))?;
            let now = unix_ms();
            engine
                .with_keyspace(|ks| write_base_now(engine, ks, now))
                .map_err(|e| format!("Can't create the AOF base file in {}: {e}", p.aof_dir.display()))?;
        }
    }
    // A fresh log: nothing changed since what is on disk.
    let dirty = engine.stats.dirty.load(Ordering::Relaxed);
    engine.persistence.saved_dirty.store(dirty, Ordering::Relaxed);
    activate(engine);
    Ok(())
}

/// Turns logging on (the files are open): the store records the keys it deletes on its
/// own, and the background thread runs.
pub(crate) fn activate(engine: &Engine) {
    engine.with_keyspace(|ks| {
        engine.aof.set_active(true);
        let mask = ks.event_mask() | redoubt_store::KeyEvent::Expired.bit() | redoubt_store::KeyEvent::Evicted.bit();
        ks.set_event_mask(mask);
    });
    engine.aof.start_thread();
}

/// Opens the last incremental file for appending (creating one if the manifest has none);
/// `log` is the last one when sealed, already verified and reopened.
fn open_for_append(engine: &Engine, mut m: Manifest, log: Option<SealedLog>) -> Result<(), String> {
    let mut out = engine.aof.output();
    let size = |name: &str| std::fs::metadata(out.dir.join(name)).map(|md| md.len()).unwrap_or(0);
    let base_size = m.base.as_ref().map_or(0, |b| size(&b.name));
    let mut created = false;
    if m.incrs.is_empty() {
        m.add_incr(&out.prefix);
        created = true;
    }
    let last = m.incrs.last().map(|f| f.name.clone()).unwrap_or_default();
    let before: u64 = m.incrs[..m.incrs.len() - 1].iter().map(|f| size(&f.name)).sum();
    let path = out.dir.join(&last);
    let file = match (log, out.key.clone()) {
        (Some(log), _) if !created => AofWriter::from_sealed(log),
        (_, Some(key)) => AofWriter::create_new(&path, Some(&key)),
        (_, None) => AofWriter::open(&path),
    }
    .map_err(|e| format!("Can't open the append-only file {}: {e}", path.display()))?;
    let incr_len = file.len().map_err(|e| e.to_string())?;
    out.manifest = m;
    if created {
        out.persist_manifest().map_err(|e| format!("Can't write the AOF manifest: {e}"))?;
        tracing::info!("Creating AOF incr file {last} on server start");
    } else {
        tracing::info!("Opening AOF incr file {last} on server start");
    }
    out.file = Some(file);
    out.base_size = base_size;
    out.size_before = base_size + before;
    out.incr_len = incr_len;
    let total = out.current_size();
    drop(out);
    engine.aof.rewrite().base_listed(total);
    Ok(())
}

/// Loads the base and the incremental files the manifest lists. Sealed: verifies them all
/// first, and returns the last incremental file reopened as the log to append to.
fn load_manifest_files(
    engine: &Engine,
    dir: &Path,
    m: &Manifest,
    key: Option<&SealKey>,
) -> Result<Option<SealedLog>, String> {
    let files: Vec<&aof::AofFileInfo> = m.base.iter().chain(&m.incrs).collect();
    let started = Instant::now();
    for f in &files {
        check_sealing(dir, &f.name, key)?;
    }
    let mut plain_lens = Vec::new();
    let mut log = None;
    if let Some(key) = key {
        for (i, f) in files.iter().enumerate() {
            let is_last_incr = i + 1 == files.len() && f.kind == aof::FileKind::Incr;
            let (len, opened) = verify_sealed(engine, dir, &f.name, f.kind == aof::FileKind::Base, is_last_incr, key)?;
            plain_lens.push(len);
            log = opened.or(log);
        }
    }
    let mut discard = false;
    let result = engine.with_keyspace(|ks| {
        let mut session = internal_session(engine);
        let mut r = Ok(());
        for (i, f) in files.iter().enumerate() {
            let last = i + 1 == files.len();
            let t = Instant::now();
            let path = dir.join(&f.name);
            r = match key {
                None => load_one(engine, ks, &mut session, &path, &f.name, last),
                Some(key) => {
                    let base = f.kind == aof::FileKind::Base;
                    let loaded =
                        load_sealed(engine, ks, &mut session, &path, &f.name, last, (key, base, plain_lens[i]));
                    loaded.map(|tail| discard = tail == Tail::OpenMulti)
                }
            };
            if r.is_err() {
                break;
            }
            let kind = if f.kind == aof::FileKind::Base { "base" } else { "incr" };
            tracing::info!("DB loaded from {kind} file {}: {:.3} seconds", f.name, t.elapsed().as_secs_f64());
        }
        engine.clients.unregister(session.id());
        if r.is_err() {
            ks.flush_all();
        }
        r
    });
    result?;
    if discard {
        // The dropped transaction's MULTI must not swallow what is appended after it.
        if let Some(log) = log.as_mut() {
            log.append(b"*1\r\n$7\r\nDISCARD\r\n")
                .and_then(|_| log.file().sync_data())
                .map_err(|e| format!("Can't log the DISCARD of the incomplete transaction: {e}"))?;
        }
    }
    tracing::info!("DB loaded from append only file: {:.3} seconds", started.elapsed().as_secs_f64());
    Ok(log)
}

/// Refuses a plain file while the key is set, a sealed one without it, and a sealed file of
/// another kind (a snapshot).
fn check_sealing(dir: &Path, name: &str, key: Option<&SealKey>) -> Result<(), String> {
    let path = dir.join(name);
    let shown = path.display();
    let kind = match seal::sealed_kind(&path) {
        Ok(kind) => kind,
        // A missing file is reported by the load, in Redis's words.
        Err(SealError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot load the append-only file {shown}: {e}")),
    };
    let dir = dir.display();
    match (kind, key) {
        (Some(SealedKind::Aof), Some(_)) | (None, None) => Ok(()),
        (Some(kind @ SealedKind::Rdb), _) => {
            Err(format!("cannot load the append-only file {shown}: it is a sealed {kind}, not an append-only file"))
        }
        (Some(_), None) => Err(format!(
            "the append-only file {shown} is sealed, but seal-key-file is not set: set seal-key-file to the key file \
             it was sealed with, or unseal the directory with: redoubt unseal --key-file KEY {dir} OUT"
        )),
        (None, Some(_)) => Err(format!(
            "the append-only file {shown} is not sealed, but seal-key-file is set: a plain file is refused, since \
             whoever can write the data directory could have put it there. To adopt the plain append-only files, \
             seal the directory with: redoubt seal --key-file KEY {dir} {dir}.sealed, check it, and move it into \
             place (or unset seal-key-file)"
        )),
    }
}

/// Verifies one sealed file (every record, before anything loads); returns its plaintext
/// length and, for the last incremental file, the log reopened to append to.
fn verify_sealed(
    engine: &Engine,
    dir: &Path,
    name: &str,
    base: bool,
    last_incr: bool,
    key: &SealKey,
) -> Result<(u64, Option<SealedLog>), String> {
    let path = dir.join(name);
    let refused =
        |e: SealError| format!("the sealed append-only file {} is refused: {e}; nothing was loaded", path.display());
    if !last_incr {
        let mut reader = aof::open_sealed_reader(&path, key, base).map_err(|e| match e {
            SealError::Io(e) => format!("Fatal error: can't open the append log file {name} for reading: {e}"),
            e => refused(e),
        })?;
        loop {
            match reader.next_record() {
                Ok(Some(_)) => {}
                Ok(None) => return Ok((reader.plaintext_bytes(), None)),
                Err(e @ SealError::Truncated { .. }) if !base => {
                    return Err(format!("Fatal error: the truncated file is not the last file ({name}): {e}"))
                }
                Err(e) => return Err(refused(e)),
            }
        }
    }
    let allow_cut = yes(engine, "aof-load-truncated", true);
    match aof::open_sealed_log(&path, key, allow_cut) {
        Ok((log, found)) => {
            if let Some((at, dropped)) = found.cut {
                tracing::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
                tracing::warn!(
                    "!!! Truncating the AOF {name} at offset {at} (a write a crash cut short: {dropped} bytes) !!!"
                );
                tracing::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
            }
            Ok((found.plaintext_bytes, Some(log)))
        }
        Err(SealError::Truncated { partial: true, .. }) => Err(format!(
            "Unexpected end of file reading the append only file {name}: the sealed file ends inside a write (a crash \
             cut it short). You can set the 'aof-load-truncated' configuration option to yes and restart the server: \
             the cut write is removed"
        )),
        Err(SealError::Io(e)) => Err(format!("Fatal error: can't open the append log file {name} for reading: {e}")),
        Err(e) => Err(refused(e)),
    }
}

/// How a file's commands ended.
#[derive(Debug, PartialEq, Eq)]
enum Tail {
    /// On a whole command, outside a transaction (or the file was cut there).
    Clean,
    /// Inside a transaction that was dropped, in a sealed file that cannot be cut there.
    OpenMulti,
}

/// Loads one verified sealed file: its plaintext (`plain_len` bytes, as verification
/// counted) is an RDB image (with an optional command tail), or commands.
fn load_sealed(
    engine: &Engine,
    ks: &mut Keyspace,
    session: &mut Session,
    path: &Path,
    name: &str,
    last: bool,
    (key, base, plain_len): (&SealKey, bool, u64),
) -> Result<Tail, String> {
    let reader = aof::open_sealed_reader(path, key, base)
        .map_err(|e| format!("the sealed append-only file {} is refused: {e}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut sig = [0u8; 5];
    let n = read_up_to(&mut reader, &mut sig).map_err(|e| sealed_read_error(name, e))?;
    let mut plain = BufReader::new(std::io::Cursor::new(sig[..n].to_vec()).chain(reader));
    let mut start = 0;
    if &sig[..n] == b"REDIS" {
        start = load_rdb_preamble(engine, ks, &mut plain, plain_len, name)?;
    }
    let commands = CommandReader::new(plain, start, plain_len - start);
    replay_commands(engine, ks, session, commands, None, name, last)
}

/// Reads until `buf` is full or the input ends.
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn sealed_read_error(name: &str, e: std::io::Error) -> String {
    format!("Unrecoverable error reading the sealed append only file {name}: {}", SealError::from(e))
}

/// A Redis 6 single `appendonly.aof` in `dir`.
fn load_old_style(engine: &Engine, path: &Path) -> Result<(), String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    engine.with_keyspace(|ks| {
        let mut session = internal_session(engine);
        let r = load_one(engine, ks, &mut session, path, &name, true);
        engine.clients.unregister(session.id());
        if r.is_err() {
            ks.flush_all();
        }
        r
    })?;
    tracing::info!(
        "Loaded the old-style append-only file {}; it becomes the base of {}",
        path.display(),
        "the AOF directory"
    );
    Ok(())
}

fn internal_session(engine: &Engine) -> Session {
    let handle = engine.clients.register("aof-loader".into(), String::new(), Transport::Unix, unix_ms());
    Session::new(handle)
}

/// Loads one file: an RDB image (with an optional command tail), or commands.
fn load_one(
    engine: &Engine,
    ks: &mut Keyspace,
    session: &mut Session,
    path: &Path,
    name: &str,
    last: bool,
) -> Result<(), String> {
    let (mut reader, len) = match aof::open_reader(path) {
        Ok(r) => r,
        Err(e) => return Err(format!("Fatal error: can't open the append log file {name} for reading: {e}")),
    };
    if len == 0 {
        return Ok(());
    }
    let mut sig = [0u8; 5];
    let is_rdb = len >= 5 && reader.read_exact(&mut sig).is_ok() && &sig == b"REDIS";
    let mut start = 0;
    if is_rdb {
        reader.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
        start = load_rdb_preamble(engine, ks, &mut reader, len, name)?;
        if start == len {
            return Ok(());
        }
        // Whatever the RDB reader buffered: read the tail from its own position.
        reader.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
    } else {
        reader.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    }
    replay_commands(engine, ks, session, CommandReader::new(reader, start, len - start), Some(path), name, last)
        .map(|_| ())
}

/// Runs every command of a file through its handler. A truncated tail of a plain file
/// (`path` given) is cut off as `aof-load-truncated` says; a sealed file cannot be cut
/// inside a record (see the module's doc).
fn replay_commands<R: std::io::BufRead>(
    engine: &Engine,
    ks: &mut Keyspace,
    session: &mut Session,
    mut reader: CommandReader<R>,
    path: Option<&Path>,
    name: &str,
    last: bool,
) -> Result<Tail, String> {
    let mut open_multi = false;
    let mut out = ReplyBuffer::new(Protocol::Resp2);
    let mut queued: Option<(u64, Vec<Vec<Bytes>>)> = None;
    let mut now = unix_ms();
    let mut count = 0u64;
    let truncated_at = loop {
        let offset = reader.offset();
        let args = match reader.next_command() {
            Ok(Some(args)) => args,
            Ok(None) => match queued.take() {
                // A transaction left open: dropped, as a short read.
                Some((multi_at, _)) => {
                    tracing::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
                    open_multi = true;
                    break Some(multi_at);
                }
                None => return Ok(Tail::Clean),
            },
            Err(AofReadError::Truncated { valid_up_to }) => {
                break Some(queued.take().map_or(valid_up_to, |(at, _)| at));
            }
            Err(AofReadError::Format { offset }) => return Err(bad_format(name, offset)),
            Err(AofReadError::Io(e)) => {
                return Err(format!("Unrecoverable error reading the append only file {name}: {}", SealError::from(e)))
            }
        };
        count += 1;
        if count.is_multiple_of(1024) {
            now = unix_ms();
        }
        let args: Vec<Bytes> = args.into_iter().map(Bytes::from).collect();
        let spec = match resolve(&args) {
            Ok(spec) => spec,
            Err(e) if e.message().starts_with("ERR unknown command") => {
                return Err(format!(
                    "Unknown command '{}' reading the append only file {name}",
                    String::from_utf8_lossy(&args[0])
                ))
            }
            Err(_) => return Err(bad_format(name, offset)),
        };
        if args[0].eq_ignore_ascii_case(b"multi") {
            queued = Some((offset, Vec::new()));
            continue;
        }
        if args[0].eq_ignore_ascii_case(b"discard") {
            // Logged after a transaction a crash left open (sealed logs), as Redis reads it.
            queued = None;
            continue;
        }
        if args[0].eq_ignore_ascii_case(b"exec") {
            if let Some((_, cmds)) = queued.take() {
                for cmd in cmds {
                    if let Ok(spec) = resolve(&cmd) {
                        let _ = engine.replay(ks, session, spec, &cmd, &mut out, now);
                    }
                }
            }
            continue;
        }
        if let Some((_, cmds)) = queued.as_mut() {
            cmds.push(args);
            continue;
        }
        let _ = engine.replay(ks, session, spec, &args, &mut out, now);
    };
    let valid_up_to = truncated_at.unwrap_or(0);
    if !last {
        return Err(format!("Fatal error: the truncated file is not the last file ({name}, at offset {valid_up_to})"));
    }
    if !yes(engine, "aof-load-truncated", true) {
        return Err(format!(
            "Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, \
             then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the \
             'aof-load-truncated' configuration option to yes and restart the server."
        ));
    }
    let Some(path) = path else {
        if open_multi {
            tracing::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled (a DISCARD is logged)");
            return Ok(Tail::OpenMulti);
        }
        return Err(format!(
            "the sealed append-only file {name} ends inside a command (at offset {valid_up_to} of its contents), \
             which a sealed log never does: it was sealed that way. Unseal it, repair it with redis-check-aof --fix, \
             and seal it again"
        ));
    };
    tracing::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
    tracing::warn!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!");
    aof::truncate_file(path, valid_up_to).map_err(|e| format!("Error truncating the AOF file {name}: {e}"))?;
    tracing::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
    Ok(Tail::Clean)
}

fn bad_format(name: &str, offset: u64) -> String {
    format!(
        "Bad file format reading the append only file {name} (at offset {offset}): make a backup of your AOF file, \
         then use ./redis-check-aof --fix <filename.manifest>"
    )
}

/// Loads the RDB part at the start of a base file (Redis's `aof-use-rdb-preamble`); returns
/// how many bytes it took, where the commands that may follow it begin.
fn load_rdb_preamble<R: std::io::Read>(
    engine: &Engine,
    ks: &mut Keyspace,
    reader: &mut R,
    len: u64,
    name: &str,
) -> Result<u64, String> {
    let opts = LoadOptions {
        limits: crate::persistence::load_limits(engine),
        verify_checksum: yes(engine, "rdbchecksum", true),
        now_ms: unix_ms(),
    };
    let (report, used) = load_prefix(reader, len, ks, &opts)
        .map_err(|e| format!("Error reading the RDB base file {name}, AOF loading aborted: {e}"))?;
    tracing::info!(
        "Reading RDB base file on AOF loading: {} keys loaded, {} expired keys skipped",
        report.keys_loaded,
        report.keys_expired
    );
    Ok(used)
}
