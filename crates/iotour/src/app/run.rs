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

/// What the run view shows: the run as it goes, an earlier step's results as
/// they were at its end (`b`), or the summary after the last step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewing {
    Live,
    /// Step `i` (1-based) as it was at its end.
    Step(usize),
    Summary,
}

/// Words a class reads per minute: a `note` step stays this long at 1×.
pub const READING_WPM: u64 = 250;

/// How long `text` takes to read aloud at [`READING_WPM`]: words for
/// alphabetic scripts, and two CJK characters as one word.
pub fn reading_time(text: &str) -> Duration {
    let is_cjk = crate::ui::text::is_cjk;
    let words = text
        .split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_alphanumeric() && !is_cjk(c)))
        .count() as u64;
    let cjk = text.chars().filter(|c| is_cjk(*c)).count() as u64;
    let words = words + cjk / 2;
    Duration::from_millis(words * 60_000 / READING_WPM)
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
    pub viewing: Viewing,
    /// Each step's view as it was at its end (`ends[i - 1]` for step `i`),
    /// kept when the next step starts or the run ends, for review.
    pub ends: Vec<Option<Box<RunState>>>,
    /// Predict mode applies to steps from this one on: switched on while a
    /// step runs, it starts with the next.
    pub predict_from: usize,
    /// Predict mode: step `i` asked its question and ran; its answer stays
    /// on screen until space or `n`.
    pub reveal: Option<usize>,
    /// A `note` step holds the engine until the class has read it (run time).
    pub reading_until: Option<Duration>,
    /// Lines the narration is scrolled down (PgDn), for the step it is on.
    pub scroll: u16,
    /// `n` asked the engine to run a step to its end: it runs, though held.
    pub finishing: bool,
    /// Since when (run time) the file has had dirty pages: the kernel's
    /// flusher counts its expiry from the first one (the inode's dirtied time).
    pub dirty_since: Option<Duration>,
    /// The flusher's clock, as the sampler read it from /proc/sys/vm.
    pub flusher: Option<iotour_core::engine::FlusherClock>,
    /// Burst samples of a device wait, and their slowed-down play.
    pub slowmo: super::run_slowmo::SlowMotion,
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
        let plan_len = plan.steps().len();
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
            viewing: Viewing::Live,
            ends: vec![None; plan_len],
            predict_from: 1,
            reveal: None,
            reading_until: None,
            scroll: 0,
            finishing: false,
            dirty_since: None,
            flusher: None,
            slowmo: super::run_slowmo::SlowMotion::default(),
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
        self.asks(index, predict)
            && self
                .steps
                .get(index - 1)
                .is_some_and(|s| !matches!(s.state, StepState::Done | StepState::Failed(_)))
    }

    /// Whether predict mode asks step `index`'s question: it has one, and
    /// predict mode was on when the step came.
    pub fn asks(&self, index: usize, predict: bool) -> bool {
        predict
            && index >= self.predict_from
            && self
                .plan
                .steps()
                .get(index - 1)
                .is_some_and(|s| s.ask.is_some())
    }

    /// The state to draw: the live run, or the reviewed step's end.
    pub fn shown(&self) -> &RunState {
        match self.viewing {
            Viewing::Step(i) => self
                .ends
                .get(i - 1)
                .and_then(|e| e.as_deref())
                .unwrap_or(self),
            Viewing::Live | Viewing::Summary => self,
        }
    }

    /// Predict mode was switched on while step `current` runs: the header
    /// says it starts with the next step.
    pub fn predict_pending(&self, predict: bool) -> bool {
        predict && self.current.is_some_and(|c| c < self.predict_from) && !self.finished()
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
            || self.reading_until.is_some()
            || self.slowmo.playing.is_some()
            || self.flow.edges.values().any(|e| !e.pulses.is_empty())
            || self.flow.legs.values().any(|l| !l.pulses.is_empty())
            || (0..self.pages.changes.len()).any(|i| self.pages.fresh_change(i, self.now).is_some())
    }

    pub fn tick(&mut self, ui: Duration) -> Vec<Effect> {
        if let Some(start) = self.started_ui {
            self.advance(ui.saturating_sub(start));
        }
        self.slowmo.tick(self.now);
        // A note read: the run goes on.
        if self.reading_until.is_some_and(|t| self.now >= t) {
            self.reading_until = None;
            if self.intent == Intent::Run && !self.stepping && !self.finished() {
                return vec![Effect::Send(Command::Resume)];
            }
        }
        vec![]
    }

    /// Keep step `index`'s view as it is now, its end, for review.
    fn keep_end(&mut self, index: usize) {
        if !self.valid(index) || self.ends[index - 1].is_some() {
            return;
        }
        let ends = std::mem::take(&mut self.ends);
        let mut end = self.clone();
        self.ends = ends;
        end.viewing = Viewing::Step(index);
        end.current = Some(index);
        end.gate = None;
        end.reveal = None;
        end.reading_until = None;
        end.scroll = 0;
        end.finishing = false;
        end.slowmo = super::run_slowmo::SlowMotion::default();
        self.ends[index - 1] = Some(Box::new(end));
    }

    /// Keep the end of the step last run, if it is done.
    fn keep_current_end(&mut self) {
        if let Some(c) = self.current
            && self
                .steps
                .get(c - 1)
                .is_some_and(|s| matches!(s.state, StepState::Done | StepState::Failed(_)))
        {
            self.keep_end(c);
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
                self.keep_current_end();
                self.advance(at);
                self.scroll = 0;
                if self.reveal.is_some_and(|r| r != index) {
                    self.reveal = None;
                }
                // A note stays until the class has read it (the engine is
                // held after it; a pause sent now also ends its pacing).
                let note = &self.plan.steps()[index - 1];
                let mut out = vec![];
                if matches!(note.op, iotour_core::scenario::Op::Note)
                    && self.intent == Intent::Run
                    && !self.stepping
                    && let Some(factor) = iotour_core::engine::control::speed_factor(self.speed)
                {
                    let text = note.say.as_ref().map(|s| s.en.as_str()).unwrap_or_default();
                    let read = reading_time(text)
                        .max(iotour_core::engine::control::STEP_TARGET)
                        .div_f64(factor);
                    self.reading_until = Some(at + read);
                    out.push(Effect::Send(Command::Pause));
                }
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
                return out;
            }
            ExecEvent::Slice(slice) => self.slice(&slice),
            ExecEvent::StepDone(report) => return self.step_done(report, predict),
            ExecEvent::Finished(report) => {
                self.keep_current_end();
                self.reading_until = None;
                // Run through freely, the run ends on its summary; held (a
                // step's end, an answer revealed), `n` goes on to it.
                if self.intent == Intent::Run
                    && self.reveal.is_none()
                    && self.viewing == Viewing::Live
                {
                    self.viewing = Viewing::Summary;
                }
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
                self.keep_current_end();
                self.reading_until = None;
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
        self.slowmo.record(self.current, &s);
        // A burst (1 kHz) would crowd the charts' history: 20 a second of it.
        let crowded = s.burst
            && self
                .history
                .points
                .back()
                .is_some_and(|p| s.at.saturating_sub(p.at) < Duration::from_millis(50));
        if !crowded {
            self.history.record(&s);
        }
        self.flusher = s.flusher.or(self.flusher);
        match s.file.as_ref().and_then(|m| m.totals.dirty) {
            Some(0) => self.dirty_since = None,
            Some(_) => self.dirty_since = self.dirty_since.or(Some(s.at)),
            None => {}
        }
        self.pages.not_durable = s.not_durable_bytes;
        self.pages.vma = s.vma;
        self.pages.update(s.file, s.mapping, s.at);
    }

    /// The device wait recorded in a burst is over: play it slowed down
    /// (not at `max`: there is no time to).
    fn play_slow_motion(&mut self) {
        if let Some(f) = iotour_core::engine::control::speed_factor(self.speed) {
            let target = super::run_slowmo::PLAYBACK.div_f64(f);
            self.slowmo.start(self.now, target);
        }
    }

    fn slice(&mut self, s: &SliceReport) {
        self.advance(s.at);
        if self.slowmo.step == Some(s.step) {
            self.play_slow_motion();
        }
        self.current = Some(s.step);
        self.timeline.record(s.at, &s.measured);
        self.flow.add(&s.copies, s.at, true);
        self.flow.add_legs(&s.legs, s.at, true);
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
        self.finishing = false;
        if self.slowmo.step == Some(index) {
            self.play_slow_motion();
        }
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
        self.flow.fill_step_legs(&report.modeled.legs, self.now);
        v.state = match (&report.error, &report.skipped) {
            (Some(e), _) => StepState::Failed(e.clone()),
            (None, Some(k)) => StepState::Skipped(k.to_string()),
            (None, None) => StepState::Done,
        };
        v.measured = report.measured;
        v.report = Some(report);
        let done = v.state == StepState::Done;
        if done && self.stepping && self.asks(index, predict) {
            // The answer is revealed and stays until space or `n`.
            self.reveal = Some(index);
            self.intent = Intent::Hold;
            self.status = Status::Paused;
            return vec![];
        }
        if !done || !self.stepping || self.intent == Intent::Hold {
            return vec![];
        }
        self.continue_stepping(index, predict)
    }

    /// In stepping mode, after step `done` (0: none yet): hold at the next
    /// question, or ask the engine for the next step.
    fn continue_stepping(&mut self, done: usize, predict: bool) -> Vec<Effect> {
        let next = done + 1;
        if !self.valid(next) {
            return vec![];
        }
        if self.asks(next, predict) {
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

    /// Space: pause or go on. Reviewing, it first returns to the run as it
    /// is; held before a question or on a revealed answer, it goes on.
    pub fn toggle_pause(&mut self, predict: bool) -> Vec<Effect> {
        if self.viewing != Viewing::Live {
            self.viewing = Viewing::Live;
            return vec![];
        }
        if self.finished() {
            return vec![];
        }
        if self.reveal.take().is_some() {
            self.intent = Intent::Run;
            self.status = self.status_unless_starting(Status::Running);
            let done = self.current.unwrap_or(0);
            return self.continue_stepping(done, predict);
        }
        self.reading_until = None;
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

    /// `n` / →: forward. Reviewing, to the next step's end (the run as it is
    /// after the newest); live, the step in progress runs to its end and
    /// holds there (or, between steps, the next one runs whole); held
    /// before a question, the asked step runs; after the last step, the
    /// summary.
    pub fn next_step(&mut self, predict: bool) -> Vec<Effect> {
        match self.viewing {
            Viewing::Summary => return vec![],
            Viewing::Step(i) => {
                let newest = self.current.unwrap_or(0);
                self.viewing = if i + 1 < newest && self.ends[i].is_some() {
                    Viewing::Step(i + 1)
                } else {
                    Viewing::Live
                };
                return vec![];
            }
            Viewing::Live => {}
        }
        if self.reveal.take().is_some() {
            let next = self.current.unwrap_or(0) + 1;
            if self.finished() {
                self.viewing = Viewing::Summary;
                return vec![];
            }
            if self.asks(next, predict) {
                self.gate = Some(next);
                self.intent = Intent::Hold;
                self.status = self.status_unless_starting(Status::Paused);
                return vec![];
            }
        } else if self.finished() {
            self.viewing = Viewing::Summary;
            return vec![];
        }
        self.reading_until = None;
        // Held at a step's end in predict mode: the next question first.
        let between = self.current.is_none_or(|c| {
            self.steps
                .get(c - 1)
                .is_some_and(|s| matches!(s.state, StepState::Done | StepState::Failed(_)))
        });
        let next = self.current.unwrap_or(0) + 1;
        if self.gate.is_none() && between && self.stepping && self.asks(next, predict) {
            self.gate = Some(next);
            self.intent = Intent::Hold;
            self.status = self.status_unless_starting(Status::Paused);
            return vec![];
        }
        self.gate = None;
        self.intent = Intent::Hold;
        self.finishing = true;
        self.status = self.status_unless_starting(Status::Paused);
        vec![Effect::Send(Command::FinishStep)]
    }

    /// `b` / ←: back to the previous step's results as they were at its end
    /// (from the summary: the last step's). A running run is paused first,
    /// so nothing is missed while the class looks back.
    pub fn step_back(&mut self) -> Vec<Effect> {
        let target = match self.viewing {
            Viewing::Summary => self.ends.iter().rposition(Option::is_some).map(|i| i + 1),
            Viewing::Step(i) => Some(i - 1),
            Viewing::Live => self.current.map(|c| c - 1),
        };
        let Some(target) = target.filter(|&t| t >= 1 && self.ends[t - 1].is_some()) else {
            return vec![];
        };
        self.viewing = Viewing::Step(target);
        if self.intent == Intent::Run && !self.finished() && self.status != Status::Starting {
            self.intent = Intent::Hold;
            self.reading_until = None;
            self.status = Status::Paused;
            return vec![Effect::Send(Command::Pause)];
        }
        vec![]
    }

    /// PgDn / PgUp: scroll the narration by `delta` lines.
    pub fn scroll_by(&mut self, delta: i32) {
        self.scroll = (i32::from(self.scroll) + delta).clamp(0, 200) as u16;
    }

    /// Whether the step in progress is a wait (`sleep`, `wait_writeback`)
    /// that `e` can end.
    pub fn waiting(&self) -> bool {
        let Some(i) = self.current.filter(|_| !self.finished()) else {
            return false;
        };
        let running = self
            .steps
            .get(i - 1)
            .is_some_and(|s| s.state == StepState::Running);
        running
            && matches!(
                self.plan.steps()[i - 1].op,
                iotour_core::scenario::Op::Sleep(_) | iotour_core::scenario::Op::WaitWriteback(_)
            )
    }

    /// `e`: end the wait in progress now. The engine ends it and reports the
    /// step as measured at that moment, its expectations not judged;
    /// nothing else changes (not the pace, not what is held).
    pub fn end_wait(&mut self) -> Vec<Effect> {
        if !self.waiting() {
            return vec![];
        }
        vec![Effect::Send(Command::EndWait)]
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

    /// Predict mode was switched. On: from the next step (the one in
    /// progress keeps its figures); the engine is driven stepwise, so a
    /// running one finishes its step, then waits at the next question.
    /// Off: it runs freely again.
    pub fn predict_changed(&mut self, predict: bool) -> Vec<Effect> {
        if self.finished() || predict == self.stepping {
            return vec![];
        }
        self.stepping = predict;
        if predict {
            self.predict_from = self.current.map_or(1, |c| c + 1);
            if self.current.is_none() {
                // Nothing ran yet: hold the engine before its first step.
                let mut out = vec![Effect::Send(Command::Pause)];
                if self.listening {
                    out.extend(self.continue_stepping(0, predict));
                }
                return out;
            }
            if self.intent == Intent::Run {
                return vec![Effect::Send(Command::FinishStep)];
            }
            return vec![];
        }
        self.gate = None;
        self.reveal = None;
        if self.intent == Intent::Run {
            return vec![Effect::Send(Command::Resume)];
        }
        vec![]
    }

    /// When the kernel's flusher will write the file's dirty pages by
    /// itself, as (earliest, latest) from now: once the oldest is older than
    /// `dirty_expire`, at the flusher's next wake-up (`dirty_writeback`
    /// apart). `None` when nothing is dirty or the settings are unknown;
    /// `Some(None)`: periodic writeback is off.
    pub fn flusher_eta(&self) -> Option<Option<(Duration, Duration)>> {
        let clock = self.flusher?;
        let since = self.dirty_since?;
        if clock.every.is_zero() {
            return Some(None);
        }
        let due = (since + clock.expire).saturating_sub(self.now);
        Some(Some((due, due + clock.every)))
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
