//! The engine's own syscall count (used when the tracepoint is off) must
//! count every call an op issues, including the probe calls it makes itself.
//! Self-contained on purpose: it does not lean on tests/support.

use std::sync::mpsc::channel;
use std::time::Duration;

use iotour::engine::{EngineConfig, ExecEvent, Sample, SliceReport, Speed};
use iotour::probe::Disabled;
use iotour::scenario::{FileSetup, Meta, Op, Origin, Plan, Step, Text};

enum Ev {
    Exec(Box<ExecEvent>),
    Sample,
}

impl From<ExecEvent> for Ev {
    fn from(e: ExecEvent) -> Self {
        Ev::Exec(Box::new(e))
    }
}

impl From<Sample> for Ev {
    fn from(_: Sample) -> Self {
        Ev::Sample
    }
}

fn plan(op: Op) -> Plan {
    Plan {
        id: "fallback-calls".into(),
        origin: Origin::Builtin,
        meta: Meta {
            title: Text::en("t"),
            summary: Text::en("t"),
            tags: vec![],
            java: None,
            lesson: None,
        },
        file: FileSetup {
            size: 64 << 10,
            cached: true,
        },
        steps: vec![Step {
            op,
            say: None,
            ask: None,
            calls: None,
            expect: vec![],
            line: 0,
        }],
    }
}

/// Every slice the run reported, once it finished.
fn slices(plan: Plan, disable: &str) -> Vec<SliceReport> {
    let config = EngineConfig {
        workdir_parent: Some(env!("CARGO_TARGET_TMPDIR").into()),
        speed: Speed::Max,
        disabled: Disabled::parse(disable).unwrap(),
        ..EngineConfig::default()
    };
    let (tx, rx) = channel::<Ev>();
    let _engine = iotour::engine::start(plan, config, tx).expect("start");
    let mut out = Vec::new();
    loop {
        match rx
            .recv_timeout(Duration::from_secs(60))
            .expect("engine went quiet")
        {
            Ev::Exec(e) => match *e {
                ExecEvent::Slice(s) => out.push(s),
                ExecEvent::Finished(_) => return out,
                ExecEvent::Failed { error, .. } => panic!("run failed: {error}"),
                _ => {}
            },
            Ev::Sample => {}
        }
    }
}

#[test]
fn wait_writeback_on_mincore_counts_each_polls_four_syscalls() {
    // mincore cannot see dirtiness, so the op polls until the timeout.
    let s = slices(
        plan(Op::WaitWriteback { timeout_ms: 100 }),
        "cachestat,tracepoint",
    );
    let calls: Vec<Option<u64>> = s.iter().map(|s| s.measured.syscalls).collect();
    let (last, polls_and_sleeps) = calls.split_last().expect("at least one slice");
    // fstat + mmap + mincore + munmap, then the sleep (one futex) unless done.
    assert!(polls_and_sleeps.iter().all(|c| *c == Some(5)), "{calls:?}");
    assert_eq!(*last, Some(4), "{calls:?}");
}
