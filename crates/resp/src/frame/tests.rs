//! Unit tests of frame encoding and decoding.

use super::*;

fn decode_all(input: &[u8]) -> Result<Option<Frame>, ProtocolError> {
    let mut buf = BytesMut::from(input);
    let result = Frame::decode(&mut buf);
    if let Ok(Some(_)) = result {
        assert!(buf.is_empty(), "left over: {:?}", &buf[..]);
    }
    result
}

fn encoded(frame: &Frame) -> Vec<u8> {
    let mut out = BytesMut::new();
    frame.encode(&mut out);
    out.to_vec()
}

fn bulk(s: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

#[test]
fn decodes_every_type() {
    let cases: Vec<(&[u8], Frame)> = vec![
        (b"+OK\r\n", Frame::Simple("OK".into())),
        (b"-ERR bad\r\n", Frame::Error("ERR bad".into())),
        (b"!8\r\nERR a\r\nb\r\n", Frame::Error("ERR a\r\nb".into())),
        (b":-42\r\n", Frame::Integer(-42)),
        (b"$5\r\nhello\r\n", bulk("hello")),
        (b"$0\r\n\r\n", bulk("")),
        (b"$-1\r\n", Frame::Null),
        (b"_\r\n", Frame::Null),
        (b"*-1\r\n", Frame::NullArray),
        (b"*0\r\n", Frame::Array(vec![])),
        (b"*2\r\n$1\r\na\r\n:1\r\n", Frame::Array(vec![bulk("a"), Frame::Integer(1)])),
        (b"%1\r\n+k\r\n#t\r\n", Frame::Map(vec![(Frame::Simple("k".into()), Frame::Boolean(true))])),
        (b"~1\r\n#f\r\n", Frame::Set(vec![Frame::Boolean(false)])),
        (b">1\r\n_\r\n", Frame::Push(vec![Frame::Null])),
        (b",1.5\r\n", Frame::Double(1.5)),
        (b",-inf\r\n", Frame::Double(f64::NEG_INFINITY)),
        (b",1e+17\r\n", Frame::Double(1e17)),
        (b"(-123456789012345678901234567890\r\n", Frame::BigNumber("-123456789012345678901234567890".into())),
        (b"=6\r\ntxt:hi\r\n", Frame::Verbatim("txt".into(), Bytes::from_static(b"hi"))),
        (
            b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
            Frame::Attribute(vec![(Frame::Simple("ttl".into()), Frame::Integer(3))], Box::new(bulk("v"))),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(decode_all(input), Ok(Some(want.clone())), "{:?}", String::from_utf8_lossy(input));
        // Every proper prefix is incomplete and consumes nothing.
        for cut in 0..input.len() {
            let mut buf = BytesMut::from(&input[..cut]);
            assert_eq!(Frame::decode(&mut buf), Ok(None));
            assert_eq!(buf.len(), cut);
        }
    }
}

#[test]
fn nan_decodes() {
    match decode_all(b",nan\r\n") {
        Ok(Some(Frame::Double(d))) => assert!(d.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn decodes_one_frame_at_a_time() {
    let mut buf = BytesMut::from(&b"+a\r\n:1\r\n$1\r"[..]);
    assert_eq!(Frame::decode(&mut buf), Ok(Some(Frame::Simple("a".into()))));
    assert_eq!(Frame::decode(&mut buf), Ok(Some(Frame::Integer(1))));
    assert_eq!(Frame::decode(&mut buf), Ok(None));
    assert_eq!(&buf[..], b"$1\r");
}

#[test]
fn malformed_frames() {
    for bad in [
        &b"?\r\n"[..],
        b"+a\rb\r\n",
        b":\r\n",
        b":01\r\n",
        b":1.5\r\n",
        b"$-2\r\n",
        b"$x\r\n",
        b"$1\r\nabc\r\n",
        b"$?\r\n",
        b"*?\r\n",
        b"*-2\r\n",
        b"%-1\r\n",
        b"~-1\r\n",
        b"!-1\r\n",
        b"#x\r\n",
        b"_x\r\n",
        b",abc\r\n",
        b",\r\n",
        b"(12a\r\n",
        b"(\r\n",
        b"=3\r\ntxt\r\n",
        b"=5\r\ntxtxx\r\n",
    ] {
        assert!(matches!(decode_all(bad), Err(ProtocolError::InvalidFrame(_))), "{:?}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn depth_is_limited() {
    let mut ok = b"*1\r\n".repeat(MAX_FRAME_DEPTH);
    ok.extend_from_slice(b":1\r\n");
    assert!(decode_all(&ok).unwrap().is_some());
    let mut too_deep = b"*1\r\n".repeat(MAX_FRAME_DEPTH + 1);
    too_deep.extend_from_slice(b":1\r\n");
    assert_eq!(decode_all(&too_deep), Err(ProtocolError::InvalidFrame("nesting too deep")));
    let attrs = b"|0\r\n".repeat(MAX_FRAME_DEPTH + 1);
    assert_eq!(decode_all(&attrs), Err(ProtocolError::InvalidFrame("nesting too deep")));
}

#[test]
fn announced_counts_allocate_nothing() {
    // A huge count with little data is just incomplete.
    let mut buf = BytesMut::from(&b"*9223372036854775807\r\n:1\r\n%4611686018427387903\r\n"[..]);
    assert_eq!(Frame::decode(&mut buf), Ok(None));
    let mut buf = BytesMut::from(&b"$9223372036854775807\r\nabc"[..]);
    assert_eq!(Frame::decode(&mut buf), Ok(None));
    let mut buf = BytesMut::from(&b"|9223372036854775807\r\n"[..]);
    assert_eq!(Frame::decode(&mut buf), Ok(None));
}

#[test]
fn bulks_are_zero_copy() {
    let mut buf = BytesMut::from(&b"*1\r\n$3\r\nabc\r\n"[..]);
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
    let Ok(Some(Frame::Array(items))) = Frame::decode(&mut buf) else {
        panic!("not an array");
    };
    let Frame::Bulk(b) = &items[0] else {
        panic!("not a bulk");
    };
    assert!(range.contains(&(b.as_ptr() as usize)));
}

#[test]
fn encodes_every_type() {
    let cases: Vec<(Frame, &[u8])> = vec![
        (Frame::Simple("OK".into()), b"+OK\r\n"),
        (Frame::Simple("a\r\nb".into()), b"+a  b\r\n"),
        (Frame::Error("ERR x".into()), b"-ERR x\r\n"),
        (Frame::Error("ERR\nx".into()), b"!5\r\nERR\nx\r\n"),
        (Frame::Integer(i64::MIN), b":-9223372036854775808\r\n"),
        (bulk("hi"), b"$2\r\nhi\r\n"),
        (Frame::Null, b"_\r\n"),
        (Frame::NullArray, b"*-1\r\n"),
        (Frame::Array(vec![Frame::Integer(1), Frame::Null]), b"*2\r\n:1\r\n_\r\n"),
        (Frame::Map(vec![(bulk("k"), bulk("v"))]), b"%1\r\n$1\r\nk\r\n$1\r\nv\r\n"),
        (Frame::Set(vec![]), b"~0\r\n"),
        (Frame::Push(vec![Frame::Boolean(true)]), b">1\r\n#t\r\n"),
        (Frame::Double(0.1), b",0.10000000000000001\r\n"),
        (Frame::Double(f64::INFINITY), b",inf\r\n"),
        (Frame::Boolean(false), b"#f\r\n"),
        (Frame::BigNumber("123".into()), b"(123\r\n"),
        (Frame::Verbatim("txt".into(), Bytes::from_static(b"x")), b"=5\r\ntxt:x\r\n"),
        (Frame::Verbatim("m".into(), Bytes::new()), b"=4\r\nm  :\r\n"),
        (
            Frame::Attribute(vec![(Frame::Simple("a".into()), Frame::Integer(1))], Box::new(Frame::Null)),
            b"|1\r\n+a\r\n:1\r\n_\r\n",
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(encoded(&frame), want, "{frame:?}");
    }
}

#[test]
fn encode_command_is_a_multibulk() {
    let mut out = BytesMut::new();
    encode_command(&[b"SET", b"k", b""], &mut out);
    assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    let mut out = BytesMut::new();
    encode_command(&[], &mut out);
    assert_eq!(&out[..], b"*0\r\n");
}
