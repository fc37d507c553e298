//! Client output buffers: `client-output-buffer-limit` and `maxmemory-clients`.
//!
//! A client's output buffer is what its handle counts (clients.rs): replies produced and not
//! yet taken by the socket, and published messages waiting in its Pub/Sub inbox. Its class is
//! `replica` for a replica this server feeds (its buffer is the replication stream not yet
//! sent), `pubsub` while it has subscriptions, else `normal`. Per class:
//! - **hard limit**: the connection caps its reply buffer at the limit while commands write
//!   into it (`ReplyBuffer::set_limit`), and the inbox refuses a frame that would go past it,
//!   so one huge reply or a flood of messages never grows the server by more than the limit;
//! - **soft limit**: over it for more than its seconds (checked as output is produced, and
//!   every second by the cron, so a client that stopped receiving traffic is closed too).
//!
//! A client over a limit is closed asynchronously as Redis does (`Client ... scheduled to be
//! closed ASAP for overcoming of output buffer limits.`, INFO `client_output_buffer_limit_
//! disconnections`): its connection stops, writes nothing more, and drops its buffers.
//!
//! `maxmemory-clients` (bytes, or a percentage of `maxmemory`; at least 128 KiB when set):
//! while the buffers of all normal and pub/sub clients together hold more, the clients that
//! hold the most are evicted (INFO `evicted_clients`), except those that ran `CLIENT NO-EVICT
//! on`. Checked before each batch of commands and by the cron; one load and a comparison
//! while under the limit.
//!
//! Cost on the hot path: the limits are cached atomics; a command pays a comparison in the
//! reply writer; a connection whose socket takes its replies at once publishes nothing.

use crate::clients::ClientHandle;
use crate::engine::Engine;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Limits of one class: bytes, bytes, seconds; 0 = none.
#[derive(Debug, Default)]
struct ClassLimits {
    hard: AtomicU64,
    soft: AtomicU64,
    soft_seconds: AtomicU64,
}

/// Index of the classes in `client-output-buffer-limit`'s rendering.
const NORMAL: usize = 0;
const REPLICA: usize = 1;
const PUBSUB: usize = 2;

/// Redis's smallest `maxmemory-clients` in force (`getClientEvictionLimit`).
const MIN_CLIENT_EVICTION_LIMIT: u64 = 128 * 1024;

/// Slots of the recent-peak tracker, one per second (Redis's `CLIENTS_PEAK_MEM_USAGE_SLOTS`).
const PEAK_SLOTS: usize = 8;

/// The cached limits and the recent peaks of client buffers.
#[derive(Debug)]
pub struct OutputLimits {
    classes: [ClassLimits; 3],
    /// `maxmemory-clients` as configured: bytes, or `-percent` of maxmemory; 0 = none.
    maxmemory_clients: std::sync::atomic::AtomicI64,
    /// Per second slot: (second, largest output buffer, largest input buffer) seen.
    peaks: Mutex<[(i64, u64, u64); PEAK_SLOTS]>,
}

impl Default for OutputLimits {
    fn default() -> Self {
        let limits = OutputLimits {
            classes: Default::default(),
            maxmemory_clients: Default::default(),
            peaks: Mutex::new([(0, 0, 0); PEAK_SLOTS]),
        };
        limits.set_from("normal 1073741824 268435456 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
        limits
    }
}

impl OutputLimits {
    /// Reads `client-output-buffer-limit` as CONFIG GET renders it (`normal h s t slave h s t
    /// pubsub h s t`, bytes and seconds).
    pub fn set_from(&self, rendered: &str) {
        let words: Vec<&str> = rendered.split_whitespace().collect();
        for w in words.chunks(4) {
            if let [class, hard, soft, secs] = w {
                let i = match class.to_ascii_lowercase().as_str() {
                    "normal" => 0,
                    "slave" | "replica" => 1,
                    "pubsub" => 2,
                    _ => continue,
                };
                let n = |s: &str| s.parse::<u64>().unwrap_or(0);
                self.classes[i].hard.store(n(hard), Ordering::Relaxed);
                self.classes[i].soft.store(n(soft), Ordering::Relaxed);
                self.classes[i].soft_seconds.store(n(secs), Ordering::Relaxed);
            }
        }
    }

    /// Reads `maxmemory-clients` as CONFIG GET renders it (`0`, bytes, or `N%`).
    pub fn set_maxmemory_clients(&self, rendered: &str) {
        let v = match rendered.strip_suffix('%') {
            Some(p) => -p.parse::<i64>().unwrap_or(0),
            None => rendered.parse::<i64>().unwrap_or(0),
        };
        self.maxmemory_clients.store(v, Ordering::Relaxed);
    }

    fn class_of(&self, client: &ClientHandle) -> &ClassLimits {
        let class = if client.kind() == crate::clients::ClientKind::Replica {
            REPLICA
        } else if client.is_subscriber() {
            PUBSUB
        } else {
            NORMAL
        };
        &self.classes[class]
    }

    /// The most reply bytes the client's connection may hold now: its class's hard limit less
    /// what its inbox holds; `usize::MAX` without a hard limit.
    pub fn reply_cap(&self, client: &ClientHandle) -> usize {
        let hard = self.class_of(client).hard.load(Ordering::Relaxed);
        if hard == 0 {
            return usize::MAX;
        }
        let inbox = client.output_pending().saturating_sub(client.reply_pending());
        usize::try_from(hard.saturating_sub(inbox)).unwrap_or(usize::MAX)
    }

    /// Whether an output buffer of `used` bytes takes the client over its class's limits:
    /// the hard limit, or the soft limit held for more than its seconds (Redis's
    /// `checkClientOutputBufferLimits`). Starts or clears the soft-limit clock.
    pub(crate) fn exceeded(&self, client: &ClientHandle, used: u64, now_ms: i64) -> bool {
        let class = self.class_of(client);
        let hard = class.hard.load(Ordering::Relaxed);
        if hard > 0 && used >= hard {
            return true;
        }
        let soft = class.soft.load(Ordering::Relaxed);
        if soft > 0 && used >= soft {
            let since = client.soft_since_ms.load(Ordering::Relaxed);
            if since == 0 {
                client.soft_since_ms.store(now_ms.max(1), Ordering::Relaxed);
                return false;
            }
            let secs = class.soft_seconds.load(Ordering::Relaxed) as i64;
            return (now_ms - since) / 1000 > secs;
        }
        if client.soft_since_ms.load(Ordering::Relaxed) != 0 {
            client.soft_since_ms.store(0, Ordering::Relaxed);
        }
        false
    }

    /// `maxmemory-clients` in bytes (0 = none).
    fn client_eviction_limit(&self, maxmemory: u64) -> u64 {
        let v = self.maxmemory_clients.load(Ordering::Relaxed);
        let bytes = match v {
            0 => return 0,
            v if v < 0 => {
                if maxmemory == 0 {
                    return 0;
                }
                (maxmemory as f64 * (-v) as f64 / 100.0) as u64
            }
            v => v as u64,
        };
        bytes.max(MIN_CLIENT_EVICTION_LIMIT)
    }

    /// The largest output and input buffers seen in the last seconds (INFO clients
    /// `client_recent_max_output_buffer`, `client_recent_max_input_buffer`).
    pub fn recent_peaks(&self, now_ms: i64) -> (u64, u64) {
        let second = now_ms / 1000;
        let peaks = self.peaks.lock().unwrap_or_else(|e| e.into_inner());
        peaks
            .iter()
            .filter(|(s, _, _)| second - s < PEAK_SLOTS as i64)
            .fold((0, 0), |(o, i), &(_, po, pi)| (o.max(po), i.max(pi)))
    }

    fn note_peak(&self, now_ms: i64, output: u64, input: u64) {
        let second = now_ms / 1000;
        let mut peaks = self.peaks.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut peaks[(second as usize) % PEAK_SLOTS];
        if slot.0 != second {
            *slot = (second, 0, 0);
        }
        slot.1 = slot.1.max(output);
        slot.2 = slot.2.max(input);
    }
}

impl Engine {
    /// Closes `client` if an output buffer of `used` bytes takes it over its class's limits;
    /// true if it did (or the client was already closing).
    pub fn check_output_limits(&self, client: &ClientHandle, used: u64, now_ms: i64) -> bool {
        if client.is_killed() {
            return true;
        }
        if !self.output_limits.exceeded(client, used, now_ms) {
            return false;
        }
        self.close_over_output_limit(client);
        true
    }

    /// Closes a client over its output-buffer limit, asynchronously: its connection writes
    /// nothing more and drops its buffers (counted out of the totals now).
    pub fn close_over_output_limit(&self, client: &ClientHandle) {
        if client.is_killed() {
            return;
        }
        self.stats.output_limit_disconnections.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
            client.info_line(crate::engine::unix_ms())
        );
        client.kill();
        client.release();
    }

    /// Evicts the clients holding the most buffer memory while all of them together hold more
    /// than `maxmemory-clients` (Redis's `evictClients`). One load and a comparison when under.
    pub fn evict_clients(&self) {
        let limit = self.output_limits.client_eviction_limit(self.maxmemory());
        if limit == 0 || self.clients.memory_total() < limit {
            return;
        }
        let mut candidates: Vec<_> = self
            .clients
            .all()
            .into_iter()
            // Replicas and the primary's link are never evicted, as in Redis.
            .filter(|c| {
                !c.is_killed() && !c.no_evict.load(Ordering::Relaxed) && c.kind() == crate::clients::ClientKind::Normal
            })
            .map(|c| (c.memory(), c))
            .collect();
        candidates.sort_unstable_by_key(|(m, _)| std::cmp::Reverse(*m));
        for (mem, client) in candidates {
            if mem == 0 || self.clients.memory_total() < limit {
                break;
            }
            self.stats.evicted_clients.fetch_add(1, Ordering::Relaxed);
            tracing::info!("Evicting client: {}", client.info_line(crate::engine::unix_ms()));
            client.kill();
            client.release();
        }
    }

    /// Once a second (from the cron): the soft limits of clients that receive nothing more,
    /// the recent peaks INFO reports, and client eviction.
    pub(crate) fn clients_cron(&self, now_ms: i64) {
        let (mut out_peak, mut in_peak) = (0, 0);
        for client in self.clients.all() {
            let used = client.output_pending();
            out_peak = out_peak.max(used);
            in_peak = in_peak.max(client.input_pending());
            if used > 0 {
                self.check_output_limits(&client, used, now_ms);
            }
        }
        self.output_limits.note_peak(now_ms, out_peak, in_peak);
        self.evict_clients();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::{ClientRegistry, Transport};

    #[test]
    fn limits_follow_the_class_and_the_soft_clock() {
        let limits = OutputLimits::default();
        limits.set_from("normal 0 0 0 slave 268435456 67108864 60 pubsub 100 50 2");
        let clients = ClientRegistry::default();
        let c = clients.register("127.0.0.1:1".into(), "127.0.0.1:2".into(), Transport::Tcp, 0);
        // A normal client: no limit.
        assert!(!limits.exceeded(&c, 1 << 40, 1000));
        assert_eq!(limits.reply_cap(&c), usize::MAX);
        c.subscriptions[0].store(1, Ordering::Relaxed);
        assert_eq!(limits.reply_cap(&c), 100);
        assert!(!limits.exceeded(&c, 40, 1000));
        assert!(limits.exceeded(&c, 100, 1000));
        // Over the soft limit: allowed for its seconds, then not.
        assert!(!limits.exceeded(&c, 60, 1000));
        assert!(!limits.exceeded(&c, 60, 3000));
        assert!(limits.exceeded(&c, 60, 4000));
        // Back under: the clock restarts.
        assert!(!limits.exceeded(&c, 10, 5000));
        assert!(!limits.exceeded(&c, 60, 5000));
    }

    #[test]
    fn client_eviction_limit_is_bytes_or_a_share_of_maxmemory() {
        let limits = OutputLimits::default();
        assert_eq!(limits.client_eviction_limit(1 << 30), 0);
        limits.set_maxmemory_clients("10%");
        assert_eq!(limits.client_eviction_limit(0), 0);
        assert_eq!(limits.client_eviction_limit(10 << 20), 1 << 20);
        limits.set_maxmemory_clients("1000");
        assert_eq!(limits.client_eviction_limit(0), MIN_CLIENT_EVICTION_LIMIT);
        limits.set_maxmemory_clients("3145728");
        assert_eq!(limits.client_eviction_limit(0), 3 << 20);
    }

    #[test]
    fn buffers_are_counted_in_the_totals_until_released() {
        let clients = ClientRegistry::default();
        let c = clients.register("127.0.0.1:1".into(), "127.0.0.1:2".into(), Transport::Tcp, 0);
        c.set_reply_pending(1000);
        c.set_query(10, 100, 5);
        assert_eq!(c.add_push(300), 1300);
        assert_eq!(clients.memory_total(), 1315);
        c.sub_push(500);
        c.set_reply_pending(200);
        assert_eq!(c.output_pending(), 200);
        assert_eq!(clients.output_total(), 200);
        clients.unregister(c.id);
        assert_eq!(clients.memory_total(), 0);
    }
}
