//! Keyspace notifications (`notify-keyspace-events`) through a real server: the events each
//! command family publishes, in Redis's order, on `__keyspace@<db>__:<key>` and
//! `__keyevent@<db>__:<event>`; expiry (lazy and active) and key creation ("new") events that
//! the store originates; and the class filters (K, E, g$lshzxe, A, n).

mod common;
mod engine_support;

use engine_support::Raw;
use std::time::{Duration, Instant};

/// A client subscribed to every channel with `PSUBSCRIBE *`.
struct Listener(Raw);

impl Listener {
    fn new(port: u16) -> Listener {
        let mut raw = Raw::connect(port);
        assert_eq!(raw.call(&["PSUBSCRIBE", "*"]), "*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n");
        Listener(raw)
    }

    /// The next message as (channel, message).
    fn next(&mut self) -> (String, String) {
        let frame = self.0.read();
        parse(&frame)
    }

    /// The next messages, as `channel message` strings.
    fn take(&mut self, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| {
                let (c, m) = self.next();
                format!("{c} {m}")
            })
            .collect()
    }

    /// Asserts nothing more arrives within a short wait.
    fn assert_quiet(&mut self) {
        if let Some(frame) = self.0.try_read(Duration::from_millis(200)) {
            panic!("unexpected message {:?}", parse(&frame));
        }
    }
}

/// (channel, message) of a `pmessage` frame.
fn parse(frame: &str) -> (String, String) {
    let lines: Vec<&str> = frame.split("\r\n").collect();
    assert_eq!(lines.get(2), Some(&"pmessage"), "not a pmessage: {frame:?}");
    (lines[6].to_string(), lines[8].to_string())
}

fn ks(key: &str, event: &str) -> String {
    format!("__keyspace@0__:{key} {event}")
}

fn ke(event: &str, key: &str) -> String {
    format!("__keyevent@0__:{event} {key}")
}

/// A server, a command connection with `notify-keyspace-events` set to `flags`, and a
/// listener.
fn setup(flags: &str) -> (common::Server, Raw, Listener) {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    assert_eq!(c.call(&["CONFIG", "SET", "notify-keyspace-events", flags]), "+OK\r\n");
    let l = Listener::new(s.port);
    (s, c, l)
}

/// Runs each command, ignoring its reply (errors included).
fn run(c: &mut Raw, commands: &[&[&str]]) {
    for cmd in commands {
        c.call(cmd);
    }
}

#[test]
fn nothing_is_published_by_default() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    assert_eq!(
        c.call(&["CONFIG", "GET", "notify-keyspace-events"]),
        "*2\r\n$22\r\nnotify-keyspace-events\r\n$0\r\n\r\n"
    );
    let mut l = Listener::new(s.port);
    run(&mut c, &[&["SET", "foo", "bar"], &["LPUSH", "l", "a"], &["DEL", "foo"], &["SET", "x", "1", "PX", "1"]]);
    std::thread::sleep(Duration::from_millis(20));
    run(&mut c, &[&["GET", "x"]]);
    l.assert_quiet();
}

#[test]
fn string_and_generic_events_both_channels() {
    let (_s, mut c, mut l) = setup("KEA");
    run(&mut c, &[&["SET", "foo", "bar"]]);
    assert_eq!(l.take(2), [ks("foo", "set"), ke("set", "foo")]);
    run(&mut c, &[&["SET", "foo", "bar", "EX", "100"]]);
    assert_eq!(l.take(4), [ks("foo", "set"), ke("set", "foo"), ks("foo", "expire"), ke("expire", "foo")]);
    run(&mut c, &[&["DEL", "foo", "nokey"]]);
    assert_eq!(l.take(2), [ks("foo", "del"), ke("del", "foo")]);
    l.assert_quiet();
}

#[test]
fn string_commands() {
    let (_s, mut c, mut l) = setup("K$g");
    run(
        &mut c,
        &[
            &["SETNX", "a", "1"],
            &["SETNX", "a", "2"],
            &["INCR", "a"],
            &["DECRBY", "a", "5"],
            &["INCRBYFLOAT", "a", "1.5"],
            &["APPEND", "a", "x"],
            &["SETRANGE", "a", "0", "y"],
            &["SETRANGE", "a", "0", ""],
            &["GETSET", "a", "z"],
            &["MSET", "b", "1", "c", "2"],
            &["MSETNX", "b", "1", "d", "2"],
            &["GETEX", "b", "PX", "100000"],
            &["GETEX", "b", "PERSIST"],
            &["GETEX", "b", "PERSIST"],
            &["GETDEL", "b"],
            &["GETDEL", "b"],
            &["SETBIT", "bits", "3", "1"],
            &["SETBIT", "bits", "3", "1"],
            &["BITFIELD", "bits", "SET", "u8", "0", "255"],
            &["BITOP", "NOT", "dest", "bits"],
            &["BITOP", "AND", "dest", "nokey"],
            &["PFADD", "hll", "a"],
            &["PFADD", "hll", "a"],
            &["PFMERGE", "hll2", "hll"],
        ],
    );
    assert_eq!(
        l.take(18),
        [
            ks("a", "set"),
            ks("a", "incrby"),
            ks("a", "incrby"),
            ks("a", "incrbyfloat"),
            ks("a", "append"),
            ks("a", "setrange"),
            ks("a", "set"),
            ks("b", "set"),
            ks("c", "set"),
            ks("b", "expire"),
            ks("b", "persist"),
            ks("b", "del"),
            ks("bits", "setbit"),
            ks("bits", "setbit"),
            ks("dest", "set"),
            ks("dest", "del"),
            ks("hll", "pfadd"),
            ks("hll2", "pfadd"),
        ]
    );
    run(&mut c, &[&["SET", "end", "1"]]);
    assert_eq!(l.take(1), [ks("end", "set")]);
    l.assert_quiet();
}

#[test]
fn generic_commands() {
    let (_s, mut c, mut l) = setup("Kg");
    run(
        &mut c,
        &[
            &["SET", "a", "1"],
            &["EXPIRE", "a", "100"],
            &["EXPIRE", "a", "100", "NX"],
            &["PERSIST", "a"],
            &["PERSIST", "a"],
            &["RENAME", "a", "b"],
            &["COPY", "b", "c"],
            &["MOVE", "c", "1"],
            &["PEXPIREAT", "b", "1"],
            &["UNLINK", "c", "b"],
        ],
    );
    assert_eq!(
        l.take(7),
        [
            ks("a", "expire"),
            ks("a", "persist"),
            ks("a", "rename_from"),
            ks("b", "rename_to"),
            ks("c", "copy_to"),
            ks("c", "move_from"),
            "__keyspace@1__:c move_to".to_string(),
        ]
    );
    assert_eq!(l.take(1), [ks("b", "del")]);
    l.assert_quiet();
}

#[test]
fn list_events() {
    let (s, mut c, mut l) = setup("KEl");
    run(&mut c, &[&["SET", "foo", "bar"], &["LPUSH", "mylist", "a"]]);
    // No "set": only list commands are enabled.
    assert_eq!(l.take(2), [ks("mylist", "lpush"), ke("lpush", "mylist")]);
    run(&mut c, &[&["CONFIG", "SET", "notify-keyspace-events", "Kgl"]]);
    run(
        &mut c,
        &[
            &["RPUSH", "mylist", "b", "c", "d"],
            &["LPUSHX", "nokey", "a"],
            &["RPOP", "mylist"],
            &["LPOP", "mylist", "0"],
            &["LINSERT", "mylist", "BEFORE", "a", "z"],
            &["LINSERT", "mylist", "BEFORE", "nothere", "z"],
            &["LSET", "mylist", "0", "y"],
            &["LREM", "mylist", "0", "nothere"],
            &["LREM", "mylist", "0", "y"],
            &["LTRIM", "mylist", "0", "-1"],
            &["LMOVE", "mylist", "other", "LEFT", "RIGHT"],
            &["LMPOP", "1", "mylist", "RIGHT", "COUNT", "5"],
            &["RPOPLPUSH", "other", "other"],
        ],
    );
    assert_eq!(
        l.take(12),
        [
            ks("mylist", "rpush"),
            ks("mylist", "rpop"),
            ks("mylist", "linsert"),
            ks("mylist", "lset"),
            ks("mylist", "lrem"),
            ks("mylist", "ltrim"),
            ks("other", "rpush"),
            ks("mylist", "lpop"),
            ks("mylist", "rpop"),
            ks("mylist", "del"),
            ks("other", "lpush"),
            ks("other", "rpop"),
        ]
    );
    // BLPOP served by a push: the push, then the pop and the deletion.
    let mut blocked = Raw::connect(s.port);
    blocked.send(&["BLPOP", "q", "0"]);
    engine_support::wait_blocked(&mut c, 1);
    run(&mut c, &[&["RPUSH", "q", "x"]]);
    assert_eq!(blocked.read(), engine_support::bulks(&["q", "x"]));
    assert_eq!(l.take(3), [ks("q", "rpush"), ks("q", "lpop"), ks("q", "del")]);
    l.assert_quiet();
}

#[test]
fn hash_events() {
    let (_s, mut c, mut l) = setup("Kgh");
    run(
        &mut c,
        &[
            &["HMSET", "myhash", "yes", "1", "no", "0"],
            &["HINCRBY", "myhash", "yes", "10"],
            &["HINCRBYFLOAT", "myhash", "yes", "0.5"],
            &["HSETNX", "myhash", "yes", "1"],
            &["HSETNX", "myhash", "new", "1"],
            &["HDEL", "myhash", "nothere"],
            &["HDEL", "myhash", "yes", "no"],
            &["HSET", "myhash", "x", "1"],
            &["HDEL", "myhash", "new", "x"],
        ],
    );
    assert_eq!(
        l.take(8),
        [
            ks("myhash", "hset"),
            ks("myhash", "hincrby"),
            ks("myhash", "hincrbyfloat"),
            ks("myhash", "hset"),
            ks("myhash", "hdel"),
            ks("myhash", "hset"),
            ks("myhash", "hdel"),
            ks("myhash", "del"),
        ]
    );
    l.assert_quiet();
}

#[test]
fn set_events() {
    let (_s, mut c, mut l) = setup("Ks");
    // Redis's own test: no event for a SREM that removes nothing.
    run(
        &mut c,
        &[
            &["SADD", "myset", "a", "b", "c", "d"],
            &["SREM", "myset", "x"],
            &["SADD", "myset", "x", "y", "z"],
            &["SREM", "myset", "x"],
        ],
    );
    assert_eq!(l.take(3), [ks("myset", "sadd"), ks("myset", "sadd"), ks("myset", "srem")]);
    run(&mut c, &[&["CONFIG", "SET", "notify-keyspace-events", "Ksg"]]);
    run(
        &mut c,
        &[
            &["SADD", "myset", "a"],
            &["SMOVE", "myset", "other", "a"],
            &["SPOP", "myset"],
            &["SPOP", "myset", "100"],
            &["SINTERSTORE", "dest", "other", "other"],
            &["SUNIONSTORE", "dest", "other"],
            &["SDIFFSTORE", "dest", "other", "other"],
        ],
    );
    assert_eq!(
        l.take(8),
        [
            ks("myset", "srem"),
            ks("other", "sadd"),
            ks("myset", "spop"),
            ks("myset", "spop"),
            ks("myset", "del"),
            ks("dest", "sinterstore"),
            ks("dest", "sunionstore"),
            ks("dest", "del"),
        ]
    );
    l.assert_quiet();
}

#[test]
fn zset_events() {
    let (s, mut c, mut l) = setup("Kz");
    run(
        &mut c,
        &[
            &["ZADD", "myzset", "1", "a", "2", "b"],
            &["ZREM", "myzset", "x"],
            &["ZADD", "myzset", "3", "x", "4", "y", "5", "z"],
            &["ZREM", "myzset", "x"],
        ],
    );
    assert_eq!(l.take(3), [ks("myzset", "zadd"), ks("myzset", "zadd"), ks("myzset", "zrem")]);
    run(&mut c, &[&["CONFIG", "SET", "notify-keyspace-events", "Kzg"]]);
    run(
        &mut c,
        &[
            &["ZADD", "myzset", "NX", "1", "a"],
            &["ZINCRBY", "myzset", "1", "a"],
            &["ZADD", "myzset", "INCR", "1", "a"],
            &["ZREMRANGEBYSCORE", "myzset", "100", "200"],
            &["ZREMRANGEBYSCORE", "myzset", "0", "2"],
            &["ZREMRANGEBYRANK", "myzset", "0", "0"],
            &["ZPOPMAX", "myzset"],
            &["ZREMRANGEBYLEX", "myzset", "-", "+"],
            // Nothing to store, nothing stored before: no event.
            &["ZUNIONSTORE", "dest", "1", "myzset"],
            &["ZADD", "src", "1", "m"],
            &["ZINTERSTORE", "dest", "1", "src"],
            &["ZRANGESTORE", "dest2", "src", "0", "-1"],
            &["ZDIFFSTORE", "dest", "2", "src", "src"],
            &["ZPOPMIN", "src", "10"],
        ],
    );
    assert_eq!(
        l.take(13),
        [
            ks("myzset", "zincr"),
            ks("myzset", "zincr"),
            ks("myzset", "zremrangebyscore"),
            ks("myzset", "zremrangebyrank"),
            ks("myzset", "zpopmax"),
            ks("myzset", "zremrangebylex"),
            ks("myzset", "del"),
            ks("src", "zadd"),
            ks("dest", "zinterstore"),
            ks("dest2", "zrangestore"),
            ks("dest", "del"),
            ks("src", "zpopmin"),
            ks("src", "del"),
        ]
    );
    // BZPOPMIN served by a ZADD.
    let mut blocked = Raw::connect(s.port);
    blocked.send(&["BZPOPMIN", "bz", "0"]);
    engine_support::wait_blocked(&mut c, 1);
    run(&mut c, &[&["ZADD", "bz", "1", "m"]]);
    blocked.read();
    assert_eq!(l.take(3), [ks("bz", "zadd"), ks("bz", "zpopmin"), ks("bz", "del")]);
    l.assert_quiet();
}

#[test]
fn sort_store_events() {
    let (_s, mut c, mut l) = setup("Klg");
    run(&mut c, &[&["RPUSH", "src", "2", "1"], &["SORT", "src", "STORE", "dst"], &["SORT", "nokey", "STORE", "dst"]]);
    assert_eq!(l.take(3), [ks("src", "rpush"), ks("dst", "sortstore"), ks("dst", "del")]);
    l.assert_quiet();
}

/// Waits until `key` no longer exists, without touching it (DBSIZE).
fn wait_empty(c: &mut Raw) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.call(&["DBSIZE"]) != ":0\r\n" {
        assert!(Instant::now() < deadline, "the key never expired");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn expired_events_background_and_triggered() {
    let (_s, mut c, mut l) = setup("Ex");
    // Background: active expiry deletes it; the event arrives with no command touching it.
    run(&mut c, &[&["PSETEX", "foo", "100", "1"]]);
    assert_eq!(l.take(1), [ke("expired", "foo")]);
    wait_empty(&mut c);
    // Triggered: a lookup after the deadline deletes it lazily.
    run(&mut c, &[&["PSETEX", "bar", "1", "1"]]);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(c.call(&["EXISTS", "bar"]), ":0\r\n");
    assert_eq!(l.take(1), [ke("expired", "bar")]);
    l.assert_quiet();
}

#[test]
fn evicted_events_without_waiting_for_a_command() {
    let (_s, mut c, mut l) = setup("Ee");
    run(&mut c, &[&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"], &["SET", "foo", "bar"]]);
    // No command follows: the cron evicts, as Redis's eviction timer does.
    run(&mut c, &[&["CONFIG", "SET", "maxmemory", "1"]]);
    assert_eq!(l.take(1), [ke("evicted", "foo")]);
    run(&mut c, &[&["CONFIG", "SET", "maxmemory", "0"]]);
    l.assert_quiet();
}

#[test]
fn events_of_a_transaction_come_at_exec() {
    let (_s, mut c, mut l) = setup("K$g");
    run(&mut c, &[&["MULTI"], &["SET", "a", "1"], &["DEL", "a"]]);
    l.assert_quiet();
    run(&mut c, &[&["EXEC"]]);
    assert_eq!(l.take(2), [ks("a", "set"), ks("a", "del")]);
    l.assert_quiet();
}

#[test]
fn expired_then_new_then_the_command_in_redis_order() {
    let (_s, mut c, mut l) = setup("KAn");
    // The key expires lazily under the SET, which then creates it anew.
    run(&mut c, &[&["SET", "k", "1", "PX", "1"]]);
    assert_eq!(l.take(3), [ks("k", "new"), ks("k", "set"), ks("k", "expire")]);
    std::thread::sleep(Duration::from_millis(5));
    run(&mut c, &[&["SET", "k", "2"]]);
    assert_eq!(l.take(3), [ks("k", "expired"), ks("k", "new"), ks("k", "set")]);
    l.assert_quiet();
}

#[test]
fn new_key_events() {
    let (_s, mut c, mut l) = setup("En");
    run(
        &mut c,
        &[
            &["SET", "foo", "bar"],
            // A second SET of foo is not a creation.
            &["SET", "foo", "baz"],
            &["SET", "bar", "bar"],
            &["LPUSH", "l", "a"],
            &["LPUSH", "l", "b"],
            &["HSET", "h", "f", "v"],
            &["SADD", "s", "m"],
            &["ZADD", "z", "1", "m"],
            &["RENAME", "foo", "bar"],
        ],
    );
    assert_eq!(
        l.take(7),
        [
            ke("new", "foo"),
            ke("new", "bar"),
            ke("new", "l"),
            ke("new", "h"),
            ke("new", "s"),
            ke("new", "z"),
            ke("new", "bar")
        ]
    );
    l.assert_quiet();
}

#[test]
fn class_filters() {
    let (_s, mut c, mut l) = setup("KA");
    // `A` does not include `n` (nor `m`).
    run(&mut c, &[&["SET", "a", "1"]]);
    assert_eq!(l.take(1), [ks("a", "set")]);
    l.assert_quiet();
    // E only: the keyevent channel alone.
    run(&mut c, &[&["CONFIG", "SET", "notify-keyspace-events", "EA"], &["SET", "a", "1"]]);
    assert_eq!(l.take(1), [ke("set", "a")]);
    // Classes without K or E publish nothing.
    run(&mut c, &[&["CONFIG", "SET", "notify-keyspace-events", "A"], &["SET", "a", "1"], &["DEL", "a"]]);
    l.assert_quiet();
    // Each class on its own.
    for (flags, cmd, event) in [
        ("Kg", &["EXPIRE", "k", "100"][..], "expire"),
        ("K$", &["SET", "k", "1"][..], "set"),
        ("Kl", &["LPUSH", "kl", "1"][..], "lpush"),
        ("Ks", &["SADD", "kset", "1"][..], "sadd"),
        ("Kh", &["HSET", "kh", "f", "v"][..], "hset"),
        ("Kz", &["ZADD", "kz", "1", "m"][..], "zadd"),
    ] {
        run(&mut c, &[&["SET", "k", "0"]]);
        run(&mut c, &[&["CONFIG", "SET", "notify-keyspace-events", flags]]);
        // A string command the filter hides (unless it is `$`), then the one it shows.
        if flags != "K$" {
            run(&mut c, &[&["SET", "k", "0"]]);
        }
        run(&mut c, &[cmd]);
        let (channel, message) = l.next();
        assert_eq!(message, event, "{flags}");
        assert!(channel.starts_with("__keyspace@0__:k"), "{flags}: {channel}");
        run(&mut c, &[&["CONFIG", "SET", "notify-keyspace-events", ""]]);
        l.assert_quiet();
    }
}

#[test]
fn config_get_renders_flags_as_redis() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    for (set, get) in [("gKE", "gKE"), ("$lshzxeKE", "$lshzxeKE"), ("KA", "AK"), ("EA", "AE")] {
        assert_eq!(c.call(&["CONFIG", "SET", "notify-keyspace-events", set]), "+OK\r\n");
        let reply = c.call(&["CONFIG", "GET", "notify-keyspace-events"]);
        assert!(reply.ends_with(&format!("${}\r\n{get}\r\n", get.len())), "{set}: {reply:?}");
    }
}

#[test]
fn events_of_other_databases_name_them() {
    let (_s, mut c, mut l) = setup("KEg");
    run(&mut c, &[&["SELECT", "3"], &["SET", "k", "1"], &["DEL", "k"]]);
    assert_eq!(l.take(2), ["__keyspace@3__:k del", "__keyevent@3__:del k"]);
    l.assert_quiet();
}

#[test]
fn a_resp3_subscriber_hears_its_own_events() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    assert!(c.call(&["HELLO", "3"]).starts_with('%'));
    c.call(&["CONFIG", "SET", "notify-keyspace-events", "E$"]);
    c.call(&["SUBSCRIBE", "__keyevent@0__:set"]);
    // The push comes before the reply, as Redis writes it.
    c.send(&["SET", "k", "v"]);
    assert_eq!(c.read(), ">3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n");
    assert_eq!(c.read(), "+OK\r\n");
}
