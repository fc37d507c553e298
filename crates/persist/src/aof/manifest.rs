//! The manifest of a Redis 7 multi-part append-only file (`aof.c`): one line per file,
//! `file <name> seq <n> type <b|h|i>`, the base first, then history files, then the
//! incremental files in increasing sequence. Lines starting with `#` are comments. Names
//! that need quoting are written as Redis's `sdscatrepr` writes them and read as
//! `sdssplitargs` reads them. Extra `key value` pairs are ignored (Redis's forward
//! compatibility); a name that is a path is refused.

use std::fmt::Write as _;

/// The suffix of the manifest file after `appendfilename`.
pub const MANIFEST_SUFFIX: &str = ".manifest";

/// What a file listed in the manifest holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// The base: a snapshot (RDB) or AOF commands that rebuild the dataset.
    Base,
    /// An incremental file: commands run after the base, in sequence order.
    Incr,
    /// A file a rewrite made obsolete, kept until it is deleted.
    History,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::Incr => 'i',
            FileKind::History => 'h',
        }
    }
}

/// One file of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFileInfo {
    /// File name inside the AOF directory.
    pub name: String,
    /// Sequence number (base and incremental files count separately).
    pub seq: i64,
    /// Its role.
    pub kind: FileKind,
}

/// The parsed manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, if any.
    pub base: Option<AofFileInfo>,
    /// Files awaiting deletion.
    pub history: Vec<AofFileInfo>,
    /// Incremental files, in sequence order.
    pub incrs: Vec<AofFileInfo>,
    /// The highest base sequence used.
    pub base_seq: i64,
    /// The highest incremental sequence used.
    pub incr_seq: i64,
}

/// Longest line Redis reads.
const MAX_LINE: usize = 1024;

impl Manifest {
    /// Parses a manifest with Redis's rules and error texts.
    pub fn parse(text: &[u8]) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        if text.is_empty() {
            return Err("Found an empty AOF manifest".into());
        }
        let mut max_incr = 0;
        for (n, raw) in text.split_inclusive(|&b| b == b'\n').enumerate() {
            let at = |e: &str| format!("{e} (line {}: '{}')", n + 1, String::from_utf8_lossy(raw).trim_end());
            if raw.first() == Some(&b'#') {
                continue;
            }
            if raw.len() > MAX_LINE || raw.last() != Some(&b'\n') {
                return Err(at("The AOF manifest file contains too long line"));
            }
            let line = String::from_utf8_lossy(raw);
            let line = line.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
            let argv =
                redoubt_resp::split_words(line.as_bytes()).ok_or_else(|| at("Invalid AOF manifest file format"))?;
            if argv.len() < 6 || argv.len() % 2 != 0 {
                return Err(at("Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut kind) = (None, 0i64, None);
            for pair in argv.chunks(2) {
                let key = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                match key.as_str() {
                    "file" => {
                        let v = String::from_utf8_lossy(&pair[1]).into_owned();
                        if v.is_empty() || v.contains('/') || v == "." || v == ".." {
                            return Err(at("File can't be a path, just a filename"));
                        }
                        name = Some(v);
                    }
                    "seq" => seq = atoll(&pair[1]),
                    "type" => kind = pair[1].first().copied(),
                    _ => {}
                }
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return Err(at("Invalid AOF manifest file format"));
            };
            if seq == 0 {
                return Err(at("Invalid AOF manifest file format"));
            }
            match kind {
                b'b' => {
                    if m.base.is_some() {
                        return Err(at("Found duplicate base file information"));
                    }
                    m.base_seq = seq;
                    m.base = Some(AofFileInfo { name, seq, kind: FileKind::Base });
                }
                b'h' => m.history.push(AofFileInfo { name, seq, kind: FileKind::History }),
                b'i' => {
                    if seq <= max_incr {
                        return Err(at("Found a non-monotonic sequence number"));
                    }
                    max_incr = seq;
                    m.incr_seq = seq;
                    m.incrs.push(AofFileInfo { name, seq, kind: FileKind::Incr });
                }
                _ => return Err(at("Unknown AOF file type")),
            }
        }
        Ok(m)
    }

    /// The manifest's text, as Redis writes it.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for f in self.base.iter().chain(&self.history).chain(&self.incrs) {
            let _ = writeln!(s, "file {} seq {} type {}", repr(&f.name), f.seq, f.kind.letter());
        }
        s
    }

    /// Whether the manifest lists no base and no incremental file.
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incrs.is_empty()
    }

    /// Adds a new incremental file `<prefix>.<seq>.incr.aof` and returns its name.
    pub fn add_incr(&mut self, prefix: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{prefix}.{}.incr.aof", self.incr_seq);
        self.incrs.push(AofFileInfo { name: name.clone(), seq: self.incr_seq, kind: FileKind::Incr });
        name
    }

    /// Makes a new base `<prefix>.<seq>.base.rdb` (or `.aof`), turns the old base and every
    /// incremental file but the last `keep_incrs` into history, and returns the new name.
    pub fn rebase(&mut self, prefix: &str, rdb: bool, keep_incrs: usize) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileKind::History;
            self.history.insert(0, old);
        }
        let split = self.incrs.len().saturating_sub(keep_incrs);
        for mut f in self.incrs.drain(..split) {
            f.kind = FileKind::History;
            self.history.push(f);
        }
        self.base_seq += 1;
        let name = format!("{prefix}.{}.base.{}", self.base_seq, if rdb { "rdb" } else { "aof" });
        self.base = Some(AofFileInfo { name: name.clone(), seq: self.base_seq, kind: FileKind::Base });
        name
    }
}

/// `atoll`: leading digits with an optional sign, 0 when none.
fn atoll(b: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(b);
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for c in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if neg {
        -v
    } else {
        v
    }
}

/// A name as `sdscatrepr` writes it when it needs quoting (spaces, quotes, control bytes).
fn repr(name: &str) -> String {
    let needs = name
        .bytes()
        .any(|c| c.is_ascii_whitespace() || c == b'"' || c == b'\'' || c == b'\\' || !(32..127).contains(&c));
    if !needs {
        return name.to_string();
    }
    let mut s = String::from("\"");
    for c in name.bytes() {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            32..=126 => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_redis_manifests() {
        let text = b"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\n\
file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
        assert_eq!(m.history.len(), 1);
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.incr_seq, 3);
        assert_eq!(m.render().as_bytes(), text);
    }

    #[test]
    fn refuses_what_redis_refuses() {
        let bad: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"file a seq 1 type b\nfile b seq 2 type b\n", "duplicate base"),
            (b"file a seq 2 type i\nfile b seq 1 type i\n", "non-monotonic"),
            (b"file a seq 1\n", "Invalid"),
            (b"file ../a seq 1 type i\n", "path"),
            (b"file a seq 1 type x\n", "Unknown"),
            (b"file a seq 1 type i", "too long"),
        ];
        for (text, want) in bad {
            let e = Manifest::parse(text).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn rebase_keeps_the_newest_incr() {
        let mut m = Manifest::default();
        m.rebase("appendonly.aof", true, 0);
        m.add_incr("appendonly.aof");
        m.add_incr("appendonly.aof");
        let base = m.rebase("appendonly.aof", true, 1);
        assert_eq!(base, "appendonly.aof.2.base.rdb");
        assert_eq!(m.incrs.len(), 1);
        assert_eq!(m.incrs[0].name, "appendonly.aof.2.incr.aof");
        assert_eq!(m.history.len(), 2);
        let quoted = AofFileInfo { name: "a b".into(), seq: 1, kind: FileKind::Incr };
        let m2 = Manifest { incrs: vec![quoted], incr_seq: 1, ..Manifest::default() };
        assert_eq!(Manifest::parse(m2.render().as_bytes()).unwrap(), m2);
    }
}
