//! The two outputs: a table for people and one JSON document for machines.

use crate::finding::{Report, Severity};
use std::fmt::Write;

/// The report as text: one row per finding (severity, check id, target, finding), its
/// evidence and fix indented below, then notes, errors and a summary line.
pub fn table(r: &Report, fail_on: Option<Severity>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "redoubt audit: {}", if r.targets.is_empty() { "-".into() } else { r.targets.join(", ") });
    out.push('\n');
    let findings = r.sorted();
    if findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let id_w = findings.iter().map(|f| f.id.len()).max().unwrap_or(0).clamp(8, 28);
        let _ = writeln!(out, "{:<8}  {:<id_w$}  FINDING", "SEVERITY", "CHECK");
        for f in &findings {
            let _ =
                writeln!(out, "{:<8}  {:<id_w$}  {}: {}", f.severity.name().to_uppercase(), f.id, f.target, f.finding);
            let pad = " ".repeat(10 + id_w);
            let _ = writeln!(out, "{pad}evidence: {}", f.evidence);
            let _ = writeln!(out, "{pad}fix:      {}", f.fix);
        }
    }
    if !r.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for n in &r.notes {
            let _ = writeln!(out, "  {}: {}", n.target, n.text);
        }
    }
    if !r.errors.is_empty() {
        out.push_str("\nNot audited:\n");
        for n in &r.errors {
            let _ = writeln!(out, "  {}: {}", n.target, n.text);
        }
    }
    let counts = r.counts();
    let parts: Vec<String> =
        Severity::ALL.iter().rev().map(|s| format!("{} {}", counts[*s as usize], s.name())).collect();
    let _ = writeln!(
        out,
        "\n{} finding(s): {}; fail-on {}",
        r.findings.len(),
        parts.join(", "),
        fail_on.map_or("never", Severity::name)
    );
    out
}

/// Escapes a string as a JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The report as one JSON document:
/// `{"tool","version","targets":[..],"findings":[{id,severity,target,finding,evidence,fix}],
/// "notes":[{target,text}],"errors":[{target,text}],"summary":{..},"fail_on","failed"}`.
pub fn json(r: &Report, fail_on: Option<Severity>, failed: bool) -> String {
    let mut out = String::from("{");
    let _ = write!(out, "\"tool\":\"redoubt audit\",\"version\":{},", json_str(env!("CARGO_PKG_VERSION")));
    let targets: Vec<String> = r.targets.iter().map(|t| json_str(t)).collect();
    let _ = write!(out, "\"targets\":[{}],", targets.join(","));
    let findings: Vec<String> = r
        .sorted()
        .iter()
        .map(|f| {
            format!(
                "{{\"id\":{},\"severity\":{},\"target\":{},\"finding\":{},\"evidence\":{},\"fix\":{}}}",
                json_str(&f.id),
                json_str(f.severity.name()),
                json_str(&f.target),
                json_str(&f.finding),
                json_str(&f.evidence),
                json_str(&f.fix)
            )
        })
        .collect();
    let _ = write!(out, "\"findings\":[{}],", findings.join(","));
    for (key, list) in [("notes", &r.notes), ("errors", &r.errors)] {
        let items: Vec<String> = list
            .iter()
            .map(|n| format!("{{\"target\":{},\"text\":{}}}", json_str(&n.target), json_str(&n.text)))
            .collect();
        let _ = write!(out, "\"{key}\":[{}],", items.join(","));
    }
    let counts = r.counts();
    let summary: Vec<String> =
        Severity::ALL.iter().map(|s| format!("\"{}\":{}", s.name(), counts[*s as usize])).collect();
    let _ = write!(out, "\"summary\":{{{}}},", summary.join(","));
    let _ = write!(out, "\"fail_on\":{},\"failed\":{failed}}}", json_str(fail_on.map_or("never", Severity::name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::finding;

    #[test]
    fn escaping() {
        assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }

    #[test]
    fn renders() {
        let mut r = Report::default();
        r.targets.push("127.0.0.1:6379".into());
        r.add(finding("auth.none", Severity::Critical, "127.0.0.1:6379", "open", "PING -> PONG", "set a password"));
        r.note("127.0.0.1:6379", "Redis 7.0.15");
        let t = table(&r, Some(Severity::High));
        assert!(t.contains("CRITICAL  auth.none") && t.contains("evidence: PING -> PONG") && t.contains("1 critical"));
        let j = json(&r, Some(Severity::High), true);
        assert!(j.starts_with('{') && j.ends_with('}'));
        assert!(j.contains("\"id\":\"auth.none\",\"severity\":\"critical\""));
        assert!(j.contains("\"summary\":{\"info\":0,\"low\":0,\"medium\":0,\"high\":0,\"critical\":1}"));
        assert!(j.contains("\"failed\":true"));
    }
}
