//! The compact encodings of older Redis versions, still found in RDB files and DUMP
//! payloads: ziplists (lists, hashes and sorted sets before 7.0; list nodes before 7.0),
//! zipmaps (hashes before 2.6) and intsets (sets of integers, still current).
//!
//! Read only, each checked entry by entry against its buffer.

use crate::listpack::Entry;
use crate::RdbError;

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt(what.to_string())
}

/// Calls `f` for each element of the ziplist `zl`; returns the count.
///
/// ```text
/// [zlbytes: u32] [zltail: u32] [zllen: u16] entry ... [0xFF]
/// entry = [prevlen: 1 byte, or 0xFE + u32] [encoding] [data]
/// ```
pub fn walk_ziplist<'a>(zl: &'a [u8], mut f: impl FnMut(Entry<'a>) -> Result<(), RdbError>) -> Result<usize, RdbError> {
    let bad = |what: &str| corrupt(&format!("ziplist: {what}"));
    if zl.len() < 11 {
        return Err(bad("shorter than its header"));
    }
    let u32_at = |i: usize| u32::from_le_bytes([zl[i], zl[i + 1], zl[i + 2], zl[i + 3]]) as usize;
    if u32_at(0) != zl.len() || zl[zl.len() - 1] != 0xFF {
        return Err(bad("byte count or terminator wrong"));
    }
    let tail = u32_at(4);
    let declared = u16::from_le_bytes([zl[8], zl[9]]);
    let end = zl.len() - 1;
    let mut p = 10;
    let mut prev_size = 0usize;
    let mut last_start = None;
    let mut count = 0usize;
    while p < end {
        let start = p;
        let at = |i: usize| zl.get(i).copied().ok_or_else(|| bad("entry past the end"));
        let take =
            |from: usize, n: usize| zl.get(from..from.saturating_add(n)).ok_or_else(|| bad("entry past the end"));
        let prevlen = if at(p)? < 254 {
            p += 1;
            usize::from(zl[p - 1])
        } else if zl[p] == 254 {
            let b = take(p + 1, 4)?;
            p += 5;
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
        } else {
            return Err(bad("bad prevlen"));
        };
        if prevlen != prev_size {
            return Err(bad("prevlen does not match the previous entry"));
        }
        let enc = at(p)?;
        let entry = match enc >> 6 {
            0 => {
                let n = usize::from(enc & 0x3f);
                p += 1;
                let s = take(p, n)?;
                p += n;
                Entry::Str(s)
            }
            1 => {
                let n = (usize::from(enc & 0x3f) << 8) | usize::from(at(p + 1)?);
                p += 2;
                let s = take(p, n)?;
                p += n;
                Entry::Str(s)
            }
            2 => {
                if enc != 0x80 {
                    return Err(bad("bad string encoding"));
                }
                let b = take(p + 1, 4)?;
                let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                p += 5;
                let s = take(p, n)?;
                p += n;
                Entry::Str(s)
            }
            _ => {
                p += 1;
                let int = |n: usize| -> Result<i64, RdbError> {
                    let mut w = [0u8; 8];
                    w[..n].copy_from_slice(take(p, n)?);
                    // Little endian: shift up then down arithmetically so the sign extends.
                    let shift = 64 - 8 * n as u32;
                    Ok(((u64::from_le_bytes(w) << shift) as i64) >> shift)
                };
                let (v, n) = match enc {
                    0xC0 => (int(2)?, 2),
                    0xD0 => (int(4)?, 4),
                    0xE0 => (int(8)?, 8),
                    0xF0 => (int(3)?, 3),
                    0xFE => (int(1)?, 1),
                    0xF1..=0xFD => (i64::from(enc & 0x0f) - 1, 0),
                    _ => return Err(bad("bad integer encoding")),
                };
                p += n;
                Entry::Int(v)
            }
        };
        if p > end {
            return Err(bad("entry past the end"));
        }
        f(entry)?;
        count += 1;
        prev_size = p - start;
        last_start = Some(start);
    }
    if last_start.unwrap_or(10) != tail {
        return Err(bad("tail offset wrong"));
    }
    if declared != u16::MAX && usize::from(declared) != count {
        return Err(bad("element count does not match"));
    }
    Ok(count)
}

/// Calls `f(field, value)` for each pair of the zipmap `zm` (Redis before 2.6).
///
/// ```text
/// [count: 1 byte] ([len] field [len] [free: 1 byte] value [free bytes])* [0xFF]
/// len = 1 byte below 254, or 254 + u32
/// ```
pub fn walk_zipmap<'a>(
    zm: &'a [u8],
    mut f: impl FnMut(&'a [u8], &'a [u8]) -> Result<(), RdbError>,
) -> Result<usize, RdbError> {
    let bad = || corrupt("zipmap: malformed");
    let mut p = 1;
    let mut count = 0;
    let len_at = |p: &mut usize| -> Result<usize, RdbError> {
        let b = *zm.get(*p).ok_or_else(bad)?;
        match b {
            0..=253 => {
                *p += 1;
                Ok(usize::from(b))
            }
            254 => {
                let s = zm.get(*p + 1..*p + 5).ok_or_else(bad)?;
                *p += 5;
                Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
            }
            _ => Err(bad()),
        }
    };
    if zm.is_empty() {
        return Err(bad());
    }
    loop {
        match zm.get(p) {
            None => return Err(bad()),
            Some(0xFF) => {
                if p + 1 != zm.len() {
                    return Err(bad());
                }
                return Ok(count);
            }
            Some(_) => {}
        }
        let klen = len_at(&mut p)?;
        let key = zm.get(p..p.saturating_add(klen)).ok_or_else(bad)?;
        p += klen;
        let vlen = len_at(&mut p)?;
        let free = usize::from(*zm.get(p).ok_or_else(bad)?);
        p += 1;
        let value = zm.get(p..p.saturating_add(vlen)).ok_or_else(bad)?;
        p += vlen + free;
        f(key, value)?;
        count += 1;
    }
}

/// Calls `f` for each member of the intset `is` (`[width: u32] [count: u32] members`, little
/// endian, width 2, 4 or 8); returns the count. Members must be strictly ascending.
pub fn walk_intset(is: &[u8], mut f: impl FnMut(i64) -> Result<(), RdbError>) -> Result<usize, RdbError> {
    let bad = |what: &str| corrupt(&format!("intset: {what}"));
    if is.len() < 8 {
        return Err(bad("shorter than its header"));
    }
    let width = u32::from_le_bytes([is[0], is[1], is[2], is[3]]) as usize;
    let count = u32::from_le_bytes([is[4], is[5], is[6], is[7]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(bad("bad width"));
    }
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(is.len()) {
        return Err(bad("size does not match its count"));
    }
    let mut prev = None;
    for c in is[8..].chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        };
        if prev.is_some_and(|p| p >= v) {
            return Err(bad("members out of order"));
        }
        prev = Some(v);
        f(v)?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zl_entries(zl: &[u8]) -> Result<Vec<Entry<'_>>, RdbError> {
        let mut v = Vec::new();
        walk_ziplist(zl, |e| {
            v.push(e);
            Ok(())
        })?;
        Ok(v)
    }

    /// A ziplist built as Redis 6 builds one for RPUSH l a 12 1000 -7 70000 hello.
    fn sample() -> Vec<u8> {
        let mut body = Vec::new();
        let mut offsets = Vec::new();
        let mut prev = 0usize;
        let entries: Vec<Vec<u8>> = vec![
            vec![0x01, b'a'],
            vec![0xFD],                   // immediate 12
            vec![0xC0, 0xE8, 0x03],       // int16 1000
            vec![0xFE, 0xF9],             // int8 -7
            vec![0xF0, 0x70, 0x11, 0x01], // int24 70000
            vec![0x05, b'h', b'e', b'l', b'l', b'o'],
        ];
        for e in entries {
            offsets.push(10 + body.len());
            let mut entry = vec![prev as u8];
            entry.extend(e);
            prev = entry.len();
            body.extend(entry);
        }
        let total = 10 + body.len() + 1;
        let mut zl = Vec::new();
        zl.extend((total as u32).to_le_bytes());
        zl.extend((*offsets.last().unwrap() as u32).to_le_bytes());
        zl.extend(6u16.to_le_bytes());
        zl.extend(body);
        zl.push(0xFF);
        zl
    }

    #[test]
    fn ziplist_entries() {
        let zl = sample();
        assert_eq!(
            zl_entries(&zl).unwrap(),
            vec![
                Entry::Str(b"a"),
                Entry::Int(12),
                Entry::Int(1000),
                Entry::Int(-7),
                Entry::Int(70000),
                Entry::Str(b"hello")
            ]
        );
        for cut in 0..zl.len() {
            assert!(zl_entries(&zl[..cut]).is_err());
        }
        for i in 0..zl.len() {
            let mut bad = zl.clone();
            bad[i] ^= 0x40;
            let _ = zl_entries(&bad);
        }
    }

    #[test]
    fn zipmap_pairs() {
        // {"foo" => "bar", "k" => "vv"} with one free byte after "bar".
        let zm = [2, 3, b'f', b'o', b'o', 3, 1, b'b', b'a', b'r', 0, 1, b'k', 2, 0, b'v', b'v', 0xFF];
        let mut got = Vec::new();
        walk_zipmap(&zm, |k, v| {
            got.push((k.to_vec(), v.to_vec()));
            Ok(())
        })
        .unwrap();
        assert_eq!(got, vec![(b"foo".to_vec(), b"bar".to_vec()), (b"k".to_vec(), b"vv".to_vec())]);
        assert!(walk_zipmap(&zm[..10], |_, _| Ok(())).is_err());
    }

    #[test]
    fn intset_members() {
        let mut is = vec![2, 0, 0, 0, 3, 0, 0, 0];
        for v in [-5i16, 1, 300] {
            is.extend(v.to_le_bytes());
        }
        let mut got = Vec::new();
        walk_intset(&is, |v| {
            got.push(v);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, [-5, 1, 300]);
        let mut unsorted = is.clone();
        unsorted.swap(8, 10);
        unsorted.swap(9, 11);
        assert!(walk_intset(&unsorted, |_| Ok(())).is_err());
        assert!(walk_intset(&is[..13], |_| Ok(())).is_err());
        assert!(walk_intset(&[3, 0, 0, 0, 0, 0, 0, 0], |_| Ok(())).is_err());
    }
}
