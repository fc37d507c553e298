//! A small synchronous RESP2 client over `TcpStream`, TLS ([`crate::tls`]) or `UnixStream`:
//! the same code whatever the stream, bounded in time
//! (a connect and read timeout per request, and a deadline for the whole audit), in
//! requests, and in reply size.

use crate::options::Target;
use crate::tls::{self, Session, TlsSetup, TlsStream};
use redoubt_resp::{encode_command, BytesMut, Frame};
use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The most requests one audit sends, over all its connections.
pub const MAX_REQUESTS: u32 = 400;
/// The largest reply accepted (INFO, ACL LIST and COMMAND INFO are far smaller).
pub const MAX_REPLY: usize = 4 * 1024 * 1024;

/// The shared limits of one audit: per-request timeout, deadline, request budget.
#[derive(Debug)]
pub struct Budget {
    timeout: Duration,
    deadline: Instant,
    remaining: Cell<u32>,
}

impl Budget {
    /// A budget of [`MAX_REQUESTS`] requests, each waiting at most `timeout`, all done
    /// within `total`.
    pub fn new(timeout: Duration, total: Duration) -> Rc<Budget> {
        Rc::new(Budget { timeout, deadline: Instant::now() + total, remaining: Cell::new(MAX_REQUESTS) })
    }

    /// The time one step may take: the timeout, or less near the deadline.
    pub fn step(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the audit's deadline was reached"));
        }
        Ok(left.min(self.timeout))
    }

    /// Counts one request (or handshake) against the budget.
    pub fn spend(&self) -> io::Result<()> {
        match self.remaining.get() {
            0 => Err(io::Error::other(format!("the audit's budget of {MAX_REQUESTS} requests is spent"))),
            n => {
                self.remaining.set(n - 1);
                Ok(())
            }
        }
    }
}

enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream>),
    Unix(UnixStream),
}

impl Stream {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(Some(t)).and_then(|_| s.set_write_timeout(Some(t))),
            Stream::Tls(s) => s.sock.set_read_timeout(Some(t)).and_then(|_| s.sock.set_write_timeout(Some(t))),
            Stream::Unix(s) => s.set_read_timeout(Some(t)).and_then(|_| s.set_write_timeout(Some(t))),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// One connection to the audited server.
pub struct Client {
    stream: Stream,
    buf: BytesMut,
    budget: Rc<Budget>,
    /// The peer address (TCP only).
    pub peer: Option<SocketAddr>,
    /// The TLS handshake, over TLS.
    pub tls: Option<Session>,
}

/// Resolves a TCP target to its first address (bounded by the system resolver).
pub fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("'{host}' has no address")))
}

impl Client {
    /// Connects to `target`.
    pub fn connect(target: &Target, budget: &Rc<Budget>) -> io::Result<Client> {
        let step = budget.step()?;
        let (stream, peer) = match target {
            Target::Tcp { host, port } => {
                let addr = resolve(host, *port)?;
                let s = TcpStream::connect_timeout(&addr, step)?;
                s.set_nodelay(true).ok();
                (Stream::Tcp(s), Some(addr))
            }
            Target::Unix(path) => (Stream::Unix(UnixStream::connect(path)?), None),
        };
        Ok(Client { stream, buf: BytesMut::with_capacity(4096), budget: budget.clone(), peer, tls: None })
    }

    /// Connects to a TCP `target` and performs the TLS handshake (within one request's time),
    /// with the client certificate when `client_cert` and one was given. A handshake error
    /// keeps rustls's error inside the `io::Error` for [`tls::classify`].
    pub fn connect_tls(
        target: &Target,
        budget: &Rc<Budget>,
        setup: &TlsSetup,
        client_cert: bool,
    ) -> io::Result<Client> {
        let Target::Tcp { host, port } = target else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "TLS does not apply to a unix socket"));
        };
        let name = setup.server_name(host).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        budget.spend()?;
        let addr = resolve(host, *port)?;
        let tcp = TcpStream::connect_timeout(&addr, budget.step()?)?;
        tcp.set_nodelay(true).ok();
        let (stream, session) = tls::handshake(tcp, setup.config(client_cert), name, budget.step()?)?;
        Ok(Client {
            stream: Stream::Tls(Box::new(stream)),
            buf: BytesMut::with_capacity(4096),
            budget: budget.clone(),
            peer: Some(addr),
            tls: Some(session),
        })
    }

    /// Sends one command and reads its reply. An error reply is `Ok(Frame::Error(..))`;
    /// `Err` is a transport problem (timeout, closed connection, not RESP).
    pub fn call(&mut self, args: &[&str]) -> io::Result<Frame> {
        self.budget.spend()?;
        let mut out = BytesMut::new();
        let parts: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        encode_command(&parts, &mut out);
        self.stream.set_timeouts(self.budget.step()?)?;
        self.stream.write_all(&out)?;
        self.read_frame()
    }

    /// [`Client::call`], also returning how long the reply took.
    pub fn call_timed(&mut self, args: &[&str]) -> (io::Result<Frame>, Duration) {
        let start = Instant::now();
        let r = self.call(args);
        (r, start.elapsed())
    }

    fn read_frame(&mut self) -> io::Result<Frame> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match Frame::decode(&mut self.buf) {
                Ok(Some(f)) => return Ok(f),
                Ok(None) => {}
                Err(e) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, format!("not a RESP reply: {e}")));
                }
            }
            if self.buf.len() > MAX_REPLY {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "reply larger than 4 MiB"));
            }
            self.stream.set_timeouts(self.budget.step()?)?;
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The text of a simple string, bulk string or verbatim string reply.
pub fn text(f: &Frame) -> Option<String> {
    match f {
        Frame::Simple(s) => Some(s.clone()),
        Frame::Bulk(b) | Frame::Verbatim(_, b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

/// The text of an error reply.
pub fn error(f: &Frame) -> Option<&str> {
    match f {
        Frame::Error(e) => Some(e),
        _ => None,
    }
}

/// A short, single-line description of a reply, for evidence.
pub fn describe(f: &Frame) -> String {
    let s = match f {
        Frame::Error(e) => format!("-{e}"),
        Frame::Null | Frame::NullArray => "(nil)".to_string(),
        Frame::Integer(n) => format!("(integer) {n}"),
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => format!("({} elements)", v.len()),
        Frame::Map(v) => format!("({} pairs)", v.len()),
        other => text(other).unwrap_or_else(|| format!("{other:?}")),
    };
    let mut one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one_line.len() > 120 {
        let mut cut = 117;
        while !one_line.is_char_boundary(cut) {
            cut -= 1;
        }
        one_line.truncate(cut);
        one_line.push_str("...");
    }
    one_line
}

/// The pairs of a CONFIG GET reply (a flat RESP2 array or a RESP3 map).
pub fn pairs(f: &Frame) -> Vec<(String, String)> {
    match f {
        Frame::Array(v) => {
            v.chunks(2).filter_map(|c| Some((text(c.first()?)?, text(c.get(1)?).unwrap_or_default()))).collect()
        }
        Frame::Map(v) => v.iter().filter_map(|(k, val)| Some((text(k)?, text(val).unwrap_or_default()))).collect(),
        _ => Vec::new(),
    }
}

/// Parses INFO text into `key -> value` (later sections never repeat keys in practice).
pub fn parse_info(s: &str) -> std::collections::BTreeMap<String, String> {
    s.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use redoubt_resp::Bytes;

    #[test]
    fn helpers() {
        let info = parse_info("# Server\r\nredis_version:7.0.15\r\nrole:master\r\n");
        assert_eq!(info["redis_version"], "7.0.15");
        let f = Frame::Array(vec![
            Frame::Bulk(Bytes::from_static(b"dir")),
            Frame::Bulk(Bytes::from_static(b"/tmp")),
            Frame::Bulk(Bytes::from_static(b"odd")),
        ]);
        assert_eq!(pairs(&f), vec![("dir".to_string(), "/tmp".to_string())]);
        assert_eq!(describe(&Frame::Error("NOAUTH x\r\ny".into())), "-NOAUTH x  y");
        assert_eq!(describe(&Frame::Bulk(Bytes::from(vec![b'a'; 300]))).len(), 120);
    }

    #[test]
    fn budget_is_bounded() {
        let b = Budget::new(Duration::from_secs(1), Duration::from_secs(10));
        for _ in 0..MAX_REQUESTS {
            b.spend().unwrap();
        }
        assert!(b.spend().is_err());
        let late = Budget::new(Duration::from_secs(1), Duration::ZERO);
        assert!(late.step().is_err());
    }
}
