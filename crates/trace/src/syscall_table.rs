//! System call numbers, names, and what each call does to files: the one
//! place that knows which argument is a descriptor and which calls move
//! bytes, sync, map or change the descriptor table.
//!
//! Names come from the `syscalls` crate's table for the build's arch (see
//! Cargo.toml for why a crate and not the kernel header); everything else is
//! keyed by name, so the same classification serves x86_64 and aarch64
//! (aarch64 simply has no `open`, `creat` or `dup2`).

use std::sync::OnceLock;

use syscalls::Sysno;

/// Which way a call moves bytes between the program and its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Direction {
    #[default]
    None,
    /// Bytes read from `fd` (read, pread64, readv, ...).
    Read,
    /// Bytes written to `fd` (write, pwrite64, writev, ...).
    Write,
    /// Bytes read from the source descriptor and written to `fd`.
    Copy,
}

/// What a call does to the process's descriptor table or address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Effect {
    #[default]
    None,
    /// Returns a new descriptor for a path (open family).
    Open,
    /// `dup(old)`: the return value is a copy of arg 0.
    Dup,
    /// `dup2/dup3(old, new)`: arg 1 becomes a copy of arg 0.
    DupTo,
    /// `fcntl(fd, F_DUPFD*, min)`: a copy when the command is a dup.
    Fcntl,
    Close,
    /// `close_range(first, last, flags)`.
    CloseRange,
    /// Returns a descriptor that is no path's file (socket, pipe, eventfd...).
    NewFd,
    /// A successful exec closes the close-on-exec descriptors.
    Exec,
    /// `mmap(addr, len, prot, flags, fd, off)`: returns the address.
    Map,
    /// `munmap(addr, len)`.
    Unmap,
    /// `mremap(old, old_len, new_len, ...)`: returns the new address.
    Remap,
}

/// The file-relevant shape of one system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(clippy::struct_excessive_bools)] // independent facts about a call, not a state machine
pub(crate) struct Class {
    /// Argument index of the descriptor the call acts on.
    pub fd_arg: Option<u8>,
    /// Argument index of the source descriptor of a copy call.
    pub source_arg: Option<u8>,
    /// Argument index of an address inside a mapping (msync, munmap).
    pub addr_arg: Option<u8>,
    pub direction: Direction,
    pub effect: Effect,
    /// fsync family: its calls on a file are counted apart.
    pub sync: bool,
    /// Page-cache state is sampled before and after the call (ptrace) or
    /// after the batch that contained it (perf).
    pub io: bool,
    /// The call never returns to the caller when it succeeds.
    pub no_return: bool,
    /// Stopped on by the ptrace backend's seccomp filter.
    pub trap: bool,
}

#[allow(clippy::too_many_lines)] // a table, one arm per family of calls
fn classify(name: &str) -> Class {
    let fd0 = Class {
        fd_arg: Some(0),
        ..Class::default()
    };
    let file_io = Class {
        io: true,
        trap: true,
        ..fd0
    };
    match name {
        "read" | "pread64" | "readv" | "preadv" | "preadv2" => Class {
            direction: Direction::Read,
            ..file_io
        },
        "write" | "pwrite64" | "writev" | "pwritev" | "pwritev2" => Class {
            direction: Direction::Write,
            ..file_io
        },
        "sendfile" => Class {
            source_arg: Some(1),
            direction: Direction::Copy,
            ..file_io
        },
        "copy_file_range" | "splice" => Class {
            fd_arg: Some(2),
            source_arg: Some(0),
            direction: Direction::Copy,
            ..file_io
        },
        "tee" => Class {
            fd_arg: Some(1),
            source_arg: Some(0),
            direction: Direction::Copy,
            ..file_io
        },
        "fsync" | "fdatasync" | "sync_file_range" | "syncfs" => Class {
            sync: true,
            ..file_io
        },
        "fallocate" | "ftruncate" | "fadvise64" | "readahead" => file_io,
        "lseek" => Class { trap: true, ..fd0 },
        "msync" => Class {
            addr_arg: Some(0),
            sync: true,
            io: true,
            trap: true,
            ..Class::default()
        },
        "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => Class {
            effect: Effect::Open,
            trap: true,
            ..Class::default()
        },
        "close" => Class {
            effect: Effect::Close,
            trap: true,
            ..fd0
        },
        "close_range" => Class {
            effect: Effect::CloseRange,
            trap: true,
            ..Class::default()
        },
        "dup" => Class {
            effect: Effect::Dup,
            trap: true,
            ..fd0
        },
        "dup2" | "dup3" => Class {
            effect: Effect::DupTo,
            trap: true,
            ..fd0
        },
        "fcntl" => Class {
            effect: Effect::Fcntl,
            trap: true,
            ..fd0
        },
        "execve" | "execveat" => Class {
            effect: Effect::Exec,
            no_return: true,
            trap: true,
            ..Class::default()
        },
        "exit" | "exit_group" => Class {
            no_return: true,
            ..Class::default()
        },
        "mmap" => Class {
            fd_arg: Some(4),
            effect: Effect::Map,
            trap: true,
            ..Class::default()
        },
        "munmap" => Class {
            addr_arg: Some(0),
            effect: Effect::Unmap,
            trap: true,
            ..Class::default()
        },
        "mremap" => Class {
            addr_arg: Some(0),
            effect: Effect::Remap,
            trap: true,
            ..Class::default()
        },
        // pipe, pipe2 and socketpair return 0 and write their descriptors
        // to memory: the table learns them lazily, on first use.
        "socket" | "accept" | "accept4" | "eventfd" | "eventfd2" | "epoll_create"
        | "epoll_create1" | "memfd_create" | "signalfd" | "signalfd4" | "timerfd_create"
        | "inotify_init" | "inotify_init1" | "fanotify_init" | "userfaultfd" | "pidfd_open"
        | "pidfd_getfd" | "perf_event_open" | "io_uring_setup" | "open_tree" | "fsopen"
        | "fsmount" | "fspick" | "mq_open" | "memfd_secret" => Class {
            effect: Effect::NewFd,
            ..Class::default()
        },
        "fstat" | "fstatfs" | "fchmod" | "fchown" | "fgetxattr" | "fsetxattr" | "flistxattr"
        | "fremovexattr" | "flock" | "ioctl" | "getdents" | "getdents64" | "fchdir"
        | "recvfrom" | "sendto" | "recvmsg" | "sendmsg" | "connect" | "bind" | "listen"
        | "shutdown" | "getsockopt" | "setsockopt" | "vmsplice" | "epoll_ctl" | "epoll_wait"
        | "epoll_pwait" | "epoll_pwait2" | "fsetxattrat" => fd0,
        _ => Class::default(),
    }
}

/// Name and class of one system call number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Info {
    pub name: &'static str,
    pub class: Class,
}

const UNKNOWN: Info = Info {
    name: "unknown",
    class: Class {
        fd_arg: None,
        source_arg: None,
        addr_arg: None,
        direction: Direction::None,
        effect: Effect::None,
        sync: false,
        io: false,
        no_return: false,
        trap: false,
    },
};

fn table() -> &'static [Info] {
    static TABLE: OnceLock<Vec<Info>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![UNKNOWN; Sysno::table_size()];
        for s in Sysno::iter() {
            if let Some(slot) = usize::try_from(s.id()).ok().and_then(|i| t.get_mut(i)) {
                *slot = Info {
                    name: s.name(),
                    class: classify(s.name()),
                };
            }
        }
        t
    })
}

/// What is known about syscall `nr` on this arch; "unknown" for a number
/// the table does not have (a newer kernel's call, or x32).
pub(crate) fn info(nr: i64) -> Info {
    usize::try_from(nr)
        .ok()
        .and_then(|i| table().get(i).copied())
        .unwrap_or(UNKNOWN)
}

/// The numbers the ptrace backend's seccomp filter stops on.
pub(crate) fn trapped_numbers() -> Vec<u32> {
    table()
        .iter()
        .enumerate()
        .filter(|(_, i)| i.class.trap)
        .map(|(nr, _)| nr as u32)
        .collect()
}

/// The number of a call by name, for tests and the filter's self-checks.
pub fn number(name: &str) -> Option<i64> {
    name.parse::<Sysno>().ok().map(|s| i64::from(s.id()))
}

/// Whether syscall `nr` is of the fsync family (waits for the device).
pub fn is_sync(nr: i64) -> bool {
    info(nr).class.sync
}

/// The name of syscall `nr` on this arch, "unknown" if the table lacks it.
pub fn name(nr: i64) -> &'static str {
    info(nr).name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_classes_line_up_with_the_arch_table() {
        let write = number("write").unwrap();
        assert_eq!(name(write), "write");
        assert_eq!(info(write).class.direction, Direction::Write);
        assert!(info(write).class.trap);
        let fsync = number("fsync").unwrap();
        assert!(info(fsync).class.sync);
        assert_eq!(name(-1), "unknown");
        assert_eq!(name(100_000), "unknown");
        let getpid = number("getpid").unwrap();
        assert!(!info(getpid).class.trap);
        assert!(trapped_numbers().contains(&(write as u32)));
        assert!(!trapped_numbers().contains(&(getpid as u32)));
    }

    #[test]
    fn only_calls_returning_a_descriptor_invalidate_the_slot() {
        assert_eq!(info(number("socket").unwrap()).class.effect, Effect::NewFd);
        assert_eq!(info(number("pipe2").unwrap()).class.effect, Effect::None);
        assert_eq!(
            info(number("socketpair").unwrap()).class.effect,
            Effect::None
        );
    }

    #[test]
    fn copy_calls_name_both_descriptors() {
        let c = info(number("copy_file_range").unwrap()).class;
        assert_eq!((c.fd_arg, c.source_arg), (Some(2), Some(0)));
        let s = info(number("sendfile").unwrap()).class;
        assert_eq!((s.fd_arg, s.source_arg), (Some(0), Some(1)));
    }
}
