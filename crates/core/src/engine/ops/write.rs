//! `write`, `buffered_write` and `pwrite`: user bytes into the page cache (or,
//! with `O_DIRECT`, straight to the device).

use std::num::NonZeroU64;

use super::rwf;
use super::{AlignedBuf, Ctx, OpError, Running, SliceOut, check_direct, io_buffer, retry};
use crate::scenario::{self, Pattern, Rwf, RwfFlag};

/// `write(2)` of `chunk` bytes from one user buffer; with `buffer` set, what
/// Java's `BufferedOutputStream` does with the same chunks.
pub struct Write {
    bytes: u64,
    chunk: u64,
    /// Chunks handed to the stream so far (the unit of progress).
    chunks_done: u64,
    total: u64,
    src: AlignedBuf,
    buffered: Option<Buffered>,
    finished: bool,
    /// Each call a pwritev2 at the fd's position with these flags.
    rwf: Rwf,
}

/// `BufferedOutputStream`'s byte array and its fill count.
struct Buffered {
    buf: AlignedBuf,
    count: usize,
}

impl Write {
    pub fn new(
        ctx: &mut Ctx<'_>,
        bytes: NonZeroU64,
        chunk: NonZeroU64,
        buffer: Option<NonZeroU64>,
        rwf: Rwf,
    ) -> Result<Write, OpError> {
        let (bytes, chunk, buffer) = (bytes.get(), chunk.get(), buffer.map(NonZeroU64::get));
        rwf::check_enabled(ctx, rwf)?;
        if ctx.file.flags.append || rwf.contains(RwfFlag::Append) {
            ctx.file.pos = ctx.file.size().map_err(|e| OpError::Os {
                attempted: "fstat of the working file".into(),
                source: e,
            })?;
        }
        let pos = ctx.file.pos;
        match buffer {
            None => check_direct(
                ctx.file,
                "write",
                pos,
                &[("chunk", chunk), ("bytes", bytes)],
            )?,
            Some(b) => {
                // The stream writes whole buffers, big chunks straight
                // through, and what is left at the flush.
                check_direct(
                    ctx.file,
                    "buffered_write",
                    pos,
                    &[("chunk", chunk), ("buffer", b), ("bytes", bytes)],
                )?;
            }
        }
        let src = io_buffer(ctx, chunk.min(bytes))?;
        let buffered = match buffer {
            Some(b) => Some(Buffered {
                buf: io_buffer(ctx, b)?,
                count: 0,
            }),
            None => None,
        };
        Ok(Write {
            bytes,
            chunk,
            chunks_done: 0,
            total: bytes.div_ceil(chunk),
            src,
            buffered,
            finished: false,
            rwf,
        })
    }

    /// One write(2) (pwritev2 at the fd's position with `rwf`) of `len`
    /// bytes at `ptr`, looping over short writes.
    fn write_all(
        ctx: &mut Ctx<'_>,
        ptr: *const u8,
        len: usize,
        rwf: Rwf,
        out: &mut SliceOut,
    ) -> Result<(), OpError> {
        let mut done = 0usize;
        while done < len {
            let fd = ctx.file.fd();
            let n = retry(&mut out.calls, || {
                // SAFETY: `ptr[done..len]` lies inside a live buffer we own.
                unsafe {
                    if rwf.is_empty() {
                        libc::write(fd, ptr.add(done).cast(), len - done)
                    } else {
                        rwf::pwritev2(fd, ptr.add(done), len - done, -1, rwf)
                    }
                }
            })
            .map_err(|e| {
                let call = if rwf.is_empty() {
                    "write(2)"
                } else {
                    "pwritev2(2)"
                };
                let attempted = format!(
                    "{call} of {} bytes at file offset {}",
                    len - done,
                    ctx.file.pos
                );
                rwf::refused(ctx, call, rwf, attempted, e)
            })?;
            if n == 0 {
                return Err(OpError::Invalid(format!(
                    "write(2) of {} bytes at offset {} wrote nothing",
                    len - done,
                    ctx.file.pos
                )));
            }
            done += n;
            let flags = ctx.file.flags;
            // RWF_DSYNC/RWF_SYNC make this one call synchronous, as O_DSYNC
            // does every call of the fd.
            ctx.dirty.wrote(
                ctx.file.pos,
                n as u64,
                flags.direct,
                flags.synchronous() || rwf.synchronous(),
            );
            ctx.file.pos += n as u64;
            out.bytes += n as u64;
        }
        Ok(())
    }

    fn flush(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        if let Some(b) = self.buffered.as_mut()
            && b.count > 0
        {
            let (ptr, count) = (b.buf.as_ptr(), b.count);
            b.count = 0;
            Self::write_all(ctx, ptr, count, self.rwf, out)?;
        }
        Ok(())
    }
}

impl Running for Write {
    fn total(&self) -> u64 {
        self.total
    }

    fn done(&self) -> bool {
        self.finished
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        let end = (self.chunks_done + units).min(self.total);
        while self.chunks_done < end && !self.finished {
            let off = self.chunks_done * self.chunk;
            let len = crate::cast::usize(self.chunk.min(self.bytes - off));
            match self.buffered.as_mut() {
                None => Self::write_all(ctx, self.src.as_ptr(), len, self.rwf, out)?,
                Some(b) => {
                    let cap = b.buf.len();
                    if len >= cap {
                        // BufferedOutputStream: a chunk as big as the buffer
                        // flushes what is buffered, then goes straight through.
                        self.flush(ctx, out)?;
                        Self::write_all(ctx, self.src.as_ptr(), len, self.rwf, out)?;
                    } else {
                        if len > cap - b.count {
                            self.flush(ctx, out)?;
                        }
                        let b = self.buffered.as_mut().expect("buffered");
                        // SAFETY: `len < cap - count` after the flush, so the
                        // destination range is inside `buf`; the two buffers
                        // are distinct allocations.
                        unsafe {
                            std::ptr::copy_nonoverlapping(
                                self.src.as_ptr(),
                                b.buf.as_mut_ptr().add(b.count),
                                len,
                            );
                        }
                        b.count += len;
                        out.user_copy_bytes += len as u64;
                    }
                }
            }
            self.chunks_done += 1;
            out.units += 1;
        }
        if self.chunks_done >= self.total {
            // The stream's close(): flush what is left.
            self.flush(ctx, out)?;
            self.finished = true;
        }
        Ok(())
    }
}

/// Positioned writes (`RandomAccessFile` seek + write) from `offset`, in order
/// or in a seeded, reproducible permutation of the chunk offsets.
pub struct Pwrite {
    bytes: u64,
    chunk: u64,
    offset: u64,
    n: u64,
    next: u64,
    order: Option<Permutation>,
    src: AlignedBuf,
    rwf: Rwf,
}

impl Pwrite {
    pub fn new(ctx: &mut Ctx<'_>, op: &scenario::Pwrite) -> Result<Pwrite, OpError> {
        let (bytes, chunk, offset) = (op.bytes.get(), op.chunk.get(), op.offset);
        rwf::check_enabled(ctx, op.rwf)?;
        check_direct(
            ctx.file,
            "pwrite",
            offset,
            &[("chunk", chunk), ("bytes", bytes)],
        )?;
        let n = bytes.div_ceil(chunk);
        Ok(Pwrite {
            bytes,
            chunk,
            offset,
            n,
            next: 0,
            order: (op.pattern == Pattern::Random).then(|| Permutation::new(n, SEED)),
            src: io_buffer(ctx, chunk.min(bytes))?,
            rwf: op.rwf,
        })
    }
}

/// The seed of `pattern = "random"`: the same order on every run and machine.
pub const SEED: u64 = 0x10_7001;

impl Running for Pwrite {
    fn total(&self) -> u64 {
        self.n
    }

    fn done(&self) -> bool {
        self.next >= self.n
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        let end = (self.next + units).min(self.n);
        let fd = ctx.file.fd();
        while self.next < end {
            let idx = self.order.as_ref().map_or(self.next, |p| p.at(self.next));
            let rel = idx * self.chunk;
            let len = crate::cast::usize(self.chunk.min(self.bytes - rel));
            let at = self.offset + rel;
            let mut done = 0usize;
            while done < len {
                let ptr = self.src.as_ptr();
                let rwf = self.rwf;
                let n = retry(&mut out.calls, || {
                    let off = crate::cast::off_t(at + done as u64);
                    // SAFETY: `ptr[done..len]` is inside our live buffer.
                    unsafe {
                        if rwf.is_empty() {
                            libc::pwrite(fd, ptr.add(done).cast(), len - done, off)
                        } else {
                            rwf::pwritev2(fd, ptr.add(done), len - done, off, rwf)
                        }
                    }
                })
                .map_err(|e| {
                    let call = if rwf.is_empty() {
                        "pwrite(2)"
                    } else {
                        "pwritev2(2)"
                    };
                    let attempted = format!("{call} of {} bytes at offset {at}", len - done);
                    rwf::refused(ctx, call, rwf, attempted, e)
                })?;
                if n == 0 {
                    return Err(OpError::Invalid(format!(
                        "pwrite(2) of {len} bytes at offset {at} wrote nothing"
                    )));
                }
                let flags = ctx.file.flags;
                ctx.dirty.wrote(
                    at + done as u64,
                    n as u64,
                    flags.direct,
                    flags.synchronous() || rwf.synchronous(),
                );
                done += n;
                out.bytes += n as u64;
            }
            self.next += 1;
            out.units += 1;
        }
        Ok(())
    }
}

/// A bijection of `0..n` with no memory: `i → (a·i + c) mod n` with `a`
/// coprime to `n`, both derived from a seed. Reproducible, and scattered
/// enough that consecutive writes land far apart.
#[derive(Debug, Clone, Copy)]
pub struct Permutation {
    n: u64,
    a: u64,
    c: u64,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Permutation {
    pub fn new(n: u64, seed: u64) -> Permutation {
        let mut s = seed;
        if n <= 1 {
            return Permutation { n, a: 1, c: 0 };
        }
        // Start near n·0.618 so neighbours scatter, then find a coprime.
        // Approximate by design: any start near n·0.618 scatters as well.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let golden = (n as f64 * 0.618_033_988_7) as u64;
        let mut a = golden % n + splitmix(&mut s) % 7;
        a = a.max(1);
        while gcd(a, n) != 1 {
            a = a % (n - 1) + 1;
        }
        let c = splitmix(&mut s) % n;
        Permutation { n, a, c }
    }

    pub fn at(&self, i: u64) -> u64 {
        let at = (u128::from(self.a) * u128::from(i) + u128::from(self.c)) % u128::from(self.n);
        // A remainder of a u64 fits in one.
        u64::try_from(at).unwrap_or(self.n - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_visits_every_index_once() {
        for n in [1u64, 2, 3, 10, 64, 97, 1000, 4096] {
            let p = Permutation::new(n, SEED);
            let mut seen = vec![false; crate::cast::usize(n)];
            for i in 0..n {
                let j = crate::cast::usize(p.at(i));
                assert!(!seen[j], "n={n}: {j} twice");
                seen[j] = true;
            }
        }
    }

    #[test]
    fn permutation_is_reproducible_and_not_sequential() {
        let a = Permutation::new(1000, SEED);
        let b = Permutation::new(1000, SEED);
        let xs: Vec<u64> = (0..10).map(|i| a.at(i)).collect();
        let ys: Vec<u64> = (0..10).map(|i| b.at(i)).collect();
        assert_eq!(xs, ys);
        let sequential = xs.windows(2).filter(|w| w[1] == w[0] + 1).count();
        assert!(sequential < 3, "{xs:?}");
    }
}
