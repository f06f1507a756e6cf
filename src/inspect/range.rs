//! Byte sizes as people type them (`64MiB`, `4096`) and `START..END` ranges,
//! plus the inverse: sizes printed for people.

use super::Error;

/// A half-open byte range `start..end`; `end` `None` means "to the end of the file".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: Option<u64>,
}

impl ByteRange {
    /// The range within a file of `size` bytes, as (offset, length).
    pub fn clamp(&self, size: u64) -> (u64, u64) {
        let start = self.start.min(size);
        let end = self.end.unwrap_or(size).min(size).max(start);
        (start, end - start)
    }
}

impl std::str::FromStr for ByteRange {
    type Err = Error;

    /// `START..END`, either side may be left out: `0..64MiB`, `1GiB..`, `..4KiB`.
    fn from_str(s: &str) -> Result<ByteRange, Error> {
        let bad = |why: &str| {
            Error::BadRange(format!("`{s}`: {why} (expected START..END, e.g. 0..64MiB)"))
        };
        let (a, b) = s.split_once("..").ok_or_else(|| bad("no `..`"))?;
        let start = if a.trim().is_empty() {
            0
        } else {
            parse_size(a)?
        };
        let end = if b.trim().is_empty() {
            None
        } else {
            Some(parse_size(b)?)
        };
        if end.is_some_and(|end| end <= start) {
            return Err(bad("END must be greater than START"));
        }
        Ok(ByteRange { start, end })
    }
}

/// A byte count with an optional binary unit: `4096`, `4K`, `4KiB`, `64MiB`, `1G`, `2TiB`.
/// Decimal units (`MB`) are refused rather than guessed at.
pub fn parse_size(s: &str) -> Result<u64, Error> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let bad = |why: &str| Error::BadSize(format!("`{s}`: {why}"));
    let n: u64 = num.parse().map_err(|_| bad("not a number"))?;
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        "T" | "TiB" => 40,
        other => {
            return Err(bad(&format!(
                "unknown unit `{other}` (use B, KiB, MiB, GiB, TiB)"
            )));
        }
    };
    n.checked_mul(1u64 << shift).ok_or_else(|| bad("too large"))
}

/// A byte count for people: `0 B`, `512 B`, `4.0 KiB`, `64.0 MiB`, `10.0 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("4K").unwrap(), 4096);
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size(" 1GiB ").unwrap(), 1 << 30);
        let err = parse_size("5MB").unwrap_err().to_string();
        assert!(err.contains("unknown unit `MB`"), "{err}");
        assert!(parse_size("x").is_err());
        assert!(
            parse_size("99999999999TiB")
                .unwrap_err()
                .to_string()
                .contains("too large")
        );
    }

    #[test]
    fn ranges_parse_and_clamp() {
        let r: ByteRange = "0..64MiB".parse().unwrap();
        assert_eq!(
            r,
            ByteRange {
                start: 0,
                end: Some(64 << 20)
            }
        );
        assert_eq!(r.clamp(1 << 20), (0, 1 << 20));
        let r: ByteRange = "1KiB..".parse().unwrap();
        assert_eq!(r.clamp(4096), (1024, 3072));
        assert_eq!(r.clamp(10), (10, 0));
        let r: ByteRange = "..4K".parse().unwrap();
        assert_eq!(r.start, 0);
        let err = "8K..4K".parse::<ByteRange>().unwrap_err().to_string();
        assert!(err.contains("END must be greater than START"), "{err}");
        assert!(
            "64MiB"
                .parse::<ByteRange>()
                .unwrap_err()
                .to_string()
                .contains("no `..`")
        );
    }

    #[test]
    fn human_bytes_picks_a_unit() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(4096), "4.0 KiB");
        assert_eq!(human_bytes(10 << 30), "10.0 GiB");
    }
}
