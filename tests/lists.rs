//! The lists family (LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET,
//! LINSERT, LREM, LTRIM, LPOS, RPOPLPUSH, LMOVE, LMPOP) through a real server and the
//! `redis` crate, plus raw RESP2/RESP3 for the null shapes. Error texts are Redis's and are
//! asserted whole.

mod common;

use common::{err, ok};

use redis::{Connection, Value};
use std::time::Duration;

/// Runs a command with binary arguments.
fn bin<T: redis::FromRedisValue>(c: &mut Connection, args: &[&[u8]]) -> T {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn range(c: &mut Connection, key: &str) -> Vec<String> {
    ok(c, &["LRANGE", key, "0", "-1"])
}

fn exists(c: &mut Connection, key: &str) -> bool {
    ok::<i64>(c, &["EXISTS", key]) == 1
}

/// Sends `input` (which should end with QUIT) on a fresh socket and returns every reply byte.
fn raw_replies(s: &common::Server, input: &[u8]) -> Vec<u8> {
    let mut sock = s.raw();
    common::send_raw(&mut sock, input, Duration::from_secs(5))
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

#[test]
fn push_pop_and_length() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["LPUSH", "l", "a", "b", "c"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["RPUSH", "l", "x", "y"]), 5);
    assert_eq!(range(&mut c, "l"), ["c", "b", "a", "x", "y"]);
    assert_eq!(ok::<i64>(&mut c, &["LLEN", "l"]), 5);
    assert_eq!(ok::<i64>(&mut c, &["LLEN", "nosuch"]), 0);
    assert_eq!(ok::<String>(&mut c, &["TYPE", "l"]), "list");
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "l"]), "quicklist");

    assert_eq!(ok::<String>(&mut c, &["LPOP", "l"]), "c");
    assert_eq!(ok::<String>(&mut c, &["RPOP", "l"]), "y");
    assert_eq!(ok::<Vec<String>>(&mut c, &["LPOP", "l", "2"]), ["b", "a"]);
    assert_eq!(ok::<Vec<String>>(&mut c, &["RPOP", "l", "5"]), ["x"]);
    // The last element gone, the key is gone.
    assert!(!exists(&mut c, "l"));
    assert_eq!(ok::<Option<String>>(&mut c, &["LPOP", "l"]), None);

    // The X forms only push onto an existing list.
    assert_eq!(ok::<i64>(&mut c, &["LPUSHX", "l", "a"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["RPUSHX", "l", "a", "b"]), 0);
    assert!(!exists(&mut c, "l"));
    ok::<i64>(&mut c, &["RPUSH", "l", "m"]);
    assert_eq!(ok::<i64>(&mut c, &["LPUSHX", "l", "y3", "y2", "y1"]), 4);
    assert_eq!(ok::<i64>(&mut c, &["RPUSHX", "l", "42", "x"]), 6);
    assert_eq!(range(&mut c, "l"), ["y1", "y2", "y3", "m", "42", "x"]);

    // Binary-safe elements.
    let odd: &[u8] = b"a\0b\r\nc\xff";
    bin::<i64>(&mut c, &[b"RPUSH", b"bin", odd, b""]);
    assert_eq!(bin::<Vec<Vec<u8>>>(&mut c, &[b"LRANGE", b"bin", b"0", b"-1"]), [odd.to_vec(), Vec::new()]);
    assert_eq!(bin::<Vec<u8>>(&mut c, &[b"LINDEX", b"bin", b"0"]), odd);

    assert_eq!(err(&mut c, &["LPOP", "l", "1", "1"]), "ERR wrong number of arguments for 'lpop' command");
    assert_eq!(err(&mut c, &["RPOP", "l", "2", "2"]), "ERR wrong number of arguments for 'rpop' command");
    assert_eq!(err(&mut c, &["LPOP", "l", "-1"]), NOT_POSITIVE);
    assert_eq!(err(&mut c, &["RPOP", "nosuch", "x"]), NOT_POSITIVE);
    assert_eq!(err(&mut c, &["LPUSH", "l"]), "ERR wrong number of arguments for 'lpush' command");
}

#[test]
fn wrong_type_everywhere() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "s", "v"]);
    for args in [
        &["LPUSH", "s", "a"][..],
        &["RPUSH", "s", "a"],
        &["LPUSHX", "s", "a"],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "0"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "-1"],
        &["LINDEX", "s", "0"],
        &["LSET", "s", "0", "a"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
        &["LPOS", "s", "a"],
        &["RPOPLPUSH", "s", "d"],
        &["LMOVE", "s", "d", "LEFT", "RIGHT"],
        &["LMPOP", "1", "s", "LEFT"],
    ] {
        assert_eq!(err(&mut c, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(ok::<String>(&mut c, &["GET", "s"]), "v");
    assert!(!exists(&mut c, "d"));
}

#[test]
fn null_shapes_in_resp2_and_resp3() {
    let s = common::Server::start(&[]);
    let cmds: &[u8] = b"RPUSH l a\r\n\
        LPOP nosuch\r\n\
        LPOP nosuch 0\r\n\
        RPOP nosuch 1\r\n\
        LPOP l 0\r\n\
        RPOP l 0\r\n\
        LINDEX l 5\r\n\
        LPOS l zz\r\n\
        LPOS l zz COUNT 0\r\n\
        LPOS nosuch zz COUNT 1\r\n\
        LMPOP 1 nosuch LEFT\r\n\
        LMOVE nosuch d LEFT LEFT\r\n\
        LRANGE nosuch 0 -1\r\n\
        QUIT\r\n";
    let resp2 = raw_replies(&s, cmds);
    let want2 = b":1\r\n$-1\r\n*-1\r\n*-1\r\n*0\r\n*0\r\n$-1\r\n$-1\r\n*0\r\n*0\r\n*-1\r\n$-1\r\n*0\r\n+OK\r\n";
    assert_eq!(String::from_utf8_lossy(&resp2), String::from_utf8_lossy(want2));

    let mut hello3 = b"HELLO 3\r\n".to_vec();
    hello3.extend_from_slice(b"DEL l\r\n");
    hello3.extend_from_slice(cmds);
    let resp3 = raw_replies(&s, &hello3);
    let want3 = b":1\r\n:1\r\n_\r\n_\r\n_\r\n*0\r\n*0\r\n_\r\n_\r\n*0\r\n*0\r\n_\r\n_\r\n*0\r\n+OK\r\n";
    assert!(
        resp3.ends_with(want3),
        "{:?} does not end with {:?}",
        String::from_utf8_lossy(&resp3),
        String::from_utf8_lossy(want3)
    );
}

#[test]
fn ranges_and_trims() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let digits: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let mut push = vec!["RPUSH", "l"];
    push.extend(digits.iter().map(String::as_str));
    ok::<i64>(&mut c, &push);
    let lr = |c: &mut Connection, a: &str, b: &str| ok::<Vec<String>>(c, &["LRANGE", "l", a, b]);
    assert_eq!(lr(&mut c, "1", "-2"), ["1", "2", "3", "4", "5", "6", "7", "8"]);
    assert_eq!(lr(&mut c, "-3", "-1"), ["7", "8", "9"]);
    assert_eq!(lr(&mut c, "4", "4"), ["4"]);
    assert!(lr(&mut c, "6", "2").is_empty());
    assert!(lr(&mut c, "-1", "-2").is_empty());
    assert_eq!(lr(&mut c, "-1000", "1000").len(), 10);
    assert_eq!(lr(&mut c, "-9223372036854775808", "9223372036854775807").len(), 10);
    assert!(lr(&mut c, "0", "-11").is_empty());
    assert_eq!(lr(&mut c, "0", "-10"), ["0"]);
    assert!(ok::<Vec<String>>(&mut c, &["LRANGE", "nosuch", "0", "-1"]).is_empty());
    assert_eq!(err(&mut c, &["LRANGE", "l", "a", "1"]), NOT_INT);
    // The indexes are parsed before the key is looked at.
    assert_eq!(err(&mut c, &["LRANGE", "nosuch", "0", "1.5"]), NOT_INT);

    let _: () = ok(&mut c, &["LTRIM", "l", "1", "-2"]);
    assert_eq!(range(&mut c, "l"), ["1", "2", "3", "4", "5", "6", "7", "8"]);
    let _: () = ok(&mut c, &["LTRIM", "l", "-3", "100"]);
    assert_eq!(range(&mut c, "l"), ["6", "7", "8"]);
    let _: () = ok(&mut c, &["LTRIM", "nosuch", "0", "1"]);
    assert_eq!(err(&mut c, &["LTRIM", "l", "0", "x"]), NOT_INT);
    // An empty range deletes the key.
    let _: () = ok(&mut c, &["LTRIM", "l", "5", "1"]);
    assert!(!exists(&mut c, "l"));
}

#[test]
fn index_set_insert_remove() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    ok::<i64>(&mut c, &["RPUSH", "l", "99", "98", "97", "96", "95"]);
    assert_eq!(ok::<String>(&mut c, &["LINDEX", "l", "0"]), "99");
    assert_eq!(ok::<String>(&mut c, &["LINDEX", "l", "-1"]), "95");
    assert_eq!(ok::<Option<String>>(&mut c, &["LINDEX", "l", "5"]), None);
    assert_eq!(ok::<Option<String>>(&mut c, &["LINDEX", "l", "-6"]), None);
    assert_eq!(ok::<Option<String>>(&mut c, &["LINDEX", "l", "-9223372036854775808"]), None);
    assert_eq!(ok::<Option<String>>(&mut c, &["LINDEX", "nosuch", "x"]), None);
    assert_eq!(err(&mut c, &["LINDEX", "l", "x"]), NOT_INT);

    let _: () = ok(&mut c, &["LSET", "l", "1", "foo"]);
    let _: () = ok(&mut c, &["LSET", "l", "-1", "bar"]);
    assert_eq!(range(&mut c, "l"), ["99", "foo", "97", "96", "bar"]);
    assert_eq!(err(&mut c, &["LSET", "l", "10", "x"]), "ERR index out of range");
    assert_eq!(err(&mut c, &["LSET", "l", "-6", "x"]), "ERR index out of range");
    assert_eq!(err(&mut c, &["LSET", "nosuch", "0", "x"]), "ERR no such key");
    assert_eq!(err(&mut c, &["LSET", "l", "x", "x"]), NOT_INT);

    ok::<i64>(&mut c, &["DEL", "l"]);
    ok::<i64>(&mut c, &["RPUSH", "l", "a", "b", "c", "d"]);
    assert_eq!(ok::<i64>(&mut c, &["LINSERT", "l", "before", "c", "zz"]), 5);
    assert_eq!(ok::<i64>(&mut c, &["LINSERT", "l", "AFTER", "c", "yy"]), 6);
    assert_eq!(ok::<i64>(&mut c, &["LINSERT", "l", "after", "d", "dd"]), 7);
    assert_eq!(ok::<i64>(&mut c, &["LINSERT", "l", "before", "a", "aa"]), 8);
    assert_eq!(ok::<i64>(&mut c, &["LINSERT", "l", "before", "bad", "x"]), -1);
    assert_eq!(ok::<i64>(&mut c, &["LINSERT", "nosuch", "before", "a", "x"]), 0);
    assert_eq!(range(&mut c, "l"), ["aa", "a", "b", "zz", "c", "yy", "d", "dd"]);
    assert_eq!(err(&mut c, &["LINSERT", "l", "aft3r", "a", "x"]), SYNTAX);
    assert_eq!(err(&mut c, &["LINSERT", "nosuch", "middle", "a", "x"]), SYNTAX);
    assert!(!exists(&mut c, "nosuch"));

    ok::<i64>(&mut c, &["DEL", "l"]);
    ok::<i64>(&mut c, &["RPUSH", "l", "e", "foo", "bar", "foobar", "zap", "bar", "test", "foo", "foo"]);
    assert_eq!(ok::<i64>(&mut c, &["LREM", "l", "-1", "bar"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["LREM", "l", "-2", "foo"]), 2);
    assert_eq!(range(&mut c, "l"), ["e", "foo", "bar", "foobar", "zap", "test"]);
    assert_eq!(ok::<i64>(&mut c, &["LREM", "l", "1", "foo"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["LREM", "l", "0", "nosuch"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["LREM", "l", "-9223372036854775808", "bar"]), 1);
    assert_eq!(range(&mut c, "l"), ["e", "foobar", "zap", "test"]);
    assert_eq!(ok::<i64>(&mut c, &["LREM", "nosuch", "0", "a"]), 0);
    assert_eq!(err(&mut c, &["LREM", "l", "x", "a"]), NOT_INT);
    ok::<i64>(&mut c, &["DEL", "l"]);
    ok::<i64>(&mut c, &["RPUSH", "l", "x", "x", "x"]);
    assert_eq!(ok::<i64>(&mut c, &["LREM", "l", "0", "x"]), 3);
    assert!(!exists(&mut c, "l"));
}

#[test]
fn lpos_options() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    ok::<i64>(&mut c, &["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"]);
    let pos = |c: &mut Connection, args: &[&str]| {
        let mut full = vec!["LPOS", "l"];
        full.extend_from_slice(args);
        ok::<Option<i64>>(c, &full)
    };
    let all = |c: &mut Connection, args: &[&str]| {
        let mut full = vec!["LPOS", "l"];
        full.extend_from_slice(args);
        ok::<Vec<i64>>(c, &full)
    };
    assert_eq!(pos(&mut c, &["a"]), Some(0));
    assert_eq!(pos(&mut c, &["c"]), Some(2));
    assert_eq!(pos(&mut c, &["c", "RANK", "2"]), Some(6));
    assert_eq!(pos(&mut c, &["c", "RANK", "4"]), None);
    assert_eq!(pos(&mut c, &["c", "RANK", "-1"]), Some(7));
    assert_eq!(pos(&mut c, &["c", "RANK", "-2"]), Some(6));
    assert_eq!(pos(&mut c, &["c", "RANK", "-9223372036854775808"]), None);
    assert_eq!(pos(&mut c, &["x"]), None);
    assert_eq!(all(&mut c, &["c", "COUNT", "0"]), [2, 6, 7]);
    assert_eq!(all(&mut c, &["c", "COUNT", "2"]), [2, 6]);
    assert_eq!(all(&mut c, &["c", "COUNT", "0", "RANK", "2"]), [6, 7]);
    assert_eq!(all(&mut c, &["c", "COUNT", "2", "RANK", "-1"]), [7, 6]);
    assert_eq!(all(&mut c, &["a", "COUNT", "0", "MAXLEN", "1"]), [0]);
    assert!(all(&mut c, &["c", "COUNT", "0", "MAXLEN", "1"]).is_empty());
    assert_eq!(all(&mut c, &["c", "COUNT", "0", "MAXLEN", "3", "RANK", "-1"]), [7, 6]);
    assert_eq!(all(&mut c, &["c", "COUNT", "0", "MAXLEN", "7", "RANK", "2"]), [6]);
    assert!(all(&mut c, &["x", "COUNT", "2", "RANK", "-1"]).is_empty());
    assert_eq!(ok::<Option<i64>>(&mut c, &["LPOS", "nosuch", "a"]), None);
    assert!(ok::<Vec<i64>>(&mut c, &["LPOS", "nosuch", "a", "COUNT", "0"]).is_empty());

    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative \
         to start from the end of the list"
    );
    assert_eq!(err(&mut c, &["LPOS", "l", "c", "COUNT", "-1"]), "ERR COUNT can't be negative");
    assert_eq!(err(&mut c, &["LPOS", "l", "c", "MAXLEN", "x"]), "ERR MAXLEN can't be negative");
    assert_eq!(err(&mut c, &["LPOS", "l", "c", "RANK", "x"]), NOT_INT);
    assert_eq!(err(&mut c, &["LPOS", "l", "c", "RANK"]), SYNTAX);
    assert_eq!(err(&mut c, &["LPOS", "l", "c", "BOGUS", "1"]), SYNTAX);
    // Options are checked before the key.
    assert_eq!(err(&mut c, &["LPOS", "nosuch", "c", "COUNT"]), SYNTAX);
}

#[test]
fn moves_between_lists() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    ok::<i64>(&mut c, &["RPUSH", "src", "a", "b", "c", "d"]);
    assert_eq!(ok::<String>(&mut c, &["RPOPLPUSH", "src", "dst"]), "d");
    assert_eq!(ok::<String>(&mut c, &["RPOPLPUSH", "src", "dst"]), "c");
    assert_eq!(range(&mut c, "src"), ["a", "b"]);
    assert_eq!(range(&mut c, "dst"), ["c", "d"]);
    assert_eq!(ok::<String>(&mut c, &["LMOVE", "src", "dst", "LEFT", "RIGHT"]), "a");
    assert_eq!(ok::<String>(&mut c, &["LMOVE", "src", "dst", "right", "left"]), "b");
    assert!(!exists(&mut c, "src"));
    assert_eq!(range(&mut c, "dst"), ["b", "c", "d", "a"]);

    // Rotation within one list, including a list of one.
    assert_eq!(ok::<String>(&mut c, &["RPOPLPUSH", "dst", "dst"]), "a");
    assert_eq!(range(&mut c, "dst"), ["a", "b", "c", "d"]);
    assert_eq!(ok::<String>(&mut c, &["LMOVE", "dst", "dst", "LEFT", "RIGHT"]), "a");
    assert_eq!(range(&mut c, "dst"), ["b", "c", "d", "a"]);
    ok::<i64>(&mut c, &["RPUSH", "one", "x"]);
    assert_eq!(ok::<String>(&mut c, &["LMOVE", "one", "one", "LEFT", "LEFT"]), "x");
    assert_eq!(range(&mut c, "one"), ["x"]);

    // An absent source: nil, and the destination is neither checked nor created.
    assert_eq!(ok::<Option<String>>(&mut c, &["RPOPLPUSH", "nosuch", "newdst"]), None);
    assert!(!exists(&mut c, "newdst"));
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    assert_eq!(ok::<Option<String>>(&mut c, &["LMOVE", "nosuch", "str", "LEFT", "LEFT"]), None);
    // A destination of the wrong type: nothing moves.
    assert_eq!(err(&mut c, &["RPOPLPUSH", "dst", "str"]), WRONGTYPE);
    assert_eq!(range(&mut c, "dst"), ["b", "c", "d", "a"]);
    assert_eq!(err(&mut c, &["LMOVE", "dst", "x", "UP", "LEFT"]), SYNTAX);
    assert_eq!(err(&mut c, &["LMOVE", "dst", "x", "LEFT", "DOWN"]), SYNTAX);
}

#[test]
fn lmpop_arguments_and_pops() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    for (args, want) in [
        (&["LMPOP"][..], "ERR wrong number of arguments for 'lmpop' command"),
        (&["LMPOP", "1", "l"], "ERR wrong number of arguments for 'lmpop' command"),
        (&["LMPOP", "0", "l", "LEFT"], "ERR numkeys should be greater than 0"),
        (&["LMPOP", "a", "l", "LEFT"], "ERR numkeys should be greater than 0"),
        (&["LMPOP", "-1", "l", "RIGHT"], "ERR numkeys should be greater than 0"),
        (&["LMPOP", "1", "l", "bad_where"], SYNTAX),
        (&["LMPOP", "1", "l", "LEFT", "bar_arg"], SYNTAX),
        (&["LMPOP", "1", "l", "RIGHT", "LEFT"], SYNTAX),
        (&["LMPOP", "1", "l", "COUNT"], SYNTAX),
        (&["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"], SYNTAX),
        (&["LMPOP", "2", "l", "l2", "bad_arg"], SYNTAX),
        (&["LMPOP", "5", "l", "LEFT"], SYNTAX),
        (&["LMPOP", "1", "l", "LEFT", "COUNT", "0"], "ERR count should be greater than 0"),
        (&["LMPOP", "1", "l", "RIGHT", "COUNT", "a"], "ERR count should be greater than 0"),
        (&["LMPOP", "2", "l", "l2", "RIGHT", "COUNT", "-1"], "ERR count should be greater than 0"),
    ] {
        assert_eq!(err(&mut c, args), want, "{args:?}");
    }

    ok::<i64>(&mut c, &["RPUSH", "a", "1", "2", "3", "4", "5"]);
    ok::<i64>(&mut c, &["RPUSH", "b", "x", "y"]);
    let popped: (String, Vec<String>) = ok(&mut c, &["LMPOP", "3", "none", "a", "b", "LEFT", "COUNT", "2"]);
    assert_eq!(popped, ("a".to_string(), vec!["1".to_string(), "2".to_string()]));
    let popped: (String, Vec<String>) = ok(&mut c, &["LMPOP", "2", "a", "b", "RIGHT", "COUNT", "10"]);
    assert_eq!(popped, ("a".to_string(), vec!["5".to_string(), "4".to_string(), "3".to_string()]));
    assert!(!exists(&mut c, "a"));
    let popped: (String, Vec<String>) = ok(&mut c, &["LMPOP", "2", "a", "b", "RIGHT"]);
    assert_eq!(popped, ("b".to_string(), vec!["y".to_string()]));
    let popped: (String, Vec<String>) = ok(&mut c, &["LMPOP", "2", "b", "b", "LEFT", "COUNT", "3"]);
    assert_eq!(popped, ("b".to_string(), vec!["x".to_string()]));
    assert_eq!(ok::<Value>(&mut c, &["LMPOP", "2", "a", "b", "LEFT"]), Value::Nil);

    // The first key holding something wins; a wrong type only matters when reached.
    let _: () = ok(&mut c, &["SET", "str", "x"]);
    ok::<i64>(&mut c, &["RPUSH", "a", "1"]);
    let popped: (String, Vec<String>) = ok(&mut c, &["LMPOP", "2", "a", "str", "LEFT"]);
    assert_eq!(popped.0, "a");
    assert_eq!(err(&mut c, &["LMPOP", "2", "a", "str", "LEFT"]), WRONGTYPE);
}

#[test]
fn long_lists_and_large_elements() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let n = 20_000usize;
    let mut model: Vec<String> = Vec::with_capacity(n);
    for chunk in 0..(n / 1000) {
        let elems: Vec<String> = (chunk * 1000..(chunk + 1) * 1000).map(|i| format!("e{i}")).collect();
        let mut args = vec!["RPUSH", "big"];
        args.extend(elems.iter().map(String::as_str));
        assert_eq!(ok::<usize>(&mut c, &args), (chunk + 1) * 1000);
        model.extend(elems);
    }
    assert_eq!(ok::<String>(&mut c, &["OBJECT", "ENCODING", "big"]), "quicklist");
    for i in [0usize, 1, 999, 1000, 7777, n / 2, n - 2, n - 1] {
        assert_eq!(ok::<String>(&mut c, &["LINDEX", "big", &i.to_string()]), model[i]);
        let neg = format!("-{}", n - i);
        assert_eq!(ok::<String>(&mut c, &["LINDEX", "big", &neg]), model[i]);
    }
    // Elements far larger than a packed node, in the middle of small ones.
    let large = "L".repeat(100_000);
    let _: () = ok(&mut c, &["LSET", "big", "10000", &large]);
    model[10_000] = large.clone();
    assert_eq!(ok::<i64>(&mut c, &["LINSERT", "big", "AFTER", "e5000", &large]), (n + 1) as i64);
    model.insert(5001, large.clone());
    assert_eq!(ok::<String>(&mut c, &["LINDEX", "big", "5001"]), large);
    let got: Vec<String> = ok(&mut c, &["LRANGE", "big", "4990", "5010"]);
    assert_eq!(got, model[4990..=5010]);
    assert_eq!(ok::<usize>(&mut c, &["LREM", "big", "0", &large]), 2);
    model.retain(|e| *e != large);
    assert_eq!(range(&mut c, "big"), model);
    assert_eq!(ok::<Option<usize>>(&mut c, &["LPOS", "big", "e19999"]), Some(n - 2));
    let _: () = ok(&mut c, &["LTRIM", "big", "100", "-101"]);
    let kept = &model[100..model.len() - 100];
    assert_eq!(range(&mut c, "big"), kept);
    let popped: Vec<String> = ok(&mut c, &["RPOP", "big", "3"]);
    let want: Vec<String> = kept.iter().rev().take(3).cloned().collect();
    assert_eq!(popped, want);
    assert_eq!(ok::<String>(&mut c, &["RPOP", "big"]), kept[kept.len() - 4]);
    assert_eq!(ok::<usize>(&mut c, &["LLEN", "big"]), kept.len() - 4);
}
