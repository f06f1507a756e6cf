//! The named threads that feed the loop's channel besides the engine:
//! `input` (keys and resizes), `tick` (the animation clock) and `signals`
//! (SIGTERM, SIGHUP, SIGINT). Each stops when its send fails (the loop is
//! gone) or when the shared stop flag is set; sleeps are short, so stopping
//! never waits long.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event as TermEvent, KeyEventKind};
#[cfg(unix)]
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
#[cfg(unix)]
use signal_hook::iterator::{Handle, Signals};

use crate::app::{Event, Input, StopReason};

/// Frames per second of the animation clock.
pub const FPS: u64 = 30;
/// How often a blocked producer looks at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// The running producers; [`Producers::stop`] ends and joins them.
pub struct Producers {
    stop: Arc<AtomicBool>,
    /// SIGTERM, SIGHUP, SIGINT (Unix; elsewhere Ctrl-C arrives as a key).
    #[cfg(unix)]
    signals: Handle,
    threads: Vec<JoinHandle<()>>,
    /// What [`Producers::paused`] needs to start them again.
    tx: Sender<Event>,
    epoch: Instant,
}

impl Producers {
    pub fn spawn(tx: &Sender<Event>, epoch: Instant) -> std::io::Result<Producers> {
        #[cfg(unix)]
        let signals = Signals::new([SIGTERM, SIGHUP, SIGINT])?;
        let mut p = Producers {
            stop: Arc::new(AtomicBool::new(false)),
            #[cfg(unix)]
            signals: signals.handle(),
            threads: Vec::new(),
            tx: tx.clone(),
            epoch,
        };
        // A thread that fails to start must not leave the others running
        // with nobody to stop them.
        match p.start_threads(
            #[cfg(unix)]
            signals,
        ) {
            Ok(()) => Ok(p),
            Err(e) => {
                p.stop();
                Err(e)
            }
        }
    }

    fn start_threads(&mut self, #[cfg(unix)] mut signals: Signals) -> std::io::Result<()> {
        let (s, t) = (self.stop.clone(), self.tx.clone());
        self.threads.push(
            thread::Builder::new()
                .name("input".into())
                .spawn(move || input(&t, &s))?,
        );
        let (s, t, epoch) = (self.stop.clone(), self.tx.clone(), self.epoch);
        self.threads.push(
            thread::Builder::new()
                .name("tick".into())
                .spawn(move || tick(&t, &s, epoch))?,
        );
        #[cfg(unix)]
        {
            let t = self.tx.clone();
            self.threads.push(
                thread::Builder::new()
                    .name("signals".into())
                    .spawn(move || {
                        // Ends when the handle is closed (forever() then returns).
                        if let Some(sig) = signals.forever().next() {
                            let _ = t.send(Event::Stop(StopReason::Signal(sig)));
                        }
                    })?,
            );
        }
        Ok(())
    }

    /// Stop the producers, run `f` (which may read the terminal itself),
    /// then start them again on the same channel and clock.
    pub fn paused<T>(self, f: impl FnOnce() -> T) -> std::io::Result<(Producers, T)> {
        let (tx, epoch) = (self.tx.clone(), self.epoch);
        self.stop();
        let out = f();
        Ok((Producers::spawn(&tx, epoch)?, out))
    }

    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        #[cfg(unix)]
        self.signals.close();
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn input(tx: &Sender<Event>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let ready = match event::poll(POLL) {
            Ok(r) => r,
            Err(_) => {
                let _ = tx.send(Event::Stop(StopReason::InputClosed));
                return;
            }
        };
        if !ready {
            continue;
        }
        let ev = match event::read() {
            Ok(TermEvent::Key(k)) if k.kind == KeyEventKind::Press => Event::Input(Input::Key(k)),
            Ok(TermEvent::Resize(w, h)) => Event::Input(Input::Resize(w, h)),
            Ok(_) => continue,
            Err(_) => Event::Stop(StopReason::InputClosed),
        };
        let closed = matches!(ev, Event::Stop(_));
        if tx.send(ev).is_err() || closed {
            return;
        }
    }
}

fn tick(tx: &Sender<Event>, stop: &AtomicBool, epoch: Instant) {
    let frame = Duration::from_millis(1000 / FPS);
    while !stop.load(Ordering::Relaxed) {
        thread::sleep(frame);
        if tx.send(Event::Tick(epoch.elapsed())).is_err() {
            return;
        }
    }
}
