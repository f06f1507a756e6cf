//! `read`: a `read(2)` loop from `offset` into one user buffer.
//!
//! The fd's position is tracked by the engine; when it is not at `offset`
//! already, one `lseek(2)` puts it there (and is counted).

use super::rwf;
use super::{AlignedBuf, Ctx, OpError, Running, SliceOut, check_direct, io_buffer, retry};
use crate::scenario::{self, Rwf};

pub struct Read {
    bytes: u64,
    chunk: u64,
    offset: u64,
    done_bytes: u64,
    calls_done: u64,
    total: u64,
    buf: AlignedBuf,
    eof: bool,
    /// Each call a preadv2 at the fd's position with these flags.
    rwf: Rwf,
}

impl Read {
    pub fn new(ctx: &mut Ctx<'_>, op: &scenario::Read) -> Result<Read, OpError> {
        let (bytes, chunk, offset) = (op.bytes.get(), op.chunk.get(), op.offset);
        rwf::check_enabled(ctx, op.rwf)?;
        check_direct(
            ctx.file,
            "read",
            offset,
            &[("chunk", chunk), ("bytes", bytes)],
        )?;
        Ok(Read {
            bytes,
            chunk,
            offset,
            done_bytes: 0,
            calls_done: 0,
            total: bytes.div_ceil(chunk),
            // Never more than the step reads: `chunk` alone is user input.
            buf: io_buffer(ctx, chunk.min(bytes))?,
            eof: false,
            rwf: op.rwf,
        })
    }
}

impl Running for Read {
    fn total(&self) -> u64 {
        self.total
    }

    fn done(&self) -> bool {
        self.eof || self.done_bytes >= self.bytes
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        let fd = ctx.file.fd();
        let want_pos = self.offset + self.done_bytes;
        if ctx.file.pos != want_pos {
            retry(&mut out.calls, || {
                // SAFETY: lseek on our own fd has no memory effects.
                let at = unsafe { libc::lseek(fd, crate::cast::off_t(want_pos), libc::SEEK_SET) };
                isize::try_from(at).unwrap_or(isize::MAX)
            })
            .map_err(|e| OpError::Os {
                attempted: format!("lseek(2) to offset {want_pos}"),
                source: e,
            })?;
            ctx.file.pos = want_pos;
        }
        for _ in 0..units {
            if self.done() {
                break;
            }
            let len = crate::cast::usize(self.chunk.min(self.bytes - self.done_bytes));
            let ptr = self.buf.as_mut_ptr();
            let rwf = self.rwf;
            let n = retry(&mut out.calls, || {
                // SAFETY: `ptr` has room for `len ≤ chunk` bytes.
                unsafe {
                    if rwf.is_empty() {
                        libc::read(fd, ptr.cast(), len)
                    } else {
                        rwf::preadv2(fd, ptr, len, -1, rwf)
                    }
                }
            })
            .map_err(|e| {
                let call = if rwf.is_empty() {
                    "read(2)"
                } else {
                    "preadv2(2)"
                };
                let attempted = format!("{call} of {len} bytes at offset {}", ctx.file.pos);
                rwf::refused(ctx, call, rwf, attempted, e)
            })?;
            self.calls_done += 1;
            out.units += 1;
            if n == 0 {
                // End of file: the step ends early; the report shows the bytes read.
                self.eof = true;
                break;
            }
            ctx.file.pos += n as u64;
            self.done_bytes += n as u64;
            out.bytes += n as u64;
        }
        Ok(())
    }
}
