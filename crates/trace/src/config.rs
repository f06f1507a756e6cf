//! What to trace and how: the front end maps its options onto these types.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};

use crate::TraceError;

/// Everything `start` needs.
#[derive(Debug, Clone)]
pub struct TraceConfig {
    pub target: Target,
    pub backend: BackendChoice,
    /// Which files to follow (page-cache samples, per-file counts). `None`
    /// follows every regular file the program touches.
    pub files: Option<FileFilter>,
    /// Sampler clock for thread counters and page-cache state; 0 turns the
    /// clock off (samples are then taken only around calls and at exit).
    pub sample_hz: u32,
}

impl TraceConfig {
    /// Trace a command, output inherited, backend chosen automatically,
    /// every file followed, sampled at 10 Hz.
    pub fn command<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> TraceConfig {
        TraceConfig {
            target: Target::Command {
                argv: argv.into_iter().map(Into::into).collect(),
                stdio: Stdio::Inherit,
            },
            backend: BackendChoice::Auto,
            files: None,
            sample_hz: 10,
        }
    }

    /// Attach to a running process, other fields as in [`TraceConfig::command`].
    pub fn pid(pid: i32) -> TraceConfig {
        TraceConfig {
            target: Target::Pid(pid),
            ..TraceConfig::command(Vec::<String>::new())
        }
    }
}

/// The program to trace.
#[derive(Debug, Clone)]
pub enum Target {
    /// Start `argv` (argv[0] is looked up in PATH) and trace it from its exec.
    Command { argv: Vec<String>, stdio: Stdio },
    /// Attach to a running process and all its threads.
    Pid(i32),
}

/// Where a started command's standard streams go.
#[derive(Debug, Clone)]
pub enum Stdio {
    /// The program shares iotour's stdin, stdout and stderr.
    Inherit,
    /// stdout and stderr appended to this file (created if missing), stdin
    /// from /dev/null: a live view keeps the terminal to itself.
    File(PathBuf),
    /// stdout and stderr both go to iotour's own stderr (a duplicate of
    /// descriptor 2, never reopened by path: `/dev/stderr` may be a pipe or
    /// file another user owns), stdin from /dev/null. For `--json`, where
    /// stdout carries the one JSON object.
    Stderr,
    /// stdout and stderr both to this open file (the caller made it, e.g.
    /// through a directory fd it holds), stdin from /dev/null.
    Fd(std::sync::Arc<std::os::fd::OwnedFd>),
    /// All three on /dev/null.
    Null,
}

/// `--backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// perf when perf_event_open on the syscall tracepoints works for this
    /// user, else ptrace; the reasons go into the notes.
    #[default]
    Auto,
    Perf,
    Ptrace,
}

/// `--files GLOB`: which paths to follow.
#[derive(Debug, Clone)]
pub struct FileFilter {
    glob: String,
    matcher: GlobMatcher,
}

impl FileFilter {
    /// A shell-style glob matched against the absolute path (`*` does not
    /// cross `/`; `**` does).
    pub fn new(glob: &str) -> Result<FileFilter, TraceError> {
        let matcher = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| TraceError::Config(format!("--files {glob}: {e}")))?
            .compile_matcher();
        Ok(FileFilter {
            glob: glob.to_owned(),
            matcher,
        })
    }

    pub fn glob(&self) -> &str {
        &self.glob
    }

    pub fn matches(&self, path: &Path) -> bool {
        self.matcher.is_match(path)
    }
}

impl From<Glob> for FileFilter {
    fn from(glob: Glob) -> FileFilter {
        FileFilter {
            glob: glob.glob().to_owned(),
            matcher: glob.compile_matcher(),
        }
    }
}
