//! `write`, `buffered_write` and `pwrite`: user bytes into the page cache
//! (or, with `O_DIRECT`, straight to the device).

use std::num::NonZeroU64;

use super::super::walk::{Refusal, Walk};
use super::rwf::{RWF, Rwf, RwfFlag};
use super::{BYTES, CHUNK, Kind, OFFSET, Op, OpDef, Param, Spec};
use crate::model::{CopyKind, DataPath, Place, Work};

/// `write(2)` of `chunk` bytes until `bytes` are written, from one user buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    pub bytes: NonZeroU64,
    pub chunk: NonZeroU64,
    /// With flags, each call is a `pwritev2(2)` at the fd's position.
    pub rwf: Rwf,
}

/// Java's `BufferedOutputStream`: chunks gather in a user buffer of `buffer`
/// bytes, `write(2)` when it is full; a chunk ≥ buffer goes straight through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferedWrite {
    pub bytes: NonZeroU64,
    pub chunk: NonZeroU64,
    pub buffer: NonZeroU64,
}

/// Positioned writes starting at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pwrite {
    pub bytes: NonZeroU64,
    pub chunk: NonZeroU64,
    pub offset: u64,
    pub pattern: Pattern,
    /// With flags, each call is a `pwritev2(2)` at its offset.
    pub rwf: Rwf,
}

/// The order of `pwrite`'s chunks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::VariantNames, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Pattern {
    Sequential,
    /// A seeded, reproducible permutation of the chunk offsets.
    Random,
}

/// Java's `BufferedOutputStream` default, which the `buffered_write` lesson mirrors.
const DEFAULT_BUFFER: u64 = 8 * 1024;

const BUFFER: Param = Param {
    name: "buffer",
    kind: Kind::Size(Some(DEFAULT_BUFFER)),
    hint: "",
};

const PATTERN: Param = Param {
    name: "pattern",
    kind: Kind::Choice {
        words: <Pattern as strum::VariantNames>::VARIANTS,
        default: Some("sequential"),
    },
    hint: "",
};

pub(super) static WRITE: Spec = Spec {
    name: "write",
    params: &[BYTES, CHUNK, RWF],
    doc: "`write(2)` of `chunk` bytes until `bytes` are written, from one user buffer \
          (FileOutputStream.write). The last call may be shorter. `rwf` makes each call a \
          `pwritev2(2)` with those flags: `\"dontcache\"` (RWF_DONTCACHE, Linux 6.14; the step \
          is skipped where the kernel lacks it), `\"dsync\"`, `\"sync\"`, `\"hipri\"`, \
          `\"nowait\"`, `\"append\"`",
    parse: |a| {
        Ok(Op::Write(Write {
            bytes: a.nonzero(&BYTES)?,
            chunk: a.nonzero(&CHUNK)?,
            rwf: Rwf::of(&a.flags::<RwfFlag>(&RWF)?),
        }))
    },
};

pub(super) static BUFFERED_WRITE: Spec = Spec {
    name: "buffered_write",
    params: &[BYTES, CHUNK, BUFFER],
    doc: "what Java's BufferedOutputStream does: copy each `chunk` into a user-space buffer \
          of `buffer` bytes and `write(2)` only when it is full; a chunk ≥ buffer goes \
          straight through; flush at the end",
    parse: |a| {
        Ok(Op::BufferedWrite(BufferedWrite {
            bytes: a.nonzero(&BYTES)?,
            chunk: a.nonzero(&CHUNK)?,
            buffer: a.nonzero(&BUFFER)?,
        }))
    },
};

pub(super) static PWRITE: Spec = Spec {
    name: "pwrite",
    params: &[BYTES, CHUNK, OFFSET, PATTERN, RWF],
    doc: "positioned writes starting at `offset` (RandomAccessFile seek + write); \
          `pattern = \"random\"` writes the chunks in a seeded, reproducible random order; \
          `rwf` as for `write` (`pwritev2(2)` at each offset)",
    parse: |a| {
        Ok(Op::Pwrite(Pwrite {
            bytes: a.nonzero(&BYTES)?,
            chunk: a.nonzero(&CHUNK)?,
            offset: a.number(&OFFSET)?,
            pattern: a.choice(&PATTERN)?,
            rwf: Rwf::of(&a.flags::<RwfFlag>(&RWF)?),
        }))
    },
};

impl OpDef for Write {
    fn spec(&self) -> &'static Spec {
        &WRITE
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        w.buffer("chunk", self.chunk.get())?;
        if self.rwf.contains(RwfFlag::Append) {
            w.append(self.bytes.get(), true);
        } else {
            w.write(self.bytes.get());
        }
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        into_the_file(&with_rwf(work, self.rwf), path);
        super::rwf::notes(self.rwf, path);
    }
}

impl OpDef for BufferedWrite {
    fn spec(&self) -> &'static Spec {
        &BUFFERED_WRITE
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        w.buffer("chunk", self.chunk.get())?;
        w.buffer("buffer", self.buffer.get())?;
        w.write(self.bytes.get());
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        into_the_file(work, path);
        if work.user_copy_bytes > 0 {
            path.note(format!(
                "BufferedOutputStream also copied {} bytes from each chunk into its own byte[] \
                 buffer: a CPU copy inside user space (user_buffer → user_buffer), not listed",
                work.user_copy_bytes
            ));
        }
    }
}

impl OpDef for Pwrite {
    fn spec(&self) -> &'static Spec {
        &PWRITE
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        w.buffer("chunk", self.chunk.get())?;
        if self.rwf.contains(RwfFlag::Append) {
            w.append(self.bytes.get(), false);
        } else {
            w.pwrite(self.offset, self.bytes.get());
        }
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        into_the_file(&with_rwf(work, self.rwf), path);
        super::rwf::notes(self.rwf, path);
    }
}

/// `RWF_SYNC`/`RWF_DSYNC` make the call synchronous as the open flags would.
fn with_rwf(work: &Work, rwf: Rwf) -> Work {
    Work {
        synchronous: work.synchronous || rwf.synchronous(),
        ..*work
    }
}

/// Every write: one CPU copy into the page cache, or with `O_DIRECT` one DMA
/// from the user buffer; `O_SYNC/O_DSYNC` add the write-back DMA.
fn into_the_file(work: &Work, path: &mut DataPath) {
    use CopyKind::{Cpu, Dma};
    use Place::{Disk, PageCache, UserBuffer};
    if work.direct {
        path.push(UserBuffer, Disk, Dma, Some(work.bytes));
        path.note(
            "O_DIRECT: the device reads straight from the user buffer; the page cache is bypassed",
        );
    } else {
        path.push(UserBuffer, PageCache, Cpu, Some(work.bytes));
        if work.synchronous {
            path.push(PageCache, Disk, Dma, Some(work.synced_bytes));
            path.note(
                "O_SYNC/O_DSYNC (or RWF_SYNC/RWF_DSYNC): each call returns only after its blocks \
                 reached the disk: whole 4 KiB blocks, however few bytes changed, plus the \
                 filesystem's journal (not counted here)",
            );
        }
    }
}
