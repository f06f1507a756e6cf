//! One reading of everything `stats` shows, at one moment. Plain data, so
//! the report can be computed (and tested) from samples made up by hand.

use std::time::Instant;

use super::pressure::{self, Pressure};
use super::procio::{self, ProcIoSample};
use crate::probe::system::{self, DirtySettings, SystemMem};

/// The /proc/vmstat counters `stats` turns into rates, in report order.
pub const RATE_KEYS: [&str; 6] = [
    "nr_dirtied",
    "nr_written",
    "pgfault",
    "pgmajfault",
    "pgpgin",
    "pgpgout",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub at: Instant,
    pub mem: SystemMem,
    pub settings: DirtySettings,
    /// Cumulative counters named by [`RATE_KEYS`], in that order (`None`: not in this kernel's vmstat).
    pub counters: [Option<u64>; 6],
    pub pressure: Result<Pressure, String>,
    pub procs: ProcIoSample,
}

impl Sample {
    /// Read everything now; `names` keeps process names between samples.
    pub fn read(names: &mut procio::Names) -> Sample {
        let vm = system::vmstat();
        let counters = RATE_KEYS.map(|key| {
            vm.as_ref()
                .and_then(|m| m.get(key))
                .and_then(|&v| u64::try_from(v).ok())
        });
        Sample {
            at: Instant::now(),
            mem: system::read_system_mem(),
            settings: DirtySettings::read(),
            counters,
            pressure: pressure::read(),
            procs: procio::read_all(names),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_counters_on_linux() {
        let s = Sample::read(&mut procio::Names::default());
        assert!(s.counters.iter().all(Option::is_some), "{:?}", s.counters);
        assert!(s.mem.dirty_kb.is_some());
    }
}
