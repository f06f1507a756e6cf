//! Replay in the TUI: [`ReplayLauncher`] starts [`iotour_core::replay`]s the
//! way the engine's launcher starts engines, so the run view cannot tell a
//! recording from a live run.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use iotour_core::engine::{Command, Speed};
use iotour_core::record::Recording;
use iotour_core::replay::{self, Replay};
use iotour_core::scenario::Plan;

use crate::app::{Event, Failure};
use crate::tui::{EngineHandle, Launcher};

/// Starts replays of the scenarios of one recording.
pub struct ReplayLauncher {
    recording: Arc<Recording>,
}

impl ReplayLauncher {
    pub fn new(recording: Arc<Recording>) -> ReplayLauncher {
        ReplayLauncher { recording }
    }
}

impl EngineHandle for Replay {
    fn send(&self, cmd: Command) {
        Replay::send(self, cmd);
    }
}

impl Launcher for ReplayLauncher {
    type Handle = Replay;

    fn launch(
        &mut self,
        plan: Plan,
        speed: Speed,
        paused: bool,
        events: Sender<Event>,
    ) -> Result<Replay, Failure> {
        replay::start(&self.recording, plan.id(), speed, paused, events).map_err(Failure::new)
    }
}
