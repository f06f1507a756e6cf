//! Output-only types: what `run --json` prints, projected from the engine's
//! [`RunOutcome`] with `From`.
//!
//! The JSON schema lives here and nowhere else: renaming a field breaks
//! users' scripts, so a field changes only by editing this file (the engine's
//! own types, and the recording format built on them, can change without
//! touching it). A figure that could not be measured is `null`, never 0.

use serde::Serialize;

use iotour_core::model::{CopyKind, Place, Transfer};
use iotour_core::outcome::{
    Environment, Modeled, Readings, RunOutcome, Sources, StepOutcome, Verdict,
};

pub mod json;
pub mod table;
#[cfg(target_os = "linux")]
pub mod trace;

/// The whole result of one scenario run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// The scenario id (file stem).
    pub scenario: String,
    pub title: String,
    pub environment: EnvironmentReport,
    pub steps: Vec<StepReport>,
    /// Every step ran and every expectation held.
    pub ok: bool,
}

/// Facts about the machine and the measurement sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentReport {
    pub iotour_version: String,
    pub kernel: String,
    pub page_size: u64,
    pub workdir: String,
    pub filesystem: String,
    pub sources: SourcesReport,
}

/// Which kernel interface each family of figures came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourcesReport {
    pub syscalls: String,
    pub faults: String,
    /// `perf` (faults taken in user mode, counted) or `modeled`.
    pub user_faults: String,
    pub ctx_switches: String,
    pub io: String,
    pub pages: String,
    pub system: String,
    pub notes: Vec<String>,
}

/// One step: what it measured, what the model says, how each expectation went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    pub index: usize,
    pub op: String,
    pub say: Option<String>,
    pub duration_ns: Option<u64>,
    pub measured: MeasuredReport,
    pub modeled: ModeledReport,
    pub expect: Vec<ExpectReport>,
    pub error: Option<String>,
}

/// Figures read from the kernel; the page and system figures are the state
/// after the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MeasuredReport {
    pub duration_ns: Option<u64>,
    pub syscalls: Option<u64>,
    pub voluntary_ctx_switches: Option<u64>,
    pub involuntary_ctx_switches: Option<u64>,
    pub minor_faults: Option<u64>,
    pub major_faults: Option<u64>,
    /// Faults taken in user mode (see `sources.user_faults`).
    pub user_faults: Option<u64>,
    pub rchar: Option<u64>,
    pub wchar: Option<u64>,
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
    pub file_cached_pages: Option<u64>,
    pub file_dirty_pages: Option<u64>,
    pub file_writeback_pages: Option<u64>,
    pub system_dirty_kb: Option<u64>,
    pub system_writeback_kb: Option<u64>,
    pub rss_kb: Option<u64>,
    /// Bytes the block layer was asked to write into the file's blocks (root).
    pub disk_write_bytes: Option<u64>,
    /// ... and by the filesystem's journal thread (the whole filesystem's).
    pub journal_write_bytes: Option<u64>,
}

/// Figures of the op's copy path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeledReport {
    pub mode_switches: Option<u64>,
    pub copies: Vec<CopyReport>,
    /// Kinds of an edge whose bytes could not be sized: unknown, not 0.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsized_kinds: Vec<&'static str>,
    pub notes: Vec<String>,
}

/// One edge of the data path with the bytes it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub from: &'static str,
    pub to: &'static str,
    pub kind: &'static str,
    pub bytes: u64,
}

/// One expectation: its figure, its rule, what was measured, whether it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectReport {
    pub key: String,
    pub rule: String,
    pub actual: Option<u64>,
    pub ok: bool,
    /// A machine-dependent claim: when `ok` is false it was not seen this
    /// time, which does not fail the run.
    pub soft: bool,
    /// Why a soft claim may not be seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl From<&RunOutcome> for RunReport {
    fn from(r: &RunOutcome) -> Self {
        RunReport {
            scenario: r.scenario.clone(),
            title: r.title.clone(),
            environment: (&r.environment).into(),
            steps: r.steps.iter().map(StepReport::from).collect(),
            ok: r.ok,
        }
    }
}

impl From<&Environment> for EnvironmentReport {
    fn from(e: &Environment) -> Self {
        EnvironmentReport {
            iotour_version: e.iotour_version.clone(),
            kernel: e.kernel.clone(),
            page_size: e.page_size,
            workdir: e.workdir.clone(),
            filesystem: e.filesystem.clone(),
            sources: (&e.sources).into(),
        }
    }
}

impl From<&Sources> for SourcesReport {
    fn from(s: &Sources) -> Self {
        SourcesReport {
            syscalls: s.syscalls.clone(),
            faults: s.faults.clone(),
            user_faults: s.user_faults.clone(),
            ctx_switches: s.ctx_switches.clone(),
            io: s.io.clone(),
            pages: s.pages.clone(),
            system: s.system.clone(),
            notes: s.notes.clone(),
        }
    }
}

impl From<&StepOutcome> for StepReport {
    fn from(s: &StepOutcome) -> Self {
        StepReport {
            index: s.index,
            op: s.op.clone(),
            say: s.say.clone(),
            duration_ns: s.duration_ns,
            measured: (&s.measured).into(),
            modeled: (&s.modeled).into(),
            expect: s.expect.iter().map(ExpectReport::from).collect(),
            error: s.error.clone(),
        }
    }
}

impl From<&Readings> for MeasuredReport {
    fn from(m: &Readings) -> Self {
        MeasuredReport {
            duration_ns: m.duration_ns,
            syscalls: m.syscalls,
            voluntary_ctx_switches: m.voluntary_ctx_switches,
            involuntary_ctx_switches: m.involuntary_ctx_switches,
            minor_faults: m.minor_faults,
            major_faults: m.major_faults,
            user_faults: m.user_faults,
            rchar: m.rchar,
            wchar: m.wchar,
            read_bytes: m.read_bytes,
            write_bytes: m.write_bytes,
            file_cached_pages: m.file_cached_pages,
            file_dirty_pages: m.file_dirty_pages,
            file_writeback_pages: m.file_writeback_pages,
            system_dirty_kb: m.system_dirty_kb,
            system_writeback_kb: m.system_writeback_kb,
            rss_kb: m.rss_kb,
            disk_write_bytes: m.disk_write_bytes,
            journal_write_bytes: m.journal_write_bytes,
        }
    }
}

fn kind_name(k: CopyKind) -> &'static str {
    match k {
        CopyKind::Cpu => "cpu",
        CopyKind::Dma => "dma",
    }
}

fn place_name(p: Place) -> &'static str {
    p.as_str()
}

impl From<&Modeled> for ModeledReport {
    fn from(m: &Modeled) -> Self {
        ModeledReport {
            mode_switches: m.mode_switches,
            copies: m.copies.iter().map(CopyReport::from).collect(),
            unsized_kinds: m.unsized_kinds.iter().map(|k| kind_name(*k)).collect(),
            notes: m.notes.clone(),
        }
    }
}

impl From<&Transfer> for CopyReport {
    fn from(t: &Transfer) -> Self {
        CopyReport {
            from: place_name(t.from),
            to: place_name(t.to),
            kind: kind_name(t.kind),
            bytes: t.bytes,
        }
    }
}

impl From<&Verdict> for ExpectReport {
    fn from(v: &Verdict) -> Self {
        ExpectReport {
            key: v.key.clone(),
            rule: v.rule.clone(),
            actual: v.actual,
            ok: v.ok,
            soft: v.soft,
            why: v.why.clone(),
        }
    }
}
