//! `iotour stats` for people and programs: two [`iotour_core::stats`]
//! samples become one [`report::StatsReport`] (output-only types, pure
//! arithmetic) → [`text`] for people or JSON for programs; [`live`] is the
//! dashboard on a terminal.

use std::time::Duration;

pub mod report;
pub mod text;

use report::StatsReport;

/// One snapshot: rates over `interval`, state at its end.
pub fn snapshot(interval: Duration, top: usize) -> StatsReport {
    let (first, second) = iotour_core::stats::sample_over(interval);
    StatsReport::between(&first, &second, top)
}
