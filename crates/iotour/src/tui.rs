//! The program's one loop on a terminal, for every screen: sets the terminal
//! up, feeds the [`App`] every [`Event`] from one channel, carries out the
//! [`Effect`]s it returns, draws, and restores the terminal on every exit
//! path.
//!
//! ```text
//! input ─┐  (keys, resizes; hang-up ends the program)
//! tick ──┤  (animation clock)
//! signals┤  (SIGTERM, SIGINT, SIGHUP: the one signal path, see signals.rs)
//! engine ┤  exec + sampler (or a replay)      ──► channel ──► App::handle ──► Effects
//! inspect┤  inspect + inspect-map                                │
//! stats ─┘                                                      ui::render
//! ```
//! It draws only when something changed: at once after a key, otherwise at
//! most at the frame rate while something moves and at 10 Hz while the
//! screen is still.

use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::Terminal;
use ratatui::layout::Rect;

use crate::app::{App, Effect, Ending, Event, Failure, Screen, StopReason};
use crate::exit::{self, Exit};
use crate::ui;
use iotour_core::engine::{Command, Speed};
use iotour_core::scenario::Plan;

/// Redraw interval of a screen where nothing moves but data arrives.
const STILL_INTERVAL: Duration = Duration::from_millis(100);

pub mod clock;
#[cfg(target_os = "linux")]
pub mod engine_link;
pub mod input;
#[cfg(target_os = "linux")]
pub mod producers;
pub mod signals;
pub mod terminal;
#[cfg(target_os = "linux")]
pub mod trace;

#[cfg(target_os = "linux")]
pub use engine_link::EngineLauncher;

/// A running engine as the loop sees it. Dropping it must stop the engine
/// and join its threads, so no event of it arrives afterwards.
pub trait EngineHandle {
    fn send(&self, cmd: Command);
}

/// Starts engines; the real one wraps `engine::start`, a replay feeds a
/// recording, tests pass fakes. Why one could not start reaches the screen
/// as a [`Failure`], its error type and causes kept.
pub trait Launcher {
    type Handle: EngineHandle;
    fn launch(
        &mut self,
        plan: Plan,
        speed: Speed,
        paused: bool,
        events: Sender<Event>,
    ) -> Result<Self::Handle, Failure>;
}

/// Run `app` on the terminal until it ends; `effects` are its first (what
/// its constructor asked for). Returns the app as it ended, for the exit
/// code, and the launcher (a recording one has a file to finish).
pub fn run<L: Launcher>(app: App, effects: Vec<Effect>, launcher: L) -> anyhow::Result<(App, L)> {
    let theme = ui::theme::Themes::from_env();
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    let _signals = signals::subscribe(tx.clone(), |sig| Event::Stop(StopReason::Signal(sig)));
    let mut session = terminal::Session::start().context("cannot set the terminal up")?;
    input::spawn(tx.clone()).context("cannot start the input thread")?;
    #[cfg(target_os = "linux")]
    producers::spawn_tick(tx.clone(), started).context("cannot start the tick thread")?;
    let mut lp = Loop::new(app, launcher, tx, started);
    let result = lp.run(&mut session.terminal, &rx, effects, &theme);
    // The producers first (the engine's abort removes the working
    // directory), then the terminal (Session's drop). The input and tick
    // threads are not joined: they end with the process.
    lp.stop_producers();
    // A signal that came while they stopped (a big working file takes a
    // while to remove) still ends the program as that signal.
    if let Some(sig) = rx.try_iter().find_map(|e| match e {
        Event::Stop(StopReason::Signal(sig)) => Some(sig),
        _ => None,
    }) {
        lp.app.ending = Some(Ending::Signal(sig));
    }
    drop(session);
    result?;
    Ok((lp.app, lp.launcher))
}

/// The exit code of an app that ended: 128 + the signal for a signal or
/// Ctrl-C; 1 when the terminal went away, a run failed or an expectation did
/// not hold; inspect's own code (2 for paths it could not measure).
pub fn exit_code(app: &App) -> Exit {
    match app.ending {
        Some(Ending::Signal(sig)) => return Exit::Signal(sig),
        Some(Ending::InputClosed) => return Exit::Status(exit::FAILED),
        Some(Ending::Quit) | None => {}
    }
    Exit::Status(match &app.screen {
        Screen::Run(r) if r.failed() => exit::FAILED,
        Screen::Compare(c) if c.failed() => exit::FAILED,
        Screen::Inspect(s) => s.exit_code(),
        #[cfg(target_os = "linux")]
        Screen::Trace(s) => s.exit_code(),
        _ => exit::SUCCESS,
    })
}

/// The loop's state besides the app: the producers its effects started.
pub struct Loop<L: Launcher> {
    pub app: App,
    pub launcher: L,
    engine: Option<L::Handle>,
    #[cfg(target_os = "linux")]
    inspector: Option<producers::Inspector>,
    #[cfg(target_os = "linux")]
    stats: Option<producers::StatsSampler>,
    /// What the trace screen traces, until its `Effect::Trace` starts it.
    #[cfg(target_os = "linux")]
    pub trace_source: Option<trace::Source>,
    #[cfg(target_os = "linux")]
    tracing: Option<trace::Running>,
    /// The page map of the trace screen's selected file.
    #[cfg(target_os = "linux")]
    mapper: Option<producers::Mapper>,
    /// Why a trace recording could not be written (said after the screen).
    #[cfg(target_os = "linux")]
    pub trace_error: Option<iotour_core::record::RecordError>,
    tx: Sender<Event>,
    started: Instant,
    /// The screen's size at the last draw: inspect's map is measured to fit it.
    area: Rect,
}

impl<L: Launcher> Loop<L> {
    pub fn new(app: App, launcher: L, tx: Sender<Event>, started: Instant) -> Self {
        Loop {
            app,
            launcher,
            engine: None,
            #[cfg(target_os = "linux")]
            inspector: None,
            #[cfg(target_os = "linux")]
            stats: None,
            #[cfg(target_os = "linux")]
            trace_source: None,
            #[cfg(target_os = "linux")]
            tracing: None,
            #[cfg(target_os = "linux")]
            mapper: None,
            #[cfg(target_os = "linux")]
            trace_error: None,
            tx,
            started,
            area: Rect::new(0, 0, 120, 40),
        }
    }

    /// Draw, wait for events, handle them (a whole batch before the next
    /// draw), until the app ends.
    pub fn run<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        rx: &Receiver<Event>,
        effects: Vec<Effect>,
        themes: &ui::theme::Themes,
    ) -> anyhow::Result<()>
    where
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        if let Ok(size) = terminal.size() {
            self.area = Rect::new(0, 0, size.width, size.height);
        }
        self.apply(effects);
        let mut dirty = true;
        let mut urgent = true;
        let mut last_draw: Option<Instant> = None;
        while !self.app.quit() {
            // Keys redraw at once; data and animation at most at the frame
            // rate, and a still screen (paused, nothing moving) at 10 Hz, so
            // 20 Hz samples do not cost 20 full frames a second.
            let interval = if self.app.animating() {
                Duration::from_millis(1000 / 30)
            } else {
                STILL_INTERVAL
            };
            let due = last_draw.is_none_or(|t| t.elapsed() >= interval);
            if dirty && (urgent || due) {
                // A terminal that cannot be written to has gone away (a
                // closed pty answers EIO): that ends the program as a
                // hang-up does, not as an error of ours.
                let drawn = terminal
                    .draw(|f| ui::render(f, &self.app, themes.get(self.app.theme)))
                    .map(|frame| frame.area)
                    .and_then(|area| terminal.backend_mut().flush().map(|()| area));
                let Ok(area) = drawn else {
                    self.handle(Event::Stop(StopReason::InputClosed));
                    break;
                };
                self.area = area;
                dirty = false;
                urgent = false;
                last_draw = Some(Instant::now());
            }
            let Ok(first) = rx.recv() else { break };
            let mut next = Some(first);
            while let Some(ev) = next {
                urgent |= matches!(ev, Event::Input(_));
                dirty |= self.handle(ev);
                if self.app.quit() {
                    break;
                }
                next = rx.try_recv().ok();
            }
        }
        Ok(())
    }

    /// Handle one event; true when the screen must be redrawn.
    pub fn handle(&mut self, ev: Event) -> bool {
        if let Event::Input(crate::app::Input::Resize(w, h)) = ev {
            self.area = Rect::new(0, 0, w, h);
        }
        let redraw = match &ev {
            // A tick changes only what animates; a still screen is not redrawn.
            Event::Tick(_) => self.app.animating(),
            _ => true,
        };
        let effects = self.app.handle(ev);
        self.apply(effects);
        redraw
    }

    /// Stop the engine (it removes its working directory) and the screen's
    /// measurers.
    pub fn stop_producers(&mut self) {
        drop(self.engine.take());
        #[cfg(target_os = "linux")]
        {
            self.inspector = None;
            self.stats = None;
            self.mapper = None;
            if let Some(running) = self.tracing.take()
                && let Err(e) = running.stop()
            {
                self.trace_error.get_or_insert(e);
            }
        }
    }

    /// Carry out `effects` (what the app asked for).
    pub fn apply(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Start {
                    epoch,
                    plan,
                    speed,
                    paused,
                } => self.start_engine(epoch, *plan, speed, paused),
                Effect::Send(cmd) => {
                    if let Some(h) = &self.engine {
                        h.send(cmd);
                    }
                }
                Effect::Stop => self.stop_producers(),
                Effect::Quit => {}
                #[cfg(target_os = "linux")]
                Effect::Inspect { epoch, setup } => {
                    self.stop_producers();
                    match producers::Inspector::start(epoch, setup, self.tx.clone()) {
                        Ok(i) => self.inspector = Some(i),
                        Err(error) => self.refused(epoch, error),
                    }
                }
                #[cfg(target_os = "linux")]
                Effect::InspectRefresh => {
                    if let Some(i) = &self.inspector {
                        i.refresh();
                    }
                }
                #[cfg(target_os = "linux")]
                Effect::InspectMap { path, range, .. } => {
                    if let Some(i) = &self.inspector {
                        i.map(producers::MapAsk {
                            path,
                            range,
                            cells: ui::inspect::map_cells(self.area),
                        });
                    } else if let Some(m) = &self.mapper {
                        m.map(producers::MapAsk {
                            path,
                            range,
                            cells: ui::trace::map_cells(self.area),
                        });
                    }
                }
                #[cfg(target_os = "linux")]
                Effect::Trace { epoch } => self.start_trace(epoch),
                #[cfg(target_os = "linux")]
                Effect::Stats { epoch, every } => {
                    self.stop_producers();
                    match producers::StatsSampler::start(epoch, every, self.tx.clone()) {
                        Ok(s) => self.stats = Some(s),
                        Err(error) => self.refused(epoch, error),
                    }
                }
                // Elsewhere inspect and stats do not exist (they read
                // Linux's /proc and cachestat).
                #[cfg(not(target_os = "linux"))]
                Effect::Inspect { .. }
                | Effect::InspectRefresh
                | Effect::InspectMap { .. }
                | Effect::Stats { .. }
                | Effect::Trace { .. } => {}
            }
        }
    }

    /// Start the trace screen's tracer (or replay) and its page-map thread.
    #[cfg(target_os = "linux")]
    fn start_trace(&mut self, epoch: u64) {
        self.stop_producers();
        let Some(source) = self.trace_source.take() else {
            return;
        };
        match iotour_core::inspect::Probe::from_env() {
            Ok(probe) => match producers::Mapper::start(epoch, probe, self.tx.clone()) {
                Ok(m) => self.mapper = Some(m),
                Err(e) => return self.refused(epoch, e),
            },
            Err(e) => return self.refused(epoch, Failure::new(e)),
        }
        match source.start(self.tx.clone()) {
            Ok(running) => self.tracing = Some(running),
            Err(e) => self.refused(epoch, e),
        }
    }

    /// A producer could not start: the screen hears of it on the channel.
    #[cfg(target_os = "linux")]
    fn refused(&mut self, epoch: u64, error: Failure) {
        let _ = self.tx.send(Event::EngineRefused { epoch, error });
    }

    /// Stop any running engine (joining it), announce `EngineStarted` on the
    /// channel, then start the new one: every event of the old engine is
    /// queued ahead of the marker, so the app can tell them from the new
    /// engine's.
    fn start_engine(&mut self, epoch: u64, plan: Plan, speed: Speed, paused: bool) {
        self.stop_producers();
        let at = self.started.elapsed();
        let _ = self.tx.send(Event::EngineStarted { epoch, at });
        match self.launcher.launch(plan, speed, paused, self.tx.clone()) {
            Ok(h) => self.engine = Some(h),
            Err(error) => {
                let _ = self.tx.send(Event::EngineRefused { epoch, error });
            }
        }
    }
}

/// The launcher of screens that run no scenario (inspect, stats): asked to
/// start one, it says why not.
pub struct NoEngine;

/// What [`NoEngine`] answers.
#[derive(Debug, thiserror::Error)]
#[error("this screen runs no scenario")]
pub struct NoScenario;

/// The handle [`NoEngine`] never gives.
pub enum NoHandle {}

impl EngineHandle for NoHandle {
    fn send(&self, _: Command) {
        match *self {}
    }
}

impl Launcher for NoEngine {
    type Handle = NoHandle;

    fn launch(
        &mut self,
        _: Plan,
        _: Speed,
        _: bool,
        _: Sender<Event>,
    ) -> Result<NoHandle, Failure> {
        Err(Failure::new(NoScenario))
    }
}

/// [`run`], then the exit code of how the app ended.
pub fn run_to_exit<L: Launcher>(
    app: App,
    effects: Vec<Effect>,
    launcher: L,
) -> anyhow::Result<(Exit, L)> {
    let (app, launcher) = run(app, effects, launcher)?;
    Ok((exit_code(&app), launcher))
}
