//! The worker thread `exec`: sets up the working file, then runs each step in
//! slices, measuring every slice with [`ThreadProbe`] and nothing else inside
//! the window. Pacing sleeps, channel sends and page-state reads all happen
//! between windows.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use super::ops::{self, Ctx, OpError, Region, RegionKind, Running, SliceOut, WorkFile};
use super::workdir::{self, FsInfo};
use super::{ExecEvent, Shared, SliceReport};
use crate::model::{self, Work};
use crate::outcome::{Environment, Modeled, Readings, RunOutcome, Sources, StepOutcome, Verdict};
use crate::probe::Disabled;
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
    disabled: Disabled,
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
    let environment = environment(&setup, &probe, &pages, dio_note);
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
        disabled: setup.disabled,
    };
    if !w.emit(ExecEvent::Ready {
        environment: environment.clone(),
        at: w.shared.at(),
    }) {
        return;
    }
    let mut reports = Vec::new();
    let mut ok = true;
    for (i, step) in plan.steps().iter().enumerate() {
        match w.step(i + 1, step) {
            Ok(r) => {
                let failed = r.error.is_some();
                // A skipped step ends the run (the steps after it build on
                // it) without failing it.
                let skipped = r.skipped.is_some();
                ok &= !failed && r.expect.iter().all(|e| e.ok);
                let sent = w.emit(ExecEvent::StepDone(r.clone()));
                reports.push(r);
                w.shared.control.step_done();
                if !sent {
                    return;
                }
                if failed || skipped {
                    break;
                }
            }
            Err(Stop) => return,
        }
    }
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
        kernel: kernel_release(),
        page_size: page_size(),
        workdir: setup.workdir.display().to_string(),
        filesystem: setup.fs.name.clone(),
        sources: Sources {
            syscalls: probe.syscall_source().as_str().to_string(),
            faults: rusage.to_string(),
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

/// `uname -r`.
pub fn kernel_release() -> String {
    // SAFETY: utsname is plain data; zeroed is valid; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a live, writable utsname.
    if unsafe { libc::uname(&raw mut u) } != 0 {
        return "unknown".into();
    }
    // SAFETY: uname NUL-terminates release.
    unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }
        .to_string_lossy()
        .into_owned()
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
        rchar: io,
        wchar: io,
        read_bytes: io,
        write_bytes: io,
        ..Readings::default()
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

    fn work(
        &self,
        op: &Op,
        out: &SliceOut,
        m: &Readings,
        before: &PageCounts,
        after: &PageCounts,
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
            flushed_bytes: match (unclean(before), unclean(after)) {
                (Some(b), Some(a)) => Some(b.saturating_sub(a) * self.page_size),
                _ => None,
            },
            direct: self.file.flags.direct,
            synchronous: self.file.flags.synchronous(),
            private_mapping: private_mapping && matches!(op, Op::Touch(_)),
            submissions: out.submissions,
            completions: out.completions,
            page_size: self.page_size,
        }
    }

    /// Run one step. `Err(Stop)` when aborted or the consumer is gone.
    fn step(&mut self, index: usize, step: &Step) -> Result<StepOutcome, Stop> {
        self.shared.control.gate_step().map_err(|_| Stop)?;
        if !self.emit(ExecEvent::StepStarted {
            index,
            at: self.shared.at(),
        }) {
            return Err(Stop);
        }
        let before = self.before();
        // A step whose op fails to prepare never had a measurement window:
        // every counter stays unknown (null), not 0.
        let mut measured = Readings::default();
        let mut total = SliceOut::default();
        let mut error = None;
        let mut skipped = None;
        let mut slice_before = before.pages;
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
                // ---- measured window: nothing but the op's own work ----
                let begin = self.probe.begin();
                let result = op.slice(&mut self.ctx(), units, &mut out);
                if result.is_err() {
                    // The failing call was issued too (ops count every attempt;
                    // a bare libc call that failed is counted here).
                    out.calls = out.calls.max(1);
                }
                let m = self.probe.end(&begin, out.calls);
                // ---- end of window ----
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
                let copies = step
                    .op
                    .data_path(&self.work(&step.op, &out, &m, &slice_before, &after))
                    .copies;
                slice_before = after;
                let sent = self.emit(ExecEvent::Slice(SliceReport {
                    step: index,
                    slice: n,
                    done: total.units,
                    total: op.total(),
                    at: self.shared.at(),
                    measured: m,
                    copies,
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
        }
        drop(running);
        let report = self.report(index, step, measured, &total, &before, error);
        Ok(with_skip(report, skipped))
    }

    fn report(
        &self,
        index: usize,
        step: &Step,
        mut measured: Readings,
        total: &SliceOut,
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
        measured.file_cached_pages = after.cached;
        measured.file_dirty_pages = after.dirty;
        measured.file_writeback_pages = after.writeback;
        measured.file_evicted_pages = after.evicted;
        measured.file_recently_evicted_pages = after.recently_evicted;
        let sys = read_system_mem();
        measured.system_dirty_kb = sys.dirty_kb;
        measured.system_writeback_kb = sys.writeback_kb;
        measured.rss_kb = rss_kb();
        let path = step
            .op
            .data_path(&self.work(&step.op, total, &measured, before, &after));
        let modeled = Modeled {
            mode_switches: model::mode_switches(&measured),
            copies: path.copies,
            unsized_kinds: path.unsized_kinds,
            notes: path.notes,
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
            skipped: None,
        }
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
