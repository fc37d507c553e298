//! The HyperLogLog algorithm and Redis's representation of it, byte for byte (see
//! hyperloglog.c): a 16-byte header (`HYLL`, encoding, 3 unused bytes, the cached
//! cardinality little-endian with its top bit meaning "stale"), then either the dense
//! registers (16384 six-bit registers packed LSB first, 12288 bytes) or the sparse
//! run-length opcodes (ZERO `00xxxxxx`, XZERO `01xxxxxx yyyyyyyy`, VAL `1vvvvvxx`).
//!
//! Values come from clients (SET, SETRANGE, RESTORE can write anything), so nothing here
//! trusts them: the header is checked before use, a sparse body is decoded with every
//! opcode bounds-checked and must cover exactly 16384 registers, and every access is
//! checked indexing. A corrupt value is an error, never a panic or an out-of-bounds read.

/// Header size.
pub(crate) const HDR: usize = 16;
/// Register index bits.
const P: u32 = 14;
/// Hash bits left for the run of zeroes.
const Q: usize = 64 - P as usize;
/// Number of registers.
pub(crate) const REGISTERS: usize = 1 << P;
/// Bits per dense register.
const BITS: usize = 6;
/// The largest dense register value.
const REGISTER_MAX: u8 = (1 << BITS) - 1;
/// Size of a dense HLL, header included.
pub(crate) const DENSE_SIZE: usize = HDR + (REGISTERS * BITS).div_ceil(8);
/// The dense encoding byte.
pub(crate) const DENSE: u8 = 0;
/// The sparse encoding byte.
pub(crate) const SPARSE: u8 = 1;
/// The largest value a sparse VAL opcode holds.
const SPARSE_VAL_MAX_VALUE: u8 = 32;
/// The longest run a sparse VAL opcode holds.
const SPARSE_VAL_MAX_LEN: usize = 4;
/// The longest run a sparse ZERO opcode holds.
const SPARSE_ZERO_MAX_LEN: usize = 64;
/// 0.5 / ln(2).
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// A corrupt HLL body (the INVALIDOBJ error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// MurmurHash64A, as Redis uses it (endian-neutral).
fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element maps to and the length of its `000..1` pattern (1..=Q+1).
pub(crate) fn pat_len(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> P) | (1u64 << Q);
    // The run of zeroes plus the final 1; at most Q + 1 = 51.
    (index, (rest.trailing_zeros() + 1) as u8)
}

/// The dense register `i` of `regs` (the bytes after the header).
pub(crate) fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = u16::from(regs.get(byte).copied().unwrap_or(0));
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & u16::from(REGISTER_MAX)) as u8
}

/// Sets the dense register `i` of `regs` to `val` (at most 63).
fn dense_put(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = u16::from(val & REGISTER_MAX);
    let max = u16::from(REGISTER_MAX);
    if let Some(b) = regs.get_mut(byte) {
        *b = ((u16::from(*b) & !(max << fb)) | (v << fb)) as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b = ((u16::from(*b) & !(max >> (8 - fb))) | (v >> (8 - fb))) as u8;
    }
}

/// Raises dense register `i` to `count`; true if it changed.
pub(crate) fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_put(regs, i, count);
        true
    } else {
        false
    }
}

/// One sparse opcode at `p` of `body`: (registers it covers, its value, its byte length).
fn sparse_op(body: &[u8], p: usize) -> Result<(usize, u8, usize), Invalid> {
    let b = *body.get(p).ok_or(Invalid)?;
    Ok(if b & 0xc0 == 0 {
        (usize::from(b & 0x3f) + 1, 0, 1)
    } else if b & 0x80 == 0 {
        let lo = *body.get(p + 1).ok_or(Invalid)?;
        ((usize::from(b & 0x3f) << 8 | usize::from(lo)) + 1, 0, 2)
    } else {
        (usize::from(b & 0x3) + 1, ((b >> 2) & 0x1f) + 1, 1)
    })
}

/// Decodes a sparse body (after the header) into one byte per register, maxing into
/// `regs`. Fails unless the opcodes cover exactly 16384 registers.
pub(crate) fn sparse_merge(body: &[u8], regs: &mut [u8; REGISTERS]) -> Result<(), Invalid> {
    let mut p = 0;
    let mut idx = 0usize;
    while p < body.len() {
        let (run, val, len) = sparse_op(body, p)?;
        if idx + run > REGISTERS {
            return Err(Invalid);
        }
        if val > 0 {
            for r in &mut regs[idx..idx + run] {
                *r = (*r).max(val);
            }
        }
        idx += run;
        p += len;
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Invalid)
    }
}

/// Maxes a whole HLL (header checked by [`check_header`]) into `regs`.
pub(crate) fn merge_into(hll: &[u8], regs: &mut [u8; REGISTERS]) -> Result<(), Invalid> {
    let body = hll.get(HDR..).ok_or(Invalid)?;
    if hll.get(4) == Some(&DENSE) {
        for (i, r) in regs.iter_mut().enumerate() {
            *r = (*r).max(dense_get(body, i));
        }
        Ok(())
    } else {
        sparse_merge(body, regs)
    }
}

/// Whether `v` is a valid HLL header: `HYLL`, a known encoding, and for a dense one the
/// exact length (Redis's `isHLLObjectOrReply`).
pub(crate) fn check_header(v: &[u8]) -> bool {
    v.len() >= HDR && &v[..4] == b"HYLL" && v[4] <= SPARSE && (v[4] != DENSE || v.len() == DENSE_SIZE)
}

/// A new, empty HLL: sparse, all registers zero (XZERO:16384).
pub(crate) fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR + 2);
    v.extend_from_slice(b"HYLL");
    v.extend_from_slice(&[SPARSE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let run = REGISTERS - 1;
    v.push(0x40 | (run >> 8) as u8);
    v.push((run & 0xff) as u8);
    v
}

/// Marks the cached cardinality stale.
pub(crate) fn invalidate_cache(v: &mut [u8]) {
    if let Some(b) = v.get_mut(15) {
        *b |= 0x80;
    }
}

/// The cached cardinality, if valid.
pub(crate) fn cached(v: &[u8]) -> Option<u64> {
    let card: [u8; 8] = v.get(8..16)?.try_into().ok()?;
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

/// Stores `card` as the cached cardinality.
pub(crate) fn set_cache(v: &mut [u8], card: u64) {
    if let Some(c) = v.get_mut(8..16) {
        c.copy_from_slice(&card.to_le_bytes());
    }
}

/// Converts a sparse HLL to dense in place (Redis's `hllSparseToDense`).
pub(crate) fn to_dense(v: &mut Vec<u8>) -> Result<(), Invalid> {
    if v.get(4) == Some(&DENSE) {
        return Ok(());
    }
    let mut regs = [0u8; REGISTERS];
    sparse_merge(v.get(HDR..).ok_or(Invalid)?, &mut regs)?;
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&v[..HDR]);
    dense[4] = DENSE;
    for (i, &r) in regs.iter().enumerate() {
        if r > 0 {
            dense_put(&mut dense[HDR..], i, r);
        }
    }
    *v = dense;
    Ok(())
}

/// Writes a VAL opcode.
fn val_op(val: u8, len: usize) -> u8 {
    0x80 | ((val - 1) << 2) | (len - 1) as u8
}

/// Appends a ZERO or XZERO opcode for `len` zero registers.
fn push_zeros(seq: &mut Vec<u8>, len: usize) {
    if len > SPARSE_ZERO_MAX_LEN {
        let l = len - 1;
        seq.push(0x40 | (l >> 8) as u8);
        seq.push((l & 0xff) as u8);
    } else {
        seq.push((len - 1) as u8);
    }
}

/// Raises register `index` of a sparse HLL to `count` in place, as Redis's
/// `hllSparseSet`: splits the opcode covering it, merges equal neighbours, and promotes
/// to dense when the value does not fit a VAL opcode or the body would outgrow
/// `max_bytes`. Returns whether a register changed. The body must have been validated
/// (by [`sparse_merge`]); anything unexpected is still an error, not a panic.
pub(crate) fn sparse_set(v: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Invalid> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(v, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let end = v.len();
    let mut p = HDR;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut found = None;
    while p < end {
        let (span, val, len) = sparse_op(v, p)?;
        if index < first + span {
            found = Some((span, val, len));
            break;
        }
        prev = Some(p);
        p += len;
        first += span;
    }
    let (span, val, oplen) = found.ok_or(Invalid)?;
    let is_val = v[p] & 0x80 != 0;
    // Step 2: the trivial cases, then the general split.
    if is_val && val >= count {
        return Ok(false);
    }
    if span == 1 && oplen == 1 {
        // A VAL or ZERO opcode for this register alone: rewrite it in place.
        v[p] = val_op(count, 1);
    } else {
        let last = first + span - 1;
        let mut seq = Vec::with_capacity(5);
        if is_val {
            if index != first {
                seq.push(val_op(val, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(val, last - index));
            }
        } else {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        if seq.len() > oplen && v.len() + (seq.len() - oplen) > max_bytes {
            return promote(v, index, count);
        }
        v.splice(p..p + oplen, seq);
    }
    // Step 3: merge adjacent VAL opcodes of equal value, scanning up to 5 opcodes.
    let mut p = prev.unwrap_or(HDR);
    let mut scan = 5;
    while p < v.len() && scan > 0 {
        scan -= 1;
        let b = v[p];
        if b & 0xc0 == 0x40 {
            p += 2;
            continue;
        } else if b & 0xc0 == 0 {
            p += 1;
            continue;
        }
        if let Some(&b2) = v.get(p + 1) {
            if b2 & 0x80 != 0 {
                let (v1, v2) = (((b >> 2) & 0x1f) + 1, ((b2 >> 2) & 0x1f) + 1);
                let len = usize::from(b & 3) + usize::from(b2 & 3) + 2;
                if v1 == v2 && len <= SPARSE_VAL_MAX_LEN {
                    v[p + 1] = val_op(v1, len);
                    v.remove(p);
                    continue;
                }
            }
        }
        p += 1;
    }
    invalidate_cache(v);
    Ok(true)
}

/// Converts to dense, then sets the register there.
fn promote(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Invalid> {
    to_dense(v)?;
    let regs = v.get_mut(HDR..).ok_or(Invalid)?;
    Ok(dense_set(regs, index, count))
}

/// Redis's `hllSigma` (Ertl).
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

/// Redis's `hllTau` (Ertl).
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// The cardinality estimate from a histogram of register values (Redis's `hllCount`).
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(histo[Q + 1])) / m);
    for j in (1..=Q).rev() {
        z += f64::from(histo[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histo[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// The estimate for one register per byte.
pub(crate) fn count_raw(regs: &[u8; REGISTERS]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in regs {
        histo[usize::from(r & 63)] += 1;
    }
    estimate(&histo)
}

/// The estimate for a whole HLL (header checked by [`check_header`]).
pub(crate) fn count(hll: &[u8]) -> Result<u64, Invalid> {
    let body = hll.get(HDR..).ok_or(Invalid)?;
    if hll.get(4) == Some(&DENSE) {
        let mut histo = [0u32; 64];
        for i in 0..REGISTERS {
            histo[usize::from(dense_get(body, i))] += 1;
        }
        Ok(estimate(&histo))
    } else {
        let mut regs = [0u8; REGISTERS];
        sparse_merge(body, &mut regs)?;
        Ok(count_raw(&regs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_registers_round_trip() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR];
        for i in 0..REGISTERS {
            dense_put(&mut regs, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i % 64) as u8, "{i}");
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        assert_eq!(dense.len(), DENSE_SIZE);
        for i in 0..2000u32 {
            let (idx, c) = pat_len(format!("element:{i}").as_bytes());
            let a = if sparse[4] == DENSE {
                dense_set(&mut sparse[HDR..], idx, c)
            } else {
                sparse_set(&mut sparse, idx, c, 3000).unwrap()
            };
            let b = dense_set(&mut dense[HDR..], idx, c);
            assert_eq!(a, b);
        }
        assert_eq!(count(&sparse).unwrap(), count(&dense).unwrap());
        let mut regs = [0u8; REGISTERS];
        merge_into(&sparse, &mut regs).unwrap();
        let mut regs2 = [0u8; REGISTERS];
        merge_into(&dense, &mut regs2).unwrap();
        assert_eq!(regs, regs2);
    }

    #[test]
    fn corrupt_sparse_bodies_are_refused() {
        let mut regs = [0u8; REGISTERS];
        assert_eq!(sparse_merge(&[0x7f], &mut regs), Err(Invalid));
        assert_eq!(sparse_merge(&[0x7f, 0xff, 0x00], &mut regs), Err(Invalid));
        assert_eq!(sparse_merge(&[0x00], &mut regs), Err(Invalid));
        assert!(sparse_merge(&[0x7f, 0xff], &mut regs).is_ok());
        // Fuzz: random bodies never panic.
        for _ in 0..10_000 {
            let len = fastrand::usize(0..40);
            let body: Vec<u8> = (0..len).map(|_| fastrand::u8(..)).collect();
            let mut v = new_sparse();
            v.truncate(HDR);
            v.extend_from_slice(&body);
            let _ = count(&v);
            if sparse_merge(&body, &mut regs).is_ok() {
                let _ = sparse_set(&mut v, fastrand::usize(..REGISTERS), fastrand::u8(1..52), 3000);
            }
        }
    }

    #[test]
    fn empty_counts_zero() {
        assert_eq!(count(&new_sparse()).unwrap(), 0);
    }
}
