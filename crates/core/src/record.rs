//! Recordings: a run's events as JSON Lines, so a run can be replayed, plotted
//! or compared later (on a machine that cannot run it).
//!
//! ```text
//! line 1   {"format":"iotour-recording","version":1,"iotour_version":..,"kernel":..,
//!           "page_size":..,"filesystem":..,"sources":{..},"sample_hz":20,
//!           "scenarios":["unbuffered-write",..],"scenario_files":[{"id":..,"toml":..}]}
//! line 2.. {"scenario":0,"at":1234567,"exec":{"slice":{..}}}
//!          {"scenario":0,"at":1250000,"sample":{..}}
//! ```
//! - `scenario` indexes the header's `scenarios` (a compare recording has
//!   several, run one after another, each on its own clock from 0).
//! - `at` is nanoseconds since that scenario's run began: the event's own time,
//!   or for an event that carries none (`step_done`, `finished`) the time of the
//!   event before it.
//! - `exec` is an [`ExecEvent`], `sample` a [`Snapshot`], both in their serde
//!   form; unknown figures are `null`, never 0.
//! - `scenario_files` holds each scenario's TOML, so a replay needs no files.
//! - A recording of `iotour trace` (version 2) has no scenarios: its header's
//!   `trace` names the traced command, and each line holds a `trace` event
//!   (a [`TraceEvent`](crate::trace::TraceEvent) in its serde form).
//!
//! [`Recorder`] writes; [`tee`] puts one between the engine and any consumer
//! (headless run, compare, TUI); [`Recording::load`] reads a file back.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::{ExecEvent, Snapshot};
use crate::outcome::{RunOutcome, Sources, duration_ns};
use crate::scenario::{Origin, Plan};

mod reader;
mod tee;
mod writer;

pub use reader::Recording;
pub use tee::{Recordable, Tee, Teed, tee, tee_same};
pub use writer::Recorder;

/// The first line's `format`.
pub const FORMAT: &str = "iotour-recording";
/// The format version this build writes.
pub const VERSION: u32 = 2;
/// The versions this build reads: 2 added trace recordings, and nothing of
/// version 1 changed.
pub const READS: [u32; 2] = [1, 2];

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The iotour that wrote the file.
    pub iotour_version: String,
    /// From the first scenario's environment; `null` if no run got that far.
    pub kernel: Option<String>,
    pub page_size: Option<u64>,
    pub filesystem: Option<String>,
    pub sources: Option<Sources>,
    pub sample_hz: u32,
    /// Scenario ids in run order; a line's `scenario` indexes this.
    pub scenarios: Vec<String>,
    pub scenario_files: Vec<ScenarioFile>,
    /// A trace recording: the traced program (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceHeader>,
}

/// What a trace recording traced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceHeader {
    /// The command line, or the attached process's.
    pub command: Vec<String>,
}

/// A scenario's source text, as it was when recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioFile {
    pub id: String,
    pub toml: String,
}

impl ScenarioFile {
    /// The source text `plan` was parsed from: the embedded text of a
    /// built-in, else the file it was read from.
    pub fn of(plan: &Plan) -> Result<ScenarioFile, RecordError> {
        let toml = match plan.origin() {
            Origin::Builtin => crate::scenario::catalog::builtin_text(plan.id())
                .unwrap_or_default()
                .to_string(),
            Origin::File(path) => {
                std::fs::read_to_string(path).map_err(|error| RecordError::Io {
                    path: path.clone(),
                    error,
                })?
            }
        };
        Ok(ScenarioFile {
            id: plan.id().to_owned(),
            toml,
        })
    }
}

/// One event line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub scenario: usize,
    #[serde(with = "duration_ns")]
    pub at: Duration,
    #[serde(flatten)]
    pub event: Recorded,
}

/// What a line holds: a worker event or a sampler reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // a Snapshot is ~224 bytes, moved once per line
pub enum Recorded {
    Exec(Box<ExecEvent>),
    Sample(Snapshot),
    #[cfg(target_os = "linux")]
    Trace(Box<crate::trace::TraceEvent>),
}

/// A borrowed [`Recorded`]: what the recorder writes without copying the event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedRef<'a> {
    Exec(&'a ExecEvent),
    Sample(&'a Snapshot),
    #[cfg(target_os = "linux")]
    Trace(&'a crate::trace::TraceEvent),
}

impl RecordedRef<'_> {
    /// The event's own time, if it carries one.
    pub fn at(self) -> Option<Duration> {
        match self {
            RecordedRef::Sample(s) => Some(s.at),
            #[cfg(target_os = "linux")]
            RecordedRef::Trace(t) => Some(t.at()),
            RecordedRef::Exec(e) => match e {
                ExecEvent::Ready { at, .. }
                | ExecEvent::StepStarted { at, .. }
                | ExecEvent::Failed { at, .. } => Some(*at),
                ExecEvent::Slice(s) => Some(s.at),
                ExecEvent::StepDone(_) | ExecEvent::Finished(_) => None,
            },
        }
    }
}

impl Recorded {
    pub fn as_ref(&self) -> RecordedRef<'_> {
        match self {
            Recorded::Exec(e) => RecordedRef::Exec(e),
            Recorded::Sample(s) => RecordedRef::Sample(s),
            #[cfg(target_os = "linux")]
            Recorded::Trace(t) => RecordedRef::Trace(t),
        }
    }

    /// The event's own time, if it carries one.
    pub fn at(&self) -> Option<Duration> {
        self.as_ref().at()
    }

    /// The final report, for a `finished` line.
    pub fn report(&self) -> Option<&RunOutcome> {
        match self {
            Recorded::Exec(e) => match &**e {
                ExecEvent::Finished(r) => Some(r),
                _ => None,
            },
            _ => None,
        }
    }
}

impl From<ExecEvent> for Recorded {
    fn from(e: ExecEvent) -> Self {
        Recorded::Exec(Box::new(e))
    }
}

impl From<Snapshot> for Recorded {
    fn from(s: Snapshot) -> Self {
        Recorded::Sample(s)
    }
}

/// Why a recording could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    // The cause is part of the message (not a `#[source]`), so that a
    // chain-printing caller does not say it twice.
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: not an iotour recording (its first line has no \"format\":\"{FORMAT}\")", path.display())]
    NotARecording { path: PathBuf },
    #[error(
        "{}: a version {found} recording (written by iotour {written_by}); this iotour {ours} reads versions 1 and 2 only: open it with iotour {written_by}",
        path.display(),
        ours = env!("CARGO_PKG_VERSION")
    )]
    Version {
        path: PathBuf,
        found: u64,
        written_by: String,
    },
    #[error("{}:{line}: {error}", path.display())]
    BadLine {
        path: PathBuf,
        line: usize,
        error: serde_json::Error,
    },
    /// A recorded verdict that its own step's figures contradict: the file
    /// was edited or damaged, and replaying it would teach something false.
    #[error("{}:{line}: corrupt recording: {message}", path.display())]
    BadVerdict {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: scenario `{id}` recorded in the file does not parse: {message}", path.display())]
    BadScenario {
        path: PathBuf,
        id: String,
        message: String,
    },
}

#[cfg(test)]
mod tests;
