//! iotour: watch the Linux I/O path happen.
//!
//! Data flows one way: scenario file → [`scenario::Plan`] → [`engine`] on a
//! worker thread → measured events over a channel → app state → widgets.
//!
//! Platform boundary: the engine's worker and sampler, the per-thread probes,
//! `inspect`, `stats` and the subcommands that run scenarios are Linux-only
//! (`cfg(target_os = "linux")`); the scenario format, the event and report
//! types, recordings, `replay`, `report` (SVG) and the TUI's views build on
//! any Unix (`cargo check --target x86_64-apple-darwin`).

pub mod app;
pub mod cli;
pub mod compare;
pub mod engine;
#[cfg(target_os = "linux")]
pub mod inspect;
pub mod model;
pub mod plot;
pub mod probe;
pub mod record;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod size;
#[cfg(target_os = "linux")]
pub mod stats;
pub mod tui;
pub mod ui;
