//! The side-by-side view's state: one [`RunState`] per scenario (the live
//! view's own), run one after another; no I/O here.
//!
//! Each scenario is an engine of its own epoch (index + 1). When one
//! finishes (or cannot start), the next is started; events of an engine
//! that is gone are dropped by its `RunState` (it listens only between its
//! `EngineStarted` and the next start).

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::Comparison;
use crate::app::action::{self, Action, Binding};
use crate::app::{Effect, Event, Input, RunState, StopReason};
use iotour_core::engine::Speed;
use iotour_core::scenario::{Lang, Plan};

/// Keys of the side-by-side view, in the order the footer shows them.
pub const COMPARE_KEYS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Char(' ')],
        label: "space",
        short: "pause",
        action: Action::TogglePause,
        help: "pause / resume the scenario that is running",
    },
    Binding {
        keys: &[KeyCode::Char('n'), KeyCode::Right],
        label: "n",
        short: "step",
        action: Action::NextStep,
        help: "run its next step (paused)",
    },
    Binding {
        keys: &[KeyCode::Char('s')],
        label: "s",
        short: "slice",
        action: Action::NextSlice,
        help: "run one slice (paused)",
    },
    Binding {
        keys: &[KeyCode::Char('+'), KeyCode::Char('=')],
        label: "+/-",
        short: "speed",
        action: Action::Faster,
        help: "faster",
    },
    Binding {
        keys: &[KeyCode::Char('-')],
        label: "",
        short: "",
        action: Action::Slower,
        help: "slower",
    },
    Binding {
        keys: &[KeyCode::Tab],
        label: "tab",
        short: "panels/totals",
        action: Action::FocusNext,
        help: "on a small screen: the panels or the totals",
    },
    Binding {
        keys: &[KeyCode::Char('q'), KeyCode::Esc],
        label: "q",
        short: "quit",
        action: Action::Back,
        help: "quit",
    },
];

#[derive(Debug, Clone, PartialEq)]
pub struct CompareView {
    pub runs: Vec<RunState>,
    /// The scenario running now (or the last one, when all are done).
    pub current: usize,
    pub lang: Lang,
    pub speed: Speed,
    /// On a small screen: show the totals table instead of the panels.
    pub show_totals: bool,
    pub quit: bool,
    pub stopped: Option<StopReason>,
}

impl CompareView {
    /// The view over `plans`; the returned effect starts the first.
    pub fn new(plans: Vec<Plan>, lang: Lang, speed: Speed) -> (CompareView, Vec<Effect>) {
        let runs: Vec<RunState> = plans
            .into_iter()
            .enumerate()
            .map(|(i, p)| RunState::new(p, i as u64 + 1, speed, false))
            .collect();
        let effects = runs
            .first()
            .map(RunState::start_effect)
            .into_iter()
            .collect();
        let view = CompareView {
            runs,
            current: 0,
            lang,
            speed,
            show_totals: false,
            quit: false,
            stopped: None,
        };
        (view, effects)
    }

    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let Some(run) = self.runs.get_mut(self.current) else {
            return vec![];
        };
        let mut effects = match event {
            Event::Input(Input::Key(key)) => return self.key(key),
            Event::Input(Input::Resize(..)) => return vec![],
            Event::Stop(reason) => {
                self.quit = true;
                self.stopped = Some(reason);
                return vec![Effect::Quit];
            }
            Event::Tick(t) => {
                run.tick(t);
                return vec![];
            }
            Event::EngineStarted { epoch, at } => run.engine_started(epoch, at, false),
            Event::EngineRefused { epoch, error } => {
                run.engine_refused(epoch, error);
                vec![]
            }
            Event::Exec(e) => run.exec(e, false),
            Event::Sample(s) => {
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

    fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(a) = action::lookup(COMPARE_KEYS, key) else {
            return vec![];
        };
        let run = &mut self.runs[self.current];
        match a {
            Action::TogglePause => run.toggle_pause(),
            Action::NextStep => run.next_step(),
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
            Action::FocusNext => {
                self.show_totals = !self.show_totals;
                vec![]
            }
            Action::Back | Action::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
            _ => vec![],
        }
    }

    /// Every scenario has finished (or failed).
    pub fn done(&self) -> bool {
        self.runs.iter().all(RunState::finished)
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
