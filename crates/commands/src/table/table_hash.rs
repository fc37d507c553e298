//! The hasher of the command table's own maps (name to command, command to counters).
//!
//! Their keys are fixed at start: command names and the addresses of static command specs.
//! Nobody can add a key, so flooding them is impossible and a keyed SipHash buys nothing;
//! they are read several times per command, so a multiply-rotate hash (FxHash's) is used.

use std::hash::{BuildHasherDefault, Hasher};

/// A map keyed by the command table's fixed keys.
pub type TableMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<TableHasher>>;

/// FxHash-style hasher for [`TableMap`].
#[derive(Default, Clone, Copy)]
pub struct TableHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl TableHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for TableHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
