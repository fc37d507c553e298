//! The CVE table (`data/cves.tsv`, embedded at build time) and matching a reported version
//! against it.

use crate::finding::Severity;

/// The table's text, as kept in the repository.
pub const TABLE: &str = include_str!("../data/cves.tsv");

/// A server product, as told by INFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    /// Redis (no `valkey_version` or `redoubt_version`).
    Redis,
    /// Valkey.
    Valkey,
    /// Redoubt (`redoubt_version` in INFO); its `redis_version` is a compatibility level.
    Redoubt,
}

impl Product {
    /// The name used in the table and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Product::Redis => "redis",
            Product::Valkey => "valkey",
            Product::Redoubt => "redoubt",
        }
    }

    /// The display name.
    pub fn display(self) -> &'static str {
        match self {
            Product::Redis => "Redis",
            Product::Valkey => "Valkey",
            Product::Redoubt => "Redoubt",
        }
    }
}

/// A version `major.minor.patch` (missing parts are 0; a suffix such as `-rc1` is ignored).
pub type Version = [u32; 3];

/// Parses `7.0.15`, `8.0`, `7.2.4-rc1`.
pub fn parse_version(s: &str) -> Option<Version> {
    let mut out = [0u32; 3];
    let core = s.trim().split(|c: char| !(c.is_ascii_digit() || c == '.')).next()?;
    let mut parts = core.split('.');
    for slot in out.iter_mut() {
        match parts.next() {
            Some(p) if !p.is_empty() => *slot = p.parse().ok()?,
            Some(_) => return None,
            None => break,
        }
    }
    if core.is_empty() {
        return None;
    }
    Some(out)
}

/// Formats a version.
pub fn show(v: Version) -> String {
    format!("{}.{}.{}", v[0], v[1], v[2])
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cve {
    /// `CVE-YYYY-NNNN`.
    pub id: String,
    /// `redis` or `valkey`.
    pub product: String,
    /// First affected version.
    pub from: Version,
    /// First fixed version of this range.
    pub fixed: Version,
    /// Severity of a finding.
    pub severity: Severity,
    /// What an attacker needs: `none`, `auth`, `lua`, `debian`.
    pub needs: String,
    /// What it is.
    pub summary: String,
    /// What to do.
    pub mitigation: String,
    /// Caveats about the range.
    pub notes: String,
}

/// Parses the table. Panics on a malformed row: the table is part of the build, and a unit
/// test parses it.
pub fn table() -> Vec<Cve> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| parse_row(l).unwrap_or_else(|e| panic!("data/cves.tsv: {e}: {l}")))
        .collect()
}

fn parse_row(line: &str) -> Result<Cve, String> {
    let cols: Vec<&str> = line.split('\t').collect();
    if cols.len() != 9 {
        return Err(format!("{} columns, expected 9", cols.len()));
    }
    let version = |s: &str| parse_version(s).ok_or_else(|| format!("bad version '{s}'"));
    Ok(Cve {
        id: cols[0].to_string(),
        product: cols[1].to_string(),
        from: version(cols[2])?,
        fixed: version(cols[3])?,
        severity: Severity::parse(cols[4]).ok_or_else(|| format!("bad severity '{}'", cols[4]))?,
        needs: cols[5].to_string(),
        summary: cols[6].to_string(),
        mitigation: cols[7].to_string(),
        notes: cols[8].to_string(),
    })
}

/// The rows whose range holds `version` of `product` (at most one per CVE).
pub fn affecting(product: Product, version: Version) -> Vec<Cve> {
    let mut out: Vec<Cve> = Vec::new();
    for row in table() {
        if row.product == product.name()
            && row.from <= version
            && version < row.fixed
            && !out.iter().any(|c| c.id == row.id)
        {
            out.push(row);
        }
    }
    out
}

/// Every fixed version listed for a CVE and product, for evidence.
pub fn fixed_versions(id: &str, product: &str) -> Vec<String> {
    table().into_iter().filter(|c| c.id == id && c.product == product).map(|c| show(c.fixed)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("7.0.15"), Some([7, 0, 15]));
        assert_eq!(parse_version("8.0"), Some([8, 0, 0]));
        assert_eq!(parse_version("7.2.4-rc1"), Some([7, 2, 4]));
        assert_eq!(parse_version("x"), None);
        assert_eq!(parse_version(""), None);
        assert!([7, 0, 15] < [7, 2, 11]);
    }

    #[test]
    fn table_parses_and_has_the_required_cves() {
        let t = table();
        for id in [
            "CVE-2022-0543",
            "CVE-2025-49844",
            "CVE-2025-46817",
            "CVE-2025-46818",
            "CVE-2025-46819",
            "CVE-2021-32675",
            "CVE-2022-36021",
            "CVE-2024-31228",
            "CVE-2025-21605",
        ] {
            assert!(t.iter().any(|c| c.id == id), "{id} missing");
        }
        for c in &t {
            assert!(c.from < c.fixed, "{} range", c.id);
            assert!(["none", "auth", "lua", "debian"].contains(&c.needs.as_str()), "{} needs", c.id);
        }
    }

    #[test]
    fn matching() {
        let ids = |p, v| affecting(p, v).into_iter().map(|c| c.id).collect::<Vec<_>>();
        let debian_7015 = ids(Product::Redis, [7, 0, 15]);
        for id in ["CVE-2025-49844", "CVE-2025-46817", "CVE-2024-31228", "CVE-2025-21605"] {
            assert!(debian_7015.contains(&id.to_string()), "{id}");
        }
        for id in ["CVE-2022-0543", "CVE-2021-32675", "CVE-2022-36021", "CVE-2023-45145"] {
            assert!(!debian_7015.contains(&id.to_string()), "{id}");
        }
        assert!(ids(Product::Redis, [6, 0, 16]).contains(&"CVE-2022-0543".to_string()));
        assert!(ids(Product::Redis, [6, 2, 5]).contains(&"CVE-2021-32675".to_string()));
        assert!(ids(Product::Redis, [8, 2, 2]).is_empty());
        assert!(ids(Product::Valkey, [8, 1, 4]).is_empty());
        assert!(ids(Product::Valkey, [8, 1, 3]).contains(&"CVE-2025-49844".to_string()));
        assert!(ids(Product::Redoubt, [0, 1, 0]).is_empty());
        assert_eq!(fixed_versions("CVE-2025-21605", "redis"), vec!["6.2.18", "7.2.8", "7.4.3"]);
    }
}
