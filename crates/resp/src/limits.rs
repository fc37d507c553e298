//! Limits the request parser enforces before it allocates anything.

/// Limits enforced by the request parser before anything is allocated.
///
/// Whether a length error reads "invalid ..." or "unauthenticated ..." follows
/// Redis: a multibulk count above [`max_multibulk_len`](Self::max_multibulk_len)
/// is reported as *unauthenticated* when that limit is exactly
/// [`Limits::UNAUTHENTICATED_MAX_MULTIBULK_LEN`] (the pre-auth value, which no
/// Redis configuration can otherwise produce), and likewise for bulk lengths and
/// [`Limits::UNAUTHENTICATED_MAX_BULK_LEN`]. As in Redis, lengths beyond the
/// authenticated defaults are still "invalid" even before authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string in a request (`proto-max-bulk-len`), default 512 MiB.
    pub max_bulk_len: usize,
    /// Most elements in one multibulk request; default `i32::MAX`, as Redis (`INT_MAX`).
    pub max_multibulk_len: usize,
    /// Longest inline request, and longest `*N`/`$N` header, that may be
    /// buffered without its line end (`PROTO_INLINE_MAX_SIZE`), default 64 KiB.
    pub max_inline_len: usize,
    /// Most request data a connection may buffer (`client-query-buffer-limit`),
    /// default 1 GiB. Counts unparsed bytes plus the arguments already parsed
    /// for the request in progress (with their per-argument overhead).
    pub max_query_buffer: usize,
}

impl Limits {
    /// Redis's default `proto-max-bulk-len`: 512 MiB.
    pub const DEFAULT_MAX_BULK_LEN: usize = 512 * 1024 * 1024;
    /// Redis's multibulk count limit: `INT_MAX`.
    pub const DEFAULT_MAX_MULTIBULK_LEN: usize = i32::MAX as usize;
    /// Redis's `PROTO_INLINE_MAX_SIZE`: 64 KiB.
    pub const DEFAULT_MAX_INLINE_LEN: usize = 64 * 1024;
    /// Redis's default `client-query-buffer-limit`: 1 GiB.
    pub const DEFAULT_MAX_QUERY_BUFFER: usize = 1024 * 1024 * 1024;
    /// Most elements in a request from a client that has not authenticated (Redis: 10).
    pub const UNAUTHENTICATED_MAX_MULTIBULK_LEN: usize = 10;
    /// Largest bulk in a request from a client that has not authenticated (Redis: 16384).
    pub const UNAUTHENTICATED_MAX_BULK_LEN: usize = 16384;

    /// Redis's limits for a client that has not authenticated yet: 10 elements
    /// and 16384-byte bulks; the other fields are the defaults.
    pub fn unauthenticated() -> Limits {
        Limits {
            max_bulk_len: Self::UNAUTHENTICATED_MAX_BULK_LEN,
            max_multibulk_len: Self::UNAUTHENTICATED_MAX_MULTIBULK_LEN,
            ..Limits::default()
        }
    }

    /// Whether a multibulk count over the limit reads "unauthenticated".
    pub(crate) fn multibulk_is_unauthenticated(&self) -> bool {
        self.max_multibulk_len == Self::UNAUTHENTICATED_MAX_MULTIBULK_LEN
    }

    /// Whether a bulk length over the limit reads "unauthenticated".
    pub(crate) fn bulk_is_unauthenticated(&self) -> bool {
        self.max_bulk_len == Self::UNAUTHENTICATED_MAX_BULK_LEN
    }
}

impl Default for Limits {
    /// The Redis defaults.
    fn default() -> Self {
        Limits {
            max_bulk_len: Self::DEFAULT_MAX_BULK_LEN,
            max_multibulk_len: Self::DEFAULT_MAX_MULTIBULK_LEN,
            max_inline_len: Self::DEFAULT_MAX_INLINE_LEN,
            max_query_buffer: Self::DEFAULT_MAX_QUERY_BUFFER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_redis_defaults() {
        let l = Limits::default();
        assert_eq!(l.max_bulk_len, 536_870_912);
        assert_eq!(l.max_multibulk_len, 2_147_483_647);
        assert_eq!(l.max_inline_len, 65_536);
        assert_eq!(l.max_query_buffer, 1_073_741_824);
        assert!(!l.multibulk_is_unauthenticated());
        assert!(!l.bulk_is_unauthenticated());
    }

    #[test]
    fn unauthenticated_limits() {
        let l = Limits::unauthenticated();
        assert_eq!(l.max_bulk_len, 16384);
        assert_eq!(l.max_multibulk_len, 10);
        assert_eq!(l.max_inline_len, 65_536);
        assert_eq!(l.max_query_buffer, 1_073_741_824);
        assert!(l.multibulk_is_unauthenticated());
        assert!(l.bulk_is_unauthenticated());
    }
}
