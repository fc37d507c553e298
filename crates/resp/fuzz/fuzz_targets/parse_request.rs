//! Fuzzes `RequestParser::parse`: arbitrary bytes, fed in chunks whose size
//! comes from the first input byte, with the default and the unauthenticated
//! limits (and tiny ones). Checks: no panic, consumed bytes never exceed the
//! input, and (default and unauthenticated limits) the requests and error are
//! the same as when the input is parsed in one piece.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redoubt_resp::{Bytes, BytesMut, Limits, ProtocolError, RequestParser};

type Outcome = (Vec<Vec<Bytes>>, Option<ProtocolError>);

fn run(input: &[u8], chunk: usize, limits: &Limits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    let mut fed = 0usize;
    let mut consumed = 0usize;
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        fed += piece.len();
        loop {
            let before = buf.len();
            let result = parser.parse(&mut buf, limits);
            assert!(buf.len() <= before, "parse grew the buffer");
            consumed += before - buf.len();
            assert!(consumed <= fed, "consumed more than was fed");
            match result {
                Ok(Some(args)) => {
                    assert!(!args.is_empty(), "empty requests are skipped");
                    requests.push(args);
                }
                Ok(None) => break,
                Err(e) => {
                    // Every error has a Display text; silent ones have no reply.
                    let _ = e.to_string();
                    let _ = e.reply_text();
                    return (requests, Some(e));
                }
            }
        }
        assert_eq!(consumed + buf.len(), fed);
    }
    (requests, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first) + 1;
    for limits in [Limits::default(), Limits::unauthenticated()] {
        let chunked = run(input, chunk, &limits);
        // Below the 64 KiB inline limit the outcome cannot depend on how the
        // input was split into reads.
        if input.len() <= limits.max_inline_len {
            let whole = run(input, input.len().max(1), &limits);
            assert_eq!(chunked, whole, "chunked parse differs from whole parse");
        }
    }
    // Tiny limits reach every limit check; here the outcome may depend on the
    // read sizes (as in Redis), so only the invariants inside `run` are checked.
    let tiny = Limits { max_bulk_len: 8, max_multibulk_len: 4, max_inline_len: 24, max_query_buffer: 256 };
    run(input, chunk, &tiny);
});
