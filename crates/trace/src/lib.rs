//! iotour-trace: the measurement core of `iotour trace`.
mod cachestat;
mod clock;
mod config;
mod emit;
mod error;
mod event;
mod procfs;
mod registry;
mod report;
mod sampler;
mod session;
pub mod syscall_table;

pub use config::{BackendChoice, FileFilter, Stdio, Target, TraceConfig};
pub use error::TraceError;
pub use event::{
    Backend, ExitStatus, PageState, SampleSource, SyscallEvent, ThreadCounters, TraceEvent,
};
pub use report::{FileReport, ThreadReport, Totals, TraceAccumulator, TraceReport};
