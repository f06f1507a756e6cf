//! iotour's front: the command line, the one App and its screens, the
//! widgets, and the output types. It never reads the kernel itself: every
//! figure arrives from [`iotour_core`] (the engine's events, a recording, an
//! inspection or a stats sample).
//!
//! Data flows one way: scenario file → `iotour_core::scenario::Plan` →
//! `iotour_core::engine` on a worker thread → measured events over a
//! channel → [`app`] state → [`ui`] widgets; [`report`] projects the
//! engine's outcomes into the JSON schema.

#[macro_use]
pub mod i18n;

pub mod app;
pub mod asciicast;
pub mod cli;
pub mod compare;
pub mod exit;
pub mod figures;
pub mod handout;
#[cfg(target_os = "linux")]
pub mod inspect;
pub mod plot;
pub mod record;
pub mod replay;
pub mod report;
pub mod sanitize;
#[cfg(target_os = "linux")]
pub mod stats;
pub mod tui;
pub mod ui;
