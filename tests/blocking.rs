//! Blocking commands through a real server: first-come first-served wake-up, timeouts,
//! killed and disconnected waiters, chained BLMOVE, pipelines held behind a blocked command,
//! and other clients carrying on meanwhile.

mod common;
mod engine_support;

use engine_support::{bulks, wait_blocked, Raw};
use std::time::{Duration, Instant};

#[test]
fn three_blocked_clients_are_served_in_arrival_order() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut waiters: Vec<Raw> = (0..3).map(|_| Raw::connect(s.port)).collect();
    for (i, w) in waiters.iter_mut().enumerate() {
        w.send(&["BLPOP", "q", "0"]);
        wait_blocked(&mut admin, i + 1);
    }
    assert_eq!(admin.call(&["RPUSH", "q", "a", "b", "c", "d"]), ":4\r\n");
    assert_eq!(waiters[0].read(), bulks(&["q", "a"]));
    assert_eq!(waiters[1].read(), bulks(&["q", "b"]));
    assert_eq!(waiters[2].read(), bulks(&["q", "c"]));
    assert_eq!(admin.call(&["LRANGE", "q", "0", "-1"]), bulks(&["d"]));
    wait_blocked(&mut admin, 0);

    // One element at a time: still in order, and a served client is no longer queued.
    for (i, w) in waiters.iter_mut().enumerate() {
        w.send(&["BRPOP", "r", "other", "0"]);
        wait_blocked(&mut admin, i + 1);
    }
    for (i, w) in waiters.iter_mut().enumerate() {
        admin.call(&["LPUSH", "r", &format!("v{i}")]);
        assert_eq!(w.read(), bulks(&["r", &format!("v{i}")]));
    }
    wait_blocked(&mut admin, 0);
}

#[test]
fn timeout_returns_nil_and_bad_timeouts_are_refused() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    let started = Instant::now();
    assert_eq!(c.call(&["BLPOP", "nothing", "0.2"]), "*-1\r\n");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(190) && waited < Duration::from_secs(3), "{waited:?}");
    assert_eq!(c.call(&["BRPOPLPUSH", "nothing", "dst", "0.05"]), "*-1\r\n");
    assert!(c.call(&["HELLO", "3"]).starts_with('%'));
    assert_eq!(c.call(&["BLMOVE", "nothing", "dst", "LEFT", "RIGHT", "0.05"]), "_\r\n");
    c.call(&["HELLO", "2"]);

    assert_eq!(c.call(&["BLPOP", "k", "-1"]), "-ERR timeout is negative\r\n");
    assert_eq!(c.call(&["BLPOP", "k", "abc"]), "-ERR timeout is not a float or out of range\r\n");
    assert_eq!(c.call(&["BLMPOP", "x", "1", "k", "LEFT"]), "-ERR timeout is not a float or out of range\r\n");
    assert_eq!(c.call(&["BLMPOP", "0", "0", "k", "LEFT"]), "-ERR numkeys should be greater than 0\r\n");
    c.call(&["SET", "str", "v"]);
    assert!(c.call(&["BLPOP", "empty", "str", "0"]).starts_with("-WRONGTYPE"));
    // The connection is usable after each.
    assert_eq!(c.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn killed_and_disconnected_waiters_leave_the_queue() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut victim = Raw::connect(s.port);
    let id = victim.call(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim();
    victim.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    assert!(admin.call(&["CLIENT", "LIST"]).contains("flags=b "));
    assert_eq!(admin.call(&["CLIENT", "KILL", "ID", id]), ":1\r\n");
    assert!(victim.closed_within(Duration::from_secs(5)));
    wait_blocked(&mut admin, 0);

    let mut gone = Raw::connect(s.port);
    gone.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    drop(gone);
    wait_blocked(&mut admin, 0);

    // Nobody is left to take the element.
    admin.call(&["RPUSH", "q", "x"]);
    assert_eq!(admin.call(&["LLEN", "q"]), ":1\r\n");
}

#[test]
fn client_unblock_answers_the_waiter() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut w = Raw::connect(s.port);
    let id = w.call(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim().to_string();
    w.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", &id]), ":1\r\n");
    assert_eq!(w.read(), "*-1\r\n");
    w.send(&["BZPOPMIN", "z", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1\r\n");
    assert_eq!(w.read(), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", &id]), ":0\r\n");
}

#[test]
fn blmove_chains_wake_the_next_waiter() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut popper = Raw::connect(s.port);
    let mut mover = Raw::connect(s.port);
    popper.send(&["BLPOP", "dst", "0"]);
    wait_blocked(&mut admin, 1);
    mover.send(&["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut admin, 2);
    admin.call(&["RPUSH", "src", "foo"]);
    assert_eq!(mover.read(), "$3\r\nfoo\r\n");
    assert_eq!(popper.read(), bulks(&["dst", "foo"]));
    assert_eq!(admin.call(&["EXISTS", "src", "dst"]), ":0\r\n");

    // A waiter whose destination holds another type gets WRONGTYPE; the element stays.
    admin.call(&["SET", "target", "string"]);
    mover.send(&["BRPOPLPUSH", "src", "target", "0"]);
    wait_blocked(&mut admin, 1);
    admin.call(&["RPUSH", "src", "e"]);
    assert!(mover.read().starts_with("-WRONGTYPE"));
    assert_eq!(admin.call(&["LRANGE", "src", "0", "-1"]), bulks(&["e"]));
}

#[test]
fn pipeline_after_a_blocked_command_waits_and_others_carry_on() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut w = Raw::connect(s.port);
    let mut pipeline = engine_support::encode(&["SET", "before", "1"]);
    pipeline.extend(engine_support::encode(&["BLPOP", "q", "0"]));
    pipeline.extend(engine_support::encode(&["GET", "q"]));
    pipeline.extend(engine_support::encode(&["PING"]));
    w.send_bytes(&pipeline);
    assert_eq!(w.read(), "+OK\r\n");
    wait_blocked(&mut admin, 1);
    // Other clients are not stalled, and the rest of the pipeline has not run.
    for _ in 0..50 {
        assert_eq!(admin.call(&["PING"]), "+PONG\r\n");
    }
    assert_eq!(w.try_read(Duration::from_millis(100)), None);
    admin.call(&["RPUSH", "q", "x", "y"]);
    assert_eq!(w.read(), bulks(&["q", "x"]));
    assert_eq!(w.read(), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    assert_eq!(w.read(), "+PONG\r\n");
}

#[test]
fn multi_exec_wakes_waiters_once_with_the_final_state() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut w = Raw::connect(s.port);
    w.send(&["BLPOP", "l", "0"]);
    wait_blocked(&mut admin, 1);
    // Pushed then deleted inside one transaction: nothing to serve.
    admin.call(&["MULTI"]);
    admin.call(&["LPUSH", "l", "a"]);
    admin.call(&["DEL", "l"]);
    admin.call(&["EXEC"]);
    assert_eq!(w.try_read(Duration::from_millis(100)), None);
    admin.call(&["MULTI"]);
    admin.call(&["LPUSH", "l", "a"]);
    admin.call(&["LPUSH", "l", "b"]);
    admin.call(&["EXEC"]);
    assert_eq!(w.read(), bulks(&["l", "b"]));
}

#[test]
fn blmpop_serves_counts_across_keys() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut w1 = Raw::connect(s.port);
    let mut w2 = Raw::connect(s.port);
    w1.send(&["BLMPOP", "0", "2", "k1", "k2", "LEFT", "COUNT", "2"]);
    wait_blocked(&mut admin, 1);
    w2.send(&["BLMPOP", "0", "2", "k1", "k2", "RIGHT", "COUNT", "10"]);
    wait_blocked(&mut admin, 2);
    admin.call(&["RPUSH", "k2", "a", "b", "c"]);
    assert_eq!(w1.read(), "*2\r\n$2\r\nk2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(w2.read(), "*2\r\n$2\r\nk2\r\n*1\r\n$1\r\nc\r\n");
    assert_eq!(admin.call(&["EXISTS", "k2"]), ":0\r\n");
}

#[test]
fn sorted_set_waiters_get_member_and_score() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut w = Raw::connect(s.port);
    if admin.call(&["ZADD", "probe", "1", "a"]).starts_with("-ERR unknown command") {
        eprintln!("ZADD not available yet: skipping the sorted-set half");
        return;
    }
    w.send(&["BZPOPMIN", "z", "0"]);
    wait_blocked(&mut admin, 1);
    // A list on the key does not serve a sorted-set waiter.
    admin.call(&["RPUSH", "z", "not-a-zset"]);
    assert_eq!(w.try_read(Duration::from_millis(100)), None);
    admin.call(&["DEL", "z"]);
    admin.call(&["ZADD", "z", "2", "two", "1", "one"]);
    assert_eq!(w.read(), bulks(&["z", "one", "1"]));
    w.send(&["BZMPOP", "0", "1", "z2", "MAX", "COUNT", "5"]);
    wait_blocked(&mut admin, 1);
    admin.call(&["ZADD", "z2", "1", "a", "3", "c"]);
    assert_eq!(w.read(), "*2\r\n$2\r\nz2\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
}

#[test]
fn redis_crate_blpop_waits_for_a_push_from_another_client() {
    let s = common::Server::start(&[]);
    let mut waiter = s.conn();
    let mut pusher = s.conn();
    let mut admin = Raw::connect(s.port);
    let timed_out: Option<(String, String)> = redis::cmd("BLPOP").arg("jobs").arg(0.1).query(&mut waiter).unwrap();
    assert_eq!(timed_out, None);
    let handle = std::thread::spawn(move || -> Option<(String, String)> {
        redis::cmd("BLPOP").arg("jobs").arg(0).query(&mut waiter).unwrap()
    });
    wait_blocked(&mut admin, 1);
    let _: i64 = redis::cmd("RPUSH").arg("jobs").arg("job-1").query(&mut pusher).unwrap();
    assert_eq!(handle.join().unwrap(), Some(("jobs".to_string(), "job-1".to_string())));
}

#[test]
fn commands_sent_while_blocked_run_after_the_reply() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let mut w = Raw::connect(s.port);
    w.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    w.send(&["PING"]);
    w.send(&["ECHO", "after"]);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(w.try_read(Duration::from_millis(50)), None);
    admin.call(&["RPUSH", "q", "x"]);
    assert_eq!(w.read(), bulks(&["q", "x"]));
    assert_eq!(w.read(), "+PONG\r\n");
    assert_eq!(w.read(), "$5\r\nafter\r\n");
}
