//! The program's one state machine. Every screen — picker, run, compare,
//! replay (a run or compare screen fed from a recording), inspect, stats —
//! is a [`Screen`] of one [`App`]. [`App::handle`] takes one [`Event`] and
//! returns the [`Effect`]s the loop must carry out (start an engine or a
//! measurer, send a command, quit); it does no I/O itself, so every
//! transition is testable with fake events.
//!
//! ```text
//! Event ──► App::handle ──► screen state (picker / run / compare / inspect / stats)
//!                 └──────► Vec<Effect> ──► the loop (crate::tui) starts and stops producers
//! ```

use std::path::PathBuf;
use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use iotour_core::engine::{Command, Speed};
use iotour_core::inspect::range::ByteRange;
use iotour_core::scenario::{Lang, Plan};

pub mod action;
pub mod compare;
pub mod event;
pub mod failure;
pub mod flow;
pub mod history;
pub mod inspect;
pub mod pages;
pub mod picker;
pub mod run;
pub mod run_slowmo;
pub mod stats;
pub mod timeline;
#[cfg(target_os = "linux")]
pub mod trace;

pub use action::Action;
pub use compare::CompareState;
pub use event::{Event, Input, Inspected, StopReason};
pub use failure::Failure;
pub use inspect::{InspectSetup, InspectState};
pub use picker::PickerState;
pub use run::{RunState, Status};
pub use stats::{StatsSetup, StatsState};

/// SIGINT's number: Ctrl-C, a key in raw mode, ends the program as SIGINT would.
const SIGINT: i32 = 2;

/// What the loop must do for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Stop any running engine (joining it), announce `EngineStarted { epoch }`
    /// on the channel, then start a new engine on `plan`.
    Start {
        epoch: u64,
        plan: Box<Plan>,
        speed: Speed,
        paused: bool,
    },
    /// A command for the running engine.
    Send(Command),
    /// Start measuring files for inspect screen `epoch` (a report at once,
    /// then one every `setup.every` after the last).
    Inspect {
        epoch: u64,
        setup: InspectSetup,
    },
    /// Measure every file again now.
    InspectRefresh,
    /// Measure `path`'s page map at the size of the screen's map area.
    InspectMap {
        epoch: u64,
        path: PathBuf,
        range: Option<ByteRange>,
    },
    /// Start sampling /proc for stats screen `epoch`: a sample at once, then
    /// one every `every`.
    Stats {
        epoch: u64,
        every: Duration,
    },
    /// Start the trace this screen was opened for (the loop knows what to
    /// trace, or which recording to replay).
    Trace {
        epoch: u64,
    },
    /// Stop every producer the current screen started (its engine, its
    /// measurer or sampler): leaving the screen.
    Stop,
    Quit,
}

/// The panel that has focus: highlighted on a large screen, the one shown on
/// a small one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    DataPath,
    Switches,
    PageMap,
    Charts,
    Narration,
}

impl Focus {
    pub const ALL: [Focus; 5] = [
        Focus::DataPath,
        Focus::Switches,
        Focus::PageMap,
        Focus::Charts,
        Focus::Narration,
    ];

    fn cycle(self, delta: isize) -> Focus {
        let i = Focus::ALL.iter().position(|f| *f == self).unwrap_or(0) as isize;
        Focus::ALL[(i + delta).rem_euclid(Focus::ALL.len() as isize) as usize]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Picker,
    Run(Box<RunState>),
    Compare(Box<CompareState>),
    Inspect(Box<InspectState>),
    Stats(Box<StatsState>),
    #[cfg(target_os = "linux")]
    Trace(Box<trace::TraceState>),
}

/// How the program ended, for its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `q` (or Esc) where there is nothing to go back to: the screen's own result.
    Quit,
    /// Ctrl-C or a signal from outside: 128 + the signal.
    Signal(i32),
    /// The terminal went away: 1.
    InputClosed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub screen: Screen,
    /// Present when the program started on the picker; `q` on another
    /// screen returns to it.
    pub picker: Option<PickerState>,
    pub lang: Lang,
    pub predict: bool,
    pub help: bool,
    pub focus: Focus,
    /// The focused panel drawn over the whole body (`z`).
    pub zoom: bool,
    /// The colour theme drawn with (`--theme`, `t` cycles).
    pub theme: crate::ui::theme::ThemeName,
    /// The speed a new run starts at (the last one chosen).
    pub speed: Speed,
    /// Set once the program must end, with why.
    pub ending: Option<Ending>,
    /// Producers are numbered; a screen listens to its own number only.
    epoch: u64,
}

impl App {
    fn base(lang: Lang, predict: bool, speed: Speed) -> App {
        App {
            screen: Screen::Picker,
            picker: None,
            lang,
            predict,
            help: false,
            focus: Focus::DataPath,
            zoom: false,
            theme: crate::ui::theme::ThemeName::Dark,
            speed,
            ending: None,
            epoch: 0,
        }
    }

    /// The run screen on one scenario; the returned effect starts it.
    pub fn single(plan: Plan, lang: Lang, predict: bool, speed: Speed) -> (App, Vec<Effect>) {
        let mut app = App::base(lang, predict, speed);
        let effects = app.start(plan);
        (app, effects)
    }

    /// The picker over `plans`.
    pub fn picker(plans: Vec<Plan>, lang: Lang, predict: bool, speed: Speed) -> App {
        let mut app = App::base(lang, predict, speed);
        app.picker = Some(PickerState::new(plans));
        app
    }

    /// The side-by-side screen over `plans`, run one after another.
    pub fn compare(plans: Vec<Plan>, lang: Lang, speed: Speed) -> (App, Vec<Effect>) {
        let mut app = App::base(lang, false, speed);
        let (state, effects) = CompareState::new(plans, speed, app.epoch + 1);
        app.epoch = state.next_epoch();
        app.screen = Screen::Compare(Box::new(state));
        (app, effects)
    }

    /// The inspect screen on `setup`.
    pub fn inspect(setup: InspectSetup, lang: Lang) -> (App, Vec<Effect>) {
        let mut app = App::base(lang, false, Speed::One);
        let effect = app.open_inspect(setup);
        (app, vec![effect])
    }

    /// The stats dashboard.
    pub fn stats(setup: StatsSetup, lang: Lang) -> (App, Vec<Effect>) {
        let mut app = App::base(lang, false, Speed::One);
        let effect = app.open_stats(setup);
        (app, vec![effect])
    }

    /// The trace screen (`iotour trace`, or the replay of a trace recording).
    #[cfg(target_os = "linux")]
    pub fn trace(setup: trace::TraceSetup, lang: Lang) -> (App, Vec<Effect>) {
        let mut app = App::base(lang, false, Speed::One);
        let (state, effect) = trace::TraceState::new(setup, app.next_epoch());
        app.screen = Screen::Trace(Box::new(state));
        (app, vec![effect])
    }

    pub fn quit(&self) -> bool {
        self.ending.is_some()
    }

    pub fn run(&self) -> Option<&RunState> {
        match &self.screen {
            Screen::Run(r) => Some(r),
            _ => None,
        }
    }

    /// Whether the screen changes with time alone (pulses travelling,
    /// highlights fading, the timeline scrolling), so each tick must redraw.
    pub fn animating(&self) -> bool {
        match &self.screen {
            Screen::Run(run) => run.animating(),
            Screen::Compare(c) => c.runs.get(c.current).is_some_and(RunState::animating),
            _ => false,
        }
    }

    /// The keymap of the current screen (the footer and help draw it too).
    pub fn keys(&self) -> &'static [action::Binding] {
        match self.screen {
            Screen::Picker => action::PICKER_KEYS,
            Screen::Run(_) => action::RUN_KEYS,
            Screen::Compare(_) => action::COMPARE_KEYS,
            Screen::Inspect(_) => action::INSPECT_KEYS,
            Screen::Stats(_) => action::STATS_KEYS,
            #[cfg(target_os = "linux")]
            Screen::Trace(_) => action::TRACE_KEYS,
        }
    }

    fn next_epoch(&mut self) -> u64 {
        self.epoch += 1;
        self.epoch
    }

    fn start(&mut self, plan: Plan) -> Vec<Effect> {
        let epoch = self.next_epoch();
        let run = RunState::new(plan, epoch, self.speed, self.predict);
        let effect = run.start_effect();
        self.screen = Screen::Run(Box::new(run));
        vec![effect]
    }

    fn open_inspect(&mut self, setup: InspectSetup) -> Effect {
        let (state, effect) = InspectState::new(setup, self.next_epoch());
        self.screen = Screen::Inspect(Box::new(state));
        effect
    }

    fn open_stats(&mut self, setup: StatsSetup) -> Effect {
        let (state, effect) = StatsState::new(setup, self.next_epoch());
        self.screen = Screen::Stats(Box::new(state));
        effect
    }

    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let predict = self.predict;
        match (event, &mut self.screen) {
            (Event::Input(Input::Key(key)), _) => self.key(key),
            (Event::Input(Input::Resize(..)), Screen::Inspect(s)) => s.map_effect(),
            (Event::Stop(reason), _) => {
                self.ending = Some(match reason {
                    StopReason::Signal(sig) => Ending::Signal(sig),
                    StopReason::InputClosed => Ending::InputClosed,
                });
                vec![Effect::Stop, Effect::Quit]
            }
            (Event::Tick(t), Screen::Run(run)) => run.tick(t),
            (Event::Tick(t), Screen::Compare(c)) => {
                c.tick(t);
                vec![]
            }
            #[cfg(target_os = "linux")]
            (Event::Tick(t), Screen::Trace(s)) => s.tick(t),
            #[cfg(target_os = "linux")]
            (Event::Trace(e), Screen::Trace(s)) => s.event(&e),
            #[cfg(target_os = "linux")]
            (Event::Inspected(Inspected::Map { epoch, map }), Screen::Trace(s))
                if epoch == s.epoch =>
            {
                s.map(map.ok());
                vec![]
            }
            #[cfg(target_os = "linux")]
            (Event::EngineRefused { epoch, error }, Screen::Trace(s)) if epoch == s.epoch => {
                s.refused(&error);
                vec![]
            }
            (Event::EngineStarted { epoch, at }, Screen::Run(run)) => {
                run.engine_started(epoch, at, predict)
            }
            (Event::EngineRefused { epoch, error }, Screen::Run(run)) => {
                run.engine_refused(epoch, error);
                vec![]
            }
            (Event::Exec(e), Screen::Run(run)) => run.exec(e, predict),
            (Event::Sample(s), Screen::Run(run)) => {
                run.sample(s);
                vec![]
            }
            (Event::EngineStarted { epoch, at }, Screen::Compare(c)) => {
                c.run_event(compare::RunEvent::Started { epoch, at })
            }
            (Event::EngineRefused { epoch, error }, Screen::Compare(c)) => {
                c.run_event(compare::RunEvent::Refused { epoch, error })
            }
            (Event::Exec(e), Screen::Compare(c)) => c.run_event(compare::RunEvent::Exec(e)),
            (Event::Sample(s), Screen::Compare(c)) => c.run_event(compare::RunEvent::Sample(s)),
            (Event::EngineRefused { epoch, error }, Screen::Inspect(s)) if epoch == s.epoch => {
                s.report(Err(error), String::new(), "")
            }
            (Event::EngineRefused { epoch, error }, Screen::Stats(s)) if epoch == s.epoch => {
                s.failure = Some(error);
                vec![]
            }
            (
                Event::Inspected(Inspected::Report {
                    epoch,
                    report,
                    clock,
                    source,
                }),
                Screen::Inspect(s),
            ) if epoch == s.epoch => s.report(report, clock, source),
            (Event::Inspected(Inspected::Map { epoch, map }), Screen::Inspect(s))
                if epoch == s.epoch =>
            {
                s.map(map);
                vec![]
            }
            (
                Event::Stats {
                    epoch,
                    sample,
                    clock,
                },
                Screen::Stats(s),
            ) if epoch == s.epoch => {
                s.sample(*sample, clock);
                vec![]
            }
            // Events of producers whose screen is gone, and ticks where
            // nothing animates.
            _ => vec![],
        }
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind != KeyEventKind::Press {
            return vec![];
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return self.act(Action::Quit);
        }
        if let (Screen::Picker, Some(p)) = (&self.screen, self.picker.as_mut()) {
            // The key that dismisses a notice does only that: Esc or q
            // pressed to clear an error must not quit the program.
            if p.notice.take().is_some() {
                return vec![];
            }
            if p.inspect_path.is_some() {
                return self.path_key(key);
            }
            if p.filtering {
                return self.filter_key(key);
            }
        }
        match action::lookup(self.keys(), key) {
            Some(a) => self.act(a),
            None => vec![],
        }
    }

    fn filter_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(p) = self.picker.as_mut() else {
            return vec![];
        };
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            // As in a shell: Ctrl-U empties the line.
            if key.code == KeyCode::Char('u') {
                p.clear_filter();
                p.filtering = true;
            }
            return vec![];
        }
        match key.code {
            KeyCode::Esc => {
                p.filtering = false;
                p.clear_filter();
            }
            KeyCode::Enter => p.filtering = false,
            KeyCode::Backspace => p.backspace(),
            KeyCode::Up => p.move_by(-1),
            KeyCode::Down => p.move_by(1),
            KeyCode::Char(c) => p.type_char(c),
            _ => {}
        }
        vec![]
    }

    /// A key while the inspect path is being typed.
    fn path_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(p) = self.picker.as_mut() else {
            return vec![];
        };
        let Some(path) = p.inspect_path.as_mut() else {
            return vec![];
        };
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            if key.code == KeyCode::Char('u') {
                path.clear();
            }
            return vec![];
        }
        match key.code {
            KeyCode::Esc => p.inspect_path = None,
            KeyCode::Enter => {
                let typed = p.inspect_path.take().unwrap_or_default();
                let typed = typed.trim();
                if typed.is_empty() {
                    p.notice = Some("inspect: no path given".into());
                } else {
                    let setup = InspectSetup {
                        paths: vec![expand_home(typed)],
                        options: iotour_core::inspect::Options::default(),
                        every: Duration::from_secs(1),
                    };
                    return vec![self.open_inspect(setup)];
                }
            }
            KeyCode::Backspace => {
                path.pop();
            }
            KeyCode::Char(c) => path.push(c),
            _ => {}
        }
        vec![]
    }

    pub fn act(&mut self, action: Action) -> Vec<Effect> {
        if self.help && !matches!(action, Action::Quit) {
            // The overlay swallows keys; ? or q closes it.
            if matches!(action, Action::Help | Action::Back | Action::Escape) {
                self.help = false;
            }
            return vec![];
        }
        match action {
            Action::Quit => {
                self.ending = Some(Ending::Signal(SIGINT));
                vec![Effect::Stop, Effect::Quit]
            }
            Action::Help => {
                self.help = true;
                vec![]
            }
            Action::Language => {
                self.lang = match self.lang {
                    Lang::En => Lang::Zh,
                    Lang::Zh => Lang::En,
                };
                vec![]
            }
            Action::Back => self.back(),
            Action::Escape => {
                if let (Screen::Picker, Some(p)) = (&self.screen, self.picker.as_mut())
                    && !p.filter.is_empty()
                {
                    // As in htop and less: Esc clears the filter before it quits.
                    p.clear_filter();
                    return vec![];
                }
                self.back()
            }
            Action::Predict => {
                self.predict = !self.predict;
                let predict = self.predict;
                match &mut self.screen {
                    Screen::Run(run) => run.predict_changed(predict),
                    _ => vec![],
                }
            }
            Action::FocusNext => {
                self.focus = self.focus.cycle(1);
                vec![]
            }
            Action::Zoom => {
                self.zoom = !self.zoom;
                vec![]
            }
            Action::NextTheme => {
                self.theme = self.theme.next();
                vec![]
            }
            Action::FocusPrev => {
                self.focus = self.focus.cycle(-1);
                vec![]
            }
            _ => self.screen_act(action),
        }
    }

    /// `q` / Esc: back to the picker when there is one, else quit.
    fn back(&mut self) -> Vec<Effect> {
        let on_picker = matches!(self.screen, Screen::Picker);
        if let (false, Some(_)) = (on_picker, &self.picker) {
            self.screen = Screen::Picker;
            return vec![Effect::Stop];
        }
        self.ending = Some(Ending::Quit);
        vec![Effect::Stop, Effect::Quit]
    }

    fn screen_act(&mut self, action: Action) -> Vec<Effect> {
        match &mut self.screen {
            Screen::Run(run) => match action {
                Action::Faster | Action::Slower => {
                    let speed = if action == Action::Faster {
                        run.speed.faster()
                    } else {
                        run.speed.slower()
                    };
                    self.speed = speed;
                    run.set_speed(speed)
                }
                Action::TogglePause => run.toggle_pause(self.predict),
                Action::NextStep => run.next_step(self.predict),
                Action::StepBack => run.step_back(),
                Action::ScrollDown => {
                    run.scroll_by(5);
                    vec![]
                }
                Action::ScrollUp => {
                    run.scroll_by(-5);
                    vec![]
                }
                Action::NextSlice => run.next_slice(),
                Action::EndWait => run.end_wait(),
                Action::Restart => {
                    let plan = run.plan.clone();
                    self.start(plan)
                }
                _ => vec![],
            },
            Screen::Compare(c) => c.act(action),
            Screen::Inspect(s) => s.act(action),
            Screen::Stats(_) => vec![],
            #[cfg(target_os = "linux")]
            Screen::Trace(s) => s.act(action),
            Screen::Picker => self.picker_act(action),
        }
    }

    fn picker_act(&mut self, action: Action) -> Vec<Effect> {
        let Some(p) = self.picker.as_mut() else {
            return vec![];
        };
        match action {
            Action::Up => p.move_by(-1),
            Action::Down => p.move_by(1),
            Action::StartFilter => p.filtering = true,
            // The working directory, as `iotour inspect .` would; editable.
            Action::Inspect => p.inspect_path = Some(".".into()),
            Action::Stats => {
                let setup = StatsSetup {
                    every: Duration::from_secs(1),
                    top: 10,
                };
                return vec![self.open_stats(setup)];
            }
            Action::Select => {
                if let Some(plan) = p.selected_plan().cloned() {
                    return self.start(plan);
                }
            }
            _ => {}
        }
        vec![]
    }
}

/// `~` and `~/…` as a shell reads them (the prompt is not a shell).
fn expand_home(typed: &str) -> PathBuf {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
    match (typed.strip_prefix('~'), home) {
        (Some(""), Some(home)) => PathBuf::from(home),
        (Some(rest), Some(home)) if rest.starts_with('/') => {
            PathBuf::from(home).join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(typed),
    }
}
