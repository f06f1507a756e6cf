//! `mmap`, `touch`, `msync` and `munmap`: the page-fault lesson.
//!
//! Touching is done with volatile one-byte accesses so the compiler cannot
//! drop or merge them. Every access that could fault with a signal instead of
//! a page fault (a write to a read-only mapping, a page past the end of the
//! file) is refused up front with a step error that says why.

use memmap2::{MmapOptions, MmapRaw};

use super::{Ctx, OneShot, OpError, Region, RegionKind, Running, SliceOut, sigbus};
use crate::scenario::{self, Extent, Target};

/// Map the working file (replacing the current file mapping, if any).
pub struct Map {
    bytes: u64,
    offset: u64,
    shared: bool,
    write: bool,
    populate: bool,
}

impl Map {
    /// The plan was checked within this machine's limits (`Plan::check_limits`):
    /// the offset is on a page boundary.
    pub fn new(ctx: &mut Ctx<'_>, op: &scenario::Mmap) -> Result<Map, OpError> {
        let offset = op.offset;
        let bytes = match op.bytes {
            Extent::Bytes(n) => n.get(),
            Extent::ToEndOfFile => {
                // The plan saw a file this long; another process may have
                // truncated it since.
                let file_len = ctx.file.size().map_err(|e| OpError::Os {
                    attempted: "fstat of the working file".into(),
                    source: e,
                })?;
                let bytes = file_len.saturating_sub(offset);
                if bytes == 0 {
                    return Err(OpError::Invalid(format!(
                        "mmap: nothing to map (the file has {file_len} bytes, offset {offset})"
                    )));
                }
                bytes
            }
        };
        Ok(Map {
            bytes,
            offset,
            shared: op.shared,
            write: op.write,
            populate: op.populate,
        })
    }
}

impl OneShot for Map {
    fn run(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        let mut calls = 0;
        if let Some(old) = ctx.file_map.take() {
            // Unpublish before unmapping: the sampler must not read a range
            // that is already gone.
            ctx.publish_mapping();
            calls += old.release();
        }
        let len = crate::cast::usize(self.bytes);
        let mut options = MmapOptions::new();
        options.offset(self.offset).len(len);
        if self.populate {
            options.populate();
        }
        let file = &ctx.file.file;
        calls += 1;
        // SAFETY: memmap2's maps are unsafe because the file may change
        // under them. The region is never turned into a Rust reference: it
        // is reached through raw volatile accesses in `Touch`, within its
        // bounds, and a page cut off by a truncation is caught by the SIGBUS
        // guard. Each arm is one mmap(2) (PROT_READ, plus PROT_WRITE for
        // `write`; MAP_SHARED or MAP_PRIVATE; MAP_POPULATE for `populate`).
        let mapped = unsafe {
            match (self.shared, self.write) {
                (true, false) => options.map(file).map(MmapRaw::from),
                (true, true) => options.map_mut(file).map(MmapRaw::from),
                (false, true) => options.map_copy(file).map(MmapRaw::from),
                (false, false) => options.map_copy_read_only(file).map(MmapRaw::from),
            }
        }
        .map_err(|e| OpError::Os {
            attempted: format!(
                "mmap(2) of {len} bytes of the working file at offset {}",
                self.offset
            ),
            source: e,
        })?;
        *ctx.file_map = Some(Region::mapped(
            mapped,
            RegionKind::File {
                offset: self.offset,
                shared: self.shared,
                write: self.write,
            },
        ));
        ctx.publish_mapping();
        *out = SliceOut {
            units: 1,
            calls,
            ..SliceOut::default()
        };
        Ok(())
    }
}

/// Read or write one byte in each `stride`-th page of a region.
pub struct Touch {
    pages: u64,
    stride: u64,
    write: bool,
    target: Target,
    next: u64,
    /// The SIGBUS handler is installed (file targets only).
    guarded: bool,
}

impl Touch {
    /// The plan was checked (`Plan::check_limits`), but the checks that the
    /// accesses' safety rests on are made again here, against the mapping as
    /// it is: the file may have been truncated by another process since.
    pub fn new(ctx: &mut Ctx<'_>, op: &scenario::Touch) -> Result<Touch, OpError> {
        let (pages, stride, write, target) = (op.pages.get(), op.stride.get(), op.write, op.target);
        let page = ctx.page_size;
        let region = match target {
            Target::File => ctx.file_map.as_ref().ok_or_else(|| {
                OpError::Invalid("touch target = \"file\": there is no file mapping (add an mmap step first)".into())
            })?,
            Target::Anon => ctx.anon.last().ok_or_else(|| {
                OpError::Invalid("touch target = \"anon\": there is no anonymous region (add an anon_mmap or malloc step first)".into())
            })?,
        };
        let region_pages = (region.len() as u64).div_ceil(page);
        let last = pages.saturating_sub(1).saturating_mul(stride);
        if last >= region_pages {
            return Err(OpError::Invalid(format!(
                "touch: {pages} pages with stride {stride} reach page {last}, but the region has \
                 only {region_pages} pages"
            )));
        }
        if let RegionKind::File {
            offset,
            write: writable,
            ..
        } = region.kind
        {
            if write && !writable {
                return Err(OpError::Invalid(
                    "touch write = true on a read-only mapping would be killed by SIGSEGV: map \
                     it with write = true"
                        .into(),
                ));
            }
            let file_len = ctx.file.size().map_err(|e| OpError::Os {
                attempted: "fstat of the working file".into(),
                source: e,
            })?;
            let file_pages = file_len.div_ceil(page);
            if offset / page + last >= file_pages {
                return Err(OpError::Invalid(format!(
                    "touch: page {last} of the mapping is past the end of the file ({file_len} \
                     bytes): touching it would be killed by SIGBUS"
                )));
            }
        }
        Ok(Touch {
            pages,
            stride,
            write,
            target,
            next: 0,
            guarded: target == Target::File && sigbus::install(),
        })
    }
}

impl Running for Touch {
    fn total(&self) -> u64 {
        self.pages
    }

    fn done(&self) -> bool {
        self.next >= self.pages
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        let region = match self.target {
            Target::File => ctx.file_map.as_ref(),
            Target::Anon => ctx.anon.last(),
        }
        .ok_or_else(|| OpError::Invalid("touch: the region is gone".into()))?;
        let page = crate::cast::usize(ctx.page_size);
        let end = (self.next + units).min(self.pages);
        let mut sink = 0u8;
        // The file can be truncated under the mapping by another process at
        // any moment: a page past its end raises SIGBUS, which the guard
        // turns into a failed step (see `sigbus`).
        let guard = (self.target == Target::File && self.guarded)
            .then(|| sigbus::arm(region.addr() as usize, region.len()));
        let mut done = self.next;
        // Stores through a shared file mapping change the file.
        let stores_at = match region.kind {
            RegionKind::File {
                offset,
                shared: true,
                ..
            } if self.write && self.target == Target::File => Some(offset),
            _ => None,
        };
        for i in self.next..end {
            let off = crate::cast::usize(i) * crate::cast::usize(self.stride) * page;
            // SAFETY: `new` checked that every touched page lies inside the
            // region and that the mapping is writable when writing. A page
            // of a file mapping past the (possibly since truncated) end of
            // the file is caught by the SIGBUS guard.
            unsafe {
                let p = region.addr().add(off);
                if self.write {
                    std::ptr::write_volatile(p, b'x');
                } else {
                    sink ^= std::ptr::read_volatile(p);
                }
            }
            if guard.as_ref().is_some_and(sigbus::Armed::faulted) {
                break;
            }
            if let Some(base) = stores_at {
                ctx.dirty.stored(base + off as u64);
            }
            done = i + 1;
        }
        std::hint::black_box(sink);
        let fault = guard.as_ref().and_then(sigbus::Armed::fault_addr);
        drop(guard);
        let n = done - self.next;
        self.next = done;
        *out = SliceOut {
            units: n,
            pages: n,
            ..SliceOut::default()
        };
        if let Some(addr) = fault {
            let page_no = (addr - region.addr() as usize) / page;
            let len = ctx
                .file
                .size()
                .map_or_else(|e| format!("unknown ({e})"), |l| format!("{l} bytes"));
            self.next = self.pages;
            return Err(OpError::Invalid(format!(
                "SIGBUS at page {page_no} of the mapping: the working file was truncated under \
                 the live mapping (it is now {len}), and a page past the end of a file can be \
                 neither read nor written. {n} pages were touched in this slice before it"
            )));
        }
        Ok(())
    }
}

/// msync(2) of the whole file mapping.
pub struct Msync {
    asynchronous: bool,
}

impl Msync {
    pub fn new(ctx: &mut Ctx<'_>, asynchronous: bool) -> Result<Msync, OpError> {
        if ctx.file_map.is_none() {
            return Err(OpError::Invalid(
                "msync: there is no file mapping (add an mmap step first)".into(),
            ));
        }
        Ok(Msync { asynchronous })
    }
}

impl OneShot for Msync {
    fn run(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        let map = ctx
            .file_map
            .as_ref()
            .and_then(Region::mapping)
            .ok_or_else(|| OpError::Invalid("msync: the file mapping is gone".into()))?;
        // memmap2's flush is msync(2) of the whole mapping: MS_SYNC, or MS_ASYNC.
        let flushed = if self.asynchronous {
            map.flush_async()
        } else {
            map.flush()
        };
        flushed.map_err(|e| OpError::Os {
            attempted: format!("msync(2) of {} bytes", map.len()),
            source: e,
        })?;
        *out = SliceOut {
            units: 1,
            calls: 1,
            ..SliceOut::default()
        };
        Ok(())
    }
}

/// munmap(2) of the file mapping or the latest anonymous region (free(3) for
/// a malloc block).
pub struct Unmap {
    target: Target,
}

impl Unmap {
    pub fn new(ctx: &mut Ctx<'_>, target: Target) -> Result<Unmap, OpError> {
        let present = match target {
            Target::File => ctx.file_map.is_some(),
            Target::Anon => !ctx.anon.is_empty(),
        };
        if !present {
            return Err(OpError::Invalid(format!(
                "munmap target = \"{}\": nothing is mapped there",
                target.word()
            )));
        }
        Ok(Unmap { target })
    }
}

impl OneShot for Unmap {
    fn run(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        let region = match self.target {
            Target::File => ctx.file_map.take(),
            Target::Anon => ctx.anon.pop(),
        };
        // Unpublish before unmapping: the sampler must not read a range that
        // is already gone.
        ctx.publish_mapping();
        let calls = region.map_or(0, Region::release);
        *out = SliceOut {
            units: 1,
            calls,
            ..SliceOut::default()
        };
        Ok(())
    }
}
