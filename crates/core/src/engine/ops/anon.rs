//! `anon_mmap` and `malloc`: memory that costs nothing until it is touched.

use memmap2::MmapOptions;

use super::{Ctx, OneShot, OpError, Region, RegionKind, SliceOut};

/// glibc's default `M_MMAP_THRESHOLD`: blocks this big or bigger get their own
/// mmap(2); smaller ones come from the heap (brk) and may need no syscall.
pub const MMAP_THRESHOLD: u64 = 128 * 1024;

/// What glibc's allocator holds from the kernel: blocks with their own
/// mmap, and the heap (every arena's system memory). Read without a syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heap {
    mmapped_blocks: usize,
    system: usize,
}

impl Heap {
    /// The allocator's state now (`None` off glibc).
    // Always `Some` on glibc; the `None` is for other C libraries.
    #[allow(clippy::unnecessary_wraps)]
    pub fn now() -> Option<Heap> {
        #[cfg(target_env = "gnu")]
        {
            // SAFETY: mallinfo2 (glibc 2.33) has no preconditions and only
            // reads the allocator's own bookkeeping, under its locks.
            let m = unsafe { libc::mallinfo2() };
            Some(Heap {
                mmapped_blocks: m.hblks,
                system: m.arena,
            })
        }
        #[cfg(not(target_env = "gnu"))]
        None
    }

    /// The syscalls a malloc or free between `before` and `after` made, as
    /// far as the allocator's state shows: one mmap or munmap when its count
    /// of mmapped blocks moved, one brk (or heap mmap/trim) when its system
    /// memory moved. glibc raises its mmap threshold after freeing an
    /// mmapped block, so a later malloc of the same size may come from the
    /// heap, and its free make no call at all.
    pub fn calls(before: Heap, after: Heap) -> u64 {
        u64::from(before.mmapped_blocks != after.mmapped_blocks)
            + u64::from(before.system != after.system)
    }
}

pub struct Alloc {
    bytes: u64,
    malloc: bool,
}

impl Alloc {
    pub fn new(bytes: std::num::NonZeroU64, malloc: bool) -> Alloc {
        Alloc {
            bytes: bytes.get(),
            malloc,
        }
    }
}

impl OneShot for Alloc {
    fn run(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        let len = crate::cast::usize(self.bytes);
        let (region, calls) = if self.malloc {
            let before = Heap::now();
            // SAFETY: malloc has no preconditions; null is checked below.
            let p = unsafe { libc::malloc(len) };
            let after = Heap::now();
            if p.is_null() {
                return Err(OpError::last(format!("malloc({len})")));
            }
            // The engine's estimate: what the allocator's state says it
            // asked the kernel for; off glibc, an mmap for a block this big
            // (one syscall) and the heap (usually none) for smaller ones.
            let calls = match (before, after) {
                (Some(b), Some(a)) => Heap::calls(b, a),
                _ => u64::from(self.bytes >= MMAP_THRESHOLD),
            };
            // SAFETY: `p` is a fresh malloc block of `len` bytes, owned by
            // the region from here on.
            let region = unsafe { Region::malloced(p.cast(), len) };
            (region, calls)
        } else {
            // One mmap(2) (MAP_PRIVATE | MAP_ANONYMOUS), in the measured window.
            let map = MmapOptions::new()
                .len(len)
                .map_anon()
                .map_err(|e| OpError::Os {
                    attempted: format!("mmap(2) of {len} anonymous bytes"),
                    source: e,
                })?;
            (Region::mapped(map.into(), RegionKind::Anon), 1)
        };
        ctx.anon.push(region);
        *out = SliceOut {
            units: 1,
            calls,
            ..SliceOut::default()
        };
        Ok(())
    }
}
