//! The time of day that producers stamp on readings (`HH:MM:SS`, UTC), for
//! the "at 09:41:02" in headers. Widgets never read it themselves.

/// The time of day in UTC, `HH:MM:SS`.
pub fn time_of_day() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}
