//! Writing RDB data: values as Redis 7.0's `rdbSaveObject` writes them, whole files
//! ([`write_rdb`]) and the background-save snapshot ([`Snapshot`]).
//!
//! Encodings written, by value:
//!
//! | value | RDB type |
//! | --- | --- |
//! | string | `STRING`: 8/16/32-bit integer encoding for short canonical integers, LZF for longer than 20 bytes when compression is on and it saves 4 bytes, raw otherwise |
//! | list | `LIST_QUICKLIST_2`: listpack nodes of at most about 8 KiB (Redis's `list-max-listpack-size -2`); an element of 1 GiB or more gets a plain node |
//! | set | `SET_INTSET` when intset encoded, else `SET` |
//! | sorted set | `ZSET_LISTPACK` when compact, else `ZSET_2` (binary doubles, highest score first as Redis writes it) |
//! | hash | `HASH_LISTPACK` when compact, else `HASH` |
//!
//! A background save must not hold the store while it compresses and writes, and must not
//! copy the dataset in its in-memory form: [`Snapshot::capture`] encodes every key under the
//! lock into compact, uncompressed RDB records (integer encodings only), in chunks of about
//! 4 MiB so no giant buffer is ever reallocated; [`Snapshot::write_to`] then runs in another
//! thread, re-encoding each string with LZF where it pays and streaming the file with its
//! CRC. The snapshot costs about the size of the uncompressed RDB file, held for the save.

use crate::consts::*;
use crate::crc64::crc64;
use crate::{listpack, lzf, RDB_VERSION};
use redoubt_store::list::Elem;
use redoubt_store::set::Member;
use redoubt_store::{parse_i64, Keyspace, Value};
use std::io::{self, Write};

/// The Redis version the AUX field `redis-ver` announces (the format Redoubt writes).
const REDIS_VER: &str = "7.0.15";
/// A list node closes before it passes this many bytes (Redis's 8 KiB, minus its estimate).
const NODE_BYTES: usize = 8192;
/// Redis's per-element overhead estimate when filling a node.
const NODE_OVERHEAD: usize = 8;
/// Elements this long get a plain quicklist node (Redis's `packed_threshold`).
const PLAIN_THRESHOLD: usize = 1 << 30;
/// Snapshot chunk size.
const CHUNK: usize = 4 << 20;

/// How to write a file.
#[derive(Clone, Debug)]
pub struct SaveOptions {
    /// Compress long strings with LZF (`rdbcompression`).
    pub compress: bool,
    /// Write the CRC-64 trailer (`rdbchecksum`); zero when off, as Redis does.
    pub checksum: bool,
    /// Written as the AUX field `redoubt-ver`, so a file tells who wrote it.
    pub producer_version: String,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions { compress: true, checksum: true, producer_version: String::new() }
    }
}

/// What a save wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveStats {
    /// Keys written.
    pub keys: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// A byte sink.
pub(crate) trait Out {
    fn put(&mut self, b: &[u8]) -> io::Result<()>;
    fn byte(&mut self, b: u8) -> io::Result<()> {
        self.put(&[b])
    }
}

impl Out for Vec<u8> {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.extend_from_slice(b);
        Ok(())
    }
}

/// A writer that keeps the running CRC-64 and byte count.
pub(crate) struct CrcWriter<W: Write> {
    w: W,
    crc: u64,
    bytes: u64,
}

impl<W: Write> CrcWriter<W> {
    fn new(w: W) -> Self {
        CrcWriter { w, crc: 0, bytes: 0 }
    }
}

impl<W: Write> Out for CrcWriter<W> {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.crc = crc64(self.crc, b);
        self.bytes += b.len() as u64;
        self.w.write_all(b)
    }
}

/// `rdbSaveLen`.
pub(crate) fn put_len<O: Out>(o: &mut O, len: u64) -> io::Result<()> {
    if len < 1 << 6 {
        o.byte(len as u8)
    } else if len < 1 << 14 {
        o.put(&[0x40 | (len >> 8) as u8, len as u8])
    } else if len <= u64::from(u32::MAX) {
        o.byte(0x80)?;
        o.put(&(len as u32).to_be_bytes())
    } else {
        o.byte(0x81)?;
        o.put(&len.to_be_bytes())
    }
}

/// `rdbEncodeInteger`: the 8/16/32-bit encodings, if `v` fits one.
fn encode_int(v: i64, buf: &mut [u8; 5]) -> Option<&[u8]> {
    if let Ok(b) = i8::try_from(v) {
        buf[0] = 0xC0;
        buf[1] = b as u8;
        Some(&buf[..2])
    } else if let Ok(s) = i16::try_from(v) {
        buf[0] = 0xC1;
        buf[1..3].copy_from_slice(&s.to_le_bytes());
        Some(&buf[..3])
    } else if let Ok(w) = i32::try_from(v) {
        buf[0] = 0xC2;
        buf[1..5].copy_from_slice(&w.to_le_bytes());
        Some(&buf[..5])
    } else {
        None
    }
}

/// `rdbSaveRawString`: integer encoding for short canonical integers, LZF when asked and
/// it saves at least 4 bytes, length and bytes otherwise.
pub(crate) fn put_string<O: Out>(o: &mut O, s: &[u8], compress: bool) -> io::Result<()> {
    if s.len() <= 11 {
        if let Some(v) = parse_i64(s) {
            if let Some(enc) = encode_int(v, &mut [0; 5]) {
                return o.put(enc);
            }
        }
    }
    if compress && s.len() > 20 {
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            o.byte(0xC3)?;
            put_len(o, c.len() as u64)?;
            put_len(o, s.len() as u64)?;
            return o.put(&c);
        }
    }
    put_len(o, s.len() as u64)?;
    o.put(s)
}

/// `rdbSaveLongLongAsStringObject`.
fn put_int_string<O: Out>(o: &mut O, v: i64) -> io::Result<()> {
    match encode_int(v, &mut [0; 5]) {
        Some(enc) => o.put(enc),
        None => {
            let s = v.to_string();
            put_len(o, s.len() as u64)?;
            o.put(s.as_bytes())
        }
    }
}

/// The RDB type byte `v` is written with.
pub(crate) fn rdb_type(v: &Value) -> u8 {
    match v {
        Value::Str(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Set(s) if s.is_compact() => TYPE_SET_INTSET,
        Value::Set(_) => TYPE_SET,
        Value::ZSet(z) if z.is_compact() => TYPE_ZSET_LISTPACK,
        Value::ZSet(_) => TYPE_ZSET_2,
        Value::Hash(h) if h.is_compact() => TYPE_HASH_LISTPACK,
        Value::Hash(_) => TYPE_HASH,
    }
}

/// Appends a score to a sorted-set listpack as `zzlInsertAt` does: an integer when the
/// score is integral and within ±2^62, else its shortest round-trip decimal form.
fn push_score(w: &mut listpack::Writer, score: f64) {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if score.is_finite() && score.fract() == 0.0 && (-LIMIT..=LIMIT).contains(&score) {
        w.push_int(score as i64);
    } else if score.is_infinite() {
        w.push_str(if score > 0.0 { b"inf" } else { b"-inf" });
    } else {
        let plain = format!("{score}");
        let sci = format!("{score:e}");
        w.push_str(if sci.len() < plain.len() { sci.as_bytes() } else { plain.as_bytes() });
    }
}

fn elem_len(e: Elem<'_>) -> usize {
    match e {
        Elem::Bytes(b) => b.len(),
        Elem::Int(_) => 10,
    }
}

/// The value, without its type byte (`rdbSaveObject`).
pub(crate) fn put_value<O: Out>(o: &mut O, v: &Value, compress: bool) -> io::Result<()> {
    match v {
        Value::Str(s) => match s.as_bytes() {
            Some(b) => put_string(o, b, compress),
            None => put_int_string(o, s.as_int().unwrap_or(0)),
        },
        Value::List(list) => {
            // (container, bytes) per node.
            let mut nodes: Vec<(u64, Vec<u8>)> = Vec::new();
            let mut w = listpack::Writer::new();
            for e in list.iter() {
                let n = elem_len(e);
                if n >= PLAIN_THRESHOLD {
                    if !w.is_empty() {
                        nodes.push((CONTAINER_PACKED, std::mem::take(&mut w).finish()));
                    }
                    nodes.push((CONTAINER_PLAIN, e.to_vec()));
                    continue;
                }
                if !w.is_empty() && w.len() + n + NODE_OVERHEAD > NODE_BYTES {
                    nodes.push((CONTAINER_PACKED, std::mem::take(&mut w).finish()));
                }
                match e {
                    Elem::Int(i) => w.push_int(i),
                    Elem::Bytes(b) => w.push(b),
                }
            }
            if !w.is_empty() {
                nodes.push((CONTAINER_PACKED, w.finish()));
            }
            put_len(o, nodes.len() as u64)?;
            for (container, bytes) in &nodes {
                put_len(o, *container)?;
                put_string(o, bytes, compress)?;
            }
            Ok(())
        }
        Value::Set(set) if set.is_compact() => {
            let mut ints: Vec<i64> = set
                .iter()
                .filter_map(|m| match m {
                    Member::Int(i) => Some(i),
                    Member::Bytes(b) => parse_i64(b),
                })
                .collect();
            ints.sort_unstable();
            ints.dedup();
            let width: usize = ints
                .iter()
                .map(|&i| {
                    if i16::try_from(i).is_ok() {
                        2
                    } else if i32::try_from(i).is_ok() {
                        4
                    } else {
                        8
                    }
                })
                .max()
                .unwrap_or(2);
            let mut blob = Vec::with_capacity(8 + width * ints.len());
            blob.extend_from_slice(&(width as u32).to_le_bytes());
            blob.extend_from_slice(&(ints.len() as u32).to_le_bytes());
            for i in ints {
                blob.extend_from_slice(&i.to_le_bytes()[..width]);
            }
            put_string(o, &blob, compress)
        }
        Value::Set(set) => {
            put_len(o, set.len() as u64)?;
            for m in set.iter() {
                m.with_bytes(|b| put_string(o, b, compress))?;
            }
            Ok(())
        }
        Value::ZSet(z) if z.is_compact() => {
            let mut w = listpack::Writer::new();
            for (member, score) in z.iter() {
                w.push(member);
                push_score(&mut w, score);
            }
            put_string(o, &w.finish(), compress)
        }
        Value::ZSet(z) => {
            put_len(o, z.len() as u64)?;
            for (member, score) in z.range(0, z.len(), true) {
                put_string(o, member, compress)?;
                o.put(&score.to_le_bytes())?;
            }
            Ok(())
        }
        Value::Hash(h) if h.is_compact() => {
            let mut w = listpack::Writer::new();
            for (field, value) in h.iter() {
                w.push(field);
                w.push(value);
            }
            put_string(o, &w.finish(), compress)
        }
        Value::Hash(h) => {
            put_len(o, h.len() as u64)?;
            for (field, value) in h.iter() {
                put_string(o, field, compress)?;
                put_string(o, value, compress)?;
            }
            Ok(())
        }
    }
}

/// Whether a value would be written (empty collections never are: Redis refuses them).
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Str(_) => false,
        Value::List(l) => l.is_empty(),
        Value::Set(s) => s.is_empty(),
        Value::ZSet(z) => z.is_empty(),
        Value::Hash(h) => h.is_empty(),
    }
}

/// The AUX facts of a file's header.
struct Aux<'a> {
    ctime_s: i64,
    used_mem: u64,
    producer: &'a str,
}

fn put_aux<O: Out>(o: &mut O, key: &str, value: &str) -> io::Result<()> {
    o.byte(OPCODE_AUX)?;
    put_string(o, key.as_bytes(), false)?;
    put_string(o, value.as_bytes(), false)
}

/// Magic, version and AUX fields, in the order Redis 7.0 writes them.
fn put_header<O: Out>(o: &mut O, aux: &Aux<'_>) -> io::Result<()> {
    o.put(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
    put_aux(o, "redis-ver", REDIS_VER)?;
    put_aux(o, "redis-bits", &usize::BITS.to_string())?;
    put_aux(o, "ctime", &aux.ctime_s.to_string())?;
    put_aux(o, "used-mem", &aux.used_mem.to_string())?;
    put_aux(o, "aof-base", "0")?;
    if !aux.producer.is_empty() {
        put_aux(o, "redoubt-ver", aux.producer)?;
    }
    Ok(())
}

/// Every live key of every database: `SELECTDB`, `RESIZEDB`, then per key its deadline,
/// type, name and value. `record` is called before each record (the snapshot cuts chunks
/// there). Returns the number of keys.
fn put_databases<O: Out>(
    o: &mut O,
    ks: &Keyspace,
    now_ms: i64,
    compress: bool,
    mut record: impl FnMut(&mut O),
) -> io::Result<u64> {
    let mut keys = 0u64;
    for index in 0..ks.db_count() {
        let Some(db) = ks.db_ref(index) else { continue };
        if db.is_empty() {
            continue;
        }
        record(o);
        o.byte(OPCODE_SELECTDB)?;
        put_len(o, index as u64)?;
        o.byte(OPCODE_RESIZEDB)?;
        put_len(o, db.len() as u64)?;
        put_len(o, db.volatile_len() as u64)?;
        let mut result = Ok(());
        db.for_each_entry(now_ms, |key, value, deadline| {
            if result.is_err() || is_empty(value) {
                return;
            }
            record(o);
            result = (|| {
                if let Some(d) = deadline {
                    o.byte(OPCODE_EXPIRETIME_MS)?;
                    o.put(&d.to_le_bytes())?;
                }
                o.byte(rdb_type(value))?;
                put_string(o, key, compress)?;
                put_value(o, value, compress)
            })();
            keys += 1;
        });
        result?;
    }
    Ok(keys)
}

fn put_trailer<W: Write>(mut o: CrcWriter<W>, checksum: bool) -> io::Result<(W, u64)> {
    o.byte(OPCODE_EOF)?;
    let crc = if checksum { o.crc } else { 0 };
    o.put(&crc.to_le_bytes())?;
    Ok((o.w, o.bytes))
}

/// Writes the whole keyspace as an RDB file to `w` (SAVE). Keys whose deadline passed by
/// `now_ms` are left out.
pub fn write_rdb<W: Write>(w: W, ks: &Keyspace, now_ms: i64, opts: &SaveOptions) -> io::Result<SaveStats> {
    let mut o = CrcWriter::new(w);
    let aux = Aux { ctime_s: now_ms / 1000, used_mem: ks.used_bytes() as u64, producer: &opts.producer_version };
    put_header(&mut o, &aux)?;
    let keys = put_databases(&mut o, ks, now_ms, opts.compress, |_| {})?;
    let (mut w, bytes) = put_trailer(o, opts.checksum)?;
    w.flush()?;
    Ok(SaveStats { keys, bytes })
}

/// Chunks of whole records.
struct Chunks {
    done: Vec<Vec<u8>>,
    cur: Vec<u8>,
}

impl Out for Chunks {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.cur.extend_from_slice(b);
        Ok(())
    }
}

/// A point-in-time copy of the keyspace for a background save: every key already encoded
/// as an RDB record, strings not yet compressed. See the [module documentation](self).
#[derive(Debug)]
pub struct Snapshot {
    chunks: Vec<Vec<u8>>,
    keys: u64,
    used_mem: u64,
    ctime_s: i64,
}

impl Snapshot {
    /// Encodes every live key of `ks` (call with the store locked; no compression here, so
    /// it is about as fast as copying the bytes).
    pub fn capture(ks: &Keyspace, now_ms: i64) -> Snapshot {
        let mut chunks = Chunks { done: Vec::new(), cur: Vec::with_capacity(CHUNK) };
        // Cut a little before the capacity, so records rarely make a chunk double; shrink
        // the rare chunk a large record did grow.
        let cut = |c: &mut Chunks| {
            if c.cur.len() >= CHUNK - CHUNK / 16 {
                let mut full = std::mem::replace(&mut c.cur, Vec::with_capacity(CHUNK));
                if full.capacity() > full.len() + full.len() / 4 {
                    full.shrink_to_fit();
                }
                c.done.push(full);
            }
        };
        // Writing to memory cannot fail.
        let keys = put_databases(&mut chunks, ks, now_ms, false, cut).unwrap_or(0);
        let Chunks { mut done, mut cur } = chunks;
        if !cur.is_empty() {
            cur.shrink_to_fit();
            done.push(cur);
        }
        Snapshot { chunks: done, keys, used_mem: ks.used_bytes() as u64, ctime_s: now_ms / 1000 }
    }

    /// Keys in the snapshot.
    pub fn keys(&self) -> u64 {
        self.keys
    }

    /// Memory the snapshot holds, in bytes (its buffers' capacity).
    pub fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum::<usize>() + self.chunks.capacity() * std::mem::size_of::<Vec<u8>>()
    }

    /// Writes the snapshot as an RDB file to `w`, compressing strings if asked (run this
    /// outside the store lock).
    pub fn write_to<W: Write>(&self, w: W, opts: &SaveOptions) -> io::Result<SaveStats> {
        let mut o = CrcWriter::new(w);
        let aux = Aux { ctime_s: self.ctime_s, used_mem: self.used_mem, producer: &opts.producer_version };
        put_header(&mut o, &aux)?;
        for chunk in &self.chunks {
            if opts.compress {
                transcode(chunk, &mut o)?;
            } else {
                o.put(chunk)?;
            }
        }
        let (mut w, bytes) = put_trailer(o, opts.checksum)?;
        w.flush()?;
        Ok(SaveStats { keys: self.keys, bytes })
    }
}

/// A cursor over records this module wrote.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn bug() -> io::Error {
    io::Error::other("snapshot record malformed (a bug)")
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let s = self.buf.get(self.pos..self.pos.checked_add(n).ok_or_else(bug)?).ok_or_else(bug)?;
        self.pos += n;
        Ok(s)
    }

    fn byte(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// A length; with its raw bytes.
    fn len(&mut self) -> io::Result<(u64, &'a [u8])> {
        let start = self.pos;
        let b = self.byte()?;
        let v = match b >> 6 {
            0 => u64::from(b & 0x3f),
            1 => (u64::from(b & 0x3f) << 8) | u64::from(self.byte()?),
            _ if b == 0x80 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().map_err(|_| bug())?)),
            _ if b == 0x81 => u64::from_be_bytes(self.take(8)?.try_into().map_err(|_| bug())?),
            _ => return Err(bug()),
        };
        Ok((v, &self.buf[start..self.pos]))
    }

    /// Copies a string, compressing it when that pays.
    fn string<O: Out>(&mut self, o: &mut O) -> io::Result<()> {
        let first = *self.buf.get(self.pos).ok_or_else(bug)?;
        match first {
            0xC0 => o.put(self.take(2)?),
            0xC1 => o.put(self.take(3)?),
            0xC2 => o.put(self.take(5)?),
            _ => {
                let (n, raw) = self.len()?;
                let bytes = self.take(usize::try_from(n).map_err(|_| bug())?)?;
                if n > 20 {
                    put_string(o, bytes, true)
                } else {
                    o.put(raw)?;
                    o.put(bytes)
                }
            }
        }
    }

    fn copy_len<O: Out>(&mut self, o: &mut O) -> io::Result<u64> {
        let (n, raw) = self.len()?;
        o.put(raw)?;
        Ok(n)
    }
}

/// Re-encodes snapshot records with LZF compression.
fn transcode<O: Out>(buf: &[u8], o: &mut O) -> io::Result<()> {
    let mut c = Cursor { buf, pos: 0 };
    while c.pos < buf.len() {
        let op = c.byte()?;
        o.byte(op)?;
        match op {
            OPCODE_SELECTDB => {
                c.copy_len(o)?;
            }
            OPCODE_RESIZEDB => {
                c.copy_len(o)?;
                c.copy_len(o)?;
            }
            OPCODE_EXPIRETIME_MS => o.put(c.take(8)?)?,
            t => {
                c.string(o)?;
                match t {
                    TYPE_STRING | TYPE_SET_INTSET | TYPE_ZSET_LISTPACK | TYPE_HASH_LISTPACK => c.string(o)?,
                    TYPE_LIST_QUICKLIST_2 => {
                        for _ in 0..c.copy_len(o)? {
                            c.copy_len(o)?;
                            c.string(o)?;
                        }
                    }
                    TYPE_SET => {
                        for _ in 0..c.copy_len(o)? {
                            c.string(o)?;
                        }
                    }
                    TYPE_HASH => {
                        for _ in 0..c.copy_len(o)? {
                            c.string(o)?;
                            c.string(o)?;
                        }
                    }
                    TYPE_ZSET_2 => {
                        for _ in 0..c.copy_len(o)? {
                            c.string(o)?;
                            o.put(c.take(8)?)?;
                        }
                    }
                    _ => return Err(bug()),
                }
            }
        }
    }
    Ok(())
}
