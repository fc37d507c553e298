//! Per-command and per-error counters for INFO commandstats and errorstats. Every command of
//! the table gets its slot up front, so counting is a lock-free add on the hot path.

use crate::spec::CommandSpec;
use crate::table;
use crate::table::TableMap;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Counters for one command.
#[derive(Debug, Default)]
pub struct CommandStat {
    /// Completed calls.
    pub calls: AtomicU64,
    /// Total microseconds spent.
    pub usec: AtomicU64,
    /// Refused before running (arity, later permissions).
    pub rejected: AtomicU64,
    /// Ran and returned an error.
    pub failed: AtomicU64,
}

/// All command counters plus error counts by error code.
#[derive(Debug, Default)]
pub struct CommandStats {
    slots: OnceLock<TableMap<usize, (String, CommandStat)>>,
    errors: Mutex<BTreeMap<String, u64>>,
}

fn key(spec: &'static CommandSpec) -> usize {
    spec as *const CommandSpec as usize
}

impl CommandStats {
    fn slots(&self) -> &TableMap<usize, (String, CommandStat)> {
        self.slots.get_or_init(|| {
            let mut map = TableMap::default();
            for spec in table::all() {
                map.insert(key(spec), (spec.name.to_string(), CommandStat::default()));
                for sub in spec.subcommands {
                    map.insert(key(sub), (format!("{}|{}", spec.name, sub.name), CommandStat::default()));
                }
            }
            map
        })
    }

    /// The counters of a command.
    pub fn of(&self, spec: &'static CommandSpec) -> Option<&CommandStat> {
        self.slots().get(&key(spec)).map(|(_, s)| s)
    }

    /// Counts an error reply by its code (the first word).
    pub fn record_error(&self, message: &str) {
        let code = message.split(' ').next().unwrap_or("ERR").to_string();
        *self.errors.lock().unwrap_or_else(|e| e.into_inner()).entry(code).or_insert(0) += 1;
    }

    /// Total error replies.
    pub fn total_errors(&self) -> u64 {
        self.errors.lock().unwrap_or_else(|e| e.into_inner()).values().sum()
    }

    /// Zeroes everything (CONFIG RESETSTAT).
    pub fn reset(&self) {
        for (_, s) in self.slots().values() {
            s.calls.store(0, Ordering::Relaxed);
            s.usec.store(0, Ordering::Relaxed);
            s.rejected.store(0, Ordering::Relaxed);
            s.failed.store(0, Ordering::Relaxed);
        }
        self.errors.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// INFO commandstats lines, sorted by name, for commands that were called or rejected.
    pub fn command_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .slots()
            .values()
            .filter_map(|(name, s)| {
                let calls = s.calls.load(Ordering::Relaxed);
                let rejected = s.rejected.load(Ordering::Relaxed);
                if calls == 0 && rejected == 0 {
                    return None;
                }
                let usec = s.usec.load(Ordering::Relaxed);
                let per_call = if calls == 0 { 0.0 } else { usec as f64 / calls as f64 };
                Some(format!(
                    "cmdstat_{name}:calls={calls},usec={usec},usec_per_call={per_call:.2},rejected_calls={rejected},failed_calls={}",
                    s.failed.load(Ordering::Relaxed)
                ))
            })
            .collect();
        lines.sort();
        lines
    }

    /// INFO errorstats lines.
    pub fn error_lines(&self) -> Vec<String> {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| format!("errorstat_{k}:count={v}"))
            .collect()
    }
}
