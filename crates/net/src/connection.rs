//! One client connection: read what arrived, parse every complete request, run them as a
//! batch under one acquisition of the store, write all replies in one go. A protocol error
//! gets Redis's reply and closes the connection; an HTTP request line closes it silently
//! (cross-protocol attacks, THREATS.md T4) so nothing after that line runs.
//!
//! Writing never waits while the connection has something else to do: replies the socket
//! does not take at once stay in the output buffer and are written as the socket accepts
//! them, while the connection goes on reading and running the client's requests, as Redis
//! does (so a client that writes a long pipeline before reading never deadlocks with the
//! server). What the buffer holds is published in the client's handle (CLIENT LIST `omem`,
//! `maxmemory`), and `client-output-buffer-limit` bounds it: the buffer is capped at the hard
//! limit while commands write into it, and a client over a limit is closed without being
//! sent anything more (obuf.rs in the commands crate). A client that stops reading therefore
//! holds only its own task, never the store lock or another client.
//!
//! A connection also waits for what other clients cause: a blocked command's reply (with its
//! timeout, while noticing the peer leave), and published messages for a subscriber, written
//! as they arrive.
//!
//! The gate's part of a connection (its identity, AUTH and HELLO AUTH with their throttling,
//! the before-auth limits and deadline, audit lines for refusals) is in access.rs.

use crate::access::{self, ConnGate, UnauthFlush};
use bytes::{Bytes, BytesMut};
use redoubt_commands::{BatchEnd, BlockWait, ClientHandle, Engine, Session};
use redoubt_resp::{Limits, Protocol, ProtocolError, ReplyBuffer, RequestParser};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Requests run per acquisition of the store: bounds how long one client's deep pipeline
/// holds the lock while others wait.
const MAX_BATCH: usize = 256;

/// Replies buffered before they are handed to the socket mid-batch; also the most published
/// messages moved from the inbox into a buffer that still holds unwritten bytes.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// Read buffer growth step; a large bulk grows the buffer only as its bytes arrive.
const READ_CHUNK: usize = 16 * 1024;

/// What woke an idle connection.
enum Wake {
    /// Bytes arrived (or the peer closed, or an error).
    Read(std::io::Result<usize>),
    /// The socket took `n` bytes of the output buffer (or an error).
    Wrote(std::io::Result<usize>),
    /// CLIENT KILL, shutdown, or an output-buffer limit.
    Killed,
    /// A published message for a subscriber.
    Push(Bytes),
    /// The deadline to authenticate passed (`unauthenticated-timeout`).
    Deadline,
}

/// Serves one connection until it closes, is killed, or the server shuts down. `conn` is the
/// gate's part of the connection (access.rs): identity, before-auth limits, AUTH.
pub(crate) async fn serve<S>(mut stream: S, engine: Arc<Engine>, mut session: Session, mut conn: ConnGate)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    conn.start(&engine, &mut session);
    let handle = session.handle.clone();
    let mut parser = RequestParser::new();
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut out = Output::new();
    let mut query = QueryShown::default();
    let mut batch: Vec<Vec<Bytes>> = Vec::with_capacity(16);
    'conn: loop {
        if input.capacity() - input.len() < READ_CHUNK / 2 {
            let hint = parser.pending_hint().clamp(READ_CHUNK, 1 << 20);
            // Grow by what the request in progress still needs, capped, never by what it announced beyond that.
            input.reserve(hint.min(input.len().max(READ_CHUNK)));
        }
        let wake = tokio::select! {
            biased;
            _ = handle.killed() => Wake::Killed,
            io = out.io(&mut stream, Some(&mut input)) => io,
            frame = session.next_push(), if out.buf.len() < FLUSH_THRESHOLD => Wake::Push(frame),
            _ = sleep_until(conn.deadline()) => Wake::Deadline,
        };
        match wake {
            Wake::Read(Ok(0) | Err(_)) | Wake::Wrote(Err(_)) | Wake::Killed => break,
            Wake::Deadline => {
                if conn.deadline_passed(&engine, &session) {
                    break;
                }
                continue;
            }
            Wake::Read(Ok(n)) => {
                engine.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
            Wake::Wrote(Ok(n)) => {
                out.written(n, &engine, &handle);
                continue;
            }
            Wake::Push(frame) => {
                out.take_pushes(&mut session, frame);
                if !out.write_now(&mut stream, &engine, &handle).await || over_limits(&engine, &handle) {
                    break;
                }
                continue;
            }
        }
        let mut fatal: Option<ProtocolError> = None;
        loop {
            // Redis's tight limits until the client authenticates (access.rs); a round stops
            // after an AUTH, so the requests behind it are parsed with the limits it earns.
            let unauthenticated = conn.unauthenticated(&engine, &session);
            let limits = conn.limits(&engine, &session, engine_limits(&engine));
            let mut need_more = false;
            while batch.len() < MAX_BATCH {
                match parser.parse(&mut input, &limits) {
                    // A multibulk `POST` or `Host:` is an HTTP request too: close, as Redis's
                    // securityWarningCommand does; the requests before it still run.
                    Ok(Some(args)) if access::is_http_command(&args) => {
                        fatal = Some(ProtocolError::CrossProtocol);
                        break;
                    }
                    Ok(Some(args)) => {
                        let stop = unauthenticated && access::is_auth(&args);
                        batch.push(args);
                        if stop {
                            break;
                        }
                    }
                    Ok(None) => {
                        need_more = true;
                        break;
                    }
                    Err(e) => {
                        fatal = Some(e);
                        break;
                    }
                }
            }
            let mut start = 0;
            while start < batch.len() {
                // AUTH and HELLO AUTH run on this task, never under the store lock (access.rs):
                // the requests before them first, then the AUTH, then the rest.
                let run = conn.engine_run(&session, &batch[start..]);
                if run == 0 {
                    if !conn.run_auth(&mut stream, &engine, &mut session, &batch[start], &mut out.buf).await {
                        break 'conn;
                    }
                    start += 1;
                    continue;
                }
                // The hard limit of the client's class caps what the commands may write.
                out.buf.set_limit(engine.output_limits.reply_cap(&handle));
                let end = engine.execute_batch(&mut session, &batch[start..start + run], &mut out.buf);
                aof_barrier(&engine);
                if out.buf.overflowed() {
                    engine.close_over_output_limit(&handle);
                    break 'conn;
                }
                if session.replica_attach.is_some() {
                    // SYNC/PSYNC: from now on this connection is a replica's link.
                    if out.write_all(&mut stream, &engine, &handle).await {
                        crate::replication::serve_replica(&mut stream, &engine, &mut session, &mut input).await;
                    }
                    break 'conn;
                }
                match end {
                    BatchEnd::Done => start += run,
                    BatchEnd::Blocked { index, wait } => {
                        // The replies before the blocking command go out as the socket takes
                        // them; the rest of the pipeline waits, as Redis holds a blocked
                        // client's input.
                        match wait_blocked(&mut stream, &mut input, &engine, &mut session, &mut out, wait).await {
                            Some(reply) => {
                                // The pop that served this client was logged by the pusher.
                                aof_barrier(&engine);
                                out.buf.raw(&reply)
                            }
                            None => break 'conn,
                        }
                        start += index + 1;
                        // Input that arrived while blocked is parsed next, not left waiting
                        // for more bytes.
                        need_more = false;
                    }
                }
                if session.close_after_reply {
                    break;
                }
            }
            batch.clear();
            if need_more || fatal.is_some() || session.close_after_reply {
                break;
            }
            let threshold = if unauthenticated { access::UNAUTHENTICATED_OUTPUT_LIMIT } else { FLUSH_THRESHOLD };
            if out.buf.len() >= threshold && !flush_gated(&mut stream, &mut out, &engine, &session, &mut conn).await {
                break 'conn;
            }
        }
        query.show(&handle, &input, &parser);
        if let Some(e) = &fatal {
            engine.stats.protocol_errors.fetch_add(1, Ordering::Relaxed);
            if matches!(e, ProtocolError::CrossProtocol) {
                engine.stats.http_probes.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(client = %handle.addr, "possible cross-protocol attack: HTTP request line received, connection closed");
            }
            conn.protocol_error(&session, e);
            if let Some(text) = e.reply_text() {
                out.buf.error(&text);
            }
        }
        crate::busy_poll::note_batch();
        if !out.buf.is_empty() {
            // Write after the other connections that are ready have run their batches, as
            // Redis writes its replies before it sleeps: a client then gets its replies in a
            // burst and is woken once for them, instead of once per connection while the
            // worker is busy with the next one. Waking the client is the costly part of a
            // send on a busy worker (redis-benchmark -P 16 ZADD: 14% of the worker's time
            // went to it; docs/benchmarks.md).
            tokio::task::yield_now().await;
        }
        if !flush_gated(&mut stream, &mut out, &engine, &session, &mut conn).await || over_limits(&engine, &handle) {
            break;
        }
        if fatal.is_some() || session.close_after_reply {
            // The last replies go out before the connection closes (QUIT's +OK).
            out.write_all(&mut stream, &engine, &handle).await;
            break;
        }
    }
    engine.disconnect(&mut session);
    if !handle.is_killed() {
        // A peer that does not read may hold a TLS close back: not for long.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
            let _ = stream.flush().await;
            let _ = stream.shutdown().await;
        })
        .await;
    }
    engine.clients.unregister(handle.id);
}

/// Whether the client's output buffer takes it over its limits now (the soft limit's clock
/// runs from the first time it is seen over); it is then being closed.
fn over_limits(engine: &Engine, handle: &ClientHandle) -> bool {
    let used = handle.output_pending();
    used > 0 && engine.check_output_limits(handle, used, redoubt_commands::unix_ms())
}

/// The query buffer as last shown in the client's handle, so that a connection whose buffer
/// is empty after every read publishes nothing.
#[derive(Default)]
struct QueryShown(u64, u64, u64);

impl QueryShown {
    fn show(&mut self, handle: &ClientHandle, input: &BytesMut, parser: &RequestParser) {
        let now = QueryShown(input.len() as u64, (input.capacity() - input.len()) as u64, parser.held() as u64);
        if (now.0, now.1, now.2) != (self.0, self.1, self.2) {
            handle.set_query(now.0, now.1, now.2);
            *self = now;
        }
    }
}

/// The connection's output buffer: replies not yet taken by the socket, what of it the
/// client's handle shows, and whether the stream holds written bytes to flush (TLS).
struct Output {
    buf: ReplyBuffer,
    shown: u64,
    unflushed: bool,
}

impl Output {
    fn new() -> Output {
        Output { buf: ReplyBuffer::new(Protocol::Resp2), shown: 0, unflushed: false }
    }

    /// Shows the buffer's size in the client's handle (CLIENT LIST `omem`, `maxmemory`).
    fn show(&mut self, handle: &ClientHandle) {
        let len = self.buf.len() as u64;
        if len != self.shown {
            handle.set_reply_pending(len);
            self.shown = len;
        }
    }

    /// The socket took `n` bytes.
    fn written(&mut self, n: usize, engine: &Engine, handle: &ClientHandle) {
        engine.stats.net_output_bytes.fetch_add(n as u64, Ordering::Relaxed);
        self.buf.consume(n);
        self.unflushed |= n > 0;
        self.show(handle);
    }

    /// Moves published frames from the inbox into the buffer: `first`, and those already
    /// waiting up to the flush threshold.
    fn take_pushes(&mut self, session: &mut Session, first: Bytes) {
        let mut frame = Some(first);
        let mut taken = 0;
        while let Some(f) = frame {
            self.buf.raw(&f);
            taken += f.len();
            frame = if self.buf.len() < FLUSH_THRESHOLD { session.try_push() } else { None };
        }
        session.push_written(taken);
    }

    /// Writes what the socket takes without waiting, and shows what is left; false when the
    /// peer is gone.
    async fn write_now<S: AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        engine: &Engine,
        handle: &ClientHandle,
    ) -> bool {
        let result = std::future::poll_fn(|cx| {
            Poll::Ready(loop {
                if self.buf.is_empty() {
                    if self.unflushed {
                        match Pin::new(&mut *stream).poll_flush(cx) {
                            Poll::Ready(Ok(())) => self.unflushed = false,
                            Poll::Ready(Err(e)) => break Err(e),
                            Poll::Pending => {}
                        }
                    }
                    break Ok(());
                }
                match Pin::new(&mut *stream).poll_write(cx, self.buf.as_bytes()) {
                    Poll::Ready(Ok(0)) => break Err(std::io::ErrorKind::WriteZero.into()),
                    Poll::Ready(Ok(n)) => {
                        engine.stats.net_output_bytes.fetch_add(n as u64, Ordering::Relaxed);
                        self.buf.consume(n);
                        self.unflushed = true;
                    }
                    Poll::Ready(Err(e)) => break Err(e),
                    Poll::Pending => break Ok(()),
                }
            })
        })
        .await;
        self.show(handle);
        result.is_ok()
    }

    /// Waits until the socket takes some of the buffer (or the stream's pending flush
    /// completes) or, given `input`, bytes arrive: whichever comes first.
    fn io<'a, S: AsyncRead + AsyncWrite + Unpin>(
        &'a mut self,
        stream: &'a mut S,
        mut input: Option<&'a mut BytesMut>,
    ) -> impl Future<Output = Wake> + 'a {
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            if !self.buf.is_empty() {
                match Pin::new(&mut *stream).poll_write(cx, self.buf.as_bytes()) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Wake::Wrote(Err(std::io::ErrorKind::WriteZero.into()))),
                    Poll::Ready(r) => return Poll::Ready(Wake::Wrote(r)),
                    Poll::Pending => {}
                }
            } else if self.unflushed {
                match Pin::new(&mut *stream).poll_flush(cx) {
                    // Done: news only for a caller that waits for nothing else.
                    Poll::Ready(Ok(())) if input.is_none() => {
                        self.unflushed = false;
                        return Poll::Ready(Wake::Wrote(Ok(0)));
                    }
                    Poll::Ready(Ok(())) => self.unflushed = false,
                    Poll::Ready(Err(e)) => return Poll::Ready(Wake::Wrote(Err(e))),
                    Poll::Pending => {}
                }
            }
            match input.as_deref_mut() {
                Some(input) => std::pin::pin!(stream.read_buf(input)).poll(cx).map(Wake::Read),
                None => Poll::Pending,
            }
        })
    }

    /// Writes the whole buffer, waiting for the socket; false when the peer is gone or the
    /// client is killed meanwhile.
    async fn write_all<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        engine: &Engine,
        handle: &ClientHandle,
    ) -> bool {
        while !self.buf.is_empty() || self.unflushed {
            let wake = tokio::select! {
                biased;
                _ = handle.killed() => Wake::Killed,
                io = self.io(stream, None) => io,
            };
            match wake {
                Wake::Wrote(Ok(n)) => self.written(n, engine, handle),
                Wake::Read(_) => {}
                _ => return false,
            }
        }
        true
    }
}

/// What woke a client waiting in a blocking command.
enum BlockedWake {
    /// The reply, or `None` if the engine let go of the wait without one.
    Reply(Option<Bytes>),
    /// The command's timeout passed.
    Timeout,
    /// CLIENT KILL or shutdown.
    Killed,
    /// Input arrived (kept for after the command) or the peer closed; or the socket took
    /// replies written before the command.
    Io(Wake),
    /// A published message (a RESP3 client may block while subscribed).
    Push(Bytes),
}

/// Waits for a blocked command's reply while watching its timeout, CLIENT KILL and the
/// socket (a client that disconnects leaves the queues at once), and writing the replies
/// before it as the socket takes them. Input that arrives meanwhile is kept, up to the query
/// buffer limit, for the commands after this one. `None` when the connection must close.
async fn wait_blocked<S>(
    stream: &mut S,
    input: &mut BytesMut,
    engine: &Engine,
    session: &mut Session,
    out: &mut Output,
    mut wait: BlockWait,
) -> Option<Bytes>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handle = session.handle.clone();
    let deadline = wait.deadline.map(tokio::time::Instant::from_std);
    let limit = engine_limits(engine).max_query_buffer;
    if !out.write_now(stream, engine, &handle).await {
        engine.cancel_block(session);
        return None;
    }
    loop {
        if input.capacity() - input.len() < READ_CHUNK / 2 {
            input.reserve(READ_CHUNK);
        }
        let reading = input.len() < limit;
        // The reply first: pushes its command caused (invalidations of the keys it wrote)
        // follow it, as in Redis.
        let wake = tokio::select! {
            biased;
            r = wait.reply() => BlockedWake::Reply(r),
            _ = sleep_until(deadline) => BlockedWake::Timeout,
            _ = handle.killed() => BlockedWake::Killed,
            io = out.io(stream, if reading { Some(&mut *input) } else { None }) => BlockedWake::Io(io),
            frame = session.next_push(), if out.buf.len() < FLUSH_THRESHOLD => BlockedWake::Push(frame),
        };
        match wake {
            BlockedWake::Reply(Some(reply)) => return Some(reply),
            BlockedWake::Reply(None) | BlockedWake::Timeout => return Some(engine.unblock_timeout(session, &mut wait)),
            BlockedWake::Killed | BlockedWake::Io(Wake::Read(Ok(0) | Err(_)) | Wake::Wrote(Err(_))) => {
                engine.cancel_block(session);
                return None;
            }
            BlockedWake::Io(Wake::Read(Ok(n))) => {
                engine.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
            BlockedWake::Io(Wake::Wrote(Ok(n))) => out.written(n, engine, &handle),
            BlockedWake::Io(_) => {}
            BlockedWake::Push(frame) => {
                out.take_pushes(session, frame);
                if !out.write_now(stream, engine, &handle).await || over_limits(engine, &handle) {
                    engine.cancel_block(session);
                    return None;
                }
            }
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Hands the buffered replies to the socket: an unauthenticated client's must leave at once
/// (access.rs); an authenticated client's go as far as the socket takes them now, the rest
/// later. False when the connection must close.
async fn flush_gated<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut Output,
    engine: &Engine,
    session: &Session,
    conn: &mut ConnGate,
) -> bool {
    if conn.unauthenticated(engine, session) {
        let done = matches!(conn.flush_unauthenticated(stream, &mut out.buf, engine, session).await, UnauthFlush::Done);
        out.show(&session.handle);
        done
    } else {
        out.write_now(stream, engine, &session.handle).await
    }
}

/// Makes sure the append-only file has every write logged so far: a reply never describes a
/// write that has not reached the kernel (and, with `appendfsync always`, the disk). Two
/// atomic loads when that is done already. Group commit: one connection writes what every
/// connection appended; the others find their part written. With `always` this event loop
/// waits for the fsync, as Redis's one thread does before it replies.
fn aof_barrier(engine: &Engine) {
    if engine.aof.barrier_pending().is_some() {
        engine.aof.barrier();
    }
}

fn engine_limits(engine: &Engine) -> Limits {
    let (max_bulk_len, max_query_buffer) = engine.request_limits();
    Limits { max_bulk_len, max_query_buffer, ..Limits::default() }
}
