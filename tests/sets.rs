//! The sets family (SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER,
//! SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE, SSCAN)
//! through a real server and the `redis` crate: replies, errors in Redis's words, encodings
//! and RESP3 shapes.

mod common;

use common::{encoding, err, ok, sorted};

use redis::{Connection, Value};
use std::collections::HashSet;

fn members(c: &mut Connection, key: &str) -> Vec<String> {
    sorted(ok(c, &["SMEMBERS", key]))
}

fn strs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn sadd_srem_scard_sismember_smismember_smembers() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["SADD", "s", "a", "b", "a"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["SADD", "s", "b", "c"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["SCARD", "s"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["SCARD", "nokey"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SISMEMBER", "s", "a"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["SISMEMBER", "s", "z"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SISMEMBER", "nokey", "a"]), 0);
    assert_eq!(ok::<Vec<i64>>(&mut c, &["SMISMEMBER", "s", "a", "z", "c"]), vec![1, 0, 1]);
    assert_eq!(ok::<Vec<i64>>(&mut c, &["SMISMEMBER", "nokey", "a", "b"]), vec![0, 0]);
    assert_eq!(members(&mut c, "s"), strs(&["a", "b", "c"]));
    assert_eq!(members(&mut c, "nokey"), Vec::<String>::new());
    assert_eq!(ok::<i64>(&mut c, &["SREM", "s", "a", "z", "a"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["SREM", "nokey", "a"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SREM", "s", "b", "c", "d"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "s"]), 0);
    assert_eq!(err(&mut c, &["SMISMEMBER", "s"]), "ERR wrong number of arguments for 'smismember' command");
    // Integers: intset, sorted.
    assert_eq!(ok::<i64>(&mut c, &["SADD", "i", "3", "-1", "20", "3"]), 3);
    assert_eq!(encoding(&mut c, "i"), "intset");
    assert_eq!(ok::<Vec<String>>(&mut c, &["SMEMBERS", "i"]), strs(&["-1", "3", "20"]));
    assert_eq!(ok::<i64>(&mut c, &["SISMEMBER", "i", "20"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["SISMEMBER", "i", "020"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SREM", "i", "3", "x"]), 1);
    assert_eq!(ok::<Vec<String>>(&mut c, &["SMEMBERS", "i"]), strs(&["-1", "20"]));
}

#[test]
fn wrong_type_everywhere() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    let _: i64 = ok(&mut c, &["SADD", "set", "a"]);
    for args in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "2"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "2"],
        &["SMOVE", "str", "set", "a"],
        &["SMOVE", "set", "str", "a"],
        &["SINTER", "set", "str"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "set", "str"],
        &["SINTERSTORE", "dst", "str", "set"],
        &["SUNION", "set", "str"],
        &["SUNIONSTORE", "dst", "nokey", "str"],
        &["SDIFF", "nokey", "str"],
        &["SDIFF", "set", "str"],
        &["SDIFFSTORE", "dst", "set", "str"],
        &["SSCAN", "str", "0"],
    ] {
        assert_eq!(err(&mut c, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "dst"]), 0);
    // SMOVE from a missing source answers 0 whatever the destination holds.
    assert_eq!(ok::<i64>(&mut c, &["SMOVE", "nokey", "str", "a"]), 0);
}

#[test]
fn encodings_follow_the_config() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["SADD", "s", "1", "2", "3"]);
    assert_eq!(encoding(&mut c, "s"), "intset");
    let _: i64 = ok(&mut c, &["SADD", "s", "a"]);
    assert_eq!(encoding(&mut c, "s"), "hashtable");
    let _: i64 = ok(&mut c, &["SREM", "s", "a"]);
    assert_eq!(encoding(&mut c, "s"), "hashtable");
    // Beyond 64 bits, or not canonical: a string.
    let _: i64 = ok(&mut c, &["SADD", "big", "213244124402402314402033402"]);
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    assert_eq!(ok::<i64>(&mut c, &["SISMEMBER", "big", "213244124402402314402033402"]), 1);
    let _: i64 = ok(&mut c, &["SADD", "lead", "007"]);
    assert_eq!(encoding(&mut c, "lead"), "hashtable");
    // The entry limit (default 512), then a configured one.
    for i in 0..512 {
        let _: i64 = ok(&mut c, &["SADD", "many", &i.to_string()]);
    }
    assert_eq!(encoding(&mut c, "many"), "intset");
    let _: i64 = ok(&mut c, &["SADD", "many", "512"]);
    assert_eq!(encoding(&mut c, "many"), "hashtable");
    let _: () = ok(&mut c, &["CONFIG", "SET", "set-max-intset-entries", "2"]);
    let _: i64 = ok(&mut c, &["SADD", "few", "1", "2"]);
    assert_eq!(encoding(&mut c, "few"), "intset");
    let _: i64 = ok(&mut c, &["SADD", "few", "3"]);
    assert_eq!(encoding(&mut c, "few"), "hashtable");
    assert_eq!(members(&mut c, "few"), strs(&["1", "2", "3"]));
}

#[test]
fn spop_and_srandmember() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    for (key, contents) in [("ints", &["1", "2", "3"][..]), ("strs", &["a", "b", "c"][..])] {
        let mut args = vec!["SADD", key];
        args.extend_from_slice(contents);
        let _: i64 = ok(&mut c, &args);
        let one: String = ok(&mut c, &["SRANDMEMBER", key]);
        assert!(contents.contains(&one.as_str()));
        let mut popped = Vec::new();
        for _ in 0..3 {
            popped.push(ok::<String>(&mut c, &["SPOP", key]));
        }
        assert_eq!(sorted(popped), strs(contents));
        assert_eq!(ok::<i64>(&mut c, &["EXISTS", key]), 0);
    }
    assert_eq!(ok::<Option<String>>(&mut c, &["SPOP", "nokey"]), None);
    assert_eq!(ok::<Option<String>>(&mut c, &["SRANDMEMBER", "nokey"]), None);
    assert_eq!(ok::<Vec<String>>(&mut c, &["SPOP", "nokey", "3"]), Vec::<String>::new());
    assert_eq!(ok::<Value>(&mut c, &["SRANDMEMBER", "nokey", "3"]), Value::Array(vec![]));
    // SPOP with a count: distinct, removed, the key deleted when all go.
    let all: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    let mut args = vec!["SADD", "s"];
    args.extend(all.iter().map(String::as_str));
    let _: i64 = ok(&mut c, &args);
    let a: Vec<String> = ok(&mut c, &["SPOP", "s", "2"]);
    let b: Vec<String> = ok(&mut c, &["SPOP", "s", "15"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["SPOP", "s", "0"]), Vec::<String>::new());
    assert_eq!(ok::<i64>(&mut c, &["SCARD", "s"]), 3);
    let rest: Vec<String> = ok(&mut c, &["SPOP", "s", "30"]);
    assert_eq!(rest.len(), 3);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "s"]), 0);
    let mut union: Vec<String> = a.into_iter().chain(b).chain(rest).collect();
    union.sort();
    let mut want = all.clone();
    want.sort();
    assert_eq!(union, want);
    assert_eq!(err(&mut c, &["SPOP", "s", "-1"]), "ERR value is out of range, must be positive");
    assert_eq!(err(&mut c, &["SPOP", "s", "x"]), "ERR value is out of range, must be positive");
    assert_eq!(err(&mut c, &["SPOP", "s", "1", "2"]), "ERR syntax error");
    // SRANDMEMBER with a count.
    let _: i64 = ok(&mut c, &args);
    assert_eq!(ok::<Value>(&mut c, &["SRANDMEMBER", "s", "0"]), Value::Array(vec![]));
    for n in [1usize, 5, 10, 19, 20, 100] {
        let got: Vec<String> = ok(&mut c, &["SRANDMEMBER", "s", &n.to_string()]);
        assert_eq!(got.len(), n.min(20));
        assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len());
        assert!(got.iter().all(|m| all.contains(m)));
    }
    let got: Vec<String> = ok(&mut c, &["SRANDMEMBER", "s", "-100"]);
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|m| all.contains(m)));
    assert_eq!(ok::<i64>(&mut c, &["SCARD", "s"]), 20);
    assert_eq!(err(&mut c, &["SRANDMEMBER", "s", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(
        err(&mut c, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(err(&mut c, &["SRANDMEMBER", "s", "1", "2"]), "ERR syntax error");
    // A huge negative count streams, and is refused (whole) past proto-max-bulk-len.
    assert_eq!(ok::<Vec<String>>(&mut c, &["SRANDMEMBER", "s", "-100000"]).len(), 100_000);
    let _: () = ok(&mut c, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    assert_eq!(err(&mut c, &["SRANDMEMBER", "s", "-9223372036854775807"]), "ERR reply exceeds proto-max-bulk-len");
    assert_eq!(ok::<i64>(&mut c, &["SCARD", "s"]), 20);
    // Every member comes up eventually with a positive count on a hashtable.
    let _: i64 = ok(&mut c, &["SADD", "s", "x"]);
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let got: Vec<String> = ok(&mut c, &["SRANDMEMBER", "s", "3"]);
        seen.extend(got);
    }
    assert_eq!(seen.len(), 21);
}

#[test]
fn smove() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["SADD", "src", "a", "b", "1"]);
    let _: i64 = ok(&mut c, &["SADD", "dst", "2", "3"]);
    assert_eq!(ok::<i64>(&mut c, &["SMOVE", "src", "dst", "1"]), 1);
    assert_eq!(members(&mut c, "dst"), strs(&["1", "2", "3"]));
    assert_eq!(encoding(&mut c, "dst"), "intset");
    assert_eq!(ok::<i64>(&mut c, &["SMOVE", "src", "dst", "a"]), 1);
    assert_eq!(encoding(&mut c, "dst"), "hashtable");
    assert_eq!(ok::<i64>(&mut c, &["SMOVE", "src", "dst", "zz"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SMOVE", "nokey", "dst", "a"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SMOVE", "src", "src", "b"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["SMOVE", "src", "src", "zz"]), 0);
    // The last member moves: the source goes, a new destination appears.
    assert_eq!(ok::<i64>(&mut c, &["SMOVE", "src", "new", "b"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "src"]), 0);
    assert_eq!(members(&mut c, "new"), strs(&["b"]));
    // Moving a member the destination already has still removes it from the source.
    let _: i64 = ok(&mut c, &["SADD", "x", "m", "n"]);
    let _: i64 = ok(&mut c, &["SADD", "y", "m"]);
    assert_eq!(ok::<i64>(&mut c, &["SMOVE", "x", "y", "m"]), 1);
    assert_eq!(members(&mut c, "x"), strs(&["n"]));
    assert_eq!(members(&mut c, "y"), strs(&["m"]));
}

#[test]
fn sinter_sintercard_sinterstore() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["SADD", "a", "1", "2", "3", "4", "x"]);
    let _: i64 = ok(&mut c, &["SADD", "b", "2", "3", "4", "5", "x"]);
    let _: i64 = ok(&mut c, &["SADD", "c", "3", "4", "x", "y"]);
    let _: i64 = ok(&mut c, &["SADD", "ints", "1", "2", "3"]);
    assert_eq!(sorted(ok(&mut c, &["SINTER", "a", "b"])), strs(&["2", "3", "4", "x"]));
    assert_eq!(sorted(ok(&mut c, &["SINTER", "a", "b", "c"])), strs(&["3", "4", "x"]));
    assert_eq!(sorted(ok(&mut c, &["SINTER", "a", "a", "a"])), strs(&["1", "2", "3", "4", "x"]));
    assert_eq!(sorted(ok(&mut c, &["SINTER", "a", "ints"])), strs(&["1", "2", "3"]));
    assert_eq!(ok::<Vec<String>>(&mut c, &["SINTER", "a", "nokey"]), Vec::<String>::new());
    assert_eq!(ok::<i64>(&mut c, &["SINTERCARD", "3", "a", "b", "c"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["SINTERCARD", "3", "a", "b", "c", "LIMIT", "2"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["SINTERCARD", "3", "a", "b", "c", "limit", "0"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "10"]), 5);
    assert_eq!(ok::<i64>(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "4"]), 4);
    assert_eq!(ok::<i64>(&mut c, &["SINTERCARD", "2", "a", "nokey"]), 0);
    assert_eq!(err(&mut c, &["SINTERCARD", "0", "a"]), "ERR numkeys should be greater than 0");
    assert_eq!(err(&mut c, &["SINTERCARD", "x", "a"]), "ERR numkeys should be greater than 0");
    assert_eq!(err(&mut c, &["SINTERCARD", "2", "a"]), "ERR Number of keys can't be greater than number of args");
    assert_eq!(err(&mut c, &["SINTERCARD", "1", "a", "b"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SINTERCARD", "1", "a", "LIMIT"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "-1"]), "ERR LIMIT can't be negative");
    assert_eq!(err(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "x"]), "ERR LIMIT can't be negative");
    // STORE: replaces (TTL too), encodes as Redis would, deletes on an empty result.
    let _: () = ok(&mut c, &["SET", "dst", "old", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["SINTERSTORE", "dst", "a", "b"]), 4);
    assert_eq!(members(&mut c, "dst"), strs(&["2", "3", "4", "x"]));
    assert_eq!(encoding(&mut c, "dst"), "hashtable");
    assert_eq!(ok::<i64>(&mut c, &["TTL", "dst"]), -1);
    assert_eq!(ok::<i64>(&mut c, &["SINTERSTORE", "dst", "a", "ints"]), 3);
    assert_eq!(encoding(&mut c, "dst"), "intset");
    assert_eq!(ok::<i64>(&mut c, &["SINTERSTORE", "dst", "a", "nokey"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "dst"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SINTERSTORE", "a", "a", "c"]), 3);
    assert_eq!(members(&mut c, "a"), strs(&["3", "4", "x"]));
}

#[test]
fn sunion_sdiff_and_stores() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["SADD", "a", "a", "b", "c"]);
    let _: i64 = ok(&mut c, &["SADD", "b", "b", "c", "d"]);
    let _: i64 = ok(&mut c, &["SADD", "i", "1", "2", "3"]);
    let _: i64 = ok(&mut c, &["SADD", "j", "3", "4"]);
    assert_eq!(sorted(ok(&mut c, &["SUNION", "a", "b", "nokey"])), strs(&["a", "b", "c", "d"]));
    assert_eq!(ok::<Vec<String>>(&mut c, &["SUNION", "i", "j"]), strs(&["1", "2", "3", "4"]));
    assert_eq!(ok::<Vec<String>>(&mut c, &["SUNION", "nokey"]), Vec::<String>::new());
    assert_eq!(sorted(ok(&mut c, &["SDIFF", "a", "b", "nokey"])), strs(&["a"]));
    assert_eq!(ok::<Vec<String>>(&mut c, &["SDIFF", "nokey", "a"]), Vec::<String>::new());
    assert_eq!(ok::<Vec<String>>(&mut c, &["SDIFF", "a", "a"]), Vec::<String>::new());
    assert_eq!(ok::<Vec<String>>(&mut c, &["SDIFF", "i", "j", "a"]), strs(&["1", "2"]));
    assert_eq!(sorted(ok(&mut c, &["SDIFF", "a"])), strs(&["a", "b", "c"]));
    assert_eq!(ok::<i64>(&mut c, &["SUNIONSTORE", "u", "i", "j"]), 4);
    assert_eq!(encoding(&mut c, "u"), "intset");
    assert_eq!(ok::<i64>(&mut c, &["SUNIONSTORE", "u", "i", "a"]), 6);
    assert_eq!(encoding(&mut c, "u"), "hashtable");
    assert_eq!(ok::<i64>(&mut c, &["SUNIONSTORE", "u", "nokey"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "u"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["SDIFFSTORE", "d", "a", "b"]), 1);
    assert_eq!(members(&mut c, "d"), strs(&["a"]));
    assert_eq!(ok::<i64>(&mut c, &["SDIFFSTORE", "d", "b", "a", "b"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "d"]), 0);
    // A difference of intsets stays an intset.
    assert_eq!(ok::<i64>(&mut c, &["SDIFFSTORE", "d", "i", "j"]), 2);
    assert_eq!(encoding(&mut c, "d"), "intset");
    // The destination may be a source.
    assert_eq!(ok::<i64>(&mut c, &["SUNIONSTORE", "a", "a", "b"]), 4);
    assert_eq!(members(&mut c, "a"), strs(&["a", "b", "c", "d"]));
    // Fuzz SDIFF and SUNION against a model.
    let mut rng = 99u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for round in 0..30 {
        let n = 1 + (next() % 5) as usize;
        let mut model: Vec<HashSet<String>> = Vec::new();
        let mut keys = Vec::new();
        for k in 0..n {
            let key = format!("f{round}:{k}");
            let mut set = HashSet::new();
            for _ in 0..(next() % 30) {
                let m = if next() % 2 == 0 { (next() % 50).to_string() } else { format!("m{}", next() % 50) };
                let _: i64 = ok(&mut c, &["SADD", &key, &m]);
                set.insert(m);
            }
            model.push(set);
            keys.push(key);
        }
        let mut args = vec!["SDIFF"];
        args.extend(keys.iter().map(String::as_str));
        let mut want: Vec<String> =
            model[0].iter().filter(|m| model[1..].iter().all(|s| !s.contains(*m))).cloned().collect();
        want.sort();
        assert_eq!(sorted(ok(&mut c, &args)), want);
        args[0] = "SUNION";
        let mut want: Vec<String> = model.iter().flatten().cloned().collect::<HashSet<_>>().into_iter().collect();
        want.sort();
        assert_eq!(sorted(ok(&mut c, &args)), want);
        args[0] = "SINTER";
        let mut want: Vec<String> =
            model[0].iter().filter(|m| model[1..].iter().all(|s| s.contains(*m))).cloned().collect();
        want.sort();
        assert_eq!(sorted(ok(&mut c, &args)), want);
    }
}

#[test]
fn resp3_shapes() {
    let s = common::Server::start(&[]);
    let mut c = redis::Client::open(format!("{}?protocol=resp3", s.url())).unwrap().get_connection().unwrap();
    let _: i64 = ok(&mut c, &["SADD", "s", "a", "1"]);
    let _: i64 = ok(&mut c, &["SADD", "t", "a"]);
    for args in [
        &["SMEMBERS", "s"][..],
        &["SINTER", "s", "t"],
        &["SUNION", "s", "t"],
        &["SDIFF", "s", "t"],
        &["SPOP", "t", "5"],
    ] {
        match ok::<Value>(&mut c, args) {
            Value::Set(items) => assert!(!items.is_empty(), "{args:?}"),
            other => panic!("{args:?} in RESP3: {other:?}"),
        }
    }
    assert_eq!(ok::<Value>(&mut c, &["SMEMBERS", "nokey"]), Value::Set(vec![]));
    assert_eq!(ok::<Value>(&mut c, &["SPOP", "nokey", "1"]), Value::Set(vec![]));
    assert!(matches!(ok::<Value>(&mut c, &["SRANDMEMBER", "s", "2"]), Value::Array(_)));
    assert!(matches!(ok::<Value>(&mut c, &["SMISMEMBER", "s", "a"]), Value::Array(_)));
    assert_eq!(ok::<Value>(&mut c, &["SPOP", "nokey"]), Value::Nil);
}

#[test]
fn sscan() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["SADD", "small", "foo", "fab", "fiz", "foobar", "1", "2"]);
    let (next, items): (String, Vec<String>) = ok(&mut c, &["SSCAN", "small", "0", "MATCH", "foo*", "COUNT", "10000"]);
    assert_eq!(next, "0");
    assert_eq!(sorted(items), strs(&["foo", "foobar"]));
    let _: i64 = ok(&mut c, &["SADD", "ints", "1", "10", "2", "21"]);
    let (next, items): (String, Vec<String>) = ok(&mut c, &["SSCAN", "ints", "0", "MATCH", "*1*"]);
    assert_eq!(next, "0");
    assert_eq!(items, strs(&["1", "10", "21"]));
    for i in 0..1000 {
        let _: i64 = ok(&mut c, &["SADD", "big", &format!("ele:{i}")]);
    }
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    let mut calls = 0;
    loop {
        let (next, items): (String, Vec<String>) = ok(&mut c, &["SSCAN", "big", &cursor, "COUNT", "20"]);
        seen.extend(items);
        calls += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
        assert!(calls < 10_000);
    }
    assert_eq!(seen.len(), 1000);
    assert!(calls > 10);
    assert_eq!(ok::<(String, Vec<String>)>(&mut c, &["SSCAN", "nokey", "0"]), ("0".to_string(), vec![]));
    assert_eq!(err(&mut c, &["SSCAN", "big", "abc"]), "ERR invalid cursor");
    assert_eq!(err(&mut c, &["SSCAN", "big", "0", "COUNT", "0"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SSCAN", "big", "0", "TYPE", "set"]), "ERR syntax error");
}

#[test]
fn writes_that_change_nothing_do_not_break_a_watch() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let mut other = s.conn();
    let _: i64 = ok(&mut c, &["SADD", "src", "a", "b"]);
    let _: i64 = ok(&mut c, &["SADD", "dst", "a"]);
    let _: () = ok(&mut c, &["WATCH", "dst"]);
    // Redis's own regression test: SMOVE of a member the destination already has.
    assert_eq!(ok::<i64>(&mut other, &["SMOVE", "src", "dst", "a"]), 1);
    assert_eq!(ok::<i64>(&mut other, &["SADD", "dst", "a"]), 0);
    assert_eq!(ok::<i64>(&mut other, &["SREM", "dst", "zz"]), 0);
    assert_eq!(err(&mut other, &["HSET", "dst", "f", "v"]), WRONGTYPE);
    let _: () = ok(&mut c, &["MULTI"]);
    let _: String = ok(&mut c, &["SADD", "dst", "c"]);
    assert_eq!(ok::<Vec<i64>>(&mut c, &["EXEC"]), vec![1]);
    assert_eq!(ok::<i64>(&mut c, &["SCARD", "dst"]), 2);
    // A real change does.
    let _: () = ok(&mut c, &["WATCH", "dst"]);
    assert_eq!(ok::<i64>(&mut other, &["SREM", "dst", "c"]), 1);
    let _: () = ok(&mut c, &["MULTI"]);
    let _: String = ok(&mut c, &["SADD", "dst", "d"]);
    assert_eq!(ok::<Value>(&mut c, &["EXEC"]), Value::Nil);
}
