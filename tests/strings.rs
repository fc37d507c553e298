//! The strings family (GET, SET and its options, SETNX, SETEX, PSETEX, MGET, MSET, MSETNX,
//! GETSET, GETDEL, GETEX, APPEND, STRLEN, the INCR family, INCRBYFLOAT, GETRANGE, SUBSTR,
//! SETRANGE, LCS) through a real server and the `redis` crate. Error texts are Redis's and
//! are asserted whole.

mod common;

use common::{err, ok};

use redis::{Connection, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs a command with binary arguments.
fn bin<T: redis::FromRedisValue>(c: &mut Connection, args: &[&[u8]]) -> T {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn ttl(c: &mut Connection, key: &str) -> i64 {
    ok(c, &["TTL", key])
}

fn pttl(c: &mut Connection, key: &str) -> i64 {
    ok(c, &["PTTL", key])
}

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

#[test]
fn get_and_set() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<Option<String>>(&mut c, &["GET", "x"]), None);
    let _: () = ok(&mut c, &["SET", "x", "foobar"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "x"]), "foobar");
    let _: () = ok(&mut c, &["SET", "x", ""]);
    assert_eq!(ok::<Option<String>>(&mut c, &["GET", "x"]), Some(String::new()));
    let _: () = ok(&mut c, &["SET", "n", "-123"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "n"]), "-123");

    let binary: &[u8] = b"a\0b\r\nc\xff";
    let _: () = bin(&mut c, &[b"SET", b"b", binary]);
    assert_eq!(bin::<Vec<u8>>(&mut c, &[b"GET", b"b"]), binary);

    let big = "abcd".repeat(1_000_000);
    let _: () = ok(&mut c, &["SET", "big", &big]);
    assert_eq!(ok::<String>(&mut c, &["GET", "big"]), big);
    assert_eq!(ok::<i64>(&mut c, &["STRLEN", "big"]), 4_000_000);

    assert_eq!(err(&mut c, &["SET", "x"]), "ERR wrong number of arguments for 'set' command");
    assert_eq!(err(&mut c, &["GET", "x", "y"]), "ERR wrong number of arguments for 'get' command");
}

#[test]
fn set_nx_xx_get() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "k", "1", "NX"]), Some("OK".into()));
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "k", "2", "nx"]), None);
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "1");
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "missing", "1", "XX"]), None);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "missing"]), 0);
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "k", "2", "XX"]), Some("OK".into()));
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "2");

    // GET returns the old value (or nil) instead of OK, also when NX/XX stop the write.
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "k", "3", "GET"]), Some("2".into()));
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "new", "v", "GET"]), None);
    assert_eq!(ok::<String>(&mut c, &["GET", "new"]), "v");
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "k", "4", "GET", "XX"]), Some("3".into()));
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "none", "x", "GET", "XX"]), None);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "none"]), 0);
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "k", "5", "NX", "GET"]), Some("4".into()));
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "4");
    assert_eq!(ok::<Option<String>>(&mut c, &["SET", "nx2", "x", "NX", "GET"]), None);
    assert_eq!(ok::<String>(&mut c, &["GET", "nx2"]), "x");

    for bad in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "XX", "NX"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "EX", "10", "PX", "100"],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "PXAT", "10", "KEEPTTL"],
        &["SET", "k", "v", "PERSIST"],
        &["SET", "k", "v", "non-existing-option"],
    ] {
        assert_eq!(err(&mut c, bad), SYNTAX, "{bad:?}");
    }
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "4");
}

#[test]
fn set_expiry_options() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "k", "v", "EX", "10"]);
    assert!((9..=10).contains(&ttl(&mut c, "k")));
    let _: () = ok(&mut c, &["SET", "k", "v", "PX", "10000"]);
    assert!((9000..=10000).contains(&pttl(&mut c, "k")));
    let at = (now_ms() / 1000 + 100).to_string();
    let _: () = ok(&mut c, &["SET", "k", "v", "EXAT", &at]);
    assert!((98..=100).contains(&ttl(&mut c, "k")));
    let at = (now_ms() + 100_000).to_string();
    let _: () = ok(&mut c, &["SET", "k", "v", "pxat", &at]);
    assert!((98_000..=100_000).contains(&pttl(&mut c, "k")));

    // KEEPTTL keeps it, a plain SET drops it.
    let _: () = ok(&mut c, &["SET", "k", "w", "KEEPTTL"]);
    assert!(pttl(&mut c, "k") > 90_000);
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "w");
    let _: () = ok(&mut c, &["SET", "k", "v"]);
    assert_eq!(ttl(&mut c, "k"), -1);

    // Options combine; the last EX wins.
    let _: () = ok(&mut c, &["SET", "k", "v", "XX", "PX", "10000", "GET"]);
    assert!((9000..=10000).contains(&pttl(&mut c, "k")));
    let _: () = ok(&mut c, &["SET", "k", "v", "EX", "100", "EX", "20"]);
    assert!((19..=20).contains(&ttl(&mut c, "k")));

    // An absolute time in the past sets a key that is already gone.
    let _: () = ok(&mut c, &["SET", "past", "v", "PXAT", "1"]);
    assert_eq!(ok::<Option<String>>(&mut c, &["GET", "past"]), None);

    for (args, cmd) in [
        (&["SET", "k", "v", "EX", "0"][..], "set"),
        (&["SET", "k", "v", "EX", "-1"], "set"),
        (&["SET", "k", "v", "PX", "0"], "set"),
        (&["SET", "k", "v", "EXAT", "0"], "set"),
        (&["SET", "k", "v", "EX", "9223372036854775807"], "set"),
        (&["SET", "k", "v", "PX", "9223372036854775807"], "set"),
        (&["SETEX", "k", "0", "v"], "setex"),
        (&["SETEX", "k", "-10", "v"], "setex"),
        (&["PSETEX", "k", "0", "v"], "psetex"),
    ] {
        assert_eq!(err(&mut c, args), format!("ERR invalid expire time in '{cmd}' command"), "{args:?}");
    }
    assert_eq!(err(&mut c, &["SET", "k", "v", "EX", "ten"]), NOT_INT);
    assert_eq!(err(&mut c, &["SET", "k", "v", "EX", "1.5"]), NOT_INT);
    assert_eq!(err(&mut c, &["SETEX", "k", "x", "v"]), NOT_INT);
    // The failed SETs changed nothing.
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "v");
    assert!((19..=20).contains(&ttl(&mut c, "k")));
}

#[test]
fn setnx_setex_psetex() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["SETNX", "k", "foobared"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["SETNX", "k", "blabla"]), 0);
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "foobared");

    let _: () = ok(&mut c, &["SETEX", "e", "100", "v"]);
    assert!((99..=100).contains(&ttl(&mut c, "e")));
    assert_eq!(ok::<String>(&mut c, &["GET", "e"]), "v");
    let _: () = ok(&mut c, &["PSETEX", "p", "100000", "w"]);
    assert!((99_000..=100_000).contains(&pttl(&mut c, "p")));
    assert_eq!(ok::<String>(&mut c, &["GET", "p"]), "w");
    // A short expiry really expires, and SETNX may then set the key again.
    let _: () = ok(&mut c, &["PSETEX", "short", "1", "x"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(ok::<i64>(&mut c, &["SETNX", "short", "y"]), 1);
    assert_eq!(ok::<String>(&mut c, &["GET", "short"]), "y");
    assert_eq!(ttl(&mut c, "short"), -1);
}

#[test]
fn mget_mset_msetnx() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["MSET", "x", "10", "y", "foo bar", "z", "x x\n\r\n"]);
    assert_eq!(
        ok::<Vec<Option<String>>>(&mut c, &["MGET", "x", "nokey", "y", "z"]),
        vec![Some("10".into()), None, Some("foo bar".into()), Some("x x\n\r\n".into())]
    );
    assert_eq!(err(&mut c, &["MSET", "a", "1", "b"]), "ERR wrong number of arguments for 'mset' command");
    assert_eq!(err(&mut c, &["MSETNX", "a", "1", "b"]), "ERR wrong number of arguments for 'msetnx' command");
    assert_eq!(err(&mut c, &["MSET", "a"]), "ERR wrong number of arguments for 'mset' command");

    assert_eq!(ok::<i64>(&mut c, &["MSETNX", "x1", "xxx", "y2", "yyy", "x", "20"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "x1", "y2"]), 0);
    assert_eq!(ok::<String>(&mut c, &["GET", "x"]), "10");
    assert_eq!(ok::<i64>(&mut c, &["MSETNX", "x1", "xxx", "y2", "yyy"]), 1);
    assert_eq!(ok::<Vec<String>>(&mut c, &["MGET", "x1", "y2"]), vec!["xxx", "yyy"]);
    assert_eq!(ok::<i64>(&mut c, &["MSETNX", "same", "a", "same", "b"]), 1);
    assert_eq!(ok::<String>(&mut c, &["GET", "same"]), "b");

    // MSET clears TTLs, like SET.
    let _: () = ok(&mut c, &["SETEX", "x", "100", "v"]);
    let _: () = ok(&mut c, &["MSET", "x", "w"]);
    assert_eq!(ttl(&mut c, "x"), -1);
}

#[test]
fn getset_getdel_getex() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<Option<String>>(&mut c, &["GETSET", "k", "xyz"]), None);
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "xyz");
    let _: () = ok(&mut c, &["SETEX", "k", "100", "bar"]);
    assert_eq!(ok::<Option<String>>(&mut c, &["GETSET", "k", "baz"]), Some("bar".into()));
    assert_eq!(ttl(&mut c, "k"), -1);

    assert_eq!(ok::<Option<String>>(&mut c, &["GETDEL", "k"]), Some("baz".into()));
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "k"]), 0);
    assert_eq!(ok::<Option<String>>(&mut c, &["GETDEL", "k"]), None);

    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(ok::<String>(&mut c, &["GETEX", "foo"]), "bar");
    assert_eq!(ttl(&mut c, "foo"), -1);
    assert_eq!(ok::<String>(&mut c, &["GETEX", "foo", "EX", "100"]), "bar");
    assert!((99..=100).contains(&ttl(&mut c, "foo")));
    assert_eq!(ok::<String>(&mut c, &["GETEX", "foo", "PERSIST"]), "bar");
    assert_eq!(ttl(&mut c, "foo"), -1);
    assert_eq!(ok::<String>(&mut c, &["GETEX", "foo", "px", "100000"]), "bar");
    assert!((99_000..=100_000).contains(&pttl(&mut c, "foo")));
    let at = (now_ms() / 1000 + 50).to_string();
    assert_eq!(ok::<String>(&mut c, &["GETEX", "foo", "EXAT", &at]), "bar");
    assert!((48..=50).contains(&ttl(&mut c, "foo")));
    let at = (now_ms() + 50_000).to_string();
    assert_eq!(ok::<String>(&mut c, &["GETEX", "foo", "PXAT", &at]), "bar");
    assert!((48_000..=50_000).contains(&pttl(&mut c, "foo")));
    // An absolute time already past returns the value and deletes the key.
    assert_eq!(ok::<String>(&mut c, &["GETEX", "foo", "PXAT", "1"]), "bar");
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "foo"]), 0);

    assert_eq!(ok::<Option<String>>(&mut c, &["GETEX", "missing", "EX", "10"]), None);
    // Redis checks the key before the expiry: a missing key answers nil even to a bad one.
    assert_eq!(ok::<Option<String>>(&mut c, &["GETEX", "missing", "EX", "-1"]), None);
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(err(&mut c, &["GETEX", "foo", "EX", "0"]), "ERR invalid expire time in 'getex' command");
    assert_eq!(err(&mut c, &["GETEX", "foo", "EX", "x"]), NOT_INT);
    for bad in [
        &["GETEX", "foo", "non-existent-option"][..],
        &["GETEX", "foo", "KEEPTTL"],
        &["GETEX", "foo", "NX"],
        &["GETEX", "foo", "GET"],
        &["GETEX", "foo", "EX", "10", "PERSIST"],
        &["GETEX", "foo", "PERSIST", "PX", "10"],
        &["GETEX", "foo", "EX"],
    ] {
        assert_eq!(err(&mut c, bad), SYNTAX, "{bad:?}");
    }
    assert_eq!(err(&mut c, &["GETEX"]), "ERR wrong number of arguments for 'getex' command");
    assert_eq!(ttl(&mut c, "foo"), -1);
}

#[test]
fn append_and_strlen() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["STRLEN", "k"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["APPEND", "k", "Hello"]), 5);
    assert_eq!(ok::<i64>(&mut c, &["APPEND", "k", " World"]), 11);
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "Hello World");
    assert_eq!(ok::<i64>(&mut c, &["APPEND", "k", ""]), 11);
    assert_eq!(ok::<i64>(&mut c, &["STRLEN", "k"]), 11);

    let _: () = ok(&mut c, &["SET", "n", "-555"]);
    assert_eq!(ok::<i64>(&mut c, &["STRLEN", "n"]), 4);
    assert_eq!(ok::<i64>(&mut c, &["APPEND", "n", "1"]), 5);
    assert_eq!(ok::<i64>(&mut c, &["INCR", "n"]), -5550);

    // APPEND keeps the TTL; many small appends add up.
    let _: () = ok(&mut c, &["SETEX", "t", "100", "a"]);
    for _ in 0..1000 {
        let _: i64 = ok(&mut c, &["APPEND", "t", "bc"]);
    }
    assert_eq!(ok::<i64>(&mut c, &["STRLEN", "t"]), 2001);
    assert!(ttl(&mut c, "t") > 90);
}

#[test]
fn incr_family() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["INCR", "n"]), 1);
    assert_eq!(ok::<String>(&mut c, &["GET", "n"]), "1");
    assert_eq!(ok::<i64>(&mut c, &["INCR", "n"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["DECR", "n"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["DECR", "fresh"]), -1);
    let _: () = ok(&mut c, &["SET", "n", "17179869184"]);
    assert_eq!(ok::<i64>(&mut c, &["INCRBY", "n", "17179869184"]), 34359738368);
    assert_eq!(ok::<i64>(&mut c, &["DECRBY", "n", "34359738369"]), -1);
    assert_eq!(ok::<i64>(&mut c, &["INCRBY", "n", "-9"]), -10);

    let _: () = ok(&mut c, &["SET", "max", "9223372036854775807"]);
    assert_eq!(err(&mut c, &["INCR", "max"]), "ERR increment or decrement would overflow");
    assert_eq!(err(&mut c, &["INCRBY", "max", "1"]), "ERR increment or decrement would overflow");
    let _: () = ok(&mut c, &["SET", "min", "-9223372036854775808"]);
    assert_eq!(err(&mut c, &["DECR", "min"]), "ERR increment or decrement would overflow");
    assert_eq!(ok::<i64>(&mut c, &["INCRBY", "min", "9223372036854775807"]), -1);
    let _: () = ok(&mut c, &["SET", "x", "0"]);
    assert_eq!(err(&mut c, &["DECRBY", "x", "-9223372036854775808"]), "ERR decrement would overflow");

    for bad in ["    11", "11    ", "1.5", "abc", "", "01", "+1", "9223372036854775808"] {
        let _: () = ok(&mut c, &["SET", "bad", bad]);
        assert_eq!(err(&mut c, &["INCR", "bad"]), NOT_INT, "{bad:?}");
        assert_eq!(ok::<String>(&mut c, &["GET", "bad"]), bad);
    }
    assert_eq!(err(&mut c, &["INCRBY", "n", "1.0"]), NOT_INT);
    assert_eq!(err(&mut c, &["DECRBY", "n", "x"]), NOT_INT);

    // INCR keeps the TTL.
    let _: () = ok(&mut c, &["SETEX", "t", "100", "5"]);
    assert_eq!(ok::<i64>(&mut c, &["INCR", "t"]), 6);
    assert!(ttl(&mut c, "t") > 90);
}

#[test]
fn incrbyfloat_uses_long_double_like_redis() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "1"]), "1");
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "0.25"]), "1.25");
    assert_eq!(ok::<String>(&mut c, &["GET", "f"]), "1.25");
    let _: () = ok(&mut c, &["SET", "f", "10.50"]);
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "0.1"]), "10.6");
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "-5"]), "5.6");
    let _: () = ok(&mut c, &["SET", "f", "5.0e3"]);
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "2.0e2"]), "5200");
    // Where f64 says 0.30000000000000004, 80-bit long double says 0.3.
    let _: () = ok(&mut c, &["SET", "f", "0.1"]);
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "0.2"]), "0.3");
    // And where long double shows its own rounding, so do we (glibc's digits).
    let _: () = ok(&mut c, &["SET", "f", "5000.1"]);
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "0"]), "5000.10000000000000009");
    let _: () = ok(&mut c, &["SET", "f", "17179869184"]);
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "1.5"]), "17179869185.5");
    let _: () = ok(&mut c, &["SET", "f", "1"]);
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "-1.1"]), "-0.1");
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "f", "0x1p-1"]), "0.4");
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "z", "0.024390243902439025"]), "0.02439024390243902");
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "z", "-0.024390243902439025"]), "0");
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "z", "-1e-30"]), "0");
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "big", "1e20"]), "100000000000000000000");

    let nan_inf = "ERR increment would produce NaN or Infinity";
    let _: () = ok(&mut c, &["SET", "f", "0"]);
    assert_eq!(err(&mut c, &["INCRBYFLOAT", "f", "+inf"]), nan_inf);
    assert_eq!(err(&mut c, &["INCRBYFLOAT", "f", "-Infinity"]), nan_inf);
    let _: () = ok(&mut c, &["SET", "f", "1.1e4932"]);
    assert_eq!(err(&mut c, &["INCRBYFLOAT", "f", "1e4932"]), nan_inf);
    for bad in ["nan", "abc", "1e", "", " 1", "1 ", "1e5000", "1e-5000", "--1"] {
        assert_eq!(err(&mut c, &["INCRBYFLOAT", "f", bad]), NOT_FLOAT, "{bad:?}");
    }
    for bad in ["    11", "11    ", " 11 ", "abc", "1\x002"] {
        let _: () = ok(&mut c, &["SET", "bad", bad]);
        assert_eq!(err(&mut c, &["INCRBYFLOAT", "bad", "1.0"]), NOT_FLOAT, "{bad:?}");
    }
    let _: () = ok(&mut c, &["SETEX", "t", "100", "1.5"]);
    assert_eq!(ok::<String>(&mut c, &["INCRBYFLOAT", "t", "1.5"]), "3");
    assert!(ttl(&mut c, "t") > 90);
}

#[test]
fn getrange_and_substr() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<String>(&mut c, &["GETRANGE", "none", "0", "-1"]), "");
    let _: () = ok(&mut c, &["SET", "k", "Hello World"]);
    for (start, end, want) in [
        ("0", "3", "Hell"),
        ("0", "-1", "Hello World"),
        ("-4", "-1", "orld"),
        ("5", "3", ""),
        ("5", "5000", " World"),
        ("-5000", "10000", "Hello World"),
        ("-1", "-5", ""),
        ("0", "4294967297", "Hello World"),
        ("-9223372036854775808", "9223372036854775807", "Hello World"),
    ] {
        assert_eq!(ok::<String>(&mut c, &["GETRANGE", "k", start, end]), want, "{start} {end}");
        assert_eq!(ok::<String>(&mut c, &["SUBSTR", "k", start, end]), want, "{start} {end}");
    }
    let _: () = ok(&mut c, &["SET", "n", "1234"]);
    assert_eq!(ok::<String>(&mut c, &["GETRANGE", "n", "0", "2"]), "123");
    assert_eq!(ok::<String>(&mut c, &["GETRANGE", "n", "-3", "-1"]), "234");
    assert_eq!(ok::<String>(&mut c, &["GETRANGE", "n", "3", "5000"]), "4");
    let _: () = ok(&mut c, &["SET", "e", ""]);
    assert_eq!(ok::<String>(&mut c, &["GETRANGE", "e", "0", "-1"]), "");
    assert_eq!(err(&mut c, &["GETRANGE", "k", "a", "1"]), NOT_INT);
    assert_eq!(err(&mut c, &["GETRANGE", "k", "0", "1.5"]), NOT_INT);
}

#[test]
fn setrange() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "k", "0", "foo"]), 3);
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "foo");
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "e", "0", ""]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "e"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "p", "1", "foo"]), 4);
    assert_eq!(bin::<Vec<u8>>(&mut c, &[b"GET", b"p"]), b"\0foo");

    let _: () = ok(&mut c, &["SET", "k", "foo"]);
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "k", "0", "b"]), 3);
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "boo");
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "k", "0", ""]), 3);
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "k", "1", "x"]), 3);
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "bxo");
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "k", "4", "bar"]), 7);
    assert_eq!(bin::<Vec<u8>>(&mut c, &[b"GET", b"k"]), b"bxo\0bar");

    let _: () = ok(&mut c, &["SET", "n", "1234"]);
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "n", "0", "2"]), 4);
    assert_eq!(ok::<i64>(&mut c, &["INCR", "n"]), 2235);
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "n", "5", "2"]), 6);
    assert_eq!(bin::<Vec<u8>>(&mut c, &[b"GET", b"n"]), b"2235\x002");

    // SETRANGE keeps the TTL.
    let _: () = ok(&mut c, &["SETEX", "t", "100", "abc"]);
    assert_eq!(ok::<i64>(&mut c, &["SETRANGE", "t", "1", "X"]), 3);
    assert!(ttl(&mut c, "t") > 90);

    assert_eq!(err(&mut c, &["SETRANGE", "k", "-1", "world"]), "ERR offset is out of range");
    assert_eq!(err(&mut c, &["SETRANGE", "k", "x", "world"]), NOT_INT);
    let limit = (512 * 1024 * 1024 - 4).to_string();
    assert_eq!(err(&mut c, &["SETRANGE", "big", &limit, "world"]), TOO_BIG);
    assert_eq!(err(&mut c, &["SETRANGE", "k", &limit, "world"]), TOO_BIG);
    assert_eq!(err(&mut c, &["SETRANGE", "k", "9223372036854775807", "A"]), TOO_BIG);
    assert_eq!(err(&mut c, &["SETRANGE", "k", "2147483647", "A"]), TOO_BIG);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "big"]), 0);
    assert_eq!(bin::<Vec<u8>>(&mut c, &[b"GET", b"k"]), b"bxo\0bar");
}

#[test]
fn lcs() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
    assert_eq!(ok::<String>(&mut c, &["LCS", "key1", "key2"]), "mytext");
    assert_eq!(ok::<i64>(&mut c, &["LCS", "key1", "key2", "LEN"]), 6);
    let idx: Value = ok(&mut c, &["LCS", "key1", "key2", "IDX"]);
    let expected = |with_len: bool| {
        let range = |a: i64, b: i64| Value::Array(vec![Value::Int(a), Value::Int(b)]);
        let m = |a, b, len| {
            let mut v = vec![a, b];
            if with_len {
                v.push(Value::Int(len));
            }
            Value::Array(v)
        };
        Value::Array(vec![
            Value::BulkString(b"matches".to_vec()),
            Value::Array(vec![m(range(4, 7), range(5, 8), 4), m(range(2, 3), range(0, 1), 2)]),
            Value::BulkString(b"len".to_vec()),
            Value::Int(6),
        ])
    };
    assert_eq!(idx, expected(false));
    assert_eq!(ok::<Value>(&mut c, &["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"]), expected(true));
    let min4: Value = ok(&mut c, &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]);
    let Value::Array(items) = min4 else { panic!("{min4:?}") };
    assert_eq!(
        items[1],
        Value::Array(vec![Value::Array(vec![
            Value::Array(vec![Value::Int(4), Value::Int(7)]),
            Value::Array(vec![Value::Int(5), Value::Int(8)]),
            Value::Int(4)
        ])])
    );
    assert_eq!(ok::<String>(&mut c, &["LCS", "key1", "missing"]), "");
    assert_eq!(ok::<i64>(&mut c, &["LCS", "missing", "missing2", "LEN"]), 0);
    let _: () = ok(&mut c, &["SET", "n1", "12345"]);
    let _: () = ok(&mut c, &["SET", "n2", "2x4"]);
    assert_eq!(ok::<String>(&mut c, &["LCS", "n1", "n2"]), "24");

    assert_eq!(
        err(&mut c, &["LCS", "key1", "key2", "LEN", "IDX"]),
        "ERR If you want both the length and indexes, please just use IDX."
    );
    assert_eq!(err(&mut c, &["LCS", "key1", "key2", "BOGUS"]), SYNTAX);
    assert_eq!(err(&mut c, &["LCS", "key1", "key2", "MINMATCHLEN"]), SYNTAX);
    assert_eq!(err(&mut c, &["LCS", "key1", "key2", "MINMATCHLEN", "x"]), NOT_INT);
    assert_eq!(err(&mut c, &["LCS", "key1"]), "ERR wrong number of arguments for 'lcs' command");

    // The O(n*m) table is bounded: 6000 x 6000 bytes is refused, 5000 x 5000 is computed.
    let a = "ab".repeat(3000);
    let b = "ba".repeat(3000);
    let _: () = ok(&mut c, &["MSET", "a", &a, "b", &b]);
    let e = err(&mut c, &["LCS", "a", "b"]);
    assert!(e.starts_with("ERR Insufficient memory, LCS of strings of 6000 and 6000 bytes"), "{e}");
    let _: () = ok(&mut c, &["MSET", "a", &a[..5000], "b", &b[..5000]]);
    assert_eq!(ok::<i64>(&mut c, &["LCS", "a", "b", "LEN"]), 4999);
}

#[test]
fn wrong_type() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    let _: i64 = ok(&mut c, &["RPUSH", "l", "waffle"]);
    for args in [
        &["GET", "l"][..],
        &["SET", "l", "v", "GET"],
        &["SET", "l", "v", "NX", "GET"],
        &["GETSET", "l", "v"],
        &["GETDEL", "l"],
        &["GETEX", "l", "EX", "10"],
        &["APPEND", "l", "x"],
        &["STRLEN", "l"],
        &["INCR", "l"],
        &["DECR", "l"],
        &["INCRBY", "l", "1"],
        &["DECRBY", "l", "1"],
        &["INCRBYFLOAT", "l", "1.5"],
        &["GETRANGE", "l", "0", "-1"],
        &["SUBSTR", "l", "0", "-1"],
        &["SETRANGE", "l", "0", "x"],
        &["SETRANGE", "l", "0", ""],
    ] {
        assert_eq!(err(&mut c, args), wrongtype, "{args:?}");
    }
    // Redis checks the key type before it looks at the increment.
    assert_eq!(err(&mut c, &["INCRBYFLOAT", "l", "abc"]), wrongtype);
    assert_eq!(err(&mut c, &["SETRANGE", "l", "9223372036854775807", "x"]), wrongtype);
    assert_eq!(err(&mut c, &["LCS", "l", "missing"]), "ERR The specified keys must contain string values");
    assert_eq!(err(&mut c, &["LCS", "missing", "l", "LEN"]), "ERR The specified keys must contain string values");
    // The list is untouched by all of the above.
    assert_eq!(ok::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]), vec!["waffle"]);
    // MGET answers nil for it; SETNX sees it exists; SET and MSET overwrite it.
    assert_eq!(ok::<Vec<Option<String>>>(&mut c, &["MGET", "l"]), vec![None]);
    assert_eq!(ok::<i64>(&mut c, &["SETNX", "l", "v"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["MSETNX", "l", "v", "other", "w"]), 0);
    let _: () = ok(&mut c, &["SET", "l", "v"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "l"]), "v");
    let _: i64 = ok(&mut c, &["RPUSH", "l2", "x"]);
    let _: () = ok(&mut c, &["MSET", "l2", "7"]);
    assert_eq!(ok::<i64>(&mut c, &["INCR", "l2"]), 8);
}
