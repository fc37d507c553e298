//! Reading RDB data: the primitives (lengths, strings in every encoding, doubles) and one
//! value of any type Redis 7.0 to 7.2 writes (`rdbLoadObject`), into the store's types.
//!
//! Everything is checked against what the input still holds before anything is
//! allocated: a length is refused when more bytes are announced than remain, LZF output is
//! bounded by the most its input can expand to and by [`Limits::inflate_budget`], and no
//! collection is sized from its announced count. Duplicate members, fields or keys, NaN
//! scores and malformed compact encodings are errors, as Redis makes them.

use crate::consts::*;
use crate::legacy::{walk_intset, walk_ziplist, walk_zipmap};
use crate::listpack::{self, Entry};
use crate::{lzf, RdbError};
use redoubt_store::hash::HashLimits;
use redoubt_store::set::Member;
use redoubt_store::zset::ZSetLimits;
use redoubt_store::{HashValue, ListValue, SetValue, StrValue, Value, ZSetValue};
use std::io::Read;

/// The encodings' thresholds (from the configuration), and how much LZF may inflate.
#[derive(Clone, Debug)]
pub struct Limits {
    /// `hash-max-listpack-entries` / `-value`.
    pub hash: HashLimits,
    /// `zset-max-listpack-entries` / `-value`.
    pub zset: ZSetLimits,
    /// `set-max-intset-entries`.
    pub set_max_intset: usize,
    /// Most bytes LZF decompression may produce in all while reading one file or payload
    /// (RESTORE bounds it, since a payload comes from a client; a data file need not).
    pub inflate_budget: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hash: HashLimits::default(),
            zset: ZSetLimits::default(),
            set_max_intset: 512,
            inflate_budget: u64::MAX,
        }
    }
}

/// A length, or the marker of a specially encoded string.
pub(crate) enum Len {
    Len(u64),
    Enc(u8),
}

/// A string as stored: an integer encoding, or bytes.
pub(crate) enum RStr {
    Int(i64),
    Bytes(Vec<u8>),
}

impl RStr {
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        match self {
            RStr::Int(v) => v.to_string().into_bytes(),
            RStr::Bytes(b) => b,
        }
    }
}

fn corrupt(m: impl Into<String>) -> RdbError {
    RdbError::Corrupt(m.into())
}

/// The input: a reader with a count of the bytes it still holds, and optionally the
/// running CRC-64 of what was read.
pub(crate) struct Input<R> {
    r: R,
    left: u64,
    pub(crate) crc: Option<u64>,
    inflate_left: u64,
}

impl<R: Read> Input<R> {
    pub(crate) fn new(r: R, len: u64, crc: bool, limits: &Limits) -> Self {
        Input { r, left: len, crc: crc.then_some(0), inflate_left: limits.inflate_budget }
    }

    /// Bytes not read yet.
    pub(crate) fn left(&self) -> u64 {
        self.left
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) -> Result<(), RdbError> {
        if buf.len() as u64 > self.left {
            return Err(RdbError::Truncated);
        }
        self.r.read_exact(buf)?;
        self.left -= buf.len() as u64;
        if let Some(c) = &mut self.crc {
            *c = crate::crc64::crc64(*c, buf);
        }
        Ok(())
    }

    pub(crate) fn u8(&mut self) -> Result<u8, RdbError> {
        let mut b = [0u8; 1];
        self.fill(&mut b)?;
        Ok(b[0])
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut b = [0u8; N];
        self.fill(&mut b)?;
        Ok(b)
    }

    /// `n` bytes, refused before allocating when fewer remain.
    pub(crate) fn vec(&mut self, n: u64) -> Result<Vec<u8>, RdbError> {
        if n > self.left {
            return Err(RdbError::Truncated);
        }
        let mut v = vec![0u8; usize::try_from(n).map_err(|_| RdbError::Truncated)?];
        self.fill(&mut v)?;
        Ok(v)
    }

    /// `rdbLoadLen`, accepting the string-encoding marker.
    pub(crate) fn len_or_enc(&mut self) -> Result<Len, RdbError> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Len(u64::from(b & 0x3f)),
            1 => Len::Len((u64::from(b & 0x3f) << 8) | u64::from(self.u8()?)),
            2 => match b {
                0x80 => Len::Len(u64::from(u32::from_be_bytes(self.array()?))),
                0x81 => Len::Len(u64::from_be_bytes(self.array()?)),
                _ => return Err(corrupt(format!("unknown length encoding {b:#04x}"))),
            },
            _ => Len::Enc(b & 0x3f),
        })
    }

    /// A plain length.
    pub(crate) fn len(&mut self) -> Result<u64, RdbError> {
        match self.len_or_enc()? {
            Len::Len(n) => Ok(n),
            Len::Enc(_) => Err(corrupt("an encoded string where a length belongs")),
        }
    }

    /// A string in any of its encodings (`rdbGenericLoadStringObject`).
    pub(crate) fn string(&mut self) -> Result<RStr, RdbError> {
        match self.len_or_enc()? {
            Len::Len(n) => Ok(RStr::Bytes(self.vec(n)?)),
            Len::Enc(0) => Ok(RStr::Int(i64::from(self.u8()? as i8))),
            Len::Enc(1) => Ok(RStr::Int(i64::from(i16::from_le_bytes(self.array()?)))),
            Len::Enc(2) => Ok(RStr::Int(i64::from(i32::from_le_bytes(self.array()?)))),
            Len::Enc(3) => {
                let clen = self.len()?;
                let ulen = self.len()?;
                if clen > self.left {
                    return Err(RdbError::Truncated);
                }
                if ulen > lzf::max_expansion(clen as usize) as u64 {
                    return Err(corrupt("LZF string longer than its compressed data can hold"));
                }
                if ulen > self.inflate_left {
                    return Err(corrupt("LZF strings expand beyond the allowed size"));
                }
                self.inflate_left -= ulen;
                let compressed = self.vec(clen)?;
                lzf::decompress(&compressed, ulen as usize).map(RStr::Bytes).map_err(|_| corrupt("invalid LZF data"))
            }
            Len::Enc(e) => Err(corrupt(format!("unknown string encoding {e}"))),
        }
    }

    /// A string's bytes (integers formatted).
    pub(crate) fn bytes(&mut self) -> Result<Vec<u8>, RdbError> {
        Ok(self.string()?.into_bytes())
    }

    /// A double of the old `ZSET` type: a length byte, 253 NaN, 254 +inf, 255 -inf.
    fn double_text(&mut self) -> Result<f64, RdbError> {
        let n = self.u8()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let b = self.vec(u64::from(n))?;
                parse_score(&b).ok_or_else(|| corrupt("bad score"))
            }
        }
    }

    fn double_bin(&mut self) -> Result<f64, RdbError> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

/// A score written as text (`strtod` forms: decimal, exponent, inf, nan).
pub(crate) fn parse_score(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

/// Whether `t` is a value type (rather than an opcode).
pub(crate) fn is_value_type(t: u8) -> bool {
    t <= 7 || (9..=21).contains(&t)
}

/// Builds a sorted set member by member, refusing duplicates and NaN.
struct ZBuild<'a> {
    z: Option<ZSetValue>,
    limits: &'a ZSetLimits,
}

impl ZBuild<'_> {
    fn add(&mut self, member: &[u8], score: f64) -> Result<(), RdbError> {
        if score.is_nan() {
            return Err(corrupt("sorted set with a NaN score"));
        }
        let limits = *self.limits;
        let z = self.z.get_or_insert_with(|| ZSetValue::for_first_member(member.len(), limits));
        if z.set_score(member, score, limits).is_some() {
            return Err(corrupt("duplicate sorted set member"));
        }
        Ok(())
    }

    fn finish(self) -> Option<Value> {
        self.z.filter(|z| !z.is_empty()).map(|z| Value::ZSet(Box::new(z)))
    }
}

fn entry_score(e: Entry<'_>) -> Result<f64, RdbError> {
    match e {
        Entry::Int(v) => Ok(v as f64),
        Entry::Str(s) => parse_score(s).ok_or_else(|| corrupt("bad score in a sorted set")),
    }
}

fn hash_add(h: &mut HashValue, field: &[u8], value: &[u8], limits: HashLimits) -> Result<(), RdbError> {
    if h.insert(field, value, limits) {
        Ok(())
    } else {
        Err(corrupt("duplicate hash field"))
    }
}

fn set_add(s: &mut SetValue, m: Member<'_>, max: usize) -> Result<(), RdbError> {
    if s.add_member(m, max) {
        Ok(())
    } else {
        Err(corrupt("duplicate set member"))
    }
}

fn entry_member(e: Entry<'_>) -> Member<'_> {
    match e {
        Entry::Int(v) => Member::Int(v),
        Entry::Str(s) => Member::Bytes(s),
    }
}

/// Pairs of a listpack or ziplist, as (first, second); an odd count is an error.
fn pairs<'a>(
    walk: impl FnOnce(&mut dyn FnMut(Entry<'a>) -> Result<(), RdbError>) -> Result<usize, RdbError>,
    mut f: impl FnMut(Entry<'a>, Entry<'a>) -> Result<(), RdbError>,
) -> Result<(), RdbError> {
    let mut first: Option<Entry<'a>> = None;
    walk(&mut |e| {
        match first.take() {
            None => first = Some(e),
            Some(a) => f(a, e)?,
        }
        Ok(())
    })?;
    if first.is_some() {
        return Err(corrupt("odd number of elements in a pair container"));
    }
    Ok(())
}

fn some_hash(h: HashValue) -> Option<Value> {
    (!h.is_empty()).then(|| Value::Hash(Box::new(h)))
}

fn some_set(s: SetValue) -> Option<Value> {
    (!s.is_empty()).then(|| Value::Set(Box::new(s)))
}

fn some_list(l: ListValue) -> Option<Value> {
    (!l.is_empty()).then(|| Value::List(Box::new(l)))
}

fn push_entry(l: &mut ListValue, e: Entry<'_>) {
    match e {
        Entry::Int(v) => l.push_back(v.to_string().as_bytes()),
        Entry::Str(s) => l.push_back(s),
    }
}

/// Reads one value of RDB type `t` (`rdbLoadObject`). `None` for an empty collection (which
/// Redis skips in a file and refuses in a payload).
pub(crate) fn read_value<R: Read>(inp: &mut Input<R>, t: u8, limits: &Limits) -> Result<Option<Value>, RdbError> {
    Ok(match t {
        TYPE_STRING => Some(Value::Str(match inp.string()? {
            RStr::Int(v) => StrValue::from_int(v),
            RStr::Bytes(b) => StrValue::from_vec(b),
        })),
        TYPE_LIST => {
            let mut l = ListValue::new();
            for _ in 0..inp.len()? {
                l.push_back(&inp.bytes()?);
            }
            some_list(l)
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let mut l = ListValue::new();
            for _ in 0..inp.len()? {
                let container = if t == TYPE_LIST_QUICKLIST_2 { inp.len()? } else { CONTAINER_PACKED };
                let blob = inp.bytes()?;
                if blob.is_empty() {
                    return Err(corrupt("empty quicklist node"));
                }
                match container {
                    CONTAINER_PLAIN => l.push_back(&blob),
                    CONTAINER_PACKED if t == TYPE_LIST_QUICKLIST_2 => {
                        listpack::walk(&blob, |e| {
                            push_entry(&mut l, e);
                            Ok(())
                        })?;
                    }
                    CONTAINER_PACKED => {
                        walk_ziplist(&blob, |e| {
                            push_entry(&mut l, e);
                            Ok(())
                        })?;
                    }
                    _ => return Err(corrupt("unknown quicklist container")),
                }
            }
            some_list(l)
        }
        TYPE_LIST_ZIPLIST => {
            let blob = inp.bytes()?;
            let mut l = ListValue::new();
            walk_ziplist(&blob, |e| {
                push_entry(&mut l, e);
                Ok(())
            })?;
            some_list(l)
        }
        TYPE_SET => {
            let mut s = SetValue::new();
            for _ in 0..inp.len()? {
                match inp.string()? {
                    RStr::Int(v) => set_add(&mut s, Member::Int(v), limits.set_max_intset)?,
                    RStr::Bytes(b) => set_add(&mut s, Member::Bytes(&b), limits.set_max_intset)?,
                }
            }
            some_set(s)
        }
        TYPE_SET_INTSET => {
            let blob = inp.bytes()?;
            let mut s = SetValue::new();
            walk_intset(&blob, |v| set_add(&mut s, Member::Int(v), limits.set_max_intset))?;
            some_set(s)
        }
        TYPE_SET_LISTPACK => {
            let blob = inp.bytes()?;
            let mut s = SetValue::new();
            listpack::walk(&blob, |e| set_add(&mut s, entry_member(e), limits.set_max_intset))?;
            some_set(s)
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let mut z = ZBuild { z: None, limits: &limits.zset };
            for _ in 0..inp.len()? {
                let member = inp.bytes()?;
                let score = if t == TYPE_ZSET_2 { inp.double_bin()? } else { inp.double_text()? };
                z.add(&member, score)?;
            }
            z.finish()
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = inp.bytes()?;
            let mut z = ZBuild { z: None, limits: &limits.zset };
            let add = |m: Entry<'_>, s: Entry<'_>| match m {
                Entry::Str(b) => z.add(b, entry_score(s)?),
                Entry::Int(v) => z.add(v.to_string().as_bytes(), entry_score(s)?),
            };
            if t == TYPE_ZSET_LISTPACK {
                pairs(|f| listpack::walk(&blob, f), add)?;
            } else {
                pairs(|f| walk_ziplist(&blob, f), add)?;
            }
            z.finish()
        }
        TYPE_HASH => {
            let mut h = HashValue::new();
            for _ in 0..inp.len()? {
                let field = inp.bytes()?;
                let value = inp.bytes()?;
                hash_add(&mut h, &field, &value, limits.hash)?;
            }
            some_hash(h)
        }
        TYPE_HASH_ZIPMAP => {
            let blob = inp.bytes()?;
            let mut h = HashValue::new();
            walk_zipmap(&blob, |f, v| hash_add(&mut h, f, v, limits.hash))?;
            some_hash(h)
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = inp.bytes()?;
            let mut h = HashValue::new();
            let add = |f: Entry<'_>, v: Entry<'_>| hash_add(&mut h, &f.to_vec(), &v.to_vec(), limits.hash);
            if t == TYPE_HASH_LISTPACK {
                pairs(|f| listpack::walk(&blob, f), add)?;
            } else {
                pairs(|f| walk_ziplist(&blob, f), add)?;
            }
            some_hash(h)
        }
        TYPE_MODULE | TYPE_MODULE_2 => {
            return Err(RdbError::Unsupported(format!("type {t} (module value): Redoubt loads no modules")))
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => {
            return Err(RdbError::Unsupported(format!("type {t} (stream): Redoubt has no stream type")))
        }
        _ => return Err(corrupt(format!("unknown value type {t}"))),
    })
}
