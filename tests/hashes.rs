//! The hashes family (HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HKEYS, HVALS, HDEL, HLEN,
//! HEXISTS, HSTRLEN, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN) through a real server and the
//! `redis` crate: replies, errors in Redis's words, encodings and RESP3 shapes.

mod common;

use common::{encoding, err, ok, sorted};

use redis::{Connection, Value};
use std::collections::{HashMap, HashSet};

fn resp3(s: &common::Server) -> Connection {
    redis::Client::open(format!("{}?protocol=resp3", s.url())).unwrap().get_connection().unwrap()
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn hset_hget_hmset_hmget_hsetnx() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["HSET", "h", "a", "1", "b", "2"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["HSET", "h", "a", "10", "c", "3"]), 1);
    assert_eq!(ok::<String>(&mut c, &["HGET", "h", "a"]), "10");
    assert_eq!(ok::<Option<String>>(&mut c, &["HGET", "h", "nope"]), None);
    assert_eq!(ok::<Option<String>>(&mut c, &["HGET", "nokey", "a"]), None);
    assert_eq!(ok::<String>(&mut c, &["HMSET", "h", "d", "4", "e", ""]), "OK");
    assert_eq!(
        ok::<Vec<Option<String>>>(&mut c, &["HMGET", "h", "a", "x", "e", "d"]),
        vec![Some("10".into()), None, Some("".into()), Some("4".into())]
    );
    assert_eq!(ok::<Vec<Option<String>>>(&mut c, &["HMGET", "nokey", "a", "b"]), vec![None, None]);
    assert_eq!(ok::<i64>(&mut c, &["HSETNX", "h", "a", "new"]), 0);
    assert_eq!(ok::<String>(&mut c, &["HGET", "h", "a"]), "10");
    assert_eq!(ok::<i64>(&mut c, &["HSETNX", "h", "f", "new"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["HSETNX", "fresh", "f", "v"]), 1);
    assert_eq!(ok::<String>(&mut c, &["TYPE", "fresh"]), "hash");
    // Arity: odd pairs are refused by the command itself, with Redis's text.
    assert_eq!(err(&mut c, &["HSET", "h", "a", "1", "b"]), "ERR wrong number of arguments for 'hset' command");
    assert_eq!(err(&mut c, &["HMSET", "h", "a", "1", "b"]), "ERR wrong number of arguments for 'hmset' command");
    assert_eq!(err(&mut c, &["HSET", "h", "a"]), "ERR wrong number of arguments for 'hset' command");
    // Binary-safe fields and values.
    let mut cmd = redis::cmd("HSET");
    cmd.arg("bin").arg(&b"\x00\xff"[..]).arg(&b"\r\n\x00"[..]);
    assert_eq!(cmd.query::<i64>(&mut c).unwrap(), 1);
    let v: Vec<u8> = redis::cmd("HGET").arg("bin").arg(&b"\x00\xff"[..]).query(&mut c).unwrap();
    assert_eq!(v, b"\r\n\x00");
}

#[test]
fn wrong_type_everywhere() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    for args in [
        &["HSET", "str", "a", "1"][..],
        &["HSETNX", "str", "a", "1"],
        &["HMSET", "str", "a", "1"],
        &["HGET", "str", "a"],
        &["HMGET", "str", "a"],
        &["HGETALL", "str"],
        &["HKEYS", "str"],
        &["HVALS", "str"],
        &["HDEL", "str", "a"],
        &["HLEN", "str"],
        &["HEXISTS", "str", "a"],
        &["HSTRLEN", "str", "a"],
        &["HINCRBY", "str", "a", "1"],
        &["HINCRBYFLOAT", "str", "a", "1"],
        &["HRANDFIELD", "str"],
        &["HRANDFIELD", "str", "2"],
        &["HSCAN", "str", "0"],
    ] {
        assert_eq!(err(&mut c, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(ok::<String>(&mut c, &["GET", "str"]), "x");
}

#[test]
fn getall_keys_vals_len_exists_strlen() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["HSET", "h", "a", "1", "b", "22", "c", "-333"]);
    let all: HashMap<String, String> = ok(&mut c, &["HGETALL", "h"]);
    assert_eq!(all.len(), 3);
    assert_eq!(all["b"], "22");
    // RESP2: a flat array, fields in insertion order while compact.
    assert_eq!(ok::<Vec<String>>(&mut c, &["HGETALL", "h"]), vec!["a", "1", "b", "22", "c", "-333"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["HKEYS", "h"]), vec!["a", "b", "c"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["HVALS", "h"]), vec!["1", "22", "-333"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["HGETALL", "nokey"]), Vec::<String>::new());
    assert_eq!(ok::<Vec<String>>(&mut c, &["HKEYS", "nokey"]), Vec::<String>::new());
    assert_eq!(ok::<i64>(&mut c, &["HLEN", "h"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["HLEN", "nokey"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["HEXISTS", "h", "a"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["HEXISTS", "h", "z"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["HEXISTS", "nokey", "a"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["HSTRLEN", "h", "c"]), 4);
    assert_eq!(ok::<i64>(&mut c, &["HSTRLEN", "h", "z"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["HSTRLEN", "nokey", "z"]), 0);
}

#[test]
fn hdel_deletes_the_emptied_key() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(ok::<i64>(&mut c, &["HDEL", "h", "a", "zz"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["HDEL", "h", "zz"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["HDEL", "nokey", "a"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["HDEL", "h", "b", "c", "b", "d"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "h"]), 0);
    // A hashtable-encoded hash too.
    let _: i64 = ok(&mut c, &["HSET", "big", "f", &"x".repeat(100)]);
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    assert_eq!(ok::<i64>(&mut c, &["HDEL", "big", "f"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "big"]), 0);
}

#[test]
fn hincrby_and_hincrbyfloat() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["HINCRBY", "h", "n", "5"]), 5);
    assert_eq!(ok::<i64>(&mut c, &["HINCRBY", "h", "n", "-7"]), -2);
    assert_eq!(ok::<i64>(&mut c, &["HINCRBY", "h", "m", "17179869184"]), 17179869184);
    let _: i64 = ok(&mut c, &["HSET", "h", "s", " 11", "max", "9223372036854775807", "f", "1.5"]);
    assert_eq!(err(&mut c, &["HINCRBY", "h", "s", "1"]), "ERR hash value is not an integer");
    assert_eq!(err(&mut c, &["HINCRBY", "h", "f", "1"]), "ERR hash value is not an integer");
    assert_eq!(err(&mut c, &["HINCRBY", "h", "max", "1"]), "ERR increment or decrement would overflow");
    assert_eq!(err(&mut c, &["HINCRBY", "h", "n", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["HINCRBY", "h", "n", "1.0"]), "ERR value is not an integer or out of range");
    assert_eq!(ok::<String>(&mut c, &["HGET", "h", "max"]), "9223372036854775807");
    // Floats: long double arithmetic, formatted as Redis formats it.
    assert_eq!(ok::<String>(&mut c, &["HINCRBYFLOAT", "h", "x", "1.23"]), "1.23");
    assert_eq!(ok::<String>(&mut c, &["HINCRBYFLOAT", "h", "x", "0.77"]), "2");
    assert_eq!(ok::<String>(&mut c, &["HINCRBYFLOAT", "h", "x", "-0.1"]), "1.9");
    assert_eq!(ok::<String>(&mut c, &["HINCRBYFLOAT", "h", "f", "0.2"]), "1.7");
    assert_eq!(ok::<String>(&mut c, &["HINCRBYFLOAT", "h", "n", "2.5"]), "0.5");
    assert_eq!(ok::<String>(&mut c, &["HINCRBYFLOAT", "new", "f", "1e3"]), "1000");
    assert_eq!(err(&mut c, &["HINCRBYFLOAT", "h", "s", "1"]), "ERR hash value is not a float");
    assert_eq!(err(&mut c, &["HINCRBYFLOAT", "h", "x", "abc"]), "ERR value is not a valid float");
    assert_eq!(err(&mut c, &["HINCRBYFLOAT", "h", "x", "+inf"]), "ERR value is NaN or Infinity");
    assert_eq!(err(&mut c, &["HINCRBYFLOAT", "h2", "x", "inf"]), "ERR value is NaN or Infinity");
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "h2"]), 0);
    let _: i64 = ok(&mut c, &["HSET", "h", "huge", "1e4932"]);
    assert_eq!(err(&mut c, &["HINCRBYFLOAT", "h", "huge", "1e4932"]), "ERR increment would produce NaN or Infinity");
    let mut cmd = redis::cmd("HSET");
    cmd.arg("h").arg("nul").arg(&b"1\x002"[..]);
    let _: i64 = cmd.query(&mut c).unwrap();
    assert_eq!(err(&mut c, &["HINCRBYFLOAT", "h", "nul", "1"]), "ERR hash value is not a float");
}

#[test]
fn encodings_follow_the_config() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "4"]);
    let _: () = ok(&mut c, &["CONFIG", "SET", "hash-max-listpack-value", "8"]);
    for i in 0..4 {
        let _: i64 = ok(&mut c, &["HSET", "h", &format!("f{i}"), "v"]);
    }
    assert_eq!(encoding(&mut c, "h"), "listpack");
    let _: i64 = ok(&mut c, &["HSET", "h", "f4", "v"]);
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    // Never back, even when small again.
    let _: i64 = ok(&mut c, &["HDEL", "h", "f0", "f1", "f2", "f3"]);
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    // Value and field length.
    let _: i64 = ok(&mut c, &["HSET", "v", "f", "12345678"]);
    assert_eq!(encoding(&mut c, "v"), "listpack");
    let _: i64 = ok(&mut c, &["HSET", "v", "f", "123456789"]);
    assert_eq!(encoding(&mut c, "v"), "hashtable");
    let _: i64 = ok(&mut c, &["HSET", "k", "123456789", "1"]);
    assert_eq!(encoding(&mut c, "k"), "hashtable");
    // HINCRBYFLOAT results count too (Redis's own regression test).
    let _: i64 = ok(&mut c, &["HSET", "small", "tmp", "0"]);
    let _: i64 = ok(&mut c, &["HSET", "bigger", "tmp", "0"]);
    let _: String = ok(&mut c, &["HINCRBYFLOAT", "small", "tmp", "0.000005"]);
    let _: String = ok(&mut c, &["HINCRBYFLOAT", "bigger", "tmp", "0.0000005"]);
    assert_eq!(encoding(&mut c, "small"), "listpack");
    assert_eq!(encoding(&mut c, "bigger"), "hashtable");
    // A big hash works as well as a small one.
    let _: () = ok(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "128"]);
    for i in 0..300 {
        let _: i64 = ok(&mut c, &["HSET", "many", &format!("field:{i}"), &i.to_string()]);
    }
    assert_eq!(encoding(&mut c, "many"), "hashtable");
    assert_eq!(ok::<i64>(&mut c, &["HLEN", "many"]), 300);
    assert_eq!(ok::<String>(&mut c, &["HGET", "many", "field:123"]), "123");
    assert_eq!(ok::<Vec<String>>(&mut c, &["HKEYS", "many"]).len(), 300);
}

#[test]
fn hrandfield_counts_and_errors() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let fields = ["a", "b", "c", "d", "e"];
    for (i, f) in fields.iter().enumerate() {
        let _: i64 = ok(&mut c, &["HSET", "h", f, &i.to_string()]);
    }
    let one: String = ok(&mut c, &["HRANDFIELD", "h"]);
    assert!(fields.contains(&one.as_str()));
    assert_eq!(ok::<Option<String>>(&mut c, &["HRANDFIELD", "nokey"]), None);
    assert_eq!(ok::<Value>(&mut c, &["HRANDFIELD", "nokey", "3"]), Value::Array(vec![]));
    assert_eq!(ok::<Value>(&mut c, &["HRANDFIELD", "h", "0"]), Value::Array(vec![]));
    // Positive: distinct; capped by the size.
    for n in [1usize, 2, 4, 5, 10] {
        let got: Vec<String> = ok(&mut c, &["HRANDFIELD", "h", &n.to_string()]);
        assert_eq!(got.len(), n.min(5));
        assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len());
        assert!(got.iter().all(|f| fields.contains(&f.as_str())));
    }
    // Negative: exactly |n|, repeats allowed.
    let got: Vec<String> = ok(&mut c, &["HRANDFIELD", "h", "-20"]);
    assert_eq!(got.len(), 20);
    let got: Vec<String> = ok(&mut c, &["HRANDFIELD", "h", "-3", "WITHVALUES"]);
    assert_eq!(got.len(), 6);
    for pair in got.chunks(2) {
        let expected = fields.iter().position(|f| *f == pair[0]).unwrap().to_string();
        assert_eq!(pair[1], expected);
    }
    let got: Vec<String> = ok(&mut c, &["HRANDFIELD", "h", "3", "withvalues"]);
    assert_eq!(got.len(), 6);
    assert_eq!(err(&mut c, &["HRANDFIELD", "h", "1", "nope"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["HRANDFIELD", "h", "1", "withvalues", "x"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["HRANDFIELD", "h", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(
        err(&mut c, &["HRANDFIELD", "h", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(err(&mut c, &["HRANDFIELD", "h", "-9223372036854770000", "withvalues"]), "ERR value is out of range");
    // Every strategy on a hashtable, too: all fields show up eventually.
    for i in 0..200 {
        let _: i64 = ok(&mut c, &["HSET", "big", &format!("{i:0>70}"), "v"]);
    }
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    for n in ["150", "20", "-30", "300"] {
        let got: Vec<String> = ok(&mut c, &["HRANDFIELD", "big", n]);
        let want = n.parse::<i64>().unwrap().unsigned_abs().min(if n.starts_with('-') { u64::MAX } else { 200 });
        assert_eq!(got.len() as u64, want);
        if !n.starts_with('-') {
            assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len());
        }
    }
}

#[test]
fn hrandfield_huge_negative_count_streams() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["HSET", "h", "a", "1"]);
    // Big enough to notice a pre-allocation by the count, small enough to read back.
    let got: Vec<String> = ok(&mut c, &["HRANDFIELD", "h", "-200000"]);
    assert_eq!(got.len(), 200_000);
    assert!(got.iter().all(|f| f == "a"));
    // A reply past proto-max-bulk-len is refused whole; the connection stays in step.
    let _: () = ok(&mut c, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    assert_eq!(err(&mut c, &["HRANDFIELD", "h", "-1000000"]), "ERR reply exceeds proto-max-bulk-len");
    assert_eq!(
        err(&mut c, &["HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"]),
        "ERR reply exceeds proto-max-bulk-len"
    );
    assert_eq!(ok::<String>(&mut c, &["HGET", "h", "a"]), "1");
}

#[test]
fn resp3_shapes() {
    let s = common::Server::start(&[]);
    let mut c = resp3(&s);
    let _: i64 = ok(&mut c, &["HSET", "h", "a", "1", "b", "2"]);
    match ok::<Value>(&mut c, &["HGETALL", "h"]) {
        Value::Map(pairs) => {
            assert_eq!(
                pairs,
                vec![
                    (Value::BulkString(b"a".to_vec()), Value::BulkString(b"1".to_vec())),
                    (Value::BulkString(b"b".to_vec()), Value::BulkString(b"2".to_vec())),
                ]
            );
        }
        other => panic!("HGETALL in RESP3: {other:?}"),
    }
    assert_eq!(ok::<Value>(&mut c, &["HGETALL", "nokey"]), Value::Map(vec![]));
    match ok::<Value>(&mut c, &["HRANDFIELD", "h", "2", "WITHVALUES"]) {
        Value::Array(items) => {
            assert_eq!(items.len(), 2);
            for item in items {
                let Value::Array(pair) = item else { panic!("not a pair: {item:?}") };
                assert_eq!(pair.len(), 2);
            }
        }
        other => panic!("HRANDFIELD WITHVALUES in RESP3: {other:?}"),
    }
    match ok::<Value>(&mut c, &["HRANDFIELD", "h", "-3", "WITHVALUES"]) {
        Value::Array(items) => assert_eq!(items.len(), 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(ok::<Value>(&mut c, &["HGET", "h", "zz"]), Value::Nil);
}

/// A full HSCAN iteration: every pair seen (deduplicated) and the number of calls.
fn hscan_all(c: &mut Connection, key: &str, extra: &[&str]) -> (HashMap<String, String>, usize) {
    let mut cursor = "0".to_string();
    let mut seen = HashMap::new();
    let mut calls = 0;
    loop {
        let mut args = vec!["HSCAN", key, cursor.as_str()];
        args.extend_from_slice(extra);
        let (next, items): (String, Vec<String>) = ok(c, &args);
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        cursor = next;
        calls += 1;
        assert!(calls < 100_000, "HSCAN did not terminate");
        if cursor == "0" {
            return (seen, calls);
        }
    }
}

#[test]
fn hscan() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    // Compact: everything in one call.
    let _: () = ok(&mut c, &["HMSET", "small", "foo", "1", "fab", "2", "fiz", "3", "foobar", "10", "1", "a"]);
    let (next, items): (String, Vec<String>) = ok(&mut c, &["HSCAN", "small", "0"]);
    assert_eq!(next, "0");
    assert_eq!(items.len(), 10);
    let (_, items): (String, Vec<String>) = ok(&mut c, &["HSCAN", "small", "0", "MATCH", "foo*", "COUNT", "1"]);
    assert_eq!(sorted(items), vec!["1", "10", "foo", "foobar"]);
    // Hashtable: several calls, every pair exactly as stored.
    for i in 0..1000 {
        let _: i64 = ok(&mut c, &["HSET", "big", &format!("key:{i}"), &i.to_string()]);
    }
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    let (seen, calls) = hscan_all(&mut c, "big", &[]);
    assert_eq!(seen.len(), 1000);
    assert!(calls > 10, "{calls} calls");
    assert!(seen.iter().all(|(k, v)| *k == format!("key:{v}")));
    let (seen, _) = hscan_all(&mut c, "big", &["MATCH", "key:1?", "COUNT", "100"]);
    assert_eq!(seen.len(), 10);
    // Missing key, errors.
    assert_eq!(ok::<(String, Vec<String>)>(&mut c, &["HSCAN", "nokey", "0"]), ("0".to_string(), vec![]));
    assert_eq!(err(&mut c, &["HSCAN", "big", "x"]), "ERR invalid cursor");
    assert_eq!(err(&mut c, &["HSCAN", "big", "0", "COUNT", "0"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["HSCAN", "big", "0", "COUNT", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["HSCAN", "big", "0", "TYPE", "hash"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["HSCAN", "big", "0", "MATCH"]), "ERR syntax error");
}

#[test]
fn fuzz_against_a_model() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "16"]);
    let mut model: HashMap<String, String> = HashMap::new();
    let mut rng = 12345u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for _ in 0..2000 {
        let f = format!("f{}", next() % 40);
        let v = "v".repeat((next() % 80) as usize);
        if next() % 3 == 0 {
            let n: i64 = ok(&mut c, &["HDEL", "h", &f]);
            assert_eq!(n, i64::from(model.remove(&f).is_some()));
        } else {
            let n: i64 = ok(&mut c, &["HSET", "h", &f, &v]);
            assert_eq!(n, i64::from(model.insert(f, v).is_none()));
        }
    }
    let all: HashMap<String, String> = ok(&mut c, &["HGETALL", "h"]);
    assert_eq!(all, model);
}

#[test]
fn writes_that_change_nothing_do_not_break_a_watch() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let mut other = s.conn();
    let _: i64 = ok(&mut c, &["HSET", "h", "a", "x"]);
    let _: () = ok(&mut c, &["WATCH", "h"]);
    assert_eq!(ok::<i64>(&mut other, &["HSETNX", "h", "a", "y"]), 0);
    assert_eq!(ok::<i64>(&mut other, &["HDEL", "h", "zz"]), 0);
    assert_eq!(err(&mut other, &["HINCRBY", "h", "a", "1"]), "ERR hash value is not an integer");
    assert_eq!(err(&mut other, &["HINCRBYFLOAT", "h", "a", "1"]), "ERR hash value is not a float");
    assert_eq!(err(&mut other, &["SADD", "h", "m"]), WRONGTYPE);
    let _: () = ok(&mut c, &["MULTI"]);
    let _: String = ok(&mut c, &["HSET", "h", "b", "1"]);
    assert_eq!(ok::<Vec<i64>>(&mut c, &["EXEC"]), vec![1]);
    let _: () = ok(&mut c, &["WATCH", "h"]);
    assert_eq!(ok::<i64>(&mut other, &["HDEL", "h", "b"]), 1);
    let _: () = ok(&mut c, &["MULTI"]);
    let _: String = ok(&mut c, &["HSET", "h", "c", "1"]);
    assert_eq!(ok::<Value>(&mut c, &["EXEC"]), Value::Nil);
}
