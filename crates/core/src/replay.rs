//! Replay: a recording's events sent again, as the engine sent them, under
//! the engine's own [`Control`] (pause, step, slice, speed, abort), without
//! running anything.
//!
//! [`start`] spawns a thread named `replay` that sends one scenario's
//! recorded events to the consumer's channel, gated and paced so a consumer
//! cannot tell it from a live engine:
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

use crate::engine::control::{Aborted, Control};
use crate::engine::{Command, ExecEvent, Snapshot, Speed};
use crate::record::{Line, Recorded, Recording};

/// Why a replay could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{0} is not in this recording")]
    NotRecorded(String),
    #[error("cannot start the replay thread: {0}")]
    Spawn(#[source] std::io::Error),
}

/// A replay in progress. Dropping it stops the feeder and joins it.
pub struct Replay {
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

impl Replay {
    /// Pass a command to the feeder, as to an engine.
    pub fn send(&self, cmd: Command) {
        self.control.apply(cmd);
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.control.apply(Command::Abort);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Replay scenario `id` of `recording` into `events`, starting at `speed`
/// (held before the first step when `paused`).
pub fn start<E>(
    recording: &Arc<Recording>,
    id: &str,
    speed: Speed,
    paused: bool,
    events: Sender<E>,
) -> Result<Replay, ReplayError>
where
    E: From<ExecEvent> + From<Snapshot> + Send + 'static,
{
    let index = recording
        .header
        .scenarios
        .iter()
        .position(|s| s == id)
        .ok_or_else(|| ReplayError::NotRecorded(id.to_string()))?;
    let control = Arc::new(Control::new(speed, paused));
    let (rec, ctl) = (Arc::clone(recording), Arc::clone(&control));
    let thread = std::thread::Builder::new()
        .name("replay".into())
        .spawn(move || {
            let lines: Vec<&Line> = rec.scenario_lines(index).collect();
            let _ = feed(&lines, &ctl, &events);
        })
        .map_err(ReplayError::Spawn)?;
    Ok(Replay {
        control,
        thread: Some(thread),
    })
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
fn feed<E>(lines: &[&Line], control: &Control, out: &Sender<E>) -> Result<(), Stop>
where
    E: From<ExecEvent> + From<Snapshot>,
{
    let mut slices: HashMap<usize, u64> = HashMap::new();
    for l in lines {
        if let Recorded::Exec(e) = &l.event
            && let ExecEvent::Slice(s) = &**e
        {
            *slices.entry(s.step).or_default() += 1;
        }
    }
    let send = |e: E| out.send(e).map_err(|_| Stop::Gone);
    for l in lines {
        match &l.event {
            Recorded::Sample(s) => send(E::from(s.clone()))?,
            // A trace recording has no scenario to feed.
            #[cfg(target_os = "linux")]
            Recorded::Trace(_) => {}
            Recorded::Exec(e) => match &**e {
                ExecEvent::StepStarted { .. } => {
                    control.gate_step()?;
                    send(E::from((**e).clone()))?;
                }
                ExecEvent::Slice(s) => {
                    if s.slice > 0 {
                        control.gate()?;
                    }
                    send(E::from((**e).clone()))?;
                    let work = Duration::from_nanos(s.measured.duration_ns.unwrap_or(0));
                    control.pace(work, slices.get(&s.step).copied().unwrap_or(1))?;
                }
                ExecEvent::StepDone(_) => {
                    send(E::from((**e).clone()))?;
                    control.step_done();
                }
                _ => send(E::from((**e).clone()))?,
            },
        }
    }
    Ok(())
}

/// Replay a trace recording into `events` at its recorded pace, `speed`
/// times faster (`Speed::Max`: at once). The events are the recorded
/// [`TraceEvent`](crate::trace::TraceEvent)s, times and all.
#[cfg(target_os = "linux")]
pub fn start_trace<E>(
    recording: &Arc<Recording>,
    speed: Speed,
    events: Sender<E>,
) -> Result<Replay, ReplayError>
where
    E: From<crate::trace::TraceEvent> + Send + 'static,
{
    let control = Arc::new(Control::new(speed, false));
    let (rec, ctl) = (Arc::clone(recording), Arc::clone(&control));
    let thread = std::thread::Builder::new()
        .name("replay".into())
        .spawn(move || {
            let mut last = Duration::ZERO;
            for line in &rec.lines {
                let Recorded::Trace(e) = &line.event else {
                    continue;
                };
                let at = e.at();
                let wait = at.saturating_sub(last);
                last = last.max(at);
                if let Some(factor) = crate::engine::control::speed_factor(ctl.speed())
                    && ctl.sleep(wait.div_f64(factor)).is_err()
                {
                    return;
                }
                if ctl.is_aborted() || events.send(E::from((**e).clone())).is_err() {
                    return;
                }
            }
        })
        .map_err(ReplayError::Spawn)?;
    Ok(Replay {
        control,
        thread: Some(thread),
    })
}
