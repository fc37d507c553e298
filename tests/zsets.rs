//! The sorted-sets family (ZADD and its options, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE,
//! ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, the ZRANGE family and ZRANGESTORE, the ZREMRANGEBY
//! commands, ZPOPMIN/ZPOPMAX, ZMPOP, ZRANDMEMBER, the union/intersection/difference
//! commands, ZINTERCARD, ZSCAN) through a real server and the `redis` crate: replies,
//! Redis's error texts, encodings, RESP3 shapes, and hostile arguments.

mod common;

use common::{err, ok};

use redis::{Connection, Value};
use std::time::{Duration, Instant};

fn strs(c: &mut Connection, args: &[&str]) -> Vec<String> {
    ok(c, args)
}

fn resp3(s: &common::Server) -> Connection {
    redis::Client::open(format!("{}?protocol=resp3", s.url())).unwrap().get_connection().unwrap()
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

const SYNTAX: &str = "ERR syntax error";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const RANGE_NOT_FLOAT: &str = "ERR min or max is not a float";
const LEX_INVALID: &str = "ERR min or max not valid string range item";

#[test]
fn zadd_options_and_errors() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["ZADD", "z", "10", "x", "20", "y", "30", "z"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["ZADD", "z", "1", "y"]), 0);
    assert_eq!(strs(&mut c, &["ZRANGE", "z", "0", "-1"]), ["y", "x", "z"]);
    // XX: only existing members, no key created.
    assert_eq!(ok::<i64>(&mut c, &["ZADD", "none", "XX", "1", "a"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "none"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["ZADD", "z", "XX", "CH", "5", "foo", "11", "x"]), 1);
    assert_eq!(ok::<f64>(&mut c, &["ZSCORE", "z", "x"]), 11.0);
    // NX: only new members.
    assert_eq!(ok::<i64>(&mut c, &["ZADD", "z", "NX", "99", "x", "100", "a"]), 1);
    assert_eq!(ok::<f64>(&mut c, &["ZSCORE", "z", "x"]), 11.0);
    // GT / LT with CH.
    let _: i64 = ok(&mut c, &["DEL", "g"]);
    let _: i64 = ok(&mut c, &["ZADD", "g", "10", "x", "20", "y", "30", "z"]);
    assert_eq!(ok::<i64>(&mut c, &["ZADD", "g", "GT", "CH", "5", "foo", "11", "x", "21", "y", "29", "z"]), 3);
    assert_eq!(strs(&mut c, &["ZRANGE", "g", "0", "-1", "WITHSCORES"]), ["foo", "5", "x", "11", "y", "21", "z", "30"]);
    assert_eq!(ok::<i64>(&mut c, &["ZADD", "g", "LT", "CH", "1", "x", "100", "y"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["ZADD", "g", "GT", "XX", "CH", "2", "x", "50", "new"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "g"]), 1);
    assert_eq!(ok::<Option<f64>>(&mut c, &["ZSCORE", "g", "new"]), None);
    // INCR.
    assert_eq!(ok::<f64>(&mut c, &["ZADD", "g", "INCR", "1.5", "x"]), 3.5);
    assert_eq!(ok::<Option<f64>>(&mut c, &["ZADD", "g", "LT", "INCR", "1", "x"]), None);
    assert_eq!(ok::<Option<f64>>(&mut c, &["ZADD", "g", "NX", "INCR", "1", "x"]), None);
    assert_eq!(ok::<Option<f64>>(&mut c, &["ZADD", "g", "XX", "INCR", "1", "nope"]), None);
    assert_eq!(ok::<f64>(&mut c, &["ZINCRBY", "g", "-0.5", "x"]), 3.0);
    assert_eq!(ok::<f64>(&mut c, &["ZINCRBY", "fresh", "2", "m"]), 2.0);
    // Errors, with nothing applied.
    assert_eq!(
        err(&mut c, &["ZADD", "z", "XX", "NX", "1", "a"]),
        "ERR XX and NX options at the same time are not compatible"
    );
    for opts in [["GT", "NX"], ["LT", "NX"], ["GT", "LT"]] {
        let e = err(&mut c, &["ZADD", "z", opts[0], opts[1], "1", "a"]);
        assert_eq!(e, "ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    assert_eq!(
        err(&mut c, &["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        "ERR INCR option supports a single increment-element pair"
    );
    assert_eq!(err(&mut c, &["ZADD", "z", "1", "a", "2"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZADD", "z", "XX"]), "ERR wrong number of arguments for 'zadd' command");
    assert_eq!(err(&mut c, &["ZADD", "z", "NX", "XX"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZADD", "v", "10", "a", "20", "b", "30.badscore", "c"]), NOT_FLOAT);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "v"]), 0);
    for bad in ["nan", "", " 1", "1e400", "abc"] {
        assert_eq!(err(&mut c, &["ZADD", "v", bad, "a"]), NOT_FLOAT, "{bad:?}");
    }
    assert_eq!(err(&mut c, &["ZINCRBY", "z", "10", "a", "b"]), "ERR wrong number of arguments for 'zincrby' command");
    let _: f64 = ok(&mut c, &["ZINCRBY", "n", "+inf", "a"]);
    assert_eq!(err(&mut c, &["ZINCRBY", "n", "-inf", "a"]), "ERR resulting score is not a number (NaN)");
    assert_eq!(err(&mut c, &["ZADD", "n", "INCR", "-inf", "a"]), "ERR resulting score is not a number (NaN)");
    // Infinities and odd spellings of numbers.
    assert_eq!(ok::<i64>(&mut c, &["ZADD", "inf", "+inf", "p", "-inf", "m", "0x10", "h", "1e2", "e"]), 4);
    assert_eq!(
        strs(&mut c, &["ZRANGE", "inf", "0", "-1", "WITHSCORES"]),
        ["m", "-inf", "h", "16", "e", "100", "p", "inf"]
    );
    let dblmax = "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.00000000000000000";
    let _: i64 = ok(&mut c, &["ZADD", "inf", dblmax, "max"]);
    assert_eq!(ok::<String>(&mut c, &["ZSCORE", "inf", "max"]), "1.7976931348623157e+308");
    // Wrong type.
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    assert_eq!(err(&mut c, &["ZADD", "str", "1", "a"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["ZINCRBY", "str", "1", "a"]), WRONGTYPE);
}

#[test]
fn reads_and_removal() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["ZADD", "z", "10", "a", "20", "b", "30", "c"]);
    assert_eq!(ok::<i64>(&mut c, &["ZCARD", "z"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["ZCARD", "none"]), 0);
    assert_eq!(ok::<String>(&mut c, &["ZSCORE", "z", "b"]), "20");
    assert_eq!(ok::<Option<String>>(&mut c, &["ZSCORE", "z", "q"]), None);
    assert_eq!(ok::<Option<String>>(&mut c, &["ZSCORE", "none", "q"]), None);
    let got: Vec<Option<f64>> = ok(&mut c, &["ZMSCORE", "z", "a", "q", "c"]);
    assert_eq!(got, [Some(10.0), None, Some(30.0)]);
    let got: Vec<Option<f64>> = ok(&mut c, &["ZMSCORE", "none", "a", "b"]);
    assert_eq!(got, [None, None]);
    assert_eq!(err(&mut c, &["ZMSCORE", "z"]), "ERR wrong number of arguments for 'zmscore' command");
    assert_eq!(ok::<i64>(&mut c, &["ZRANK", "z", "a"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["ZREVRANK", "z", "a"]), 2);
    assert_eq!(ok::<Option<i64>>(&mut c, &["ZRANK", "z", "q"]), None);
    assert_eq!(ok::<Option<i64>>(&mut c, &["ZREVRANK", "none", "q"]), None);
    // A RESP2 score is %.17g.
    let _: i64 = ok(&mut c, &["ZADD", "f", "0.1", "a", "-0", "b"]);
    assert_eq!(ok::<String>(&mut c, &["ZSCORE", "f", "a"]), "0.10000000000000001");
    // ZREM removes the key with its last member.
    assert_eq!(ok::<i64>(&mut c, &["ZREM", "z", "x", "a", "b", "k"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["ZREM", "z", "c", "d"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "z"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["ZREM", "z", "c"]), 0);
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    for cmd in [
        &["ZCARD", "str"][..],
        &["ZSCORE", "str", "a"],
        &["ZMSCORE", "str", "a"],
        &["ZRANK", "str", "a"],
        &["ZREM", "str", "a"],
    ] {
        assert_eq!(err(&mut c, cmd), WRONGTYPE, "{cmd:?}");
    }
}

fn default_zset(c: &mut Connection) {
    let _: i64 = ok(c, &["DEL", "zset"]);
    let _: i64 = ok(c, &["ZADD", "zset", "-inf", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "+inf", "g"]);
}

fn lex_zset(c: &mut Connection) {
    let _: i64 = ok(c, &["DEL", "lex"]);
    let mut args = vec!["ZADD", "lex"];
    for m in ["alpha", "bar", "cool", "down", "elephant", "foo", "great", "hill", "omega"] {
        args.extend(["0", m]);
    }
    let _: i64 = ok(c, &args);
}

fn ranges(c: &mut Connection) {
    default_zset(c);
    assert_eq!(strs(c, &["ZRANGE", "zset", "0", "-1"]), ["a", "b", "c", "d", "e", "f", "g"]);
    assert_eq!(strs(c, &["ZRANGE", "zset", "-2", "-1"]), ["f", "g"]);
    assert_eq!(strs(c, &["ZRANGE", "zset", "5", "1"]), Vec::<String>::new());
    assert_eq!(strs(c, &["ZRANGE", "zset", "-100", "1"]), ["a", "b"]);
    assert_eq!(strs(c, &["ZREVRANGE", "zset", "0", "2", "WITHSCORES"]), ["g", "inf", "f", "5", "e", "4"]);
    assert_eq!(strs(c, &["ZRANGE", "zset", "0", "1", "REV"]), ["g", "f"]);
    assert_eq!(strs(c, &["ZRANGEBYSCORE", "zset", "0", "3"]), ["b", "c", "d"]);
    assert_eq!(strs(c, &["ZRANGEBYSCORE", "zset", "(0", "(3"]), ["b", "c"]);
    assert_eq!(strs(c, &["ZRANGEBYSCORE", "zset", "(4", "(+inf"]), ["f"]);
    assert_eq!(strs(c, &["ZRANGEBYSCORE", "zset", "-inf", "2", "WITHSCORES"]), ["a", "-inf", "b", "1", "c", "2"]);
    assert_eq!(strs(c, &["ZRANGEBYSCORE", "zset", "0", "10", "LIMIT", "2", "3"]), ["d", "e", "f"]);
    assert_eq!(strs(c, &["ZRANGEBYSCORE", "zset", "0", "10", "LIMIT", "20", "3"]), Vec::<String>::new());
    assert_eq!(strs(c, &["ZRANGEBYSCORE", "zset", "0", "10", "LIMIT", "-1", "3"]), Vec::<String>::new());
    assert_eq!(strs(c, &["ZRANGEBYSCORE", "zset", "0", "10", "LIMIT", "1", "-1"]), ["c", "d", "e", "f"]);
    assert_eq!(strs(c, &["ZREVRANGEBYSCORE", "zset", "10", "0", "LIMIT", "2", "3"]), ["d", "c", "b"]);
    assert_eq!(strs(c, &["ZREVRANGEBYSCORE", "zset", "(6", "(3"]), ["f", "e"]);
    assert_eq!(
        strs(c, &["ZRANGE", "zset", "5", "2", "BYSCORE", "REV", "LIMIT", "0", "2", "WITHSCORES"]),
        ["f", "5", "e", "4"]
    );
    assert_eq!(strs(c, &["ZRANGEBYSCORE", "zset", "2.4", "2.6"]), Vec::<String>::new());
    assert_eq!(ok::<i64>(c, &["ZCOUNT", "zset", "0", "3"]), 3);
    assert_eq!(ok::<i64>(c, &["ZCOUNT", "zset", "(0", "(3"]), 2);
    assert_eq!(ok::<i64>(c, &["ZCOUNT", "zset", "-inf", "+inf"]), 7);
    assert_eq!(ok::<i64>(c, &["ZCOUNT", "zset", "3", "1"]), 0);
    lex_zset(c);
    assert_eq!(strs(c, &["ZRANGEBYLEX", "lex", "-", "[cool"]), ["alpha", "bar", "cool"]);
    assert_eq!(strs(c, &["ZRANGEBYLEX", "lex", "(bar", "(down"]), ["cool"]);
    assert_eq!(strs(c, &["ZREVRANGEBYLEX", "lex", "+", "[d", "LIMIT", "0", "4"]), ["omega", "hill", "great", "foo"]);
    assert_eq!(strs(c, &["ZRANGE", "lex", "[b", "[c", "BYLEX"]), ["bar"]);
    assert_eq!(strs(c, &["ZRANGE", "lex", "[cool", "-", "BYLEX", "REV"]), ["cool", "bar", "alpha"]);
    assert_eq!(ok::<i64>(c, &["ZLEXCOUNT", "lex", "-", "+"]), 9);
    assert_eq!(ok::<i64>(c, &["ZLEXCOUNT", "lex", "+", "-"]), 0);
    assert_eq!(ok::<i64>(c, &["ZLEXCOUNT", "lex", "[bar", "(foo"]), 4);
    assert_eq!(ok::<i64>(c, &["ZLEXCOUNT", "lex", "(maxstring", "+"]), 1);
    assert_eq!(ok::<i64>(c, &["ZLEXCOUNT", "none", "-", "+"]), 0);
}

#[test]
fn range_commands_in_both_encodings() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    ranges(&mut c);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "zset"]), "listpack");
    let _: () = ok(&mut c, &["CONFIG", "SET", "zset-max-listpack-entries", "0"]);
    ranges(&mut c);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "zset"]), "skiplist");
}

#[test]
fn range_errors() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    default_zset(&mut c);
    assert_eq!(
        err(&mut c, &["ZRANGE", "zset", "0", "-1", "LIMIT", "1", "2"]),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
    assert_eq!(
        err(&mut c, &["ZRANGE", "zset", "-", "+", "BYLEX", "WITHSCORES"]),
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    );
    assert_eq!(err(&mut c, &["ZREVRANGE", "zset", "0", "-1", "BYSCORE"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZRANGEBYSCORE", "zset", "0", "-1", "REV"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZRANGE", "zset", "0", "-1", "REV", "REV"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZRANGE", "zset", "0", "-1", "BYSCORE", "BYLEX"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZRANGE", "zset", "a", "-1"]), NOT_INT);
    assert_eq!(err(&mut c, &["ZRANGE", "zset", "0", "1", "BYSCORE", "LIMIT", "x", "1"]), NOT_INT);
    for (min, max) in [("str", "1"), ("1", "str"), ("1", "NaN"), ("(", "x")] {
        assert_eq!(err(&mut c, &["ZRANGEBYSCORE", "zset", min, max]), RANGE_NOT_FLOAT);
        assert_eq!(err(&mut c, &["ZCOUNT", "zset", min, max]), RANGE_NOT_FLOAT);
        assert_eq!(err(&mut c, &["ZREMRANGEBYSCORE", "zset", min, max]), RANGE_NOT_FLOAT);
    }
    for (min, max) in [("foo", "bar"), ("[foo", "bar"), ("+x", "[bar"), ("-x", "[bar")] {
        assert_eq!(err(&mut c, &["ZRANGEBYLEX", "zset", min, max]), LEX_INVALID);
        assert_eq!(err(&mut c, &["ZLEXCOUNT", "zset", min, max]), LEX_INVALID);
        assert_eq!(err(&mut c, &["ZREMRANGEBYLEX", "zset", min, max]), LEX_INVALID);
    }
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    assert_eq!(err(&mut c, &["ZRANGE", "str", "0", "-1"]), WRONGTYPE);
    assert_eq!(strs(&mut c, &["ZRANGE", "none", "0", "-1"]), Vec::<String>::new());
    // Extreme indexes and limits are fine.
    assert_eq!(strs(&mut c, &["ZRANGE", "zset", "-9223372036854775808", "9223372036854775807"]).len(), 7);
    let got = strs(
        &mut c,
        &["ZRANGE", "zset", "-inf", "+inf", "BYSCORE", "LIMIT", "9223372036854775807", "9223372036854775807"],
    );
    assert!(got.is_empty());
}

#[test]
fn zrangestore() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["ZADD", "z1", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(ok::<i64>(&mut c, &["ZRANGESTORE", "z2", "z1", "0", "-1"]), 4);
    assert_eq!(strs(&mut c, &["ZRANGE", "z2", "0", "-1", "WITHSCORES"]), ["a", "1", "b", "2", "c", "3", "d", "4"]);
    assert_eq!(ok::<i64>(&mut c, &["ZRANGESTORE", "z2", "z1", "[b", "[c", "BYLEX"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["ZRANGESTORE", "z2", "z1", "5", "0", "BYSCORE", "REV", "LIMIT", "0", "2"]), 2);
    assert_eq!(strs(&mut c, &["ZRANGE", "z2", "0", "-1"]), ["c", "d"]);
    // An empty result deletes the destination, whatever it held.
    let _: () = ok(&mut c, &["SET", "dst", "x"]);
    assert_eq!(ok::<i64>(&mut c, &["ZRANGESTORE", "dst", "z1", "5", "6"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "dst"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["ZRANGESTORE", "dst", "missing", "0", "-1"]), 0);
    // The stored set replaces a value of another type and drops its deadline.
    let _: () = ok(&mut c, &["SET", "dst", "x", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["ZRANGESTORE", "dst", "z1", "0", "0"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "dst"]), -1);
    assert_eq!(ok::<String>(&mut c, &["TYPE", "dst"]), "zset");
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    assert_eq!(err(&mut c, &["ZRANGESTORE", "z2", "str", "0", "-1"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["ZRANGESTORE", "z2", "z1", "0", "-1", "WITHSCORES"]), SYNTAX);
    // The destination's encoding follows the limits.
    let _: () = ok(&mut c, &["CONFIG", "SET", "zset-max-listpack-entries", "1"]);
    let _: i64 = ok(&mut c, &["ZRANGESTORE", "small", "z1", "0", "0"]);
    let _: i64 = ok(&mut c, &["ZRANGESTORE", "big", "z1", "0", "1"]);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "small"]), "listpack");
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "big"]), "skiplist");
}

#[test]
fn zremrange_commands() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let fill = |c: &mut Connection| {
        let _: i64 = ok(c, &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
    };
    fill(&mut c);
    assert_eq!(ok::<i64>(&mut c, &["ZREMRANGEBYRANK", "z", "1", "3"]), 3);
    assert_eq!(strs(&mut c, &["ZRANGE", "z", "0", "-1"]), ["a", "e"]);
    fill(&mut c);
    assert_eq!(ok::<i64>(&mut c, &["ZREMRANGEBYRANK", "z", "10", "-1"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["ZREMRANGEBYSCORE", "z", "(1", "(5"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "z"]), 0);
    let _: i64 = ok(&mut c, &["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d"]);
    assert_eq!(ok::<i64>(&mut c, &["ZREMRANGEBYLEX", "z", "(a", "[c"]), 2);
    assert_eq!(strs(&mut c, &["ZRANGE", "z", "0", "-1"]), ["a", "d"]);
    assert_eq!(ok::<i64>(&mut c, &["ZREMRANGEBYLEX", "z", "-", "+"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "z"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["ZREMRANGEBYRANK", "none", "0", "-1"]), 0);
    assert_eq!(err(&mut c, &["ZREMRANGEBYRANK", "z", "a", "1"]), NOT_INT);
}

#[test]
fn pops() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["ZADD", "z", "-1", "a", "1", "b", "2", "c", "3", "d", "4", "e"]);
    assert_eq!(strs(&mut c, &["ZPOPMIN", "z"]), ["a", "-1"]);
    assert_eq!(strs(&mut c, &["ZPOPMAX", "z", "2"]), ["e", "4", "d", "3"]);
    assert_eq!(ok::<Value>(&mut c, &["ZPOPMIN", "z", "0"]), Value::Array(vec![]));
    assert_eq!(strs(&mut c, &["ZPOPMIN", "z", "10"]), ["b", "1", "c", "2"]);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "z"]), 0);
    assert_eq!(ok::<Value>(&mut c, &["ZPOPMIN", "z"]), Value::Array(vec![]));
    for bad in ["-1", "x"] {
        assert_eq!(err(&mut c, &["ZPOPMIN", "z", bad]), "ERR value is out of range, must be positive");
    }
    assert_eq!(err(&mut c, &["ZPOPMAX", "z", "1", "2"]), SYNTAX);
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    assert_eq!(err(&mut c, &["ZPOPMIN", "str", "0"]), WRONGTYPE);
    // ZMPOP.
    let _: i64 = ok(&mut c, &["ZADD", "z2", "1", "a", "2", "b", "3", "c"]);
    let v: Value = ok(&mut c, &["ZMPOP", "2", "missing", "z2", "MAX", "COUNT", "2"]);
    let want = Value::Array(vec![
        bulk("z2"),
        Value::Array(vec![Value::Array(vec![bulk("c"), bulk("3")]), Value::Array(vec![bulk("b"), bulk("2")])]),
    ]);
    assert_eq!(v, want);
    assert_eq!(ok::<Value>(&mut c, &["ZMPOP", "1", "missing", "MIN"]), Value::Nil);
    assert_eq!(err(&mut c, &["ZMPOP", "1", "str", "MIN"]), WRONGTYPE);
    for (args, e) in [
        (&["ZMPOP", "0", "z2", "MIN"][..], "ERR numkeys should be greater than 0"),
        (&["ZMPOP", "a", "z2", "MIN"], "ERR numkeys should be greater than 0"),
        (&["ZMPOP", "9223372036854775807", "z2", "MIN"], SYNTAX),
        (&["ZMPOP", "1", "z2", "bad"], SYNTAX),
        (&["ZMPOP", "1", "z2", "MIN", "extra"], SYNTAX),
        (&["ZMPOP", "1", "z2", "MIN", "COUNT", "1", "COUNT", "2"], SYNTAX),
        (&["ZMPOP", "1", "z2", "MIN", "COUNT", "0"], "ERR count should be greater than 0"),
        (&["ZMPOP", "1", "z2", "MIN", "COUNT", "-1"], "ERR count should be greater than 0"),
        (&["ZMPOP", "1", "z2"], "ERR wrong number of arguments for 'zmpop' command"),
    ] {
        assert_eq!(err(&mut c, args), e, "{args:?}");
    }
    let v: Value = ok(&mut c, &["ZMPOP", "1", "z2", "MIN", "COUNT", "9223372036854775807"]);
    assert_eq!(v, Value::Array(vec![bulk("z2"), Value::Array(vec![Value::Array(vec![bulk("a"), bulk("1")])])]));
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "z2"]), 0);
}

#[test]
fn set_operations() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["ZADD", "a", "1", "a", "2", "b", "3", "c"]);
    let _: i64 = ok(&mut c, &["ZADD", "b", "1", "b", "2", "c", "3", "d"]);
    let _: i64 = ok(&mut c, &["SADD", "set", "a", "b", "c"]);
    assert_eq!(ok::<i64>(&mut c, &["ZUNIONSTORE", "out", "2", "a", "b"]), 4);
    assert_eq!(strs(&mut c, &["ZRANGE", "out", "0", "-1", "WITHSCORES"]), ["a", "1", "b", "3", "d", "3", "c", "5"]);
    assert_eq!(
        strs(&mut c, &["ZUNION", "2", "a", "b", "WEIGHTS", "2", "3", "WITHSCORES"]),
        ["a", "2", "b", "7", "d", "9", "c", "12"]
    );
    assert_eq!(
        strs(&mut c, &["ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"]),
        ["a", "1", "b", "1", "c", "2", "d", "3"]
    );
    assert_eq!(strs(&mut c, &["ZINTER", "2", "a", "b", "AGGREGATE", "max", "WITHSCORES"]), ["b", "2", "c", "3"]);
    assert_eq!(ok::<i64>(&mut c, &["ZINTERSTORE", "out", "2", "set", "b", "WEIGHTS", "2", "3"]), 2);
    assert_eq!(strs(&mut c, &["ZRANGE", "out", "0", "-1", "WITHSCORES"]), ["b", "5", "c", "8"]);
    assert_eq!(strs(&mut c, &["ZDIFF", "2", "a", "b", "WITHSCORES"]), ["a", "1"]);
    assert_eq!(strs(&mut c, &["ZDIFF", "2", "set", "b", "WITHSCORES"]), ["a", "1"]);
    assert_eq!(ok::<i64>(&mut c, &["ZDIFFSTORE", "out", "2", "a", "a"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "out"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["ZINTERCARD", "2", "a", "b"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["ZINTERCARD", "2", "a", "b", "LIMIT", "0"]), 2);
    assert_eq!(strs(&mut c, &["ZUNION", "1", "none"]), Vec::<String>::new());
    assert_eq!(ok::<i64>(&mut c, &["ZUNIONSTORE", "dst", "1", "none"]), 0);
    // inf + -inf sums to 0; a weight of 0 on an infinity gives 0.
    let _: i64 = ok(&mut c, &["ZADD", "i1", "+inf", "k"]);
    let _: i64 = ok(&mut c, &["ZADD", "i2", "-inf", "k"]);
    assert_eq!(strs(&mut c, &["ZUNION", "2", "i1", "i2", "WITHSCORES"]), ["k", "0"]);
    assert_eq!(strs(&mut c, &["ZUNION", "1", "i2", "WEIGHTS", "0", "WITHSCORES"]), ["k", "0"]);
    // Errors.
    for cmd in ["zunion", "zinter", "zdiff", "zintercard"] {
        let e = err(&mut c, &[cmd, "0", "a"]);
        assert_eq!(e, format!("ERR at least 1 input key is needed for '{cmd}' command"));
    }
    assert_eq!(
        err(&mut c, &["ZUNIONSTORE", "d", "0", "a"]),
        "ERR at least 1 input key is needed for 'zunionstore' command"
    );
    assert_eq!(err(&mut c, &["ZUNION", "3", "a", "b"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZUNION", "x", "a"]), NOT_INT);
    assert_eq!(err(&mut c, &["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZUNION", "2", "a", "b", "AGGREGATE", "avg"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZINTER", "2", "a", "b", "WEIGHTS", "nan", "nan"]), "ERR weight value is not a float");
    assert_eq!(err(&mut c, &["ZINTERCARD", "1", "a", "a"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZINTERCARD", "1", "a", "LIMIT", "-1"]), "ERR LIMIT can't be negative");
    assert_eq!(err(&mut c, &["ZINTERCARD", "1", "a", "LIMIT", "x"]), "ERR LIMIT can't be negative");
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    assert_eq!(err(&mut c, &["ZUNION", "2", "a", "str"]), WRONGTYPE);
}

#[test]
fn zrandmember() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let members = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for (i, m) in members.iter().enumerate() {
        let _: i64 = ok(&mut c, &["ZADD", "z", &(i + 1).to_string(), m]);
    }
    for enc in ["listpack", "skiplist"] {
        if enc == "skiplist" {
            let _: () = ok(&mut c, &["CONFIG", "SET", "zset-max-listpack-entries", "0"]);
            let _: i64 = ok(&mut c, &["ZUNIONSTORE", "z", "1", "z"]);
        }
        assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "z"]), enc);
        let one: String = ok(&mut c, &["ZRANDMEMBER", "z"]);
        assert!(members.contains(&one.as_str()));
        let got = strs(&mut c, &["ZRANDMEMBER", "z", "-25"]);
        assert_eq!(got.len(), 25);
        let got = strs(&mut c, &["ZRANDMEMBER", "z", "-5", "WITHSCORES"]);
        for pair in got.chunks(2) {
            let pos = members.iter().position(|m| *m == pair[0]).unwrap();
            assert_eq!(pair[1], (pos + 1).to_string());
        }
        for n in [1, 3, 8, 10, 20] {
            let mut got = strs(&mut c, &["ZRANDMEMBER", "z", &n.to_string()]);
            assert_eq!(got.len(), n.min(10));
            got.sort();
            got.dedup();
            assert_eq!(got.len(), n.min(10), "distinct for {n}");
        }
    }
    assert_eq!(ok::<Value>(&mut c, &["ZRANDMEMBER", "z", "0"]), Value::Array(vec![]));
    assert_eq!(ok::<Value>(&mut c, &["ZRANDMEMBER", "none", "5"]), Value::Array(vec![]));
    assert_eq!(ok::<Option<String>>(&mut c, &["ZRANDMEMBER", "none"]), None);
    assert_eq!(err(&mut c, &["ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"]), "ERR value is out of range");
    assert_eq!(
        err(&mut c, &["ZRANDMEMBER", "z", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(err(&mut c, &["ZRANDMEMBER", "z", "1", "bad"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZRANDMEMBER", "z", "x"]), NOT_INT);
}

#[test]
fn zscan() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["ZADD", "small", "1", "a", "2.5", "b", "-inf", "c"]);
    let (cursor, items): (String, Vec<String>) = ok(&mut c, &["ZSCAN", "small", "0"]);
    assert_eq!(cursor, "0");
    assert_eq!(items, ["c", "-inf", "a", "1", "b", "2.5"]);
    let (_, items): (String, Vec<String>) = ok(&mut c, &["ZSCAN", "small", "0", "MATCH", "b*"]);
    assert_eq!(items, ["b", "2.5"]);
    let mut args: Vec<String> = vec!["ZADD".into(), "big".into()];
    for i in 0..1000 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let _: i64 = ok(&mut c, &refs);
    let mut seen = std::collections::HashMap::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, items): (String, Vec<String>) = ok(&mut c, &["ZSCAN", "big", &cursor, "COUNT", "20"]);
        calls += 1;
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(calls > 10, "{calls}");
    assert_eq!(seen["m7"], "7");
    let (cursor, items): (String, Vec<String>) = ok(&mut c, &["ZSCAN", "none", "0"]);
    assert_eq!((cursor.as_str(), items.len()), ("0", 0));
    assert_eq!(err(&mut c, &["ZSCAN", "big", "x"]), "ERR invalid cursor");
    assert_eq!(err(&mut c, &["ZSCAN", "big", "0", "COUNT", "0"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZSCAN", "big", "0", "TYPE", "zset"]), SYNTAX);
}

#[test]
fn encodings_follow_the_limits() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let mut args = vec!["ZADD".to_string(), "z".to_string()];
    for i in 0..128 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let _: i64 = ok(&mut c, &refs);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "z"]), "listpack");
    let _: i64 = ok(&mut c, &["ZADD", "z", "1", "one-more"]);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "z"]), "skiplist");
    let long = "x".repeat(65);
    let _: i64 = ok(&mut c, &["ZADD", "l", "1", &long]);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "l"]), "skiplist");
    let _: i64 = ok(&mut c, &["ZADD", "s", "1", &"x".repeat(64)]);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "s"]), "listpack");
    // The old names are aliases; stores re-pick the encoding.
    let _: () = ok(&mut c, &["CONFIG", "SET", "zset-max-ziplist-value", "100"]);
    let _: i64 = ok(&mut c, &["ZUNIONSTORE", "u", "1", "l"]);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "u"]), "listpack");
    let _: () = ok(&mut c, &["CONFIG", "SET", "zset-max-ziplist-entries", "2"]);
    let _: i64 = ok(&mut c, &["ZADD", "t", "1", "a", "2", "b"]);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "t"]), "listpack");
    let _: i64 = ok(&mut c, &["ZADD", "t", "3", "c"]);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "t"]), "skiplist");
    // -0 is 0 in a listpack, as in Redis, and keeps its sign in a skiplist.
    let _: i64 = ok(&mut c, &["ZADD", "zero", "-0", "a"]);
    assert_eq!(ok::<String>(&mut c, &["ZSCORE", "zero", "a"]), "0");
    let _: i64 = ok(&mut c, &["ZADD", "t", "-0", "neg"]);
    assert_eq!(ok::<String>(&mut c, &["ZSCORE", "t", "neg"]), "-0");
}

#[test]
fn resp3_shapes() {
    let s = common::Server::start(&[]);
    let mut c = resp3(&s);
    let _: i64 = ok(&mut c, &["ZADD", "z", "0", "a", "1.5", "b", "3", "c", "4", "d"]);
    assert_eq!(ok::<Value>(&mut c, &["ZSCORE", "z", "b"]), Value::Double(1.5));
    assert_eq!(ok::<Value>(&mut c, &["ZINCRBY", "z", "1", "b"]), Value::Double(2.5));
    assert_eq!(ok::<Value>(&mut c, &["ZMSCORE", "z", "a", "q"]), Value::Array(vec![Value::Double(0.0), Value::Nil]));
    let pair = |m: &str, s: f64| Value::Array(vec![bulk(m), Value::Double(s)]);
    assert_eq!(
        ok::<Value>(&mut c, &["ZRANGE", "z", "0", "1", "WITHSCORES"]),
        Value::Array(vec![pair("a", 0.0), pair("b", 2.5)])
    );
    assert_eq!(ok::<Value>(&mut c, &["ZRANGE", "z", "0", "0"]), Value::Array(vec![bulk("a")]));
    match ok::<Value>(&mut c, &["ZUNION", "1", "z", "WITHSCORES"]) {
        Value::Array(items) => assert_eq!(items[3], pair("d", 4.0)),
        other => panic!("ZUNION WITHSCORES in RESP3: {other:?}"),
    }
    // ZPOPMIN without a count is flat, with a count nested.
    assert_eq!(ok::<Value>(&mut c, &["ZPOPMIN", "z"]), Value::Array(vec![bulk("a"), Value::Double(0.0)]));
    assert_eq!(ok::<Value>(&mut c, &["ZPOPMAX", "z", "1"]), Value::Array(vec![pair("d", 4.0)]));
    assert_eq!(
        ok::<Value>(&mut c, &["ZMPOP", "1", "z", "MIN"]),
        Value::Array(vec![bulk("z"), Value::Array(vec![pair("b", 2.5)])])
    );
    assert_eq!(ok::<Value>(&mut c, &["ZMPOP", "1", "none", "MIN"]), Value::Nil);
    assert_eq!(ok::<Value>(&mut c, &["ZRANDMEMBER", "z", "2", "WITHSCORES"]), Value::Array(vec![pair("c", 3.0)]));
    assert_eq!(ok::<Value>(&mut c, &["ZADD", "z", "LT", "INCR", "1", "c"]), Value::Nil);
    assert_eq!(ok::<Value>(&mut c, &["ZRANK", "z", "nope"]), Value::Nil);
}

#[test]
fn large_sets_are_logarithmic() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let n = 200_000;
    let mut pipe = redis::pipe();
    for chunk in (0..n).collect::<Vec<u32>>().chunks(1000) {
        let mut cmd = redis::cmd("ZADD");
        cmd.arg("big");
        for i in chunk {
            cmd.arg(*i).arg(format!("member:{i}"));
        }
        pipe.add_command(cmd).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    assert_eq!(ok::<i64>(&mut c, &["ZCARD", "big"]), i64::from(n));
    // Many rank queries and deep rank ranges run quickly; a linear scan each would not.
    let start = Instant::now();
    let mut pipe = redis::pipe();
    for i in (0..n).step_by(97) {
        pipe.cmd("ZRANK").arg("big").arg(format!("member:{i}"));
        pipe.cmd("ZRANGE").arg("big").arg(i).arg(i);
        pipe.cmd("ZCOUNT").arg("big").arg(i).arg("+inf");
    }
    let replies: Vec<Value> = pipe.query(&mut c).unwrap();
    for (k, i) in (0..n).step_by(97).enumerate() {
        assert_eq!(replies[3 * k], Value::Int(i64::from(i)));
        assert_eq!(replies[3 * k + 1], Value::Array(vec![bulk(&format!("member:{i}"))]));
        assert_eq!(replies[3 * k + 2], Value::Int(i64::from(n - i)));
    }
    assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
    assert_eq!(ok::<i64>(&mut c, &["ZREVRANK", "big", "member:0"]), i64::from(n - 1));
    assert_eq!(ok::<i64>(&mut c, &["ZREMRANGEBYRANK", "big", "1000", "-1000"]), i64::from(n - 1999));
    assert_eq!(ok::<i64>(&mut c, &["ZRANK", "big", "member:199999"]), 1998);
}

#[test]
fn pipelined_zadds_apply_in_order() {
    // A batch of plain ZADDs on one large set is warmed before it runs; the replies and the
    // result must be those of the commands run one by one.
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let mut pipe = redis::pipe();
    for i in 0..300 {
        pipe.cmd("ZADD").arg("big").arg(i % 17).arg(format!("m{i}")).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "big"]), "skiplist");
    let long = "l".repeat(200);
    let mut pipe = redis::pipe();
    pipe.cmd("ZADD").arg("big").arg(100).arg("m1");
    pipe.cmd("ZADD").arg("big").arg(-5).arg("m1");
    pipe.cmd("ZADD").arg("other").arg(1).arg("m1");
    pipe.cmd("ZADD").arg("big").arg(2.5).arg("new");
    pipe.cmd("zadd").arg("big").arg("+inf").arg(&long);
    pipe.cmd("ZADD").arg("big").arg(0).arg("m0");
    pipe.cmd("ZADD").arg("big").arg(-5).arg("m1");
    pipe.cmd("ZSCORE").arg("big").arg("m1");
    let replies: (i64, i64, i64, i64, i64, i64, i64, f64) = pipe.query(&mut c).unwrap();
    assert_eq!(replies, (0, 0, 1, 1, 1, 0, 0, -5.0));
    assert_eq!(strs(&mut c, &["ZRANGE", "big", "0", "2", "WITHSCORES"]), ["m1", "-5", "m0", "0", "m102", "0"]);
    assert_eq!(ok::<i64>(&mut c, &["ZRANK", "big", "new"]), 1 + 18 + 17 + 18);
    assert_eq!(strs(&mut c, &["ZRANGE", "big", "-1", "-1"]), [long]);
    assert_eq!(ok::<i64>(&mut c, &["ZCARD", "big"]), 302);
}

#[test]
fn hostile_arguments() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["ZADD", "z", "1", "a", "2", "b"]);
    // Huge counts allocate by what exists, not by the count.
    assert_eq!(strs(&mut c, &["ZRANDMEMBER", "z", "9223372036854775807"]).len(), 2);
    assert_eq!(strs(&mut c, &["ZPOPMIN", "z", "9223372036854775807"]).len(), 4);
    let _: i64 = ok(&mut c, &["ZADD", "z", "1", "a", "2", "b"]);
    // A repeated-draws reply that would outgrow proto-max-bulk-len is refused.
    let _: () = ok(&mut c, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    let e = err(&mut c, &["ZRANDMEMBER", "z", "-1000000000"]);
    assert_eq!(e, "ERR reply exceeds proto-max-bulk-len");
    assert_eq!(strs(&mut c, &["ZRANDMEMBER", "z", "-1000"]).len(), 1000);
    assert_eq!(err(&mut c, &["ZUNION", "9223372036854775807", "z"]), SYNTAX);
    assert_eq!(err(&mut c, &["ZMPOP", "9223372036854775807", "z", "MIN"]), SYNTAX);
    assert_eq!(ok::<String>(&mut c, &["PING"]), "PONG");
}
