//! iotour's core: everything that reads scenarios and the kernel, and nothing
//! that draws. It depends on no terminal crate, so the engine, the probes and
//! the model cannot reach a screen by accident.
//!
//! ```text
//! scenario file ──scenario::parse──► scenario::Plan (validated, immutable)
//!        │
//!        ▼
//! engine::start: worker thread `exec` (real syscalls, probe::thread around
//!        │       every slice) + thread `sampler` (probe::pages, probe::system)
//!        ▼
//! engine::ExecEvent / engine::Snapshot ──► one channel of the consumer's events
//!        │                                 (the front's App, a headless run)
//!        └──► record (JSON Lines) ──► replay (the same events, from a file)
//!
//! a real program ──trace (the iotour-trace crate: perf or ptrace)──►
//!        trace::TraceEvent over the same kind of channel ──► record, replay
//! ```
//! - [`outcome`]: what a run produced (readings, the model's figures,
//!   verdicts), as the engine reports it.
//! - [`model`]: each op's copy path and mode switches, labelled modeled.
//! - [`inspect`] and [`stats`]: page-cache state of any file and the
//!   system's dirty-page state, for the front's `inspect` and `stats`.
//! - [`machine`]: OS, kernel, CPUs and memory (through sysinfo, so it also
//!   describes a machine that only replays).
//!
//! Platform boundary: the engine's worker and sampler, the per-thread probes,
//! `inspect` and `stats` are Linux-only (`cfg(target_os = "linux")`); the
//! scenario format, the event and outcome types, recordings and replay build
//! on any Unix.

pub mod assets;
pub mod cast;
pub mod engine;
#[cfg(target_os = "linux")]
pub mod inspect;
pub mod machine;
pub mod model;
pub mod outcome;
pub mod probe;
pub mod record;
pub mod replay;
pub mod scenario;
pub mod size;
#[cfg(target_os = "linux")]
pub mod stats;
/// Tracing any program's I/O path (perf and ptrace backends): the
/// `iotour-trace` crate, kept separate so its unsafe-heavy kernel interfaces
/// build and test on their own.
#[cfg(target_os = "linux")]
pub use iotour_trace as trace;
