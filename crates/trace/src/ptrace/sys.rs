//! Thin wrappers over the ptrace requests and waitpid the driver uses.

use std::io;

/// PTRACE_EVENT_STOP (group stop, initial stop of a seized task, interrupt).
pub(crate) const PTRACE_EVENT_STOP: i32 = 128;
const PTRACE_GET_SYSCALL_INFO: libc::c_uint = 0x420e;
const WNOTHREAD: i32 = 0x2000_0000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    None,
    Entry,
    Exit,
    Seccomp,
}

/// What PTRACE_GET_SYSCALL_INFO says about the current stop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SyscallInfo {
    pub op: Op,
    pub nr: i64,
    pub args: [u64; 6],
    pub ret: i64,
}

/// struct ptrace_syscall_info (include/uapi/linux/ptrace.h): the three
/// union members overlap from `data`.
#[repr(C)]
struct RawInfo {
    op: u8,
    pad: [u8; 3],
    arch: u32,
    instruction_pointer: u64,
    stack_pointer: u64,
    data: [u64; 8],
}

pub(crate) fn syscall_info(tid: i32) -> Option<SyscallInfo> {
    let mut raw = RawInfo {
        op: 0,
        pad: [0; 3],
        arch: 0,
        instruction_pointer: 0,
        stack_pointer: 0,
        data: [0; 8],
    };
    // SAFETY: the kernel writes at most `size_of::<RawInfo>()` bytes (the
    // size we pass) into `raw`, which is live and writable.
    let n = unsafe {
        libc::ptrace(
            PTRACE_GET_SYSCALL_INFO,
            tid,
            std::mem::size_of::<RawInfo>(),
            &raw mut raw,
        )
    };
    if n <= 0 {
        return None;
    }
    let args = [
        raw.data[1],
        raw.data[2],
        raw.data[3],
        raw.data[4],
        raw.data[5],
        raw.data[6],
    ];
    let op = match raw.op {
        1 => Op::Entry,
        2 => Op::Exit,
        3 => Op::Seccomp,
        _ => Op::None,
    };
    Some(SyscallInfo {
        op,
        nr: raw.data[0] as i64,
        args,
        // exit.rval is the first member for an exit stop.
        ret: raw.data[0] as i64,
    })
}

/// Seize `tid` with `options`; the task keeps running.
pub(crate) fn seize(tid: i32, options: libc::c_int) -> io::Result<()> {
    // SAFETY: PTRACE_SEIZE takes no pointers; data carries the options.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_SEIZE,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            libc::c_long::from(options),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub(crate) fn interrupt(tid: i32) {
    // SAFETY: no pointers; a task that is gone gets ESRCH.
    unsafe {
        libc::ptrace(
            libc::PTRACE_INTERRUPT,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            0,
        )
    };
}

/// Resume a stopped task: to its next syscall stop (`step`) or freely,
/// delivering `sig` (0 for none).
pub(crate) fn restart(tid: i32, step: bool, sig: i32) {
    let req = if step {
        libc::PTRACE_SYSCALL
    } else {
        libc::PTRACE_CONT
    };
    // SAFETY: no pointers; data is the signal number. A task killed
    // meanwhile gets ESRCH, which the wait loop then sees as its death.
    unsafe {
        libc::ptrace(
            req,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            libc::c_long::from(sig),
        )
    };
}

pub(crate) fn detach(tid: i32, sig: i32) {
    // SAFETY: no pointers; data is the signal number to deliver.
    unsafe {
        libc::ptrace(
            libc::PTRACE_DETACH,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            libc::c_long::from(sig),
        )
    };
}

pub(crate) fn event_msg(tid: i32) -> Option<libc::c_ulong> {
    let mut msg: libc::c_ulong = 0;
    // SAFETY: the kernel writes one unsigned long into `msg`.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_GETEVENTMSG,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            &raw mut msg,
        )
    };
    (rc == 0).then_some(msg)
}

/// The next state change of any task traced by, or child of, this thread.
/// `None` when there is none left (ECHILD).
pub(crate) fn wait_any() -> Option<(i32, i32)> {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a live int.
        let tid = unsafe { libc::waitpid(-1, &raw mut status, libc::__WALL | WNOTHREAD) };
        if tid > 0 {
            return Some((tid, status));
        }
        if io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return None;
        }
    }
}
