//! `reopen`, `sleep`, `wait_writeback` and `note`.

use std::os::fd::IntoRawFd;
use std::time::{Duration, Instant};

use rustix::fs::OFlags;

use super::super::workdir;
use super::{Ctx, OneShot, OpError, Running, SliceOut};
use crate::scenario::OpenFlags;

/// Reopen the working file with extra flags: one openat(2) and one close(2).
pub struct Reopen {
    pub flags: OpenFlags,
}

/// The open(2) flags for `flags` (always read-write; `workdir::open_file`
/// adds `O_NOFOLLOW` and `O_CLOEXEC`).
pub fn open_flags(flags: OpenFlags) -> OFlags {
    let mut f = OFlags::RDWR;
    if flags.sync {
        f |= OFlags::SYNC;
    }
    if flags.dsync {
        f |= OFlags::DSYNC;
    }
    if flags.direct {
        f |= OFlags::DIRECT;
    }
    if flags.append {
        f |= OFlags::APPEND;
    }
    f
}

impl OneShot for Reopen {
    fn run(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        // Through the working directory's fd, never `<workdir>/file` by path:
        // whoever can write the workdir's parent may have renamed the
        // directory and planted a symlink named `file` where it was.
        let new = match workdir::open_file(&ctx.file.dir, open_flags(self.flags)) {
            Ok(f) => f,
            Err(e) => {
                if self.flags.direct && e.raw_os_error() == Some(libc::EINVAL) {
                    return Err(OpError::Invalid(format!(
                        "open(2) with O_DIRECT failed with EINVAL: this filesystem ({}) refuses \
                         direct I/O (tmpfs has no device to DMA to, so it never supports it)",
                        ctx.file.fs_name
                    )));
                }
                return Err(OpError::Os {
                    attempted: format!("open(2) of the working file with {:?}", self.flags),
                    source: e,
                });
            }
        };
        // Close the old fd ourselves: exactly one close(2) (a debug build's
        // File drop adds an fcntl check first).
        let old = std::mem::replace(&mut ctx.file.file, new);
        // SAFETY: `old` is consumed; its fd is closed once and never used again.
        unsafe { libc::close(old.into_raw_fd()) };
        ctx.file.flags = self.flags;
        ctx.file.pos = 0;
        *out = SliceOut {
            units: 1,
            calls: 2,
            ..SliceOut::default()
        };
        Ok(())
    }
}

/// Sleep `ms` milliseconds, in slices, waking at once on abort.
pub struct Sleep {
    ms: u64,
    done_ms: u64,
}

impl Sleep {
    pub fn new(ms: u64) -> Sleep {
        Sleep { ms, done_ms: 0 }
    }
}

impl Running for Sleep {
    fn total(&self) -> u64 {
        self.ms.max(1)
    }

    fn done(&self) -> bool {
        self.done_ms >= self.ms
    }

    fn paced(&self) -> bool {
        false
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        let ms = units.min(self.ms - self.done_ms);
        ctx.shared
            .control
            .sleep(Duration::from_millis(ms))
            .map_err(|_| OpError::Aborted)?;
        self.done_ms += ms;
        // A condvar wait is one futex(2) (the engine's estimate; the
        // tracepoint counts what really happened).
        *out = SliceOut {
            units: ms,
            calls: 1,
            ..SliceOut::default()
        };
        Ok(())
    }
}

/// Poll the file's dirty + writeback pages every [`POLL`] until both are 0
/// or `timeout_ms` has passed. Not an error when time runs out: the report
/// shows what was still dirty.
pub struct WaitWriteback {
    timeout_ms: u64,
    started: Option<Instant>,
    done: bool,
}

const POLL: Duration = Duration::from_millis(20);

impl WaitWriteback {
    pub fn new(timeout_ms: u64) -> WaitWriteback {
        WaitWriteback {
            timeout_ms,
            started: None,
            done: false,
        }
    }
}

impl Running for WaitWriteback {
    fn total(&self) -> u64 {
        self.timeout_ms.max(1)
    }

    fn done(&self) -> bool {
        self.done
    }

    fn paced(&self) -> bool {
        false
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, _units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        let started = *self.started.get_or_insert_with(Instant::now);
        let before = crate::cast::saturating(started.elapsed().as_millis());
        // The mincore fallback is four syscalls per poll, not one.
        let mut calls = 0;
        let counts = ctx
            .pages
            .counts_with_calls(&ctx.file.file, 0, 0, &mut calls)
            .map_err(|e| {
                out.calls = calls;
                OpError::Os {
                    attempted: "cachestat/mincore of the working file".into(),
                    source: e,
                }
            })?;
        let clean = match (counts.dirty, counts.writeback) {
            (Some(d), Some(w)) => d == 0 && w == 0,
            // Unknown dirtiness (mincore): wait out the timeout.
            _ => false,
        };
        if clean || before >= self.timeout_ms {
            self.done = true;
        } else {
            let left = Duration::from_millis(self.timeout_ms - before);
            ctx.shared
                .control
                .sleep(POLL.min(left))
                .map_err(|_| OpError::Aborted)?;
            calls += 1;
        }
        let after = crate::cast::saturating(started.elapsed().as_millis()).min(self.timeout_ms);
        *out = SliceOut {
            units: if self.done {
                self.timeout_ms.saturating_sub(before).max(1)
            } else {
                after.saturating_sub(before)
            },
            calls,
            ..SliceOut::default()
        };
        Ok(())
    }
}

/// Narration only: one empty slice.
pub struct Note;

impl OneShot for Note {
    fn run(&mut self, _ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        *out = SliceOut {
            units: 1,
            ..SliceOut::default()
        };
        Ok(())
    }
}
