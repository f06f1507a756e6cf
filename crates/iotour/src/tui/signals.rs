//! The one signal path. SIGTERM, SIGINT and SIGHUP are caught for the whole
//! life of the program by one thread, `signals`, and delivered as a value to
//! whichever loop is running — the TUI's, a headless run's, a `--watch`
//! refresh loop's — through the [`Subscription`] it holds. No other code
//! installs a handler, so no loop can miss a signal another one caught.
//!
//! A signal that arrives while nobody listens (between two loops) is kept
//! and handed to the next subscriber at once.
//!
//! The safety net: a program told to end must end even if a thread it waits
//! for is stuck (an fsync on a dying disk, a terminal that hangs on write).
//! [`GRACE`] after the first signal the `signals` thread restores the
//! terminal and exits with 128 + the signal itself.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// How long a signalled program may take to clean up before it is ended.
pub const GRACE: Duration = Duration::from_secs(3);

type Sink = Box<dyn Fn(i32) -> bool + Send>;

#[derive(Default)]
struct Delivery {
    sink: Option<Sink>,
    /// A signal nobody took yet.
    pending: Option<i32>,
    /// Bumped by each subscription, so an old one's drop leaves a new one be.
    generation: u64,
}

static DELIVERY: OnceLock<Mutex<Delivery>> = OnceLock::new();

/// The first signal the `signals` thread took (0: none yet).
static FIRST: AtomicI32 = AtomicI32::new(0);

/// Set by the signal handler itself, at delivery: a signal the `signals`
/// thread has not taken yet (a SIGHUP that came with the terminal's
/// hang-up while the program was already ending) is known all the same.
fn raw_flag() -> &'static Arc<AtomicUsize> {
    static RAW: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    RAW.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// The first signal caught since [`install`], if any: whatever the program
/// was doing when it came, it ends with 128 + this (see `cli::main`).
pub fn received() -> Option<i32> {
    match FIRST.load(Ordering::SeqCst) {
        0 => match raw_flag().load(Ordering::SeqCst) {
            0 => None,
            sig => i32::try_from(sig).ok(),
        },
        sig => Some(sig),
    }
}

fn delivery() -> std::sync::MutexGuard<'static, Delivery> {
    DELIVERY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Catch SIGTERM, SIGINT and SIGHUP from now on. Call once, first thing in
/// `main`; later calls do nothing.
pub fn install() -> std::io::Result<()> {
    static STARTED: OnceLock<()> = OnceLock::new();
    if STARTED.get().is_some() {
        return Ok(());
    }
    let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP])?;
    for sig in [SIGTERM, SIGINT, SIGHUP] {
        // The numbers are small and positive: the casts are exact.
        signal_hook::flag::register_usize(sig, Arc::clone(raw_flag()), sig as usize)?;
    }
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut first = true;
            for sig in signals.forever() {
                let _ = FIRST.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
                deliver(sig);
                if std::mem::take(&mut first) {
                    arm_safety_net(sig);
                }
            }
        })?;
    let _ = STARTED.set(());
    Ok(())
}

fn deliver(sig: i32) {
    let mut d = delivery();
    let taken = d.sink.as_ref().is_some_and(|sink| sink(sig));
    if !taken {
        // The subscriber's loop is gone (or there is none yet): keep it for
        // the next one.
        d.sink = None;
        d.pending = Some(sig);
    }
}

fn arm_safety_net(sig: i32) {
    let spawned = std::thread::Builder::new()
        .name("grace".into())
        .spawn(move || {
            std::thread::sleep(GRACE);
            super::terminal::restore();
            crate::cli::output::err_line(&format!(
                "iotour: still running {} s after signal {sig}; ending now",
                GRACE.as_secs()
            ));
            std::process::exit(128 + sig);
        });
    if spawned.is_err() {
        // Without a timer, end now rather than risk never ending.
        super::terminal::restore();
        std::process::exit(128 + sig);
    }
}

/// While held, signals go to this subscriber's channel. Dropping it stops
/// the delivery (later signals wait for the next subscriber).
#[must_use = "signals are delivered only while the subscription lives"]
pub struct Subscription {
    generation: u64,
}

/// Deliver every signal from now on to `tx`, made into an event by `make`.
/// A signal that arrived before is delivered at once.
pub fn subscribe<E: Send + 'static>(tx: Sender<E>, make: fn(i32) -> E) -> Subscription {
    let mut d = delivery();
    d.generation += 1;
    if let Some(sig) = d.pending.take()
        && tx.send(make(sig)).is_err()
    {
        d.pending = Some(sig);
    }
    d.sink = Some(Box::new(move |sig| tx.send(make(sig)).is_ok()));
    Subscription {
        generation: d.generation,
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut d = delivery();
        if d.generation == self.generation {
            d.sink = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    // One test, because the delivery is process-wide.
    #[test]
    fn signals_reach_the_current_subscriber_and_wait_between_subscribers() {
        install().unwrap();
        let (tx, rx) = channel::<i32>();
        let sub = subscribe(tx, |s| s);
        deliver(SIGTERM);
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(SIGTERM));
        drop(sub);
        // Nobody listens: kept for the next subscriber.
        deliver(SIGHUP);
        let (tx, rx) = channel::<i32>();
        let _sub = subscribe(tx, |s| s);
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(SIGHUP));
        // A subscriber whose receiver is gone does not eat the signal.
        drop(rx);
        deliver(SIGINT);
        let (tx, rx) = channel::<i32>();
        let _again = subscribe(tx, |s| s);
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(SIGINT));
    }
}
