//! ACL LOG: recent permission denials and failed authentications, as Redis 7.0.15 keeps them
//! (`addACLLogEntry`): newest first, at most `acllog-max-len` entries, and a repeat of the
//! same denial (same reason, context, object and user within 60 s, among the 10 newest
//! entries) bumps the entry's count instead of adding one.
//!
//! The log is plain data: the server keeps it behind its own lock.

use std::collections::VecDeque;

/// Redis's `ACL_LOG_GROUPING_MAX_TIME_DELTA`, milliseconds.
pub const GROUPING_WINDOW_MS: i64 = 60_000;
/// Default `acllog-max-len`.
pub const DEFAULT_MAX_LEN: usize = 128;
/// Longest object or user name kept in an entry, bytes (longer ones are cut).
pub const MAX_FIELD_BYTES: usize = 1024;

/// ACL LOG's `reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AclLogReason {
    /// A command or subcommand was refused.
    Command,
    /// A key was refused.
    Key,
    /// A channel was refused.
    Channel,
    /// AUTH or HELLO failed.
    Auth,
}

impl AclLogReason {
    /// The text ACL LOG shows.
    pub fn as_str(self) -> &'static str {
        match self {
            AclLogReason::Command => "command",
            AclLogReason::Key => "key",
            AclLogReason::Channel => "channel",
            AclLogReason::Auth => "auth",
        }
    }
}

/// ACL LOG's `context`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AclLogContext {
    /// A command sent by the client.
    Toplevel,
    /// A command queued in MULTI and refused at EXEC.
    Multi,
    /// A command run by a script.
    Lua,
    /// A command run by a module.
    Module,
}

impl AclLogContext {
    /// The text ACL LOG shows.
    pub fn as_str(self) -> &'static str {
        match self {
            AclLogContext::Toplevel => "toplevel",
            AclLogContext::Multi => "multi",
            AclLogContext::Lua => "lua",
            AclLogContext::Module => "module",
        }
    }
}

/// One ACL LOG entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclLogEntry {
    /// How many times this happened recently.
    pub count: u64,
    /// What was refused.
    pub reason: AclLogReason,
    /// Where.
    pub context: AclLogContext,
    /// The command's full name, the key, the channel, or (for auth) `auth`/`hello`.
    pub object: Vec<u8>,
    /// The user (for auth: the name tried).
    pub username: Vec<u8>,
    /// When it last happened, unix milliseconds.
    pub ctime_ms: i64,
    /// The CLIENT LIST line of the client that caused it last.
    pub client_info: String,
}

impl AclLogEntry {
    /// ACL LOG's `age-seconds` at `now_ms`.
    pub fn age_seconds(&self, now_ms: i64) -> f64 {
        (now_ms - self.ctime_ms) as f64 / 1000.0
    }
}

/// The ACL LOG ring.
#[derive(Clone, Debug)]
pub struct AclLog {
    entries: VecDeque<AclLogEntry>,
    max_len: usize,
}

impl Default for AclLog {
    fn default() -> AclLog {
        AclLog::new(DEFAULT_MAX_LEN)
    }
}

impl AclLog {
    /// An empty log keeping at most `max_len` entries.
    pub fn new(max_len: usize) -> AclLog {
        AclLog { entries: VecDeque::new(), max_len }
    }

    /// Changes `acllog-max-len`, dropping the oldest entries beyond it.
    pub fn set_max_len(&mut self, max_len: usize) {
        self.max_len = max_len;
        self.entries.truncate(max_len);
    }

    /// Records a refusal at `now_ms` (unix milliseconds).
    pub fn add(
        &mut self,
        reason: AclLogReason,
        context: AclLogContext,
        object: &[u8],
        username: &[u8],
        client_info: String,
        now_ms: i64,
    ) {
        let object = &object[..object.len().min(MAX_FIELD_BYTES)];
        let username = &username[..username.len().min(MAX_FIELD_BYTES)];
        let found = self.entries.iter().take(10).position(|e| {
            e.reason == reason
                && e.context == context
                && (e.ctime_ms - now_ms).abs() <= GROUPING_WINDOW_MS
                && e.object == object
                && e.username == username
        });
        if let Some(i) = found {
            let mut e = self.entries.remove(i).expect("found");
            e.count += 1;
            e.ctime_ms = now_ms;
            e.client_info = client_info;
            self.entries.push_front(e);
            return;
        }
        self.entries.push_front(AclLogEntry {
            count: 1,
            reason,
            context,
            object: object.to_vec(),
            username: username.to_vec(),
            ctime_ms: now_ms,
            client_info,
        });
        self.entries.truncate(self.max_len);
    }

    /// The newest `count` entries (ACL LOG `count`; default 10), newest first.
    pub fn entries(&self, count: usize) -> impl Iterator<Item = &AclLogEntry> {
        self.entries.iter().take(count)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// ACL LOG RESET.
    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(log: &mut AclLog, object: &str, user: &str, now: i64) {
        log.add(
            AclLogReason::Command,
            AclLogContext::Toplevel,
            object.as_bytes(),
            user.as_bytes(),
            format!("t={now}"),
            now,
        );
    }

    #[test]
    fn repeats_are_grouped_within_sixty_seconds() {
        let mut log = AclLog::new(128);
        add(&mut log, "get", "u", 1_000);
        add(&mut log, "get", "u", 30_000);
        add(&mut log, "set", "u", 31_000);
        add(&mut log, "get", "u", 60_000);
        assert_eq!(log.len(), 2);
        let e: Vec<_> = log.entries(10).collect();
        assert_eq!((e[0].object.as_slice(), e[0].count, e[0].client_info.as_str()), (&b"get"[..], 3, "t=60000"));
        assert_eq!(e[0].age_seconds(61_500), 1.5);
        add(&mut log, "get", "u", 200_000);
        assert_eq!(log.len(), 3, "more than 60 s after the last update: a new entry");
        add(&mut log, "get", "other", 200_001);
        assert_eq!(log.len(), 4, "another user: a new entry");
        log.add(AclLogReason::Key, AclLogContext::Multi, b"get", b"u", String::new(), 200_002);
        assert_eq!(log.len(), 5, "another reason: a new entry");
        assert_eq!(log.entries(1).next().unwrap().context.as_str(), "multi");
    }

    #[test]
    fn only_the_ten_newest_are_searched_and_length_is_bounded() {
        let mut log = AclLog::new(128);
        add(&mut log, "old", "u", 0);
        for i in 0..10 {
            add(&mut log, &format!("c{i}"), "u", 1);
        }
        add(&mut log, "old", "u", 2);
        assert_eq!(log.len(), 12);
        let mut log = AclLog::new(5);
        for i in 0..50 {
            add(&mut log, &format!("c{i}"), "u", i);
        }
        assert_eq!(log.len(), 5);
        assert_eq!(log.entries(10).next().unwrap().object, b"c49");
        log.set_max_len(2);
        assert_eq!(log.len(), 2);
        log.reset();
        assert!(log.is_empty());
    }

    #[test]
    fn huge_objects_are_cut() {
        let mut log = AclLog::new(2);
        log.add(AclLogReason::Key, AclLogContext::Toplevel, &vec![b'k'; 100_000], b"u", String::new(), 0);
        assert_eq!(log.entries(1).next().unwrap().object.len(), MAX_FIELD_BYTES);
        assert_eq!(AclLogReason::Auth.as_str(), "auth");
    }
}
