//! iotour: watch the Linux I/O path happen.
//!
//! Data flows one way: scenario file → [`scenario::Plan`] → [`engine`] on a
//! worker thread → measured events over a channel → app state → widgets.

pub mod app;
pub mod cli;
pub mod compare;
pub mod engine;
pub mod inspect;
pub mod model;
pub mod plot;
pub mod probe;
pub mod record;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod size;
pub mod stats;
pub mod tui;
pub mod ui;
