//! `START..END` byte ranges for `--range`, each side a size as
//! [`crate::size::parse_size`] reads it (`0..64MiB`, `1GiB..`).

use super::Error;
use crate::size::parse_size;

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

#[cfg(test)]
mod tests {
    use super::*;

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
        let r: ByteRange = "..4KiB".parse().unwrap();
        assert_eq!(r.start, 0);
        let err = "8KiB..4KiB".parse::<ByteRange>().unwrap_err().to_string();
        assert!(err.contains("END must be greater than START"), "{err}");
        assert!(
            "64MiB"
                .parse::<ByteRange>()
                .unwrap_err()
                .to_string()
                .contains("no `..`")
        );
    }
}
