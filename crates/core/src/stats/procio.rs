//! Per-process I/O counters from /proc/PID/io: who is dirtying pages.
//!
//! `write_bytes` is charged when a process dirties a page-cache page (not
//! when the page reaches the disk, which the flusher threads do later), and
//! `cancelled_write_bytes` when dirtied data is thrown away before writeback
//! (a file truncated or deleted while still dirty). The counters include
//! those of children that exited and were reaped, so a shell or a build tool
//! shows its children's writes too. Reading another user's
//! /proc/PID/io needs the same rights as ptrace-reading it, so without root
//! those processes are counted, not shown.

use std::collections::HashMap;
use std::io;

/// The counters of one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcIo {
    pub comm: String,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
}

/// Every process at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcIoSample {
    pub readable: HashMap<i32, ProcIo>,
    /// Processes whose counters this user may not read.
    pub unreadable: u64,
}

/// Read /proc/PID/io of every process. A process that exits meanwhile is
/// simply absent.
pub fn read_all() -> ProcIoSample {
    let mut sample = ProcIoSample::default();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return sample;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        match read_one(pid) {
            Ok(Some(io)) => {
                sample.readable.insert(pid, io);
            }
            Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) => {
                sample.unreadable += 1;
            }
            // Gone, or no task I/O accounting in this kernel.
            Ok(None) | Err(_) => {}
        }
    }
    sample
}

fn read_one(pid: i32) -> io::Result<Option<ProcIo>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io"))?;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    Ok(parse(&text, comm.trim_end()))
}

/// The two counters out of /proc/PID/io's `key: value` lines.
pub fn parse(text: &str, comm: &str) -> Option<ProcIo> {
    let mut write = None;
    let mut cancelled = None;
    for line in text.lines() {
        let (key, value) = line.split_once(':')?;
        let value = value.trim().parse().ok();
        match key {
            "write_bytes" => write = value,
            "cancelled_write_bytes" => cancelled = value,
            _ => {}
        }
    }
    Some(ProcIo {
        comm: comm.to_string(),
        write_bytes: write?,
        cancelled_write_bytes: cancelled?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_counters() {
        let text = "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 4096\ncancelled_write_bytes: 512\n";
        let io = parse(text, "dd").unwrap();
        assert_eq!((io.write_bytes, io.cancelled_write_bytes), (4096, 512));
        assert_eq!(io.comm, "dd");
        assert_eq!(parse("rchar: 1\n", "x"), None);
    }

    #[test]
    fn reads_our_own_process() {
        let all = read_all();
        let me = all
            .readable
            .get(&i32::try_from(std::process::id()).unwrap())
            .expect("own /proc/self/io");
        assert!(!me.comm.is_empty());
    }
}
