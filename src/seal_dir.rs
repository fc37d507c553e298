//! `redoubt seal` and `redoubt unseal` of an append-only directory (Redis 7's multi-part
//! AOF: a manifest and the files it lists), for migrating a plain directory to a server with
//! `seal-key-file`, or a sealed one back to plain (Redis 7.0 loads the result).
//!
//! OUT is a new directory (0700; an existing one is refused, `--force` or not): the base and
//! every incremental file the manifest lists, converted under their own names, then the
//! manifest (without history files, which a rewrite had made obsolete). Everything is checked
//! before a byte is written: sealing requires whole commands (and a plain RDB base to pass its
//! CRC-64), unsealing verifies every record. A failure removes OUT again.
//!
//! Sealed, the base is a one-shot file of kind AOF (ends with its final record) and each
//! incremental file is a sealed log the server can go on appending to; the manifest stays
//! plain text (it holds only file names).

use redoubt_persist::aof::{
    open_sealed_reader, write_manifest, AofFileInfo, AofReadError, CommandReader, Manifest, MANIFEST_SUFFIX,
};
use redoubt_persist::seal::{self, FileKind, SealKey, SealedLog, MAX_RECORD};
use redoubt_persist::TempFile;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Seals (`unseal` false) or unseals the AOF directory `input` into the new directory
/// `output`; the message says what was written.
pub(crate) fn convert(unseal: bool, key: &SealKey, input: &Path, output: &Path) -> Result<String, String> {
    if output.exists() {
        return Err(format!("{} exists; refusing to write into it (name a new directory)", output.display()));
    }
    let (manifest_name, mut manifest) = read_manifest(input)?;
    let files: Vec<AofFileInfo> = manifest.base.iter().chain(&manifest.incrs).cloned().collect();
    if files.is_empty() {
        return Err(format!("the manifest of {} lists no file", input.display()));
    }
    for f in &files {
        check(unseal, key, &input.join(&f.name), f.kind == redoubt_persist::aof::FileKind::Base)?;
    }
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(output)
        .map_err(|e| format!("cannot create {}: {e}", output.display()))?;
    manifest.history.clear();
    let written = (|| -> io::Result<u64> {
        let mut bytes = 0;
        for f in &files {
            let (from, base) = (input.join(&f.name), f.kind == redoubt_persist::aof::FileKind::Base);
            bytes += match (unseal, base) {
                (true, _) => unseal_file(key, &from, output, &f.name, base)?,
                (false, true) => seal_base(key, &from, output, &f.name)?,
                (false, false) => seal_log(key, &from, output, &f.name)?,
            };
        }
        write_manifest(output, &manifest_name, &manifest.render())?;
        Ok(bytes)
    })();
    match written {
        Ok(bytes) => Ok(format!(
            "{} {} ({} file(s) and {manifest_name}, {bytes} bytes of contents) into {}",
            if unseal { "unsealed" } else { "sealed" },
            input.display(),
            files.len(),
            output.display()
        )),
        Err(e) => {
            let _ = std::fs::remove_dir_all(output);
            Err(match seal::SealError::from(e) {
                seal::SealError::Io(e) => format!("cannot write {}: {e}", output.display()),
                e => format!("{} changed while it was being converted: {e}", input.display()),
            })
        }
    }
}

/// The one manifest in `dir` (its name and contents).
fn read_manifest(dir: &Path) -> Result<(String, Manifest), String> {
    let shown = dir.display();
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{shown}: {e}"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(MANIFEST_SUFFIX))
        .collect();
    let path = match found.len() {
        1 => found.remove(0),
        0 => {
            return Err(format!(
                "{shown} holds no AOF manifest (*{MANIFEST_SUFFIX}): it is not an append-only directory"
            ))
        }
        _ => return Err(format!("{shown} holds several AOF manifests: convert a directory with one")),
    };
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let manifest = Manifest::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok((name, manifest))
}

/// Checks one listed file before anything is written: sealed or plain as the direction
/// needs, and whole.
fn check(unseal: bool, key: &SealKey, path: &Path, base: bool) -> Result<(), String> {
    let shown = path.display();
    let kind = seal::sealed_kind(path).map_err(|e| format!("{shown}: {e}"))?;
    match (unseal, kind) {
        (true, Some(FileKind::Aof)) => {
            let mut reader = open_sealed_reader(path, key, base).map_err(|e| format!("{shown} is refused: {e}"))?;
            loop {
                match reader.next_record() {
                    Ok(Some(_)) => {}
                    Ok(None) => return Ok(()),
                    Err(e @ seal::SealError::Truncated { partial: true, .. }) if !base => {
                        return Err(format!(
                            "{shown} is refused: {e}. Start the server on it once with aof-load-truncated yes to \
                             cut the partial write off, then unseal"
                        ))
                    }
                    Err(e) => return Err(format!("{shown} is refused: {e}")),
                }
            }
        }
        (true, Some(kind)) => Err(format!("{shown} is a sealed {kind}, not an append-only file")),
        (true, None) => Err(format!("{shown} is not sealed (no seal header)")),
        (false, Some(kind)) => Err(format!("{shown} is already sealed (a sealed {kind})")),
        (false, None) => check_plain(path, base),
    }
}

/// A plain file to seal must be whole: an RDB base passes its CRC-64 (then any command tail
/// is checked too), commands end on a whole command.
fn check_plain(path: &Path, base: bool) -> Result<(), String> {
    let shown = path.display();
    let len = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?.len();
    let mut start = 0;
    let mut head = [0u8; 9];
    let n = open(path).and_then(|mut f| f.read(&mut head)).map_err(|e| format!("{shown}: {e}"))?;
    if base && n == 9 && head.starts_with(b"REDIS") {
        crate::seal::check_rdb_crc(path, &head)?;
        // A Redis base in RDB form is the whole file: nothing follows its checksum.
        start = len;
    }
    let mut reader = open(path).map_err(|e| format!("{shown}: {e}"))?;
    io::copy(&mut (&mut reader).take(start), &mut io::sink()).map_err(|e| format!("{shown}: {e}"))?;
    let mut commands = CommandReader::new(reader, start, len - start);
    loop {
        match commands.next_command() {
            Ok(Some(_)) => {}
            Ok(None) => return Ok(()),
            Err(AofReadError::Truncated { valid_up_to }) => {
                return Err(format!(
                    "{shown} ends inside a command (whole commands up to byte {valid_up_to}): repair it with \
                     redis-check-aof --fix first; refusing to seal it"
                ))
            }
            Err(AofReadError::Format { offset }) => {
                return Err(format!(
                    "{shown} is not an append-only file (bad format at byte {offset}); refusing to seal it"
                ))
            }
            Err(AofReadError::Io(e)) => return Err(format!("{shown}: {e}")),
        }
    }
}

fn open(path: &Path) -> io::Result<BufReader<File>> {
    File::open(path).map(|f| BufReader::with_capacity(1 << 20, f))
}

/// A base, sealed in one go (kind AOF, final record).
fn seal_base(key: &SealKey, from: &Path, dir: &Path, name: &str) -> io::Result<u64> {
    let mut temp = TempFile::create(dir)?;
    let mut sealer = seal::Writer::new(temp.writer(), key, FileKind::Aof)?;
    let n = io::copy(&mut open(from)?, &mut sealer)?;
    sealer.finish()?;
    temp.commit(name)?;
    Ok(n)
}

/// An incremental file, sealed as a log the server appends to.
fn seal_log(key: &SealKey, from: &Path, dir: &Path, name: &str) -> io::Result<u64> {
    let file = OpenOptions::new().read(true).append(true).create_new(true).mode(0o600).open(dir.join(name))?;
    let mut log = SealedLog::create(file, key, FileKind::Aof)?;
    let mut input = open(from)?;
    let mut buf = vec![0u8; MAX_RECORD];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        log.append(&buf[..n])?;
        total += n as u64;
    }
    log.file().sync_all()?;
    Ok(total)
}

/// A verified sealed file, written plain.
fn unseal_file(key: &SealKey, from: &Path, dir: &Path, name: &str, base: bool) -> io::Result<u64> {
    let mut temp = TempFile::create(dir)?;
    let reader = open_sealed_reader(from, key, base)?;
    let n = io::copy(&mut BufReader::new(reader), temp.writer())?;
    temp.writer().flush()?;
    temp.commit(name)?;
    Ok(n)
}
