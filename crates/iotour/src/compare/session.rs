//! The side-by-side view's event loop: the live view's terminal session and
//! producer threads, [`CompareView`] as the state, engines from any
//! [`Launcher`] (the real one, a recording one, or a replay).

use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use anyhow::Context as _;
use ratatui::Terminal;

use super::live::CompareView;
use super::screen;
use crate::app::{Effect, Event, Status, StopReason};
use crate::tui::{Launcher, producers::Producers, start_engine, terminal::Session};
use crate::ui::Theme;

/// Drives a [`CompareView`]: carries out its effects, one engine at a time.
pub struct Driver<L: Launcher> {
    pub view: CompareView,
    pub launcher: L,
    engine: Option<L::Handle>,
    tx: Sender<Event>,
    started: Instant,
}

impl<L: Launcher> Driver<L> {
    pub fn new(view: CompareView, launcher: L, tx: Sender<Event>, started: Instant) -> Self {
        Driver {
            view,
            launcher,
            engine: None,
            tx,
            started,
        }
    }

    pub fn handle(&mut self, ev: Event) {
        let effects = self.view.handle(ev);
        self.apply(effects);
    }

    pub fn apply(&mut self, effects: Vec<Effect>) {
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
                        crate::tui::EngineHandle::send(h, cmd);
                    }
                }
                Effect::Stop => drop(self.engine.take()),
                // Compare has no picker, so nothing asks for a tool here.
                Effect::Open(_) | Effect::Quit => {}
            }
        }
    }

    /// Stop the running engine (it removes its working directory).
    pub fn stop(&mut self) {
        drop(self.engine.take());
    }

    fn run<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        rx: &Receiver<Event>,
        theme: &Theme,
    ) -> anyhow::Result<()>
    where
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        while !self.view.quit {
            terminal.draw(|f| screen::render(f, &self.view, theme))?;
            terminal.backend_mut().flush()?;
            let Ok(first) = rx.recv() else { break };
            self.handle(first);
            while !self.view.quit {
                match rx.try_recv() {
                    Ok(ev) => self.handle(ev),
                    Err(_) => break,
                }
            }
        }
        Ok(())
    }
}

/// Run the view until `q`; returns the exit code and the launcher (to
/// complete a recording).
pub fn run<L: Launcher>(
    view: CompareView,
    effects: Vec<Effect>,
    launcher: L,
) -> anyhow::Result<(ExitCode, L)> {
    let theme = Theme::from_env();
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    let mut session = Session::start().context("cannot set the terminal up")?;
    let producers = Producers::spawn(&tx, started).context("cannot start the input threads")?;
    let mut driver = Driver::new(view, launcher, tx, started);
    driver.apply(effects);
    let result = driver.run(&mut session.terminal, &rx, &theme);
    driver.stop();
    producers.stop();
    drop(session);
    result?;
    let v = &driver.view;
    let failed = v
        .runs
        .iter()
        .any(|r| matches!(r.status, Status::Failed | Status::Done { ok: false }));
    let code = match v.stopped {
        Some(StopReason::Signal(sig)) => ExitCode::from((128 + sig).clamp(0, 255) as u8),
        _ if failed => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    };
    Ok((code, driver.launcher))
}
