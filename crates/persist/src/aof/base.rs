//! A base file in command form (`aof-use-rdb-preamble no`), as Redis's
//! `rewriteAppendOnlyFileRio` writes it: per database a SELECT, then per key the commands
//! that rebuild it (SET, RPUSH, SADD, ZADD, HSET, at most 64 elements per command) and a
//! PEXPIREAT for a key with a deadline.

use super::encode_command;
use redoubt_store::{Keyspace, Value};
use std::io::{self, Write};

/// Elements per command (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

/// Writes the live keys of `ks` as commands to `w`; returns the number of keys.
pub fn write_commands_base<W: Write>(mut w: W, ks: &Keyspace, now_ms: i64) -> io::Result<u64> {
    let mut keys = 0u64;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut failed = Ok(());
    for index in 0..ks.db_count() {
        let Some(db) = ks.db_ref(index) else { continue };
        if db.is_empty() {
            continue;
        }
        encode_command(&mut buf, &[&b"SELECT"[..], index.to_string().as_bytes()]);
        db.for_each_entry(now_ms, |key, value, deadline| {
            if failed.is_err() {
                return;
            }
            keys += 1;
            put_key(&mut buf, key, value);
            if let Some(ms) = deadline {
                encode_command(&mut buf, &[&b"PEXPIREAT"[..], key, ms.to_string().as_bytes()]);
            }
            if buf.len() >= 1 << 16 {
                failed = w.write_all(&buf);
                buf.clear();
            }
        });
        std::mem::replace(&mut failed, Ok(()))?;
    }
    w.write_all(&buf)?;
    w.flush()?;
    Ok(keys)
}

/// The commands that rebuild one key.
fn put_key(buf: &mut Vec<u8>, key: &[u8], value: &Value) {
    let mut batch = |cmd: &'static [u8], items: &mut dyn Iterator<Item = Vec<Vec<u8>>>| {
        let mut args: Vec<Vec<u8>> = vec![cmd.to_vec(), key.to_vec()];
        let mut n = 0;
        for item in items {
            args.extend(item);
            n += 1;
            if n == ITEMS_PER_CMD {
                encode_command(buf, &args);
                args.truncate(2);
                n = 0;
            }
        }
        if n > 0 {
            encode_command(buf, &args);
        }
    };
    match value {
        Value::Str(s) => encode_command(buf, &[&b"SET"[..], key, &s.to_bytes()]),
        Value::List(l) => batch(b"RPUSH", &mut l.iter().map(|e| vec![e.with_bytes(<[u8]>::to_vec)])),
        Value::Set(s) => batch(b"SADD", &mut s.iter().map(|m| vec![m.with_bytes(<[u8]>::to_vec)])),
        Value::Hash(h) => batch(b"HSET", &mut h.iter().map(|(f, v)| vec![f.to_vec(), v.to_vec()])),
        Value::ZSet(z) => {
            batch(b"ZADD", &mut z.iter().map(|(m, score)| vec![format_score(score).into_bytes(), m.to_vec()]))
        }
    }
}

/// A score as text that reads back to the same double.
fn format_score(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{v:?}")
    }
}
