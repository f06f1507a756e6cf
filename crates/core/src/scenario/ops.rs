//! The op vocabulary: every op of the scenario format, each defined once.
//!
//! An op family has one file (`write.rs`: write, `buffered_write` and pwrite;
//! `mmap.rs`: mmap, touch, msync and munmap; ...). There each op has
//! - its parameters as a struct, typed so that a value the format refuses
//!   cannot be held (a size that must be more than 0 is a [`NonZeroU64`]);
//! - its [`Spec`]: the name, the [`Param`]s (name, type, default, the hint
//!   given when one is missing), the sentence docs/scenarios.md gives it, and
//!   how it is read from a `[[step]]` table;
//! - its [`OpDef`]: its effect on the working file and the mappings as the
//!   plan is followed without running ([`walk`](super::walk): what `check`
//!   and `run` refuse), and its copy path (the [`model`](crate::model)).
//!
//! ```text
//! SPECS ──► parser (step.rs: name → Spec → params → Op)
//!       ──► docs_table() == the op table of docs/scenarios.md (a test)
//! Op ──def()──► OpDef: walk (Plan::new, Plan::check_limits), copy_path (model)
//!    ──match──► engine::ops::prepare (the syscalls, engine/ops/<family>.rs)
//! ```
//! Adding an op: its struct, `Spec` and `OpDef` impl in its family file here,
//! a variant of [`Op`] with its arm in [`Op::def`] and its entry in
//! [`SPECS`], its implementation in `engine/ops/<family>.rs` with its arm in
//! `engine::ops::prepare`, and its row in docs/scenarios.md (the docs test
//! prints the row to paste).

use std::fmt::Write as _;
use std::num::NonZeroU64;

use super::walk::{Refusal, Walk};
use crate::model::{DataPath, Work};

mod anon;
pub(crate) mod args;
mod copy;
mod madvise;
mod misc;
mod mmap;
mod program;
mod read;
mod rwf;
mod send;
mod sync;
mod uring;
mod write;

#[cfg(test)]
mod tests;

pub use anon::{AnonMmap, Malloc};
pub use copy::CopyFileRange;
pub use madvise::{Advice, Madvise};
pub use misc::{OpenFlag, OpenFlags, Reopen, Sleep, WaitWriteback};
pub use mmap::{Extent, Mmap, Msync, Munmap, Target, Touch};
pub use program::{Arg, Piece, Program, WatchPath};
pub use read::Read;
pub use rwf::{Rwf, RwfFlag};
pub use send::{SendToSocket, Via};
pub use sync::SyncFileRange;
pub use uring::{Uring, UringRead, UringWrite};
pub use write::{BufferedWrite, Pattern, Pwrite, Write};

use args::Args;

/// One operation on the working file (or an anonymous region, or a socket).
/// Names match the scenario format exactly ([`Op::name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Write(Write),
    BufferedWrite(BufferedWrite),
    Pwrite(Pwrite),
    Read(Read),
    Fsync,
    Fdatasync,
    SyncFileRange(SyncFileRange),
    /// fsync, then `POSIX_FADV_DONTNEED` on the working file.
    DropCache,
    Reopen(Reopen),
    Mmap(Mmap),
    Touch(Touch),
    Msync(Msync),
    Munmap(Munmap),
    Madvise(Madvise),
    AnonMmap(AnonMmap),
    Malloc(Malloc),
    Send(SendToSocket),
    CopyFileRange(CopyFileRange),
    UringWrite(UringWrite),
    UringRead(UringRead),
    Sleep(Sleep),
    WaitWriteback(WaitWriteback),
    /// A real program, traced.
    Program(Program),
    /// Narration only.
    Note,
}

/// Every op, in the order the docs list them.
pub static SPECS: &[&Spec] = &[
    &write::WRITE,
    &write::BUFFERED_WRITE,
    &write::PWRITE,
    &read::READ,
    &sync::FSYNC,
    &sync::FDATASYNC,
    &sync::SYNC_FILE_RANGE,
    &sync::DROP_CACHE,
    &misc::REOPEN,
    &mmap::MMAP,
    &mmap::TOUCH,
    &mmap::MSYNC,
    &mmap::MUNMAP,
    &madvise::MADVISE,
    &anon::ANON_MMAP,
    &anon::MALLOC,
    &send::SEND,
    &copy::COPY_FILE_RANGE,
    &uring::URING_WRITE,
    &uring::URING_READ,
    &misc::SLEEP,
    &misc::WAIT_WRITEBACK,
    &program::PROGRAM,
    &misc::NOTE,
];

/// The op named `name` in scenario files.
pub fn spec(name: &str) -> Option<&'static Spec> {
    SPECS.iter().copied().find(|s| s.name == name)
}

/// Every op name, in the order the docs list them.
pub fn names() -> impl Iterator<Item = &'static str> {
    SPECS.iter().map(|s| s.name)
}

impl Op {
    /// The op's definition: the one match over every op.
    pub(crate) fn def(&self) -> &dyn OpDef {
        match self {
            Op::Write(o) => o,
            Op::BufferedWrite(o) => o,
            Op::Pwrite(o) => o,
            Op::Read(o) => o,
            Op::Fsync => &sync::Fsync,
            Op::Fdatasync => &sync::Fdatasync,
            Op::SyncFileRange(o) => o,
            Op::DropCache => &sync::DropCache,
            Op::Reopen(o) => o,
            Op::Mmap(o) => o,
            Op::Touch(o) => o,
            Op::Msync(o) => o,
            Op::Munmap(o) => o,
            Op::Madvise(o) => o,
            Op::AnonMmap(o) => o,
            Op::Malloc(o) => o,
            Op::Send(o) => o,
            Op::CopyFileRange(o) => o,
            Op::UringWrite(o) => o,
            Op::UringRead(o) => o,
            Op::Sleep(o) => o,
            Op::WaitWriteback(o) => o,
            Op::Program(o) => o,
            Op::Note => &misc::Note,
        }
    }

    /// The op's entry in the vocabulary.
    #[must_use]
    pub fn spec(&self) -> &'static Spec {
        self.def().spec()
    }

    /// The op's name as written in scenario files.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.spec().name
    }

    /// The modeled data path of the op, given what its work measured.
    #[must_use]
    pub fn data_path(&self, work: &Work) -> DataPath {
        let mut path = DataPath::default();
        self.def().copy_path(work, &mut path);
        path
    }

    /// What the model needs read around each slice of the op.
    #[must_use]
    pub fn needs(&self) -> Needs {
        self.def().needs()
    }
}

/// What an op is in the scenario format.
#[derive(Debug)]
pub struct Spec {
    /// As written in `op = "..."`.
    pub name: &'static str,
    /// Beyond the fields every step has, in the order the docs list them.
    pub params: &'static [Param],
    /// What it does, as the op table of docs/scenarios.md says.
    pub doc: &'static str,
    /// Build the op from its step's parameters.
    pub(crate) parse: Parse,
}

/// How a [`Spec`] reads its op from a step.
pub(crate) type Parse = fn(&Args<'_>) -> Result<Op, super::ScenarioError>;

/// One parameter of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    /// Said when a required parameter is missing (empty: nothing to add).
    pub hint: &'static str,
}

/// The type of a parameter, with its default (`None`: required).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bytes: `4096` or `"64MiB"`.
    Size(Option<u64>),
    /// A whole number without a unit (pages, milliseconds).
    Count(Option<u64>),
    Bool(bool),
    /// One of `words`.
    Choice {
        words: &'static [&'static str],
        default: Option<&'static str>,
    },
    /// Any of `words`, each at most once (`flags = ["sync", "direct"]`);
    /// none by default.
    Flags {
        words: &'static [&'static str],
    },
    /// A command line: a list of at least one string; required.
    Argv,
    /// A list of any strings; none by default.
    Strings,
    /// One string; when absent, what `default` describes.
    Text {
        default: &'static str,
    },
}

impl Param {
    /// Whether a step must write it.
    #[must_use]
    pub fn required(&self) -> bool {
        matches!(
            self.kind,
            Kind::Size(None) | Kind::Count(None) | Kind::Choice { default: None, .. } | Kind::Argv
        )
    }

    /// The default as the docs write it (`0`, `"8KiB"`, `true`, `[]`), or
    /// `None` when the parameter is required.
    #[must_use]
    pub fn default_text(&self) -> Option<String> {
        Some(match self.kind {
            Kind::Size(Some(n)) => size_literal(n),
            Kind::Count(Some(n)) => n.to_string(),
            Kind::Bool(b) => format!("`{b}`"),
            Kind::Choice {
                default: Some(w), ..
            } => format!("`\"{w}\"`"),
            Kind::Flags { .. } | Kind::Strings => "`[]`".into(),
            Kind::Text { default } => default.into(),
            Kind::Size(None)
            | Kind::Count(None)
            | Kind::Choice { default: None, .. }
            | Kind::Argv => {
                return None;
            }
        })
    }
}

/// `0`, `"8KiB"`, `"1MiB"`, `4097`: how a scenario author would write `n`.
fn size_literal(n: u64) -> String {
    const MIB: u64 = 1 << 20;
    const KIB: u64 = 1 << 10;
    match n {
        0 => "0".into(),
        n if n.is_multiple_of(MIB) => format!("`\"{}MiB\"`", n / MIB),
        n if n.is_multiple_of(KIB) => format!("`\"{}KiB\"`", n / KIB),
        n => n.to_string(),
    }
}

/// The op table of docs/scenarios.md, header included, one line per op.
#[must_use]
pub fn docs_table() -> String {
    let mut out = String::from("| op | parameters (default) | what it does |\n|---|---|---|\n");
    for spec in SPECS {
        let params: Vec<String> = spec
            .params
            .iter()
            .map(|p| match p.default_text() {
                Some(d) => format!("`{}` ({d})", p.name),
                None => format!("`{}`", p.name),
            })
            .collect();
        let params = if params.is_empty() {
            " ".to_owned()
        } else {
            format!(" {} ", params.join(", "))
        };
        let _ = writeln!(out, "| `{}` |{params}| {} |", spec.name, spec.doc);
    }
    out
}

/// What the model of an op needs measured around each slice, beyond the
/// thread's own counters (page-cache counts cost a walk of the whole file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    /// Dirty + writeback pages before and after: the op writes pages back.
    pub cleaned_pages: bool,
    /// Cached pages before and after, when the device's reads are not
    /// measured: the op may read from the disk into the page cache.
    pub cache_growth: bool,
}

/// What every op defines beside its [`Spec`].
pub(crate) trait OpDef {
    fn spec(&self) -> &'static Spec;

    /// Follow the op's effect on the working file and the mappings, refusing
    /// what could not run (see [`Walk`]).
    fn walk(&self, _w: &mut Walk<'_>) -> Result<(), Refusal> {
        Ok(())
    }

    /// Add the op's modeled copies (and notes) to `path`. Most ops copy nothing.
    fn copy_path(&self, _work: &Work, _path: &mut DataPath) {}

    fn needs(&self) -> Needs {
        Needs::default()
    }
}

/// `bytes`, the data a step moves (or maps).
pub(crate) const BYTES: Param = Param {
    name: "bytes",
    kind: Kind::Size(None),
    hint: "`bytes` is how much data the step moves, e.g. \"1MiB\"",
};

/// `chunk`, the size of each call.
pub(crate) const CHUNK: Param = Param {
    name: "chunk",
    kind: Kind::Size(None),
    hint: "`chunk` is the size of each call, e.g. 4096",
};

/// `offset` in the working file, 0 by default.
pub(crate) const OFFSET: Param = Param {
    name: "offset",
    kind: Kind::Size(Some(0)),
    hint: "",
};

/// `n` as a [`NonZeroU64`], for plans built in Rust: panics on 0, which
/// only a constant written in code can be (the parser refuses 0 in files).
///
/// # Panics
/// On 0 (at compile time, in a constant).
#[must_use]
pub const fn nonzero(n: u64) -> NonZeroU64 {
    match NonZeroU64::new(n) {
        Some(n) => n,
        None => panic!("a size or count of 0 cannot be planned"),
    }
}
