//! Issue 13: the modeled figures are true on a kernel with large folios.
//! Each test fails on the model that multiplied dirty folios by the page
//! size or counted O_DSYNC's bytes as its DMA.

use iotour_core::model::CopyKind;
use iotour_core::outcome::{RunOutcome, StepOutcome};
use iotour_core::scenario::{Op, OpenFlags, Pattern};

use crate::support::engine::*;

fn dma(s: &StepOutcome) -> Option<u64> {
    s.modeled.copy_totals(CopyKind::Dma).map(|t| t.1)
}

fn cachestat(r: &RunOutcome) -> bool {
    r.environment.sources.pages == "cachestat"
}

/// Four 1-byte pwrites into four 1 MiB folios, then fsync: the device gets
/// the four dirty 4 KiB blocks (20,480 B of bios with the journal, measured),
/// not the 4 MiB of folios cachestat calls dirty.
#[test]
fn write_back_of_bytes_written_is_their_blocks_not_their_folios() {
    let mut b = file(4 << 20);
    for i in 0..4 {
        b = b.op(pwrite(1, 1, i << 20, Pattern::Sequential));
    }
    let r = run(b.op(sleep(100)).op(Op::Fsync).build(), config());
    assert!(r.steps.iter().all(|s| s.error.is_none()), "{r:#?}");
    if !cachestat(&r) {
        return;
    }
    let fsync = &r.steps[5];
    assert_eq!(dma(fsync), Some(4 * 4096), "{:?}", fsync.modeled);
    assert!(r.steps[3].measured.file_dirty_pages.unwrap() >= 4);
    // As root the block layer is the witness: exactly those four blocks.
    if let Some(disk) = fsync.measured.disk_write_bytes {
        assert_eq!(disk, 4 * 4096, "{:?}", fsync.measured);
        assert!(fsync.measured.journal_write_bytes.is_some());
    }
}

/// What a power cut would lose is the 4 bytes changed, not the folios.
#[test]
fn not_yet_durable_is_the_bytes_changed_clamped_by_the_dirty_pages() {
    let mut b = file(4 << 20);
    for i in 0..4 {
        b = b.op(pwrite(1, 1, i << 20, Pattern::Sequential));
    }
    let (r, samples) = run_with_events(
        b.op(sleep(300)).op(Op::Fsync).op(sleep(200)).build(),
        config(),
    );
    if !cachestat(&r) {
        return;
    }
    let seen: Vec<u64> = samples.iter().filter_map(|s| s.not_durable_bytes).collect();
    assert!(seen.contains(&4), "{seen:?}");
    assert!(seen.iter().all(|&n| n <= 4), "{seen:?}");
    assert_eq!(seen.last(), Some(&0), "{seen:?}");
}

/// 50 O_DSYNC writes of 100 B: each call writes its whole block(s), so the
/// modeled DMA is 50-odd blocks (the device got 413,696 B with the journal),
/// never the 5,000 bytes passed to write(2).
#[test]
fn o_dsync_dma_is_whole_blocks_per_call() {
    let r = run(
        file(0)
            .op(reopen(OpenFlags {
                dsync: true,
                ..OpenFlags::default()
            }))
            .op(write(5000, 100))
            .build(),
        config(),
    );
    assert!(r.steps.iter().all(|s| s.error.is_none()), "{r:#?}");
    let w = &r.steps[1];
    let bytes = dma(w).unwrap();
    // 50 calls; the ones that cross a 4 KiB boundary write two blocks.
    assert_eq!(bytes, 51 * 4096, "{:?}", w.modeled);
    if let Some(disk) = w.measured.disk_write_bytes {
        assert_eq!(disk, bytes, "{:?}", w.measured);
        // Every O_DSYNC write also commits what it changed in the inode.
        assert!(
            w.measured.journal_write_bytes.unwrap() > 0,
            "{:?}",
            w.measured
        );
    }
    assert!(
        w.modeled.notes.iter().any(|n| n.contains("journal")),
        "{:?}",
        w.modeled.notes
    );
}

/// Stores through a mapping dirty whole folios and msync writes them whole;
/// MS_ASYNC starts nothing, and its note says so.
#[test]
fn mapped_stores_write_whole_folios_and_ms_async_starts_nothing() {
    let r = run(
        file(8 << 20)
            .then(map_whole_file().write(true))
            .then(touch(16).stride(128).write(true))
            .op(msync(true))
            .op(msync(false))
            .build(),
        config(),
    );
    assert!(r.steps.iter().all(|s| s.error.is_none()), "{r:#?}");
    if !cachestat(&r) {
        return;
    }
    let dirty = r.steps[1].measured.file_dirty_pages.unwrap();
    let ms_async = &r.steps[2];
    assert!(
        ms_async
            .modeled
            .notes
            .iter()
            .any(|n| n.contains("MS_ASYNC starts no writeback")),
        "{:?}",
        ms_async.modeled.notes
    );
    assert!(
        !ms_async
            .modeled
            .notes
            .iter()
            .any(|n| n.contains("was only started")),
        "{:?}",
        ms_async.modeled.notes
    );
    let ms_sync = &r.steps[3];
    // Every dirty page (whole folios) goes; at least the 16 stored pages.
    assert!(dma(ms_sync).unwrap() >= 16 * 4096, "{:?}", ms_sync.modeled);
    assert_eq!(dma(ms_sync), Some(dirty * 4096), "{:?}", ms_sync.modeled);
    if let Some(disk) = ms_sync.measured.disk_write_bytes {
        assert_eq!(Some(disk), dma(ms_sync), "{:?}", ms_sync.measured);
    }
}

/// sync_file_range submits the writeback: its DMA is shown there, and the
/// wait that follows does not credit the flusher threads with it.
#[test]
fn sync_file_range_owns_the_writeback_it_submitted() {
    let r = run(
        file(0)
            .op(write(8 << 20, 1 << 20))
            .op(sync_file_range(false))
            .op(wait_writeback(10_000))
            .build(),
        config(),
    );
    assert!(r.steps.iter().all(|s| s.error.is_none()), "{r:#?}");
    if !cachestat(&r) {
        return;
    }
    let (sfr, wait) = (&r.steps[1], &r.steps[2]);
    assert_eq!(dma(sfr), Some(8 << 20), "{:?}", sfr.modeled);
    if let Some(disk) = sfr.measured.disk_write_bytes {
        // Queued by the call itself, as the model says; none by the wait.
        assert_eq!(disk, 8 << 20, "{:?}", sfr.measured);
        assert_eq!(
            wait.measured.disk_write_bytes,
            Some(0),
            "{:?}",
            wait.measured
        );
    }
    assert_eq!(dma(wait), Some(0), "{:?}", wait.modeled);
    assert!(
        !wait.modeled.notes.iter().any(|n| n.contains("flusher")),
        "{:?}",
        wait.modeled.notes
    );
}
