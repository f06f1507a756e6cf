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
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();

        let (s, t) = (stop.clone(), tx.clone());
        threads.push(
            thread::Builder::new()
                .name("input".into())
                .spawn(move || input(&t, &s))?,
        );

        let (s, t) = (stop.clone(), tx.clone());
        threads.push(
            thread::Builder::new()
                .name("tick".into())
                .spawn(move || tick(&t, &s, epoch))?,
        );

        #[cfg(unix)]
        let handle = {
            let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT])?;
            let handle = signals.handle();
            let t = tx.clone();
            threads.push(
                thread::Builder::new()
                    .name("signals".into())
                    .spawn(move || {
                        // Ends when the handle is closed (forever() then returns).
                        if let Some(sig) = signals.forever().next() {
                            let _ = t.send(Event::Stop(StopReason::Signal(sig)));
                        }
                    })?,
            );
            handle
        };
        Ok(Producers {
            stop,
            #[cfg(unix)]
            signals: handle,
            threads,
            tx: tx.clone(),
            epoch,
        })
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
