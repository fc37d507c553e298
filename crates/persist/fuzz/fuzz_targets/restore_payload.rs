//! Fuzzes RESTORE's decoder: arbitrary bytes as a payload body (type byte and value; the
//! footer's checksum would stop the fuzzer, so it is left out), with RESTORE's bound on LZF
//! output. Checks: no panic, and a value that decodes dumps and restores to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redoubt_persist::{decode_body, dump_value, restore_value, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { inflate_budget: 16 << 20, ..Limits::default() };
    if let Ok(Some(v)) = decode_body(data, &limits) {
        for compress in [false, true] {
            let payload = dump_value(&v, compress);
            match restore_value(&payload, &limits) {
                Ok(back) => assert_eq!(back, v),
                Err(e) => panic!("our own payload refused: {e:?}"),
            }
        }
    }
});
