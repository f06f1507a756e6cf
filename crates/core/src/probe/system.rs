//! System-wide dirty-page state: /proc/meminfo, /proc/vmstat and the
//! `vm.dirty_*` sysctls that decide when the kernel starts writing back
//! (background threshold) and when it makes writers wait (hard threshold).

#[cfg(target_os = "linux")]
use std::collections::HashMap;
#[cfg(target_os = "linux")]
use std::fs::File;
#[cfg(target_os = "linux")]
use std::io::{self, Read};
#[cfg(target_os = "linux")]
use std::path::Path;

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
    /// Above this a writing process is throttled in `balance_dirty_pages`.
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

/// /proc/vmstat `workingset_refault_file` (Linux 5.9; cumulative): file
/// pages read back while their shadow entry said they were recently evicted.
#[cfg(target_os = "linux")]
pub fn workingset_refault_file() -> Option<u64> {
    let mut buf = Vec::new();
    read_keys(
        Path::new("/proc/vmstat"),
        ["workingset_refault_file"],
        &mut buf,
    )
    .ok()
    .and_then(|[v]| v)
}

/// Read Dirty, Writeback and the two thresholds (once; a loop keeps a
/// [`SystemMemReader`]).
#[cfg(target_os = "linux")]
pub fn read_system_mem() -> SystemMem {
    SystemMemReader::default().read()
}

/// Reads [`SystemMem`] at the sampler's rate (20 Hz by default) without
/// parsing all of /proc/meminfo and /proc/vmstat into maps each time: it
/// stops reading at the last key it needs and reuses one buffer.
#[cfg(target_os = "linux")]
#[derive(Debug, Default)]
pub struct SystemMemReader {
    buf: Vec<u8>,
}

#[cfg(target_os = "linux")]
impl SystemMemReader {
    pub fn read(&mut self) -> SystemMem {
        let [dirty_kb, writeback_kb] = read_keys(
            Path::new("/proc/meminfo"),
            ["Dirty", "Writeback"],
            &mut self.buf,
        )
        .unwrap_or_default();
        let page_kb = super::pages::page_size() / 1024;
        let [background, hard] = read_keys(
            Path::new("/proc/vmstat"),
            ["nr_dirty_background_threshold", "nr_dirty_threshold"],
            &mut self.buf,
        )
        .unwrap_or_default();
        SystemMem {
            dirty_kb,
            writeback_kb,
            background_threshold_kb: background.map(|p| p * page_kb),
            threshold_kb: hard.map(|p| p * page_kb),
        }
    }
}

/// The values of `keys` in a /proc file of `name value` (vmstat) or
/// `name: value kB` (meminfo) lines, reading only as far as the last one
/// found. A key the file lacks, or whose value is not a u64, is `None`.
#[cfg(target_os = "linux")]
fn read_keys<const N: usize>(
    path: &Path,
    keys: [&str; N],
    buf: &mut Vec<u8>,
) -> io::Result<[Option<u64>; N]> {
    const CHUNK: usize = 4096;
    let mut file = File::open(path)?;
    let mut found = [None; N];
    buf.clear();
    let mut scanned = 0;
    loop {
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let n = loop {
            match file.read(&mut buf[start..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => break r?,
            }
        };
        buf.truncate(start + n);
        let eof = n == 0;
        // Only whole lines: a line cut by the chunk is scanned next time.
        let end = if eof {
            buf.len()
        } else {
            buf.iter()
                .rposition(|&b| b == b'\n')
                .map_or(scanned, |i| i + 1)
        };
        for line in buf[scanned..end].split(|&b| b == b'\n') {
            let mut words = line
                .split(|&b| b == b' ' || b == b':')
                .filter(|w| !w.is_empty());
            let Some(name) = words.next() else { continue };
            if let Some(i) = keys.iter().position(|k| k.as_bytes() == name) {
                found[i] = words
                    .next()
                    .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok());
            }
        }
        scanned = end;
        if eof || found.iter().all(Option::is_some) {
            return Ok(found);
        }
    }
}

/// `MemAvailable` in bytes: what can be allocated without swapping.
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
    fn keys_are_found_across_chunks_and_missing_ones_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vmstat");
        // Pad so the wanted line straddles the 4096-byte read boundary.
        let mut text = String::from("Dirty:             1234 kB\n");
        while text.len() < 4090 {
            text.push_str("nr_filler 1\n");
        }
        text.push_str("nr_dirty_threshold 567\nnr_bad -3\nlast 9");
        std::fs::write(&path, &text).unwrap();
        let mut buf = Vec::new();
        let got = read_keys(
            &path,
            ["nr_dirty_threshold", "Dirty", "absent", "nr_bad", "last"],
            &mut buf,
        )
        .unwrap();
        assert_eq!(got, [Some(567), Some(1234), None, None, Some(9)]);
        // A prefix of a key is a different key.
        let got = read_keys(&path, ["nr_dirty"], &mut buf).unwrap();
        assert_eq!(got, [None]);
        assert!(read_keys(&dir.path().join("nope"), ["x"], &mut buf).is_err());
    }

    #[test]
    fn the_reader_agrees_with_procfs() {
        let page_kb = crate::probe::pages::page_size() / 1024;
        let mut reader = SystemMemReader::default();
        // The kernel computes the threshold from free memory at each read, and
        // other tests allocate concurrently: ours must lie between two reads
        // of procfs made around it (retried, in case memory moved back and
        // forth in between).
        let agreed = (0..20).any(|_| {
            let before = crate::cast::unsigned(vmstat().unwrap()["nr_dirty_threshold"]) * page_kb;
            let ours = reader.read().threshold_kb.unwrap();
            let after = crate::cast::unsigned(vmstat().unwrap()["nr_dirty_threshold"]) * page_kb;
            (before.min(after)..=before.max(after)).contains(&ours)
        });
        assert!(agreed, "the threshold read never matched procfs");
        let r = reader.read();
        assert!(r.dirty_kb.is_some() && r.writeback_kb.is_some(), "{r:?}");
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
