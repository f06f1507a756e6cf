//! `copy_file_range`: the working file into `copy` (created empty, outside
//! the measured window, through the working directory's fd), by
//! `copy_file_range(2)` calls until `bytes` are copied, or one
//! `ioctl(FICLONERANGE)` with `reflink`.

use std::fs::File;
use std::os::fd::AsRawFd;

use super::super::workdir;
use super::{Ctx, OneShot, OpError, SliceOut, retry};
use crate::scenario;

pub struct CopyRange {
    bytes: u64,
    reflink: bool,
    copy: File,
}

impl CopyRange {
    pub fn new(ctx: &Ctx<'_>, op: &scenario::CopyFileRange) -> Result<CopyRange, OpError> {
        let copy = workdir::create_copy(&ctx.file.dir).map_err(|e| OpError::Os {
            attempted: format!(
                "creating `{}` in the working directory for copy_file_range",
                workdir::COPY
            ),
            source: e,
        })?;
        Ok(CopyRange {
            bytes: op.bytes.get(),
            reflink: op.reflink,
            copy,
        })
    }

    fn clone_range(&self, ctx: &Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        let range = libc::file_clone_range {
            src_fd: i64::from(ctx.file.fd()),
            src_offset: 0,
            src_length: self.bytes,
            dest_offset: 0,
        };
        let dst = self.copy.as_raw_fd();
        let done = retry(&mut out.calls, || {
            // SAFETY: FICLONERANGE reads one file_clone_range we own.
            unsafe { libc::ioctl(dst, libc::FICLONERANGE, &raw const range) as isize }
        });
        match done {
            Ok(_) => {
                out.bytes = self.bytes;
                Ok(())
            }
            // The filesystem cannot share blocks: said by the model's note
            // (nothing copied), not a failure of the lesson.
            Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Err(OpError::Invalid(format!(
                "ioctl(FICLONERANGE) of {} bytes failed with EINVAL: a clone range must be a \
                 multiple of the filesystem's block size (or reach the end of the file)",
                self.bytes
            ))),
            Err(e) => Err(OpError::Os {
                attempted: format!(
                    "ioctl(FICLONERANGE) of {} bytes on {}",
                    self.bytes, ctx.file.fs_name
                ),
                source: e,
            }),
        }
    }
}

impl OneShot for CopyRange {
    fn run(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        out.units = 1;
        if self.reflink {
            return self.clone_range(ctx, out);
        }
        let (src, dst) = (ctx.file.fd(), self.copy.as_raw_fd());
        let mut done = 0u64;
        while done < self.bytes {
            let mut off_in = crate::cast::off_t(done);
            let mut off_out = off_in;
            let left = crate::cast::usize(self.bytes - done);
            let n = retry(&mut out.calls, || {
                // SAFETY: both fds are ours; the offsets are our own
                // variables, which the kernel advances.
                unsafe {
                    libc::copy_file_range(src, &raw mut off_in, dst, &raw mut off_out, left, 0)
                }
            })
            .map_err(|e| OpError::Os {
                attempted: format!("copy_file_range(2) of {left} bytes at offset {done}"),
                source: e,
            })?;
            if n == 0 {
                // The working file is shorter than the plan said (another
                // process truncated it): the step ends early.
                break;
            }
            done += n as u64;
            out.bytes += n as u64;
        }
        Ok(())
    }
}
