//! Redis's CRC-64: the Jones polynomial (`0xad93d23594c935a9`, used reflected as
//! `0x95ac9329ac4bc9b5`), initial value 0, no final xor, as `crc64.c`. The check value of
//! `"123456789"` is `0xe9c6d914c4b8d9ca`. RDB files end with it and DUMP payloads carry it, both
//! little endian.
//!
//! Table-driven, eight bytes a step ("slicing by 8"), with the tables built at compile time.

/// The reflected polynomial.
const POLY: u64 = 0x95ac_9329_ac4b_c9b5;

const fn make_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY } else { crc >> 1 };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

static TABLES: [[u64; 256]; 8] = make_tables();

/// Continues the CRC `crc` over `bytes` (start with 0).
pub fn crc64(mut crc: u64, bytes: &[u8]) -> u64 {
    let t = &TABLES;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let v = crc ^ u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        crc = t[7][(v & 0xff) as usize]
            ^ t[6][((v >> 8) & 0xff) as usize]
            ^ t[5][((v >> 16) & 0xff) as usize]
            ^ t[4][((v >> 24) & 0xff) as usize]
            ^ t[3][((v >> 32) & 0xff) as usize]
            ^ t[2][((v >> 40) & 0xff) as usize]
            ^ t[1][((v >> 48) & 0xff) as usize]
            ^ t[0][(v >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::crc64;

    /// Bit by bit, straight from the definition, to check the tables against.
    fn slow(mut crc: u64, bytes: &[u8]) -> u64 {
        for &b in bytes {
            crc ^= u64::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ super::POLY } else { crc >> 1 };
            }
        }
        crc
    }

    #[test]
    fn known_vectors() {
        // crc64.c's own test vector.
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        // Also from crc64.c's test: `sizeof(li)` counts the terminating NUL.
        let li = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed \
                   do eiusmod tempor incididunt ut labore et dolore magna \
                   aliqua. Ut enim ad minim veniam, quis nostrud exercitation \
                   ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis \
                   aute irure dolor in reprehenderit in voluptate velit esse \
                   cillum dolore eu fugiat nulla pariatur. Excepteur sint \
                   occaecat cupidatat non proident, sunt in culpa qui officia \
                   deserunt mollit anim id est laborum.\0";
        assert_eq!(crc64(0, li), 0xc779_4709_e696_83b3);
        assert_eq!(crc64(0, b""), 0);
    }

    #[test]
    fn matches_bitwise_and_is_incremental() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 100, 1000] {
            assert_eq!(crc64(0, &data[..len]), slow(0, &data[..len]), "len {len}");
        }
        let (a, b) = data.split_at(333);
        assert_eq!(crc64(crc64(0, a), b), crc64(0, &data));
    }
}
