//! `iotour trace -- CMD [ARGS...]` and `iotour trace --pid PID`: watch the
//! I/O path of an unmodified program (see [`iotour_core::trace`]).
//!
//! On a terminal this opens the trace screen (the program's output goes to
//! a log file the header names); with `--headless`, or when standard output
//! is not a terminal, the program keeps its own streams and the report is
//! printed when it ends; with `--json` the program's output goes to standard
//! error, so standard output holds the JSON alone.
//!
//! Exit status: the traced program's (128+N when killed by signal N); 128+N
//! when iotour itself was signalled (an attached program runs on, detached;
//! a started one is killed); 2 when the trace could not start.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::Global;
use super::output::{Output, json_pretty};
use crate::exit::{self, Exit};
use crate::report::trace as text;
use iotour_core::record::{RecordedRef, Recorder};
use iotour_core::trace::{
    self, BackendChoice, FileFilter, Stdio, Target, TraceConfig, TraceEvent, TraceReport,
};

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Attach to this running process (and its threads) until it exits or Ctrl-C.
    #[arg(long, value_name = "PID", conflicts_with = "command")]
    pub pid: Option<i32>,
    /// Print the report when the program ends instead of opening the trace screen.
    #[arg(long)]
    pub headless: bool,
    /// With --headless (implied): print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also write every trace event to FILE (JSON Lines; `iotour replay FILE` plays it).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// How to trace: perf (root or CAP_PERFMON), ptrace (own programs, no
    /// privileges), or auto (perf when it works for this user).
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
    /// Follow only the files whose absolute path matches GLOB (`**` crosses
    /// directories); default: every regular file the program touches.
    #[arg(long, value_name = "GLOB")]
    pub files: Option<String>,
    /// The program to run and trace, after `--`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    Auto,
    Perf,
    Ptrace,
}

impl From<BackendArg> for BackendChoice {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Auto => BackendChoice::Auto,
            BackendArg::Perf => BackendChoice::Perf,
            BackendArg::Ptrace => BackendChoice::Ptrace,
        }
    }
}

/// What a headless trace listens to.
enum Heard {
    Trace(Box<TraceEvent>),
    Signal(i32),
}

impl From<TraceEvent> for Heard {
    fn from(e: TraceEvent) -> Self {
        Heard::Trace(Box::new(e))
    }
}

pub fn run(global: &Global, args: &TraceArgs) -> anyhow::Result<Exit> {
    let lang = super::list::lang(global);
    let live = !args.headless && !args.json && std::io::stdout().is_terminal();
    let target = match (args.pid, args.command.is_empty()) {
        (Some(pid), _) => Target::Pid(pid),
        (None, false) => Target::Command {
            argv: args.command.clone(),
            // Standard output is the one JSON object: the program's own
            // output goes to standard error instead (and its stdin is
            // /dev/null).
            stdio: if args.json {
                Stdio::Stderr
            } else {
                Stdio::Inherit
            },
        },
        (None, true) => anyhow::bail!(
            "nothing to trace: give a command after `--` (iotour trace -- cp a b) or --pid PID"
        ),
    };
    let files = args
        .files
        .as_deref()
        .map(FileFilter::new)
        .transpose()
        .context("--files")?;
    let config = TraceConfig {
        target,
        backend: args.backend.into(),
        files,
        sample_hz: global.sample_hz.clamp(1, 1000),
    };
    if live {
        return crate::tui::trace::run(config, args.record.as_deref(), lang);
    }
    headless(config, args)
}

fn headless(config: TraceConfig, args: &TraceArgs) -> anyhow::Result<Exit> {
    let command = match &config.target {
        Target::Command { argv, .. } => argv.clone(),
        Target::Pid(pid) => vec![format!("--pid {pid}")],
    };
    let mut recorder = match &args.record {
        Some(path) => Some(Recorder::create_trace(path, command, config.sample_hz)?),
        None => None,
    };
    let (tx, rx) = channel::<Heard>();
    let _signals = crate::tui::signals::subscribe(tx.clone(), Heard::Signal);
    let tracer = trace::start(config, tx).context("cannot start the trace")?;
    let (report, signal) = follow(tracer, &rx, recorder.as_mut())?;
    if let Some(r) = recorder {
        r.finish()?;
    }
    let out = Output::new();
    if args.json {
        out.print(&(json_pretty(&report)? + "\n"))?;
    } else {
        out.print(&text::render(&report))?;
    }
    Ok(match (signal, report.exit_code) {
        (Some(sig), _) => Exit::Signal(sig),
        (None, Some(code)) => Exit::Status(u8::try_from(code.clamp(0, 255)).unwrap_or(255)),
        (None, None) if report.error.is_some() => Exit::Status(exit::FAILED),
        (None, None) => Exit::Status(exit::SUCCESS),
    })
}

/// Record every event until the program ends or a signal asks to stop; the
/// report and the signal, if one ended it.
fn follow(
    tracer: trace::Tracer,
    rx: &Receiver<Heard>,
    mut recorder: Option<&mut Recorder>,
) -> anyhow::Result<(TraceReport, Option<i32>)> {
    let mut record = |e: &TraceEvent| {
        if let Some(r) = recorder.as_deref_mut() {
            r.record(0, RecordedRef::Trace(e));
        }
    };
    let mut signal = None;
    loop {
        match rx.recv() {
            Ok(Heard::Trace(e)) => {
                record(&e);
                if matches!(
                    *e,
                    TraceEvent::Exited { .. }
                        | TraceEvent::Detached { .. }
                        | TraceEvent::Failed { .. }
                ) {
                    break;
                }
            }
            Ok(Heard::Signal(sig)) => {
                signal = Some(sig);
                break;
            }
            // Every producer is gone: the trace is over.
            Err(_) => break,
        }
    }
    let report = match signal {
        Some(_) => tracer.stop(),
        None => tracer.wait(),
    }
    .context("the trace ended in error")?;
    // The last samples (after the program's exit) arrive after its end.
    while let Ok(Heard::Trace(e)) = rx.try_recv() {
        record(&e);
    }
    Ok((report, signal))
}
