//! Streaming a sealed file: [`Writer`] takes plaintext in any chunks and emits records of
//! [`RECORD_CHUNK`] bytes, the last one final; [`Reader`] verifies record by record and yields
//! plaintext, record by record or through `Read`; [`verify`] reads a whole file and reports
//! what it holds without keeping any of it (the first pass of a load or an unseal, so that
//! nothing is loaded or written from a file that turns out to be bad).

use super::*;
use std::io::Write;

/// Writes a sealed one-shot file (an RDB snapshot) to `W`. Call [`Writer::finish`] to seal
/// the final record: a writer dropped without it leaves a file readers report as cut short.
pub struct Writer<W: Write> {
    inner: W,
    sealer: Sealer,
    buf: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes the header of a new sealed file of `kind` (fresh salt, so a fresh file key).
    pub fn new(mut inner: W, key: &SealKey, kind: FileKind) -> io::Result<Writer<W>> {
        let sealer = Sealer::new(key, kind)?;
        inner.write_all(&sealer.header)?;
        Ok(Writer { inner, sealer, buf: Vec::with_capacity(RECORD_CHUNK) })
    }

    /// Seals what is buffered as the final record, flushes, and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.sealer.seal(FINAL, &mut self.buf, &mut self.inner)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Writer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // A full buffer is sealed only once more data comes, so the final record holds the
        // last bytes (it is empty only when the whole plaintext is).
        if self.buf.len() == RECORD_CHUNK {
            self.sealer.seal(0, &mut self.buf, &mut self.inner)?;
            self.buf.clear();
        }
        let n = data.len().min(RECORD_CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    /// Flushes the inner writer; does not cut a record (so layered buffers add no records).
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads and verifies a sealed file. A record's plaintext is yielded only once its tag
/// verified, and only in order.
pub struct Reader<R: Read> {
    inner: R,
    header: Header,
    header_bytes: [u8; HEADER_LEN],
    keys: FileKeys,
    /// The counter the next record must carry (or exceed, if it is a resumed record).
    next_counter: u64,
    /// Verified records so far.
    records: u64,
    /// Where the verified part of the file ends.
    offset: u64,
    plaintext_bytes: u64,
    buf: Vec<u8>,
    /// The current record's plaintext is `buf[pos..len]` (for `Read`).
    pos: usize,
    len: usize,
    require_final: bool,
    complete: bool,
    done: bool,
    /// Where the cut-off last record began and its counter, when its prefix verified.
    cut_counter: Option<u64>,
    /// The state after the last record that ended an append (no `CONTINUED` flag): where a
    /// log cut inside an append is cut back to.
    committed: Mark,
    /// The last record read carried `CONTINUED`.
    in_append: bool,
}

/// A position in a log at an append boundary.
#[derive(Clone, Copy, Debug)]
struct Mark {
    records: u64,
    offset: u64,
    plaintext_bytes: u64,
    next_counter: u64,
}

impl<R: Read> Reader<R> {
    /// Reads the header and checks `key` against it. A one-shot file (RDB) must end with
    /// its final record; a log (AOF) may end at any record boundary.
    pub fn open(mut inner: R, key: &SealKey) -> Result<Reader<R>, SealError> {
        let mut header_bytes = [0u8; HEADER_LEN];
        let n = read_full(&mut inner, &mut header_bytes)?;
        if !is_sealed(&header_bytes[..n]) {
            return Err(SealError::NotSealed);
        }
        if n < HEADER_LEN {
            return Err(SealError::Header("the sealed file's header is cut short".into()));
        }
        let header = Header::parse(&header_bytes)?;
        let keys = FileKeys::derive(key, header.kind, &header.salt);
        if !ct_eq(&keys.check, &header.key_check) {
            return Err(SealError::WrongKey);
        }
        Ok(Reader {
            inner,
            require_final: header.kind == FileKind::Rdb,
            header,
            header_bytes,
            keys,
            next_counter: 0,
            records: 0,
            offset: HEADER_LEN as u64,
            plaintext_bytes: 0,
            buf: Vec::new(),
            pos: 0,
            len: 0,
            complete: false,
            done: false,
            cut_counter: None,
            committed: Mark { records: 0, offset: HEADER_LEN as u64, plaintext_bytes: 0, next_counter: 0 },
            in_append: false,
        })
    }

    /// Whether the file must end with a final record (by default: RDB yes, AOF no). An AOF
    /// base file written in one go by a [`Writer`] should be read with `true`, so a cut at a
    /// record boundary is caught there too.
    pub fn require_final(mut self, yes: bool) -> Reader<R> {
        self.require_final = yes;
        self
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Verified records so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Where the verified part of the file ends.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Plaintext bytes of the verified records so far.
    pub fn plaintext_bytes(&self) -> u64 {
        self.plaintext_bytes
    }

    /// Whether the final record has been read.
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// The counter of the first record appended after a cut tail: past the cut record's
    /// (when its prefix was readable) and past every verified one, so no nonce repeats.
    pub(super) fn resume_counter(&self) -> u64 {
        let past_cut = self.cut_counter.map_or(0, |c| c.saturating_add(1));
        past_cut.max(self.next_counter.saturating_add(1))
    }

    /// The counter a record appended at the last append boundary must expect: the next
    /// counter, unless the log ends inside an append.
    pub(super) fn committed_next_counter(&self) -> u64 {
        self.committed.next_counter
    }

    /// Verified records and their plaintext bytes up to the last append boundary.
    pub(super) fn committed_records(&self) -> (u64, u64) {
        (self.committed.records, self.committed.plaintext_bytes)
    }

    /// The header's bytes.
    pub(super) fn header_bytes(&self) -> &[u8; HEADER_LEN] {
        &self.header_bytes
    }

    /// The next record's verified plaintext; `None` at the end of the file. A record that
    /// fails verification is [`SealError::Altered`]; a file that stops inside a record or
    /// inside an append (its last record has `CONTINUED`), or (one-shot files) before the
    /// final record, is [`SealError::Truncated`], partial in the first two cases, with the
    /// offset of the last append boundary.
    pub fn next_record(&mut self) -> Result<Option<&[u8]>, SealError> {
        if self.done {
            return Ok(None);
        }
        let start = self.offset;
        let mut prefix = [0u8; PREFIX_LEN];
        let n = read_full(&mut self.inner, &mut prefix)?;
        let cut =
            SealError::Truncated { partial: true, records: self.committed.records, offset: self.committed.offset };
        if n == 0 {
            self.done = true;
            if self.in_append {
                return Err(cut);
            }
            if self.require_final {
                return Err(SealError::Truncated { partial: false, records: self.records, offset: start });
            }
            return Ok(None);
        }
        let altered = SealError::Altered { record: self.records, offset: start };
        if n < PREFIX_LEN {
            self.done = true;
            return Err(cut);
        }
        let counter = u64::from_be_bytes(prefix[..8].try_into().unwrap_or_default());
        let word = u32::from_be_bytes(prefix[8..12].try_into().unwrap_or_default());
        if !ct_eq(&self.keys.prefix_mac(counter, word), &prefix[12..]) {
            self.done = true;
            return Err(altered);
        }
        let len = (word & LEN_MASK) as usize;
        let in_order = if word & RESUMED != 0 { counter > self.next_counter } else { counter == self.next_counter };
        if !in_order || len > MAX_RECORD {
            self.done = true;
            return Err(altered);
        }
        // The length is authentic and bounded: only now is it allocated.
        self.buf.resize(len + TAG_LEN, 0);
        let got = read_full(&mut self.inner, &mut self.buf)?;
        if got < self.buf.len() {
            self.done = true;
            self.cut_counter = Some(counter);
            return Err(cut);
        }
        let aad = record_aad(&self.header_bytes, counter, word, self.next_counter);
        if self.keys.aead.open_in_place(nonce(counter), aead::Aad::from(&aad[..]), &mut self.buf).is_err() {
            self.done = true;
            return Err(altered);
        }
        self.buf.truncate(len);
        self.next_counter = counter.saturating_add(1);
        self.records += 1;
        self.offset = start + (PREFIX_LEN + len + TAG_LEN) as u64;
        self.plaintext_bytes += len as u64;
        self.in_append = word & CONTINUED != 0;
        if !self.in_append {
            self.committed = Mark {
                records: self.records,
                offset: self.offset,
                plaintext_bytes: self.plaintext_bytes,
                next_counter: self.next_counter,
            };
        }
        if word & FINAL != 0 {
            self.complete = true;
            self.done = true;
            let mut probe = [0u8; 1];
            if read_full(&mut self.inner, &mut probe)? != 0 {
                return Err(SealError::TrailingData { offset: self.offset });
            }
        }
        Ok(Some(&self.buf))
    }

    /// The inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for Reader<R> {
    /// Yields verified plaintext; a [`SealError`] comes out as an `io::Error` that converts
    /// back with `SealError::from`.
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.len {
            match self.next_record()? {
                Some(rec) => self.len = rec.len(),
                None => return Ok(0),
            }
            self.pos = 0;
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// What [`verify`] found in a good file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The file's kind.
    pub kind: FileKind,
    /// Records.
    pub records: u64,
    /// Plaintext bytes in all of them.
    pub plaintext_bytes: u64,
}

/// Reads the whole sealed file from `r` and verifies every record (and, for one-shot files,
/// that it ends with its final record), keeping nothing.
pub fn verify<R: Read>(r: R, key: &SealKey) -> Result<Verified, SealError> {
    let mut reader = Reader::open(r, key)?;
    while reader.next_record()?.is_some() {}
    Ok(Verified { kind: reader.header.kind, records: reader.records, plaintext_bytes: reader.plaintext_bytes })
}
