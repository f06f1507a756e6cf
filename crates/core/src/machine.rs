//! The machine a run happened on, for report headers and handouts.
//!
//! These facts are not page-cache specific, so they come through sysinfo:
//! the same code describes a machine that replays a recording on macOS or
//! Windows, where nothing else of the engine runs.

use serde::{Deserialize, Serialize};
use sysinfo::{MemoryRefreshKind, RefreshKind, System};

/// Operating system, kernel, CPUs and memory at the moment of reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// e.g. "Linux 12 Debian GNU/Linux" (sysinfo's long OS version), or
    /// "unknown".
    pub os: String,
    /// The kernel release, e.g. "6.18.0", or "unknown".
    pub kernel: String,
    /// e.g. "x86_64".
    pub arch: String,
    /// Logical CPUs this process may use.
    pub cpus: usize,
    pub memory_total_kb: u64,
    pub memory_available_kb: u64,
}

impl Machine {
    /// Read this machine's facts now.
    pub fn here() -> Machine {
        let sys = System::new_with_specifics(
            RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
        );
        let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
        Machine {
            os: System::long_os_version().unwrap_or_else(|| "unknown".into()),
            kernel: kernel_release(),
            arch: System::cpu_arch(),
            cpus,
            memory_total_kb: sys.total_memory() / 1024,
            memory_available_kb: sys.available_memory() / 1024,
        }
    }
}

/// The running kernel's release string, or "unknown".
pub fn kernel_release() -> String {
    System::kernel_version().unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_is_described() {
        let m = Machine::here();
        assert!(m.cpus >= 1, "{m:?}");
        assert!(
            m.memory_total_kb > 0 && m.memory_available_kb <= m.memory_total_kb,
            "{m:?}"
        );
        // The same release uname(2) gives, as /proc says.
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        assert_eq!(m.kernel, release.trim());
        assert_ne!(m.os, "unknown");
    }
}
