//! Replication's network side (the engine's side is `redoubt_commands::replication`).
//!
//! - [`serve_replica`]: a connection that ran SYNC or PSYNC becomes a replica's link: the
//!   snapshot taken at that instant is encoded as RDB on a blocking thread and sent as
//!   `$<len>\r\n<rdb>`, then the stream the feed buffered and goes on buffering, as the
//!   socket takes it. The replica's REPLCONF ACKs are read meanwhile. The buffered stream is
//!   the client's output buffer (`client-output-buffer-limit replica`, INFO
//!   `mem_clients_slaves`).
//! - [`run_links`]: the task that follows the primary named by REPLICAOF or the `replicaof`
//!   directive: connect, authenticate (`masteruser`/`masterauth`), PING, REPLCONF, `PSYNC ?
//!   -1`, load the snapshot, then apply the stream as the privileged `master` client (flag
//!   `M` in CLIENT LIST), acknowledging every second. A lost or silent link (`repl-timeout`)
//!   is dropped and retried a second later; a new REPLICAOF starts over.

use bytes::{Bytes, BytesMut};
use redoubt_commands::replication::{encode_snapshot, load_full_sync, LinkStatus, ReplicaFeed};
use redoubt_commands::{BatchEnd, ClientKind, Engine, Session, Transport};
use redoubt_persist::aof::encode_command;
use redoubt_resp::{Limits, Protocol, ReplyBuffer, RequestParser};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest line accepted from a primary during the handshake.
const MAX_LINE: usize = 64 * 1024;

/// Read step for the snapshot and the stream.
const READ_CHUNK: usize = 64 * 1024;

/// Serves a replica on the connection whose session just ran SYNC or PSYNC (its reply, the
/// `+FULLRESYNC` line, is already written). Returns when the link closes.
pub(crate) async fn serve_replica<S>(stream: &mut S, engine: &Arc<Engine>, session: &mut Session, input: &mut BytesMut)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Some(attach) = session.replica_attach.take() else { return };
    let handle = session.handle.clone();
    handle.set_query(0, 0, 0);
    let feed = attach.feed.clone();
    let encoder = engine.clone();
    let snapshot = attach.snapshot;
    let rdb = match tokio::task::spawn_blocking(move || encode_snapshot(&encoder, &snapshot)).await {
        Ok(Ok(rdb)) => rdb,
        Ok(Err(e)) => {
            tracing::warn!("cannot encode the snapshot for replica {}: {e}", handle.addr);
            engine.replication.detach(handle.id);
            return;
        }
        Err(_) => {
            engine.replication.detach(handle.id);
            return;
        }
    };
    let header = format!("${}\r\n", rdb.len());
    let sent = tokio::select! {
        biased;
        _ = handle.killed() => false,
        r = async {
            stream.write_all(header.as_bytes()).await?;
            stream.write_all(&rdb).await?;
            stream.flush().await
        } => r.is_ok(),
    };
    if sent {
        engine.stats.net_output_bytes.fetch_add((header.len() + rdb.len()) as u64, Ordering::Relaxed);
        drop(rdb);
        feed.set_online();
        tracing::info!("Synchronization with replica {} succeeded", handle.addr);
        stream_to_replica(stream, engine, &feed, input).await;
    }
    engine.replication.detach(handle.id);
}

/// Sends the feed's stream as the socket takes it, and reads the replica's ACKs.
async fn stream_to_replica<S>(stream: &mut S, engine: &Engine, feed: &ReplicaFeed, input: &mut BytesMut)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handle = feed.handle.clone();
    let mut parser = RequestParser::new();
    let limits = Limits { max_bulk_len: 1024, max_query_buffer: MAX_LINE, ..Limits::default() };
    let mut pending: Vec<u8> = Vec::new();
    let mut pos = 0usize;
    let (mut rd, mut wr) = tokio::io::split(stream);
    loop {
        if pos == pending.len() {
            if !pending.is_empty() {
                pending.clear();
                pos = 0;
                if wr.flush().await.is_err() {
                    return;
                }
            }
            feed.take(&mut pending);
            feed.written(pending.len());
        }
        let writing = pos < pending.len();
        if input.capacity() - input.len() < 1024 {
            input.reserve(4096);
        }
        tokio::select! {
            biased;
            _ = handle.killed() => return,
            r = wr.write(&pending[pos..]), if writing => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    pos += n;
                    engine.stats.net_output_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    feed.written(pending.len() - pos);
                }
            },
            _ = feed.appended(), if !writing => {}
            r = rd.read_buf(input) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    engine.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    loop {
                        match parser.parse(input, &limits) {
                            Ok(Some(args)) => note_ack(feed, &args),
                            Ok(None) => break,
                            Err(_) => return,
                        }
                    }
                }
            },
        }
    }
}

/// `REPLCONF ACK <offset>` from the replica; anything else it sends is ignored.
fn note_ack(feed: &ReplicaFeed, args: &[Bytes]) {
    if args.len() >= 3 && args[0].eq_ignore_ascii_case(b"replconf") && args[1].eq_ignore_ascii_case(b"ack") {
        if let Some(offset) = std::str::from_utf8(&args[2]).ok().and_then(|s| s.parse::<u64>().ok()) {
            feed.ack(offset);
        }
    }
}

/// Follows the primary the engine names, for as long as the server runs.
pub(crate) async fn run_links(engine: Arc<Engine>) {
    let mut wanted = engine.replication.watch_primary();
    loop {
        let (_, primary) = wanted.borrow_and_update().clone();
        let Some((host, port)) = primary else {
            if wanted.changed().await.is_err() {
                return;
            }
            continue;
        };
        let mut link = Link { engine: engine.clone(), master_client: None };
        tokio::select! {
            changed = wanted.changed() => {
                drop(link);
                if changed.is_err() {
                    return;
                }
                continue;
            }
            result = link.follow(&host, port) => {
                drop(link);
                if let Err(e) = result {
                    tracing::warn!("replication link with primary {host}:{port}: {e}; retrying in 1 second");
                }
            }
        }
        tokio::select! {
            changed = wanted.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// One attempt at following a primary; dropping it closes the link.
struct Link {
    engine: Arc<Engine>,
    /// The `master` client registered once the stream flows.
    master_client: Option<u64>,
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Some(id) = self.master_client.take() {
            self.engine.clients.unregister(id);
        }
        self.engine.replication.set_status(LinkStatus::Connect);
    }
}

/// The settings a link reads once per attempt.
struct LinkSettings {
    timeout: Duration,
    user: Option<String>,
    password: Option<String>,
    announce_port: u16,
}

fn settings(engine: &Engine) -> LinkSettings {
    let cfg = engine.config();
    let secs = cfg.value("repl-timeout").and_then(|v| v.parse::<u64>().ok()).unwrap_or(60).max(1);
    let announce = cfg.value("replica-announce-port").and_then(|v| v.parse::<u16>().ok()).unwrap_or(0);
    LinkSettings {
        timeout: Duration::from_secs(secs),
        user: cfg.value("masteruser").filter(|u| !u.is_empty()),
        password: cfg.masterauth.as_ref().map(|s| s.expose().to_string()).filter(|p| !p.is_empty()),
        announce_port: if announce != 0 {
            announce
        } else {
            engine.facts.read().unwrap_or_else(|e| e.into_inner()).tcp_port
        },
    }
}

/// A connection to the primary with what was read and not yet used.
struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    timeout: Duration,
}

impl Conn {
    async fn send(&mut self, args: &[&[u8]]) -> Result<(), String> {
        let mut bytes = Vec::new();
        encode_command(&mut bytes, args);
        self.stream.write_all(&bytes).await.map_err(|e| format!("write error: {e}"))
    }

    /// Reads more bytes, within the timeout.
    async fn fill(&mut self) -> Result<(), String> {
        self.buf.reserve(READ_CHUNK);
        match tokio::time::timeout(self.timeout, self.stream.read_buf(&mut self.buf)).await {
            Err(_) => Err("timeout reading from the primary".into()),
            Ok(Err(e)) => Err(format!("read error: {e}")),
            Ok(Ok(0)) => Err("the primary closed the connection".into()),
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// One line (without its end); the primary's keep-alive newlines come as empty lines.
    async fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line = self.buf.split_to(end + 1);
                let text = String::from_utf8_lossy(&line[..end]);
                return Ok(text.trim_end_matches('\r').to_string());
            }
            if self.buf.len() > MAX_LINE {
                return Err("protocol error: line too long from the primary".into());
            }
            self.fill().await?;
        }
    }

    async fn request(&mut self, args: &[&[u8]]) -> Result<String, String> {
        self.send(args).await?;
        loop {
            let line = self.line().await?;
            if !line.is_empty() {
                return Ok(line);
            }
        }
    }
}

impl Link {
    /// Connects, synchronises and applies the stream until the link fails.
    async fn follow(&mut self, host: &str, port: u16) -> Result<(), String> {
        let engine = self.engine.clone();
        let repl = &engine.replication;
        let s = settings(&engine);
        repl.set_status(LinkStatus::Connecting);
        tracing::info!("Connecting to MASTER {host}:{port}");
        let stream = match tokio::time::timeout(s.timeout, TcpStream::connect((host, port))).await {
            Err(_) => return Err("timeout connecting to the primary".into()),
            Ok(Err(e)) => return Err(format!("cannot connect: {e}")),
            Ok(Ok(stream)) => stream,
        };
        let _ = stream.set_nodelay(true);
        let laddr = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
        let mut conn = Conn { stream, buf: BytesMut::with_capacity(READ_CHUNK), timeout: s.timeout };
        if let Some(password) = &s.password {
            let reply = match &s.user {
                Some(user) => conn.request(&[b"AUTH", user.as_bytes(), password.as_bytes()]).await?,
                None => conn.request(&[b"AUTH", password.as_bytes()]).await?,
            };
            if !reply.starts_with('+') {
                return Err(format!("unable to AUTH to MASTER: {reply}"));
            }
        }
        let pong = conn.request(&[b"PING"]).await?;
        if pong.starts_with("-NOAUTH") || pong.starts_with("-NOPERM") || pong.starts_with("-WRONGPASS") {
            return Err(format!("the primary refused PING: {pong} (set masterauth / masteruser)"));
        }
        let port_text = s.announce_port.to_string();
        let reply = conn.request(&[b"REPLCONF", b"listening-port", port_text.as_bytes()]).await?;
        if reply.starts_with('-') {
            tracing::warn!("(Non critical) Master does not understand REPLCONF listening-port: {reply}");
        }
        let reply = conn.request(&[b"REPLCONF", b"capa", b"psync2"]).await?;
        if reply.starts_with('-') {
            tracing::warn!("(Non critical) Master does not understand REPLCONF capa: {reply}");
        }
        let reply = conn.request(&[b"PSYNC", b"?", b"-1"]).await?;
        let mut words = reply.split_whitespace();
        let (Some("+FULLRESYNC"), Some(replid), Some(offset)) = (words.next(), words.next(), words.next()) else {
            return Err(format!("unexpected reply to PSYNC from the primary: {reply}"));
        };
        let replid = replid.to_string();
        let offset: u64 = offset.parse().map_err(|_| format!("bad offset in {reply}"))?;
        tracing::info!("Full resync from master: {replid}:{offset}");
        repl.set_status(LinkStatus::Sync);
        let rdb = receive_snapshot(&mut conn, repl).await?;
        let loader = engine.clone();
        let loaded = tokio::task::spawn_blocking(move || load_full_sync(&loader, &rdb, &replid, offset))
            .await
            .map_err(|e| format!("loading the snapshot failed: {e}"))?
            .map_err(|e| format!("cannot load the snapshot from the primary: {e}"))?;
        tracing::info!("MASTER <-> REPLICA sync: Finished with success ({loaded} keys loaded)");
        let handle =
            engine.clients.register(format!("{host}:{port}"), laddr, Transport::Tcp, redoubt_commands::unix_ms());
        handle.set_kind(ClientKind::Primary);
        self.master_client = Some(handle.id);
        let mut session = Session::new(handle.clone());
        session.from_primary = true;
        session.authenticated = true;
        repl.set_status(LinkStatus::Connected);
        let result = apply_stream(&engine, &mut conn, &mut session).await;
        engine.disconnect(&mut session);
        result
    }
}

/// Reads `$<len>\r\n` and the snapshot's bytes, growing the buffer only as bytes arrive.
async fn receive_snapshot(
    conn: &mut Conn,
    repl: &redoubt_commands::replication::Replication,
) -> Result<Vec<u8>, String> {
    let header = loop {
        let line = conn.line().await?;
        repl.touched_by_primary();
        if !line.is_empty() {
            break line;
        }
    };
    if header.starts_with("$EOF:") {
        return Err("the primary sent a diskless ($EOF:) transfer, which this replica did not ask for".into());
    }
    let len: usize = header
        .strip_prefix('$')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("bad protocol from MASTER, the first byte is not '$': {header}"))?;
    let mut rdb = Vec::new();
    while rdb.len() < len {
        if conn.buf.is_empty() {
            conn.fill().await?;
            repl.touched_by_primary();
        }
        let take = conn.buf.len().min(len - rdb.len());
        rdb.extend_from_slice(&conn.buf.split_to(take));
    }
    Ok(rdb)
}

/// Applies the primary's stream until the link fails: PING and REPLCONF GETACK are handled
/// here, everything else runs in `session` (the privileged `master` client), its replies
/// dropped. Acknowledges every second; a primary silent for `repl-timeout` drops the link.
async fn apply_stream(engine: &Engine, conn: &mut Conn, session: &mut Session) -> Result<(), String> {
    let repl = &engine.replication;
    let handle = session.handle.clone();
    let (max_bulk_len, _) = engine.request_limits();
    let limits = Limits { max_bulk_len, max_query_buffer: usize::MAX, ..Limits::default() };
    let mut parser = RequestParser::new();
    let mut out = ReplyBuffer::new(Protocol::Resp2);
    let mut batch: Vec<Vec<Bytes>> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let timeout_ms = conn.timeout.as_millis() as i64;
    loop {
        // What arrived before the snapshot ended, or with it, is applied first.
        let start = conn.buf.len();
        let mut progressed = false;
        let mut ack = false;
        loop {
            let parsed =
                parser.parse(&mut conn.buf, &limits).map_err(|e| format!("protocol error from the primary: {e:?}"))?;
            let Some(args) = parsed else { break };
            progressed = true;
            if args[0].eq_ignore_ascii_case(b"ping") {
                continue;
            }
            if args.len() >= 2 && args[0].eq_ignore_ascii_case(b"replconf") && args[1].eq_ignore_ascii_case(b"getack") {
                ack = true;
                break;
            }
            batch.push(args);
            if batch.len() >= 256 {
                break;
            }
        }
        let mut next = 0;
        while next < batch.len() {
            // A primary's stream holds no blocking command (they are propagated in their
            // non-blocking form); should one come, it must not hold the stream back.
            match engine.execute_batch(session, &batch[next..], &mut out) {
                BatchEnd::Done => next = batch.len(),
                BatchEnd::Blocked { index, .. } => {
                    engine.cancel_block(session);
                    next += index + 1;
                }
            }
        }
        if !batch.is_empty() {
            batch.clear();
            out.truncate(0);
            session.close_after_reply = false;
        }
        // Bytes of a request still in progress count once read: the offset is approximate
        // by at most one request.
        let consumed = (start - conn.buf.len()) as u64;
        if consumed > 0 {
            repl.advance(consumed);
        }
        if ack {
            send_ack(conn, repl.reploff()).await?;
        }
        if !conn.buf.is_empty() && progressed {
            // More complete commands may wait in the buffer.
            continue;
        }
        // Room for the next read (a no-op while there is enough).
        conn.buf.reserve(READ_CHUNK);
        tokio::select! {
            biased;
            _ = handle.killed() => return Err("the link was killed (CLIENT KILL TYPE master)".into()),
            r = conn.stream.read_buf(&mut conn.buf) => match r {
                Ok(0) => return Err("the primary closed the connection".into()),
                Err(e) => return Err(format!("read error: {e}")),
                Ok(n) => {
                    engine.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    repl.touched_by_primary();
                }
            },
            _ = tick.tick() => {
                send_ack(conn, repl.reploff()).await?;
                if redoubt_commands::unix_ms() - repl.last_io_ms() > timeout_ms {
                    return Err("MASTER timeout: no data nor PING received".into());
                }
            }
        }
    }
}

async fn send_ack(conn: &mut Conn, offset: u64) -> Result<(), String> {
    let n = offset.to_string();
    conn.send(&[b"REPLCONF", b"ACK", n.as_bytes()]).await
}
