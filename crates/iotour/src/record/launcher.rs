//! [`RecordingLauncher`]: the TUI's way to record. It wraps any
//! [`Launcher`] and puts a [`tee`](super::tee) between each engine it starts
//! and the UI's channel, so the live view records exactly what it shows.
//!
//! - [`RecordingLauncher::new`] (`run --record`): each launch (a restart
//!   with `r`, another lesson from the picker) starts the file over; it holds
//!   the last run started, complete once that run's engine is dropped.
//! - [`RecordingLauncher::sequence`] (`compare --record`): one file for a
//!   list of scenarios; each launch records as its scenario's index, and
//!   [`RecordingLauncher::finish`] completes the file.

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use crate::app::{Event, Failure};
use crate::tui::{EngineHandle, Launcher};
use iotour_core::engine::{Command, Speed};
use iotour_core::record::{
    RecordError, Recordable, RecordedRef, Recorder, ScenarioFile, Tee, tee_same,
};
use iotour_core::scenario::Plan;

impl Recordable for Event {
    fn recorded(&self) -> Option<RecordedRef<'_>> {
        match self {
            Event::Exec(e) => Some(RecordedRef::Exec(e)),
            Event::Sample(s) => Some(RecordedRef::Sample(s)),
            #[cfg(target_os = "linux")]
            Event::Trace(t) => Some(RecordedRef::Trace(t)),
            _ => None,
        }
    }
}

/// Why a recorded launch could not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("{0} is not one of the recorded scenarios")]
    NotRecorded(String),
    #[error("the previous run is still being recorded")]
    Busy,
    #[error("cannot start the recorder")]
    Tee(#[source] std::io::Error),
}

pub struct RecordingLauncher<L> {
    inner: L,
    mode: Mode,
    /// The first error of any recording, for the caller once the UI is gone.
    error: Arc<Mutex<Option<RecordError>>>,
}

enum Mode {
    /// A new file per launch.
    PerLaunch { path: PathBuf, sample_hz: u32 },
    /// One file; the recorder waits here between launches.
    Sequence {
        ids: Vec<String>,
        slot: Arc<Mutex<Option<Recorder>>>,
    },
}

impl<L: Launcher> RecordingLauncher<L> {
    pub fn new(inner: L, path: PathBuf, sample_hz: u32) -> Self {
        RecordingLauncher {
            inner,
            mode: Mode::PerLaunch { path, sample_hz },
            error: Arc::new(Mutex::new(None)),
        }
    }

    /// One recording of `plans`, each launch as its plan's index.
    pub fn sequence(
        inner: L,
        path: &std::path::Path,
        plans: &[Plan],
        sample_hz: u32,
    ) -> Result<Self, RecordError> {
        let files = plans
            .iter()
            .map(ScenarioFile::of)
            .collect::<Result<Vec<_>, _>>()?;
        let recorder = Recorder::create(path, files, sample_hz)?;
        Ok(RecordingLauncher {
            inner,
            mode: Mode::Sequence {
                ids: plans.iter().map(|p| p.id().to_owned()).collect(),
                slot: Arc::new(Mutex::new(Some(recorder))),
            },
            error: Arc::new(Mutex::new(None)),
        })
    }

    /// Complete a sequence's file (drop every handle first) and report the
    /// first error of any recording.
    pub fn finish(self) -> Result<(), RecordError> {
        if let Mode::Sequence { slot, .. } = &self.mode
            && let Some(r) = lock(slot).take()
            && let Err(e) = r.finish()
        {
            keep_first(&self.error, e);
        }
        match lock(&self.error).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Where errors of the recordings end up (read it after the UI quit).
    pub fn errors(&self) -> Arc<Mutex<Option<RecordError>>> {
        Arc::clone(&self.error)
    }
}

/// An engine whose events are being recorded. Dropping it stops the engine
/// first, then completes the file.
pub struct RecordedHandle<H> {
    engine: Option<H>,
    tee: Option<Tee>,
    /// Sequence mode: where the recorder goes back to.
    slot: Option<Arc<Mutex<Option<Recorder>>>>,
    error: Arc<Mutex<Option<RecordError>>>,
}

impl<H: EngineHandle> EngineHandle for RecordedHandle<H> {
    fn send(&self, cmd: Command) {
        if let Some(e) = &self.engine {
            e.send(cmd);
        }
    }
}

impl<H> Drop for RecordedHandle<H> {
    fn drop(&mut self) {
        drop(self.engine.take());
        let Some(tee) = self.tee.take() else { return };
        let recorder = tee.finish();
        match &self.slot {
            Some(slot) => *lock(slot) = Some(recorder),
            None => {
                if let Err(e) = recorder.finish() {
                    keep_first(&self.error, e);
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn keep_first(slot: &Mutex<Option<RecordError>>, e: RecordError) {
    lock(slot).get_or_insert(e);
}

impl<L: Launcher> Launcher for RecordingLauncher<L> {
    type Handle = RecordedHandle<L::Handle>;

    fn launch(
        &mut self,
        plan: Plan,
        speed: Speed,
        paused: bool,
        events: Sender<Event>,
    ) -> Result<Self::Handle, Failure> {
        let (recorder, index, slot) = match &self.mode {
            Mode::PerLaunch { path, sample_hz } => {
                let recorder = ScenarioFile::of(&plan)
                    .and_then(|f| Recorder::create(path, vec![f], *sample_hz))
                    .map_err(|e| Failure::new(LaunchError::Record(e)))?;
                (recorder, 0, None)
            }
            Mode::Sequence { ids, slot } => {
                let index = ids
                    .iter()
                    .position(|id| *id == plan.id())
                    .ok_or_else(|| Failure::new(LaunchError::NotRecorded(plan.id().to_string())))?;
                let recorder = lock(slot)
                    .take()
                    .ok_or_else(|| Failure::new(LaunchError::Busy))?;
                (recorder, index, Some(Arc::clone(slot)))
            }
        };
        let (tx, tee) =
            tee_same(recorder, index, events).map_err(|e| Failure::new(LaunchError::Tee(e)))?;
        let mut handle = RecordedHandle {
            engine: None,
            tee: Some(tee),
            slot,
            error: Arc::clone(&self.error),
        };
        // On failure the inner launcher dropped the sender; dropping the
        // handle ends the tee and puts the recorder back (or completes it).
        handle.engine = Some(self.inner.launch(plan, speed, paused, tx)?);
        Ok(handle)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use iotour_core::record::Recording;
    use iotour_core::scenario::Catalog;

    /// Sends a fixed run from its own thread, like an engine; dropping the
    /// handle joins it (so the sender is gone).
    struct Fake {
        launches: usize,
    }

    struct FakeHandle(Option<std::thread::JoinHandle<()>>);

    impl EngineHandle for FakeHandle {
        fn send(&self, _: Command) {}
    }

    impl Drop for FakeHandle {
        fn drop(&mut self) {
            if let Some(t) = self.0.take() {
                let _ = t.join();
            }
        }
    }

    impl Launcher for Fake {
        type Handle = FakeHandle;

        fn launch(
            &mut self,
            _: Plan,
            _: Speed,
            _: bool,
            events: Sender<Event>,
        ) -> Result<FakeHandle, Failure> {
            self.launches += 1;
            let steps = self.launches;
            Ok(FakeHandle(Some(std::thread::spawn(move || {
                for index in 1..=steps {
                    let _ = events.send(Event::Exec(iotour_core::engine::ExecEvent::StepStarted {
                        index,
                        at: Duration::from_millis(index as u64),
                    }));
                }
            }))))
        }
    }

    #[test]
    fn the_tui_launcher_records_what_it_passes_on_and_a_restart_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tui.jsonl");
        let mut launcher = RecordingLauncher::new(Fake { launches: 0 }, path.clone(), 20);
        let plan = Catalog::builtin().resolve("unbuffered-write").unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<Event>();
        let first = launcher
            .launch(plan.clone(), Speed::One, false, tx.clone())
            .unwrap();
        drop(first);
        assert_eq!(Recording::load(&path).unwrap().lines.len(), 1);
        let second = launcher.launch(plan, Speed::One, false, tx).unwrap();
        drop(second);
        // The UI saw all three events; the file holds the last run only.
        assert_eq!(rx.try_iter().count(), 3);
        let rec = Recording::load(&path).unwrap();
        assert_eq!(rec.header.scenarios, ["unbuffered-write"]);
        assert_eq!(rec.lines.len(), 2);
        assert!(rec.plans().unwrap()[0].steps().len() == 2);
        assert!(launcher.errors().lock().unwrap().is_none());
    }

    #[test]
    fn a_sequence_records_each_launch_as_its_scenario_in_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cmp.jsonl");
        let catalog = Catalog::builtin();
        let plans = [
            catalog.resolve("unbuffered-write").unwrap(),
            catalog.resolve("buffered-write").unwrap(),
        ];
        let mut launcher =
            RecordingLauncher::sequence(Fake { launches: 0 }, &path, &plans, 20).unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<Event>();
        for plan in &plans {
            let h = launcher
                .launch(plan.clone(), Speed::Max, false, tx.clone())
                .unwrap();
            drop(h);
        }
        let err = launcher
            .launch(
                catalog.resolve("write-then-fsync").unwrap(),
                Speed::Max,
                false,
                tx,
            )
            .err()
            .unwrap();
        assert!(
            matches!(err.error().downcast_ref(), Some(LaunchError::NotRecorded(id)) if id == "write-then-fsync"),
            "{err:#}"
        );
        launcher.finish().unwrap();
        assert_eq!(rx.try_iter().count(), 3);
        let rec = Recording::load(&path).unwrap();
        assert_eq!(rec.header.scenarios, ["unbuffered-write", "buffered-write"]);
        let per: Vec<usize> = rec.lines.iter().map(|l| l.scenario).collect();
        assert_eq!(per, [0, 1, 1]);
    }
}
