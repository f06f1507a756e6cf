//! The `*v2` calls `write`, `pwrite` and `read` issue when the step has
//! `rwf = [...]`: one iovec, the flags as given. A kernel (or filesystem)
//! that does not know a flag answers `EOPNOTSUPP`: the step is skipped,
//! naming the flag and the Linux version that brought it.

use std::io;

use super::{Ctx, OpError};
use crate::outcome::Skip;
use crate::probe::Switchable;
use crate::scenario::{Rwf, RwfFlag};

/// Before any call: a flag switched off with `IOTOUR_DISABLE` skips the
/// step as a kernel without it would.
pub fn check_enabled(ctx: &Ctx<'_>, rwf: Rwf) -> Result<(), OpError> {
    if rwf.contains(RwfFlag::Dontcache) {
        let (name, since) = RwfFlag::Dontcache.c_name_and_since();
        ctx.unless_disabled(Switchable::Dontcache, name, since)?;
    }
    Ok(())
}

/// `pwritev2(fd, [ptr, len], 1, offset, rwf)`; `offset` -1: at the fd's position.
///
/// # Safety
/// `ptr[..len]` is readable for the whole call.
pub unsafe fn pwritev2(fd: i32, ptr: *const u8, len: usize, offset: i64, rwf: Rwf) -> isize {
    let iov = libc::iovec {
        iov_base: ptr.cast_mut().cast(),
        iov_len: len,
    };
    // SAFETY: one iovec over memory the caller guarantees; flags as given.
    unsafe { libc::pwritev2(fd, &raw const iov, 1, offset, rwf_bits(rwf)) }
}

/// `preadv2(fd, [ptr, len], 1, offset, rwf)`; `offset` -1: at the fd's position.
///
/// # Safety
/// `ptr[..len]` is writable for the whole call.
pub unsafe fn preadv2(fd: i32, ptr: *mut u8, len: usize, offset: i64, rwf: Rwf) -> isize {
    let iov = libc::iovec {
        iov_base: ptr.cast(),
        iov_len: len,
    };
    // SAFETY: one iovec over memory the caller guarantees; flags as given.
    unsafe { libc::preadv2(fd, &raw const iov, 1, offset, rwf_bits(rwf)) }
}

fn rwf_bits(rwf: Rwf) -> i32 {
    i32::try_from(rwf.bits()).unwrap_or(0)
}

/// What a failed `*v2` call means: `EOPNOTSUPP` is a skip naming the newest
/// flag asked for (the one an older kernel is most likely to lack);
/// `EAGAIN` under `RWF_NOWAIT` is said in words; anything else is an error.
pub fn refused(ctx: &Ctx<'_>, call: &str, rwf: Rwf, attempted: String, e: io::Error) -> OpError {
    match e.raw_os_error() {
        Some(libc::EOPNOTSUPP) => {
            let newest = rwf
                .flags()
                .max_by_key(|f| {
                    let (_, since) = f.c_name_and_since();
                    since
                        .split('.')
                        .map(|n| n.parse::<u32>().unwrap_or(0))
                        .fold(0, |a, n| a * 100 + n)
                })
                .unwrap_or(RwfFlag::Dontcache);
            let (name, since) = newest.c_name_and_since();
            OpError::Skipped(Skip::kernel_feature(
                name,
                since,
                format!(
                    "{call} with {} failed with EOPNOTSUPP on {} under Linux {}: the kernel or \
                     this filesystem does not support it",
                    rwf.c_names(),
                    ctx.file.fs_name,
                    crate::machine::kernel_release()
                ),
            ))
        }
        Some(libc::EAGAIN) if rwf.contains(RwfFlag::Nowait) => OpError::Invalid(format!(
            "{attempted}: EAGAIN: with RWF_NOWAIT the kernel returns instead of waiting (the \
             data is not in the page cache, or the write would block on the disk or a lock)"
        )),
        _ => OpError::Os {
            attempted,
            source: e,
        },
    }
}
