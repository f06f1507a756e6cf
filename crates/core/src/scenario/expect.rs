//! Expectations: a step's claim about a measured or modeled figure.
//!
//! `expect = { syscalls = "== 10486", file_dirty_pages = ">= 256" }`
//!
//! A claim that holds on a quiet machine but that the kernel does not
//! guarantee (another process may run sync(2); a fast disk may answer before
//! the thread sleeps) is written with the reason it may not be seen:
//! `voluntary_ctx_switches = { rule = ">= 1", soft = "why" }`. A soft
//! expectation that does not hold is shown as "not seen this time", with its
//! reason, and does not fail the run.

use std::fmt;

use super::plan::Text;

/// A figure a step reports, by its JSON name. Readings keys come from the
/// kernel; modeled keys come from the op's known copy path (see `model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    DurationNs,
    Syscalls,
    VoluntaryCtxSwitches,
    InvoluntaryCtxSwitches,
    MinorFaults,
    MajorFaults,
    Rchar,
    Wchar,
    ReadBytes,
    WriteBytes,
    FileCachedPages,
    FileDirtyPages,
    FileWritebackPages,
    SystemDirtyKb,
    SystemWritebackKb,
    RssKb,
    KernelThreadCtxSwitches,
    FileEvictedPages,
    FileRecentlyEvictedPages,
    WorkingsetRefaults,
    IoPressureSomeUs,
    IoPressureFullUs,
    DiskWriteBytes,
    JournalWriteBytes,
    // Modeled.
    ModeSwitches,
    CpuCopies,
    DmaCopies,
    CpuCopyBytes,
    DmaCopyBytes,
    // Traced, on the watched file of a `program` step.
    FileWriteCalls,
    FileReadCalls,
    FileSyncCalls,
    FileSendfileCalls,
    FileBytesWritten,
    FileMapFaults,
    FilePeakDirtyPages,
}

impl Key {
    pub const ALL: &'static [Key] = &[
        Key::DurationNs,
        Key::Syscalls,
        Key::VoluntaryCtxSwitches,
        Key::InvoluntaryCtxSwitches,
        Key::MinorFaults,
        Key::MajorFaults,
        Key::Rchar,
        Key::Wchar,
        Key::ReadBytes,
        Key::WriteBytes,
        Key::FileCachedPages,
        Key::FileDirtyPages,
        Key::FileWritebackPages,
        Key::SystemDirtyKb,
        Key::SystemWritebackKb,
        Key::RssKb,
        Key::KernelThreadCtxSwitches,
        Key::FileEvictedPages,
        Key::FileRecentlyEvictedPages,
        Key::WorkingsetRefaults,
        Key::IoPressureSomeUs,
        Key::IoPressureFullUs,
        Key::DiskWriteBytes,
        Key::JournalWriteBytes,
        Key::ModeSwitches,
        Key::CpuCopies,
        Key::DmaCopies,
        Key::CpuCopyBytes,
        Key::DmaCopyBytes,
        Key::FileWriteCalls,
        Key::FileReadCalls,
        Key::FileSyncCalls,
        Key::FileSendfileCalls,
        Key::FileBytesWritten,
        Key::FileMapFaults,
        Key::FilePeakDirtyPages,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Key::DurationNs => "duration_ns",
            Key::Syscalls => "syscalls",
            Key::VoluntaryCtxSwitches => "voluntary_ctx_switches",
            Key::InvoluntaryCtxSwitches => "involuntary_ctx_switches",
            Key::MinorFaults => "minor_faults",
            Key::MajorFaults => "major_faults",
            Key::Rchar => "rchar",
            Key::Wchar => "wchar",
            Key::ReadBytes => "read_bytes",
            Key::WriteBytes => "write_bytes",
            Key::FileCachedPages => "file_cached_pages",
            Key::FileDirtyPages => "file_dirty_pages",
            Key::FileWritebackPages => "file_writeback_pages",
            Key::SystemDirtyKb => "system_dirty_kb",
            Key::SystemWritebackKb => "system_writeback_kb",
            Key::RssKb => "rss_kb",
            Key::KernelThreadCtxSwitches => "kernel_thread_ctx_switches",
            Key::FileEvictedPages => "file_evicted_pages",
            Key::FileRecentlyEvictedPages => "file_recently_evicted_pages",
            Key::WorkingsetRefaults => "workingset_refaults",
            Key::IoPressureSomeUs => "io_pressure_some_us",
            Key::IoPressureFullUs => "io_pressure_full_us",
            Key::DiskWriteBytes => "disk_write_bytes",
            Key::JournalWriteBytes => "journal_write_bytes",
            Key::ModeSwitches => "mode_switches",
            Key::CpuCopies => "cpu_copies",
            Key::DmaCopies => "dma_copies",
            Key::CpuCopyBytes => "cpu_copy_bytes",
            Key::DmaCopyBytes => "dma_copy_bytes",
            Key::FileWriteCalls => "file_write_calls",
            Key::FileReadCalls => "file_read_calls",
            Key::FileSyncCalls => "file_sync_calls",
            Key::FileSendfileCalls => "file_sendfile_calls",
            Key::FileBytesWritten => "file_bytes_written",
            Key::FileMapFaults => "file_map_faults",
            Key::FilePeakDirtyPages => "file_peak_dirty_pages",
        }
    }

    pub fn parse(s: &str) -> Option<Key> {
        Key::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// True for the traced figures of a `program` step's watched file, which
    /// only that op has.
    pub fn is_program(self) -> bool {
        matches!(
            self,
            Key::FileWriteCalls
                | Key::FileReadCalls
                | Key::FileSyncCalls
                | Key::FileSendfileCalls
                | Key::FileBytesWritten
                | Key::FileMapFaults
                | Key::FilePeakDirtyPages
        )
    }

    /// True for figures derived from the op's copy path rather than read from the kernel.
    pub fn is_modeled(self) -> bool {
        matches!(
            self,
            Key::ModeSwitches
                | Key::CpuCopies
                | Key::DmaCopies
                | Key::CpuCopyBytes
                | Key::DmaCopyBytes
        )
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A comparison against a whole number. Bounds of a range are inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Eq(u64),
    Ge(u64),
    Le(u64),
    Gt(u64),
    Lt(u64),
    Range(u64, u64),
}

impl Rule {
    pub fn holds(self, actual: u64) -> bool {
        match self {
            Rule::Eq(n) => actual == n,
            Rule::Ge(n) => actual >= n,
            Rule::Le(n) => actual <= n,
            Rule::Gt(n) => actual > n,
            Rule::Lt(n) => actual < n,
            Rule::Range(a, b) => (a..=b).contains(&actual),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Eq(n) => write!(f, "== {n}"),
            Rule::Ge(n) => write!(f, ">= {n}"),
            Rule::Le(n) => write!(f, "<= {n}"),
            Rule::Gt(n) => write!(f, "> {n}"),
            Rule::Lt(n) => write!(f, "< {n}"),
            Rule::Range(a, b) => write!(f, "{a}..{b}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub key: Key,
    pub rule: Rule,
    /// Machine-dependent: why the claim may not be seen on a given run
    /// (`soft` / `soft_zh` in the scenario). `None`: the kernel guarantees it,
    /// and a miss fails the step.
    pub soft: Option<Text>,
}

impl Expectation {
    /// `None` when the figure is unknown: an expectation on an unknown value fails.
    pub fn check(&self, actual: Option<u64>) -> bool {
        actual.is_some_and(|v| self.rule.holds(v))
    }
}
