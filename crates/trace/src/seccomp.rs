//! The ptrace backend's seccomp-BPF filter: stop (SECCOMP_RET_TRACE) on the
//! file, mapping and sync calls of [`crate::syscall_table`], let every other
//! call through without a stop. The idea is strace's `--seccomp-bpf`; this
//! is a plain linear filter of "jump if equal" tests, which for ~45 numbers
//! costs the kernel a few dozen BPF instructions per call.

use crate::syscall_table;

const BPF_LD_W_ABS: u16 = 0x20; // BPF_LD (0) | BPF_W (0) | BPF_ABS (0x20)
const BPF_JEQ_K: u16 = 0x05 | 0x10; // BPF_JMP | BPF_JEQ | BPF_K
#[cfg(target_arch = "x86_64")]
const BPF_JGE_K: u16 = 0x05 | 0x30; // BPF_JMP | BPF_JGE | BPF_K
const BPF_RET_K: u16 = 0x06;

const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;

/// offsetof(struct seccomp_data, nr) and (.., arch).
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

/// x32 calls on x86_64 carry this bit; the table is for the 64-bit ABI, so
/// they are all stopped on rather than misread.
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// A built filter; [`Filter::program`] gives the struct seccomp(2) takes.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    insns: Vec<libc::sock_filter>,
}

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

impl Filter {
    pub(crate) fn new() -> Filter {
        Filter::for_numbers(&syscall_table::trapped_numbers())
    }

    /// The perf backend's filter: only calls that free a descriptor slot
    /// (close, close_range, dup2/dup3 onto a slot, exec's close-on-exec),
    /// so the reader can resolve the slot's file before it is gone.
    pub(crate) fn slot_releasing() -> Filter {
        let nrs: Vec<u32> = ["close", "close_range", "dup2", "dup3", "execve", "execveat"]
            .iter()
            .filter_map(|n| syscall_table::number(n))
            .map(|n| n as u32)
            .collect();
        Filter::for_numbers(&nrs)
    }

    fn for_numbers(nrs: &[u32]) -> Filter {
        assert!(nrs.len() < 250, "a jump offset must fit in a u8");
        let mut f = vec![
            stmt(BPF_LD_W_ABS, DATA_ARCH),
            // Foreign arch (e.g. i386 via int 0x80): stop on everything.
            jump(BPF_JEQ_K, AUDIT_ARCH, 1, 0),
            stmt(BPF_RET_K, SECCOMP_RET_TRACE),
            stmt(BPF_LD_W_ABS, DATA_NR),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            let to_trace = (nrs.len() + 1) as u8;
            f.push(jump(BPF_JGE_K, X32_SYSCALL_BIT, to_trace, 0));
        }
        for (i, &nr) in nrs.iter().enumerate() {
            // Past the remaining tests and the ALLOW return.
            let to_trace = (nrs.len() - i) as u8;
            f.push(jump(BPF_JEQ_K, nr, to_trace, 0));
        }
        f.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
        f.push(stmt(BPF_RET_K, SECCOMP_RET_TRACE));
        Filter { insns: f }
    }

    /// The program, pointing into `self`: keep `self` alive while it is used.
    pub(crate) fn program(&self) -> libc::sock_fprog {
        libc::sock_fprog {
            len: self.insns.len() as u16,
            filter: self.insns.as_ptr().cast_mut(),
        }
    }

    /// Run the filter on one call the way the kernel would (for tests).
    #[cfg(test)]
    fn verdict(&self, arch: u32, nr: u32) -> u32 {
        let mut pc = 0usize;
        let mut acc = 0u32;
        loop {
            let i = self.insns[pc];
            pc += 1;
            match i.code {
                BPF_LD_W_ABS => acc = if i.k == DATA_ARCH { arch } else { nr },
                BPF_RET_K => return i.k,
                code => {
                    let taken = if code == BPF_JEQ_K {
                        acc == i.k
                    } else {
                        acc >= i.k
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_on_file_calls_only() {
        let f = Filter::new();
        let nr = |n| syscall_table::number(n).unwrap() as u32;
        for name in [
            "write", "openat", "fsync", "mmap", "close", "execve", "pread64",
        ] {
            assert_eq!(f.verdict(AUDIT_ARCH, nr(name)), SECCOMP_RET_TRACE, "{name}");
        }
        for name in ["getpid", "getppid", "futex", "clock_nanosleep", "brk"] {
            assert_eq!(f.verdict(AUDIT_ARCH, nr(name)), SECCOMP_RET_ALLOW, "{name}");
        }
        assert_eq!(f.verdict(0x4000_0003, nr("getpid")), SECCOMP_RET_TRACE);
    }
}
