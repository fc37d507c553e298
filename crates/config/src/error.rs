//! [`ConfigError`]: what went wrong, and where.
//!
//! Errors met while loading name the place: `<file>:<line>: <problem>` for a config file,
//! `command line argument <n>: <problem>` for a flag. Errors of CONFIG SET carry Redis's exact
//! reply text (`ERR CONFIG SET failed (possibly related to argument 'x') - ...`), which the
//! server sends to the client as it is. No error ever quotes a directive's value, so a secret
//! on a malformed line cannot leak into a log.

use std::fmt;

/// Where a directive was read from; part of errors and warnings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Not read from anywhere (CONFIG SET, environment).
    Nowhere,
    /// A config file (or text given to [`crate::Config::parse_str`]), with the 1-based line.
    File {
        /// The file's name as it was opened.
        name: String,
        /// The 1-based line, when the problem is on a line.
        line: Option<usize>,
    },
    /// A command-line argument, 1-based among the arguments after the verb.
    Arg(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Nowhere => Ok(()),
            Place::File { name, line: Some(line) } => write!(f, "{name}:{line}"),
            Place::File { name, line: None } => write!(f, "{name}"),
            Place::Arg(n) => write!(f, "command line argument {n}"),
        }
    }
}

impl Place {
    /// `"<place>: <text>"`, or the text alone when there is no place.
    pub(crate) fn prefix(&self, text: &str) -> String {
        match self {
            Place::Nowhere => text.to_string(),
            place => format!("{place}: {text}"),
        }
    }
}

/// A configuration problem: a bad config file, flag or environment value at start, or a
/// refused CONFIG SET at run time.
///
/// `Display` gives the whole line (`redoubt.conf:12: 'port': argument must be between 0 and
/// 65535 inclusive`); [`ConfigError::message`] gives the problem without its place, which for
/// CONFIG SET is the exact Redis error reply (starting with `ERR `).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    place: Place,
    directive: Option<String>,
    message: String,
}

impl ConfigError {
    /// A problem at `place` about `directive` (if any).
    pub(crate) fn new(place: &Place, directive: Option<&str>, message: impl Into<String>) -> Self {
        ConfigError { place: place.clone(), directive: directive.map(str::to_string), message: message.into() }
    }

    /// A problem with a directive's value or arity: the message names the directive.
    pub(crate) fn directive(place: &Place, name: &str, problem: &str) -> Self {
        Self::new(place, Some(name), format!("'{name}': {problem}"))
    }

    /// A CONFIG SET error with Redis's reply text (without the `ERR ` prefix, which is added).
    pub(crate) fn reply(directive: Option<&str>, text: String) -> Self {
        ConfigError { place: Place::Nowhere, directive: directive.map(str::to_string), message: format!("ERR {text}") }
    }

    /// The problem, without its file and line. For CONFIG SET this is the full Redis error
    /// reply, e.g. `ERR CONFIG SET failed (possibly related to argument 'dir') - can't set
    /// immutable config`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The file the problem was found in, `command line` for a flag, or `None` (CONFIG SET,
    /// environment).
    pub fn origin(&self) -> Option<&str> {
        match &self.place {
            Place::Nowhere => None,
            Place::File { name, .. } => Some(name),
            Place::Arg(_) => Some("command line"),
        }
    }

    /// The 1-based line of the file, or the 1-based position of the command-line argument.
    pub fn line(&self) -> Option<usize> {
        match &self.place {
            Place::Nowhere => None,
            Place::File { line, .. } => *line,
            Place::Arg(n) => Some(*n),
        }
    }

    /// The directive concerned, lowercase, when the problem is about one.
    pub fn directive_name(&self) -> Option<&str> {
        self.directive.as_deref()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.place.prefix(&self.message))
    }
}

impl std::error::Error for ConfigError {}
