//! Loading: config files (with `include`), `--directive value` flags, and the secret files.
//!
//! Directives apply in order, later ones overriding earlier ones, exactly as if the flags were
//! appended to the file (Redis's model). The one exception Redis makes is kept: within one
//! load, a second `save` line adds to the first instead of replacing it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::config::{file_words, Config};
use crate::directives::{directives, index_of, lookup, Directive, Kind};
use crate::error::{ConfigError, Place};
use crate::glob::string_match;
use crate::parse::{lines, split_args};
use crate::types::{SourceFile, UserDirective};
use crate::value::{parse, Value};

/// How deeply `include` may nest.
pub const MAX_INCLUDE_DEPTH: usize = 16;
/// The largest config file Redoubt reads.
pub const MAX_CONFIG_FILE_BYTES: u64 = 16 << 20;
/// The most of a secret file (`requirepass-file`) that is read.
const MAX_SECRET_FILE_BYTES: u64 = 64 << 10;

/// Builds a [`Config`] from files and flags.
pub(crate) struct Loader {
    cfg: Config,
    /// Whether a `save` line was met in this load (later ones then add to it).
    save_seen: bool,
    /// Canonical paths of the files being read, outermost first (for cycle detection).
    stack: Vec<PathBuf>,
}

/// The hint given when a secret is passed on the command line.
fn argv_secret_hint(name: &str) -> String {
    let how = match name {
        "requirepass" => "use 'requirepass-file PATH' in the config file or --requirepass-file PATH, or the environment variable REDOUBT_PASSWORD".to_string(),
        "masterauth" => "use 'masterauth-file PATH' in the config file or --masterauth-file PATH, or the environment variable REDOUBT_MASTERAUTH".to_string(),
        "user" => "put 'user' lines in the config file (mode 0600) or in the aclfile".to_string(),
        other => format!("put '{other}' in the config file (mode 0600)"),
    };
    format!("secrets are not accepted on the command line, where every local user can read them (ps); {how}")
}

/// Reads at most `limit` bytes of a file; `Err` names the problem.
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    Ok(bytes)
}

/// `path` relative to `base` (the directory of the file that names it), if it is relative.
fn resolve(path: &str, base: Option<&Path>) -> PathBuf {
    match base {
        Some(base) if Path::new(path).is_relative() => base.join(path),
        _ => PathBuf::from(path),
    }
}

impl Loader {
    /// A loader starting from the defaults.
    pub(crate) fn new() -> Loader {
        Loader { cfg: Config::default(), save_seen: false, stack: Vec::new() }
    }

    /// The configuration built.
    pub(crate) fn finish(self) -> Config {
        self.cfg
    }

    /// Reads the main config file.
    pub(crate) fn main_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let shown = path.display().to_string();
        self.file(path, &Place::File { name: shown, line: None })?;
        self.cfg.config_file = self.cfg.files.first().map(|f| f.path.clone());
        Ok(())
    }

    /// Reads one file; `from` is where it was named (for errors about opening it).
    fn file(&mut self, path: &Path, from: &Place) -> Result<(), ConfigError> {
        let name = path.display().to_string();
        let fail = |what: String| match from {
            Place::File { line: None, .. } => ConfigError::new(from, None, what),
            _ => ConfigError::directive(from, "include", &what),
        };
        let bytes = read_limited(path, MAX_CONFIG_FILE_BYTES)
            .map_err(|e| fail(format!("can't read config file '{name}': {e}")))?;
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if self.stack.contains(&canonical) {
            let mut chain: Vec<String> = self.stack.iter().map(|p| p.display().to_string()).collect();
            chain.push(canonical.display().to_string());
            return Err(fail(format!("include cycle: {}", chain.join(" -> "))));
        }
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            return Err(fail(format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels")));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            ConfigError::new(&Place::File { name: name.clone(), line: Some(line) }, None, "not valid UTF-8")
        })?;
        self.cfg.files.push(SourceFile { path: canonical.clone(), holds_secrets: false });
        let file_index = self.cfg.files.len() - 1;
        self.stack.push(canonical);
        let base = path.parent().map(Path::to_path_buf);
        let result = self.text(&text, &name, base.as_deref(), Some(file_index));
        self.stack.pop();
        result
    }

    /// Applies config text; `origin` names it in errors, `base` resolves relative includes.
    pub(crate) fn text(
        &mut self,
        text: &str,
        origin: &str,
        base: Option<&Path>,
        file_index: Option<usize>,
    ) -> Result<(), ConfigError> {
        for (line_no, line) in lines(text) {
            let place = Place::File { name: origin.to_string(), line: Some(line_no) };
            let words = split_args(line).map_err(|e| {
                // Name the directive (never its value, which may be a secret) when it is a
                // plain first word.
                match line.split_whitespace().next().filter(|w| !w.contains(['"', '\''])) {
                    Some(name) => ConfigError::directive(&place, &name.to_ascii_lowercase(), e.describe()),
                    None => ConfigError::new(&place, None, e.describe()),
                }
            })?;
            if words.is_empty() {
                continue;
            }
            self.directive(&words, &place, base, file_index)?;
        }
        Ok(())
    }

    /// Applies `--directive value ...` flags; `first` is the 1-based position of `args[0]`
    /// among all the arguments (for error messages).
    pub(crate) fn args(&mut self, args: &[String], first: usize) -> Result<(), ConfigError> {
        let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
        // After a bare `--name`, the next argument is its value even if it starts with `--`.
        let mut value_due = false;
        for (j, arg) in args.iter().enumerate() {
            let pos = first + j;
            if !value_due && arg.starts_with("--") {
                let words =
                    split_args(&arg[2..]).map_err(|e| ConfigError::new(&Place::Arg(pos), None, e.describe()))?;
                if words.is_empty() {
                    return Err(ConfigError::new(&Place::Arg(pos), None, "'--' needs a directive name"));
                }
                value_due = words.len() == 1;
                let mut words = words;
                // `--save` followed by another flag, or last, means `save ""` (as redis-server).
                if value_due && words[0].eq_ignore_ascii_case("save") {
                    let next_is_flag = args.get(j + 1).map_or(true, |n| n.starts_with("--"));
                    if next_is_flag {
                        words.push(String::new());
                        value_due = false;
                    }
                }
                groups.push((pos, words));
            } else if arg == "-" {
                return Err(ConfigError::new(
                    &Place::Arg(pos),
                    None,
                    "reading the configuration from standard input is not supported",
                ));
            } else if let Some((_, words)) = groups.last_mut() {
                words.push(arg.clone());
                value_due = false;
            } else {
                return Err(ConfigError::new(&Place::Arg(pos), None, format!("expected a --directive before '{arg}'")));
            }
        }
        for (pos, words) in groups {
            self.directive(&words, &Place::Arg(pos), None, None)?;
        }
        Ok(())
    }

    fn warn(&mut self, place: &Place, name: &str, why: &str) {
        self.cfg.warnings.push(place.prefix(&format!("'{name}' has no effect in Redoubt: {why}")));
    }

    /// Applies one directive line (`words[0]` is its name).
    fn directive(
        &mut self,
        words: &[String],
        place: &Place,
        base: Option<&Path>,
        file_index: Option<usize>,
    ) -> Result<(), ConfigError> {
        let name = words[0].to_ascii_lowercase();
        let Some(i) = lookup(&name) else {
            let why = if name.contains('.') {
                format!("unknown directive '{name}' (a module configuration; Redoubt loads no modules)")
            } else {
                format!("unknown directive '{name}'")
            };
            return Err(ConfigError::new(place, Some(&name), why));
        };
        let d: &Directive = &directives()[i];
        let from_argv = matches!(place, Place::Arg(_));
        let holds_secret = d.secret || matches!(d.kind, Kind::User);
        if from_argv && holds_secret {
            return Err(ConfigError::directive(place, &name, &argv_secret_hint(d.name)));
        }
        if holds_secret {
            if let Some(file) = file_index.and_then(|f| self.cfg.files.get_mut(f)) {
                file.holds_secrets = true;
            }
        }
        let argc = words.len();
        let arity = || ConfigError::directive(place, &name, "wrong number of arguments");
        match d.kind {
            Kind::Include => {
                if argc != 2 {
                    return Err(arity());
                }
                self.include(&words[1], base, place)?;
            }
            Kind::RenameCommand => {
                if argc != 3 {
                    return Err(arity());
                }
                if words[1].is_empty() {
                    return Err(ConfigError::directive(place, &name, "the command name is empty"));
                }
                self.cfg.renamed_commands.push((words[1].clone(), words[2].clone()));
            }
            Kind::User => {
                if argc < 2 {
                    return Err(arity());
                }
                let (user, rules) = (words[1].clone(), words[2..].to_vec());
                self.cfg.users.push(UserDirective { name: user, rules });
            }
            Kind::LoadModule => {
                if argc < 2 {
                    return Err(arity());
                }
                self.warn(place, &name, d.inert.unwrap_or_default());
            }
            Kind::Sentinel => {
                return Err(ConfigError::directive(
                    place,
                    &name,
                    "sentinel directives are not supported: Redoubt has no sentinel mode",
                ));
            }
            Kind::Removed => {
                if argc != 2 {
                    return Err(arity());
                }
                self.warn(place, &name, d.inert.unwrap_or_default());
            }
            _ => return self.value_directive(i, &name, &words[1..], place, base),
        }
        Ok(())
    }

    /// Applies a directive that holds a value.
    fn value_directive(
        &mut self,
        i: usize,
        name: &str,
        args: &[String],
        place: &Place,
        base: Option<&Path>,
    ) -> Result<(), ConfigError> {
        let d = &directives()[i];
        if !d.kind.is_multi() && args.len() != 1 {
            return Err(ConfigError::directive(place, name, "wrong number of arguments"));
        }
        let bad = |why: &str| ConfigError::directive(place, name, why);
        let words = file_words(d, args).map_err(|e| bad(e.describe()))?;
        let prev = self.cfg.value_at(i);
        let mut value = parse(d, &words, &prev).map_err(|why| bad(&why))?;
        if matches!(d.kind, Kind::Save) {
            let reset = matches!(words.as_slice(), [only] if only.is_empty());
            if let (Value::Save(old), Value::Save(new), true, false) = (&prev, &mut value, self.save_seen, reset) {
                let mut all = old.clone();
                all.append(new);
                *new = all;
            }
            self.save_seen = true;
        }
        if matches!(d.kind, Kind::AllowFrom) {
            // Lines add up; `allow-from ""` (no network) clears what came before.
            if let (Value::Words(old), Value::Words(new)) = (&prev, &mut value) {
                if !new.is_empty() {
                    let mut all = old.clone();
                    all.append(new);
                    *new = all;
                }
            }
        }
        if let (Kind::SecretFile(target), Value::Str(path)) = (d.kind, &value) {
            if !path.is_empty() {
                let path = resolve(path, base);
                let secret = read_secret(&path).map_err(|why| bad(&why))?;
                self.cfg.store(index_of(target), Value::Str(secret));
                value = Value::Str(path.to_string_lossy().into_owned());
            }
        }
        self.cfg.store(i, value);
        if let Some(why) = d.inert {
            self.warn(place, name, why);
        }
        Ok(())
    }

    /// `include PATH`: a file, or every file matching a wildcard in the last component.
    fn include(&mut self, path: &str, base: Option<&Path>, place: &Place) -> Result<(), ConfigError> {
        let full = resolve(path, base);
        let file_name = full.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        if !file_name.contains(['*', '?', '[']) {
            return self.file(&full, place);
        }
        let dir = full.parent().map(Path::to_path_buf).unwrap_or_default();
        if dir.to_string_lossy().contains(['*', '?', '[']) {
            return Err(ConfigError::directive(place, "include", "wildcards are only supported in the file name"));
        }
        // As glob(3): no match is fine (an empty conf.d), names sorted, dot files hidden.
        let mut matches: Vec<PathBuf> =
            match std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { &dir }) {
                Ok(entries) => entries
                    .filter_map(Result::ok)
                    .filter(|e| {
                        let n = e.file_name().to_string_lossy().into_owned();
                        (!n.starts_with('.') || file_name.starts_with('.')) && string_match(&file_name, &n, false)
                    })
                    .map(|e| dir.join(e.file_name()))
                    .collect(),
                Err(_) => Vec::new(),
            };
        matches.sort();
        for m in matches {
            self.file(&m, place)?;
        }
        Ok(())
    }
}

/// The first line of a secret file, without its line end.
fn read_secret(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let bytes = read_limited(path, MAX_SECRET_FILE_BYTES).map_err(|e| format!("can't read '{shown}': {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("'{shown}' is not valid UTF-8"))?;
    let line = text.split('\n').next().unwrap_or_default().trim_end_matches('\r');
    if line.is_empty() {
        return Err(format!("the first line of '{shown}' is empty"));
    }
    Ok(line.to_string())
}

impl Config {
    /// Loads a config file, then applies `--directive value` flags over it, as
    /// `redis-server FILE --port 6380` does. The environment is not read (see
    /// [`Config::apply_env`]).
    pub fn load(path: &Path, args: &[String]) -> Result<Config, ConfigError> {
        let mut loader = Loader::new();
        loader.main_file(path)?;
        loader.args(args, 1)?;
        Ok(loader.finish())
    }

    /// The whole start-up configuration of `redoubt server [FILE] [--directive value ...]`:
    /// `args` are the arguments after the verb; a first argument not starting with `-` is
    /// the config file. Defaults, then the file, then the flags, then the environment
    /// (`REDOUBT_PASSWORD`, `REDOUBT_MASTERAUTH`).
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        let mut loader = Loader::new();
        let flags = match args.first() {
            Some(file) if !file.starts_with('-') => {
                loader.main_file(Path::new(file))?;
                1
            }
            _ => 0,
        };
        loader.args(&args[flags..], flags + 1)?;
        let mut cfg = loader.finish();
        cfg.apply_env(|k| std::env::var(k).ok());
        Ok(cfg)
    }

    /// Parses config text; `origin` names it in errors and warnings (`<origin>:<line>: ...`),
    /// and relative `include` paths are taken from its directory.
    pub fn parse_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let mut loader = Loader::new();
        let base = Path::new(origin).parent().map(Path::to_path_buf);
        loader.text(text, origin, base.as_deref().filter(|b| !b.as_os_str().is_empty()), None)?;
        Ok(loader.finish())
    }
}

/// `redoubt server --check-config FILE`: loads the file and returns its warnings, or the
/// first error.
pub fn check(path: &Path) -> Result<Vec<String>, ConfigError> {
    Config::load(path, &[]).map(|cfg| cfg.warnings().to_vec())
}
