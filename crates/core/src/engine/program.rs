//! A `program` step: a real command, run under the tracer (perf where this
//! user may, else ptrace), as one step of a scenario.
//!
//! The step's measured figures are the trace's: the calls, faults, switches
//! and I/O of every thread the program starts, not the worker's (which only
//! waits). The per-file figures are those of the watched file, which the
//! tracer alone follows; while the program runs, the engine's page sampler
//! is pointed at that file so the page map shows it live.

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use rustix::fs::{Mode, OFlags, ResolveFlags};

use super::workdir;
use crate::model::ProgramWork;
use crate::outcome::{FileFigures, ProgramOutcome, Readings, Skip};
use crate::scenario::Program;
use crate::trace::{self, FileFilter, Stdio, Target, TraceConfig, TraceEvent, TraceReport};

/// The program's output goes here, in the working directory: a screen owns
/// the terminal, and a failed step quotes the end of it.
const LOG: &str = "program.log";
/// Where `{assets}` points, inside the working directory.
const ASSETS: &str = "assets";
/// How often the wait looks at the clock, the abort flag and the watched file.
const POLL: Duration = Duration::from_millis(100);
/// The trace's sampler clock (per-file page state, thread counters).
const SAMPLE_HZ: u32 = 20;

/// What the worker needs to run one.
pub struct Env<'a> {
    pub dir: &'a Arc<OwnedFd>,
    pub workdir: &'a Path,
    /// Point the page sampler at this file (the watched file, once it exists).
    pub follow: &'a dyn Fn(File),
    pub aborted: &'a dyn Fn() -> bool,
}

/// What a program step measured.
pub struct Ran {
    pub measured: Readings,
    pub outcome: ProgramOutcome,
    pub work: ProgramWork,
    /// Why the step failed (the tracer could not start, the program exited
    /// non-zero or ran out of time), with the end of its output.
    pub error: Option<String>,
}

/// The run was aborted while the program ran; it has been killed.
pub struct Aborted;

/// Why the step cannot run here: a program it needs is not installed (what
/// is missing, and what to install).
#[must_use]
pub fn missing(p: &Program) -> Option<Skip> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    p.requires.iter().find_map(|name| {
        let found = std::env::split_paths(&path).any(|dir| is_executable(&dir.join(name)));
        (!found).then(|| Skip::not_installed(format!("`{name}` (not on PATH)"), install_hint(name)))
    })
}

fn is_executable(path: &Path) -> bool {
    rustix::fs::access(path, rustix::fs::Access::EXEC_OK).is_ok() && path.is_file()
}

/// What to install for `name`, as Debian and Ubuntu name it.
fn install_hint(name: &str) -> String {
    match name {
        "java" | "javac" => {
            "a JDK, 11 or newer (Debian, Ubuntu: `apt-get install default-jdk-headless`)".into()
        }
        "redis-server" | "redis-cli" => {
            "Redis (Debian, Ubuntu: `apt-get install redis-server`)".into()
        }
        other => format!("`{other}` and make sure it is on PATH"),
    }
}

/// Run `p` to its end (or its timeout, or an abort).
pub fn run(p: &Program, env: &Env<'_>) -> Result<Ran, Aborted> {
    let workdir = env.workdir.to_string_lossy().into_owned();
    let file = env
        .workdir
        .join(workdir::FILE)
        .to_string_lossy()
        .into_owned();
    let assets = env.workdir.join(ASSETS).to_string_lossy().into_owned();
    let argv: Vec<String> = p
        .cmd
        .iter()
        .map(|a| a.expand(&file, &workdir, &assets))
        .collect();
    let watched_rel = p
        .watch
        .as_ref()
        .map_or(workdir::FILE, |w| w.as_str())
        .to_owned();
    let watched = env.workdir.join(&watched_rel);
    let outcome = |report: Option<&TraceReport>| ProgramOutcome {
        command: argv.clone(),
        watched: watched_rel.clone(),
        file: report.and_then(|r| file_figures(r, &watched)),
        report: report
            .and_then(|r| serde_json::to_value(r).ok())
            .unwrap_or(serde_json::Value::Null),
    };
    let failed = |error: String| Ran {
        measured: Readings::default(),
        outcome: outcome(None),
        work: ProgramWork::default(),
        error: Some(error),
    };
    if p.cmd
        .iter()
        .any(|a| a.0.contains(&crate::scenario::Piece::Assets))
        && let Err(e) = write_assets(env.dir)
    {
        return Ok(failed(format!(
            "writing the lesson programs into {assets}: {e}"
        )));
    }
    let log = match log_file(env.dir) {
        Ok(f) => f,
        Err(e) => return Ok(failed(format!("creating {workdir}/{LOG}: {e}"))),
    };
    let config = TraceConfig {
        target: Target::Command {
            argv: argv.clone(),
            stdio: Stdio::Fd(Arc::clone(&log)),
        },
        backend: trace::BackendChoice::Auto,
        files: FileFilter::new(&glob_literal(&watched.to_string_lossy())).ok(),
        sample_hz: SAMPLE_HZ,
    };
    let (tx, rx) = mpsc::channel::<TraceEvent>();
    let tracer = match trace::start(config, tx) {
        Ok(t) => t,
        Err(e) => {
            return Ok(failed(format!(
                "cannot run `{}` under the tracer: {}",
                argv.join(" "),
                error_chain(&e)
            )));
        }
    };
    let deadline = Instant::now() + Duration::from_millis(p.timeout_ms.get());
    let (report, timed_out) = wait(tracer, &rx, env, deadline, &watched_rel)?;
    let report = match report {
        Ok(r) => r,
        Err(e) => return Ok(failed(format!("the trace failed: {}", error_chain(&e)))),
    };
    let error = failure(p, &argv, &report, timed_out, env.dir);
    let figures = file_figures(&report, &watched);
    Ok(Ran {
        measured: readings(&report, &watched),
        work: figures.map_or_else(ProgramWork::default, |f| ProgramWork {
            written_bytes: f.bytes_written,
            read_bytes: f.bytes_read,
            sendfile_calls: f.sendfile_calls,
            map_faults: f.map_faults.unwrap_or(0),
        }),
        outcome: outcome(Some(&report)),
        error,
    })
}

/// Wait for the traced program to end, for `deadline`, or for an abort
/// (which kills it); the report, and whether the deadline ended it.
fn wait(
    tracer: trace::Tracer,
    rx: &mpsc::Receiver<TraceEvent>,
    env: &Env<'_>,
    deadline: Instant,
    watched_rel: &str,
) -> Result<(Result<TraceReport, trace::TraceError>, bool), Aborted> {
    let mut followed: Option<(u64, u64)> = None;
    let mut timed_out = false;
    loop {
        // The program's end (or the tracer's) is an event; the report is
        // then complete and `wait` returns at once.
        let ended = |ev: &TraceEvent| {
            matches!(
                ev,
                TraceEvent::Exited { .. } | TraceEvent::Detached { .. } | TraceEvent::Failed { .. }
            )
        };
        match rx.recv_timeout(POLL) {
            Ok(ev) => {
                let mut over = ended(&ev);
                // Drain what is queued before looking at the clock again.
                while let Ok(ev) = rx.try_recv() {
                    over |= ended(&ev);
                }
                if over {
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // The tracer's forwarder is gone: the trace is over.
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if (env.aborted)() {
            let _ = tracer.stop();
            return Err(Aborted);
        }
        if Instant::now() >= deadline {
            timed_out = true;
            break;
        }
        follow_watched(env, watched_rel, &mut followed);
    }
    let report = if timed_out {
        tracer.stop()
    } else {
        tracer.wait()
    };
    Ok((report, timed_out))
}

/// Why the step failed, if it did: the deadline, the tracer, or the
/// program's own exit status.
fn failure(
    p: &Program,
    argv: &[String],
    report: &TraceReport,
    timed_out: bool,
    dir: &OwnedFd,
) -> Option<String> {
    if timed_out {
        Some(format!(
            "`{}` was still running after {} ms (timeout_ms) and was killed{}",
            argv.join(" "),
            p.timeout_ms,
            log_tail(dir)
        ))
    } else if let Some(e) = &report.error {
        Some(format!("the trace stopped early: {e}"))
    } else {
        match report.exit_code {
            Some(0) => None,
            Some(code) => Some(format!(
                "`{}` exited with status {code}{}",
                argv.join(" "),
                log_tail(dir)
            )),
            None => Some(format!("`{}`: its end was not seen", argv.join(" "))),
        }
    }
}

/// The step's figures from the trace: totals over the program's threads;
/// page state of the watched file as last sampled (after the program ended).
fn readings(r: &TraceReport, watched: &Path) -> Readings {
    let t = &r.totals;
    let file = watched_entry(r, watched);
    Readings {
        duration_ns: Some(r.duration_ns),
        syscalls: Some(t.syscalls),
        voluntary_ctx_switches: t.voluntary_ctx_switches,
        involuntary_ctx_switches: t.involuntary_ctx_switches,
        minor_faults: t.minor_faults,
        major_faults: t.major_faults,
        rchar: t.rchar,
        wchar: t.wchar,
        read_bytes: t.read_bytes,
        write_bytes: t.write_bytes,
        file_cached_pages: file.and_then(|f| f.cached_pages),
        file_dirty_pages: file.and_then(|f| f.dirty_pages),
        file_writeback_pages: file.and_then(|f| f.writeback_pages),
        ..Readings::default()
    }
}

fn watched_entry<'r>(r: &'r TraceReport, watched: &Path) -> Option<&'r trace::FileReport> {
    r.files.iter().find(|f| Path::new(&*f.path) == watched)
}

/// The watched file's entry in the report, as [`FileFigures`].
fn file_figures(r: &TraceReport, watched: &Path) -> Option<FileFigures> {
    let f = watched_entry(r, watched)?;
    let sum = |names: &[&str]| -> u64 {
        names
            .iter()
            .map(|n| f.syscalls.get(n).copied().unwrap_or(0))
            .sum()
    };
    Some(FileFigures {
        write_calls: sum(&["write", "pwrite64", "writev", "pwritev", "pwritev2"]),
        read_calls: sum(&["read", "pread64", "readv", "preadv", "preadv2"]),
        sync_calls: f.sync_calls,
        sendfile_calls: sum(&["sendfile"]),
        bytes_written: f.bytes_written,
        bytes_read: f.bytes_read,
        map_faults: f.map_faults,
        peak_dirty_pages: f.peak_dirty_pages,
    })
}

/// Open the watched file for the page sampler when it appears or is
/// replaced (a program may delete and recreate it, as Streams.java does).
fn follow_watched(env: &Env<'_>, rel: &str, followed: &mut Option<(u64, u64)>) {
    let Ok(fd) = open_beneath(env.dir, rel, OFlags::RDONLY) else {
        return;
    };
    let Ok(st) = rustix::fs::fstat(&fd) else {
        return;
    };
    let id = (st.st_dev, st.st_ino);
    if *followed != Some(id) {
        *followed = Some(id);
        (env.follow)(File::from(fd));
    }
}

/// Open `rel` inside the working directory: never outside it, never
/// through a symlink (openat2 with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`).
pub fn open_beneath(dir: &OwnedFd, rel: &str, flags: OFlags) -> std::io::Result<OwnedFd> {
    Ok(rustix::fs::openat2(
        dir.as_fd(),
        rel,
        flags | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
    )?)
}

/// The program's output file, new, in the working directory.
fn log_file(dir: &OwnedFd) -> std::io::Result<Arc<OwnedFd>> {
    let _ = rustix::fs::unlinkat(dir, LOG, rustix::fs::AtFlags::empty());
    let fd = rustix::fs::openat(
        dir,
        LOG,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    Ok(Arc::new(fd))
}

/// The last lines of the program's output, for an error message; control
/// characters replaced, because the message reaches a terminal.
fn log_tail(dir: &OwnedFd) -> String {
    let Ok(fd) = open_beneath(dir, LOG, OFlags::RDONLY) else {
        return String::new();
    };
    let mut text = Vec::new();
    let _ = std::io::Read::read_to_end(&mut File::from(fd), &mut text);
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail: Vec<String> = lines[lines.len().saturating_sub(5)..]
        .iter()
        .map(|l| {
            l.chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .take(200)
                .collect()
        })
        .collect();
    format!("; its output ended: {}", tail.join(" | "))
}

/// Write the embedded assets under `assets/` in the working directory
/// (once per run), through the directory's fd.
fn write_assets(dir: &OwnedFd) -> std::io::Result<()> {
    if open_beneath(dir, ASSETS, OFlags::RDONLY | OFlags::DIRECTORY).is_ok() {
        return Ok(());
    }
    for (path, bytes) in crate::assets::PROGRAMS {
        let full = PathBuf::from(ASSETS).join(path);
        let mut made = PathBuf::new();
        if let Some(parent) = full.parent() {
            for part in parent.components() {
                made.push(part);
                match rustix::fs::mkdirat(dir, &made, Mode::from_raw_mode(0o700)) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let parent = open_beneath(
            dir,
            &made.to_string_lossy(),
            OFlags::RDONLY | OFlags::DIRECTORY,
        )?;
        let name = full.file_name().unwrap_or_default();
        let fd = rustix::fs::openat(
            &parent,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?;
        std::io::Write::write_all(&mut File::from(fd), bytes)?;
    }
    Ok(())
}

/// `text` as a glob that matches only itself.
fn glob_literal(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '*' | '?' | '[' | ']' | '{' | '}' | '\\' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glob_literal_matches_only_itself() {
        let path = "/tmp/a*b?[c]{d}";
        let f = FileFilter::new(&glob_literal(path)).unwrap();
        assert!(f.matches(Path::new(path)));
        assert!(!f.matches(Path::new("/tmp/aXb?[c]{d}")));
    }

    #[test]
    fn install_hints_name_the_package() {
        assert!(install_hint("java").contains("default-jdk-headless"));
        assert!(install_hint("redis-server").contains("apt-get install redis-server"));
        assert!(install_hint("frobnicate").contains("`frobnicate`"));
    }
}
