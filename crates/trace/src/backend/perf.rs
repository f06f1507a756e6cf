//! The perf backend: the kernel writes every sys_enter/sys_exit (and user
//! page fault) of the target into per-CPU ring buffers; a reader thread
//! merges them in time order and folds them into the session. The program
//! never stops for a call.
//!
//! - One event per tracepoint per CPU, `inherit` set, so every thread and
//!   child the target starts is followed (the layout `perf record` uses;
//!   inherited sampling with mmap needs per-CPU events). The exit and fault
//!   events of a CPU write into that CPU's sys_enter buffer
//!   (PERF_EVENT_IOC_SET_OUTPUT), so there is one buffer to read per CPU.
//! - A command is forked stopped, the events are opened on it disabled with
//!   enable_on_exec, and only then is it let go: its first recorded event is
//!   the return of its exec.
//! - Records of different CPUs are merged by timestamp (CLOCK_MONOTONIC);
//!   a record is processed only once it is older than the start of the
//!   drain minus a slack, so a record still being written on another CPU
//!   cannot arrive behind a later one.
//! - A "leash": the target is also ptrace-seized with no syscall stops,
//!   only exit events. When a process's last thread is about to exit, the
//!   leash holds it until the reader has processed everything before that
//!   moment, so descriptors are still there to resolve. Without it (attach
//!   refused) a program that exits quickly loses its paths.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;
use std::time::Duration;

use super::{Job, Running};
use crate::TraceError;
use crate::clock;
use crate::config::Target;
use crate::emit::Emitter;
use crate::event::{Backend, TraceEvent};
use crate::perf::ring::{Record, Ring};
use crate::perf::{self, Format, Kind, Spec};
use crate::ptrace::sys::SyscallInfo;
use crate::ptrace::{Driver, Hooks, Stops, attach, sys};
use crate::registry::Registry;
use crate::sampler::Sampler;
use crate::seccomp::Filter;
use crate::session::{Call, Resolved, Session, Trust};
use crate::syscall_table::{self, Effect};
use crate::{procfs, spawn};

/// Data pages per CPU buffer (32 MiB; fewer on machines with more than 8
/// CPUs, 256 MiB in all): a tight loop of 200,000 calls writes about 30 MB
/// into its CPU's buffer, so it fits even if the reader were not scheduled
/// at all meanwhile (measured: see README).
const DATA_PAGES: usize = 8192;
const TOTAL_PAGES: usize = 65536;
/// Records folded between two drains of the buffers, so a long backlog
/// does not leave the kernel's buffers filling up.
const CHUNK: usize = 16_384;
/// How far behind the drain a record must be before it is processed.
const SLACK_NS: u64 = 2_000_000;
/// A barrier's slack: the program is stopped, and a record is in flight on
/// another CPU for microseconds at most, so the fold need not wait SLACK_NS.
const BARRIER_SLACK_NS: u64 = 50_000;
/// Longest the reader sleeps without a wakeup (keeps a live view moving).
const POLL_MS: i32 = 20;

/// Field offsets of the raw tracepoint records.
#[derive(Debug, Clone, Copy)]
struct Layout {
    enter_nr: usize,
    enter_args: usize,
    exit_nr: usize,
    exit_ret: usize,
    fault_addr: usize,
    fault_error: usize,
}

fn layout(enter: &Format, exit: &Format, fault: Option<&Format>) -> Result<Layout, String> {
    let (fault_addr, fault_error) = match fault {
        Some(f) => (f.field("address")?.0, f.field("error_code")?.0),
        None => (0, 0),
    };
    Ok(Layout {
        enter_nr: enter.field("id")?.0,
        enter_args: enter.field("args")?.0,
        exit_nr: exit.field("id")?.0,
        exit_ret: exit.field("ret")?.0,
        fault_addr,
        fault_error,
    })
}

/// A decoded record, ordered by `time`.
#[derive(Debug, Clone, Copy)]
enum Ev {
    Enter {
        pid: i32,
        tid: i32,
        time: u64,
        nr: i64,
        args: [u64; 6],
    },
    Exit {
        tid: i32,
        time: u64,
        nr: i64,
        ret: i64,
    },
    Fault {
        pid: i32,
        time: u64,
        addr: u64,
        write: bool,
    },
    Fork {
        pid: i32,
        ppid: i32,
        time: u64,
    },
    TaskExit {
        pid: i32,
        tid: i32,
        time: u64,
    },
}

impl Ev {
    fn time(&self) -> u64 {
        match *self {
            Ev::Enter { time, .. }
            | Ev::Exit { time, .. }
            | Ev::Fault { time, .. }
            | Ev::Fork { time, .. }
            | Ev::TaskExit { time, .. } => time,
        }
    }
}

/// When each descriptor slot was last released (close, dup2/dup3 onto it,
/// close_range, exec), over every record drained so far, including those
/// not yet processed. A slot released after a call's time may hold another
/// file now, so resolving it through /proc cannot be trusted.
#[derive(Debug, Default)]
struct Releases {
    slot: HashMap<(i32, i32), u64>,
    all: HashMap<i32, u64>,
}

impl Releases {
    fn note(&mut self, pid: i32, nr: i64, args: &[u64; 6], time: u64) {
        let info = syscall_table::info(nr);
        let mut slot = |fd: u64| {
            let t = self.slot.entry((pid, fd as i32)).or_default();
            *t = (*t).max(time);
        };
        match info.class.effect {
            Effect::Close => slot(args[0]),
            Effect::DupTo => slot(args[1]),
            Effect::CloseRange | Effect::Exec => {
                let t = self.all.entry(pid).or_default();
                *t = (*t).max(time);
            }
            _ => {}
        }
    }
}

impl Trust for Releases {
    fn trusted(&self, pid: i32, fd: i32, since_ns: u64) -> bool {
        self.slot.get(&(pid, fd)).is_none_or(|&t| t < since_ns)
            && self.all.get(&pid).is_none_or(|&t| t < since_ns)
    }
}

/// What the driver thread asks of the reader.
enum Control {
    /// Process everything up to `at_ns`, then (optionally) scan a process's
    /// descriptors, then answer.
    Barrier {
        at_ns: u64,
        scan: Option<i32>,
        done: SyncSender<()>,
    },
    /// The target is gone: process everything and end.
    Finish,
}

struct Reader {
    rings: Vec<Ring>,
    kinds: HashMap<u16, Kind>,
    layout: Layout,
    /// Counting events on the same tracepoints: what the kernel saw, to
    /// compare with what reached us.
    counters: Vec<(Kind, OwnedFd)>,
    seen: [u64; 3],
    reported_lost: u64,
    session: Session,
    pending: Vec<Ev>,
    enters: HashMap<i32, (Call, Resolved)>,
    releases: Releases,
    control: Receiver<Control>,
    wake: Arc<OwnedFd>,
    emit: Emitter,
}

impl Reader {
    fn run(mut self) {
        let mut hung = vec![false; self.rings.len()];
        loop {
            self.wait(&mut hung);
            let mut finish = false;
            let mut barriers = Vec::new();
            while let Ok(c) = self.control.try_recv() {
                match c {
                    Control::Barrier { at_ns, scan, done } => barriers.push((at_ns, scan, done)),
                    Control::Finish => finish = true,
                }
            }
            let barrier_at = barriers.iter().map(|b| b.0).max();
            if let Some(at) = barrier_at {
                // Records of other CPUs up to `at` must have been written.
                let until = at + BARRIER_SLACK_NS;
                // One clock reading per check: reading it twice could make
                // the difference underflow into a sleep of centuries.
                loop {
                    let now = clock::now_ns();
                    if now >= until {
                        break;
                    }
                    thread::sleep(Duration::from_nanos(until - now));
                }
            }
            let slack = if barrier_at.is_some() {
                BARRIER_SLACK_NS
            } else {
                SLACK_NS
            };
            let cutoff = if finish {
                u64::MAX
            } else {
                clock::now_ns().saturating_sub(slack)
            };
            self.drain();
            self.process(cutoff);
            for (_, scan, done) in barriers {
                if let Some(pid) = scan {
                    self.session.add_process(pid);
                }
                let _ = done.send(());
            }
            if finish {
                for (_, (call, resolved)) in std::mem::take(&mut self.enters) {
                    self.session.complete(&call, &resolved, &self.releases);
                }
                self.session.finish();
                self.account_lost();
                return;
            }
        }
    }

    /// Records the kernel produced but we never read: a LOST record is only
    /// written at the next event after an overflow, so an overflow at the
    /// very end would go unreported; the counters say how many were made.
    fn account_lost(&mut self) {
        let mut made = [0u64; 3];
        for (kind, fd) in &self.counters {
            match perf::read_count(fd) {
                Ok(n) => made[*kind as usize] += n,
                Err(e) => {
                    self.emit.note(format!(
                        "perf: cannot read a counter ({e}); lost_events counts LOST records only"
                    ));
                    return;
                }
            }
        }
        let missing: u64 = made
            .iter()
            .zip(&self.seen)
            .map(|(m, s)| m.saturating_sub(*s))
            .sum();
        if missing > self.reported_lost {
            self.emit.send(TraceEvent::Lost {
                count: missing - self.reported_lost,
                at: self.emit.now(),
            });
        }
    }

    /// Sleep until a buffer passes its watermark, the driver asks something,
    /// or POLL_MS passes.
    fn wait(&self, hung: &mut [bool]) {
        let mut fds: Vec<libc::pollfd> = self
            .rings
            .iter()
            .zip(hung.iter())
            .map(|(r, &h)| libc::pollfd {
                // A buffer whose tasks are all gone polls as hung up forever;
                // leave it out of the poll set (it is still drained).
                fd: if h { -1 } else { r.fd().as_raw_fd() },
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        fds.push(libc::pollfd {
            fd: self.wake.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        // SAFETY: `fds` is a live array of pollfd of the given length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, POLL_MS) };
        if n <= 0 {
            return;
        }
        for (h, p) in hung.iter_mut().zip(&fds) {
            if p.revents & libc::POLLHUP != 0 {
                *h = true;
            }
        }
        if fds.last().is_some_and(|p| p.revents & libc::POLLIN != 0) {
            let mut v = 0u64;
            // SAFETY: reading the 8-byte counter of our eventfd.
            unsafe { libc::read(self.wake.as_raw_fd(), (&raw mut v).cast(), 8) };
        }
    }

    fn drain(&mut self) {
        let Reader {
            rings,
            kinds,
            layout,
            pending,
            releases,
            emit,
            seen,
            reported_lost,
            ..
        } = self;
        for ring in rings.iter_mut() {
            ring.drain(|r| match r {
                Record::Sample {
                    pid,
                    tid,
                    time,
                    raw,
                } => {
                    let kind = raw
                        .get(..2)
                        .and_then(|t| kinds.get(&u16::from_ne_bytes([t[0], t[1]])).copied());
                    if let Some(k) = kind {
                        seen[k as usize] += 1;
                    }
                    if let Some(ev) = decode(kind, layout, pid, tid, time, raw) {
                        if let Ev::Enter {
                            pid,
                            nr,
                            args,
                            time,
                            ..
                        } = ev
                        {
                            releases.note(pid, nr, &args, time);
                        }
                        pending.push(ev);
                    }
                }
                Record::Fork {
                    pid, ppid, time, ..
                } => {
                    if pid != ppid {
                        pending.push(Ev::Fork { pid, ppid, time });
                    }
                }
                Record::Exit { pid, tid, time } => pending.push(Ev::TaskExit { pid, tid, time }),
                Record::Lost { count } => {
                    *reported_lost += count;
                    emit.send(TraceEvent::Lost {
                        count,
                        at: emit.now(),
                    });
                }
            });
        }
    }

    fn process(&mut self, cutoff: u64) {
        loop {
            // Stable and run-aware: each drain appends one sorted run per CPU.
            self.pending.sort_by_key(Ev::time);
            let split = self
                .pending
                .partition_point(|e| e.time() < cutoff)
                .min(CHUNK);
            if split == 0 {
                break;
            }
            let ready: Vec<Ev> = self.pending.drain(..split).collect();
            for ev in ready {
                self.apply(ev);
            }
            self.drain();
        }
        self.session.flush_batch();
    }

    fn apply(&mut self, ev: Ev) {
        match ev {
            Ev::Enter {
                pid,
                tid,
                time,
                nr,
                args,
            } => {
                if let Some((call, resolved)) = self.enters.remove(&tid) {
                    // Its exit was lost.
                    self.session.complete(&call, &resolved, &self.releases);
                }
                let call = Call {
                    tid,
                    pid,
                    nr,
                    args,
                    ret: None,
                    start_ns: time,
                    end_ns: None,
                };
                let resolved = self.session.resolve_call(&call, &self.releases);
                let class = syscall_table::info(nr).class;
                if class.no_return && class.effect != Effect::Exec {
                    self.session.complete(&call, &resolved, &self.releases);
                } else {
                    self.enters.insert(tid, (call, resolved));
                }
            }
            Ev::Exit { tid, time, nr, ret } => {
                // An exit with no entry: the exec that started the program
                // (events were enabled by it), or a lost record.
                if let Some((mut call, resolved)) = self.enters.remove(&tid) {
                    if call.nr == nr {
                        call.ret = Some(ret);
                        call.end_ns = Some(time);
                    }
                    self.session.complete(&call, &resolved, &self.releases);
                }
            }
            Ev::Fault {
                pid, addr, write, ..
            } => self.session.fault(pid, addr, write),
            Ev::Fork { pid, ppid, .. } => self.session.fork(ppid, pid),
            Ev::TaskExit { pid, tid, .. } => {
                if let Some((call, resolved)) = self.enters.remove(&tid) {
                    self.session.complete(&call, &resolved, &self.releases);
                }
                if pid == tid {
                    self.session.exit_process(pid);
                }
            }
        }
    }
}

fn read_u64(raw: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(raw.get(off..off + 8)?.try_into().ok()?))
}

fn decode(kind: Option<Kind>, l: &Layout, pid: i32, tid: i32, time: u64, raw: &[u8]) -> Option<Ev> {
    match kind? {
        Kind::Enter => {
            let mut args = [0u64; 6];
            for (i, a) in args.iter_mut().enumerate() {
                *a = read_u64(raw, l.enter_args + 8 * i)?;
            }
            Some(Ev::Enter {
                pid,
                tid,
                time,
                nr: read_u64(raw, l.enter_nr)? as i64,
                args,
            })
        }
        Kind::Exit => Some(Ev::Exit {
            tid,
            time,
            nr: read_u64(raw, l.exit_nr)? as i64,
            ret: read_u64(raw, l.exit_ret)? as i64,
        }),
        Kind::Fault => Some(Ev::Fault {
            pid,
            time,
            addr: read_u64(raw, l.fault_addr)?,
            // x86 page-fault error code bit 1: the access was a write.
            write: read_u64(raw, l.fault_error)? & 2 != 0,
        }),
    }
}

/// The opened events: one buffer per CPU, and which id is which tracepoint.
struct Events {
    rings: Vec<Ring>,
    counters: Vec<(Kind, OwnedFd)>,
    /// Descriptors that write into another's buffer; kept open for the
    /// life of the trace.
    followers: Vec<OwnedFd>,
    ring_bytes: usize,
}

fn open_events(
    tids: &[i32],
    formats: &[(Kind, u64)],
    enable_on_exec: bool,
) -> Result<Events, String> {
    let mut followers = Vec::new();
    let mut rings = Vec::new();
    let mut counters = Vec::new();
    let cpus = perf::online_cpus();
    let share = TOTAL_PAGES / cpus.len().max(1);
    // The largest power of two within the share (buffers must be 2^n pages).
    let mut pages = DATA_PAGES
        .min(1 << (usize::BITS - 1 - share.max(1).leading_zeros()))
        .max(64);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    for cpu in cpus {
        // The buffer owner must be mapped before others can SET_OUTPUT to it.
        let mut ring: Option<Ring> = None;
        for &tid in tids {
            for (i, &(_, id)) in formats.iter().enumerate() {
                let spec = Spec {
                    tracepoint_id: id,
                    task: i == 0 && ring.is_none(),
                    enable_on_exec,
                    wakeup_bytes: (pages * page / 4) as u32,
                    sampling: true,
                };
                let fd = perf::open(spec, tid, cpu).map_err(|e| {
                    format!("perf_event_open(tracepoint {id}, tid {tid}, cpu {cpu}): {e}")
                })?;
                match &ring {
                    None => ring = Some(map_ring(fd, &mut pages)?),
                    Some(r) => {
                        perf::set_output(&fd, r.fd())
                            .map_err(|e| format!("PERF_EVENT_IOC_SET_OUTPUT: {e}"))?;
                        followers.push(fd);
                    }
                }
            }
        }
        rings.extend(ring);
    }
    // Counters last: in attach mode a call can complete while we open
    // (the seize interrupts a blocked call), and a hit the counter saw but
    // the buffers could not would read as a loss.
    for &tid in tids {
        for &(kind, id) in formats {
            let spec = Spec {
                tracepoint_id: id,
                task: false,
                enable_on_exec,
                wakeup_bytes: 0,
                sampling: false,
            };
            let fd = perf::open(spec, tid, -1)
                .map_err(|e| format!("perf_event_open(counter {id}, tid {tid}): {e}"))?;
            counters.push((kind, fd));
        }
    }
    Ok(Events {
        rings,
        counters,
        followers,
        ring_bytes: pages * page,
    })
}

/// Map a buffer of `pages` data pages, halving while locked-memory limits
/// (perf_event_mlock_kb, for a non-root user) refuse it.
fn map_ring(fd: OwnedFd, pages: &mut usize) -> Result<Ring, String> {
    let mut fd = fd;
    loop {
        let retry = fd.try_clone().map_err(|e| e.to_string())?;
        match Ring::map(fd, *pages) {
            Ok(r) => return Ok(r),
            Err(e)
                if *pages > 16 && matches!(e.raw_os_error(), Some(libc::EPERM | libc::ENOMEM)) =>
            {
                *pages /= 2;
                fd = retry;
            }
            Err(e) => return Err(format!("mmap of the perf buffer: {e}")),
        }
    }
}

/// The driver-side hooks: thread registry, and the exit barrier.
struct Leash {
    registry: Arc<Registry>,
    emit: Emitter,
    control: Sender<Control>,
    wake: Arc<OwnedFd>,
    /// Tasks of each process not yet at their exit stop.
    alive: HashMap<i32, usize>,
    main: i32,
    first_exec_done: bool,
}

impl Leash {
    fn barrier(&self, scan: Option<i32>) {
        let (done, wait) = mpsc::sync_channel(1);
        let msg = Control::Barrier {
            at_ns: clock::now_ns(),
            scan,
            done,
        };
        if self.control.send(msg).is_ok() {
            poke(&self.wake);
            // Err: the reader is gone, nothing to wait for.
            let _ = wait.recv();
        }
    }
}

fn poke(wake: &OwnedFd) {
    let one = 1u64;
    // SAFETY: writing 8 bytes from a live u64 to our eventfd.
    unsafe { libc::write(wake.as_raw_fd(), (&raw const one).cast(), 8) };
}

impl Hooks for Leash {
    /// A seccomp stop on a call that frees a descriptor slot: fold
    /// everything before it while the slot still holds its file.
    fn syscall_entry(&mut self, _tid: i32, _pid: i32, _info: &SyscallInfo, _at_ns: u64) {
        self.barrier(None);
    }

    fn new_task(&mut self, _parent_pid: i32, tid: i32, pid: i32, _new_process: bool) {
        self.registry.add_thread(pid, tid, true);
        *self.alive.entry(pid).or_default() += 1;
    }

    fn exec(&mut self, tid: i32, pid: i32) {
        if pid == self.main && !self.first_exec_done {
            self.first_exec_done = true;
            self.registry.rebase_thread(pid, tid);
            self.barrier(Some(pid));
        }
    }

    fn exiting(&mut self, tid: i32, pid: i32) {
        self.registry.sample_thread(tid, &self.emit);
        self.registry.remove_thread(tid);
        let left = self.alive.entry(pid).or_insert(1);
        *left = left.saturating_sub(1);
        if *left == 0 {
            // The process's descriptors close right after this stop.
            self.barrier(None);
        }
    }

    fn gone(&mut self, tid: i32, _pid: i32) {
        self.registry.remove_thread(tid);
    }
}

fn eventfd() -> Result<OwnedFd, TraceError> {
    // SAFETY: eventfd has no memory preconditions.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(TraceError::last_os("eventfd"));
    }
    // SAFETY: a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn unavailable(why: impl Into<String>) -> TraceError {
    TraceError::BackendUnavailable {
        backend: "perf",
        why: why.into(),
    }
}

/// The tracepoints to open: (kind, id), sys_enter first (it carries the
/// FORK/EXIT records).
fn tracepoints(notes: &mut Vec<String>) -> Result<(Vec<(Kind, u64)>, Layout), TraceError> {
    let enter = Format::load("raw_syscalls", "sys_enter").map_err(unavailable)?;
    let exit = Format::load("raw_syscalls", "sys_exit").map_err(unavailable)?;
    // exceptions:page_fault_user exists on x86 only.
    let fault = if cfg!(target_arch = "x86_64") {
        Format::load("exceptions", "page_fault_user")
            .map_err(|e| {
                notes.push(format!(
                    "perf: no page-fault events ({e}); map_faults stay 0"
                ));
            })
            .ok()
    } else {
        notes.push("perf: no page-fault tracepoint on this arch; map_faults stay 0".into());
        None
    };
    let layout = layout(&enter, &exit, fault.as_ref()).map_err(unavailable)?;
    let mut kinds = vec![(Kind::Enter, enter.id), (Kind::Exit, exit.id)];
    if let Some(f) = fault {
        kinds.push((Kind::Fault, f.id));
    }
    Ok((kinds, layout))
}

/// The tracer thread's body: set up, run the leash (or wait), finish.
#[allow(clippy::too_many_lines)] // one linear setup sequence, commented step by step
pub(crate) fn run(job: &Job) {
    let mut notes = job.notes.clone();
    let (formats, layout) = match tracepoints(&mut notes) {
        Ok(t) => t,
        Err(e) => {
            let _ = job.ready.send(Err(e));
            return;
        }
    };
    let registry = Arc::new(Registry::default());
    let wake = match eventfd() {
        Ok(w) => Arc::new(w),
        Err(e) => {
            let _ = job.ready.send(Err(e));
            return;
        }
    };
    let (control, control_rx) = mpsc::channel();
    let mut leash = Leash {
        registry: registry.clone(),
        emit: job.emit.clone(),
        control,
        wake: wake.clone(),
        alive: HashMap::new(),
        main: 0,
        first_exec_done: false,
    };

    // 1. The target, stopped (command) or seized (attach), and its events.
    let (pid, command, events, mut driver, mut child) = match &job.config.target {
        Target::Command { argv, stdio } => {
            let filter = Filter::slot_releasing();
            let child = match spawn::spawn(argv, stdio, Some(&filter)) {
                Ok(c) => c,
                Err(e) => {
                    let _ = job.ready.send(Err(e));
                    return;
                }
            };
            let pid = child.pid;
            let reap = |child: spawn::Child| {
                drop(child);
                // SAFETY: reaping our own child, which exits once its
                // handshake pipe closes.
                unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::__WALL) };
            };
            let leashed = sys::seize(pid, Stops::SeccompEntry.options());
            let events = match open_events(&[pid], &formats, true) {
                Ok(ev) => ev,
                Err(why) => {
                    reap(child);
                    let _ = job.ready.send(Err(unavailable(why)));
                    return;
                }
            };
            let driver = match leashed {
                Ok(()) => Some(Driver::for_child(
                    Stops::SeccompEntry,
                    pid,
                    job.stop.clone(),
                )),
                Err(e) => {
                    notes.push(format!(
                        "perf: no ptrace leash ({}); descriptors of a process that exits quickly may stay unresolved",
                        attach::why_refused(pid, &e)
                    ));
                    None
                }
            };
            (pid, argv.clone(), events, driver, Some(child))
        }
        Target::Pid(pid) => {
            let pid = *pid;
            let (tids, driver) = match attach::seize_all(pid, Stops::None.options()) {
                Ok(tids) => match attach::Waker::spawn() {
                    Ok(mut w) => {
                        let d = Driver::for_attached(
                            Stops::None,
                            pid,
                            &tids,
                            job.stop.clone(),
                            w.take_pid(),
                        );
                        (tids, Some((d, w)))
                    }
                    Err(e) => {
                        for &t in &tids {
                            sys::detach(t, 0);
                        }
                        let _ = job.ready.send(Err(e));
                        return;
                    }
                },
                Err(e) => {
                    notes.push(format!(
                        "perf: no ptrace leash ({e}); exit status unknown, descriptors of a process that exits quickly may stay unresolved"
                    ));
                    (procfs::tasks(pid), None)
                }
            };
            if tids.is_empty() {
                let _ = job.ready.send(Err(TraceError::Attach {
                    pid,
                    why: "no such process".into(),
                }));
                return;
            }
            let events = match open_events(&tids, &formats, false) {
                Ok(ev) => ev,
                Err(why) => {
                    // A task not yet in its interrupt stop refuses the
                    // detach; it is let go when this thread, its tracer,
                    // exits a moment later (the kernel detaches a dead
                    // tracer's tracees). Dropping the driver reaps the waker.
                    drop(driver);
                    for &t in &tids {
                        sys::detach(t, 0);
                    }
                    let _ = job.ready.send(Err(unavailable(why)));
                    return;
                }
            };
            for &tid in &tids {
                registry.add_thread(pid, tid, false);
            }
            leash.alive.insert(pid, tids.len());
            leash.first_exec_done = true;
            notes.push("perf attach: threads are followed from attach; a call in progress at attach is not counted".into());
            let (driver, waker) = driver.unzip();
            let running = Running {
                pid,
                waker: waker.and_then(|mut w| w.take_pipe()),
                pidfd: None,
            };
            // Attach mode hands the waker over now; see below for command mode.
            let _ = job.ready.send(Ok(running));
            (pid, procfs::cmdline(pid), events, driver, None)
        }
    };
    leash.main = pid;
    leash.alive.entry(pid).or_insert(1);
    notes.push(format!(
        "perf: {} ring buffers of {} KiB (one per CPU); lost records are counted in lost_events",
        events.rings.len(),
        events.ring_bytes / 1024
    ));
    notes.push("perf: page-cache state is sampled after each batch of calls the reader processes, not around each call; mapped-page dirtying is counted from write faults on shared file mappings".into());
    notes.push("perf: context switches come from /proc (sched_switch is not recorded)".into());
    job.emit.send(TraceEvent::Started {
        pid,
        backend: Backend::Perf,
        command,
        notes,
        at: job.emit.now(),
    });

    // 2. The reader.
    let Events {
        rings,
        counters,
        followers,
        ..
    } = events;
    let kinds: HashMap<u16, Kind> = formats.iter().map(|&(k, id)| (id as u16, k)).collect();
    let mut session = Session::new(
        job.emit.clone(),
        job.config.files.clone(),
        registry.clone(),
        false,
    );
    if matches!(job.config.target, Target::Pid(_)) {
        session.add_process(pid);
    }
    let reader = Reader {
        rings,
        kinds,
        layout,
        counters,
        seen: [0; 3],
        reported_lost: 0,
        session,
        pending: Vec::new(),
        enters: HashMap::new(),
        releases: Releases::default(),
        control: control_rx,
        wake: wake.clone(),
        emit: job.emit.clone(),
    };
    let reader = match thread::Builder::new()
        .name("iotour-trace-perf-reader".into())
        .spawn(move || reader.run())
    {
        Ok(h) => h,
        Err(e) => {
            job.emit.send(TraceEvent::Failed {
                error: format!("cannot start the perf reader: {e}"),
                at: job.emit.now(),
            });
            if let Some(c) = child.take() {
                // SAFETY: killing our own, not yet reaped child.
                unsafe { libc::kill(c.pid, libc::SIGKILL) };
            }
            return;
        }
    };

    // 3. Command mode: let it exec, and only then report it running.
    if let (Some(c), Target::Command { argv, .. }) = (child.as_mut(), &job.config.target) {
        registry.add_thread(pid, pid, false);
        let started = c.release(driver.is_some()).is_ok()
            && match driver.as_mut() {
                Some(d) => d.run_until_exec(&mut leash),
                None => true,
            };
        if started {
            let _ = job.ready.send(Ok(Running {
                pid,
                waker: None,
                pidfd: spawn::pidfd(pid),
            }));
        } else {
            let why = c
                .exec_error()
                .unwrap_or_else(|| "it ended before exec".into());
            let _ = job.ready.send(Err(TraceError::Spawn {
                program: argv[0].clone(),
                source: std::io::Error::other(why),
            }));
        }
    }
    let mut sampler = Sampler::start(
        job.config.sample_hz,
        registry.clone(),
        job.emit.clone(),
        true,
    )
    .map_err(|e| job.emit.note(format!("no sampler clock: {e}")))
    .ok();

    // 4. Until the target is gone.
    let end = if let Some(d) = driver.as_mut() {
        Some(d.run(&mut leash))
    } else {
        wait_unleashed(pid, child.is_some(), &job.stop).map(crate::ptrace::End::Exited)
    };
    if let Some(s) = sampler.as_mut() {
        s.stop();
    }
    let _ = leash.control.send(Control::Finish);
    poke(&wake);
    let _ = reader.join();
    drop(followers);
    match end {
        Some(end) => super::ptrace::report_end(&job.emit, end),
        None => job
            .emit
            .note("perf: detached or ended; the exit status was not seen without the leash"),
    }
}

/// No leash: wait for the process to go away (waitpid for our own child,
/// which gives its status; a pidfd otherwise), or a stop request.
fn wait_unleashed(
    pid: i32,
    own_child: bool,
    stop: &std::sync::atomic::AtomicBool,
) -> Option<crate::event::ExitStatus> {
    if own_child {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(pid, &raw mut status, libc::__WALL) };
        return if r == pid {
            crate::event::ExitStatus::from_wait(status)
        } else {
            None
        };
    }
    // SAFETY: pidfd_open takes no pointers.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: a descriptor the kernel just returned to us.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    while !stop.load(Ordering::Acquire) {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd.
        if unsafe { libc::poll(&raw mut p, 1, 50) } > 0 {
            return None;
        }
    }
    None
}
