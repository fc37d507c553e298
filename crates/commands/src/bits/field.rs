//! BITFIELD and BITFIELD_RO: signed (up to 64 bits) and unsigned (up to 63 bits) integers
//! at arbitrary bit offsets, with WRAP, SAT and FAIL overflow handling. The overflow checks
//! are Redis's, with C's unsigned wrap-around made explicit.

use super::{bit_offset, with_bits};
use crate::context::{is_opt, parse_i64, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, STRING};
use crate::strings::{mark_dirty, Lookup};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum OpKind {
    Get,
    Set,
    IncrBy,
}

#[derive(Clone, Copy, Debug)]
struct Op {
    kind: OpKind,
    offset: u64,
    /// SET's value or INCRBY's increment.
    value: i64,
    overflow: Overflow,
    bits: u32,
    signed: bool,
}

/// `BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL] ...`
pub(crate) fn bitfield(ctx: &mut Ctx<'_>) -> CmdResult {
    bitfield_generic(ctx, false)
}

/// `BITFIELD_RO key [GET type offset ...]`
pub(crate) fn bitfield_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    bitfield_generic(ctx, true)
}

/// Redis's `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63`.
fn bitfield_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    const ERR: CmdError = CmdError::raw(
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    );
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(ERR),
    };
    match parse_i64(&arg[1..]) {
        Some(bits) if bits >= 1 && (bits <= 63 || (signed && bits == 64)) => Ok((signed, bits as u32)),
        _ => Err(ERR),
    }
}

fn parse_ops(ctx: &Ctx<'_>) -> Result<Vec<Op>, CmdError> {
    let args = ctx.args;
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let sub = &args[j][..];
        let kind = if is_opt(sub, "get") && remaining >= 2 {
            OpKind::Get
        } else if is_opt(sub, "set") && remaining >= 3 {
            OpKind::Set
        } else if is_opt(sub, "incrby") && remaining >= 3 {
            OpKind::IncrBy
        } else if is_opt(sub, "overflow") && remaining >= 1 {
            let t = &args[j + 1][..];
            overflow = if is_opt(t, "wrap") {
                Overflow::Wrap
            } else if is_opt(t, "sat") {
                Overflow::Sat
            } else if is_opt(t, "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::raw("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::syntax());
        };
        let (signed, bits) = bitfield_type(&args[j + 1])?;
        let offset = bit_offset(ctx, &args[j + 2], true, bits)?;
        let value = if kind == OpKind::Get { 0 } else { parse_i64(&args[j + 3]).ok_or(CmdError::not_integer())? };
        ops.push(Op { kind, offset, value, overflow, bits, signed });
        j += if kind == OpKind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

fn bitfield_generic(ctx: &mut Ctx<'_>, readonly_cmd: bool) -> CmdResult {
    let ops = parse_ops(ctx)?;
    let lk = Lookup::of(ctx);
    let key = &ctx.args[1];
    let highest_write =
        ops.iter().filter(|op| op.kind != OpKind::Get).map(|op| op.offset + u64::from(op.bits) - 1).max();
    let Some(highest_write) = highest_write else {
        // Only GETs: a read lookup; a missing key reads as zeros.
        let s = lk.read_str(ctx.keyspace, key)?;
        let bytes = s.map(|s| s.to_bytes()).unwrap_or_default();
        ctx.out.array(ops.len());
        for op in &ops {
            ctx.out.int(get_field(&bytes, op));
        }
        return Ok(());
    };
    if readonly_cmd {
        return Err(CmdError::raw("ERR BITFIELD_RO only supports the GET subcommand"));
    }
    let out = &mut *ctx.out;
    let changes = with_bits(ctx.keyspace, lk, key, highest_write, |buf, grown| {
        out.array(ops.len());
        let mut changes = 0u64;
        for op in &ops {
            match op.kind {
                OpKind::Get => out.int(get_field(buf, op)),
                OpKind::Set | OpKind::IncrBy => match write_field(buf, op) {
                    Some((reply, old, new)) => {
                        out.int(reply);
                        if grown || old != new {
                            changes += 1;
                        }
                    }
                    None => out.null(),
                },
            }
        }
        changes
    })?;
    if changes > 0 {
        mark_dirty(ctx, changes);
        keyspace_event(ctx, STRING, "setbit", &ctx.args[1]);
    }
    Ok(())
}

/// Reads the field of `op` from `buf`, as zeros past its end.
fn get_field(buf: &[u8], op: &Op) -> i64 {
    let v = get_unsigned(buf, op.offset, op.bits);
    if op.signed {
        to_signed(v, op.bits)
    } else {
        v as i64
    }
}

/// Runs a SET or INCRBY on `buf` (which holds the field). Returns (reply, old, new) as raw
/// field bits, or `None` when OVERFLOW FAIL refused the write.
fn write_field(buf: &mut [u8], op: &Op) -> Option<(i64, u64, u64)> {
    let old_bits = get_unsigned(buf, op.offset, op.bits);
    let (reply, new, overflow) = if op.signed {
        let old = to_signed(old_bits, op.bits);
        let (new, overflow, reply);
        if op.kind == OpKind::IncrBy {
            let (o, wrapped) = check_signed_overflow(old, op.value, op.bits, op.overflow);
            overflow = o != 0;
            new = if overflow { wrapped } else { old.wrapping_add(op.value) };
            reply = new;
        } else {
            let (o, wrapped) = check_signed_overflow(op.value, 0, op.bits, op.overflow);
            overflow = o != 0;
            new = if overflow { wrapped } else { op.value };
            reply = old;
        }
        (reply, new as u64, overflow)
    } else {
        let old = old_bits;
        let (new, overflow, reply);
        if op.kind == OpKind::IncrBy {
            let (o, wrapped) = check_unsigned_overflow(old, op.value, op.bits, op.overflow);
            overflow = o != 0;
            new = if overflow { wrapped } else { old.wrapping_add(op.value as u64) };
            reply = new as i64;
        } else {
            let (o, wrapped) = check_unsigned_overflow(op.value as u64, 0, op.bits, op.overflow);
            overflow = o != 0;
            new = if overflow { wrapped } else { op.value as u64 };
            reply = old as i64;
        }
        (reply, new, overflow)
    };
    if overflow && op.overflow == Overflow::Fail {
        return None;
    }
    set_unsigned(buf, op.offset, op.bits, new);
    let new_bits = get_unsigned(buf, op.offset, op.bits);
    Some((reply, old_bits, new_bits))
}

/// Sign-extends the low `bits` bits of `v`.
fn to_signed(v: u64, bits: u32) -> i64 {
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// The `bits`-bit unsigned integer at bit `offset` (bits past the end of `buf` read as 0).
fn get_unsigned(buf: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..u64::from(bits) {
        let pos = offset + i;
        let byte = usize::try_from(pos >> 3).ok().and_then(|b| buf.get(b)).copied().unwrap_or(0);
        v = (v << 1) | u64::from((byte >> (7 - (pos & 7))) & 1);
    }
    v
}

/// Stores the low `bits` bits of `value` at bit `offset` (bits past the end are dropped;
/// callers grow the buffer first).
fn set_unsigned(buf: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let pos = offset + i;
        let bit = ((value >> (u64::from(bits) - 1 - i)) & 1) as u8;
        if let Some(byte) = usize::try_from(pos >> 3).ok().and_then(|b| buf.get_mut(b)) {
            let shift = 7 - (pos & 7);
            *byte = (*byte & !(1 << shift)) | (bit << shift);
        }
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: 1 on overflow, -1 on underflow, 0 if
/// `value + incr` fits in `bits` unsigned bits; with the value WRAP or SAT stores.
fn check_unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> (i32, u64) {
    let max = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || {
        let mask = if bits == 64 { 0 } else { u64::MAX << bits };
        value.wrapping_add(incr as u64) & !mask
    };
    if value > max || (incr > 0 && incr > maxincr) {
        (1, if ow == Overflow::Sat { max } else { wrap() })
    } else if incr < 0 && incr < minincr {
        (-1, if ow == Overflow::Sat { 0 } else { wrap() })
    } else {
        (0, 0)
    }
}

/// Redis's `checkSignedBitfieldOverflow`, as [`check_unsigned_overflow`] for `bits`-bit
/// two's complement integers.
fn check_signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> (i32, i64) {
    let max: i64 = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let msb = 1u64 << (bits - 1);
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & msb != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        (1, if ow == Overflow::Sat { max } else { wrap() })
    } else if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
        (-1, if ow == Overflow::Sat { min } else { wrap() })
    } else {
        (0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: OpKind, signed: bool, bits: u32, offset: u64, value: i64, overflow: Overflow) -> Op {
        Op { kind, offset, value, overflow, bits, signed }
    }

    #[test]
    fn types() {
        assert_eq!(bitfield_type(b"i64").unwrap(), (true, 64));
        assert_eq!(bitfield_type(b"u63").unwrap(), (false, 63));
        assert_eq!(bitfield_type(b"u1").unwrap(), (false, 1));
        for bad in [&b"u64"[..], b"i65", b"i0", b"I8", b"U8", b"8", b"", b"i", b"i08", b"i-1"] {
            assert!(bitfield_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn layout_is_msb_first() {
        let mut buf = vec![0u8; 2];
        set_unsigned(&mut buf, 7, 5, 23);
        assert_eq!(buf, [0b0000_0001, 0b0111_0000]);
        assert_eq!(get_unsigned(&buf, 7, 5), 23);
        assert_eq!(get_unsigned(&buf, 100, 8), 0);
    }

    #[test]
    fn overflow_modes() {
        let mut buf = vec![100u8];
        let w = op(OpKind::IncrBy, false, 8, 0, 257, Overflow::Wrap);
        assert_eq!(write_field(&mut buf, &w).unwrap().0, 101);
        let s = op(OpKind::IncrBy, false, 8, 0, 257, Overflow::Sat);
        assert_eq!(write_field(&mut buf, &s).unwrap().0, 255);
        let f = op(OpKind::IncrBy, false, 8, 0, 1, Overflow::Fail);
        assert_eq!(write_field(&mut buf, &f), None);
        assert_eq!(buf, [255]);
        let mut buf = vec![100u8];
        let s = op(OpKind::IncrBy, true, 8, 0, 257, Overflow::Sat);
        assert_eq!(write_field(&mut buf, &s).unwrap().0, 127);
        let s = op(OpKind::IncrBy, true, 8, 0, -255, Overflow::Sat);
        assert_eq!(write_field(&mut buf, &s).unwrap().0, -128);
        let mut buf = vec![0u8; 8];
        let s = op(OpKind::IncrBy, true, 64, 0, i64::MAX, Overflow::Wrap);
        assert_eq!(write_field(&mut buf, &s).unwrap().0, i64::MAX);
        let s = op(OpKind::IncrBy, true, 64, 0, 1, Overflow::Wrap);
        assert_eq!(write_field(&mut buf, &s).unwrap().0, i64::MIN);
        let s = op(OpKind::IncrBy, true, 64, 0, -1, Overflow::Sat);
        assert_eq!(write_field(&mut buf, &s).unwrap().0, i64::MIN);
    }
}
