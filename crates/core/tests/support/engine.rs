//! Helpers shared by the engine tests: build plans in Rust, run them to the
//! end and collect what the engine sent.

use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use iotour_core::engine::{EngineConfig, ExecEvent, Snapshot, Speed};
use iotour_core::outcome::RunOutcome;
use iotour_core::scenario::{
    AnonMmap, BufferedWrite, Expectation, Extent, FileSetup, Key, Malloc, Meta, Mmap, Msync,
    Munmap, Op, OpenFlags, Origin, Pattern, Plan, Pwrite, Read, Reopen, Rule, Rwf, SendToSocket,
    Sleep, Step, SyncFileRange, Target, Text, Touch as TouchOp, Via, WaitWriteback, Write, nonzero,
};

// Test-only: events are moved once, size does not matter here.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Ev {
    Exec(ExecEvent),
    Sample(Snapshot),
}

impl From<ExecEvent> for Ev {
    fn from(e: ExecEvent) -> Self {
        Ev::Exec(e)
    }
}

impl From<Snapshot> for Ev {
    fn from(s: Snapshot) -> Self {
        Ev::Sample(s)
    }
}

pub fn step(op: Op) -> Step {
    Step {
        op,
        say: None,
        ask: None,
        calls: None,
        expect: vec![],
        line: 0,
    }
}

pub fn expect(key: Key, rule: Rule) -> Expectation {
    Expectation {
        key,
        rule,
        soft: None,
    }
}

/// A plan through [`Plan::new`], which refuses a plan no machine could run.
pub fn plan(size: u64, cached: bool, steps: Vec<Step>) -> Plan {
    let meta = Meta {
        title: Text::en("test"),
        summary: Text::en("test"),
        tags: vec![],
        java: None,
        lesson: None,
    };
    Plan::new(
        "test",
        Origin::Builtin,
        meta,
        FileSetup { size, cached },
        steps,
    )
    .unwrap_or_else(|e| panic!("the test's plan is refused: {e}"))
}

// Ops as a scenario file writes them, sizes as plain numbers (a 0 where the
// format wants at least 1 panics: a plan cannot hold it).

pub fn write(bytes: u64, chunk: u64) -> Op {
    Op::Write(Write {
        bytes: nonzero(bytes),
        chunk: nonzero(chunk),
        rwf: Rwf::NONE,
    })
}

pub fn buffered_write(bytes: u64, chunk: u64, buffer: u64) -> Op {
    Op::BufferedWrite(BufferedWrite {
        bytes: nonzero(bytes),
        chunk: nonzero(chunk),
        buffer: nonzero(buffer),
    })
}

pub fn pwrite(bytes: u64, chunk: u64, offset: u64, pattern: Pattern) -> Op {
    Op::Pwrite(Pwrite {
        bytes: nonzero(bytes),
        chunk: nonzero(chunk),
        offset,
        pattern,
        rwf: Rwf::NONE,
    })
}

pub fn read(bytes: u64, chunk: u64, offset: u64) -> Op {
    Op::Read(Read {
        bytes: nonzero(bytes),
        chunk: nonzero(chunk),
        offset,
        rwf: Rwf::NONE,
    })
}

pub fn sync_file_range(wait: bool) -> Op {
    Op::SyncFileRange(SyncFileRange { wait })
}

pub fn reopen(flags: OpenFlags) -> Op {
    Op::Reopen(Reopen { flags })
}

pub fn msync(asynchronous: bool) -> Op {
    Op::Msync(Msync { asynchronous })
}

pub fn munmap(target: Target) -> Op {
    Op::Munmap(Munmap { target })
}

pub fn anon_mmap(bytes: u64) -> Op {
    Op::AnonMmap(AnonMmap {
        bytes: nonzero(bytes),
    })
}

pub fn malloc(bytes: u64) -> Op {
    Op::Malloc(Malloc {
        bytes: nonzero(bytes),
    })
}

pub fn send(bytes: u64, chunk: u64, via: Via) -> Op {
    Op::Send(SendToSocket {
        bytes: nonzero(bytes),
        chunk: nonzero(chunk),
        via,
    })
}

pub fn sleep(ms: u64) -> Op {
    Op::Sleep(Sleep { ms })
}

pub fn wait_writeback(timeout_ms: u64) -> Op {
    Op::WaitWriteback(WaitWriteback {
        timeout_ms,
        flusher: false,
    })
}

/// A plan built step by step: `file(size).then(..).then(..).build()`.
pub struct PlanBuilder {
    size: u64,
    cached: bool,
    steps: Vec<Step>,
}

/// A plan whose working file is `size` bytes, in the page cache at the start.
pub fn file(size: u64) -> PlanBuilder {
    PlanBuilder {
        size,
        cached: true,
        steps: vec![],
    }
}

impl PlanBuilder {
    /// The working file starts out of the page cache.
    pub fn cold(mut self) -> Self {
        self.cached = false;
        self
    }

    /// Add a step: a `Step`, or a `map_file` or `touch` builder.
    pub fn then(mut self, s: impl Into<Step>) -> Self {
        self.steps.push(s.into());
        self
    }

    /// Add a step that is `op` alone.
    pub fn op(self, op: Op) -> Self {
        self.then(step(op))
    }

    /// The plan.
    pub fn build(self) -> Plan {
        plan(self.size, self.cached, self.steps)
    }
}

/// An `mmap` step, with the scenario file's defaults: shared, read-only, not populated.
pub struct MapFile {
    bytes: Extent,
    shared: bool,
    write: bool,
    populate: bool,
}

/// `mmap` `bytes` of the working file from offset 0.
pub fn map_file(bytes: u64) -> MapFile {
    map_extent(Extent::Bytes(nonzero(bytes)))
}

/// `mmap` all of the working file, as long as it is when the step runs.
pub fn map_whole_file() -> MapFile {
    map_extent(Extent::ToEndOfFile)
}

fn map_extent(bytes: Extent) -> MapFile {
    MapFile {
        bytes,
        shared: true,
        write: false,
        populate: false,
    }
}

// Setters named as the scenario file's keys.
impl MapFile {
    /// `MAP_SHARED` when true, `MAP_PRIVATE` (copy on write) when false.
    pub fn shared(mut self, shared: bool) -> Self {
        self.shared = shared;
        self
    }

    /// `PROT_WRITE` as well as `PROT_READ`.
    pub fn write(mut self, write: bool) -> Self {
        self.write = write;
        self
    }

    /// `MAP_POPULATE`: faulted in by the mmap call.
    pub fn populate(mut self, populate: bool) -> Self {
        self.populate = populate;
        self
    }
}

impl From<MapFile> for Step {
    fn from(m: MapFile) -> Step {
        step(Op::Mmap(Mmap {
            bytes: m.bytes,
            offset: 0,
            shared: m.shared,
            write: m.write,
            populate: m.populate,
        }))
    }
}

/// A `touch` step, with the scenario file's defaults: every page, a read, the file mapping.
pub struct Touch {
    pages: u64,
    stride: u64,
    write: bool,
    target: Target,
}

/// Touch `pages` pages of the current mapping.
pub fn touch(pages: u64) -> Touch {
    Touch {
        pages,
        stride: 1,
        write: false,
        target: Target::File,
    }
}

// Setters named as the scenario file's keys.
impl Touch {
    /// Every `stride`-th page.
    pub fn stride(mut self, stride: u64) -> Self {
        self.stride = stride;
        self
    }

    /// Write a byte to each page when true, read one when false.
    pub fn write(mut self, write: bool) -> Self {
        self.write = write;
        self
    }

    /// Which mapping: the file's, or the anonymous one (`anon_mmap`, `malloc`).
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }
}

impl From<Touch> for Step {
    fn from(t: Touch) -> Step {
        step(Op::Touch(TouchOp {
            pages: nonzero(t.pages),
            stride: nonzero(t.stride),
            write: t.write,
            target: t.target,
        }))
    }
}

/// Max speed, a workdir on the crate's own (disk-backed) filesystem.
pub fn config() -> EngineConfig {
    EngineConfig {
        workdir_parent: Some(std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))),
        speed: Speed::Max,
        sample_hz: 50,
        ..EngineConfig::default()
    }
}

pub fn wait_for(rx: &Receiver<Ev>, pred: impl Fn(&Ev) -> bool) -> Ev {
    loop {
        let e = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("engine went quiet");
        if pred(&e) {
            return e;
        }
    }
}

/// Run to the end; the report plus every sample seen.
pub fn run_with_events(plan: Plan, config: EngineConfig) -> (RunOutcome, Vec<Snapshot>) {
    let (tx, rx) = channel::<Ev>();
    let engine = iotour_core::engine::start(plan, config, tx).expect("start");
    let mut samples = Vec::new();
    loop {
        match rx
            .recv_timeout(Duration::from_secs(120))
            .expect("engine went quiet")
        {
            Ev::Exec(ExecEvent::Finished(r)) => {
                drop(engine);
                return (r, samples);
            }
            Ev::Exec(ExecEvent::Failed { error, .. }) => panic!("run failed: {error}"),
            Ev::Sample(s) => samples.push(s),
            Ev::Exec(_) => {}
        }
    }
}

pub fn run(plan: Plan, config: EngineConfig) -> RunOutcome {
    run_with_events(plan, config).0
}
