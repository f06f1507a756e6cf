//! The numbers a picture shows, taken from a recording: page-state points
//! over time, where each step starts, and each step's totals.
//!
//! Points come from the sampler's readings and from each step's state after
//! it ran (a headless run at full speed may be over between two samples).
//! An unknown figure stays `None` and is not drawn.

use iotour_core::engine::ExecEvent;
use iotour_core::model::{CopyKind, totals};
use iotour_core::outcome::StepOutcome;
use iotour_core::record::{Recorded, Recording};

const MIB: f64 = 1024.0 * 1024.0;

/// Page state at one moment, in MiB.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    /// Milliseconds since the run began.
    pub ms: f64,
    pub file_dirty: Option<f64>,
    pub file_writeback: Option<f64>,
    pub system_dirty: Option<f64>,
    pub system_writeback: Option<f64>,
}

/// Where a step begins on the time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct StepMark {
    pub index: usize,
    pub op: String,
    pub ms: f64,
}

/// One step's totals, for the bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StepBars {
    pub syscalls: Option<u64>,
    pub cpu_bytes: u64,
    pub dma_bytes: u64,
    pub minor_faults: Option<u64>,
    pub major_faults: Option<u64>,
}

/// Everything drawn for one scenario of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSeries {
    pub id: String,
    pub points: Vec<Point>,
    pub steps: Vec<StepMark>,
    /// Per step, in step order (`index` = position + 1).
    pub bars: Vec<StepBars>,
}

impl RunSeries {
    /// The series of scenario `index` of `rec`.
    pub fn from_recording(rec: &Recording, index: usize) -> RunSeries {
        let page = rec.header.page_size.unwrap_or(4096) as f64;
        let pages = |p: Option<u64>| p.map(|p| p as f64 * page / MIB);
        let kib = |k: Option<u64>| k.map(|k| k as f64 / 1024.0);
        let mut points = Vec::new();
        let mut steps = Vec::new();
        let mut done: Vec<StepOutcome> = Vec::new();
        for line in rec.scenario_lines(index) {
            let ms = line.at.as_secs_f64() * 1e3;
            match &line.event {
                Recorded::Sample(s) => points.push(Point {
                    ms,
                    file_dirty: s.file.as_ref().and_then(|f| pages(f.totals.dirty)),
                    file_writeback: s.file.as_ref().and_then(|f| pages(f.totals.writeback)),
                    system_dirty: kib(s.system.dirty_kb),
                    system_writeback: kib(s.system.writeback_kb),
                }),
                Recorded::Exec(e) => match &**e {
                    ExecEvent::StepStarted { index, .. } => steps.push(StepMark {
                        index: *index,
                        op: String::new(),
                        ms,
                    }),
                    ExecEvent::StepDone(r) => {
                        let m = &r.measured;
                        points.push(Point {
                            ms,
                            file_dirty: pages(m.file_dirty_pages),
                            file_writeback: pages(m.file_writeback_pages),
                            system_dirty: kib(m.system_dirty_kb),
                            system_writeback: kib(m.system_writeback_kb),
                        });
                        done.push(r.clone());
                    }
                    _ => {}
                },
                // A trace recording's lines have no scenario to plot here.
                #[cfg(target_os = "linux")]
                Recorded::Trace(_) => {}
            }
        }
        points.sort_by(|a, b| a.ms.total_cmp(&b.ms));
        for mark in &mut steps {
            if let Some(r) = done.iter().find(|r| r.index == mark.index) {
                mark.op.clone_from(&r.op);
            }
        }
        let bars = done.iter().map(bars_of).collect();
        RunSeries {
            id: rec.header.scenarios.get(index).cloned().unwrap_or_default(),
            points,
            steps,
            bars,
        }
    }

    /// Milliseconds from 0 to the last point or step mark.
    pub fn duration_ms(&self) -> f64 {
        let last_point = self.points.last().map_or(0.0, |p| p.ms);
        let last_step = self.steps.last().map_or(0.0, |s| s.ms);
        last_point.max(last_step)
    }

    /// The largest MiB of the file's series (dirty, writeback).
    pub fn max_file_mib(&self) -> f64 {
        self.points
            .iter()
            .flat_map(|p| [p.file_dirty, p.file_writeback])
            .flatten()
            .fold(0.0, f64::max)
    }

    /// The largest MiB of the system's series (Dirty, Writeback).
    pub fn max_system_mib(&self) -> f64 {
        self.points
            .iter()
            .flat_map(|p| [p.system_dirty, p.system_writeback])
            .flatten()
            .fold(0.0, f64::max)
    }
}

fn bars_of(r: &StepOutcome) -> StepBars {
    StepBars {
        syscalls: r.measured.syscalls,
        cpu_bytes: totals(&r.modeled.copies, CopyKind::Cpu).1,
        dma_bytes: totals(&r.modeled.copies, CopyKind::Dma).1,
        minor_faults: r.measured.minor_faults,
        major_faults: r.measured.major_faults,
    }
}
