//! The validated, immutable form of a scenario: what the engine runs.
//!
//! Everything here was checked by the parser: sizes are numbers, ops are one of
//! [`Op`]'s variants with their parameters typed, expectation keys are known
//! [`Key`](super::expect::Key)s. The engine never sees raw TOML.

use std::path::PathBuf;

use super::expect::Expectation;

/// A scenario ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The file stem (`unbuffered-write`), used on the command line.
    pub id: String,
    pub origin: Origin,
    pub meta: Meta,
    pub file: FileSetup,
    pub steps: Vec<Step>,
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
    /// `false`: its pages are evicted before step 1 (fsync + POSIX_FADV_DONTNEED).
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

/// One operation on the working file (or an anonymous region, or a socket).
///
/// Sizes are bytes. Names match the scenario format exactly (`Op::name`).
/// Every `bytes`, `chunk`, `buffer`, `pages` and `stride` is at least 1: the
/// parser refuses 0, and `engine::validate` refuses a plan built in Rust
/// that breaks the rule ([`Op::zero_field`]), so the ops can rely on it.
/// (`Mmap { bytes: 0 }`, meaning "to the end of the file", is the exception
/// the parser never produces.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `write(2)` of `chunk` bytes until `bytes` are written, from one user buffer.
    Write {
        bytes: u64,
        chunk: u64,
    },
    /// Java's BufferedOutputStream: chunks gather in a user buffer of `buffer`
    /// bytes, `write(2)` when it is full; a chunk ≥ buffer goes straight through.
    BufferedWrite {
        bytes: u64,
        chunk: u64,
        buffer: u64,
    },
    /// Positioned writes starting at `offset`.
    Pwrite {
        bytes: u64,
        chunk: u64,
        offset: u64,
        pattern: Pattern,
    },
    /// `read(2)` loop from `offset`.
    Read {
        bytes: u64,
        chunk: u64,
        offset: u64,
    },
    Fsync,
    Fdatasync,
    /// Start writeback of the whole file; `wait` also waits for it.
    SyncFileRange {
        wait: bool,
    },
    /// fsync, then POSIX_FADV_DONTNEED on the working file.
    DropCache,
    /// Reopen the working file with these flags.
    Reopen {
        flags: OpenFlags,
    },
    /// Map the working file.
    Mmap {
        bytes: u64,
        offset: u64,
        shared: bool,
        write: bool,
        populate: bool,
    },
    /// Read or write one byte in each `stride`-th page of the current mapping.
    Touch {
        pages: u64,
        stride: u64,
        write: bool,
        target: Target,
    },
    /// Flush the file mapping (MappedByteBuffer.force); `asynchronous` = MS_ASYNC.
    Msync {
        asynchronous: bool,
    },
    Munmap {
        target: Target,
    },
    /// Anonymous private mapping (what malloc does for large blocks).
    AnonMmap {
        bytes: u64,
    },
    /// libc malloc, left untouched until `touch target = "anon"`.
    Malloc {
        bytes: u64,
    },
    /// Move file data into a local socket that a sink thread drains.
    Send {
        bytes: u64,
        chunk: u64,
        via: Via,
    },
    Sleep {
        ms: u64,
    },
    /// Wait until the flusher has cleaned the file or `timeout_ms` passes.
    WaitWriteback {
        timeout_ms: u64,
    },
    /// Narration only.
    Note,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Sequential,
    /// A seeded, reproducible permutation of the chunk offsets.
    Random,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    File,
    Anon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    ReadWrite,
    MmapWrite,
    Sendfile,
    Splice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenFlags {
    pub sync: bool,
    pub dsync: bool,
    pub direct: bool,
    pub append: bool,
}

impl Op {
    /// The first field that must be at least 1 but is 0, if any (see [`Op`]).
    pub fn zero_field(&self) -> Option<&'static str> {
        let fields: &[(&'static str, u64)] = match *self {
            Op::Write { bytes, chunk }
            | Op::Pwrite { bytes, chunk, .. }
            | Op::Read { bytes, chunk, .. }
            | Op::Send { bytes, chunk, .. } => &[("bytes", bytes), ("chunk", chunk)],
            Op::BufferedWrite {
                bytes,
                chunk,
                buffer,
            } => &[("bytes", bytes), ("chunk", chunk), ("buffer", buffer)],
            Op::Touch { pages, stride, .. } => &[("pages", pages), ("stride", stride)],
            Op::AnonMmap { bytes } | Op::Malloc { bytes } => &[("bytes", bytes)],
            _ => &[],
        };
        fields.iter().find(|(_, v)| *v == 0).map(|(name, _)| *name)
    }

    /// The op's name as written in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Write { .. } => "write",
            Op::BufferedWrite { .. } => "buffered_write",
            Op::Pwrite { .. } => "pwrite",
            Op::Read { .. } => "read",
            Op::Fsync => "fsync",
            Op::Fdatasync => "fdatasync",
            Op::SyncFileRange { .. } => "sync_file_range",
            Op::DropCache => "drop_cache",
            Op::Reopen { .. } => "reopen",
            Op::Mmap { .. } => "mmap",
            Op::Touch { .. } => "touch",
            Op::Msync { .. } => "msync",
            Op::Munmap { .. } => "munmap",
            Op::AnonMmap { .. } => "anon_mmap",
            Op::Malloc { .. } => "malloc",
            Op::Send { .. } => "send",
            Op::Sleep { .. } => "sleep",
            Op::WaitWriteback { .. } => "wait_writeback",
            Op::Note => "note",
        }
    }

    /// Every op name, in the order the docs list them.
    pub const NAMES: &'static [&'static str] = &[
        "write",
        "buffered_write",
        "pwrite",
        "read",
        "fsync",
        "fdatasync",
        "sync_file_range",
        "drop_cache",
        "reopen",
        "mmap",
        "touch",
        "msync",
        "munmap",
        "anon_mmap",
        "malloc",
        "send",
        "sleep",
        "wait_writeback",
        "note",
    ];
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
