//! The two ways to trace, and the choice between them.

pub(crate) mod choose;
pub(crate) mod perf;
pub(crate) mod ptrace;

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::SyncSender;

use crate::TraceError;
use crate::config::TraceConfig;
use crate::emit::Emitter;

/// What a backend's tracer thread hands back once the target runs under
/// trace (or why it could not get there).
pub(crate) struct Running {
    pub pid: i32,
    /// Attach mode: closing this wakes the tracer thread to detach.
    pub waker: Option<OwnedFd>,
    /// Command mode: a pidfd of the child, so that a stop request can kill
    /// it without racing a reap and a reuse of its pid.
    pub pidfd: Option<OwnedFd>,
}

/// Everything a backend's tracer thread needs.
pub(crate) struct Job {
    pub config: TraceConfig,
    pub emit: Emitter,
    /// Why this backend was chosen (goes into Started's notes).
    pub notes: Vec<String>,
    pub ready: SyncSender<Result<Running, TraceError>>,
    pub stop: Arc<AtomicBool>,
}
