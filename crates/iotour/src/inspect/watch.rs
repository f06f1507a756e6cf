//! The `--watch` loop's clock: sleeps that end early on Ctrl-C (SIGINT) or
//! SIGTERM, so a refresh loop stops between two refreshes, never halfway
//! through printing one. Shared by `inspect --watch` and `stats --watch`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM};

/// How the user left a live view opened from the TUI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewExit {
    /// `q` or Esc: back to where it was opened.
    Back,
    /// Ctrl-C: quit the program.
    Quit,
}

/// Raw mode turns Ctrl-C into a key: the live views must still treat it as
/// "stop".
pub fn is_ctrl_c(key: ratatui::crossterm::event::KeyEvent) -> bool {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// A cancellation token set by a signal, remembering which one.
///
/// While it lives, the signals it watches no longer terminate the process;
/// dropping it removes its handlers. signal-hook does not put the default
/// action back, so whoever drops a `Stop` mid-run must already have its own
/// handler in place (the TUI restarts its signal thread first).
#[derive(Debug)]
pub struct Stop {
    /// The signal number that arrived, or 0.
    signal: Arc<AtomicUsize>,
    ids: Vec<SigId>,
}

impl Stop {
    /// Watch SIGINT and SIGTERM: what a refresh loop in a shell must stop on.
    pub fn on_signals() -> std::io::Result<Stop> {
        Stop::on(&[SIGINT, SIGTERM])
    }

    /// Watch `signals` (e.g. also SIGHUP, for a view inside the TUI).
    pub fn on(signals: &[i32]) -> std::io::Result<Stop> {
        let mut stop = Stop {
            signal: Arc::new(AtomicUsize::new(0)),
            ids: Vec::with_capacity(signals.len()),
        };
        for &sig in signals {
            // A signal number is positive, so 0 stays free for "none yet".
            let id =
                signal_hook::flag::register_usize(sig, Arc::clone(&stop.signal), sig as usize)?;
            stop.ids.push(id);
        }
        Ok(stop)
    }

    pub fn stopped(&self) -> bool {
        self.signal().is_some()
    }

    /// The signal that stopped the loop, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::Relaxed) {
            0 => None,
            sig => Some(sig as i32),
        }
    }

    /// Sleep for `d`, waking every 50 ms to check the flag.
    /// Returns `false` when stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        loop {
            if self.stopped() {
                return false;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            std::thread::sleep((until - now).min(Duration::from_millis(50)));
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Seconds as typed (`0.5`, `2`) into a duration; at least 10 ms, so a
/// refresh loop cannot spin.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !v.is_finite() || v < 0.01 {
        return Err(format!("`{s}`: must be at least 0.01 seconds"));
    }
    Ok(Duration::from_secs_f64(v))
}

/// The time of day in UTC, `HH:MM:SS`, for the refresh header.
pub fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_flag_ends_the_sleep_at_once() {
        let stop = Stop::on(&[]).unwrap();
        let t = Instant::now();
        assert!(stop.sleep(Duration::from_millis(20)));
        stop.signal.store(15, Ordering::Relaxed);
        assert!(!stop.sleep(Duration::from_secs(10)));
        assert!(t.elapsed() < Duration::from_secs(1));
        assert_eq!(stop.signal(), Some(15));
    }

    #[test]
    fn a_signal_is_remembered_and_the_handler_goes_with_the_token() {
        // SIGUSR1's default action would kill the test binary: the token's
        // handler must catch it, and a second token sees only its own.
        let sig = signal_hook::consts::SIGUSR1;
        let first = Stop::on(&[sig]).unwrap();
        let keep = Stop::on(&[sig]).unwrap();
        signal_hook::low_level::raise(sig).unwrap();
        assert_eq!(first.signal(), Some(sig));
        drop(first);
        let second = Stop::on(&[sig]).unwrap();
        assert!(!second.stopped());
        signal_hook::low_level::raise(sig).unwrap();
        assert_eq!(second.signal(), Some(sig));
        drop(keep);
    }

    #[test]
    fn seconds_parse_with_a_floor() {
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_seconds("0").unwrap_err().contains("at least"));
        assert!(parse_seconds("x").is_err());
        assert!(parse_seconds("NaN").is_err());
    }
}
