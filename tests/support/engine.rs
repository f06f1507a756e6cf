//! Helpers shared by the engine tests: build plans in Rust, run them to the
//! end and collect what the engine sent.
#![allow(dead_code)]

use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use iotour::engine::{EngineConfig, ExecEvent, Sample, Speed};
use iotour::report::RunReport;
use iotour::scenario::{Expectation, FileSetup, Key, Meta, Op, Origin, Plan, Rule, Step, Text};

// Test-only: events are moved once, size does not matter here.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Ev {
    Exec(ExecEvent),
    Sample(Sample),
}

impl From<ExecEvent> for Ev {
    fn from(e: ExecEvent) -> Self {
        Ev::Exec(e)
    }
}

impl From<Sample> for Ev {
    fn from(s: Sample) -> Self {
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
pub fn run_with_events(plan: Plan, config: EngineConfig) -> (RunReport, Vec<Sample>) {
    let (tx, rx) = channel::<Ev>();
    let engine = iotour::engine::start(plan, config, tx).expect("start");
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

pub fn run(plan: Plan, config: EngineConfig) -> RunReport {
    run_with_events(plan, config).0
}
