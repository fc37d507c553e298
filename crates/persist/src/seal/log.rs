//! The appendable sealed log, for the append-only file: each [`SealedLog::append`] seals one
//! record (one flush of the AOF buffer) and writes it with one `write`; the caller fsyncs
//! through [`SealedLog::file`] as `appendfsync` says.
//!
//! A new log starts with an empty opening record, so every sealed file has at least one
//! record and an altered header is always caught. [`SealedLog::open`] verifies an existing
//! log from the start before appending to it and continues its counter. A log whose last
//! record was cut by a crash is refused unless the caller allows the cut
//! (`aof-load-truncated`): then the partial record is removed, and the next record carries
//! the `RESUMED` flag with a counter past the cut record's, so that no nonce is used twice.
//!
//! For the AOF: a new incremental file is [`SealedLog::create`]; at start each file is read
//! with [`Reader`] (plaintext through `Read`; `SealError::from(io_error)` recovers a
//! [`SealError::Truncated`] with `partial: true`, the cut tail `aof-load-truncated` decides
//! about); the file appended to is then reopened with [`SealedLog::open`], `allow_cut` as
//! `aof-load-truncated` says. A base file written in one go (a rewrite) is a [`Writer`] of
//! kind AOF, read back with `Reader::require_final(true)`.

use super::*;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};

/// An open sealed log, positioned at its end.
pub struct SealedLog {
    file: File,
    sealer: Sealer,
    /// The next record follows a cut tail.
    resumed: bool,
    out: Vec<u8>,
    plain: Vec<u8>,
}

/// What [`SealedLog::open`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogOpen {
    /// Verified records (the opening record included).
    pub records: u64,
    /// Plaintext bytes in them.
    pub plaintext_bytes: u64,
    /// When the last record was cut short and removed: the length the file was cut to, and
    /// how many bytes were dropped.
    pub cut: Option<(u64, u64)>,
}

impl SealedLog {
    /// Starts a new log of `kind` in `file` (empty, opened for writing): writes the header
    /// and the opening record. The caller fsyncs.
    pub fn create(mut file: File, key: &SealKey, kind: FileKind) -> io::Result<SealedLog> {
        let mut sealer = Sealer::new(key, kind)?;
        let mut out = Vec::with_capacity(HEADER_LEN + PREFIX_LEN + TAG_LEN);
        out.extend_from_slice(&sealer.header);
        sealer.seal(0, &mut Vec::new(), &mut out)?;
        file.write_all(&out)?;
        Ok(SealedLog { file, sealer, resumed: false, out, plain: Vec::new() })
    }

    /// Opens an existing log (`file` opened for reading and writing) to append to it, after
    /// verifying every record. A cut-off last record is an error unless `allow_cut`, in
    /// which case it is removed from the file (reported in [`LogOpen::cut`]).
    pub fn open(mut file: File, key: &SealKey, allow_cut: bool) -> Result<(SealedLog, LogOpen), SealError> {
        file.seek(SeekFrom::Start(0))?;
        let len = file.metadata()?.len();
        let mut reader = Reader::open(io::BufReader::new(&mut file), key)?;
        let mut cut = None;
        loop {
            match reader.next_record() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(SealError::Truncated { partial: true, offset, .. }) if allow_cut => {
                    cut = Some((offset, len - offset));
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if reader.complete() {
            return Err(SealError::Header(format!(
                "this sealed {} is closed (it ends with a final record): it cannot be appended to",
                reader.header().kind
            )));
        }
        if reader.records() == 0 && cut.is_none() {
            return Err(SealError::Truncated { partial: false, records: 0, offset: reader.offset() });
        }
        let expected = reader.next_counter();
        let counter = if cut.is_some() { reader.resume_counter() } else { expected };
        let (records, plaintext_bytes) = (reader.records(), reader.plaintext_bytes());
        let header_bytes = *reader.header_bytes();
        let keys = FileKeys::derive(key, reader.header().kind, &reader.header().salt);
        drop(reader);
        if let Some((at, _)) = cut {
            file.set_len(at)?;
            file.sync_data()?;
        }
        file.seek(SeekFrom::End(0))?;
        let sealer = Sealer { header: header_bytes, keys, counter, expected };
        let log = SealedLog { file, sealer, resumed: cut.is_some(), out: Vec::new(), plain: Vec::new() };
        Ok((log, LogOpen { records, plaintext_bytes, cut }))
    }

    /// Seals `data` as one record (several when it exceeds [`MAX_RECORD`]) and writes them
    /// with one `write` call. Not synced: see [`SealedLog::file`].
    pub fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.out.clear();
        for chunk in data.chunks(MAX_RECORD) {
            self.plain.clear();
            self.plain.extend_from_slice(chunk);
            let mut flags = 0;
            if self.resumed {
                flags = RESUMED;
            }
            self.sealer.seal(flags, &mut self.plain, &mut self.out)?;
            self.resumed = false;
        }
        self.file.write_all(&self.out)?;
        // Keep no large buffer after a large append.
        if self.out.capacity() > 4 * RECORD_CHUNK {
            self.out = Vec::new();
            self.plain = Vec::new();
        }
        Ok(())
    }

    /// The file, to fsync (`sync_data`) as `appendfsync` says.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Records written or verified so far (the next record's counter, without gaps).
    pub fn next_counter(&self) -> u64 {
        self.sealer.counter
    }
}
