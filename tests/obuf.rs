//! Client output buffers through a real server: `client-output-buffer-limit` for normal and
//! pub/sub clients (hard limit, soft limit held for its seconds, CONFIG SET), what CLIENT
//! LIST and INFO show of a client that does not read, and client buffers counted by
//! `maxmemory` and `maxmemory-clients`.

mod common;
mod engine_support;

use engine_support::{encode, Raw};
use std::time::{Duration, Instant};

/// The CLIENT LIST line of the client named `name`, if connected.
fn client_line(admin: &mut Raw, name: &str) -> Option<String> {
    let list = admin.call(&["CLIENT", "LIST"]);
    list.lines().find(|l| l.contains(&format!(" name={name} "))).map(str::to_string)
}

/// A numeric field (`omem=123`) of a CLIENT LIST line.
fn field(line: &str, name: &str) -> u64 {
    let prefix = format!("{name}=");
    line.split(' ').find_map(|w| w.strip_prefix(&prefix)).and_then(|v| v.parse().ok()).unwrap()
}

/// A numeric INFO field.
fn info(admin: &mut Raw, section: &str, name: &str) -> u64 {
    let text = admin.call(&["INFO", section]);
    let prefix = format!("{name}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.trim().parse().ok()).unwrap()
}

/// Waits until `cond` holds, up to `secs` seconds; panics with `what` otherwise.
fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A named client that sends `n` pipelined `GET key` and reads nothing.
fn lazy_getter(port: u16, name: &str, key: &str, n: usize) -> Raw {
    let mut lazy = Raw::connect(port);
    assert_eq!(lazy.call(&["CLIENT", "SETNAME", name]), "+OK\r\n");
    lazy.send_bytes(&encode(&["GET", key]).repeat(n));
    lazy
}

#[test]
fn a_normal_client_that_does_not_read_is_closed_at_the_hard_limit_while_others_are_served() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    admin.call(&["SET", "big", &"x".repeat(1 << 20)]);
    assert_eq!(admin.call(&["CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 0 0"]), "+OK\r\n");
    // 200 MB of replies asked for; the socket's buffers take a few, the limit 4 more.
    let mut lazy = lazy_getter(s.port, "lazy", "big", 200);
    wait_until(20, "the client that does not read was never closed", || {
        // Other clients are served all along.
        assert_eq!(admin.call(&["PING"]), "+PONG\r\n");
        client_line(&mut admin, "lazy").is_none()
    });
    assert!(lazy.closed_within(Duration::from_secs(10)));
    assert_eq!(info(&mut admin, "stats", "client_output_buffer_limit_disconnections"), 1);
    // The buffer never went past the limit, and nothing of it is left.
    assert!(info(&mut admin, "clients", "client_recent_max_output_buffer") <= 4 << 20);
    wait_until(5, "the closed client's buffers are still counted", || {
        info(&mut admin, "memory", "mem_clients_normal") == 0
    });
    // Without a limit (Redis's default, `normal 0 0 0`), the same client is not closed.
    assert_eq!(admin.call(&["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"]), "+OK\r\n");
    let _patient = lazy_getter(s.port, "patient", "big", 20);
    wait_until(10, "the output of the client without limit is not counted", || {
        client_line(&mut admin, "patient").is_some_and(|l| field(&l, "omem") > 0)
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert!(client_line(&mut admin, "patient").is_some(), "closed without a limit");
}

#[test]
fn one_reply_over_the_hard_limit_closes_the_client_before_anything_is_sent() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    admin.call(&["SET", "big", &"x".repeat(200_000)]);
    assert_eq!(admin.call(&["CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0"]), "+OK\r\n");
    let mut c = Raw::connect(s.port);
    assert_eq!(c.call(&["CLIENT", "SETNAME", "greedy"]), "+OK\r\n");
    // The PING before the GET is in the same batch: its reply is not sent either, as in Redis.
    c.send_bytes(&[encode(&["PING"]), encode(&["GET", "big"])].concat());
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    c.stream().set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    loop {
        match std::io::Read::read(&mut c.stream(), &mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("the connection was not closed: {e}"),
        }
    }
    assert!(got.is_empty(), "sent {} bytes", got.len());
    assert!(client_line(&mut admin, "greedy").is_none());
    // A reply under the limit goes out whole.
    let mut ok = Raw::connect(s.port);
    admin.call(&["SET", "small", &"y".repeat(50_000)]);
    assert_eq!(ok.call(&["GET", "small"]).len(), 50_000 + 10);
}

#[test]
fn the_soft_limit_closes_a_client_over_it_for_longer_than_its_seconds() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    admin.call(&["SET", "big", &"x".repeat(1 << 20)]);
    assert_eq!(admin.call(&["CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 1"]), "+OK\r\n");
    let _lazy = lazy_getter(s.port, "lazy", "big", 60);
    // Over the soft limit (and no more traffic): still connected at first...
    wait_until(10, "the output buffer never went over the soft limit", || {
        client_line(&mut admin, "lazy").is_some_and(|l| field(&l, "omem") > 1 << 20)
    });
    // ...closed once over it for longer than a second, by the cron since nothing else runs.
    wait_until(10, "the client over the soft limit was never closed", || client_line(&mut admin, "lazy").is_none());
    assert_eq!(info(&mut admin, "stats", "client_output_buffer_limit_disconnections"), 1);
}

#[test]
fn config_set_changes_every_class_and_refuses_bad_values() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    let limits = "client-output-buffer-limit";
    assert_eq!(
        admin.call(&["CONFIG", "SET", limits, "normal 1mb 2mb 60 replica 3mb 4mb 70 pubsub 5mb 6mb 80"]),
        "+OK\r\n"
    );
    assert!(admin
        .call(&["CONFIG", "GET", limits])
        .contains("normal 1048576 2097152 60 slave 3145728 4194304 70 pubsub 5242880 6291456 80"));
    for (value, error) in [
        ("master 1mb 1mb 1", "Invalid client class"),
        ("normal 1mb", "Wrong number of arguments"),
        ("normal 10mbs 1mb 1", "Error in hard, soft or soft_seconds"),
        ("normal 1mb 10mbs 1", "Error in hard, soft or soft_seconds"),
        ("pubsub 1mb 1mb 60s", "Error in hard, soft or soft_seconds"),
    ] {
        let reply = admin.call(&["CONFIG", "SET", limits, value]);
        assert!(reply.starts_with("-ERR") && reply.contains(error), "{value}: {reply}");
    }
    // Only the class named changes.
    assert_eq!(admin.call(&["CONFIG", "SET", limits, "normal 0 0 0"]), "+OK\r\n");
    assert!(admin.call(&["CONFIG", "GET", limits]).contains("normal 0 0 0 slave 3145728"));
}

#[test]
fn client_list_shows_the_output_of_a_client_that_does_not_read_until_it_reads() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    admin.call(&["SET", "big", &"x".repeat(1 << 20)]);
    let mut lazy = lazy_getter(s.port, "lazy", "big", 40);
    wait_until(10, "omem never grew", || client_line(&mut admin, "lazy").is_some_and(|l| field(&l, "omem") > 1 << 20));
    let line = client_line(&mut admin, "lazy").unwrap();
    assert!(field(&line, "tot-mem") > field(&line, "omem"));
    assert!(field(&line, "oll") > 0 && field(&line, "obl") == 16384, "{line}");
    assert!(line.contains(" events=rw "), "{line}");
    assert!(info(&mut admin, "memory", "mem_clients_normal") >= field(&line, "omem"));
    // The client reads everything: its buffer empties.
    for _ in 0..40 {
        assert_eq!(lazy.read().len(), (1 << 20) + 12);
    }
    wait_until(10, "omem did not return to 0", || {
        client_line(&mut admin, "lazy").is_some_and(|l| field(&l, "omem") == 0)
    });
    assert_eq!(info(&mut admin, "memory", "mem_clients_normal"), 0);
}

#[test]
fn a_pubsub_subscriber_that_does_not_read_is_closed_at_its_class_limit() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    // The normal class has no limit: the subscriber's class is pubsub.
    assert_eq!(admin.call(&["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0"]), "+OK\r\n");
    let mut sub = Raw::connect(s.port);
    sub.call(&["CLIENT", "SETNAME", "sub"]);
    sub.call(&["SUBSCRIBE", "firehose"]);
    let payload = "x".repeat(10_000);
    let mut seen = 0;
    wait_until(30, "the subscriber was never closed", || {
        admin.call(&["PUBLISH", "firehose", &payload]);
        match client_line(&mut admin, "sub") {
            Some(l) => {
                seen = seen.max(field(&l, "omem"));
                false
            }
            None => true,
        }
    });
    assert!(seen > 0 && seen <= 1 << 20, "omem seen {seen}");
    assert!(sub.closed_within(Duration::from_secs(10)));
    assert_eq!(info(&mut admin, "stats", "client_output_buffer_limit_disconnections"), 1);
}

#[test]
fn output_buffers_count_towards_maxmemory() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    for i in 0..50 {
        admin.call(&["SETRANGE", &format!("k{i}"), "100000", "x"]);
    }
    let used = info(&mut admin, "memory", "used_memory");
    let limit = used + (2 << 20);
    admin.call(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    admin.call(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    assert_eq!(info(&mut admin, "stats", "evicted_keys"), 0);
    // Clients that do not read their replies: their buffers push the dataset out.
    let _lazy: Vec<Raw> = (0..4).map(|i| lazy_getter(s.port, &format!("lazy{i}"), "k1", 400)).collect();
    wait_until(20, "no key was evicted for the output buffers", || info(&mut admin, "stats", "evicted_keys") > 0);
    assert!(info(&mut admin, "memory", "mem_clients_normal") > 0);
    let dbsize: u64 = admin.call(&["DBSIZE"]).trim().trim_start_matches(':').parse().unwrap();
    assert!(dbsize < 50, "{dbsize} keys left");
}

#[test]
fn maxmemory_clients_evicts_the_client_holding_the_most() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    assert_eq!(admin.call(&["CLIENT", "NO-EVICT", "on"]), "+OK\r\n");
    admin.call(&["SET", "big", &"x".repeat(1 << 20)]);
    assert_eq!(admin.call(&["CONFIG", "SET", "maxmemory-clients", "2mb"]), "+OK\r\n");
    let _lazy = lazy_getter(s.port, "lazy", "big", 100);
    let mut small = Raw::connect(s.port);
    assert_eq!(small.call(&["CLIENT", "SETNAME", "small"]), "+OK\r\n");
    wait_until(20, "the client over maxmemory-clients was never evicted", || {
        admin.call(&["PING"]);
        client_line(&mut admin, "lazy").is_none()
    });
    assert!(info(&mut admin, "stats", "evicted_clients") >= 1);
    // The others stay: the admin (no-evict) and a client that holds nothing.
    assert_eq!(small.call(&["PING"]), "+PONG\r\n");
    assert_eq!(admin.call(&["DBSIZE"]), ":1\r\n");
}

#[test]
fn clients_over_maxmemory_clients_go_before_any_key_even_without_a_command() {
    let s = common::Server::start(&[]);
    let mut admin = Raw::connect(s.port);
    assert_eq!(admin.call(&["CLIENT", "NO-EVICT", "on"]), "+OK\r\n");
    for i in 0..50 {
        admin.call(&["SETRANGE", &format!("k{i}"), "100000", "x"]);
    }
    let used = info(&mut admin, "memory", "used_memory");
    admin.call(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    admin.call(&["CONFIG", "SET", "maxmemory-clients", "3mb"]);
    admin.call(&["CONFIG", "SET", "maxmemory", &(used + (4 << 20)).to_string()]);
    // Thirty clients each announce 250 arguments and send 249: their query buffers hold about
    // 7.5 MB, over both limits, and no command of theirs ever runs.
    let mut partial = b"*250\r\n".to_vec();
    for _ in 0..249 {
        partial.extend_from_slice(format!("$1000\r\n{}\r\n", "x".repeat(1000)).as_bytes());
    }
    let dead: Vec<Raw> = (0..30)
        .map(|_| {
            let mut c = Raw::connect(s.port);
            c.send_bytes(&partial);
            c
        })
        .collect();
    // Left alone, only the server's cron acts: it must drop clients, not keys.
    std::thread::sleep(Duration::from_millis(500));
    assert!(info(&mut admin, "stats", "evicted_clients") > 0);
    assert_eq!(info(&mut admin, "stats", "evicted_keys"), 0);
    assert_eq!(admin.call(&["DBSIZE"]), ":50\r\n");
    drop(dead);
}
