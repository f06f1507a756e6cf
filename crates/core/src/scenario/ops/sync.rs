//! `fsync`, `fdatasync`, `sync_file_range` and `drop_cache`: dirty pages of
//! the working file written back to the disk.

use super::{Kind, Needs, Op, OpDef, Param, Spec};
use crate::model::{CopyKind, DataPath, Place, Work};

/// `fsync(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fsync;

/// `fdatasync(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fdatasync;

/// Start writeback of the whole file; `wait` also waits for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncFileRange {
    pub wait: bool,
}

/// fsync, then `POSIX_FADV_DONTNEED` on the working file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropCache;

const WAIT: Param = Param {
    name: "wait",
    kind: Kind::Bool(false),
    hint: "",
};

pub(super) static FSYNC: Spec = Spec {
    name: "fsync",
    params: &[],
    doc: "`fsync(2)`: write dirty data and metadata, wait for the disk",
    parse: |_| Ok(Op::Fsync),
};

pub(super) static FDATASYNC: Spec = Spec {
    name: "fdatasync",
    params: &[],
    doc: "`fdatasync(2)`: as fsync, without metadata not needed to read the data",
    parse: |_| Ok(Op::Fdatasync),
};

pub(super) static SYNC_FILE_RANGE: Spec = Spec {
    name: "sync_file_range",
    params: &[WAIT],
    doc: "start writeback of the whole file without waiting; `wait = true` also waits",
    parse: |a| {
        Ok(Op::SyncFileRange(SyncFileRange {
            wait: a.boolean(&WAIT)?,
        }))
    },
};

pub(super) static DROP_CACHE: Spec = Spec {
    name: "drop_cache",
    params: &[],
    doc: "fsync, then `POSIX_FADV_DONTNEED`: the file's pages leave the page cache",
    parse: |_| Ok(Op::DropCache),
};

/// What every flush needs: the dirty pages before and after it.
const CLEANED: Needs = Needs {
    cleaned_pages: true,
    cache_growth: false,
};

impl OpDef for Fsync {
    fn spec(&self) -> &'static Spec {
        &FSYNC
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        written_back(work, path, false);
    }

    fn needs(&self) -> Needs {
        CLEANED
    }
}

impl OpDef for Fdatasync {
    fn spec(&self) -> &'static Spec {
        &FDATASYNC
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        written_back(work, path, false);
    }

    fn needs(&self) -> Needs {
        CLEANED
    }
}

impl OpDef for SyncFileRange {
    fn spec(&self) -> &'static Spec {
        &SYNC_FILE_RANGE
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        written_back(work, path, !self.wait);
    }

    fn needs(&self) -> Needs {
        CLEANED
    }
}

impl OpDef for DropCache {
    fn spec(&self) -> &'static Spec {
        &DROP_CACHE
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        written_back(work, path, false);
    }

    fn needs(&self) -> Needs {
        CLEANED
    }
}

/// A flush (these, and `msync`): the cleaned pages went to the disk by DMA.
/// `started_only`: the call returns once writeback is started.
pub(super) fn written_back(work: &Work, path: &mut DataPath, started_only: bool) {
    if work.flushed_bytes.is_none() {
        path.note("dirty pages unknown (no cachestat): the write-back DMA is not sized");
    }
    path.push(
        Place::PageCache,
        Place::Disk,
        CopyKind::Dma,
        work.flushed_bytes,
    );
    if started_only {
        path.note(
            "writeback was only started: DMA may still run after the call returns (pages \
             under writeback)",
        );
    }
}
