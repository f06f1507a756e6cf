//! `uring_write` and `uring_read`: the same positioned writes and reads as
//! `pwrite` and `read`, through an io_uring (Linux 5.1): up to `depth`
//! requests queued in shared memory, handed to the kernel by one
//! `io_uring_enter(2)` per batch, or with `sqpoll` picked up by a kernel
//! thread without any syscall.

use std::num::NonZeroU64;

use super::super::walk::{Refusal, Walk};
use super::{BYTES, CHUNK, Kind, Needs, OFFSET, Op, OpDef, Param, Spec};
use crate::model::{CopyKind, DataPath, Place, Work};

/// `bytes` in `chunk`-sized requests from `offset`, `depth` in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uring {
    pub bytes: NonZeroU64,
    pub chunk: NonZeroU64,
    pub offset: u64,
    /// Submission queue entries (requests in flight at most).
    pub depth: NonZeroU64,
    /// `IORING_SETUP_SQPOLL`: a kernel thread polls the submission queue.
    pub sqpoll: bool,
    /// Registered buffers (`IORING_OP_WRITE_FIXED`/`READ_FIXED`).
    pub fixed: bool,
}

/// The most requests in flight a step may ask for (the kernel allows 32768;
/// each has its own `chunk`-sized buffer).
pub const MAX_DEPTH: u64 = 4096;

const DEPTH: Param = Param {
    name: "depth",
    kind: Kind::Count(Some(16)),
    hint: "",
};
const SQPOLL: Param = Param {
    name: "sqpoll",
    kind: Kind::Bool(false),
    hint: "",
};
const FIXED: Param = Param {
    name: "fixed",
    kind: Kind::Bool(false),
    hint: "",
};

fn parse(a: &super::args::Args<'_>) -> Result<Uring, crate::scenario::ScenarioError> {
    Ok(Uring {
        bytes: a.nonzero(&BYTES)?,
        chunk: a.nonzero(&CHUNK)?,
        offset: a.number(&OFFSET)?,
        depth: a.nonzero(&DEPTH)?,
        sqpoll: a.boolean(&SQPOLL)?,
        fixed: a.boolean(&FIXED)?,
    })
}

pub(super) static URING_WRITE: Spec = Spec {
    name: "uring_write",
    params: &[BYTES, CHUNK, OFFSET, DEPTH, SQPOLL, FIXED],
    doc: "write `bytes` from `offset` in `chunk`-sized requests through an io_uring (Linux \
          5.1) with `depth` requests in flight: one `io_uring_enter(2)` submits a batch and \
          waits for it; `sqpoll = true` lets a kernel thread take the requests with no \
          syscall; `fixed = true` uses registered buffers. The step is skipped where the \
          kernel has no io_uring (or it is disabled)",
    parse: |a| Ok(Op::UringWrite(UringWrite(parse(a)?))),
};

pub(super) static URING_READ: Spec = Spec {
    name: "uring_read",
    params: &[BYTES, CHUNK, OFFSET, DEPTH, SQPOLL, FIXED],
    doc: "read `bytes` from `offset` through an io_uring, as `uring_write` writes",
    parse: |a| Ok(Op::UringRead(UringRead(parse(a)?))),
};

impl Uring {
    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        w.buffer("chunk", self.chunk.get())?;
        if self.chunk.get() > u64::from(u32::MAX) {
            return Err(w.refuse(format!(
                "chunk {} is more than an io_uring request can carry ({} bytes)",
                self.chunk.get(),
                u32::MAX
            )));
        }
        let depth = self.depth.get();
        if depth > MAX_DEPTH {
            return Err(w.refuse(format!(
                "depth {depth} is more than {MAX_DEPTH} requests in flight"
            )));
        }
        w.buffer(
            "chunk × depth",
            self.chunk.get().saturating_mul(depth.min(self.requests())),
        )
    }

    /// How many requests the step makes.
    #[must_use]
    pub fn requests(&self) -> u64 {
        self.bytes.get().div_ceil(self.chunk.get())
    }

    fn notes(&self, work: &Work, path: &mut DataPath) {
        let how = if self.sqpoll {
            "the SQPOLL kernel thread took the requests from the shared submission queue; \
             io_uring_enter was called only to wake it or to wait"
        } else {
            "each io_uring_enter(2) submitted a batch of requests and waited for them"
        };
        path.note(format!(
            "io_uring: {} submissions, {} completions; {how}{}",
            work.submissions,
            work.completions,
            if self.fixed {
                "; registered buffers: no per-request page pinning"
            } else {
                ""
            }
        ));
    }
}

impl OpDef for UringWrite {
    fn spec(&self) -> &'static Spec {
        &URING_WRITE
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        self.0.walk(w)?;
        w.pwrite(self.0.offset, self.0.bytes.get());
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        if work.direct {
            path.push(
                Place::UserBuffer,
                Place::Disk,
                CopyKind::Dma,
                Some(work.bytes),
            );
        } else {
            path.push(
                Place::UserBuffer,
                Place::PageCache,
                CopyKind::Cpu,
                Some(work.bytes),
            );
            if work.synchronous {
                path.push(
                    Place::PageCache,
                    Place::Disk,
                    CopyKind::Dma,
                    Some(work.bytes),
                );
            }
        }
        self.0.notes(work, path);
    }
}

impl OpDef for UringRead {
    fn spec(&self) -> &'static Spec {
        &URING_READ
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        self.0.walk(w)?;
        w.read(self.0.offset, self.0.bytes.get());
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
        } else {
            path.disk_in(work);
            path.push(
                Place::PageCache,
                Place::UserBuffer,
                CopyKind::Cpu,
                Some(work.bytes),
            );
        }
        self.0.notes(work, path);
    }

    fn needs(&self) -> Needs {
        Needs {
            cache_growth: true,
            ..Needs::default()
        }
    }
}

/// `uring_write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UringWrite(pub Uring);

/// `uring_read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UringRead(pub Uring);
