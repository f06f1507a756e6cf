//! The numbers a recording's pictures show: `series` turns a
//! [`Recording`](iotour_core::record::Recording) into plain numbers (page
//! state over time, step marks, per-step totals), testable without
//! drawing. The handout ([`crate::handout`]) draws them.

pub mod series;

pub use series::RunSeries;

/// Why a picture could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("the recording has no scenario to draw")]
    Empty,
    #[error("drawing failed")]
    Draw(#[source] Box<dyn std::error::Error + Send + Sync>),
}
