//! `reopen`, `sleep`, `wait_writeback` and `note`.

use std::os::fd::IntoRawFd;
use std::sync::{Arc, Condvar, Mutex};
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

/// Sleep `ms` milliseconds in one wait: the measured window holds one
/// timed futex wait (what `Thread.sleep` is on Linux) and one voluntary
/// context switch, not the tool's own polling. The wait is on the engine's
/// control condvar, so an abort still wakes it at once (a speed change or a
/// pause may wake it early too, and it goes back to sleep: a second call).
pub struct Sleep {
    ms: u64,
    done: bool,
}

impl Sleep {
    pub fn new(ms: u64) -> Sleep {
        Sleep { ms, done: false }
    }
}

impl Running for Sleep {
    fn total(&self) -> u64 {
        1
    }

    fn done(&self) -> bool {
        self.done
    }

    fn paced(&self) -> bool {
        false
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, _units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        ctx.shared
            .control
            .sleep(Duration::from_millis(self.ms))
            .map_err(|_| OpError::Aborted)?;
        self.done = true;
        // One futex(2) wait (the engine's estimate; the tracepoint counts
        // what really happened).
        *out = SliceOut {
            units: 1,
            calls: 1,
            ..SliceOut::default()
        };
        Ok(())
    }
}

/// Wait until the file has no dirty and no writeback pages, or `timeout_ms`
/// has passed. The worker blocks on a condvar (one futex wait, one voluntary
/// switch: what a thread that waits for the flusher costs) while a watcher
/// thread, started before the measured window, polls the file every
/// [`POLL`] with its own fd and wakes the worker. Not an error when time
/// runs out: the report shows what was still dirty.
pub struct WaitWriteback {
    watch: Arc<Watch>,
    watcher: Option<std::thread::JoinHandle<()>>,
    done: bool,
}

/// What the watcher tells the worker.
#[derive(Default)]
struct Watch {
    /// Set by the watcher: the file is clean, time ran out, or the run was aborted.
    over: Mutex<Option<WatchEnd>>,
    woke: Condvar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WatchEnd {
    Clean,
    Timeout,
    Aborted,
}

const POLL: Duration = Duration::from_millis(20);

impl WaitWriteback {
    pub fn new(ctx: &Ctx<'_>, timeout_ms: u64) -> Result<WaitWriteback, OpError> {
        let file = ctx.file.file.try_clone().map_err(|e| OpError::Os {
            attempted: "dup(2) of the working file for the writeback watcher".into(),
            source: e,
        })?;
        let pages = ctx.pages.clone();
        let shared = Arc::clone(ctx.shared);
        let watch = Arc::new(Watch::default());
        let w = Arc::clone(&watch);
        let timeout = Duration::from_millis(timeout_ms);
        let watcher = std::thread::Builder::new()
            .name("iotour-wb-watch".into())
            .spawn(move || {
                // The clock starts here, just before the worker's window
                // opens: waking the watcher from inside the window would be
                // one more call that is the tool's, not the lesson's.
                let started = Instant::now();
                loop {
                    let clean = pages.counts(&file, 0, 0).ok().is_some_and(|c| {
                        // Unknown dirtiness (mincore): wait out the timeout.
                        matches!((c.dirty, c.writeback), (Some(0), Some(0)))
                    });
                    if clean {
                        return finish(&w, WatchEnd::Clean);
                    }
                    let left = timeout.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return finish(&w, WatchEnd::Timeout);
                    }
                    if shared.control.sleep(POLL.min(left)).is_err() {
                        return finish(&w, WatchEnd::Aborted);
                    }
                }
            })
            .map_err(|e| OpError::Os {
                attempted: "starting the writeback watcher thread".into(),
                source: e,
            })?;
        Ok(WaitWriteback {
            watch,
            watcher: Some(watcher),
            done: false,
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn finish(w: &Watch, end: WatchEnd) {
    *lock(&w.over) = Some(end);
    w.woke.notify_all();
}

impl Running for WaitWriteback {
    fn total(&self) -> u64 {
        1
    }

    fn done(&self) -> bool {
        self.done
    }

    fn paced(&self) -> bool {
        false
    }

    fn slice(
        &mut self,
        _ctx: &mut Ctx<'_>,
        _units: u64,
        out: &mut SliceOut,
    ) -> Result<(), OpError> {
        let mut over = lock(&self.watch.over);
        while over.is_none() {
            over = self
                .watch
                .woke
                .wait(over)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let end = over.take();
        drop(over);
        self.done = true;
        // One futex(2) wait (none when the file was clean already; the
        // tracepoint counts what really happened).
        *out = SliceOut {
            units: 1,
            calls: 1,
            ..SliceOut::default()
        };
        match end {
            Some(WatchEnd::Aborted) => Err(OpError::Aborted),
            _ => Ok(()),
        }
    }

    fn finish(&mut self, _ctx: &mut Ctx<'_>) -> Result<(), OpError> {
        if let Some(h) = self.watcher.take() {
            // The watcher has ended (clean, timeout or abort) by the time
            // the worker's wait returns.
            let _ = h.join();
        }
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
