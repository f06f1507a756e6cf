//! The side-by-side screen's state: one [`RunState`] per scenario (the run
//! screen's own), run one after another; no I/O here.
//!
//! Each scenario is an engine of its own epoch. When one finishes (or cannot
//! start), the next is started; events of an engine that is gone are dropped
//! by its `RunState` (it listens only between its `EngineStarted` and the
//! next start).

use iotour_core::engine::{ExecEvent, Snapshot, Speed};
use iotour_core::scenario::Plan;

use super::action::Action;
use super::{Effect, RunState};
use crate::compare::Comparison;

#[derive(Debug, Clone, PartialEq)]
pub struct CompareState {
    pub runs: Vec<RunState>,
    /// The scenario running now (or the last one, when all are done).
    pub current: usize,
    pub speed: Speed,
    /// On a small screen: show the totals table instead of the panels.
    pub show_totals: bool,
}

/// What happened to a compare screen's current run. Moved once, from the
/// App's event to the run; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum RunEvent {
    Started { epoch: u64, at: std::time::Duration },
    Refused { epoch: u64, error: super::Failure },
    Exec(ExecEvent),
    Sample(Snapshot),
}

impl CompareState {
    /// The screen over `plans`, their engines numbered from `first_epoch`;
    /// the returned effect starts the first.
    pub fn new(plans: Vec<Plan>, speed: Speed, first_epoch: u64) -> (CompareState, Vec<Effect>) {
        let runs: Vec<RunState> = plans
            .into_iter()
            .zip(first_epoch..)
            .map(|(p, epoch)| RunState::new(p, epoch, speed, false))
            .collect();
        let effects = runs
            .first()
            .map(RunState::start_effect)
            .into_iter()
            .collect();
        let state = CompareState {
            runs,
            current: 0,
            speed,
            show_totals: false,
        };
        (state, effects)
    }

    /// The epoch after the last one this screen uses.
    pub fn next_epoch(&self) -> u64 {
        self.runs.last().map_or(0, |r| r.epoch + 1)
    }

    pub fn tick(&mut self, t: std::time::Duration) {
        if let Some(run) = self.runs.get_mut(self.current) {
            run.tick(t);
        }
    }

    /// An event of the current run's engine; once that run has finished,
    /// the next scenario starts.
    pub fn run_event(&mut self, ev: RunEvent) -> Vec<Effect> {
        let Some(run) = self.runs.get_mut(self.current) else {
            return vec![];
        };
        let mut effects = match ev {
            RunEvent::Started { epoch, at } => run.engine_started(epoch, at, false),
            RunEvent::Refused { epoch, error } => {
                run.engine_refused(epoch, error);
                vec![]
            }
            RunEvent::Exec(e) => run.exec(e, false),
            RunEvent::Sample(s) => {
                run.sample(s);
                return vec![];
            }
        };
        if self.runs[self.current].finished() && self.current + 1 < self.runs.len() {
            self.current += 1;
            effects.push(self.runs[self.current].start_effect());
        }
        effects
    }

    /// A key's action on this screen; `Back`, `Quit` and `Help` are the App's.
    pub fn act(&mut self, a: Action) -> Vec<Effect> {
        let run = &mut self.runs[self.current];
        match a {
            Action::TogglePause => run.toggle_pause(false),
            Action::NextStep => run.next_step(false),
            Action::NextSlice => run.next_slice(),
            Action::Faster | Action::Slower => {
                self.speed = if a == Action::Faster {
                    self.speed.faster()
                } else {
                    self.speed.slower()
                };
                // Scenarios still to come start at the new speed too.
                for r in &mut self.runs[self.current + 1..] {
                    r.speed = self.speed;
                }
                self.runs[self.current].set_speed(self.speed)
            }
            Action::ToggleTotals => {
                self.show_totals = !self.show_totals;
                vec![]
            }
            _ => vec![],
        }
    }

    /// Every scenario has finished (or failed).
    pub fn done(&self) -> bool {
        self.runs.iter().all(RunState::finished)
    }

    /// Whether any run failed or had an expectation that did not hold.
    pub fn failed(&self) -> bool {
        self.runs.iter().any(RunState::failed)
    }

    /// Totals and ratios of the scenarios that finished so far, in order
    /// (`None` until the first has).
    pub fn comparison(&self) -> Option<Comparison> {
        let runs: Vec<_> = self
            .runs
            .iter()
            .map_while(|r| r.report.clone().map(|rep| (rep, r.plan.clone())))
            .collect();
        (!runs.is_empty()).then(|| Comparison::new(&runs))
    }
}
