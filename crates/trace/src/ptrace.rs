//! The ptrace driver: one thread that is the tracer of every task of the
//! target, and its wait loop. It serves two backends:
//! - the ptrace backend proper ([`Stops::Seccomp`] for a command, whose
//!   seccomp filter stops only file, mapping and sync calls;
//!   [`Stops::AllSyscalls`] when attached, where no filter can be added);
//! - the perf backend's leash ([`Stops::None`]): no syscall stops at all,
//!   only clone/fork/exec/exit events, so the perf reader can catch up while
//!   an exiting process still has its descriptors.
//!
//! ptrace requests must come from the tracer thread, so everything here runs
//! on the thread that called [`Driver::run`]; it waits with
//! `waitpid(__WALL | __WNOTHREAD)` so it never reaps another thread's
//! children (the test harness runs many tracers in one process).

pub(crate) mod attach;
pub(crate) mod sys;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::clock;
use crate::event::ExitStatus;
use crate::procfs;
use sys::{Op, SyscallInfo};

/// Which syscalls stop the tracee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stops {
    /// The seccomp filter decides (SECCOMP_RET_TRACE); exits via
    /// PTRACE_SYSCALL after each such stop.
    Seccomp,
    /// Every entry and exit (PTRACE_SYSCALL throughout).
    AllSyscalls,
    /// Seccomp stops at entry only (the perf leash's slot-release stops):
    /// the hook runs, the call goes on with no exit stop.
    SeccompEntry,
    /// None: events only.
    None,
}

impl Stops {
    pub(crate) fn options(self) -> libc::c_int {
        let base = libc::PTRACE_O_TRACESYSGOOD
            | libc::PTRACE_O_TRACECLONE
            | libc::PTRACE_O_TRACEFORK
            | libc::PTRACE_O_TRACEVFORK
            | libc::PTRACE_O_TRACEEXEC
            | libc::PTRACE_O_TRACEEXIT;
        match self {
            Stops::Seccomp | Stops::SeccompEntry => {
                base | libc::PTRACE_O_TRACESECCOMP | libc::PTRACE_O_EXITKILL
            }
            Stops::AllSyscalls | Stops::None => base,
        }
    }
}

/// What the driver reports, all on the tracer thread while the task is
/// stopped (except `gone`, after it died).
pub(crate) trait Hooks {
    fn syscall_entry(&mut self, _tid: i32, _pid: i32, _info: &SyscallInfo, _at_ns: u64) {}
    fn syscall_exit(&mut self, _tid: i32, _pid: i32, _ret: i64, _at_ns: u64) {}
    /// A new task: a thread of `pid`, or (`new_process`) a forked child of
    /// `parent_pid`.
    fn new_task(&mut self, _parent_pid: i32, _tid: i32, _pid: i32, _new_process: bool) {}
    /// `pid` exec'd (the program's first exec included).
    fn exec(&mut self, _tid: i32, _pid: i32) {}
    /// The task is about to exit: /proc still shows its descriptors and
    /// final counters.
    fn exiting(&mut self, _tid: i32, _pid: i32) {}
    /// The task is gone.
    fn gone(&mut self, _tid: i32, _pid: i32) {}
}

#[derive(Debug, Clone, Copy)]
struct Task {
    pid: i32,
    in_syscall: bool,
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Exited(ExitStatus),
    /// Every task was detached on request (attach mode).
    Detached,
    /// The tasks were gone without the main one's status being seen.
    Vanished,
}

pub(crate) struct Driver {
    stops: Stops,
    tasks: HashMap<i32, Task>,
    main: i32,
    /// Command mode: syscalls of the main task before its first exec are
    /// ours (the launch), not the program's.
    exec_seen: bool,
    main_exit: Option<ExitStatus>,
    stop: Arc<AtomicBool>,
    /// Command mode: the stop request kills instead of detaching.
    own_child: bool,
    /// A child of this thread that exits when the controller wants us to
    /// look at `stop` (waitpid then returns).
    waker: Option<i32>,
}

impl Driver {
    /// Drive a command child already seized by this thread.
    pub(crate) fn for_child(stops: Stops, pid: i32, stop: Arc<AtomicBool>) -> Driver {
        let mut d = Driver::new(stops, pid, stop, true);
        d.tasks.insert(
            pid,
            Task {
                pid,
                in_syscall: false,
            },
        );
        d
    }

    /// Drive the tasks of a process this thread attached to.
    pub(crate) fn for_attached(
        stops: Stops,
        pid: i32,
        tids: &[i32],
        stop: Arc<AtomicBool>,
        waker: Option<i32>,
    ) -> Driver {
        let mut d = Driver::new(stops, pid, stop, false);
        d.exec_seen = true;
        d.waker = waker;
        for &tid in tids {
            d.tasks.insert(
                tid,
                Task {
                    pid,
                    in_syscall: false,
                },
            );
        }
        d
    }

    fn new(stops: Stops, main: i32, stop: Arc<AtomicBool>, own_child: bool) -> Driver {
        Driver {
            stops,
            tasks: HashMap::new(),
            main,
            exec_seen: false,
            main_exit: None,
            stop,
            own_child,
            waker: None,
        }
    }

    /// Handle stops until the main task has exec'd (true) or every task is
    /// gone (false): the start of a command.
    pub(crate) fn run_until_exec(&mut self, hooks: &mut impl Hooks) -> bool {
        while !self.exec_seen && !self.tasks.is_empty() {
            if !self.step(hooks) {
                break;
            }
        }
        self.exec_seen
    }

    /// Handle stops until every task is gone or detached.
    pub(crate) fn run(&mut self, hooks: &mut impl Hooks) -> End {
        let mut detached = false;
        while !self.tasks.is_empty() {
            if self.stop.load(Ordering::Acquire) {
                if self.own_child {
                    self.kill_all();
                } else {
                    self.detach_all(hooks);
                    detached = true;
                    break;
                }
            }
            if !self.step(hooks) {
                break;
            }
        }
        match (self.main_exit, detached) {
            (Some(s), _) => End::Exited(s),
            (None, true) => End::Detached,
            (None, false) => End::Vanished,
        }
    }

    fn kill_all(&mut self) {
        // A tid of 0 or less would name a process group or every process:
        // never one of ours.
        for &tid in self.tasks.keys().filter(|t| **t > 0) {
            // SAFETY: kill has no memory preconditions; a stale tid gets ESRCH.
            unsafe { libc::kill(tid, libc::SIGKILL) };
        }
    }

    /// Wait for one stop or death and handle it; false when there is
    /// nothing left to wait for.
    fn step(&mut self, hooks: &mut impl Hooks) -> bool {
        let Some((tid, status)) = sys::wait_any() else {
            return false;
        };
        if Some(tid) == self.waker {
            self.waker = None;
            return true;
        }
        if let Some(exit) = ExitStatus::from_wait(status) {
            self.task_gone(tid, exit, hooks);
            return true;
        }
        if !libc::WIFSTOPPED(status) {
            return true;
        }
        let pid = self.task(tid, 0, hooks).pid;
        let sig = libc::WSTOPSIG(status);
        let event = status >> 16;
        let now = clock::now_ns();
        let program = self.exec_seen || pid != self.main;
        if sig == (libc::SIGTRAP | 0x80) {
            match sys::syscall_info(tid) {
                Some(info) if info.op == Op::Entry => {
                    self.set_in_syscall(tid, true);
                    if program {
                        hooks.syscall_entry(tid, pid, &info, now);
                    }
                }
                Some(info) if info.op == Op::Exit => {
                    self.set_in_syscall(tid, false);
                    if program {
                        hooks.syscall_exit(tid, pid, info.ret, now);
                    }
                }
                _ => {}
            }
            self.restart(tid, 0);
            return true;
        }
        if sig != libc::SIGTRAP || event == 0 {
            self.signal_stop(tid, sig, event);
            return true;
        }
        match event {
            libc::PTRACE_EVENT_SECCOMP => {
                if let Some(info) = sys::syscall_info(tid).filter(|i| i.op == Op::Seccomp) {
                    self.set_in_syscall(tid, self.stops == Stops::Seccomp);
                    if program {
                        hooks.syscall_entry(tid, pid, &info, now);
                    }
                }
            }
            libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
                if let Some(new) = sys::event_msg(tid).map(|m| m as i32) {
                    let forked = event != libc::PTRACE_EVENT_CLONE;
                    let new_pid = if forked {
                        new
                    } else {
                        tgid_of(new).unwrap_or(pid)
                    };
                    if let std::collections::hash_map::Entry::Vacant(slot) = self.tasks.entry(new) {
                        slot.insert(Task {
                            pid: new_pid,
                            in_syscall: false,
                        });
                        hooks.new_task(pid, new, new_pid, new_pid != pid);
                    }
                }
            }
            libc::PTRACE_EVENT_EXEC => {
                // A non-leader thread that execs takes over the leader's tid.
                if let Some(former) = sys::event_msg(tid).map(|m| m as i32)
                    && former != tid
                {
                    self.tasks.remove(&former);
                }
                if pid == self.main {
                    self.exec_seen = true;
                }
                hooks.exec(tid, pid);
            }
            libc::PTRACE_EVENT_EXIT => {
                if tid == self.main
                    && let Some(status) = sys::event_msg(tid)
                {
                    self.main_exit = ExitStatus::from_wait(status as i32);
                }
                hooks.exiting(tid, pid);
            }
            _ => {}
        }
        self.restart(tid, 0);
        true
    }

    /// A stop that is not ours: a group stop (PTRACE_EVENT_STOP with a
    /// stopping signal), the initial stop of a new task, our interrupt, or a
    /// signal on its way to the program (passed on unchanged).
    fn signal_stop(&mut self, tid: i32, sig: i32, event: i32) {
        if event == sys::PTRACE_EVENT_STOP {
            // Job-control stops are not kept: the program goes on running
            // (a traced program cannot be suspended with ^Z).
            self.restart(tid, 0);
        } else {
            self.restart(tid, sig);
        }
    }

    fn task(&mut self, tid: i32, parent_pid: i32, hooks: &mut impl Hooks) -> Task {
        if let Some(t) = self.tasks.get(&tid) {
            return *t;
        }
        // Its own first stop came before its parent's clone event.
        let pid = tgid_of(tid).unwrap_or(tid);
        let t = Task {
            pid,
            in_syscall: false,
        };
        self.tasks.insert(tid, t);
        let parent = if parent_pid == 0 {
            procfs::status_field(tid, "PPid")
                .and_then(|p| p.parse().ok())
                .unwrap_or(0)
        } else {
            parent_pid
        };
        hooks.new_task(if pid == tid { parent } else { pid }, tid, pid, pid == tid);
        t
    }

    fn set_in_syscall(&mut self, tid: i32, v: bool) {
        if let Some(t) = self.tasks.get_mut(&tid) {
            t.in_syscall = v;
        }
    }

    fn restart(&mut self, tid: i32, sig: i32) {
        let in_syscall = self.tasks.get(&tid).is_some_and(|t| t.in_syscall);
        let step = match self.stops {
            Stops::AllSyscalls => true,
            Stops::Seccomp => in_syscall,
            Stops::None | Stops::SeccompEntry => false,
        };
        sys::restart(tid, step, sig);
    }

    fn task_gone(&mut self, tid: i32, exit: ExitStatus, hooks: &mut impl Hooks) {
        if let Some(t) = self.tasks.remove(&tid) {
            hooks.gone(tid, t.pid);
        }
        if tid == self.main {
            self.main_exit = Some(exit);
            if self.stop.load(Ordering::Acquire) {
                self.kill_all();
            }
        }
    }

    /// Stop every task and detach it, so the program runs on untraced.
    fn detach_all(&mut self, hooks: &mut impl Hooks) {
        for &tid in self.tasks.keys() {
            sys::interrupt(tid);
        }
        while !self.tasks.is_empty() {
            let Some((tid, status)) = sys::wait_any() else {
                break;
            };
            if Some(tid) == self.waker {
                self.waker = None;
                continue;
            }
            if let Some(exit) = ExitStatus::from_wait(status) {
                self.task_gone(tid, exit, hooks);
                continue;
            }
            if !self.tasks.contains_key(&tid) {
                // A task born during the detach: it is traced too.
                sys::detach(tid, 0);
                continue;
            }
            let sig = libc::WSTOPSIG(status);
            let event = status >> 16;
            // Pass a real signal on; swallow our own traps and stops.
            let pass = if sig == libc::SIGTRAP || sig == (libc::SIGTRAP | 0x80) || event != 0 {
                0
            } else {
                sig
            };
            sys::detach(tid, pass);
            self.tasks.remove(&tid);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(pid) = self.waker.take() {
            attach::reap_waker(pid);
        }
    }
}

fn tgid_of(tid: i32) -> Option<i32> {
    procfs::status_field(tid, "Tgid")?.parse().ok()
}
