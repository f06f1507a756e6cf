//! The report of a whole trace, and the fold that builds it from events.
//! The backends never build a report themselves: `Tracer::wait` folds the
//! same events a UI receives, so the live view and the final JSON agree.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::event::{Backend, ExitStatus, SampleSource, ThreadCounters, TraceEvent};
use crate::syscall_table::{self, Direction};

/// The JSON contract of `iotour trace` (see the crate README). Unmeasured
/// values are `None` (null); keys are never renamed, only added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceReport {
    pub command: Vec<String>,
    pub pid: i32,
    pub backend: Option<Backend>,
    /// The exit code, 128+N when killed by signal N; null when the end was
    /// not seen (detached).
    pub exit_code: Option<i32>,
    /// The signal that killed the program, if one did.
    pub exit_signal: Option<i32>,
    pub duration_ns: u64,
    pub lost_events: u64,
    pub totals: Totals,
    /// Calls by name over every traced thread.
    #[serde(deserialize_with = "calls_by_name")]
    pub syscalls: BTreeMap<&'static str, u64>,
    pub threads: Vec<ThreadReport>,
    pub files: Vec<FileReport>,
    pub notes: Vec<String>,
    /// The tracer's own failure, if it stopped early.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    pub syscalls: u64,
    pub minor_faults: Option<u64>,
    pub major_faults: Option<u64>,
    pub voluntary_ctx_switches: Option<u64>,
    pub involuntary_ctx_switches: Option<u64>,
    pub rchar: Option<u64>,
    pub wchar: Option<u64>,
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadReport {
    pub tid: i32,
    pub pid: i32,
    pub name: Option<Arc<str>>,
    pub syscalls: u64,
    pub minor_faults: Option<u64>,
    pub major_faults: Option<u64>,
    pub voluntary_ctx_switches: Option<u64>,
    pub involuntary_ctx_switches: Option<u64>,
    pub rchar: Option<u64>,
    pub wchar: Option<u64>,
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReport {
    pub path: Arc<str>,
    /// Calls on this file only, by name.
    #[serde(deserialize_with = "calls_by_name")]
    pub syscalls: BTreeMap<&'static str, u64>,
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// fsync, fdatasync, sync_file_range, syncfs and msync calls on it.
    pub sync_calls: u64,
    pub size: Option<u64>,
    /// The last sample (after the program ended, when it was seen to end).
    pub cached_pages: Option<u64>,
    pub dirty_pages: Option<u64>,
    pub writeback_pages: Option<u64>,
    pub peak_dirty_pages: Option<u64>,
    /// Page faults on its mappings (perf only; null under ptrace).
    pub map_faults: Option<u64>,
    /// Dirty pages that appeared with no write-family call in between.
    pub dirtied_without_write_pages: u64,
}

/// Call counts read back (from a recording) with their names interned in
/// this arch's syscall table, which is where every name the tracer writes
/// comes from; a name the table lacks (a recording from another arch, or a
/// hostile one) is counted under "unknown", as the tracer counts such calls.
fn calls_by_name<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<&'static str, u64>, D::Error> {
    let written = BTreeMap::<String, u64>::deserialize(d)?;
    let mut out = BTreeMap::new();
    for (name, n) in written {
        let known = syscall_table::number(&name).map_or("unknown", syscall_table::name);
        let slot: &mut u64 = out.entry(known).or_default();
        *slot = slot.saturating_add(n);
    }
    Ok(out)
}

/// Folds [`TraceEvent`]s into a [`TraceReport`]; a UI feeds it the events it
/// receives and calls [`TraceAccumulator::report`] whenever it draws.
#[derive(Debug, Clone, Default)]
pub struct TraceAccumulator {
    command: Vec<String>,
    pid: i32,
    backend: Option<Backend>,
    notes: Vec<String>,
    started: Option<Duration>,
    last_at: Duration,
    exit: Option<ExitStatus>,
    lost: u64,
    syscalls: BTreeMap<&'static str, u64>,
    total_syscalls: u64,
    threads: BTreeMap<i32, ThreadAcc>,
    files: Vec<FileReport>,
    file_index: HashMap<Arc<str>, usize>,
    error: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct ThreadAcc {
    pid: i32,
    name: Option<Arc<str>>,
    syscalls: u64,
    counters: Option<ThreadCounters>,
}

impl TraceAccumulator {
    pub fn new() -> TraceAccumulator {
        TraceAccumulator::default()
    }

    pub fn push(&mut self, event: &TraceEvent) {
        self.last_at = self.last_at.max(event.at());
        match event {
            TraceEvent::Started {
                pid,
                backend,
                command,
                notes,
                at,
            } => {
                self.pid = *pid;
                self.backend = Some(*backend);
                self.command.clone_from(command);
                self.notes.extend(notes.iter().cloned());
                self.started = Some(*at);
            }
            TraceEvent::Syscall(s) => {
                self.total_syscalls += 1;
                *self.syscalls.entry(s.name).or_default() += 1;
                let t = self.threads.entry(s.tid).or_default();
                t.pid = s.pid;
                t.syscalls += 1;
                if let Some(end) = s.duration.map(|d| s.start + d) {
                    self.last_at = self.last_at.max(end);
                }
                let info = syscall_table::info(s.nr);
                let bytes = s.bytes.unwrap_or(0);
                if let Some(f) = s.path.as_ref().and_then(|p| self.file_mut(p)) {
                    *f.syscalls.entry(s.name).or_default() += 1;
                    match info.class.direction {
                        Direction::Read => f.bytes_read += bytes,
                        Direction::Write | Direction::Copy => f.bytes_written += bytes,
                        Direction::None => {}
                    }
                    if info.class.sync {
                        f.sync_calls += 1;
                    }
                }
                if let Some(f) = s.source_path.as_ref().and_then(|p| self.file_mut(p)) {
                    // The source of a copy call: same call, counted once per
                    // file it touched (unless both are the same file).
                    if s.source_path != s.path {
                        *f.syscalls.entry(s.name).or_default() += 1;
                    }
                    f.bytes_read += bytes;
                }
            }
            TraceEvent::Follow { path, .. } => {
                self.file_entry(path);
            }
            TraceEvent::FileSample { path, pages, .. } => {
                let f = self.file_entry(path);
                f.cached_pages = Some(pages.cached);
                f.dirty_pages = Some(pages.dirty);
                f.writeback_pages = Some(pages.writeback);
                if pages.size.is_some() {
                    f.size = pages.size;
                }
                f.peak_dirty_pages = Some(f.peak_dirty_pages.unwrap_or(0).max(pages.dirty));
            }
            TraceEvent::DirtiedWithoutWrite { path, pages, .. } => {
                self.file_entry(path).dirtied_without_write_pages += pages;
            }
            TraceEvent::MapFaults { path, faults, .. } => {
                let f = self.file_entry(path);
                f.map_faults = Some(f.map_faults.unwrap_or(0) + faults);
            }
            TraceEvent::ThreadSample {
                tid,
                pid,
                name,
                counters,
                ..
            } => {
                let t = self.threads.entry(*tid).or_default();
                t.pid = *pid;
                t.name = Some(name.clone());
                t.counters = Some(*counters);
            }
            TraceEvent::Lost { count, .. } => self.lost += count,
            TraceEvent::Note { text, .. } => self.notes.push(text.clone()),
            TraceEvent::Exited { status, .. } => self.exit = Some(*status),
            TraceEvent::Detached { .. } => {}
            TraceEvent::Failed { error, .. } => self.error = Some(error.clone()),
        }
    }

    fn file_entry(&mut self, path: &Arc<str>) -> &mut FileReport {
        if let Some(&i) = self.file_index.get(path) {
            return &mut self.files[i];
        }
        self.files.push(FileReport {
            path: path.clone(),
            syscalls: BTreeMap::new(),
            bytes_read: 0,
            bytes_written: 0,
            sync_calls: 0,
            size: None,
            cached_pages: None,
            dirty_pages: None,
            writeback_pages: None,
            peak_dirty_pages: None,
            map_faults: (self.backend == Some(Backend::Perf)).then_some(0),
            dirtied_without_write_pages: 0,
        });
        self.file_index.insert(path.clone(), self.files.len() - 1);
        self.files.last_mut().expect("just pushed")
    }

    /// Only followed files get an entry (a `Follow` event made it).
    fn file_mut(&mut self, path: &Arc<str>) -> Option<&mut FileReport> {
        let i = *self.file_index.get(path)?;
        Some(&mut self.files[i])
    }

    /// The report as of the events pushed so far.
    pub fn report(&self) -> TraceReport {
        let threads: Vec<ThreadReport> = self
            .threads
            .iter()
            .map(|(&tid, t)| {
                let c = t.counters;
                ThreadReport {
                    tid,
                    pid: t.pid,
                    name: t.name.clone(),
                    syscalls: t.syscalls,
                    minor_faults: c.and_then(|c| c.minor_faults),
                    major_faults: c.and_then(|c| c.major_faults),
                    voluntary_ctx_switches: c.and_then(|c| c.voluntary_ctx_switches),
                    involuntary_ctx_switches: c.and_then(|c| c.involuntary_ctx_switches),
                    rchar: c.and_then(|c| c.rchar),
                    wchar: c.and_then(|c| c.wchar),
                    read_bytes: c.and_then(|c| c.read_bytes),
                    write_bytes: c.and_then(|c| c.write_bytes),
                }
            })
            .collect();
        // A total is the sum over the threads that measured it, null when
        // none did.
        let sum = |f: fn(&ThreadReport) -> Option<u64>| {
            threads
                .iter()
                .filter_map(f)
                .fold(None, |acc: Option<u64>, v| Some(acc.unwrap_or(0) + v))
        };
        let totals = Totals {
            syscalls: self.total_syscalls,
            minor_faults: sum(|t| t.minor_faults),
            major_faults: sum(|t| t.major_faults),
            voluntary_ctx_switches: sum(|t| t.voluntary_ctx_switches),
            involuntary_ctx_switches: sum(|t| t.involuntary_ctx_switches),
            rchar: sum(|t| t.rchar),
            wchar: sum(|t| t.wchar),
            read_bytes: sum(|t| t.read_bytes),
            write_bytes: sum(|t| t.write_bytes),
        };
        let start = self.started.unwrap_or_default();
        TraceReport {
            command: self.command.clone(),
            pid: self.pid,
            backend: self.backend,
            exit_code: self.exit.map(ExitStatus::code),
            exit_signal: match self.exit {
                Some(ExitStatus::Signal(n)) => Some(n),
                _ => None,
            },
            duration_ns: u64::try_from(self.last_at.saturating_sub(start).as_nanos())
                .unwrap_or(u64::MAX),
            lost_events: self.lost,
            totals,
            syscalls: self.syscalls.clone(),
            threads,
            files: self.files.clone(),
            notes: self.notes.clone(),
            error: self.error.clone(),
        }
    }

    /// The exit status, once seen.
    pub fn exit(&self) -> Option<ExitStatus> {
        self.exit
    }
}

impl SampleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SampleSource::BeforeCall => "before_call",
            SampleSource::AfterCall => "after_call",
            SampleSource::Clock => "clock",
            SampleSource::Final => "final",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{PageState, SyscallEvent};

    fn syscall(name: &'static str, path: Option<&Arc<str>>, bytes: Option<u64>) -> TraceEvent {
        TraceEvent::Syscall(SyscallEvent {
            tid: 11,
            pid: 10,
            name,
            nr: syscall_table::number(name).unwrap(),
            fd: Some(3),
            path: path.cloned(),
            source_fd: None,
            source_path: None,
            bytes,
            ret: Some(0),
            start: Duration::from_millis(1),
            duration: Some(Duration::from_micros(5)),
        })
    }

    #[test]
    fn counts_only_followed_files_and_keeps_the_last_sample() {
        let data: Arc<str> = Arc::from("/tmp/data");
        let lib: Arc<str> = Arc::from("/lib/libc.so.6");
        let mut acc = TraceAccumulator::new();
        acc.push(&TraceEvent::Started {
            pid: 10,
            backend: Backend::Ptrace,
            command: vec!["w".into()],
            notes: vec![],
            at: Duration::ZERO,
        });
        acc.push(&TraceEvent::Follow {
            path: data.clone(),
            at: Duration::ZERO,
        });
        for _ in 0..3 {
            acc.push(&syscall("write", Some(&data), Some(100)));
        }
        acc.push(&syscall("read", Some(&lib), Some(832)));
        acc.push(&syscall("fsync", Some(&data), None));
        for dirty in [5, 9, 0] {
            acc.push(&TraceEvent::FileSample {
                path: data.clone(),
                pages: PageState {
                    cached: 3,
                    dirty,
                    ..PageState::default()
                },
                source: SampleSource::Clock,
                at: Duration::from_millis(2),
            });
        }
        acc.push(&TraceEvent::Exited {
            status: ExitStatus::Signal(9),
            at: Duration::from_millis(3),
        });
        let r = acc.report();
        assert_eq!(r.exit_code, Some(137));
        assert_eq!(r.totals.syscalls, 5);
        assert_eq!(r.syscalls["write"], 3);
        assert_eq!(r.files.len(), 1);
        let f = &r.files[0];
        assert_eq!(f.syscalls["write"], 3);
        assert_eq!(f.syscalls["fsync"], 1);
        assert_eq!(f.bytes_written, 300);
        assert_eq!(f.sync_calls, 1);
        assert_eq!((f.dirty_pages, f.peak_dirty_pages), (Some(0), Some(9)));
        assert_eq!(f.map_faults, None);
        assert_eq!(r.totals.minor_faults, None);
        assert_eq!(r.duration_ns, 3_000_000);
    }

    #[test]
    fn json_has_the_contract_keys() {
        let r = TraceAccumulator::new().report();
        let v = serde_json::to_value(&r).unwrap();
        for key in [
            "command",
            "pid",
            "backend",
            "exit_code",
            "duration_ns",
            "lost_events",
            "totals",
            "syscalls",
            "threads",
            "files",
        ] {
            assert!(v.get(key).is_some(), "{key} missing");
        }
        for key in [
            "syscalls",
            "minor_faults",
            "major_faults",
            "voluntary_ctx_switches",
            "involuntary_ctx_switches",
            "rchar",
            "wchar",
            "read_bytes",
            "write_bytes",
        ] {
            assert!(v["totals"].get(key).is_some(), "totals.{key} missing");
        }
    }
}
