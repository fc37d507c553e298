//! Unit tests of the request parser: error texts, limits, inline quoting,
//! skipping, cross-protocol detection, and input split at every offset.

use super::*;

type Outcome = (Vec<Vec<Vec<u8>>>, Option<ProtocolError>);

/// Parses everything in `input` at once: the requests, then the error if any.
fn whole(input: &[u8], limits: &Limits) -> Outcome {
    chunked(input, &[input.len()], limits)
}

/// Feeds `input` in chunks of the given sizes (the last repeats), parsing
/// after each; stops at the first error.
fn chunked(input: &[u8], sizes: &[usize], limits: &Limits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    let mut fed = 0;
    let mut i = 0;
    loop {
        let size = sizes[i.min(sizes.len() - 1)].max(1);
        i += 1;
        let end = (fed + size).min(input.len());
        buf.extend_from_slice(&input[fed..end]);
        fed = end;
        loop {
            match parser.parse(&mut buf, limits) {
                Ok(Some(args)) => requests.push(args.iter().map(|a| a.to_vec()).collect()),
                Ok(None) => break,
                Err(e) => return (requests, Some(e)),
            }
        }
        if fed == input.len() {
            return (requests, None);
        }
    }
}

/// Asserts that splitting `input` at every offset gives the same outcome as parsing it whole.
fn assert_split_invariant(input: &[u8], limits: &Limits) -> Outcome {
    let want = whole(input, limits);
    for cut in 0..=input.len() {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(&input[..cut]);
        let mut requests = Vec::new();
        let mut error = None;
        'feed: for part in [&input[cut..], &[][..]] {
            loop {
                match parser.parse(&mut buf, limits) {
                    Ok(Some(args)) => requests.push(args.iter().map(|a| a.to_vec()).collect()),
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e);
                        break 'feed;
                    }
                }
            }
            buf.extend_from_slice(part);
        }
        assert_eq!((requests, error), want, "split at {cut} of {:?}", String::from_utf8_lossy(input));
    }
    // One byte at a time.
    assert_eq!(chunked(input, &[1], limits), want);
    want
}

fn req(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn ok(requests: &[&[&str]]) -> Outcome {
    (requests.iter().map(|r| req(r)).collect(), None)
}

fn err(requests: &[&[&str]], e: ProtocolError) -> Outcome {
    (requests.iter().map(|r| req(r)).collect(), Some(e))
}

fn default() -> Limits {
    Limits::default()
}

#[test]
fn multibulk_requests() {
    let input = b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
    assert_eq!(assert_split_invariant(input, &default()), ok(&[&["PING"], &["SET", "k", ""]]));
    let binary = b"*2\r\n$3\r\nGET\r\n$4\r\n\r\n\0\xff\r\n";
    let (requests, error) = whole(binary, &default());
    assert_eq!(error, None);
    assert_eq!(requests, vec![vec![b"GET".to_vec(), b"\r\n\0\xff".to_vec()]]);
}

#[test]
fn arguments_are_zero_copy() {
    let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nGET k2\r\n"[..]);
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
    let mut parser = RequestParser::new();
    for _ in 0..2 {
        let args = parser.parse(&mut buf, &default()).unwrap().unwrap();
        for arg in &args {
            assert!(range.contains(&(arg.as_ptr() as usize)));
        }
    }
    assert!(buf.is_empty());
}

#[test]
fn inline_requests() {
    let input = b"PING\r\nSET k \"a b\\n\" 'it\\'s'\nGET k\r\n";
    assert_eq!(
        assert_split_invariant(input, &default()),
        ok(&[&["PING"], &["SET", "k", "a b\n", "it's"], &["GET", "k"]])
    );
    // A \r inside the line is a blank; only the \r before \n is stripped.
    assert_eq!(whole(b"a\rb\r\r\n", &default()), ok(&[&["a", "b"]]));
    assert_eq!(whole(b"SET k \"x\"y\r\n", &default()), err(&[], ProtocolError::UnbalancedQuotes));
}

#[test]
fn inline_quoting() {
    let cases: &[(&[u8], &[&[u8]])] = &[
        (b"set \"\" ''\n", &[b"set", b"", b""]),
        (b"a\"b c\"d\n", &[]),
        (b"\"\\x00\\x7f\\xFF\"\n", &[b"\x00\x7f\xff"]),
        (b"'a\\nb'\n", &[b"a\\nb"]),
        (b"\"a\\tb\\\\\"\n", &[b"a\tb\\"]),
        (b"\t x \t\n", &[b"x"]),
    ];
    for &(line, want) in cases {
        let (requests, error) = whole(line, &default());
        if want.is_empty() {
            assert_eq!(error, Some(ProtocolError::UnbalancedQuotes));
        } else {
            assert_eq!(error, None);
            let want: Vec<Vec<u8>> = want.iter().map(|a| a.to_vec()).collect();
            assert_eq!(requests, vec![want]);
        }
    }
    for bad in [&b"\"abc\n"[..], b"'abc\r\n", b"\"a\"b\n", b"x 'y'z\n"] {
        assert_eq!(assert_split_invariant(bad, &default()), err(&[], ProtocolError::UnbalancedQuotes));
    }
}

#[test]
fn empty_lines_are_skipped() {
    let input = b"\r\n\n   \r\n\t\nPING\r\n\r\n";
    assert_eq!(assert_split_invariant(input, &default()), ok(&[&["PING"]]));
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&b"\r\n\r\n\n"[..]);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    assert!(buf.is_empty());
}

#[test]
fn empty_and_negative_multibulks_are_skipped() {
    let input = b"*0\r\n*-1\r\n*-5\r\n*1\r\n$4\r\nPING\r\n*0\r\n";
    assert_eq!(assert_split_invariant(input, &default()), ok(&[&["PING"]]));
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&b"*0\r\n"[..]);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    assert!(buf.is_empty());
}

#[test]
fn invalid_multibulk_length() {
    for bad in [
        &b"*abc\r\n"[..],
        b"*\r\n",
        b"*-0\r\n",
        b"*+1\r\n",
        b"*01\r\n",
        b"*1 \r\n",
        b"*2147483648\r\n",
        b"*99999999999999999999\r\n",
        b"*1\n$1\r\n",
    ] {
        assert_eq!(
            assert_split_invariant(bad, &default()),
            err(&[], ProtocolError::InvalidMultibulkLength),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    assert_eq!(whole(b"*2147483647\r\n", &default()), ok(&[]));
}

#[test]
fn invalid_bulk_length() {
    for bad in [
        &b"*1\r\n$-1\r\n"[..],
        b"*1\r\n$abc\r\n",
        b"*1\r\n$\r\n",
        b"*1\r\n$-0\r\n",
        b"*1\r\n$536870913\r\n",
        b"*1\r\n$9223372036854775808\r\n",
    ] {
        assert_eq!(
            assert_split_invariant(bad, &default()),
            err(&[], ProtocolError::InvalidBulkLength),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // The largest allowed bulk only waits for its data.
    assert_eq!(whole(b"*1\r\n$536870912\r\n", &default()), ok(&[]));
}

#[test]
fn expected_dollar() {
    let cases: &[(&[u8], u8)] =
        &[(b"*1\r\nx\r\n", b'x'), (b"*2\r\n$1\r\na\r\n:1\r\n", b':'), (b"*1\r\n\r\n", b'\r'), (b"*1\r\n*1\r\n", b'*')];
    for &(input, byte) in cases {
        assert_eq!(assert_split_invariant(input, &default()), err(&[], ProtocolError::ExpectedDollar(byte)));
    }
    assert_eq!(ProtocolError::ExpectedDollar(b'x').reply_text().unwrap(), "ERR Protocol error: expected '$', got 'x'");
}

/// Limit: `max_bulk_len`.
#[test]
fn limit_bulk_len() {
    let limits = Limits { max_bulk_len: 5, ..Limits::default() };
    assert_eq!(
        assert_split_invariant(b"*1\r\n$5\r\nhello\r\n*1\r\n$6\r\n", &limits),
        err(&[&["hello"]], ProtocolError::InvalidBulkLength)
    );
}

/// Limit: `max_multibulk_len`.
#[test]
fn limit_multibulk_len() {
    let limits = Limits { max_multibulk_len: 2, ..Limits::default() };
    assert_eq!(
        assert_split_invariant(b"*2\r\n$1\r\na\r\n$1\r\nb\r\n*3\r\n", &limits),
        err(&[&["a", "b"]], ProtocolError::InvalidMultibulkLength)
    );
}

/// Limit: `max_inline_len` for an inline request without its newline.
#[test]
fn limit_inline_len() {
    let limits = Limits { max_inline_len: 16, ..Limits::default() };
    // Exactly the limit: still waiting. One more byte: too big.
    assert_eq!(whole(&[b'a'; 16], &limits), ok(&[]));
    assert_eq!(assert_split_invariant(&[b'a'; 17], &limits), err(&[], ProtocolError::TooBigInline));
    // With its newline already buffered, a long line is accepted, as in Redis.
    let mut long = vec![b'a'; 40];
    long.push(b'\n');
    assert_eq!(whole(&long, &limits).1, None);
    // The default is 64 KiB.
    assert_eq!(whole(&vec![b'x'; 65536], &default()), ok(&[]));
    assert_eq!(whole(&vec![b'x'; 65537], &default()), err(&[], ProtocolError::TooBigInline));
}

/// Limit: `max_inline_len` for `*N` and `$N` header lines.
#[test]
fn limit_header_line() {
    let limits = Limits { max_inline_len: 16, ..Limits::default() };
    let mut mbulk = b"*".to_vec();
    mbulk.extend_from_slice(&[b'1'; 16]);
    assert_eq!(assert_split_invariant(&mbulk, &limits), err(&[], ProtocolError::TooBigMultibulkCount));
    let mut bulk = b"*1\r\n$".to_vec();
    bulk.extend_from_slice(&[b'1'; 16]);
    assert_eq!(assert_split_invariant(&bulk, &limits), err(&[], ProtocolError::TooBigBulkCount));
    // Default: 64 KiB.
    let mut big = b"*1\r\n$".to_vec();
    big.extend_from_slice(&vec![b'1'; 65536]);
    assert_eq!(whole(&big, &default()), err(&[], ProtocolError::TooBigBulkCount));
    let mut big = b"*".to_vec();
    big.extend_from_slice(&vec![b'1'; 65536]);
    assert_eq!(whole(&big, &default()), err(&[], ProtocolError::TooBigMultibulkCount));
}

/// Limit: `max_query_buffer`, on unparsed bytes and on the arguments held.
#[test]
fn limit_query_buffer() {
    let limits = Limits { max_query_buffer: 100, ..Limits::default() };
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&[b'x'; 100][..]);
    assert_eq!(parser.parse(&mut buf, &limits), Ok(None));
    buf.extend_from_slice(b"x");
    assert_eq!(parser.parse(&mut buf, &limits), Err(ProtocolError::QueryBufferLimit));
    assert_eq!(ProtocolError::QueryBufferLimit.reply_text(), None);

    // Many small arguments: each costs its bytes plus the size of a `Bytes`.
    let mut input = b"*100\r\n".to_vec();
    for _ in 0..100 {
        input.extend_from_slice(b"$1\r\na\r\n");
    }
    let limits = Limits { max_query_buffer: 400, ..Limits::default() };
    assert_eq!(chunked(&input, &[7], &limits), err(&[], ProtocolError::QueryBufferLimit));
    // Whole in the buffer and within the limit, but not once its arguments are held.
    let limits = Limits { max_query_buffer: input.len(), ..Limits::default() };
    assert_eq!(whole(&input, &limits), err(&[], ProtocolError::QueryBufferLimit));
    // A complete request within the limit is fine.
    let limits = Limits { max_query_buffer: 100 * (1 + ARG_OVERHEAD) + input.len(), ..Limits::default() };
    assert_eq!(whole(&input, &limits).1, None);
}

/// Limits: a client that has not authenticated.
#[test]
fn limit_unauthenticated() {
    let limits = Limits::unauthenticated();
    let mut ten = b"*10\r\n".to_vec();
    for _ in 0..10 {
        ten.extend_from_slice(b"$1\r\na\r\n");
    }
    assert_eq!(whole(&ten, &limits).0.len(), 1);
    assert_eq!(assert_split_invariant(b"*11\r\n", &limits), err(&[], ProtocolError::UnauthenticatedMultibulkLength));
    assert_eq!(whole(b"*2147483648\r\n", &limits), err(&[], ProtocolError::InvalidMultibulkLength));
    assert_eq!(whole(b"*-1\r\n*0\r\n", &limits), ok(&[]));
    assert_eq!(whole(b"*1\r\n$16384\r\n", &limits), ok(&[]));
    assert_eq!(
        assert_split_invariant(b"*1\r\n$16385\r\n", &limits),
        err(&[], ProtocolError::UnauthenticatedBulkLength)
    );
    assert_eq!(whole(b"*1\r\n$536870913\r\n", &limits), err(&[], ProtocolError::InvalidBulkLength));
    assert_eq!(whole(b"*1\r\n$-1\r\n", &limits), err(&[], ProtocolError::InvalidBulkLength));
}

#[test]
fn announced_sizes_allocate_nothing() {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&b"*1000000000\r\n$500000000\r\nabc"[..]);
    let capacity = buf.capacity();
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    assert!(parser.args.capacity() <= MAX_INITIAL_ARGS);
    assert_eq!(buf.capacity() + 25, capacity, "the buffer was not grown, only advanced");
    assert_eq!(parser.pending_hint(), 500_000_002 - 3);
    // Data arriving grows nothing but the caller's buffer.
    buf.extend_from_slice(&[b'x'; 1000]);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    assert_eq!(parser.pending_hint(), 500_000_002 - 1003);
    assert!(parser.args.is_empty());
}

#[test]
fn pending_hint() {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$10\r\n0123"[..]);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    assert_eq!(parser.pending_hint(), 8);
    buf.extend_from_slice(b"456789\r");
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    assert_eq!(parser.pending_hint(), 1);
    buf.extend_from_slice(b"\n*1\r\n$4");
    let args = parser.parse(&mut buf, &default()).unwrap().unwrap();
    assert_eq!(args, vec![Bytes::from("GET"), Bytes::from("0123456789")]);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    assert_eq!(parser.pending_hint(), 0, "the bulk header is not complete");
}

#[test]
fn cross_protocol_post_and_host() {
    for input in [
        &b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"post /x HTTP/1.0\n",
        b"Host: example.com\r\n",
        b"HOST:\r\n",
        b"'POST' /\r\n",
    ] {
        assert_eq!(
            assert_split_invariant(input, &default()),
            err(&[], ProtocolError::CrossProtocol),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(ProtocolError::CrossProtocol.reply_text(), None);
}

#[test]
fn cross_protocol_request_line() {
    for input in [
        &b"GET / HTTP/1.1\r\n"[..],
        b"GET /index.html?a=\"b HTTP/1.1\r\n",
        b"HEAD / HTTP/1.0\r\n",
        b"PUT /x HTTP/1.1\r\n",
        b"DELETE /x HTTP/1.1\r\n",
        b"OPTIONS * HTTP/1.1\r\n",
        b"PATCH /x HTTP/2\r\n",
        b"CONNECT a:1 HTTP/1.1\r\n",
        b"TRACE / HTTP/1.1\r\n",
    ] {
        assert_eq!(
            assert_split_invariant(input, &default()),
            err(&[], ProtocolError::CrossProtocol),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn cross_protocol_stops_the_pipeline() {
    let input = b"PING\r\nGET / HTTP/1.1\r\nFLUSHALL\r\n";
    assert_eq!(assert_split_invariant(input, &default()), err(&[&["PING"]], ProtocolError::CrossProtocol));
}

#[test]
fn legitimate_inline_get_is_not_http() {
    let input = b"GET key\r\nGET HTTP/1.1\r\nSET k HTTP/1.1\r\nget /\r\n";
    assert_eq!(
        assert_split_invariant(input, &default()),
        ok(&[&["GET", "key"], &["GET", "HTTP/1.1"], &["SET", "k", "HTTP/1.1"], &["get", "/"]])
    );
    // A multibulk is not an HTTP request line; the command layer sees it.
    assert_eq!(whole(b"*1\r\n$4\r\nPOST\r\n", &default()), ok(&[&["POST"]]));
}

#[test]
fn split_everywhere_mixed_pipeline() {
    let input =
        b"\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhe\r\nl\r\nPING\n*0\r\n ECHO \"x\\x41\" \r\n*1\r\n$3\r\nfoo\r\n*1\r\nz\r\n";
    assert_eq!(
        assert_split_invariant(input, &default()),
        err(&[&["ECHO", "he\r\nl"], &["PING"], &["ECHO", "xA"], &["foo"]], ProtocolError::ExpectedDollar(b'z'))
    );
}

#[test]
fn bulk_trailer_is_skipped_like_redis() {
    // Redis does not check the two bytes after a bulk's data.
    assert_eq!(whole(b"*1\r\n$1\r\naXY*1\r\n$1\r\nb\r\n", &default()), ok(&[&["a"], &["b"]]));
}

#[test]
fn reset_forgets_the_request_in_progress() {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&b"*2\r\n$1\r\na\r\n$5\r\nab"[..]);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    parser.reset();
    let mut buf = BytesMut::from(&b"PING\r\n"[..]);
    assert_eq!(parser.parse(&mut buf, &default()).unwrap().unwrap(), vec![Bytes::from("PING")]);
}

#[test]
fn misuse_never_panics() {
    // A caller that shrinks the buffer between calls gets errors or waits, not panics.
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&b"PINGPINGPING"[..]);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    let mut small = BytesMut::from(&b"P\r\n"[..]);
    let _ = parser.parse(&mut small, &default());
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&b"*1\r\n$5\r\nabc"[..]);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    let mut empty = BytesMut::new();
    assert_eq!(parser.parse(&mut empty, &default()), Ok(None));
}

#[test]
fn fast_path_after_a_partial_header() {
    // "*12" is scanned for its \r, then the rest arrives at once: the next
    // request's short header must be searched from its own start.
    let mut input = b"*12\r\n".to_vec();
    for _ in 0..12 {
        input.extend_from_slice(b"$1\r\nx\r\n");
    }
    // The next request is incomplete, so it takes the incremental path.
    input.extend_from_slice(b"*1\r\n$4\r\nPI");
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&input[..3]);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    buf.extend_from_slice(&input[3..]);
    assert_eq!(parser.parse(&mut buf, &default()).unwrap().unwrap().len(), 12);
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    buf.extend_from_slice(b"NG\r\n");
    assert_eq!(parser.parse(&mut buf, &default()).unwrap().unwrap(), vec![Bytes::from("PING")]);
    // The same with an inline line scanned first.
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\nPI"[..]);
    assert!(parser.parse(&mut buf, &default()).unwrap().is_some());
    assert_eq!(parser.parse(&mut buf, &default()), Ok(None));
    buf.extend_from_slice(b"NG\r\n");
    assert_eq!(parser.parse(&mut buf, &default()).unwrap().unwrap(), vec![Bytes::from("PING")]);
}
