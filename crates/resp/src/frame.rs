//! Complete RESP2/RESP3 values, for clients of the protocol (the audit tool,
//! tests, fuzzing); the server's hot path uses [`crate::RequestParser`] and
//! [`crate::ReplyBuffer`] instead.

use bytes::{BufMut, Bytes, BytesMut};

use crate::double::format_double;
use crate::error::ProtocolError;
use crate::number::parse_i64;

/// Deepest nesting of aggregates (arrays, maps, sets, pushes, attributes)
/// [`Frame::decode`] accepts.
pub const MAX_FRAME_DEPTH: usize = 128;

/// A full RESP2/RESP3 value.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// A simple string, `+OK`.
    Simple(String),
    /// An error, `-ERR ...` (or a RESP3 blob error `!len`), including its code.
    Error(String),
    /// An integer, `:42`.
    Integer(i64),
    /// A bulk string, `$len`.
    Bulk(Bytes),
    /// A null: RESP3 `_`, or RESP2's null bulk `$-1`.
    Null,
    /// RESP2's null array, `*-1`.
    NullArray,
    /// An array, `*n`.
    Array(Vec<Frame>),
    /// A RESP3 map, `%n`, as its key-value pairs in order.
    Map(Vec<(Frame, Frame)>),
    /// A RESP3 set, `~n`.
    Set(Vec<Frame>),
    /// A RESP3 push (out-of-band message), `>n`.
    Push(Vec<Frame>),
    /// A RESP3 double, `,1.5`.
    Double(f64),
    /// A RESP3 boolean, `#t` / `#f`.
    Boolean(bool),
    /// A RESP3 big number, `(12345678901234567890`, as its decimal text.
    BigNumber(String),
    /// A RESP3 verbatim string, `=len\r\nfmt:text`: its three-letter format and its text.
    Verbatim(String, Bytes),
    /// A RESP3 attribute, `|n`: key-value pairs attached to the value that follows.
    Attribute(Vec<(Frame, Frame)>, Box<Frame>),
}

/// Writes a type byte, a number and `\r\n`.
fn put_header(out: &mut BytesMut, prefix: u8, n: impl itoa::Integer) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n);
    out.reserve(digits.len() + 3);
    out.put_u8(prefix);
    out.extend_from_slice(digits.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Writes a one-line value: `\r` and `\n` become spaces.
fn put_line(out: &mut BytesMut, prefix: u8, s: &[u8]) {
    out.reserve(s.len() + 3);
    out.put_u8(prefix);
    out.extend(s.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    out.extend_from_slice(b"\r\n");
}

/// Writes a length-prefixed string: `prefix len \r\n data \r\n`.
fn put_blob(out: &mut BytesMut, prefix: u8, data: &[u8]) {
    put_header(out, prefix, data.len());
    out.reserve(data.len() + 2);
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Encodes a command as a RESP multibulk of bulk strings (what clients send).
pub fn encode_command(args: &[&[u8]], out: &mut BytesMut) {
    put_header(out, b'*', args.len());
    for arg in args {
        put_blob(out, b'$', arg);
    }
}

impl Frame {
    /// Appends the encoding of this frame to `out`.
    ///
    /// [`Frame::Null`] is written as RESP3 `_`; simple strings, errors and big
    /// numbers cannot hold `\r` or `\n`, so these are written as spaces, except
    /// in an error, which is then written as a RESP3 blob error (`!len`).
    /// A verbatim format is padded with spaces or cut to three bytes.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Frame::Simple(s) => put_line(out, b'+', s.as_bytes()),
            Frame::Error(s) => {
                if memchr::memchr2(b'\r', b'\n', s.as_bytes()).is_some() {
                    put_blob(out, b'!', s.as_bytes());
                } else {
                    put_line(out, b'-', s.as_bytes());
                }
            }
            Frame::Integer(n) => put_header(out, b':', *n),
            Frame::Bulk(b) => put_blob(out, b'$', b),
            Frame::Null => out.extend_from_slice(b"_\r\n"),
            Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
            Frame::Array(items) => Self::encode_items(out, b'*', items),
            Frame::Set(items) => Self::encode_items(out, b'~', items),
            Frame::Push(items) => Self::encode_items(out, b'>', items),
            Frame::Map(pairs) => Self::encode_pairs(out, b'%', pairs),
            Frame::Attribute(pairs, value) => {
                Self::encode_pairs(out, b'|', pairs);
                value.encode(out);
            }
            Frame::Double(d) => put_line(out, b',', format_double(*d).as_bytes()),
            Frame::Boolean(b) => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Frame::BigNumber(s) => put_line(out, b'(', s.as_bytes()),
            Frame::Verbatim(format, text) => {
                let mut ext = [b' '; 3];
                for (slot, &b) in ext.iter_mut().zip(format.as_bytes()) {
                    *slot = b;
                }
                put_header(out, b'=', text.len().saturating_add(4));
                out.reserve(text.len() + 6);
                out.extend_from_slice(&ext);
                out.put_u8(b':');
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            }
        }
    }

    fn encode_items(out: &mut BytesMut, prefix: u8, items: &[Frame]) {
        put_header(out, prefix, items.len());
        for item in items {
            item.encode(out);
        }
    }

    fn encode_pairs(out: &mut BytesMut, prefix: u8, pairs: &[(Frame, Frame)]) {
        put_header(out, prefix, pairs.len());
        for (key, value) in pairs {
            key.encode(out);
            value.encode(out);
        }
    }

    /// Decodes one frame from the front of `buf`, consuming its bytes; `Ok(None)`
    /// when the frame is not complete yet (nothing is consumed).
    ///
    /// Nesting deeper than [`MAX_FRAME_DEPTH`] is an error, and nothing is
    /// allocated by announced sizes: the frame is first checked to be complete,
    /// then built. Bulk strings are zero-copy slices of `buf`'s bytes. RESP3
    /// streamed strings and aggregates (`$?`, `*?`) are not supported.
    pub fn decode(buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        let checker = Decoder { buf, src: None };
        let Some((_, end)) = checker.frame(0, 0)? else {
            return Ok(None);
        };
        let data = buf.split_to(end).freeze();
        let builder = Decoder { buf: &data, src: Some(&data) };
        match builder.frame(0, 0)? {
            Some((frame, _)) => Ok(Some(frame)),
            None => Err(ProtocolError::InvalidFrame("inconsistent frame")),
        }
    }
}

/// Shorthand for a malformed frame.
fn invalid(what: &'static str) -> ProtocolError {
    ProtocolError::InvalidFrame(what)
}

/// One decoding pass over `buf`. Without `src` it only checks that a complete,
/// well-formed frame is present (returning placeholder frames, allocating
/// nothing); with `src` (the same bytes, frozen) it builds the frame.
struct Decoder<'a> {
    buf: &'a [u8],
    src: Option<&'a Bytes>,
}

/// The result of decoding at a position: the frame and the position after it,
/// or `None` if the input ends first.
type Step = Result<Option<(Frame, usize)>, ProtocolError>;

impl Decoder<'_> {
    /// The line starting at `pos` (without `\r\n`) and the position after it.
    fn line(&self, pos: usize) -> Result<Option<(&[u8], usize)>, ProtocolError> {
        let rest = self.buf.get(pos..).unwrap_or_default();
        let Some(cr) = memchr::memchr(b'\r', rest) else {
            return Ok(None);
        };
        match rest.get(cr + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some((&rest[..cr], pos + cr + 2))),
            Some(_) => Err(invalid("expected '\\n' after '\\r'")),
        }
    }

    /// A line holding a length or count: `-1` for null, else non-negative.
    fn length(&self, pos: usize) -> Result<Option<(i64, usize)>, ProtocolError> {
        let Some((text, next)) = self.line(pos)? else {
            return Ok(None);
        };
        if text == b"?" {
            return Err(invalid("streamed strings and aggregates are not supported"));
        }
        match parse_i64(text) {
            Some(n) if n >= -1 => Ok(Some((n, next))),
            _ => Err(invalid("invalid length")),
        }
    }

    /// Builds a string from bytes (invalid UTF-8 replaced), or a placeholder when checking.
    fn text(&self, bytes: &[u8], make: fn(String) -> Frame) -> Frame {
        match self.src {
            Some(_) => make(String::from_utf8_lossy(bytes).into_owned()),
            None => Frame::Null,
        }
    }

    /// A zero-copy slice of the source, or empty when checking.
    fn slice(&self, start: usize, end: usize) -> Bytes {
        self.src.map(|s| s.slice(start..end)).unwrap_or_default()
    }

    /// The frame starting at `pos`, nested `depth` aggregates deep.
    fn frame(&self, pos: usize, depth: usize) -> Step {
        let Some(&kind) = self.buf.get(pos) else {
            return Ok(None);
        };
        let body = pos + 1;
        match kind {
            b'+' | b'-' | b'(' | b',' | b'#' | b'_' | b':' => {
                let Some((text, next)) = self.line(body)? else {
                    return Ok(None);
                };
                let frame = match kind {
                    b'+' => self.text(text, Frame::Simple),
                    b'-' => self.text(text, Frame::Error),
                    b'(' => {
                        let digits = text.strip_prefix(b"-").unwrap_or(text);
                        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                            return Err(invalid("invalid big number"));
                        }
                        self.text(text, Frame::BigNumber)
                    }
                    b',' => Frame::Double(
                        std::str::from_utf8(text)
                            .ok()
                            .and_then(|t| t.parse::<f64>().ok())
                            .ok_or(invalid("invalid double"))?,
                    ),
                    b'#' => match text {
                        b"t" => Frame::Boolean(true),
                        b"f" => Frame::Boolean(false),
                        _ => return Err(invalid("invalid boolean")),
                    },
                    b'_' if text.is_empty() => Frame::Null,
                    b'_' => return Err(invalid("invalid null")),
                    _ => Frame::Integer(parse_i64(text).ok_or(invalid("invalid integer"))?),
                };
                Ok(Some((frame, next)))
            }
            b'$' | b'!' | b'=' => {
                let Some((len, start)) = self.length(body)? else {
                    return Ok(None);
                };
                if len == -1 {
                    return match kind {
                        b'$' => Ok(Some((Frame::Null, start))),
                        _ => Err(invalid("invalid length")),
                    };
                }
                let len = usize::try_from(len).map_err(|_| invalid("invalid length"))?;
                let end = start.checked_add(len).ok_or(invalid("invalid length"))?;
                let Some(trailer) = self.buf.get(end..end.saturating_add(2)) else {
                    return Ok(None);
                };
                if trailer.len() < 2 {
                    return Ok(None);
                }
                if trailer != b"\r\n" {
                    return Err(invalid("expected '\\r\\n' after a string"));
                }
                let data = &self.buf[start..end];
                let frame = match kind {
                    b'$' => Frame::Bulk(self.slice(start, end)),
                    b'!' => self.text(data, Frame::Error),
                    _ => {
                        if data.len() < 4 || data[3] != b':' {
                            return Err(invalid("invalid verbatim string"));
                        }
                        match self.src {
                            Some(_) => Frame::Verbatim(
                                String::from_utf8_lossy(&data[..3]).into_owned(),
                                self.slice(start + 4, end),
                            ),
                            None => Frame::Null,
                        }
                    }
                };
                Ok(Some((frame, end + 2)))
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let Some((count, mut next)) = self.length(body)? else {
                    return Ok(None);
                };
                if count == -1 {
                    return match kind {
                        b'*' => Ok(Some((Frame::NullArray, next))),
                        _ => Err(invalid("invalid length")),
                    };
                }
                if depth >= MAX_FRAME_DEPTH {
                    return Err(invalid("nesting too deep"));
                }
                let count = usize::try_from(count).map_err(|_| invalid("invalid length"))?;
                let pairs = matches!(kind, b'%' | b'|');
                let elements = if pairs { count.checked_mul(2).ok_or(invalid("invalid length"))? } else { count };
                // Checking allocates nothing; building happens only once the
                // whole frame is known to be present, and every element takes
                // at least three bytes, so the capacity is backed by data.
                let capacity = match self.src {
                    Some(_) => elements.min(self.buf.len().saturating_sub(next) / 3),
                    None => 0,
                };
                let mut items = Vec::with_capacity(capacity);
                for _ in 0..elements {
                    let Some((item, after)) = self.frame(next, depth + 1)? else {
                        return Ok(None);
                    };
                    if self.src.is_some() {
                        items.push(item);
                    }
                    next = after;
                }
                let frame = match kind {
                    b'*' => Frame::Array(items),
                    b'~' => Frame::Set(items),
                    b'>' => Frame::Push(items),
                    _ => {
                        let mut pairs = Vec::with_capacity(items.len() / 2);
                        let mut iter = items.into_iter();
                        while let (Some(k), Some(v)) = (iter.next(), iter.next()) {
                            pairs.push((k, v));
                        }
                        if kind == b'%' {
                            Frame::Map(pairs)
                        } else {
                            let Some((value, after)) = self.frame(next, depth + 1)? else {
                                return Ok(None);
                            };
                            next = after;
                            Frame::Attribute(pairs, Box::new(value))
                        }
                    }
                };
                Ok(Some((frame, next)))
            }
            _ => Err(invalid("unknown type byte")),
        }
    }
}

#[cfg(test)]
mod tests;
