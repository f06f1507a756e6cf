//! A panic on the engine's worker thread must reach the consumer as a
//! failure, and the channel must then close, rather than leave it waiting on
//! a sampler that keeps sending forever.
//!
//! The panic is injected with no hook in the engine: the event type's
//! `From<ExecEvent>` runs on the worker thread, so it panics there.

use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use iotour_core::engine::{ExecEvent, Snapshot};
use iotour_core::scenario::Op;

// Only the plan and the settings: this test needs an event type of its own.
use crate::support::engine as support;

enum Ev {
    Exec(Box<ExecEvent>),
    Sample,
}

impl From<ExecEvent> for Ev {
    fn from(e: ExecEvent) -> Self {
        if matches!(e, ExecEvent::StepStarted { .. }) {
            panic!("injected panic on the worker thread");
        }
        Ev::Exec(Box::new(e))
    }
}

impl From<Snapshot> for Ev {
    fn from(_: Snapshot) -> Self {
        Ev::Sample
    }
}

#[test]
fn a_worker_panic_fails_the_run_and_closes_the_channel() {
    let plan = support::plan(4096, true, vec![support::step(Op::Note)]);
    let (tx, rx) = channel::<Ev>();
    let engine = iotour_core::engine::start(plan, support::config(), tx).expect("start");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut failed = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Ev::Exec(e)) => {
                if let ExecEvent::Failed { error, .. } = *e {
                    failed = Some(error);
                }
            }
            Ok(Ev::Sample) => {}
            // Both threads are gone: the sampler stopped too.
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("still waiting: failed = {failed:?}"),
        }
    }
    let error = failed.expect("no Failed event");
    assert!(error.contains("worker thread panicked"), "{error}");
    drop(engine);
}
