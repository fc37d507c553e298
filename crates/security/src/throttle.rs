//! Failed-authentication throttling (threat T5): per-source exponential back-off, then a
//! lockout, and a global budget against guessing spread over many sources.
//!
//! Pure logic over an injected clock: the server asks [`AuthThrottle::before_attempt`] when an
//! AUTH (or HELLO AUTH) arrives, sleeps asynchronously for what it is told (no other client
//! waits), checks the password, then reports [`AuthThrottle::record_failure`] or
//! [`AuthThrottle::record_success`].
//!
//! - A source is an IPv4 address or an IPv6 /64 (one host usually owns a whole /64).
//! - After `free_failures` failures each further answer waits `base_delay`, doubling per
//!   failure up to `max_delay`; at `lockout_after` failures the source is locked for
//!   `lockout`, doubling on each new lockout up to `max_lockout`. Failures are forgotten
//!   after `failure_window` without one. Answers are reserved in order, so parallel
//!   connections from one source do not get parallel guesses.
//! - Global budget: when failures from all sources exceed `global_failures` per
//!   `global_window`, answers to sources that have not authenticated successfully within
//!   `trust_for` are spaced `global_interval` apart, all sources together.
//! - Trade-off: a source that authenticated successfully within `trust_for` is never slowed by
//!   the global budget and never locked out (its own failures still delay it, up to
//!   `max_delay`), so an attacker elsewhere cannot lock the application out; an attacker
//!   sharing the application's address gets one guess per `max_delay` at most.
//! - Memory is bounded: at most `max_sources` failing sources (the oldest unlocked ones are
//!   evicted first) and `max_trusted` trusted ones.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Tunables; [`ThrottleConfig::default`] keeps one source below one answered guess per
/// second from its sixth failure on and locks it after ten.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures answered without delay. Default 3.
    pub free_failures: u32,
    /// Delay after the first failure beyond the free ones. Default 250 ms.
    pub base_delay: Duration,
    /// Longest delay. Default 30 s.
    pub max_delay: Duration,
    /// Failures that lock a source out. Default 10.
    pub lockout_after: u32,
    /// First lockout. Default 5 min.
    pub lockout: Duration,
    /// Longest lockout (each new one doubles). Default 1 h.
    pub max_lockout: Duration,
    /// A source's failures are forgotten after this long without one. Default 15 min.
    pub failure_window: Duration,
    /// Failures from all sources per `global_window` that turn the global budget on. Default 100.
    pub global_failures: u32,
    /// Window of the global count. Default 60 s.
    pub global_window: Duration,
    /// While the budget is on: spacing of answers to untrusted sources, all together.
    /// Default 50 ms (20 answers a second).
    pub global_interval: Duration,
    /// A source stays trusted this long after a successful AUTH. Default 24 h.
    pub trust_for: Duration,
    /// Most failing sources tracked. Default 65536.
    pub max_sources: usize,
    /// Most trusted sources remembered. Default 4096.
    pub max_trusted: usize,
}

impl Default for ThrottleConfig {
    fn default() -> ThrottleConfig {
        ThrottleConfig {
            free_failures: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            lockout_after: 10,
            lockout: Duration::from_secs(300),
            max_lockout: Duration::from_secs(3600),
            failure_window: Duration::from_secs(900),
            global_failures: 100,
            global_window: Duration::from_secs(60),
            global_interval: Duration::from_millis(50),
            trust_for: Duration::from_secs(86_400),
            max_sources: 65_536,
            max_trusted: 4096,
        }
    }
}

/// What to do with an authentication attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Check the password and answer now.
    Now,
    /// Sleep this long (asynchronously), then check and answer.
    After(Duration),
    /// Do not check the password: the source is locked out (or the global queue is full)
    /// until then. Answer with an error at once, or close the connection.
    Locked {
        /// When attempts are answered again.
        until: Instant,
    },
}

/// What a failure led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureOutcome {
    /// Failures of the source so far (within the window).
    pub failures: u32,
    /// Set when this failure locked the source out (write a `lockout` audit line).
    pub locked_until: Option<Instant>,
}

/// A throttled source: an IPv4 address or an IPv6 /64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKey {
    /// An IPv4 address (IPv4-mapped IPv6 addresses included).
    V4(u32),
    /// The first 64 bits of an IPv6 address.
    V6(u64),
}

impl SourceKey {
    /// The source of a client address.
    pub fn of(ip: IpAddr) -> SourceKey {
        match crate::allowlist::canonical_ip(ip) {
            IpAddr::V4(v4) => SourceKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => SourceKey::V6((u128::from(v6) >> 64) as u64),
        }
    }
}

#[derive(Clone, Debug)]
struct SourceState {
    failures: u32,
    last_failure: Instant,
    next_free: Instant,
    locked_until: Option<Instant>,
    lockouts: u32,
    last_seen: Instant,
}

#[derive(Clone, Debug)]
struct Global {
    window_start: Instant,
    count: u32,
    previous: u32,
    next_free: Instant,
}

/// The throttle: per-source and global state. Not synchronized: the server keeps it behind
/// a mutex (every call is short and never waits).
#[derive(Debug)]
pub struct AuthThrottle {
    cfg: ThrottleConfig,
    sources: HashMap<SourceKey, SourceState>,
    trusted: HashMap<SourceKey, Instant>,
    global: Global,
}

impl AuthThrottle {
    /// A throttle with these tunables, its clock starting at `now`.
    pub fn new(cfg: ThrottleConfig, now: Instant) -> AuthThrottle {
        AuthThrottle {
            cfg,
            sources: HashMap::new(),
            trusted: HashMap::new(),
            global: Global { window_start: now, count: 0, previous: 0, next_free: now },
        }
    }

    /// The tunables.
    pub fn config(&self) -> &ThrottleConfig {
        &self.cfg
    }

    /// The delay owed after `failures` failures.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures < self.cfg.free_failures {
            return Duration::ZERO;
        }
        let doublings = (failures - self.cfg.free_failures).min(30);
        self.cfg.base_delay.saturating_mul(1 << doublings).min(self.cfg.max_delay)
    }

    fn is_trusted(&self, key: SourceKey, now: Instant) -> bool {
        self.trusted.get(&key).is_some_and(|&t| now.saturating_duration_since(t) < self.cfg.trust_for)
    }

    fn roll_global(&mut self, now: Instant) {
        let g = &mut self.global;
        let elapsed = now.saturating_duration_since(g.window_start);
        if elapsed >= self.cfg.global_window {
            g.previous = if elapsed < self.cfg.global_window * 2 { g.count } else { 0 };
            g.count = 0;
            g.window_start = now;
        }
    }

    /// Whether the global budget is on: the estimated failures of the last window, all
    /// sources together, exceed `global_failures`.
    pub fn global_active(&mut self, now: Instant) -> bool {
        self.roll_global(now);
        let g = &self.global;
        let w = self.cfg.global_window.as_secs_f64().max(0.001);
        let elapsed = now.saturating_duration_since(g.window_start).as_secs_f64();
        let estimate = g.count as f64 + g.previous as f64 * (1.0 - elapsed / w).max(0.0);
        estimate > self.cfg.global_failures as f64
    }

    /// Decides when an attempt from `ip`, arriving at `now`, may be answered, and reserves
    /// that turn.
    pub fn before_attempt(&mut self, ip: IpAddr, now: Instant) -> Decision {
        let key = SourceKey::of(ip);
        let trusted = self.is_trusted(key, now);
        let global = !trusted && self.global_active(now);
        let window = self.cfg.failure_window;
        let mut slot = now;
        let mut failures = 0;
        if let Some(s) = self.sources.get_mut(&key) {
            s.last_seen = now;
            forget_old(s, now, window);
            if let Some(until) = s.locked_until.filter(|&u| u > now) {
                if !trusted {
                    return Decision::Locked { until };
                }
            }
            slot = slot.max(s.next_free);
            failures = s.failures;
        }
        if global {
            slot = slot.max(self.global.next_free);
            if slot.saturating_duration_since(now) > self.cfg.max_delay {
                return Decision::Locked { until: slot };
            }
            self.global.next_free = slot + self.cfg.global_interval;
        }
        let next = slot + self.delay_after(failures + 1);
        if let Some(s) = self.sources.get_mut(&key) {
            s.next_free = next;
        }
        if slot <= now {
            Decision::Now
        } else {
            Decision::After(slot - now)
        }
    }

    /// If `ip` is locked out at `now`, until when (for a connection that slept and wants to
    /// know whether a parallel attempt locked its source meanwhile).
    pub fn locked_until(&self, ip: IpAddr, now: Instant) -> Option<Instant> {
        let key = SourceKey::of(ip);
        if self.is_trusted(key, now) {
            return None;
        }
        self.sources.get(&key).and_then(|s| s.locked_until).filter(|&u| u > now)
    }

    /// Records a failed attempt from `ip` at `now`.
    pub fn record_failure(&mut self, ip: IpAddr, now: Instant) -> FailureOutcome {
        let key = SourceKey::of(ip);
        self.roll_global(now);
        self.global.count = self.global.count.saturating_add(1);
        let trusted = self.is_trusted(key, now);
        if !self.sources.contains_key(&key) && self.sources.len() >= self.cfg.max_sources {
            self.evict(now);
        }
        let cfg = self.cfg.clone();
        let s = self.sources.entry(key).or_insert(SourceState {
            failures: 0,
            last_failure: now,
            next_free: now,
            locked_until: None,
            lockouts: 0,
            last_seen: now,
        });
        forget_old(s, now, cfg.failure_window);
        s.failures = s.failures.saturating_add(1);
        s.last_failure = now;
        s.last_seen = now;
        let failures = s.failures;
        let mut locked_until = None;
        if failures >= cfg.lockout_after && !trusted {
            s.lockouts = s.lockouts.saturating_add(1);
            let d = cfg.lockout.saturating_mul(1 << (s.lockouts - 1).min(20)).min(cfg.max_lockout);
            s.locked_until = Some(now + d);
            locked_until = s.locked_until;
        }
        let delay = self.delay_after(failures);
        if let Some(s) = self.sources.get_mut(&key) {
            s.next_free = s.next_free.max(now + delay);
        }
        FailureOutcome { failures, locked_until }
    }

    /// Records a successful AUTH from `ip` at `now`: its failures are forgotten and it is
    /// trusted for `trust_for`. Returns whether it was not trusted before (write an
    /// `auth_success` audit line only then).
    pub fn record_success(&mut self, ip: IpAddr, now: Instant) -> bool {
        let key = SourceKey::of(ip);
        self.sources.remove(&key);
        let new = !self.is_trusted(key, now);
        if !self.trusted.contains_key(&key) && self.trusted.len() >= self.cfg.max_trusted {
            // Forget the source that succeeded longest ago.
            if let Some(oldest) = self.trusted.iter().min_by_key(|(_, &t)| t).map(|(k, _)| *k) {
                self.trusted.remove(&oldest);
            }
        }
        self.trusted.insert(key, now);
        new
    }

    /// Drops what no longer matters at `now` (forgotten failures, expired lockouts and
    /// trust). Call it now and then (every few seconds); it is also done when the tables fill.
    pub fn purge(&mut self, now: Instant) {
        let window = self.cfg.failure_window;
        self.sources.retain(|_, s| {
            forget_old(s, now, window);
            s.failures > 0 || s.locked_until.is_some_and(|u| u > now) || s.next_free > now
        });
        let trust = self.cfg.trust_for;
        self.trusted.retain(|_, t| now.saturating_duration_since(*t) < trust);
    }

    /// Number of failing sources tracked.
    pub fn tracked_sources(&self) -> usize {
        self.sources.len()
    }

    /// Number of trusted sources remembered.
    pub fn trusted_sources(&self) -> usize {
        self.trusted.len()
    }

    /// Makes room in the source table: purges, then evicts an eighth of the table, unlocked
    /// sources first and the least recently seen first.
    fn evict(&mut self, now: Instant) {
        self.purge(now);
        if self.sources.len() < self.cfg.max_sources {
            return;
        }
        let mut order: Vec<(bool, Instant, SourceKey)> =
            self.sources.iter().map(|(k, s)| (s.locked_until.is_some_and(|u| u > now), s.last_seen, *k)).collect();
        let n = (self.cfg.max_sources / 8).max(1).min(order.len());
        order.select_nth_unstable(n - 1);
        for (_, _, k) in &order[..n] {
            self.sources.remove(k);
        }
    }
}

/// Forgets a source's failures once `window` has passed since its last failure or the end
/// of its lockout, whichever is later.
fn forget_old(s: &mut SourceState, now: Instant, window: Duration) {
    let since = s.locked_until.map_or(s.last_failure, |u| u.max(s.last_failure));
    if s.failures > 0 && now.saturating_duration_since(since) > window {
        s.failures = 0;
        s.lockouts = 0;
        s.locked_until = None;
    }
}
