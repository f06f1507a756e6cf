//! The stats screen's state: the latest report, and Dirty and Dirty +
//! Writeback over time against the thresholds. Samples arrive from the
//! `stats` producer thread; each one after the first becomes a report over
//! the window since the one before (pure arithmetic, no I/O here).

use std::collections::VecDeque;
use std::time::Duration;

use iotour_core::stats::sample::Sample;

use super::Effect;
use crate::stats::report::StatsReport;

/// Points kept for the chart: ten minutes at one sample a second.
pub const HISTORY: usize = 600;

/// One point of the chart, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub dirty_kb: u64,
    pub dirty_writeback_kb: u64,
}

/// How the screen samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsSetup {
    /// Time between samples (each window of rates).
    pub every: Duration,
    /// How many of the busiest writers to show.
    pub top: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatsState {
    /// Which sampler this screen listens to.
    pub epoch: u64,
    pub setup: StatsSetup,
    /// The reading the next report's rates start from.
    before: Option<Sample>,
    /// `None` until the first window has passed: there are no rates to show
    /// yet, and the screen says so instead of showing zeros.
    pub latest: Option<StatsReport>,
    /// Oldest first, one per report.
    pub history: VecDeque<Point>,
    /// Time of day of the latest sample.
    pub at: String,
    /// Why there are no samples (the sampler could not start).
    pub failure: Option<super::Failure>,
}

impl StatsState {
    /// The screen, listening to sampler `epoch`; the effect starts it.
    pub fn new(setup: StatsSetup, epoch: u64) -> (StatsState, Effect) {
        let state = StatsState {
            epoch,
            setup,
            before: None,
            latest: None,
            history: VecDeque::with_capacity(HISTORY),
            at: String::new(),
            failure: None,
        };
        (
            state,
            Effect::Stats {
                epoch,
                every: setup.every,
            },
        )
    }

    /// A reading of /proc from the sampler.
    pub fn sample(&mut self, sample: Sample, clock: String) {
        if let Some(before) = self.before.take() {
            let report = StatsReport::between(&before, &sample, self.setup.top);
            self.push(report);
        }
        self.before = Some(sample);
        self.at = clock;
    }

    /// A new report; its point joins the history (oldest dropped at [`HISTORY`]).
    pub fn push(&mut self, report: StatsReport) {
        if let (Some(d), Some(w)) = (report.dirty_kb, report.writeback_kb) {
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            self.history.push_back(Point {
                dirty_kb: d,
                dirty_writeback_kb: d + w,
            });
        }
        self.latest = Some(report);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stats::report::tests::samples;

    pub(crate) fn state() -> StatsState {
        let (a, b) = samples();
        let setup = StatsSetup {
            every: Duration::from_secs(1),
            top: 10,
        };
        let (mut s, _) = StatsState::new(setup, 1);
        s.sample(a, "08:59:59".into());
        assert!(s.latest.is_none(), "one sample has no rates yet");
        s.sample(b, "09:00:00".into());
        s
    }

    #[test]
    fn history_keeps_the_latest_points_only() {
        let mut s = state();
        assert_eq!(s.history.len(), 1);
        assert_eq!(
            s.history[0],
            Point {
                dirty_kb: 30_000,
                dirty_writeback_kb: 40_000
            }
        );
        let latest = s.latest.clone().unwrap();
        for i in 0..HISTORY as u64 {
            let mut r = latest.clone();
            r.dirty_kb = Some(i);
            s.push(r);
        }
        assert_eq!(s.history.len(), HISTORY);
        assert_eq!(s.history.back().unwrap().dirty_kb, HISTORY as u64 - 1);
        // An unknown figure leaves the history alone but is still the latest.
        let mut r = latest;
        r.dirty_kb = None;
        s.push(r);
        assert_eq!(s.history.len(), HISTORY);
        assert_eq!(s.latest.as_ref().unwrap().dirty_kb, None);
        assert_eq!(s.at, "09:00:00");
    }
}
