//! Reads a redis.conf-syntax file for the local checks: Redis's argument splitting (double
//! quotes with escapes, single quotes), comments, and `include` (relative to the including
//! file's directory, wildcards in the file name, at most 16 deep and 64 files).

use std::path::{Path, PathBuf};

/// One directive line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The name, lowercase.
    pub name: String,
    /// The arguments.
    pub args: Vec<String>,
    /// The file it came from.
    pub file: PathBuf,
    /// Its line number (1-based).
    pub line: usize,
}

/// A loaded configuration.
#[derive(Clone, Debug, Default)]
pub struct Conf {
    /// The main file, then every included file, in load order.
    pub files: Vec<PathBuf>,
    /// Every directive, in load order.
    pub directives: Vec<Directive>,
    /// Problems met while reading (unreadable includes, bad quoting), as `file:line: text`.
    pub problems: Vec<String>,
    /// The canonical paths of `files`, for cycle detection.
    seen: Vec<PathBuf>,
}

impl Conf {
    /// The last directive with this name (later lines override earlier ones).
    pub fn last(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().rev().find(|d| d.name == name)
    }

    /// The last value of a one-argument directive, joined by spaces for several.
    pub fn value(&self, name: &str) -> Option<String> {
        self.last(name).map(|d| d.args.join(" "))
    }

    /// Every directive with this name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Directive> + 'a {
        self.directives.iter().filter(move |d| d.name == name)
    }

    /// Directives that hold a secret in the file: `requirepass`, `masterauth`, TLS key
    /// passphrases, and `user` lines with a `>password`.
    pub fn secrets_in(&self, file: &Path) -> Vec<&Directive> {
        self.directives
            .iter()
            .filter(|d| d.file == file)
            .filter(|d| match d.name.as_str() {
                "requirepass" | "masterauth" | "tls-key-file-pass" | "tls-client-key-file-pass" => {
                    d.args.first().is_some_and(|a| !a.is_empty())
                }
                "user" => d.args.iter().any(|a| a.starts_with('>')),
                _ => false,
            })
            .collect()
    }

    /// Resolves a path named in the file: absolute as is, relative to the directory of the
    /// file that names it (Redis resolves against its working directory, which the tool
    /// cannot know; Redoubt uses the file's directory).
    pub fn resolve(&self, d: &Directive, p: &str) -> PathBuf {
        let path = Path::new(p);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            d.file.parent().unwrap_or(Path::new(".")).join(path)
        }
    }
}

/// Loads `path` and its includes.
pub fn load(path: &Path) -> Result<Conf, String> {
    let mut conf = Conf::default();
    let text = read(path)?;
    parse_into(&mut conf, path, &text, 0);
    Ok(conf)
}

fn read(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(16 * 1024 * 1024).read_to_end(&mut buf))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn parse_into(conf: &mut Conf, path: &Path, text: &str, depth: usize) {
    conf.files.push(path.to_path_buf());
    conf.seen.push(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = match split_args(line) {
            Ok(w) if !w.is_empty() => w,
            Ok(_) => continue,
            Err(e) => {
                conf.problems.push(format!("{}:{}: {e}", path.display(), i + 1));
                continue;
            }
        };
        let d = Directive {
            name: words[0].to_ascii_lowercase(),
            args: words[1..].to_vec(),
            file: path.to_path_buf(),
            line: i + 1,
        };
        if d.name == "include" {
            for arg in &d.args {
                include(conf, &d, arg, depth);
            }
        }
        conf.directives.push(d);
    }
}

fn include(conf: &mut Conf, d: &Directive, arg: &str, depth: usize) {
    let at = format!("{}:{}", d.file.display(), d.line);
    if depth >= 16 || conf.files.len() >= 64 {
        conf.problems.push(format!("{at}: include too deep or too many files; not followed"));
        return;
    }
    let target = conf.resolve(d, arg);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let paths: Vec<PathBuf> = if name.contains('*') || name.contains('?') {
        let dir = target.parent().unwrap_or(Path::new("."));
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        let n = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        !n.starts_with('.') && glob(&name, &n)
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    } else {
        vec![target]
    };
    for p in paths {
        if conf.seen.contains(&std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone())) {
            conf.problems.push(format!("{at}: include cycle through {}", p.display()));
            continue;
        }
        match read(&p) {
            Ok(text) => parse_into(conf, &p, &text, depth + 1),
            Err(e) => conf.problems.push(format!("{at}: include: {e}")),
        }
    }
}

/// `*` and `?` matching for include wildcards.
fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// Splits a line as Redis's `sdssplitargs` does ([`redoubt_resp::split_words`]).
pub fn split_args(line: &str) -> Result<Vec<String>, String> {
    let words = redoubt_resp::split_words(line.as_bytes()).ok_or_else(|| "unbalanced quotes".to_string())?;
    Ok(words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        assert_eq!(split_args("bind * -::*").unwrap(), vec!["bind", "*", "-::*"]);
        assert_eq!(split_args(r#"requirepass "a b\"c""#).unwrap(), vec!["requirepass", "a b\"c"]);
        assert_eq!(split_args("save ''").unwrap(), vec!["save", ""]);
        assert_eq!(split_args(r#"x "\x41""#).unwrap(), vec!["x", "A"]);
        assert!(split_args("x \"open").is_err());
        assert!(split_args("x \"a\"b").is_err());
    }

    #[test]
    fn loading_with_includes() {
        let dir = std::env::temp_dir().join(format!("redoubt-audit-conf-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("conf.d")).unwrap();
        std::fs::write(dir.join("main.conf"), "# c\nport 7000\ninclude conf.d/*.conf\nrequirepass \"s e\"\n").unwrap();
        std::fs::write(dir.join("conf.d/a.conf"), "bind 0.0.0.0\ninclude ../main.conf\n").unwrap();
        let c = load(&dir.join("main.conf")).unwrap();
        assert_eq!(c.value("port").as_deref(), Some("7000"));
        assert_eq!(c.value("bind").as_deref(), Some("0.0.0.0"));
        assert_eq!(c.files.len(), 2);
        assert!(c.problems.iter().any(|p| p.contains("cycle")), "{:?}", c.problems);
        assert_eq!(c.secrets_in(&dir.join("main.conf")).len(), 1);
        assert!(glob("*.conf", "a.conf") && !glob("*.conf", "a.txt"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
