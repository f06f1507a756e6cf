//! The one event type of the TUI: everything the loop reacts to arrives on a
//! single channel as an [`Event`], from named producer threads (`input`,
//! `tick`), the engine's worker and sampler, and the loop itself.

use std::time::Duration;

use ratatui::crossterm::event::KeyEvent;

use iotour_core::engine::{ExecEvent, Snapshot};

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
    /// `engine::start` refused to start engine number `epoch`.
    EngineRefused {
        epoch: u64,
        error: String,
    },
    /// The program must end: a signal arrived or the input thread died.
    Stop(StopReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// SIGTERM, SIGHUP or SIGINT (sent from outside; Ctrl-C in raw mode is a key).
    Signal(i32),
    /// The terminal's input could not be read any more.
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

impl From<Snapshot> for Event {
    fn from(s: Snapshot) -> Self {
        Event::Sample(s)
    }
}
