//! Typed, spanned access to one TOML table of a scenario file.
//!
//! The parser reads the spanned document (`toml::de::DeTable`) rather than
//! deriving serde types, because every message must point at a place and name
//! what is valid *there* (the parameters of this op, the keys of `expect`),
//! which serde's generic "unknown field" cannot do.

use std::cell::{Cell, RefCell};
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::error::{Diagnostic, ScenarioError, close_names, did_you_mean};
use crate::size::{SizeError, parse_size};

pub(super) type Result<T> = std::result::Result<T, ScenarioError>;

/// The text being parsed, the name to show for it, and where its lines start.
#[derive(Clone, Copy)]
pub(super) struct Source<'s> {
    pub file: &'s str,
    pub text: &'s str,
    lines: &'s LineIndex,
}

impl<'s> Source<'s> {
    pub fn new(file: &'s str, text: &'s str, lines: &'s LineIndex) -> Self {
        Source { file, text, lines }
    }

    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.file, self.text, span, message)
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.lines.line_of(offset)
    }
}

/// Where each line of a text starts, found in one pass. The line of an
/// offset is then a binary search: finding each step's line by rescanning
/// the text before it made checking a file quadratic in its steps.
pub(super) struct LineIndex {
    /// Byte offset of the start of each line; the first is 0.
    starts: Vec<usize>,
    /// Units of work done so far: bytes scanned plus comparisons made, for
    /// the test that keeps parsing linear.
    work: Cell<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex {
            starts,
            work: Cell::new(text.len()),
        }
    }

    /// 1-based line of byte `offset` (offsets past the end: the last line).
    pub fn line_of(&self, offset: usize) -> usize {
        let probes = usize::BITS - self.starts.len().leading_zeros();
        self.work.set(self.work.get() + probes as usize);
        // The number of lines starting at or before `offset`.
        self.starts.partition_point(|&s| s <= offset)
    }

    /// Units of work done so far (see `work`).
    #[cfg(test)]
    pub fn work(&self) -> usize {
        self.work.get()
    }
}

/// The mistakes found so far in one file. Parsing goes on past each one it
/// can step over (a field, a step, an expectation), so `iotour check`
/// reports them all, as rustc does; only a TOML syntax error stops it.
#[derive(Default)]
pub(super) struct Errors(Vec<Diagnostic>);

impl Errors {
    /// The value, or `None` with its error kept.
    pub fn take<T>(&mut self, r: Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, e: impl Into<ScenarioError>) {
        match e.into() {
            ScenarioError::Invalid(d) if d.is_echo() => {}
            ScenarioError::Invalid(d) => self.0.push(*d),
            ScenarioError::Several(all) => self.0.extend(all.into_iter().filter(|d| !d.is_echo())),
            // Reading and naming are not parsing: nothing here makes them,
            // but keep the message rather than lose it.
            other => self
                .0
                .push(Diagnostic::new("", "", 0..0, other.to_string())),
        }
    }

    /// `Ok(())` when nothing was found, else every mistake, sorted by place.
    pub fn finish(self) -> Result<()> {
        ScenarioError::from_all(self.0).map_or(Ok(()), Err)
    }
}

/// A value and where it was written.
pub(super) type At<T> = (T, Range<usize>);

/// One table: its entries, the span of its header (where "missing field"
/// errors point) and a name for messages (`[scenario]`, `step 2`).
pub(super) struct Fields<'a, 'i> {
    pub src: Source<'a>,
    table: &'a DeTable<'i>,
    pub header: Range<usize>,
    pub what: String,
    /// Allowed keys that an unknown key was taken for (`sumary` → `summary`):
    /// their absence is not reported again.
    misspelled: RefCell<Vec<String>>,
}

impl<'a, 'i> Fields<'a, 'i> {
    pub fn new(
        src: Source<'a>,
        table: &'a DeTable<'i>,
        header: Range<usize>,
        what: impl Into<String>,
    ) -> Self {
        Fields {
            src,
            table,
            header,
            what: what.into(),
            misspelled: RefCell::new(Vec::new()),
        }
    }

    /// Whether an unknown key of this table was taken for `key`.
    pub fn misspelled(&self, key: &str) -> bool {
        self.misspelled.borrow().iter().any(|k| k == key)
    }

    /// The same table under another name in messages.
    pub fn named(self, what: impl Into<String>) -> Self {
        Fields {
            what: what.into(),
            ..self
        }
    }

    /// Entries in the order they were written (the map itself is sorted by key).
    pub fn entries(&self) -> Vec<(&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>)> {
        let mut entries: Vec<_> = self.table.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        entries
    }

    pub fn get(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    /// Refuse every key (in source order) not in `allowed`. `message`
    /// words the complaint; `notes` say what is valid.
    pub fn deny_unknown(
        &self,
        allowed: &[&str],
        message: impl Fn(&str) -> String,
        notes: impl IntoIterator<Item = String>,
    ) -> Result<()> {
        let notes: Vec<String> = notes.into_iter().collect();
        let mut errors = Errors::default();
        for (key, _) in self.entries() {
            let name = key.get_ref().as_ref();
            if allowed.contains(&name) {
                continue;
            }
            if let Some(meant) = close_names(name, allowed.iter().copied()).first() {
                self.misspelled.borrow_mut().push((*meant).to_owned());
            }
            let help = did_you_mean(name, allowed.iter().copied());
            errors.push(
                self.src
                    .error(key.span(), message(name))
                    .notes(help)
                    .notes(notes.iter().cloned()),
            );
        }
        errors.finish()
    }

    /// "missing `key` in [scenario]", pointing at the table's header.
    pub fn missing(&self, key: &str, hint: &str) -> ScenarioError {
        let mut d = self.src.error(
            self.header.clone(),
            format!("missing `{key}` in {}", self.what),
        );
        if !hint.is_empty() {
            d = d.note(format!("help: {hint}"));
        }
        if self.misspelled(key) {
            d = d.echo();
        }
        d.into()
    }

    /// "`key` must be WANTED, found …", with how to write it (`example`).
    fn wrong_type(
        &self,
        key: &str,
        value: &Spanned<DeValue<'_>>,
        wanted: &str,
        example: &str,
    ) -> ScenarioError {
        self.src
            .error(
                value.span(),
                format!(
                    "`{key}` must be {wanted}, found {}",
                    type_name(value.get_ref())
                ),
            )
            .note(format!("help: write it as `{key} = {example}`"))
            .into()
    }

    pub fn string(&self, key: &str) -> Result<Option<At<String>>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.get_ref() {
                DeValue::String(s) => Ok(Some((s.to_string(), v.span()))),
                _ => Err(self.wrong_type(key, v, "a string", "\"...\"")),
            },
        }
    }

    pub fn required_string(&self, key: &str, hint: &str) -> Result<At<String>> {
        self.string(key)?.ok_or_else(|| self.missing(key, hint))
    }

    pub fn boolean(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.get_ref() {
                DeValue::Boolean(b) => Ok(*b),
                _ => Err(self.wrong_type(key, v, "true or false", "true")),
            },
        }
    }

    /// A whole number ≥ 0 (counts and milliseconds, which have no units).
    pub fn count(&self, key: &str) -> Result<Option<At<u64>>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let DeValue::Integer(i) = v.get_ref() else {
            return Err(self.wrong_type(key, v, "a whole number", "3"));
        };
        if i.as_str().starts_with('-') {
            return Err(self
                .src
                .error(v.span(), format!("`{key}` cannot be negative"))
                .into());
        }
        u64::from_str_radix(i.as_str().trim_start_matches('+'), i.radix())
            .map(|n| Some((n, v.span())))
            .map_err(|_| {
                self.src
                    .error(v.span(), format!("`{key}` is too large"))
                    .into()
            })
    }

    /// A size in bytes: a TOML integer or a string like `"64MiB"`.
    pub fn size(&self, key: &str) -> Result<Option<At<u64>>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match v.get_ref() {
            DeValue::Integer(i) if i.as_str().starts_with('-') => {
                Err(SizeError::Negative(i.to_string()))
            }
            DeValue::Integer(i) => {
                u64::from_str_radix(i.as_str().trim_start_matches('+'), i.radix())
                    .map_err(|_| SizeError::Overflow(i.to_string()))
            }
            DeValue::String(s) => parse_size(s),
            DeValue::Float(f) => {
                return Err(self
                    .src
                    .error(v.span(), format!("`{key}` must be a size, found a float"))
                    .note(format!(
                        "help: write fractional sizes as a string with a unit: `{key} = \"{f}MiB\"`"
                    ))
                    .into());
            }
            _ => {
                return Err(self.wrong_type(key, v, "a size (4096 or \"64MiB\")", "\"64MiB\""));
            }
        };
        parsed.map(|n| Some((n, v.span()))).map_err(|e| {
            self.src
                .error(v.span(), format!("bad size for `{key}`: {e}"))
                .into()
        })
    }

    pub fn strings(&self, key: &str) -> Result<Option<Vec<At<String>>>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let DeValue::Array(items) = v.get_ref() else {
            return Err(self.wrong_type(key, v, "an array of strings", "[\"a\", \"b\"]"));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) => Ok((s.to_string(), item.span())),
                other => Err(self
                    .src
                    .error(
                        item.span(),
                        format!(
                            "each item of `{key}` must be a string, found {}",
                            type_name(other)
                        ),
                    )
                    .into()),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// One of a fixed set of words, e.g. `pattern = "random"`; `default`
    /// when not written (`None`: required).
    pub fn word(
        &self,
        key: &str,
        words: &[&'static str],
        default: Option<&'static str>,
    ) -> Result<&'static str> {
        let listed = words
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let Some((word, span)) = self.string(key)? else {
            return default
                .ok_or_else(|| self.missing(key, &format!("`{key}` is one of {listed}")));
        };
        words.iter().copied().find(|n| *n == word).ok_or_else(|| {
            self.src
                .error(span, format!("unknown {key} `{word}`"))
                .notes(did_you_mean(&word, words.iter().copied()))
                .note(format!("{key}: {listed}"))
                .into()
        })
    }
}

pub(super) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}
