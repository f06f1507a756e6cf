//! The validated, immutable form of a scenario: what the engine runs.
//!
//! A [`Plan`] is made only by [`Plan::new`] (the parser calls it too), which
//! follows its steps ([`walk`](super::walk)) and refuses one that no machine
//! could run; its parts are read through accessors and never changed. Ops
//! are [`Op`]s with typed parameters (a size that must be more than 0 is a
//! `NonZeroU64`), expectation keys are known [`Key`](super::expect::Key)s.
//! The engine never sees raw TOML.

use std::path::PathBuf;

use super::expect::Expectation;
use super::ops::Op;
use super::walk::{Footprint, Limits, Refusal, walk};

/// A scenario ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    id: String,
    origin: Origin,
    meta: Meta,
    file: FileSetup,
    steps: Vec<Step>,
    footprint: Footprint,
}

impl Plan {
    /// A plan of `steps` on a working file set up as `file`; refused when a
    /// step could not run on any machine (see [`Refusal`]).
    pub fn new(
        id: impl Into<String>,
        origin: Origin,
        meta: Meta,
        file: FileSetup,
        steps: Vec<Step>,
    ) -> Result<Plan, Refusal> {
        let footprint = walk(&file, &steps, None)?;
        Ok(Plan {
            id: id.into(),
            origin,
            meta,
            file,
            steps,
            footprint,
        })
    }

    /// Refuse what this plan would need beyond `limits`: the check `iotour
    /// check` and `iotour run` share.
    pub fn check_limits(&self, limits: &Limits) -> Result<(), Refusal> {
        walk(&self.file, &self.steps, Some(limits)).map(drop)
    }

    /// The file stem (`unbuffered-write`), used on the command line.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    #[must_use]
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    #[must_use]
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    #[must_use]
    pub fn file(&self) -> FileSetup {
        self.file
    }

    #[must_use]
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The most the plan needs at once (file size, anonymous memory).
    #[must_use]
    pub fn footprint(&self) -> Footprint {
        self.footprint
    }
}

/// Where a scenario came from, for messages and for `iotour list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in the binary (`scenarios/*.toml` at build time).
    Builtin,
    /// Read from a file at run time (`./scenarios/`, `--scenarios DIR`, or a path).
    File(PathBuf),
}

/// A piece of prose in English with an optional Chinese version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub en: String,
    pub zh: Option<String>,
}

impl Text {
    pub fn en(s: impl Into<String>) -> Self {
        Text {
            en: s.into(),
            zh: None,
        }
    }

    /// The text in `lang`, falling back to English when there is no translation.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => self.zh.as_deref().unwrap_or(&self.en),
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// `explicit` (a `--lang` flag) if given, else the locale (see [`Lang::from_env`]).
    pub fn choose(explicit: Option<Lang>) -> Lang {
        explicit.unwrap_or_else(Lang::from_env)
    }

    /// Chinese when the locale in force starts with `zh` (`zh_CN.UTF-8`),
    /// else English. POSIX precedence: `LC_ALL`, then `LC_MESSAGES`, then `LANG`;
    /// an empty variable counts as unset.
    pub fn from_env() -> Lang {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Lang::from_locale(
            var("LC_ALL")
                .or_else(|| var("LC_MESSAGES"))
                .or_else(|| var("LANG"))
                .as_deref(),
        )
    }

    /// The language of a locale name such as `zh_CN.UTF-8` or `en_US`.
    pub fn from_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub title: Text,
    pub summary: Text,
    pub tags: Vec<String>,
    /// The Java API the scenario maps to, e.g. `FileOutputStream.write(byte[])`.
    pub java: Option<String>,
    /// Position in the teaching order (`iotour list` sorts by it); `None` sorts last.
    pub lesson: Option<u32>,
}

/// The working file before step 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSetup {
    /// Initial size in bytes, prefilled with data.
    pub size: u64,
    /// `false`: its pages are evicted before step 1 (fsync + `POSIX_FADV_DONTNEED`).
    pub cached: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub op: Op,
    /// What the narrator says while the step runs.
    pub say: Option<Text>,
    /// A question to predict before the step runs (predict mode).
    pub ask: Option<Text>,
    /// The call chain from the Java API down to the syscall, e.g.
    /// `FileOutputStream.write → writeBytes → IO_Write → write(2)`.
    pub calls: Option<String>,
    pub expect: Vec<Expectation>,
    /// 1-based line of the `[[step]]` header in the source file, for messages.
    pub line: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_picks_the_language() {
        assert_eq!(Lang::from_locale(Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("zh_TW")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(Some("C")), Lang::En);
        assert_eq!(Lang::from_locale(None), Lang::En);
        assert_eq!(Lang::choose(Some(Lang::Zh)), Lang::Zh);
    }

    #[test]
    fn text_falls_back_to_english() {
        let t = Text::en("hello");
        assert_eq!(t.get(Lang::Zh), "hello");
        let t = Text {
            en: "hello".into(),
            zh: Some("你好".into()),
        };
        assert_eq!((t.get(Lang::En), t.get(Lang::Zh)), ("hello", "你好"));
    }
}
