//! Helpers shared by the engine tests: build plans in Rust, run them to the
//! end and collect what the engine sent.

use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use iotour_core::engine::{EngineConfig, ExecEvent, Snapshot, Speed};
use iotour_core::outcome::RunOutcome;
use iotour_core::scenario::{
    Expectation, FileSetup, Key, Meta, Op, Origin, Plan, Rule, Step, Target, Text,
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
    Expectation { key, rule }
}

pub fn plan(size: u64, cached: bool, steps: Vec<Step>) -> Plan {
    Plan {
        id: "test".into(),
        origin: Origin::Builtin,
        meta: Meta {
            title: Text::en("test"),
            summary: Text::en("test"),
            tags: vec![],
            java: None,
            lesson: None,
        },
        file: FileSetup { size, cached },
        steps,
    }
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
    bytes: u64,
    shared: bool,
    write: bool,
    populate: bool,
}

/// `mmap` `bytes` of the working file (0: all of it) from offset 0.
pub fn map_file(bytes: u64) -> MapFile {
    MapFile {
        bytes,
        shared: true,
        write: false,
        populate: false,
    }
}

// Setters named as the scenario file's keys.
impl MapFile {
    /// MAP_SHARED when true, MAP_PRIVATE (copy on write) when false.
    pub fn shared(mut self, shared: bool) -> Self {
        self.shared = shared;
        self
    }

    /// PROT_WRITE as well as PROT_READ.
    pub fn write(mut self, write: bool) -> Self {
        self.write = write;
        self
    }

    /// MAP_POPULATE: faulted in by the mmap call.
    pub fn populate(mut self, populate: bool) -> Self {
        self.populate = populate;
        self
    }
}

impl From<MapFile> for Step {
    fn from(m: MapFile) -> Step {
        step(Op::Mmap {
            bytes: m.bytes,
            offset: 0,
            shared: m.shared,
            write: m.write,
            populate: m.populate,
        })
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
        step(Op::Touch {
            pages: t.pages,
            stride: t.stride,
            write: t.write,
            target: t.target,
        })
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
