//! `mmap`, `touch`, `msync` and `munmap`: the page-fault lesson.

use std::num::NonZeroU64;

use super::super::walk::{Mapping, Refusal, Walk};
use super::{BYTES, Kind, Needs, OFFSET, Op, OpDef, Param, Spec, sync};
use crate::model::{CopyKind, DataPath, Place, Work};

/// Map the working file (replacing the current file mapping, if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mmap {
    pub bytes: Extent,
    /// A multiple of the page size.
    pub offset: u64,
    /// `MAP_SHARED`; else `MAP_PRIVATE` (written pages are copied).
    pub shared: bool,
    /// `PROT_WRITE` as well as `PROT_READ`.
    pub write: bool,
    /// `MAP_POPULATE`: fault every page in during the call.
    pub populate: bool,
}

/// How much of the file a mapping covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    Bytes(NonZeroU64),
    /// From the offset to the end of the file as it is when the step runs
    /// (plans built in Rust; scenario files always say `bytes`).
    ToEndOfFile,
}

/// Read or write one byte in each `stride`-th page of the current mapping,
/// `pages` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    pub pages: NonZeroU64,
    pub stride: NonZeroU64,
    pub write: bool,
    pub target: Target,
}

/// Flush the file mapping (MappedByteBuffer.force); `asynchronous` = `MS_ASYNC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msync {
    pub asynchronous: bool,
}

/// Unmap the file mapping, or the latest anonymous region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Munmap {
    pub target: Target,
}

/// Which mapping `touch` and `munmap` work on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::VariantNames, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Target {
    /// The mapping of the working file (`mmap`).
    File,
    /// The latest anonymous region (`anon_mmap` or `malloc`).
    Anon,
}

impl Target {
    /// As written in `target = "..."`.
    #[must_use]
    pub fn word(self) -> &'static str {
        self.into()
    }
}

const SHARED: Param = Param {
    name: "shared",
    kind: Kind::Bool(true),
    hint: "",
};
const WRITE: Param = Param {
    name: "write",
    kind: Kind::Bool(false),
    hint: "",
};
const POPULATE: Param = Param {
    name: "populate",
    kind: Kind::Bool(false),
    hint: "",
};
const PAGES: Param = Param {
    name: "pages",
    kind: Kind::Count(None),
    hint: "`pages` is how many pages to touch",
};
const STRIDE: Param = Param {
    name: "stride",
    kind: Kind::Count(Some(1)),
    hint: "",
};
const TARGET: Param = Param {
    name: "target",
    kind: Kind::Choice {
        words: <Target as strum::VariantNames>::VARIANTS,
        default: Some("file"),
    },
    hint: "",
};
const ASYNC: Param = Param {
    name: "async",
    kind: Kind::Bool(false),
    hint: "",
};

pub(super) static MMAP: Spec = Spec {
    name: "mmap",
    params: &[BYTES, OFFSET, SHARED, WRITE, POPULATE],
    doc: "map `bytes` of the working file from `offset`; `shared = false` is MAP_PRIVATE, \
          `write = true` maps it writable, `populate = true` is MAP_POPULATE (fault \
          everything in at once)",
    parse: |a| {
        Ok(Op::Mmap(Mmap {
            bytes: Extent::Bytes(a.nonzero(&BYTES)?),
            offset: a.number(&OFFSET)?,
            shared: a.boolean(&SHARED)?,
            write: a.boolean(&WRITE)?,
            populate: a.boolean(&POPULATE)?,
        }))
    },
};

pub(super) static TOUCH: Spec = Spec {
    name: "touch",
    params: &[PAGES, STRIDE, WRITE, TARGET],
    doc: "read (or with `write = true` write) one byte in each `stride`-th page of the \
          current mapping, `pages` times: the page-fault lesson. `target = \"anon\"` touches \
          the anonymous region of `anon_mmap` or `malloc`",
    parse: |a| {
        Ok(Op::Touch(Touch {
            pages: a.nonzero(&PAGES)?,
            stride: a.nonzero(&STRIDE)?,
            write: a.boolean(&WRITE)?,
            target: a.choice(&TARGET)?,
        }))
    },
};

pub(super) static MSYNC: Spec = Spec {
    name: "msync",
    params: &[ASYNC],
    doc: "flush the file mapping (MappedByteBuffer.force); `async = true` is MS_ASYNC",
    parse: |a| {
        Ok(Op::Msync(Msync {
            asynchronous: a.boolean(&ASYNC)?,
        }))
    },
};

pub(super) static MUNMAP: Spec = Spec {
    name: "munmap",
    params: &[TARGET],
    doc: "unmap the file mapping, or with `target = \"anon\"` the anonymous region",
    parse: |a| {
        Ok(Op::Munmap(Munmap {
            target: a.choice(&TARGET)?,
        }))
    },
};

impl OpDef for Mmap {
    fn spec(&self) -> &'static Spec {
        &MMAP
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        if let Some(page) = w.page_size()
            && !self.offset.is_multiple_of(page)
        {
            return Err(w.refuse(format!(
                "offset {} is not a multiple of the page size ({page}): a mapping starts on a \
                 page boundary",
                self.offset
            )));
        }
        let len = match self.bytes {
            Extent::Bytes(n) => n.get(),
            Extent::ToEndOfFile => {
                let file = w.file_len();
                let len = file.saturating_sub(self.offset);
                if len == 0 {
                    return Err(w.refuse(format!(
                        "nothing to map (the file has {file} bytes, offset {})",
                        self.offset
                    )));
                }
                len
            }
        };
        w.mapped(len)?;
        w.map_file(Mapping {
            len,
            file_offset: Some(self.offset),
            writable: self.write,
            private_copy: !self.shared && self.write,
        });
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        path.note("mmap copies nothing: the mapping is the page cache itself");
        if self.populate {
            path.disk_in(work);
        }
    }

    fn needs(&self) -> Needs {
        Needs {
            cache_growth: true,
            ..Needs::default()
        }
    }
}

impl OpDef for Touch {
    fn spec(&self) -> &'static Spec {
        &TOUCH
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        let region = w.region(self.target, "touch")?;
        if self.write && !region.writable {
            return Err(w.refuse(
                "write = true on a read-only mapping would be killed by SIGSEGV: map it with \
                 write = true"
                    .into(),
            ));
        }
        let Some(page) = w.page_size() else {
            return Ok(());
        };
        let (pages, stride) = (self.pages.get(), self.stride.get());
        let last = (pages - 1).saturating_mul(stride);
        let region_pages = region.len.div_ceil(page);
        if last >= region_pages {
            return Err(w.refuse(format!(
                "{pages} pages with stride {stride} reach page {last}, but the {} has only \
                 {region_pages} pages of {page} bytes",
                match self.target {
                    Target::File => "file mapping",
                    Target::Anon => "anonymous region",
                }
            )));
        }
        if let Some(offset) = region.file_offset {
            let file = w.file_len();
            if (offset / page).saturating_add(last) >= file.div_ceil(page) {
                return Err(w.refuse(format!(
                    "page {last} of the mapping is past the end of the file ({file} bytes \
                     then): touching it would be killed by SIGBUS"
                )));
            }
        }
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        match self.target {
            Target::File => {
                path.disk_in(work);
                if self.write && work.private_mapping {
                    path.push(
                        Place::PageCache,
                        Place::UserBuffer,
                        CopyKind::Cpu,
                        Some(work.pages * work.page_size),
                    );
                    path.note(
                        "private mapping: the first store to each page copies it out of the \
                         page cache (copy-on-write)",
                    );
                } else if self.write {
                    path.note(
                        "stores land directly in page-cache pages, which become dirty: no copy",
                    );
                } else {
                    path.note(
                        "loads read the page cache through the page tables: no copy into a user \
                         buffer",
                    );
                }
            }
            Target::Anon => {
                path.note("anonymous pages are zero-filled on first touch: nothing is copied");
            }
        }
    }

    fn needs(&self) -> Needs {
        Needs {
            cache_growth: true,
            ..Needs::default()
        }
    }
}

impl OpDef for Msync {
    fn spec(&self) -> &'static Spec {
        &MSYNC
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        w.region(Target::File, "flush").map(drop)
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        if self.asynchronous {
            // Linux has not started writeback for MS_ASYNC since 2.6.19: the
            // pages stay dirty until the flusher or a sync takes them.
            path.push(
                Place::PageCache,
                Place::Disk,
                CopyKind::Dma,
                work.flushed_bytes,
            );
            path.note(
                "MS_ASYNC starts no writeback on Linux: the pages stay dirty until the flusher \
                 threads or a sync write them",
            );
        } else {
            sync::written_back(work, path, false);
        }
    }

    fn needs(&self) -> Needs {
        Needs {
            cleaned_pages: true,
            ..Needs::default()
        }
    }
}

impl OpDef for Munmap {
    fn spec(&self) -> &'static Spec {
        &MUNMAP
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        w.unmap(self.target)
    }
}
