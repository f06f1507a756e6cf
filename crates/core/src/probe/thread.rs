//! Per-thread counters of the engine's worker, read by the worker itself
//! around each slice of work, with the reads' own cost subtracted exactly.
//!
//! Three sources, each optional (a missing one is `None`, never 0):
//! - syscalls: a perf counter on the `raw_syscalls:sys_enter` tracepoint,
//!   opened for the calling thread only (pid 0, cpu -1), on its own fd and in
//!   no group: a group mixing it with software events misses counts until the
//!   thread's next context switch.
//! - faults and context switches: `getrusage(RUSAGE_THREAD)`. perf's software
//!   context-switch counters read 0 for a non-root user (kernel excluded), so
//!   they are not used.
//! - rchar, wchar, `read_bytes`, `write_bytes`: `/proc/self/task/<tid>/io`, opened
//!   once and `pread` at offset 0 each time.
//!
//! The window, and why its own cost is known exactly:
//! ```text
//! begin: pread(io)  getrusage  read(tp)  now()
//!        ── work ──
//! end:   now()  read(tp)  getrusage  pread(io)
//! ```
//! - The tracepoint fires on syscall *entry*, so the begin `read(tp)` is already
//!   inside the begin value and the end `read(tp)` is inside the end value:
//!   tp delta = work + 1. `getrusage` at the end comes after the tp read, and
//!   `now()` is a vDSO call (no syscall).
//! - `/proc/.../io` is produced before the kernel adds the read's own byte
//!   count to rchar, so the begin reading excludes itself and the end reading
//!   includes the begin reading's length. Every `read(tp)` in between is a
//!   `vfs_read` too and adds its 8 bytes to rchar: rchar delta = work +
//!   `begin_len` + 8 (begin tp read) + 8 (end tp read).
//! - Buffers are allocated and touched once up front, so the reads never fault.
//!
//! `tests/engine_probe.rs` proves an empty window measures 0 syscalls, 0 bytes
//! and 0 faults a thousand times over, and that k `getppid()` calls measure k.

use super::perf::{self, Attr, PERF_TYPE_SOFTWARE, PERF_TYPE_TRACEPOINT};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::time::Instant;

use super::{Disabled, Switchable};
use crate::outcome::Readings;

/// Where the syscall count comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallSource {
    /// perf `raw_syscalls:sys_enter` on the worker thread: exact, every syscall.
    Tracepoint,
    /// The engine counts the syscalls its ops issue (library-internal calls,
    /// e.g. inside malloc, are estimated).
    Engine,
}

impl SyscallSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SyscallSource::Tracepoint => "tracepoint",
            SyscallSource::Engine => "engine",
        }
    }
}

/// The counters of `/proc/<tid>/io` the report uses, plus syscr (for the
/// self-check in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IoCounters {
    pub rchar: u64,
    pub wchar: u64,
    pub syscr: u64,
    pub syscw: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
}

impl IoCounters {
    /// Parse the `key: value` lines of `/proc/<pid>/io`.
    pub fn parse(text: &str) -> Option<IoCounters> {
        let mut c = IoCounters::default();
        let mut seen = 0;
        for line in text.lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let Ok(v) = v.trim().parse::<u64>() else {
                continue;
            };
            let slot = match k {
                "rchar" => &mut c.rchar,
                "wchar" => &mut c.wchar,
                "syscr" => &mut c.syscr,
                "syscw" => &mut c.syscw,
                "read_bytes" => &mut c.read_bytes,
                "write_bytes" => &mut c.write_bytes,
                _ => continue,
            };
            *slot = v;
            seen += 1;
        }
        (seen == 6).then_some(c)
    }
}

/// One reading of every source, taken at a window edge.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    at: Instant,
    syscalls: Option<u64>,
    user_faults: Option<u64>,
    user_major_faults: Option<u64>,
    rusage: Option<Rusage>,
    io: Option<IoCounters>,
    /// Bytes the io read returned (charged to rchar after the fact).
    io_len: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Rusage {
    minflt: u64,
    majflt: u64,
    nvcsw: u64,
    nivcsw: u64,
}

/// The worker's own counters. Must be created and used on the thread it
/// measures (the perf counter and getrusage are per calling thread).
pub struct ThreadProbe {
    tracepoint: Option<OwnedFd>,
    /// perf software page-faults with `exclude_kernel`: faults taken in user
    /// mode only (a fault inside a syscall is part of that syscall's entry).
    user_faults: Option<OwnedFd>,
    /// The same with perf's major-fault counter: user-mode faults that
    /// waited for the disk (the minor ones are the difference).
    user_major_faults: Option<OwnedFd>,
    io: Option<File>,
    io_buf: Box<[u8; 1024]>,
    rusage: bool,
    syscall_source: SyscallSource,
    notes: Vec<String>,
}

/// Bytes one read of a counting perf fd returns (`read_format` 0: one u64).
const TP_READ_LEN: u64 = 8;

impl ThreadProbe {
    /// Open every source that is available and not switched off. When root and
    /// tracefs is not mounted, mount it at /sys/kernel/tracing.
    pub fn open(disabled: &Disabled) -> ThreadProbe {
        let mut notes = Vec::new();
        let tracepoint = if disabled.contains(Switchable::Tracepoint) {
            notes.push(format!(
                "syscalls counted by the engine: the perf tracepoint is switched off by {}",
                Disabled::ENV
            ));
            None
        } else {
            match open_sys_enter_counter() {
                Ok(fd) => Some(fd),
                Err(why) => {
                    notes.push(format!("syscalls counted by the engine: {why}"));
                    None
                }
            }
        };
        let io = if disabled.contains(Switchable::Procio) {
            notes.push(format!(
                "rchar/wchar/read_bytes/write_bytes unknown: /proc/<tid>/io switched off by {}",
                Disabled::ENV
            ));
            None
        } else {
            let path = format!("/proc/self/task/{}/io", gettid());
            match File::open(&path) {
                Ok(f) => Some(f),
                Err(e) => {
                    notes.push(format!(
                        "rchar/wchar/read_bytes/write_bytes unknown: cannot open {path}: {e}"
                    ));
                    None
                }
            }
        };
        let (user_faults, user_major_faults) = open_user_fault_counters(disabled, &mut notes);
        let syscall_source = if tracepoint.is_some() {
            SyscallSource::Tracepoint
        } else {
            SyscallSource::Engine
        };
        let mut probe = ThreadProbe {
            tracepoint,
            user_faults,
            user_major_faults,
            io,
            io_buf: Box::new([0u8; 1024]),
            rusage: true,
            syscall_source,
            notes,
        };
        // Warm up: touches every buffer and page the reads use, and drops a
        // source that fails on first use instead of mid-run.
        if probe.read_io().0.is_none() && probe.io.is_some() {
            probe.io = None;
            probe.notes.push(
                "rchar/wchar/read_bytes/write_bytes unknown: /proc/<tid>/io did not parse".into(),
            );
        }
        if probe.read_rusage().is_none() {
            probe.rusage = false;
            probe.notes.push(
                "faults and context switches unknown: getrusage(RUSAGE_THREAD) failed".into(),
            );
        }
        if probe.tracepoint.is_some() && probe.read_tp().is_none() {
            probe.tracepoint = None;
            probe.syscall_source = SyscallSource::Engine;
            probe
                .notes
                .push("syscalls counted by the engine: the perf counter could not be read".into());
        }
        probe.warm_up_user_fault_counters();
        probe
    }

    /// Drops a user-mode fault counter that cannot be read, and the major
    /// one with the total (a split needs both).
    fn warm_up_user_fault_counters(&mut self) {
        if self.user_faults.is_some() && self.read_pf().is_none() {
            self.user_faults = None;
            self.notes.push(
                "faults in user mode (for mode switches) modeled: the perf counter could not be read"
                    .into(),
            );
        }
        let unreadable = self.user_faults.is_none() || self.read_pf_major().is_none();
        if unreadable && self.user_major_faults.take().is_some() {
            self.notes.push(
                "major faults in user mode unknown: the perf counter could not be read".into(),
            );
        }
    }

    /// Whether user-mode major faults are counted by perf.
    pub fn has_user_major_faults(&self) -> bool {
        self.user_major_faults.is_some()
    }

    /// Whether faults taken in user mode are counted by perf (else modeled).
    pub fn has_user_faults(&self) -> bool {
        self.user_faults.is_some()
    }

    pub fn syscall_source(&self) -> SyscallSource {
        self.syscall_source
    }

    pub fn has_io(&self) -> bool {
        self.io.is_some()
    }

    pub fn has_rusage(&self) -> bool {
        self.rusage
    }

    /// Why a better source is not used, one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Open a window: `[pread io, getrusage, read pf, read pf major, read tp, now]`.
    pub fn begin(&mut self) -> Reading {
        let (io, io_len) = self.read_io();
        let rusage = self.read_rusage();
        let user_faults = self.read_pf();
        let user_major_faults = self.read_pf_major();
        let syscalls = self.read_tp();
        Reading {
            at: Instant::now(),
            syscalls,
            user_faults,
            user_major_faults,
            rusage,
            io,
            io_len,
        }
    }

    /// Close a window: `[now, read tp, read pf, read pf major, getrusage, pread io]`, and return the
    /// work's own deltas. `engine_syscalls` is what the work counted itself;
    /// it is the figure when there is no tracepoint. State fields are `None`.
    pub fn end(&mut self, begin: &Reading, engine_syscalls: u64) -> Readings {
        let at = Instant::now();
        let syscalls = self.read_tp();
        let user_faults = self.read_pf();
        let user_major_faults = self.read_pf_major();
        let rusage = self.read_rusage();
        let (io, _) = self.read_io();
        let duration = crate::cast::saturating(at.duration_since(begin.at).as_nanos());

        let syscalls = match (begin.syscalls, syscalls) {
            // The end read(tp) itself is counted at its entry: subtract 1.
            (Some(a), Some(b)) => Some(b.saturating_sub(a).saturating_sub(1)),
            _ if self.syscall_source == SyscallSource::Engine => Some(engine_syscalls),
            _ => None,
        };
        let (minflt, majflt, nvcsw, nivcsw) = match (begin.rusage, rusage) {
            (Some(a), Some(b)) => (
                Some(b.minflt.saturating_sub(a.minflt)),
                Some(b.majflt.saturating_sub(a.majflt)),
                Some(b.nvcsw.saturating_sub(a.nvcsw)),
                Some(b.nivcsw.saturating_sub(a.nivcsw)),
            ),
            _ => (None, None, None, None),
        };
        let io = match (begin.io, io) {
            (Some(a), Some(b)) => {
                // The begin io read's own bytes land after its content was
                // produced; each read(tp) inside the window is a vfs_read too.
                let counters = u64::from(self.tracepoint.is_some())
                    + u64::from(self.user_faults.is_some())
                    + u64::from(self.user_major_faults.is_some());
                let tp_reads = 2 * TP_READ_LEN * counters;
                let overhead = begin.io_len + tp_reads;
                Some(IoCounters {
                    rchar: b.rchar.saturating_sub(a.rchar).saturating_sub(overhead),
                    wchar: b.wchar.saturating_sub(a.wchar),
                    syscr: b
                        .syscr
                        .saturating_sub(a.syscr)
                        .saturating_sub(1 + tp_reads / TP_READ_LEN),
                    syscw: b.syscw.saturating_sub(a.syscw),
                    read_bytes: b.read_bytes.saturating_sub(a.read_bytes),
                    write_bytes: b.write_bytes.saturating_sub(a.write_bytes),
                })
            }
            _ => None,
        };
        Readings {
            duration_ns: Some(duration),
            syscalls,
            voluntary_ctx_switches: nvcsw,
            involuntary_ctx_switches: nivcsw,
            minor_faults: minflt,
            major_faults: majflt,
            user_faults: match (begin.user_faults, user_faults) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a)),
                _ => None,
            },
            user_major_faults: match (begin.user_major_faults, user_major_faults) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a)),
                _ => None,
            },
            rchar: io.map(|c| c.rchar),
            wchar: io.map(|c| c.wchar),
            read_bytes: io.map(|c| c.read_bytes),
            write_bytes: io.map(|c| c.write_bytes),
            ..Readings::default()
        }
    }

    /// The raw io counters of this thread now (for tests of the compensation).
    pub fn io_now(&mut self) -> Option<IoCounters> {
        self.read_io().0
    }

    fn read_tp(&mut self) -> Option<u64> {
        read_counter(self.tracepoint.as_ref()?)
    }

    fn read_pf(&mut self) -> Option<u64> {
        read_counter(self.user_faults.as_ref()?)
    }

    fn read_pf_major(&mut self) -> Option<u64> {
        read_counter(self.user_major_faults.as_ref()?)
    }
}

/// One u64 from a counting perf fd.
fn read_counter(fd: &OwnedFd) -> Option<u64> {
    {
        let mut v: u64 = 0;
        // SAFETY: reading 8 bytes into a live u64 from a perf fd we own.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                (&raw mut v).cast(),
                std::mem::size_of::<u64>(),
            )
        };
        (u64::try_from(n) == Ok(TP_READ_LEN)).then_some(v)
    }
}

impl ThreadProbe {
    fn read_rusage(&self) -> Option<Rusage> {
        if !self.rusage {
            return None;
        }
        // SAFETY: rusage is plain data; zeroed is a valid value.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `ru` is a live, writable rusage.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &raw mut ru) };
        (rc == 0).then_some(Rusage {
            minflt: crate::cast::unsigned(ru.ru_minflt),
            majflt: crate::cast::unsigned(ru.ru_majflt),
            nvcsw: crate::cast::unsigned(ru.ru_nvcsw),
            nivcsw: crate::cast::unsigned(ru.ru_nivcsw),
        })
    }

    fn read_io(&mut self) -> (Option<IoCounters>, u64) {
        let Some(f) = self.io.as_ref() else {
            return (None, 0);
        };
        match f.read_at(&mut self.io_buf[..], 0) {
            Ok(n) => {
                let text = std::str::from_utf8(&self.io_buf[..n]).ok();
                (text.and_then(IoCounters::parse), n as u64)
            }
            Err(_) => (None, 0),
        }
    }
}

/// The calling thread's id.
pub fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

const PERF_COUNT_SW_PAGE_FAULTS: u64 = 2;
const PERF_COUNT_SW_PAGE_FAULTS_MAJ: u64 = 6;
/// `perf_event_attr` flag bits: exclude_kernel (5) and exclude_hv (6).
const EXCLUDE_KERNEL_AND_HV: u64 = (1 << 5) | (1 << 6);
const TRACEFS: &str = "/sys/kernel/tracing";
const SYS_ENTER_ID: &str = "events/raw_syscalls/sys_enter/id";

/// The tracepoint id of `raw_syscalls:sys_enter`, mounting tracefs if we are
/// root and it is not mounted. The id file is root-only, so a normal user
/// gets an error explaining that.
fn sys_enter_id() -> Result<u64, String> {
    let candidates = [
        format!("{TRACEFS}/{SYS_ENTER_ID}"),
        format!("/sys/kernel/debug/tracing/{SYS_ENTER_ID}"),
    ];
    let read = || {
        candidates
            .iter()
            .map(std::fs::read_to_string)
            .find_map(Result::ok)
    };
    let mut text = read();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if text.is_none() && root {
        let _ = mount_tracefs();
        text = read();
    }
    match text {
        Some(t) => t
            .trim()
            .parse()
            .map_err(|_| format!("{TRACEFS}/{SYS_ENTER_ID} did not parse")),
        None if root => Err(format!(
            "cannot read {TRACEFS}/{SYS_ENTER_ID} (tracefs not available)"
        )),
        None => Err(format!(
            "the tracepoint id in {TRACEFS} is readable by root only (run as root for exact syscall counts)"
        )),
    }
}

fn mount_tracefs() -> io::Result<()> {
    let c = |s: &str| std::ffi::CString::new(s).expect("no NUL in a literal");
    let (src, target, fstype) = (c("nodev"), c(TRACEFS), c("tracefs"));
    // SAFETY: all pointers are NUL-terminated strings that outlive the call;
    // data is null, which tracefs accepts.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn open_sys_enter_counter() -> Result<OwnedFd, String> {
    let attr = Attr::new(PERF_TYPE_TRACEPOINT, sys_enter_id()?);
    perf::open(&attr, 0, -1)
        .map_err(|e| format!("perf_event_open(raw_syscalls:sys_enter) failed: {e}"))
}

/// perf software page-faults of the calling thread, user mode only. Works
/// without root for one's own thread (perf_event_paranoid ≤ 2): a fault
/// whose registers are in user mode is an entry into the kernel of its own;
/// a fault taken while the kernel copies from user memory inside a syscall,
/// or made by MAP_POPULATE's page-table walk, is not counted.
/// perf's user-mode fault counters: every fault, and beside it (a split
/// needs both) the major ones; each `None` with a note when refused.
fn open_user_fault_counters(
    disabled: &Disabled,
    notes: &mut Vec<String>,
) -> (Option<OwnedFd>, Option<OwnedFd>) {
    if disabled.contains(Switchable::Tracepoint) {
        return (None, None);
    }
    let all = match open_user_fault_counter(PERF_COUNT_SW_PAGE_FAULTS) {
        Ok(fd) => fd,
        Err(why) => {
            notes.push(format!(
                "faults in user mode (for mode switches) modeled: {why}"
            ));
            return (None, None);
        }
    };
    let major = open_user_fault_counter(PERF_COUNT_SW_PAGE_FAULTS_MAJ)
        .map_err(|why| notes.push(format!("major faults in user mode unknown: {why}")))
        .ok();
    (Some(all), major)
}

/// `which`: every fault, or (`PAGE_FAULTS_MAJ`) the major ones only.
fn open_user_fault_counter(which: u64) -> Result<OwnedFd, String> {
    let attr = Attr {
        flags: EXCLUDE_KERNEL_AND_HV,
        ..Attr::new(PERF_TYPE_SOFTWARE, which)
    };
    let name = if which == PERF_COUNT_SW_PAGE_FAULTS_MAJ {
        "major-faults"
    } else {
        "page-faults"
    };
    perf::open(&attr, 0, -1).map_err(|e| format!("perf_event_open({name}, user mode) failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_counters_parse_the_proc_format() {
        let text = "rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 0\ncancelled_write_bytes: 0\n";
        let c = IoCounters::parse(text).unwrap();
        assert_eq!(c.rchar, 10);
        assert_eq!(c.wchar, 20);
        assert_eq!(c.read_bytes, 4096);
        assert_eq!(IoCounters::parse("rchar: 1\n"), None);
    }
}
