//! A quick throughput check of the request parser and reply writer:
//! `cargo run --release -p redoubt-resp --example parse_bench`.

use std::time::Instant;

use redoubt_resp::{encode_command, BytesMut, Limits, Protocol, ReplyBuffer, RequestParser};

fn main() {
    let limits = Limits::default();
    let mut pipeline = BytesMut::new();
    const N: usize = 100_000;
    for i in 0..N {
        let key = format!("key:{i:012}");
        if i % 2 == 0 {
            encode_command(&[b"SET", key.as_bytes(), b"xxx"], &mut pipeline);
        } else {
            encode_command(&[b"GET", key.as_bytes()], &mut pipeline);
        }
    }
    let pipeline = pipeline.freeze();
    for round in 0..5 {
        // Whole buffer, then 16 KiB reads (as a socket would deliver it).
        for read in [pipeline.len(), 16 * 1024] {
            let start = Instant::now();
            let mut parser = RequestParser::new();
            let mut buf = BytesMut::with_capacity(64 * 1024);
            let mut count = 0usize;
            for chunk in pipeline.chunks(read) {
                buf.extend_from_slice(chunk);
                while let Ok(Some(args)) = parser.parse(&mut buf, &limits) {
                    count += args.len();
                }
            }
            let elapsed = start.elapsed();
            println!(
                "round {round} read {read:>8}: {:.1} ns/request ({count} args)",
                elapsed.as_nanos() as f64 / N as f64
            );
        }
    }
    let start = Instant::now();
    let mut out = ReplyBuffer::new(Protocol::Resp2);
    for i in 0..N as i64 {
        out.ok();
        out.bulk(b"xxx");
        out.int(i);
        out.double(i as f64 / 3.0);
        if out.len() > 64 * 1024 {
            out.take();
        }
    }
    println!("writer: {:.1} ns per 4 replies", start.elapsed().as_nanos() as f64 / N as f64);
}
