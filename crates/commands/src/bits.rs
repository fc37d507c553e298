//! The bitmap family (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO. Bit 0 is the most significant bit of the first byte.
//!
//! Every offset is checked against proto-max-bulk-len before anything is allocated, all
//! arithmetic on client numbers is checked or explicitly wrapping (as Redis's C is), and
//! growing a string never aborts the process on allocation failure.

mod field;

use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, GENERIC, STRING};
use crate::strings::{grow_zeroed, mark_dirty, proto_max_bulk_len, zeroed, Lookup};
use redoubt_store::{Keyspace, StrValue, Value};

pub(crate) use field::{bitfield, bitfield_ro};

const BIT_OFFSET_ERR: CmdError = CmdError::raw("ERR bit offset is not an integer or out of range");

/// Redis's `getBitOffsetFromArgument`: a bit offset within proto-max-bulk-len bytes. With
/// `hash` and `bits > 0`, `#n` means `n * bits`.
fn bit_offset(ctx: &Ctx<'_>, arg: &[u8], hash: bool, bits: u32) -> Result<u64, CmdError> {
    let (digits, usehash) = match arg.split_first() {
        Some((b'#', rest)) if hash && bits > 0 => (rest, true),
        _ => (arg, false),
    };
    let mut offset = parse_i64(digits).ok_or(BIT_OFFSET_ERR)?;
    if usehash {
        offset = offset.checked_mul(i64::from(bits)).ok_or(BIT_OFFSET_ERR)?;
    }
    if offset < 0 || (offset as u64 >> 3) >= proto_max_bulk_len(ctx) {
        return Err(BIT_OFFSET_ERR);
    }
    Ok(offset as u64)
}

/// Redis's `lookupStringForBitCommand`: runs `f` on the string at `key`, created or padded
/// with zeros so that bit `maxbit` exists. `f` also learns whether the string was created or
/// grown. WRONGTYPE if the key holds another type.
fn with_bits<R>(
    ks: &mut Keyspace,
    lk: Lookup,
    key: &[u8],
    maxbit: u64,
    f: impl FnOnce(&mut Vec<u8>, bool) -> R,
) -> Result<R, CmdError> {
    let len = usize::try_from(maxbit >> 3).ok().and_then(|b| b.checked_add(1)).ok_or(BIT_OFFSET_ERR)?;
    let db = ks.db(lk.db);
    let mut f = Some(f);
    let done = match db.get_mut(key, lk.now) {
        Some(mut v) => {
            let buf = v.as_str_mut().ok_or(CmdError::wrong_type())?.make_mut_bytes();
            let before = buf.len();
            grow_zeroed(buf, len)?;
            let grown = buf.len() != before;
            f.take().map(|f| f(buf, grown))
        }
        None => None,
    };
    if let Some(r) = done {
        return Ok(r);
    }
    let mut buf = zeroed(len)?;
    let r = f.take().map(|f| f(&mut buf, true));
    db.set(key, Value::Str(StrValue::from_vec(buf)), false, lk.now);
    r.ok_or(CmdError::err("internal error"))
}

/// `SETBIT key offset value`
pub(crate) fn setbit(ctx: &mut Ctx<'_>) -> CmdResult {
    let offset = bit_offset(ctx, &ctx.args[2], false, 0)?;
    let bit_err = || CmdError::raw("ERR bit is not an integer or out of range");
    let on = parse_i64(&ctx.args[3]).ok_or_else(bit_err)?;
    if on & !1 != 0 {
        return Err(bit_err());
    }
    let lk = Lookup::of(ctx);
    let (byte, shift) = ((offset >> 3) as usize, 7 - (offset & 7) as u32);
    let (old, changed) = with_bits(ctx.keyspace, lk, &ctx.args[1], offset, |buf, grown| {
        let old = (buf[byte] >> shift) & 1;
        if grown || i64::from(old) != on {
            buf[byte] = (buf[byte] & !(1 << shift)) | ((on as u8) << shift);
            (old, true)
        } else {
            (old, false)
        }
    })?;
    if changed {
        mark_dirty(ctx, 1);
        keyspace_event(ctx, STRING, "setbit", &ctx.args[1]);
    }
    ctx.out.int(i64::from(old));
    Ok(())
}

/// `GETBIT key offset`
pub(crate) fn getbit(ctx: &mut Ctx<'_>) -> CmdResult {
    let offset = bit_offset(ctx, &ctx.args[2], false, 0)?;
    let lk = Lookup::of(ctx);
    let bit = match lk.read_str(ctx.keyspace, &ctx.args[1])? {
        None => 0,
        Some(s) => {
            let bytes = s.to_bytes();
            let byte = usize::try_from(offset >> 3).ok().and_then(|i| bytes.get(i)).copied().unwrap_or(0);
            (byte >> (7 - (offset & 7))) & 1
        }
    };
    ctx.out.int(i64::from(bit));
    Ok(())
}

/// Whether a BIT|BYTE argument says BIT; a syntax error if it is neither.
fn bit_unit(arg: &[u8]) -> Result<bool, CmdError> {
    if is_opt(arg, "bit") {
        Ok(true)
    } else if is_opt(arg, "byte") {
        Ok(false)
    } else {
        Err(CmdError::syntax())
    }
}

/// A byte range of a string with masks for the bits outside a BIT range in its first and
/// last byte (set bits of a mask are outside the range).
struct ByteRange {
    start: i64,
    end: i64,
    first_mask: u8,
    last_mask: u8,
}

/// Normalizes `start..=end` (negative counts from the end) over `totlen` units, clamps it,
/// and for a BIT range converts it to bytes with edge masks. As Redis's BITCOUNT and BITPOS.
fn normalize(mut start: i64, mut end: i64, strlen: i64, isbit: bool) -> ByteRange {
    let totlen = if isbit { strlen << 3 } else { strlen };
    if start < 0 {
        start += totlen;
    }
    if end < 0 {
        end += totlen;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= totlen {
        end = totlen - 1;
    }
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if isbit && start <= end {
        first_mask = (!((1u32 << (8 - (start & 7))) - 1) & 0xff) as u8;
        last_mask = ((1u32 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    ByteRange { start, end, first_mask, last_mask }
}

/// `BITCOUNT key [start end [BYTE|BIT]]`
pub(crate) fn bitcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let lk = Lookup::of(ctx);
    let args = ctx.args;
    let Some(s) = lk.read_str(ctx.keyspace, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let p = s.to_bytes();
    let strlen = p.len() as i64;
    let r = match args.len() {
        4 | 5 => {
            let start = parse_i64(&args[2]).ok_or(CmdError::not_integer())?;
            let end = parse_i64(&args[3]).ok_or(CmdError::not_integer())?;
            if start < 0 && end < 0 && start > end {
                ctx.out.int(0);
                return Ok(());
            }
            let isbit = if args.len() == 5 { bit_unit(&args[4])? } else { false };
            normalize(start, end, strlen, isbit)
        }
        2 => ByteRange { start: 0, end: strlen - 1, first_mask: 0, last_mask: 0 },
        _ => return Err(CmdError::syntax()),
    };
    if r.start > r.end {
        ctx.out.int(0);
        return Ok(());
    }
    let (start, end) = (r.start as usize, r.end as usize);
    let mut count = popcount(&p[start..=end]);
    // Bits of the edge bytes outside a BIT range were counted: take them off.
    count -= u64::from((p[start] & r.first_mask).count_ones());
    count -= u64::from((p[end] & r.last_mask).count_ones());
    ctx.out.int(count as i64);
    Ok(())
}

fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        n += u64::from(u64::from_ne_bytes(w).count_ones());
    }
    n + chunks.remainder().iter().map(|b| u64::from(b.count_ones())).sum::<u64>()
}

/// Redis's `redisBitpos`: the position of the first bit equal to `bit` in `bytes`; when
/// there is none, -1 for a 1 and the bit just past the end for a 0 (the string is taken as
/// padded with zeros on the right).
fn first_bit(bytes: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0u8 } else { 0xff };
    let skip_word = if bit { 0u64 } else { u64::MAX };
    // Whole words first, then byte by byte from the first word that is not all `skip`.
    let mut base = 0usize;
    for c in bytes.chunks_exact(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        if u64::from_ne_bytes(w) != skip_word {
            break;
        }
        base += 8;
    }
    for (i, &b) in bytes[base..].iter().enumerate() {
        if b != skip {
            let within = if bit { b.leading_zeros() } else { b.leading_ones() };
            return ((base + i) as i64) * 8 + i64::from(within);
        }
    }
    if bit {
        -1
    } else {
        bytes.len() as i64 * 8
    }
}

/// `BITPOS key bit [start [end [BYTE|BIT]]]`
pub(crate) fn bitpos(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let bit = parse_i64(&args[2]).ok_or(CmdError::not_integer())?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::raw("ERR The bit argument must be 1 or 0."));
    }
    let bit = bit == 1;
    let lk = Lookup::of(ctx);
    let Some(s) = lk.read_str(ctx.keyspace, &args[1])? else {
        ctx.out.int(if bit { -1 } else { 0 });
        return Ok(());
    };
    let p = s.to_bytes();
    let strlen = p.len() as i64;
    let mut end_given = false;
    let r = match args.len() {
        4..=6 => {
            let start = parse_i64(&args[3]).ok_or(CmdError::not_integer())?;
            let isbit = if args.len() == 6 { bit_unit(&args[5])? } else { false };
            let end = if args.len() >= 5 {
                end_given = true;
                parse_i64(&args[4]).ok_or(CmdError::not_integer())?
            } else if isbit {
                (strlen << 3) + 7
            } else {
                strlen - 1
            };
            normalize(start, end, strlen, isbit)
        }
        3 => ByteRange { start: 0, end: strlen - 1, first_mask: 0, last_mask: 0 },
        _ => return Err(CmdError::syntax()),
    };
    if r.start > r.end {
        ctx.out.int(-1);
        return Ok(());
    }
    let (mut start, end) = (r.start as usize, r.end as usize);
    let mut bytes = end - start + 1;
    let edge = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let pos = 'result: {
        if r.first_mask != 0 {
            let mut tmp = edge(p[start], r.first_mask);
            if r.last_mask != 0 && bytes == 1 {
                tmp = edge(tmp, r.last_mask);
            }
            let pos = first_bit(&[tmp], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'result pos;
            }
            start += 1;
            bytes -= 1;
        }
        let curbytes = bytes - usize::from(r.last_mask != 0);
        if curbytes > 0 {
            let pos = first_bit(&p[start..start + curbytes], bit);
            if bytes == curbytes || (pos != -1 && pos != (curbytes as i64) << 3) {
                break 'result pos;
            }
            start += curbytes;
            bytes -= curbytes;
        }
        first_bit(&[edge(p[end], r.last_mask)], bit)
    };
    // Looking for a 0 within an explicit range: the zero padding past the range does not count.
    if end_given && !bit && pos == (bytes as i64) << 3 {
        ctx.out.int(-1);
        return Ok(());
    }
    ctx.out.int(if pos == -1 { -1 } else { pos + ((start as i64) << 3) });
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// `BITOP AND|OR|XOR|NOT destkey key [key ...]`
pub(crate) fn bitop(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let op = match &args[1][..] {
        o if is_opt(o, "and") => BitOp::And,
        o if is_opt(o, "or") => BitOp::Or,
        o if is_opt(o, "xor") => BitOp::Xor,
        o if is_opt(o, "not") => BitOp::Not,
        _ => return Err(CmdError::syntax()),
    };
    if op == BitOp::Not && args.len() != 4 {
        return Err(CmdError::raw("ERR BITOP NOT must be called with a single source key."));
    }
    let lk = Lookup::of(ctx);
    let sources = &args[3..];
    // First pass: types and lengths (so nothing is built before a WRONGTYPE).
    let mut maxlen = 0usize;
    for key in sources {
        if let Some(s) = lk.read_str(ctx.keyspace, key)? {
            maxlen = maxlen.max(s.len());
        }
    }
    let db = ctx.keyspace.db(lk.db);
    if maxlen > 0 {
        // Second pass: fold each source into the result, zero-padding the shorter ones.
        let mut res = zeroed(maxlen)?;
        for (i, key) in sources.iter().enumerate() {
            let src = match db.get(key, lk.now, false) {
                Some(Value::Str(s)) => s.to_bytes(),
                _ => std::borrow::Cow::Borrowed(&[][..]),
            };
            let n = src.len().min(maxlen);
            if i == 0 {
                res[..n].copy_from_slice(&src[..n]);
                if op == BitOp::Not {
                    res.iter_mut().for_each(|b| *b = !*b);
                }
                continue;
            }
            match op {
                BitOp::And => {
                    res[..n].iter_mut().zip(&src[..n]).for_each(|(r, s)| *r &= s);
                    res[n..].fill(0);
                }
                BitOp::Or => res[..n].iter_mut().zip(&src[..n]).for_each(|(r, s)| *r |= s),
                BitOp::Xor => res[..n].iter_mut().zip(&src[..n]).for_each(|(r, s)| *r ^= s),
                BitOp::Not => {}
            }
        }
        db.set(&args[2], Value::Str(StrValue::from_vec(res)), false, lk.now);
        mark_dirty(ctx, 1);
        keyspace_event(ctx, STRING, "set", &args[2]);
    } else if db.remove(&args[2], lk.now).is_some() {
        mark_dirty(ctx, 1);
        keyspace_event(ctx, GENERIC, "del", &args[2]);
    }
    ctx.out.int(maxlen as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bit_like_redis_bitpos() {
        assert_eq!(first_bit(&[], true), -1);
        assert_eq!(first_bit(&[], false), 0);
        assert_eq!(first_bit(&[0xff, 0xf0, 0x00], false), 12);
        assert_eq!(first_bit(&[0x00, 0x0f, 0x00], true), 12);
        assert_eq!(first_bit(&[0xff; 20], false), 160);
        assert_eq!(first_bit(&[0; 20], true), -1);
        let mut v = vec![0u8; 27];
        v.push(0xf0);
        assert_eq!(first_bit(&v, true), 216);
    }

    #[test]
    fn popcount_counts() {
        assert_eq!(popcount(b"foobar"), 26);
        assert_eq!(popcount(&[0xff; 17]), 136);
    }
}
