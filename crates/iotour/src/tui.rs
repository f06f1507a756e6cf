//! The live terminal UI: sets the terminal up, runs the event loop and
//! restores the terminal on every exit path.
//!
//! One channel carries every [`Event`]: keys and resizes from the `input`
//! thread, frames from `tick`, signals from `signals`, and the engine's
//! worker and sampler events. The loop hands each event to [`App::handle`]
//! and carries out the [`Effect`]s it returns. It draws only when something
//! changed: at once after a key, otherwise at most at the frame rate while
//! something moves and at 10 Hz while the screen is still.

use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::Terminal;

use crate::app::{App, Effect, Event, Status, StopReason, Tool};
use crate::ui::{self, Theme};
use iotour_core::engine::{Command, Speed};
use iotour_core::scenario::{Lang, Plan};

/// Redraw interval of a screen where nothing moves but data arrives.
const STILL_INTERVAL: Duration = Duration::from_millis(100);

#[cfg(target_os = "linux")]
pub mod engine_link;
pub mod producers;
pub mod terminal;
pub mod tools;

#[cfg(target_os = "linux")]
pub use engine_link::{EngineLauncher, pick_and_run, run_scenario};

/// How the TUI starts; the engine's settings travel separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TuiOptions {
    /// Narration language at start (`l` switches).
    pub lang: Lang,
    /// Start in predict mode (`--predict`; `p` switches).
    pub predict: bool,
}

/// A running engine as the loop sees it. Dropping it must stop the engine
/// and join its threads, so no event of it arrives afterwards.
pub trait EngineHandle {
    fn send(&self, cmd: Command);
}

/// Starts engines; the real one wraps `engine::start`, tests pass fakes.
pub trait Launcher {
    type Handle: EngineHandle;
    fn launch(
        &mut self,
        plan: Plan,
        speed: Speed,
        paused: bool,
        events: Sender<Event>,
    ) -> Result<Self::Handle, String>;
}

/// Run one scenario in the run view until the user quits.
pub fn run_scenario_with<L: Launcher>(
    plan: Plan,
    launcher: L,
    speed: Speed,
    opts: TuiOptions,
) -> anyhow::Result<ExitCode> {
    let (app, effects) = App::single(plan, opts.lang, opts.predict, speed);
    run_app(app, effects, launcher)
}

/// The picker over `plans`; Enter runs one, `q` in the run goes back.
pub fn pick_and_run_with<L: Launcher>(
    plans: Vec<Plan>,
    launcher: L,
    speed: Speed,
    opts: TuiOptions,
) -> anyhow::Result<ExitCode> {
    let app = App::picker(plans, opts.lang, opts.predict, speed);
    run_app(app, Vec::new(), launcher)
}

fn run_app<L: Launcher>(app: App, effects: Vec<Effect>, launcher: L) -> anyhow::Result<ExitCode> {
    let theme = Theme::from_env();
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    let mut session = terminal::Session::start().context("cannot set the terminal up")?;
    let mut producers =
        producers::Producers::spawn(&tx, started).context("cannot start the input threads")?;
    let mut lp = Loop::new(app, launcher, tx, started);
    let mut effects = effects;
    let result = loop {
        let result = lp.run(
            &mut session.terminal,
            &rx,
            std::mem::take(&mut effects),
            &theme,
        );
        let (Ok(()), Some(tool)) = (&result, lp.tool.take()) else {
            break result;
        };
        // The view speaks the language the picker shows (`l` switches it).
        let lang = lp.app.lang;
        let settle = || lp.settle_before_tool(&rx);
        match tools::open(&tool, lang, &mut session.terminal, producers, settle) {
            Ok((restarted, outcome)) => {
                producers = restarted;
                lp.tool_ended(outcome);
            }
            Err(e) => {
                // Without producers there is nothing to stop below.
                drop(lp.engine.take());
                drop(session);
                return Err(anyhow::Error::new(e).context("cannot restart the input threads"));
            }
        }
    };
    // The engine first (its abort removes the working directory), then the
    // producers, then the terminal (Session's drop).
    drop(lp.engine.take());
    producers.stop();
    drop(session);
    result?;
    Ok(exit_code(&lp.app))
}

/// 128 + signal for a signal; 1 when the run failed or an expectation did not hold.
fn exit_code(app: &App) -> ExitCode {
    if let Some(StopReason::Signal(sig)) = app.stopped {
        return ExitCode::from(128 + sig as u8);
    }
    match app.run().map(|r| &r.status) {
        Some(Status::Failed | Status::Done { ok: false }) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

pub struct Loop<L: Launcher> {
    pub app: App,
    launcher: L,
    engine: Option<L::Handle>,
    /// A view the app asked for; [`Loop::run`] returns so the caller can
    /// hand it the terminal.
    pub tool: Option<Tool>,
    tx: Sender<Event>,
    started: Instant,
}

impl<L: Launcher> Loop<L> {
    pub fn new(app: App, launcher: L, tx: Sender<Event>, started: Instant) -> Self {
        Loop {
            app,
            launcher,
            engine: None,
            tool: None,
            tx,
            started,
        }
    }

    /// Draw, wait for events, handle them (a whole batch before the next
    /// draw), until the app quits or asks for a [`Tool`].
    pub fn run<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        rx: &Receiver<Event>,
        effects: Vec<Effect>,
        theme: &Theme,
    ) -> anyhow::Result<()>
    where
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        self.apply(effects);
        let mut dirty = true;
        let mut urgent = true;
        let mut last_draw: Option<Instant> = None;
        while !self.app.quit && self.tool.is_none() {
            // Keys redraw at once; data and animation at most at the frame
            // rate, and a still screen (paused, nothing moving) at 10 Hz, so
            // 20 Hz samples do not cost 20 full frames a second.
            let interval = if self.app.animating() {
                Duration::from_millis(1000 / producers::FPS)
            } else {
                STILL_INTERVAL
            };
            let due = last_draw.is_none_or(|t| t.elapsed() >= interval);
            if dirty && (urgent || due) {
                terminal.draw(|f| ui::render(f, &self.app, theme))?;
                terminal.backend_mut().flush()?;
                dirty = false;
                urgent = false;
                last_draw = Some(Instant::now());
            }
            let Ok(first) = rx.recv() else { break };
            let mut next = Some(first);
            while let Some(ev) = next {
                urgent |= matches!(ev, Event::Input(_));
                dirty |= self.handle(ev);
                if self.app.quit || self.tool.is_some() {
                    break;
                }
                next = rx.try_recv().ok();
            }
        }
        Ok(())
    }

    /// Handle one event; true when the screen must be redrawn.
    pub fn handle(&mut self, ev: Event) -> bool {
        let redraw = match &ev {
            // A tick changes only what animates; a still screen is not redrawn.
            Event::Tick(_) => self.app.animating(),
            _ => true,
        };
        let effects = self.app.handle(ev);
        self.apply(effects);
        redraw
    }

    /// Before a tool takes the terminal, with the producers joined: what
    /// they queued is all in. Keys typed ahead were meant for the picker and
    /// ticks are stale, so both go; a stop request is handled. Whether the
    /// tool should still open.
    pub fn settle_before_tool(&mut self, rx: &Receiver<Event>) -> bool {
        while let Ok(ev) = rx.try_recv() {
            if matches!(ev, Event::Stop(_)) {
                self.handle(ev);
            }
        }
        !self.app.quit
    }

    /// Back from a tool.
    pub fn tool_ended(&mut self, outcome: tools::Outcome) {
        match outcome {
            tools::Outcome::Back => {}
            tools::Outcome::Quit => {
                self.app.act(crate::app::Action::Quit);
            }
            tools::Outcome::Failed(error) => self.app.tool_failed(error),
            tools::Outcome::Signal(sig) => {
                self.handle(Event::Stop(StopReason::Signal(sig)));
            }
        }
    }

    fn apply(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Start {
                    epoch,
                    plan,
                    speed,
                    paused,
                } => start_engine(&mut self.engine, &self.tx, self.started, epoch, |tx| {
                    self.launcher.launch(*plan, speed, paused, tx)
                }),
                Effect::Send(cmd) => {
                    if let Some(h) = &self.engine {
                        h.send(cmd);
                    }
                }
                Effect::Stop => drop(self.engine.take()),
                Effect::Open(tool) => self.tool = Some(tool),
                Effect::Quit => {}
            }
        }
    }
}

/// Carry out [`Effect::Start`] for a loop that keeps its engine in `slot`.
/// The old engine is joined before `EngineStarted` is sent, so all of its
/// events are queued ahead of the marker and the app can tell them from the
/// new engine's.
pub(crate) fn start_engine<H>(
    slot: &mut Option<H>,
    tx: &Sender<Event>,
    started: Instant,
    epoch: u64,
    launch: impl FnOnce(Sender<Event>) -> Result<H, String>,
) {
    drop(slot.take());
    let at = started.elapsed();
    let _ = tx.send(Event::EngineStarted { epoch, at });
    match launch(tx.clone()) {
        Ok(h) => *slot = Some(h),
        Err(error) => {
            let _ = tx.send(Event::EngineRefused { epoch, error });
        }
    }
}
