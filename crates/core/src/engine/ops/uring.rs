//! `uring_write` and `uring_read` through the `io-uring` crate.
//!
//! The ring (io_uring_setup, its mmaps, registered buffers) is made when
//! the op is prepared, outside every measured window, and torn down in
//! `finish`: the windows hold only the I/O. One unit of work is one batch
//! of up to `depth` requests: pushed into the submission queue, handed to
//! the kernel by one `io_uring_enter(2)` that also waits for the batch, and
//! reaped from the completion queue. With `sqpoll` the kernel's SQPOLL
//! thread takes the requests from shared memory: no syscall unless it fell
//! asleep, and the completions are waited for by polling the completion
//! queue (with a bounded spin, then one `io_uring_enter` to sleep).
//!
//! The kernel threads that do the work (io-wq workers `iou-wrk-*` that
//! buffered writes are handed to, the SQPOLL thread `iou-sqp-*`) are tasks
//! of this process: their context switches are read from
//! `/proc/self/task/*/status` when the ring is made and in `finish`. A
//! worker that exits in between is not counted.

use std::time::{Duration, Instant};

use io_uring::{IoUring, opcode, types};

use super::{AlignedBuf, Ctx, OpError, Running, SliceOut, check_direct, io_buffer};
use crate::outcome::Skip;
use crate::probe::Switchable;
use crate::scenario::Uring as Params;

/// How long the SQPOLL thread polls before it sleeps (ms): longer than the
/// pause between two paced slices, so it normally stays awake.
const SQ_THREAD_IDLE_MS: u32 = 2000;
/// How long to poll the completion queue before sleeping in io_uring_enter.
const SPIN: Duration = Duration::from_millis(500);

pub struct Uring {
    ring: Option<IoUring>,
    write: bool,
    p: Params,
    bufs: Vec<AlignedBuf>,
    /// Requests done so far, of `requests`.
    next: u64,
    requests: u64,
    eof: bool,
    threads_before: Vec<(u32, u64)>,
    threads_ctx: Option<u64>,
}

impl Uring {
    pub fn new(ctx: &mut Ctx<'_>, p: &Params, write: bool) -> Result<Uring, OpError> {
        ctx.unless_disabled(Switchable::IoUring, "io_uring", "5.1")?;
        let (bytes, chunk) = (p.bytes.get(), p.chunk.get());
        let what = if write { "uring_write" } else { "uring_read" };
        check_direct(
            ctx.file,
            what,
            p.offset,
            &[("chunk", chunk), ("bytes", bytes)],
        )?;
        let requests = bytes.div_ceil(chunk);
        let depth = p.depth.get().min(requests);
        let entries = u32::try_from(depth).unwrap_or(u32::MAX);
        let mut builder = IoUring::builder();
        if p.sqpoll {
            builder.setup_sqpoll(SQ_THREAD_IDLE_MS);
        }
        let ring = builder
            .build(entries)
            .map_err(|e| setup_refused(&e, p.sqpoll))?;
        let mut bufs = Vec::new();
        for _ in 0..depth {
            bufs.push(io_buffer(ctx, chunk.min(bytes))?);
        }
        if p.fixed {
            let iov: Vec<libc::iovec> = bufs
                .iter_mut()
                .map(|b| libc::iovec {
                    iov_base: b.as_mut_ptr().cast(),
                    iov_len: b.len(),
                })
                .collect();
            // SAFETY: every iovec is one of `bufs`, which live as long as
            // the ring (the ring is dropped first, in `finish` or drop).
            unsafe { ring.submitter().register_buffers(&iov) }.map_err(|e| OpError::Os {
                attempted: format!(
                    "registering {depth} buffers of {} bytes with the io_uring \
                     (IORING_REGISTER_BUFFERS; pinned memory counts against RLIMIT_MEMLOCK)",
                    chunk.min(bytes)
                ),
                source: e,
            })?;
        }
        Ok(Uring {
            ring: Some(ring),
            write,
            p: *p,
            bufs,
            next: 0,
            requests,
            eof: false,
            threads_before: io_threads(),
            threads_ctx: None,
        })
    }

    fn depth(&self) -> u64 {
        self.bufs.len() as u64
    }

    /// One batch: push up to `depth` requests, hand them over, reap them.
    fn batch(&mut self, fd: i32, out: &mut SliceOut) -> Result<(), OpError> {
        let n = (self.requests - self.next).min(self.depth());
        let (bytes, chunk, offset) = (self.p.bytes.get(), self.p.chunk.get(), self.p.offset);
        let ring = self.ring.as_mut().expect("the ring lives until finish");
        {
            let mut sq = ring.submission();
            for i in 0..n {
                let req = self.next + i;
                let rel = req * chunk;
                let len = u32::try_from(chunk.min(bytes - rel)).unwrap_or(u32::MAX);
                let buf = &mut self.bufs[crate::cast::usize(i)];
                let at = offset + rel;
                let index = u16::try_from(i).unwrap_or(u16::MAX);
                let entry = match (self.write, self.p.fixed) {
                    (true, false) => opcode::Write::new(types::Fd(fd), buf.as_ptr(), len)
                        .offset(at)
                        .build(),
                    (true, true) => {
                        opcode::WriteFixed::new(types::Fd(fd), buf.as_ptr(), len, index)
                            .offset(at)
                            .build()
                    }
                    (false, false) => opcode::Read::new(types::Fd(fd), buf.as_mut_ptr(), len)
                        .offset(at)
                        .build(),
                    (false, true) => {
                        opcode::ReadFixed::new(types::Fd(fd), buf.as_mut_ptr(), len, index)
                            .offset(at)
                            .build()
                    }
                }
                .user_data(req);
                // SAFETY: the entry's buffer is one of `bufs`, alive and not
                // reused until this batch's completions are reaped below.
                unsafe { sq.push(&entry) }.map_err(|_| {
                    OpError::Invalid("the io_uring submission queue is full".into())
                })?;
            }
            sq.sync();
        }
        out.submissions += n;
        let want = crate::cast::usize(n);
        if self.p.sqpoll {
            // No syscall unless the SQPOLL thread sleeps and must be woken.
            if ring.submission().need_wakeup() {
                out.calls += 1;
            }
            ring.submit().map_err(|e| enter_failed(&e))?;
        } else {
            out.calls += 1;
            ring.submit_and_wait(want).map_err(|e| enter_failed(&e))?;
        }
        let mut reaped = 0u64;
        let started = Instant::now();
        while reaped < n {
            let mut got = 0u64;
            for cqe in ring.completion() {
                got += 1;
                let r = cqe.result();
                let req = cqe.user_data();
                if r < 0 {
                    return Err(OpError::Os {
                        attempted: format!(
                            "io_uring {} of request {req} ({} bytes at offset {})",
                            if self.write { "write" } else { "read" },
                            chunk,
                            offset + req * chunk
                        ),
                        source: std::io::Error::from_raw_os_error(-r),
                    });
                }
                let done = u64::from(r.unsigned_abs());
                out.bytes += done;
                if !self.write && done < chunk.min(bytes - req * chunk) {
                    self.eof = true;
                }
            }
            reaped += got;
            if reaped < n && got == 0 {
                if !self.p.sqpoll || started.elapsed() > SPIN {
                    // Sleep in the kernel until the rest completes.
                    out.calls += 1;
                    ring.submit_and_wait(crate::cast::usize(n - reaped))
                        .map_err(|e| enter_failed(&e))?;
                } else {
                    std::hint::spin_loop();
                }
            }
        }
        out.completions += n;
        out.units += 1;
        self.next += n;
        Ok(())
    }
}

impl Running for Uring {
    fn total(&self) -> u64 {
        self.requests.div_ceil(self.depth().max(1))
    }

    fn done(&self) -> bool {
        self.eof || self.next >= self.requests
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        let fd = ctx.file.fd();
        for _ in 0..units {
            if self.done() {
                break;
            }
            self.batch(fd, out)?;
        }
        Ok(())
    }

    fn finish(&mut self, _ctx: &mut Ctx<'_>) -> Result<(), OpError> {
        let after = io_threads();
        self.threads_ctx = Some(
            after
                .iter()
                .map(|&(tid, n)| {
                    let before = self
                        .threads_before
                        .iter()
                        .find(|(t, _)| *t == tid)
                        .map_or(0, |b| b.1);
                    n.saturating_sub(before)
                })
                .sum(),
        );
        // The ring goes first (its registered buffers point into `bufs`).
        self.ring = None;
        Ok(())
    }

    fn kernel_thread_ctx_switches(&self) -> Option<u64> {
        self.threads_ctx
    }
}

impl Drop for Uring {
    fn drop(&mut self) {
        // Before `bufs`: the kernel may hold the registered buffers.
        self.ring = None;
    }
}

/// Why io_uring_setup failed, as a skip where the kernel lacks or refuses
/// io_uring, else an error.
fn setup_refused(e: &std::io::Error, sqpoll: bool) -> OpError {
    let release = crate::machine::kernel_release();
    match e.raw_os_error() {
        Some(libc::ENOSYS) => OpError::Skipped(Skip::kernel_feature(
            "io_uring",
            "5.1",
            format!("io_uring_setup(2) is not implemented (ENOSYS) under Linux {release}"),
        )),
        Some(libc::EPERM) => OpError::Skipped(Skip::kernel_feature(
            if sqpoll {
                "io_uring with SQPOLL"
            } else {
                "io_uring"
            },
            if sqpoll {
                "5.11 (SQPOLL without privileges)"
            } else {
                "5.1"
            },
            format!(
                "io_uring_setup(2) refused (EPERM): disabled by the sysctl \
                 kernel.io_uring_disabled, a seccomp filter (containers), or, for SQPOLL \
                 before Linux 5.11, missing CAP_SYS_ADMIN (Linux {release})"
            ),
        )),
        _ => OpError::Os {
            attempted: "io_uring_setup(2)".into(),
            source: std::io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
        },
    }
}

fn enter_failed(e: &std::io::Error) -> OpError {
    OpError::Os {
        attempted: "io_uring_enter(2)".into(),
        source: std::io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
    }
}

/// The io_uring kernel threads of this process (`iou-wrk-*`, `iou-sqp-*`)
/// and their context switches (voluntary + involuntary).
fn io_threads() -> Vec<(u32, u64)> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let mut name = "";
        let mut switches = 0u64;
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("Name:") {
                name = v.trim();
            } else if let Some(v) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                switches += v.trim().parse::<u64>().unwrap_or(0);
            }
        }
        if name.starts_with("iou-") {
            out.push((tid, switches));
        }
    }
    out
}
