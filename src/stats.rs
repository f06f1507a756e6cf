//! `iotour stats`: the system's dirty-page state, for the question "why are
//! my writes stalling?".
//!
//! Two [`sample::Sample`]s of /proc, `interval` apart, become one
//! [`report::StatsReport`] (output-only types, pure arithmetic, tested on
//! fixed samples) → [`text`] for people or JSON for programs.

use std::time::Duration;

pub mod live;
pub mod pressure;
pub mod procio;
pub mod report;
pub mod sample;
pub mod text;

use report::StatsReport;
use sample::Sample;

/// One snapshot: rates over `interval`, state at its end.
pub fn snapshot(interval: Duration, top: usize) -> StatsReport {
    let first = Sample::read();
    std::thread::sleep(interval);
    let second = Sample::read();
    StatsReport::between(&first, &second, top)
}
