//! The HyperLogLog family (PFADD, PFCOUNT, PFMERGE) through a real server and the `redis`
//! crate: replies, Redis's wire format (values are strings interchangeable with Redis's),
//! the error bounds of the estimate, and corrupt or hostile values refused without harm.

mod common;

use common::{err, ok};

use redis::{Connection, Value};

fn get(c: &mut Connection, key: &str) -> Vec<u8> {
    ok(c, &["GET", key])
}

fn set(c: &mut Connection, key: &str, value: &[u8]) {
    let _: () = redis::cmd("SET").arg(key).arg(value).query(c).unwrap();
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// PFADDs `n` distinct elements with the given prefix, pipelined.
fn add_many(c: &mut Connection, key: &str, prefix: &str, n: usize) {
    if n == 0 {
        return;
    }
    let mut pipe = redis::pipe();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut cmd = redis::cmd("PFADD");
        cmd.arg(key);
        for i in chunk {
            cmd.arg(format!("{prefix}{i}"));
        }
        pipe.add_command(cmd).ignore();
    }
    let _: () = pipe.query(c).unwrap();
}

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// `PFADD g1 a b c` on Redis 7.0.15, then after a PFCOUNT (cached cardinality 3).
const REDIS_ABC: &str = "48594c4c01000000000000000000008060f38050b1844bfb80425a";
const REDIS_ABC_COUNTED: &str = "48594c4c01000000030000000000000060f38050b1844bfb80425a";

#[test]
fn basics() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(ok::<i64>(&mut c, &["PFADD", "h"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "h"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["PFADD", "h"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "h"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["PFADD", "h", "a", "b", "c"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["PFADD", "h", "a", "b", "c"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["PFADD", "h", ""]), 1);
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "h"]), 4);
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "none"]), 0);
    let _: i64 = ok(&mut c, &["DEL", "h"]);
    let _: i64 = ok(&mut c, &["PFADD", "h", "1", "2", "3", "4", "5"]);
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "h"]), 5);
    let _: i64 = ok(&mut c, &["PFADD", "h", "6", "7", "8", "8", "9", "10"]);
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "h"]), 10);
    // PFMERGE: the union; the destination is an input too; missing sources are empty.
    let _: i64 = ok(&mut c, &["PFADD", "h1", "a", "b", "c"]);
    let _: i64 = ok(&mut c, &["PFADD", "h2", "b", "c", "d"]);
    let _: i64 = ok(&mut c, &["PFADD", "h3", "c", "d", "e"]);
    assert_eq!(ok::<String>(&mut c, &["PFMERGE", "u", "h1", "h2", "h3", "missing"]), "OK");
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "u"]), 5);
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "h1", "h2", "h3", "missing"]), 5);
    let _: i64 = ok(&mut c, &["PFADD", "u2", "z"]);
    assert_eq!(ok::<String>(&mut c, &["PFMERGE", "u2", "h1"]), "OK");
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "u2"]), 4);
    assert_eq!(ok::<String>(&mut c, &["PFMERGE", "empty"]), "OK");
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "empty"]), 0);
    assert_eq!(err(&mut c, &["PFCOUNT"]), "ERR wrong number of arguments for 'pfcount' command");
}

#[test]
fn wire_format_matches_redis() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: i64 = ok(&mut c, &["PFADD", "h", "a", "b", "c"]);
    assert_eq!(get(&mut c, "h"), hex(REDIS_ABC));
    // PFCOUNT caches the estimate in the header; PFADD that changes nothing keeps it.
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "h"]), 3);
    assert_eq!(get(&mut c, "h"), hex(REDIS_ABC_COUNTED));
    let _: i64 = ok(&mut c, &["PFADD", "h", "a", "b", "c"]);
    assert_eq!(ok::<Vec<u8>>(&mut c, &["GETRANGE", "h", "15", "15"]), [0x00]);
    let _: i64 = ok(&mut c, &["PFADD", "h", "1", "2", "3"]);
    assert_eq!(ok::<Vec<u8>>(&mut c, &["GETRANGE", "h", "15", "15"]), [0x80]);
    // A value written by Redis is read as Redis reads it.
    set(&mut c, "r", &hex(REDIS_ABC));
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "r"]), 3);
    assert_eq!(ok::<i64>(&mut c, &["PFADD", "r", "a"]), 0);
    // Sparse until hll-sparse-max-bytes, then dense (12304 bytes, encoding byte 0).
    add_many(&mut c, "grow", "e", 300);
    let v = get(&mut c, "grow");
    assert_eq!((&v[..4], v[4]), (&b"HYLL"[..], 1));
    assert!(v.len() < 3000);
    add_many(&mut c, "grow", "f", 5000);
    let v = get(&mut c, "grow");
    assert_eq!((v.len(), v[4]), (12304, 0));
    let _: () = ok(&mut c, &["CONFIG", "SET", "hll-sparse-max-bytes", "100"]);
    add_many(&mut c, "tiny", "e", 100);
    assert_eq!(get(&mut c, "tiny")[4], 0);
    // A merge with a dense input is dense; sparse and dense give the same estimate.
    let _: () = ok(&mut c, &["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
    add_many(&mut c, "sp", "e", 100);
    assert_eq!(get(&mut c, "sp")[4], 1);
    let _: String = ok(&mut c, &["PFMERGE", "dn", "tiny"]);
    assert_eq!(get(&mut c, "dn")[4], 0);
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "sp"]), ok::<i64>(&mut c, &["PFCOUNT", "tiny"]));
}

#[test]
fn estimates_are_within_bounds() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let n = 100_000usize;
    add_many(&mut c, "h", "element:", n);
    let card: i64 = ok(&mut c, &["PFCOUNT", "h"]);
    let error = (card - n as i64).abs() as f64 / n as f64;
    assert!(error < 0.02, "estimate {card} for {n}");
    // Small sets are nearly exact.
    add_many(&mut c, "small", "s", 1000);
    let card: i64 = ok(&mut c, &["PFCOUNT", "small"]);
    assert!((card - 1000).abs() <= 20, "{card}");
    // The union of overlapping sets, by PFCOUNT of several keys and by PFMERGE.
    add_many(&mut c, "a", "x", 30_000);
    add_many(&mut c, "b", "x", 30_000);
    add_many(&mut c, "b", "y", 30_000);
    let union: i64 = ok(&mut c, &["PFCOUNT", "a", "b"]);
    assert!((union - 60_000).abs() < 1200, "{union}");
    let _: String = ok(&mut c, &["PFMERGE", "m", "a", "b"]);
    assert_eq!(ok::<i64>(&mut c, &["PFCOUNT", "m"]), union);
}

#[test]
fn type_checks() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "str", "bar"]);
    let _: i64 = ok(&mut c, &["RPUSH", "list", "a"]);
    let _: i64 = ok(&mut c, &["PFADD", "h", "a"]);
    assert_eq!(err(&mut c, &["PFADD", "str", "1"]), NOT_HLL);
    assert_eq!(err(&mut c, &["PFCOUNT", "str"]), NOT_HLL);
    assert_eq!(err(&mut c, &["PFCOUNT", "h", "str"]), NOT_HLL);
    assert_eq!(err(&mut c, &["PFMERGE", "h", "str"]), NOT_HLL);
    assert_eq!(err(&mut c, &["PFMERGE", "str", "h"]), NOT_HLL);
    assert_eq!(err(&mut c, &["PFADD", "list", "1"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["PFCOUNT", "list"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["PFMERGE", "list", "h"]), WRONGTYPE);
    let _: () = ok(&mut c, &["SET", "int", "12345"]);
    assert_eq!(err(&mut c, &["PFCOUNT", "int"]), NOT_HLL);
    // A failed PFMERGE leaves the destination alone.
    assert_eq!(ok::<String>(&mut c, &["GET", "str"]), "bar");
}

#[test]
fn corrupt_values_are_refused() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    // Garbage after a sparse body.
    let _: i64 = ok(&mut c, &["PFADD", "h", "a", "b", "c"]);
    let _: i64 = ok(&mut c, &["APPEND", "h", "hello"]);
    assert_eq!(err(&mut c, &["PFCOUNT", "h"]), CORRUPT);
    assert_eq!(err(&mut c, &["PFCOUNT", "h", "h"]), CORRUPT);
    assert_eq!(err(&mut c, &["PFMERGE", "d", "h"]), CORRUPT);
    assert_eq!(err(&mut c, &["PFADD", "h", "new"]), CORRUPT);
    // Broken magic, unknown encoding, dense of the wrong length.
    let fresh = hex(REDIS_ABC);
    for (pos, byte) in [(0usize, b'0'), (4, b'x'), (4, 0u8)] {
        let mut v = fresh.clone();
        v[pos] = byte;
        set(&mut c, "bad", &v);
        assert_eq!(err(&mut c, &["PFCOUNT", "bad"]), NOT_HLL, "byte {pos}");
        assert_eq!(err(&mut c, &["PFADD", "bad", "x"]), NOT_HLL);
    }
    // A truncated XZERO opcode and a run that overflows the registers.
    let mut v = fresh[..16].to_vec();
    v.push(0x7f);
    set(&mut c, "bad", &v);
    assert_eq!(err(&mut c, &["PFCOUNT", "bad"]), CORRUPT);
    let mut v = fresh[..16].to_vec();
    v.extend_from_slice(&[0x7f, 0xff, 0x83]);
    set(&mut c, "bad", &v);
    assert_eq!(err(&mut c, &["PFCOUNT", "bad"]), CORRUPT);
    assert_eq!(err(&mut c, &["PFMERGE", "d", "bad"]), CORRUPT);
    // Random corruption of sparse and dense values: errors or estimates, never a crash.
    for round in 0..300u32 {
        let _: i64 = ok(&mut c, &["DEL", "f"]);
        add_many(&mut c, "f", &format!("r{round}-"), 1 + (round as usize * 37) % 3000);
        let len: i64 = ok(&mut c, &["STRLEN", "f"]);
        for k in 0..(1 + round % 4) {
            let pos = (u64::from(round) * 7919 + u64::from(k) * 104_729) % len as u64;
            let byte = [(round.wrapping_mul(31).wrapping_add(k * 17) % 256) as u8];
            let _: i64 = redis::cmd("SETRANGE").arg("f").arg(pos).arg(&byte[..]).query(&mut c).unwrap();
        }
        let _: redis::RedisResult<Value> = common::cmd(&mut c, &["PFCOUNT", "f"]);
        let _: redis::RedisResult<Value> = common::cmd(&mut c, &["PFADD", "f", "x", "y", "z"]);
        let _: redis::RedisResult<Value> = common::cmd(&mut c, &["PFMERGE", "g", "f"]);
        let _: redis::RedisResult<Value> = common::cmd(&mut c, &["PFCOUNT", "f", "g"]);
    }
    // Hand-made hostile sparse bodies: huge runs, VAL opcodes past the end.
    for body in [&[0xffu8; 40][..], &[0x7f, 0xff, 0xff], &[0xbf; 5000], &[0x40, 0x00, 0x7f, 0xfe]] {
        let mut v = fresh[..16].to_vec();
        v.extend_from_slice(body);
        set(&mut c, "bad", &v);
        let _: redis::RedisResult<Value> = common::cmd(&mut c, &["PFCOUNT", "bad"]);
        let _: redis::RedisResult<Value> = common::cmd(&mut c, &["PFADD", "bad", "a", "b"]);
    }
    assert_eq!(ok::<String>(&mut c, &["PING"]), "PONG");
}
