//! The tee: a thread between the engine and its consumer that records every
//! event and passes it on, so the headless run, `compare` and the TUI record
//! the same way without knowing about it.
//!
//! ```text
//! engine ──Sender<In>──► thread `record` ──► Recorder (file)
//!                               └──────────► Sender<Out> (consumer)
//! ```
//! [`tee`] takes the engine's events as [`Teed`] and hands them on as any
//! consumer type; [`tee_same`] passes a consumer's own event type through
//! (the TUI's `Event`, which also carries keys and ticks: those are not
//! recorded). The thread ends when the engine drops its senders (the run is
//! over) or the consumer hangs up; then the engine's next send fails and it
//! stops too.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use super::{RecordedRef, Recorder};
use crate::engine::{ExecEvent, Snapshot};

/// An event type that may hold something to record.
pub trait Recordable {
    fn recorded(&self) -> Option<RecordedRef<'_>>;
}

/// What the engine sends into a [`tee`].
#[allow(clippy::large_enum_variant)] // moved once, through the channel
pub enum Teed {
    Exec(ExecEvent),
    Sample(Snapshot),
}

impl From<ExecEvent> for Teed {
    fn from(e: ExecEvent) -> Self {
        Teed::Exec(e)
    }
}

impl From<Snapshot> for Teed {
    fn from(s: Snapshot) -> Self {
        Teed::Sample(s)
    }
}

impl Recordable for Teed {
    fn recorded(&self) -> Option<RecordedRef<'_>> {
        Some(match self {
            Teed::Exec(e) => RecordedRef::Exec(e),
            Teed::Sample(s) => RecordedRef::Sample(s),
        })
    }
}

/// A running tee; [`Tee::finish`] waits for it and returns the recorder.
pub struct Tee {
    handle: JoinHandle<Recorder>,
}

/// Record events as scenario `scenario` and forward them to `downstream` as
/// its own type. Pass the returned sender to `engine::start`.
pub fn tee<E>(
    recorder: Recorder,
    scenario: usize,
    downstream: Sender<E>,
) -> std::io::Result<(Sender<Teed>, Tee)>
where
    E: From<ExecEvent> + From<Snapshot> + Send + 'static,
{
    spawn(recorder, scenario, downstream, |event| match event {
        Teed::Exec(e) => E::from(e),
        Teed::Sample(s) => E::from(s),
    })
}

/// Record the recordable events of a consumer's own type and pass every
/// event on unchanged.
pub fn tee_same<E>(
    recorder: Recorder,
    scenario: usize,
    downstream: Sender<E>,
) -> std::io::Result<(Sender<E>, Tee)>
where
    E: Recordable + Send + 'static,
{
    spawn(recorder, scenario, downstream, |e| e)
}

fn spawn<In, Out>(
    recorder: Recorder,
    scenario: usize,
    downstream: Sender<Out>,
    forward: fn(In) -> Out,
) -> std::io::Result<(Sender<In>, Tee)>
where
    In: Recordable + Send + 'static,
    Out: Send + 'static,
{
    let (tx, rx) = channel::<In>();
    let handle = std::thread::Builder::new()
        .name("record".into())
        .spawn(move || pump(recorder, scenario, &rx, &downstream, forward))?;
    Ok((tx, Tee { handle }))
}

fn pump<In: Recordable, Out>(
    mut recorder: Recorder,
    scenario: usize,
    rx: &Receiver<In>,
    out: &Sender<Out>,
    forward: fn(In) -> Out,
) -> Recorder {
    while let Ok(event) = rx.recv() {
        if let Some(r) = event.recorded() {
            recorder.record(scenario, r);
        }
        if out.send(forward(event)).is_err() {
            break;
        }
    }
    recorder
}

impl Tee {
    /// Wait until every sender of the engine is gone (drop the engine first)
    /// and return the recorder for the next scenario or for `finish`.
    pub fn finish(self) -> Recorder {
        match self.handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}
