//! MULTI, EXEC, DISCARD, WATCH and UNWATCH through a real server: queueing, EXECABORT,
//! per-command runtime errors, and WATCH broken by other clients, by the client itself, by
//! expiry, FLUSHALL and SWAPDB.

mod common;
mod engine_support;

use engine_support::{bulks, Raw};
use std::time::Duration;

const EXECABORT: &str = "-EXECABORT Transaction discarded because of previous errors.\r\n";

#[test]
fn queued_commands_run_at_exec_with_per_command_errors() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call(&["SET", "a", "1"]), "+QUEUED\r\n");
    assert_eq!(c.call(&["INCR", "a"]), "+QUEUED\r\n");
    assert_eq!(c.call(&["LPUSH", "a", "x"]), "+QUEUED\r\n");
    assert_eq!(c.call(&["GET", "a"]), "+QUEUED\r\n");
    assert_eq!(
        c.call(&["EXEC"]),
        "*4\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$1\r\n2\r\n"
    );
    // An empty transaction answers an empty array; the state is cleared after EXEC.
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call(&["EXEC"]), "*0\r\n");
    assert_eq!(c.call(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
}

#[test]
fn queue_time_errors_abort_the_transaction() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    c.call(&["MULTI"]);
    assert_eq!(c.call(&["SET", "x", "1"]), "+QUEUED\r\n");
    assert!(c.call(&["NOSUCHCOMMAND", "a"]).starts_with("-ERR unknown command 'NOSUCHCOMMAND'"));
    assert_eq!(c.call(&["SET", "y", "1"]), "+QUEUED\r\n");
    assert_eq!(c.call(&["EXEC"]), EXECABORT);
    assert_eq!(c.call(&["EXISTS", "x", "y"]), ":0\r\n");

    c.call(&["MULTI"]);
    assert_eq!(c.call(&["GET"]), "-ERR wrong number of arguments for 'get' command\r\n");
    assert_eq!(c.call(&["EXEC"]), EXECABORT);

    // A command flagged no-multi is refused at queue time, and the server keeps running.
    c.call(&["MULTI"]);
    assert_eq!(c.call(&["SHUTDOWN"]), "-ERR Command not allowed inside a transaction\r\n");
    assert_eq!(c.call(&["EXEC"]), EXECABORT);
    assert_eq!(c.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn misuse_is_refused_with_redis_errors() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    assert_eq!(c.call(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(c.call(&["DISCARD"]), "-ERR DISCARD without MULTI\r\n");
    c.call(&["MULTI"]);
    assert_eq!(c.call(&["MULTI"]), "-ERR MULTI calls can not be nested\r\n");
    assert_eq!(c.call(&["WATCH", "x"]), "-ERR WATCH inside MULTI is not allowed\r\n");
    // Neither error aborts the transaction.
    assert_eq!(c.call(&["PING"]), "+QUEUED\r\n");
    assert_eq!(c.call(&["EXEC"]), "*1\r\n+PONG\r\n");
    // DISCARD drops the queue.
    c.call(&["MULTI"]);
    c.call(&["SET", "d", "1"]);
    assert_eq!(c.call(&["DISCARD"]), "+OK\r\n");
    assert_eq!(c.call(&["EXISTS", "d"]), ":0\r\n");
}

#[test]
fn watch_is_broken_by_another_clients_write() {
    let s = common::Server::start(&[]);
    let mut a = Raw::connect(s.port);
    let mut b = Raw::connect(s.port);
    a.call(&["SET", "k", "1"]);
    assert_eq!(a.call(&["WATCH", "k", "other"]), "+OK\r\n");
    assert_eq!(b.call(&["SET", "k", "2"]), "+OK\r\n");
    a.call(&["MULTI"]);
    a.call(&["SET", "k", "3"]);
    assert_eq!(a.call(&["EXEC"]), "*-1\r\n");
    assert_eq!(a.call(&["GET", "k"]), "$1\r\n2\r\n");

    // After EXEC nothing is watched any more: the next transaction runs.
    a.call(&["MULTI"]);
    a.call(&["SET", "k", "3"]);
    assert_eq!(a.call(&["EXEC"]), "*1\r\n+OK\r\n");

    // Writes to other keys or in other databases do not break it; a delete does.
    a.call(&["WATCH", "k"]);
    b.call(&["SET", "unrelated", "1"]);
    b.call(&["SELECT", "1"]);
    b.call(&["SET", "k", "x"]);
    a.call(&["MULTI"]);
    a.call(&["PING"]);
    assert_eq!(a.call(&["EXEC"]), "*1\r\n+PONG\r\n");
    a.call(&["WATCH", "k"]);
    b.call(&["SELECT", "0"]);
    b.call(&["DEL", "k"]);
    a.call(&["MULTI"]);
    a.call(&["PING"]);
    assert_eq!(a.call(&["EXEC"]), "*-1\r\n");

    // RESP3 answers a failed EXEC with a null.
    assert!(a.call(&["HELLO", "3"]).starts_with('%'));
    a.call(&["WATCH", "k"]);
    b.call(&["SET", "k", "again"]);
    a.call(&["MULTI"]);
    a.call(&["PING"]);
    assert_eq!(a.call(&["EXEC"]), "_\r\n");
}

#[test]
fn watch_is_broken_by_own_write_and_cleared_by_unwatch_and_discard() {
    let s = common::Server::start(&[]);
    let mut a = Raw::connect(s.port);
    a.call(&["WATCH", "x"]);
    a.call(&["SET", "x", "1"]);
    a.call(&["MULTI"]);
    a.call(&["INCR", "x"]);
    assert_eq!(a.call(&["EXEC"]), "*-1\r\n");

    a.call(&["WATCH", "x"]);
    a.call(&["SET", "x", "10"]);
    assert_eq!(a.call(&["UNWATCH"]), "+OK\r\n");
    a.call(&["MULTI"]);
    a.call(&["INCR", "x"]);
    assert_eq!(a.call(&["EXEC"]), "*1\r\n:11\r\n");

    a.call(&["WATCH", "x"]);
    a.call(&["SET", "x", "10"]);
    a.call(&["MULTI"]);
    assert_eq!(a.call(&["DISCARD"]), "+OK\r\n");
    a.call(&["MULTI"]);
    a.call(&["INCR", "x"]);
    assert_eq!(a.call(&["EXEC"]), "*1\r\n:11\r\n");
}

#[test]
fn watch_is_broken_by_expiry_flushall_and_swapdb() {
    let s = common::Server::start(&[]);
    let mut a = Raw::connect(s.port);
    let mut b = Raw::connect(s.port);

    // Expiry: the key expires between WATCH and EXEC (nobody touches it).
    a.call(&["SET", "e", "v", "PX", "100"]);
    a.call(&["WATCH", "e"]);
    std::thread::sleep(Duration::from_millis(250));
    a.call(&["MULTI"]);
    a.call(&["PING"]);
    assert_eq!(a.call(&["EXEC"]), "*-1\r\n");

    // EXPIRE on a watched key is a modification.
    a.call(&["SET", "e", "v"]);
    a.call(&["WATCH", "e"]);
    b.call(&["EXPIRE", "e", "100"]);
    a.call(&["MULTI"]);
    a.call(&["PING"]);
    assert_eq!(a.call(&["EXEC"]), "*-1\r\n");

    // FLUSHALL touches watched keys that exist, not the others.
    a.call(&["SET", "f", "v"]);
    a.call(&["WATCH", "f"]);
    b.call(&["FLUSHALL"]);
    a.call(&["MULTI"]);
    a.call(&["PING"]);
    assert_eq!(a.call(&["EXEC"]), "*-1\r\n");
    a.call(&["WATCH", "absent"]);
    b.call(&["FLUSHALL"]);
    a.call(&["MULTI"]);
    a.call(&["PING"]);
    assert_eq!(a.call(&["EXEC"]), "*1\r\n+PONG\r\n");

    // SWAPDB touches watched keys that exist in either database.
    b.call(&["SELECT", "1"]);
    b.call(&["SET", "w", "in-db1"]);
    a.call(&["WATCH", "w"]);
    b.call(&["SWAPDB", "0", "1"]);
    a.call(&["MULTI"]);
    a.call(&["GET", "w"]);
    assert_eq!(a.call(&["EXEC"]), "*-1\r\n");
    assert_eq!(a.call(&["GET", "w"]), "$6\r\nin-db1\r\n");
}

#[test]
fn exec_runs_atomically_and_blocking_commands_do_not_block_inside() {
    let s = common::Server::start(&[]);
    let mut a = Raw::connect(s.port);
    a.call(&["MULTI"]);
    a.call(&["BLPOP", "empty", "0"]);
    a.call(&["BRPOPLPUSH", "empty", "dst", "0"]);
    a.call(&["RPUSH", "l", "x"]);
    a.call(&["BLPOP", "l", "0"]);
    let reply = a.call(&["EXEC"]);
    assert_eq!(reply, format!("*4\r\n*-1\r\n$-1\r\n:1\r\n{}", bulks(&["l", "x"])));

    // Another client's commands never run between the queued ones: a transaction
    // incrementing twice is seen by a concurrent reader as a whole.
    let port = s.port;
    let writer = std::thread::spawn(move || {
        let mut w = Raw::connect(port);
        for _ in 0..200 {
            w.call(&["MULTI"]);
            w.call(&["INCR", "n"]);
            w.call(&["INCR", "n"]);
            w.call(&["EXEC"]);
        }
    });
    let mut r = Raw::connect(s.port);
    for _ in 0..200 {
        let v = r.call(&["GET", "n"]);
        if let Some(n) = v.split("\r\n").nth(1).and_then(|n| n.parse::<u64>().ok()) {
            assert_eq!(n % 2, 0, "saw half a transaction: {n}");
        }
    }
    writer.join().unwrap();
    assert_eq!(r.call(&["GET", "n"]), "$3\r\n400\r\n");
}

#[test]
fn client_list_shows_multi_state() {
    let s = common::Server::start(&[]);
    let mut a = Raw::connect(s.port);
    a.call(&["MULTI"]);
    a.call(&["PING"]);
    a.call(&["PING"]);
    let mut b = Raw::connect(s.port);
    let list = b.call(&["CLIENT", "LIST"]);
    assert!(list.contains("flags=x ") && list.contains("multi=2 "), "{list}");
    a.call(&["DISCARD"]);
    let list = b.call(&["CLIENT", "LIST"]);
    assert!(!list.contains("flags=x "), "{list}");
}

#[test]
fn redis_crate_optimistic_transaction_retries_after_a_conflict() {
    let s = common::Server::start(&[]);
    let mut c = s.conn();
    let mut other = s.conn();
    let _: () = redis::cmd("SET").arg("counter").arg(10).query(&mut c).unwrap();
    let mut attempts = 0;
    let (value,): (i64,) = redis::transaction(&mut c, &["counter"], |con, pipe| {
        attempts += 1;
        let current: i64 = redis::cmd("GET").arg("counter").query(con)?;
        if attempts == 1 {
            // Someone else writes between WATCH and EXEC: the first EXEC fails.
            let _: () = redis::cmd("SET").arg("counter").arg(100).query(&mut other)?;
        }
        pipe.set("counter", current + 1).ignore().get("counter").query(con)
    })
    .unwrap();
    assert_eq!(attempts, 2);
    assert_eq!(value, 101);

    // A queue-time error surfaces as EXECABORT through the client library too.
    let err = redis::pipe().atomic().cmd("SET").arg("a").arg(1).cmd("GET").query::<redis::Value>(&mut c).unwrap_err();
    assert_eq!(err.code(), Some("EXECABORT"));
}

#[test]
fn over_maxmemory_queueing_is_refused_and_exec_of_writes_aborts() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    let mut admin = Raw::connect(s.port);
    c.call(&["SET", "x", "value"]);
    // Queued before the limit: a write, then EXEC is refused as a whole.
    c.call(&["MULTI"]);
    assert_eq!(c.call(&["SET", "y", "1"]), "+QUEUED\r\n");
    assert_eq!(admin.call(&["CONFIG", "SET", "maxmemory", "1"]), "+OK\r\n");
    assert_eq!(
        c.call(&["EXEC"]),
        "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    // Queueing anything over the limit is refused and aborts; DISCARD still works.
    c.call(&["MULTI"]);
    assert_eq!(c.call(&["GET", "x"]), "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    assert_eq!(c.call(&["DISCARD"]), "+OK\r\n");
    // Outside MULTI only commands that may grow memory are refused.
    assert_eq!(c.call(&["GET", "x"]), "$5\r\nvalue\r\n");
    assert_eq!(c.call(&["SET", "z", "1"]), "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    admin.call(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(c.call(&["SET", "z", "1"]), "+OK\r\n");
}
