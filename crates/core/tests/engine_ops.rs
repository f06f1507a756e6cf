//! Every op against the real kernel, through the public engine API.
//!
//! Exact syscall counts need the tracepoint (root, tracefs): those asserts say
//! so and are checked against the engine's own count otherwise.

use crate::support::engine as common;
use crate::support::small_fs;

use std::time::{Duration, Instant};

use common::*;
use iotour_core::engine::{Command, ExecEvent, MapCell, Speed};
use iotour_core::probe::Disabled;
use iotour_core::scenario::{Key, Op, OpenFlags, Pattern, Rule, Target, Via};
use small_fs::SmallFs;

#[test]
fn thousand_writes_of_300_bytes_then_fsync() {
    let plan = file(0).op(write(300_000, 300)).op(Op::Fsync).build();
    let r = run(plan, config());
    let w = &r.steps[0];
    assert_eq!(w.error, None);
    assert_eq!(
        w.measured.syscalls,
        Some(1000),
        "{:?}",
        r.environment.sources
    );
    if r.environment.sources.io == "procfs" {
        assert_eq!(w.measured.wchar, Some(300_000));
        assert_eq!(w.measured.rchar, Some(0));
    }
    // 300,000 bytes span 74 pages (73.2 rounded up). ext4 may cache them in
    // larger folios, so more pages can be cached/dirty, never fewer.
    let cached = w.measured.file_cached_pages.unwrap();
    assert!(cached >= 74, "cached {cached}");
    if r.environment.sources.pages == "cachestat" {
        let dirty = w.measured.file_dirty_pages.unwrap();
        assert!(dirty >= 74, "dirty {dirty}");
        let f = &r.steps[1];
        assert_eq!(f.measured.syscalls, Some(1));
        assert_eq!(f.measured.file_dirty_pages, Some(0));
        assert_eq!(f.measured.file_writeback_pages, Some(0));
        // The model sizes fsync's DMA from the pages it cleaned.
        let dma =
            iotour_core::outcome::value_of(Key::DmaCopyBytes, &f.measured, &f.modeled).unwrap();
        assert!(dma >= 74 * 4096, "dma {dma}");
    }
    // Mode switches = syscalls + faults.
    let m = &w.measured;
    assert_eq!(
        w.modeled.mode_switches,
        Some(m.syscalls.unwrap() + m.minor_faults.unwrap() + m.major_faults.unwrap())
    );
}

#[test]
fn the_same_writes_without_the_tracepoint_are_counted_by_the_engine() {
    let mut c = config();
    c.disabled = Disabled::parse("tracepoint,procio").unwrap();
    let r = run(file(0).op(write(300_000, 300)).build(), c);
    assert_eq!(r.environment.sources.syscalls, "engine");
    assert_eq!(r.environment.sources.io, "unavailable");
    assert!(
        r.environment
            .sources
            .notes
            .iter()
            .any(|n| n.contains("IOTOUR_DISABLE"))
    );
    assert_eq!(r.steps[0].measured.syscalls, Some(1000));
    assert_eq!(r.steps[0].measured.wchar, None, "unknown, never 0");
}

#[test]
fn copies_not_sized_are_unknown_in_expectations() {
    // Without cachestat and procio the write-back DMA of an msync after
    // stores through a mapping cannot be sized (the folios written are only
    // seen by cachestat): `dma_copies == 0` must not pass.
    let mut c = config();
    c.disabled = Disabled::parse("cachestat,procio").unwrap();
    let mut sync = step(msync(false));
    sync.expect = vec![
        expect(Key::DmaCopies, Rule::Eq(0)),
        expect(Key::DmaCopyBytes, Rule::Eq(0)),
        expect(Key::CpuCopies, Rule::Eq(0)),
    ];
    let r = run(
        file(1 << 20)
            .then(map_whole_file().write(true))
            .then(touch(16).stride(16).write(true))
            .then(sync)
            .build(),
        c.clone(),
    );
    let e = &r.steps[2].expect;
    assert_eq!((e[0].actual, e[0].ok), (None, false), "{e:?}");
    assert_eq!((e[1].actual, e[1].ok), (None, false), "{e:?}");
    // No CPU edge is in doubt: that figure stays known.
    assert_eq!((e[2].actual, e[2].ok), (Some(0), true), "{e:?}");
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["steps"][2]["expect"][0]["actual"].is_null());
    assert_eq!(json["steps"][2]["modeled"]["unsized_kinds"][0], "dma");
    // What write(2) changed the engine knows without cachestat: fsync's
    // write-back is those blocks.
    let r = run(file(0).op(write(1 << 20, 1 << 16)).op(Op::Fsync).build(), c);
    assert_eq!(
        r.steps[1]
            .modeled
            .copy_totals(iotour_core::model::CopyKind::Dma),
        Some((1, 1 << 20))
    );
}

#[test]
fn buffered_write_gathers_chunks_like_buffered_output_stream() {
    // 100-byte chunks into an 8 KiB buffer: 81 chunks (8,100 bytes) fit, the
    // 82nd does not, so each write(2) carries 8,100 bytes: 12 full ones and
    // the 2,800-byte remainder at close = 13 calls for 1,000 chunks.
    let r = run(
        file(0).op(buffered_write(100_000, 100, 8192)).build(),
        config(),
    );
    let s = &r.steps[0];
    assert_eq!(s.error, None);
    assert_eq!(s.measured.syscalls, Some(13));
    if s.measured.wchar.is_some() {
        assert_eq!(s.measured.wchar, Some(100_000));
    }
    assert!(
        s.modeled.notes.iter().any(|n| n.contains("100000 bytes")),
        "{:?}",
        s.modeled.notes
    );
    // A chunk bigger than the buffer goes straight through: one call each.
    let r = run(
        file(0).op(buffered_write(40_000, 10_000, 8192)).build(),
        config(),
    );
    assert_eq!(r.steps[0].measured.syscalls, Some(4));
}

#[test]
fn cold_read_does_disk_dma_and_warm_read_does_not() {
    let r = run(
        file(1 << 20)
            .cold()
            .op(read(1 << 20, 4096, 0))
            .op(read(1 << 20, 4096, 0))
            .build(),
        config(),
    );
    let (cold, warm) = (&r.steps[0], &r.steps[1]);
    assert_eq!(cold.error, None);
    assert_eq!(cold.measured.syscalls, Some(256));
    // The second read first seeks back to offset 0.
    assert_eq!(warm.measured.syscalls, Some(257));
    let dma = |s: &iotour_core::outcome::StepOutcome| {
        iotour_core::outcome::value_of(Key::DmaCopyBytes, &s.measured, &s.modeled).unwrap()
    };
    if r.environment.sources.io == "procfs" {
        assert_eq!(cold.measured.rchar, Some(1 << 20));
        assert!(
            cold.measured.read_bytes.unwrap() >= 1 << 20,
            "{:?}",
            cold.measured
        );
        assert_eq!(warm.measured.read_bytes, Some(0));
    }
    assert!(dma(cold) >= 1 << 20);
    assert_eq!(dma(warm), 0);
    assert_eq!(
        iotour_core::outcome::value_of(Key::CpuCopyBytes, &warm.measured, &warm.modeled),
        Some(1 << 20)
    );
}

#[test]
fn touching_1000_pages_of_a_64_mib_anonymous_mapping_faults_each() {
    let r = run(
        file(0)
            .op(anon_mmap(64 << 20))
            .then(touch(1000).write(true).target(Target::Anon))
            .op(munmap(Target::Anon))
            .build(),
        config(),
    );
    assert_eq!(r.steps[0].measured.syscalls, Some(1));
    let t = &r.steps[1];
    assert_eq!(t.error, None);
    assert!(t.measured.minor_faults.unwrap() >= 1000, "{:?}", t.measured);
    assert_eq!(
        t.measured.syscalls,
        Some(0),
        "touching memory is not a syscall"
    );
    assert_eq!(r.steps[2].measured.syscalls, Some(1));
}

#[test]
fn malloc_then_touch_faults_only_when_touched() {
    let r = run(
        file(0)
            .op(malloc(16 << 20))
            .then(touch(100).stride(2).write(true).target(Target::Anon))
            .build(),
        config(),
    );
    assert!(
        r.steps[0].measured.minor_faults.unwrap() < 10,
        "{:?}",
        r.steps[0].measured
    );
    // glibc wrote its chunk header into the first page, so that one is
    // already present: 99 of the 100 touched pages fault.
    assert!(
        r.steps[1].measured.minor_faults.unwrap() >= 99,
        "{:?}",
        r.steps[1]
    );
}

#[test]
fn file_mapping_faults_show_in_rusage_and_in_the_sampled_map() {
    let page = iotour_core::probe::pages::page_size();
    let (r, events) = run_with_events(
        file(8 << 20)
            .then(map_whole_file().write(true))
            .then(touch(256).stride(8).write(true))
            .op(msync(false))
            // Keep the mapping alive while the sampler looks.
            .op(sleep(300))
            .build(),
        config(),
    );
    assert!(r.ok || r.steps.iter().all(|s| s.error.is_none()), "{r:#?}");
    let t = &r.steps[1];
    // A write fault maps the page, or on ext4 with large folios the whole
    // folio (up to 2 MiB = 512 pages) at once: 256 stores 8 pages apart span
    // 2048 pages, so between 4 and 256 faults.
    let faults = t.measured.minor_faults.unwrap();
    assert!((4..=256).contains(&faults), "{:?}", t.measured);
    if r.environment.sources.pages == "cachestat" {
        assert!(t.measured.file_dirty_pages.unwrap() >= 256);
        assert_eq!(r.steps[2].measured.file_dirty_pages, Some(0));
    }
    let faulted = events.iter().any(|s| {
        s.mapping
            .as_ref()
            .is_some_and(|cells| cells.iter().filter(|c| **c == MapCell::Faulted).count() > 100)
    });
    assert!(faulted, "no sample saw the faulted pages (page {page})");
}

#[test]
fn random_pwrite_writes_every_byte_once() {
    let r = run(
        file(0)
            .op(pwrite(1 << 20, 4096, 4096, Pattern::Random))
            .build(),
        config(),
    );
    let s = &r.steps[0];
    assert_eq!(s.error, None);
    assert_eq!(s.measured.syscalls, Some(256));
    if s.measured.wchar.is_some() {
        assert_eq!(s.measured.wchar, Some(1 << 20));
    }
}

#[test]
fn sync_ops_clean_and_drop_cache_empties_the_cache() {
    let r = run(
        file(0)
            .op(write(1 << 20, 65536))
            .op(sync_file_range(true))
            .op(write(1 << 20, 65536))
            .op(Op::Fdatasync)
            .op(Op::DropCache)
            .build(),
        config(),
    );
    for s in &r.steps {
        assert_eq!(s.error, None, "step {}", s.index);
    }
    if r.environment.sources.pages == "cachestat" {
        assert_eq!(r.steps[1].measured.file_dirty_pages, Some(0));
        assert_eq!(r.steps[3].measured.file_dirty_pages, Some(0));
    }
    assert_eq!(r.steps[4].measured.syscalls, Some(2));
    assert_eq!(r.steps[4].measured.file_cached_pages, Some(0));
}

#[test]
fn o_direct_refuses_misaligned_writes_with_a_reason() {
    let r = run(
        file(0)
            .op(reopen(OpenFlags {
                direct: true,
                ..OpenFlags::default()
            }))
            .op(write(65536, 4096))
            .op(write(10000, 4096))
            .build(),
        config(),
    );
    assert_eq!(r.steps[0].measured.syscalls, Some(2), "open + close");
    let aligned = &r.steps[1];
    assert_eq!(aligned.error, None);
    // Direct I/O bypasses the page cache: nothing left dirty.
    if r.environment.sources.pages == "cachestat" {
        assert_eq!(aligned.measured.file_dirty_pages, Some(0));
    }
    let err = r.steps[2].error.as_deref().unwrap();
    // The chunk is aligned; the last call (10000 % 4096 = 1808 bytes) would
    // not be: refused up front with the reason, not a bare EINVAL.
    assert!(
        err.contains("multiples") && err.contains("alignment") && err.contains("bytes 10000"),
        "{err}"
    );
    assert_eq!(r.steps[2].measured.syscalls, None, "nothing was issued");
    assert!(!r.ok);
}

#[test]
fn o_direct_on_tmpfs_is_a_step_error_saying_so() {
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() {
        eprintln!("no /dev/shm: skipped");
        return;
    }
    let mut c = config();
    c.workdir_parent = Some(shm.to_path_buf());
    let r = run(
        file(0)
            .op(reopen(OpenFlags {
                direct: true,
                ..OpenFlags::default()
            }))
            .build(),
        c,
    );
    assert_eq!(r.environment.filesystem, "tmpfs");
    assert!(
        r.environment
            .sources
            .notes
            .iter()
            .any(|n| n.contains("never dirty"))
    );
    // tmpfs accepts O_DIRECT since Linux 6.6; older kernels refuse it with
    // EINVAL, which must come back as a step error that says so.
    if let Some(err) = r.steps[0].error.as_deref() {
        assert!(err.contains("refuses direct I/O"), "{err}");
    }
}

#[test]
fn send_four_ways() {
    let bytes = 1u64 << 20;
    let chunk = 65536;
    for via in [Via::ReadWrite, Via::MmapWrite, Via::Sendfile, Via::Splice] {
        let r = run(file(bytes).op(send(bytes, chunk, via)).build(), config());
        let s = &r.steps[0];
        assert_eq!(s.error, None, "{via:?}");
        let calls = s.measured.syscalls.unwrap();
        let cpu = iotour_core::outcome::value_of(Key::CpuCopies, &s.measured, &s.modeled).unwrap();
        if let (Some(rchar), Some(wchar)) = (s.measured.rchar, s.measured.wchar) {
            // What /proc/<tid>/io sees: read+write and sendfile count both
            // ways, writing from a mapping is no read, splice counts nothing.
            let expected = match via {
                Via::ReadWrite | Via::Sendfile => (bytes, bytes),
                Via::MmapWrite => (0, bytes),
                Via::Splice => (0, 0),
            };
            assert_eq!((rchar, wchar), expected, "{via:?}");
        }
        match via {
            Via::ReadWrite => {
                assert_eq!(calls, 32, "16 preads + 16 writes");
                assert_eq!(cpu, 2);
            }
            Via::MmapWrite => {
                assert_eq!(calls, 18, "mmap + 16 writes + munmap");
                assert_eq!(cpu, 1);
            }
            Via::Sendfile => {
                assert_eq!(calls, 16);
                assert_eq!(cpu, 0);
            }
            Via::Splice => {
                assert!(calls >= 32, "file→pipe and pipe→socket per chunk: {calls}");
                assert_eq!(cpu, 0);
            }
        }
    }
}

#[test]
fn an_empty_step_measures_nothing() {
    let r = run(plan(0, true, vec![step(Op::Note); 50]), config());
    for s in &r.steps {
        assert_eq!(s.measured.syscalls, Some(0), "step {}", s.index);
        assert_eq!(s.measured.minor_faults, Some(0), "step {}", s.index);
        if s.measured.rchar.is_some() {
            assert_eq!(s.measured.rchar, Some(0));
            assert_eq!(s.measured.wchar, Some(0));
        }
    }
}

#[test]
fn expectations_are_checked_and_unknown_fails() {
    let mut s = step(write(3000, 300));
    s.expect = vec![
        expect(Key::Syscalls, Rule::Eq(10)),
        expect(Key::CpuCopyBytes, Rule::Eq(3000)),
        expect(Key::Syscalls, Rule::Gt(10)),
    ];
    let r = run(file(0).then(s).build(), config());
    let e = &r.steps[0].expect;
    assert!(e[0].ok && e[1].ok, "{e:?}");
    assert!(!e[2].ok);
    assert!(!r.ok);
    let mut c = config();
    c.disabled = Disabled::parse("procio").unwrap();
    let mut s = step(write(3000, 300));
    s.expect = vec![expect(Key::Wchar, Rule::Ge(0))];
    let r = run(file(0).then(s).build(), c);
    assert_eq!(r.steps[0].expect[0].actual, None);
    assert!(
        !r.steps[0].expect[0].ok,
        "an unknown figure fails its expectation"
    );
}

#[test]
fn a_failed_step_stops_the_run() {
    // A write the filesystem's direct-I/O alignment refuses: the plan is
    // valid on every machine, this one refuses it when the step prepares.
    let direct = OpenFlags {
        direct: true,
        ..OpenFlags::default()
    };
    let r = run(
        file(0)
            .op(reopen(direct))
            .op(write(100, 100))
            .op(Op::Fsync)
            .build(),
        config(),
    );
    assert_eq!(r.steps.len(), 2, "the fsync never ran");
    assert_eq!(r.steps[0].error, None);
    let failed = &r.steps[1];
    assert!(
        failed.error.as_deref().unwrap().contains("O_DIRECT"),
        "{:?}",
        failed.error
    );
    // It never had a measurement window: unknown, not measured zeros.
    let m = &failed.measured;
    assert_eq!(failed.duration_ns, None);
    assert_eq!((m.syscalls, m.minor_faults, m.wchar), (None, None, None));
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["steps"][1]["duration_ns"].is_null());
    assert!(json["steps"][1]["measured"]["syscalls"].is_null());
    assert!(!r.ok);
}

#[test]
fn writes_past_eof_grow_the_file_and_the_page_map_follows() {
    let (r, samples) = run_with_events(
        file(4096)
            .op(write(4 << 20, 1 << 20))
            .op(sleep(200))
            .build(),
        config(),
    );
    assert_eq!(r.steps[0].error, None);
    let pages = samples
        .iter()
        .filter_map(|s| s.file.as_ref())
        .map(|m| m.pages)
        .max();
    assert_eq!(pages, Some(1024));
}

#[test]
fn abort_during_a_long_sleep_is_prompt_and_removes_the_workdir() {
    let (tx, rx) = std::sync::mpsc::channel::<Ev>();
    let engine =
        iotour_core::engine::start(file(0).op(sleep(60_000)).build(), config(), tx).unwrap();
    let dir = engine.workdir().unwrap().to_path_buf();
    wait_for(&rx, |e| {
        matches!(e, Ev::Exec(ExecEvent::StepStarted { .. }))
    });
    assert!(dir.exists());
    let t = Instant::now();
    engine.abort();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert!(!dir.exists());
}

#[test]
fn paused_engine_runs_exactly_one_slice_per_next_slice() {
    let (tx, rx) = std::sync::mpsc::channel::<Ev>();
    let mut c = config();
    c.start_paused = true;
    let engine =
        iotour_core::engine::start(file(0).op(write(100_000, 100)).build(), c, tx).unwrap();
    wait_for(&rx, |e| matches!(e, Ev::Exec(ExecEvent::Ready { .. })));
    let slices = |rx: &std::sync::mpsc::Receiver<Ev>| {
        let end = Instant::now() + Duration::from_millis(300);
        let mut n = 0;
        while let Ok(e) = rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
            if matches!(e, Ev::Exec(ExecEvent::Slice(_))) {
                n += 1;
            }
        }
        n
    };
    assert_eq!(slices(&rx), 0, "paused: nothing runs");
    engine.send(Command::NextSlice);
    assert_eq!(slices(&rx), 1);
    engine.send(Command::NextStep);
    // 1000 chunks in slices of 20: 49 left, then the step ends.
    assert_eq!(slices(&rx), 49);
    engine.send(Command::SetSpeed(Speed::Max));
    engine.abort();
}

#[test]
fn next_step_sent_on_each_step_done_runs_every_step() {
    // What predict mode does: paused, and a NextStep as soon as StepDone
    // arrives. The grant must never be cleared by the step that just ended.
    let (tx, rx) = std::sync::mpsc::channel::<Ev>();
    let mut c = config();
    c.start_paused = true;
    let n = 300;
    let engine = iotour_core::engine::start(
        plan(0, true, (0..n).map(|_| step(Op::Note)).collect()),
        c,
        tx,
    )
    .unwrap();
    wait_for(&rx, |e| matches!(e, Ev::Exec(ExecEvent::Ready { .. })));
    engine.send(Command::NextStep);
    let mut done = 0;
    // Samples keep arriving while the worker hangs: bound the whole run.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "the run hung after {done} steps: a NextStep grant was lost"
        );
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(Ev::Exec(ExecEvent::StepDone(_))) => {
                done += 1;
                engine.send(Command::NextStep);
            }
            Ok(Ev::Exec(ExecEvent::Finished(_))) => break,
            _ => {}
        }
    }
    assert_eq!(done, n);
}

#[test]
fn sizes_over_the_cap_are_refused_before_anything_is_written() {
    let (tx, _rx) = std::sync::mpsc::channel::<Ev>();
    let mut c = config();
    c.max_size = 1 << 20;
    let err = iotour_core::engine::start(
        file(0).op(write(2 << 20, 4096)).build(),
        c.clone(),
        tx.clone(),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("--max-size"), "{err}");
    let err = iotour_core::engine::start(file(0).op(anon_mmap(2 << 20)).build(), c, tx)
        .err()
        .unwrap();
    assert!(err.to_string().contains("anon_mmap"), "{err}");
}

#[test]
fn slices_add_up_to_their_step() {
    let (tx, rx) = std::sync::mpsc::channel::<Ev>();
    let engine =
        iotour_core::engine::start(file(0).op(write(100_000, 100)).build(), config(), tx).unwrap();
    let mut slices = Vec::new();
    let report = loop {
        match rx.recv_timeout(Duration::from_secs(60)).unwrap() {
            Ev::Exec(ExecEvent::Slice(s)) => slices.push(s),
            Ev::Exec(ExecEvent::StepDone(r)) => break r,
            _ => {}
        }
    };
    drop(engine);
    // 1000 chunks in slices of 1000/50 = 20.
    assert_eq!(slices.len(), 50);
    assert_eq!(slices.last().unwrap().done, 1000);
    assert!(slices.iter().all(|s| s.total == 1000));
    let sum = |f: fn(&iotour_core::outcome::Readings) -> Option<u64>| {
        slices.iter().map(|s| f(&s.measured).unwrap()).sum::<u64>()
    };
    assert_eq!(Some(sum(|m| m.syscalls)), report.measured.syscalls);
    assert_eq!(Some(sum(|m| m.minor_faults)), report.measured.minor_faults);
    assert_eq!(Some(sum(|m| m.duration_ns)), report.measured.duration_ns);
    assert_eq!(sum(|m| m.syscalls), 1000);
    // Each slice's copies are its own bytes.
    let copied: u64 = slices.iter().flat_map(|s| &s.copies).map(|c| c.bytes).sum();
    assert_eq!(copied, 100_000);
}

#[test]
fn pacing_spreads_a_step_over_the_target_time() {
    // At 8× a step aims at 3 s / 8 = 375 ms, however fast the work is.
    let mut c = config();
    c.speed = Speed::Eight;
    let t = Instant::now();
    let r = run(file(0).op(write(10_000, 1)).build(), c);
    let took = t.elapsed();
    assert_eq!(r.steps[0].measured.syscalls, Some(10_000));
    assert!(
        (Duration::from_millis(300)..Duration::from_millis(2500)).contains(&took),
        "{took:?}"
    );
    // The paced sleeps are outside the measured windows.
    assert!(
        r.steps[0].duration_ns.unwrap() < 300_000_000,
        "{:?}",
        r.steps[0].duration_ns
    );
}

#[test]
fn the_sampler_sees_dirty_cells_then_clean_ones() {
    use iotour_core::probe::pages::CellState;
    let (r, samples) = run_with_events(
        file(0)
            .op(write(8 << 20, 1 << 20))
            .op(sleep(200))
            .op(Op::Fsync)
            .op(sleep(200))
            .build(),
        config(),
    );
    if r.environment.sources.pages != "cachestat" {
        return;
    }
    let maps: Vec<_> = samples.iter().filter_map(|s| s.file.as_ref()).collect();
    assert!(maps.iter().any(|m| m.cells.contains(&CellState::Dirty)));
    let last = maps.last().unwrap();
    assert!(
        last.cells.iter().all(|c| *c == CellState::Clean),
        "{:?}",
        last.cells
    );
}

/// The VMA view's "page-table entries: N of M pages" is exact: ten private
/// stores (each copies one page, no fault-around) into a 256-page mapping
/// leave ten entries in /proc/self/pagemap, and /proc/self/maps says `rw-p`.
#[test]
fn the_sampled_vma_counts_exactly_the_pages_touched() {
    let page = iotour_core::probe::pages::page_size();
    let (r, samples) = run_with_events(
        file(256 * page)
            .then(map_whole_file().shared(false).write(true))
            .then(touch(10).stride(25).write(true))
            // Keep the mapping alive while the sampler looks.
            .op(sleep(300))
            .build(),
        config(),
    );
    assert!(r.steps.iter().all(|s| s.error.is_none()), "{r:#?}");
    let vmas: Vec<_> = samples.iter().filter_map(|s| s.vma.as_ref()).collect();
    let last = vmas.last().expect("no sample saw the mapping");
    assert_eq!((last.offset, last.len, last.pages), (0, 256 * page, 256));
    assert_eq!(last.present_pages, 10, "{last:?}");
    assert!(vmas.iter().all(|v| v.present_pages <= 10), "{vmas:?}");
    assert_eq!(last.perms, "rw-p");
    assert!(last.perms_measured);
}

#[test]
fn private_mapping_writes_copy_on_write_and_never_dirty_the_file() {
    let r = run(
        file(4 << 20)
            .then(map_file(4 << 20).shared(false).write(true))
            .then(touch(100).write(true))
            .build(),
        config(),
    );
    let t = &r.steps[1];
    assert_eq!(t.error, None);
    // Each first store copies its page: one fault per page, no fault-around.
    assert!(t.measured.minor_faults.unwrap() >= 100, "{:?}", t.measured);
    if r.environment.sources.pages == "cachestat" {
        assert_eq!(
            t.measured.file_dirty_pages,
            Some(0),
            "COW pages are anonymous"
        );
    }
    assert_eq!(
        iotour_core::outcome::value_of(Key::CpuCopyBytes, &t.measured, &t.modeled),
        Some(100 * iotour_core::probe::pages::page_size())
    );
}

#[test]
fn map_populate_faults_during_mmap_and_not_after() {
    let r = run(
        file(4 << 20)
            .then(map_file(4 << 20).populate(true))
            .then(touch(1024))
            .build(),
        config(),
    );
    // MAP_POPULATE's faults are counted by rusage during the mmap call.
    assert!(
        r.steps[0].measured.minor_faults.unwrap() >= 1,
        "{:?}",
        r.steps[0].measured
    );
    assert_eq!(r.steps[1].measured.minor_faults, Some(0));
}

#[test]
fn a_cold_file_mapping_takes_major_faults() {
    let r = run(
        file(4 << 20)
            .cold()
            .then(map_file(4 << 20))
            .then(touch(64).stride(16))
            .build(),
        config(),
    );
    let t = &r.steps[1];
    assert_eq!(t.error, None);
    assert!(t.measured.major_faults.unwrap() >= 1, "{:?}", t.measured);
    if let Some(rb) = t.measured.read_bytes {
        assert!(rb > 0, "{:?}", t.measured);
        assert!(
            iotour_core::outcome::value_of(Key::DmaCopyBytes, &t.measured, &t.modeled).unwrap() > 0
        );
    }
}

/// getrusage(RUSAGE_SELF)'s major faults: every thread of this process.
fn process_major_faults() -> u64 {
    // SAFETY: rusage is plain integers, for which all zeroes is valid.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given and has no other effect.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &raw mut u) };
    assert_eq!(rc, 0);
    u64::try_from(u.ru_majflt).unwrap()
}

#[test]
fn a_cold_mapping_read_reports_major_faults_apart_from_minor_ones() {
    // Cold: the touches of the first mapping wait for the disk. Warm (the
    // same pages, mapped again): not one does, though they still fault.
    let plan = file(4 << 20)
        .cold()
        .then(map_file(4 << 20))
        .then(touch(64).stride(16))
        .op(munmap(Target::File))
        .then(map_file(4 << 20))
        .then(touch(64).stride(16))
        .build();
    let (tx, rx) = std::sync::mpsc::channel::<Ev>();
    let before = process_major_faults();
    let engine = iotour_core::engine::start(plan, config(), tx).unwrap();
    let mut slices = Vec::new();
    let report = loop {
        match rx.recv_timeout(Duration::from_secs(60)).unwrap() {
            Ev::Exec(ExecEvent::Slice(s)) => slices.push(s),
            Ev::Exec(ExecEvent::Finished(r)) => break r,
            Ev::Exec(ExecEvent::Failed { error, .. }) => panic!("{error}"),
            _ => {}
        }
    };
    drop(engine);
    // The witness: the kernel's count for the whole process (other tests'
    // threads only add to it) is never below what the worker reported.
    let process = process_major_faults() - before;
    let (cold, warm) = (&report.steps[1].measured, &report.steps[4].measured);
    let major = cold.major_faults.unwrap();
    assert!(major >= 1, "{cold:?}");
    assert!(
        major <= 64,
        "at most one major fault per page touched: {cold:?}"
    );
    assert!(process >= major, "process {process} < worker {major}");
    assert_eq!(warm.major_faults, Some(0), "{warm:?}");
    assert!(warm.minor_faults.unwrap() >= 1, "{warm:?}");
    // touch's loads are user-mode accesses: its faults are all user-mode
    // ones, the major ones too (perf's counters, or modeled so).
    if let Some(user_major) = cold.user_major_faults {
        assert_eq!(user_major, major, "{cold:?}");
        assert_eq!(warm.user_major_faults, Some(0), "{warm:?}");
    }
    // Every slice carries both, and they add up to their step apart.
    let of_step = |i: usize, f: fn(&iotour_core::outcome::Readings) -> Option<u64>| {
        slices
            .iter()
            .filter(|s| s.step == i)
            .map(|s| f(&s.measured).expect("measured per slice"))
            .sum::<u64>()
    };
    assert_eq!(Some(of_step(2, |m| m.major_faults)), cold.major_faults);
    assert_eq!(Some(of_step(2, |m| m.minor_faults)), cold.minor_faults);
    assert_eq!(of_step(5, |m| m.major_faults), 0);
    assert_eq!(Some(of_step(5, |m| m.minor_faults)), warm.minor_faults);
}

#[test]
fn direct_reads_bypass_the_page_cache() {
    let r = run(
        file(1 << 20)
            .cold()
            .op(reopen(OpenFlags {
                direct: true,
                ..OpenFlags::default()
            }))
            .op(read(65536, 4096, 0))
            .build(),
        config(),
    );
    let s = &r.steps[1];
    assert_eq!(s.error, None);
    assert_eq!(s.measured.syscalls, Some(16));
    assert_eq!(
        s.measured.file_cached_pages,
        Some(0),
        "O_DIRECT caches nothing"
    );
    let c = &s.modeled.copies;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].to, iotour_core::model::Place::UserBuffer);
    assert_eq!(c[0].kind, iotour_core::model::CopyKind::Dma);
}

#[test]
fn append_and_sync_flags_change_where_and_how_writes_land() {
    let r = run(
        file(8192)
            .op(reopen(OpenFlags {
                append: true,
                sync: true,
                ..OpenFlags::default()
            }))
            .op(write(4096, 4096))
            .build(),
        config(),
    );
    let s = &r.steps[1];
    assert_eq!(s.error, None);
    if r.environment.sources.pages == "cachestat" {
        assert_eq!(
            s.measured.file_dirty_pages,
            Some(0),
            "O_SYNC leaves nothing dirty"
        );
    }
    assert_eq!(s.measured.file_cached_pages.map(|c| c >= 3), Some(true));
    assert!(iotour_core::outcome::value_of(Key::DmaCopies, &s.measured, &s.modeled).unwrap() == 1);
}

/// Fill the filesystem behind the engine's back, then let it write: ENOSPC
/// mid-step is a step error naming the call, and the syscalls counted up to
/// it agree between the tracepoint and the engine's own count.
#[test]
fn enospc_mid_step_is_a_step_error_with_an_exact_count() {
    let mut counts = Vec::new();
    for disabled in ["", "tracepoint"] {
        let Some(fs) = SmallFs::mount("2m") else {
            return;
        };
        let (tx, rx) = std::sync::mpsc::channel::<Ev>();
        let mut c = config();
        c.workdir_parent = Some(fs.path().to_path_buf());
        c.start_paused = true;
        c.disabled = Disabled::parse(disabled).unwrap();
        let engine =
            iotour_core::engine::start(file(0).op(write(1 << 20, 65536)).build(), c, tx).unwrap();
        wait_for(&rx, |e| matches!(e, Ev::Exec(ExecEvent::Ready { .. })));
        // 1.5 MiB of the 2 MiB gone: the 1 MiB write runs out after ~512 KiB.
        std::fs::write(fs.path().join("filler"), vec![1u8; 3 << 19]).unwrap();
        engine.send(Command::Resume);
        let Ev::Exec(ExecEvent::Finished(r)) =
            wait_for(&rx, |e| matches!(e, Ev::Exec(ExecEvent::Finished(_))))
        else {
            unreachable!()
        };
        drop(engine);
        let s = &r.steps[0];
        let err = s.error.as_deref().expect("ENOSPC");
        assert!(err.contains("No space left on device"), "{err}");
        assert!(
            err.contains("write(2) of 65536 bytes at file offset"),
            "{err}"
        );
        assert!(!r.ok);
        let calls = s.measured.syscalls.unwrap();
        assert!((2..16).contains(&calls), "{calls}");
        counts.push(calls);
        drop(fs);
    }
    assert_eq!(counts[0], counts[1], "tracepoint vs engine count");
}

#[test]
fn abort_during_a_big_prefill_is_prompt() {
    let (tx, _rx) = std::sync::mpsc::channel::<Ev>();
    let engine =
        iotour_core::engine::start(file(1 << 30).op(Op::Note).build(), config(), tx).unwrap();
    let dir = engine.workdir().unwrap().to_path_buf();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    engine.abort();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(!dir.exists());
}

#[test]
fn samples_arrive_on_their_own_clock() {
    let mut c = config();
    c.sample_hz = 50;
    let t = Instant::now();
    let (_, samples) = run_with_events(file(1 << 20).op(sleep(600)).build(), c);
    let secs = t.elapsed().as_secs_f64();
    let n = f64::from(u32::try_from(samples.len()).unwrap());
    // 50 Hz for the whole run, give or take scheduling on a busy machine.
    assert!(
        n >= 50.0 * secs * 0.5 && n <= 50.0 * secs * 1.5 + 2.0,
        "{n} samples in {secs:.2}s"
    );
    assert!(
        samples.windows(2).all(|w| w[0].at < w[1].at),
        "monotonic times"
    );
    assert!(
        samples
            .iter()
            .any(|s| s.file.as_ref().is_some_and(|m| m.pages == 256))
    );
    assert!(samples.iter().all(|s| s.system.dirty_kb.is_some()));
}

/// Issue 13: the tool's own waiting is not the lesson's. `sleep` is one
/// timed wait (not 50 polls); `wait_writeback` blocks the worker while
/// another thread watches the file, so its window shows one or two calls
/// and about one voluntary switch, not hundreds.
#[test]
fn sleep_and_wait_writeback_show_one_wait_not_the_tools_polling() {
    let r = run(
        file(0)
            .op(sleep(300))
            .op(write(8 << 20, 1 << 20))
            .op(sync_file_range(false))
            .op(wait_writeback(10_000))
            .build(),
        config(),
    );
    assert!(r.steps.iter().all(|s| s.error.is_none()), "{r:#?}");
    let sleep = &r.steps[0].measured;
    assert!(sleep.duration_ns.unwrap() >= 290_000_000, "{sleep:?}");
    assert!(sleep.syscalls.unwrap() <= 2, "sleep: {sleep:?}");
    assert!(
        (1..=2).contains(&sleep.voluntary_ctx_switches.unwrap()),
        "sleep: {sleep:?}"
    );
    let wait = &r.steps[3].measured;
    assert!(wait.syscalls.unwrap() <= 2, "wait_writeback: {wait:?}");
    assert!(
        wait.voluntary_ctx_switches.unwrap() <= 2,
        "wait_writeback: {wait:?}"
    );
    if r.environment.sources.pages == "cachestat" {
        assert_eq!(wait.file_dirty_pages, Some(0));
        assert_eq!(wait.file_writeback_pages, Some(0));
    }
}

/// Issue 14: the lecturer's `e` (`Command::EndWait`) ends a wait at once:
/// a 60 s wait_writeback on dirty pages, and a 60 s sleep, each end a
/// moment after the command, with their state as measured then, the
/// report saying when, and their expectations not judged (so the run
/// passes). Sent before a wait begins, it cuts nothing short.
#[test]
fn end_wait_ends_a_wait_early_and_the_report_says_so() {
    let dirty = expect(Key::FileDirtyPages, "== 0".parse().unwrap());
    let mut waits = step(wait_writeback(60_000));
    waits.expect = vec![dirty];
    let mut sleeps = step(sleep(60_000));
    sleeps.expect = vec![expect(Key::DurationNs, ">= 60000000000".parse().unwrap())];
    let plan = file(0)
        .op(write(8 << 20, 1 << 20))
        .then(waits)
        .then(sleeps)
        .op(sleep(200))
        .build();
    let (tx, rx) = std::sync::mpsc::channel::<Ev>();
    let engine = iotour_core::engine::start(plan, config(), tx).expect("start");
    // Too early: the write runs, no wait is in progress.
    engine.send(Command::EndWait);
    let mut ends = 0;
    let report = loop {
        match rx
            .recv_timeout(Duration::from_secs(30))
            .expect("engine went quiet")
        {
            Ev::Exec(ExecEvent::StepStarted { index: 2 | 3, .. }) => {
                std::thread::sleep(Duration::from_millis(300));
                engine.send(Command::EndWait);
                ends += 1;
            }
            Ev::Exec(ExecEvent::Finished(r)) => break r,
            Ev::Exec(ExecEvent::Failed { error, .. }) => panic!("run failed: {error}"),
            _ => {}
        }
    };
    drop(engine);
    assert_eq!(ends, 2);
    assert!(report.ok, "{report:#?}");
    for s in &report.steps[1..3] {
        let after = Duration::from_nanos(s.ended_early_ns.expect("ended early"));
        assert!(
            after >= Duration::from_millis(250) && after < Duration::from_secs(10),
            "step {}: ended after {after:?}",
            s.index
        );
        let took = Duration::from_nanos(s.duration_ns.unwrap());
        assert!(took < Duration::from_secs(10), "step {}: {took:?}", s.index);
        assert!(
            s.expect.iter().all(|v| v.not_judged && v.passes()),
            "{s:#?}"
        );
    }
    // The wait_writeback's pages were still dirty (nobody wrote them in
    // 300 ms): measured as they stood, and the rule did not hold.
    if report.environment.sources.pages == "cachestat" {
        assert!(report.steps[1].measured.file_dirty_pages.unwrap() > 0);
        assert!(!report.steps[1].expect[0].ok);
    }
    // The last sleep ran its course: the command before the first wait, and
    // the ones that ended the waits, did not carry over.
    let last = &report.steps[3];
    assert_eq!(last.ended_early_ns, None);
    assert!(last.duration_ns.unwrap() >= 190_000_000, "{last:?}");
}

/// Issue 13: a mode switch is an entry into the kernel. MAP_POPULATE's
/// faults happen inside mmap(2) and write(2)'s faults on a mapping inside
/// write(2): neither adds an entry. A touch's faults are taken in user mode:
/// each is one.
#[test]
fn mode_switches_count_entries_not_the_faults_inside_a_syscall() {
    let r = run(
        file(8 << 20)
            .cold()
            .then(map_whole_file().populate(true))
            .op(munmap(Target::File))
            .op(Op::DropCache)
            .op(send(8 << 20, 128 << 10, Via::MmapWrite))
            .then(map_whole_file())
            .then(touch(64).stride(32))
            .build(),
        config(),
    );
    assert!(r.steps.iter().all(|s| s.error.is_none()), "{r:#?}");
    let populate = &r.steps[0];
    let faults = |s: &iotour_core::outcome::StepOutcome| {
        s.measured.minor_faults.unwrap() + s.measured.major_faults.unwrap()
    };
    assert!(faults(populate) > 0, "{:?}", populate.measured);
    assert_eq!(
        populate.measured.user_faults,
        Some(0),
        "{:?}",
        populate.measured
    );
    assert_eq!(populate.modeled.mode_switches, populate.measured.syscalls);
    let send = &r.steps[3];
    assert!(faults(send) > 0, "{:?}", send.measured);
    assert_eq!(
        send.modeled.mode_switches, send.measured.syscalls,
        "{:?}",
        send.measured
    );
    let touch = &r.steps[5];
    assert_eq!(touch.measured.syscalls, Some(0));
    assert!(
        touch.measured.user_faults.unwrap() > 0,
        "{:?}",
        touch.measured
    );
    assert_eq!(touch.measured.user_faults, Some(faults(touch)));
    assert_eq!(touch.modeled.mode_switches, Some(faults(touch)));
    if r.environment.sources.user_faults == "perf" {
        assert_eq!(
            r.environment.sources.mode_switches_measured(),
            r.environment.sources.syscalls == "tracepoint"
        );
    }
}
