//! The little JSON the audit log needs, by hand: string escaping and RFC 3339 UTC times.

use std::time::{SystemTime, UNIX_EPOCH};

/// Appends `s` as a JSON string (quotes included), escaping quotes, backslashes and every
/// control character (DEL too), and cutting it after `max` bytes (on a character boundary,
/// marked with `...`).
pub(crate) fn push_str(out: &mut String, s: &str, max: usize) {
    let (s, cut) = if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        (&s[..end], true)
    } else {
        (s, false)
    };
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    if cut {
        out.push_str("...");
    }
    out.push('"');
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a wall-clock time (times before 1970 print as 1970).
pub(crate) fn rfc3339_ms(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let ms = d.subsec_millis();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, day) = civil_from_days(days);
    format!("{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn esc(s: &str) -> String {
        let mut out = String::new();
        push_str(&mut out, s, 1000);
        out
    }

    #[test]
    fn escaping() {
        assert_eq!(esc("plain"), r#""plain""#);
        assert_eq!(esc("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(esc("l1\nl2\r\t"), r#""l1\nl2\r\t""#);
        assert_eq!(esc("\u{0}\u{1b}\u{7f}\u{8}\u{c}"), r#""\u0000\u001b\u007f\b\f""#);
        assert_eq!(esc("é✓"), "\"é✓\"");
        assert_eq!(esc("\u{2028}"), r#""\u2028""#);
        let mut out = String::new();
        push_str(&mut out, "ééé", 3);
        assert_eq!(out, "\"é...\"", "cut on a character boundary");
    }

    #[test]
    fn times() {
        assert_eq!(rfc3339_ms(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(951_782_400_123); // 2000-02-29
        assert_eq!(rfc3339_ms(t), "2000-02-29T00:00:00.123Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_714_566_896) + Duration::from_millis(7);
        assert_eq!(rfc3339_ms(t), "2024-05-01T12:34:56.007Z");
        let t = UNIX_EPOCH + Duration::from_secs(4_102_444_799); // 2099-12-31T23:59:59
        assert_eq!(rfc3339_ms(t), "2099-12-31T23:59:59.000Z");
    }
}
