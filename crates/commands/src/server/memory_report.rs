//! MEMORY DOCTOR, STATS, MALLOC-STATS and PURGE: what Redoubt knows about its memory, in the
//! shapes Redis's tools read.
//!
//! Redoubt accounts its dataset exactly (every value knows its size) and has no allocator
//! statistics of its own (it uses the system allocator), so the allocator fields report the
//! dataset and the process's resident size, and the fragmentation ratios compare those two.

use super::info::rss_bytes;
use crate::context::{CmdResult, Ctx};

/// Below this, the doctor has too little to look at (Redis's threshold too).
const TOO_SMALL: u64 = 5 << 20;

/// Resident memory this much above the dataset (and by at least `OVERHEAD_BYTES`) is worth
/// telling the operator about.
const OVERHEAD_RATIO: f64 = 1.4;
const OVERHEAD_BYTES: u64 = 10 << 20;

/// What a key costs its table (a slot pointer), for the overhead fields.
const SLOT_BYTES: u64 = 8;

/// The numbers the reports share.
struct MemoryFacts {
    dataset: u64,
    rss: u64,
    keys: u64,
    /// Per database with keys: (index, keys, keys with an expiry).
    dbs: Vec<(usize, u64, u64)>,
}

fn facts(ctx: &mut Ctx<'_>) -> MemoryFacts {
    let dataset = ctx.keyspace.used_bytes() as u64;
    let mut dbs = Vec::new();
    for i in 0..ctx.keyspace.db_count() {
        if let Some(db) = ctx.keyspace.db_ref(i) {
            if !db.is_empty() {
                dbs.push((i, db.len() as u64, db.volatile_len() as u64));
            }
        }
    }
    MemoryFacts { dataset, rss: rss_bytes(), keys: ctx.keyspace.total_keys() as u64, dbs }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// MEMORY DOCTOR: a short report on what looks wrong, in prose.
pub(crate) fn memory_doctor(ctx: &mut Ctx<'_>) -> CmdResult {
    let f = facts(ctx);
    let report = if f.dataset < TOO_SMALL {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in \
         these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I \
         will be back to our programming as soon as I finished rebooting.\n"
            .to_string()
    } else if ratio(f.rss, f.dataset) > OVERHEAD_RATIO && f.rss.saturating_sub(f.dataset) > OVERHEAD_BYTES {
        format!(
            "Sam, I detected a few issues in this Redis instance memory implants:\n\n * High total RSS: the \
             process holds {} bytes for a dataset of {} bytes (ratio {:.2}). This usually follows a peak of \
             memory use that the system allocator has not returned yet; it is reused as the dataset grows \
             again. If it persists without such a peak, restart the server to compact it.\n\nI'm here to \
             keep you safe, Sam. I want to help you.\n",
            f.rss,
            f.dataset,
            ratio(f.rss, f.dataset)
        )
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
            .to_string()
    };
    ctx.out.verbatim("txt", report.as_bytes());
    Ok(())
}

/// MEMORY STATS: Redis's map of memory facts.
pub(crate) fn memory_stats(ctx: &mut Ctx<'_>) -> CmdResult {
    let f = facts(ctx);
    let out = &mut *ctx.out;
    let overhead: u64 = f.dbs.iter().map(|(_, keys, volatile)| (keys + volatile) * SLOT_BYTES).sum();
    out.map(27 + f.dbs.len());
    let int = |out: &mut redoubt_resp::ReplyBuffer, name: &str, v: u64| {
        out.bulk(name.as_bytes());
        out.int(v as i64);
    };
    let dbl = |out: &mut redoubt_resp::ReplyBuffer, name: &str, v: f64| {
        out.bulk(name.as_bytes());
        out.double(v);
    };
    int(out, "peak.allocated", f.dataset.max(f.rss));
    int(out, "total.allocated", f.dataset);
    int(out, "startup.allocated", 0);
    int(out, "replication.backlog", 0);
    int(out, "clients.slaves", 0);
    int(out, "clients.normal", 0);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", 0);
    int(out, "lua.caches", 0);
    int(out, "functions.caches", 0);
    for (i, keys, volatile) in &f.dbs {
        out.bulk(format!("db.{i}").as_bytes());
        out.map(2);
        int(out, "overhead.hashtable.main", keys * SLOT_BYTES);
        int(out, "overhead.hashtable.expires", volatile * SLOT_BYTES);
    }
    int(out, "overhead.total", overhead);
    int(out, "keys.count", f.keys);
    int(out, "keys.bytes-per-key", f.dataset.checked_div(f.keys).unwrap_or(0));
    int(out, "dataset.bytes", f.dataset);
    dbl(out, "dataset.percentage", if f.dataset == 0 { 0.0 } else { 100.0 });
    dbl(out, "peak.percentage", ratio(f.dataset, f.dataset.max(f.rss)) * 100.0);
    int(out, "allocator.allocated", f.dataset);
    int(out, "allocator.active", f.dataset);
    int(out, "allocator.resident", f.rss);
    dbl(out, "allocator-fragmentation.ratio", 1.0);
    int(out, "allocator-fragmentation.bytes", 0);
    dbl(out, "allocator.rss-ratio", ratio(f.rss, f.dataset));
    int(out, "allocator.rss-bytes", f.rss.saturating_sub(f.dataset));
    dbl(out, "rss-overhead.ratio", 1.0);
    int(out, "rss-overhead.bytes", 0);
    dbl(out, "fragmentation", ratio(f.rss, f.dataset));
    int(out, "fragmentation.bytes", f.rss.saturating_sub(f.dataset));
    Ok(())
}

/// MEMORY MALLOC-STATS: the system allocator keeps no statistics to show.
pub(crate) fn memory_malloc_stats(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.verbatim("txt", b"Stats not supported for the current allocator");
    Ok(())
}

/// MEMORY PURGE: nothing to ask of the system allocator; answered as Redis does without
/// jemalloc.
pub(crate) fn memory_purge(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.out.ok();
    Ok(())
}
