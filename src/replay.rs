//! Replay: a recording played into the same TUI with the same controls
//! (pause, step, slice, speed, restart), without running anything.
//!
//! [`ReplayLauncher`] is a [`Launcher`] like the engine's: the app asks it
//! to "start" a scenario, and a thread named `replay` sends that scenario's
//! recorded events on the UI's channel, gated and paced by the engine's own
//! [`Control`] so the keys behave as in a live run:
//! ```text
//! per step:  gate → StepStarted → [gate] Slice → pace … → StepDone → step_done
//! samples:   sent in recorded order between the worker's events
//! ```
//! Event times (`at`) are the recorded ones: the charts show the run as it
//! was measured, whatever the replay speed.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::app::Event;
use crate::engine::control::{Aborted, Control};
use crate::engine::{Command, ExecEvent, Speed};
use crate::record::{Line, Recorded, Recording};
use crate::scenario::Plan;
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

/// A replay in progress. Dropping it stops the feeder and joins it.
pub struct ReplayHandle {
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

impl EngineHandle for ReplayHandle {
    fn send(&self, cmd: Command) {
        self.control.apply(cmd);
    }
}

impl Drop for ReplayHandle {
    fn drop(&mut self) {
        self.control.apply(Command::Abort);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Launcher for ReplayLauncher {
    type Handle = ReplayHandle;

    fn launch(
        &mut self,
        plan: Plan,
        speed: Speed,
        paused: bool,
        events: Sender<Event>,
    ) -> Result<ReplayHandle, String> {
        let index = self
            .recording
            .header
            .scenarios
            .iter()
            .position(|id| *id == plan.id)
            .ok_or_else(|| format!("{} is not in this recording", plan.id))?;
        let control = Arc::new(Control::new(speed, paused));
        let (rec, ctl) = (Arc::clone(&self.recording), Arc::clone(&control));
        let thread = std::thread::Builder::new()
            .name("replay".into())
            .spawn(move || {
                let lines: Vec<&Line> = rec.scenario_lines(index).collect();
                let _ = feed(&lines, &ctl, &events);
            })
            .map_err(|e| format!("cannot start the replay thread: {e}"))?;
        Ok(ReplayHandle {
            control,
            thread: Some(thread),
        })
    }
}

/// Why feeding stopped early.
enum Stop {
    Aborted,
    /// The UI hung up.
    Gone,
}

impl From<Aborted> for Stop {
    fn from(_: Aborted) -> Self {
        Stop::Aborted
    }
}

/// Send `lines` as the engine sent them, under `control`.
fn feed(lines: &[&Line], control: &Control, out: &Sender<Event>) -> Result<(), Stop> {
    let mut slices: HashMap<usize, u64> = HashMap::new();
    for l in lines {
        if let Recorded::Exec(e) = &l.event
            && let ExecEvent::Slice(s) = &**e
        {
            *slices.entry(s.step).or_default() += 1;
        }
    }
    let send = |e: Event| out.send(e).map_err(|_| Stop::Gone);
    for l in lines {
        match &l.event {
            Recorded::Sample(s) => send(Event::Sample(s.clone()))?,
            Recorded::Exec(e) => match &**e {
                ExecEvent::StepStarted { .. } => {
                    control.gate_step()?;
                    send(Event::Exec((**e).clone()))?;
                }
                ExecEvent::Slice(s) => {
                    if s.slice > 0 {
                        control.gate()?;
                    }
                    send(Event::Exec((**e).clone()))?;
                    let work = Duration::from_nanos(s.measured.duration_ns.unwrap_or(0));
                    control.pace(work, slices.get(&s.step).copied().unwrap_or(1))?;
                }
                ExecEvent::StepDone(_) => {
                    send(Event::Exec((**e).clone()))?;
                    control.step_done();
                }
                _ => send(Event::Exec((**e).clone()))?,
            },
        }
    }
    Ok(())
}
