//! SIGBUS from a file mapping, turned into a failed step instead of a crash.
//!
//! A page of a file mapping that lies past the end of the file cannot be
//! read or written: the kernel sends SIGBUS, whose default action kills the
//! process. `Touch::new` refuses pages past the end, but another process can
//! truncate the file afterwards, between two accesses, so only a handler can
//! make this safe.
//!
//! How it works, and why it is sound:
//! - While a `touch` of the file mapping runs, it *arms* a guard: the
//!   mapping's address range, in two atomics.
//! - The handler (`SA_SIGINFO`, process-wide) looks at `si_addr`. Inside the
//!   armed range, it maps one anonymous zero page over the faulting page
//!   (`mmap(MAP_FIXED | MAP_ANONYMOUS)`, a plain syscall, async-signal-safe),
//!   records the address and returns: the faulting access restarts and
//!   completes on that page. The touch loop sees the record after that
//!   access, stops and fails the step with the reason. The mapping is
//!   unmapped as a whole later, anonymous page included.
//! - Outside the range (a real bug, or Rust's own stack-overflow guard page)
//!   it puts back the handler that was there before and returns: the access
//!   faults again and that handler (or the default action) sees it, exactly
//!   as if this one were not installed.
//!
//! Alternatives weighed: a `sigsetjmp`/`siglongjmp` out of the handler skips
//! Rust frames (undefined behaviour); touching in a child process measures a
//! different process's faults and page tables; checking the file size before
//! each access still races with a truncation right after the check.

use std::sync::Once;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The armed range `[START, END)`; START 0: disarmed.
static START: AtomicUsize = AtomicUsize::new(0);
static END: AtomicUsize = AtomicUsize::new(0);
/// The first faulting address since the last `take_fault`; 0: none.
static FAULT: AtomicUsize = AtomicUsize::new(0);
static PAGE: AtomicUsize = AtomicUsize::new(4096);

/// The disposition of SIGBUS before ours, put back for faults that are not ours.
struct Previous(libc::sigaction);
// SAFETY: plain data written once before the handler is installed, then only read.
unsafe impl Sync for Previous {}
// SAFETY: as above: plain data, written once before the handler is installed.
unsafe impl Send for Previous {}
static PREVIOUS: OnceLock<Previous> = OnceLock::new();
static INSTALL: Once = Once::new();

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let (start, end) = (START.load(Ordering::SeqCst), END.load(Ordering::SeqCst));
    if start != 0 && (start..end).contains(&addr) {
        let page = PAGE.load(Ordering::Relaxed);
        let at = addr & !(page - 1);
        // Not memmap2: this needs MAP_FIXED over one page of a live mapping,
        // which memmap2 cannot express, and a signal handler may make no
        // allocation or lock, only the bare syscall. memmap2's Drop of the
        // mapping later unmaps its whole range, this page included.
        // SAFETY: replaces one page inside a mapping the engine owns and
        // will unmap as a whole; a raw syscall, safe in a signal handler.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_mmap,
                at,
                page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if usize::try_from(rc) == Ok(at) {
            let _ = FAULT.compare_exchange(0, addr, Ordering::SeqCst, Ordering::SeqCst);
            return;
        }
    }
    // Not ours: restore what was there and let the access fault again.
    if let Some(prev) = PREVIOUS.get() {
        // SAFETY: sigaction is async-signal-safe; `prev.0` is a valid action.
        unsafe { libc::sigaction(sig, &raw const prev.0, std::ptr::null_mut()) };
    } else {
        // SAFETY: as above, with the default action.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
}

/// Install the handler once per process. Returns false if it could not be.
pub fn install() -> bool {
    INSTALL.call_once(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if let Ok(page) = usize::try_from(page)
            && page > 0
        {
            PAGE.store(page, Ordering::Relaxed);
        }
        // SAFETY: sigaction structs are plain data; zeroed is valid; the
        // handler has the SA_SIGINFO signature.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, std::ptr::null(), &raw mut old) != 0 {
                return;
            }
            let _ = PREVIOUS.set(Previous(old));
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_sigbus as *const () as usize;
            act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&raw mut act.sa_mask);
            libc::sigaction(libc::SIGBUS, &raw const act, std::ptr::null_mut());
        }
    });
    // SAFETY: reading the current disposition only.
    unsafe {
        let mut cur: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGBUS, std::ptr::null(), &raw mut cur) == 0
            && cur.sa_sigaction == on_sigbus as *const () as usize
    }
}

/// Guards `[addr, addr + len)` until dropped.
pub struct Armed(());

/// Arm the guard over a mapping (after [`install`]).
pub fn arm(addr: usize, len: usize) -> Armed {
    FAULT.store(0, Ordering::SeqCst);
    END.store(addr + len, Ordering::SeqCst);
    START.store(addr, Ordering::SeqCst);
    Armed(())
}

// The methods take the guard, unused, as proof that it is armed.
#[allow(clippy::unused_self)]
impl Armed {
    /// Whether an access faulted since arming (cheap: one atomic load).
    pub fn faulted(&self) -> bool {
        FAULT.load(Ordering::Relaxed) != 0
    }

    /// The first faulting address, if any.
    pub fn fault_addr(&self) -> Option<usize> {
        match FAULT.load(Ordering::SeqCst) {
            0 => None,
            a => Some(a),
        }
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        START.store(0, Ordering::SeqCst);
        END.store(0, Ordering::SeqCst);
    }
}
