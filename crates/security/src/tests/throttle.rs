//! The throttle with a fake clock: schedules, lockouts, the global budget, bounded tables.

use crate::{AuthThrottle, Decision, SourceKey, ThrottleConfig};
use std::net::IpAddr;
use std::time::{Duration, Instant};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Plays a guesser that answers as soon as allowed and always fails: the times (ms from
/// start) of its answered attempts until `limit_ms`.
fn guess_times(t: &mut AuthThrottle, start: Instant, who: IpAddr, limit_ms: u64) -> Vec<u64> {
    let mut now = start;
    let mut out = Vec::new();
    loop {
        match t.before_attempt(who, now) {
            Decision::Now => {}
            Decision::After(d) => now += d,
            Decision::Locked { until } => now = until,
        }
        let at = (now - start).as_millis() as u64;
        if at > limit_ms {
            return out;
        }
        if t.locked_until(who, now).is_some() {
            continue;
        }
        out.push(at);
        t.record_failure(who, now);
    }
}

#[test]
fn schedule_backs_off_then_locks() {
    let start = Instant::now();
    let mut t = AuthThrottle::new(ThrottleConfig::default(), start);
    assert_eq!(t.delay_after(2), Duration::ZERO);
    assert_eq!(t.delay_after(3), ms(250));
    assert_eq!(t.delay_after(5), ms(1000));
    assert_eq!(t.delay_after(40), Duration::from_secs(30));
    let who = ip("192.0.2.1");
    let times = guess_times(&mut t, start, who, 10_000);
    assert_eq!(times, [0, 0, 0, 250, 750, 1750, 3750, 7750]);
    // One answered guess per second or less from the sixth failure on.
    for w in times[5..].windows(2) {
        assert!(w[1] - w[0] >= 1000);
    }
    // The tenth failure locks for 5 minutes.
    let mut t = AuthThrottle::new(ThrottleConfig::default(), start);
    let mut now = start;
    let mut lock = None;
    for n in 1..=10 {
        now = match t.before_attempt(who, now) {
            Decision::Now => now,
            Decision::After(d) => now + d,
            Decision::Locked { .. } => panic!("locked early at {n}"),
        };
        lock = t.record_failure(who, now).locked_until;
        assert_eq!(lock.is_some(), n == 10);
    }
    let until = lock.unwrap();
    assert_eq!(until - now, Duration::from_secs(300));
    assert_eq!(t.before_attempt(who, now + ms(1)), Decision::Locked { until });
    assert_eq!(t.locked_until(who, now), Some(until));
    // After it, one more failure locks again, twice as long.
    let after = until + ms(1);
    assert!(matches!(t.before_attempt(who, after), Decision::Now | Decision::After(_)));
    let again = t.record_failure(who, after).locked_until.unwrap();
    assert_eq!(again - after, Duration::from_secs(600));
    // Another source is unaffected.
    assert_eq!(t.before_attempt(ip("192.0.2.2"), after), Decision::Now);
}

#[test]
fn parallel_attempts_are_spaced() {
    let start = Instant::now();
    let mut t = AuthThrottle::new(ThrottleConfig::default(), start);
    let who = ip("198.51.100.7");
    for _ in 0..5 {
        t.record_failure(who, start);
    }
    // Five connections ask at once: each gets its own later turn.
    let turns: Vec<Decision> = (0..3).map(|_| t.before_attempt(who, start)).collect();
    assert_eq!(turns, [Decision::After(ms(1000)), Decision::After(ms(3000)), Decision::After(ms(5000))]);
}

#[test]
fn success_resets_and_failures_are_forgotten() {
    let start = Instant::now();
    let mut t = AuthThrottle::new(ThrottleConfig::default(), start);
    let who = ip("203.0.113.9");
    for _ in 0..6 {
        t.record_failure(who, start);
    }
    assert!(matches!(t.before_attempt(who, start), Decision::After(_)));
    assert!(t.record_success(who, start), "first success from this source");
    assert!(!t.record_success(who, start), "already trusted");
    assert_eq!(t.before_attempt(who, start), Decision::Now);
    let other = ip("203.0.113.10");
    for _ in 0..5 {
        t.record_failure(other, start);
    }
    let later = start + Duration::from_secs(16 * 60);
    assert_eq!(t.before_attempt(other, later), Decision::Now, "failures forgotten after the window");
    assert_eq!(t.record_failure(other, later).failures, 1);
}

#[test]
fn ipv6_sources_are_slash_64() {
    assert_eq!(SourceKey::of(ip("2001:db8:1:2::1")), SourceKey::of(ip("2001:db8:1:2:ffff::9")));
    assert_ne!(SourceKey::of(ip("2001:db8:1:2::1")), SourceKey::of(ip("2001:db8:1:3::1")));
    assert_eq!(SourceKey::of(ip("::ffff:192.0.2.1")), SourceKey::of(ip("192.0.2.1")));
    let start = Instant::now();
    let mut t = AuthThrottle::new(ThrottleConfig::default(), start);
    for i in 0..10 {
        t.record_failure(ip(&format!("2001:db8:1:2::{i:x}")), start);
    }
    assert!(matches!(t.before_attempt(ip("2001:db8:1:2::abcd"), start), Decision::Locked { .. }));
}

#[test]
fn global_budget_slows_strangers_but_never_trusted_sources() {
    let start = Instant::now();
    let cfg = ThrottleConfig { global_failures: 20, ..ThrottleConfig::default() };
    let mut t = AuthThrottle::new(cfg, start);
    let app = ip("10.0.0.5");
    t.record_success(app, start);
    // A distributed attack: 100 sources, two failures each (below their own back-off).
    let now = start + ms(10);
    for i in 0..100u32 {
        let src = IpAddr::from([172, 16, (i / 256) as u8, (i % 256) as u8]);
        t.record_failure(src, now);
        t.record_failure(src, now);
    }
    assert!(t.global_active(now));
    // Strangers now share a global pace of one answer per 50 ms.
    let d: Vec<Decision> = (0..3).map(|i| t.before_attempt(IpAddr::from([198, 18, 0, i]), now)).collect();
    assert_eq!(d, [Decision::Now, Decision::After(ms(50)), Decision::After(ms(100))]);
    // The application's source is never slowed or locked by it.
    for _ in 0..50 {
        assert_eq!(t.before_attempt(app, now), Decision::Now);
    }
    // Even its own failures only delay it (up to max_delay), never lock it out.
    for _ in 0..30 {
        assert_eq!(t.record_failure(app, now).locked_until, None);
    }
    assert!(matches!(t.before_attempt(app, now), Decision::After(d) if d <= Duration::from_secs(30)));
    // A full global queue answers Locked without reserving.
    let mut last = Decision::Now;
    for i in 0..1000u32 {
        last = t.before_attempt(IpAddr::from([198, 19, (i / 256) as u8, (i % 256) as u8]), now);
        if matches!(last, Decision::Locked { .. }) {
            break;
        }
    }
    assert!(matches!(last, Decision::Locked { until } if until > now + Duration::from_secs(29)));
    // The budget ends when failures stop.
    assert!(!t.global_active(now + Duration::from_secs(121)));
}

#[test]
fn tables_are_bounded() {
    let start = Instant::now();
    let cfg = ThrottleConfig { max_sources: 1000, max_trusted: 10, ..ThrottleConfig::default() };
    let mut t = AuthThrottle::new(cfg, start);
    let locked = ip("192.0.2.200");
    for _ in 0..10 {
        t.record_failure(locked, start);
    }
    for i in 0..50_000u32 {
        t.record_failure(IpAddr::from(i.wrapping_mul(2_654_435_761).to_be_bytes()), start + ms(i as u64));
        assert!(t.tracked_sources() <= 1000);
    }
    assert!(t.locked_until(locked, start + ms(50_000)).is_some(), "locked sources are evicted last");
    for i in 0..100u8 {
        t.record_success(IpAddr::from([10, 1, 0, i]), start + ms(i as u64));
        assert!(t.trusted_sources() <= 10);
    }
    t.purge(start + Duration::from_secs(100_000));
    assert_eq!((t.tracked_sources(), t.trusted_sources()), (0, 0));
}
