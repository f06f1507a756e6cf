//! One clock for the whole trace: CLOCK_MONOTONIC in nanoseconds, the clock
//! perf stamps its records with (use_clockid), ptrace stops are read on, and
//! `std::time::Instant` uses on Linux.

use std::time::Duration;

/// CLOCK_MONOTONIC now, in nanoseconds.
pub(crate) fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The instant a trace began; everything reported is relative to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Epoch(u64);

impl Epoch {
    pub(crate) fn now() -> Epoch {
        Epoch(now_ns())
    }

    /// Time since the epoch of a CLOCK_MONOTONIC stamp (0 for one before it).
    pub(crate) fn since(self, ns: u64) -> Duration {
        Duration::from_nanos(ns.saturating_sub(self.0))
    }

    pub(crate) fn elapsed(self) -> Duration {
        self.since(now_ns())
    }
}
