//! `program`: a real command run as one step, under the trace machinery.
//!
//! ```toml
//! [[step]]
//! op = "program"
//! cmd = ["java", "{assets}/programs/java/Streams.java", "{file}", "unbuffered"]
//! requires = ["java"]
//! expect = { file_write_calls = "== 10486" }
//! ```
//! Its measured figures are the trace's (every thread of the program and of
//! the processes it starts), and the per-file ones are those of the watched
//! file: the working file, or `watch`, a path inside the working directory.

use std::num::NonZeroU64;
use std::ops::Range;

use super::super::ScenarioError;
use super::args::Args;
use super::{Kind, Op, OpDef, Param, Spec};
use crate::model::{CopyKind, DataPath, Place, Work};

/// The `program` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The command line; `cmd[0]` is looked up in `PATH`.
    pub cmd: Vec<Arg>,
    /// Programs that must be installed for the step to run (by default the
    /// command's own name); a missing one skips the step.
    pub requires: Vec<String>,
    /// The file the per-file figures are about (`None`: the working file).
    pub watch: Option<WatchPath>,
    /// The program is killed after this long, and the step fails.
    pub timeout_ms: NonZeroU64,
}

/// One argument of the command line, with its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg(pub Vec<Piece>);

/// A run of literal text or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// `{file}`: the working file's absolute path.
    File,
    /// `{workdir}`: the private working directory's absolute path.
    Workdir,
    /// `{assets}`: a directory holding iotour's embedded assets (the lesson
    /// programs' sources under `programs/`), written into the working
    /// directory for the run.
    Assets,
}

impl Arg {
    /// The argument with its placeholders replaced.
    #[must_use]
    pub fn expand(&self, file: &str, workdir: &str, assets: &str) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::File => file,
                Piece::Workdir => workdir,
                Piece::Assets => assets,
            })
            .collect()
    }

    /// The argument as written, placeholders included.
    #[must_use]
    pub fn written(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.replace('{', "{{").replace('}', "}}"),
                Piece::File => "{file}".into(),
                Piece::Workdir => "{workdir}".into(),
                Piece::Assets => "{assets}".into(),
            })
            .collect()
    }

    /// The argument when it has no placeholder.
    #[must_use]
    pub fn literal(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Piece::Text(t)] => Some(t),
            _ => None,
        }
    }
}

/// A relative path inside the working directory, without `..`: the program
/// may create it, but it can never name a file outside the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchPath(String);

impl WatchPath {
    /// `path` when it stays inside the working directory: relative, no `..`,
    /// no empty component, no NUL.
    #[must_use]
    pub fn new(path: &str) -> Option<WatchPath> {
        let bad = path.is_empty()
            || path.starts_with('/')
            || path.contains('\0')
            || path.split('/').any(|c| c == ".." || c.is_empty());
        (!bad).then(|| WatchPath(path.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const PLACEHOLDERS: &str = "{file}, {workdir}, {assets} ({{ and }} for braces)";

/// The default timeout: the JDK compiles a source file in about a second,
/// and the Redis lesson spreads its commands over three.
const DEFAULT_TIMEOUT_MS: u64 = 120_000;

const CMD: Param = Param {
    name: "cmd",
    kind: Kind::Argv,
    hint: "`cmd` is the command line, e.g. [\"java\", \"{assets}/programs/java/Streams.java\", \"{file}\"]",
};

const REQUIRES: Param = Param {
    name: "requires",
    kind: Kind::Strings,
    hint: "",
};

const WATCH: Param = Param {
    name: "watch",
    kind: Kind::Text {
        default: "the working file",
    },
    hint: "",
};

const TIMEOUT_MS: Param = Param {
    name: "timeout_ms",
    kind: Kind::Count(Some(DEFAULT_TIMEOUT_MS)),
    hint: "",
};

pub(super) static PROGRAM: Spec = Spec {
    name: "program",
    params: &[CMD, REQUIRES, WATCH, TIMEOUT_MS],
    doc: "run a real command, traced: its calls, faults, switches and I/O are measured on \
          every thread it starts; `{file}`, `{workdir}` and `{assets}` in `cmd` become the \
          working file, the working directory and the embedded assets; the `file_*` \
          expectation keys count calls on the watched file (`watch`, a path in the working \
          directory); a program in `requires` (default: `cmd[0]`) that is not installed \
          skips the step",
    parse,
};

fn parse(a: &Args<'_>) -> Result<Op, ScenarioError> {
    let cmd = a
        .argv(&CMD)?
        .into_iter()
        .map(|(text, span)| parse_arg(a, &text, span))
        .collect::<Result<Vec<Arg>, _>>()?;
    let mut requires: Vec<String> = Vec::new();
    for (name, span) in a.strings(&REQUIRES)? {
        if name.is_empty() || name.contains('/') || name.chars().any(char::is_control) {
            return Err(a.error_at(
                span,
                format!("`requires` names programs looked up in PATH, not `{name}`"),
                Some("help: requires = [\"java\"]".into()),
            ));
        }
        requires.push(name);
    }
    if requires.is_empty()
        && let Some(name) = cmd[0].literal()
    {
        requires.push(name.rsplit('/').next().unwrap_or(name).to_owned());
    }
    let watch = match a.text(&WATCH)? {
        None => None,
        Some((path, span)) => Some(watch_path(a, &path, span)?),
    };
    Ok(Op::Program(Program {
        cmd,
        requires,
        watch,
        timeout_ms: a.nonzero(&TIMEOUT_MS)?,
    }))
}

fn parse_arg(a: &Args<'_>, text: &str, span: Range<usize>) -> Result<Arg, ScenarioError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") || rest.starts_with("}}") {
            literal.push(c);
            rest = &rest[2..];
        } else if c == '{' {
            let Some(end) = rest.find('}') else {
                return Err(a.error_at(
                    span,
                    format!("`{{` without a closing `}}` in `{text}`"),
                    Some(format!("placeholders: {PLACEHOLDERS}")),
                ));
            };
            let piece = match &rest[1..end] {
                "file" => Piece::File,
                "workdir" => Piece::Workdir,
                "assets" => Piece::Assets,
                other => {
                    return Err(a.error_at(
                        span,
                        format!("unknown placeholder `{{{other}}}` in `{text}`"),
                        Some(format!("placeholders: {PLACEHOLDERS}")),
                    ));
                }
            };
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
            }
            pieces.push(piece);
            rest = &rest[end + 1..];
        } else if c == '}' {
            return Err(a.error_at(
                span,
                format!("`}}` without an opening `{{` in `{text}`"),
                Some(format!("placeholders: {PLACEHOLDERS}")),
            ));
        } else {
            literal.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !literal.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(Arg(pieces))
}

fn watch_path(a: &Args<'_>, path: &str, span: Range<usize>) -> Result<WatchPath, ScenarioError> {
    WatchPath::new(path).ok_or_else(|| {
        a.error_at(
            span,
            format!("`watch` must be a path inside the working directory, not `{path}`"),
            Some("help: watch = \"appendonlydir/appendonly.aof.1.incr.aof\"".into()),
        )
    })
}

impl OpDef for Program {
    fn spec(&self) -> &'static Spec {
        &PROGRAM
    }

    /// The program's own copies through the watched file: what its write
    /// calls copied from its buffers into the page cache and what its reads
    /// copied out (or, for sendfile, into a socket buffer). The byte counts
    /// are the traced calls' results; which copy each call made is modeled.
    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        let Some(p) = work.program else {
            return;
        };
        if p.written_bytes > 0 {
            path.push(
                Place::UserBuffer,
                Place::PageCache,
                CopyKind::Cpu,
                Some(p.written_bytes),
            );
        }
        if p.read_bytes > 0 {
            let to = if p.sendfile_calls > 0 {
                path.note("sendfile(2): the kernel copied from the page cache to the socket; the program's buffers never held the data");
                Place::SocketBuffer
            } else {
                Place::UserBuffer
            };
            path.push(Place::PageCache, to, CopyKind::Cpu, Some(p.read_bytes));
        }
        if p.map_faults > 0 {
            path.note("the program also reached the file through a mapping: page faults, no copy");
        }
    }
}
