//! Conversions between the integer widths of the scenario format (`u64`),
//! memory (`usize`) and the kernel's interfaces (`off_t`, signed counters),
//! each written once, with why it loses nothing or what it does where it could.

// Sizes are u64 in the format and usize in memory: the core needs a 64-bit target.
const _: () = assert!(
    usize::BITS == u64::BITS,
    "iotour's core needs a 64-bit target"
);

/// A size or offset as `usize`: lossless (`usize` is 64 bits, asserted above).
#[allow(clippy::cast_possible_truncation)] // lossless: see the assertion above
pub const fn usize(n: u64) -> usize {
    n as usize
}

/// A file offset as the kernel's `off_t`. No file has an offset past
/// `i64::MAX`; one that large saturates and the kernel refuses the call.
pub fn off_t(n: u64) -> libc::off_t {
    libc::off_t::try_from(n).unwrap_or(libc::off_t::MAX)
}

/// A count the kernel reports in a signed type but never negative (rusage,
/// statfs, vmstat): a negative one reads as 0.
pub fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A `u128` (`Duration::as_nanos`, `as_millis`) as `u64`: saturates, after
/// 584 years of nanoseconds.
pub fn saturating(n: u128) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
