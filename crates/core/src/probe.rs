//! Counters read from the running kernel.
//!
//! A missing source is a value, not an error: every reader returns `Option`s
//! (or a source enum naming the fallback) so the report can say "unknown"
//! instead of showing a zero.
//!
//! - `thread`: per-thread counters of the worker (perf tracepoint for syscalls,
//!   `getrusage(RUSAGE_THREAD)`, /proc/thread-self/io), read by the worker itself
//!   with exact compensation for the reads' own cost.
//! - `pages`: page-cache state of a file (cachestat(2), mincore fallback).
//! - `system`: /proc/meminfo and /proc/vmstat (Dirty, Writeback, thresholds).
//! - `block`: the block layer's writes to the working file's device (root).

use std::collections::BTreeSet;

#[cfg(target_os = "linux")]
pub mod block;
pub mod pages;
pub(crate) mod perf;
pub mod system;
#[cfg(target_os = "linux")]
pub mod thread;

/// A measurement source that can be switched off on purpose, to exercise the
/// fallbacks: `IOTOUR_DISABLE=tracepoint,cachestat,procio`; or a kernel
/// feature a lesson needs, to see its step skipped as on an older kernel
/// (`IOTOUR_DISABLE=dontcache`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Switchable {
    /// perf `raw_syscalls:sys_enter` (falls back to the engine's own count).
    Tracepoint,
    /// cachestat(2) (falls back to mincore: cached pages only).
    Cachestat,
    /// /proc/thread-self/io (rchar, wchar, `read_bytes`, `write_bytes` become unknown).
    Procio,
    /// perf events of every kind (implies tracepoint).
    Perf,
    /// The `RWF_DONTCACHE` flag of pwritev2/preadv2 (Linux 6.14): a step
    /// using it is skipped.
    Dontcache,
    /// io_uring (Linux 5.1): its steps are skipped.
    IoUring,
    /// `MADV_POPULATE_READ`/`WRITE` (Linux 5.14): their steps are skipped.
    Populate,
}

impl Switchable {
    pub const ALL: [Switchable; 7] = [
        Switchable::Tracepoint,
        Switchable::Cachestat,
        Switchable::Procio,
        Switchable::Perf,
        Switchable::Dontcache,
        Switchable::IoUring,
        Switchable::Populate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Switchable::Tracepoint => "tracepoint",
            Switchable::Cachestat => "cachestat",
            Switchable::Procio => "procio",
            Switchable::Perf => "perf",
            Switchable::Dontcache => "dontcache",
            Switchable::IoUring => "io_uring",
            Switchable::Populate => "populate",
        }
    }
}

/// The set of sources switched off, from `IOTOUR_DISABLE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disabled(BTreeSet<Switchable>);

impl Disabled {
    pub const ENV: &'static str = "IOTOUR_DISABLE";

    /// Parse a comma-separated list; unknown names are an error naming the valid ones.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let found = Switchable::ALL.iter().find(|s| s.as_str() == name);
            if let Some(s) = found {
                set.insert(*s);
            } else {
                let valid: Vec<_> = Switchable::ALL.iter().map(|s| s.as_str()).collect();
                return Err(format!(
                    "{}: unknown source or feature `{name}` (valid: {})",
                    Self::ENV,
                    valid.join(", ")
                ));
            }
        }
        Ok(Disabled(set))
    }

    pub fn from_env() -> Result<Self, String> {
        match std::env::var(Self::ENV) {
            Ok(v) => Self::parse(&v),
            Err(_) => Ok(Disabled::default()),
        }
    }

    pub fn contains(&self, s: Switchable) -> bool {
        self.0.contains(&s) || (s == Switchable::Tracepoint && self.0.contains(&Switchable::Perf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disable_list_parses_and_perf_implies_tracepoint() {
        let d = Disabled::parse("perf, cachestat").unwrap();
        assert!(d.contains(Switchable::Tracepoint));
        assert!(d.contains(Switchable::Cachestat));
        assert!(!d.contains(Switchable::Procio));
    }

    #[test]
    fn disable_list_rejects_unknown_names() {
        let err = Disabled::parse("tracepoint,bogus").unwrap_err();
        assert!(err.contains("unknown source or feature `bogus`"), "{err}");
        assert!(err.contains("cachestat"), "{err}");
    }
}
