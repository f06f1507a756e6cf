//! `fsync`, `fdatasync`, `sync_file_range` and `drop_cache`: one call each
//! (two for `drop_cache`), in one slice. They block for the whole flush, which
//! is why the sampler runs on its own thread.

use super::{Ctx, OneShot, OpError, SliceOut, retry};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    Fsync,
    Fdatasync,
    SyncFileRange { wait: bool },
    DropCache,
}

impl OneShot for Flush {
    fn run(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        out.units = 1;
        let fd = ctx.file.fd();
        let os = |what: &str| {
            let what = what.to_string();
            move |e| OpError::Os {
                attempted: what,
                source: e,
            }
        };
        match *self {
            Flush::Fsync => {
                // SAFETY: fsync on our own fd.
                retry(&mut out.calls, || unsafe { libc::fsync(fd) as isize })
                    .map_err(os("fsync(2) of the working file"))?;
            }
            Flush::Fdatasync => {
                // SAFETY: fdatasync on our own fd.
                retry(&mut out.calls, || unsafe { libc::fdatasync(fd) as isize })
                    .map_err(os("fdatasync(2) of the working file"))?;
            }
            Flush::SyncFileRange { wait } => {
                let mut flags = libc::SYNC_FILE_RANGE_WRITE;
                if wait {
                    flags |= libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WAIT_AFTER;
                }
                // SAFETY: offset 0 / nbytes 0 = the whole file; no memory effects.
                retry(&mut out.calls, || unsafe {
                    libc::sync_file_range(fd, 0, 0, flags) as isize
                })
                .map_err(os("sync_file_range(2) over the whole file"))?;
            }
            Flush::DropCache => {
                // SAFETY: fsync on our own fd.
                retry(&mut out.calls, || unsafe { libc::fsync(fd) as isize })
                    .map_err(os("fsync(2) before dropping the cache"))?;
                out.calls += 1;
                // SAFETY: fadvise over the whole file (len 0) on our own fd.
                let rc = unsafe { libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED) };
                if rc != 0 {
                    return Err(OpError::Os {
                        attempted: "posix_fadvise(POSIX_FADV_DONTNEED) of the working file".into(),
                        source: std::io::Error::from_raw_os_error(rc),
                    });
                }
            }
        }
        Ok(())
    }
}
