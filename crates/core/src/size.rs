//! Byte sizes as people write them: `"64MiB"`, `"4096"`, `"1.5GiB"`, `"4 KiB"`.
//!
//! Binary units (KiB, MiB, GiB, TiB) are powers of two and decimal units (KB,
//! MB, GB, TB) powers of ten, as in the IEC convention: a teacher who writes
//! `1MB` gets 1,000,000 bytes, not a silent 1,048,576. A fraction is accepted
//! only when it names a whole number of bytes (`1.5KiB` = 1536, `0.5B` is an
//! error), because the engine cannot write half a byte.

use std::fmt;

/// Why a size did not parse. The message names the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("empty size: write a number of bytes like 4096 or a size like \"64MiB\"")]
    Empty,
    #[error("size cannot be negative: `{0}`")]
    Negative(String),
    #[error("`{0}` is not a size: write a number of bytes like 4096 or a size like \"64MiB\"")]
    NotANumber(String),
    #[error(
        "unknown unit `{unit}` in `{text}`: use B, KiB, MiB, GiB, TiB (powers of 2) or KB, MB, GB, TB (powers of 10)"
    )]
    UnknownUnit { text: String, unit: String },
    #[error("`{0}` is not a whole number of bytes")]
    Fractional(String),
    #[error("`{0}` is too large (more than 2^64 - 1 bytes)")]
    Overflow(String),
}

/// The units a size may carry. The unit is compared whole (everything after
/// the number), so `KiB` cannot be mistaken for `KB` or `B`.
const UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
];

/// Parse a size in bytes.
///
/// ```
/// use iotour_core::size::parse_size;
/// assert_eq!(parse_size("64MiB"), Ok(64 << 20));
/// assert_eq!(parse_size(" 4 KiB "), Ok(4096));
/// assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
/// assert_eq!(parse_size("2MB"), Ok(2_000_000));
/// ```
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SizeError::Empty);
    }
    if trimmed.starts_with('-') {
        return Err(SizeError::Negative(trimmed.to_owned()));
    }
    // The number is the leading run of digits, `.` and `_` (TOML-style digit
    // separators read well in sizes: 1_000_000); the rest is the unit.
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim_start();
    let multiplier = if unit.is_empty() {
        1
    } else {
        UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|&(_, m)| m)
            .ok_or_else(|| {
                if number.is_empty() {
                    SizeError::NotANumber(trimmed.to_owned())
                } else {
                    SizeError::UnknownUnit {
                        text: trimmed.to_owned(),
                        unit: unit.to_owned(),
                    }
                }
            })?
    };
    let (whole, frac) =
        split_number(number).ok_or_else(|| SizeError::NotANumber(trimmed.to_owned()))?;
    scale(&whole, &frac, multiplier, trimmed)
}

/// Split `"12.50"` into its digit strings `("12", "50")`, rejecting anything
/// that is not digits with at most one point and at least one digit.
fn split_number(number: &str) -> Option<(String, String)> {
    let cleaned: String = number.chars().filter(|&c| c != '_').collect();
    if number.starts_with('_') || number.ends_with('_') || number.contains("__") {
        return None;
    }
    let (whole, frac) = match cleaned.split_once('.') {
        Some((w, f)) => (w.to_owned(), f.to_owned()),
        None => (cleaned, String::new()),
    };
    if frac.contains('.') || (whole.is_empty() && frac.is_empty()) {
        return None;
    }
    Some((whole, frac))
}

/// `whole.frac × multiplier`, exactly, in u128 so that no intermediate step
/// loses precision; the result must be whole and fit in u64.
fn scale(whole: &str, frac: &str, multiplier: u64, text: &str) -> Result<u64, SizeError> {
    let overflow = || SizeError::Overflow(text.to_owned());
    // Trailing zeros of the fraction change nothing and would only make the
    // denominator overflow for inputs like "1.000000000000000000000000".
    let frac = frac.trim_end_matches('0');
    let digits = format!("{whole}{frac}");
    let digits = digits.trim_start_matches('0');
    let numerator: u128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| overflow())?
    };
    let denominator = 10u128.checked_pow(u32::try_from(frac.len()).map_err(|_| overflow())?);
    let product = numerator
        .checked_mul(u128::from(multiplier))
        .ok_or_else(overflow)?;
    let Some(denominator) = denominator else {
        // More than 38 fractional digits: only whole if the product is zero.
        return if product == 0 {
            Ok(0)
        } else {
            Err(SizeError::Fractional(text.to_owned()))
        };
    };
    if product % denominator != 0 {
        return Err(SizeError::Fractional(text.to_owned()));
    }
    u64::try_from(product / denominator).map_err(|_| overflow())
}

/// A size for people: `"100 B"`, `"1.0 KiB"`, `"1.5 MiB"`, `"64.0 GiB"`.
///
/// One decimal is enough to compare figures at a glance; exact byte counts
/// live in the JSON report.
pub fn format_size(bytes: u64) -> String {
    const BINARY: &[&str] = &["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // For people, to one decimal: a float's 52 bits are plenty.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    // Round first, then decide the unit, so 1023.96 KiB prints as 1.0 MiB
    // rather than as 1024.0 KiB.
    while (value * 10.0).round() / 10.0 >= 1024.0 && unit + 1 < BINARY.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", BINARY[unit])
}

/// A size that prints itself for people (see [`format_size`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_size(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_are_bytes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1_000_000"), Ok(1_000_000));
        assert_eq!(parse_size("  17  "), Ok(17));
        assert_eq!(parse_size("100B"), Ok(100));
    }

    #[test]
    fn binary_and_decimal_units() {
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("4 KiB"), Ok(4096));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1TiB"), Ok(1 << 40));
        assert_eq!(parse_size("4KB"), Ok(4000));
        assert_eq!(parse_size("3MB"), Ok(3_000_000));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("2TB"), Ok(2_000_000_000_000));
    }

    #[test]
    fn fractions_only_when_whole() {
        assert_eq!(parse_size("1.5GiB"), Ok(1_610_612_736));
        assert_eq!(parse_size("0.5KiB"), Ok(512));
        assert_eq!(parse_size("1.25KB"), Ok(1250));
        assert_eq!(parse_size("2.000"), Ok(2));
        assert_eq!(parse_size(".5KiB"), Ok(512));
        assert_eq!(parse_size("1.5"), Err(SizeError::Fractional("1.5".into())));
        assert_eq!(
            parse_size("0.1KiB"),
            Err(SizeError::Fractional("0.1KiB".into()))
        );
    }

    #[test]
    fn junk_is_refused_precisely() {
        assert_eq!(parse_size(""), Err(SizeError::Empty));
        assert_eq!(parse_size("-4"), Err(SizeError::Negative("-4".into())));
        assert_eq!(parse_size("MiB"), Err(SizeError::NotANumber("MiB".into())));
        assert_eq!(
            parse_size("1.2.3"),
            Err(SizeError::NotANumber("1.2.3".into()))
        );
        assert_eq!(parse_size("."), Err(SizeError::NotANumber(".".into())));
        assert_eq!(
            parse_size("1__0"),
            Err(SizeError::NotANumber("1__0".into()))
        );
        assert_eq!(
            parse_size("4 kib"),
            Err(SizeError::UnknownUnit {
                text: "4 kib".into(),
                unit: "kib".into()
            })
        );
        assert_eq!(
            parse_size("4Mi B"),
            Err(SizeError::UnknownUnit {
                text: "4Mi B".into(),
                unit: "Mi B".into()
            })
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_size("18446744073709551616"),
            Err(SizeError::Overflow("18446744073709551616".into()))
        );
        assert_eq!(
            parse_size("16777216TiB"),
            Err(SizeError::Overflow("16777216TiB".into()))
        );
        assert_eq!(parse_size("16777215TiB"), Ok(16_777_215 << 40));
        let many_digits = "9".repeat(60);
        assert_eq!(
            parse_size(&many_digits),
            Err(SizeError::Overflow(many_digits.clone()))
        );
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1024), "1.0 KiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(1 << 20), "1.0 MiB");
        assert_eq!(format_size((1 << 20) - 1), "1.0 MiB");
        assert_eq!(format_size(3 << 29), "1.5 GiB");
        assert_eq!(format_size(u64::MAX), "16.0 EiB");
        assert_eq!(Bytes(2048).to_string(), "2.0 KiB");
    }

    /// A small deterministic generator: property tests without a dependency.
    fn values() -> impl Iterator<Item = u64> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..2000).map(move |_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
    }

    #[test]
    fn property_integers_round_trip_through_every_unit() {
        for v in values() {
            assert_eq!(parse_size(&v.to_string()), Ok(v));
            for &(unit, m) in UNITS {
                let n = v >> 44; // small enough that n × TiB fits
                assert_eq!(parse_size(&format!("{n}{unit}")), Ok(n * m), "{n}{unit}");
                assert_eq!(parse_size(&format!("{n} {unit}")), Ok(n * m), "{n} {unit}");
            }
        }
    }

    #[test]
    fn property_format_is_within_a_twentieth_of_the_value() {
        const UNIT_NAMES: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        for v in values().chain([1, 1023, 1024, 1025, 10_000]) {
            let text = format_size(v);
            let (number, unit) = text.split_once(' ').unwrap();
            let power = UNIT_NAMES.iter().position(|u| *u == unit).unwrap();
            let approx =
                number.parse::<f64>().unwrap() * 1024f64.powi(i32::try_from(power).unwrap());
            #[allow(clippy::cast_precision_loss)] // a relative error, to 5 %
            let error = (approx - v as f64).abs() / v as f64;
            assert!(error <= 0.05, "{v} formatted as {text}");
        }
    }
}
