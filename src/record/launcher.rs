//! [`RecordingLauncher`]: the TUI's way to record. It wraps any
//! [`Launcher`] and puts a [`tee`](super::tee) between each engine it starts
//! and the UI's channel, so the live view records exactly what it shows.
//!
//! Each launch (a restart with `r`, or another lesson from the picker)
//! starts the file over: the recording holds the last run started. The file
//! is complete once that run's engine is dropped.

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use super::{RecordError, Recordable, RecordedRef, Recorder, ScenarioFile, Tee, tee_same};
use crate::app::Event;
use crate::engine::{Command, Speed};
use crate::scenario::Plan;
use crate::tui::{EngineHandle, Launcher};

impl Recordable for Event {
    fn recorded(&self) -> Option<RecordedRef<'_>> {
        match self {
            Event::Exec(e) => Some(RecordedRef::Exec(e)),
            Event::Sample(s) => Some(RecordedRef::Sample(s)),
            _ => None,
        }
    }
}

pub struct RecordingLauncher<L> {
    inner: L,
    path: PathBuf,
    sample_hz: u32,
    /// The first error of any recording, for the caller once the UI is gone.
    error: Arc<Mutex<Option<RecordError>>>,
}

impl<L: Launcher> RecordingLauncher<L> {
    pub fn new(inner: L, path: PathBuf, sample_hz: u32) -> Self {
        RecordingLauncher {
            inner,
            path,
            sample_hz,
            error: Arc::new(Mutex::new(None)),
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
        if let Some(tee) = self.tee.take()
            && let Err(e) = tee.finish().finish()
        {
            keep_first(&self.error, e);
        }
    }
}

fn keep_first(slot: &Mutex<Option<RecordError>>, e: RecordError) {
    let mut slot = slot
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    slot.get_or_insert(e);
}

impl<L: Launcher> Launcher for RecordingLauncher<L> {
    type Handle = RecordedHandle<L::Handle>;

    fn launch(
        &mut self,
        plan: Plan,
        speed: Speed,
        paused: bool,
        events: Sender<Event>,
    ) -> Result<Self::Handle, String> {
        let recorder = ScenarioFile::of(&plan)
            .and_then(|f| Recorder::create(&self.path, vec![f], self.sample_hz))
            .map_err(|e| e.to_string())?;
        let (tx, tee) =
            tee_same(recorder, 0, events).map_err(|e| format!("cannot start the recorder: {e}"))?;
        match self.inner.launch(plan, speed, paused, tx) {
            Ok(engine) => Ok(RecordedHandle {
                engine: Some(engine),
                tee: Some(tee),
                error: Arc::clone(&self.error),
            }),
            Err(e) => {
                // The inner launcher dropped the sender: the tee ends at once.
                if let Err(re) = tee.finish().finish() {
                    keep_first(&self.error, re);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::record::Recording;
    use crate::scenario::Catalog;

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
        ) -> Result<FakeHandle, String> {
            self.launches += 1;
            let steps = self.launches;
            Ok(FakeHandle(Some(std::thread::spawn(move || {
                for index in 1..=steps {
                    let _ = events.send(Event::Exec(crate::engine::ExecEvent::StepStarted {
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
        assert!(rec.plans().unwrap()[0].steps.len() == 2);
        assert!(launcher.errors().lock().unwrap().is_none());
    }
}
