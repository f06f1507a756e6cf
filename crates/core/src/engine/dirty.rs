//! The engine's own ledger of what it changed in the working file and the
//! kernel has not written back yet: the byte ranges written with write(2)
//! and pwrite(2), and the bytes stored through a shared mapping, since the
//! last flush.
//!
//! The page cache counts dirty *folios*: on ext4 with large folios one
//! 1-byte write(2) makes a whole 1 MiB folio "dirty", but writeback of a
//! folio dirtied by write(2) sends only its dirty *blocks* to the device
//! (4 × 1-byte writes 1 MiB apart + fsync: 20 KiB of bios, not 4 MiB). A
//! folio dirtied through a mapping has no per-block dirty state and is
//! written whole. So the write-back DMA is modeled from this ledger: the
//! 4 KiB blocks that write(2) touched, plus, for mapping stores, the dirty
//! pages cachestat saw go. "Not yet durable" is the bytes changed and not yet
//! written back, clamped by what cachestat still counts as dirty.

/// Byte intervals `[start, end)`, sorted and merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeSet(Vec<(u64, u64)>);

impl RangeSet {
    pub fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let set = &mut self.0;
        // First interval that ends at or after `start` (touching merges).
        let first = set.partition_point(|&(_, hi)| hi < start);
        let mut past = first;
        let (mut lo, mut hi) = (start, end);
        while past < set.len() && set[past].0 <= hi {
            lo = lo.min(set[past].0);
            hi = hi.max(set[past].1);
            past += 1;
        }
        set.splice(first..past, [(lo, hi)]);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn bytes(&self) -> u64 {
        self.0.iter().map(|(s, e)| e - s).sum()
    }

    /// The bytes of the `unit`-sized blocks the ranges touch (each block once).
    pub fn rounded(&self, unit: u64) -> u64 {
        let unit = unit.max(1);
        let mut total = 0;
        let mut last_end = 0; // end of the last block counted
        for &(s, e) in &self.0 {
            let bs = (s / unit * unit).max(last_end);
            let be = e.div_ceil(unit) * unit;
            if be > bs {
                total += be - bs;
                last_end = be;
            }
        }
        total
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// Blocks of `unit` bytes that one write of `len` bytes at `off` touches, in bytes.
pub fn blocks_touched(off: u64, len: u64, unit: u64) -> u64 {
    if len == 0 {
        return 0;
    }
    let unit = unit.max(1);
    ((off + len).div_ceil(unit) - off / unit) * unit
}

/// What a slice changed, recorded inside the measured window into room
/// reserved before it (so recording allocates nothing there) and applied to
/// the [`Ledger`] after it.
#[derive(Debug, Default)]
pub struct Pending(Vec<Change>);

#[derive(Debug, Clone, Copy)]
enum Change {
    Wrote {
        off: u64,
        len: u64,
        direct: bool,
        synchronous: bool,
    },
    Stored(u64),
    /// Pages made dirty through a mapping with no data changed.
    Dirtied,
}

impl Pending {
    /// Make room for `n` changes (outside the window).
    pub fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }

    /// A write(2) of `len` bytes at `off` with the file's current flags.
    pub fn wrote(&mut self, off: u64, len: u64, direct: bool, synchronous: bool) {
        self.0.push(Change::Wrote {
            off,
            len,
            direct,
            synchronous,
        });
    }

    /// A store of one byte at `off` through a shared mapping.
    pub fn stored(&mut self, off: u64) {
        self.0.push(Change::Stored(off));
    }

    /// Pages of a shared mapping made dirty without a change of data
    /// (`MADV_POPULATE_WRITE`): written back whole, nothing at risk.
    pub fn dirtied(&mut self) {
        self.0.push(Change::Dirtied);
    }

    /// Apply every change to `ledger` and forget them.
    pub fn apply(&mut self, ledger: &mut Ledger) {
        for c in self.0.drain(..) {
            match c {
                Change::Wrote {
                    off,
                    len,
                    direct,
                    synchronous,
                } => ledger.wrote(off, len, direct, synchronous),
                Change::Stored(off) => ledger.stored(off),
                Change::Dirtied => ledger.mapping_dirtied = true,
            }
        }
    }
}

/// What this run changed in the file and the kernel has not written back.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Ranges written with write(2)/pwrite(2) (through the page cache).
    pub written: RangeSet,
    /// Bytes stored through a shared writable mapping (one per touched page).
    pub mapped: RangeSet,
    /// Pages of a shared mapping were made dirty with no data changed
    /// (`MADV_POPULATE_WRITE`): they are written back whole all the same.
    pub mapping_dirtied: bool,
    /// Block bytes an O_SYNC/O_DSYNC write sent to the device in the current
    /// slice (each call its own blocks, however often a block is rewritten).
    pub synced: u64,
    /// Writeback this thread submitted (sync_file_range without wait) that
    /// may still be running: (DMA bytes modeled at submission, bytes changed).
    pub in_flight: (u64, u64),
    /// The filesystem block size.
    pub block: u64,
}

impl Ledger {
    pub fn new(block: u64) -> Ledger {
        Ledger {
            block: block.max(512),
            ..Ledger::default()
        }
    }

    /// A write(2) of `len` bytes at `off` with the file's current flags.
    pub fn wrote(&mut self, off: u64, len: u64, direct: bool, synchronous: bool) {
        if direct {
            // Straight to the device; the written range of the cache is dropped.
            return;
        }
        if synchronous {
            self.synced += blocks_touched(off, len, self.block);
        } else {
            self.written.insert(off, off + len);
        }
    }

    /// A store of one byte at `off` through a shared mapping.
    pub fn stored(&mut self, off: u64) {
        self.mapped.insert(off, off + 1);
    }

    /// Bytes changed and not yet written back (in flight included).
    pub fn unwritten(&self) -> u64 {
        self.written.bytes() + self.mapped.bytes() + self.in_flight.1
    }

    /// The modeled DMA of writing back everything dirty in the ledger:
    /// write(2)'s blocks, and for mapping stores the pages that left the
    /// dirty state beyond those blocks (whole folios). `dirty_drop_bytes`
    /// is cachestat's drop in dirty pages × page size; `None` (no cachestat)
    /// leaves mapping stores unsized.
    pub fn write_back_bytes(&self, dirty_drop_bytes: Option<u64>, page: u64) -> Option<u64> {
        let blocks = self.written.rounded(self.block);
        let mapped = if self.mapped.is_empty() && !self.mapping_dirtied {
            0
        } else {
            dirty_drop_bytes?.saturating_sub(self.written.rounded(page))
        };
        let total = blocks + mapped;
        Some(dirty_drop_bytes.map_or(total, |d| total.min(d)))
    }

    /// Everything dirty was handed to the device.
    pub fn clear_dirty(&mut self) {
        self.written.clear();
        self.mapped.clear();
        self.mapping_dirtied = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_round_to_blocks_once() {
        let mut r = RangeSet::default();
        r.insert(10, 20);
        r.insert(30, 40);
        r.insert(15, 31);
        assert_eq!(r.0, vec![(10, 40)]);
        r.insert(1 << 20, (1 << 20) + 1);
        assert_eq!(r.bytes(), 31);
        // Both lie in block 0 and in block 256: two blocks.
        assert_eq!(r.rounded(4096), 8192);
        let mut s = RangeSet::default();
        for i in 0..4u64 {
            s.insert(i << 20, (i << 20) + 1);
        }
        assert_eq!(s.rounded(4096), 4 * 4096, "not 4 MiB of folios");
        s.insert(4095, 4097);
        assert_eq!(s.rounded(4096), 5 * 4096);
    }

    #[test]
    fn synchronous_writes_count_each_calls_blocks() {
        let mut l = Ledger::new(4096);
        for i in 0..50 {
            l.wrote(i * 100, 100, false, true);
        }
        // 50 calls of 100 B; the one at 4000..4100 crosses a block boundary.
        assert_eq!(l.synced, 51 * 4096);
        assert!(l.written.is_empty());
        assert_eq!(blocks_touched(4090, 10, 4096), 8192);
        assert_eq!(blocks_touched(0, 4096, 4096), 4096);
    }

    #[test]
    fn write_back_is_blocks_for_writes_and_folios_for_stores() {
        let mut l = Ledger::new(4096);
        for i in 0..4u64 {
            l.wrote(i << 20, 1, false, false);
        }
        // cachestat saw 4 folios of 256 pages go clean: still 4 blocks.
        assert_eq!(l.write_back_bytes(Some(4 << 20), 4096), Some(16384));
        assert_eq!(l.write_back_bytes(None, 4096), Some(16384));
        let mut m = Ledger::new(4096);
        m.stored(0);
        m.stored(1 << 20);
        assert_eq!(m.write_back_bytes(Some(4 << 20), 4096), Some(4 << 20));
        assert_eq!(m.write_back_bytes(None, 4096), None);
        assert_eq!(m.unwritten(), 2);
    }
}
