//! The `--watch` loop's clock: sleeps that end early on Ctrl-C (SIGINT) or
//! SIGTERM, so a refresh loop stops between two refreshes, never halfway
//! through printing one. Shared by `inspect --watch` and `stats --watch`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A cancellation token set by SIGINT or SIGTERM.
#[derive(Debug, Clone)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Install the handlers. The flag is only set by them; the default action
    /// (terminate) is replaced only for as long as the process lives, which is
    /// what a refresh loop wants.
    pub fn on_signals() -> std::io::Result<Stop> {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(sig, Arc::clone(&flag))?;
        }
        Ok(Stop(flag))
    }

    pub fn stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
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
        let stop = Stop(Arc::new(AtomicBool::new(false)));
        let t = Instant::now();
        assert!(stop.sleep(Duration::from_millis(20)));
        stop.0.store(true, Ordering::Relaxed);
        assert!(!stop.sleep(Duration::from_secs(10)));
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn seconds_parse_with_a_floor() {
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_seconds("0").unwrap_err().contains("at least"));
        assert!(parse_seconds("x").is_err());
        assert!(parse_seconds("NaN").is_err());
    }
}
