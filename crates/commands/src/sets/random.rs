//! SPOP and SRANDMEMBER: random members, with and without a count.
//!
//! Nothing is allocated by the count a client sends: repeated draws (a negative
//! SRANDMEMBER count) are streamed to the reply (refused past proto-max-bulk-len), and
//! distinct draws allocate by the set's size at most (Redis's strategies, minus the ones its slower random sampling needed).

use super::{read_set, reply_member, write_set};
use crate::context::{repeated_draws, CmdError, CmdResult, Ctx};
use crate::pubsub::notify::{keyspace_event, GENERIC, SET};
use crate::strings::{mark_dirty, proto_max_bulk_len, Lookup};
use bytes::Bytes;
use redoubt_store::{SetValue, Value};
use std::collections::HashSet;

/// SRANDMEMBER's choice between shuffling an index of every member and sampling with
/// rejection (Redis's `SRANDMEMBER_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: usize = 3;

/// `SPOP key [count]`
pub(crate) fn spop(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.args.len() {
        2 => spop_one(ctx),
        3 => spop_count(ctx),
        _ => Err(CmdError::syntax()),
    }
}

fn spop_one(ctx: &mut Ctx<'_>) -> CmdResult {
    let lk = Lookup::of(ctx);
    let logging = ctx.propagating();
    let mut member = None;
    let out = &mut *ctx.out;
    let popped = write_set(
        ctx.keyspace,
        lk,
        &ctx.args[1],
        false,
        |_| true,
        |s| match s.random_index() {
            Some(i) => {
                if let Some(m) = s.get_index(i) {
                    if logging {
                        member = Some(member_bytes(m));
                    }
                    reply_member(out, m);
                }
                s.remove_index(i);
                Some(s.is_empty())
            }
            None => None,
        },
    )?;
    match popped.flatten() {
        Some(emptied) => {
            mark_dirty(ctx, 1);
            // Logged as SREM of the member drawn: a replay must not draw again.
            let key = ctx.args[1].clone();
            if let Some(m) = member {
                ctx.propagate_as(|| vec![Bytes::from_static(b"SREM"), key, m]);
            }
            keyspace_event(ctx, SET, "spop", &ctx.args[1]);
            if emptied {
                keyspace_event(ctx, GENERIC, "del", &ctx.args[1]);
            }
        }
        None => ctx.out.null(),
    }
    Ok(())
}

fn spop_count(ctx: &mut Ctx<'_>) -> CmdResult {
    let out_of_range = || CmdError::err("value is out of range, must be positive");
    let count = crate::context::parse_i64(&ctx.args[2]).ok_or_else(out_of_range)?;
    let count = usize::try_from(count).map_err(|_| out_of_range())?;
    let lk = Lookup::of(ctx);
    let key = &ctx.args[1];
    let size = match ctx.keyspace.db(lk.db).get(key, lk.now, lk.touch) {
        None => 0,
        Some(Value::Set(s)) => s.len(),
        Some(_) => return Err(CmdError::wrong_type()),
    };
    if count == 0 || size == 0 {
        ctx.out.set(0);
        return Ok(());
    }
    let logging = ctx.propagating();
    let mut members = Vec::new();
    let out = &mut *ctx.out;
    let n = count.min(size);
    out.set(n);
    write_set(
        ctx.keyspace,
        lk,
        key,
        false,
        |_| true,
        |s| {
            if n == size {
                // The whole set goes: reply with it and let the key be deleted.
                for m in s.iter() {
                    reply_member(out, m);
                }
                *s = SetValue::new();
                return;
            }
            for _ in 0..n {
                let Some(i) = s.random_index() else { break };
                if let Some(m) = s.get_index(i) {
                    if logging {
                        members.push(member_bytes(m));
                    }
                    reply_member(out, m);
                }
                s.remove_index(i);
            }
        },
    )?;
    mark_dirty(ctx, n as u64);
    let key2 = key.clone();
    ctx.propagate_as(|| {
        if n == size {
            vec![Bytes::from_static(b"DEL"), key2]
        } else {
            let mut cmd = vec![Bytes::from_static(b"SREM"), key2];
            cmd.extend(members);
            cmd
        }
    });
    keyspace_event(ctx, SET, "spop", key);
    if n == size {
        keyspace_event(ctx, GENERIC, "del", key);
    }
    Ok(())
}

/// A member as an argument of the SREM the log gets.
fn member_bytes(m: redoubt_store::set::Member<'_>) -> Bytes {
    m.with_bytes(Bytes::copy_from_slice)
}

/// `SRANDMEMBER key [count]`
pub(crate) fn srandmember(ctx: &mut Ctx<'_>) -> CmdResult {
    match ctx.args.len() {
        2 => {
            let s = read_set(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])?;
            match s.and_then(SetValue::random_member) {
                Some(m) => reply_member(ctx.out, m),
                None => ctx.out.null(),
            }
            Ok(())
        }
        3 => srandmember_count(ctx),
        _ => Err(CmdError::syntax()),
    }
}

fn srandmember_count(ctx: &mut Ctx<'_>) -> CmdResult {
    let count = ctx.int_arg(2)?;
    let reply_cap = usize::try_from(proto_max_bulk_len(ctx)).unwrap_or(usize::MAX);
    if count == i64::MIN {
        return Err(CmdError::err(format!("value is out of range, value must between {} and {}", -i64::MAX, i64::MAX)));
    }
    let Some(s) = read_set(Lookup::of(ctx), ctx.keyspace, &ctx.args[1])? else {
        ctx.out.array(0);
        return Ok(());
    };
    let out = &mut *ctx.out;
    let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    if n == 0 {
        out.array(0);
        return Ok(());
    }
    let size = s.len();
    // Repeats allowed: n independent draws, streamed (nothing is allocated by the count);
    // a reply that would outgrow proto-max-bulk-len is taken back and refused.
    if count < 0 || n == 1 {
        return repeated_draws(
            out,
            n,
            reply_cap,
            |out| out.array(n),
            |out| {
                if let Some(m) = s.random_member() {
                    reply_member(out, m);
                }
            },
        );
    }
    if n >= size {
        out.array(size);
        for m in s.iter() {
            reply_member(out, m);
        }
        return Ok(());
    }
    out.array(n);
    if n.saturating_mul(SUB_STRATEGY_MUL) > size {
        // Most of the set: a partial shuffle of every position.
        let mut positions: Vec<usize> = (0..size).collect();
        for i in 0..n {
            positions.swap(i, fastrand::usize(i..size));
        }
        for &p in &positions[..n] {
            if let Some(m) = s.get_index(p) {
                reply_member(out, m);
            }
        }
    } else {
        // A small part of a big set: draw until n distinct positions came up.
        let mut picked = HashSet::with_capacity(n);
        while picked.len() < n {
            let p = fastrand::usize(..size);
            if picked.insert(p) {
                if let Some(m) = s.get_index(p) {
                    reply_member(out, m);
                }
            }
        }
    }
    Ok(())
}
