//! Pressure stall information for I/O (/proc/pressure/io, Linux 4.20 with
//! `CONFIG_PSI)`: the share of time tasks were stalled waiting for I/O.

use serde::Serialize;

/// One line of the file: `some avg10=0.12 avg60=0.05 avg300=0.01 total=123456`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stall {
    /// Percent of the last 10, 60 and 300 seconds.
    pub avg10: f64,
    pub avg60: f64,
    pub avg300: f64,
    /// Total stall time since boot, in microseconds.
    pub total_us: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pressure {
    /// At least one task was stalled on I/O.
    pub some: Stall,
    /// Every non-idle task was stalled on I/O at once (absent before 5.13 on some kernels).
    pub full: Option<Stall>,
}

pub const PATH: &str = "/proc/pressure/io";

/// Read and parse /proc/pressure/io; the error says why it is missing.
pub fn read() -> Result<Pressure, String> {
    match std::fs::read_to_string(PATH) {
        Ok(text) => parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "{PATH} not present (kernel built without CONFIG_PSI)"
        )),
        // The file exists but PSI was switched off at boot (psi=0).
        Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => Err(format!(
            "{PATH}: pressure stall information is disabled (boot with psi=1)"
        )),
        Err(e) => Err(format!("{PATH}: {e}")),
    }
}

pub fn parse(text: &str) -> Result<Pressure, String> {
    let mut some = None;
    let mut full = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let kind = words.next();
        let mut stall = Stall {
            avg10: 0.0,
            avg60: 0.0,
            avg300: 0.0,
            total_us: 0,
        };
        for word in words {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| format!("{PATH}: bad field `{word}`"))?;
            let bad = || format!("{PATH}: bad value `{word}`");
            match key {
                "avg10" => stall.avg10 = value.parse().map_err(|_| bad())?,
                "avg60" => stall.avg60 = value.parse().map_err(|_| bad())?,
                "avg300" => stall.avg300 = value.parse().map_err(|_| bad())?,
                "total" => stall.total_us = value.parse().map_err(|_| bad())?,
                _ => {} // a field added by a later kernel
            }
        }
        match kind {
            Some("some") => some = Some(stall),
            Some("full") => full = Some(stall),
            _ => {}
        }
    }
    let some = some.ok_or_else(|| format!("{PATH}: no `some` line"))?;
    Ok(Pressure { some, full })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_some_and_full() {
        let p = parse(
            "some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\nfull avg10=0.50 avg60=0.00 avg300=0.00 total=789\n",
        )
        .unwrap();
        assert!((p.some.avg10 - 1.5).abs() < 1e-9);
        assert_eq!(p.some.total_us, 123_456);
        assert_eq!(p.full.unwrap().total_us, 789);
    }

    #[test]
    fn rejects_garbage_with_the_reason() {
        assert!(parse("").unwrap_err().contains("no `some` line"));
        assert!(
            parse("some avg10=x")
                .unwrap_err()
                .contains("bad value `avg10=x`")
        );
    }

    #[test]
    fn reads_this_machine_or_says_why_not() {
        match read() {
            Ok(p) => assert!(p.some.avg10 >= 0.0),
            Err(why) => assert!(why.starts_with(PATH), "{why}"),
        }
    }
}
