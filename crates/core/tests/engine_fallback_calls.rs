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
fn wait_writeback_on_mincore_polls_outside_the_window_and_waits_the_timeout() {
    // mincore cannot see dirtiness, so the watcher polls until the timeout;
    // its polls (fstat + mmap + mincore + munmap each) are on its own thread,
    // and the worker's one window holds its one wait.
    let s = slices(
        plan(64 << 10, true, vec![step(wait_writeback(100))]),
        "cachestat,tracepoint",
    );
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].measured.syscalls, Some(1));
    assert!(s[0].measured.duration_ns.unwrap() >= 90_000_000, "{s:?}");
}
