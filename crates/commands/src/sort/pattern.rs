//! SORT's BY and GET patterns (Redis's `lookupKeyByPattern`).
//!
//! - `#` stands for the element itself (GET # returns it).
//! - Otherwise the first `*` is replaced by the element to name a key; a pattern with no `*`
//!   names no key at all (GET answers null; BY with such a pattern means "do not sort").
//! - `key*->field`: the part after the first `->` that follows the `*` names a field of the
//!   hash at the key; a `->` with nothing after it is part of the key name.
//!
//! A key names a value only if it holds a string (no `->`) or a hash (with `->`); anything
//! else, like a missing key or field, finds nothing. Lookups count keyspace hits and misses
//! and expire keys lazily, as Redis's `lookupKeyRead` does.
//!
//! Redis reads the pattern with C string functions, so the `*`, the `->` and the `#` test
//! only see the bytes before a NUL; the same is done here.

use crate::strings::Lookup;
use redoubt_store::{Keyspace, Value};

/// A parsed BY or GET pattern.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pattern<'a> {
    kind: Kind<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Kind<'a> {
    /// `#`: the element itself.
    Element,
    /// No `*`: no key.
    Constant,
    /// `prefix*postfix` or `prefix*postfix->field`.
    Key { prefix: &'a [u8], postfix: &'a [u8], field: Option<&'a [u8]> },
}

/// What a pattern found: bytes, or an integer-encoded string value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Found<'a> {
    /// A string value or hash field, or the element itself.
    Bytes(&'a [u8]),
    /// A string value stored as an integer.
    Int(i64),
}

impl Found<'_> {
    /// Calls `f` with the bytes (an integer formatted on the stack).
    pub(super) fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Found::Bytes(b) => f(b),
            Found::Int(v) => f(itoa::Buffer::new().format(v).as_bytes()),
        }
    }
}

/// The first occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl<'a> Pattern<'a> {
    /// Parses `raw` as Redis reads it.
    pub(super) fn parse(raw: &'a [u8]) -> Pattern<'a> {
        let c_len = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
        let c_str = &raw[..c_len];
        let kind = if c_str == b"#" {
            Kind::Element
        } else if let Some(star) = c_str.iter().position(|&c| c == b'*') {
            // The first "->" after the `*`, if something follows it in the C string.
            let arrow = find(&c_str[star + 1..], b"->").map(|i| star + 1 + i).filter(|&a| a + 2 < c_len);
            match arrow {
                Some(a) => Kind::Key { prefix: &raw[..star], postfix: &raw[star + 1..a], field: Some(&raw[a + 2..]) },
                None => Kind::Key { prefix: &raw[..star], postfix: &raw[star + 1..], field: None },
            }
        } else {
            Kind::Constant
        };
        Pattern { kind }
    }

    /// Whether the pattern names a key per element (it has a `*`). A BY pattern without
    /// one turns sorting off.
    pub(super) fn names_keys(&self) -> bool {
        matches!(self.kind, Kind::Key { .. })
    }

    /// What the pattern finds for `elem`. `key` is a scratch buffer for the key name.
    pub(super) fn lookup<'k>(
        &self,
        lk: Lookup,
        ks: &'k mut Keyspace,
        elem: &'k [u8],
        key: &mut Vec<u8>,
    ) -> Option<Found<'k>> {
        let (prefix, postfix, field) = match self.kind {
            Kind::Element => return Some(Found::Bytes(elem)),
            Kind::Constant => return None,
            Kind::Key { prefix, postfix, field } => (prefix, postfix, field),
        };
        key.clear();
        key.extend_from_slice(prefix);
        key.extend_from_slice(elem);
        key.extend_from_slice(postfix);
        match (lk.read(ks, key)?, field) {
            (Value::Hash(h), Some(field)) => h.get(field).map(Found::Bytes),
            (Value::Str(s), None) => Some(match s.as_bytes() {
                Some(b) => Found::Bytes(b),
                None => Found::Int(s.as_int().unwrap_or(0)),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key pattern's prefix, postfix and field.
    type Parts = (Vec<u8>, Vec<u8>, Option<Vec<u8>>);

    fn parts(raw: &[u8]) -> Option<Parts> {
        match Pattern::parse(raw).kind {
            Kind::Key { prefix, postfix, field } => {
                Some((prefix.to_vec(), postfix.to_vec(), field.map(<[u8]>::to_vec)))
            }
            _ => None,
        }
    }

    #[test]
    fn patterns_split_as_redis_does() {
        assert!(matches!(Pattern::parse(b"#").kind, Kind::Element));
        assert!(matches!(Pattern::parse(b"#\0x").kind, Kind::Element));
        assert!(matches!(Pattern::parse(b"##").kind, Kind::Constant));
        assert!(matches!(Pattern::parse(b"nosort").kind, Kind::Constant));
        assert!(matches!(Pattern::parse(b"a\0*").kind, Kind::Constant));
        assert_eq!(parts(b"w_*"), Some((b"w_".to_vec(), vec![], None)));
        assert_eq!(parts(b"o_*->weight"), Some((b"o_".to_vec(), vec![], Some(b"weight".to_vec()))));
        assert_eq!(parts(b"x:*->"), Some((b"x:".to_vec(), b"->".to_vec(), None)));
        assert_eq!(parts(b"a->b*c->d->e"), Some((b"a->b".to_vec(), b"c".to_vec(), Some(b"d->e".to_vec()))));
        assert_eq!(parts(b"*"), Some((vec![], vec![], None)));
        assert!(Pattern::parse(b"w_*").names_keys());
        assert!(!Pattern::parse(b"#").names_keys());
    }
}
