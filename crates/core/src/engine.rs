//! The engine: runs a [`Plan`] on a worker thread named
//! `exec` with real syscalls on the working file, measuring each slice of work,
//! and reports what happened as [`ExecEvent`]s over a channel.
//!
//! It knows nothing of any UI: a consumer passes a `Sender<E>` where
//! `E: From<ExecEvent> + From<Snapshot>` and drives it with [`Command`]s.
//!
//! ```text
//! start(plan, config, tx) ── sweep dead runs' workdirs ── validate: the plan's
//!    │     limits (Plan::check_limits, as `check` does), then statvfs and
//!    │     MemAvailable ── workdir (0700, flock; its fd held for every open)
//!    │
//!    ├─ thread `exec`    prefill file → Ready → per step: StepStarted,
//!    │                   per slice: [probe.begin · op.slice · probe.end] → Slice,
//!    │                   page state after → StepDone … → Finished
//!    └─ thread `sampler` every 1/sample_hz: Snapshot { system, file map, mapping }
//! ```
//! - `runner`: the worker loop; `ops/*`: one op family per file, each resumable
//!   in slices; `control`: pause/step/speed/abort and the pacing rule;
//!   `sampler`; `workdir`: where the file lives and how it is set up.
//! - A thread stops when `send` on the channel fails or on Abort; every sleep
//!   waits on one condvar, so Abort is prompt. Dropping [`Engine`] aborts,
//!   joins both threads and removes the working directory. A worker that
//!   panics sends `Failed` and aborts, so the sampler stops and the channel
//!   closes instead of leaving the consumer waiting.
//! - Measurement (see `probe::thread`): the worker reads its own counters
//!   around each slice with exact compensation; only the op's work is inside
//!   the window. Pacing, channel sends and page-state reads are outside.

use std::path::{Path, PathBuf};
#[cfg(target_os = "linux")]
use std::sync::mpsc::Sender;
#[cfg(target_os = "linux")]
use std::sync::{Arc, Mutex};
#[cfg(target_os = "linux")]
use std::thread::JoinHandle;
use std::time::Duration;
#[cfg(target_os = "linux")]
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::model::Transfer;
use crate::outcome::duration_ns;
use crate::outcome::{Environment, Readings, RunOutcome, StepOutcome};
use crate::probe::Disabled;
use crate::probe::pages::PageMap;
use crate::probe::system::SystemMem;
use crate::scenario::{Limits, Plan, Refusal};

pub mod control;
#[cfg(target_os = "linux")]
pub(crate) mod dirty;
#[cfg(target_os = "linux")]
pub(crate) mod ops;
#[cfg(target_os = "linux")]
mod program;
#[cfg(target_os = "linux")]
mod runner;
#[cfg(target_os = "linux")]
pub mod sampler;
#[cfg(target_os = "linux")]
pub mod workdir;

#[cfg(target_os = "linux")]
use control::Control;
#[cfg(target_os = "linux")]
use workdir::Workdir;

/// How a run is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Create the private working directory here (else $TMPDIR, /tmp or the
    /// user's cache directory, whichever is disk-backed first).
    pub workdir_parent: Option<PathBuf>,
    /// Refuse a working file or a mapping bigger than this many bytes.
    pub max_size: u64,
    pub speed: Speed,
    pub start_paused: bool,
    /// Sampler frequency (clamped to 1..=1000).
    pub sample_hz: u32,
    /// Measurement sources switched off (`IOTOUR_DISABLE`).
    pub disabled: Disabled,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            workdir_parent: None,
            max_size: 1 << 30,
            speed: Speed::Max,
            start_paused: false,
            sample_hz: 20,
            disabled: Disabled::default(),
        }
    }
}

/// Why a run could not start. Nothing has been written when these are returned
/// (except `Spawn`, after which the workdir is removed again).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The plan needs more than this machine's limits allow (`iotour check`
    /// refuses the same).
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the working file would grow to {need} bytes but {dir} has only {free} bytes free")]
    NoSpace { need: u64, free: u64, dir: String },
    #[error(
        "the scenario maps up to {need} bytes of anonymous memory at once but only {available} \
         bytes are available (MemAvailable): touching them could get this process or another \
         killed by the OOM killer"
    )]
    NoMemory { need: u64, available: u64 },
    #[error("working directory {}: {source}", path.display())]
    Workdir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not start the {thread} thread: {source}")]
    Spawn {
        thread: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// The current file mapping, published by the worker for the sampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappingInfo {
    pub addr: usize,
    pub len: usize,
    /// File offset of the mapping's first byte.
    pub offset: u64,
    /// As the op mapped it: MAP_SHARED (else MAP_PRIVATE), and PROT_WRITE
    /// beside PROT_READ. The sampler shows /proc/self/maps' word where it
    /// can read it; these stand in where it cannot.
    pub shared: bool,
    pub write: bool,
}

/// The file mapping as published, and how many times it has been
/// (re)published. The worker republishes (to `None`) before every munmap, so
/// a reader that sees the same generation before and after its read knows
/// the range it read was not unmapped in between.
#[cfg(target_os = "linux")]
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub info: Option<MappingInfo>,
    pub generation: u64,
}

/// State shared by the engine handle, the worker and the sampler. No UI types.
#[cfg(target_os = "linux")]
#[derive(Debug)]
pub(crate) struct Shared {
    pub control: Control,
    mapping: Mutex<Published>,
    /// The sampler's own read-only fd of the working file, opened by the
    /// worker through the working directory's fd once the file exists.
    pub sampler_file: Mutex<Option<std::fs::File>>,
    pub start: Instant,
    /// Bytes this run changed in the file and the kernel has not written
    /// back (the worker's ledger, see `dirty`), for the sampler's "not yet
    /// durable".
    pub unwritten: std::sync::atomic::AtomicU64,
    /// Set while a step waits on the device (sync calls, O_SYNC/O_DIRECT
    /// writes, reads, wait_writeback): the sampler then samples fast.
    pub device_wait: std::sync::atomic::AtomicBool,
    /// Wakes a sleeping sampler when a device wait begins.
    pub wait_began: (Mutex<()>, std::sync::Condvar),
}

#[cfg(target_os = "linux")]
impl Shared {
    pub fn new(control: Control) -> Shared {
        Shared {
            control,
            mapping: Mutex::new(Published::default()),
            sampler_file: Mutex::new(None),
            start: Instant::now(),
            unwritten: std::sync::atomic::AtomicU64::new(0),
            device_wait: std::sync::atomic::AtomicBool::new(false),
            wait_began: (Mutex::new(()), std::sync::Condvar::new()),
        }
    }

    pub fn at(&self) -> Duration {
        self.start.elapsed()
    }

    /// The worker's step waits on the device (`true`) or no longer does; a
    /// sleeping sampler is woken to start its burst.
    pub fn set_device_wait(&self, waits: bool) {
        self.device_wait
            .store(waits, std::sync::atomic::Ordering::Relaxed);
        if waits {
            let _guard = self
                .wait_began
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.wait_began.1.notify_all();
        }
    }

    pub fn device_wait(&self) -> bool {
        self.device_wait.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn published(&self) -> std::sync::MutexGuard<'_, Published> {
        self.mapping
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Show `info` to the sampler. Call with `None` before unmapping.
    pub fn publish_mapping(&self, info: Option<MappingInfo>) {
        let mut p = self.published();
        p.info = info;
        p.generation += 1;
    }

    /// The published mapping and its generation.
    pub fn mapping(&self) -> (Option<MappingInfo>, u64) {
        let p = self.published();
        (p.info, p.generation)
    }
}

/// A running scenario. Dropping it aborts the run, joins both threads and
/// removes the working directory.
#[cfg(target_os = "linux")]
pub struct Engine {
    shared: Arc<Shared>,
    exec: Option<JoinHandle<()>>,
    sampler: Option<JoinHandle<()>>,
    workdir: Option<Workdir>,
}

/// Start `plan` on a worker thread (`exec`) and a sampler thread (`sampler`),
/// sending their events to `events`. Checks sizes against `max_size` and the
/// free space before anything is written.
#[cfg(target_os = "linux")]
pub fn start<E>(plan: Plan, config: EngineConfig, events: Sender<E>) -> Result<Engine, EngineError>
where
    E: From<ExecEvent> + From<Snapshot> + Send + 'static,
{
    let (parent, mut fs) = Workdir::probe_parent(config.workdir_parent.as_deref())?;
    // Directories of runs that were killed go first: they may hold the space
    // this run needs.
    let swept = workdir::sweep(&parent);
    if swept.removed > 0 {
        fs = Workdir::probe_parent(config.workdir_parent.as_deref())?.1;
    }
    validate(
        &plan,
        &Limits::here(config.max_size),
        fs.free_bytes,
        &parent,
    )?;
    if let Some(available) = crate::probe::system::mem_available() {
        validate_memory(&plan, available)?;
    }
    let mut workdir = Workdir::create(config.workdir_parent.as_deref())?;
    workdir.notes.extend(swept.note());
    let shared = Arc::new(Shared::new(Control::new(config.speed, config.start_paused)));
    let mut engine = Engine {
        shared: Arc::clone(&shared),
        exec: None,
        sampler: None,
        workdir: None,
    };
    let setup = runner::Setup {
        dir: workdir.dir(),
        workdir: workdir.path().to_path_buf(),
        fs: workdir.fs.clone(),
        workdir_notes: workdir.notes.clone(),
        disabled: config.disabled.clone(),
    };
    engine.workdir = Some(workdir);
    let tx = events.clone();
    let sh = Arc::clone(&shared);
    engine.exec = Some(
        std::thread::Builder::new()
            .name("exec".into())
            .spawn(move || runner::run(&plan, setup, sh, tx))
            .map_err(|e| EngineError::Spawn {
                thread: "exec",
                source: e,
            })?,
    );
    let sh = Arc::clone(&shared);
    let hz = config.sample_hz.clamp(1, 1000);
    let disabled = config.disabled;
    engine.sampler = Some(
        std::thread::Builder::new()
            .name("sampler".into())
            .spawn(move || sampler::run(&sh, hz, &disabled, &events))
            .map_err(|e| EngineError::Spawn {
                thread: "sampler",
                source: e,
            })?,
    );
    Ok(engine)
}

/// Refuse a plan whose anonymous mappings, all touched, would not fit in
/// `available` bytes of memory (`MemAvailable`). Only a run can know this.
pub fn validate_memory(plan: &Plan, available: u64) -> Result<(), EngineError> {
    let need = plan.footprint().anon_bytes;
    if need > available {
        return Err(EngineError::NoMemory { need, available });
    }
    Ok(())
}

/// Refuse a plan that needs more than `limits` allow (the check `iotour
/// check` makes too) or more disk than `free` bytes in `dir` (which only a
/// run can know).
pub fn validate(plan: &Plan, limits: &Limits, free: u64, dir: &Path) -> Result<(), EngineError> {
    plan.check_limits(limits)?;
    let need = plan.footprint().file_bytes;
    if need > free {
        return Err(EngineError::NoSpace {
            need,
            free,
            dir: dir.display().to_string(),
        });
    }
    Ok(())
}

#[cfg(target_os = "linux")]
impl Engine {
    /// Pass a command to the worker (pause, resume, step, speed, abort).
    pub fn send(&self, cmd: Command) {
        self.shared.control.apply(cmd);
    }

    /// The private working directory (removed when the engine is dropped).
    pub fn workdir(&self) -> Option<&Path> {
        self.workdir.as_ref().map(Workdir::path)
    }

    /// Leave the working directory (and the file in it) on disk when the
    /// engine is dropped, so a witness can inspect the page cache of the file
    /// after the last step. Returns its path; the caller removes it.
    pub fn keep_workdir(&mut self) -> Option<PathBuf> {
        self.workdir.as_mut().map(Workdir::keep)
    }

    /// Abort the run, join both threads and remove the working directory.
    pub fn abort(self) {
        drop(self);
    }

    fn shutdown(&mut self) {
        self.shared.control.apply(Command::Abort);
        if let Some(h) = self.exec.take() {
            let _ = h.join();
        }
        if let Some(h) = self.sampler.take() {
            let _ = h.join();
        }
        // Dropping the Workdir removes the file and the directory through
        // their fds (unless `keep_workdir` was called).
        self.workdir = None;
    }
}

#[cfg(target_os = "linux")]
impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// What the engine tells its consumer. `at` is the time since the run began
/// (serialized as integer nanoseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(
    clippy::large_enum_variant,
    reason = "each event is moved once, through a channel; a step's report is sent once a step"
)]
pub enum ExecEvent {
    /// The working file is set up; measurement sources are known.
    Ready {
        environment: Environment,
        #[serde(with = "duration_ns")]
        at: Duration,
    },
    /// Step `index` (1-based) begins.
    StepStarted {
        index: usize,
        #[serde(with = "duration_ns")]
        at: Duration,
    },
    /// A slice of a step's work finished.
    Slice(SliceReport),
    /// A step finished (successfully or not: see `StepOutcome::error`).
    StepDone(StepOutcome),
    /// Every step ran (or one failed and the run stopped); the whole report.
    Finished(RunOutcome),
    /// The run could not start or could not go on (setup failed, disk full).
    Failed {
        error: String,
        #[serde(with = "duration_ns")]
        at: Duration,
    },
}

/// One slice of a step: its own counters (pacing excluded) and its copies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceReport {
    pub step: usize,
    /// 0-based slice number within the step.
    pub slice: usize,
    /// Units of work (calls, pages) done so far in the step, and in all.
    pub done: u64,
    pub total: u64,
    #[serde(with = "duration_ns")]
    pub at: Duration,
    /// Counter deltas of this slice only (the state fields are `None`).
    pub measured: Readings,
    pub copies: Vec<Transfer>,
    /// The slice's legs that copy nothing (see `model::Leg`); absent from
    /// older recordings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legs: Vec<crate::model::Leg>,
}

/// How fast a paced run goes. `Max` does no pacing at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Speed {
    Quarter,
    Half,
    One,
    Two,
    Four,
    Eight,
    Max,
}

impl Speed {
    pub const ALL: [Speed; 7] = [
        Speed::Quarter,
        Speed::Half,
        Speed::One,
        Speed::Two,
        Speed::Four,
        Speed::Eight,
        Speed::Max,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Speed::Quarter => "¼×",
            Speed::Half => "½×",
            Speed::One => "1×",
            Speed::Two => "2×",
            Speed::Four => "4×",
            Speed::Eight => "8×",
            Speed::Max => "max",
        }
    }

    #[must_use]
    pub fn faster(self) -> Speed {
        let i = Speed::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Speed::ALL[(i + 1).min(Speed::ALL.len() - 1)]
    }

    #[must_use]
    pub fn slower(self) -> Speed {
        let i = Speed::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Speed::ALL[i.saturating_sub(1)]
    }
}

/// What a consumer can ask of a running engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Pause,
    Resume,
    /// While paused: run the next whole step, then pause again.
    NextStep,
    /// While paused: run one slice, then pause again.
    NextSlice,
    /// Finish the step in progress, then pause; between steps, run the next
    /// whole step, then pause. Unlike `NextStep`, a grant made while a step
    /// runs is used up by that step (the lecturer's "show me this step's end").
    FinishStep,
    SetSpeed(Speed),
    /// While a `sleep` or `wait_writeback` step waits: end the wait now (the
    /// lecturer has explained it). The step ends with its state as measured
    /// at that moment and its report says it was ended early
    /// ([`StepOutcome::ended_early_ns`]); at any other time it does nothing.
    EndWait,
    /// Stop as soon as the current slice ends; the working directory is removed.
    Abort,
}

/// What the sampler thread reads on its own clock (default 20 Hz),
/// independent of steps, so a long fsync is watched while it blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Time since the run began.
    #[serde(with = "duration_ns")]
    pub at: Duration,
    pub system: SystemMem,
    /// The working file's page-cache map; `None` before the file exists.
    pub file: Option<PageMap>,
    /// For each cell of `file`, whether the current file mapping covers it and
    /// whether its pages are in this process's page tables (faulted in);
    /// `None` when there is no mapping.
    pub mapping: Option<Vec<MapCell>>,
    /// The current file mapping itself (its range, protection and flags)
    /// and how many of its pages have page-table entries; `None` when there
    /// is no mapping, and in recordings made before it was sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vma: Option<Vma>,
    /// Not yet durable: the bytes this run changed in the file that the
    /// kernel has not written back (the engine's own ranges), never more
    /// than cachestat's dirty + writeback pages × page size; `None` when
    /// dirtiness is unknown (mincore) and in older recordings.
    #[serde(default)]
    pub not_durable_bytes: Option<u64>,
    /// Taken in a fast burst (up to 1 kHz) while a step waits on the device,
    /// for the view's slow motion; absent (false) in older recordings.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub burst: bool,
    /// The flusher's clock as /proc/sys/vm sets it; `None` when unreadable
    /// (and in recordings made before it was sampled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flusher: Option<FlusherClock>,
}

/// When the kernel's flusher threads write dirty data by themselves:
/// data dirty for longer than `expire` (`dirty_expire_centisecs`) is written
/// by the next periodic run, and they wake every `every`
/// (`dirty_writeback_centisecs`; zero: periodic writeback is off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlusherClock {
    #[serde(with = "duration_ns")]
    pub expire: Duration,
    #[serde(with = "duration_ns")]
    pub every: Duration,
}

impl FlusherClock {
    /// From the two sysctls, in centiseconds.
    pub fn from_centisecs(expire: u64, every: u64) -> FlusherClock {
        FlusherClock {
            expire: Duration::from_millis(expire * 10),
            every: Duration::from_millis(every * 10),
        }
    }
}

/// The current file mapping as the sampler saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vma {
    /// The range of the file it maps, in bytes.
    pub offset: u64,
    pub len: u64,
    /// Its permissions as /proc/self/maps writes them (`rw-s`: read,
    /// write, no exec, shared; `p` for private).
    pub perms: String,
    /// `perms` was read from /proc/self/maps (measured); else it is what
    /// the op asked mmap(2) for.
    pub perms_measured: bool,
    /// Its pages, and those present in this process's page tables
    /// (/proc/self/pagemap bit 63: measured, exact).
    pub pages: u64,
    pub present_pages: u64,
}

impl Vma {
    /// Readable: the `r` of `perms`.
    pub fn readable(&self) -> bool {
        self.perms.starts_with('r')
    }

    /// Writable: PROT_WRITE.
    pub fn writable(&self) -> bool {
        self.perms.as_bytes().get(1) == Some(&b'w')
    }

    /// MAP_SHARED (else MAP_PRIVATE).
    pub fn shared(&self) -> bool {
        self.perms.as_bytes().get(3) == Some(&b's')
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MapCell {
    Unmapped,
    /// Inside the mapping, nothing faulted in yet.
    Mapped,
    /// At least one page of the cell is present in the page tables.
    Faulted,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{AnonMmap, FileSetup, Meta, Op, Origin, Rwf, Step, Text, Write, nonzero};

    fn plan(size: u64, ops: Vec<Op>) -> Plan {
        let meta = Meta {
            title: Text::en("t"),
            summary: Text::en("t"),
            tags: vec![],
            java: None,
            lesson: None,
        };
        let steps = ops
            .into_iter()
            .map(|op| Step {
                op,
                say: None,
                ask: None,
                calls: None,
                expect: vec![],
                line: 0,
            })
            .collect();
        Plan::new(
            "t",
            Origin::Builtin,
            meta,
            FileSetup { size, cached: true },
            steps,
        )
        .unwrap()
    }

    const LIMITS: Limits = Limits {
        max_size: 1 << 30,
        page_size: 4096,
    };

    #[test]
    fn the_handle_can_move_to_another_thread() {
        fn send<T: Send>() {}
        send::<Engine>();
        send::<EngineConfig>();
    }

    #[test]
    fn validation_refuses_the_limits_then_too_little_space() {
        let dir = Path::new("/x");
        let p = plan(
            2048,
            vec![Op::Write(Write {
                bytes: nonzero(1000),
                chunk: nonzero(10),
                rwf: Rwf::NONE,
            })],
        );
        assert!(validate(&p, &LIMITS, 1 << 30, dir).is_ok());
        let small = Limits {
            max_size: 1024,
            ..LIMITS
        };
        let e = validate(&p, &small, 1 << 30, dir).unwrap_err();
        assert!(
            matches!(e, EngineError::Refused(Refusal::TooBig { bytes: 2048, .. })),
            "{e}"
        );
        let e = validate(&p, &LIMITS, 2047, dir).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the working file would grow to 2048 bytes but /x has only 2047 bytes free"
        );
    }

    #[test]
    fn memory_is_refused_beyond_what_is_available() {
        let p = plan(
            0,
            vec![
                Op::AnonMmap(AnonMmap {
                    bytes: nonzero(100),
                }),
                Op::AnonMmap(AnonMmap { bytes: nonzero(20) }),
            ],
        );
        assert!(validate_memory(&p, 120).is_ok());
        let e = validate_memory(&p, 119).unwrap_err();
        assert!(e.to_string().contains("MemAvailable"), "{e}");
    }
}
