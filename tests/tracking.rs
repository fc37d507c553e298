//! Client-side caching (CLIENT TRACKING) through a real server, read as raw RESP so the push
//! frames are checked byte for byte: RESP3 `invalidate` pushes for another client's write,
//! for expiry, eviction and the table's own limit, a null for FLUSHALL and FLUSHDB;
//! redirection to a RESP2 subscriber of `__redis__:invalidate` and to a RESP3 client, and a
//! broken redirection; broadcasting with prefixes; OPTIN/OPTOUT with CLIENT CACHING; NOLOOP;
//! the introspection (CLIENT TRACKINGINFO, GETREDIR, LIST flags, INFO counts); every refusal
//! in Redis's words.
//!
//! Absence of a push is checked without waiting: a push for a client is queued before the
//! command that caused it replies, and a connection writes what is queued for it before the
//! reply of its next command, so a PING answered with nothing before its PONG proves none
//! was sent.

mod common;
mod engine_support;

use engine_support::{bulks, Raw};

/// The wire text of a RESP3 invalidation of `keys`.
fn invalidate(keys: &[&str]) -> String {
    format!(">2\r\n$10\r\ninvalidate\r\n{}", bulks(keys))
}

/// The wire text of a RESP3 invalidation of everything (a flush).
const INVALIDATE_ALL: &str = ">2\r\n$10\r\ninvalidate\r\n_\r\n";

/// The wire text of a redirected invalidation of `keys` to a RESP2 subscriber.
fn message(keys: &[&str]) -> String {
    format!("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n{}", bulks(keys))
}

/// A RESP3 client with tracking on (with `options`).
fn tracking_client(port: u16, options: &[&str]) -> Raw {
    let mut c = Raw::connect(port);
    assert!(c.call(&["HELLO", "3"]).starts_with('%'));
    let mut args = vec!["CLIENT", "TRACKING", "ON"];
    args.extend_from_slice(options);
    assert_eq!(c.call(&args), "+OK\r\n");
    c
}

/// Asserts nothing is queued for `c`: its PING is answered with PONG alone.
fn nothing_pending(c: &mut Raw) {
    assert_eq!(c.call(&["PING"]), "+PONG\r\n");
}

fn client_id(c: &mut Raw) -> String {
    c.call(&["CLIENT", "ID"]).trim_start_matches(':').trim().to_string()
}

/// A RESP2 client subscribed to `__redis__:invalidate`, and its id.
fn redirect_target(port: u16) -> (Raw, String) {
    let mut r = Raw::connect(port);
    let id = client_id(&mut r);
    r.send(&["SUBSCRIBE", "__redis__:invalidate"]);
    assert!(r.read().contains("__redis__:invalidate"));
    (r, id)
}

#[test]
fn a_read_key_is_invalidated_once_when_another_client_writes_it() {
    let s = common::Server::start(&[]);
    let mut other = Raw::connect(s.port);
    let mut c = tracking_client(s.port, &[]);
    assert_eq!(other.call(&["SET", "k", "1"]), "+OK\r\n");
    assert_eq!(c.call(&["GET", "k"]), "$1\r\n1\r\n");
    // A key never read is not reported; a missing key that was read is.
    assert_eq!(c.call(&["GET", "missing"]), "_\r\n");
    assert_eq!(other.call(&["SET", "unread", "1"]), "+OK\r\n");
    assert_eq!(other.call(&["SET", "k", "2"]), "+OK\r\n");
    assert_eq!(c.read(), invalidate(&["k"]));
    assert_eq!(other.call(&["SET", "missing", "now"]), "+OK\r\n");
    assert_eq!(c.read(), invalidate(&["missing"]));
    // Forgotten once reported: a second write sends nothing until the key is read again.
    assert_eq!(other.call(&["SET", "k", "3"]), "+OK\r\n");
    nothing_pending(&mut c);
    // Any modification counts: a hash field deleted by HDEL, a key renamed away.
    assert_eq!(other.call(&["HSET", "h", "f", "v"]), ":1\r\n");
    assert_eq!(c.call(&["HGET", "h", "f"]), "$1\r\nv\r\n");
    assert_eq!(other.call(&["HDEL", "h", "f"]), ":1\r\n");
    assert_eq!(c.read(), invalidate(&["h"]));
    // Its own write is reported too (after the reply), unless NOLOOP.
    assert_eq!(c.call(&["GET", "k"]), "$1\r\n3\r\n");
    c.send(&["SET", "k", "4"]);
    assert_eq!(c.read(), "+OK\r\n");
    assert_eq!(c.read(), invalidate(&["k"]));
    // Tracking off: nothing more.
    assert_eq!(c.call(&["GET", "k"]), "$1\r\n4\r\n");
    assert_eq!(c.call(&["CLIENT", "TRACKING", "OFF"]), "+OK\r\n");
    assert_eq!(other.call(&["SET", "k", "5"]), "+OK\r\n");
    nothing_pending(&mut c);
}

#[test]
fn expiry_and_flushes_invalidate() {
    let s = common::Server::start(&[]);
    let mut other = Raw::connect(s.port);
    let mut c = tracking_client(s.port, &[]);
    // Active expiry: nobody touches the key, the cron deletes it.
    assert_eq!(other.call(&["SET", "short", "v", "PX", "50"]), "+OK\r\n");
    assert_eq!(c.call(&["GET", "short"]), "$1\r\nv\r\n");
    assert_eq!(c.read(), invalidate(&["short"]));
    // EXPIRE with a past deadline deletes at once.
    assert_eq!(other.call(&["SET", "e", "v"]), "+OK\r\n");
    assert_eq!(c.call(&["GET", "e"]), "$1\r\nv\r\n");
    assert_eq!(other.call(&["EXPIRE", "e", "0"]), ":1\r\n");
    assert_eq!(c.read(), invalidate(&["e"]));
    // FLUSHALL and FLUSHDB: a null, to every tracking client, and the table is emptied.
    assert_eq!(c.call(&["GET", "a"]), "_\r\n");
    assert!(other.call(&["INFO", "stats"]).contains("tracking_total_keys:1\r\n"));
    assert_eq!(other.call(&["FLUSHALL"]), "+OK\r\n");
    assert_eq!(c.read(), INVALIDATE_ALL);
    assert!(other.call(&["INFO", "stats"]).contains("tracking_total_keys:0\r\n"));
    assert_eq!(other.call(&["FLUSHDB"]), "+OK\r\n");
    assert_eq!(c.read(), INVALIDATE_ALL);
    // The flushing client itself hears it after its reply; in MULTI after EXEC's.
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call(&["FLUSHDB"]), "+QUEUED\r\n");
    assert_eq!(c.call(&["EXEC"]), "*1\r\n+OK\r\n");
    assert_eq!(c.read(), INVALIDATE_ALL);
}

#[test]
fn eviction_invalidates_before_the_reply_of_the_command_that_made_room() {
    let s = common::Server::start(&["--maxmemory-policy", "volatile-random"]);
    let mut c = tracking_client(s.port, &[]);
    assert_eq!(c.call(&["SET", "volatile", "x", "EX", "10000"]), "+OK\r\n");
    assert_eq!(c.call(&["GET", "volatile"]), "$1\r\nx\r\n");
    let info = c.call(&["INFO", "memory"]);
    let used: u64 = info.lines().find_map(|l| l.strip_prefix("used_memory:")).unwrap().trim().parse().unwrap();
    assert_eq!(c.call(&["CONFIG", "SET", "maxmemory", &(used + 100 * 1024).to_string()]), "+OK\r\n");
    // 200 KB more than the limit allows: the next command evicts the only volatile key.
    assert_eq!(c.call(&["SETBIT", "big", "1600000", "0"]), ":0\r\n");
    c.send(&["GETBIT", "big", "0"]);
    assert_eq!(c.read(), invalidate(&["volatile"]));
    assert_eq!(c.read(), ":0\r\n");
}

#[test]
fn redirection_to_a_resp2_subscriber_and_to_a_resp3_client() {
    let s = common::Server::start(&[]);
    let mut other = Raw::connect(s.port);
    let (mut target, id) = redirect_target(s.port);
    // A RESP2 client redirects to the subscriber.
    let mut c = Raw::connect(s.port);
    assert_eq!(c.call(&["CLIENT", "TRACKING", "ON", "REDIRECT", &id]), "+OK\r\n");
    assert_eq!(c.call(&["CLIENT", "GETREDIR"]), format!(":{id}\r\n"));
    assert_eq!(c.call(&["MGET", "a", "b"]), "*2\r\n$-1\r\n$-1\r\n");
    assert_eq!(other.call(&["MSET", "a", "1", "b", "2"]), "+OK\r\n");
    let got = [target.read(), target.read()];
    assert!(got.contains(&message(&["a"])) && got.contains(&message(&["b"])), "{got:?}");
    // A flush reaches it as a message carrying a null.
    assert_eq!(c.call(&["GET", "a"]), "$1\r\n1\r\n");
    assert_eq!(other.call(&["FLUSHALL"]), "+OK\r\n");
    assert_eq!(target.read(), "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
    // A RESP3 target that never subscribed gets the push itself.
    let mut r3 = Raw::connect(s.port);
    assert!(r3.call(&["HELLO", "3"]).starts_with('%'));
    let id3 = client_id(&mut r3);
    assert_eq!(c.call(&["CLIENT", "TRACKING", "ON", "REDIRECT", &id3]), "+OK\r\n");
    assert_eq!(c.call(&["GET", "x"]), "$-1\r\n");
    assert_eq!(other.call(&["SET", "x", "1"]), "+OK\r\n");
    assert_eq!(r3.read(), invalidate(&["x"]));
    // A RESP2 client without redirection cannot receive pushes: nothing is sent to it.
    assert_eq!(c.call(&["CLIENT", "TRACKING", "OFF"]), "+OK\r\n");
    assert_eq!(c.call(&["CLIENT", "TRACKING", "ON"]), "+OK\r\n");
    assert_eq!(c.call(&["GET", "x"]), "$1\r\n1\r\n");
    assert_eq!(other.call(&["SET", "x", "2"]), "+OK\r\n");
    nothing_pending(&mut c);
}

#[test]
fn a_redirection_to_a_client_that_left_is_reported_broken() {
    let s = common::Server::start(&[]);
    let mut other = Raw::connect(s.port);
    let (mut target, id) = redirect_target(s.port);
    let mut c = tracking_client(s.port, &["REDIRECT", &id]);
    assert_eq!(c.call(&["GET", "k"]), "_\r\n");
    target.send(&["QUIT"]);
    assert!(target.closed_within(std::time::Duration::from_secs(10)));
    // The server forgets a closed client after its socket: poll until it is gone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while other.call(&["CLIENT", "LIST"]).contains(&format!("id={id} ")) {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(other.call(&["SET", "k", "1"]), "+OK\r\n");
    assert_eq!(c.read(), format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{id}\r\n"));
    let info = c.call(&["CLIENT", "TRACKINGINFO"]);
    assert!(info.contains("~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n"), "{info}");
    assert!(c.call(&["CLIENT", "INFO"]).contains(" flags=tR "));
}

#[test]
fn broadcasting_reports_every_key_under_the_prefixes() {
    let s = common::Server::start(&[]);
    let mut other = Raw::connect(s.port);
    let mut c = tracking_client(s.port, &["BCAST", "PREFIX", "a:", "PREFIX", "b:"]);
    // One push per prefix, after the transaction that modified them.
    assert_eq!(other.call(&["MULTI"]), "+OK\r\n");
    for k in ["a:1", "a:2", "b:1", "c:1"] {
        assert_eq!(other.call(&["INCR", k]), "+QUEUED\r\n");
    }
    assert_eq!(other.call(&["EXEC"]), "*4\r\n:1\r\n:1\r\n:1\r\n:1\r\n");
    assert_eq!(c.read(), invalidate(&["a:1", "a:2"]));
    assert_eq!(c.read(), invalidate(&["b:1"]));
    nothing_pending(&mut c);
    // Keys it reads are not remembered, and more prefixes may be added.
    assert_eq!(c.call(&["GET", "c:1"]), "$1\r\n1\r\n");
    assert_eq!(c.call(&["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c:"]), "+OK\r\n");
    assert_eq!(other.call(&["DEL", "c:1"]), ":1\r\n");
    assert_eq!(c.read(), invalidate(&["c:1"]));
    assert!(other.call(&["INFO", "stats"]).contains("tracking_total_prefixes:3\r\n"));
    assert!(c.call(&["CLIENT", "INFO"]).contains(" flags=tB "));
    let info = c.call(&["CLIENT", "TRACKINGINFO"]);
    assert!(info.contains("$8\r\nprefixes\r\n*3\r\n$2\r\na:\r\n$2\r\nb:\r\n$2\r\nc:\r\n"), "{info}");
    // With no prefix, every key; NOLOOP leaves out the client's own writes.
    let mut all = tracking_client(s.port, &["BCAST", "NOLOOP"]);
    assert_eq!(all.call(&["SET", "mine", "1"]), "+OK\r\n");
    nothing_pending(&mut all);
    assert_eq!(other.call(&["SET", "theirs", "1"]), "+OK\r\n");
    assert_eq!(all.read(), invalidate(&["theirs"]));
    // Off: the prefixes go with the client's tracking.
    assert_eq!(all.call(&["CLIENT", "TRACKING", "OFF"]), "+OK\r\n");
    assert_eq!(c.call(&["CLIENT", "TRACKING", "OFF"]), "+OK\r\n");
    assert!(other.call(&["INFO", "stats"]).contains("tracking_total_prefixes:0\r\n"));
}

#[test]
fn noloop_leaves_out_the_clients_own_writes() {
    let s = common::Server::start(&[]);
    let mut other = Raw::connect(s.port);
    let mut c = tracking_client(s.port, &["NOLOOP"]);
    assert_eq!(c.call(&["MGET", "mine", "theirs"]), "*2\r\n_\r\n_\r\n");
    assert_eq!(c.call(&["SET", "mine", "1"]), "+OK\r\n");
    assert_eq!(other.call(&["SET", "theirs", "1"]), "+OK\r\n");
    assert_eq!(c.read(), invalidate(&["theirs"]));
    nothing_pending(&mut c);
}

#[test]
fn optin_tracks_after_caching_yes_and_optout_skips_after_caching_no() {
    let s = common::Server::start(&[]);
    let mut other = Raw::connect(s.port);
    let mut c = tracking_client(s.port, &["OPTIN"]);
    assert_eq!(c.call(&["GET", "plain"]), "_\r\n");
    assert_eq!(c.call(&["CLIENT", "CACHING", "YES"]), "+OK\r\n");
    assert_eq!(c.call(&["GET", "chosen"]), "_\r\n");
    // CLIENT CACHING covers the next command only.
    assert_eq!(c.call(&["GET", "after"]), "_\r\n");
    assert_eq!(other.call(&["MSET", "plain", "1", "chosen", "1", "after", "1"]), "+OK\r\n");
    assert_eq!(c.read(), invalidate(&["chosen"]));
    nothing_pending(&mut c);
    // Within MULTI it covers the whole transaction.
    assert_eq!(c.call(&["CLIENT", "CACHING", "YES"]), "+OK\r\n");
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call(&["GET", "plain"]), "+QUEUED\r\n");
    assert_eq!(c.call(&["GET", "after"]), "+QUEUED\r\n");
    assert_eq!(c.call(&["EXEC"]), "*2\r\n$1\r\n1\r\n$1\r\n1\r\n");
    assert_eq!(other.call(&["DEL", "plain", "after"]), ":2\r\n");
    let got = [c.read(), c.read()];
    assert!(got.contains(&invalidate(&["plain"])) && got.contains(&invalidate(&["after"])), "{got:?}");

    let mut o = tracking_client(s.port, &["OPTOUT"]);
    assert_eq!(o.call(&["CLIENT", "CACHING", "NO"]), "+OK\r\n");
    assert_eq!(o.call(&["GET", "skipped"]), "_\r\n");
    assert_eq!(o.call(&["GET", "kept"]), "_\r\n");
    assert_eq!(other.call(&["MSET", "skipped", "1", "kept", "1"]), "+OK\r\n");
    assert_eq!(o.read(), invalidate(&["kept"]));
    nothing_pending(&mut o);
    let info = o.call(&["CLIENT", "TRACKINGINFO"]);
    assert!(info.starts_with("%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$6\r\noptout\r\n"), "{info}");
}

#[test]
fn the_table_limit_forgets_keys_and_tells_their_readers() {
    let s = common::Server::start(&[]);
    let mut c = tracking_client(s.port, &[]);
    assert_eq!(c.call(&["MGET", "k1", "k2", "k3"]), "*3\r\n_\r\n_\r\n_\r\n");
    let stats = c.call(&["INFO", "stats"]);
    assert!(stats.contains("tracking_total_keys:3\r\n") && stats.contains("tracking_total_items:3\r\n"), "{stats}");
    assert!(c.call(&["INFO", "clients"]).contains("tracking_clients:1\r\n"));
    c.send(&["CONFIG", "SET", "tracking-table-max-keys", "1"]);
    // Two keys go (before the reply of the next command, or by the cron): each reported.
    let mut reported = Vec::new();
    assert_eq!(c.read(), "+OK\r\n");
    c.send(&["PING"]);
    loop {
        let frame = c.read();
        if frame == "+PONG\r\n" {
            if reported.len() == 2 {
                break;
            }
            c.send(&["PING"]);
            continue;
        }
        reported.push(frame);
    }
    for k in ["k1", "k2", "k3"] {
        assert!(reported.iter().filter(|f| **f == invalidate(&[k])).count() <= 1);
    }
    assert!(c.call(&["INFO", "stats"]).contains("tracking_total_keys:1\r\n"));
}

#[test]
fn introspection_shows_the_tracking_state() {
    let s = common::Server::start(&[]);
    let (_target, id) = redirect_target(s.port);
    let mut c = Raw::connect(s.port);
    assert_eq!(c.call(&["CLIENT", "GETREDIR"]), ":-1\r\n");
    assert_eq!(
        c.call(&["CLIENT", "TRACKINGINFO"]),
        "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
    );
    assert!(c.call(&["CLIENT", "INFO"]).contains(" flags=N ") && c.call(&["CLIENT", "INFO"]).contains(" redir=-1 "));
    assert_eq!(c.call(&["CLIENT", "TRACKING", "on", "redirect", &id, "noloop"]), "+OK\r\n");
    assert_eq!(
        c.call(&["CLIENT", "TRACKINGINFO"]),
        format!("*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:{id}\r\n$8\r\nprefixes\r\n*0\r\n")
    );
    let info = c.call(&["CLIENT", "INFO"]);
    assert!(info.contains(" flags=t ") && info.contains(&format!(" redir={id} ")), "{info}");
    // Re-enabling without REDIRECT drops it.
    assert_eq!(c.call(&["CLIENT", "TRACKING", "ON"]), "+OK\r\n");
    assert_eq!(c.call(&["CLIENT", "GETREDIR"]), ":0\r\n");
    // RESET turns tracking off.
    assert_eq!(c.call(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.call(&["CLIENT", "GETREDIR"]), ":-1\r\n");
    assert!(c.call(&["INFO", "clients"]).contains("tracking_clients:0\r\n"));
}

#[test]
fn every_refusal_in_redis_words() {
    let s = common::Server::start(&[]);
    let mut c = Raw::connect(s.port);
    let err = |c: &mut Raw, args: &[&str]| c.call(args);
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING"]),
        "-ERR wrong number of arguments for 'client|tracking' command\r\n"
    );
    assert_eq!(err(&mut c, &["CLIENT", "TRACKING", "maybe"]), "-ERR syntax error\r\n");
    assert_eq!(err(&mut c, &["CLIENT", "TRACKING", "ON", "FOO"]), "-ERR syntax error\r\n");
    assert_eq!(err(&mut c, &["CLIENT", "TRACKING", "ON", "REDIRECT"]), "-ERR syntax error\r\n");
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON", "REDIRECT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON", "REDIRECT", "999999"]),
        "-ERR The client ID you want redirect to does not exist\r\n"
    );
    let me = client_id(&mut c);
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON", "REDIRECT", &me, "REDIRECT", &me]),
        "-ERR A client can only redirect to a single other client\r\n"
    );
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON", "PREFIX", "a"]),
        "-ERR PREFIX option requires BCAST mode to be enabled\r\n"
    );
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"]),
        "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"
    );
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"]),
        "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"
    );
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "FOO", "PREFIX", "FOOBAR"]),
        "-ERR Prefix 'FOO' overlaps with another provided prefix 'FOOBAR'. Prefixes for a single client must not overlap.\r\n"
    );
    assert_eq!(
        err(&mut c, &["CLIENT", "CACHING", "YES"]),
        "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n"
    );
    assert_eq!(c.call(&["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "BAR"]), "+OK\r\n");
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "BARB"]),
        "-ERR Prefix 'BARB' overlaps with an existing prefix 'BAR'. Prefixes for a single client must not overlap.\r\n"
    );
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON"]),
        "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"
    );
    assert_eq!(c.call(&["CLIENT", "TRACKING", "OFF"]), "+OK\r\n");
    assert_eq!(c.call(&["CLIENT", "TRACKING", "ON", "OPTIN"]), "+OK\r\n");
    assert_eq!(
        err(&mut c, &["CLIENT", "TRACKING", "ON", "OPTOUT"]),
        "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"
    );
    assert_eq!(
        err(&mut c, &["CLIENT", "CACHING", "NO"]),
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n"
    );
    assert_eq!(err(&mut c, &["CLIENT", "CACHING", "PERHAPS"]), "-ERR syntax error\r\n");
    assert_eq!(c.call(&["CLIENT", "TRACKING", "OFF"]), "+OK\r\n");
    assert_eq!(c.call(&["CLIENT", "TRACKING", "ON", "OPTOUT"]), "+OK\r\n");
    assert_eq!(
        err(&mut c, &["CLIENT", "CACHING", "YES"]),
        "-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n"
    );
    assert_eq!(
        err(&mut c, &["CLIENT", "GETREDIR", "x"]),
        "-ERR wrong number of arguments for 'client|getredir' command\r\n"
    );
}
