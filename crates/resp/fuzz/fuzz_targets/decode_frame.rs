//! Fuzzes `Frame::decode`: arbitrary bytes decoded frame after frame. Checks:
//! no panic, consumed bytes never exceed the input, and a decoded frame
//! re-encodes to bytes that decode and re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redoubt_resp::{BytesMut, Frame};

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    loop {
        let before = buf.len();
        match Frame::decode(&mut buf) {
            Ok(Some(frame)) => {
                assert!(buf.len() < before, "a frame consumed nothing");
                let mut first = BytesMut::new();
                frame.encode(&mut first);
                let mut again = first.clone();
                let decoded =
                    Frame::decode(&mut again).expect("an encoded frame decodes").expect("an encoded frame is complete");
                assert!(again.is_empty(), "an encoded frame is decoded whole");
                let mut second = BytesMut::new();
                decoded.encode(&mut second);
                assert_eq!(first, second, "encoding is not stable");
            }
            Ok(None) => {
                assert_eq!(buf.len(), before, "an incomplete frame consumed bytes");
                break;
            }
            Err(_) => break,
        }
    }
});
