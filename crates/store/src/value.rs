//! [`Value`]: what a key holds, and [`ValueMut`], the write guard that keeps a database's
//! memory accounting exact.
//!
//! `Value` is kept to 24 bytes (it sits in every slot of the keyspace): strings use the
//! compact [`StrValue`]; collection types added later (list, hash, set, sorted set) must be
//! boxed variants so the enum does not grow.

use std::ops::{Deref, DerefMut};

use crate::hash::HashValue;
use crate::list::ListValue;
use crate::set::SetValue;
use crate::string::StrValue;
use crate::zset::ZSetValue;

/// The value stored at a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string (Redis type "string").
    Str(StrValue),
    /// A list (boxed: collections keep `Value` at 24 bytes).
    List(Box<ListValue>),
    /// A hash.
    Hash(Box<HashValue>),
    /// A set.
    Set(Box<SetValue>),
    /// A sorted set.
    ZSet(Box<ZSetValue>),
}

impl Value {
    /// A string value holding a copy of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Value {
        Value::Str(StrValue::from_bytes(bytes))
    }

    /// The type name TYPE reports: "string" (later "list", "hash", "set", "zset").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The encoding name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::List(v) => v.encoding_name(),
            Value::Hash(v) => v.encoding_name(),
            Value::Set(v) => v.encoding_name(),
            Value::ZSet(v) => v.encoding_name(),
        }
    }

    /// The string, if this is a string value.
    pub fn as_str(&self) -> Option<&StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string, mutably, if this is a string value.
    pub fn as_str_mut(&mut self) -> Option<&mut StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Heap bytes owned by the value (allocator rounding included). O(1).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_bytes(),
            Value::List(v) => std::mem::size_of::<ListValue>() + v.heap_bytes(),
            Value::Hash(v) => std::mem::size_of::<HashValue>() + v.heap_bytes(),
            Value::Set(v) => std::mem::size_of::<SetValue>() + v.heap_bytes(),
            Value::ZSet(v) => std::mem::size_of::<ZSetValue>() + v.heap_bytes(),
        }
    }

    /// Estimated memory of the value: its inline size plus the heap it owns. O(1).
    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Value>() + self.heap_bytes()
    }
}

impl From<StrValue> for Value {
    fn from(s: StrValue) -> Value {
        Value::Str(s)
    }
}

/// Mutable access to a value inside a [`crate::Db`]. Derefs to [`Value`]; when dropped it
/// re-measures the value and corrects the database's memory count, so in-place changes
/// (APPEND, SETRANGE, replacing the value outright) stay accounted for. Leaking the guard
/// (`mem::forget`) skips the correction.
pub struct ValueMut<'a> {
    value: &'a mut Value,
    heap_before: usize,
    heap_total: &'a mut usize,
}

impl<'a> ValueMut<'a> {
    pub(crate) fn new(value: &'a mut Value, heap_total: &'a mut usize) -> ValueMut<'a> {
        ValueMut { heap_before: value.heap_bytes(), value, heap_total }
    }
}

impl Deref for ValueMut<'_> {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value
    }
}

impl DerefMut for ValueMut<'_> {
    fn deref_mut(&mut self) -> &mut Value {
        self.value
    }
}

impl Drop for ValueMut<'_> {
    fn drop(&mut self) {
        let after = self.value.heap_bytes();
        *self.heap_total = self.heap_total.saturating_sub(self.heap_before).saturating_add(after);
    }
}

impl std::fmt::Debug for ValueMut<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ValueMut").field(&*self.value).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_small() {
        // Every slot of the keyspace holds one: new variants must be boxed.
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn guard_accounts() {
        let mut v = Value::from_bytes(b"abc");
        let mut total = 1000;
        {
            let mut g = ValueMut::new(&mut v, &mut total);
            g.as_str_mut().unwrap().make_mut_bytes().extend_from_slice(&[b'x'; 100]);
        }
        assert_eq!(total, 1000 + v.heap_bytes());
        {
            let mut g = ValueMut::new(&mut v, &mut total);
            *g = Value::from_bytes(b"1");
        }
        assert_eq!(total, 1000);
        assert_eq!(v.type_name(), "string");
        assert_eq!(v.encoding_name(), "int");
        assert_eq!(v.mem_usage(), 24);
    }
}
