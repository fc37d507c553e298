//! Busy polling (`busy-poll-us`): after serving a batch, a connection worker keeps polling its
//! sockets for a short while before it sleeps, as long as batches keep arriving closer together
//! than that.
//!
//! Why: at pipeline depth 1 every request is a round trip. A worker that sleeps in the kernel
//! between two requests has to be woken for the next one: the client's write pays for the
//! wake-up (an inter-processor interrupt, dear in a virtual machine) and the request waits for
//! the scheduler. A worker still polling picks it up without either. With redis-benchmark at
//! -P 1 -c 50 on two cores this is the difference between trailing redis-server and leading
//! it (docs/benchmarks.md).
//!
//! The cost is CPU, and it is bounded: a worker polls for at most the budget after its last
//! batch, and only while the smoothed gap between its batches is below the budget. An idle or
//! lightly loaded server sleeps exactly as before; only a busy one trades a little CPU, which
//! it would otherwise spend being woken, for latency.
//!
//! Polling is a task on the worker's own single-threaded runtime that yields in a loop: every
//! yield lets the runtime look at its sockets without blocking (tokio polls its I/O driver
//! with a zero timeout while a task is ready), and runs whatever became ready.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What a worker thread knows of its own batches.
struct BatchClock {
    /// The polling budget in microseconds; 0 on threads that do not poll.
    budget_us: Cell<u64>,
    /// When the last batch was served.
    last: Cell<Option<Instant>>,
    /// Moving average of the gap between batches, microseconds.
    gap_us: Cell<u64>,
    /// Wakes the poller.
    wake: Arc<Notify>,
}

thread_local! {
    static CLOCK: BatchClock = BatchClock {
        budget_us: Cell::new(0),
        last: Cell::new(None),
        gap_us: Cell::new(u64::MAX),
        wake: Arc::new(Notify::new()),
    };
}

/// Notes a batch served on this thread, and starts the poller when batches come closer
/// together than the budget. Does nothing on a thread that does not poll.
pub(crate) fn note_batch() {
    CLOCK.with(|c| {
        let budget = c.budget_us.get();
        if budget == 0 {
            return;
        }
        let now = Instant::now();
        let this = c.last.get().map_or(u64::MAX, |l| now.duration_since(l).as_micros().min(1_000_000) as u64);
        // About the last eight gaps; the first one alone.
        let gap = match c.gap_us.get() {
            u64::MAX => this,
            avg => avg - avg / 8 + this / 8,
        };
        c.last.set(Some(now));
        c.gap_us.set(gap);
        if gap < budget {
            c.wake.notify_one();
        }
    })
}

/// Polls this worker's runtime for up to `budget` after each batch (see the module docs).
/// Runs for the life of the runtime it is spawned on.
pub(crate) async fn poll_while_busy(budget: Duration) {
    let wake = CLOCK.with(|c| {
        c.budget_us.set(budget.as_micros().max(1) as u64);
        c.wake.clone()
    });
    let last_batch = || CLOCK.with(|c| c.last.get());
    loop {
        wake.notified().await;
        let mut seen = last_batch();
        let mut since = Instant::now();
        while since.elapsed() < budget {
            tokio::task::yield_now().await;
            let last = last_batch();
            if last != seen {
                seen = last;
                since = Instant::now();
            }
        }
    }
}
