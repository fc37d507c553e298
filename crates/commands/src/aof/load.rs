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

use super::rewrite::write_base_now;
use crate::engine::{resolve, unix_ms, Engine};
use crate::session::Session;
use crate::Transport;
use bytes::Bytes;
use redoubt_persist::aof::{self, AofReadError, AofWriter, CommandReader, Manifest};
use redoubt_persist::{load_prefix, LoadOptions};
use redoubt_resp::{Protocol, ReplyBuffer};
use redoubt_store::Keyspace;
use std::io::{Read, Seek, SeekFrom};
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
    {
        let mut out = engine.aof.output();
        out.dir = p.aof_dir.clone();
        out.prefix = p.prefix.clone();
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
            load_manifest_files(engine, &p.aof_dir, &m)?;
            open_for_append(engine, m)?;
        }
        None => {
            let old_style = p.dir.join(&p.prefix);
            if old_style.is_file() {
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

/// Opens the last incremental file for appending (creating one if the manifest has none).
fn open_for_append(engine: &Engine, mut m: Manifest) -> Result<(), String> {
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
    let file =
        AofWriter::open(&path).map_err(|e| format!("Can't open the append-only file {}: {e}", path.display()))?;
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
    let mut st = engine.aof.rewrite();
    st.base_total = total;
    st.log_listed = true;
    Ok(())
}

/// Loads the base and the incremental files the manifest lists.
fn load_manifest_files(engine: &Engine, dir: &Path, m: &Manifest) -> Result<(), String> {
    let files: Vec<&aof::AofFileInfo> = m.base.iter().chain(&m.incrs).collect();
    let started = Instant::now();
    let result = engine.with_keyspace(|ks| {
        let mut session = internal_session(engine);
        let mut r = Ok(());
        for (i, f) in files.iter().enumerate() {
            let last = i + 1 == files.len();
            let t = Instant::now();
            r = load_one(engine, ks, &mut session, &dir.join(&f.name), &f.name, last);
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
    tracing::info!("DB loaded from append only file: {:.3} seconds", started.elapsed().as_secs_f64());
    Ok(())
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
        let opts = LoadOptions {
            limits: crate::persistence::load_limits(engine),
            verify_checksum: yes(engine, "rdbchecksum", true),
            now_ms: unix_ms(),
        };
        let (report, used) = load_prefix(&mut reader, len, ks, &opts)
            .map_err(|e| format!("Error reading the RDB base file {name}, AOF loading aborted: {e}"))?;
        tracing::info!(
            "Reading RDB base file on AOF loading: {} keys loaded, {} expired keys skipped",
            report.keys_loaded,
            report.keys_expired
        );
        start = used;
        if start == len {
            return Ok(());
        }
        // Whatever the RDB reader buffered: read the tail from its own position.
        reader.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
    } else {
        reader.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    }
    replay_commands(engine, ks, session, CommandReader::new(reader, start, len - start), path, name, last)
}

/// Runs every command of a file through its handler.
fn replay_commands<R: std::io::BufRead>(
    engine: &Engine,
    ks: &mut Keyspace,
    session: &mut Session,
    mut reader: CommandReader<R>,
    path: &Path,
    name: &str,
    last: bool,
) -> Result<(), String> {
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
                    break Some(multi_at);
                }
                None => return Ok(()),
            },
            Err(AofReadError::Truncated { valid_up_to }) => {
                break Some(queued.take().map_or(valid_up_to, |(at, _)| at));
            }
            Err(AofReadError::Format { offset }) => return Err(bad_format(name, offset)),
            Err(AofReadError::Io(e)) => {
                return Err(format!("Unrecoverable error reading the append only file {name}: {e}"))
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
    tracing::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
    tracing::warn!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!");
    aof::truncate_file(path, valid_up_to).map_err(|e| format!("Error truncating the AOF file {name}: {e}"))?;
    tracing::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
    Ok(())
}

fn bad_format(name: &str, offset: u64) -> String {
    format!(
        "Bad file format reading the append only file {name} (at offset {offset}): make a backup of your AOF file, \
         then use ./redis-check-aof --fix <filename.manifest>"
    )
}
