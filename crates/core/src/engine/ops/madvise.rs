//! `madvise`: one `madvise(2)` on the current file mapping. Advice the
//! kernel does not know is refused with `EINVAL`: for the advice that came
//! late (`MADV_POPULATE_*` 5.14, `MADV_COLD`/`MADV_PAGEOUT` 5.4) the step is
//! skipped, naming the version.

use super::{Ctx, OneShot, OpError, SliceOut, retry};
use crate::outcome::Skip;
use crate::probe::Switchable;
use crate::scenario::{self, Advice};

pub struct Madvise {
    advice: Advice,
    bytes: Option<u64>,
}

impl Madvise {
    pub fn new(ctx: &Ctx<'_>, op: &scenario::Madvise) -> Result<Madvise, OpError> {
        if op.advice.populates() {
            let (_, name, since) = op.advice.c();
            ctx.unless_disabled(Switchable::Populate, name, since)?;
        }
        Ok(Madvise {
            advice: op.advice,
            bytes: op.bytes.map(std::num::NonZeroU64::get),
        })
    }
}

impl OneShot for Madvise {
    fn run(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        let region = ctx.file_map.as_ref().ok_or_else(|| {
            OpError::Invalid("madvise: there is no file mapping (add an mmap step first)".into())
        })?;
        let len = match self.bytes {
            Some(n) if n > region.len() as u64 => {
                return Err(OpError::Invalid(format!(
                    "madvise: bytes = {n} is more than the file mapping's {} bytes",
                    region.len()
                )));
            }
            Some(n) => crate::cast::usize(n),
            None => region.len(),
        };
        let addr = region.addr();
        let (value, name, since) = self.advice.c();
        out.units = 1;
        out.pages = (len as u64).div_ceil(ctx.page_size);
        retry(&mut out.calls, || {
            // SAFETY: advice on a range inside our own live mapping; the
            // mapping's memory is never a Rust reference (see `Region`), so
            // dropping or repopulating its pages breaks no borrow.
            unsafe { libc::madvise(addr.cast(), len, value) as isize }
        })
        .map_err(|e| {
            let late = !matches!(
                self.advice,
                Advice::Willneed | Advice::Dontneed | Advice::Sequential | Advice::Random
            );
            if late && e.raw_os_error() == Some(libc::EINVAL) {
                OpError::Skipped(Skip::kernel_feature(
                    name,
                    since,
                    format!(
                        "madvise(2) with {name} failed with EINVAL under Linux {}",
                        crate::machine::kernel_release()
                    ),
                ))
            } else {
                OpError::Os {
                    attempted: format!("madvise(2) {name} of {len} bytes of the file mapping"),
                    source: e,
                }
            }
        })?;
        if self.advice == Advice::PopulateWrite {
            ctx.dirty.dirtied();
        }
        Ok(())
    }
}
