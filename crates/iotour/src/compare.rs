//! Two or more runs side by side: each scenario's totals over its steps and
//! the ratio of each total to the first scenario's (B/A).
//!
//! Every total says where it comes from ([`Kind`]): read from the kernel
//! (`measured`), from the op's copy path (`modeled`), or computed from both
//! the scenario and a measurement (`derived`: throughput). A total is unknown
//! (`None`, JSON `null`) when any step's figure is; a ratio is unknown when
//! either side is, or when the first scenario's total is 0.

use serde::Serialize;
use serde::ser::SerializeMap;

use iotour_core::model::CopyKind;
use iotour_core::outcome::{RunOutcome, StepOutcome};
use iotour_core::scenario::{Catalog, Op, Plan};

pub mod table;

/// Where a figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Measured,
    Modeled,
    Derived,
}

/// One total of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    Syscalls,
    ModeSwitches,
    VoluntaryCtxSwitches,
    InvoluntaryCtxSwitches,
    MinorFaults,
    MajorFaults,
    CpuCopyBytes,
    DmaCopyBytes,
    Wchar,
    Rchar,
    WriteBytes,
    ReadBytes,
    DurationNs,
    /// Bytes the scenario's ops move (write, read, send…) per second of
    /// measured step time.
    ThroughputBytesPerSec,
}

impl Figure {
    pub const ALL: [Figure; 14] = [
        Figure::Syscalls,
        Figure::ModeSwitches,
        Figure::VoluntaryCtxSwitches,
        Figure::InvoluntaryCtxSwitches,
        Figure::MinorFaults,
        Figure::MajorFaults,
        Figure::CpuCopyBytes,
        Figure::DmaCopyBytes,
        Figure::Wchar,
        Figure::Rchar,
        Figure::WriteBytes,
        Figure::ReadBytes,
        Figure::DurationNs,
        Figure::ThroughputBytesPerSec,
    ];

    /// The JSON key.
    pub fn key(self) -> &'static str {
        match self {
            Figure::Syscalls => "syscalls",
            Figure::ModeSwitches => "mode_switches",
            Figure::VoluntaryCtxSwitches => "voluntary_ctx_switches",
            Figure::InvoluntaryCtxSwitches => "involuntary_ctx_switches",
            Figure::MinorFaults => "minor_faults",
            Figure::MajorFaults => "major_faults",
            Figure::CpuCopyBytes => "cpu_copy_bytes",
            Figure::DmaCopyBytes => "dma_copy_bytes",
            Figure::Wchar => "wchar",
            Figure::Rchar => "rchar",
            Figure::WriteBytes => "write_bytes",
            Figure::ReadBytes => "read_bytes",
            Figure::DurationNs => "duration_ns",
            Figure::ThroughputBytesPerSec => "throughput_bytes_per_sec",
        }
    }

    /// The table's row label.
    pub fn label(self) -> &'static str {
        match self {
            Figure::Syscalls => "syscalls",
            Figure::ModeSwitches => "mode switches",
            Figure::VoluntaryCtxSwitches => "voluntary ctx switches",
            Figure::InvoluntaryCtxSwitches => "involuntary ctx switches",
            Figure::MinorFaults => "minor faults",
            Figure::MajorFaults => "major faults",
            Figure::CpuCopyBytes => "CPU-copied bytes",
            Figure::DmaCopyBytes => "DMA bytes",
            Figure::Wchar => "wchar",
            Figure::Rchar => "rchar",
            Figure::WriteBytes => "write_bytes (disk)",
            Figure::ReadBytes => "read_bytes (disk)",
            Figure::DurationNs => "time",
            Figure::ThroughputBytesPerSec => "throughput",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Figure::ModeSwitches | Figure::CpuCopyBytes | Figure::DmaCopyBytes => Kind::Modeled,
            Figure::ThroughputBytesPerSec => Kind::Derived,
            _ => Kind::Measured,
        }
    }

    /// This figure of one step (`None`: unknown). Not for throughput, which
    /// is a whole-run figure.
    fn of_step(self, s: &StepOutcome) -> Option<u64> {
        let m = &s.measured;
        match self {
            Figure::Syscalls => m.syscalls,
            Figure::ModeSwitches => s.modeled.mode_switches,
            Figure::VoluntaryCtxSwitches => m.voluntary_ctx_switches,
            Figure::InvoluntaryCtxSwitches => m.involuntary_ctx_switches,
            Figure::MinorFaults => m.minor_faults,
            Figure::MajorFaults => m.major_faults,
            Figure::CpuCopyBytes => s.modeled.copy_totals(CopyKind::Cpu).map(|t| t.1),
            Figure::DmaCopyBytes => s.modeled.copy_totals(CopyKind::Dma).map(|t| t.1),
            Figure::Wchar => m.wchar,
            Figure::Rchar => m.rchar,
            Figure::WriteBytes => m.write_bytes,
            Figure::ReadBytes => m.read_bytes,
            Figure::DurationNs => s.duration_ns,
            Figure::ThroughputBytesPerSec => None,
        }
    }
}

/// A value per [`Figure`], in [`Figure::ALL`] order; serialized as a JSON
/// object keyed by [`Figure::key`].
#[derive(Debug, Clone, PartialEq)]
pub struct PerFigure<T>(pub Vec<T>);

impl<T: Copy> PerFigure<T> {
    pub fn get(&self, f: Figure) -> T {
        let i = Figure::ALL.iter().position(|x| *x == f).unwrap_or(0);
        self.0[i]
    }
}

impl<T: Serialize> Serialize for PerFigure<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (f, v) in Figure::ALL.iter().zip(&self.0) {
            map.serialize_entry(f.key(), v)?;
        }
        map.end()
    }
}

/// Bytes the scenario's ops move through their main path (from the plan).
pub fn payload_bytes(plan: &Plan) -> Option<u64> {
    let total: u64 = plan
        .steps()
        .iter()
        .map(|s| match &s.op {
            Op::Write(o) => o.bytes.get(),
            Op::BufferedWrite(o) => o.bytes.get(),
            Op::Pwrite(o) => o.bytes.get(),
            Op::Read(o) => o.bytes.get(),
            Op::Send(o) => o.bytes.get(),
            _ => 0,
        })
        .sum();
    (total > 0).then_some(total)
}

/// Each figure summed over the run's steps; unknown when any step's is.
pub fn totals(report: &RunOutcome, payload: Option<u64>) -> PerFigure<Option<u64>> {
    let sum = |f: Figure| -> Option<u64> {
        report
            .steps
            .iter()
            .map(|s| f.of_step(s))
            .try_fold(0u64, |acc, v| Some(acc.saturating_add(v?)))
    };
    PerFigure(
        Figure::ALL
            .iter()
            .map(|&f| match f {
                Figure::ThroughputBytesPerSec => {
                    let ns = sum(Figure::DurationNs).filter(|&ns| ns > 0)?;
                    Some((u128::from(payload?) * 1_000_000_000 / u128::from(ns)) as u64)
                }
                _ => sum(f),
            })
            .collect(),
    )
}

/// `b / a`; unknown when either is, or when `a` is 0.
pub fn ratio(a: Option<u64>, b: Option<u64>) -> Option<f64> {
    match (a?, b?) {
        (0, _) => None,
        (a, b) => Some(b as f64 / a as f64),
    }
}

/// One scenario of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioTotals {
    pub id: String,
    pub title: String,
    /// Every step ran and every expectation held.
    pub ok: bool,
    /// Bytes the scenario's ops move, from the scenario file.
    pub payload_bytes: Option<u64>,
    pub totals: PerFigure<Option<u64>>,
}

/// One scenario's totals divided by the first's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratios {
    pub id: String,
    /// The scenario divided by (the first one).
    pub base: String,
    pub values: PerFigure<Option<f64>>,
}

/// What `compare --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub scenarios: Vec<ScenarioTotals>,
    /// One entry per scenario after the first.
    pub ratios: Vec<Ratios>,
    /// `measured`, `modeled` or `derived`, per figure.
    pub kinds: PerFigure<Kind>,
}

impl Comparison {
    /// Compare finished runs, each with the plan it ran, in run order.
    pub fn new(runs: &[(RunOutcome, Plan)]) -> Comparison {
        let scenarios: Vec<ScenarioTotals> = runs
            .iter()
            .map(|(report, plan)| {
                let payload = payload_bytes(plan);
                ScenarioTotals {
                    id: report.scenario.clone(),
                    title: report.title.clone(),
                    ok: report.ok,
                    payload_bytes: payload,
                    totals: totals(report, payload),
                }
            })
            .collect();
        let ratios = match scenarios.split_first() {
            Some((base, rest)) => rest
                .iter()
                .map(|s| Ratios {
                    id: s.id.clone(),
                    base: base.id.clone(),
                    values: PerFigure(
                        Figure::ALL
                            .iter()
                            .map(|&f| ratio(base.totals.get(f), s.totals.get(f)))
                            .collect(),
                    ),
                })
                .collect(),
            None => Vec::new(),
        };
        Comparison {
            scenarios,
            ratios,
            kinds: PerFigure(Figure::ALL.iter().map(|f| f.kind()).collect()),
        }
    }

    pub fn ok(&self) -> bool {
        self.scenarios.iter().all(|s| s.ok)
    }
}

/// A comparison worth showing: the same job done two (or more) ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub ids: &'static [&'static str],
    /// What the comparison shows, in one line.
    pub point: &'static str,
}

/// Every pair we would offer, whether or not its scenarios exist yet.
const PAIRS: [Pair; 3] = [
    Pair {
        ids: &["unbuffered-write", "buffered-write"],
        point: "same bytes, far fewer syscalls and mode switches",
    },
    Pair {
        ids: &["read-and-send", "sendfile-zero-copy"],
        point: "four copies versus two: the CPU copies disappear",
    },
    Pair {
        ids: &["write-through", "write-then-fsync"],
        point: "O_SYNC waits on every write; one fsync waits once",
    },
];

/// The pairs whose scenarios are all in `catalog` (and parse): what a picker
/// offers.
pub fn suggested_pairs(catalog: &Catalog) -> Vec<Pair> {
    PAIRS
        .iter()
        .filter(|p| {
            p.ids
                .iter()
                .all(|id| catalog.get(id).is_some_and(|e| e.plan.is_ok()))
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests;
