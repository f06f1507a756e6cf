//! What a run produced, as the engine reports it: per step the figures read
//! from the kernel ([`Readings`]), the figures of the copy model
//! ([`Modeled`]) and each expectation's [`Verdict`]; per run the
//! [`Environment`] it ran in.
//!
//! These are the engine's own types: they travel in [`ExecEvent`]s and, in
//! their serde form, in recordings (see [`crate::record`], whose version
//! number guards that form). What `run --json` prints is a separate set of
//! output types in the front crate, projected from these, so the JSON
//! schema changes only on purpose. A figure that could not be measured is
//! `None`, never 0.
//!
//! [`ExecEvent`]: crate::engine::ExecEvent

use serde::{Deserialize, Serialize};

use crate::model::{CopyKind, Leg, Transfer};

/// The whole result of one scenario run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// The scenario id (file stem).
    pub scenario: String,
    pub title: String,
    pub environment: Environment,
    pub steps: Vec<StepOutcome>,
    /// Nothing failed: every step ran and every expectation held, or the
    /// run ended at a skipped step (see [`RunOutcome::skipped`]) after
    /// steps that all held.
    pub ok: bool,
}

impl RunOutcome {
    /// The step that ended the run skipped, and why.
    #[must_use]
    pub fn skipped(&self) -> Option<(usize, &Skip)> {
        self.steps
            .iter()
            .find_map(|s| s.skipped.as_ref().map(|k| (s.index, k)))
    }
}

/// Facts about the machine and the measurement sources, for the report header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub iotour_version: String,
    pub kernel: String,
    pub page_size: u64,
    /// The private working directory the file lived in.
    pub workdir: String,
    /// Filesystem type of the working directory (`ext4`, `tmpfs`, ...).
    pub filesystem: String,
    pub sources: Sources,
    /// OS, CPUs and memory of the machine that ran it (absent in recordings
    /// made before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<crate::machine::Machine>,
}

/// Which kernel interface each family of figures came from. A fallback is
/// named, and `notes` says why the better source was not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    /// `tracepoint` (perf `raw_syscalls:sys_enter` on the worker thread) or
    /// `engine` (counted by the engine as it issues them).
    pub syscalls: String,
    /// `rusage` (`getrusage(RUSAGE_THREAD)`).
    pub faults: String,
    /// `perf` (software page-faults of the worker, user mode only) or
    /// `modeled` (touch's faults). Mode switches are measured when this is
    /// `perf` and `syscalls` is `tracepoint`.
    #[serde(default = "modeled")]
    pub user_faults: String,
    pub ctx_switches: String,
    /// `procfs` (/proc/thread-self/io) or `unavailable`.
    pub io: String,
    /// `cachestat`, `mincore` (cached only) or `unavailable`.
    pub pages: String,
    /// `meminfo` or `unavailable`.
    pub system: String,
    pub notes: Vec<String>,
}

fn modeled() -> String {
    "modeled".into()
}

impl Sources {
    /// Mode switches (syscalls + faults in user mode) are counted by the
    /// kernel, not modeled.
    pub fn mode_switches_measured(&self) -> bool {
        self.syscalls == "tracepoint" && self.user_faults == "perf"
    }
}

/// Figures read from the kernel for one step (or one slice of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Readings {
    pub duration_ns: Option<u64>,
    pub syscalls: Option<u64>,
    pub voluntary_ctx_switches: Option<u64>,
    pub involuntary_ctx_switches: Option<u64>,
    pub minor_faults: Option<u64>,
    pub major_faults: Option<u64>,
    /// Page faults taken in user mode: each is an entry into the kernel of
    /// its own (a fault inside a syscall is not). Measured by perf
    /// (`sources.user_faults` = `perf`), else modeled by the engine: the
    /// faults of `touch`, whose loads and stores are the only user-mode
    /// accesses of a mapping it makes. Absent from older recordings.
    #[serde(default)]
    pub user_faults: Option<u64>,
    /// Of those, the major ones (they waited for the disk): perf's
    /// user-mode major-fault counter, else modeled as `user_faults` is
    /// (touch's major faults). Absent from older recordings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_major_faults: Option<u64>,
    pub rchar: Option<u64>,
    pub wchar: Option<u64>,
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
    /// State after the step.
    pub file_cached_pages: Option<u64>,
    pub file_dirty_pages: Option<u64>,
    pub file_writeback_pages: Option<u64>,
    pub system_dirty_kb: Option<u64>,
    pub system_writeback_kb: Option<u64>,
    pub rss_kb: Option<u64>,
    /// Context switches (voluntary + involuntary) of the kernel's io_uring
    /// threads serving the step (io-wq workers, the SQPOLL thread), read
    /// from their /proc/self/task entries before and after it; `None` for
    /// steps that start none. Absent from older recordings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_thread_ctx_switches: Option<u64>,
    /// State after the step (cachestat only): the working file's pages
    /// evicted from the page cache that the kernel still remembers (shadow
    /// entries), and of those the ones a slightly larger cache would have
    /// kept. Absent from older recordings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_evicted_pages: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_recently_evicted_pages: Option<u64>,
    /// System-wide refaults of file pages during the step (/proc/vmstat
    /// `workingset_refault_file`, after minus before): evicted pages read
    /// back while their shadow entry said they were recently used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workingset_refaults: Option<u64>,
    /// System-wide I/O pressure during the step (/proc/pressure/io `total`,
    /// after minus before, in µs): time at least one task was stalled on
    /// I/O (`some`), and time every non-idle task was (`full`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io_pressure_some_us: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io_pressure_full_us: Option<u64>,
    /// Bytes the block layer was asked to write into the working file's
    /// blocks during the step (`block:block_bio_queue`, root only).
    #[serde(default)]
    pub disk_write_bytes: Option<u64>,
    /// ... and by the filesystem's journal thread (the whole filesystem's).
    #[serde(default)]
    pub journal_write_bytes: Option<u64>,
}

impl Readings {
    /// Add `other`'s counters to these (a step is the sum of its slices, a
    /// run of its steps); a counter unknown on either side stays unknown. The
    /// state fields (pages, system, RSS) are left alone: they are not sums.
    pub fn add_counters(&mut self, other: &Readings) {
        self.each_counter(other, |a, b| match (a, b) {
            (Some(x), Some(y)) => Some(x + y),
            _ => None,
        });
    }

    /// Replace these counters by `other`'s: where a sum starts when there is
    /// nothing yet to add to. State fields are left alone.
    pub fn set_counters(&mut self, other: &Readings) {
        self.each_counter(other, |_, b| b);
    }

    fn each_counter(
        &mut self,
        other: &Readings,
        f: impl Fn(Option<u64>, Option<u64>) -> Option<u64>,
    ) {
        let pairs = [
            (&mut self.duration_ns, other.duration_ns),
            (&mut self.syscalls, other.syscalls),
            (
                &mut self.voluntary_ctx_switches,
                other.voluntary_ctx_switches,
            ),
            (
                &mut self.involuntary_ctx_switches,
                other.involuntary_ctx_switches,
            ),
            (&mut self.minor_faults, other.minor_faults),
            (&mut self.major_faults, other.major_faults),
            (&mut self.user_faults, other.user_faults),
            (&mut self.user_major_faults, other.user_major_faults),
            (&mut self.rchar, other.rchar),
            (&mut self.wchar, other.wchar),
            (&mut self.read_bytes, other.read_bytes),
            (&mut self.write_bytes, other.write_bytes),
        ];
        for (a, b) in pairs {
            *a = f(*a, b);
        }
    }
}

/// Figures derived from the op's copy path.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Modeled {
    /// Entries into the kernel: syscalls plus faults taken in user mode
    /// (docs/scenarios.md, "Mode switches"). Counted by the kernel when
    /// [`Sources::mode_switches_measured`], else modeled.
    pub mode_switches: Option<u64>,
    pub copies: Vec<Transfer>,
    /// Kinds (`cpu`, `dma`) of an edge the op may have made whose bytes could
    /// not be sized (a source was unavailable): their counts and bytes are
    /// unknown (`null` in expectations), not 0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsized_kinds: Vec<CopyKind>,
    /// Legs of the path that copy nothing (the socket's references to
    /// page-cache pages, the NIC a local socket lacks): drawn, never counted
    /// in a copy figure. Always written (as the report's `modeled.legs`
    /// is); absent from recordings made before legs existed.
    #[serde(default)]
    pub legs: Vec<Leg>,
    /// Where the machine differs from the textbook path, why.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    /// 1-based.
    pub index: usize,
    pub op: String,
    pub say: Option<String>,
    /// Time inside the step's measured windows; `null` for a step that never
    /// ran (its op failed before its first slice).
    pub duration_ns: Option<u64>,
    pub measured: Readings,
    pub modeled: Modeled,
    pub expect: Vec<Verdict>,
    /// Why the step failed to run, if it did.
    pub error: Option<String>,
    /// Why the step was skipped (this machine lacks what it needs): its
    /// expectations were not checked and the run ended there. Absent from
    /// recordings made before skips existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<Skip>,
    /// The lecturer ended the step's wait early (`sleep`, `wait_writeback`;
    /// `Command::EndWait`) this many nanoseconds after it began: the figures
    /// are the state at that moment, and the expectations, written for the
    /// whole wait, were not judged (each [`Verdict::not_judged`]). Absent
    /// when the wait ran its course, and in older recordings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_early_ns: Option<u64>,
    /// A `program` step's trace (absent for every other op).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<Box<ProgramOutcome>>,
}

impl StepOutcome {
    /// The value of `key` in this step's figures (`None`: unknown).
    #[must_use]
    pub fn figure(&self, key: Key) -> Option<u64> {
        figure_of(key, &self.measured, &self.modeled, self.program.as_deref())
    }
}

/// What the trace of a `program` step saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramOutcome {
    /// The command as it ran (placeholders replaced).
    pub command: Vec<String>,
    /// The watched file, relative to the working directory.
    pub watched: String,
    /// The program's calls on it; `None` when the program never opened it.
    pub file: Option<FileFigures>,
    /// The trace's report, with the keys of `iotour trace --json`.
    pub report: serde_json::Value,
}

/// A traced program's calls on one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileFigures {
    /// write, pwrite64, writev, pwritev and pwritev2 calls.
    pub write_calls: u64,
    /// read, pread64, readv, preadv and preadv2 calls.
    pub read_calls: u64,
    /// fsync, fdatasync, sync_file_range, syncfs and msync calls.
    pub sync_calls: u64,
    /// sendfile calls reading from it.
    pub sendfile_calls: u64,
    pub bytes_written: u64,
    pub bytes_read: u64,
    /// Faults on its mappings (`None` where the backend cannot see them).
    pub map_faults: Option<u64>,
    pub peak_dirty_pages: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub key: String,
    pub rule: String,
    /// `null` when the figure is unknown; the expectation then fails.
    pub actual: Option<u64>,
    /// The rule held.
    pub ok: bool,
    /// The claim is machine-dependent (`soft` in the scenario): when it does
    /// not hold it is "not seen this time" and does not fail the run.
    /// Recordings made before soft expectations read as `false`.
    #[serde(default)]
    pub soft: bool,
    /// Why a soft claim may not be seen (the scenario's `soft` text, English).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Not judged: the step's wait was ended early (see
    /// [`StepOutcome::ended_early_ns`]), so a claim about the whole wait
    /// was neither shown nor refuted; `ok` still says whether the rule held
    /// on the state measured then. Absent (false) otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_judged: bool,
}

impl Verdict {
    /// The run may go on counting as a pass: the rule held, it is a soft
    /// claim that was not seen this time, or it was not judged.
    pub fn passes(&self) -> bool {
        self.ok || self.soft || self.not_judged
    }

    /// A soft claim that did not hold this time (and was judged).
    pub fn not_seen(&self) -> bool {
        self.soft && !self.ok && !self.not_judged
    }
}

impl StepOutcome {
    /// The step's wait was ended at `after`: say so, and leave its
    /// expectations unjudged.
    pub fn end_wait_early(&mut self, after: std::time::Duration) {
        self.ended_early_ns = Some(u64::try_from(after.as_nanos()).unwrap_or(u64::MAX));
        for v in &mut self.expect {
            v.not_judged = true;
        }
    }
}

pub mod duration_ns;
mod skip;

pub use skip::Skip;

use crate::model::known_totals;

impl Modeled {
    /// Copy edges of `kind` and their bytes; `None` when one was not sized.
    pub fn copy_totals(&self, kind: CopyKind) -> Option<(u64, u64)> {
        known_totals(&self.copies, &self.unsized_kinds, kind)
    }
}
use crate::scenario::Key;

/// The value of `key` in a step's figures, a program's included.
#[must_use]
pub fn figure_of(
    key: Key,
    m: &Readings,
    modeled: &Modeled,
    program: Option<&ProgramOutcome>,
) -> Option<u64> {
    if !key.is_program() {
        return value_of(key, m, modeled);
    }
    let f = program?.file.unwrap_or_default();
    match key {
        Key::FileWriteCalls => Some(f.write_calls),
        Key::FileReadCalls => Some(f.read_calls),
        Key::FileSyncCalls => Some(f.sync_calls),
        Key::FileSendfileCalls => Some(f.sendfile_calls),
        Key::FileBytesWritten => Some(f.bytes_written),
        Key::FileMapFaults => f.map_faults,
        Key::FilePeakDirtyPages => f.peak_dirty_pages,
        _ => None,
    }
}

/// The value of `key` in a step's figures (`None`: unknown, and for the
/// keys of a program's watched file, which [`figure_of`] reads).
pub fn value_of(key: Key, m: &Readings, modeled: &Modeled) -> Option<u64> {
    match key {
        Key::DurationNs => m.duration_ns,
        Key::Syscalls => m.syscalls,
        Key::VoluntaryCtxSwitches => m.voluntary_ctx_switches,
        Key::InvoluntaryCtxSwitches => m.involuntary_ctx_switches,
        Key::MinorFaults => m.minor_faults,
        Key::MajorFaults => m.major_faults,
        Key::Rchar => m.rchar,
        Key::Wchar => m.wchar,
        Key::ReadBytes => m.read_bytes,
        Key::WriteBytes => m.write_bytes,
        Key::FileCachedPages => m.file_cached_pages,
        Key::FileDirtyPages => m.file_dirty_pages,
        Key::FileWritebackPages => m.file_writeback_pages,
        Key::SystemDirtyKb => m.system_dirty_kb,
        Key::SystemWritebackKb => m.system_writeback_kb,
        Key::RssKb => m.rss_kb,
        Key::KernelThreadCtxSwitches => m.kernel_thread_ctx_switches,
        Key::FileEvictedPages => m.file_evicted_pages,
        Key::FileRecentlyEvictedPages => m.file_recently_evicted_pages,
        Key::WorkingsetRefaults => m.workingset_refaults,
        Key::IoPressureSomeUs => m.io_pressure_some_us,
        Key::IoPressureFullUs => m.io_pressure_full_us,
        Key::DiskWriteBytes => m.disk_write_bytes,
        Key::JournalWriteBytes => m.journal_write_bytes,
        Key::ModeSwitches => modeled.mode_switches,
        Key::CpuCopies => modeled.copy_totals(CopyKind::Cpu).map(|t| t.0),
        Key::DmaCopies => modeled.copy_totals(CopyKind::Dma).map(|t| t.0),
        Key::CpuCopyBytes => modeled.copy_totals(CopyKind::Cpu).map(|t| t.1),
        Key::DmaCopyBytes => modeled.copy_totals(CopyKind::Dma).map(|t| t.1),
        Key::FileWriteCalls
        | Key::FileReadCalls
        | Key::FileSyncCalls
        | Key::FileSendfileCalls
        | Key::FileBytesWritten
        | Key::FileMapFaults
        | Key::FilePeakDirtyPages => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{Readings, Skip, StepOutcome};

    #[test]
    fn a_step_recorded_before_skips_existed_still_reads() {
        let old = r#"{"index":1,"op":"write","say":null,"duration_ns":5,
            "measured":{"duration_ns":5,"syscalls":1,"voluntary_ctx_switches":null,
            "involuntary_ctx_switches":null,"minor_faults":null,"major_faults":null,
            "rchar":null,"wchar":null,"read_bytes":null,"write_bytes":null,
            "file_cached_pages":null,"file_dirty_pages":null,"file_writeback_pages":null,
            "system_dirty_kb":null,"system_writeback_kb":null,"rss_kb":null},
            "modeled":{"mode_switches":null,"copies":[],"notes":[]},
            "expect":[],"error":null}"#;
        let s: StepOutcome = serde_json::from_str(old).unwrap();
        assert_eq!(s.skipped, None);
        // And a skip survives the round trip, absent when there is none.
        let mut skipped = s.clone();
        skipped.skipped = Some(Skip::kernel_feature("io_uring", "5.1", "ENOSYS"));
        let json = serde_json::to_string(&skipped).unwrap();
        assert_eq!(serde_json::from_str::<StepOutcome>(&json).unwrap(), skipped);
        assert!(!serde_json::to_string(&s).unwrap().contains("skipped"));
    }

    #[test]
    fn counters_add_up_and_unknown_stays_unknown() {
        let slice = Readings {
            syscalls: Some(3),
            minor_faults: None,
            rss_kb: Some(7),
            ..Readings::default()
        };
        let mut sum = Readings {
            syscalls: Some(1),
            minor_faults: Some(2),
            rss_kb: Some(100),
            ..Readings::default()
        };
        sum.add_counters(&slice);
        assert_eq!(sum.syscalls, Some(4));
        assert_eq!(sum.minor_faults, None);
        assert_eq!(sum.rss_kb, Some(100), "state is not a sum");
        let mut start = Readings::default();
        start.set_counters(&slice);
        assert_eq!((start.syscalls, start.rss_kb), (Some(3), None));
    }
}

#[cfg(test)]
mod verdict_tests {
    use super::Verdict;

    #[test]
    fn a_verdict_recorded_before_soft_claims_reads_as_hard() {
        let v: Verdict =
            serde_json::from_str(r#"{"key":"syscalls","rule":"== 1","actual":2,"ok":false}"#)
                .unwrap();
        assert!(!v.soft && v.why.is_none());
        assert!(!v.passes() && !v.not_seen());
        let soft = Verdict {
            soft: true,
            why: Some("a sync by someone else".into()),
            ..v.clone()
        };
        assert!(soft.passes() && soft.not_seen());
        let back: Verdict = serde_json::from_str(&serde_json::to_string(&soft).unwrap()).unwrap();
        assert_eq!(back, soft);
        // Not judged: passes, is no warning, and survives the round trip;
        // absent from the JSON when false.
        let unjudged = Verdict {
            not_judged: true,
            ..soft.clone()
        };
        assert!(unjudged.passes() && !unjudged.not_seen());
        let json = serde_json::to_string(&unjudged).unwrap();
        assert!(json.contains(r#""not_judged":true"#), "{json}");
        assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), unjudged);
        assert!(!serde_json::to_string(&v).unwrap().contains("not_judged"));
    }
}
