//! The system's dirty-page state, for `iotour stats` and the question "why
//! are my writes stalling?": one [`sample::Sample`] reads /proc/meminfo,
//! /proc/vmstat, the vm.dirty_* settings, /proc/pressure/io and every
//! process's /proc/PID/io at one moment. The front turns two samples into
//! rates and distances to the thresholds (pure arithmetic, tested on samples
//! made up by hand).

use std::time::Duration;

pub mod pressure;
pub mod procio;
pub mod sample;

use sample::Sample;

/// Two samples `interval` apart: the rates of a one-off `iotour stats`.
pub fn sample_over(interval: Duration) -> (Sample, Sample) {
    let mut names = procio::Names::default();
    let first = Sample::read(&mut names);
    std::thread::sleep(interval);
    (first, Sample::read(&mut names))
}
