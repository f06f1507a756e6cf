//! The producer threads that screens start and stop through [`Effect`]s,
//! besides the engine: `tick` (the animation clock, for the TUI's life),
//! `inspect` and `inspect-map` (an inspect screen's measurements) and
//! `stats` (a stats screen's readings of /proc). Each sends its results as
//! [`Event`]s on the loop's channel and stops when a send fails or its
//! handle is dropped.
//!
//! [`Effect`]: crate::app::Effect

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use iotour_core::inspect::range::ByteRange;
use iotour_core::inspect::{self, Probe};
use iotour_core::stats::procio::Names;
use iotour_core::stats::sample::Sample;

use super::clock::time_of_day;
use crate::app::{Event, Failure, InspectSetup, Inspected};

/// A producer thread that could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the {thread} thread")]
pub struct SpawnError {
    pub thread: &'static str,
    #[source]
    pub source: std::io::Error,
}

/// Frames per second of the animation clock.
pub const FPS: u64 = 30;

/// Start the animation clock: a [`Event::Tick`] per frame, with the time
/// since `epoch`, until the loop hangs up.
pub fn spawn_tick(tx: Sender<Event>, epoch: Instant) -> std::io::Result<()> {
    let frame = Duration::from_millis(1000 / FPS);
    thread::Builder::new().name("tick".into()).spawn(move || {
        loop {
            thread::sleep(frame);
            if tx.send(Event::Tick(epoch.elapsed())).is_err() {
                return;
            }
        }
    })?;
    Ok(())
}

/// What the `inspect` thread is asked.
enum Ask {
    Report,
}

/// A page map wanted by the screen.
pub struct MapAsk {
    pub path: PathBuf,
    pub range: Option<ByteRange>,
    pub cells: usize,
}

/// An inspect screen's measurers. Dropping it abandons a measurement in
/// progress without waiting for the threads: one call can block for long (a
/// stat on a hung NFS mount), and leaving the screen must not. The threads
/// end by themselves once that call returns, since their channels are closed.
pub struct Inspector {
    asks: Sender<Ask>,
    maps: Mapper,
    cancel: Arc<AtomicBool>,
}

/// Measures one file's page map at a time, on a thread `page-map` (the
/// inspect screen's selected file, the trace screen's). Dropped, it lets
/// the thread end once a measurement under way returns.
pub struct Mapper {
    asks: Sender<MapAsk>,
}

impl Mapper {
    pub fn start(epoch: u64, probe: Probe, tx: Sender<Event>) -> Result<Mapper, Failure> {
        let (asks, asked) = mpsc::channel::<MapAsk>();
        thread::Builder::new()
            .name("page-map".into())
            .spawn(move || {
                while let Ok(mut ask) = asked.recv() {
                    // Only the latest ask matters (the selection moved on).
                    while let Ok(newer) = asked.try_recv() {
                        ask = newer;
                    }
                    let map = inspect::map_of(&ask.path, ask.range, ask.cells, &probe)
                        .map_err(Failure::new);
                    if tx
                        .send(Event::Inspected(Inspected::Map { epoch, map }))
                        .is_err()
                    {
                        return;
                    }
                }
            })
            .map_err(|source| {
                Failure::new(SpawnError {
                    thread: "page-map",
                    source,
                })
            })?;
        Ok(Mapper { asks })
    }

    pub fn map(&self, ask: MapAsk) {
        let _ = self.asks.send(ask);
    }
}

impl Inspector {
    pub fn start(epoch: u64, setup: InspectSetup, tx: Sender<Event>) -> Result<Inspector, Failure> {
        let probe = Probe::from_env().map_err(Failure::new)?;
        let (asks, asked) = mpsc::channel::<Ask>();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        let (report_tx, map_probe) = (tx.clone(), probe.clone());
        // The table's own map is not drawn: the screen asks for the
        // selected file's map at its own size instead.
        let options = inspect::Options {
            map_cells: 0,
            ..setup.options
        };
        let spawn = |name: &'static str, f: Box<dyn FnOnce() + Send>| {
            thread::Builder::new()
                .name(name.into())
                .spawn(f)
                .map(drop)
                .map_err(|source| {
                    Failure::new(SpawnError {
                        thread: name,
                        source,
                    })
                })
        };
        spawn(
            "inspect",
            Box::new(move || {
                let mut wait = Duration::ZERO;
                loop {
                    match asked.recv_timeout(wait) {
                        Ok(Ask::Report) | Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                    // Asks that came while measuring are answered by this one.
                    while asked.try_recv().is_ok() {}
                    let report = inspect::inspect_until(&setup.paths, &options, &probe, &flag)
                        .map_err(Failure::new);
                    if flag.load(Ordering::Relaxed) {
                        return;
                    }
                    let ev = Event::Inspected(Inspected::Report {
                        epoch,
                        report,
                        clock: time_of_day(),
                        source: probe.pages.source().as_str(),
                    });
                    if report_tx.send(ev).is_err() {
                        return;
                    }
                    wait = setup.every;
                }
            }),
        )?;
        let maps = Mapper::start(epoch, map_probe, tx)?;
        Ok(Inspector { asks, maps, cancel })
    }

    /// Measure every file again now (or right after the measurement under way).
    pub fn refresh(&self) {
        let _ = self.asks.send(Ask::Report);
    }

    pub fn map(&self, ask: MapAsk) {
        self.maps.map(ask);
    }
}

impl Drop for Inspector {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// A stats screen's sampler: a reading of /proc at once, then one every
/// `every`, until dropped.
pub struct StatsSampler {
    _stop: Sender<()>,
}

impl StatsSampler {
    pub fn start(epoch: u64, every: Duration, tx: Sender<Event>) -> Result<StatsSampler, Failure> {
        let (stop, stopped) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("stats".into())
            .spawn(move || {
                let mut names = Names::default();
                loop {
                    let sample = Box::new(Sample::read(&mut names));
                    let ev = Event::Stats {
                        epoch,
                        sample,
                        clock: time_of_day(),
                    };
                    if tx.send(ev).is_err() {
                        return;
                    }
                    // The handle's drop closes the channel and wakes this at once.
                    if !matches!(stopped.recv_timeout(every), Err(RecvTimeoutError::Timeout)) {
                        return;
                    }
                }
            })
            .map_err(|source| {
                Failure::new(SpawnError {
                    thread: "stats",
                    source,
                })
            })?;
        Ok(StatsSampler { _stop: stop })
    }
}
