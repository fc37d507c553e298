//! Starting and stopping the data server: listeners, accept loops with maxclients, the cron,
//! and signal handling.

use crate::access::{ConnGate, Door};
use crate::connection::serve;
use crate::listen::{bind_tcp, bind_unix};
use crate::workers::Workers;
use redoubt_commands::{unix_ms, Engine, Session, Transport};
use redoubt_config::Config;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, UnixListener};
use tokio::task::JoinSet;

/// Why the server could not start.
#[derive(Debug)]
pub struct ServerError(pub String);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServerError {}

/// Redis's reply to a client over `maxclients`.
const MAX_CLIENTS_REPLY: &[u8] = b"-ERR max number of clients reached\r\n";

/// Runs the data server until SHUTDOWN or a signal. Must be called inside a tokio runtime.
pub async fn run(config: Config, config_file: Option<String>) -> Result<(), ServerError> {
    // Refuse an exposed or leaky install before any socket opens (see preflight.rs).
    let warnings = crate::preflight::check(&config).inspect_err(|e| crate::access::audit_start_refused(&config, e))?;
    for w in &warnings {
        tracing::warn!("{}", w.message);
    }
    let mut tcp = Vec::new();
    if config.port != 0 {
        for spec in &config.bind {
            match bind_tcp(spec, config.port, config.tcp_backlog).map_err(|e| ServerError(e.to_string()))? {
                Some(l) => tcp.push(l),
                None => tracing::warn!("optional bind address {spec} unavailable, skipped"),
            }
        }
        if tcp.is_empty() {
            return Err(ServerError("no TCP address could be bound".into()));
        }
    }
    // TLS (tls.rs): the settings and files are checked now, so a wrong one refuses the start.
    let tls = crate::tls::Tls::load(&config).map_err(ServerError)?;
    let mut tls_listeners = Vec::new();
    if let Some(tls) = &tls {
        if tls.port() == config.port {
            return Err(ServerError(format!(
                "port and tls-port are both {}: give TLS its own port, or set port 0 for TLS only",
                config.port
            )));
        }
        for spec in &config.bind {
            match bind_tcp(spec, tls.port(), config.tcp_backlog).map_err(|e| ServerError(e.to_string()))? {
                Some(l) => tls_listeners.push(l),
                None => tracing::warn!("optional bind address {spec} unavailable for TLS, skipped"),
            }
        }
        if tls_listeners.is_empty() {
            return Err(ServerError("no TLS address could be bound".into()));
        }
    }
    let unix = match &config.unixsocket {
        Some(path) => Some(
            bind_unix(path, config.unixsocketperm.unwrap_or(0o700))
                .map_err(|e| ServerError(format!("unix socket {}: {e}", path.display())))?,
        ),
        None => None,
    };
    if tcp.is_empty() && unix.is_none() && tls_listeners.is_empty() {
        return Err(ServerError("nothing to listen on: port and tls-port are 0 and no unixsocket is set".into()));
    }

    let mut listening: Vec<String> = tcp.iter().filter_map(|l| l.local_addr().ok()).map(|a| a.to_string()).collect();
    listening.extend(tls_listeners.iter().filter_map(|l| l.local_addr().ok()).map(|a| format!("{a} (TLS)")));
    let posture = config.describe_posture();
    let hz = config.hz.max(1);
    let engine = Arc::new(Engine::new(config));
    {
        let mut facts = engine.facts.write().unwrap_or_else(|e| e.into_inner());
        facts.tcp_port = tcp.first().and_then(|l| l.local_addr().ok()).map(|a| a.port()).unwrap_or(0);
        facts.executable = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default();
        facts.config_file = config_file.unwrap_or_default();
    }
    // The gate (access.rs): users, permissions, throttle, audit log; installed in the engine.
    let door = crate::access::Door::start(&engine, &warnings).map_err(ServerError)?;
    // The append-only file or the snapshot (preflight checked their modes); a bad file stops
    // the start.
    redoubt_commands::aof::load_at_start(&engine).map_err(ServerError)?;

    tracing::info!(
        "listening on {}; {}",
        if listening.is_empty() { "no TCP".to_string() } else { listening.join(", ") },
        posture
    );
    // The lines tools wait for (Redis's test suite among them), on stdout as redis-server prints them.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "Redoubt {} PID: {}", env!("CARGO_PKG_VERSION"), std::process::id());
    let _ = writeln!(stdout, "Ready to accept connections");
    let _ = stdout.flush();

    // Connections run on the workers (workers.rs); this runtime accepts and runs the cron.
    let threads = match engine.config().value("io-threads").and_then(|v| v.parse::<usize>().ok()) {
        Some(n) if n > 0 => n,
        _ => Workers::default_count(),
    };
    let busy_poll = engine.config().value("busy-poll-us").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let workers = Arc::new(
        Workers::start(threads, Duration::from_micros(busy_poll))
            .map_err(|e| ServerError(format!("cannot start the io-threads: {e}")))?,
    );
    let mut tasks = JoinSet::new();
    for listener in tcp {
        tasks.spawn(accept_tcp(listener, engine.clone(), door.clone(), workers.clone()));
    }
    if let Some(listener) = unix {
        tasks.spawn(accept_unix(listener, engine.clone(), door.clone(), workers.clone()));
    }
    if let Some(tls) = &tls {
        for listener in tls_listeners {
            tasks.spawn(accept_tls(listener, engine.clone(), tls.clone(), door.clone(), workers.clone()));
        }
        tasks.spawn(tls.watcher(engine.clone()));
    }
    tasks.spawn(cron(engine.clone(), hz));
    // Replication: the `replicaof` directive's primary, then whatever REPLICAOF names.
    redoubt_commands::replication::start_from_config(&engine);
    tasks.spawn(crate::replication::run_links(engine.clone()));
    tasks.spawn(crate::access::housekeeping(door.clone()));

    let signals = wait_for_signal();
    tokio::select! {
        _ = signals => tracing::info!("received a shutdown signal"),
        _ = engine.shutdown_requested() => tracing::info!("SHUTDOWN requested by a client"),
    }
    engine.request_shutdown();
    tasks.abort_all();
    // Give live connections a moment to write their last replies.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !engine.clients.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if let Some(path) = &engine.config().unixsocket {
        let _ = std::fs::remove_file(path);
    }
    redoubt_commands::aof::shutdown(&engine);
    if let Err(e) = redoubt_commands::persistence::save_on_shutdown(&engine) {
        tracing::error!("{e}");
    }
    tracing::info!("Redoubt is now ready to exit, bye bye...");
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// Whether a new client fits under maxclients; counts the refusal if not.
fn admit(engine: &Engine) -> bool {
    engine.stats.connections.fetch_add(1, Ordering::Relaxed);
    let max = engine.config().maxclients as usize;
    if engine.clients.len() >= max {
        engine.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
        return false;
    }
    true
}

/// Hands an accepted (and registered) client to the next worker, which adopts the socket into
/// its own event loop (`adopt`) and serves it there.
fn hand_to_worker<Std, S>(
    workers: &Workers,
    engine: &Arc<Engine>,
    session: Session,
    conn: ConnGate,
    stream: Std,
    adopt: fn(Std) -> std::io::Result<S>,
) where
    Std: Send + 'static,
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let engine = engine.clone();
    workers.spawn(async move {
        match adopt(stream) {
            Ok(stream) => serve(stream, engine, session, conn).await,
            Err(e) => {
                tracing::warn!("cannot serve a connection: {e}");
                engine.clients.unregister(session.handle.id);
            }
        }
    });
}

async fn accept_tcp(listener: TcpListener, engine: Arc<Engine>, door: Arc<Door>, workers: Arc<Workers>) {
    let laddr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    loop {
        let (mut stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // The allowlist, before a byte is read (access.rs): refused connections just close.
        if !door.allowed(peer) {
            continue;
        }
        if !admit(&engine) {
            tokio::spawn(async move {
                let _ = stream.write_all(MAX_CLIENTS_REPLY).await;
            });
            continue;
        }
        // Protected mode and the per-source cap (access.rs).
        let conn = match door.admit(&engine, Some(peer)) {
            Ok(conn) => conn,
            Err(reply) => {
                tokio::spawn(async move {
                    let _ = stream.write_all(reply).await;
                });
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok(stream) = stream.into_std() else { continue };
        let handle = engine.clients.register(peer.to_string(), laddr.clone(), Transport::Tcp, unix_ms());
        let session = Session::new(handle);
        hand_to_worker(&workers, &engine, session, conn, stream, tokio::net::TcpStream::from_std);
    }
}

/// The TLS port's accept loop. Nothing is written before the handshake completes (no
/// plaintext on a TLS port, not even an error): a connection over maxclients is told so over
/// TLS, after its handshake. The handshake runs on the connection's own task.
///
/// The allowlist and the per-source cap are checked before the handshake (they need only
/// `peer`); a refusal that has a reply (protected mode, the cap) is sent over TLS after it.
/// With `tls-auth-clients-user CN`, a verified client certificate's CN logs the client in as
/// that user when it exists and is on (access.rs).
async fn accept_tls(
    listener: TcpListener,
    engine: Arc<Engine>,
    tls: Arc<crate::tls::Tls>,
    door: Arc<Door>,
    workers: Arc<Workers>,
) {
    let laddr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !door.allowed(peer) {
            continue;
        }
        let _ = stream.set_nodelay(true);
        tls.refresh_on_accept(&engine);
        let Ok(stream) = stream.into_std() else { continue };
        let (engine, tls, laddr, door) = (engine.clone(), tls.clone(), laddr.clone(), door.clone());
        workers.spawn(async move {
            let Ok(stream) = tokio::net::TcpStream::from_std(stream) else { return };
            let admitted = door.admit(&engine, Some(peer));
            let Some(accepted) = tls.handshake(stream, peer).await else { return };
            let mut stream = accepted.stream;
            let mut conn = match admitted {
                Ok(conn) => conn,
                Err(reply) => {
                    let _ = stream.write_all(reply).await;
                    let _ = stream.shutdown().await;
                    return;
                }
            };
            if !admit(&engine) {
                let _ = stream.write_all(MAX_CLIENTS_REPLY).await;
                let _ = stream.shutdown().await;
                return;
            }
            let handle = engine.clients.register(peer.to_string(), laddr, Transport::Tcp, unix_ms());
            let mut session = Session::new(handle);
            if tls.cn_as_user() {
                conn.login_on_start(accepted.client_cn.clone());
            }
            session.tls_client_cn = accepted.client_cn;
            serve(stream, engine, session, conn).await;
        });
    }
}

async fn accept_unix(listener: UnixListener, engine: Arc<Engine>, door: Arc<Door>, workers: Arc<Workers>) {
    let path = listener
        .local_addr()
        .ok()
        .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
        .or_else(|| engine.config().unixsocket.as_ref().map(|p| p.display().to_string()))
        .unwrap_or_default();
    loop {
        let (mut stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !admit(&engine) {
            tokio::spawn(async move {
                let _ = stream.write_all(MAX_CLIENTS_REPLY).await;
            });
            continue;
        }
        let conn = match door.admit(&engine, None) {
            Ok(conn) => conn,
            Err(reply) => {
                tokio::spawn(async move {
                    let _ = stream.write_all(reply).await;
                });
                continue;
            }
        };
        let Ok(stream) = stream.into_std() else { continue };
        let handle = engine.clients.register(format!("{path}:0"), path.clone(), Transport::Unix, unix_ms());
        let session = Session::new(handle);
        hand_to_worker(&workers, &engine, session, conn, stream, tokio::net::UnixStream::from_std);
    }
}

/// Redis's serverCron: active expiry, and closing clients idle longer than `timeout`.
async fn cron(engine: Arc<Engine>, hz: u32) {
    let mut tick = tokio::time::interval(Duration::from_millis((1000 / hz as u64).max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        engine.cron();
        redoubt_commands::persistence::cron(&engine);
        redoubt_commands::aof::cron(&engine);
        let timeout_s = engine.config().timeout;
        if timeout_s > 0 {
            let now = unix_ms();
            for c in engine.clients.all() {
                // As Redis, blocked clients and subscribers are not idle: they wait on purpose.
                if c.is_blocked() || c.is_subscriber() {
                    continue;
                }
                if now - c.last_interaction_ms.load(Ordering::Relaxed) > timeout_s as i64 * 1000 {
                    tracing::debug!(client = %c.addr, "closing idle client");
                    c.kill();
                }
            }
        }
    }
}
