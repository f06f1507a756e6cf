//! `read`: a `read(2)` loop from `offset` into one user buffer.

use std::num::NonZeroU64;

use super::super::walk::{Refusal, Walk};
use super::{BYTES, CHUNK, Needs, OFFSET, Op, OpDef, Spec};
use crate::model::{CopyKind, DataPath, Place, Work};

/// `read(2)` of `chunk` bytes until `bytes` are read (or end of file), from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub bytes: NonZeroU64,
    pub chunk: NonZeroU64,
    pub offset: u64,
}

pub(super) static READ: Spec = Spec {
    name: "read",
    params: &[BYTES, CHUNK, OFFSET],
    doc: "`read(2)` loop of `chunk` bytes from `offset`",
    parse: |a| {
        Ok(Op::Read(Read {
            bytes: a.nonzero(&BYTES)?,
            chunk: a.nonzero(&CHUNK)?,
            offset: a.number(&OFFSET)?,
        }))
    },
};

impl OpDef for Read {
    fn spec(&self) -> &'static Spec {
        &READ
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        w.buffer("chunk", self.chunk.get())?;
        w.read(self.offset, self.bytes.get());
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        if work.direct {
            path.push(
                Place::Disk,
                Place::UserBuffer,
                CopyKind::Dma,
                Some(work.bytes),
            );
            path.note(
                "O_DIRECT: the device writes straight into the user buffer; the page cache is \
                 bypassed",
            );
        } else {
            path.disk_in(work);
            path.push(
                Place::PageCache,
                Place::UserBuffer,
                CopyKind::Cpu,
                Some(work.bytes),
            );
        }
    }

    fn needs(&self) -> Needs {
        Needs {
            cache_growth: true,
            ..Needs::default()
        }
    }
}
