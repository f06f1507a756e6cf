//! What the charts plot: the sampler's readings over time (file dirty pages,
//! system Dirty and Writeback and the kernel's thresholds).

use std::collections::VecDeque;
use std::time::Duration;

use iotour_core::engine::Snapshot;
use iotour_core::probe::system::SystemMem;

/// Two minutes at 20 Hz: the chart shows the newest part that fits.
const KEEP: usize = 2400;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: Duration,
    pub file_dirty_pages: Option<u64>,
    pub file_writeback_pages: Option<u64>,
    pub system_dirty_kb: Option<u64>,
    pub system_writeback_kb: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub points: VecDeque<Point>,
    /// The latest system reading, for the threshold lines.
    pub system: Option<SystemMem>,
}

impl History {
    pub fn record(&mut self, s: &Snapshot) {
        let totals = s.file.as_ref().map(|m| m.totals);
        self.points.push_back(Point {
            at: s.at,
            file_dirty_pages: totals.and_then(|t| t.dirty),
            file_writeback_pages: totals.and_then(|t| t.writeback),
            system_dirty_kb: s.system.dirty_kb,
            system_writeback_kb: s.system.writeback_kb,
        });
        if self.points.len() > KEEP {
            self.points.pop_front();
        }
        self.system = Some(s.system);
    }
}
