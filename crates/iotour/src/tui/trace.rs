//! The trace screen on a terminal: what the loop traces when the screen's
//! `Effect::Trace` asks (a live program, or a trace recording replayed), and
//! the `iotour trace` entry that sets it up.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;

use anyhow::Context as _;

use super::{Loop, NoEngine, signals, terminal};
use crate::app::trace::TraceSetup;
use crate::app::{App, Event, Failure, StopReason};
use crate::exit::Exit;
use iotour_core::engine::Speed;
use iotour_core::record::{RecordError, Recorder, Recording, Tee, tee_same};
use iotour_core::replay::{self, Replay};
use iotour_core::scenario::Lang;
use iotour_core::trace::{self, Stdio, Target, TraceConfig, Tracer};

/// What a trace screen traces. One per screen, moved once: boxing the
/// larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Source {
    /// A program, live; its events also recorded when a recorder is given.
    Live {
        config: TraceConfig,
        recorder: Option<Recorder>,
    },
    /// A trace recording, replayed at `speed`.
    Replay {
        recording: Arc<Recording>,
        speed: Speed,
    },
}

/// A trace under way; stopping it kills a started command or detaches from
/// an attached process (and completes the recording).
pub enum Running {
    Live { tracer: Tracer, tee: Option<Tee> },
    Replay(Replay),
}

impl Source {
    pub fn start(self, tx: Sender<Event>) -> Result<Running, Failure> {
        match self {
            Source::Live { config, recorder } => {
                let (tx, tee) = match recorder {
                    Some(r) => {
                        let (tx, tee) = tee_same(r, 0, tx).map_err(Failure::new)?;
                        (tx, Some(tee))
                    }
                    None => (tx, None),
                };
                let tracer = trace::start(config, tx).map_err(Failure::new)?;
                Ok(Running::Live { tracer, tee })
            }
            Source::Replay { recording, speed } => replay::start_trace(&recording, speed, tx)
                .map(Running::Replay)
                .map_err(Failure::new),
        }
    }
}

impl Running {
    /// Stop tracing and finish the recording; its write error, if any.
    pub fn stop(self) -> Result<(), RecordError> {
        match self {
            Running::Live { tracer, tee } => {
                // The report is the screen's own fold; the tracer's copy of
                // it is not needed.
                let _ = tracer.stop();
                match tee {
                    Some(t) => t.finish().finish(),
                    None => Ok(()),
                }
            }
            Running::Replay(r) => {
                drop(r);
                Ok(())
            }
        }
    }
}

/// `iotour trace` on a terminal: the program's output goes to a log file
/// next to the working directory of the user (named in the header), the
/// trace screen until `q` (which stops the trace).
pub fn run(
    mut config: TraceConfig,
    record: Option<&std::path::Path>,
    lang: Lang,
) -> anyhow::Result<Exit> {
    let (command, log) = match &mut config.target {
        Target::Command { argv, stdio } => {
            let log = log_path()?;
            *stdio = Stdio::File(log.clone());
            (argv.clone(), Some(log))
        }
        Target::Pid(pid) => (vec![format!("--pid {pid}")], None),
    };
    let recorder = match &record {
        Some(path) => Some(Recorder::create_trace(
            path,
            command.clone(),
            config.sample_hz,
        )?),
        None => None,
    };
    let setup = TraceSetup {
        command,
        log: log.clone(),
        replay: false,
    };
    let exit = screen(setup, Source::Live { config, recorder }, lang);
    // The program's output stays where the header said, unless there was none.
    if let Some(log) = log {
        match std::fs::metadata(&log) {
            Ok(m) if m.len() == 0 => {
                let _ = std::fs::remove_file(&log);
            }
            Ok(_) => crate::cli::output::err_line(&format!(
                "iotour: the traced program's output is in {}",
                crate::sanitize::safe(&log.display().to_string())
            )),
            Err(_) => {}
        }
    }
    exit
}

/// The trace screen over a trace recording.
pub fn replay(recording: Recording, speed: Speed, lang: Lang) -> anyhow::Result<Exit> {
    let command = recording
        .header
        .trace
        .as_ref()
        .map(|t| t.command.clone())
        .unwrap_or_default();
    let setup = TraceSetup {
        command,
        log: None,
        replay: true,
    };
    let source = Source::Replay {
        recording: Arc::new(recording),
        speed,
    };
    screen(setup, source, lang)
}

fn screen(setup: TraceSetup, source: Source, lang: Lang) -> anyhow::Result<Exit> {
    let (app, effects) = App::trace(setup, lang);
    let theme = crate::ui::theme::Themes::from_env();
    let (tx, rx) = std::sync::mpsc::channel();
    let started = std::time::Instant::now();
    let _signals = signals::subscribe(tx.clone(), |sig| Event::Stop(StopReason::Signal(sig)));
    let mut session = terminal::Session::start().context("cannot set the terminal up")?;
    super::input::spawn(tx.clone()).context("cannot start the input thread")?;
    super::producers::spawn_tick(tx.clone(), started).context("cannot start the tick thread")?;
    let mut lp = Loop::new(app, NoEngine, tx, started);
    lp.trace_source = Some(source);
    let result = lp.run(&mut session.terminal, &rx, effects, &theme);
    lp.stop_producers();
    drop(session);
    result?;
    if let Some(e) = lp.trace_error.take() {
        return Err(e.into());
    }
    Ok(super::exit_code(&lp.app))
}

/// A fresh log file for the traced program's output, in the temporary
/// directory, created here so no one else can have made it first.
fn log_path() -> anyhow::Result<PathBuf> {
    let file = tempfile::Builder::new()
        .prefix("iotour-trace-")
        .suffix(".log")
        .tempfile()
        .context("cannot create the log file for the program's output")?;
    let (_, path) = file.keep().context("cannot keep the log file")?;
    Ok(path)
}
