//! `start` and the [`Tracer`] handle: the threads of one trace and how they
//! end.
//!
//! ```text
//!  tracer thread (ptrace driver, or perf setup + leash) ──┐
//!  perf reader thread (perf only) ────────────────────────┤ TraceEvent
//!  sampler thread ────────────────────────────────────────┤
//!                                                          ▼
//!                         forwarder thread: TraceAccumulator::push, then
//!                         E::from(event) to the caller's Sender
//! ```
//! The forwarder ends when every producer has dropped its emitter; its
//! accumulator is the report `wait` returns, so the report is exactly the
//! fold of the events the caller saw.

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};

use crate::TraceError;
use crate::backend::{self, Job, Running};
use crate::clock::Epoch;
use crate::config::{Target, TraceConfig};
use crate::emit::Emitter;
use crate::event::{Backend, TraceEvent};
use crate::report::{TraceAccumulator, TraceReport};

/// A running trace. Dropping it stops the trace (kills a started command,
/// detaches from an attached process) and joins its threads.
pub struct Tracer {
    pid: i32,
    backend: Backend,
    own_child: bool,
    stop: Arc<AtomicBool>,
    waker: Option<OwnedFd>,
    pidfd: Option<OwnedFd>,
    emit: Option<Emitter>,
    thread: Option<JoinHandle<()>>,
    forwarder: Option<JoinHandle<TraceAccumulator>>,
}

/// Start tracing. Returns once the target runs under trace: a command has
/// exec'd (a command that cannot be exec'd is an error here), or every
/// thread of an attached process is traced. Events flow to `events` until
/// the trace ends; a closed receiver does not stop the trace.
#[allow(clippy::needless_pass_by_value)] // owned, as a caller hands it over; each backend attempt gets a copy
pub fn start<E: From<TraceEvent> + Send + 'static>(
    config: TraceConfig,
    events: Sender<E>,
) -> Result<Tracer, TraceError> {
    if let Target::Command { argv, .. } = &config.target
        && argv.is_empty()
    {
        return Err(TraceError::Config("the command is empty".into()));
    }
    let own_child = matches!(config.target, Target::Command { .. });
    let epoch = Epoch::now();
    let (tx, rx) = mpsc::channel::<TraceEvent>();
    let forwarder = thread::Builder::new()
        .name("iotour-trace-forward".into())
        .spawn(move || {
            let mut acc = TraceAccumulator::new();
            let mut open = true;
            // Take events in bursts: after each burst, sleep a millisecond
            // instead of parking on the channel, so a producer sending one
            // event per traced call does not pay a futex wake-up (and a
            // context switch on a 2-CPU machine) per call. Latency <= 1 ms.
            while let Ok(first) = rx.recv() {
                for ev in std::iter::once(first).chain(rx.try_iter()) {
                    acc.push(&ev);
                    if open {
                        open = events.send(E::from(ev)).is_ok();
                    }
                }
                thread::sleep(std::time::Duration::from_millis(1));
            }
            acc
        })
        .map_err(|e| TraceError::os("spawn the forwarder thread", e))?;
    let emit = Emitter::new(tx, epoch);
    let stop = Arc::new(AtomicBool::new(false));
    let mut notes = Vec::new();
    let mut order = backend::choose::order(config.backend, &mut notes)?;
    let mut last_err = None;
    while let Some(backend) = order.pop_front() {
        let (ready, ready_rx) = mpsc::sync_channel(1);
        let job = Job {
            config: config.clone(),
            emit: emit.clone(),
            notes: notes.clone(),
            ready,
            stop: stop.clone(),
        };
        let name = match backend {
            Backend::Perf => "iotour-trace-perf",
            Backend::Ptrace => "iotour-trace-ptrace",
        };
        let handle = thread::Builder::new()
            .name(name.into())
            .spawn(move || match backend {
                Backend::Perf => backend::perf::run(&job),
                Backend::Ptrace => backend::ptrace::run(&job),
            })
            .map_err(|e| TraceError::os("spawn the tracer thread", e))?;
        match ready_rx.recv() {
            Ok(Ok(Running { pid, waker, pidfd })) => {
                return Ok(Tracer {
                    pid,
                    backend,
                    own_child,
                    stop,
                    waker,
                    pidfd,
                    emit: Some(emit),
                    thread: Some(handle),
                    forwarder: Some(forwarder),
                });
            }
            Ok(Err(e)) => {
                let _ = handle.join();
                // Auto falls back when perf turns out unusable for this
                // target; the reason goes into the notes.
                if let TraceError::BackendUnavailable { backend, why } = &e
                    && !order.is_empty()
                {
                    notes.push(format!("{backend} not used: {why}"));
                    last_err = Some(e);
                    continue;
                }
                drop(emit);
                let _ = forwarder.join();
                return Err(e);
            }
            Err(_) => {
                let _ = handle.join();
                drop(emit);
                let _ = forwarder.join();
                return Err(TraceError::ThreadDied(name));
            }
        }
    }
    drop(emit);
    let _ = forwarder.join();
    Err(last_err.unwrap_or_else(|| TraceError::Config("no backend to try".into())))
}

impl Tracer {
    /// The traced process (the started command, or the attached pid).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Wait for the program to end (every traced task gone) and return the
    /// report.
    pub fn wait(mut self) -> Result<TraceReport, TraceError> {
        self.join()
    }

    /// Stop tracing now: kill a started command (and every task it started),
    /// or detach from an attached process, which runs on untraced. Returns
    /// the report so far; unlike the first sketch of this API it hands the
    /// report back, because an interrupted trace (Ctrl-C) is still worth
    /// showing.
    pub fn stop(mut self) -> Result<TraceReport, TraceError> {
        self.request_stop();
        self.join()
    }

    fn request_stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if self.own_child
            && let Some(pidfd) = &self.pidfd
        {
            crate::spawn::kill(pidfd);
        }
        // Closing the waker's pipe makes the tracer thread's waitpid return.
        self.waker.take();
    }

    fn join(&mut self) -> Result<TraceReport, TraceError> {
        let panicked = self.thread.take().is_some_and(|h| h.join().is_err());
        if let Some(emit) = self.emit.take()
            && panicked
        {
            emit.send(TraceEvent::Failed {
                error: "the tracer thread panicked".into(),
                at: emit.now(),
            });
        }
        self.waker.take();
        let acc = self
            .forwarder
            .take()
            .ok_or(TraceError::ThreadDied("iotour-trace-forward"))?
            .join()
            .map_err(|_| TraceError::ThreadDied("iotour-trace-forward"))?;
        Ok(acc.report())
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.request_stop();
            let _ = self.join();
        }
    }
}
