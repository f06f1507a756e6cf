//! Attaching to a running process: seize every thread, and when the kernel
//! refuses, say which rule refused and what would allow it.

use std::collections::BTreeSet;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::sys;
use crate::TraceError;
use crate::procfs;

/// Seize every thread of `pid` (re-listing until no new one appears) and
/// interrupt each so the driver sees a first stop. Returns the tids.
pub(crate) fn seize_all(pid: i32, options: libc::c_int) -> Result<Vec<i32>, TraceError> {
    let mut seized = BTreeSet::new();
    loop {
        let tids = procfs::tasks(pid);
        if tids.is_empty() {
            return Err(TraceError::Attach {
                pid,
                why: "no such process".into(),
            });
        }
        let new: Vec<i32> = tids.into_iter().filter(|t| !seized.contains(t)).collect();
        if new.is_empty() {
            break;
        }
        for tid in new {
            match sys::seize(tid, options) {
                Ok(()) => {
                    seized.insert(tid);
                }
                // A thread that exited between listing and seizing.
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) && tid != pid => {}
                // A thread born from one already seized is auto-attached.
                Err(_)
                    if procfs::status_field(tid, "TracerPid").as_deref()
                        == Some(&std::process::id().to_string()) =>
                {
                    seized.insert(tid);
                }
                Err(e) => {
                    for &t in &seized {
                        sys::detach(t, 0);
                    }
                    return Err(TraceError::Attach {
                        pid,
                        why: why_refused(pid, &e),
                    });
                }
            }
        }
    }
    for &tid in &seized {
        sys::interrupt(tid);
    }
    Ok(seized.into_iter().collect())
}

/// The reason a ptrace attach failed, and what would allow it.
pub(crate) fn why_refused(pid: i32, e: &io::Error) -> String {
    if e.raw_os_error() == Some(libc::ESRCH) {
        return "no such process".into();
    }
    if e.raw_os_error() != Some(libc::EPERM) {
        return format!("ptrace(PTRACE_SEIZE) failed: {e}");
    }
    let mut reasons = Vec::new();
    if let Some(tracer) = procfs::status_field(pid, "TracerPid").filter(|t| t != "0") {
        reasons.push(format!(
            "it is already traced by pid {tracer} (a debugger or strace); only one tracer is allowed, detach that one first"
        ));
    }
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    let has_cap = has_cap_sys_ptrace();
    if let Some(uids) = procfs::status_field(pid, "Uid") {
        let owner: Vec<u32> = uids
            .split_whitespace()
            .filter_map(|u| u.parse().ok())
            .collect();
        if !has_cap && owner.iter().any(|&u| u != euid) {
            reasons.push(format!(
                "it belongs to uid {} and you are uid {euid}, without CAP_SYS_PTRACE; run as that user or as root",
                owner.first().copied().unwrap_or(0)
            ));
        }
    }
    match std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
    {
        Some(1) if !has_cap => reasons.push(
            "Yama ptrace_scope is 1: only a parent may trace its descendants; start the program under `iotour trace -- CMD`, set kernel.yama.ptrace_scope=0, or grant CAP_SYS_PTRACE".into(),
        ),
        Some(2) if !has_cap => reasons.push(
            "Yama ptrace_scope is 2: attaching needs CAP_SYS_PTRACE (run as root)".into(),
        ),
        Some(3) => reasons.push(
            "Yama ptrace_scope is 3: attaching is disabled until reboot; start the program under `iotour trace -- CMD`".into(),
        ),
        _ => {}
    }
    if reasons.is_empty() {
        reasons.push(
            "the kernel refused (EPERM): the process may be non-dumpable (setuid/setgid, or prctl PR_SET_DUMPABLE 0), which needs CAP_SYS_PTRACE".into(),
        );
    }
    reasons.join("; ")
}

fn has_cap_sys_ptrace() -> bool {
    const CAP_SYS_PTRACE: u32 = 19;
    procfs::status_field(std::process::id() as i32, "CapEff")
        .and_then(|c| u64::from_str_radix(&c, 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_SYS_PTRACE) != 0)
}

/// A child of the tracer thread that exits when its pipe closes, so a
/// waitpid blocked in the driver returns and sees a stop request. No
/// signal reaches the traced program for this.
pub(crate) struct Waker {
    /// Until handed to the driver (which then reaps it), ours to reap.
    pid: Option<i32>,
    pipe: Option<OwnedFd>,
}

impl Waker {
    /// Fork it; must be called on the tracer thread.
    pub(crate) fn spawn() -> Result<Waker, TraceError> {
        let mut fds = [0i32; 2];
        // SAFETY: `fds` is a live array of two ints.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(TraceError::last_os("pipe2"));
        }
        // SAFETY: pipe2 returned these descriptors to us.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // SAFETY: the child only calls close, read and _exit
        // (async-signal-safe) on descriptors it inherited.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(TraceError::last_os("fork the waker"));
        }
        if pid == 0 {
            // SAFETY: async-signal-safe calls in the forked child.
            unsafe {
                // Keep only the read end, as fd 0: holding copies of other
                // descriptors (another tracer's waker pipe, a child's
                // handshake pipe) would keep those from ever closing.
                libc::dup2(r.as_raw_fd(), 0);
                libc::syscall(libc::SYS_close_range, 1u32, u32::MAX, 0u32);
                let mut b = 0u8;
                while libc::read(0, (&raw mut b).cast(), 1) < 0 {}
                libc::_exit(0);
            }
        }
        drop(r);
        Ok(Waker {
            pid: Some(pid),
            pipe: Some(w),
        })
    }

    /// The write end: closing it wakes the driver.
    pub(crate) fn take_pipe(&mut self) -> Option<OwnedFd> {
        self.pipe.take()
    }

    /// The child's pid, for the driver to wait on; the driver reaps it.
    pub(crate) fn take_pid(&mut self) -> Option<i32> {
        self.pid.take()
    }
}

/// Kill and reap a waker child still running, so it never lingers as a
/// zombie (init may not reap what it inherits).
pub(crate) fn reap_waker(pid: i32) {
    // 0 or less would name a process group or every process.
    if pid <= 0 {
        return;
    }
    // SAFETY: `pid` is our unreaped child, so it names no other process;
    // waitpid takes a null status pointer.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, std::ptr::null_mut(), libc::__WALL);
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            reap_waker(pid);
        }
    }
}
