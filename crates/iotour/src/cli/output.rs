//! Everything a command prints goes through here: [`Output`] for standard
//! output, [`err_line`] for messages on standard error.
//!
//! - A write never panics (`println!` does, "failed printing to stdout:
//!   Broken pipe"). A reader that went away (`iotour list | head -1`) is
//!   [`OutputError::ClosedPipe`], which `?` carries to the top of
//!   `cli::main`; there it becomes [`Exit::ClosedPipe`](crate::exit::Exit):
//!   status 141, nothing printed. By then the command has stopped its engine,
//!   so the working directory is gone.
//! - Every text passes through [`sanitize`] on its way out (line breaks
//!   kept): whatever a scenario, a recording or a file name holds, no control
//!   character reaches the terminal. Our own escape sequences (the `--watch`
//!   clear) are written by [`Output::clear_screen`] only.
//! - JSON is written by [`json_pretty`] / [`json_line`], which also escape
//!   the C1 controls and bidirectional overrides that `serde_json` leaves
//!   raw; the values read back the same.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::sanitize::{Newlines, sanitize};

/// Why a command could not print.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The reader of standard output went away (EPIPE).
    #[error("standard output was closed by its reader")]
    ClosedPipe,
    #[error("cannot write to standard output")]
    Io(#[source] io::Error),
}

impl From<io::Error> for OutputError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            OutputError::ClosedPipe
        } else {
            OutputError::Io(e)
        }
    }
}

/// Whether `err` (anywhere in its chain) is a closed standard output.
pub fn is_closed_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|c| matches!(c.downcast_ref(), Some(OutputError::ClosedPipe)))
}

/// Standard output, written whole text by whole text and flushed each time
/// (a `--watch` refresh must show at once).
pub struct Output {
    out: io::Stdout,
}

impl Default for Output {
    fn default() -> Self {
        Output::new()
    }
}

impl Output {
    pub fn new() -> Output {
        Output { out: io::stdout() }
    }

    /// Print `text` as it is (sanitized).
    pub fn print(&self, text: &str) -> Result<(), OutputError> {
        self.raw(sanitize(text, Newlines::Keep).as_bytes())
    }

    /// Print `text` and a line break.
    pub fn line(&self, text: &str) -> Result<(), OutputError> {
        let mut t = sanitize(text, Newlines::Keep).into_owned();
        t.push('\n');
        self.raw(t.as_bytes())
    }

    /// Home the cursor and clear the screen, as watch(1) does before each refresh.
    pub fn clear_screen(&self) -> Result<(), OutputError> {
        self.raw(b"\x1b[H\x1b[2J")
    }

    /// Print text we generated from our own definitions (shell completions,
    /// the man page), byte for byte: it holds nothing from a file, and a tab
    /// in a completion script must stay a tab.
    pub fn generated(&self, bytes: &[u8]) -> Result<(), OutputError> {
        self.raw(bytes)
    }

    fn raw(&self, bytes: &[u8]) -> Result<(), OutputError> {
        let mut lock = self.out.lock();
        lock.write_all(bytes)?;
        lock.flush()?;
        Ok(())
    }
}

/// Print a message on standard error (sanitized, line breaks kept). A
/// standard error that cannot be written to is not a reason to fail.
pub fn err_line(text: &str) {
    let mut t = sanitize(text, Newlines::Keep).into_owned();
    t.push('\n');
    let _ = io::stderr().lock().write_all(t.as_bytes());
}

/// Whether `c` is a character JSON allows raw but a terminal would obey:
/// DEL, the C1 controls, bidirectional overrides. (serde_json escapes C0.)
fn escape_in_json(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A [`Formatter`] that writes [`escape_in_json`] characters as `\uXXXX`
/// and leaves everything else to `F`.
struct Escaping<F>(F);

macro_rules! delegate {
    ($($name:ident),*) => {$(
        fn $name<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.$name(w)
        }
    )*};
}

impl<F: Formatter> Formatter for Escaping<F> {
    delegate!(
        begin_array,
        end_array,
        end_array_value,
        begin_object,
        end_object,
        begin_object_value,
        end_object_value
    );

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if escape_in_json(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

fn json_with<F: Formatter>(value: &impl Serialize, f: F) -> serde_json::Result<String> {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, Escaping(f));
    value.serialize(&mut ser)?;
    // The serializer writes UTF-8 only.
    Ok(String::from_utf8(buf).unwrap_or_default())
}

/// `value` as indented JSON (what `run --json` and `list --json` print).
pub fn json_pretty(value: &impl Serialize) -> serde_json::Result<String> {
    json_with(value, PrettyFormatter::new())
}

/// `value` as one line of JSON, newline included (what `--watch --json` prints).
pub fn json_line(value: &impl Serialize) -> serde_json::Result<String> {
    let mut s = json_with(value, serde_json::ser::CompactFormatter)?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_what_a_terminal_would_obey_and_reads_back_the_same() {
        let v = serde_json::json!({"title": "a\u{1b}[2J\u{9b}\u{202e}b", "n": [1, 2]});
        for text in [json_pretty(&v).unwrap(), json_line(&v).unwrap()] {
            assert!(
                text.chars().all(|c| !c.is_control() || c == '\n'),
                "{text:?}"
            );
            assert!(text.contains(r"\u001b[2J\u009b\u202e"), "{text}");
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, v);
        }
        // Plain values are written as serde_json writes them.
        let plain = serde_json::json!({"a": [1, {"b": "x"}], "c": null});
        assert_eq!(
            json_pretty(&plain).unwrap(),
            serde_json::to_string_pretty(&plain).unwrap()
        );
        assert_eq!(
            json_line(&plain).unwrap(),
            serde_json::to_string(&plain).unwrap() + "\n"
        );
    }

    #[test]
    fn a_broken_pipe_is_a_closed_pipe_anywhere_in_the_chain() {
        let e = OutputError::from(io::Error::from(io::ErrorKind::BrokenPipe));
        let err = anyhow::Error::new(e).context("printing the report");
        assert!(is_closed_pipe(&err));
        let other = OutputError::from(io::Error::other("disk on fire"));
        assert!(!is_closed_pipe(&anyhow::Error::new(other)));
    }
}
