//! The audit log: line format and escaping, file mode and refusals, rate limits, bounds.

use crate::audit::open_private_append;
use crate::{AuditConfig, AuditEvent, AuditLog, AuditRecord, AuditSource};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap().lines().map(str::to_string).collect()
    }
}

fn wall() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_714_566_896_789)
}

fn rec<'a>(event: AuditEvent, source: &str, user: Option<&'a str>, reason: &'a str) -> AuditRecord<'a> {
    AuditRecord { event, source: AuditSource::Tcp(source.parse().unwrap()), user, command: Some("auth"), reason }
}

#[test]
fn line_format_and_escaping() {
    let sink = Sink::default();
    let log = AuditLog::with_writer(Box::new(sink.clone()), AuditConfig::default());
    let now = Instant::now();
    assert!(log.record_at(
        &rec(AuditEvent::AuthFailure, "1.2.3.4:5678", Some("default"), "wrong password"),
        wall(),
        now
    ));
    log.record_at(
        &AuditRecord {
            event: AuditEvent::PermissionDenied,
            source: AuditSource::Tcp("[2001:db8::1]:6379".parse().unwrap()),
            user: Some("we\"ird\\\n\u{1}"),
            command: Some("config|set"),
            reason: "no permissions to run the 'config|set' command",
        },
        wall(),
        now,
    );
    log.record_at(
        &AuditRecord {
            event: AuditEvent::ConfigChange,
            source: AuditSource::Unix,
            user: None,
            command: None,
            reason: "x",
        },
        wall(),
        now,
    );
    log.record_at(
        &AuditRecord {
            event: AuditEvent::RoleChange,
            source: AuditSource::Internal,
            user: Some(&"u".repeat(1000)),
            command: None,
            reason: "",
        },
        wall(),
        now,
    );
    log.sync();
    let lines = sink.lines();
    assert_eq!(
        lines[0],
        r#"{"time":"2024-05-01T12:34:56.789Z","event":"auth_failure","source":"1.2.3.4:5678","user":"default","command":"auth","reason":"wrong password"}"#
    );
    assert_eq!(
        lines[1],
        r#"{"time":"2024-05-01T12:34:56.789Z","event":"permission_denied","source":"[2001:db8::1]:6379","user":"we\"ird\\\n\u0001","command":"config|set","reason":"no permissions to run the 'config|set' command"}"#
    );
    assert_eq!(lines[2], r#"{"time":"2024-05-01T12:34:56.789Z","event":"config_change","source":"unix","reason":"x"}"#);
    assert!(lines[3].contains(&format!("\"user\":\"{}...\"", "u".repeat(256))), "long fields are cut");
    let names: Vec<&str> = [
        AuditEvent::AuthSuccess,
        AuditEvent::AuthFailure,
        AuditEvent::Lockout,
        AuditEvent::PermissionDenied,
        AuditEvent::ProtectedModeRefused,
        AuditEvent::AllowlistRefused,
        AuditEvent::HttpProbe,
        AuditEvent::LimitHit,
        AuditEvent::ConfigChange,
        AuditEvent::AclChange,
        AuditEvent::RoleChange,
        AuditEvent::StartRefused,
    ]
    .iter()
    .map(|e| e.as_str())
    .collect();
    assert_eq!(names.len(), 12);
    assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
}

#[test]
fn floods_are_rate_limited_and_summarised() {
    let sink = Sink::default();
    let cfg = AuditConfig { burst: 5.0, per_second: 1.0, ..AuditConfig::default() };
    let log = AuditLog::with_writer(Box::new(sink.clone()), cfg);
    let t0 = Instant::now();
    let r = rec(AuditEvent::AuthFailure, "9.9.9.9:1", Some("default"), "wrong password");
    let written = (0..1000).filter(|_| log.record_at(&r, wall(), t0)).count();
    assert_eq!(written, 5);
    // Another source, another event: their own buckets.
    assert!(log.record_at(&rec(AuditEvent::AuthFailure, "9.9.9.8:1", None, "x"), wall(), t0));
    assert!(log.record_at(&rec(AuditEvent::Lockout, "9.9.9.9:2", None, "x"), wall(), t0));
    // A second later, the next line is preceded by the count of what was held back.
    assert!(log.record_at(&r, wall(), t0 + Duration::from_secs(1)));
    log.sync();
    let lines = sink.lines();
    assert_eq!(lines.len(), 5 + 2 + 2);
    assert_eq!(
        lines[7],
        r#"{"time":"2024-05-01T12:34:56.789Z","event":"suppressed","source":"9.9.9.9:1","reason":"suppressed 995 auth_failure events","count":995}"#
    );
    assert!(lines[8].contains("\"event\":\"auth_failure\""));
    // flush() reports held-back lines without a new event.
    for _ in 0..10 {
        log.record_at(&r, wall(), t0 + Duration::from_secs(1));
    }
    log.flush_at(wall(), t0 + Duration::from_secs(3));
    log.sync();
    let last = sink.lines().pop().unwrap();
    assert!(last.contains("\"reason\":\"suppressed 10 auth_failure events\""), "{last}");
}

#[test]
fn global_limit_and_bounded_keys() {
    let sink = Sink::default();
    let cfg = AuditConfig { global_burst: 50.0, global_per_second: 10.0, max_keys: 100, ..AuditConfig::default() };
    let log = AuditLog::with_writer(Box::new(sink.clone()), cfg);
    let t0 = Instant::now();
    // A spray of sources: the global bucket caps the lines, the key table stays bounded.
    let mut written = 0;
    for i in 0..10_000u32 {
        let [a, b, c, d] = i.to_be_bytes();
        let src = format!("{}.{}.{}.{}:1", a.max(1), b, c, d);
        if log.record_at(&rec(AuditEvent::AllowlistRefused, &src, None, "not in allow-from"), wall(), t0) {
            written += 1;
        }
    }
    assert_eq!(written, 50);
    log.flush_at(wall(), t0 + Duration::from_secs(1));
    log.sync();
    let lines = sink.lines();
    let summaries: Vec<&String> = lines.iter().filter(|l| l.contains("\"event\":\"suppressed\"")).collect();
    assert_eq!(lines.len() - summaries.len(), 50);
    assert!(summaries.len() <= 11, "one line per key while the global budget allows, then one global line");
    let total: u64 = summaries
        .iter()
        .map(|l| l.rsplit("\"count\":").next().unwrap().trim_end_matches('}').parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 9950, "every held-back line is counted");
    assert!(summaries.last().unwrap().contains("\"source\":\"internal\""));
}

#[test]
fn file_is_created_0600_and_loose_or_linked_files_are_refused() {
    let dir = std::env::temp_dir().join(format!("redoubt-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.log");
    {
        let log = AuditLog::open(&path, AuditConfig::default()).unwrap();
        log.record(&rec(AuditEvent::AuthSuccess, "127.0.0.1:1", Some("app"), "first success from this source"));
        log.sync();
    }
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with("\"reason\":\"first success from this source\"}\n"), "{text}");
    // Appends.
    AuditLog::open(&path, AuditConfig::default()).unwrap().sync();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    // Looser modes are refused with the fix.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let e = AuditLog::open(&path, AuditConfig::default()).unwrap_err().to_string();
    assert!(e.contains("mode 0640") && e.contains("chmod 600"), "{e}");
    // A symbolic link is refused, even to a private file.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.join("link.log");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let e = open_private_append(&link).unwrap_err().to_string();
    assert!(e.contains("symbolic link"), "{e}");
    // A directory is refused.
    assert!(open_private_append(&dir).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
