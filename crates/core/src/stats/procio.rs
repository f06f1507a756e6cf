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

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

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

/// Process names, looked up through sysinfo once per process and kept
/// while the process lives: a watch that refreshes every second then reads
/// only the names of processes that are new since the last sample.
pub struct Names {
    system: System,
    known: HashMap<i32, String>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            system: System::new(),
            known: HashMap::new(),
        }
    }
}

impl Names {
    /// The names of `pids`, forgetting those of processes not among them
    /// (exited: their pid may be reused by another program).
    fn resolve(&mut self, pids: &[i32]) -> &HashMap<i32, String> {
        let alive: std::collections::HashSet<i32> = pids.iter().copied().collect();
        self.known.retain(|pid, _| alive.contains(pid));
        let new: Vec<Pid> = pids
            .iter()
            .filter(|pid| !self.known.contains_key(pid))
            .filter_map(|&pid| u32::try_from(pid).ok().map(Pid::from_u32))
            .collect();
        if !new.is_empty() {
            self.system.refresh_processes_specifics(
                ProcessesToUpdate::Some(&new),
                true,
                ProcessRefreshKind::nothing(),
            );
            for pid in new {
                if let (Some(p), Ok(key)) = (self.system.process(pid), i32::try_from(pid.as_u32()))
                {
                    self.known
                        .insert(key, p.name().to_string_lossy().into_owned());
                }
            }
        }
        &self.known
    }
}

/// Read /proc/PID/io of every process. A process that exits meanwhile is
/// simply absent.
pub fn read_all(names: &mut Names) -> ProcIoSample {
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
    let pids: Vec<i32> = sample.readable.keys().copied().collect();
    let known = names.resolve(&pids);
    for (pid, io) in &mut sample.readable {
        if let Some(name) = known.get(pid) {
            io.comm.clone_from(name);
        }
    }
    sample
}

fn read_one(pid: i32) -> io::Result<Option<ProcIo>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io"))?;
    Ok(parse(&text, ""))
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
    fn reads_our_own_process_and_names_it_as_proc_does() {
        let mut names = Names::default();
        let me = i32::try_from(std::process::id()).unwrap();
        let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
        for _ in 0..2 {
            let all = read_all(&mut names);
            let io = all.readable.get(&me).expect("own /proc/self/io");
            assert_eq!(io.comm, comm.trim_end());
        }
    }
}
