//! `copy_file_range`: the working file copied into a second file of the
//! working directory inside the kernel, or with `reflink = true` cloned
//! (`FICLONERANGE`: the copy shares the blocks, nothing is copied).

use std::num::NonZeroU64;

use super::super::walk::{Refusal, Walk};
use super::{BYTES, Kind, Needs, Op, OpDef, Param, Spec};
use crate::model::{CopyKind, DataPath, Place, Work};

/// Copy the first `bytes` of the working file to the same offsets of the
/// copy (`copy` in the working directory, created empty by the step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyFileRange {
    pub bytes: NonZeroU64,
    /// `FICLONERANGE` instead: share the blocks (btrfs, XFS, bcachefs).
    pub reflink: bool,
}

const REFLINK: Param = Param {
    name: "reflink",
    kind: Kind::Bool(false),
    hint: "",
};

pub(super) static COPY_FILE_RANGE: Spec = Spec {
    name: "copy_file_range",
    params: &[BYTES, REFLINK],
    doc: "copy the first `bytes` of the working file into a second file of the working \
          directory (created empty) with `copy_file_range(2)`, no user buffer; `reflink = \
          true` clones them instead (`FICLONERANGE`: the copy shares the blocks), and where \
          the filesystem cannot (ext4) the step says why and copies nothing",
    parse: |a| {
        Ok(Op::CopyFileRange(CopyFileRange {
            bytes: a.nonzero(&BYTES)?,
            reflink: a.boolean(&REFLINK)?,
        }))
    },
};

impl OpDef for CopyFileRange {
    fn spec(&self) -> &'static Spec {
        &COPY_FILE_RANGE
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        let len = w.file_len();
        if self.bytes.get() > len {
            return Err(w.refuse(format!(
                "copy_file_range copies from the working file, which has {len} bytes then, \
                 not {}",
                self.bytes.get()
            )));
        }
        w.copy(self.bytes.get());
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        if self.reflink {
            if work.bytes == 0 {
                path.note(
                    "FICLONERANGE was refused (EOPNOTSUPP): this filesystem cannot share blocks \
                     between files (ext4 cannot; btrfs, XFS made with reflink=1 and bcachefs \
                     can); nothing was copied",
                );
            } else {
                path.note(
                    "reflink: the copy shares the original's blocks (copy-on-write); no byte \
                     was copied, only extent metadata written",
                );
            }
            return;
        }
        path.disk_in(work);
        path.push(
            Place::PageCache,
            Place::PageCache,
            CopyKind::Cpu,
            Some(work.bytes),
        );
        path.note(
            "copy_file_range: the kernel copies page cache to page cache (the copy's pages are \
             dirty until written back); no user buffer, one syscall for many bytes. A filesystem \
             that can reflink or offload (btrfs, XFS, NFS, SMB) may share or copy server-side \
             instead",
        );
    }

    fn needs(&self) -> Needs {
        Needs {
            cache_growth: true,
            cleaned_pages: false,
        }
    }
}
