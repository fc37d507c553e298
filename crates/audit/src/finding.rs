//! What an audit produces: findings (with a severity, evidence and a fix), notes (facts
//! that are not problems, or checks that could not run) and errors (targets that could not
//! be audited at all).

use std::fmt;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// A weakness that needs another failure to matter.
    Low,
    /// A weakness an attacker with some access can use.
    Medium,
    /// An attacker with the access described can take data or the server.
    High,
    /// Anyone who can reach the server can take data or the server.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// The lowercase name (`"high"`).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a name (any case).
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|sev| sev.name().eq_ignore_ascii_case(s))
    }

    /// One step lower (`Info` stays `Info`).
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One problem found, with what shows it and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The check's stable id, e.g. `auth.none` or `cve.CVE-2025-49844` (listed in docs/audit.md).
    pub id: String,
    /// How bad it is.
    pub severity: Severity,
    /// What was audited: `HOST:PORT`, `unix:PATH`, a file, or `local` for process checks.
    pub target: String,
    /// One sentence: what is wrong.
    pub finding: String,
    /// What the tool saw (never a secret).
    pub evidence: String,
    /// What to change.
    pub fix: String,
}

/// A fact that is not a problem, or a check that could not run, for one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// As in [`Finding::target`].
    pub target: String,
    /// The note.
    pub text: String,
}

/// Everything an audit found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Problems, in the order they were found (output sorts them by severity).
    pub findings: Vec<Finding>,
    /// Facts and skipped checks.
    pub notes: Vec<Note>,
    /// Targets that could not be audited, with the reason.
    pub errors: Vec<Note>,
    /// The targets named on the command line, as labels.
    pub targets: Vec<String>,
}

impl Report {
    /// Adds a finding.
    pub fn add(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Adds a note.
    pub fn note(&mut self, target: &str, text: impl Into<String>) {
        self.notes.push(Note { target: target.to_string(), text: text.into() });
    }

    /// Records that a target (or part of it) could not be audited.
    pub fn error(&mut self, target: &str, text: impl Into<String>) {
        self.errors.push(Note { target: target.to_string(), text: text.into() });
    }

    /// The finding with this id, if any.
    pub fn get(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }

    /// The highest severity found, if any finding.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Findings sorted for display: most severe first, then by target and id.
    pub fn sorted(&self) -> Vec<&Finding> {
        let mut v: Vec<&Finding> = self.findings.iter().collect();
        v.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.target.cmp(&b.target)).then(a.id.cmp(&b.id)));
        v
    }

    /// How many findings of each severity, lowest first (as [`Severity::ALL`]).
    pub fn counts(&self) -> [usize; 5] {
        let mut counts = [0; 5];
        for f in &self.findings {
            counts[f.severity as usize] += 1;
        }
        counts
    }
}

/// Builds a [`Finding`] from borrowed parts.
pub fn finding(
    id: impl Into<String>,
    severity: Severity,
    target: &str,
    text: impl Into<String>,
    evidence: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    Finding {
        id: id.into(),
        severity,
        target: target.to_string(),
        finding: text.into(),
        evidence: evidence.into(),
        fix: fix.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_and_names() {
        assert!(Severity::Info < Severity::Low && Severity::High < Severity::Critical);
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
        assert_eq!(Severity::parse("nope"), None);
        assert_eq!(Severity::Critical.lower(), Severity::High);
        assert_eq!(Severity::Info.lower(), Severity::Info);
    }

    #[test]
    fn report_sorting_and_counts() {
        let mut r = Report::default();
        r.add(finding("a", Severity::Low, "t", "x", "e", "f"));
        r.add(finding("b", Severity::Critical, "t", "x", "e", "f"));
        assert_eq!(r.sorted()[0].id, "b");
        assert_eq!(r.worst(), Some(Severity::Critical));
        assert_eq!(r.counts(), [0, 1, 0, 0, 1]);
    }
}
