//! Pub/Sub through a real server: receiver counts, channel and pattern delivery, RESP3 push
//! frames, the RESP2 subscribed context, PUBSUB introspection, shard channels, and the
//! output-buffer limit that disconnects a subscriber that does not read.

mod common;
mod engine_support;

use engine_support::{bulks, Raw};
use std::time::{Duration, Instant};

/// The wire text of a subscribe-style confirmation: `kind`, `name`, `count`.
fn confirm(kind: &str, name: &str, count: i64) -> String {
    format!("*3\r\n${}\r\n{kind}\r\n${}\r\n{name}\r\n:{count}\r\n", kind.len(), name.len())
}

#[test]
fn publish_counts_receivers_and_delivers_in_order() {
    let s = common::Server::start(&[]);
    let mut publisher = Raw::connect(s.port);
    let mut a = Raw::connect(s.port);
    let mut b = Raw::connect(s.port);
    a.send(&["SUBSCRIBE", "news", "sport"]);
    assert_eq!(a.read(), confirm("subscribe", "news", 1));
    assert_eq!(a.read(), confirm("subscribe", "sport", 2));
    assert_eq!(b.call(&["SUBSCRIBE", "news"]), confirm("subscribe", "news", 1));

    assert_eq!(publisher.call(&["PUBLISH", "news", "hello"]), ":2\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "sport", "goal"]), ":1\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "nobody", "x"]), ":0\r\n");
    assert_eq!(a.read(), bulks(&["message", "news", "hello"]));
    assert_eq!(a.read(), bulks(&["message", "sport", "goal"]));
    assert_eq!(b.read(), bulks(&["message", "news", "hello"]));

    // Subscribing twice counts once; unsubscribing from everything replies per channel.
    assert_eq!(a.call(&["SUBSCRIBE", "news"]), confirm("subscribe", "news", 2));
    a.send(&["UNSUBSCRIBE"]);
    assert_eq!(a.read(), confirm("unsubscribe", "news", 1));
    assert_eq!(a.read(), confirm("unsubscribe", "sport", 0));
    assert_eq!(publisher.call(&["PUBLISH", "news", "again"]), ":1\r\n");
    // Unsubscribed from nothing: a null channel.
    assert_eq!(a.call(&["UNSUBSCRIBE"]), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
    // Out of the subscribed context, any command runs again.
    assert_eq!(a.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn patterns_receive_pmessages() {
    let s = common::Server::start(&[]);
    let mut publisher = Raw::connect(s.port);
    let mut sub = Raw::connect(s.port);
    sub.send(&["PSUBSCRIBE", "news.*", "h?llo"]);
    assert_eq!(sub.read(), confirm("psubscribe", "news.*", 1));
    assert_eq!(sub.read(), confirm("psubscribe", "h?llo", 2));
    assert_eq!(sub.call(&["SUBSCRIBE", "news.tech"]), confirm("subscribe", "news.tech", 3));
    // One channel subscription and one pattern: two receivers, two frames.
    assert_eq!(publisher.call(&["PUBLISH", "news.tech", "rust"]), ":2\r\n");
    assert_eq!(sub.read(), bulks(&["message", "news.tech", "rust"]));
    assert_eq!(sub.read(), bulks(&["pmessage", "news.*", "news.tech", "rust"]));
    assert_eq!(publisher.call(&["PUBLISH", "hallo", "x"]), ":1\r\n");
    assert_eq!(sub.read(), bulks(&["pmessage", "h?llo", "hallo", "x"]));
    assert_eq!(publisher.call(&["PUBLISH", "newsXtech", "x"]), ":0\r\n");

    assert_eq!(publisher.call(&["PUBSUB", "NUMPAT"]), ":2\r\n");
    assert_eq!(
        publisher.call(&["PUBSUB", "NUMSUB", "news.tech", "none"]),
        "*4\r\n$9\r\nnews.tech\r\n:1\r\n$4\r\nnone\r\n:0\r\n"
    );
    assert_eq!(publisher.call(&["PUBSUB", "CHANNELS", "news.*"]), bulks(&["news.tech"]));
    assert_eq!(publisher.call(&["PUBSUB", "CHANNELS", "zzz*"]), "*0\r\n");

    sub.send(&["PUNSUBSCRIBE"]);
    assert_eq!(sub.read(), confirm("punsubscribe", "news.*", 2));
    assert_eq!(sub.read(), confirm("punsubscribe", "h?llo", 1));
    assert_eq!(publisher.call(&["PUBSUB", "NUMPAT"]), ":0\r\n");
}

#[test]
fn resp2_subscribed_context_allows_only_pubsub_commands() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    c.call(&["SUBSCRIBE", "ch"]);
    assert_eq!(
        c.call(&["GET", "k"]),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        c.call(&["CLIENT", "LIST"]),
        "-ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(c.call(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(c.call(&["PING", "hi"]), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
    // RESET leaves the subscribed context and drops the subscriptions.
    assert_eq!(c.call(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.call(&["GET", "k"]), "$-1\r\n");
    let mut p = Raw::connect(s.port);
    assert_eq!(p.call(&["PUBLISH", "ch", "x"]), ":0\r\n");
}

#[test]
fn resp3_subscribers_get_push_frames_and_may_run_anything() {
    let s = common::Server::start(&[]);
    let mut publisher = Raw::connect(s.port);
    let mut c = Raw::connect(s.port);
    assert!(c.call(&["HELLO", "3"]).starts_with('%'));
    assert_eq!(c.call(&["SUBSCRIBE", "ch"]), ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    assert_eq!(c.call(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(c.call(&["PING"]), "+PONG\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "ch", "hi"]), ":1\r\n");
    assert_eq!(c.read(), ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    // Publishing to itself: the message comes before the reply, as Redis writes it.
    c.send(&["PUBLISH", "ch", "me"]);
    assert_eq!(c.read(), ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nme\r\n");
    assert_eq!(c.read(), ":1\r\n");
    // CLIENT REPLY OFF silences replies, not push frames.
    c.send(&["CLIENT", "REPLY", "OFF"]);
    c.send(&["PING"]);
    assert_eq!(c.call(&["UNSUBSCRIBE", "ch"]), ">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n");
}

#[test]
fn shard_channels_are_separate_from_channels() {
    let s = common::Server::start(&[]);
    let mut publisher = Raw::connect(s.port);
    let mut a = Raw::connect(s.port);
    let mut b = Raw::connect(s.port);
    assert_eq!(a.call(&["SSUBSCRIBE", "ch"]), confirm("ssubscribe", "ch", 1));
    assert_eq!(b.call(&["SUBSCRIBE", "ch"]), confirm("subscribe", "ch", 1));
    assert_eq!(publisher.call(&["SPUBLISH", "ch", "s"]), ":1\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "ch", "p"]), ":1\r\n");
    assert_eq!(a.read(), bulks(&["smessage", "ch", "s"]));
    assert_eq!(b.read(), bulks(&["message", "ch", "p"]));
    assert_eq!(publisher.call(&["PUBSUB", "SHARDNUMSUB", "ch"]), "*2\r\n$2\r\nch\r\n:1\r\n");
    assert_eq!(publisher.call(&["PUBSUB", "SHARDCHANNELS"]), bulks(&["ch"]));
    assert_eq!(a.call(&["SUNSUBSCRIBE", "ch"]), confirm("sunsubscribe", "ch", 0));
    assert_eq!(publisher.call(&["PUBSUB", "SHARDCHANNELS"]), "*0\r\n");
}

#[test]
fn a_subscriber_that_does_not_read_is_disconnected_at_the_output_limit() {
    let s = common::Server::start(&[]);
    let mut publisher = Raw::connect(s.port);
    assert_eq!(publisher.call(&["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0"]), "+OK\r\n");
    let mut lazy = Raw::connect(s.port);
    assert_eq!(lazy.call(&["SUBSCRIBE", "firehose"]), confirm("subscribe", "firehose", 1));
    let payload = "x".repeat(100 * 1024);
    let started = Instant::now();
    let mut disconnected = false;
    for _ in 0..600 {
        publisher.call(&["PUBLISH", "firehose", &payload]);
        if publisher.call(&["PUBSUB", "NUMSUB", "firehose"]).ends_with(":0\r\n") {
            disconnected = true;
            break;
        }
    }
    assert!(disconnected, "the subscriber was never disconnected");
    // The publisher never waited on the subscriber.
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(lazy.closed_within(Duration::from_secs(10)));
    assert_eq!(publisher.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn disconnecting_subscribers_are_forgotten() {
    let s = common::Server::start(&[]);
    let mut publisher = Raw::connect(s.port);
    {
        let mut gone = Raw::connect(s.port);
        gone.call(&["SUBSCRIBE", "ch"]);
        gone.call(&["PSUBSCRIBE", "c*"]);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while publisher.call(&["PUBLISH", "ch", "x"]) != ":0\r\n" {
        assert!(Instant::now() < deadline, "subscriptions outlived their connection");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(publisher.call(&["PUBSUB", "NUMPAT"]), ":0\r\n");
}
