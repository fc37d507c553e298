//! Connection workers (`io-threads`): single-threaded runtimes, each serving the connections
//! the accept loops hand it, round robin.
//!
//! Why not one multi-threaded runtime: a request-reply server spends most of its time waking
//! a connection task, reading, running a short batch and writing. In a work-stealing runtime
//! each wake may also wake an idle worker thread to come and steal (a futex call per request
//! at pipeline depth 1), and tasks migrate between cores with their buffers. A connection
//! pinned to one single-threaded runtime is woken, run and written on the same thread, with
//! no cross-thread traffic but the store lock (DESIGN.md's concurrency rule is unchanged:
//! every batch still runs under the one keyspace lock).
//!
//! Accepting stays on the main runtime, with the cron and signals. A socket moves to its
//! worker as a std socket (deregistered from the main runtime's reactor, registered with the
//! worker's on its first use), so nothing is read or written before it arrives there.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// The connection workers.
pub(crate) struct Workers {
    handles: Vec<Handle>,
    next: AtomicUsize,
    /// Dropping a sender ends its worker's runtime.
    stops: Vec<oneshot::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `count` workers (at least one), each a thread running a single-threaded runtime
    /// that busy-polls for up to `busy_poll` after a batch (busy_poll.rs; zero: never).
    pub(crate) fn start(count: usize, busy_poll: Duration) -> std::io::Result<Workers> {
        let mut workers =
            Workers { handles: Vec::new(), next: AtomicUsize::new(0), stops: Vec::new(), threads: Vec::new() };
        for i in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (stop, stopped) = oneshot::channel::<()>();
            workers.handles.push(runtime.handle().clone());
            workers.stops.push(stop);
            let thread = std::thread::Builder::new().name(format!("redoubt-worker-{i}")).spawn(move || {
                // Runs the connections spawned onto it until the server stops.
                if !busy_poll.is_zero() {
                    runtime.spawn(crate::busy_poll::poll_while_busy(busy_poll));
                }
                let _ = runtime.block_on(stopped);
                runtime.shutdown_background();
            })?;
            workers.threads.push(thread);
        }
        Ok(workers)
    }

    /// The number of workers for this machine: half the cores the process may use, at least
    /// one. The other half is left to the kernel's network stack and to clients: every batch
    /// runs under the one store lock, so a second event loop on a two-core machine mostly
    /// contends for that lock and for the cores the clients need (measured in
    /// docs/benchmarks.md).
    pub(crate) fn default_count() -> usize {
        std::thread::available_parallelism().map(|n| n.get() / 2).unwrap_or(1).max(1)
    }

    /// Runs `task` on the next worker, round robin.
    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        self.handles[i].spawn(task);
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stops.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
