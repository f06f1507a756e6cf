//! The real engine behind the loop's [`Launcher`]: `engine::start` with the
//! CLI's settings, speed and pause state taken from the app at each (re)start.

use std::process::ExitCode;
use std::sync::mpsc::Sender;

use super::{EngineHandle, Launcher, TuiOptions, pick_and_run_with, run_scenario_with};
use crate::app::Event;
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
    ) -> Result<Engine, String> {
        let config = EngineConfig {
            speed,
            start_paused: paused,
            ..self.config.clone()
        };
        engine::start(plan, config, events).map_err(|e| e.to_string())
    }
}

/// `iotour run SCENARIO` on a terminal: the run view until `q`.
pub fn run_scenario(
    plan: Plan,
    config: EngineConfig,
    opts: TuiOptions,
) -> anyhow::Result<ExitCode> {
    let speed = config.speed;
    run_scenario_with(plan, EngineLauncher { config }, speed, opts)
}

/// `iotour` on a terminal: the picker; Enter runs, `q` comes back.
pub fn pick_and_run(
    plans: Vec<Plan>,
    config: EngineConfig,
    opts: TuiOptions,
) -> anyhow::Result<ExitCode> {
    let speed = config.speed;
    pick_and_run_with(plans, EngineLauncher { config }, speed, opts)
}
