//! `madvise`: advice on the current file mapping (`madvise(2)`), from
//! faulting everything in at once (`populate_read`/`populate_write`, Linux
//! 5.14) to pushing the pages out of memory (`pageout`, 5.4).

use std::num::NonZeroU64;

use super::super::walk::{Refusal, Walk};
use super::{Kind, Needs, Op, OpDef, Param, Spec, Target};
use crate::model::{DataPath, Work};

/// `madvise(2)` with `advice` over the first `bytes` of the file mapping
/// (`None`: all of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Madvise {
    pub advice: Advice,
    pub bytes: Option<NonZeroU64>,
}

/// One word of `advice = "..."`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::VariantNames, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Advice {
    /// `MADV_POPULATE_READ` (5.14): fault every page in for reading now.
    PopulateRead,
    /// `MADV_POPULATE_WRITE` (5.14): fault every page in for writing now
    /// (on a shared file mapping: the pages become dirty, the data unchanged).
    PopulateWrite,
    /// `MADV_WILLNEED`: start reading the range into the page cache.
    Willneed,
    /// `MADV_DONTNEED`: drop this process's page-table entries (the file's
    /// pages stay cached).
    Dontneed,
    /// `MADV_COLD` (5.4): move the pages to the inactive list.
    Cold,
    /// `MADV_PAGEOUT` (5.4): reclaim the pages now.
    Pageout,
    /// `MADV_SEQUENTIAL`: read ahead aggressively, drop behind.
    Sequential,
    /// `MADV_RANDOM`: no readahead on faults.
    Random,
}

impl Advice {
    /// The `MADV_*` value, its C name, and the Linux version that brought it.
    #[must_use]
    pub fn c(self) -> (i32, &'static str, &'static str) {
        match self {
            Advice::PopulateRead => (22, "MADV_POPULATE_READ", "5.14"),
            Advice::PopulateWrite => (23, "MADV_POPULATE_WRITE", "5.14"),
            Advice::Willneed => (3, "MADV_WILLNEED", "2.4"),
            Advice::Dontneed => (4, "MADV_DONTNEED", "2.4"),
            Advice::Cold => (20, "MADV_COLD", "5.4"),
            Advice::Pageout => (21, "MADV_PAGEOUT", "5.4"),
            Advice::Sequential => (2, "MADV_SEQUENTIAL", "2.4"),
            Advice::Random => (1, "MADV_RANDOM", "2.4"),
        }
    }

    /// `MADV_POPULATE_READ` or `_WRITE`.
    #[must_use]
    pub fn populates(self) -> bool {
        matches!(self, Advice::PopulateRead | Advice::PopulateWrite)
    }
}

const ADVICE: Param = Param {
    name: "advice",
    kind: Kind::Choice {
        words: <Advice as strum::VariantNames>::VARIANTS,
        default: None,
    },
    hint: "`advice` is one of populate_read, populate_write, willneed, dontneed, cold, pageout, \
           sequential, random",
};

/// `bytes` of the mapping, 0 (the default) for all of it.
const BYTES: Param = Param {
    name: "bytes",
    kind: Kind::Size(Some(0)),
    hint: "",
};

pub(super) static MADVISE: Spec = Spec {
    name: "madvise",
    params: &[ADVICE, BYTES],
    doc: "`madvise(2)` on the first `bytes` of the current file mapping (0: all of it) with \
          `advice` `\"populate_read\"` or `\"populate_write\"` (MADV_POPULATE_*, Linux 5.14: \
          fault every page in now; on a shared mapping `populate_write` dirties the pages \
          without changing them), `\"willneed\"`, `\"dontneed\"`, `\"cold\"`, `\"pageout\"` \
          (5.4: reclaim the pages now), `\"sequential\"` or `\"random\"`; a step whose advice \
          the kernel lacks is skipped",
    parse: |a| {
        Ok(Op::Madvise(Madvise {
            advice: a.choice(&ADVICE)?,
            bytes: NonZeroU64::new(a.number(&BYTES)?),
        }))
    },
};

impl OpDef for Madvise {
    fn spec(&self) -> &'static Spec {
        &MADVISE
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        let region = w.region(Target::File, "advise")?;
        if let Some(n) = self.bytes
            && n.get() > region.len
        {
            return Err(w.refuse(format!(
                "bytes = {} is more than the file mapping's {} bytes",
                n.get(),
                region.len
            )));
        }
        if self.advice == Advice::PopulateWrite && !region.writable {
            return Err(w.refuse(
                "populate_write on a read-only mapping fails (EFAULT): map it with write = true"
                    .into(),
            ));
        }
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        match self.advice {
            Advice::PopulateRead | Advice::Willneed => {
                path.disk_in(work);
                if self.advice == Advice::PopulateRead {
                    path.note(
                        "MADV_POPULATE_READ: the faults are taken inside the call, which maps \
                         every page: no copy, and later loads fault no more",
                    );
                }
            }
            Advice::PopulateWrite => {
                path.disk_in(work);
                path.note(
                    "MADV_POPULATE_WRITE: write faults taken inside the call; on a shared file \
                     mapping every page becomes dirty though no byte changed",
                );
            }
            Advice::Dontneed => path.note(
                "MADV_DONTNEED on a file mapping drops this process's page-table entries; the \
                 pages stay in the page cache: the next touch is a minor fault",
            ),
            Advice::Pageout => path.note(
                "MADV_PAGEOUT reclaims the pages now: they leave the page cache (a shadow entry \
                 remembers them, so reading them again counts as a refault)",
            ),
            Advice::Cold | Advice::Sequential | Advice::Random => path
                .note("advice only: nothing is copied, the kernel changes how it treats the range"),
        }
    }

    fn needs(&self) -> Needs {
        Needs {
            cache_growth: true,
            cleaned_pages: false,
        }
    }
}
