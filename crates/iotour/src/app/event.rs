//! The one event type of the program's loop: everything the App reacts to
//! arrives on a single channel as an [`Event`], from named producer threads
//! (`input`, `tick`, `signals`), the engine's worker and sampler (or a
//! replay), the `inspect` measurer and the `stats` sampler.
//!
//! Producers stamp what they know (run time, the time of day of a reading);
//! widgets never read a clock, so a frame depends on events alone.

use std::time::Duration;

use ratatui::crossterm::event::KeyEvent;

use iotour_core::engine::{ExecEvent, Snapshot};
use iotour_core::inspect::report::{InspectReport, MapView};
use iotour_core::stats::sample::Sample;

use super::Failure;

// Each event is moved once, through the channel; boxing the large variants
// would cost an allocation per slice and sample for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// From the engine's worker thread.
    Exec(ExecEvent),
    /// From the engine's sampler thread, on its own clock.
    Sample(Snapshot),
    Input(Input),
    /// The animation clock: time since the UI started. Widgets read time only
    /// from here and from event timestamps, so renders are reproducible.
    Tick(Duration),
    /// The loop started engine number `epoch` at UI time `at`. Sent after the
    /// previous engine was joined, so every engine event that follows on the
    /// channel belongs to this engine and none to an older one.
    EngineStarted {
        epoch: u64,
        at: Duration,
    },
    /// The engine, replay or measurer numbered `epoch` could not start.
    EngineRefused {
        epoch: u64,
        error: Failure,
    },
    /// From the `inspect` measurer of screen `epoch`.
    Inspected(Inspected),
    /// From the `stats` sampler of screen `epoch`: one reading of /proc.
    Stats {
        epoch: u64,
        sample: Box<Sample>,
        /// Time of day (UTC, `HH:MM:SS`) of the reading.
        clock: String,
    },
    /// From the tracer (or a trace recording's replay).
    #[cfg(target_os = "linux")]
    Trace(Box<iotour_core::trace::TraceEvent>),
    /// The program must end: a signal arrived or the terminal went away.
    Stop(StopReason),
}

/// What the `inspect` measurer sends (a report or a map, once a second at
/// most: boxing the report would buy nothing).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Inspected {
    /// Every file measured again (or why the paths could not be).
    Report {
        epoch: u64,
        report: Result<InspectReport, Failure>,
        clock: String,
        /// Where the page states came from (`cachestat`, `mincore`).
        source: &'static str,
    },
    /// The selected file's page map at the size the screen asked for.
    Map {
        epoch: u64,
        map: Result<MapView, Failure>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// SIGTERM, SIGHUP or SIGINT from outside (Ctrl-C in raw mode is a key).
    Signal(i32),
    /// The terminal hung up, or its input reached end-of-file or an error.
    InputClosed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Key(KeyEvent),
    Resize(u16, u16),
}

impl From<ExecEvent> for Event {
    fn from(e: ExecEvent) -> Self {
        Event::Exec(e)
    }
}

#[cfg(target_os = "linux")]
impl From<iotour_core::trace::TraceEvent> for Event {
    fn from(e: iotour_core::trace::TraceEvent) -> Self {
        Event::Trace(Box::new(e))
    }
}

impl From<Snapshot> for Event {
    fn from(s: Snapshot) -> Self {
        Event::Sample(s)
    }
}
