//! The ops of the modern kernel against the real kernel: `rwf` flags
//! (pwritev2/preadv2), and the step-level SKIP when a feature is missing
//! (forced off with `IOTOUR_DISABLE`, as a kernel without it would be).

use crate::support::engine as common;

use common::*;
use iotour_core::model::Place;
use iotour_core::outcome::Skip;
use iotour_core::probe::Disabled;
use iotour_core::scenario::{
    Advice, CopyFileRange, Madvise, Op, Pattern, Pwrite, Read, Rwf, RwfFlag, Uring, UringRead,
    UringWrite, Write, nonzero,
};

const MIB: u64 = 1 << 20;

fn pwrite_rwf(bytes: u64, chunk: u64, flags: &[RwfFlag]) -> Op {
    Op::Pwrite(Pwrite {
        bytes: nonzero(bytes),
        chunk: nonzero(chunk),
        offset: 0,
        pattern: Pattern::Sequential,
        rwf: Rwf::of(flags),
    })
}

/// Whether the kernel takes RWF_DONTCACHE here (6.14+, and the filesystem).
fn dontcache_works(r: &iotour_core::outcome::RunOutcome) -> bool {
    r.skipped().is_none()
}

#[test]
fn dontcache_writes_into_uncached_pages_leave_few_cached_after_writeback() {
    let plan = file(0)
        .op(pwrite_rwf(8 * MIB, MIB, &[RwfFlag::Dontcache]))
        .op(Op::Fsync)
        .build();
    let r = run(plan, config());
    if !dontcache_works(&r) {
        let (i, why) = r.skipped().unwrap();
        assert_eq!(i, 1);
        assert!(why.to_string().contains("6.14"), "{why}");
        return;
    }
    assert!(r.ok, "{:?}", r.steps);
    let w = &r.steps[0];
    assert_eq!(w.error, None);
    // One pwritev2 per chunk.
    if r.environment.sources.syscalls == "tracepoint" {
        assert_eq!(w.measured.syscalls, Some(8));
    }
    if r.environment.sources.io == "procfs" {
        assert_eq!(w.measured.wchar, Some(8 * MIB));
    }
    let cached = r.steps[1].measured.file_cached_pages.unwrap();
    assert!(cached <= 2048 / 8, "{cached} of 2048 pages still cached");
    assert!(
        w.modeled.notes.iter().any(|n| n.contains("RWF_DONTCACHE")),
        "{:?}",
        w.modeled.notes
    );
}

#[test]
fn plain_writes_and_dontcache_over_cached_pages_leave_them_cached() {
    // The contrast: the same pwrite without the flag keeps every page, and
    // the flag drops only what its own I/O brought in.
    let plain = run(
        file(8 * MIB)
            .cold()
            .op(pwrite_rwf(8 * MIB, MIB, &[]))
            .op(Op::Fsync)
            .build(),
        config(),
    );
    assert!(plain.ok);
    assert_eq!(plain.steps[1].measured.file_cached_pages, Some(2048));
    let over = run(
        file(8 * MIB)
            .op(pwrite_rwf(8 * MIB, MIB, &[RwfFlag::Dontcache]))
            .op(Op::Fsync)
            .build(),
        config(),
    );
    if !dontcache_works(&over) {
        return;
    }
    let cached = over.steps[1].measured.file_cached_pages.unwrap();
    assert!(cached >= 2048 * 7 / 8, "only {cached} of 2048 stayed");
}

#[test]
fn rwf_dsync_writes_leave_nothing_dirty_and_the_model_says_dma() {
    let op = Op::Write(Write {
        bytes: nonzero(64 * 1024),
        chunk: nonzero(4096),
        rwf: Rwf::of(&[RwfFlag::Dsync]),
    });
    let r = run(file(0).op(op).build(), config());
    assert!(r.ok, "{:?}", r.steps[0].error);
    let s = &r.steps[0];
    if r.environment.sources.pages == "cachestat" {
        assert_eq!(s.measured.file_dirty_pages, Some(0));
    }
    let dma = iotour_core::outcome::value_of(
        iotour_core::scenario::Key::DmaCopyBytes,
        &s.measured,
        &s.modeled,
    );
    assert_eq!(dma, Some(64 * 1024));
}

#[test]
fn rwf_nowait_reads_cached_data_and_says_eagain_otherwise() {
    let op = Op::Read(Read {
        bytes: nonzero(MIB),
        chunk: nonzero(64 * 1024),
        offset: 0,
        rwf: Rwf::of(&[RwfFlag::Nowait]),
    });
    let r = run(file(MIB).cold().op(op).build(), config());
    // Usually EAGAIN at once; a folio the eviction could not drop may let
    // the first calls through, so only the message is asserted.
    if let Some(e) = r.steps[0].error.as_deref() {
        assert!(e.contains("EAGAIN") && e.contains("RWF_NOWAIT"), "{e:?}");
    }
    // Cached, the same read goes through.
    let op = Op::Read(Read {
        bytes: nonzero(MIB),
        chunk: nonzero(64 * 1024),
        offset: 0,
        rwf: Rwf::of(&[RwfFlag::Nowait]),
    });
    let r = run(file(MIB).op(op).build(), config());
    assert!(r.ok, "{:?}", r.steps[0].error);
    if r.environment.sources.io == "procfs" {
        assert_eq!(r.steps[0].measured.rchar, Some(MIB));
    }
}

#[test]
fn a_feature_switched_off_skips_the_step_and_ends_the_run_without_failing() {
    let mut c = config();
    c.disabled = Disabled::parse("dontcache").unwrap();
    let plan = file(MIB)
        .op(write(4096, 4096))
        .op(pwrite_rwf(MIB, MIB, &[RwfFlag::Dontcache]))
        .op(Op::Fsync)
        .build();
    let r = run(plan, c);
    // The first step ran; the second was skipped; the third never ran.
    assert_eq!(r.steps.len(), 2, "{:?}", r.steps);
    assert_eq!(r.steps[0].skipped, None);
    let s = &r.steps[1];
    assert_eq!(s.error, None);
    assert!(s.expect.is_empty());
    match &s.skipped {
        Some(Skip::KernelFeature { since, detail, .. }) => {
            assert_eq!(since, "6.14");
            assert!(detail.contains("IOTOUR_DISABLE=dontcache"), "{detail}");
        }
        other => panic!("not skipped for a kernel feature: {other:?}"),
    }
    assert!(r.ok, "a skip is not a failure");
    assert_eq!(r.skipped().map(|(i, _)| i), Some(2));
    // Nothing was written by the skipped step: the file holds its prefill.
    assert_eq!(
        s.measured.wchar, None,
        "a step that never ran measured nothing"
    );
}

fn madvise(advice: Advice) -> Op {
    Op::Madvise(Madvise {
        advice,
        bytes: None,
    })
}

#[test]
fn populate_read_of_a_cold_mapping_leaves_nothing_to_fault() {
    let r = run(
        file(8 * MIB)
            .cold()
            .then(map_file(8 * MIB))
            .op(madvise(Advice::PopulateRead))
            .then(touch(2048))
            .build(),
        config(),
    );
    assert!(r.ok, "{:?}", r.steps);
    let populate = &r.steps[1];
    assert_eq!(populate.measured.syscalls, Some(1));
    assert!(populate.measured.file_cached_pages.unwrap() >= 2048);
    if r.environment.sources.io == "procfs" {
        assert!(populate.measured.read_bytes.unwrap() >= 8 * MIB);
    }
    let t = &r.steps[2];
    assert_eq!(t.measured.minor_faults, Some(0));
    assert_eq!(t.measured.major_faults, Some(0));
}

#[test]
fn populate_write_on_a_shared_mapping_dirties_every_page_without_a_write() {
    let r = run(
        file(8 * MIB)
            .then(map_file(8 * MIB).write(true))
            .op(madvise(Advice::PopulateWrite))
            .build(),
        config(),
    );
    assert!(r.ok, "{:?}", r.steps);
    let s = &r.steps[1];
    if r.environment.sources.pages == "cachestat" {
        assert!(s.measured.file_dirty_pages.unwrap() >= 2048);
    }
    if r.environment.sources.io == "procfs" {
        assert_eq!(s.measured.wchar, Some(0));
    }
}

#[test]
fn pageout_evicts_and_willneed_reads_back_and_dontneed_keeps_the_cache() {
    let r = run(
        file(4 * MIB)
            .then(map_file(4 * MIB))
            .then(touch(1024))
            .op(madvise(Advice::Pageout))
            .op(madvise(Advice::Willneed))
            .then(touch(1024))
            .op(madvise(Advice::Dontneed))
            .build(),
        config(),
    );
    assert!(r.ok, "{:?}", r.steps);
    let cached = |i: usize| r.steps[i].measured.file_cached_pages.unwrap();
    // PAGEOUT reclaims the pages our page tables map.
    assert!(cached(2) <= 1024 / 8, "{}", cached(2));
    // WILLNEED reads them back in.
    assert!(cached(3) >= 1024 * 7 / 8, "{}", cached(3));
    // DONTNEED drops our page tables only: the pages stay cached.
    assert!(cached(5) >= 1024 * 7 / 8, "{}", cached(5));
}

#[test]
fn populate_switched_off_skips_naming_5_14() {
    let mut c = config();
    c.disabled = Disabled::parse("populate").unwrap();
    let r = run(
        file(MIB)
            .then(map_file(MIB))
            .op(madvise(Advice::PopulateRead))
            .build(),
        c,
    );
    assert!(r.ok);
    let (i, why) = r.skipped().expect("skipped");
    assert_eq!(i, 2);
    assert!(
        why.to_string()
            .starts_with("MADV_POPULATE_READ came with Linux 5.14"),
        "{why}"
    );
}

fn copy_range(bytes: u64, reflink: bool) -> Op {
    Op::CopyFileRange(CopyFileRange {
        bytes: nonzero(bytes),
        reflink,
    })
}

#[test]
fn copy_file_range_is_one_call_counted_in_rchar_and_wchar() {
    let r = run(
        file(8 * MIB).cold().op(copy_range(8 * MIB, false)).build(),
        config(),
    );
    assert!(r.ok, "{:?}", r.steps);
    let s = &r.steps[0];
    if r.environment.sources.syscalls == "tracepoint" {
        assert_eq!(s.measured.syscalls, Some(1));
    }
    if r.environment.sources.io == "procfs" {
        assert_eq!(s.measured.rchar, Some(8 * MIB));
        assert_eq!(s.measured.wchar, Some(8 * MIB));
        // The source was cold: the disk read it into the page cache.
        assert!(s.measured.read_bytes.unwrap() >= 8 * MIB);
    }
    // No user buffer: the one CPU copy is the kernel's, cache to cache.
    assert!(
        s.modeled
            .copies
            .iter()
            .all(|c| c.from != Place::UserBuffer && c.to != Place::UserBuffer),
        "{:?}",
        s.modeled.copies
    );
}

#[test]
fn reflink_shares_blocks_or_says_why_not() {
    let r = run(file(MIB).op(copy_range(MIB, true)).build(), config());
    assert!(r.ok, "{:?}", r.steps);
    let s = &r.steps[0];
    assert_eq!(s.measured.syscalls, Some(1));
    if r.environment.sources.io == "procfs" {
        assert_eq!(s.measured.wchar, Some(0));
    }
    let notes = s.modeled.notes.join(" ");
    if r.environment.filesystem == "ext4" {
        assert!(notes.contains("EOPNOTSUPP"), "{notes}");
    } else {
        assert!(
            notes.contains("EOPNOTSUPP") || notes.contains("shares"),
            "{notes}"
        );
    }
}

#[test]
fn copying_more_than_the_file_holds_is_refused_by_the_plan() {
    let meta = iotour_core::scenario::Meta {
        title: iotour_core::scenario::Text::en("t"),
        summary: iotour_core::scenario::Text::en("t"),
        tags: vec![],
        java: None,
        lesson: None,
    };
    let e = iotour_core::scenario::Plan::new(
        "t",
        iotour_core::scenario::Origin::Builtin,
        meta,
        iotour_core::scenario::FileSetup {
            size: 4096,
            cached: true,
        },
        vec![step(copy_range(8192, false))],
    )
    .unwrap_err();
    assert!(e.to_string().contains("which has 4096 bytes then"), "{e}");
}

fn uring(bytes: u64, chunk: u64, offset: u64, depth: u64, sqpoll: bool, fixed: bool) -> Uring {
    Uring {
        bytes: nonzero(bytes),
        chunk: nonzero(chunk),
        offset,
        depth: nonzero(depth),
        sqpoll,
        fixed,
    }
}

#[test]
fn four_mib_through_io_uring_at_depth_16_takes_at_most_a_dozen_syscalls() {
    let r = run(
        file(0)
            .op(Op::UringWrite(UringWrite(uring(
                4 * MIB,
                64 * 1024,
                0,
                16,
                false,
                false,
            ))))
            .op(Op::UringRead(UringRead(uring(
                4 * MIB,
                64 * 1024,
                0,
                16,
                false,
                true,
            ))))
            .build(),
        config(),
    );
    if let Some((_, why)) = r.skipped() {
        assert!(why.to_string().contains("io_uring"), "{why}");
        return;
    }
    assert!(r.ok, "{:?}", r.steps);
    let (w, rd) = (&r.steps[0], &r.steps[1]);
    if r.environment.sources.syscalls == "tracepoint" {
        let n = w.measured.syscalls.unwrap();
        assert!(n <= 12, "{n} syscalls");
        assert!(rd.measured.syscalls.unwrap() <= 12);
    }
    // 64 requests of 64 KiB, all completed, the bytes in the model.
    assert!(
        w.modeled
            .notes
            .iter()
            .any(|n| n.contains("64 submissions, 64 completions")),
        "{:?}",
        w.modeled.notes
    );
    let cpu = iotour_core::outcome::value_of(
        iotour_core::scenario::Key::CpuCopyBytes,
        &w.measured,
        &w.modeled,
    );
    assert_eq!(cpu, Some(4 * MIB));
    assert!(w.measured.file_cached_pages.unwrap() >= 1024);
    // The kernel threads were read (io-wq workers may or may not have run).
    assert!(w.measured.kernel_thread_ctx_switches.is_some());
    // io_uring's requests are not in /proc's byte counters.
    if r.environment.sources.io == "procfs" {
        assert_eq!(w.measured.wchar, Some(0));
        assert_eq!(rd.measured.rchar, Some(0));
    }
}

#[test]
fn sqpoll_submits_without_syscalls_and_its_thread_is_counted() {
    let r = run(
        file(0)
            .op(Op::UringWrite(UringWrite(uring(
                MIB, 4096, 0, 16, true, false,
            ))))
            .build(),
        config(),
    );
    if r.skipped().is_some() {
        return;
    }
    assert!(r.ok, "{:?}", r.steps);
    let s = &r.steps[0];
    if r.environment.sources.syscalls == "tracepoint" {
        // 16 batches; a syscall only to wake the poller or after a long
        // spin: fewer than the one per batch that batching alone needs.
        assert!(
            s.measured.syscalls.unwrap() < 16,
            "{:?}",
            s.measured.syscalls
        );
    }
    // The SQPOLL thread itself is a task of ours and was running.
    assert!(s.measured.kernel_thread_ctx_switches.unwrap() >= 1);
}

#[test]
fn io_uring_switched_off_skips_naming_5_1() {
    let mut c = config();
    c.disabled = Disabled::parse("io_uring").unwrap();
    let r = run(
        file(0)
            .op(Op::UringWrite(UringWrite(uring(
                MIB, MIB, 0, 1, false, false,
            ))))
            .build(),
        c,
    );
    assert!(r.ok);
    let (i, why) = r.skipped().expect("skipped");
    assert_eq!(i, 1);
    assert!(
        why.to_string().starts_with("io_uring came with Linux 5.1"),
        "{why}"
    );
}

#[test]
fn pageout_leaves_shadow_entries_that_come_back_as_refaults_and_dontneed_leaves_none() {
    let r = run(
        file(4 * MIB)
            .then(map_file(4 * MIB))
            .then(touch(1024))
            .op(madvise(Advice::Pageout))
            .op(read(4 * MIB, MIB, 0))
            .op(Op::DropCache)
            .build(),
        config(),
    );
    assert!(r.ok, "{:?}", r.steps);
    if r.environment.sources.pages != "cachestat" {
        assert_eq!(r.steps[2].measured.file_evicted_pages, None);
        return;
    }
    let m = |i: usize| r.steps[i].measured;
    assert!(
        m(2).file_evicted_pages.unwrap() >= 1024 * 7 / 8,
        "{:?}",
        m(2)
    );
    assert!(m(2).file_recently_evicted_pages.unwrap() >= 1024 * 7 / 8);
    // Read back: each shadow entry found is a refault (system-wide count).
    assert!(
        m(3).workingset_refaults.unwrap() >= 1024 * 7 / 8,
        "{:?}",
        m(3)
    );
    assert!(m(3).file_evicted_pages.unwrap() <= 1024 / 8);
    // Invalidation forgets: no shadow entry.
    assert_eq!(m(4).file_cached_pages, Some(0));
    assert_eq!(m(4).file_evicted_pages, Some(0));
}

#[test]
fn a_direct_writer_stalls_on_io_and_psi_counts_it() {
    let r = run(
        file(0)
            .op(reopen(iotour_core::scenario::OpenFlags {
                direct: true,
                ..Default::default()
            }))
            .op(pwrite(64 * MIB, 8 * MIB, 0, Pattern::Sequential))
            .op(sleep(10))
            .build(),
        config(),
    );
    assert!(r.ok, "{:?}", r.steps);
    let w = &r.steps[1];
    if iotour_core::stats::pressure::read().is_err() {
        assert_eq!(w.measured.io_pressure_some_us, None);
        return;
    }
    // The writer slept in io_schedule for most of its 8 calls: at least a
    // quarter of the step was a stall, whatever else the machine does.
    let some = w.measured.io_pressure_some_us.unwrap();
    let ns = w.measured.duration_ns.unwrap();
    assert!(some * 1000 >= ns / 4, "some {some} µs in {ns} ns");
    assert!(w.measured.voluntary_ctx_switches.unwrap() >= 4);
    // A step that does no I/O still reads the (system-wide) figures.
    assert!(r.steps[2].measured.io_pressure_some_us.is_some());
}

#[test]
fn the_copy_counts_in_the_disk_the_plan_needs() {
    let p = file(4 * MIB).op(copy_range(3 * MIB, false)).build();
    assert_eq!(p.footprint().file_bytes, 7 * MIB);
}
