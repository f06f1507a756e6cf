//! The events a trace produces, in the order a backend learns them. Every
//! time is a [`Duration`] since the trace began (serialized as integer
//! nanoseconds), so a consumer never reads a clock of its own.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which backend measured the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Perf,
    Ptrace,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Perf => "perf",
            Backend::Ptrace => "ptrace",
        }
    }
}

/// How the traced program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl ExitStatus {
    /// The shell's convention: the code, or 128+N when killed by signal N.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Code(c) => c,
            ExitStatus::Signal(n) => 128 + n,
        }
    }

    /// Decode a `waitpid` status; `None` for a stop or continue.
    pub(crate) fn from_wait(status: i32) -> Option<ExitStatus> {
        if libc::WIFEXITED(status) {
            Some(ExitStatus::Code(libc::WEXITSTATUS(status)))
        } else if libc::WIFSIGNALED(status) {
            Some(ExitStatus::Signal(libc::WTERMSIG(status)))
        } else {
            None
        }
    }
}

/// One completed (or never-returning) system call of a traced thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyscallEvent {
    pub tid: i32,
    /// The thread group (process) the thread belongs to.
    pub pid: i32,
    pub name: &'static str,
    pub nr: i64,
    /// The file descriptor the call acted on, if it takes one.
    pub fd: Option<i32>,
    /// That descriptor's file; `None` when it could not be resolved honestly.
    pub path: Option<Arc<str>>,
    /// The second descriptor of a copy call (sendfile, copy_file_range,
    /// splice, tee): the source that `fd` is written from.
    pub source_fd: Option<i32>,
    pub source_path: Option<Arc<str>>,
    /// Bytes moved: the return value of a read/write-family call that
    /// succeeded.
    pub bytes: Option<u64>,
    /// Raw return value (negative errno on failure); `None` for calls that do
    /// not return (exit, exit_group) or whose exit was not seen.
    pub ret: Option<i64>,
    #[serde(with = "nanos")]
    pub start: Duration,
    /// Entry to exit; `None` when the exit was not seen.
    #[serde(with = "nanos_opt")]
    pub duration: Option<Duration>,
}

/// [`SyscallEvent`] as read back from a recording: its name is owned there
/// and becomes the syscall table's static name again.
#[derive(Deserialize)]
struct SyscallRecord {
    tid: i32,
    pid: i32,
    name: String,
    nr: i64,
    fd: Option<i32>,
    path: Option<Arc<str>>,
    source_fd: Option<i32>,
    source_path: Option<Arc<str>>,
    bytes: Option<u64>,
    ret: Option<i64>,
    #[serde(with = "nanos")]
    start: Duration,
    #[serde(with = "nanos_opt")]
    duration: Option<Duration>,
}

impl<'de> Deserialize<'de> for SyscallEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        SyscallRecord::deserialize(d).map(SyscallEvent::from)
    }
}

impl From<SyscallRecord> for SyscallEvent {
    fn from(r: SyscallRecord) -> Self {
        SyscallEvent {
            tid: r.tid,
            pid: r.pid,
            name: static_name(r.name),
            nr: r.nr,
            fd: r.fd,
            path: r.path,
            source_fd: r.source_fd,
            source_path: r.source_path,
            bytes: r.bytes,
            ret: r.ret,
            start: r.start,
            duration: r.duration,
        }
    }
}

/// Page-cache state of one file, from cachestat(2) on our own descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageState {
    pub cached: u64,
    pub dirty: u64,
    pub writeback: u64,
    pub evicted: u64,
    pub recently_evicted: u64,
    /// File size in bytes (fstat), if it could be read.
    pub size: Option<u64>,
}

/// Why a file sample was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleSource {
    /// Just before an I/O call on the file (the tracee was stopped).
    BeforeCall,
    /// Just after an I/O call on the file.
    AfterCall,
    /// On the sampler clock.
    Clock,
    /// After the traced program ended.
    Final,
}

/// Counters of one thread since it came under trace (attach or exec).
/// Each is `None` when its /proc file could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ThreadCounters {
    pub minor_faults: Option<u64>,
    pub major_faults: Option<u64>,
    pub voluntary_ctx_switches: Option<u64>,
    pub involuntary_ctx_switches: Option<u64>,
    pub rchar: Option<u64>,
    pub wchar: Option<u64>,
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
}

/// Everything a trace reports, one channel in time order per producer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TraceEvent {
    /// The target runs under trace. `notes` say which backend was chosen, why
    /// others were not, and what this backend cannot see.
    Started {
        pid: i32,
        backend: Backend,
        command: Vec<String>,
        notes: Vec<String>,
        #[serde(with = "nanos")]
        at: Duration,
    },
    Syscall(SyscallEvent),
    /// A file is followed from now on (it passed the filter and is regular).
    Follow {
        path: Arc<str>,
        #[serde(with = "nanos")]
        at: Duration,
    },
    FileSample {
        path: Arc<str>,
        pages: PageState,
        source: SampleSource,
        #[serde(with = "nanos")]
        at: Duration,
    },
    /// Dirty pages of the file rose by `pages` while no write-family call on
    /// it happened: stores through a shared mapping.
    DirtiedWithoutWrite {
        path: Arc<str>,
        pages: u64,
        #[serde(with = "nanos")]
        at: Duration,
    },
    /// User page faults on addresses mapped from the file (perf only).
    MapFaults {
        path: Arc<str>,
        faults: u64,
        #[serde(with = "nanos")]
        at: Duration,
    },
    ThreadSample {
        tid: i32,
        pid: i32,
        name: Arc<str>,
        counters: ThreadCounters,
        #[serde(with = "nanos")]
        at: Duration,
    },
    /// Records the kernel dropped because a ring buffer was full.
    Lost {
        count: u64,
        #[serde(with = "nanos")]
        at: Duration,
    },
    /// Something the report's reader should know, learned mid-trace.
    Note {
        text: String,
        #[serde(with = "nanos")]
        at: Duration,
    },
    /// The traced process ended (command mode, or attach mode when its exit
    /// was seen).
    Exited {
        status: ExitStatus,
        #[serde(with = "nanos")]
        at: Duration,
    },
    /// Tracing stopped without the program ending: detached.
    Detached {
        #[serde(with = "nanos")]
        at: Duration,
    },
    /// The tracer failed mid-trace; the events before it stand.
    Failed {
        error: String,
        #[serde(with = "nanos")]
        at: Duration,
    },
}

impl TraceEvent {
    /// When the event happened, since the trace began.
    pub fn at(&self) -> Duration {
        match self {
            TraceEvent::Syscall(s) => s.start,
            TraceEvent::Started { at, .. }
            | TraceEvent::Follow { at, .. }
            | TraceEvent::FileSample { at, .. }
            | TraceEvent::DirtiedWithoutWrite { at, .. }
            | TraceEvent::MapFaults { at, .. }
            | TraceEvent::ThreadSample { at, .. }
            | TraceEvent::Lost { at, .. }
            | TraceEvent::Note { at, .. }
            | TraceEvent::Exited { at, .. }
            | TraceEvent::Detached { at }
            | TraceEvent::Failed { at, .. } => *at,
        }
    }
}

/// A syscall name read back (from a recording) as the table's own static
/// name; a name this build does not know is kept once, leaked: there are a
/// few hundred names at most.
fn static_name(name: String) -> &'static str {
    match crate::syscall_table::number(&name) {
        Some(nr) => crate::syscall_table::name(nr),
        None => Box::leak(name.into_boxed_str()),
    }
}

/// `Duration` as integer nanoseconds.
pub(crate) mod nanos {
    use std::time::Duration;

    use serde::Deserialize;

    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `with` signature
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_nanos)
    }
}

/// `Option<Duration>` as integer nanoseconds or null.
pub(crate) mod nanos_opt {
    use std::time::Duration;

    #[allow(clippy::ref_option)] // serde's `with` signature
    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        use serde::Deserialize;
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_back_as_they_were_written() {
        let events = [
            TraceEvent::Syscall(SyscallEvent {
                tid: 2,
                pid: 1,
                name: "pwrite64",
                nr: crate::syscall_table::number("pwrite64").unwrap(),
                fd: Some(3),
                path: Some("/tmp/a".into()),
                source_fd: None,
                source_path: None,
                bytes: Some(100),
                ret: Some(100),
                start: Duration::from_nanos(5),
                duration: None,
            }),
            TraceEvent::Exited {
                status: ExitStatus::Signal(9),
                at: Duration::from_millis(3),
            },
        ];
        for e in events {
            let text = serde_json::to_string(&e).unwrap();
            let back: TraceEvent = serde_json::from_str(&text).unwrap();
            assert_eq!(back, e, "{text}");
        }
    }
}
