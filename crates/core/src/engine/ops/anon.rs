//! `anon_mmap` and `malloc`: memory that costs nothing until it is touched.

use memmap2::MmapOptions;

use super::{Ctx, OneShot, OpError, Region, RegionKind, SliceOut};

/// glibc's default `M_MMAP_THRESHOLD`: blocks this big or bigger get their own
/// mmap(2); smaller ones come from the heap (brk) and may need no syscall.
pub const MMAP_THRESHOLD: u64 = 128 * 1024;

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
            // SAFETY: malloc has no preconditions; null is checked below.
            let p = unsafe { libc::malloc(len) };
            if p.is_null() {
                return Err(OpError::last(format!("malloc({len})")));
            }
            // The engine's estimate: glibc mmaps a block this big (one
            // syscall) and takes smaller ones from the heap (usually none).
            // SAFETY: `p` is a fresh malloc block of `len` bytes, owned by
            // the region from here on.
            let region = unsafe { Region::malloced(p.cast(), len) };
            (region, u64::from(self.bytes >= MMAP_THRESHOLD))
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
