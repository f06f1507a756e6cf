//! The engine's own syscall count (used when the tracepoint is off) must
//! count every call an op issues, including the probe calls it makes itself.

use std::sync::mpsc::channel;
use std::time::Duration;

use iotour_core::engine::{EngineConfig, ExecEvent, SliceReport};
use iotour_core::probe::Disabled;
use iotour_core::scenario::Plan;

use crate::support::engine as support;

use support::{Ev, config, plan, step, wait_writeback};

/// Every slice the run reported, once it finished, with `disable` switched off.
fn slices(plan: Plan, disable: &str) -> Vec<SliceReport> {
    let config = EngineConfig {
        disabled: Disabled::parse(disable).unwrap(),
        ..config()
    };
    let (tx, rx) = channel::<Ev>();
    let _engine = iotour_core::engine::start(plan, config, tx).expect("start");
    let mut out = Vec::new();
    loop {
        match rx
            .recv_timeout(Duration::from_secs(60))
            .expect("engine went quiet")
        {
            Ev::Exec(ExecEvent::Slice(s)) => out.push(s),
            Ev::Exec(ExecEvent::Finished(_)) => return out,
            Ev::Exec(ExecEvent::Failed { error, .. }) => panic!("run failed: {error}"),
            _ => {}
        }
    }
}

#[test]
fn wait_writeback_on_mincore_counts_each_polls_four_syscalls() {
    // mincore cannot see dirtiness, so the op polls until the timeout.
    let s = slices(
        plan(64 << 10, true, vec![step(wait_writeback(100))]),
        "cachestat,tracepoint",
    );
    let calls: Vec<Option<u64>> = s.iter().map(|s| s.measured.syscalls).collect();
    let (last, polls_and_sleeps) = calls.split_last().expect("at least one slice");
    // fstat + mmap + mincore + munmap, then the sleep (one futex) unless done.
    assert!(polls_and_sleeps.iter().all(|c| *c == Some(5)), "{calls:?}");
    assert_eq!(*last, Some(4), "{calls:?}");
}
