//! What a command handler works with: its arguments, the reply buffer, the keyspace (held
//! under the store's single lock for the whole batch), the connection's session and the
//! engine's shared state. Also the errors handlers return, in Redis's words, and the
//! argument parsers every family shares.

use crate::engine::Engine;
use crate::session::Session;
use bytes::Bytes;
use redoubt_resp::ReplyBuffer;
use redoubt_store::{Db, Keyspace};
use std::borrow::Cow;

/// A command implementation.
pub type Handler = fn(&mut Ctx<'_>) -> CmdResult;

/// What a handler returns: its reply is already in the buffer on `Ok`.
pub type CmdResult = Result<(), CmdError>;

/// A command error; the text starts with its Redis error code (`ERR`, `WRONGTYPE` ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(pub Cow<'static, str>);

impl CmdError {
    /// An `ERR` error with the given text.
    pub fn err(msg: impl Into<String>) -> CmdError {
        CmdError(Cow::Owned(format!("ERR {}", msg.into())))
    }
    /// An error whose text already carries its code.
    pub const fn raw(msg: &'static str) -> CmdError {
        CmdError(Cow::Borrowed(msg))
    }
    /// `WRONGTYPE`.
    pub const fn wrong_type() -> CmdError {
        CmdError::raw("WRONGTYPE Operation against a key holding the wrong kind of value")
    }
    /// Not an integer.
    pub const fn not_integer() -> CmdError {
        CmdError::raw("ERR value is not an integer or out of range")
    }
    /// Not a float.
    pub const fn not_float() -> CmdError {
        CmdError::raw("ERR value is not a valid float")
    }
    /// Syntax error.
    pub const fn syntax() -> CmdError {
        CmdError::raw("ERR syntax error")
    }
    /// Missing key where one is required.
    pub const fn no_such_key() -> CmdError {
        CmdError::raw("ERR no such key")
    }
    /// Integer overflow on INCR and friends.
    pub const fn overflow() -> CmdError {
        CmdError::raw("ERR increment or decrement would overflow")
    }
    /// Wrong arity, as dispatch reports it.
    pub fn arity(fullname: &str) -> CmdError {
        CmdError::err(format!("wrong number of arguments for '{fullname}' command"))
    }
    /// The error text.
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// Everything a handler may use while it runs.
pub struct Ctx<'a> {
    /// The arguments, the command name first.
    pub args: &'a [Bytes],
    /// Where the reply goes.
    pub out: &'a mut ReplyBuffer,
    /// All databases; the store lock is held while the handler runs.
    pub keyspace: &'a mut Keyspace,
    /// The connection's state.
    pub session: &'a mut Session,
    /// Shared server state (config, clients, stats).
    pub engine: &'a Engine,
    /// The time of this batch, in unix milliseconds.
    pub now_ms: i64,
}

impl Ctx<'_> {
    /// The session's selected database.
    pub fn db(&mut self) -> &mut Db {
        self.keyspace.db(self.session.db)
    }

    /// Argument `i` as bytes.
    pub fn arg(&self, i: usize) -> &[u8] {
        &self.args[i]
    }

    /// Argument `i` parsed as a Redis integer.
    pub fn int_arg(&self, i: usize) -> Result<i64, CmdError> {
        parse_i64(&self.args[i]).ok_or(CmdError::not_integer())
    }

    /// Argument `i` parsed as a Redis float.
    pub fn float_arg(&self, i: usize) -> Result<f64, CmdError> {
        parse_f64(&self.args[i]).ok_or(CmdError::not_float())
    }

    /// The fullname of the running command, as error messages name it.
    pub fn command_name(&self) -> String {
        String::from_utf8_lossy(&self.args[0]).to_lowercase()
    }
}

/// Parses a Redis integer strictly, as `string2ll`: optional `-`, digits, no leading zeros,
/// no spaces, no `+`, within i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i128).wrapping_neg() as i64)
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses a Redis float as `strtold` would with Redis's checks: no surrounding spaces, no
/// NaN; `inf`, `+inf`, `-inf` allowed.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() > 5120 {
        return None;
    }
    if s[0].is_ascii_whitespace() || s[s.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let lower = text.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => {
            // Rust's parser accepts forms strtod accepts too, but also "nan" and "infinity"
            // spelled oddly; reject anything alphabetic other than an exponent marker.
            if lower.bytes().any(|c| c.is_ascii_alphabetic() && c != b'e') {
                return None;
            }
            lower.parse::<f64>().ok()?
        }
    };
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

/// How often (in draws) a repeated-draws reply checks its size.
const SIZE_CHECK_EVERY: usize = 1024;

/// The reply of HRANDFIELD, SRANDMEMBER and ZRANDMEMBER with a negative count: `header`
/// writes the array header, then `n` independent draws, each written by `draw`, are streamed
/// (nothing is allocated by the count). Drawing stops once the client is over its output
/// limit (it is being closed, obuf.rs); a reply that would outgrow `reply_cap`
/// (proto-max-bulk-len) is taken back and refused.
pub(crate) fn repeated_draws(
    out: &mut ReplyBuffer,
    n: usize,
    reply_cap: usize,
    header: impl FnOnce(&mut ReplyBuffer),
    mut draw: impl FnMut(&mut ReplyBuffer),
) -> CmdResult {
    let start = out.len();
    header(out);
    for i in 0..n {
        draw(out);
        if out.overflowed() {
            return Ok(());
        }
        if i % SIZE_CHECK_EVERY == SIZE_CHECK_EVERY - 1 && out.len().saturating_sub(start) > reply_cap {
            out.truncate(start);
            return Err(CmdError::err("reply exceeds proto-max-bulk-len"));
        }
    }
    Ok(())
}

/// The `count [option]` arguments of HRANDFIELD and ZRANDMEMBER, with Redis's range
/// checks: the count, and whether the option (WITHVALUES, WITHSCORES) was given.
pub(crate) fn random_count_args(ctx: &Ctx<'_>, option: &str) -> Result<(i64, bool), CmdError> {
    let args = ctx.args;
    let count = ctx.int_arg(2)?;
    if count == i64::MIN {
        return Err(CmdError::err(format!("value is out of range, value must between {} and {}", -i64::MAX, i64::MAX)));
    }
    if args.len() > 4 || (args.len() == 4 && !is_opt(&args[3], option)) {
        return Err(CmdError::syntax());
    }
    let with = args.len() == 4;
    // Pairs double the reply's length: Redis keeps the doubled count in range.
    if with && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::err("value is out of range"));
    }
    Ok((count, with))
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is_opt(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_as_redis_does() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [&b""[..], b"-0", b"01", b"+1", b" 1", b"1 ", b"9223372036854775808", b"1a", b"-"] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn floats_parse_as_redis_does() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        for bad in [&b""[..], b"nan", b" 1", b"1 ", b"abc", b"0x10"] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
