//! The appendable sealed log, for the append-only file: each [`SealedLog::append`] seals one
//! flush of the AOF buffer as one record (several, flagged `CONTINUED` but the last, when it
//! exceeds [`MAX_RECORD`]) and writes them with one `write`; the caller fsyncs through
//! [`SealedLog::file`] as `appendfsync` says. A failed write is undone: the file is cut back
//! to where the append began (before the next append, if it cannot be at once), and the next
//! record is a resumed one, so the counters of the failed records are never used again.
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
    /// The next record follows a cut tail (or a failed append).
    resumed: bool,
    /// The file's length after the last whole append.
    len: u64,
    /// A failed append left bytes past `len` that could not be cut off yet.
    dirty: bool,
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
        let len = out.len() as u64;
        Ok(SealedLog { file, sealer, resumed: false, len, dirty: false, out, plain: Vec::new() })
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
        let expected = reader.committed_next_counter();
        let counter = if cut.is_some() { reader.resume_counter() } else { expected };
        let (records, plaintext_bytes) = reader.committed_records();
        let header_bytes = *reader.header_bytes();
        let keys = FileKeys::derive(key, reader.header().kind, &reader.header().salt);
        drop(reader);
        if let Some((at, _)) = cut {
            file.set_len(at)?;
            file.sync_data()?;
        }
        let len = file.seek(SeekFrom::End(0))?;
        let sealer = Sealer { header: header_bytes, keys, counter, expected };
        let log =
            SealedLog { file, sealer, resumed: cut.is_some(), len, dirty: false, out: Vec::new(), plain: Vec::new() };
        Ok((log, LogOpen { records, plaintext_bytes, cut }))
    }

    /// Seals `data` as one record (several, all but the last `CONTINUED`, when it exceeds
    /// [`MAX_RECORD`]) and writes them with one `write` call; returns how many bytes the file
    /// grew by. Not synced: see [`SealedLog::file`]. On error the file holds nothing of
    /// `data` (or, if cutting it back failed too, the next append cuts it first); calling
    /// again with the same bytes is the way to retry.
    pub fn append(&mut self, data: &[u8]) -> io::Result<u64> {
        if data.is_empty() {
            return Ok(0);
        }
        if self.dirty {
            self.cut_back()?;
        }
        let expected = self.sealer.expected;
        self.out.clear();
        let chunks = data.len().div_ceil(MAX_RECORD);
        for (i, chunk) in data.chunks(MAX_RECORD).enumerate() {
            self.plain.clear();
            self.plain.extend_from_slice(chunk);
            let mut flags = 0;
            if self.resumed {
                flags |= RESUMED;
            }
            if i + 1 < chunks {
                flags |= CONTINUED;
            }
            self.sealer.seal(flags, &mut self.plain, &mut self.out)?;
            self.resumed = false;
        }
        if let Err(e) = self.file.write_all(&self.out) {
            // The counters just used are spent: the retry is a resumed record that binds to
            // the last record actually in the file.
            self.sealer.expected = expected;
            self.resumed = true;
            self.dirty = true;
            let _ = self.cut_back();
            return Err(e);
        }
        let grown = self.out.len() as u64;
        self.len += grown;
        // Keep no large buffer after a large append.
        if self.out.capacity() > 4 * RECORD_CHUNK {
            self.out = Vec::new();
            self.plain = Vec::new();
        }
        Ok(grown)
    }

    /// Removes what a failed append left past the last whole append. The file is opened
    /// for appending (`O_APPEND`), so writes land at the new end.
    fn cut_back(&mut self) -> io::Result<()> {
        self.file.set_len(self.len)?;
        self.file.seek(SeekFrom::Start(self.len))?;
        self.dirty = false;
        Ok(())
    }

    /// The file's length after the last whole append.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the log holds no record: never (it starts with its opening record).
    pub fn is_empty(&self) -> bool {
        false
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
