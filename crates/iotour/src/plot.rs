//! Pictures of recorded runs for handouts: `iotour report FILE --svg OUT.svg`.
//!
//! ```text
//!            scenario A                      scenario B        (a compare recording)
//!  ┌───────────────────────────────┐ ┌─────────────────────┐
//!  │ MiB over time: file dirty,    │ │ same axes as A      │   timeline, steps marked
//!  │ file writeback, system Dirty, │ │                     │   as dashed lines
//!  │ system Writeback  ┆1 write ┆2  │ │                     │
//!  ├───────────────────────────────┤ ├─────────────────────┤
//!  │ syscalls per step (measured)  │ │                     │   bars, one group per step
//!  ├───────────────────────────────┤ ├─────────────────────┤
//!  │ copied bytes: CPU / DMA       │ │                     │   (modeled)
//!  ├───────────────────────────────┤ ├─────────────────────┤
//!  │ faults: minor / major         │ │                     │   (measured)
//!  └───────────────────────────────┘ └─────────────────────┘
//! ```
//! `series` turns a [`Recording`](iotour_core::record::Recording) into plain
//! numbers (testable without drawing); `svg` draws them with plotters' SVG
//! backend, which needs no fonts or C libraries. Rows share their y range
//! across scenarios so the columns can be compared by eye.

pub mod series;
pub mod svg;

pub use series::RunSeries;

/// Why a picture could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("the recording has no scenario to draw")]
    Empty,
    #[error("drawing failed")]
    Draw(#[source] Box<dyn std::error::Error + Send + Sync>),
}
