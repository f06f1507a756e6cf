//! `anon_mmap` and `malloc`: memory that costs nothing until it is touched.

use std::num::NonZeroU64;

use super::super::walk::{Refusal, Walk};
use super::{BYTES, Op, OpDef, Spec};

/// An anonymous private mapping (what malloc does for large blocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnonMmap {
    pub bytes: NonZeroU64,
}

/// libc malloc, left untouched until `touch target = "anon"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malloc {
    pub bytes: NonZeroU64,
}

pub(super) static ANON_MMAP: Spec = Spec {
    name: "anon_mmap",
    params: &[BYTES],
    doc: "anonymous private mapping (what malloc does for large blocks)",
    parse: |a| {
        Ok(Op::AnonMmap(AnonMmap {
            bytes: a.nonzero(&BYTES)?,
        }))
    },
};

pub(super) static MALLOC: Spec = Spec {
    name: "malloc",
    params: &[BYTES],
    doc: "libc `malloc`, untouched until `touch` with `target = \"anon\"`",
    parse: |a| {
        Ok(Op::Malloc(Malloc {
            bytes: a.nonzero(&BYTES)?,
        }))
    },
};

/// Both: a region of `bytes` that the next `touch target = "anon"` reaches.
fn region(w: &mut Walk<'_>, bytes: NonZeroU64) -> Result<(), Refusal> {
    w.mapped(bytes.get())?;
    w.push_anon(bytes.get());
    Ok(())
}

impl OpDef for AnonMmap {
    fn spec(&self) -> &'static Spec {
        &ANON_MMAP
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        region(w, self.bytes)
    }
}

impl OpDef for Malloc {
    fn spec(&self) -> &'static Spec {
        &MALLOC
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        region(w, self.bytes)
    }
}
