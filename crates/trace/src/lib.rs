//! iotour-trace: the measurement core of `iotour trace`.
mod backend;
mod cachestat;
mod clock;
mod config;
mod emit;
mod error;
mod event;
mod perf;
mod procfs;
mod ptrace;
mod registry;
mod report;
mod sampler;
mod seccomp;
mod session;
mod spawn;
pub mod syscall_table;
mod tracer;

pub use config::{BackendChoice, FileFilter, Stdio, Target, TraceConfig};
pub use error::TraceError;
pub use event::{
    Backend, ExitStatus, PageState, SampleSource, SyscallEvent, ThreadCounters, TraceEvent,
};
pub use report::{FileReport, ThreadReport, Totals, TraceAccumulator, TraceReport};
pub use tracer::{Tracer, start};
