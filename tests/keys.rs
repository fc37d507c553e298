//! The generic key commands (DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX, KEYS, SCAN,
//! RANDOMKEY, DBSIZE, MOVE, COPY, TOUCH, OBJECT) through a real server and the `redis` crate.
//! Expiry-related behaviour lives in tests/expire.rs.

mod common;

use common::{err, ok, sorted};

use redis::{Connection, Value};
use std::collections::HashSet;

/// Runs a full SCAN iteration with extra arguments and returns every key seen (deduplicated).
fn scan_all(c: &mut Connection, extra: &[&str]) -> HashSet<String> {
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    let mut calls = 0;
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let (next, keys): (String, Vec<String>) = ok(c, &args);
        seen.extend(keys);
        cursor = next;
        calls += 1;
        assert!(calls < 100_000, "SCAN did not terminate");
        if cursor == "0" {
            return seen;
        }
    }
}

#[test]
fn del_unlink_and_exists() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "x", "foo"]);
    assert_eq!(ok::<i64>(&mut c, &["DEL", "x"]), 1);
    assert_eq!(ok::<Option<String>>(&mut c, &["GET", "x"]), None);
    assert_eq!(ok::<i64>(&mut c, &["DEL", "x"]), 0);

    for k in ["foo1", "foo2", "foo3"] {
        let _: () = ok(&mut c, &["SET", k, "v"]);
    }
    assert_eq!(ok::<i64>(&mut c, &["DEL", "foo1", "foo2", "foo3", "foo4"]), 3);
    assert_eq!(ok::<Vec<Option<String>>>(&mut c, &["MGET", "foo1", "foo2", "foo3"]), vec![None, None, None]);

    // A key named twice is deleted once.
    let _: () = ok(&mut c, &["SET", "dup", "v"]);
    assert_eq!(ok::<i64>(&mut c, &["DEL", "dup", "dup"]), 1);

    let _: () = ok(&mut c, &["SET", "a", "1"]);
    let _: () = ok(&mut c, &["SET", "b", "2"]);
    assert_eq!(ok::<i64>(&mut c, &["UNLINK", "a", "b", "c"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 0);

    // EXISTS counts every argument, repeats included.
    let _: () = ok(&mut c, &["SET", "newkey", "test"]);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "newkey"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "newkey", "newkey", "nokey"]), 2);
    let _: () = ok(&mut c, &["DEL", "newkey"]);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "newkey"]), 0);

    // A zero-length value is a value.
    let _: () = ok(&mut c, &["SET", "emptykey", ""]);
    assert_eq!(ok::<String>(&mut c, &["GET", "emptykey"]), "");
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "emptykey"]), 1);

    assert_eq!(err(&mut c, &["DEL"]), "ERR wrong number of arguments for 'del' command");
    assert_eq!(err(&mut c, &["UNLINK"]), "ERR wrong number of arguments for 'unlink' command");
    assert_eq!(err(&mut c, &["EXISTS"]), "ERR wrong number of arguments for 'exists' command");
}

#[test]
fn type_reports_string_and_none() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "s", "v"]);
    assert_eq!(ok::<String>(&mut c, &["TYPE", "s"]), "string");
    let _: () = ok(&mut c, &["SET", "n", "12345"]);
    assert_eq!(ok::<String>(&mut c, &["TYPE", "n"]), "string");
    assert_eq!(ok::<String>(&mut c, &["TYPE", "missing"]), "none");
    // TYPE answers with a status reply, not a bulk string.
    assert_eq!(ok::<Value>(&mut c, &["TYPE", "s"]), Value::SimpleString("string".into()));
    assert_eq!(err(&mut c, &["TYPE"]), "ERR wrong number of arguments for 'type' command");
    assert_eq!(err(&mut c, &["TYPE", "a", "b"]), "ERR wrong number of arguments for 'type' command");
}

#[test]
fn keys_and_dbsize() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", "*"]), Vec::<String>::new());
    for k in ["key_x", "key_y", "key_z", "foo_a", "foo_b", "foo_c"] {
        let _: () = ok(&mut c, &["SET", k, "hello"]);
    }
    assert_eq!(sorted(ok(&mut c, &["KEYS", "foo*"])), ["foo_a", "foo_b", "foo_c"]);
    assert_eq!(sorted(ok(&mut c, &["KEYS", "*"])), ["foo_a", "foo_b", "foo_c", "key_x", "key_y", "key_z"]);
    assert_eq!(sorted(ok(&mut c, &["KEYS", "key_[xy]"])), ["key_x", "key_y"]);
    assert_eq!(sorted(ok(&mut c, &["KEYS", "key_[^x]"])), ["key_y", "key_z"]);
    assert_eq!(sorted(ok(&mut c, &["KEYS", "???_?"])), ["foo_a", "foo_b", "foo_c", "key_x", "key_y", "key_z"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", "foo_a"]), ["foo_a"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", "FOO*"]), Vec::<String>::new(), "KEYS is case-sensitive");
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 6);

    // Glob escapes: a literal '*' and '?' in a key name.
    let _: () = ok(&mut c, &["SET", "star*key", "v"]);
    let _: () = ok(&mut c, &["SET", "starXkey", "v"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", "star\\*key"]), ["star*key"]);

    let keys: Vec<String> = ok(&mut c, &["KEYS", "*"]);
    for k in &keys {
        let _: i64 = ok(&mut c, &["DEL", k]);
    }
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 0);

    // The same long key listed twice (Redis issue #1208).
    let _: () = ok(&mut c, &["SET", "dlskeriewrioeuwqoirueioqwrueoqwrueqw", "test"]);
    let _: Vec<String> = ok(&mut c, &["KEYS", "*"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", "*"]), ["dlskeriewrioeuwqoirueioqwrueoqwrueqw"]);

    assert_eq!(err(&mut c, &["KEYS"]), "ERR wrong number of arguments for 'keys' command");
    assert_eq!(err(&mut c, &["DBSIZE", "x"]), "ERR wrong number of arguments for 'dbsize' command");
}

/// CVE-2022-36021: a pattern of many stars against a long key must not take exponential
/// time. The test only requires that the command returns (the harness would hang otherwise).
#[test]
fn keys_with_pathological_pattern_returns() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "1"]);
    let pattern = "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", pattern]), Vec::<String>::new());

    // A much longer key and a much longer pattern.
    let long_key = "a".repeat(10_000);
    let _: () = ok(&mut c, &["SET", &long_key, "1"]);
    let star_pattern = format!("{}b", "*a".repeat(500));
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", &star_pattern]), Vec::<String>::new());
    let (_, found): (String, Vec<String>) = ok(&mut c, &["SCAN", "0", "MATCH", &star_pattern, "COUNT", "1000"]);
    assert!(found.is_empty());
    // Nested classes and escapes in a pathological pattern.
    let class_pattern = format!("{}[b]", "*[a]".repeat(300));
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", &class_pattern]), Vec::<String>::new());
    // And the server is still responsive.
    assert_eq!(ok::<String>(&mut c, &["PING"]), "PONG");
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a"]).len(), 2);
}

#[test]
fn rename_and_renamenx() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "mykey", "hello"]);
    assert_eq!(ok::<String>(&mut c, &["RENAME", "mykey", "mykey1"]), "OK");
    let _: () = ok(&mut c, &["RENAME", "mykey1", "mykey2"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey2"]), "hello");
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "mykey", "mykey1"]), 0);

    // RENAME overwrites the destination.
    let _: () = ok(&mut c, &["SET", "mykey", "a"]);
    let _: () = ok(&mut c, &["SET", "mykey2", "b"]);
    let _: () = ok(&mut c, &["RENAME", "mykey2", "mykey"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey"]), "b");
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "mykey2"]), 0);

    // RENAMENX only when the destination is absent.
    let _: () = ok(&mut c, &["DEL", "mykey", "mykey2"]);
    let _: () = ok(&mut c, &["SET", "mykey", "foobar"]);
    assert_eq!(ok::<i64>(&mut c, &["RENAMENX", "mykey", "mykey2"]), 1);
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey2"]), "foobar");
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "mykey"]), 0);
    let _: () = ok(&mut c, &["SET", "mykey", "foo"]);
    let _: () = ok(&mut c, &["SET", "mykey2", "bar"]);
    assert_eq!(ok::<i64>(&mut c, &["RENAMENX", "mykey", "mykey2"]), 0);
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey"]), "foo");
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey2"]), "bar");

    // Missing source.
    assert_eq!(err(&mut c, &["RENAME", "nokey", "foobar"]), "ERR no such key");
    assert_eq!(err(&mut c, &["RENAMENX", "nokey", "foobar"]), "ERR no such key");
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "foobar"]), 0);

    // Same source and destination.
    let _: () = ok(&mut c, &["SET", "same", "foo"]);
    assert_eq!(ok::<String>(&mut c, &["RENAME", "same", "same"]), "OK");
    assert_eq!(ok::<i64>(&mut c, &["RENAMENX", "same", "same"]), 0);
    assert_eq!(ok::<String>(&mut c, &["GET", "same"]), "foo");
    let _: () = ok(&mut c, &["DEL", "same"]);
    assert_eq!(err(&mut c, &["RENAME", "same", "same"]), "ERR no such key");
    assert_eq!(err(&mut c, &["RENAMENX", "same", "same"]), "ERR no such key");

    // Binary-safe key names.
    let _: () = ok(&mut c, &["SET", "a\0b", "bin"]);
    let _: () = ok(&mut c, &["RENAME", "a\0b", "a\0c"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "a\0c"]), "bin");

    assert_eq!(err(&mut c, &["RENAME", "a"]), "ERR wrong number of arguments for 'rename' command");
    assert_eq!(err(&mut c, &["RENAMENX", "a", "b", "c"]), "ERR wrong number of arguments for 'renamenx' command");
}

#[test]
fn randomkey() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
    let _: () = ok(&mut c, &["SET", "x", "10"]);
    let _: () = ok(&mut c, &["DEL", "x"]);
    assert_eq!(ok::<Option<String>>(&mut c, &["RANDOMKEY"]), None);

    let _: () = ok(&mut c, &["SET", "foo", "x"]);
    let _: () = ok(&mut c, &["SET", "bar", "y"]);
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let k: String = ok(&mut c, &["RANDOMKEY"]);
        seen.insert(k);
    }
    assert_eq!(seen, HashSet::from(["foo".to_string(), "bar".to_string()]));
    assert_eq!(err(&mut c, &["RANDOMKEY", "x"]), "ERR wrong number of arguments for 'randomkey' command");
}

#[test]
fn scan_iterates_every_key() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<(String, Vec<String>)>(&mut c, &["SCAN", "0"]), ("0".to_string(), vec![]));
    for i in 0..1000 {
        let _: () = ok(&mut c, &["SET", &format!("key:{i}"), &i.to_string()]);
    }
    assert_eq!(scan_all(&mut c, &[]).len(), 1000);
    assert_eq!(scan_all(&mut c, &["COUNT", "5"]).len(), 1000);
    assert_eq!(scan_all(&mut c, &["count", "1"]).len(), 1000);
    assert_eq!(scan_all(&mut c, &["COUNT", "100000"]).len(), 1000);
    let matched = scan_all(&mut c, &["MATCH", "key:1??"]);
    assert_eq!(matched.len(), 100);
    assert!(matched.iter().all(|k| k.starts_with("key:1") && k.len() == 7));
    assert_eq!(scan_all(&mut c, &["MATCH", "*"]).len(), 1000);
    assert_eq!(scan_all(&mut c, &["TYPE", "list"]).len(), 0);
    assert_eq!(scan_all(&mut c, &["TYPE", "string"]).len(), 1000);
    assert_eq!(scan_all(&mut c, &["TYPE", "STRING"]).len(), 1000, "TYPE compares case-insensitively");
    assert_eq!(scan_all(&mut c, &["TYPE", "nosuchtype"]).len(), 0);
    assert_eq!(scan_all(&mut c, &["type", "string", "match", "key:*", "count", "10"]).len(), 1000);
    // The last of a repeated option wins.
    assert_eq!(scan_all(&mut c, &["MATCH", "nomatch*", "MATCH", "key:2?"]).len(), 10);

    // One call with a large COUNT returns everything and ends the iteration.
    let (cursor, keys): (String, Vec<String>) = ok(&mut c, &["SCAN", "0", "COUNT", "100000"]);
    assert_eq!(cursor, "0");
    assert_eq!(keys.len(), 1000);
}

#[test]
fn scan_guarantees_under_write_load() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    for i in 0..100 {
        let _: () = ok(&mut c, &["SET", &format!("key:{i}"), "v"]);
    }
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    let mut n = 0u32;
    loop {
        let (next, keys): (String, Vec<String>) = ok(&mut c, &["SCAN", &cursor]);
        seen.extend(keys);
        cursor = next;
        if cursor == "0" {
            break;
        }
        for _ in 0..10 {
            n = n.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let _: () = ok(&mut c, &["SET", &format!("addedkey:{}", n % 1000), "foo"]);
        }
    }
    let originals = seen.iter().filter(|k| k.starts_with("key:")).count();
    assert_eq!(originals, 100);
}

#[test]
fn scan_cursor_and_option_errors() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "k", "v"]);
    for bad in ["abc", "1a", " 1", "1 ", "0x10", "18446744073709551616", "1.5"] {
        assert_eq!(err(&mut c, &["SCAN", bad]), "ERR invalid cursor", "cursor {bad:?}");
    }
    // The cursor is an unsigned 64-bit number: the largest one is accepted.
    let (_, _): (String, Vec<String>) = ok(&mut c, &["SCAN", "18446744073709551615"]);
    let (_, _): (String, Vec<String>) = ok(&mut c, &["SCAN", "4294967296"]);

    assert_eq!(err(&mut c, &["SCAN", "0", "COUNT", "0"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN", "0", "COUNT", "-1"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN", "0", "COUNT", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["SCAN", "0", "COUNT"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN", "0", "MATCH"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN", "0", "TYPE"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN", "0", "FOO", "bar"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SCAN"]), "ERR wrong number of arguments for 'scan' command");
    // The cursor is checked before the options.
    assert_eq!(err(&mut c, &["SCAN", "x", "COUNT", "0"]), "ERR invalid cursor");
}

#[test]
fn move_between_databases() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SELECT", "9"]);
    let _: () = ok(&mut c, &["SET", "mykey", "foobar"]);
    assert_eq!(ok::<i64>(&mut c, &["MOVE", "mykey", "10"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "mykey"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 0);
    let _: () = ok(&mut c, &["SELECT", "10"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey"]), "foobar");
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 1);
    let _: () = ok(&mut c, &["SELECT", "9"]);

    // Already present in the target: nothing moves.
    let _: () = ok(&mut c, &["SET", "mykey", "hello"]);
    assert_eq!(ok::<i64>(&mut c, &["MOVE", "mykey", "10"]), 0);
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey"]), "hello");
    // Missing source.
    assert_eq!(ok::<i64>(&mut c, &["MOVE", "nokey", "10"]), 0);

    assert_eq!(err(&mut c, &["MOVE", "mykey", "notanumber"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["MOVE", "mykey", "4294967296"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["MOVE", "mykey", "16"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["MOVE", "mykey", "-1"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["MOVE", "mykey", "9"]), "ERR source and destination objects are the same");
    // The same-database check comes before the key lookup.
    assert_eq!(err(&mut c, &["MOVE", "nokey", "9"]), "ERR source and destination objects are the same");
    assert_eq!(err(&mut c, &["MOVE", "mykey"]), "ERR wrong number of arguments for 'move' command");

    // Keys in different databases are independent.
    let _: () = ok(&mut c, &["SET", "a", "hello"]);
    let _: () = ok(&mut c, &["SELECT", "10"]);
    let _: () = ok(&mut c, &["SET", "a", "foo"]);
    let _: () = ok(&mut c, &["SELECT", "9"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "a"]), "hello");
}

#[test]
fn copy_within_and_across_databases() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SELECT", "9"]);
    let _: () = ok(&mut c, &["SET", "mykey", "foobar"]);
    assert_eq!(ok::<i64>(&mut c, &["COPY", "mykey", "mynewkey"]), 1);
    assert_eq!(ok::<String>(&mut c, &["GET", "mynewkey"]), "foobar");
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["COPY", "mykey", "mynewkey", "DB", "10"]), 1);
    let _: () = ok(&mut c, &["SELECT", "10"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "mynewkey"]), "foobar");
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 1);
    let _: () = ok(&mut c, &["SELECT", "9"]);

    // Without REPLACE an existing destination is kept.
    let _: () = ok(&mut c, &["SET", "mykey2", "hello"]);
    assert_eq!(ok::<i64>(&mut c, &["COPY", "mykey2", "mynewkey", "DB", "10"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["COPY", "mykey2", "mynewkey"]), 0);
    assert_eq!(ok::<String>(&mut c, &["GET", "mynewkey"]), "foobar");
    // With REPLACE it is overwritten (options in any order, any case).
    assert_eq!(ok::<i64>(&mut c, &["COPY", "mykey2", "mynewkey", "DB", "10", "REPLACE"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["COPY", "mykey2", "mynewkey", "replace", "db", "9"]), 1);
    assert_eq!(ok::<String>(&mut c, &["GET", "mynewkey"]), "hello");
    let _: () = ok(&mut c, &["SELECT", "10"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "mynewkey"]), "hello");

    // The copy is independent of the original.
    let _: () = ok(&mut c, &["SET", "mynewkey", "hoge"]);
    let _: () = ok(&mut c, &["SELECT", "9"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey2"]), "hello");
    let _: () = ok(&mut c, &["APPEND", "mynewkey", "-more"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey2"]), "hello");
    assert_eq!(ok::<String>(&mut c, &["GET", "mynewkey"]), "hello-more");

    // Missing source.
    assert_eq!(ok::<i64>(&mut c, &["COPY", "nokey", "dst"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "dst"]), 0);

    // Errors.
    assert_eq!(
        err(&mut c, &["COPY", "mykey", "mynewkey", "DB", "notanumber"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(err(&mut c, &["COPY", "mykey", "mynewkey", "DB", "16"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["COPY", "mykey", "mynewkey", "DB", "-1"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &["COPY", "mykey", "mykey"]), "ERR source and destination objects are the same");
    assert_eq!(err(&mut c, &["COPY", "mykey", "mykey", "DB", "9"]), "ERR source and destination objects are the same");
    assert_eq!(err(&mut c, &["COPY", "nokey", "nokey"]), "ERR source and destination objects are the same");
    assert_eq!(ok::<i64>(&mut c, &["COPY", "mykey", "mykey", "DB", "10", "REPLACE"]), 1);
    assert_eq!(err(&mut c, &["COPY", "mykey", "x", "DB"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["COPY", "mykey", "x", "FOO"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["COPY", "mykey"]), "ERR wrong number of arguments for 'copy' command");
}

#[test]
fn touch_counts_existing_keys() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "key1", "1"]);
    let _: () = ok(&mut c, &["SET", "key2", "2"]);
    assert_eq!(ok::<i64>(&mut c, &["TOUCH", "key0", "key1", "key2", "key3"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["TOUCH", "key1", "key1"]), 2);
    assert_eq!(ok::<i64>(&mut c, &["TOUCH", "nokey"]), 0);
    assert_eq!(err(&mut c, &["TOUCH"]), "ERR wrong number of arguments for 'touch' command");
}

#[test]
fn object_encoding_refcount_idletime_and_help() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "int", "12345"]);
    let _: () = ok(&mut c, &["SET", "short", "hello"]);
    let _: () = ok(&mut c, &["SET", "long", &"x".repeat(100)]);
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "int"]), "int");
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "short"]), "embstr");
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "encoding", "long"]), "raw");
    assert_eq!(ok::<Option<String>>(&mut c, &["OBJECT", "ENCODING", "missing"]), None);

    assert_eq!(ok::<i64>(&mut c, &["OBJECT", "REFCOUNT", "short"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["OBJECT", "REFCOUNT", "int"]), 1);
    assert_eq!(ok::<Option<i64>>(&mut c, &["OBJECT", "REFCOUNT", "missing"]), None);

    let idle: i64 = ok(&mut c, &["OBJECT", "IDLETIME", "short"]);
    assert!((0..=2).contains(&idle), "idle {idle}");
    assert_eq!(ok::<Option<i64>>(&mut c, &["OBJECT", "IDLETIME", "missing"]), None);

    // FREQ needs an LFU policy; the default is noeviction.
    let freq_err = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    assert_eq!(err(&mut c, &["OBJECT", "FREQ", "short"]), freq_err);
    // A missing key answers nil before the policy is considered.
    assert_eq!(ok::<Option<i64>>(&mut c, &["OBJECT", "FREQ", "missing"]), None);

    let help: Vec<String> = ok(&mut c, &["OBJECT", "HELP"]);
    assert_eq!(help[0], "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert!(help.iter().any(|l| l == "ENCODING <key>"));
    assert!(help.iter().any(|l| l == "FREQ <key>"));
    assert!(help.iter().any(|l| l == "IDLETIME <key>"));
    assert!(help.iter().any(|l| l == "REFCOUNT <key>"));
    assert_eq!(help[help.len() - 2], "HELP");
    assert_eq!(help[help.len() - 1], "    Prints this help.");
    assert_eq!(help.len(), 15);
    let help_lower: Vec<String> = ok(&mut c, &["object", "help"]);
    assert_eq!(help_lower, help);

    assert_eq!(err(&mut c, &["OBJECT", "NOSUCH", "x"]), "ERR unknown subcommand 'NOSUCH'. Try OBJECT HELP.");
    assert_eq!(err(&mut c, &["OBJECT"]), "ERR wrong number of arguments for 'object' command");
    assert_eq!(err(&mut c, &["OBJECT", "ENCODING"]), "ERR wrong number of arguments for 'object|encoding' command");
    assert_eq!(
        err(&mut c, &["OBJECT", "ENCODING", "a", "b"]),
        "ERR wrong number of arguments for 'object|encoding' command"
    );
    assert_eq!(err(&mut c, &["OBJECT", "HELP", "x"]), "ERR wrong number of arguments for 'object|help' command");
}

#[test]
fn object_idletime_tracks_access_and_touch() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    let _: () = ok(&mut c, &["SET", "other", "bar"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    // TTL, TYPE, EXISTS and OBJECT itself leave the access time alone.
    let _: i64 = ok(&mut c, &["TTL", "foo"]);
    let _: String = ok(&mut c, &["TYPE", "foo"]);
    let _: i64 = ok(&mut c, &["EXISTS", "foo"]);
    let _: String = ok(&mut c, &["OBJECT", "ENCODING", "foo"]);
    assert!(ok::<i64>(&mut c, &["OBJECT", "IDLETIME", "foo"]) >= 2);
    // TOUCH and GET refresh it.
    assert_eq!(ok::<i64>(&mut c, &["TOUCH", "foo"]), 1);
    assert!(ok::<i64>(&mut c, &["OBJECT", "IDLETIME", "foo"]) < 2);
    let _: String = ok(&mut c, &["GET", "other"]);
    assert!(ok::<i64>(&mut c, &["OBJECT", "IDLETIME", "other"]) < 2);
}

#[test]
fn object_freq_under_lfu_policy() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    // The policy may be changed at run time by an admin; the default user has every right
    // until the gate arrives.
    let set: redis::RedisResult<String> = common::cmd(&mut c, &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    if set.is_err() {
        eprintln!("CONFIG SET maxmemory-policy unavailable; skipping the LFU half: {set:?}");
        return;
    }
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    for _ in 0..50 {
        let _: String = ok(&mut c, &["GET", "foo"]);
    }
    let freq: i64 = ok(&mut c, &["OBJECT", "FREQ", "foo"]);
    assert!((1..=255).contains(&freq), "freq {freq}");
    assert_eq!(
        err(&mut c, &["OBJECT", "IDLETIME", "foo"]),
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    let _: String = ok(&mut c, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    let _: i64 = ok(&mut c, &["OBJECT", "IDLETIME", "foo"]);
}

#[test]
fn commands_respect_the_selected_database() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "k0", "v"]);
    let _: () = ok(&mut c, &["SELECT", "1"]);
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 0);
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", "*"]), Vec::<String>::new());
    assert_eq!(ok::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "k0"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["DEL", "k0"]), 0);
    assert_eq!(ok::<String>(&mut c, &["TYPE", "k0"]), "none");
    let _: () = ok(&mut c, &["SET", "k1", "v"]);
    assert_eq!(scan_all(&mut c, &[]), HashSet::from(["k1".to_string()]));
    let _: () = ok(&mut c, &["SELECT", "0"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", "*"]), ["k0"]);
}

/// One field of an INFO section.
fn info_field(c: &mut Connection, section: &str, field: &str) -> String {
    let info: String = ok(c, &["INFO", section]);
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .to_string()
}

#[test]
fn read_lookups_count_keyspace_hits_and_misses() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "a", "1"]);
    let _: () = ok(&mut c, &["CONFIG", "RESETSTAT"]);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "a", "nokey"]), 1); // 1 hit, 1 miss
    let _: String = ok(&mut c, &["TYPE", "a"]); // hit
    let _: i64 = ok(&mut c, &["TTL", "nokey"]); // miss
    let _: i64 = ok(&mut c, &["TOUCH", "a"]); // hit
                                              // Writes do not count.
    let _: i64 = ok(&mut c, &["EXPIRE", "a", "100"]);
    let _: i64 = ok(&mut c, &["PERSIST", "a"]);
    let _: i64 = ok(&mut c, &["DEL", "nokey"]);
    assert_eq!(info_field(&mut c, "stats", "keyspace_hits"), "3");
    assert_eq!(info_field(&mut c, "stats", "keyspace_misses"), "2");
}

#[test]
fn info_keyspace_follows_expire_and_persist() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "a", "1"]);
    let _: () = ok(&mut c, &["SET", "b", "1"]);
    let _: i64 = ok(&mut c, &["EXPIRE", "a", "100"]);
    assert!(info_field(&mut c, "keyspace", "db0").starts_with("keys=2,expires=1,"));
    let _: i64 = ok(&mut c, &["PERSIST", "a"]);
    assert!(info_field(&mut c, "keyspace", "db0").starts_with("keys=2,expires=0,"));
    let _: i64 = ok(&mut c, &["PEXPIRE", "b", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(ok::<Option<String>>(&mut c, &["GET", "b"]), None);
    assert_eq!(info_field(&mut c, "stats", "expired_keys"), "1");
}

#[test]
fn small_integers_report_the_shared_refcount() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    // Redis shares the integers 0..10000 when no LRU/LFU maxmemory policy is in force.
    let _: () = ok(&mut c, &["SET", "small", "1"]);
    let _: () = ok(&mut c, &["SET", "big", "10000"]);
    let _: () = ok(&mut c, &["SET", "neg", "-1"]);
    assert_eq!(ok::<i64>(&mut c, &["OBJECT", "REFCOUNT", "small"]), 2147483647);
    assert_eq!(ok::<i64>(&mut c, &["OBJECT", "REFCOUNT", "big"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["OBJECT", "REFCOUNT", "neg"]), 1);
}
