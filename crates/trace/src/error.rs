//! The one error type of the trace layer.

use std::io;

/// Why a trace could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The command could not be found or started.
    #[error("cannot run {program}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    /// The requested backend cannot trace this target; the text says why and
    /// what would allow it.
    #[error("the {backend} backend is not available: {why}")]
    BackendUnavailable { backend: &'static str, why: String },
    /// Attaching to a running process was refused; the text names the reason.
    #[error("cannot attach to pid {pid}: {why}")]
    Attach { pid: i32, why: String },
    /// A system call the tracer itself needs failed.
    #[error("{what}")]
    Os {
        what: String,
        #[source]
        source: io::Error,
    },
    /// A tracer thread ended without handing back its result.
    #[error("tracer thread {0} died")]
    ThreadDied(&'static str),
    /// The configuration cannot be used as given.
    #[error("invalid trace config: {0}")]
    Config(String),
}

impl TraceError {
    /// An OS error from the last failed libc call, with what was being done.
    pub(crate) fn last_os(what: impl Into<String>) -> TraceError {
        TraceError::Os {
            what: what.into(),
            source: io::Error::last_os_error(),
        }
    }

    pub(crate) fn os(what: impl Into<String>, source: io::Error) -> TraceError {
        TraceError::Os {
            what: what.into(),
            source,
        }
    }
}
