//! The real engine behind the loop's [`Launcher`]: `engine::start` with the
//! CLI's settings, speed and pause state taken from the app at each (re)start.

use std::sync::mpsc::Sender;

use super::{EngineHandle, Launcher};
use crate::app::{Event, Failure};
use iotour_core::engine::{self, Command, Engine, EngineConfig, Speed};
use iotour_core::scenario::Plan;

pub struct EngineLauncher {
    config: EngineConfig,
}

impl EngineLauncher {
    pub fn new(config: EngineConfig) -> EngineLauncher {
        EngineLauncher { config }
    }
}

impl EngineHandle for Engine {
    fn send(&self, cmd: Command) {
        Engine::send(self, cmd);
    }
}

impl Launcher for EngineLauncher {
    type Handle = Engine;

    fn launch(
        &mut self,
        plan: Plan,
        speed: Speed,
        paused: bool,
        events: Sender<Event>,
    ) -> Result<Engine, Failure> {
        let config = EngineConfig {
            speed,
            start_paused: paused,
            ..self.config.clone()
        };
        engine::start(plan, config, events).map_err(Failure::new)
    }
}
