//! A raw RESP client for the engine-feature tests (transactions, blocking, pub/sub): it
//! sends commands and reads whole replies exactly as they are on the wire, so tests assert
//! on concrete bytes (`*-1` against `_`, `>3` push frames) that client libraries smooth over.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A connection speaking raw RESP.
pub struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Raw { reader: BufReader::new(s.try_clone().unwrap()), writer: s }
    }

    /// Sends one command without waiting for its reply.
    pub fn send(&mut self, args: &[&str]) {
        self.writer.write_all(&encode(args)).unwrap();
    }

    /// Sends raw bytes (a pipeline).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    /// Sends one command and reads its reply.
    pub fn call(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.read()
    }

    /// Reads one whole reply, as its wire text.
    pub fn read(&mut self) -> String {
        let mut out = Vec::new();
        read_frame(&mut self.reader, &mut out).expect("a reply");
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Reads one reply if it arrives within `wait`; `None` if nothing arrived.
    pub fn try_read(&mut self, wait: Duration) -> Option<String> {
        self.reader.get_ref().set_read_timeout(Some(wait)).unwrap();
        let got = if self.reader.buffer().is_empty() {
            self.reader.fill_buf().map(|b| !b.is_empty()).unwrap_or(false)
        } else {
            true
        };
        self.reader.get_ref().set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        if got {
            Some(self.read())
        } else {
            None
        }
    }

    /// Whether the server closed the connection (reads until EOF or `wait` passes,
    /// discarding whatever arrives).
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut buf = vec![0u8; 1 << 16];
        while Instant::now() < deadline {
            self.reader.get_ref().set_read_timeout(Some(Duration::from_millis(200))).unwrap();
            match self.reader.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(_) => return true,
            }
        }
        false
    }

    /// The underlying socket.
    pub fn stream(&self) -> &TcpStream {
        &self.writer
    }
}

/// Encodes a command as a RESP array of bulk strings.
pub fn encode(args: &[&str]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a.as_bytes());
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// The wire text of an array of bulk strings (what most replies here look like).
pub fn bulks(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&format!("${}\r\n{}\r\n", i.len(), i));
    }
    s
}

/// Reads one RESP2/RESP3 frame into `out`.
fn read_frame(r: &mut BufReader<TcpStream>, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed"));
    }
    out.extend_from_slice(&line);
    let head = line[0];
    let n: i64 =
        std::str::from_utf8(&line[1..line.len().saturating_sub(2)]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    match head {
        b'$' | b'=' | b'!' if n >= 0 => {
            let mut body = vec![0u8; n as usize + 2];
            r.read_exact(&mut body)?;
            out.extend_from_slice(&body);
        }
        b'*' | b'>' | b'~' => {
            for _ in 0..n.max(0) {
                read_frame(r, out)?;
            }
        }
        b'%' | b'|' => {
            for _ in 0..n.max(0) * 2 {
                read_frame(r, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Waits until INFO reports `n` blocked clients.
pub fn wait_blocked(c: &mut Raw, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = c.call(&["INFO", "clients"]);
        if info.contains(&format!("blocked_clients:{n}\r\n")) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {n} blocked clients: {info}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
