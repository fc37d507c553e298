//! Fuzzes the RDB reader: arbitrary bytes loaded as a file (checksum not verified, so the
//! fuzzer reaches the parser). Checks: no panic, no allocation beyond what the input can
//! justify (libFuzzer's -rss_limit_mb catches it), and a file that loads writes back and
//! loads again to the same data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redoubt_persist::{load_from, write_rdb, Limits, LoadOptions, SaveOptions};
use redoubt_store::Keyspace;

const NOW: i64 = 1_700_000_000_000;

fn load(data: &[u8]) -> Option<Keyspace> {
    let mut ks = Keyspace::new(16);
    let opts = LoadOptions {
        limits: Limits { inflate_budget: 64 << 20, ..Limits::default() },
        verify_checksum: false,
        now_ms: NOW,
    };
    load_from(data, data.len() as u64, &mut ks, &opts).ok().map(|_| ks)
}

fuzz_target!(|data: &[u8]| {
    let Some(ks) = load(data) else { return };
    let mut again = Vec::new();
    let stats = write_rdb(&mut again, &ks, NOW, &SaveOptions::default()).expect("writing to memory");
    let back = load(&again).expect("our own output loads");
    assert_eq!(back.total_keys() as u64, stats.keys);
    for i in 0..16 {
        let (a, b) = (ks.db_ref(i).unwrap(), back.db_ref(i).unwrap());
        a.for_each_entry(NOW, |k, v, d| {
            let mut found = false;
            b.for_each_entry(NOW, |k2, v2, d2| {
                if k2 == k {
                    assert_eq!(v, v2);
                    assert_eq!(d, d2);
                    found = true;
                }
            });
            assert!(found);
        });
    }
});
