//! Password strength: length, character classes, and a small embedded list of common
//! passwords (`data/common-passwords.txt`). The password itself never leaves this module:
//! the verdict describes it by length and classes only.

use crate::finding::Severity;

/// The embedded list of common passwords.
pub const COMMON: &str = include_str!("../data/common-passwords.txt");

/// Why a password is weak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weakness {
    /// How weak.
    pub severity: Severity,
    /// What makes it weak (never the password).
    pub reason: String,
}

/// A description of a password without its content: `"14 characters, 2 classes (lower, digit)"`.
pub fn describe(pw: &str) -> String {
    let classes = classes(pw);
    format!(
        "{} characters, {} character class{} ({})",
        pw.chars().count(),
        classes.len(),
        plural(classes.len()),
        classes.join(", ")
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "es"
    }
}

fn classes(pw: &str) -> Vec<&'static str> {
    let mut v = Vec::new();
    if pw.chars().any(|c| c.is_lowercase()) {
        v.push("lower");
    }
    if pw.chars().any(|c| c.is_uppercase()) {
        v.push("upper");
    }
    if pw.chars().any(|c| c.is_ascii_digit()) {
        v.push("digit");
    }
    if pw.chars().any(|c| !c.is_alphanumeric()) {
        v.push("symbol");
    }
    v
}

/// Whether the password, or the password without trailing digits and symbols
/// (`redis2024!`), is on the common list.
pub fn is_common(pw: &str) -> bool {
    let lower = pw.to_lowercase();
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .any(|c| c == lower || (stem.chars().count() >= 4 && c == stem))
}

/// Judges a password: `None` when it is strong enough for a server that an attacker may try
/// passwords against at network speed.
pub fn weakness(pw: &str) -> Option<Weakness> {
    let len = pw.chars().count();
    let classes = classes(pw).len();
    let mut distinct: Vec<char> = pw.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let w = |severity, reason: String| Some(Weakness { severity, reason });
    if is_common(pw) {
        return w(
            Severity::High,
            "it is (or starts with) a common password that every guessing tool tries first".into(),
        );
    }
    if len < 12 {
        return w(Severity::High, format!("only {len} characters: guessable at network speed"));
    }
    if distinct.len() < 6 {
        return w(Severity::High, format!("only {} distinct characters", distinct.len()));
    }
    if len < 16 {
        return w(Severity::Medium, format!("{len} characters: short for a secret nobody types"));
    }
    if len < 20 && classes < 3 {
        return w(Severity::Low, format!("{len} characters from {classes} character class{}", plural(classes)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_list() {
        assert!(is_common("foobared"));
        assert!(is_common("Password1"));
        assert!(is_common("redis2024!"));
        assert!(!is_common("x7Qp!v9Lz#2mW8rT"));
    }

    #[test]
    fn verdicts() {
        assert_eq!(weakness("foobared").unwrap().severity, Severity::High);
        assert_eq!(weakness("Xk9!mq2").unwrap().severity, Severity::High);
        assert_eq!(weakness("aaaaaaaaaaaaaaaaaaaaaaaa").unwrap().severity, Severity::High);
        assert_eq!(weakness("Xk9!mq2Lp0vZ").unwrap().severity, Severity::Medium);
        assert_eq!(weakness("xkqmplvzrtwyhgfds").unwrap().severity, Severity::Low);
        assert_eq!(weakness("3f9c1e0b7a2d4c6e8f0a1b2c3d4e5f60"), None);
        let d = describe("Ab1!");
        assert_eq!(d, "4 characters, 4 character classes (lower, upper, digit, symbol)");
    }
}
