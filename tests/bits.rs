//! The bitmap family (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO) through
//! a real server and the `redis` crate. Error texts are Redis's and are asserted whole.

mod common;

use common::{err, ok};

use redis::{Connection, Value};

fn set_bin(c: &mut Connection, key: &str, value: &[u8]) {
    let _: () = redis::cmd("SET").arg(key).arg(value).query(c).unwrap();
}

fn get_bin(c: &mut Connection, key: &str) -> Vec<u8> {
    redis::cmd("GET").arg(key).query(c).unwrap()
}

/// BITFIELD's reply, with nil (OVERFLOW FAIL) as `None`.
fn bitfield(c: &mut Connection, args: &[&str]) -> Vec<Option<i64>> {
    ok(c, args)
}

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const OFFSET: &str = "ERR bit offset is not an integer or out of range";

#[test]
fn setbit_and_getbit() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["SETBIT", "k", "1", "1"]), 0);
    assert_eq!(get_bin(&mut c, "k"), [0b0100_0000]);
    assert_eq!(ok::<i64>(&mut c, &["SETBIT", "k", "1", "1"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["SETBIT", "k", "1", "0"]), 1);
    assert_eq!(get_bin(&mut c, "k"), [0]);
    // Growing pads with zero bytes.
    assert_eq!(ok::<i64>(&mut c, &["SETBIT", "k", "23", "1"]), 0);
    assert_eq!(get_bin(&mut c, "k"), [0, 0, 1]);
    // "@" is 0100_0000; "1" (integer-encoded) is 0011_0001.
    let _: () = ok(&mut c, &["SET", "s", "@"]);
    assert_eq!(ok::<i64>(&mut c, &["SETBIT", "s", "2", "1"]), 0);
    assert_eq!(get_bin(&mut c, "s"), [0b0110_0000]);
    let _: () = ok(&mut c, &["SET", "n", "1"]);
    assert_eq!(ok::<i64>(&mut c, &["SETBIT", "n", "6", "1"]), 0);
    assert_eq!(ok::<String>(&mut c, &["GET", "n"]), "3");

    assert_eq!(ok::<i64>(&mut c, &["GETBIT", "missing", "0"]), 0);
    let _: () = ok(&mut c, &["SET", "g", "`"]);
    let bits: Vec<i64> = (0..4).map(|i| ok(&mut c, &["GETBIT", "g", &i.to_string()])).collect();
    assert_eq!(bits, [0, 1, 1, 0]);
    assert_eq!(ok::<i64>(&mut c, &["GETBIT", "g", "10000"]), 0);
    let _: () = ok(&mut c, &["SET", "g", "1"]);
    let bits: Vec<i64> = (0..8).map(|i| ok(&mut c, &["GETBIT", "g", &i.to_string()])).collect();
    assert_eq!(bits, [0, 0, 1, 1, 0, 0, 0, 1]);

    // SETBIT keeps the TTL.
    let _: () = ok(&mut c, &["SETEX", "t", "100", "a"]);
    assert_eq!(ok::<i64>(&mut c, &["SETBIT", "t", "100", "1"]), 0);
    assert!(ok::<i64>(&mut c, &["TTL", "t"]) > 90);

    // Offsets beyond proto-max-bulk-len (512 MiB = 2^32 bits) are refused before anything grows.
    for bad in ["4294967296", "-1", "x", "1.5", "9223372036854775807"] {
        assert_eq!(err(&mut c, &["SETBIT", "big", bad, "1"]), OFFSET, "{bad}");
        assert_eq!(err(&mut c, &["GETBIT", "big", bad]), OFFSET, "{bad}");
    }
    assert_eq!(ok::<i64>(&mut c, &["GETBIT", "big", "4294967295"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "big"]), 0);
    for bad in ["-1", "2", "10", "x"] {
        assert_eq!(err(&mut c, &["SETBIT", "k", "0", bad]), "ERR bit is not an integer or out of range", "{bad}");
    }
}

#[test]
fn bitcount() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["BITCOUNT", "none"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["BITCOUNT", "none", "0", "1000", "BIT"]), 0);
    for (v, n) in [(&b""[..], 0), (b"\xaa", 4), (b"\x00\x00\xff", 8), (b"foobar", 26), (b"123", 10)] {
        set_bin(&mut c, "v", v);
        assert_eq!(ok::<i64>(&mut c, &["BITCOUNT", "v"]), n, "{v:?}");
        assert_eq!(ok::<i64>(&mut c, &["BITCOUNT", "v", "0", "-1", "bit"]), n, "{v:?}");
    }
    let _: () = ok(&mut c, &["SET", "s", "foobar"]);
    for (args, want) in [
        (&["1", "1"][..], 6),
        (&["1", "-2"], 18), // "ooba"
        (&["-2", "1"], 0),
        (&["0", "1000"], 26),
        (&["-6", "-7"], 0),
        (&["5", "30", "BIT"], 17),
        (&["10", "14", "BIT"], 4),
        (&["3", "-34", "bit"], 7),
        (&["-2", "1", "BIT"], 0),
        (&["0", "1000", "BYTE"], 26),
    ] {
        let mut full = vec!["BITCOUNT", "s"];
        full.extend_from_slice(args);
        assert_eq!(ok::<i64>(&mut c, &full), want, "{args:?}");
    }
    let _: () = ok(&mut c, &["SET", "str", "__PPxxxxxxxxxxxxxxxxRR__"]);
    assert_eq!(ok::<i64>(&mut c, &["BITCOUNT", "str", "2", "-3"]), 74);
    assert_eq!(err(&mut c, &["BITCOUNT", "s", "0"]), SYNTAX);
    assert_eq!(err(&mut c, &["BITCOUNT", "s", "0", "1", "hello"]), SYNTAX);
    assert_eq!(err(&mut c, &["BITCOUNT", "s", "0", "1", "bit", "x"]), SYNTAX);
    assert_eq!(err(&mut c, &["BITCOUNT", "s", "a", "1"]), NOT_INT);
    // As in Redis, a missing key answers 0 before the arguments are looked at.
    assert_eq!(ok::<i64>(&mut c, &["BITCOUNT", "none", "0"]), 0);
}

#[test]
fn bitpos() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "none", "0"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "none", "1"]), -1);
    set_bin(&mut c, "s", b"\xff\xf0\x00");
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "s", "0"]), 12);
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "s", "0", "1", "-1", "BIT"]), 12);
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "s", "1", "2"]), -1);
    set_bin(&mut c, "s", b"\x00\xff\x00");
    for (args, want) in [
        (&["0", "0", "-1"][..], 0),
        (&["0", "1", "-1"], 16),
        (&["0", "2", "200"], 16),
        (&["0", "1", "1"], -1),
        (&["0", "8", "8", "bit"], -1),
        (&["1", "0", "-1"], 8),
        (&["1", "1", "1"], 8),
        (&["1", "2", "-1"], -1),
        (&["1", "7", "15", "BIT"], 8),
        (&["1", "9", "15", "BIT"], 9),
        (&["1", "16", "200", "bit"], -1),
        (&["1", "5", "3"], -1),
    ] {
        let mut full = vec!["BITPOS", "s"];
        full.extend_from_slice(args);
        assert_eq!(ok::<i64>(&mut c, &full), want, "{args:?}");
    }
    // Looking for a 0 in all ones: the padding counts unless an end is given.
    set_bin(&mut c, "ones", b"\xff\xff\xff");
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "ones", "0"]), 24);
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "ones", "0", "0"]), 24);
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "ones", "0", "0", "-1"]), -1);
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "ones", "0", "0", "-1", "bit"]), -1);
    // Whole words, unaligned starts and a remainder.
    let mut long = vec![0u8; 27];
    long.push(0xf0);
    set_bin(&mut c, "long", &long);
    for start in ["0", "1", "8", "20"] {
        assert_eq!(ok::<i64>(&mut c, &["BITPOS", "long", "1", start]), 216, "{start}");
    }
    assert_eq!(ok::<i64>(&mut c, &["BITPOS", "long", "1", "65", "-1", "BIT"]), 216);

    for bad in ["2", "-1"] {
        assert_eq!(err(&mut c, &["BITPOS", "s", bad]), "ERR The bit argument must be 1 or 0.");
    }
    assert_eq!(err(&mut c, &["BITPOS", "s", "x"]), NOT_INT);
    assert_eq!(err(&mut c, &["BITPOS", "s", "1", "x"]), NOT_INT);
    assert_eq!(err(&mut c, &["BITPOS", "s", "1", "0", "1", "nibble"]), SYNTAX);
    assert_eq!(err(&mut c, &["BITPOS", "s", "1", "0", "1", "bit", "x"]), SYNTAX);
}

#[test]
fn bitop() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    set_bin(&mut c, "a", b"\x01\x02\xff\xff");
    set_bin(&mut c, "b", b"\x01\x02\xff");
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "AND", "r1", "a", "b"]), 4);
    assert_eq!(get_bin(&mut c, "r1"), b"\x01\x02\xff\x00");
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "or", "r2", "a", "b"]), 4);
    assert_eq!(get_bin(&mut c, "r2"), b"\x01\x02\xff\xff");
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "Xor", "r3", "a", "b"]), 4);
    assert_eq!(get_bin(&mut c, "r3"), b"\x00\x00\x00\xff");
    // Missing keys are streams of zeros.
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "AND", "r4", "missing", "b"]), 3);
    assert_eq!(get_bin(&mut c, "r4"), b"\x00\x00\x00");
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "OR", "r5", "missing", "b", "missing2"]), 3);
    assert_eq!(get_bin(&mut c, "r5"), b"\x01\x02\xff");

    set_bin(&mut c, "n", b"\xaa\x00\xff\x55");
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "NOT", "n", "n"]), 4);
    assert_eq!(get_bin(&mut c, "n"), b"\x55\xff\x00\xaa");

    // Integer-encoded sources, and a source that is also the destination.
    let _: () = ok(&mut c, &["MSET", "i1", "1", "i2", "2"]);
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "XOR", "dest", "i1", "i2", "i1"]), 1);
    assert_eq!(ok::<String>(&mut c, &["GET", "dest"]), "2");

    // An empty result deletes the destination (whatever it held, and its TTL goes too).
    let _: () = ok(&mut c, &["SETEX", "dest", "100", "x"]);
    let _: () = ok(&mut c, &["SET", "empty", ""]);
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "NOT", "dest", "empty"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "dest"]), 0);
    let _: () = ok(&mut c, &["SETEX", "dest", "100", "x"]);
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "OR", "dest", "b"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "dest"]), -1);

    assert_eq!(err(&mut c, &["BITOP", "NOT", "d", "a", "b"]), "ERR BITOP NOT must be called with a single source key.");
    assert_eq!(err(&mut c, &["BITOP", "NAND", "d", "a"]), SYNTAX);
    assert_eq!(err(&mut c, &["BITOP", "AND", "d"]), "ERR wrong number of arguments for 'bitop' command");
}

#[test]
fn bitfield_get_set_incrby() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(bitfield(&mut c, &["BITFIELD", "bits", "SET", "i8", "0", "-100"]), [Some(0)]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "bits", "SET", "i8", "0", "101"]), [Some(-100)]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "bits", "GET", "i8", "0"]), [Some(101)]);
    let _: () = ok(&mut c, &["DEL", "bits"]);
    assert_eq!(
        bitfield(&mut c, &["BITFIELD", "bits", "set", "u8", "0", "255", "incrby", "u8", "0", "100", "get", "u8", "0"]),
        [Some(0), Some(99), Some(99)]
    );
    assert_eq!(bitfield(&mut c, &["BITFIELD", "bits"]), []);
    let _: () = ok(&mut c, &["DEL", "bits"]);
    let _: Value =
        ok(&mut c, &["BITFIELD", "bits", "SET", "u8", "#0", "65", "SET", "u8", "#1", "66", "SET", "u8", "#2", "67"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "bits"]), "ABC");
    // Unaligned fields: 5 bits of value 23 at offset 7.
    let _: () = ok(&mut c, &["DEL", "u"]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "u", "SET", "u5", "7", "23"]), [Some(0)]);
    assert_eq!(get_bin(&mut c, "u"), [0b0000_0001, 0b0111_0000]);
    assert_eq!(
        bitfield(&mut c, &["BITFIELD", "u", "GET", "u5", "7", "GET", "i5", "7", "GET", "u8", "100"]),
        [Some(23), Some(-9), Some(0)]
    );
    // 64-bit signed and 63-bit unsigned extremes.
    let _: () = ok(&mut c, &["DEL", "w"]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "w", "SET", "i64", "3", "-9223372036854775808"]), [Some(0)]);
    assert_eq!(
        bitfield(&mut c, &["BITFIELD", "w", "GET", "i64", "3", "GET", "u63", "3"]),
        [Some(i64::MIN), Some(1 << 62)]
    );
    assert_eq!(
        bitfield(&mut c, &["BITFIELD", "w", "SET", "u63", "0", "9223372036854775807", "GET", "u63", "0"]),
        [Some(1 << 59), Some(i64::MAX)]
    );
    // Regression #3564.
    let _: () = ok(&mut c, &["DEL", "m"]);
    assert_eq!(
        bitfield(
            &mut c,
            &["BITFIELD", "m", "SET", "i8", "0", "10", "SET", "i8", "64", "10", "INCRBY", "i8", "10", "99900"]
        ),
        [Some(0), Some(0), Some(60)]
    );
    // Regression #3221: GET on an integer-encoded value reads its digits.
    let _: () = ok(&mut c, &["SET", "n", "1"]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "n", "GET", "u1", "0", "GET", "u8", "0"]), [Some(0), Some(49)]);
    // Only GETs never create the key.
    assert_eq!(bitfield(&mut c, &["BITFIELD", "ghost", "GET", "u8", "0"]), [Some(0)]);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "ghost"]), 0);
}

#[test]
fn bitfield_overflow() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: Value = ok(&mut c, &["BITFIELD", "b", "SET", "u8", "#0", "100"]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "b", "OVERFLOW", "WRAP", "INCRBY", "u8", "#0", "257"]), [Some(101)]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "b", "overflow", "wrap", "incrby", "u8", "#0", "255"]), [Some(100)]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "u8", "#0", "257"]), [Some(255)]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "u8", "#0", "-300"]), [Some(0)]);
    let _: Value = ok(&mut c, &["BITFIELD", "b", "SET", "u8", "#0", "100"]);
    assert_eq!(
        bitfield(
            &mut c,
            &["BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "i8", "#0", "257", "INCRBY", "i8", "#0", "-300"]
        ),
        [Some(127), Some(-128)]
    );
    assert_eq!(bitfield(&mut c, &["BITFIELD", "b", "OVERFLOW", "WRAP", "INCRBY", "i8", "#0", "-1"]), [Some(127)]);
    // FAIL answers nil and writes nothing; the mode applies to the operations after it.
    assert_eq!(
        bitfield(
            &mut c,
            &[
                "BITFIELD", "b", "INCRBY", "i8", "0", "1", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1", "GET", "i8",
                "0"
            ]
        ),
        [Some(-128), None, Some(-128)]
    );
    assert_eq!(bitfield(&mut c, &["BITFIELD", "b", "OVERFLOW", "FAIL", "SET", "u4", "0", "16"]), [None]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "b", "OVERFLOW", "SAT", "SET", "u4", "0", "16"]), [Some(8)]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "b", "GET", "u4", "0"]), [Some(15)]);
    let _: () = ok(&mut c, &["DEL", "w"]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "w", "SET", "i64", "0", "9223372036854775807"]), [Some(0)]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "w", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "1"]), [None]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "w", "INCRBY", "i64", "0", "1"]), [Some(i64::MIN)]);
    assert_eq!(bitfield(&mut c, &["BITFIELD", "w", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1"]), [Some(i64::MIN)]);
}

#[test]
fn bitfield_errors_and_ro() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let bad_type = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    for t in ["u64", "i65", "i0", "I8", "x8", "u"] {
        assert_eq!(err(&mut c, &["BITFIELD", "k", "GET", t, "0"]), bad_type, "{t}");
    }
    assert_eq!(err(&mut c, &["BITFIELD", "k", "OVERFLOW", "SOMETIMES"]), "ERR Invalid OVERFLOW type specified");
    for bad in [
        &["BITFIELD", "k", "GET", "u8"][..],
        &["BITFIELD", "k", "SET", "u8", "0"],
        &["BITFIELD", "k", "INCRBY", "u8", "0"],
        &["BITFIELD", "k", "OVERFLOW"],
        &["BITFIELD", "k", "FROB", "u8", "0"],
    ] {
        assert_eq!(err(&mut c, bad), SYNTAX, "{bad:?}");
    }
    for off in ["-1", "x", "4294967296", "#536870912", "#-1", "#9223372036854775807"] {
        assert_eq!(err(&mut c, &["BITFIELD", "k", "SET", "u8", off, "1"]), OFFSET, "{off}");
    }
    assert_eq!(err(&mut c, &["BITFIELD", "k", "SET", "u8", "0", "x"]), NOT_INT);
    assert_eq!(err(&mut c, &["BITFIELD", "k", "INCRBY", "u8", "0", "1.5"]), NOT_INT);
    // An error anywhere means nothing ran.
    assert_eq!(err(&mut c, &["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u99", "0"]), bad_type);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "k"]), 0);

    let _: Value = ok(&mut c, &["BITFIELD", "k", "SET", "u8", "0", "255"]);
    assert_eq!(bitfield(&mut c, &["BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i8", "0"]), [Some(255), Some(-1)]);
    assert_eq!(bitfield(&mut c, &["BITFIELD_RO", "k"]), []);
    for write in [
        &["BITFIELD_RO", "k", "SET", "u8", "0", "100", "GET", "u8", "0"][..],
        &["BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"],
    ] {
        assert_eq!(err(&mut c, write), "ERR BITFIELD_RO only supports the GET subcommand");
    }
    assert_eq!(bitfield(&mut c, &["BITFIELD_RO", "k", "GET", "u8", "0"]), [Some(255)]);
}

#[test]
fn wrong_type() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    let _: i64 = ok(&mut c, &["LPUSH", "l", "foo"]);
    let _: () = ok(&mut c, &["SET", "s", "abc"]);
    for args in [
        &["SETBIT", "l", "0", "1"][..],
        &["GETBIT", "l", "0"],
        &["BITCOUNT", "l"],
        &["BITCOUNT", "l", "0", "-1", "BIT"],
        &["BITPOS", "l", "1"],
        &["BITOP", "AND", "dest", "s", "l"],
        &["BITOP", "NOT", "dest", "l"],
        &["BITFIELD", "l", "GET", "u8", "0"],
        &["BITFIELD", "l", "SET", "u8", "0", "1"],
        &["BITFIELD_RO", "l", "GET", "u8", "0"],
    ] {
        assert_eq!(err(&mut c, args), wrongtype, "{args:?}");
    }
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "dest"]), 0);
    assert_eq!(ok::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]), vec!["foo"]);
    // BITOP's destination may hold any type: it is replaced.
    assert_eq!(ok::<i64>(&mut c, &["BITOP", "OR", "l", "s"]), 3);
    assert_eq!(ok::<String>(&mut c, &["GET", "l"]), "abc");
}
