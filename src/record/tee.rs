//! [`tee`]: a thread between the engine and its consumer that records every
//! event and passes it on unchanged, so the headless run, `compare` and the
//! TUI record the same way without knowing about it.
//!
//! ```text
//! engine ──Sender<Teed>──► thread `record` ──► Recorder (file)
//!                                 └──────────► Sender<E> (consumer)
//! ```
//! The thread ends when the engine drops its senders (the run is over) or the
//! consumer hangs up; then the engine's next send fails and it stops too.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use super::{Recorded, Recorder};
use crate::engine::{ExecEvent, Sample};

/// What the engine sends into a tee.
pub struct Teed(Recorded);

impl From<ExecEvent> for Teed {
    fn from(e: ExecEvent) -> Self {
        Teed(Recorded::Exec(Box::new(e)))
    }
}

impl From<Sample> for Teed {
    fn from(s: Sample) -> Self {
        Teed(Recorded::Sample(s))
    }
}

/// A running tee; [`Tee::finish`] waits for it and returns the recorder.
pub struct Tee {
    handle: JoinHandle<Recorder>,
}

/// Start a tee recording events as scenario `scenario` and forwarding them to
/// `downstream`. Pass the returned sender to `engine::start`.
pub fn tee<E>(
    recorder: Recorder,
    scenario: usize,
    downstream: Sender<E>,
) -> std::io::Result<(Sender<Teed>, Tee)>
where
    E: From<ExecEvent> + From<Sample> + Send + 'static,
{
    let (tx, rx) = channel::<Teed>();
    let handle = std::thread::Builder::new()
        .name("record".into())
        .spawn(move || pump(recorder, scenario, &rx, &downstream))?;
    Ok((tx, Tee { handle }))
}

fn pump<E>(
    mut recorder: Recorder,
    scenario: usize,
    rx: &Receiver<Teed>,
    out: &Sender<E>,
) -> Recorder
where
    E: From<ExecEvent> + From<Sample>,
{
    while let Ok(Teed(event)) = rx.recv() {
        recorder.record(scenario, &event);
        let sent = match event {
            Recorded::Exec(e) => out.send(E::from(*e)),
            Recorded::Sample(s) => out.send(E::from(s)),
        };
        if sent.is_err() {
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
