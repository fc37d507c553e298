//! SORT and SORT_RO through a real server and the `redis` crate: numeric and ALPHA order,
//! ASC/DESC, LIMIT, BY (keys, hash fields, `nosort`), GET (`#`, keys, hash fields,
//! constants), STORE, the source types, errors in Redis's words, WATCH and RESP3 shapes.

mod common;

use common::{err, ok};

use redis::{Connection, Value};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// A SORT (or SORT_RO) reply of strings.
fn sort(c: &mut Connection, args: &[&str]) -> Vec<String> {
    ok(c, args)
}

/// A SORT reply that may hold nulls.
fn sort_opt(c: &mut Connection, args: &[&str]) -> Vec<Option<String>> {
    ok(c, args)
}

fn strs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn lrange(c: &mut Connection, key: &str) -> Vec<String> {
    ok(c, &["LRANGE", key, "0", "-1"])
}

fn run(c: &mut Connection, args: &[&str]) {
    let _: Value = ok(c, args);
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_DOUBLE: &str = "ERR One or more scores can't be converted into double";

#[test]
fn numeric_alpha_order_and_limit() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["RPUSH", "l", "3", "10", "1.5", "-2", "1e1", "2"]);
    // Numeric by default; equal weights (10 and 1e1) ordered by their bytes.
    assert_eq!(sort(&mut c, &["SORT", "l"]), strs(&["-2", "1.5", "2", "3", "10", "1e1"]));
    assert_eq!(sort(&mut c, &["SORT", "l", "ASC"]), strs(&["-2", "1.5", "2", "3", "10", "1e1"]));
    // DESC reverses the tie order too.
    assert_eq!(sort(&mut c, &["SORT", "l", "DESC"]), strs(&["1e1", "10", "3", "2", "1.5", "-2"]));
    assert_eq!(sort(&mut c, &["SORT", "l", "desc", "asc"]), strs(&["-2", "1.5", "2", "3", "10", "1e1"]));
    assert_eq!(sort(&mut c, &["SORT", "l", "ALPHA"]), strs(&["-2", "1.5", "10", "1e1", "2", "3"]));
    assert_eq!(sort(&mut c, &["SORT", "l", "alpha", "desc"]), strs(&["3", "2", "1e1", "10", "1.5", "-2"]));
    assert_eq!(sort(&mut c, &["SORT", "l", "LIMIT", "1", "2"]), strs(&["1.5", "2"]));
    assert_eq!(sort(&mut c, &["SORT", "l", "LIMIT", "4", "100"]), strs(&["10", "1e1"]));
    assert_eq!(sort(&mut c, &["SORT", "l", "LIMIT", "-5", "2"]), strs(&["-2", "1.5"]));
    // A negative count means "to the end"; an offset past the end is empty.
    assert_eq!(sort(&mut c, &["SORT", "l", "LIMIT", "3", "-1"]), strs(&["3", "10", "1e1"]));
    assert_eq!(sort(&mut c, &["SORT", "l", "LIMIT", "6", "1"]), Vec::<String>::new());
    assert_eq!(sort(&mut c, &["SORT", "l", "LIMIT", "0", "0"]), Vec::<String>::new());
    // Huge counts are clamped, not allocated.
    assert_eq!(sort(&mut c, &["SORT", "l", "LIMIT", "5", "9223372036854775807"]), strs(&["1e1"]));
    // The last LIMIT wins.
    assert_eq!(sort(&mut c, &["SORT", "l", "LIMIT", "0", "1", "LIMIT", "1", "1"]), strs(&["1.5"]));
    // A missing key sorts as an empty list.
    assert_eq!(sort(&mut c, &["SORT", "nokey"]), Vec::<String>::new());
    assert_eq!(sort(&mut c, &["SORT_RO", "l", "LIMIT", "0", "2", "DESC"]), strs(&["1e1", "10"]));
    // Weights are read as strtod reads them: spaces before, hex, "inf", the empty string.
    run(&mut c, &["RPUSH", "odd", " 5", "0x10", "-inf", "", "+7", "1."]);
    assert_eq!(sort(&mut c, &["SORT", "odd"]), strs(&["-inf", "", "1.", " 5", "+7", "0x10"]));
    // The source is not changed.
    assert_eq!(lrange(&mut c, "l"), strs(&["3", "10", "1.5", "-2", "1e1", "2"]));
}

#[test]
fn sets_and_sorted_sets() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["SADD", "ints", "5", "-3", "100", "7"]);
    assert_eq!(sort(&mut c, &["SORT", "ints"]), strs(&["-3", "5", "7", "100"]));
    assert_eq!(sort(&mut c, &["SORT", "ints", "DESC", "LIMIT", "0", "2"]), strs(&["100", "7"]));
    run(&mut c, &["SADD", "words", "pear", "apple", "fig", "banana"]);
    assert_eq!(sort(&mut c, &["SORT", "words", "ALPHA"]), strs(&["apple", "banana", "fig", "pear"]));
    // BY nosort on a set: the set's own order, the whole set.
    let mut unsorted = sort(&mut c, &["SORT", "words", "BY", "nosort"]);
    unsorted.sort();
    assert_eq!(unsorted, strs(&["apple", "banana", "fig", "pear"]));
    assert_eq!(sort(&mut c, &["SORT", "words", "BY", "nosort", "LIMIT", "1", "2"]).len(), 2);
    // With STORE a set is sorted ALPHA anyway, so what is stored is deterministic.
    assert_eq!(ok::<i64>(&mut c, &["SORT", "words", "BY", "nosort", "STORE", "dst"]), 4);
    assert_eq!(lrange(&mut c, "dst"), strs(&["apple", "banana", "fig", "pear"]));

    // A sorted set sorts by its members, not its scores ...
    run(&mut c, &["ZADD", "z", "1", "30", "2", "10", "3", "20"]);
    assert_eq!(sort(&mut c, &["SORT", "z"]), strs(&["10", "20", "30"]));
    run(&mut c, &["ZADD", "zs", "1", "a", "5", "b", "2", "c", "10", "d", "3", "e"]);
    assert_eq!(sort(&mut c, &["SORT", "zs", "ALPHA", "DESC"]), strs(&["e", "d", "c", "b", "a"]));
    // ... and keeps score order with BY nosort, reversed by DESC, with LIMIT.
    assert_eq!(sort(&mut c, &["SORT", "zs", "BY", "nosort"]), strs(&["a", "c", "e", "b", "d"]));
    assert_eq!(sort(&mut c, &["SORT", "zs", "BY", "nosort", "DESC"]), strs(&["d", "b", "e", "c", "a"]));
    assert_eq!(sort(&mut c, &["SORT", "zs", "BY", "nosort", "LIMIT", "1", "2"]), strs(&["c", "e"]));
    assert_eq!(sort(&mut c, &["SORT", "zs", "BY", "nosort", "DESC", "LIMIT", "1", "2"]), strs(&["b", "e"]));
    assert_eq!(sort(&mut c, &["SORT", "zs", "BY", "nosort", "LIMIT", "5", "10"]), Vec::<String>::new());
    assert_eq!(sort(&mut c, &["SORT", "zs", "BY", "nosort", "LIMIT", "-10", "100"]), strs(&["a", "c", "e", "b", "d"]));
    // A list keeps its order with BY nosort, reversed by DESC.
    run(&mut c, &["LPUSH", "testa", "2", "1", "4", "3", "5"]);
    assert_eq!(sort(&mut c, &["SORT", "testa", "BY", "nosort"]), strs(&["5", "3", "4", "1", "2"]));
    assert_eq!(sort(&mut c, &["SORT", "testa", "BY", "nosort", "DESC"]), strs(&["2", "1", "4", "3", "5"]));
    assert_eq!(sort(&mut c, &["SORT", "testa", "BY", "nosort", "DESC", "LIMIT", "1", "3"]), strs(&["1", "4", "3"]));
    assert_eq!(sort(&mut c, &["SORT", "testa", "BY", "nosort", "LIMIT", "1", "3"]), strs(&["3", "4", "1"]));
    // A BY pattern without `*` anywhere turns sorting off, even before a later BY with one.
    assert_eq!(sort(&mut c, &["SORT", "testa", "BY", "nosort", "BY", "w_*"]), strs(&["5", "3", "4", "1", "2"]));
}

#[test]
fn by_keys_and_hash_fields() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["RPUSH", "ids", "1", "2", "3", "4"]);
    run(&mut c, &["MSET", "w_1", "40", "w_2", "10", "w_3", "30", "w_4", "20"]);
    for (id, w) in [("1", "0.4"), ("2", "0.1"), ("3", "0.3"), ("4", "0.2")] {
        run(&mut c, &["HSET", &format!("o_{id}"), "weight", w, "name", &format!("n{id}")]);
    }
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "w_*"]), strs(&["2", "4", "3", "1"]));
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "w_*", "DESC"]), strs(&["1", "3", "4", "2"]));
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "w_*", "LIMIT", "1", "2"]), strs(&["4", "3"]));
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "o_*->weight"]), strs(&["2", "4", "3", "1"]));
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "o_*->name", "ALPHA", "DESC"]), strs(&["4", "3", "2", "1"]));
    // A missing weight is 0 (ties ordered by the elements); in ALPHA order it comes first.
    run(&mut c, &["DEL", "w_3"]);
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "w_*"]), strs(&["3", "2", "4", "1"]));
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "w_*", "ALPHA"]), strs(&["3", "2", "4", "1"]));
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "w_*", "ALPHA", "DESC"]), strs(&["1", "4", "2", "3"]));
    // A weight key of the wrong type, or a field of a non-hash, weighs nothing.
    run(&mut c, &["RPUSH", "w_3", "x"]);
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "w_*"]), strs(&["3", "2", "4", "1"]));
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "w_*->weight"]), strs(&["1", "2", "3", "4"]));
    // Equal weights: ordered by the elements' bytes.
    run(&mut c, &["SADD", "letters", "b", "a", "aa", "c"]);
    run(&mut c, &["MSET", "s:a", "1", "s:aa", "1", "s:b", "1", "s:c", "0"]);
    assert_eq!(sort(&mut c, &["SORT", "letters", "BY", "s:*"]), strs(&["c", "a", "aa", "b"]));
    // Repeated elements share their weight.
    run(&mut c, &["RPUSH", "dups", "b", "a", "b", "c", "a"]);
    run(&mut c, &["MSET", "d_a", "y", "d_b", "x"]);
    assert_eq!(sort(&mut c, &["SORT", "dups", "BY", "d_*", "ALPHA"]), strs(&["c", "b", "b", "a", "a"]));
    assert_eq!(sort(&mut c, &["SORT", "dups", "BY", "d_*", "ALPHA", "DESC"]), strs(&["a", "a", "b", "b", "c"]));
    // Integer-encoded weights, and prefix/suffix around the `*`.
    run(&mut c, &["MSET", "pre-1-post", "3", "pre-2-post", "-1", "pre-3-post", "2", "pre-4-post", "1"]);
    assert_eq!(sort(&mut c, &["SORT", "ids", "BY", "pre-*-post"]), strs(&["2", "4", "3", "1"]));
    // A trailing "->" with nothing after it is part of the key name.
    run(&mut c, &["SET", "x:a->", "100"]);
    run(&mut c, &["RPUSH", "one", "a"]);
    assert_eq!(sort(&mut c, &["SORT", "one", "BY", "num", "GET", "x:*->"]), strs(&["100"]));
}

#[test]
fn get_patterns() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["RPUSH", "ids", "3", "1", "2"]);
    run(&mut c, &["MSET", "w_1", "one", "w_2", "two"]);
    run(&mut c, &["HSET", "o_1", "f", "h1"]);
    run(&mut c, &["HSET", "o_3", "f", "h3", "g", "x"]);
    assert_eq!(sort(&mut c, &["SORT", "ids", "GET", "#"]), strs(&["1", "2", "3"]));
    assert_eq!(
        sort_opt(&mut c, &["SORT", "ids", "GET", "#", "GET", "w_*", "GET", "o_*->f"]),
        vec![
            Some("1".into()),
            Some("one".into()),
            Some("h1".into()),
            Some("2".into()),
            Some("two".into()),
            None,
            Some("3".into()),
            None,
            Some("h3".into()),
        ]
    );
    // A constant GET pattern names no key: null for every element.
    run(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(sort_opt(&mut c, &["SORT", "ids", "GET", "foo"]), vec![None, None, None]);
    // GET with LIMIT and DESC, and GET of a field that is missing or of a non-hash.
    assert_eq!(
        sort_opt(&mut c, &["SORT", "ids", "DESC", "LIMIT", "0", "2", "GET", "o_*->g", "GET", "w_*->f"]),
        vec![Some("x".into()), None, None, None]
    );
    // GET with BY.
    run(&mut c, &["MSET", "k_1", "3", "k_2", "2", "k_3", "1"]);
    assert_eq!(
        sort_opt(&mut c, &["SORT", "ids", "BY", "k_*", "GET", "w_*"]),
        vec![None, Some("two".into()), Some("one".into())]
    );
    assert_eq!(sort(&mut c, &["SORT_RO", "ids", "BY", "k_*", "GET", "#"]), strs(&["3", "2", "1"]));
    // Integer-encoded values come back as strings.
    run(&mut c, &["SET", "w_3", "42"]);
    assert_eq!(
        sort_opt(&mut c, &["SORT", "ids", "GET", "w_*"]),
        vec![Some("one".into()), Some("two".into()), Some("42".into())]
    );
}

#[test]
fn store() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["RPUSH", "ids", "3", "1", "2"]);
    run(&mut c, &["MSET", "w_1", "one", "w_3", "three"]);
    assert_eq!(ok::<i64>(&mut c, &["SORT", "ids", "STORE", "dst"]), 3);
    assert_eq!(lrange(&mut c, "dst"), strs(&["1", "2", "3"]));
    assert_eq!(ok::<String>(&mut c, &["TYPE", "dst"]), "list");
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "dst"]), "quicklist");
    // GET stores one element per pattern and element; a missing value is stored empty.
    assert_eq!(ok::<i64>(&mut c, &["SORT", "ids", "GET", "#", "GET", "w_*", "STORE", "dst"]), 6);
    assert_eq!(lrange(&mut c, "dst"), strs(&["1", "one", "2", "", "3", "three"]));
    // STORE replaces a value of any type, and its TTL; the last STORE wins.
    run(&mut c, &["SET", "str", "x", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["SORT", "ids", "DESC", "LIMIT", "0", "2", "STORE", "nope", "STORE", "str"]), 2);
    assert_eq!(lrange(&mut c, "str"), strs(&["3", "2"]));
    assert_eq!(ok::<i64>(&mut c, &["TTL", "str"]), -1);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "nope"]), 0);
    // STORE into the source itself.
    assert_eq!(ok::<i64>(&mut c, &["SORT", "ids", "STORE", "ids"]), 3);
    assert_eq!(lrange(&mut c, "ids"), strs(&["1", "2", "3"]));
    // BY nosort keeps the list's order in what is stored, LIMIT included.
    run(&mut c, &["LPUSH", "testa", "2", "1", "4", "3", "5"]);
    assert_eq!(ok::<i64>(&mut c, &["SORT", "testa", "BY", "nosort", "STORE", "testb"]), 5);
    assert_eq!(lrange(&mut c, "testb"), strs(&["5", "3", "4", "1", "2"]));
    assert_eq!(ok::<i64>(&mut c, &["SORT", "testa", "BY", "nosort", "LIMIT", "0", "3", "STORE", "testb"]), 3);
    assert_eq!(lrange(&mut c, "testb"), strs(&["5", "3", "4"]));
    // An empty result deletes the destination and creates nothing.
    assert_eq!(ok::<i64>(&mut c, &["SORT", "nokey", "STORE", "dst"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "dst"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SORT", "ids", "LIMIT", "10", "10", "STORE", "zap"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "zap"]), 0);
    // SORT_RO has no STORE.
    assert_eq!(err(&mut c, &["SORT_RO", "ids", "STORE", "dst"]), "ERR syntax error");
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "dst"]), 0);
}

#[test]
fn errors() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["SET", "str", "x"]);
    run(&mut c, &["HSET", "h", "f", "v"]);
    run(&mut c, &["RPUSH", "l", "1", "2"]);
    assert_eq!(err(&mut c, &["SORT", "str"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["SORT_RO", "h"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["SORT", "str", "STORE", "dst"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["SORT", "l", "foo"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SORT", "l", "LIMIT", "1"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SORT", "l", "BY"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SORT", "l", "GET"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SORT", "l", "STORE"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SORT", "l", "LIMIT", "x", "1"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["SORT", "l", "LIMIT", "0", "1.0"]), "ERR value is not an integer or out of range");
    // Options are checked before the key's type.
    assert_eq!(err(&mut c, &["SORT", "str", "bogus"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SORT"]), "ERR wrong number of arguments for 'sort' command");
    assert_eq!(err(&mut c, &["SORT_RO"]), "ERR wrong number of arguments for 'sort_ro' command");
    // Weights that are not numbers, from the elements or from BY keys; nothing is stored.
    run(&mut c, &["SADD", "myset", "1", "2", "3", "4", "not-a-double"]);
    assert_eq!(err(&mut c, &["SORT", "myset"]), NOT_DOUBLE);
    assert_eq!(err(&mut c, &["SORT", "myset", "STORE", "dst"]), NOT_DOUBLE);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "dst"]), 0);
    assert_eq!(sort(&mut c, &["SORT", "myset", "ALPHA", "LIMIT", "0", "1"]), strs(&["1"]));
    run(&mut c, &["SADD", "nums", "1", "2", "3", "4"]);
    run(&mut c, &["MSET", "score:1", "10", "score:2", "20", "score:3", "30", "score:4", "not-a-double"]);
    assert_eq!(err(&mut c, &["SORT", "nums", "BY", "score:*"]), NOT_DOUBLE);
    for bad in ["nan", "1e400", "1 ", "abc", "1e"] {
        run(&mut c, &["SET", "score:4", bad]);
        assert_eq!(err(&mut c, &["SORT", "nums", "BY", "score:*"]), NOT_DOUBLE, "{bad:?}");
    }
    // ALPHA needs no numbers: "10" < "1e" < "20" < "30".
    assert_eq!(sort(&mut c, &["SORT", "nums", "BY", "score:*", "ALPHA"]), strs(&["1", "4", "2", "3"]));
}

#[test]
fn transactions_and_watch() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["ZADD", "zs", "1", "a", "5", "b", "2", "c"]);
    run(&mut c, &["MULTI"]);
    run(&mut c, &["SORT", "zs", "BY", "nosort", "ASC"]);
    run(&mut c, &["SORT", "zs", "BY", "nosort", "DESC"]);
    let replies: Vec<Vec<String>> = ok(&mut c, &["EXEC"]);
    assert_eq!(replies, vec![strs(&["a", "c", "b"]), strs(&["b", "c", "a"])]);
    // SORT ... STORE modifies its destination: a WATCH on it breaks the transaction.
    run(&mut c, &["WATCH", "dst"]);
    let mut other = s.conn();
    assert_eq!(ok::<i64>(&mut other, &["SORT", "zs", "ALPHA", "STORE", "dst"]), 3);
    run(&mut c, &["MULTI"]);
    run(&mut c, &["PING"]);
    assert_eq!(ok::<Value>(&mut c, &["EXEC"]), Value::Nil);
    // A plain SORT does not.
    run(&mut c, &["WATCH", "zs"]);
    assert_eq!(sort(&mut other, &["SORT", "zs", "ALPHA"]), strs(&["a", "b", "c"]));
    run(&mut c, &["MULTI"]);
    run(&mut c, &["PING"]);
    let replies: Vec<String> = ok(&mut c, &["EXEC"]);
    assert_eq!(replies, strs(&["PONG"]));
}

/// Reads from `s` until what arrived ends with `want` or five seconds pass.
fn read_until(s: &mut std::net::TcpStream, want: &[u8]) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    while !got.ends_with(want) && Instant::now() < deadline {
        if let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
    }
    got
}

#[test]
fn resp3_nulls_for_missing_get_values() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["RPUSH", "l", "1", "2"]);
    run(&mut c, &["SET", "w_2", "x"]);
    let mut raw = s.raw();
    raw.write_all(b"HELLO 3\r\nSORT l GET w_*\r\n").unwrap();
    let got = read_until(&mut raw, b"*2\r\n_\r\n$1\r\nx\r\n");
    assert!(got.ends_with(b"*2\r\n_\r\n$1\r\nx\r\n"), "{}", String::from_utf8_lossy(&got));
    raw.write_all(b"HELLO 2\r\nSORT l GET w_*\r\n").unwrap();
    let got = read_until(&mut raw, b"*2\r\n$-1\r\n$1\r\nx\r\n");
    assert!(got.ends_with(b"*2\r\n$-1\r\n$1\r\nx\r\n"), "{}", String::from_utf8_lossy(&got));
}

#[test]
fn large_collections() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let n = 5000;
    let mut pipe = redis::pipe();
    for i in 0..n {
        // Weights in reverse order of the elements.
        pipe.cmd("RPUSH").arg("big").arg(i).ignore();
        pipe.cmd("SADD").arg("bigset").arg(format!("m{i}")).ignore();
        pipe.cmd("SET").arg(format!("w_{i}")).arg(n - i).ignore();
        pipe.cmd("HSET").arg(format!("m{i}")).arg("w").arg(i % 7).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let all = sort(&mut c, &["SORT", "big", "BY", "w_*"]);
    let want: Vec<String> = (0..n).rev().map(|i| i.to_string()).collect();
    assert_eq!(all, want);
    assert_eq!(sort(&mut c, &["SORT", "big", "BY", "w_*", "LIMIT", "10", "3"]), want[10..13].to_vec());
    assert_eq!(sort(&mut c, &["SORT", "big", "DESC", "LIMIT", "0", "2"]), strs(&["4999", "4998"]));
    // A set by hash fields: weight i % 7, ties ordered by the members' bytes.
    let by_field = sort(&mut c, &["SORT", "bigset", "BY", "*->w"]);
    let mut want: Vec<(i64, String)> = (0..n).map(|i| (i % 7, format!("m{i}"))).collect();
    want.sort();
    assert_eq!(by_field, want.into_iter().map(|(_, m)| m).collect::<Vec<_>>());
    assert_eq!(ok::<i64>(&mut c, &["SORT", "bigset", "ALPHA", "STORE", "sorted"]), n);
    assert_eq!(ok::<i64>(&mut c, &["LLEN", "sorted"]), n);
}

#[test]
fn keyspace_events() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    run(&mut c, &["RPUSH", "src", "2", "1"]);
    run(&mut c, &["SET", "dst", "x"]);
    let mut sub_conn = s.conn();
    sub_conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut sub = sub_conn.as_pubsub();
    sub.psubscribe("__key*@0__:*").unwrap();
    assert_eq!(ok::<i64>(&mut c, &["SORT", "src", "STORE", "dst"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["SORT", "nokey", "STORE", "dst"]), 0);
    let mut events = Vec::new();
    for _ in 0..4 {
        let msg = sub.get_message().unwrap();
        events.push(format!("{} {}", msg.get_channel_name(), msg.get_payload::<String>().unwrap()));
    }
    assert_eq!(
        events,
        strs(&[
            "__keyspace@0__:dst sortstore",
            "__keyevent@0__:sortstore dst",
            "__keyspace@0__:dst del",
            "__keyevent@0__:del dst",
        ])
    );
}

#[test]
fn store_wakes_blocked_clients() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    run(&mut c, &["RPUSH", "src", "b", "a"]);
    let mut blocked = s.conn();
    let waiter = std::thread::spawn(move || -> Vec<String> { ok(&mut blocked, &["BLPOP", "dst", "5"]) });
    // Wait until the client is parked.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ok::<String>(&mut c, &["INFO", "clients"]).contains("blocked_clients:1") {
        assert!(Instant::now() < deadline, "BLPOP never blocked");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(ok::<i64>(&mut c, &["SORT", "src", "ALPHA", "STORE", "dst"]), 2);
    assert_eq!(waiter.join().unwrap(), strs(&["dst", "a"]));
    assert_eq!(lrange(&mut c, "dst"), strs(&["b"]));
}
