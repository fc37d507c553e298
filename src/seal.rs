//! `redoubt seal` and `redoubt unseal`: converting data files between plain (Redis's format)
//! and sealed (docs/persistence.md "Sealed files"), and `redoubt seal keygen` for a new key
//! file.
//!
//! Both conversions write OUT atomically and private (a 0600 temporary file next to it,
//! fsync, rename, fsync of the directory) and refuse to replace an existing OUT without
//! `--force`. `unseal` verifies the whole sealed file before it writes a byte, so a wrong key
//! or an altered file leaves nothing behind; `seal` checks a plain RDB's CRC-64 first, so a
//! damaged file is not given a seal it does not deserve. The kind of a sealed file comes from
//! its header; that of a plain one from its first bytes. A single file is an RDB snapshot; an
//! append-only file is converted as its whole directory (IN a directory holding a manifest:
//! see `seal_dir.rs`).

use redoubt_persist::seal::{self, FileKind};
use redoubt_persist::TempFile;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;

pub const USAGE: &str = "\
Usage:
  redoubt seal keygen FILE                              a new 256-bit key file (mode 0600) for seal-key-file
  redoubt seal --key-file KEY [--force] IN OUT          seal a plain RDB snapshot
  redoubt unseal --key-file KEY [--force] IN OUT        verify a sealed file, and write its plain contents
  redoubt seal --key-file KEY DIR OUTDIR                seal an append-only directory (manifest and its files)
  redoubt unseal --key-file KEY DIR OUTDIR              verify a sealed append-only directory, write it plain

OUT is written atomically, mode 0600; an existing OUT is replaced only with --force. OUTDIR
must not exist; it is created 0700.
See docs/persistence.md, \"Sealed files\".";

/// Which way to convert.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Seal,
    Unseal,
}

/// `redoubt seal ...` (`unseal` false) or `redoubt unseal ...`.
pub fn main(args: &[String], unseal: bool) -> ExitCode {
    let verb = if unseal { "unseal" } else { "seal" };
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if !unseal && args.first().map(String::as_str) == Some("keygen") {
        return keygen(&args[1..]);
    }
    let (mut key_file, mut force, mut paths) = (None, false, Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--key-file" => match it.next() {
                Some(k) => key_file = Some(k.clone()),
                None => return usage(verb, "--key-file needs a file"),
            },
            "--force" => force = true,
            flag if flag.starts_with("--") => return usage(verb, &format!("unknown option '{flag}'")),
            path => paths.push(path.to_string()),
        }
    }
    let Some(key_file) = key_file else { return usage(verb, "--key-file KEY is required") };
    let [input, output] = paths.as_slice() else { return usage(verb, "expected IN and OUT") };
    let direction = if unseal { Direction::Unseal } else { Direction::Seal };
    match convert(direction, Path::new(&key_file), Path::new(input), Path::new(output), force) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("redoubt {verb}: {e}");
            ExitCode::from(1)
        }
    }
}

fn usage(verb: &str, problem: &str) -> ExitCode {
    eprintln!("redoubt {verb}: {problem}\n\n{USAGE}");
    ExitCode::from(2)
}

fn keygen(args: &[String]) -> ExitCode {
    let [file] = args else { return usage("seal keygen", "expected one FILE") };
    let path = Path::new(file);
    match seal::create_key_file(path) {
        Ok(()) => {
            println!(
                "wrote a new 256-bit key to {file} (mode 0600). Name it in the config file:\n  seal-key-file {}\n\
                 Keep a copy somewhere safe and apart from the data: without it the sealed files cannot be read.",
                path.canonicalize().unwrap_or_else(|_| path.to_path_buf()).display()
            );
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            eprintln!(
                "redoubt seal keygen: {file} exists; refusing to overwrite it (the files sealed with that key could no \
                 longer be opened). Choose another name."
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("redoubt seal keygen: cannot create {file}: {e}");
            ExitCode::from(1)
        }
    }
}

/// Converts `input` into `output`; the message says what was written.
fn convert(direction: Direction, key_file: &Path, input: &Path, output: &Path, force: bool) -> Result<String, String> {
    let key = seal::read_key_file(key_file)?;
    let shown = input.display();
    if input.is_dir() {
        return crate::seal_dir::convert(direction == Direction::Unseal, &key, input, output);
    }
    if !input.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    if output.exists() && !force {
        return Err(format!("{} exists; refusing to overwrite it (add --force to replace it)", output.display()));
    }
    let sealed_kind = seal::sealed_kind(input).map_err(|e| format!("{shown}: {e}"))?;
    match (direction, sealed_kind) {
        (Direction::Seal, Some(kind)) => Err(format!("{shown} is already sealed (a sealed {kind})")),
        (Direction::Unseal, None) => Err(format!("{shown} is not sealed (no seal header)")),
        (Direction::Seal, None) => {
            let kind = plain_kind(input)?;
            let bytes = write_output(output, |w| {
                let mut sealer = seal::Writer::new(w, &key, kind)?;
                let n = io::copy(&mut open(input)?, &mut sealer)?;
                sealer.finish()?;
                Ok(n)
            })?;
            Ok(format!("sealed {shown} ({kind}, {bytes} bytes) into {}", output.display()))
        }
        (Direction::Unseal, Some(kind)) => {
            // Everything is verified before anything is written.
            let file = open(input).map_err(|e| format!("{shown}: {e}"))?;
            let verified = seal::verify(file, &key).map_err(|e| format!("{shown} is refused: {e}"))?;
            let bytes = write_output(output, |w| {
                let reader = seal::Reader::open(open(input)?, &key)?;
                io::copy(&mut BufReader::new(reader), w)
            })?;
            if bytes != verified.plaintext_bytes {
                return Err(format!("{shown} changed while it was being unsealed; run the command again"));
            }
            let records = verified.records;
            Ok(format!(
                "unsealed {shown} ({kind}, {bytes} bytes, {records} record(s) verified) into {}",
                output.display()
            ))
        }
    }
}

fn open(path: &Path) -> io::Result<BufReader<File>> {
    File::open(path).map(|f| BufReader::with_capacity(1 << 20, f))
}

/// Writes `output` atomically (0600) through `write`; returns what it returned.
fn write_output(output: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<u64>) -> Result<u64, String> {
    let fail = |e: io::Error| format!("cannot write {}: {e}", output.display());
    let name = output
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} is not a file name", output.display()))?;
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = TempFile::create(dir).map_err(fail)?;
    let n = write(temp.writer()).map_err(|e| match seal::SealError::from(e) {
        seal::SealError::Io(e) => fail(e),
        e => e.to_string(),
    })?;
    temp.commit(name).map_err(fail)?;
    Ok(n)
}

/// The kind of a plain file from its first bytes; a plain RDB must pass its CRC-64 check.
fn plain_kind(input: &Path) -> Result<FileKind, String> {
    let shown = input.display();
    let mut start = [0u8; 9];
    let mut file = open(input).map_err(|e| format!("{shown}: {e}"))?;
    let n = file.read(&mut start).map_err(|e| format!("{shown}: {e}"))?;
    if n == 9 && start.starts_with(b"REDIS") {
        check_rdb_crc(input, &start)?;
        return Ok(FileKind::Rdb);
    }
    Err(format!(
        "{shown} is not an RDB snapshot (it does not start with REDIS); a single file is sealed only if it is a \
         snapshot: an append-only file is sealed with its whole directory (redoubt seal --key-file KEY DIR OUTDIR)"
    ))
}

/// Verifies the CRC-64 trailer of a plain RDB file (version 5 and later; a stored zero means
/// the writer had `rdbchecksum no`).
pub(crate) fn check_rdb_crc(input: &Path, start: &[u8; 9]) -> Result<(), String> {
    let shown = input.display();
    let version: u32 = std::str::from_utf8(&start[5..]).ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    if version < 5 {
        return Ok(());
    }
    let mut file = open(input).map_err(|e| format!("{shown}: {e}"))?;
    let len = file.get_ref().metadata().map_err(|e| format!("{shown}: {e}"))?.len();
    if len < 9 + 8 {
        return Err(format!("{shown} is too short to be an RDB snapshot"));
    }
    let (mut crc, mut left, mut buf) = (0u64, len - 8, vec![0u8; 1 << 20]);
    while left > 0 {
        let n = (buf.len() as u64).min(left) as usize;
        file.read_exact(&mut buf[..n]).map_err(|e| format!("{shown}: {e}"))?;
        crc = redoubt_persist::crc64::crc64(crc, &buf[..n]);
        left -= n as u64;
    }
    let mut stored = [0u8; 8];
    file.read_exact(&mut stored).map_err(|e| format!("{shown}: {e}"))?;
    let stored = u64::from_le_bytes(stored);
    if stored != 0 && stored != crc {
        return Err(format!(
            "{shown} fails its CRC-64 check (stored {stored:016x}, computed {crc:016x}): it is damaged; refusing to \
             seal it"
        ));
    }
    Ok(())
}
