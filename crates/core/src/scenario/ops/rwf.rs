//! `rwf = [...]`: the per-call flags of `pwritev2(2)`/`preadv2(2)` that
//! `write`, `pwrite` and `read` take. With any of them the op issues the
//! `*v2` call (one iovec) instead of write/pwrite/read.

use super::{Kind, Param};

/// One word of `rwf = [...]`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::VariantNames, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum RwfFlag {
    /// `RWF_DONTCACHE` (Linux 6.14): uncached buffered I/O, the folios the
    /// call brought into the page cache are dropped once written back.
    Dontcache,
    /// `RWF_DSYNC` (4.7): this call as with `O_DSYNC`.
    Dsync,
    /// `RWF_SYNC` (4.7): this call as with `O_SYNC`.
    Sync,
    /// `RWF_HIPRI` (4.6): poll for completion (direct I/O on polled queues).
    Hipri,
    /// `RWF_NOWAIT` (4.14): fail with `EAGAIN` rather than wait (for the disk, a lock).
    Nowait,
    /// `RWF_APPEND` (4.16): this write at the end of the file.
    Append,
}

impl RwfFlag {
    /// The flag's bit in `<linux/fs.h>`.
    #[must_use]
    pub fn bit(self) -> u32 {
        match self {
            RwfFlag::Hipri => 0x01,
            RwfFlag::Dsync => 0x02,
            RwfFlag::Sync => 0x04,
            RwfFlag::Nowait => 0x08,
            RwfFlag::Append => 0x10,
            RwfFlag::Dontcache => 0x80,
        }
    }

    /// The C name and the Linux version that brought it.
    #[must_use]
    pub fn c_name_and_since(self) -> (&'static str, &'static str) {
        match self {
            RwfFlag::Hipri => ("RWF_HIPRI", "4.6"),
            RwfFlag::Dsync => ("RWF_DSYNC", "4.7"),
            RwfFlag::Sync => ("RWF_SYNC", "4.7"),
            RwfFlag::Nowait => ("RWF_NOWAIT", "4.14"),
            RwfFlag::Append => ("RWF_APPEND", "4.16"),
            RwfFlag::Dontcache => ("RWF_DONTCACHE (uncached buffered I/O)", "6.14"),
        }
    }

    const ALL: [RwfFlag; 6] = [
        RwfFlag::Dontcache,
        RwfFlag::Dsync,
        RwfFlag::Sync,
        RwfFlag::Hipri,
        RwfFlag::Nowait,
        RwfFlag::Append,
    ];
}

/// A set of [`RwfFlag`]s: the `flags` argument of pwritev2/preadv2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rwf(u32);

impl Rwf {
    /// No flag: the op issues plain write/pwrite/read.
    pub const NONE: Rwf = Rwf(0);

    /// The flags named in `flags`.
    #[must_use]
    pub fn of(flags: &[RwfFlag]) -> Rwf {
        Rwf(flags.iter().fold(0, |a, f| a | f.bit()))
    }

    #[must_use]
    pub fn bits(self) -> u32 {
        self.0
    }

    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    #[must_use]
    pub fn contains(self, f: RwfFlag) -> bool {
        self.0 & f.bit() != 0
    }

    /// `RWF_SYNC` or `RWF_DSYNC`: the call waits for the disk.
    #[must_use]
    pub fn synchronous(self) -> bool {
        self.contains(RwfFlag::Sync) || self.contains(RwfFlag::Dsync)
    }

    /// The flags in the set, in the order the docs list them.
    pub fn flags(self) -> impl Iterator<Item = RwfFlag> {
        RwfFlag::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// `RWF_DSYNC|RWF_DONTCACHE`, for messages.
    #[must_use]
    pub fn c_names(self) -> String {
        let names: Vec<&str> = self
            .flags()
            .map(|f| f.c_name_and_since().0.split(' ').next().unwrap_or(""))
            .collect();
        names.join("|")
    }
}

/// `rwf`, the per-call flags.
pub(crate) const RWF: Param = Param {
    name: "rwf",
    kind: Kind::Flags {
        words: <RwfFlag as strum::VariantNames>::VARIANTS,
    },
    hint: "",
};

/// The notes the model adds for `rwf` (nothing without flags).
pub(super) fn notes(rwf: Rwf, path: &mut crate::model::DataPath) {
    if rwf.contains(RwfFlag::Dontcache) {
        path.note(
            "RWF_DONTCACHE: the copy into the page cache is the same; writeback of the range \
             starts at once, and the folios this call brought in are dropped when it completes \
             (folios that were cached before stay)",
        );
    }
    if rwf.contains(RwfFlag::Nowait) {
        path.note("RWF_NOWAIT: the call fails with EAGAIN instead of waiting for the disk");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_the_kernels() {
        let r = Rwf::of(&[RwfFlag::Dontcache, RwfFlag::Dsync]);
        assert_eq!(r.bits(), 0x82);
        assert!(r.synchronous());
        assert_eq!(r.c_names(), "RWF_DONTCACHE|RWF_DSYNC");
        assert!(Rwf::NONE.is_empty());
    }
}
