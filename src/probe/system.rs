//! System-wide dirty-page state: /proc/meminfo, /proc/vmstat and the
//! `vm.dirty_*` sysctls that decide when the kernel starts writing back
//! (background threshold) and when it makes writers wait (hard threshold).

#[cfg(target_os = "linux")]
use std::collections::HashMap;

#[cfg(target_os = "linux")]
use procfs::Current;
use serde::{Deserialize, Serialize};

/// What the sampler reads on every tick. `None`: the file could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SystemMem {
    pub dirty_kb: Option<u64>,
    pub writeback_kb: Option<u64>,
    /// Above this the flusher threads start background writeback.
    pub background_threshold_kb: Option<u64>,
    /// Above this a writing process is throttled in balance_dirty_pages.
    pub threshold_kb: Option<u64>,
}

/// The `vm.dirty_*` sysctls, as read from /proc/sys/vm. Serialized as the
/// `settings` of `stats --json`: the field names are its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DirtySettings {
    pub dirty_background_ratio: Option<u64>,
    pub dirty_background_bytes: Option<u64>,
    pub dirty_ratio: Option<u64>,
    pub dirty_bytes: Option<u64>,
    /// Dirty data older than this is written back by the next flusher run.
    pub dirty_expire_centisecs: Option<u64>,
    /// How often the flusher threads wake up.
    pub dirty_writeback_centisecs: Option<u64>,
}

impl DirtySettings {
    pub fn read() -> DirtySettings {
        let get = |name: &str| -> Option<u64> {
            std::fs::read_to_string(format!("/proc/sys/vm/{name}"))
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        DirtySettings {
            dirty_background_ratio: get("dirty_background_ratio"),
            dirty_background_bytes: get("dirty_background_bytes"),
            dirty_ratio: get("dirty_ratio"),
            dirty_bytes: get("dirty_bytes"),
            dirty_expire_centisecs: get("dirty_expire_centisecs"),
            dirty_writeback_centisecs: get("dirty_writeback_centisecs"),
        }
    }
}

/// Counters from /proc/vmstat (cumulative since boot).
#[cfg(target_os = "linux")]
pub fn vmstat() -> Option<HashMap<String, i64>> {
    procfs::vmstat().ok()
}

/// Read Dirty, Writeback and the two thresholds.
#[cfg(target_os = "linux")]
pub fn read_system_mem() -> SystemMem {
    let (dirty_kb, writeback_kb) = match procfs::Meminfo::current() {
        Ok(m) => (Some(m.dirty / 1024), Some(m.writeback / 1024)),
        Err(_) => (None, None),
    };
    let page_kb = super::pages::page_size() / 1024;
    let vm = vmstat();
    let threshold = |key: &str| -> Option<u64> {
        let pages = *vm.as_ref()?.get(key)?;
        u64::try_from(pages).ok().map(|p| p * page_kb)
    };
    SystemMem {
        dirty_kb,
        writeback_kb,
        background_threshold_kb: threshold("nr_dirty_background_threshold"),
        threshold_kb: threshold("nr_dirty_threshold"),
    }
}

/// MemAvailable in bytes: what can be allocated without swapping.
pub fn mem_available() -> Option<u64> {
    procfs::Meminfo::current().ok()?.mem_available
}

/// Resident set size of this process in KiB.
#[cfg(target_os = "linux")]
pub fn rss_kb() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let resident: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(resident * super::pages::page_size() / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_mem_reads_every_field_on_linux() {
        let s = read_system_mem();
        assert!(s.dirty_kb.is_some());
        assert!(s.writeback_kb.is_some());
        let bg = s
            .background_threshold_kb
            .expect("nr_dirty_background_threshold");
        let hard = s.threshold_kb.expect("nr_dirty_threshold");
        assert!(bg > 0 && bg <= hard, "background {bg} kB, hard {hard} kB");
    }

    #[test]
    fn rss_grows_when_memory_is_touched() {
        // RSS is process-wide and other tests in this binary free memory
        // concurrently (one frees 16 MiB): touch 64 MiB, expect at least 30.
        let before = rss_kb().unwrap();
        let v = vec![1u8; 64 << 20];
        let after = rss_kb().unwrap();
        assert!(
            after >= before + 30 * 1024,
            "before {before} kB, after {after} kB"
        );
        drop(v);
    }

    #[test]
    fn dirty_settings_are_read() {
        let d = DirtySettings::read();
        assert!(d.dirty_expire_centisecs.is_some());
        assert!(d.dirty_ratio.is_some() || d.dirty_bytes.is_some());
    }
}
