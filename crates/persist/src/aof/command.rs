//! Commands in an append-only file: RESP multibulk arrays (`*<argc>\r\n` then `$<len>\r\n
//! <bytes>\r\n` per argument), as Redis's `catAppendOnlyGenericCommand` writes them and
//! `loadSingleAppendOnlyFile` reads them. Lines starting with `#` between commands are
//! annotations and are skipped.
//!
//! The reader treats the file as untrusted: an announced length larger than what remains
//! of the file is a truncation, never an allocation; a line longer than Redis's 1024-byte
//! buffer without its newline is a format error.

use std::io::{self, BufRead};

/// Appends one command to `out` in RESP multibulk form.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    let mut num = itoa_buf();
    out.push(b'*');
    out.extend_from_slice(num.format(args.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in args {
        let a = a.as_ref();
        out.push(b'$');
        out.extend_from_slice(num.format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// A tiny integer formatter (this crate has no dependency for it).
struct Num([u8; 20], usize);

fn itoa_buf() -> Num {
    Num([0; 20], 0)
}

impl Num {
    fn format(&mut self, mut v: usize) -> &str {
        let mut i = 20;
        loop {
            i -= 1;
            self.0[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.1 = i;
        std::str::from_utf8(&self.0[i..]).unwrap_or("0")
    }
}

/// Why reading commands stopped.
#[derive(Debug)]
pub enum AofReadError {
    /// The data ends inside a command; everything before `valid_up_to` is whole commands.
    Truncated {
        /// Offset just after the last complete command.
        valid_up_to: u64,
    },
    /// The bytes at `offset` are not a command (Redis: "Bad file format").
    Format {
        /// Where the bad command starts.
        offset: u64,
    },
    /// Reading failed.
    Io(io::Error),
}

/// Longest annotation or header line (Redis's `AOF_ANNOTATION_LINE_MAX_LEN`).
const MAX_LINE: usize = 1024;

/// A line longer than [`MAX_LINE`]: a format error, told apart from errors of the reader
/// underneath (a sealed file's verification errors also come as `ErrorKind::Other`).
#[derive(Debug)]
struct LineTooLong;

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("line too long")
    }
}

impl std::error::Error for LineTooLong {}

fn is_too_long(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<LineTooLong>())
}

/// Reads commands one by one from an AOF stream of known length.
pub struct CommandReader<R> {
    r: R,
    len: u64,
    offset: u64,
    line: Vec<u8>,
}

/// A line read: its bytes (without CRLF), or the end of the data.
enum Line {
    Eof,
    Text,
}

impl<R: BufRead> CommandReader<R> {
    /// A reader over `r`, which holds `len` bytes starting at file offset `start`.
    pub fn new(r: R, start: u64, len: u64) -> Self {
        CommandReader { r, len: start + len, offset: start, line: Vec::new() }
    }

    /// Offset just after the last command returned.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn read_line(&mut self, pos: &mut u64) -> Result<Line, io::Error> {
        self.line.clear();
        let mut limited = io::Read::take(&mut self.r, MAX_LINE as u64 + 1);
        let n = limited.read_until(b'\n', &mut self.line)?;
        *pos += n as u64;
        if n == 0 {
            return Ok(Line::Eof);
        }
        if self.line.last() != Some(&b'\n') {
            // Either a short read at the end of the data, or a line too long.
            return if self.line.len() > MAX_LINE { Err(io::Error::other(LineTooLong)) } else { Ok(Line::Eof) };
        }
        self.line.pop();
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        Ok(Line::Text)
    }

    /// The next command; `Ok(None)` at a clean end of the data.
    pub fn next_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, AofReadError> {
        let start = self.offset;
        let mut pos = start;
        let truncated = AofReadError::Truncated { valid_up_to: start };
        let format = || AofReadError::Format { offset: start };
        let argc = loop {
            match self.read_line(&mut pos) {
                Ok(Line::Eof) if pos == start => return Ok(None),
                Ok(Line::Eof) => return Err(truncated),
                Ok(Line::Text) => {}
                Err(e) if is_too_long(&e) => return Err(format()),
                Err(e) => return Err(AofReadError::Io(e)),
            }
            if self.line.first() == Some(&b'#') {
                // An annotation: skipped, and counts as a complete "command" boundary.
                self.offset = pos;
                continue;
            }
            if self.line.first() != Some(&b'*') {
                return Err(format());
            }
            match parse_len(&self.line[1..]) {
                Some(n) if n >= 1 => break n,
                _ => return Err(format()),
            }
        };
        let mut args = Vec::with_capacity(argc.min(64) as usize);
        for _ in 0..argc {
            match self.read_line(&mut pos) {
                Ok(Line::Eof) => return Err(truncated),
                Ok(Line::Text) => {}
                Err(e) if is_too_long(&e) => return Err(format()),
                Err(e) => return Err(AofReadError::Io(e)),
            }
            if self.line.first() != Some(&b'$') {
                return Err(format());
            }
            let len = parse_len(&self.line[1..]).ok_or_else(format)?;
            // Never allocate what the file merely announces.
            if len.saturating_add(2) > self.len.saturating_sub(pos) {
                return Err(truncated);
            }
            let mut arg = vec![0u8; len as usize];
            self.r.read_exact(&mut arg).map_err(|e| read_err(e, start))?;
            let mut crlf = [0u8; 2];
            self.r.read_exact(&mut crlf).map_err(|e| read_err(e, start))?;
            pos += len + 2;
            args.push(arg);
        }
        self.offset = pos;
        Ok(Some(args))
    }
}

fn read_err(e: io::Error, start: u64) -> AofReadError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        AofReadError::Truncated { valid_up_to: start }
    } else {
        AofReadError::Io(e)
    }
}

/// A decimal length (`atoi`/`strtol` on well-formed input); `None` if not digits.
fn parse_len(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<AofReadError>) {
        let mut r = CommandReader::new(data, 0, data.len() as u64);
        let mut cmds = Vec::new();
        loop {
            match r.next_command() {
                Ok(Some(c)) => cmds.push(c),
                Ok(None) => return (cmds, None),
                Err(e) => return (cmds, Some(e)),
            }
        }
    }

    #[test]
    fn round_trip_and_annotations() {
        let mut buf = Vec::new();
        encode_command(&mut buf, &[&b"SET"[..], b"k", b"v\r\nx"]);
        buf.extend_from_slice(b"#TS:1234\r\n");
        encode_command(&mut buf, &[&b"DEL"[..], b""]);
        let (cmds, err) = read_all(&buf);
        assert!(err.is_none());
        assert_eq!(cmds, vec![vec![b"SET".to_vec(), b"k".to_vec(), b"v\r\nx".to_vec()], vec![b"DEL".to_vec(), vec![]]]);
    }

    #[test]
    fn truncation_and_garbage_are_told_apart() {
        let mut buf = Vec::new();
        encode_command(&mut buf, &[&b"SET"[..], b"k", b"v"]);
        let whole = buf.len() as u64;
        encode_command(&mut buf, &[&b"SET"[..], b"k2", b"v2"]);
        for cut in whole as usize + 1..buf.len() {
            let (cmds, err) = read_all(&buf[..cut]);
            assert_eq!(cmds.len(), 1);
            assert!(matches!(err, Some(AofReadError::Truncated { valid_up_to }) if valid_up_to == whole), "cut {cut}");
        }
        let mut bad = buf.clone();
        bad[whole as usize] = b'x';
        assert!(matches!(read_all(&bad).1, Some(AofReadError::Format { offset }) if offset == whole));
        // A huge announced length is a truncation, not an allocation.
        let (_, err) = read_all(b"*1\r\n$999999999999\r\nab");
        assert!(matches!(err, Some(AofReadError::Truncated { valid_up_to: 0 })));
        assert!(matches!(read_all(b"*0\r\n").1, Some(AofReadError::Format { offset: 0 })));
    }
}
