//! The incremental request parser.
//!
//! Requests come in two forms, told apart by their first byte as Redis does:
//! a multibulk (`*N\r\n` followed by `N` bulks `$len\r\n<len bytes>\r\n`) or,
//! for anything else, an inline line (`GET key\r\n`). The parser keeps its
//! place between reads: parsed arguments of a request in progress are held,
//! a bulk whose header has been read is waited for by length alone, and the
//! scan for a line end resumes where it stopped, so no byte is scanned twice
//! however the request is split across reads.

use std::mem;

use bytes::{Buf, Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::inline;
use crate::limits::Limits;
use crate::number::parse_i64;

/// Initial capacity of a request's argument vector, whatever count it announces.
const MAX_INITIAL_ARGS: usize = 1024;

/// Memory an argument costs beyond its bytes, for the query buffer limit.
const ARG_OVERHEAD: usize = mem::size_of::<Bytes>();

/// Most arguments a request may have to take the fast path.
const FAST_MAX_ARGS: usize = 1024;

/// Reads the common form of a header's number at `pos`: a non-negative
/// decimal of at most 18 digits without leading zeros, then `\r` and one more
/// byte (taken to be `\n`, as Redis does). Returns the number and the position
/// after the line; `None` for anything else, including an incomplete line.
#[inline]
fn fast_number(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let first = *buf.get(pos)?;
    let mut n = u64::from(first.wrapping_sub(b'0'));
    if n > 9 {
        return None;
    }
    let mut i = pos + 1;
    // The line ends with \r and one more byte, so `i + 1` must be in the buffer.
    while i + 1 < buf.len() {
        let b = buf[i];
        let digit = b.wrapping_sub(b'0');
        if digit <= 9 {
            // No leading zeros; at most 18 digits (below 10^18, no overflow).
            if n == 0 || i - pos >= 18 {
                return None;
            }
            n = n * 10 + u64::from(digit);
            i += 1;
        } else if b == b'\r' {
            return Some((usize::try_from(n).ok()?, i + 2));
        } else {
            return None;
        }
    }
    None
}

/// Incremental request parser: keeps its place between reads, so a large bulk
/// arriving in many reads is not rescanned from the start each time.
///
/// One parser serves one connection. Between calls the caller may only append
/// to the buffer it passes to [`parse`](Self::parse) (reading from the socket
/// into it); the parser removes the bytes it consumes from the front. After a
/// protocol error the connection is to be closed; the parser's state is then
/// unspecified (but using it further never panics).
///
/// A whole request already in the buffer takes a fast path: it is checked,
/// split off the buffer at once, and its arguments sliced from it.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments of the multibulk request in progress.
    args: Vec<Bytes>,
    /// Elements of that request still to read; 0 when no multibulk is in progress.
    remaining: usize,
    /// Length of the bulk whose `$len` header has been consumed, if any.
    bulk_len: Option<usize>,
    /// Bytes at the front of the buffer already searched for a line end (the
    /// line in progress starts at the front of the buffer).
    scanned: usize,
    /// Memory held by `args`: their bytes plus `ARG_OVERHEAD` each.
    held: usize,
    /// Bytes still needed for the bulk being waited for (0 if unknown).
    hint: usize,
    /// Scratch space of the fast path: where each argument lies.
    ranges: Vec<(usize, usize)>,
}

impl RequestParser {
    /// A parser at the start of a connection's stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets any request in progress (for a caller that discards its buffer).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Bytes the parser knows it still needs for the request in progress (0 if
    /// unknown): a read-size hint.
    ///
    /// The figure comes from a length the client announced: cap it before
    /// reserving memory for it.
    pub fn pending_hint(&self) -> usize {
        self.hint
    }

    /// Memory held by the arguments of the request in progress (CLIENT LIST `argv-mem`).
    pub fn held(&self) -> usize {
        self.held
    }

    /// Parses one complete request from the front of `buf`, consuming its
    /// bytes. `Ok(None)`: need more data.
    ///
    /// Arguments are zero-copy [`Bytes`] split off `buf` (inline arguments that
    /// needed unquoting are copies). Empty inline lines (bare `"\r\n"` or
    /// `"\n"`, or only blanks) are skipped, as Redis does; so is a multibulk
    /// with a count `<= 0` (`*0`, `*-1`). On error the connection writes
    /// [`ProtocolError::reply_text`], if any, and closes.
    pub fn parse(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        self.hint = 0;
        loop {
            if buf.len().saturating_add(self.held) > limits.max_query_buffer {
                return Err(ProtocolError::QueryBufferLimit);
            }
            if self.remaining == 0 {
                let Some(&first) = buf.first() else {
                    return Ok(None);
                };
                if first == b'*' {
                    if let Some(args) = self.whole_request(buf, limits) {
                        return Ok(Some(args));
                    }
                    match self.multibulk_header(buf, limits)? {
                        None => return Ok(None),
                        // `*0`, `*-1`: no command; look for the next request.
                        Some(0) => continue,
                        Some(count) => {
                            self.remaining = count;
                            self.args = Vec::with_capacity(count.min(MAX_INITIAL_ARGS));
                        }
                    }
                } else {
                    match self.inline_request(buf, limits)? {
                        None => return Ok(None),
                        Some(args) if args.is_empty() => continue,
                        Some(args) => return Ok(Some(args)),
                    }
                }
            }
            return self.bulks(buf, limits);
        }
    }

    /// The fast path: a whole, well-formed multibulk of at most
    /// [`FAST_MAX_ARGS`] arguments already in `buf`, within every limit, is
    /// split off at once and its arguments sliced from it. Returns `None`
    /// (consuming nothing) for anything else, which the incremental path then
    /// handles, errors included, so both paths give the same results.
    fn whole_request(&mut self, buf: &mut BytesMut, limits: &Limits) -> Option<Vec<Bytes>> {
        let data: &[u8] = buf;
        let (count, mut pos) = fast_number(data, 1)?;
        if count == 0 || count > FAST_MAX_ARGS || count > limits.max_multibulk_len {
            return None;
        }
        self.ranges.clear();
        let mut held = 0usize;
        for i in 0..count {
            if data.get(pos) != Some(&b'$') {
                return None;
            }
            let (len, start) = fast_number(data, pos + 1)?;
            if len > limits.max_bulk_len {
                return None;
            }
            let end = start.checked_add(len)?;
            pos = end.checked_add(2)?;
            if pos > data.len() {
                return None;
            }
            self.ranges.push((start, end));
            // The incremental path checks the query buffer after each argument
            // but the last; leave it to fail where it would.
            held += len + ARG_OVERHEAD;
            if i + 1 < count && (data.len() - pos).saturating_add(held) > limits.max_query_buffer {
                return None;
            }
        }
        let request = buf.split_to(pos).freeze();
        // A header may have been partly scanned by an earlier call.
        self.scanned = 0;
        let args = self.ranges.iter().map(|&(start, end)| request.slice(start..end)).collect();
        if self.ranges.capacity() > 64 {
            // Keep no more than a small request's worth of scratch space.
            self.ranges = Vec::new();
        }
        Some(args)
    }

    /// Finds the `\r` ending the header line at the front of `buf`, resuming
    /// the search where the last call stopped. `Ok(None)` when the line is not
    /// complete yet; `too_big` when no `\r` is buffered and the buffered bytes
    /// exceed the inline limit (as Redis, which also needs one byte after the
    /// `\r`, taken to be the `\n`).
    fn header_line(
        &mut self,
        buf: &BytesMut,
        limits: &Limits,
        too_big: ProtocolError,
    ) -> Result<Option<usize>, ProtocolError> {
        let from = self.scanned.min(buf.len());
        match memchr::memchr(b'\r', &buf[from..]) {
            Some(offset) => {
                let cr = from + offset;
                if cr + 1 < buf.len() {
                    self.scanned = 0;
                    Ok(Some(cr))
                } else {
                    self.scanned = cr;
                    Ok(None)
                }
            }
            None if buf.len() > limits.max_inline_len => Err(too_big),
            None => {
                self.scanned = buf.len();
                Ok(None)
            }
        }
    }

    /// Reads a `*N` header. Returns the element count, 0 for a count `<= 0`.
    fn multibulk_header(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Option<usize>, ProtocolError> {
        let Some(cr) = self.header_line(buf, limits, ProtocolError::TooBigMultibulkCount)? else {
            return Ok(None);
        };
        let count = parse_i64(&buf[1..cr]).ok_or(ProtocolError::InvalidMultibulkLength)?;
        let count = if count <= 0 {
            0
        } else {
            let count = usize::try_from(count).map_err(|_| ProtocolError::InvalidMultibulkLength)?;
            if count > limits.max_multibulk_len {
                return Err(if limits.multibulk_is_unauthenticated() && count <= Limits::DEFAULT_MAX_MULTIBULK_LEN {
                    ProtocolError::UnauthenticatedMultibulkLength
                } else {
                    ProtocolError::InvalidMultibulkLength
                });
            }
            count
        };
        buf.advance(cr + 2);
        Ok(Some(count))
    }

    /// Reads a `$len` header; returns the bulk length.
    fn bulk_header(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Option<usize>, ProtocolError> {
        let Some(cr) = self.header_line(buf, limits, ProtocolError::TooBigBulkCount)? else {
            return Ok(None);
        };
        if buf[0] != b'$' {
            return Err(ProtocolError::ExpectedDollar(buf[0]));
        }
        let len =
            parse_i64(&buf[1..cr]).and_then(|n| usize::try_from(n).ok()).ok_or(ProtocolError::InvalidBulkLength)?;
        if len > limits.max_bulk_len {
            return Err(if limits.bulk_is_unauthenticated() && len <= Limits::DEFAULT_MAX_BULK_LEN {
                ProtocolError::UnauthenticatedBulkLength
            } else {
                ProtocolError::InvalidBulkLength
            });
        }
        buf.advance(cr + 2);
        Ok(Some(len))
    }

    /// Reads the bulks of the multibulk in progress; returns the request once
    /// all have arrived.
    fn bulks(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        while self.remaining > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => match self.bulk_header(buf, limits)? {
                    Some(len) => len,
                    None => return Ok(None),
                },
            };
            // The bulk and its trailing "\r\n" (which, like Redis, we skip unchecked).
            let needed = len.saturating_add(2);
            if buf.len() < needed {
                self.bulk_len = Some(len);
                self.hint = needed - buf.len();
                return Ok(None);
            }
            self.bulk_len = None;
            let arg = buf.split_to(len).freeze();
            buf.advance(2);
            self.held = self.held.saturating_add(len + ARG_OVERHEAD);
            self.args.push(arg);
            self.remaining -= 1;
            if self.remaining > 0 && buf.len().saturating_add(self.held) > limits.max_query_buffer {
                return Err(ProtocolError::QueryBufferLimit);
            }
        }
        self.held = 0;
        Ok(Some(mem::take(&mut self.args)))
    }

    /// Reads an inline request: one line, split into arguments.
    fn inline_request(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let from = self.scanned.min(buf.len());
        let Some(offset) = memchr::memchr(b'\n', &buf[from..]) else {
            if buf.len() > limits.max_inline_len {
                return Err(ProtocolError::TooBigInline);
            }
            self.scanned = buf.len();
            return Ok(None);
        };
        self.scanned = 0;
        let newline = from + offset;
        let mut line = buf.split_to(newline + 1).freeze();
        line.truncate(newline);
        if line.last() == Some(&b'\r') {
            line.truncate(newline - 1);
        }
        if inline::looks_like_http(&line) {
            return Err(ProtocolError::CrossProtocol);
        }
        let args = inline::split_args(&line)?;
        if inline::args_look_like_http(&args) {
            return Err(ProtocolError::CrossProtocol);
        }
        Ok(Some(args))
    }
}

#[cfg(test)]
mod tests;
