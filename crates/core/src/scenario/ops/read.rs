//! `read`: a `read(2)` loop from `offset` into one user buffer.

use std::num::NonZeroU64;

use super::super::walk::{Refusal, Walk};
use super::rwf::{RWF, Rwf, RwfFlag};
use super::{BYTES, CHUNK, Needs, OFFSET, Op, OpDef, Spec};
use crate::model::{CopyKind, DataPath, Place, Work};

/// `read(2)` of `chunk` bytes until `bytes` are read (or end of file), from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub bytes: NonZeroU64,
    pub chunk: NonZeroU64,
    pub offset: u64,
    /// With flags, each call is a `preadv2(2)` at the fd's position.
    pub rwf: Rwf,
}

pub(super) static READ: Spec = Spec {
    name: "read",
    params: &[BYTES, CHUNK, OFFSET, RWF],
    doc: "`read(2)` loop of `chunk` bytes from `offset`; `rwf` makes each call a `preadv2(2)` \
          with those flags (as for `write`; `\"nowait\"` fails with EAGAIN on data not cached)",
    parse: |a| {
        Ok(Op::Read(Read {
            bytes: a.nonzero(&BYTES)?,
            chunk: a.nonzero(&CHUNK)?,
            offset: a.number(&OFFSET)?,
            rwf: Rwf::of(&a.flags::<RwfFlag>(&RWF)?),
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
        super::rwf::notes(self.rwf, path);
    }

    fn needs(&self) -> Needs {
        Needs {
            cache_growth: true,
            ..Needs::default()
        }
    }
}
