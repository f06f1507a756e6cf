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
/// pause may wake it early too, and it goes back to sleep: a second call),
/// and so does `EndWait`, which ends it for good.
pub struct Sleep {
    ms: u64,
    done: bool,
    /// How long it had slept when `EndWait` ended it.
    ended_early: Option<Duration>,
}

impl Sleep {
    pub fn new(ctx: &Ctx<'_>, ms: u64) -> Sleep {
        ctx.shared.control.begin_wait();
        Sleep {
            ms,
            done: false,
            ended_early: None,
        }
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
        let started = Instant::now();
        let ended = ctx
            .shared
            .control
            .sleep_in_wait(Duration::from_millis(self.ms))
            .map_err(|_| OpError::Aborted)?;
        if ended {
            self.ended_early = Some(started.elapsed());
        }
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

    fn ended_early(&self) -> Option<Duration> {
        self.ended_early
    }
}

/// Wait until the file has no dirty and no writeback pages, or `timeout_ms`
/// has passed. The worker blocks on a condvar (one futex wait, one voluntary
/// switch: what a thread that waits for the flusher costs) while a watcher
/// thread, started before the measured window, polls the file every
/// [`POLL`] with its own fd and wakes the worker. Not an error when time
/// runs out: the report shows what was still dirty. `EndWait` wakes the
/// watcher, which ends the wait as if time had run out, and the step's
/// report says when.
pub struct WaitWriteback {
    watch: Arc<Watch>,
    watcher: Option<std::thread::JoinHandle<()>>,
    done: bool,
    ended_early: Option<Duration>,
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
    /// `EndWait`, this long after the watcher started.
    Ended(Duration),
    Aborted,
}

const POLL: Duration = Duration::from_millis(20);

impl WaitWriteback {
    /// Wait at most `timeout` (see [`timeout`] for the `flusher` form).
    pub fn new(ctx: &Ctx<'_>, timeout: Duration) -> Result<WaitWriteback, OpError> {
        ctx.shared.control.begin_wait();
        let file = ctx.file.file.try_clone().map_err(|e| OpError::Os {
            attempted: "dup(2) of the working file for the writeback watcher".into(),
            source: e,
        })?;
        let pages = ctx.pages.clone();
        let shared = Arc::clone(ctx.shared);
        let watch = Arc::new(Watch::default());
        let w = Arc::clone(&watch);
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
                    match shared.control.sleep_in_wait(POLL.min(left)) {
                        Ok(false) => {}
                        Ok(true) => return finish(&w, WatchEnd::Ended(started.elapsed())),
                        Err(_) => return finish(&w, WatchEnd::Aborted),
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
            ended_early: None,
        })
    }
}

/// How long a `wait_writeback` waits: `timeout_ms`, or with `flusher` that
/// long after the flusher's own deadline, `dirty_expire_centisecs` +
/// `dirty_writeback_centisecs` as /proc/sys/vm has them now (the pages are
/// at most that far from being written by the periodic flusher). When they
/// cannot be read, the kernel's defaults (30 s + 5 s).
pub fn timeout(o: &crate::scenario::WaitWriteback) -> Duration {
    let margin = Duration::from_millis(o.timeout_ms);
    if !o.flusher {
        return margin;
    }
    let vm = crate::probe::system::DirtySettings::read();
    let expire = vm.dirty_expire_centisecs.unwrap_or(3000);
    let every = vm.dirty_writeback_centisecs.unwrap_or(500);
    let clock = super::super::FlusherClock::from_centisecs(expire, every);
    clock.expire + clock.every + margin
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
        if let Some(WatchEnd::Ended(after)) = end {
            self.ended_early = Some(after);
        }
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

    fn ended_early(&self) -> Option<Duration> {
        self.ended_early
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
