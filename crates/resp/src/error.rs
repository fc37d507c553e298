//! Protocol errors, with Redis's exact wording.

use std::fmt;

/// A request (or frame) that cannot be parsed.
///
/// For request errors the connection writes [`ProtocolError::reply_text`] (when
/// it is `Some`) and then closes, as Redis does. `Display` gives the message
/// without the `ERR ` code, e.g. `Protocol error: invalid bulk length`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// A `*N` header that is not a number, or larger than the multibulk limit.
    InvalidMultibulkLength,
    /// A `$N` header that is not a number, negative, or larger than the bulk limit.
    InvalidBulkLength,
    /// An element of a multibulk request that does not start with `$`; holds the byte seen.
    ExpectedDollar(u8),
    /// No `\r` within the inline limit while reading a `*N` header.
    TooBigMultibulkCount,
    /// No `\r` within the inline limit while reading a `$N` header.
    TooBigBulkCount,
    /// No newline within the inline limit while reading an inline request.
    TooBigInline,
    /// An inline request with an unterminated quote, or a closing quote not
    /// followed by a space.
    UnbalancedQuotes,
    /// A multibulk count above the limit for clients that have not authenticated.
    UnauthenticatedMultibulkLength,
    /// A bulk length above the limit for clients that have not authenticated.
    UnauthenticatedBulkLength,
    /// The buffered, unparsed request data exceeds `client-query-buffer-limit`.
    /// Redis closes the connection without a reply.
    QueryBufferLimit,
    /// An HTTP request line or header (`POST`, `Host:`, `GET / HTTP/1.1`) was
    /// received: a likely cross-protocol attack. Redis closes the connection
    /// without a reply, and nothing after that line may run.
    CrossProtocol,
    /// A malformed RESP2/RESP3 frame (only returned by [`crate::Frame::decode`]);
    /// holds a short description.
    InvalidFrame(&'static str),
}

impl ProtocolError {
    /// The error reply Redis sends before closing, e.g.
    /// `Some("ERR Protocol error: invalid bulk length")`, or `None` when Redis
    /// closes the connection silently ([`QueryBufferLimit`](Self::QueryBufferLimit),
    /// [`CrossProtocol`](Self::CrossProtocol)).
    pub fn reply_text(&self) -> Option<String> {
        match self {
            ProtocolError::QueryBufferLimit | ProtocolError::CrossProtocol => None,
            other => Some(format!("ERR {other}")),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ProtocolError::InvalidMultibulkLength => "Protocol error: invalid multibulk length",
            ProtocolError::InvalidBulkLength => "Protocol error: invalid bulk length",
            ProtocolError::ExpectedDollar(byte) => {
                // Redis prints the byte with %c and then maps \r and \n to
                // spaces so the reply stays one line; other bytes are shown as
                // the Latin-1 character of the same value.
                let shown = match *byte {
                    b'\r' | b'\n' => ' ',
                    b => char::from(b),
                };
                return write!(f, "Protocol error: expected '$', got '{shown}'");
            }
            ProtocolError::TooBigMultibulkCount => "Protocol error: too big mbulk count string",
            ProtocolError::TooBigBulkCount => "Protocol error: too big bulk count string",
            ProtocolError::TooBigInline => "Protocol error: too big inline request",
            ProtocolError::UnbalancedQuotes => "Protocol error: unbalanced quotes in request",
            ProtocolError::UnauthenticatedMultibulkLength => "Protocol error: unauthenticated multibulk length",
            ProtocolError::UnauthenticatedBulkLength => "Protocol error: unauthenticated bulk length",
            ProtocolError::QueryBufferLimit => "client query buffer exceeds client-query-buffer-limit",
            ProtocolError::CrossProtocol => "possible cross-protocol attack: HTTP request line or header received",
            ProtocolError::InvalidFrame(what) => return write!(f, "Protocol error: {what}"),
        };
        f.write_str(text)
    }
}

impl std::error::Error for ProtocolError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_texts_are_redis_texts() {
        let cases = [
            (ProtocolError::InvalidMultibulkLength, "Protocol error: invalid multibulk length"),
            (ProtocolError::InvalidBulkLength, "Protocol error: invalid bulk length"),
            (ProtocolError::ExpectedDollar(b'x'), "Protocol error: expected '$', got 'x'"),
            (ProtocolError::ExpectedDollar(b'\r'), "Protocol error: expected '$', got ' '"),
            (ProtocolError::TooBigMultibulkCount, "Protocol error: too big mbulk count string"),
            (ProtocolError::TooBigBulkCount, "Protocol error: too big bulk count string"),
            (ProtocolError::TooBigInline, "Protocol error: too big inline request"),
            (ProtocolError::UnbalancedQuotes, "Protocol error: unbalanced quotes in request"),
            (ProtocolError::UnauthenticatedMultibulkLength, "Protocol error: unauthenticated multibulk length"),
            (ProtocolError::UnauthenticatedBulkLength, "Protocol error: unauthenticated bulk length"),
        ];
        for (err, text) in cases {
            assert_eq!(err.to_string(), text);
            assert_eq!(err.reply_text(), Some(format!("ERR {text}")));
        }
    }

    #[test]
    fn silent_closes_have_no_reply() {
        assert_eq!(ProtocolError::QueryBufferLimit.reply_text(), None);
        assert_eq!(ProtocolError::CrossProtocol.reply_text(), None);
    }
}
