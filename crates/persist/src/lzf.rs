//! LZF, the compression Redis applies to long strings in RDB files (liblzf's format).
//!
//! A compressed stream is a sequence of runs. A control byte below 32 starts `ctrl + 1`
//! literal bytes. Otherwise its top three bits are a match length (7 means "add the next
//! byte"), the low five bits and the next byte an offset: copy `len + 2` bytes from
//! `offset + 1` bytes back in the output (the copy may overlap what it writes).
//!
//! [`decompress`] checks every length and offset against the input and the announced output
//! size, so hostile input is an error, never a panic, and allocates at most the announced
//! size (which callers bound first). [`compress`] is a straightforward greedy matcher with a
//! hash table of three-byte prefixes; any valid stream is acceptable to Redis.

/// Longest back reference: 7 + 255 + 2 bytes.
const MAX_REF: usize = 264;
/// Farthest back reference.
const MAX_OFF: usize = 1 << 13;
/// Longest literal run.
const MAX_LIT: usize = 32;
const HLOG: u32 = 14;

/// The largest output `n` compressed bytes can decode to (every three bytes a longest match).
pub fn max_expansion(n: usize) -> usize {
    n.saturating_mul(MAX_REF).div_ceil(3).saturating_add(MAX_LIT)
}

fn hash(b: &[u8]) -> usize {
    let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HLOG)) as usize
}

fn literals(out: &mut Vec<u8>, mut lit: &[u8]) {
    while !lit.is_empty() {
        let n = lit.len().min(MAX_LIT);
        out.push((n - 1) as u8);
        out.extend_from_slice(&lit[..n]);
        lit = &lit[n..];
    }
}

/// Compresses `input`; `None` if the result would be longer than `max_out` bytes (Redis
/// stores a string compressed only when that saves at least four bytes).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n >= u32::MAX as usize {
        // Positions are kept as u32; nothing that long is worth compressing in one piece.
        return None;
    }
    let mut out = Vec::with_capacity(max_out.min(n));
    let mut table = vec![0u32; 1 << HLOG];
    let mut lit_start = 0;
    let mut ip = 0;
    while ip + 3 <= n {
        let h = hash(&input[ip..]);
        let candidate = table[h] as usize;
        table[h] = (ip + 1) as u32;
        if candidate != 0 {
            let r = candidate - 1;
            let off = ip - r - 1;
            if off < MAX_OFF && input[r..r + 3] == input[ip..ip + 3] {
                let max = MAX_REF.min(n - ip);
                let mut len = 3;
                while len < max && input[r + len] == input[ip + len] {
                    len += 1;
                }
                literals(&mut out, &input[lit_start..ip]);
                let l = len - 2;
                if l < 7 {
                    out.push(((l << 5) | (off >> 8)) as u8);
                } else {
                    out.push(((7 << 5) | (off >> 8)) as u8);
                    out.push((l - 7) as u8);
                }
                out.push((off & 0xff) as u8);
                // Remember the prefix at the match's last byte too: helps repetitive data.
                let p = ip + len - 1;
                if p + 3 <= n {
                    table[hash(&input[p..])] = (p + 1) as u32;
                }
                ip += len;
                lit_start = ip;
                if out.len() > max_out {
                    return None;
                }
                continue;
            }
        }
        ip += 1;
    }
    literals(&mut out, &input[lit_start..]);
    (out.len() <= max_out).then_some(out)
}

/// Why a compressed string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LzfError;

/// Decompresses `input`, which must decode to exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    if out_len > max_expansion(input.len()) {
        return Err(LzfError);
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input.get(ip..ip + run).ok_or(LzfError)?;
            if out.len() + run > out_len {
                return Err(LzfError);
            }
            out.extend_from_slice(lit);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(LzfError)?);
                ip += 1;
            }
            len += 2;
            let back = ((ctrl & 0x1f) << 8) + usize::from(*input.get(ip).ok_or(LzfError)?) + 1;
            ip += 1;
            if back > out.len() || out.len() + len > out_len {
                return Err(LzfError);
            }
            let start = out.len() - back;
            if back >= len {
                out.extend_from_within(start..start + len);
            } else {
                for k in 0..len {
                    let b = out[start + k];
                    out.push(b);
                }
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        if let Some(c) = compress(data, data.len() + data.len() / 16 + 64) {
            assert_eq!(decompress(&c, data.len()).unwrap(), data);
        } else {
            panic!("incompressible within the bound: {}", data.len());
        }
    }

    /// Incompressible bytes (xorshift).
    fn noise(n: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect()
    }

    #[test]
    fn round_trips() {
        round_trip(b"");
        round_trip(b"a");
        round_trip(b"abcabcabcabcabcabcabcabcabcabcabcabc");
        round_trip(&[b'x'; 10_000]);
        round_trip(&noise(5000));
        let text = b"the quick brown fox jumps over the lazy dog; ".repeat(300);
        round_trip(&text);
        let c = compress(&text, text.len()).unwrap();
        assert!(c.len() < text.len() / 10, "{}", c.len());
    }

    #[test]
    fn refuses_what_does_not_fit() {
        assert!(compress(&noise(100), 96).is_none());
    }

    #[test]
    fn hostile_input_is_an_error() {
        // A back reference before the start of the output.
        assert_eq!(decompress(&[0x20, 0x05], 3), Err(LzfError));
        // A literal run past the end of the input.
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError));
        // More output than announced.
        assert_eq!(decompress(&[0x00, b'a', 0xe0, 0xff, 0x00], 5), Err(LzfError));
        // Less output than announced.
        assert_eq!(decompress(&[0x00, b'a'], 2), Err(LzfError));
        // An announced size no input can reach: refused before allocating.
        assert_eq!(decompress(&[0x00, b'a'], usize::MAX), Err(LzfError));
        // Overlapping copy: "a" then 9 more copies of it.
        assert_eq!(decompress(&[0x00, b'a', 0xe0, 0x00, 0x00], 10).unwrap(), b"aaaaaaaaaa");
    }
}
