//! Pause, resume, single-stepping, speed, the end of a wait and abort,
//! shared by the consumer
//! (through [`Engine::send`](super::Engine::send)), the worker and the sampler.
//!
//! One mutex and one condvar: every sleep in the engine waits on the condvar
//! with a timeout, so an Abort wakes it at once.
//!
//! Pacing rule: at [`Speed::One`] a step aims at [`STEP_TARGET`] of wall time,
//! spread evenly over its slices (about 50, see `ops`); each slice is followed
//! by a sleep of `STEP_TARGET / factor / slices − work time of the slice`
//! (never negative). A 10,000-write step therefore takes about 3 s at 1×,
//! 12 s at ¼× and 0.4 s at 8×; a one-slice step (fsync) is followed by the
//! whole target, so the viewer sees its effect before the next step starts.
//! `Max` never sleeps. `sleep` and `wait_writeback` steps take their own time
//! and are not paced on top; `EndWait` ends such a wait early (the lecturer's
//! "skip ahead"), and the step's report says so.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Command, Speed};

/// Wall time a step aims at at 1×.
pub const STEP_TARGET: Duration = Duration::from_secs(3);

/// The step target in use, in microseconds: [`STEP_TARGET`] unless a test
/// shortened it with [`set_step_target`].
static STEP_TARGET_US: AtomicU64 = AtomicU64::new(3_000_000);

/// Test hook: make every paced step of this process aim at `target` instead
/// of [`STEP_TARGET`] at 1×. The pacing still sleeps between every slice (so
/// a test can show that pauses between slices do not change verdicts), only
/// less long, so all lessons at ¼× run in minutes instead of half an hour.
#[doc(hidden)]
pub fn set_step_target(target: Duration) {
    STEP_TARGET_US.store(
        u64::try_from(target.as_micros()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

fn step_target() -> Duration {
    Duration::from_micros(STEP_TARGET_US.load(Ordering::Relaxed))
}

/// How much the worker may run before pausing again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    /// Paused with nothing granted.
    None,
    /// One slice, then pause.
    Slice,
    /// Granted by `NextStep`: run the next step to its end, then pause. Survives
    /// the end of the step that is running when it is granted.
    Step,
    /// A `Step` grant that a step start has taken: this step runs to its end.
    /// Only [`Control::step_done`] clears it, so a `NextStep` sent after (or
    /// while) a step ends is never lost.
    InStep,
}

#[derive(Debug)]
struct State {
    paused: bool,
    budget: Budget,
    speed: Speed,
    aborted: bool,
    /// Between a step's start ([`Control::gate_step`]) and its end
    /// ([`Control::step_done`]), whether paused or not.
    in_step: bool,
    wait: Wait,
}

/// Whether the step in progress is a wait that `EndWait` can end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// No `sleep` or `wait_writeback` waits: `EndWait` means nothing.
    None,
    /// One waits ([`Control::begin_wait`] until its step ends).
    Waiting,
    /// `EndWait` came while it waited: the wait ends now.
    Ended,
}

/// The run was aborted: stop what you are doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aborted;

#[derive(Debug)]
pub struct Control {
    state: Mutex<State>,
    changed: Condvar,
}

impl Control {
    pub fn new(speed: Speed, paused: bool) -> Control {
        Control {
            state: Mutex::new(State {
                paused,
                budget: Budget::None,
                speed,
                aborted: false,
                in_step: false,
                wait: Wait::None,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked while holding
        // it; the state is plain flags and still meaningful.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn apply(&self, cmd: Command) {
        let mut s = self.lock();
        match cmd {
            Command::Pause => {
                s.paused = true;
                s.budget = Budget::None;
            }
            Command::Resume => {
                s.paused = false;
                s.budget = Budget::None;
            }
            Command::NextStep => {
                s.paused = true;
                s.budget = Budget::Step;
            }
            Command::NextSlice => {
                s.paused = true;
                s.budget = Budget::Slice;
            }
            Command::FinishStep => {
                s.paused = true;
                s.budget = if s.in_step {
                    Budget::InStep
                } else {
                    Budget::Step
                };
            }
            Command::SetSpeed(speed) => s.speed = speed,
            // A key pressed between steps (or during any other op) must not
            // cut the next wait short: only a wait in progress is ended.
            Command::EndWait => {
                if s.wait == Wait::Waiting {
                    s.wait = Wait::Ended;
                }
            }
            Command::Abort => s.aborted = true,
        }
        drop(s);
        self.changed.notify_all();
    }

    pub fn is_aborted(&self) -> bool {
        self.lock().aborted
    }

    pub fn speed(&self) -> Speed {
        self.lock().speed
    }

    /// Before a step starts: like [`gate`](Self::gate), but a `NextStep` grant
    /// is taken by this step (it becomes the in-step state).
    pub fn gate_step(&self) -> Result<(), Aborted> {
        self.wait_for_budget(true)?;
        let mut s = self.lock();
        s.in_step = true;
        s.wait = Wait::None;
        Ok(())
    }

    /// Before a slice: wait while paused without budget; consume a slice budget.
    pub fn gate(&self) -> Result<(), Aborted> {
        self.wait_for_budget(false)
    }

    fn wait_for_budget(&self, step_start: bool) -> Result<(), Aborted> {
        let mut s = self.lock();
        loop {
            if s.aborted {
                return Err(Aborted);
            }
            if !s.paused {
                return Ok(());
            }
            match s.budget {
                Budget::Step if step_start => {
                    s.budget = Budget::InStep;
                    return Ok(());
                }
                Budget::Step | Budget::InStep => return Ok(()),
                Budget::Slice => {
                    s.budget = Budget::None;
                    return Ok(());
                }
                Budget::None => {
                    s = self
                        .changed
                        .wait(s)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
            }
        }
    }

    /// After a step: the `NextStep` grant it took is used up. A grant made since
    /// (a `NextStep` not yet taken by a step start) stays.
    pub fn step_done(&self) {
        let mut s = self.lock();
        s.in_step = false;
        s.wait = Wait::None;
        if s.budget == Budget::InStep {
            s.budget = Budget::None;
        }
    }

    /// Sleep up to `d`, waking early (with `Err`) on abort.
    pub fn sleep(&self, d: Duration) -> Result<(), Aborted> {
        let deadline = Instant::now() + d;
        self.wait_until(|_| Some(deadline))
    }

    /// The step in progress starts waiting (`sleep`, `wait_writeback`):
    /// from now until the step ends, `EndWait` ends the wait.
    pub fn begin_wait(&self) {
        self.lock().wait = Wait::Waiting;
    }

    /// Whether `EndWait` has ended the wait in progress.
    pub fn wait_ended(&self) -> bool {
        self.lock().wait == Wait::Ended
    }

    /// Sleep up to `d` as part of a wait ([`begin_wait`](Self::begin_wait)):
    /// `Ok(true)` when `EndWait` ended it early, `Ok(false)` when `d` passed,
    /// `Err` on abort.
    pub fn sleep_in_wait(&self, d: Duration) -> Result<bool, Aborted> {
        let deadline = Instant::now() + d;
        self.wait_until(|s| (s.wait != Wait::Ended).then_some(deadline))?;
        Ok(self.wait_ended())
    }

    /// The pause after a slice that took `work`, per the pacing rule above.
    /// A step run with `NextStep` while paused is paced too, so it can be watched.
    ///
    /// The deadline follows the current speed on every wake: a speed change
    /// during the sleep takes effect at once, and a Pause (paused with nothing
    /// granted) ends it so the next gate holds the worker.
    pub fn pace(&self, work: Duration, slices: u64) -> Result<(), Aborted> {
        let start = Instant::now();
        self.wait_until(|s| {
            if s.paused && s.budget == Budget::None {
                return None;
            }
            pause_after_slice(s.speed, work, slices).map(|d| start + d)
        })
    }

    /// Wait until the deadline `until` reads from the state, or an abort.
    /// `until` is asked again on every wake, so a command can move the
    /// deadline or, by giving `None`, end the wait at once.
    fn wait_until(&self, until: impl Fn(&State) -> Option<Instant>) -> Result<(), Aborted> {
        let mut s = self.lock();
        loop {
            if s.aborted {
                return Err(Aborted);
            }
            let Some(deadline) = until(&s) else {
                return Ok(());
            };
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            s = self
                .changed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }
}

/// How much slower (>1) or faster (<1) than 1× a speed is, as a divisor of
/// [`STEP_TARGET`]. `None` for `Max`.
pub fn speed_factor(speed: Speed) -> Option<f64> {
    match speed {
        Speed::Quarter => Some(0.25),
        Speed::Half => Some(0.5),
        Speed::One => Some(1.0),
        Speed::Two => Some(2.0),
        Speed::Four => Some(4.0),
        Speed::Eight => Some(8.0),
        Speed::Max => None,
    }
}

/// The pacing sleep after one of `slices` slices that took `work`.
pub fn pause_after_slice(speed: Speed, work: Duration, slices: u64) -> Option<Duration> {
    let factor = speed_factor(speed)?;
    let per_slice =
        step_target().div_f64(factor * f64::from(u32::try_from(slices.max(1)).unwrap_or(u32::MAX)));
    per_slice.checked_sub(work).filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn pacing_spreads_the_target_over_the_slices() {
        let d = pause_after_slice(Speed::One, Duration::ZERO, 50).unwrap();
        assert_eq!(d, Duration::from_millis(60));
        let d = pause_after_slice(Speed::Quarter, Duration::from_millis(40), 50).unwrap();
        assert_eq!(d, Duration::from_millis(200));
        assert_eq!(pause_after_slice(Speed::Max, Duration::ZERO, 50), None);
        // Work longer than the slice's share: no sleep.
        assert_eq!(
            pause_after_slice(Speed::Eight, Duration::from_secs(1), 50),
            None
        );
    }

    #[test]
    fn abort_wakes_a_long_sleep_promptly() {
        let c = Arc::new(Control::new(Speed::One, false));
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            let r = c2.sleep(Duration::from_secs(30));
            (r, start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        c.apply(Command::Abort);
        let (r, took) = t.join().unwrap();
        assert_eq!(r, Err(Aborted));
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn a_speed_change_or_pause_reaches_a_pacing_sleep_in_progress() {
        for cmd in [Command::SetSpeed(Speed::Max), Command::Pause] {
            let c = Arc::new(Control::new(Speed::Quarter, false));
            let c2 = Arc::clone(&c);
            // One slice at 1/4x: a 12 s sleep.
            let t = std::thread::spawn(move || {
                let start = Instant::now();
                (c2.pace(Duration::ZERO, 1), start.elapsed())
            });
            std::thread::sleep(Duration::from_millis(50));
            c.apply(cmd);
            let (r, took) = t.join().unwrap();
            assert_eq!(r, Ok(()));
            assert!(took < Duration::from_secs(2), "{cmd:?}: slept {took:?}");
        }
        // Faster but not Max: the deadline shrinks to the new speed's share.
        let c = Arc::new(Control::new(Speed::Quarter, false));
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            (c2.pace(Duration::ZERO, 1), start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        c.apply(Command::SetSpeed(Speed::Eight));
        let (_, took) = t.join().unwrap();
        assert!(took < Duration::from_secs(2), "slept {took:?}");
        assert!(took >= Duration::from_millis(375), "slept {took:?}");
    }

    #[test]
    fn next_slice_grants_exactly_one_slice() {
        let c = Arc::new(Control::new(Speed::Max, true));
        c.apply(Command::NextSlice);
        assert_eq!(c.gate(), Ok(()));
        // The second gate blocks until something changes: abort releases it.
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || c2.gate());
        std::thread::sleep(Duration::from_millis(50));
        assert!(!t.is_finished(), "a second slice ran without a grant");
        c.apply(Command::Abort);
        assert_eq!(t.join().unwrap(), Err(Aborted));
    }

    #[test]
    fn next_step_runs_until_step_done() {
        let c = Control::new(Speed::Max, true);
        c.apply(Command::NextStep);
        assert_eq!(c.gate_step(), Ok(()));
        assert_eq!(c.gate(), Ok(()));
        c.step_done();
        c.apply(Command::Resume);
        assert_eq!(c.gate(), Ok(()));
    }

    #[test]
    fn finish_step_ends_the_step_in_progress_or_runs_the_next_one() {
        let c = Arc::new(Control::new(Speed::Max, false));
        // Running freely, mid-step: the step runs on to its end, then holds.
        assert_eq!(c.gate_step(), Ok(()));
        c.apply(Command::FinishStep);
        assert_eq!(c.gate(), Ok(()), "the step in progress goes on");
        c.step_done();
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || c2.gate_step());
        std::thread::sleep(Duration::from_millis(50));
        assert!(!t.is_finished(), "the next step started");
        // Held between steps: the next step runs whole, then holds again.
        c.apply(Command::FinishStep);
        assert_eq!(t.join().unwrap(), Ok(()));
        assert_eq!(c.gate(), Ok(()));
        c.step_done();
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || c2.gate_step());
        std::thread::sleep(Duration::from_millis(50));
        assert!(!t.is_finished(), "a second step ran on one grant");
        c.apply(Command::Abort);
        assert_eq!(t.join().unwrap(), Err(Aborted));
    }

    #[test]
    fn end_wait_ends_only_a_wait_in_progress() {
        let c = Arc::new(Control::new(Speed::One, false));
        // Pressed before the wait: ignored, the wait runs its course.
        assert_eq!(c.gate_step(), Ok(()));
        c.apply(Command::EndWait);
        c.begin_wait();
        assert_eq!(c.sleep_in_wait(Duration::from_millis(30)), Ok(false));
        // Pressed during it: the 30 s wait ends at once and says so.
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            (c2.sleep_in_wait(Duration::from_secs(30)), start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        c.apply(Command::EndWait);
        let (r, took) = t.join().unwrap();
        assert_eq!(r, Ok(true));
        assert!(took < Duration::from_secs(2), "{took:?}");
        // The step's end forgets it: the next step's wait is whole.
        c.step_done();
        assert_eq!(c.gate_step(), Ok(()));
        assert!(!c.wait_ended());
        c.begin_wait();
        assert_eq!(c.sleep_in_wait(Duration::from_millis(10)), Ok(false));
    }

    #[test]
    fn a_next_step_sent_before_step_done_is_kept_for_the_next_step() {
        let c = Arc::new(Control::new(Speed::Max, true));
        c.apply(Command::NextStep);
        assert_eq!(c.gate_step(), Ok(()));
        // The consumer saw StepDone and granted the next step before the
        // worker called step_done (or pressed n during the pacing sleep).
        c.apply(Command::NextStep);
        c.step_done();
        assert_eq!(c.gate_step(), Ok(()), "the second grant was lost");
        c.step_done();
        // Now nothing is granted: the next step start blocks.
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || c2.gate_step());
        std::thread::sleep(Duration::from_millis(50));
        assert!(!t.is_finished(), "a step ran without a grant");
        c.apply(Command::Abort);
        assert_eq!(t.join().unwrap(), Err(Aborted));
    }
}
