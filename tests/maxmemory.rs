//! `maxmemory` through a real server: every eviction policy evicts the right kind of keys,
//! `noeviction` (and a `volatile-*` policy with nothing volatile left) answers Redis's OOM
//! error to commands that grow memory while reads and deletes keep working, MULTI/EXEC
//! follow Redis's OOM rules, evictions break WATCH, and INFO counts `evicted_keys`.
//!
//! The approximated policies (LRU, LFU, TTL) are checked statistically, with margins far
//! wider than the sampling error: they must clearly beat what random eviction would do.
//! `CLIENT NO-EVICT` is about client eviction (`maxmemory-clients`), not key eviction, and
//! plays no part here.

mod common;

use common::{err, error_text, ok};
mod engine_support;

use engine_support::Raw;
use redis::{Connection, Value};
use std::thread::sleep;
use std::time::Duration;

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Values of 1000 bytes: about 1.1 KB per key with its slot, so 2 MB holds some 1,800 keys.
fn val() -> String {
    "x".repeat(1000)
}

/// One numeric field of an INFO section.
fn info(c: &mut Connection, section: &str, field: &str) -> u64 {
    let info: String = ok(c, &["INFO", section]);
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .trim()
        .parse()
        .unwrap()
}

fn evicted(c: &mut Connection) -> u64 {
    info(c, "stats", "evicted_keys")
}

/// Sets `keys` to 1000-byte values in one pipeline (`ttl` seconds each, if given),
/// returning the replies' errors.
fn set_all(c: &mut Connection, keys: &[String], ttl: Option<u64>) -> Vec<String> {
    let mut pipe = redis::pipe();
    let v = val();
    for k in keys {
        match ttl {
            Some(t) => pipe.cmd("SET").arg(k).arg(&v).arg("EX").arg(t),
            None => pipe.cmd("SET").arg(k).arg(&v),
        };
    }
    let replies: Vec<redis::RedisResult<Value>> = pipe.ignore_errors().query(c).unwrap();
    replies.into_iter().filter_map(|r| r.err().map(|e| error_text(&e))).collect()
}

/// How many of `keys` exist.
fn existing(c: &mut Connection, keys: &[String]) -> usize {
    keys.chunks(500)
        .map(|chunk| {
            let mut cmd = redis::cmd("EXISTS");
            for k in chunk {
                cmd.arg(k);
            }
            cmd.query::<usize>(c).unwrap()
        })
        .sum()
}

fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}:{i}")).collect()
}

/// Writes `prefix:N` keys (with `ttl` if given) in batches until at least `target` keys
/// were evicted since the last CONFIG RESETSTAT; returns the keys written.
fn write_until_evicted(c: &mut Connection, prefix: &str, ttl: Option<u64>, target: u64) -> Vec<String> {
    let mut written = Vec::new();
    for batch in 0..200 {
        let keys = names(prefix, batch * 50..(batch + 1) * 50);
        let errors = set_all(c, &keys, ttl);
        assert!(errors.is_empty(), "{errors:?}");
        written.extend(keys);
        if evicted(c) >= target {
            return written;
        }
    }
    panic!("{target} evictions never happened");
}

fn start(policy: &str) -> common::Server {
    common::Server::start(&["--maxmemory", "2mb", "--maxmemory-policy", policy])
}

#[test]
fn noeviction_refuses_writes_but_reads_and_deletes_work() {
    let s = start("noeviction");
    let mut c = s.conn();
    let keys = names("k", 0..3000);
    let errors = set_all(&mut c, &keys, None);
    assert!(errors.len() > 500, "{} refused", errors.len());
    assert!(errors.iter().all(|e| e == OOM), "{:?}", &errors[..3]);
    let stored = ok::<usize>(&mut c, &["DBSIZE"]);
    assert_eq!(stored + errors.len(), 3000);
    assert_eq!(evicted(&mut c), 0);
    // Other commands that grow memory are refused too; reads and deletions are not.
    assert_eq!(err(&mut c, &["SET", "new", "v"]), OOM);
    assert_eq!(err(&mut c, &["LPUSH", "list", "a"]), OOM);
    assert_eq!(err(&mut c, &["APPEND", "k:0", "more"]), OOM);
    assert_eq!(ok::<String>(&mut c, &["GET", "k:0"]), val());
    assert_eq!(ok::<i64>(&mut c, &["EXISTS", "k:0"]), 1);
    assert_eq!(ok::<i64>(&mut c, &["DEL", "k:0", "k:1", "k:2"]), 3);
    // Deleting freed room.
    let _: () = ok(&mut c, &["SET", "new", "v"]);
    assert_eq!(ok::<String>(&mut c, &["GET", "new"]), "v");
    assert!(info(&mut c, "memory", "used_memory") <= 2 << 20);
    // Raising the limit lets writes through again.
    let _: () = ok(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    let _: i64 = ok(&mut c, &["LPUSH", "list", "a"]);
}

#[test]
fn oom_in_multi_follows_redis() {
    let s = start("noeviction");
    let mut filler = s.conn();
    let mut c = Raw::connect(s.port);
    // Queued while there is room.
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call(&["SET", "x", "1"]), "+QUEUED\r\n");
    let errors = set_all(&mut filler, &names("k", 0..3000), None);
    assert!(!errors.is_empty());
    // EXEC of a transaction holding a command that grows memory is refused, and discards it.
    assert_eq!(c.call(&["EXEC"]), format!("-EXECABORT Transaction discarded because of: {OOM}\r\n"));
    assert_eq!(c.call(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    // While out of memory, queueing anything is refused and the transaction aborts.
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call(&["GET", "k:0"]), format!("-{OOM}\r\n"));
    assert_eq!(c.call(&["EXEC"]), "-EXECABORT Transaction discarded because of previous errors.\r\n");
    // A transaction of reads queued before, with nothing that grows memory, runs.
    let _: () = ok(&mut filler, &["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call(&["DBSIZE"]), "+QUEUED\r\n");
    let _: () = ok(&mut filler, &["CONFIG", "SET", "maxmemory", "1mb"]);
    assert!(c.call(&["EXEC"]).starts_with("*1\r\n:"));
    // DISCARD always works.
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call(&["DISCARD"]), "+OK\r\n");
}

#[test]
fn allkeys_lru_keeps_recently_read_keys() {
    let s = start("allkeys-lru");
    let mut c = s.conn();
    let old = names("old", 0..1000);
    assert!(set_all(&mut c, &old, None).is_empty());
    // The access clock counts seconds: let the old keys age.
    sleep(Duration::from_millis(2200));
    let hot: Vec<String> = old.iter().step_by(10).cloned().collect();
    for k in &hot {
        let _: String = ok(&mut c, &["GET", k]);
    }
    let new = write_until_evicted(&mut c, "new", None, 600);
    // Random eviction would keep about 60% of the recently read keys.
    let hot_left = existing(&mut c, &hot);
    assert!(hot_left >= 95, "{hot_left} of 100 recently read keys left");
    let new_left = existing(&mut c, &new);
    assert!(new_left * 100 >= new.len() * 95, "{new_left} of {} new keys left", new.len());
    assert!(info(&mut c, "memory", "used_memory") <= (2 << 20) + 4096);
}

#[test]
fn allkeys_lfu_keeps_frequently_read_keys() {
    let s = start("allkeys-lfu");
    let mut c = s.conn();
    let old = names("old", 0..1000);
    assert!(set_all(&mut c, &old, None).is_empty());
    let hot: Vec<String> = old.iter().step_by(10).cloned().collect();
    let mut pipe = redis::pipe();
    for _ in 0..30 {
        for k in &hot {
            pipe.cmd("GET").arg(k).ignore();
        }
    }
    let _: () = pipe.query(&mut c).unwrap();
    let _ = write_until_evicted(&mut c, "new", None, 600);
    let hot_left = existing(&mut c, &hot);
    assert!(hot_left >= 95, "{hot_left} of 100 frequently read keys left");
    assert!(info(&mut c, "memory", "used_memory") <= (2 << 20) + 4096);
}

#[test]
fn allkeys_random_evicts_keys_of_both_kinds_and_honours_the_limit() {
    let s = start("allkeys-random");
    let mut c = s.conn();
    let volatile = names("v", 0..1500);
    let persistent = names("p", 0..1500);
    for (v, p) in volatile.chunks(100).zip(persistent.chunks(100)) {
        assert!(set_all(&mut c, v, Some(10_000)).is_empty());
        assert!(set_all(&mut c, p, None).is_empty());
    }
    assert!(evicted(&mut c) > 1000);
    assert!(existing(&mut c, &volatile) < 1400);
    assert!(existing(&mut c, &persistent) < 1400);
    assert!(info(&mut c, "memory", "used_memory") <= (2 << 20) + 4096);
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl_then_refuse_writes() {
    let s = start("noeviction");
    let mut c = s.conn();
    for policy in ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] {
        let _: () = ok(&mut c, &["FLUSHALL"]);
        let _: () = ok(&mut c, &["CONFIG", "SET", "maxmemory-policy", policy]);
        let _: () = ok(&mut c, &["CONFIG", "RESETSTAT"]);
        let persistent = names("p", 0..600);
        let volatile = names("v", 0..600);
        assert!(set_all(&mut c, &persistent, None).is_empty());
        assert!(set_all(&mut c, &volatile, Some(10_000)).is_empty());
        // New volatile keys push out older volatile keys only.
        let _ = write_until_evicted(&mut c, "w", Some(10_000), 300);
        assert_eq!(existing(&mut c, &persistent), 600, "{policy} evicted a key without TTL");
        assert!(info(&mut c, "memory", "used_memory") <= (2 << 20) + 4096);
        // Keys without a TTL cannot make room: once the volatile keys are gone, writes are
        // refused with Redis's error, and nothing without a TTL was evicted.
        let errors = set_all(&mut c, &names("q", 0..2000), None);
        assert!(!errors.is_empty() && errors.iter().all(|e| e == OOM), "{policy}: {errors:?}");
        assert_eq!(existing(&mut c, &persistent), 600, "{policy} evicted a key without TTL");
        let keyspace: String = ok(&mut c, &["INFO", "keyspace"]);
        assert!(keyspace.contains(",expires=0,"), "{policy}: {keyspace}");
        assert_eq!(ok::<String>(&mut c, &["GET", "p:0"]), val());
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_deadlines_first() {
    let s = start("volatile-ttl");
    let mut c = s.conn();
    // Deadlines grow with the key number.
    let mut pipe = redis::pipe();
    let v = val();
    for i in 0..1000 {
        pipe.cmd("SET").arg(format!("v:{i}")).arg(&v).arg("EX").arg(10_000 + i * 10).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let _ = write_until_evicted(&mut c, "p", None, 300);
    let gone: Vec<usize> = (0..1000).filter(|i| ok::<i64>(&mut c, &["EXISTS", &format!("v:{i}")]) == 0).collect();
    let n = gone.len();
    assert!(n >= 300, "{n}");
    // Random choice would put about 2n/1000 of them there; sampling puts nearly all.
    let early = gone.iter().filter(|&&i| i < 2 * n).count();
    assert!(early * 10 >= n * 8, "{early} of {n} evicted keys among the {} nearest deadlines", 2 * n);
}

#[test]
fn lowering_maxmemory_evicts_at_the_next_commands() {
    let s = common::Server::start(&["--maxmemory-policy", "allkeys-lru"]);
    let mut c = s.conn();
    assert!(set_all(&mut c, &names("k", 0..1000), None).is_empty());
    let used = info(&mut c, "memory", "used_memory");
    assert_eq!(evicted(&mut c), 0);
    let half = (used / 2).to_string();
    let _: () = ok(&mut c, &["CONFIG", "SET", "maxmemory", &half]);
    // Every command evicts for a bounded time; a few are enough to get under the limit.
    for _ in 0..100 {
        if info(&mut c, "memory", "used_memory") <= used / 2 {
            break;
        }
    }
    assert!(info(&mut c, "memory", "used_memory") <= used / 2);
    let left = ok::<u64>(&mut c, &["DBSIZE"]);
    assert!((400..600).contains(&left), "{left}");
    assert_eq!(evicted(&mut c), 1000 - left);
    // A limit nothing fits in empties the keyspace, a bounded batch per command.
    let _: () = ok(&mut c, &["CONFIG", "SET", "maxmemory", "1"]);
    for _ in 0..100 {
        if ok::<u64>(&mut c, &["DBSIZE"]) == 0 {
            break;
        }
    }
    assert_eq!(ok::<u64>(&mut c, &["DBSIZE"]), 0);
    assert_eq!(evicted(&mut c), 1000);
    let _: () = ok(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    let _: () = ok(&mut c, &["CONFIG", "RESETSTAT"]);
    assert_eq!(evicted(&mut c), 0);
}

#[test]
fn eviction_breaks_watch() {
    let s = common::Server::start(&["--maxmemory-policy", "allkeys-random"]);
    let mut admin = s.conn();
    let mut c = Raw::connect(s.port);
    assert_eq!(c.call(&["SET", "watched", "1"]), "+OK\r\n");
    assert_eq!(c.call(&["WATCH", "watched"]), "+OK\r\n");
    let _: () = ok(&mut admin, &["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(ok::<u64>(&mut admin, &["DBSIZE"]), 0);
    let _: () = ok(&mut admin, &["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call(&["SET", "watched", "2"]), "+QUEUED\r\n");
    assert_eq!(c.call(&["EXEC"]), "*-1\r\n");
    assert_eq!(c.call(&["EXISTS", "watched"]), ":0\r\n");
}

#[test]
fn every_database_is_a_source_of_victims() {
    let s = start("allkeys-lru");
    let mut c = s.conn();
    for db in ["1", "2"] {
        let _: () = ok(&mut c, &["SELECT", db]);
        assert!(set_all(&mut c, &names("k", 0..800), None).is_empty());
    }
    // The keys of databases 1 and 2 are older (the access clock counts seconds).
    sleep(Duration::from_millis(1200));
    let _: () = ok(&mut c, &["SELECT", "0"]);
    let _ = write_until_evicted(&mut c, "k", None, 500);
    // Nearly every victim came from the other databases, where the oldest keys are.
    let mut lost = 0;
    for db in ["1", "2"] {
        let _: () = ok(&mut c, &["SELECT", db]);
        lost += 800 - ok::<u64>(&mut c, &["DBSIZE"]);
    }
    assert!(lost >= 450, "{lost} of the evicted keys came from databases 1 and 2");
}

/// Redis's "Don't rehash if used memory exceeds maxmemory after rehash": 4096 keys fill the
/// key table's bucket array; with the limit 10 KiB above what they use, the next keys must
/// not double it (16 KiB more) and so evict keys that fit: the table waits with longer
/// chains instead, as Redis's does.
#[test]
fn a_full_key_table_waits_instead_of_evicting() {
    let s = common::Server::start(&["--maxmemory-policy", "allkeys-random"]);
    let mut c = s.conn();
    let mut pipe = redis::pipe();
    for i in 0..4096 {
        pipe.cmd("SET").arg(i).arg("A").ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let limit = (info(&mut c, "memory", "used_memory") + 10 * 1024).to_string();
    let _: () = ok(&mut c, &["CONFIG", "SET", "maxmemory", &limit]);
    let _: () = ok(&mut c, &["SET", "k1", "v1"]);
    let _: () = ok(&mut c, &["SET", "k2", "v2"]);
    assert_eq!(ok::<u64>(&mut c, &["DBSIZE"]), 4098);
    assert_eq!(evicted(&mut c), 0);
    // Without a limit the table grows at once again.
    let _: () = ok(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    let before = info(&mut c, "memory", "used_memory");
    let _: () = ok(&mut c, &["SET", "k3", "v3"]);
    assert!(info(&mut c, "memory", "used_memory") >= before + 16 * 1024);
}
