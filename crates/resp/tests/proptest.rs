//! Property tests: commands and frames survive encode → parse, whatever the
//! read boundaries, and arbitrary bytes never panic the parser or the decoder.

use proptest::prelude::*;
use redoubt_resp::{encode_command, format_double, Bytes, BytesMut, Frame, Limits, ProtocolError, RequestParser};

type Outcome = (Vec<Vec<Bytes>>, Option<ProtocolError>);

/// Feeds `input` in chunks of the given sizes (cycling), parsing after each.
fn parse_chunked(input: &[u8], sizes: &[usize], limits: &Limits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    let mut fed = 0;
    let mut sizes = sizes.iter().copied().cycle();
    while fed < input.len() || fed == 0 {
        let size = sizes.next().unwrap_or(input.len()).max(1);
        let end = (fed + size).min(input.len());
        buf.extend_from_slice(&input[fed..end]);
        fed = end;
        loop {
            let before = buf.len();
            match parser.parse(&mut buf, limits) {
                Ok(Some(args)) => requests.push(args),
                Ok(None) => break,
                Err(e) => return (requests, Some(e)),
            }
            assert!(buf.len() <= before);
        }
        if input.is_empty() {
            break;
        }
    }
    (requests, None)
}

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(any::<u8>(), 0..2000),
        Just(b"\r\n".to_vec()),
    ]
}

fn command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(arg(), 1..8)
}

fn encode_pipeline(commands: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for cmd in commands {
        let args: Vec<&[u8]> = cmd.iter().map(Vec::as_slice).collect();
        encode_command(&args, &mut out);
    }
    out.to_vec()
}

fn as_bytes(commands: &[Vec<Vec<u8>>]) -> Vec<Vec<Bytes>> {
    commands.iter().map(|c| c.iter().map(|a| Bytes::copy_from_slice(a)).collect()).collect()
}

/// Frames without NaN (NaN != NaN) whose strings survive encoding.
fn frame() -> impl Strategy<Value = Frame> {
    let line = "[^\r\n]{0,20}";
    let leaf = prop_oneof![
        line.prop_map(Frame::Simple),
        line.prop_map(Frame::Error),
        "(?s).{0,20}".prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        proptest::collection::vec(any::<u8>(), 0..50).prop_map(|b| Frame::Bulk(b.into())),
        Just(Frame::Null),
        Just(Frame::NullArray),
        any::<f64>().prop_filter("NaN never equals itself", |d| !d.is_nan()).prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        "-?[0-9]{1,40}".prop_map(Frame::BigNumber),
        ("[a-z]{3}", proptest::collection::vec(any::<u8>(), 0..30)).prop_map(|(f, t)| Frame::Verbatim(f, t.into())),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Frame::Array),
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Frame::Set),
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(p, v)| Frame::Attribute(p, Box::new(v))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn command_round_trips(cmd in command()) {
        let input = encode_pipeline(std::slice::from_ref(&cmd));
        let (requests, error) = parse_chunked(&input, &[input.len()], &Limits::default());
        prop_assert_eq!(error, None);
        prop_assert_eq!(requests, as_bytes(&[cmd]));
    }

    #[test]
    fn pipeline_round_trips_in_any_chunks(
        commands in proptest::collection::vec(command(), 1..6),
        sizes in proptest::collection::vec(1usize..300, 1..20),
    ) {
        let input = encode_pipeline(&commands);
        let want = as_bytes(&commands);
        let (requests, error) = parse_chunked(&input, &sizes, &Limits::default());
        prop_assert_eq!(error, None);
        prop_assert_eq!(&requests, &want);
        let (requests, error) = parse_chunked(&input, &[1], &Limits::default());
        prop_assert_eq!(error, None);
        prop_assert_eq!(&requests, &want);
    }

    #[test]
    fn inline_words_round_trip(
        words in proptest::collection::vec("[a-zA-Z0-9_:.-]{1,12}", 1..8),
        sizes in proptest::collection::vec(1usize..20, 1..10),
    ) {
        let mut line = words.join(" ");
        line.push_str("\r\n");
        let (requests, error) = parse_chunked(line.as_bytes(), &sizes, &Limits::default());
        if error == Some(ProtocolError::CrossProtocol) {
            // e.g. a generated "POST ..." line.
            return Ok(());
        }
        prop_assert_eq!(error, None);
        let want: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
        prop_assert_eq!(requests, vec![want]);
    }

    #[test]
    fn frame_round_trips(frame in frame()) {
        let mut out = BytesMut::new();
        frame.encode(&mut out);
        let encoded = out.clone();
        let decoded = Frame::decode(&mut out);
        prop_assert_eq!(decoded, Ok(Some(frame)));
        prop_assert!(out.is_empty());
        // Every proper prefix is incomplete and consumes nothing.
        for cut in 0..encoded.len() {
            let mut prefix = BytesMut::from(&encoded[..cut]);
            prop_assert_eq!(Frame::decode(&mut prefix), Ok(None));
            prop_assert_eq!(prefix.len(), cut);
        }
    }

    #[test]
    fn doubles_round_trip(d in any::<f64>().prop_filter("not NaN", |d| !d.is_nan())) {
        prop_assert_eq!(format_double(d).parse::<f64>().unwrap(), d);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_parser(
        input in proptest::collection::vec(any::<u8>(), 0..600),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let small = Limits { max_bulk_len: 8, max_multibulk_len: 3, max_inline_len: 16, max_query_buffer: 200 };
        for limits in [Limits::default(), Limits::unauthenticated(), small] {
            let _ = parse_chunked(&input, &sizes, &limits);
        }
    }

    #[test]
    fn resp_like_bytes_never_panic_the_parser(
        parts in proptest::collection::vec(
            prop_oneof![
                Just(&b"*"[..]), Just(&b"$"[..]), Just(&b"\r\n"[..]), Just(&b"\n"[..]),
                Just(&b"1"[..]), Just(&b"-1"[..]), Just(&b"0"[..]), Just(&b"3"[..]),
                Just(&b"abc"[..]), Just(&b" "[..]), Just(&b"\""[..]), Just(&b"'"[..]),
                Just(&b"\\x4"[..]), Just(&b"POST"[..]), Just(&b"HTTP/1.1"[..]),
            ],
            0..60,
        ),
        sizes in proptest::collection::vec(1usize..16, 1..8),
    ) {
        let input = parts.concat();
        let whole = parse_chunked(&input, &[input.len()], &Limits::default());
        let chunked = parse_chunked(&input, &sizes, &Limits::default());
        prop_assert_eq!(whole, chunked);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(input in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut buf = BytesMut::from(&input[..]);
        while let Ok(Some(_)) = Frame::decode(&mut buf) {}
        prop_assert!(buf.len() <= input.len());
    }

    #[test]
    fn resp_like_bytes_never_panic_the_decoder(
        parts in proptest::collection::vec(
            prop_oneof![
                Just(&b"*"[..]), Just(&b"%"[..]), Just(&b"|"[..]), Just(&b"$"[..]), Just(&b"="[..]),
                Just(&b"\r\n"[..]), Just(&b"1"[..]), Just(&b"2"[..]), Just(&b"-1"[..]), Just(&b"0"[..]),
                Just(&b":"[..]), Just(&b"_"[..]), Just(&b","[..]), Just(&b"#t"[..]), Just(&b"txt:"[..]),
            ],
            0..80,
        ),
    ) {
        let input = parts.concat();
        let mut buf = BytesMut::from(&input[..]);
        while let Ok(Some(_)) = Frame::decode(&mut buf) {}
        prop_assert!(buf.len() <= input.len());
    }
}
