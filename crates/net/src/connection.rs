//! One client connection: read what arrived, parse every complete request, run them as a
//! batch under one acquisition of the store, write all replies in one go. A protocol error
//! gets Redis's reply and closes the connection; an HTTP request line closes it silently
//! (cross-protocol attacks, THREATS.md T4) so nothing after that line runs.
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
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Requests run per acquisition of the store: bounds how long one client's deep pipeline
/// holds the lock while others wait.
const MAX_BATCH: usize = 256;

/// Replies buffered before they are written mid-batch.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// Read buffer growth step; a large bulk grows the buffer only as its bytes arrive.
const READ_CHUNK: usize = 16 * 1024;

/// What woke an idle connection.
enum Wake {
    /// Bytes arrived (or the peer closed, or an error).
    Read(std::io::Result<usize>),
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
    let mut out = ReplyBuffer::new(Protocol::Resp2);
    let mut batch: Vec<Vec<Bytes>> = Vec::with_capacity(16);
    'conn: loop {
        if input.capacity() - input.len() < READ_CHUNK / 2 {
            let hint = parser.pending_hint().clamp(READ_CHUNK, 1 << 20);
            // Grow by what the request in progress still needs, capped, never by what it announced beyond that.
            input.reserve(hint.min(input.len().max(READ_CHUNK)));
        }
        let wake = tokio::select! {
            r = stream.read_buf(&mut input) => Wake::Read(r),
            _ = handle.killed() => Wake::Killed,
            frame = session.next_push() => Wake::Push(frame),
            _ = sleep_until(conn.deadline()) => Wake::Deadline,
        };
        match wake {
            Wake::Read(Ok(0) | Err(_)) | Wake::Killed => break,
            Wake::Deadline => {
                if conn.deadline_passed(&engine, &session) {
                    break;
                }
                continue;
            }
            Wake::Read(Ok(n)) => {
                engine.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
            Wake::Push(frame) => {
                if !write_pushes(&mut stream, &mut out, &engine, &mut session, frame).await {
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
                    if !conn.run_auth(&mut stream, &engine, &mut session, &batch[start], &mut out).await {
                        break 'conn;
                    }
                    start += 1;
                    continue;
                }
                match engine.execute_batch(&mut session, &batch[start..start + run], &mut out) {
                    BatchEnd::Done => start += run,
                    BatchEnd::Blocked { index, wait } => {
                        // The replies before the blocking command go out now; the rest of
                        // the pipeline waits, as Redis holds a blocked client's input.
                        if !flush(&mut stream, &mut out, &engine, &handle).await {
                            break 'conn;
                        }
                        match wait_blocked(&mut stream, &mut input, &engine, &mut session, wait).await {
                            Some(reply) => out.raw(&reply),
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
            if out.len() >= threshold && !flush_gated(&mut stream, &mut out, &engine, &session, &mut conn).await {
                break 'conn;
            }
        }
        handle.query_buffer.store(input.len() as u64, Ordering::Relaxed);
        if let Some(e) = &fatal {
            engine.stats.protocol_errors.fetch_add(1, Ordering::Relaxed);
            if matches!(e, ProtocolError::CrossProtocol) {
                engine.stats.http_probes.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(client = %handle.addr, "possible cross-protocol attack: HTTP request line received, connection closed");
            }
            conn.protocol_error(&session, e);
            if let Some(text) = e.reply_text() {
                out.error(&text);
            }
        }
        if !flush_gated(&mut stream, &mut out, &engine, &session, &mut conn).await
            || fatal.is_some()
            || session.close_after_reply
        {
            break;
        }
    }
    engine.disconnect(&mut session);
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
    engine.clients.unregister(handle.id);
}

/// What woke a client waiting in a blocking command.
enum BlockedWake {
    /// The reply, or `None` if the engine let go of the wait without one.
    Reply(Option<Bytes>),
    /// The command's timeout passed.
    Timeout,
    /// CLIENT KILL or shutdown.
    Killed,
    /// Input arrived (kept for after the command), or the peer closed.
    Read(std::io::Result<usize>),
    /// A published message (a RESP3 client may block while subscribed).
    Push(Bytes),
}

/// Waits for a blocked command's reply while watching its timeout, CLIENT KILL and the
/// socket (a client that disconnects leaves the queues at once). Input that arrives meanwhile
/// is kept, up to the query buffer limit, for the commands after this one. `None` when the
/// connection must close.
async fn wait_blocked<S>(
    stream: &mut S,
    input: &mut BytesMut,
    engine: &Engine,
    session: &mut Session,
    mut wait: BlockWait,
) -> Option<Bytes>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handle = session.handle.clone();
    let deadline = wait.deadline.map(tokio::time::Instant::from_std);
    let limit = engine_limits(engine).max_query_buffer;
    let mut out = ReplyBuffer::new(Protocol::Resp2);
    loop {
        if input.capacity() - input.len() < READ_CHUNK / 2 {
            input.reserve(READ_CHUNK);
        }
        let wake = tokio::select! {
            r = wait.reply() => BlockedWake::Reply(r),
            _ = sleep_until(deadline) => BlockedWake::Timeout,
            _ = handle.killed() => BlockedWake::Killed,
            r = stream.read_buf(input), if input.len() < limit => BlockedWake::Read(r),
            frame = session.next_push() => BlockedWake::Push(frame),
        };
        match wake {
            BlockedWake::Reply(Some(reply)) => return Some(reply),
            BlockedWake::Reply(None) | BlockedWake::Timeout => return Some(engine.unblock_timeout(session, &mut wait)),
            BlockedWake::Killed | BlockedWake::Read(Ok(0) | Err(_)) => {
                engine.cancel_block(session);
                return None;
            }
            BlockedWake::Read(Ok(n)) => {
                engine.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
            BlockedWake::Push(frame) => {
                if !write_pushes(stream, &mut out, engine, session, frame).await {
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

/// Writes a published frame and any others already waiting (up to the flush threshold);
/// false when the peer is gone.
async fn write_pushes<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut ReplyBuffer,
    engine: &Engine,
    session: &mut Session,
    first: Bytes,
) -> bool {
    let mut frame = Some(first);
    let mut written = 0;
    while let Some(f) = frame {
        out.raw(&f);
        written += f.len();
        frame = if out.len() < FLUSH_THRESHOLD { session.try_push() } else { None };
    }
    let ok = flush(stream, out, engine, &session.handle).await;
    session.push_written(written);
    ok
}

/// Writes the buffered replies; an unauthenticated client's must leave at once (access.rs).
/// False when the connection must close.
async fn flush_gated<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut ReplyBuffer,
    engine: &Engine,
    session: &Session,
    conn: &mut ConnGate,
) -> bool {
    if conn.unauthenticated(engine, session) {
        matches!(conn.flush_unauthenticated(stream, out, engine, session).await, UnauthFlush::Done)
    } else {
        flush(stream, out, engine, &session.handle).await
    }
}

/// Writes the buffered replies; false when the peer is gone, or when the client is killed
/// while the write waits (a subscriber that stopped reading and went over its output limit).
async fn flush<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut ReplyBuffer,
    engine: &Engine,
    handle: &ClientHandle,
) -> bool {
    if out.is_empty() {
        return true;
    }
    // The append-only file first: a reply never describes a write that has not reached the
    // kernel (and, with `appendfsync always`, the disk). Two atomic loads when done already.
    if let Some(waits_for_disk) = engine.aof.barrier_pending() {
        let multi_thread =
            tokio::runtime::Handle::current().runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread;
        if waits_for_disk && multi_thread {
            tokio::task::block_in_place(|| engine.aof.barrier());
        } else {
            engine.aof.barrier();
        }
    }
    let len = out.len();
    // Biased: a write that completes at once never registers with the kill signal.
    let written = tokio::select! {
        biased;
        // The flush matters for TLS: it sends what the TLS layer still holds.
        r = async { stream.write_all(out.as_bytes()).await?; stream.flush().await } => r.is_ok(),
        _ = handle.killed() => false,
    };
    if !written {
        return false;
    }
    engine.stats.net_output_bytes.fetch_add(len as u64, Ordering::Relaxed);
    out.truncate(0);
    true
}

fn engine_limits(engine: &Engine) -> Limits {
    let config = engine.config();
    Limits {
        max_bulk_len: config.proto_max_bulk_len,
        max_query_buffer: config.client_query_buffer_limit,
        ..Limits::default()
    }
}
