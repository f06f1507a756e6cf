//! The engine: runs a [`Plan`] on a worker thread named
//! `exec` with real syscalls on the working file, measuring each slice of work,
//! and reports what happened as [`ExecEvent`]s over a channel.
//!
//! It knows nothing of any UI: a consumer passes a `Sender<E>` where
//! `E: From<ExecEvent> + From<Snapshot>` and drives it with [`Command`]s.
//!
//! ```text
//! start(plan, config, tx) ── sweep dead runs' workdirs ── validate sizes
//!    │                        (max_size, statvfs, MemAvailable) ── workdir (0700, flock)
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
use crate::scenario::{Op, Plan};

pub mod control;
#[cfg(target_os = "linux")]
pub(crate) mod ops;
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
    /// Measurement sources switched off (IOTOUR_DISABLE).
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
    #[error("{what} is {bytes} bytes, over the limit of {max} bytes (raise it with --max-size)")]
    TooBig { what: String, bytes: u64, max: u64 },
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
    #[error("step {step} ({op}): `{field}` is 0 but must be at least 1")]
    Zero {
        step: usize,
        op: &'static str,
        field: &'static str,
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
    /// Set once the working file exists.
    pub file_path: Mutex<Option<PathBuf>>,
    pub start: Instant,
}

#[cfg(target_os = "linux")]
impl Shared {
    pub fn new(control: Control) -> Shared {
        Shared {
            control,
            mapping: Mutex::new(Published::default()),
            file_path: Mutex::new(None),
            start: Instant::now(),
        }
    }

    pub fn at(&self) -> Duration {
        self.start.elapsed()
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
    validate(&plan, config.max_size, fs.free_bytes, &parent)?;
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
        file_path: workdir.file_path(),
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
            .spawn(move || runner::run(plan, setup, sh, tx))
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
            .spawn(move || sampler::run(sh, hz, disabled, events))
            .map_err(|e| EngineError::Spawn {
                thread: "sampler",
                source: e,
            })?,
    );
    Ok(engine)
}

/// The largest the working file gets, following each step's effect on the
/// file position and length (a plain model of the fd the worker uses).
pub fn peak_file_size(plan: &Plan) -> u64 {
    let mut len = plan.file.size;
    let mut pos = 0u64;
    let mut append = false;
    let mut peak = len;
    for step in &plan.steps {
        match step.op {
            Op::Write { bytes, .. } | Op::BufferedWrite { bytes, .. } => {
                if append {
                    pos = len;
                }
                pos = pos.saturating_add(bytes);
                len = len.max(pos);
            }
            // Linux ignores pwrite's offset on an O_APPEND fd (pwrite(2),
            // BUGS): every call lands at the end, and the fd position stays.
            Op::Pwrite { bytes, .. } if append => len = len.saturating_add(bytes),
            Op::Pwrite { bytes, offset, .. } => len = len.max(offset.saturating_add(bytes)),
            Op::Read { bytes, offset, .. } => pos = offset.saturating_add(bytes).min(len),
            Op::Reopen { flags } => {
                pos = 0;
                append = flags.append;
            }
            _ => {}
        }
        peak = peak.max(len);
    }
    peak
}

/// The most anonymous memory the plan has mapped at once: `anon_mmap` and
/// `malloc` regions live until `munmap target = "anon"` (which frees the
/// latest), plus a private writable file mapping, whose written pages become
/// private copies.
pub fn peak_anon_bytes(plan: &Plan) -> u64 {
    let mut live: Vec<u64> = Vec::new();
    let mut private_file = 0u64;
    let mut peak = 0u64;
    for step in &plan.steps {
        match step.op {
            Op::AnonMmap { bytes } | Op::Malloc { bytes } => live.push(bytes),
            Op::Munmap {
                target: crate::scenario::Target::Anon,
            } => {
                live.pop();
            }
            Op::Munmap {
                target: crate::scenario::Target::File,
            } => private_file = 0,
            Op::Mmap {
                bytes,
                shared,
                write,
                ..
            } => private_file = if !shared && write { bytes } else { 0 },
            _ => {}
        }
        let now = live.iter().fold(private_file, |a, b| a.saturating_add(*b));
        peak = peak.max(now);
    }
    peak
}

/// Refuse a plan whose anonymous mappings, all touched, would not fit in
/// `available` bytes of memory (MemAvailable).
pub fn validate_memory(plan: &Plan, available: u64) -> Result<(), EngineError> {
    let need = peak_anon_bytes(plan);
    if need > available {
        return Err(EngineError::NoMemory { need, available });
    }
    Ok(())
}

/// Refuse a plan whose file or mappings exceed `max` or the free space.
pub fn validate(plan: &Plan, max: u64, free: u64, dir: &Path) -> Result<(), EngineError> {
    let peak = peak_file_size(plan);
    if peak > max {
        return Err(EngineError::TooBig {
            what: "the working file".into(),
            bytes: peak,
            max,
        });
    }
    for (i, step) in plan.steps.iter().enumerate() {
        // The parser refuses these; a plan built in Rust is checked here, once,
        // so the ops need not each guard against a division by zero.
        if let Some(field) = step.op.zero_field() {
            return Err(EngineError::Zero {
                step: i + 1,
                op: step.op.name(),
                field,
            });
        }
        let mapped = match step.op {
            Op::Mmap { bytes, .. } | Op::AnonMmap { bytes } | Op::Malloc { bytes } => bytes,
            Op::Send { bytes, .. } => bytes,
            _ => 0,
        };
        if mapped > max {
            return Err(EngineError::TooBig {
                what: format!("step {} ({})", i + 1, step.op.name()),
                bytes: mapped,
                max,
            });
        }
        // User-space buffers the op allocates.
        let buffers = match step.op {
            Op::Write { chunk, .. }
            | Op::Pwrite { chunk, .. }
            | Op::Read { chunk, .. }
            | Op::Send { chunk, .. } => [("chunk", chunk), ("buffer", 0)],
            Op::BufferedWrite { chunk, buffer, .. } => [("chunk", chunk), ("buffer", buffer)],
            _ => [("chunk", 0), ("buffer", 0)],
        };
        for (name, bytes) in buffers {
            if bytes > max {
                return Err(EngineError::TooBig {
                    what: format!(
                        "the {name} of step {} ({}), a buffer it allocates,",
                        i + 1,
                        step.op.name()
                    ),
                    bytes,
                    max,
                });
            }
        }
    }
    if peak > free {
        return Err(EngineError::NoSpace {
            need: peak,
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
        // Dropping the TempDir removes the directory and the file (unless
        // `keep_workdir` was called).
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

    pub fn faster(self) -> Speed {
        let i = Speed::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Speed::ALL[(i + 1).min(Speed::ALL.len() - 1)]
    }

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
    SetSpeed(Speed),
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
    use crate::scenario::{FileSetup, Meta, Origin, Step, Text};

    fn plan(size: u64, ops: Vec<Op>) -> Plan {
        Plan {
            id: "t".into(),
            origin: Origin::Builtin,
            meta: Meta {
                title: Text::en("t"),
                summary: Text::en("t"),
                tags: vec![],
                java: None,
                lesson: None,
            },
            file: FileSetup { size, cached: true },
            steps: ops
                .into_iter()
                .map(|op| Step {
                    op,
                    say: None,
                    ask: None,
                    calls: None,
                    expect: vec![],
                    line: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn the_handle_can_move_to_another_thread() {
        fn send<T: Send>() {}
        send::<Engine>();
        send::<EngineConfig>();
    }

    #[test]
    fn peak_size_follows_the_file_position() {
        let p = plan(
            1000,
            vec![
                Op::Write {
                    bytes: 500,
                    chunk: 1,
                },
                Op::Write {
                    bytes: 1000,
                    chunk: 1,
                },
                Op::Reopen {
                    flags: crate::scenario::OpenFlags {
                        append: true,
                        ..Default::default()
                    },
                },
                Op::Write {
                    bytes: 10,
                    chunk: 1,
                },
            ],
        );
        // 0..500 overwrites, 500..1500 extends to 1500, the append adds 10.
        assert_eq!(peak_file_size(&p), 1510);
        let p = plan(
            0,
            vec![Op::Pwrite {
                bytes: 10,
                chunk: 1,
                offset: 1 << 20,
                pattern: crate::scenario::Pattern::Random,
            }],
        );
        assert_eq!(peak_file_size(&p), (1 << 20) + 10);
    }

    #[test]
    fn peak_size_counts_pwrite_on_an_append_fd_as_growth() {
        let reopen = |append| Op::Reopen {
            flags: crate::scenario::OpenFlags {
                append,
                ..Default::default()
            },
        };
        let pwrite = |bytes| Op::Pwrite {
            bytes,
            chunk: 4096,
            offset: 0,
            pattern: crate::scenario::Pattern::Sequential,
        };
        // Offset 0 would overwrite in place; with O_APPEND each pwrite grows
        // the file, until a reopen without append puts the offset back in charge.
        let p = plan(
            1000,
            vec![
                reopen(true),
                pwrite(1000),
                pwrite(1000),
                reopen(false),
                pwrite(1000),
            ],
        );
        assert_eq!(peak_file_size(&p), 3000);
        let e = validate(&p, 2999, 1 << 30, Path::new("/x")).unwrap_err();
        assert!(matches!(e, EngineError::TooBig { bytes: 3000, .. }), "{e}");
        // pwrite leaves the fd position alone, so a later write still starts at 0.
        let p = plan(
            0,
            vec![
                reopen(true),
                pwrite(100),
                reopen(false),
                Op::Write {
                    bytes: 50,
                    chunk: 1,
                },
            ],
        );
        assert_eq!(peak_file_size(&p), 100);
    }

    #[test]
    fn anonymous_memory_peak_follows_maps_and_unmaps() {
        use crate::scenario::Target;
        let p = plan(
            0,
            vec![
                Op::AnonMmap { bytes: 100 },
                Op::Malloc { bytes: 50 },
                Op::Munmap {
                    target: Target::Anon,
                },
                Op::AnonMmap { bytes: 20 },
                Op::Mmap {
                    bytes: 1000,
                    offset: 0,
                    shared: false,
                    write: true,
                    populate: false,
                },
                Op::Munmap {
                    target: Target::File,
                },
            ],
        );
        // 100 + 50, then 100 + 20 + 1000 (private writable file mapping).
        assert_eq!(peak_anon_bytes(&p), 1120);
        assert!(validate_memory(&p, 1120).is_ok());
        let e = validate_memory(&p, 1119).unwrap_err();
        assert!(e.to_string().contains("MemAvailable"), "{e}");
    }

    #[test]
    fn validation_refuses_too_big_and_too_little_space() {
        let p = plan(2048, vec![]);
        let dir = Path::new("/x");
        assert!(validate(&p, 4096, 1 << 30, dir).is_ok());
        let e = validate(&p, 1024, 1 << 30, dir).unwrap_err();
        assert!(matches!(e, EngineError::TooBig { bytes: 2048, .. }), "{e}");
        let e = validate(&p, 4096, 100, dir).unwrap_err();
        assert!(e.to_string().contains("only 100 bytes free"), "{e}");
        let p = plan(
            0,
            vec![Op::Mmap {
                bytes: 1 << 20,
                offset: 0,
                shared: true,
                write: false,
                populate: false,
            }],
        );
        let e = validate(&p, 4096, 1 << 30, dir).unwrap_err();
        assert!(e.to_string().contains("step 1 (mmap)"), "{e}");
    }

    #[test]
    fn validation_refuses_a_chunk_or_buffer_over_the_cap() {
        let dir = Path::new("/x");
        let p = plan(
            0,
            vec![Op::Read {
                bytes: 10,
                chunk: 1 << 40,
                offset: 0,
            }],
        );
        let e = validate(&p, 1 << 30, 1 << 30, dir).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the chunk of step 1 (read), a buffer it allocates, is 1099511627776 bytes, over the limit"),
            "{e}"
        );
        let p = plan(
            0,
            vec![Op::BufferedWrite {
                bytes: 10,
                chunk: 1,
                buffer: 1 << 40,
            }],
        );
        let e = validate(&p, 1 << 30, 1 << 30, dir).unwrap_err();
        assert!(
            e.to_string()
                .contains("the buffer of step 1 (buffered_write)"),
            "{e}"
        );
    }

    #[test]
    fn validation_refuses_a_zero_the_parser_would_have_refused() {
        let dir = Path::new("/x");
        let p = plan(
            0,
            vec![
                Op::Fsync,
                Op::Write {
                    bytes: 10,
                    chunk: 0,
                },
            ],
        );
        let e = validate(&p, 1 << 30, 1 << 30, dir).unwrap_err();
        assert_eq!(
            e.to_string(),
            "step 2 (write): `chunk` is 0 but must be at least 1"
        );
        let touch = Op::Touch {
            pages: 1,
            stride: 0,
            write: false,
            target: crate::scenario::Target::Anon,
        };
        assert_eq!(touch.zero_field(), Some("stride"));
        let whole_file = Op::Mmap {
            bytes: 0,
            offset: 0,
            shared: true,
            write: false,
            populate: false,
        };
        assert_eq!(whole_file.zero_field(), None);
    }
}
