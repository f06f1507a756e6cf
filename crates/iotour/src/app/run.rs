//! The run view's state: one scenario run as the engine reports it, plus the
//! pacing controls (pause, step, predict) and what they ask of the engine.

use std::time::Duration;

use iotour_core::engine::{Command, ExecEvent, SliceReport, Snapshot, Speed};
use iotour_core::outcome::{Environment, Readings, RunOutcome, StepOutcome};
use iotour_core::scenario::Plan;

use super::Effect;
use super::flow::Flow;
use super::history::History;
use super::pages::PageView;
use super::timeline::Timeline;

/// The run as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the engine to set up the working file.
    Starting,
    Running,
    Paused,
    /// Every step ran; `ok`: every expectation held.
    Done {
        ok: bool,
    },
    /// The run stopped early: it could not start, or a step failed.
    Failed,
    /// The run ended at a step this machine cannot run (nothing failed).
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    Pending,
    Running,
    Done,
    Failed(String),
    /// Not run: this machine lacks what it needs (the reason).
    Skipped(String),
}

/// One step as far as it has run.
#[derive(Debug, Clone, PartialEq)]
pub struct StepView {
    pub state: StepState,
    pub done: u64,
    pub total: u64,
    pub slices: usize,
    /// The sum of the slices' counters until the step is done, then the
    /// step report's (which also has the state after the step).
    pub measured: Readings,
    pub report: Option<StepOutcome>,
}

impl StepView {
    fn pending() -> StepView {
        StepView {
            state: StepState::Pending,
            done: 0,
            total: 0,
            slices: 0,
            measured: Readings::default(),
            report: None,
        }
    }
}

/// Whether the user wants the run to go on; the engine follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Run,
    Hold,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunState {
    pub plan: Plan,
    /// Which engine this state listens to; events of older engines are dropped.
    pub epoch: u64,
    /// False from a (re)start until that engine's `EngineStarted` arrives.
    pub listening: bool,
    pub environment: Option<Environment>,
    pub status: Status,
    /// Why the run could not start or go on.
    pub failure: Option<super::Failure>,
    pub speed: Speed,
    /// The step in progress, or the last one that ran (1-based).
    pub current: Option<usize>,
    pub steps: Vec<StepView>,
    pub flow: Flow,
    pub timeline: Timeline,
    pub pages: PageView,
    pub history: History,
    pub report: Option<RunOutcome>,
    /// The run clock: time since the engine started.
    pub now: Duration,
    /// UI time at which the engine started, to turn ticks into run time.
    started_ui: Option<Duration>,
    pub intent: Intent,
    /// Drive the engine one step at a time (predict mode) instead of letting it run.
    pub stepping: bool,
    /// Predict mode holds before this step until the user has made a guess.
    pub gate: Option<usize>,
    /// Run time at which the current step started: charts hide what came
    /// after it while the step's figures are hidden.
    pub step_started: Option<Duration>,
}

impl RunState {
    /// The file the page map shows when it is not the working file: the
    /// `watch` of a `program` step, which the engine's sampler follows from
    /// that step until the next step that is not a program.
    #[must_use]
    pub fn sampled_file(&self) -> Option<&str> {
        let step = self.plan.steps().get(self.current?.checked_sub(1)?)?;
        match &step.op {
            iotour_core::scenario::Op::Program(p) => p
                .watch
                .as_ref()
                .map(iotour_core::scenario::WatchPath::as_str),
            _ => None,
        }
    }

    /// A run about to start as engine `epoch`; `predict` starts it paused
    /// and stepwise so the first question can be asked.
    pub fn new(plan: Plan, epoch: u64, speed: Speed, predict: bool) -> RunState {
        let steps = plan.steps().iter().map(|_| StepView::pending()).collect();
        RunState {
            flow: Flow::for_plan(&plan),
            plan,
            epoch,
            listening: false,
            environment: None,
            status: Status::Starting,
            failure: None,
            speed,
            current: None,
            steps,
            timeline: Timeline::default(),
            pages: PageView::default(),
            history: History::default(),
            report: None,
            now: Duration::ZERO,
            started_ui: None,
            intent: Intent::Run,
            stepping: predict,
            gate: None,
            step_started: None,
        }
    }

    /// The effect that starts this run's engine.
    pub fn start_effect(&self) -> Effect {
        Effect::Start {
            epoch: self.epoch,
            plan: Box::new(self.plan.clone()),
            speed: self.speed,
            paused: self.stepping,
        }
    }

    pub fn finished(&self) -> bool {
        matches!(self.status, Status::Done { .. } | Status::Failed)
    }

    /// The run stopped early or an expectation did not hold.
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Failed | Status::Done { ok: false })
    }

    /// Whether step `index`'s figures are hidden: predict mode keeps the
    /// answer to a step's question back until the step has run.
    pub fn hidden(&self, index: usize, predict: bool) -> bool {
        predict
            && self
                .plan
                .steps()
                .get(index - 1)
                .is_some_and(|s| s.ask.is_some())
            && self
                .steps
                .get(index - 1)
                .is_some_and(|s| !matches!(s.state, StepState::Done | StepState::Failed(_)))
    }

    /// While the current step's figures are hidden, the run time from which
    /// charts must hide what they would show (the step's start).
    pub fn hidden_since(&self, predict: bool) -> Option<Duration> {
        let i = self.current?;
        self.hidden(i, predict)
            .then(|| self.step_started.unwrap_or_default())
    }

    pub fn animating(&self) -> bool {
        self.status == Status::Running
            || self.flow.edges.values().any(|e| !e.pulses.is_empty())
            || (0..self.pages.changes.len()).any(|i| self.pages.fresh_change(i, self.now).is_some())
    }

    pub fn tick(&mut self, ui: Duration) {
        if let Some(start) = self.started_ui {
            self.advance(ui.saturating_sub(start));
        }
    }

    fn advance(&mut self, at: Duration) {
        self.now = self.now.max(at);
        self.flow.prune(self.now);
    }

    pub fn engine_started(&mut self, epoch: u64, at: Duration, predict: bool) -> Vec<Effect> {
        if epoch != self.epoch {
            return vec![];
        }
        self.listening = true;
        self.started_ui = Some(at);
        // In stepping mode the engine waits paused; open the first gate or go.
        if self.stepping {
            return self.continue_stepping(0, predict);
        }
        vec![]
    }

    pub fn engine_refused(&mut self, epoch: u64, error: super::Failure) {
        if epoch == self.epoch {
            self.status = Status::Failed;
            self.failure = Some(error);
        }
    }

    /// A 1-based step number that names a step of the plan. Events with any
    /// other are dropped, so `current` and `gate` always index the plan.
    fn valid(&self, index: usize) -> bool {
        (1..=self.plan.steps().len()).contains(&index)
    }

    pub fn exec(&mut self, ev: ExecEvent, predict: bool) -> Vec<Effect> {
        if !self.listening {
            return vec![];
        }
        let index = match &ev {
            ExecEvent::StepStarted { index, .. } => Some(*index),
            ExecEvent::Slice(s) => Some(s.step),
            ExecEvent::StepDone(r) => Some(r.index),
            _ => None,
        };
        if index.is_some_and(|i| !self.valid(i)) {
            return vec![];
        }
        match ev {
            ExecEvent::Ready { environment, at } => {
                self.environment = Some(environment);
                self.advance(at);
                self.status = self.paused_or_running();
            }
            ExecEvent::StepStarted { index, at } => {
                self.advance(at);
                self.step_started = Some(at);
                self.current = Some(index);
                self.flow.start_step();
                if let Some(s) = self.steps.get_mut(index - 1) {
                    s.state = StepState::Running;
                }
                if self.gate == Some(index) {
                    // The step began (e.g. one slice asked for): the guess is in.
                    self.gate = None;
                }
                self.status = self.paused_or_running();
            }
            ExecEvent::Slice(slice) => self.slice(&slice),
            ExecEvent::StepDone(report) => return self.step_done(report, predict),
            ExecEvent::Finished(report) => {
                self.status = if report.steps.iter().any(|s| s.error.is_some()) {
                    Status::Failed
                } else if report.ok && report.skipped().is_some() {
                    Status::Skipped
                } else {
                    Status::Done { ok: report.ok }
                };
                self.report = Some(report);
                self.gate = None;
            }
            ExecEvent::Failed { error, at } => {
                self.advance(at);
                self.status = Status::Failed;
                self.failure = Some(super::Failure::msg(error));
                self.gate = None;
            }
        }
        vec![]
    }

    pub fn sample(&mut self, s: Snapshot) {
        if !self.listening {
            return;
        }
        self.advance(s.at);
        self.history.record(&s);
        self.pages.not_durable = s.not_durable_bytes;
        self.pages.update(s.file, s.mapping, s.at);
    }

    fn slice(&mut self, s: &SliceReport) {
        self.advance(s.at);
        self.current = Some(s.step);
        self.timeline.record(s.at, &s.measured);
        self.flow.add(&s.copies, s.at, true);
        if let Some(v) = self.steps.get_mut(s.step - 1) {
            if v.slices == 0 {
                v.measured.set_counters(&s.measured);
            } else {
                v.measured.add_counters(&s.measured);
            }
            v.slices += 1;
            v.done = s.done;
            v.total = s.total;
            if v.state == StepState::Pending {
                v.state = StepState::Running;
            }
        }
    }

    fn step_done(&mut self, report: StepOutcome, predict: bool) -> Vec<Effect> {
        let index = report.index;
        self.current = Some(index);
        let Some(v) = self.steps.get_mut(index - 1) else {
            return vec![];
        };
        if v.slices == 0 {
            // A step without slices (a short fsync) still shows in the timeline.
            self.timeline.record(self.now, &report.measured);
        }
        // Copies the slices did not report (a step without slices) still count.
        let missing: Vec<_> = report
            .modeled
            .copies
            .iter()
            .filter_map(|c| {
                let key = super::flow::EdgeKey {
                    from: c.from,
                    to: c.to,
                    kind: c.kind,
                };
                let seen = self.flow.edges.get(&key).map_or(0, |e| e.step);
                (c.bytes > seen).then(|| iotour_core::model::Transfer {
                    bytes: c.bytes - seen,
                    ..*c
                })
            })
            .collect();
        self.flow.add(&missing, self.now, true);
        v.state = match (&report.error, &report.skipped) {
            (Some(e), _) => StepState::Failed(e.clone()),
            (None, Some(k)) => StepState::Skipped(k.to_string()),
            (None, None) => StepState::Done,
        };
        v.measured = report.measured;
        v.report = Some(report);
        if v.state != StepState::Done || !self.stepping || self.intent == Intent::Hold {
            return vec![];
        }
        self.continue_stepping(index, predict)
    }

    /// In stepping mode, after step `done` (0: none yet): hold at the next
    /// question, or ask the engine for the next step.
    fn continue_stepping(&mut self, done: usize, predict: bool) -> Vec<Effect> {
        let next = done + 1;
        let Some(step) = self.plan.steps().get(next - 1) else {
            return vec![];
        };
        if predict && step.ask.is_some() {
            self.gate = Some(next);
            self.intent = Intent::Hold;
            self.status = Status::Paused;
            return vec![];
        }
        if self.intent == Intent::Run {
            return vec![Effect::Send(Command::NextStep)];
        }
        vec![]
    }

    fn paused_or_running(&self) -> Status {
        match self.intent {
            Intent::Run => Status::Running,
            Intent::Hold => Status::Paused,
        }
    }

    /// Space.
    pub fn toggle_pause(&mut self) -> Vec<Effect> {
        if self.finished() {
            return vec![];
        }
        let cmd = match self.intent {
            Intent::Run => {
                self.intent = Intent::Hold;
                Command::Pause
            }
            Intent::Hold => {
                // Past a gate, the guess is made: run the asked step.
                self.gate = None;
                self.intent = Intent::Run;
                if self.stepping {
                    Command::NextStep
                } else {
                    Command::Resume
                }
            }
        };
        if self.status != Status::Starting {
            self.status = self.paused_or_running();
        }
        vec![Effect::Send(cmd)]
    }

    /// `n`: one more step, then hold. Pauses first when running.
    pub fn next_step(&mut self) -> Vec<Effect> {
        if self.finished() {
            return vec![];
        }
        self.gate = None;
        self.advance_then_hold(Command::NextStep)
    }

    /// `s`: one slice, then hold.
    pub fn next_slice(&mut self) -> Vec<Effect> {
        if self.finished() {
            return vec![];
        }
        self.advance_then_hold(Command::NextSlice)
    }

    /// Send `advance` and hold after it. A running engine is paused first,
    /// or it would carry on past the unit the user asked for.
    fn advance_then_hold(&mut self, advance: Command) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.intent == Intent::Run {
            out.push(Effect::Send(Command::Pause));
        }
        self.intent = Intent::Hold;
        self.status = self.status_unless_starting(Status::Paused);
        out.push(Effect::Send(advance));
        out
    }

    fn status_unless_starting(&self, s: Status) -> Status {
        if self.status == Status::Starting {
            Status::Starting
        } else {
            s
        }
    }

    pub fn set_speed(&mut self, speed: Speed) -> Vec<Effect> {
        if speed == self.speed {
            return vec![];
        }
        self.speed = speed;
        vec![Effect::Send(Command::SetSpeed(speed))]
    }

    /// Predict mode was switched. On: drive the engine stepwise so it can be
    /// held before the next question (a running engine finishes its current
    /// step, then waits). Off: let it run freely again.
    pub fn predict_changed(&mut self, predict: bool) -> Vec<Effect> {
        if self.finished() || predict == self.stepping {
            return vec![];
        }
        self.stepping = predict;
        if predict {
            if self.intent == Intent::Run {
                return vec![
                    Effect::Send(Command::Pause),
                    Effect::Send(Command::NextStep),
                ];
            }
            return vec![];
        }
        self.gate = None;
        if self.intent == Intent::Run {
            return vec![Effect::Send(Command::Resume)];
        }
        vec![]
    }

    /// The latest slice progress of the current step, as (done, total).
    pub fn progress(&self) -> Option<(u64, u64)> {
        let v = self.steps.get(self.current? - 1)?;
        (v.total > 0).then_some((v.done, v.total))
    }

    /// Sum of every step's counters so far (unknown stays unknown).
    pub fn totals(&self) -> Readings {
        let mut ran = self.steps.iter().filter(|v| v.state != StepState::Pending);
        let mut acc = Readings::default();
        if let Some(v) = ran.next() {
            acc.set_counters(&v.measured);
        }
        for v in ran {
            acc.add_counters(&v.measured);
        }
        acc
    }
}
