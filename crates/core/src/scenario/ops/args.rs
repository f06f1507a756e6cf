//! An op's parameters read from its `[[step]]` table through their [`Param`]s,
//! so the name, the default and the hint of each are written once, in its
//! op's [`Spec`](super::Spec).

use std::num::NonZeroU64;
use std::str::FromStr;

use super::super::error::did_you_mean;
use super::super::table::{Fields, Result};
use super::{Kind, Param};

/// The parameters of one step, read by its op's parser.
pub(crate) struct Args<'f> {
    f: &'f Fields<'f, 'f>,
}

impl<'f> Args<'f> {
    pub(in crate::scenario) fn new(f: &'f Fields<'f, 'f>) -> Self {
        Args { f }
    }

    /// A size or count, its default when not written; 0 is allowed.
    pub fn number(&self, p: &Param) -> Result<u64> {
        Ok(self.written_number(p)?.0)
    }

    /// A size or count that must be at least 1.
    pub fn nonzero(&self, p: &Param) -> Result<NonZeroU64> {
        let (n, span) = self.written_number(p)?;
        NonZeroU64::new(n).ok_or_else(|| match span {
            Some(span) => {
                let rule = if matches!(p.kind, Kind::Count(_)) {
                    "must be at least 1"
                } else {
                    "must be more than 0"
                };
                self.f
                    .src
                    .error(span, format!("`{}` {rule}", p.name))
                    .into()
            }
            // A default of 0 for a parameter that cannot be 0: the spec is
            // wrong, and the tests of the vocabulary say so first.
            None => self.f.missing(p.name, p.hint),
        })
    }

    /// The value and where it was written (`None`: the default).
    pub fn written_number(&self, p: &Param) -> Result<(u64, Option<std::ops::Range<usize>>)> {
        let (written, default) = match p.kind {
            Kind::Size(default) => (self.f.size(p.name)?, default),
            Kind::Count(default) => (self.f.count(p.name)?, default),
            _ => return Err(self.wrong_kind(p)),
        };
        match (written, default) {
            (Some((n, span)), _) => Ok((n, Some(span))),
            (None, Some(d)) => Ok((d, None)),
            (None, None) => Err(self.f.missing(p.name, p.hint)),
        }
    }

    pub fn boolean(&self, p: &Param) -> Result<bool> {
        match p.kind {
            Kind::Bool(default) => self.f.boolean(p.name, default),
            _ => Err(self.wrong_kind(p)),
        }
    }

    /// One of the parameter's words, as the value it names.
    pub fn choice<T: FromStr>(&self, p: &Param) -> Result<T> {
        let Kind::Choice { words, default } = p.kind else {
            return Err(self.wrong_kind(p));
        };
        let word = self.f.word(p.name, words, default)?;
        T::from_str(word).map_err(|_| self.wrong_kind(p))
    }

    /// The words of a list parameter, each at most once, in the order written.
    pub fn flags<T: FromStr>(&self, p: &Param) -> Result<Vec<T>> {
        let Kind::Flags { words } = p.kind else {
            return Err(self.wrong_kind(p));
        };
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for (word, span) in self.f.strings(p.name)?.unwrap_or_default() {
            if !words.contains(&word.as_str()) {
                return Err(self
                    .f
                    .src
                    .error(span, format!("unknown flag `{word}`"))
                    .notes(did_you_mean(&word, words.iter().copied()))
                    .note(format!("{}: {}", p.name, words.join(", ")))
                    .into());
            }
            if seen.contains(&word) {
                return Err(self
                    .f
                    .src
                    .error(span, format!("flag `{word}` is listed twice"))
                    .into());
            }
            out.push(T::from_str(&word).map_err(|_| self.wrong_kind(p))?);
            seen.push(word);
        }
        Ok(out)
    }

    /// A command line: at least one string, each kept with where it was written.
    pub fn argv(&self, p: &Param) -> Result<Vec<(String, std::ops::Range<usize>)>> {
        if !matches!(p.kind, Kind::Argv) {
            return Err(self.wrong_kind(p));
        }
        let Some(items) = self.f.strings(p.name)? else {
            return Err(self.f.missing(p.name, p.hint));
        };
        if items.is_empty() {
            return Err(self.f.missing(p.name, p.hint));
        }
        Ok(items)
    }

    /// Any strings, none when not written.
    pub fn strings(&self, p: &Param) -> Result<Vec<(String, std::ops::Range<usize>)>> {
        if !matches!(p.kind, Kind::Strings) {
            return Err(self.wrong_kind(p));
        }
        Ok(self.f.strings(p.name)?.unwrap_or_default())
    }

    /// One string, `None` when not written.
    pub fn text(&self, p: &Param) -> Result<Option<(String, std::ops::Range<usize>)>> {
        if !matches!(p.kind, Kind::Text { .. }) {
            return Err(self.wrong_kind(p));
        }
        self.f.string(p.name)
    }

    /// An error at `span` of this step's file.
    pub fn error_at(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> super::super::ScenarioError {
        let d = self.f.src.error(span, message);
        match help {
            Some(h) => d.note(h).into(),
            None => d.into(),
        }
    }

    /// An op's parser asked for a parameter as the wrong type: a bug in its
    /// spec, which the vocabulary's tests catch; said rather than panicked.
    fn wrong_kind(&self, p: &Param) -> super::super::ScenarioError {
        self.f.missing(
            p.name,
            &format!(
                "internal: `{}` is declared as {:?} but read otherwise",
                p.name, p.kind
            ),
        )
    }
}
