//! Expiry: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX XX GT LT), TTL, PTTL, EXPIRETIME,
//! PEXPIRETIME, PERSIST, lazy and active expiry, and the TTL that RENAME, MOVE and COPY carry.
//! Sleeps are short and outcomes are asserted, never durations.

mod common;

use common::{err, ok};

use redis::Connection;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn now_s() -> i64 {
    now_ms() / 1000
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn expire_sets_and_resets_timeouts() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "x", "foobar"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "x", "5"]), 1);
    assert!([4, 5].contains(&ok::<i64>(&mut c, &["TTL", "x"])));
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "x", "10"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "x"]), 10);
    assert_eq!(ok::<String>(&mut c, &["GET", "x"]), "foobar");
    // A write that keeps the key keeps its TTL.
    let _: i64 = ok(&mut c, &["APPEND", "x", "!"]);
    assert!(ok::<i64>(&mut c, &["TTL", "x"]) > 0);
    // SET without KEEPTTL drops it.
    let _: () = ok(&mut c, &["SET", "x", "new"]);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "x"]), -1);

    // Missing keys.
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "nokey", "100"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["PEXPIRE", "nokey", "100"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXPIREAT", "nokey", "100"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["PEXPIREAT", "nokey", "100"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "nokey"]), 0);

    // EXPIREAT and PEXPIREAT set absolute deadlines.
    let _: () = ok(&mut c, &["SET", "x", "foo"]);
    let at = now_s() + 15;
    assert_eq!(ok::<i64>(&mut c, &["EXPIREAT", "x", &at.to_string()]), 1);
    assert!((13..=15).contains(&ok::<i64>(&mut c, &["TTL", "x"])));
    assert_eq!(ok::<i64>(&mut c, &["EXPIRETIME", "x"]), at);
    assert_eq!(ok::<i64>(&mut c, &["PEXPIRETIME", "x"]), at * 1000);
    let pat = now_ms() + 100_000;
    assert_eq!(ok::<i64>(&mut c, &["PEXPIREAT", "x", &pat.to_string()]), 1);
    assert_eq!(ok::<i64>(&mut c, &["PEXPIRETIME", "x"]), pat);
    // EXPIRETIME rounds the deadline to the nearest second, as TTL rounds.
    assert_eq!(ok::<i64>(&mut c, &["EXPIRETIME", "x"]), (pat + 500) / 1000);
    let pttl: i64 = ok(&mut c, &["PTTL", "x"]);
    assert!(pttl > 90_000 && pttl <= 100_000, "pttl {pttl}");
    assert_eq!(ok::<i64>(&mut c, &["PEXPIRE", "x", "50000"]), 1);
    let pttl: i64 = ok(&mut c, &["PTTL", "x"]);
    assert!(pttl > 40_000 && pttl <= 50_000, "pttl {pttl}");
    assert_eq!(ok::<i64>(&mut c, &["TTL", "x"]), 50);
}

#[test]
fn ttl_family_reports_missing_and_persistent_keys() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "x", "hello"]);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(ok::<i64>(&mut c, &[cmd, "x"]), -1, "{cmd}");
        assert_eq!(ok::<i64>(&mut c, &[cmd, "nokey"]), -2, "{cmd}");
        let lower = cmd.to_lowercase();
        assert_eq!(err(&mut c, &[cmd]), format!("ERR wrong number of arguments for '{lower}' command"));
        assert_eq!(err(&mut c, &[cmd, "a", "b"]), format!("ERR wrong number of arguments for '{lower}' command"));
    }
    // TTL rounds to the nearest second.
    let _: () = ok(&mut c, &["PSETEX", "r", "1600", "v"]);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "r"]), 2);
    let _: () = ok(&mut c, &["PSETEX", "r", "1400", "v"]);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "r"]), 1);
    let _: () = ok(&mut c, &["SETEX", "t", "10", "v"]);
    let ttl: i64 = ok(&mut c, &["TTL", "t"]);
    assert!(ttl > 8 && ttl <= 10);
    let _: () = ok(&mut c, &["SETEX", "p", "1", "v"]);
    let pttl: i64 = ok(&mut c, &["PTTL", "p"]);
    assert!(pttl > 900 && pttl <= 1000);
    // Absolute deadlines round-trip exactly.
    let abs = now_s() + 100;
    let _: () = ok(&mut c, &["SET", "e", "v", "EXAT", &abs.to_string()]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRETIME", "e"]), abs);
    let abs_ms = now_ms() + 100_000;
    let _: () = ok(&mut c, &["SET", "e", "v", "PXAT", &abs_ms.to_string()]);
    assert_eq!(ok::<i64>(&mut c, &["PEXPIRETIME", "e"]), abs_ms);
}

#[test]
fn persist_removes_a_timeout() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "x", "foo"]);
    let _: i64 = ok(&mut c, &["EXPIRE", "x", "50"]);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "x"]), 50);
    assert_eq!(ok::<i64>(&mut c, &["PERSIST", "x"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "x"]), -1);
    assert_eq!(ok::<String>(&mut c, &["GET", "x"]), "foo");
    assert_eq!(ok::<i64>(&mut c, &["PERSIST", "x"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["PERSIST", "nokeyatall"]), 0);
    assert_eq!(err(&mut c, &["PERSIST"]), "ERR wrong number of arguments for 'persist' command");

    // A key that has expired cannot be persisted back to life.
    let _: () = ok(&mut c, &["SET", "gone", "v", "PX", "50"]);
    sleep(ms(150));
    assert_eq!(ok::<i64>(&mut c, &["PERSIST", "gone"]), 0);
    assert_eq!(ok::<Option<String>>(&mut c, &["GET", "gone"]), None);
}

#[test]
fn expire_options_nx_xx_gt_lt() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let range = |c: &mut Connection, lo: i64, hi: i64| {
        let t: i64 = ok(c, &["TTL", "foo"]);
        assert!((lo..=hi).contains(&t), "ttl {t} not in {lo}..={hi}");
    };
    // NX
    let _: () = ok(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "200", "NX"]), 0);
    range(&mut c, 50, 100);
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "200", "nx"]), 1);
    range(&mut c, 100, 200);
    // XX
    let _: () = ok(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "200", "XX"]), 1);
    range(&mut c, 100, 200);
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "200", "XX"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "foo"]), -1);
    // GT
    let _: () = ok(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "200", "GT"]), 1);
    range(&mut c, 100, 200);
    let _: () = ok(&mut c, &["SET", "foo", "bar", "EX", "200"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "100", "GT"]), 0);
    range(&mut c, 100, 200);
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "200", "GT"]), 0, "no TTL counts as infinite");
    assert_eq!(ok::<i64>(&mut c, &["TTL", "foo"]), -1);
    // LT
    let _: () = ok(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "200", "LT"]), 0);
    range(&mut c, 50, 100);
    let _: () = ok(&mut c, &["SET", "foo", "bar", "EX", "200"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "100", "LT"]), 1);
    range(&mut c, 50, 100);
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "100", "LT"]), 1, "any TTL is less than none");
    range(&mut c, 50, 100);
    // LT XX together
    let _: () = ok(&mut c, &["SET", "foo", "bar", "EX", "200"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "100", "LT", "XX"]), 1);
    range(&mut c, 50, 100);
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "200", "LT", "XX"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "foo"]), -1);
    // GT XX together
    let _: () = ok(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["PEXPIRE", "foo", "200000", "GT", "XX"]), 1);
    range(&mut c, 100, 200);
    // Equal deadlines fail both GT and LT.
    let at = (now_s() + 500).to_string();
    assert_eq!(ok::<i64>(&mut c, &["EXPIREAT", "foo", &at]), 1);
    assert_eq!(ok::<i64>(&mut c, &["EXPIREAT", "foo", &at, "GT"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["EXPIREAT", "foo", &at, "LT"]), 0);
    // A repeated option is fine.
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "1000", "GT", "GT"]), 1);

    // Missing keys answer 0 whatever the option.
    for opt in ["NX", "XX", "GT", "LT"] {
        assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "none", "100", opt]), 0);
    }

    // A negative TTL deletes the key and reports success.
    let _: () = ok(&mut c, &["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "-10", "LT"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "foo"]), -2);
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "foo", "-10", "LT"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "foo"]), -2);
}

#[test]
fn expire_option_and_argument_errors() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    let nx_err = "ERR NX and XX, GT or LT options at the same time are not compatible";
    assert_eq!(
        err(&mut c, &["EXPIRE", "foo", "200", "LT", "GT"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(err(&mut c, &["EXPIRE", "foo", "200", "NX", "GT"]), nx_err);
    assert_eq!(err(&mut c, &["EXPIRE", "foo", "200", "NX", "LT"]), nx_err);
    assert_eq!(err(&mut c, &["EXPIRE", "foo", "200", "NX", "XX"]), nx_err);
    assert_eq!(err(&mut c, &["PEXPIRE", "foo", "200", "XX", "NX"]), nx_err);
    assert_eq!(
        err(&mut c, &["EXPIREAT", "foo", "200", "GT", "LT"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(err(&mut c, &["EXPIRE", "foo", "200", "AB"]), "ERR Unsupported option AB");
    assert_eq!(err(&mut c, &["EXPIRE", "foo", "200", "XX", "AB"]), "ERR Unsupported option AB");
    // Options are checked before the time argument.
    assert_eq!(err(&mut c, &["EXPIRE", "foo", "notanumber", "AB"]), "ERR Unsupported option AB");
    assert_eq!(ok::<i64>(&mut c, &["TTL", "foo"]), -1);

    assert_eq!(err(&mut c, &["EXPIRE", "foo", ""]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["EXPIRE", "foo", "1.5"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["PEXPIRE", "foo", "abc"]), "ERR value is not an integer or out of range");
    assert_eq!(err(&mut c, &["EXPIRE", "foo"]), "ERR wrong number of arguments for 'expire' command");
    assert_eq!(err(&mut c, &["PEXPIREAT", "foo"]), "ERR wrong number of arguments for 'pexpireat' command");

    // Overflow when converting seconds to milliseconds or adding the base time.
    for t in [
        "9223370399119966",
        "9223372036854776",
        "10000000000000000",
        "18446744073709561",
        "-9223372036854776",
        "-9999999999999999",
    ] {
        assert_eq!(err(&mut c, &["EXPIRE", "foo", t]), "ERR invalid expire time in 'expire' command", "{t}");
    }
    assert_eq!(err(&mut c, &["EXPIREAT", "foo", "9223372036854776"]), "ERR invalid expire time in 'expireat' command");
    assert_eq!(err(&mut c, &["PEXPIRE", "foo", "9223372036854770000"]), "ERR invalid expire time in 'pexpire' command");
    // The error applies to missing keys too: the time is checked first.
    assert_eq!(
        err(&mut c, &["PEXPIRE", "nokey", "9223372036854770000"]),
        "ERR invalid expire time in 'pexpire' command"
    );
    assert_eq!(ok::<i64>(&mut c, &["TTL", "foo"]), -1);

    // Absolute deadlines far in the future or past are fine.
    assert_eq!(ok::<i64>(&mut c, &["PEXPIREAT", "foo", "9223372036854770000"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["PEXPIRETIME", "foo"]), 9_223_372_036_854_770_000);
    assert!(ok::<i64>(&mut c, &["TTL", "foo"]) > 0);
    let _: () = ok(&mut c, &["SET", "foo", "bar"]);
    assert_eq!(ok::<i64>(&mut c, &["PEXPIREAT", "foo", "-9223372036854770000"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "foo"]), -2);
}

#[test]
fn a_deadline_in_the_past_deletes_the_key() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    for args in [
        vec!["EXPIRE", "k", "0"],
        vec!["EXPIRE", "k", "-1"],
        vec!["PEXPIRE", "k", "0"],
        vec!["PEXPIRE", "k", "-100"],
        vec!["EXPIREAT", "k", "1"],
        vec!["PEXPIREAT", "k", "1000"],
        vec!["PEXPIREAT", "k", "0"],
    ] {
        let _: () = ok(&mut c, &["SET", "k", "v"]);
        assert_eq!(ok::<i64>(&mut c, &args), 1, "{args:?}");
        assert_eq!(ok::<i64>(&mut c, &["EXISTS", "k"]), 0, "{args:?}");
        assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 0, "{args:?}");
    }
    let at = (now_s() - 100).to_string();
    let _: () = ok(&mut c, &["SET", "k", "v"]);
    assert_eq!(ok::<i64>(&mut c, &["EXPIREAT", "k", &at]), 1);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "k"]), -2);
}

#[test]
fn lazy_expiry_hides_expired_keys() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "x", "somevalue"]);
    assert_eq!(ok::<i64>(&mut c, &["PEXPIRE", "x", "200"]), 1);
    assert_eq!(ok::<String>(&mut c, &["GET", "x"]), "somevalue");
    let _: () = ok(&mut c, &["PSETEX", "y", "200", "v"]);
    let _: () = ok(&mut c, &["SET", "z", "v"]);
    let _: i64 = ok(&mut c, &["PEXPIREAT", "z", &(now_ms() + 200).to_string()]);
    let _: () = ok(&mut c, &["SET", "keep", "v"]);
    sleep(ms(400));
    // Every reader sees the keys as gone, whether or not active expiry got to them.
    assert_eq!(ok::<Option<String>>(&mut c, &["GET", "x"]), None);
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "x", "y", "z"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "y"]), -2);
    assert_eq!(ok::<i64>(&mut c, &["PTTL", "z"]), -2);
    assert_eq!(ok::<String>(&mut c, &["TYPE", "y"]), "none");
    assert_eq!(ok::<Vec<String>>(&mut c, &["KEYS", "*"]), ["keep"]);
    assert_eq!(ok::<(String, Vec<String>)>(&mut c, &["SCAN", "0", "COUNT", "100"]).1, ["keep"]);
    assert_eq!(ok::<String>(&mut c, &["RANDOMKEY"]), "keep");
    assert_eq!(ok::<i64>(&mut c, &["DEL", "x", "y", "z"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["TOUCH", "x"]), 0);
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 1);
    assert_eq!(err(&mut c, &["RENAME", "x", "x2"]), "ERR no such key");
    assert_eq!(ok::<i64>(&mut c, &["EXPIRE", "x", "100"]), 0, "EXPIRE must not resurrect an expired key");
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "x"]), 0);
    assert_eq!(ok::<Option<String>>(&mut c, &["OBJECT", "ENCODING", "x"]), None);
    // An expired key can be written again, with no TTL left over.
    let _: () = ok(&mut c, &["SET", "x", "again"]);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "x"]), -1);
}

#[test]
fn sub_second_expires() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    // Retry a few times in case the machine is loaded, as Redis's own test does.
    let mut outcome = (None, None);
    for _ in 0..10 {
        let _: () = ok(&mut c, &["SET", "x", "somevalue"]);
        let _: i64 = ok(&mut c, &["PEXPIRE", "x", "100"]);
        let a: Option<String> = ok(&mut c, &["GET", "x"]);
        sleep(ms(150));
        let b: Option<String> = ok(&mut c, &["GET", "x"]);
        outcome = (a, b);
        if outcome == (Some("somevalue".into()), None) {
            break;
        }
    }
    assert_eq!(outcome, (Some("somevalue".to_string()), None));
}

#[test]
fn active_expiry_removes_keys_nobody_reads() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    for i in 0..50 {
        let _: () = ok(&mut c, &["PSETEX", &format!("volatile:{i}"), "100", "v"]);
    }
    let _: () = ok(&mut c, &["SET", "persistent", "v"]);
    assert_eq!(ok::<i64>(&mut c, &["DBSIZE"]), 51);
    // DBSIZE does not expire keys itself: only the background cycle can bring it down.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n: i64 = ok(&mut c, &["DBSIZE"]);
        if n == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "active expiry left {n} keys");
        sleep(ms(100));
    }
    assert_eq!(ok::<String>(&mut c, &["GET", "persistent"]), "v");
}

#[test]
fn active_expiry_reaches_other_databases() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    for db in ["3", "15"] {
        let _: () = ok(&mut c, &["SELECT", db]);
        for i in 0..3 {
            let _: () = ok(&mut c, &["PSETEX", &format!("key{i}"), "100", "a"]);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for db in ["3", "15"] {
        let _: () = ok(&mut c, &["SELECT", db]);
        loop {
            let n: i64 = ok(&mut c, &["DBSIZE"]);
            if n == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "db {db}: active expiry left {n} keys");
            sleep(ms(100));
        }
    }
}

#[test]
fn rename_carries_the_ttl_and_drops_the_targets() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "mykey", "foo"]);
    let _: i64 = ok(&mut c, &["EXPIRE", "mykey", "100"]);
    let _: () = ok(&mut c, &["RENAME", "mykey", "mykey2"]);
    let ttl: i64 = ok(&mut c, &["TTL", "mykey2"]);
    assert!(ttl > 95 && ttl <= 100);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "mykey"]), -2);

    // The target's own TTL is not inherited.
    let _: () = ok(&mut c, &["SET", "src", "foo"]);
    let _: () = ok(&mut c, &["SET", "dst", "bar"]);
    let _: i64 = ok(&mut c, &["EXPIRE", "dst", "100"]);
    let _: () = ok(&mut c, &["RENAME", "src", "dst"]);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "dst"]), -1);
    assert_eq!(ok::<String>(&mut c, &["GET", "dst"]), "foo");

    // RENAMENX carries it too.
    let _: () = ok(&mut c, &["SET", "n1", "v", "PX", "100000"]);
    assert_eq!(ok::<i64>(&mut c, &["RENAMENX", "n1", "n2"]), 1);
    assert!(ok::<i64>(&mut c, &["PTTL", "n2"]) > 90_000);

    // An expired target counts as absent for RENAMENX.
    let _: () = ok(&mut c, &["SET", "a", "1"]);
    let _: () = ok(&mut c, &["SET", "b", "2", "PX", "50"]);
    sleep(ms(150));
    assert_eq!(ok::<i64>(&mut c, &["RENAMENX", "a", "b"]), 1);
    assert_eq!(ok::<String>(&mut c, &["GET", "b"]), "1");
    assert_eq!(ok::<i64>(&mut c, &["TTL", "b"]), -1);
}

#[test]
fn move_carries_the_ttl() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "mykey", "foo", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["MOVE", "mykey", "1"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "mykey"]), -2);
    let _: () = ok(&mut c, &["SELECT", "1"]);
    let ttl: i64 = ok(&mut c, &["TTL", "mykey"]);
    assert!(ttl > 0 && ttl <= 100);
    assert_eq!(ok::<String>(&mut c, &["GET", "mykey"]), "foo");

    let _: () = ok(&mut c, &["SELECT", "0"]);
    let _: () = ok(&mut c, &["SET", "plain", "foo"]);
    assert_eq!(ok::<i64>(&mut c, &["MOVE", "plain", "1"]), 1);
    let _: () = ok(&mut c, &["SELECT", "1"]);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "plain"]), -1);

    // An expired key in the target does not block the move.
    let _: () = ok(&mut c, &["SET", "k", "old", "PX", "50"]);
    let _: () = ok(&mut c, &["SELECT", "0"]);
    let _: () = ok(&mut c, &["SET", "k", "new"]);
    sleep(ms(150));
    assert_eq!(ok::<i64>(&mut c, &["MOVE", "k", "1"]), 1);
    let _: () = ok(&mut c, &["SELECT", "1"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "k"]), "new");
    assert_eq!(ok::<i64>(&mut c, &["TTL", "k"]), -1);
}

#[test]
fn copy_carries_the_ttl() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let _: () = ok(&mut c, &["SET", "mykey", "foobar", "EX", "100"]);
    assert_eq!(ok::<i64>(&mut c, &["COPY", "mykey", "mynewkey", "REPLACE"]), 1);
    let ttl: i64 = ok(&mut c, &["TTL", "mynewkey"]);
    assert!(ttl > 0 && ttl <= 100);
    assert_eq!(ok::<String>(&mut c, &["GET", "mynewkey"]), "foobar");
    assert_eq!(ok::<i64>(&mut c, &["PEXPIRETIME", "mynewkey"]), ok::<i64>(&mut c, &["PEXPIRETIME", "mykey"]));

    let _: () = ok(&mut c, &["SET", "mykey", "foobar"]);
    assert_eq!(ok::<i64>(&mut c, &["COPY", "mykey", "mynewkey", "REPLACE"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["TTL", "mynewkey"]), -1, "REPLACE drops the old destination's TTL");

    let _: () = ok(&mut c, &["SET", "v", "x", "PX", "100000"]);
    assert_eq!(ok::<i64>(&mut c, &["COPY", "v", "v", "DB", "2"]), 1);
    let _: () = ok(&mut c, &["SELECT", "2"]);
    assert!(ok::<i64>(&mut c, &["PTTL", "v"]) > 90_000);
}
