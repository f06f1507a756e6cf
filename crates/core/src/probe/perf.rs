//! perf_event_open(2), once for the thread probe's counters and the block
//! probe's sampling tracepoint. Written by hand: both need only the first
//! 64 bytes of the attribute (`PERF_ATTR_SIZE_VER0`) and one syscall (the
//! trace crate has its own, fuller perf reader for its ring buffers).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// The first 64 bytes of `struct perf_event_attr` (`PERF_ATTR_SIZE_VER0`).
/// The flags bitfield 0 means: enabled, no inherit, user and kernel counted.
#[repr(C)]
#[derive(Default)]
pub struct Attr {
    pub type_: u32,
    pub size: u32,
    pub config: u64,
    pub sample_period: u64,
    pub sample_type: u64,
    pub read_format: u64,
    pub flags: u64,
    pub wakeup_events: u32,
    pub bp_type: u32,
    pub config1: u64,
}

impl Attr {
    /// An attribute of `type_` and `config`, its size filled in.
    pub fn new(type_: u32, config: u64) -> Attr {
        Attr {
            type_,
            size: u32::try_from(std::mem::size_of::<Attr>()).unwrap_or(u32::MAX),
            config,
            ..Attr::default()
        }
    }
}

pub const PERF_TYPE_SOFTWARE: u32 = 1;
pub const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;

/// Open `attr` for `pid` (0: the calling thread, -1: every task) on `cpu`
/// (-1: any), no group, closed on exec.
pub fn open(attr: &Attr, pid: libc::pid_t, cpu: i32) -> io::Result<OwnedFd> {
    // SAFETY: `attr` is a valid, fully initialised VER0 perf_event_attr that
    // lives across the call; group_fd -1 = no group.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            std::ptr::from_ref(attr),
            pid,
            cpu,
            -1,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = i32::try_from(fd)
        .map_err(|_| io::Error::other(format!("perf_event_open returned {fd}")))?;
    // SAFETY: the kernel just returned this fd to us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
