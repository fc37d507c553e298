//! The reply writer: a connection's output buffer, in RESP2 or RESP3.

use bytes::{BufMut, BytesMut};

use crate::double::{write_g, StackStr};

/// Protocol version of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, every connection's version until `HELLO 3`.
    #[default]
    Resp2,
    /// RESP3 (`HELLO 3`): maps, sets, doubles, booleans, nulls, pushes, verbatim strings.
    Resp3,
}

/// A connection's output buffer; every reply is written through it in the
/// connection's protocol version.
///
/// Types that RESP2 lacks are written as Redis writes them to a RESP2 client:
/// a map as a flat array of twice its length, a set or push as an array, a
/// double as a bulk string, a boolean as `:1`/`:0`, a verbatim string as a bulk.
///
/// A buffer may be given a limit ([`set_limit`](Self::set_limit)): the client's output-buffer
/// limit. A write that would take it past the limit empties it and marks it
/// [`overflowed`](Self::overflowed); from then on every write is dropped, so one huge reply
/// to a client over its limit never grows the server by more than the limit. The
/// connection closes such a client without sending it anything more, as Redis does.
#[derive(Debug)]
pub struct ReplyBuffer {
    buf: BytesMut,
    protocol: Protocol,
    /// Most bytes the buffer may hold; `usize::MAX` when unlimited, 0 once overflowed.
    limit: usize,
    overflowed: bool,
}

impl Default for ReplyBuffer {
    fn default() -> Self {
        ReplyBuffer::new(Protocol::Resp2)
    }
}

/// Writes `s` with `\r` and `\n` replaced by spaces, so a one-line reply stays one line.
fn put_one_line(buf: &mut BytesMut, s: &[u8]) {
    if memchr::memchr2(b'\r', b'\n', s).is_none() {
        buf.extend_from_slice(s);
    } else {
        buf.extend(s.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    }
}

impl ReplyBuffer {
    /// An empty buffer for a connection speaking `protocol`.
    pub fn new(protocol: Protocol) -> Self {
        ReplyBuffer { buf: BytesMut::new(), protocol, limit: usize::MAX, overflowed: false }
    }

    /// Sets the most bytes the buffer may hold (`usize::MAX`: no limit). Has no effect once
    /// the buffer overflowed.
    pub fn set_limit(&mut self, limit: usize) {
        if !self.overflowed {
            self.limit = limit;
        }
    }

    /// Whether a write would have taken the buffer past its limit: its content was dropped
    /// and every later write is too.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Whether `n` more bytes fit under the limit; if not, drops the content and marks the
    /// buffer overflowed. One comparison when they fit.
    #[inline]
    fn room(&mut self, n: usize) -> bool {
        if self.buf.len().saturating_add(n) <= self.limit {
            return true;
        }
        self.overflowed = true;
        self.limit = 0;
        self.buf = BytesMut::new();
        false
    }

    /// Removes the first `n` bytes (written to the socket), keeping the rest.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        bytes::Buf::advance(&mut self.buf, n);
    }

    /// The protocol version replies are written in.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Changes the protocol version for the replies written from now on (`HELLO`).
    pub fn set_protocol(&mut self, p: Protocol) {
        self.protocol = p;
    }

    /// Bytes buffered.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Takes the buffered bytes, to hand them to the socket writer; the buffer is left empty.
    pub fn take(&mut self) -> BytesMut {
        self.buf.split()
    }

    /// The buffered bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Drops everything after the first `len` bytes (used to drop replies:
    /// `CLIENT REPLY OFF/SKIP`). Does nothing if `len` is not less than [`len`](Self::len).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// Writes a type byte, a length or count, and `\r\n`.
    fn header(&mut self, prefix: u8, n: u64) {
        if !self.room(23) {
            return;
        }
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n);
        self.buf.reserve(digits.len() + 3);
        self.buf.put_u8(prefix);
        self.buf.extend_from_slice(digits.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An aggregate header with a count that may not fit a `u64` (it always does on
    /// today's targets; saturate rather than wrap if not).
    fn aggregate(&mut self, prefix: u8, n: usize) {
        self.header(prefix, u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// A simple string, `+s\r\n`; any `\r` or `\n` in `s` is written as a space.
    pub fn simple(&mut self, s: &str) {
        if !self.room(s.len() + 3) {
            return;
        }
        self.buf.reserve(s.len() + 3);
        self.buf.put_u8(b'+');
        put_one_line(&mut self.buf, s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK\r\n`.
    pub fn ok(&mut self) {
        if !self.room(5) {
            return;
        }
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// An error reply, `-msg\r\n`. `msg` starts with its code (`ERR ...`,
    /// `WRONGTYPE ...`); a leading `-` is not doubled, an empty message is
    /// written as `-ERR`, and `\r`/`\n` in `msg` are written as spaces.
    pub fn error(&mut self, msg: &str) {
        if !self.room(msg.len() + 3) {
            return;
        }
        let msg = msg.strip_prefix('-').unwrap_or(msg);
        let msg = if msg.is_empty() { "ERR" } else { msg };
        self.buf.reserve(msg.len() + 3);
        self.buf.put_u8(b'-');
        put_one_line(&mut self.buf, msg.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer, `:n\r\n`.
    pub fn int(&mut self, n: i64) {
        if !self.room(23) {
            return;
        }
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n);
        self.buf.reserve(digits.len() + 3);
        self.buf.put_u8(b':');
        self.buf.extend_from_slice(digits.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string, `$len\r\n<b>\r\n`.
    pub fn bulk(&mut self, b: &[u8]) {
        if !self.room(b.len().saturating_add(25)) {
            return;
        }
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(b.len());
        self.buf.reserve(digits.len() + b.len() + 5);
        self.buf.put_u8(b'$');
        self.buf.extend_from_slice(digits.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer formatted as a bulk string (`$2\r\n42\r\n`), without allocating.
    pub fn bulk_int(&mut self, n: i64) {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n);
        self.bulk(digits.as_bytes());
    }

    /// A null: RESP2 null bulk `$-1`, RESP3 `_`.
    pub fn null(&mut self) {
        if !self.room(5) {
            return;
        }
        self.buf.extend_from_slice(match self.protocol {
            Protocol::Resp2 => b"$-1\r\n",
            Protocol::Resp3 => b"_\r\n",
        });
    }

    /// A null array: RESP2 `*-1`, RESP3 `_`.
    pub fn null_array(&mut self) {
        if !self.room(5) {
            return;
        }
        self.buf.extend_from_slice(match self.protocol {
            Protocol::Resp2 => b"*-1\r\n",
            Protocol::Resp3 => b"_\r\n",
        });
    }

    /// An array header, `*n`; the `n` elements follow.
    pub fn array(&mut self, n: usize) {
        self.aggregate(b'*', n);
    }

    /// A map header: RESP3 `%n`, RESP2 `*2n`; `n` key-value pairs follow.
    pub fn map(&mut self, n_pairs: usize) {
        match self.protocol {
            Protocol::Resp2 => self.aggregate(b'*', n_pairs.saturating_mul(2)),
            Protocol::Resp3 => self.aggregate(b'%', n_pairs),
        }
    }

    /// A set header: RESP3 `~n`, RESP2 `*n`; the `n` elements follow.
    pub fn set(&mut self, n: usize) {
        match self.protocol {
            Protocol::Resp2 => self.aggregate(b'*', n),
            Protocol::Resp3 => self.aggregate(b'~', n),
        }
    }

    /// A push header (pub/sub messages, invalidations): RESP3 `>n`, RESP2 `*n`.
    pub fn push(&mut self, n: usize) {
        match self.protocol {
            Protocol::Resp2 => self.aggregate(b'*', n),
            Protocol::Resp3 => self.aggregate(b'>', n),
        }
    }

    /// A double, formatted as C's `%.17g` (Redis 7.0): RESP3 `,<repr>`, RESP2 a
    /// bulk string. Infinities are `inf`/`-inf`, NaN is `nan`.
    pub fn double(&mut self, d: f64) {
        let mut text = StackStr::<48>::new();
        // %.17g of any double fits in 48 bytes; on the impossible failure,
        // fall back to the allocating formatter.
        let owned;
        let repr: &str = if write_g(&mut text, d, 17).is_ok() {
            text.as_str()
        } else {
            owned = crate::double::format_double(d);
            &owned
        };
        match self.protocol {
            Protocol::Resp2 => self.bulk(repr.as_bytes()),
            Protocol::Resp3 => {
                if !self.room(repr.len() + 3) {
                    return;
                }
                self.buf.reserve(repr.len() + 3);
                self.buf.put_u8(b',');
                self.buf.extend_from_slice(repr.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A boolean: RESP3 `#t`/`#f`, RESP2 `:1`/`:0`.
    pub fn boolean(&mut self, b: bool) {
        if !self.room(4) {
            return;
        }
        self.buf.extend_from_slice(match (self.protocol, b) {
            (Protocol::Resp2, true) => b":1\r\n",
            (Protocol::Resp2, false) => b":0\r\n",
            (Protocol::Resp3, true) => b"#t\r\n",
            (Protocol::Resp3, false) => b"#f\r\n",
        });
    }

    /// A verbatim string: RESP3 `=len\r\nfmt:text\r\n`, RESP2 a bulk of `text`.
    /// `format` is the three-byte type (`txt`, `mkd`); shorter is padded with
    /// spaces and longer is cut, as Redis does.
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        match self.protocol {
            Protocol::Resp2 => self.bulk(text),
            Protocol::Resp3 => {
                let mut ext = [b' '; 3];
                for (slot, &b) in ext.iter_mut().zip(format.as_bytes()) {
                    *slot = b;
                }
                self.aggregate(b'=', text.len().saturating_add(4));
                if !self.room(text.len().saturating_add(6)) {
                    return;
                }
                self.buf.reserve(text.len() + 6);
                self.buf.extend_from_slice(&ext);
                self.buf.put_u8(b':');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Pre-encoded bytes, written as they are.
    pub fn raw(&mut self, bytes: &[u8]) {
        if !self.room(bytes.len()) {
            return;
        }
        self.buf.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(f: impl Fn(&mut ReplyBuffer)) -> (String, String) {
        let mut r2 = ReplyBuffer::new(Protocol::Resp2);
        let mut r3 = ReplyBuffer::new(Protocol::Resp3);
        f(&mut r2);
        f(&mut r3);
        let s = |r: &ReplyBuffer| String::from_utf8_lossy(r.as_bytes()).into_owned();
        (s(&r2), s(&r3))
    }

    fn same(f: impl Fn(&mut ReplyBuffer), want: &str) {
        assert_eq!(both(f), (want.to_string(), want.to_string()));
    }

    #[test]
    fn a_write_past_the_limit_empties_the_buffer_and_later_writes_are_dropped() {
        let mut r = ReplyBuffer::new(Protocol::Resp2);
        r.set_limit(40);
        r.bulk(b"hello");
        assert_eq!(r.as_bytes(), b"$5\r\nhello\r\n");
        assert!(!r.overflowed());
        r.bulk(b"world, this is too long");
        assert!(r.overflowed());
        assert!(r.is_empty());
        r.ok();
        r.set_limit(usize::MAX);
        r.int(1);
        assert!(r.is_empty());
    }

    #[test]
    fn consume_keeps_what_was_not_written() {
        let mut r = ReplyBuffer::new(Protocol::Resp2);
        r.ok();
        r.int(7);
        r.consume(3);
        assert_eq!(r.as_bytes(), b"\r\n:7\r\n");
        r.consume(100);
        assert!(r.is_empty());
    }

    #[test]
    fn version_independent_replies() {
        same(|r| r.simple("PONG"), "+PONG\r\n");
        same(|r| r.simple("a\r\nb"), "+a  b\r\n");
        same(|r| r.ok(), "+OK\r\n");
        same(|r| r.error("ERR unknown command"), "-ERR unknown command\r\n");
        same(|r| r.error("WRONGTYPE x\ny"), "-WRONGTYPE x y\r\n");
        same(|r| r.error("-ERR x"), "-ERR x\r\n");
        same(|r| r.error(""), "-ERR\r\n");
        same(|r| r.int(-42), ":-42\r\n");
        same(|r| r.int(i64::MIN), ":-9223372036854775808\r\n");
        same(|r| r.bulk(b"hello"), "$5\r\nhello\r\n");
        same(|r| r.bulk(b""), "$0\r\n\r\n");
        same(|r| r.bulk_int(-7), "$2\r\n-7\r\n");
        same(|r| r.array(3), "*3\r\n");
        same(|r| r.raw(b"+X\r\n"), "+X\r\n");
    }

    #[test]
    fn version_dependent_replies() {
        assert_eq!(both(|r| r.null()), ("$-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|r| r.null_array()), ("*-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|r| r.map(2)), ("*4\r\n".into(), "%2\r\n".into()));
        assert_eq!(both(|r| r.set(2)), ("*2\r\n".into(), "~2\r\n".into()));
        assert_eq!(both(|r| r.push(3)), ("*3\r\n".into(), ">3\r\n".into()));
        assert_eq!(both(|r| r.boolean(true)), (":1\r\n".into(), "#t\r\n".into()));
        assert_eq!(both(|r| r.boolean(false)), (":0\r\n".into(), "#f\r\n".into()));
        assert_eq!(
            both(|r| r.double(0.1)),
            ("$19\r\n0.10000000000000001\r\n".into(), ",0.10000000000000001\r\n".into())
        );
        assert_eq!(both(|r| r.double(3.0)), ("$1\r\n3\r\n".into(), ",3\r\n".into()));
        assert_eq!(both(|r| r.double(f64::NEG_INFINITY)), ("$4\r\n-inf\r\n".into(), ",-inf\r\n".into()));
        assert_eq!(both(|r| r.double(f64::NAN)), ("$3\r\nnan\r\n".into(), ",nan\r\n".into()));
        assert_eq!(both(|r| r.verbatim("txt", b"hi")), ("$2\r\nhi\r\n".into(), "=6\r\ntxt:hi\r\n".into()));
        assert_eq!(both(|r| r.verbatim("m", b"")).1, "=4\r\nm  :\r\n");
        assert_eq!(both(|r| r.verbatim("mkdown", b"x")).1, "=5\r\nmkd:x\r\n");
    }

    #[test]
    fn buffer_management() {
        let mut r = ReplyBuffer::new(Protocol::default());
        assert_eq!(r.protocol(), Protocol::Resp2);
        assert!(r.is_empty());
        r.ok();
        let mark = r.len();
        r.int(1);
        r.truncate(mark);
        assert_eq!(r.as_bytes(), b"+OK\r\n");
        r.truncate(100);
        assert_eq!(r.len(), 5);
        r.set_protocol(Protocol::Resp3);
        r.null();
        assert_eq!(&r.take()[..], b"+OK\r\n_\r\n");
        assert!(r.is_empty());
        assert_eq!(r.protocol(), Protocol::Resp3);
    }
}
