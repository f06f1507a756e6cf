//! perf_event plumbing: tracepoint ids and field offsets from tracefs, the
//! event attributes, per-CPU ring buffers. The perf backend
//! (`backend/perf.rs`) puts them together.

pub(crate) mod format;
pub(crate) mod ring;

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use perf_event_open_sys as sys;
use sys::bindings::perf_event_attr;

pub(crate) use format::Format;

/// Which tracepoint a sample came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Enter,
    Exit,
    Fault,
}

/// How an event is opened.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub tracepoint_id: u64,
    /// Also report FORK/EXIT records (one event per buffer needs this).
    pub task: bool,
    /// Disabled until the target's exec (command mode).
    pub enable_on_exec: bool,
    pub wakeup_bytes: u32,
    /// A sampling event (records into a buffer) or a plain counter.
    pub sampling: bool,
}

fn attr(spec: Spec) -> perf_event_attr {
    let mut a = perf_event_attr {
        type_: sys::bindings::PERF_TYPE_TRACEPOINT,
        size: std::mem::size_of::<perf_event_attr>() as u32,
        config: spec.tracepoint_id,
        ..perf_event_attr::default()
    };
    if spec.sampling {
        // No PERF_SAMPLE_IDENTIFIER: the raw record's common_type field is
        // the tracepoint id already, and 8 bytes less per record is 8% more
        // calls per buffer.
        a.sample_type = u64::from(
            sys::bindings::PERF_SAMPLE_TID
                | sys::bindings::PERF_SAMPLE_TIME
                | sys::bindings::PERF_SAMPLE_RAW,
        );
        a.__bindgen_anon_1.sample_period = 1;
        a.__bindgen_anon_2.wakeup_watermark = spec.wakeup_bytes;
        a.set_watermark(1);
        a.set_sample_id_all(1);
        a.set_use_clockid(1);
        a.clockid = libc::CLOCK_MONOTONIC;
        a.set_task(u64::from(spec.task));
    }
    a.set_inherit(1);
    a.set_disabled(u64::from(spec.enable_on_exec));
    a.set_enable_on_exec(u64::from(spec.enable_on_exec));
    a
}

/// Open one tracepoint event for `pid` (a task; inherit follows its future
/// children) on `cpu`.
pub(crate) fn open(spec: Spec, pid: i32, cpu: i32) -> io::Result<OwnedFd> {
    let mut a = attr(spec);
    // SAFETY: `a` is a fully initialised perf_event_attr whose size field
    // matches the struct; no group; close-on-exec.
    let fd = unsafe {
        sys::perf_event_open(
            &raw mut a,
            pid,
            cpu,
            -1,
            libc::c_ulong::from(sys::bindings::PERF_FLAG_FD_CLOEXEC),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The value of a counting event (inherited children's counts included once
/// they have exited).
pub(crate) fn read_count(fd: &OwnedFd) -> io::Result<u64> {
    let mut v = 0u64;
    // SAFETY: reading one u64 (read_format 0) into a live u64.
    let n = unsafe { libc::read(fd.as_raw_fd(), (&raw mut v).cast(), 8) };
    if n != 8 {
        return Err(io::Error::last_os_error());
    }
    Ok(v)
}

/// Send `fd`'s records into `leader`'s ring buffer (same CPU).
pub(crate) fn set_output(fd: &OwnedFd, leader: &OwnedFd) -> io::Result<()> {
    // SAFETY: both descriptors are open perf events.
    if unsafe { sys::ioctls::SET_OUTPUT(fd.as_raw_fd(), leader.as_raw_fd()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The online CPUs, from /sys/devices/system/cpu/online ("0-3,6").
pub(crate) fn online_cpus() -> Vec<i32> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap_or_default();
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<i32>(), b.parse::<i32>()) {
                    cpus.extend(a..=b);
                }
            }
            None => cpus.extend(part.parse::<i32>().ok()),
        }
    }
    if cpus.is_empty() {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
        cpus.extend(0..n.max(1) as i32);
    }
    cpus
}

/// Whether this user can sample raw_syscalls with PERF_SAMPLE_RAW: open the
/// event on ourselves, disabled, and close it. The error says why not.
pub(crate) fn probe() -> Result<(), String> {
    let enter = Format::load("raw_syscalls", "sys_enter")?;
    let spec = Spec {
        tracepoint_id: enter.id,
        task: false,
        enable_on_exec: true,
        wakeup_bytes: 1,
        sampling: true,
    };
    match open(spec, 0, -1) {
        Ok(_) => Ok(()),
        Err(e) => {
            let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
                .map_or_else(|_| "?".into(), |s| s.trim().to_owned());
            Err(format!(
                "perf_event_open(raw_syscalls:sys_enter, PERF_SAMPLE_RAW) failed: {e} (perf_event_paranoid={paranoid}; raw tracepoint samples need root or CAP_PERFMON, or paranoid=-1)"
            ))
        }
    }
}
