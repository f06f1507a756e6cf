//! The ops, one family per file. Every op is prepared outside any measured
//! window (buffers allocated and touched, sockets and pipes made), then run in
//! slices: each [`Running::slice`] does at most `units` units of work (calls
//! or pages) and reports what it did, including the syscalls it issued
//! itself (the count used when there is no tracepoint).

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use crate::outcome::Skip;
use crate::probe::pages::PageProbe;
use crate::probe::{Disabled, Switchable};
use crate::scenario::{Op, OpenFlags, Rwf};

use super::Shared;

pub mod anon;
pub mod copy;
pub mod madvise;
pub mod misc;
pub mod mmap;
pub mod read;
pub mod rwf;
pub mod send;
pub mod sigbus;
pub mod sync;
pub mod uring;
pub mod write;

/// How many slices a step aims at (a paced run shows ~50 updates per step).
pub const SLICES_PER_STEP: u64 = 50;

/// Why a step could not go on. The text says what was attempted.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("{attempted}: {source}")]
    Os {
        attempted: String,
        #[source]
        source: io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("aborted")]
    Aborted,
    /// This machine lacks what the op needs: the step ends skipped.
    #[error("skipped: {0}")]
    Skipped(Skip),
}

impl OpError {
    /// The last OS error, for a call described by `attempted`.
    pub fn last(attempted: impl Into<String>) -> OpError {
        OpError::Os {
            attempted: attempted.into(),
            source: io::Error::last_os_error(),
        }
    }
}

/// What one slice did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SliceOut {
    /// Units of the step's total done in this slice.
    pub units: u64,
    /// Syscalls the op issued itself.
    pub calls: u64,
    /// Bytes the op moved through its main path (written, read, sent).
    pub bytes: u64,
    /// Bytes copied inside user space (`buffered_write`'s chunk → buffer memcpy).
    pub user_copy_bytes: u64,
    /// Pages touched (touch).
    pub pages: u64,
    /// io_uring requests submitted, and completions reaped.
    pub submissions: u64,
    pub completions: u64,
}

impl SliceOut {
    pub fn add(&mut self, o: SliceOut) {
        self.submissions += o.submissions;
        self.completions += o.completions;
        self.units += o.units;
        self.calls += o.calls;
        self.bytes += o.bytes;
        self.user_copy_bytes += o.user_copy_bytes;
        self.pages += o.pages;
    }
}

/// An op in progress.
pub trait Running {
    /// Units in the whole step (at least 1).
    fn total(&self) -> u64;
    /// Do up to `units` units; `units` is at least 1.
    fn slice(&mut self, ctx: &mut Ctx<'_>, units: u64, out: &mut SliceOut) -> Result<(), OpError>;
    /// True once every unit is done (or the op ended early, e.g. at EOF).
    fn done(&self) -> bool;
    /// Undo what the op set up (join a sink thread); outside any window.
    fn finish(&mut self, _ctx: &mut Ctx<'_>) -> Result<(), OpError> {
        Ok(())
    }
    /// Context switches of the kernel threads that served the op (io_uring's
    /// io-wq workers and SQPOLL thread), read in `finish`; `None`: none.
    fn kernel_thread_ctx_switches(&self) -> Option<u64> {
        None
    }
    /// Whether the pacing rule applies (not for ops that take their own time).
    fn paced(&self) -> bool {
        true
    }
    /// A wait (`sleep`, `wait_writeback`) that `EndWait` ended: how long it
    /// had waited. `None`: it ran its course (every other op).
    fn ended_early(&self) -> Option<std::time::Duration> {
        None
    }
}

/// An op that is one unit of work, done in one slice (fsync, mmap, reopen…).
pub trait OneShot {
    /// Do the whole op, saying in `out` what it did.
    fn run(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError>;
}

/// A [`OneShot`] as a [`Running`] op of one unit: done once `run` succeeds.
struct Once<T> {
    op: T,
    done: bool,
}

fn once(op: impl OneShot + 'static) -> Box<dyn Running> {
    Box::new(Once { op, done: false })
}

impl<T: OneShot> Running for Once<T> {
    fn total(&self) -> u64 {
        1
    }

    fn done(&self) -> bool {
        self.done
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, _units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        self.op.run(ctx, out)?;
        self.done = true;
        Ok(())
    }
}

/// The working file as the worker holds it.
#[derive(Debug)]
pub struct WorkFile {
    pub file: File,
    /// The working directory: `reopen` opens the file through it.
    pub dir: Arc<OwnedFd>,
    pub flags: OpenFlags,
    /// The fd's file position as the engine tracks it (it issues every call).
    pub pos: u64,
    /// `O_DIRECT` alignment of offsets/lengths and of buffer addresses.
    pub dio_offset_align: u64,
    pub dio_mem_align: u64,
    /// Filesystem name, for error messages.
    pub fs_name: String,
}

impl WorkFile {
    pub fn size(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    pub fn fd(&self) -> i32 {
        self.file.as_raw_fd()
    }
}

/// A region of memory the engine mapped or allocated. Mappings are
/// memmap2's, so they are unmapped exactly once (when dropped); their
/// memory is only ever reached through raw pointers (`touch`), never as a
/// Rust slice, because another process may change or truncate the file.
#[derive(Debug)]
pub struct Region {
    memory: Memory,
    pub kind: RegionKind,
}

#[derive(Debug)]
enum Memory {
    /// A file or anonymous mapping: munmap(2) when dropped.
    Mapped(memmap2::MmapRaw),
    /// From libc malloc: free(3)d, not unmapped.
    Malloc { ptr: *mut u8, len: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    /// A mapping of the working file at `offset`.
    File {
        offset: u64,
        shared: bool,
        write: bool,
    },
    Anon,
    /// From libc malloc: freed with free, not munmap.
    Malloc,
}

impl Region {
    /// A mapping made with memmap2 (`kind` is `File` or `Anon`).
    pub fn mapped(map: memmap2::MmapRaw, kind: RegionKind) -> Region {
        Region {
            memory: Memory::Mapped(map),
            kind,
        }
    }

    /// A block from libc malloc of `len` bytes, owned (and freed) by the region.
    ///
    /// # Safety
    /// `ptr` came from `libc::malloc(len)` and nothing else frees it.
    pub unsafe fn malloced(ptr: *mut u8, len: usize) -> Region {
        Region {
            memory: Memory::Malloc { ptr, len },
            kind: RegionKind::Malloc,
        }
    }

    pub fn addr(&self) -> *mut u8 {
        match &self.memory {
            Memory::Mapped(m) => m.as_mut_ptr(),
            Memory::Malloc { ptr, .. } => *ptr,
        }
    }

    pub fn len(&self) -> usize {
        match &self.memory {
            Memory::Mapped(m) => m.len(),
            Memory::Malloc { len, .. } => *len,
        }
    }

    /// The mapping, when this is one (not a malloc block).
    pub fn mapping(&self) -> Option<&memmap2::MmapRaw> {
        match &self.memory {
            Memory::Mapped(m) => Some(m),
            Memory::Malloc { .. } => None,
        }
    }

    /// Give the region back to the kernel (or to malloc) now; returns the
    /// syscalls the engine knows this issued (one munmap; a `free` may or
    /// may not munmap).
    pub fn release(self) -> u64 {
        match self.memory {
            Memory::Malloc { ptr, len } => {
                let before = anon::Heap::now();
                // SAFETY: the pointer came from libc::malloc (`malloced`'s
                // contract) and is freed once: the region is consumed.
                unsafe { libc::free(ptr.cast()) };
                match (before, anon::Heap::now()) {
                    (Some(b), Some(a)) => anon::Heap::calls(b, a),
                    _ => u64::from(len >= crate::cast::usize(anon::MMAP_THRESHOLD)),
                }
            }
            Memory::Mapped(map) => {
                // memmap2's Drop is the munmap(2), here, inside the caller's
                // measured window.
                drop(map);
                1
            }
        }
    }
}

/// The worker's mutable world, lent to each slice.
pub struct Ctx<'a> {
    pub file: &'a mut WorkFile,
    /// The current mapping of the working file.
    pub file_map: &'a mut Option<Region>,
    /// Anonymous regions, the latest last.
    pub anon: &'a mut Vec<Region>,
    pub pages: &'a PageProbe,
    pub shared: &'a Arc<Shared>,
    pub page_size: u64,
    /// Sources and kernel features switched off (`IOTOUR_DISABLE`).
    pub disabled: &'a Disabled,
    /// What this run changed and the kernel has not written back.
    pub dirty: &'a mut super::dirty::Pending,
}

impl Ctx<'_> {
    /// Skip the step if `feature` was switched off with `IOTOUR_DISABLE`,
    /// as a kernel without it (`name`, Linux `since`) would.
    pub fn unless_disabled(
        &self,
        feature: Switchable,
        name: &str,
        since: &str,
    ) -> Result<(), OpError> {
        if self.disabled.contains(feature) {
            return Err(OpError::Skipped(Skip::kernel_feature(
                name,
                since,
                format!("switched off by {}={}", Disabled::ENV, feature.as_str()),
            )));
        }
        Ok(())
    }

    /// Publish the file mapping for the sampler (address, length, offset).
    pub fn publish_mapping(&self) {
        let info = self.file_map.as_ref().and_then(|r| match r.kind {
            RegionKind::File {
                offset,
                shared,
                write,
            } => Some(super::MappingInfo {
                addr: r.addr() as usize,
                len: r.len(),
                offset,
                shared,
                write,
            }),
            _ => None,
        });
        self.shared.publish_mapping(info);
    }
}

/// Prepare an op to run (outside any measured window): the engine's one
/// dispatch on the vocabulary (see `scenario::ops`).
pub fn prepare(op: &Op, ctx: &mut Ctx<'_>) -> Result<Box<dyn Running>, OpError> {
    Ok(match op {
        Op::Write(o) => Box::new(write::Write::new(ctx, o.bytes, o.chunk, None, o.rwf)?),
        Op::BufferedWrite(o) => Box::new(write::Write::new(
            ctx,
            o.bytes,
            o.chunk,
            Some(o.buffer),
            Rwf::NONE,
        )?),
        Op::Pwrite(o) => Box::new(write::Pwrite::new(ctx, o)?),
        Op::Read(o) => Box::new(read::Read::new(ctx, o)?),
        Op::Fsync => once(sync::Flush::Fsync),
        Op::Fdatasync => once(sync::Flush::Fdatasync),
        Op::SyncFileRange(o) => once(sync::Flush::SyncFileRange { wait: o.wait }),
        Op::DropCache => once(sync::Flush::DropCache),
        Op::Reopen(o) => once(misc::Reopen { flags: o.flags }),
        Op::Mmap(o) => once(mmap::Map::new(ctx, o)?),
        Op::Touch(o) => Box::new(mmap::Touch::new(ctx, o)?),
        Op::Msync(o) => once(mmap::Msync::new(ctx, o.asynchronous)?),
        Op::Munmap(o) => once(mmap::Unmap::new(ctx, o.target)?),
        Op::Madvise(o) => once(madvise::Madvise::new(ctx, o)?),
        Op::AnonMmap(o) => once(anon::Alloc::new(o.bytes, false)),
        Op::Malloc(o) => once(anon::Alloc::new(o.bytes, true)),
        Op::Send(o) => Box::new(send::Send::new(ctx, o)?),
        Op::CopyFileRange(o) => once(copy::CopyRange::new(ctx, o)?),
        Op::UringWrite(o) => Box::new(uring::Uring::new(ctx, &o.0, true)?),
        Op::UringRead(o) => Box::new(uring::Uring::new(ctx, &o.0, false)?),
        Op::Sleep(o) => Box::new(misc::Sleep::new(ctx, o.ms)),
        Op::WaitWriteback(o) => Box::new(misc::WaitWriteback::new(ctx, misc::timeout(o))?),
        Op::Note => once(misc::Note),
        // Run by the worker under the tracer (engine::program), never in
        // measured slices of its own thread.
        Op::Program(_) => {
            return Err(OpError::Invalid(
                "internal: a program step is not prepared as an op".into(),
            ));
        }
    })
}

/// Units per slice for a step of `total` units: about 1/50 of it, at least 1.
pub fn slice_units(total: u64) -> u64 {
    total.div_ceil(SLICES_PER_STEP).max(1)
}

/// A heap buffer of `len` bytes aligned to `align`, filled with data and
/// touched (so measured windows never fault on it).
pub struct AlignedBuf {
    ptr: *mut u8,
    len: usize,
    layout: std::alloc::Layout,
}

impl AlignedBuf {
    pub fn new(len: usize, align: usize) -> Result<AlignedBuf, OpError> {
        let layout =
            std::alloc::Layout::from_size_align(len.max(1), align.max(1)).map_err(|e| {
                OpError::Invalid(format!("buffer of {len} bytes aligned to {align}: {e}"))
            })?;
        // SAFETY: layout has non-zero size.
        let ptr = unsafe { std::alloc::alloc(layout) };
        if ptr.is_null() {
            return Err(OpError::Invalid(format!(
                "could not allocate a {len}-byte buffer"
            )));
        }
        // SAFETY: `ptr` points to `layout.size()` writable bytes we own.
        unsafe {
            for i in 0..layout.size() {
                *ptr.add(i) = u8::try_from(i % 251).unwrap_or(0) + 1;
            }
        }
        Ok(AlignedBuf { ptr, len, layout })
    }

    pub fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with exactly this layout, freed once.
        unsafe { std::alloc::dealloc(self.ptr, self.layout) };
    }
}

/// The buffer a read/write op uses: page-aligned always (which also satisfies
/// `O_DIRECT` on every filesystem with a ≤ page alignment).
pub fn io_buffer(ctx: &Ctx<'_>, len: u64) -> Result<AlignedBuf, OpError> {
    let align = ctx.file.dio_mem_align.max(ctx.page_size);
    AlignedBuf::new(crate::cast::usize(len), crate::cast::usize(align))
}

/// With `O_DIRECT`, requests must be aligned: say exactly what is not.
/// `sizes` are every size a call can have: the chunk, the total (its last,
/// short call is `bytes % chunk`) and, for buffered writes, the buffer.
pub fn check_direct(
    file: &WorkFile,
    what: &str,
    offset: u64,
    sizes: &[(&str, u64)],
) -> Result<(), OpError> {
    if !file.flags.direct {
        return Ok(());
    }
    let a = file.dio_offset_align;
    let bad: Vec<String> = sizes
        .iter()
        .filter(|(_, n)| !n.is_multiple_of(a))
        .map(|(name, n)| format!("{name} {n}"))
        .chain((!offset.is_multiple_of(a)).then(|| format!("file offset {offset}")))
        .collect();
    if !bad.is_empty() {
        let names: Vec<&str> = sizes.iter().map(|(name, _)| *name).collect();
        return Err(OpError::Invalid(format!(
            "{what} with O_DIRECT needs the {} and the file offset to be multiples of the \
             filesystem's direct-I/O alignment ({a} bytes on this {fs}); not aligned: {}. \
             Every call is one of these sizes (the last one is what is left of bytes). \
             O_DIRECT moves data by DMA straight between the device and your buffer, and the \
             device works in whole blocks.",
            names.join(", "),
            bad.join(", "),
            fs = file.fs_name
        )));
    }
    Ok(())
}

/// Call `f` until it returns non-negative or fails with something other than
/// EINTR; counts every attempt in `calls`.
pub fn retry(calls: &mut u64, mut f: impl FnMut() -> isize) -> Result<usize, io::Error> {
    loop {
        *calls += 1;
        let r = f();
        if r >= 0 {
            return Ok(r.unsigned_abs());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

/// The direct-I/O alignment of a file from `statx(STATX_DIOALIGN)` (Linux 6.1),
/// as (memory, offset); `None` when the kernel or filesystem does not say.
pub fn dio_align(file: &File) -> Option<(u64, u64)> {
    const STATX_DIOALIGN: u32 = 0x2000;
    // struct statx is 256 bytes; stx_dio_mem_align and stx_dio_offset_align
    // are the two u32 at byte 0x98.
    let mut buf = [0u64; 32];
    // SAFETY: `buf` is 256 writable bytes, the size of struct statx; the empty
    // path with AT_EMPTY_PATH means "the fd itself".
    let rc = unsafe {
        libc::syscall(
            libc::SYS_statx,
            file.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            STATX_DIOALIGN,
            buf.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return None;
    }
    // stx_mask: the low half of the first word (little- or big-endian alike
    // once read as a u64 and masked the way the kernel wrote it).
    let mask = u32::try_from(buf[0] & 0xffff_ffff).unwrap_or(0);
    if mask & STATX_DIOALIGN == 0 {
        return None;
    }
    let word = buf[0x98 / 8];
    let (mem, off) = (word & 0xffff_ffff, word >> 32);
    (mem > 0 && off > 0).then_some((mem, off))
}
