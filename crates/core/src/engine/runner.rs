//! The worker thread `exec`: sets up the working file, then runs each step in
//! slices, measuring every slice with [`ThreadProbe`] and nothing else inside
//! the window. Pacing sleeps, channel sends and page-state reads all happen
//! between windows.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use super::dirty::{Ledger, Pending};
use super::ops::{self, Ctx, OpError, Region, RegionKind, Running, SliceOut, WorkFile};
use super::workdir::{self, FsInfo};
use super::{ExecEvent, Shared, SliceReport};
use crate::model::{self, Work};
use crate::outcome::{Environment, Modeled, Readings, RunOutcome, Sources, StepOutcome, Verdict};
use crate::probe::Disabled;
use crate::probe::block::BlockProbe;
use crate::probe::pages::{PageCounts, PageProbe, page_size};
use crate::probe::system::{read_system_mem, rss_kb, workingset_refault_file};
use crate::probe::thread::ThreadProbe;
use crate::scenario::{Op, OpenFlags, Plan, Step};

/// What `start` hands the worker.
pub struct Setup {
    /// The working directory, opened when it was made: the file is created
    /// and opened through it, never by path.
    pub dir: Arc<OwnedFd>,
    /// Where it is, for messages and the report.
    pub workdir: PathBuf,
    pub fs: FsInfo,
    pub workdir_notes: Vec<String>,
    pub disabled: Disabled,
}

/// The run was aborted or the consumer went away: stop quietly.
struct Stop;

struct Worker<E> {
    tx: Sender<E>,
    shared: Arc<Shared>,
    probe: ThreadProbe,
    pages: PageProbe,
    file: WorkFile,
    file_map: Option<Region>,
    anon: Vec<Region>,
    page_size: u64,
    /// The working directory's path: `program` steps name files by it.
    workdir: PathBuf,
    /// The page sampler follows a `program` step's watched file, not the
    /// working file.
    sampler_elsewhere: bool,
    disabled: Disabled,
    /// What this run changed and the kernel has not written back.
    ledger: Ledger,
    /// A slice's changes, recorded inside its window.
    pending: Pending,
    /// The block layer's writes to the file's device (root only).
    block: Option<BlockProbe>,
}

impl<E> Drop for Worker<E> {
    fn drop(&mut self) {
        // Unpublish before unmapping: the sampler must not read a range that
        // is already gone.
        self.shared.publish_mapping(None);
        if let Some(r) = self.file_map.take() {
            r.release();
        }
        while let Some(r) = self.anon.pop() {
            r.release();
        }
    }
}

/// Armed for the worker's whole life: if the worker panics, the consumer
/// hears so instead of waiting forever (the sampler's Sender keeps the
/// channel open, so it would never see a disconnect), and the sampler stops.
struct PanicGuard<E: From<ExecEvent>> {
    tx: Sender<E>,
    shared: Arc<Shared>,
}

/// What the consumer is told when the worker thread panicked.
pub const PANICKED: &str = "the engine's worker thread panicked (a bug in iotour; the panic \
                            message goes to stderr, in the TUI once the screen is restored): \
                            the run cannot go on";

impl<E: From<ExecEvent>> Drop for PanicGuard<E> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let _ = self.tx.send(E::from(ExecEvent::Failed {
            error: PANICKED.into(),
            at: self.shared.at(),
        }));
        self.shared.control.apply(super::Command::Abort);
    }
}

// The worker's whole setup and step loop, in the order the run needs them.
#[allow(clippy::too_many_lines)]
pub fn run<E>(plan: &Plan, setup: Setup, shared: Arc<Shared>, tx: Sender<E>)
where
    E: From<ExecEvent> + Send + 'static,
{
    let _guard = PanicGuard {
        tx: tx.clone(),
        shared: Arc::clone(&shared),
    };
    prefault();
    // The probe must be opened on this thread: its counters are per thread.
    let probe = ThreadProbe::open(&setup.disabled);
    let stop = || shared.control.is_aborted();
    let made = workdir::create_file(&setup.dir)
        .and_then(|f| workdir::prefill(f, plan.file().size, plan.file().cached, &stop));
    let file = match made {
        Ok(f) => f,
        Err(_) if shared.control.is_aborted() => return,
        Err(e) => {
            let _ = tx.send(E::from(ExecEvent::Failed {
                error: format!(
                    "setting up the working file ({} bytes in {}): {e}",
                    plan.file().size,
                    setup.workdir.display()
                ),
                at: shared.at(),
            }));
            return;
        }
    };
    // The sampler's own fd (a read-only open file description, as a
    // separate reader would have), through the directory's fd.
    *shared
        .sampler_file
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) =
        workdir::open_file(&setup.dir, rustix::fs::OFlags::RDONLY).ok();
    let pages = PageProbe::detect(&setup.disabled, &file);
    let (dio_mem, dio_off, dio_note) = match ops::dio_align(&file) {
        Some((m, o)) => (m, o, None),
        None => (
            page_size(),
            page_size(),
            Some("direct-I/O alignment not reported by statx: assuming the page size".to_string()),
        ),
    };
    let (block, block_note) = if setup
        .disabled
        .contains(crate::probe::Switchable::Tracepoint)
    {
        (
            None,
            Some(format!(
                "device writes not measured: tracepoints switched off by {}",
                Disabled::ENV
            )),
        )
    } else {
        match BlockProbe::open(&file) {
            Ok(b) => (Some(b), None),
            Err(why) => (
                None,
                Some(format!("device writes not measured (modeled only): {why}")),
            ),
        }
    };
    let mut environment = environment(&setup, &probe, &pages, dio_note);
    environment.sources.notes.extend(block_note);
    let block_size = {
        use std::os::unix::fs::MetadataExt;
        file.metadata().map_or(4096, |m| m.blksize())
    };
    let mut w = Worker {
        tx,
        shared,
        probe,
        pages,
        file: WorkFile {
            file,
            dir: setup.dir,
            flags: OpenFlags::default(),
            pos: 0,
            dio_offset_align: dio_off,
            dio_mem_align: dio_mem,
            fs_name: setup.fs.name.clone(),
        },
        file_map: None,
        anon: Vec::new(),
        page_size: page_size(),
        workdir: setup.workdir.clone(),
        sampler_elsewhere: false,
        disabled: setup.disabled,
        ledger: Ledger::new(block_size),
        pending: Pending::default(),
        block,
    };
    if !w.emit(ExecEvent::Ready {
        environment: environment.clone(),
        at: w.shared.at(),
    }) {
        return;
    }
    let Ok((reports, ok)) = w.steps(plan) else {
        return;
    };
    let report = RunOutcome {
        scenario: plan.id().to_owned(),
        title: plan.meta().title.en.clone(),
        environment,
        ok: ok
            && (reports.len() == plan.steps().len() || reports.iter().any(|r| r.skipped.is_some())),
        steps: reports,
    };
    w.emit(ExecEvent::Finished(report));
}

fn environment(
    setup: &Setup,
    probe: &ThreadProbe,
    pages: &PageProbe,
    dio_note: Option<String>,
) -> Environment {
    let mut notes: Vec<String> = probe.notes().to_vec();
    notes.extend(pages.note().map(str::to_string));
    notes.extend(setup.workdir_notes.iter().cloned());
    if setup.fs.memory_backed && !notes.iter().any(|n| n.contains("never dirty")) {
        notes.push(format!(
            "the working directory is on {}: pages there are never dirty and fsync writes nothing",
            setup.fs.name
        ));
    }
    notes.extend(dio_note);
    let system = if read_system_mem().dirty_kb.is_some() {
        "meminfo"
    } else {
        "unavailable"
    };
    let rusage = if probe.has_rusage() {
        "rusage"
    } else {
        "unavailable"
    };
    Environment {
        iotour_version: env!("CARGO_PKG_VERSION").to_string(),
        kernel: crate::machine::kernel_release(),
        page_size: page_size(),
        workdir: setup.workdir.display().to_string(),
        filesystem: setup.fs.name.clone(),
        sources: Sources {
            syscalls: probe.syscall_source().as_str().to_string(),
            faults: rusage.to_string(),
            user_faults: if probe.has_user_faults() {
                "perf"
            } else {
                "modeled"
            }
            .to_string(),
            ctx_switches: rusage.to_string(),
            io: if probe.has_io() {
                "procfs"
            } else {
                "unavailable"
            }
            .to_string(),
            pages: pages.source().as_str().to_string(),
            system: system.to_string(),
            notes,
        },
        machine: Some(crate::machine::Machine::here()),
    }
}

/// Fault in, before any window, the pages the engine's own code would
/// otherwise fault on the first time a code path runs: the worker's stack and
/// the program's text. Those faults are the program's, not the lesson's.
fn prefault() {
    const MADV_POPULATE_READ: i32 = 22;
    // Touch the top 512 KiB of this thread's stack (ops use far less): the
    // big array on the stack is the point.
    #[allow(clippy::large_stack_arrays)]
    let stack = [0u8; 512 * 1024];
    std::hint::black_box(&stack);
    // Populate the page tables of every executable file mapping (the binary,
    // libc, ld.so): MADV_POPULATE_READ (Linux 5.14). Best effort.
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for line in maps.lines() {
        let mut f = line.split_whitespace();
        let (Some(range), Some(perms)) = (f.next(), f.next()) else {
            continue;
        };
        let path = f.nth(3);
        if !perms.starts_with("r-x") || !path.is_some_and(|p| p.starts_with('/')) {
            continue;
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) else {
            continue;
        };
        // SAFETY: advising (populating) a range that /proc/self/maps says is
        // an existing readable mapping; no memory contents change.
        unsafe { libc::madvise(a as *mut libc::c_void, b - a, MADV_POPULATE_READ) };
    }
}

/// A zero of every counter the probe can measure (the identity of
/// [`Readings::add_counters`]); what it cannot measure stays unknown even for a step that
/// never ran a slice.
fn zero_counters(probe: &ThreadProbe) -> Readings {
    let ru = probe.has_rusage().then_some(0);
    let io = probe.has_io().then_some(0);
    Readings {
        duration_ns: Some(0),
        // The engine's own count is always there as the fallback.
        syscalls: Some(0),
        voluntary_ctx_switches: ru,
        involuntary_ctx_switches: ru,
        minor_faults: ru,
        major_faults: ru,
        user_faults: if probe.has_user_faults() { Some(0) } else { ru },
        // perf counts both, or the total alone (the split unknown), or
        // neither and both are modeled from getrusage's.
        user_major_faults: match (probe.has_user_faults(), probe.has_user_major_faults()) {
            (true, true) => Some(0),
            (true, false) => None,
            (false, _) => ru,
        },
        rchar: io,
        wchar: io,
        read_bytes: io,
        write_bytes: io,
        ..Readings::default()
    }
}

/// Without perf's user-mode fault count: the faults of `touch` (its loads
/// and stores are the engine's only user-mode accesses of a mapping; every
/// other op's faults happen inside its syscalls), 0 for every other op;
/// and of those the major ones.
fn modeled_user_faults(op: &Op, m: &Readings) -> (Option<u64>, Option<u64>) {
    if matches!(op, Op::Touch(_)) {
        let all = m.minor_faults.zip(m.major_faults).map(|(a, b)| a + b);
        (all, m.major_faults)
    } else {
        (m.minor_faults.map(|_| 0), m.major_faults.map(|_| 0))
    }
}

/// What the report of a step compares with: the file's pages and the
/// system's refault count before it.
struct Before {
    pages: PageCounts,
    refaults: Option<u64>,
    pressure: Option<crate::stats::pressure::Pressure>,
}

/// A skipped step's report: its expectations were not checked (what they
/// would compare was never done), and it says why.
fn with_skip(mut report: StepOutcome, skipped: Option<crate::outcome::Skip>) -> StepOutcome {
    if skipped.is_some() {
        report.expect.clear();
        report.skipped = skipped;
    }
    report
}

/// Dirty + writeback pages, if known.
fn unclean(c: &PageCounts) -> Option<u64> {
    Some(c.dirty? + c.writeback?)
}

impl<E: From<ExecEvent>> Worker<E> {
    fn emit(&self, ev: ExecEvent) -> bool {
        self.tx.send(E::from(ev)).is_ok()
    }

    fn ctx(&mut self) -> Ctx<'_> {
        Ctx {
            file: &mut self.file,
            file_map: &mut self.file_map,
            anon: &mut self.anon,
            pages: &self.pages,
            shared: &self.shared,
            page_size: self.page_size,
            disabled: &self.disabled,
            dirty: &mut self.pending,
        }
    }

    /// After a slice of `op` whose page counts went from `before` to
    /// `after`: the write-back it caused, from the ledger (see
    /// `engine::dirty`), as (bytes sent to the device, bytes of this
    /// thread's earlier submission that finished). The ledger follows.
    fn account_writeback(
        &mut self,
        op: &Op,
        before: &PageCounts,
        after: &PageCounts,
    ) -> (Option<u64>, u64) {
        let page = self.page_size;
        let drop = match (before.dirty, after.dirty) {
            (Some(b), Some(a)) => Some(b.saturating_sub(a) * page),
            _ => None,
        };
        let l = &mut self.ledger;
        let own = |l: &mut Ledger, complete: bool| {
            let sent = l.write_back_bytes(drop, page);
            let changed = l.written.bytes() + l.mapped.bytes();
            l.clear_dirty();
            if complete {
                l.in_flight = (0, 0);
            } else {
                l.in_flight.0 += sent.unwrap_or(0);
                l.in_flight.1 += changed;
            }
            (sent, 0)
        };
        match op {
            Op::Fsync | Op::Fdatasync | Op::DropCache => own(l, true),
            Op::SyncFileRange(o) => own(l, o.wait),
            Op::Msync(o) if !o.asynchronous => own(l, true),
            Op::Msync(_) | Op::WaitWriteback(_) => {
                // Whatever went clean here, the flusher threads (or another
                // process's sync) wrote.
                let sent = if after.dirty == Some(0) {
                    let s = l.write_back_bytes(drop, page);
                    l.clear_dirty();
                    s
                } else {
                    drop.map(|d| l.write_back_bytes(Some(d), page).unwrap_or(d))
                };
                let finished = if after.writeback == Some(0) {
                    std::mem::take(&mut l.in_flight).0
                } else {
                    0
                };
                (sent, finished)
            }
            // Other ops clean nothing themselves.
            _ => (
                match (unclean(before), unclean(after)) {
                    (Some(b), Some(a)) => Some(b.saturating_sub(a) * page),
                    _ => None,
                },
                0,
            ),
        }
    }

    /// Whether a slice's copies depend on page-cache counts before and after
    /// it: write-back (pages cleaned) always; cache misses only when
    /// `read_bytes` is not measured.
    fn slice_needs_counts(&self, op: &Op) -> bool {
        let needs = op.needs();
        needs.cleaned_pages || (needs.cache_growth && !self.probe.has_io())
    }

    /// What a step's report compares with, read before it (outside every window).
    fn before(&self) -> Before {
        Before {
            pages: self.counts(),
            refaults: workingset_refault_file(),
            pressure: crate::stats::pressure::read().ok(),
        }
    }

    fn counts(&self) -> PageCounts {
        self.pages.counts(&self.file.file, 0, 0).unwrap_or_default()
    }

    #[allow(clippy::too_many_arguments)]
    fn work(
        &self,
        op: &Op,
        out: &SliceOut,
        m: &Readings,
        before: &PageCounts,
        after: &PageCounts,
        written_back: (Option<u64>, u64),
        synced_bytes: u64,
    ) -> Work {
        let cached_growth = match (before.cached, after.cached) {
            (Some(b), Some(a)) => Some(a.saturating_sub(b) * self.page_size),
            _ => None,
        };
        let private_mapping = matches!(
            self.file_map.as_ref().map(|r| r.kind),
            Some(RegionKind::File { shared: false, .. })
        );
        Work {
            bytes: out.bytes,
            user_copy_bytes: out.user_copy_bytes,
            pages: out.pages,
            // read_bytes counts what the device read for this thread
            // (readahead included); without procio, the cache's growth.
            disk_read_bytes: m.read_bytes.or(cached_growth),
            flushed_bytes: written_back.0,
            own_writeback_finished: written_back.1,
            synced_bytes,
            direct: self.file.flags.direct,
            synchronous: self.file.flags.synchronous(),
            private_mapping: private_mapping && matches!(op, Op::Touch(_)),
            submissions: out.submissions,
            completions: out.completions,
            page_size: self.page_size,
            program: None,
        }
    }

    /// Run the plan's steps in order, up to a failed or skipped one; the
    /// outcomes and whether everything held. `Err(Stop)` when aborted or
    /// the consumer is gone.
    fn steps(&mut self, plan: &Plan) -> Result<(Vec<StepOutcome>, bool), Stop> {
        let mut reports = Vec::new();
        let mut ok = true;
        for (i, step) in plan.steps().iter().enumerate() {
            let r = self.step(i + 1, step)?;
            let failed = r.error.is_some();
            // A skipped step ends the run (the steps after it build on it)
            // without failing it.
            let skipped = r.skipped.is_some();
            ok &= !failed && r.expect.iter().all(Verdict::passes);
            let sent = self.emit(ExecEvent::StepDone(r.clone()));
            reports.push(r);
            self.shared.control.step_done();
            if !sent {
                return Err(Stop);
            }
            if failed || skipped {
                break;
            }
        }
        Ok((reports, ok))
    }

    /// Wait for the go-ahead of step `index`, then say it started.
    fn begin_step(&self, index: usize) -> Result<(), Stop> {
        self.shared.control.gate_step().map_err(|_| Stop)?;
        if self.emit(ExecEvent::StepStarted {
            index,
            at: self.shared.at(),
        }) {
            Ok(())
        } else {
            Err(Stop)
        }
    }

    /// Run one step. `Err(Stop)` when aborted or the consumer is gone.
    fn step(&mut self, index: usize, step: &Step) -> Result<StepOutcome, Stop> {
        self.begin_step(index)?;
        if let Op::Program(p) = &step.op {
            return self.program_step(index, step, p);
        }
        if self.sampler_elsewhere {
            self.sample_working_file();
        }
        // The sampler samples fast while the step waits on the device.
        let flags = self.file.flags;
        let waits = match &step.op {
            Op::Fsync
            | Op::Fdatasync
            | Op::SyncFileRange(_)
            | Op::Msync(_)
            | Op::WaitWriteback(_)
            | Op::Read(_) => true,
            Op::Write(_) | Op::Pwrite(_) | Op::BufferedWrite(_) => {
                flags.direct || flags.synchronous()
            }
            _ => false,
        };
        let shared = Arc::clone(&self.shared);
        shared.set_device_wait(waits);
        let outcome = self.step_body(index, step);
        shared.set_device_wait(false);
        outcome
    }

    /// [`step`](Self::step) after its start is announced.
    // One loop that must keep its window, its accounting and its pacing in
    // this order: splitting it would scatter the window's invariants.
    #[allow(clippy::too_many_lines)]
    fn step_body(&mut self, index: usize, step: &Step) -> Result<StepOutcome, Stop> {
        let before = self.before();
        // Bios queued before the step are not its own.
        if let Some(b) = self.block.as_mut() {
            b.take(&self.file.file);
        }
        // A step whose op fails to prepare never had a measurement window:
        // every counter stays unknown (null), not 0.
        let mut measured = Readings::default();
        let mut total = SliceOut::default();
        let mut error = None;
        let mut skipped = None;
        let mut slice_before = before.pages;
        // The step's write-back (sum of its slices') and synchronous blocks.
        let mut wb: (Option<u64>, u64) = (Some(0), 0);
        let mut synced_total = 0;
        let mut ended_early = None;
        let mut running: Option<Box<dyn Running>> = match ops::prepare(&step.op, &mut self.ctx()) {
            Ok(r) => {
                measured = zero_counters(&self.probe);
                Some(r)
            }
            Err(OpError::Skipped(k)) => {
                skipped = Some(k);
                None
            }
            Err(e) => {
                error = Some(e.to_string());
                None
            }
        };
        if let Some(op) = running.as_mut() {
            let units = ops::slice_units(op.total());
            let slices = op.total().div_ceil(units);
            let mut n = 0usize;
            while !op.done() {
                if n > 0 {
                    self.shared.control.gate().map_err(|_| Stop)?;
                }
                let mut out = SliceOut::default();
                // Room for every change the slice records (one per call or
                // page), so recording allocates nothing inside the window.
                self.pending.reserve(
                    usize::try_from(units)
                        .unwrap_or(usize::MAX)
                        .saturating_add(16),
                );
                // ---- measured window: nothing but the op's own work ----
                let begin = self.probe.begin();
                let result = op.slice(&mut self.ctx(), units, &mut out);
                if result.is_err() {
                    // The failing call was issued too (ops count every attempt;
                    // a bare libc call that failed is counted here).
                    out.calls = out.calls.max(1);
                }
                let mut m = self.probe.end(&begin, out.calls);
                // ---- end of window ----
                if m.user_faults.is_none() {
                    (m.user_faults, m.user_major_faults) = modeled_user_faults(&step.op, &m);
                }
                self.pending.apply(&mut self.ledger);
                let synced = std::mem::take(&mut self.ledger.synced);
                measured.add_counters(&m);
                total.add(out);
                let failed = match result {
                    Ok(()) => false,
                    Err(OpError::Aborted) => return Err(Stop),
                    Err(OpError::Skipped(k)) => {
                        skipped = Some(k);
                        true
                    }
                    Err(e) => {
                        error = Some(e.to_string());
                        true
                    }
                };
                // cachestat walks the whole file: read it per slice only where
                // the slice's model needs it (it costs ~0.3 ms on 256 MiB).
                let after = if self.slice_needs_counts(&step.op) {
                    self.counts()
                } else {
                    slice_before
                };
                let written_back = self.account_writeback(&step.op, &slice_before, &after);
                wb.0 = match (wb.0, written_back.0) {
                    (Some(a), Some(b)) => Some(a + b),
                    _ => None,
                };
                wb.1 += written_back.1;
                synced_total += synced;
                let path = step.op.data_path(&self.work(
                    &step.op,
                    &out,
                    &m,
                    &slice_before,
                    &after,
                    written_back,
                    synced,
                ));
                self.publish_unwritten();
                slice_before = after;
                let sent = self.emit(ExecEvent::Slice(SliceReport {
                    step: index,
                    slice: n,
                    done: total.units,
                    total: op.total(),
                    at: self.shared.at(),
                    measured: m,
                    copies: path.copies,
                    legs: path.legs,
                }));
                if !sent {
                    return Err(Stop);
                }
                if failed {
                    // The partial slice was reported; the step ends here.
                    break;
                }
                n += 1;
                if op.paced() {
                    let work = Duration::from_nanos(m.duration_ns.unwrap_or(0));
                    self.shared.control.pace(work, slices).map_err(|_| Stop)?;
                }
            }
            if let Err(e) = op.finish(&mut self.ctx())
                && error.is_none()
            {
                error = Some(e.to_string());
            }
            measured.kernel_thread_ctx_switches = op.kernel_thread_ctx_switches();
            ended_early = op.ended_early();
        }
        drop(running);
        let mut report = self.report(
            index,
            step,
            measured,
            (&total, wb, synced_total),
            &before,
            error,
        );
        if let Some(after) = ended_early {
            report.end_wait_early(after);
        }
        Ok(with_skip(report, skipped))
    }

    /// Tell the sampler what is not yet durable.
    fn publish_unwritten(&self) {
        self.shared.unwritten.store(
            self.ledger.unwritten(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn report(
        &mut self,
        index: usize,
        step: &Step,
        mut measured: Readings,
        (total, written_back, synced): (&SliceOut, (Option<u64>, u64), u64),
        before: &Before,
        error: Option<String>,
    ) -> StepOutcome {
        // State after the step, outside every window.
        let after = self.counts();
        if let (Some(b), Some(a)) = (before.refaults, workingset_refault_file()) {
            measured.workingset_refaults = Some(a.saturating_sub(b));
        }
        if let (Some(b), Ok(a)) = (before.pressure, crate::stats::pressure::read()) {
            measured.io_pressure_some_us = Some(a.some.total_us.saturating_sub(b.some.total_us));
            measured.io_pressure_full_us = a
                .full
                .zip(b.full)
                .map(|(a, b)| a.total_us.saturating_sub(b.total_us));
        }
        let before = &before.pages;
        if after.dirty == Some(0) && after.writeback == Some(0) {
            // Clean: whoever wrote it (us, the flusher, someone's sync(2)),
            // nothing this run changed is at risk any more.
            self.ledger.clear_dirty();
            self.ledger.in_flight = (0, 0);
            self.publish_unwritten();
        }
        measured.file_cached_pages = after.cached;
        measured.file_dirty_pages = after.dirty;
        measured.file_writeback_pages = after.writeback;
        measured.file_evicted_pages = after.evicted;
        measured.file_recently_evicted_pages = after.recently_evicted;
        let sys = read_system_mem();
        measured.system_dirty_kb = sys.dirty_kb;
        measured.system_writeback_kb = sys.writeback_kb;
        measured.rss_kb = rss_kb();
        if let Some(b) = self.block.as_mut() {
            let w = b.take(&self.file.file);
            measured.disk_write_bytes = Some(w.data);
            measured.journal_write_bytes = Some(w.journal);
        }
        let path = step.op.data_path(&self.work(
            &step.op,
            total,
            &measured,
            before,
            &after,
            written_back,
            synced,
        ));
        // The block layer's figures are measured, not modeled: they travel
        // in `measured` (the data path panel draws them), never as a note
        // that the narration would label "model".
        let notes = path.notes;
        let modeled = Modeled {
            mode_switches: model::mode_switches(&measured),
            copies: path.copies,
            legs: path.legs,
            unsized_kinds: path.unsized_kinds,
            notes,
        };
        let expect = step
            .expect
            .iter()
            .map(|e| {
                let actual = crate::outcome::value_of(e.key, &measured, &modeled);
                Verdict {
                    key: e.key.as_str().to_string(),
                    rule: e.rule.to_string(),
                    actual,
                    ok: error.is_none() && e.check(actual),
                    soft: e.soft.is_some(),
                    why: e.soft.as_ref().map(|t| t.en.clone()),
                    not_judged: false,
                }
            })
            .collect();
        StepOutcome {
            index,
            op: step.op.name().to_string(),
            say: step.say.as_ref().map(|t| t.en.clone()),
            duration_ns: measured.duration_ns,
            measured,
            modeled,
            expect,
            error,
            program: None,
            skipped: None,
            ended_early_ns: None,
        }
    }

    /// A `program` step: the command runs under the tracer while this
    /// thread waits; the figures are the trace's (see `engine::program`).
    fn program_step(
        &mut self,
        index: usize,
        step: &Step,
        p: &crate::scenario::Program,
    ) -> Result<StepOutcome, Stop> {
        if let Some(skip) = super::program::missing(p) {
            let mut report = self.report(
                index,
                step,
                Readings::default(),
                (&SliceOut::default(), (Some(0), 0), 0),
                &Before {
                    pages: PageCounts::default(),
                    refaults: None,
                    pressure: None,
                },
                None,
            );
            // Not checked: what they would compare never ran.
            report.expect.clear();
            report.skipped = Some(skip);
            return Ok(report);
        }
        let shared = Arc::clone(&self.shared);
        let follow = |f: std::fs::File| {
            *shared
                .sampler_file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(f);
        };
        let aborted = || shared.control.is_aborted();
        let env = super::program::Env {
            dir: &self.file.dir,
            workdir: &self.workdir,
            follow: &follow,
            aborted: &aborted,
        };
        // What a program changed is not in the ledger (it is the engine's
        // own writes): the watched file's unclean pages bound what is at risk.
        self.shared
            .unwritten
            .store(u64::MAX, std::sync::atomic::Ordering::Relaxed);
        let ran = super::program::run(p, &env).map_err(|_| Stop)?;
        self.after_program(p);
        let mut measured = ran.measured;
        let sys = read_system_mem();
        measured.system_dirty_kb = sys.dirty_kb;
        measured.system_writeback_kb = sys.writeback_kb;
        let work = Work {
            page_size: self.page_size,
            program: Some(ran.work),
            ..Work::default()
        };
        let path = step.op.data_path(&work);
        let modeled = Modeled {
            mode_switches: model::mode_switches(&measured),
            copies: path.copies,
            legs: path.legs,
            unsized_kinds: path.unsized_kinds,
            notes: path.notes,
        };
        if !self.emit(ExecEvent::Slice(SliceReport {
            step: index,
            slice: 0,
            done: 1,
            total: 1,
            at: self.shared.at(),
            measured,
            copies: modeled.copies.clone(),
            legs: modeled.legs.clone(),
        })) {
            return Err(Stop);
        }
        let error = ran.error;
        let expect = step
            .expect
            .iter()
            .map(|e| {
                let actual =
                    crate::outcome::figure_of(e.key, &measured, &modeled, Some(&ran.outcome));
                Verdict {
                    key: e.key.as_str().to_string(),
                    rule: e.rule.to_string(),
                    actual,
                    ok: error.is_none() && e.check(actual),
                    soft: e.soft.is_some(),
                    why: e.soft.as_ref().map(|t| t.en.clone()),
                    not_judged: false,
                }
            })
            .collect();
        Ok(StepOutcome {
            index,
            op: step.op.name().to_string(),
            say: step.say.as_ref().map(|t| t.en.clone()),
            duration_ns: measured.duration_ns,
            measured,
            modeled,
            expect,
            error,
            program: Some(Box::new(ran.outcome)),
            skipped: None,
            ended_early_ns: None,
        })
    }

    /// After a program ran: if it replaced the working file (deleted and
    /// created it anew), later steps work on the new one; the page sampler
    /// goes back to the working file.
    fn after_program(&mut self, p: &crate::scenario::Program) {
        let same = |a: &std::fs::File, b: &std::fs::File| match (a.metadata(), b.metadata()) {
            (Ok(x), Ok(y)) => {
                use std::os::unix::fs::MetadataExt;
                (x.dev(), x.ino()) == (y.dev(), y.ino())
            }
            _ => false,
        };
        if let Ok(now) = workdir::open_file(&self.file.dir, rustix::fs::OFlags::RDWR)
            && !same(&now, &self.file.file)
        {
            self.file.file = now;
            self.file.flags = OpenFlags::default();
            self.file.pos = 0;
        }
        // The page map stays on another watched file until a step that is
        // not a program (a Redis AOF is still worth looking at after its run).
        self.sampler_elsewhere = p.watch.is_some();
        if !self.sampler_elsewhere {
            self.sample_working_file();
        }
    }

    /// Point the page sampler at the working file.
    fn sample_working_file(&mut self) {
        self.sampler_elsewhere = false;
        self.publish_unwritten();
        *self
            .shared
            .sampler_file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            workdir::open_file(&self.file.dir, rustix::fs::OFlags::RDONLY).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Speed;
    use crate::engine::control::Control;

    fn shared() -> Arc<Shared> {
        Arc::new(Shared::new(Control::new(Speed::Max, false)))
    }

    #[test]
    fn a_panicking_worker_says_so_and_stops_the_sampler() {
        let sh = shared();
        let (tx, rx) = std::sync::mpsc::channel::<ExecEvent>();
        let guarded = {
            let sh = Arc::clone(&sh);
            std::thread::spawn(move || {
                let _guard = PanicGuard { tx, shared: sh };
                panic!("injected");
            })
        };
        assert!(guarded.join().is_err());
        match rx.try_recv() {
            Ok(ExecEvent::Failed { error, .. }) => assert_eq!(error, PANICKED),
            other => panic!("expected Failed, got {other:?}"),
        }
        // The sampler loop checks this before every sample and in its sleep.
        assert!(sh.control.is_aborted());
    }

    #[test]
    fn a_worker_that_returns_normally_sends_nothing_more() {
        let sh = shared();
        let (tx, rx) = std::sync::mpsc::channel::<ExecEvent>();
        drop(PanicGuard {
            tx,
            shared: Arc::clone(&sh),
        });
        assert!(rx.try_recv().is_err());
        assert!(!sh.control.is_aborted());
    }
}
