//! The TUI's state machine. [`App::handle`] takes one [`Event`] and returns
//! the [`Effect`]s the loop must carry out (start an engine, send it a
//! command, quit); it does no I/O itself, so every transition is testable
//! with fake events.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use iotour_core::engine::{Command, Speed};
use iotour_core::scenario::{Lang, Plan};

pub mod action;
pub mod event;
pub mod flow;
pub mod history;
pub mod pages;
pub mod picker;
pub mod run;
pub mod timeline;

pub use action::Action;
pub use event::{Event, Input, StopReason};
pub use picker::PickerState;
pub use run::{RunState, Status};

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
    Send(Command),
    /// Stop the running engine (back to the picker).
    Stop,
    /// Hand the terminal to another tool until it ends, then come back to
    /// the picker.
    Open(Tool),
    Quit,
}

/// A view of its own that the picker opens: the same as the command of that
/// name run from a shell, on the same terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tool {
    /// `iotour inspect PATH`.
    Inspect(PathBuf),
    /// `iotour stats`.
    Stats,
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub screen: Screen,
    /// Present when the program started on the picker; `q` in a run returns to it.
    pub picker: Option<PickerState>,
    pub lang: Lang,
    pub predict: bool,
    pub help: bool,
    pub focus: Focus,
    /// The speed a new run starts at (the last one chosen).
    pub speed: Speed,
    pub quit: bool,
    /// Why the program was told to stop from outside, if it was.
    pub stopped: Option<StopReason>,
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
            speed,
            quit: false,
            stopped: None,
            epoch: 0,
        }
    }

    /// The run view on one scenario; the returned effect starts it.
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

    pub fn run(&self) -> Option<&RunState> {
        match &self.screen {
            Screen::Run(r) => Some(r),
            Screen::Picker => None,
        }
    }

    /// Whether the screen changes with time alone (pulses travelling,
    /// highlights fading, the timeline scrolling), so each tick must redraw.
    pub fn animating(&self) -> bool {
        self.run().is_some_and(RunState::animating)
    }

    fn start(&mut self, plan: Plan) -> Vec<Effect> {
        self.epoch += 1;
        let run = RunState::new(plan, self.epoch, self.speed, self.predict);
        let effect = run.start_effect();
        self.screen = Screen::Run(Box::new(run));
        vec![effect]
    }

    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let predict = self.predict;
        match (event, &mut self.screen) {
            (Event::Input(Input::Key(key)), _) => self.key(key),
            (Event::Input(Input::Resize(..)), _) => vec![],
            (Event::Stop(reason), _) => {
                self.quit = true;
                self.stopped = Some(reason);
                vec![Effect::Quit]
            }
            (Event::Tick(t), Screen::Run(run)) => {
                run.tick(t);
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
            // Engine events that outlive their run view (back on the picker).
            (_, Screen::Picker) => vec![],
        }
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind != KeyEventKind::Press {
            return vec![];
        }
        let on_picker = matches!(self.screen, Screen::Picker);
        if let (true, Some(p)) = (on_picker, self.picker.as_mut()) {
            let ctrl_c =
                key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
            // The key that dismisses a notice does only that: Esc or q
            // pressed to clear an error must not quit the program.
            if p.notice.take().is_some() && !ctrl_c {
                return vec![];
            }
            if p.inspect_path.is_some() {
                return self.path_key(key);
            }
            if p.filtering {
                return self.filter_key(key);
            }
        }
        let keymap = match self.screen {
            Screen::Picker => action::PICKER_KEYS,
            Screen::Run(_) => action::RUN_KEYS,
        };
        match action::lookup(keymap, key) {
            Some(a) => self.act(a),
            None => vec![],
        }
    }

    fn filter_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(p) = self.picker.as_mut() else {
            return vec![];
        };
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return self.act(Action::Quit);
        }
        match key.code {
            KeyCode::Esc => {
                p.filtering = false;
                p.filter.clear();
                p.selected = 0;
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
            match key.code {
                KeyCode::Char('c') => return self.act(Action::Quit),
                // As in a shell: Ctrl-U empties the line.
                KeyCode::Char('u') => path.clear(),
                _ => {}
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
                    return vec![Effect::Open(Tool::Inspect(expand_home(typed)))];
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

    /// A tool opened from the picker failed before or while showing; the
    /// picker shows why until the next key.
    pub fn tool_failed(&mut self, error: String) {
        if let Some(p) = self.picker.as_mut() {
            p.notice = Some(error);
        }
    }

    pub fn act(&mut self, action: Action) -> Vec<Effect> {
        if self.help && !matches!(action, Action::Quit) {
            // The overlay swallows keys; ? or q closes it.
            if matches!(action, Action::Help | Action::Back) {
                self.help = false;
            }
            return vec![];
        }
        match action {
            Action::Quit => {
                self.quit = true;
                vec![Effect::Quit]
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
            Action::Predict => {
                self.predict = !self.predict;
                let predict = self.predict;
                match &mut self.screen {
                    Screen::Run(run) => run.predict_changed(predict),
                    Screen::Picker => vec![],
                }
            }
            Action::Back => match (&self.screen, &self.picker) {
                (Screen::Run(_), Some(_)) => {
                    self.screen = Screen::Picker;
                    vec![Effect::Stop]
                }
                _ => {
                    self.quit = true;
                    vec![Effect::Quit]
                }
            },
            Action::FocusNext => {
                self.focus = self.focus.cycle(1);
                vec![]
            }
            Action::FocusPrev => {
                self.focus = self.focus.cycle(-1);
                vec![]
            }
            Action::Faster | Action::Slower => {
                let Screen::Run(run) = &mut self.screen else {
                    return vec![];
                };
                let speed = if action == Action::Faster {
                    run.speed.faster()
                } else {
                    run.speed.slower()
                };
                self.speed = speed;
                run.set_speed(speed)
            }
            Action::TogglePause => self.with_run(RunState::toggle_pause),
            Action::NextStep => self.with_run(RunState::next_step),
            Action::NextSlice => self.with_run(RunState::next_slice),
            Action::Restart => match &self.screen {
                Screen::Run(run) => {
                    let plan = run.plan.clone();
                    self.start(plan)
                }
                Screen::Picker => vec![],
            },
            Action::Up
            | Action::Down
            | Action::Select
            | Action::StartFilter
            | Action::Inspect
            | Action::Stats => self.picker_act(action),
        }
    }

    fn with_run(&mut self, f: impl FnOnce(&mut RunState) -> Vec<Effect>) -> Vec<Effect> {
        match &mut self.screen {
            Screen::Run(run) => f(run),
            Screen::Picker => vec![],
        }
    }

    fn picker_act(&mut self, action: Action) -> Vec<Effect> {
        let (Screen::Picker, Some(p)) = (&self.screen, self.picker.as_mut()) else {
            return vec![];
        };
        match action {
            Action::Up => p.move_by(-1),
            Action::Down => p.move_by(1),
            Action::StartFilter => p.filtering = true,
            // The working directory, as `iotour inspect .` would; editable.
            Action::Inspect => p.inspect_path = Some(".".into()),
            Action::Stats => return vec![Effect::Open(Tool::Stats)],
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
