//! Output-only types: what `run --json` prints, projected from the engine's
//! [`RunOutcome`] with `From`.
//!
//! The JSON schema lives here and nowhere else: renaming a field breaks
//! users' scripts, so a field changes only by editing this file (the engine's
//! own types, and the recording format built on them, can change without
//! touching it). A figure that could not be measured is `null`, never 0.

use serde::Serialize;

use iotour_core::machine::Machine;
use iotour_core::model::{Absence, CopyKind, Leg, LegKind, Place, Transfer};
use iotour_core::outcome::{
    Environment, Modeled, ProgramOutcome, Readings, RunOutcome, Sources, StepOutcome, Verdict,
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
    /// Nothing failed (a run that ended at a skipped step can be ok).
    pub ok: bool,
    /// Why the run ended early without failing: a step's skip reason
    /// (absent when no step was skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
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
    /// Absent when the recording predates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<MachineReport>,
}

/// The machine that ran it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MachineReport {
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub cpus: usize,
    pub memory_total_kb: u64,
    pub memory_available_kb: u64,
}

impl From<&Machine> for MachineReport {
    fn from(m: &Machine) -> Self {
        MachineReport {
            os: m.os.clone(),
            kernel: m.kernel.clone(),
            arch: m.arch.clone(),
            cpus: m.cpus,
            memory_total_kb: m.memory_total_kb,
            memory_available_kb: m.memory_available_kb,
        }
    }
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
    /// Why the step was skipped (this machine lacks what it needs); its
    /// expectations were not checked. Absent when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The lecturer ended the step's wait early (the live view's `e`) this
    /// many nanoseconds after it began: its expectations were not judged.
    /// Absent when the wait ran its course.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_early_ns: Option<u64>,
    /// A `program` step's trace, with the keys of `iotour trace --json`
    /// (absent for every other op).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<serde_json::Value>,
    /// The program's calls on its watched file (absent for other ops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watched: Option<WatchedReport>,
}

/// A program step's watched file and what the program did to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchedReport {
    /// Relative to the working directory.
    pub path: String,
    /// `null` when the program never opened it.
    pub write_calls: Option<u64>,
    pub read_calls: Option<u64>,
    pub sync_calls: Option<u64>,
    pub sendfile_calls: Option<u64>,
    pub bytes_written: Option<u64>,
    pub bytes_read: Option<u64>,
    pub map_faults: Option<u64>,
    pub peak_dirty_pages: Option<u64>,
}

impl From<&ProgramOutcome> for WatchedReport {
    fn from(p: &ProgramOutcome) -> Self {
        let f = p.file.as_ref();
        WatchedReport {
            path: p.watched.clone(),
            write_calls: f.map(|f| f.write_calls),
            read_calls: f.map(|f| f.read_calls),
            sync_calls: f.map(|f| f.sync_calls),
            sendfile_calls: f.map(|f| f.sendfile_calls),
            bytes_written: f.map(|f| f.bytes_written),
            bytes_read: f.map(|f| f.bytes_read),
            map_faults: f.and_then(|f| f.map_faults),
            peak_dirty_pages: f.and_then(|f| f.peak_dirty_pages),
        }
    }
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
    /// Of those, the major ones; absent where perf counts the total only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_major_faults: Option<u64>,
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
    /// Context switches of io_uring's kernel threads (absent for other ops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_thread_ctx_switches: Option<u64>,
    /// Evicted pages of the file the kernel remembers, recently evicted ones,
    /// and system-wide refaults during the step (absent when not measured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_evicted_pages: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_recently_evicted_pages: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workingset_refaults: Option<u64>,
    /// System-wide I/O stall time during the step, in µs (PSI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_pressure_some_us: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_pressure_full_us: Option<u64>,
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
    /// Legs of the path that copy nothing: never part of `copies` nor of any
    /// copy figure (`cpu_copies`, `dma_copy_bytes`, ...).
    pub legs: Vec<LegReport>,
    pub notes: Vec<String>,
}

/// A leg that copies nothing: `kind` is `"page_refs"` (`to` holds
/// references to `referenced_bytes` of `from`'s pages) or `"absent"` (the
/// textbook leg this machine's path lacks, `reason` and `why` say why).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LegReport {
    pub from: &'static str,
    pub to: &'static str,
    pub kind: &'static str,
    /// Bytes copied along the leg: always 0, said so that a reader adding
    /// up bytes cannot mistake the referenced bytes for copied ones.
    pub copied_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referenced_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<&'static str>,
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
    /// Not judged: the step's wait was ended early (`ended_early_ns`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_judged: bool,
}

impl From<&RunOutcome> for RunReport {
    fn from(r: &RunOutcome) -> Self {
        RunReport {
            scenario: r.scenario.clone(),
            title: r.title.clone(),
            environment: (&r.environment).into(),
            steps: r.steps.iter().map(StepReport::from).collect(),
            ok: r.ok,
            skipped: r.skipped().map(|(_, k)| k.to_string()),
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
            machine: e.machine.as_ref().map(MachineReport::from),
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
            skipped: s.skipped.as_ref().map(ToString::to_string),
            ended_early_ns: s.ended_early_ns,
            program: s.program.as_ref().map(|p| p.report.clone()),
            watched: s.program.as_deref().map(WatchedReport::from),
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
            user_major_faults: m.user_major_faults,
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
            kernel_thread_ctx_switches: m.kernel_thread_ctx_switches,
            file_evicted_pages: m.file_evicted_pages,
            file_recently_evicted_pages: m.file_recently_evicted_pages,
            workingset_refaults: m.workingset_refaults,
            io_pressure_some_us: m.io_pressure_some_us,
            io_pressure_full_us: m.io_pressure_full_us,
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
            legs: m.legs.iter().map(LegReport::from).collect(),
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

impl From<&Leg> for LegReport {
    fn from(l: &Leg) -> Self {
        let (kind, referenced_bytes, reason) = match l.kind {
            LegKind::PageRefs { bytes } => ("page_refs", Some(bytes), None),
            LegKind::Absent { reason } => ("absent", None, Some(reason)),
        };
        LegReport {
            from: place_name(l.from),
            to: place_name(l.to),
            kind,
            copied_bytes: 0,
            referenced_bytes,
            reason: reason.map(Absence::as_str),
            why: reason.map(Absence::text),
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
            not_judged: v.not_judged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The legs are their own list: never in `copies`, `copied_bytes` 0,
    /// the referenced bytes under a name no copy figure uses.
    #[test]
    fn legs_are_reported_apart_from_copies() {
        let m = Modeled {
            copies: vec![Transfer {
                from: Place::Disk,
                to: Place::PageCache,
                kind: CopyKind::Dma,
                bytes: 4096,
            }],
            legs: {
                let mut path = iotour_core::model::DataPath::default();
                path.page_refs(Place::PageCache, Place::SocketBuffer, 4096);
                path.absent(Place::SocketBuffer, Place::Nic, Absence::LocalSocket);
                path.legs
            },
            ..Modeled::default()
        };
        let json = serde_json::to_value(ModeledReport::from(&m)).unwrap();
        assert_eq!(json["copies"].as_array().unwrap().len(), 1);
        assert_eq!(
            json["legs"],
            serde_json::json!([
                {"from": "page_cache", "to": "socket_buffer", "kind": "page_refs",
                 "copied_bytes": 0, "referenced_bytes": 4096},
                {"from": "socket_buffer", "to": "nic", "kind": "absent", "copied_bytes": 0,
                 "reason": "local_socket",
                 "why": "local socket: no NIC; a real network adds a DMA here"}
            ])
        );
        assert_eq!(m.copy_totals(CopyKind::Cpu), Some((0, 0)));
        assert_eq!(m.copy_totals(CopyKind::Dma), Some((1, 4096)));
    }
}
