//! The engine: runs a [`Plan`](crate::scenario::Plan) on a worker thread named
//! `exec` with real syscalls on the working file, measuring each slice of work,
//! and reports what happened as [`ExecEvent`]s over a channel.
//!
//! It knows nothing of any UI: a consumer passes a `Sender<E>` where
//! `E: From<ExecEvent>` and drives it with [`Command`]s.

use std::time::Duration;

use crate::model::Copy;
use crate::report::{Environment, Measured, RunReport, StepReport};

/// What the engine tells its consumer. `at` is the time since the run began.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecEvent {
    /// The working file is set up; measurement sources are known.
    Ready {
        environment: Environment,
        at: Duration,
    },
    /// Step `index` (1-based) begins.
    StepStarted { index: usize, at: Duration },
    /// A slice of a step's work finished.
    Slice(SliceReport),
    /// A step finished (successfully or not: see `StepReport::error`).
    StepDone(StepReport),
    /// Every step ran (or one failed and the run stopped); the whole report.
    Finished(RunReport),
    /// The run could not start or could not go on (setup failed, disk full).
    Failed { error: String, at: Duration },
}

/// One slice of a step: its own counters (pacing excluded) and its copies.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceReport {
    pub step: usize,
    /// 0-based slice number within the step.
    pub slice: usize,
    /// Units of work (calls, pages) done so far in the step, and in all.
    pub done: u64,
    pub total: u64,
    pub at: Duration,
    /// Counter deltas of this slice only (the state fields are `None`).
    pub measured: Measured,
    pub copies: Vec<Copy>,
}

/// How fast a paced run goes. `Max` does no pacing at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Speed {
    Quarter,
    Half,
    One,
    Two,
    Four,
    Eight,
    Max,
}

impl Speed {
    pub const ALL: [Speed; 7] = [
        Speed::Quarter,
        Speed::Half,
        Speed::One,
        Speed::Two,
        Speed::Four,
        Speed::Eight,
        Speed::Max,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Speed::Quarter => "¼×",
            Speed::Half => "½×",
            Speed::One => "1×",
            Speed::Two => "2×",
            Speed::Four => "4×",
            Speed::Eight => "8×",
            Speed::Max => "max",
        }
    }

    pub fn faster(self) -> Speed {
        let i = Speed::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Speed::ALL[(i + 1).min(Speed::ALL.len() - 1)]
    }

    pub fn slower(self) -> Speed {
        let i = Speed::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Speed::ALL[i.saturating_sub(1)]
    }
}

/// What a consumer can ask of a running engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Pause,
    Resume,
    /// While paused: run the next whole step, then pause again.
    NextStep,
    /// While paused: run one slice, then pause again.
    NextSlice,
    SetSpeed(Speed),
    /// Stop as soon as the current slice ends; the working directory is removed.
    Abort,
}
