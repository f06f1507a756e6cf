//! The one error type of the scenario layer, rendered the way rustc and cargo
//! render theirs: `path:line:col: message`, the offending source line, a caret
//! under the span, then notes (what was meant, what is allowed).
//!
//! ```text
//! lesson.toml:7:6: unknown op `wrte`
//!   |
//! 7 | op = "wrte"
//!   |      ^^^^^^
//!   = help: did you mean `write`?
//!   = ops: write, buffered_write, pwrite, ...
//! ```

use std::fmt::{self, Write as _};
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use unicode_width::UnicodeWidthChar;

/// Why a scenario could not be had: its file cannot be read, its text is not a
/// valid scenario, or the name asked for matches nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ScenarioError {
    /// The file is missing, unreadable, or not UTF-8.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        // Arc: a catalog keeps errors and hands out copies of them.
        #[source]
        source: Arc<io::Error>,
    },
    /// The text is not TOML or not a valid scenario; points into the source.
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
    /// More than one thing is wrong in the text: every one, in the order of
    /// the file (parsing goes on past each mistake it can step over).
    #[error("{}", several_message(.0))]
    Several(Vec<Diagnostic>),
    /// Neither a known scenario id nor a path to a file.
    #[error("{}", unknown_message(name, suggestions, known))]
    Unknown {
        name: String,
        suggestions: Vec<String>,
        known: Vec<String>,
    },
}

impl ScenarioError {
    /// The file or directory at `path` could not be read.
    pub fn read(path: impl Into<PathBuf>, source: io::Error) -> Self {
        ScenarioError::Read {
            path: path.into(),
            source: Arc::new(source),
        }
    }

    /// The 1-based line the error points at, if it points into a file.
    pub fn line(&self) -> Option<usize> {
        self.diagnostic().map(|d| d.line)
    }

    /// The 1-based column (in characters) the error points at.
    pub fn column(&self) -> Option<usize> {
        self.diagnostic().map(|d| d.column)
    }

    /// The message alone, without position, source line or notes.
    pub fn message(&self) -> String {
        match self {
            ScenarioError::Invalid(d) => d.message.clone(),
            ScenarioError::Several(all) => {
                all.first().map(|d| d.message.clone()).unwrap_or_default()
            }
            other => other.to_string(),
        }
    }

    /// One line for lists: `path:line:col: message`.
    pub fn summary(&self) -> String {
        self.to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first (or only) place the error points at.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        self.diagnostics().first()
    }

    /// Every place the error points at, in the order of the file; none for
    /// an unreadable file or an unknown name.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ScenarioError::Invalid(d) => std::slice::from_ref(&**d),
            ScenarioError::Several(all) => all,
            _ => &[],
        }
    }

    /// One error from `found` (one of them, or [`ScenarioError::Several`]),
    /// sorted by place; `None` when nothing was found.
    pub(crate) fn from_all(mut found: Vec<Diagnostic>) -> Option<ScenarioError> {
        found.sort_by_key(|d| (d.line, d.column));
        match found.len() {
            0 => None,
            1 => found.pop().map(ScenarioError::from),
            _ => Some(ScenarioError::Several(found)),
        }
    }
}

/// Each diagnostic, a blank line between them, then how many there were
/// (as rustc ends with "aborting due to 3 previous errors").
fn several_message(all: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in all {
        let _ = write!(out, "{d}\n\n");
    }
    let file = all.first().map_or("", |d| d.file.as_str());
    let _ = write!(out, "{} errors in {file}", all.len());
    out
}

impl From<Diagnostic> for ScenarioError {
    fn from(d: Diagnostic) -> Self {
        ScenarioError::Invalid(Box::new(d))
    }
}

fn unknown_message(name: &str, suggestions: &[String], known: &[String]) -> String {
    let mut out = format!(
        "no scenario `{name}`: not a built-in id, not in a scenario directory, and no such file"
    );
    if !suggestions.is_empty() {
        let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
        let _ = write!(out, "\n  = help: did you mean {}?", quoted.join(" or "));
    }
    if !known.is_empty() {
        let _ = write!(out, "\n  = known ids: {}", known.join(", "));
    }
    out.push_str(
        "\n  = help: `iotour list` shows every scenario; a path to a .toml file works too",
    );
    out
}

/// A message about a place in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user knows it (`scenarios/x.toml`, `./my.toml`).
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The source line the span starts on (tabs shown as spaces).
    pub source_line: String,
    /// Display columns before the caret, and its width (at least 1).
    caret: (usize, usize),
    /// `help: ...` and lists of valid names, one per line.
    pub notes: Vec<String>,
    /// Only a consequence of a mistake reported on its own ("missing
    /// `summary`" after "unknown field `sumary`"): left out when all the
    /// errors of a file are reported, as rustc leaves out follow-on errors.
    echo: bool,
}

impl Diagnostic {
    /// A message about `span` (byte offsets into `source`).
    pub fn new(file: &str, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line = source[..start].matches('\n').count() + 1;
        let raw_line = source[line_start..line_end].trim_end_matches('\r');
        // A span at the `\r` of a CRLF line end points just past the line as
        // shown (found by tests/parser_props.rs: it used to panic in clamp).
        let start = start.min(line_start + raw_line.len());
        let before = &source[line_start..start];
        let column = before.chars().count() + 1;
        // A span that runs past the line (a multi-line table) is underlined to
        // the end of its first line.
        let end = floor_char_boundary(source, span.end.clamp(start, line_start + raw_line.len()));
        let offset = display_width(before);
        let width = display_width(&source[start..end]).max(1);
        Diagnostic {
            file: file.to_owned(),
            line,
            column,
            message: message.into(),
            source_line: raw_line.replace('\t', " "),
            caret: (offset, width),
            notes: Vec::new(),
            echo: false,
        }
    }

    /// Mark this as a consequence of another error (see `echo`).
    #[must_use]
    pub(crate) fn echo(mut self) -> Self {
        self.echo = true;
        self
    }

    pub(crate) fn is_echo(&self) -> bool {
        self.echo
    }

    /// Add a note shown under the caret (`help: ...`, `ops: ...`).
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    #[must_use]
    pub fn notes(mut self, notes: impl IntoIterator<Item = String>) -> Self {
        self.notes.extend(notes);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        writeln!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{number} | {}", self.source_line)?;
        write!(
            f,
            "{gutter} | {}{}",
            " ".repeat(self.caret.0),
            "^".repeat(self.caret.1)
        )?;
        for note in &self.notes {
            write!(f, "\n{gutter} = {note}")?;
        }
        Ok(())
    }
}

/// Columns a terminal gives `s`: CJK characters take two, so the caret stays
/// under a Chinese `say` line. Tabs count as one because they print as one space.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if c == '\t' { 1 } else { c.width().unwrap_or(0) })
        .sum()
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Names from `candidates` close enough to `word` to be what was meant, best
/// first: a typo (`wrte`), a missing or extra letter, a swapped pair.
pub(crate) fn close_names<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Vec<&'c str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(word, c), c))
        .filter(|&(score, c)| {
            score >= 0.6 || (c.len() > 3 && c.starts_with(word) && word.len() >= 3)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// `help: did you mean `x`?` when something is close, else nothing.
pub(crate) fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    let close = close_names(word, candidates);
    let quoted: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
    (!quoted.is_empty()).then(|| format!("help: did you mean {}?", quoted.join(" or ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_position_line_and_caret() {
        let src = "[scenario]\ntitle = 3\n";
        let d = Diagnostic::new("a.toml", src, 19..20, "`title` must be a string")
            .note("help: quote it");
        assert_eq!(
            d.to_string(),
            "a.toml:2:9: `title` must be a string\n  |\n2 | title = 3\n  |         ^\n  = help: quote it"
        );
    }

    #[test]
    fn caret_under_wide_characters() {
        let src = "say = \"写入\" x\n";
        let start = src.find('x').unwrap();
        let d = Diagnostic::new("a.toml", src, start..start + 1, "junk");
        assert_eq!(d.column, 12);
        let caret_line = d.to_string().lines().nth(3).unwrap().to_owned();
        // `say = "` is 7 columns, 写入 4, `" ` 2: the caret sits at column 14.
        assert_eq!(caret_line, format!("  | {}^", " ".repeat(13)));
    }

    #[test]
    fn multi_line_span_is_cut_at_the_end_of_its_line() {
        let src = "x = [\n 1,\n]\n";
        let d = Diagnostic::new("a.toml", src, 4..src.len(), "bad");
        assert_eq!(d.to_string(), "a.toml:1:5: bad\n  |\n1 | x = [\n  |     ^");
        assert_eq!((d.line, d.column), (1, 5));
    }

    #[test]
    fn suggests_close_names_only() {
        let ops = ["write", "buffered_write", "pwrite", "read", "fsync"];
        assert_eq!(close_names("wrte", ops)[0], "write");
        assert_eq!(close_names("fsycn", ops), vec!["fsync"]);
        assert!(close_names("banana", ops).is_empty());
        assert_eq!(
            did_you_mean("raed", ops).as_deref(),
            Some("help: did you mean `read`?")
        );
    }

    #[test]
    fn error_at_end_of_file() {
        let src = "a = 1\n";
        let d = Diagnostic::new("a.toml", src, 6..6, "eof");
        assert_eq!((d.line, d.column), (2, 1));
    }
}
