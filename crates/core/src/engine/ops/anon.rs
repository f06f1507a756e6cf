//! `anon_mmap` and `malloc`: memory that costs nothing until it is touched.

use super::{Ctx, OneShot, OpError, Region, RegionKind, SliceOut};

/// glibc's default M_MMAP_THRESHOLD: blocks this big or bigger get their own
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
        let len = self.bytes as usize;
        let (addr, kind, calls) = if self.malloc {
            // SAFETY: malloc has no preconditions; null is checked below.
            let p = unsafe { libc::malloc(len) };
            if p.is_null() {
                return Err(OpError::last(format!("malloc({len})")));
            }
            // The engine's estimate: glibc mmaps a block this big (one
            // syscall) and takes smaller ones from the heap (usually none).
            (
                p.cast::<u8>(),
                RegionKind::Malloc,
                u64::from(self.bytes >= MMAP_THRESHOLD),
            )
        } else {
            // SAFETY: a fresh anonymous private mapping; the kernel picks the address.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(OpError::last(format!("mmap(2) of {len} anonymous bytes")));
            }
            (p.cast::<u8>(), RegionKind::Anon, 1)
        };
        ctx.anon.push(Region { addr, len, kind });
        *out = SliceOut {
            units: 1,
            calls,
            ..SliceOut::default()
        };
        Ok(())
    }
}
