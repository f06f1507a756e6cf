//! Page-cache state of one file: how many of its pages are cached, dirty and
//! under writeback.
//!
//! cachestat(2) (Linux 6.5) answers all three for any byte range without
//! touching the data. Without it, mincore(2) on a `PROT_READ` mapping gives
//! residency only, and dirty/writeback are unknown (`None`), never 0.
//!
//! A trap vmtouch and pcstat fall into: cachestat answers EPERM for a file the
//! caller could not open for writing; treating that as "use mincore" would be
//! fine, but treating mincore's answer on a mapping that failed as "all
//! resident" is not. Only ENOSYS (or the source switched off) selects mincore.

#[cfg(target_os = "linux")]
use std::fs::File;

use serde::{Deserialize, Serialize};
#[cfg(target_os = "linux")]
use std::io;
#[cfg(target_os = "linux")]
use std::os::fd::AsRawFd;

#[cfg(target_os = "linux")]
use super::{Disabled, Switchable};

/// Counts over a range of a file, in pages of the system page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageCounts {
    pub cached: Option<u64>,
    pub dirty: Option<u64>,
    pub writeback: Option<u64>,
    /// Pages evicted from the cache (cachestat only).
    pub evicted: Option<u64>,
    /// Evicted pages that would still be in a larger cache (cachestat only).
    pub recently_evicted: Option<u64>,
}

/// Which interface a [`PageProbe`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagesSource {
    Cachestat,
    /// Residency only: dirty and writeback are unknown.
    Mincore,
}

impl PagesSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PagesSource::Cachestat => "cachestat",
            PagesSource::Mincore => "mincore",
        }
    }
}

/// The state of one cell of a page map: the most at-risk state of its pages.
/// Ordered so that `max` picks the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    NotCached,
    /// Not cached now, but evicted pages of it are remembered (cachestat's
    /// shadow entries): a read there would be a refault.
    Evicted,
    /// Cached, with dirtiness unknown (mincore source).
    Cached,
    Clean,
    Dirty,
    Writeback,
}

/// Mincore's map of `len` bytes at `off`: cells of `per_cell` pages pushed
/// onto `cells`, and the totals. A cell is `Cached` when any of its pages is
/// resident, as mincore cannot tell clean from dirty.
#[cfg(target_os = "linux")]
fn mincore_map(
    file: &File,
    off: u64,
    len: u64,
    per_cell: u64,
    cells: &mut Vec<CellState>,
) -> io::Result<PageCounts> {
    let mut per = Vec::new();
    let cached = mincore_counts(file, off, len, Some((per_cell, &mut per)), &mut 0)?;
    cells.extend(per.iter().map(|&n| CellState::from_counts(&resident(n))));
    Ok(resident(cached))
}

/// Counts as mincore gives them: residency only, so dirtiness and eviction
/// stay unknown rather than zero.
#[cfg(target_os = "linux")]
fn resident(cached: u64) -> PageCounts {
    PageCounts {
        cached: Some(cached),
        ..PageCounts::default()
    }
}

impl CellState {
    fn from_counts(c: &PageCounts) -> CellState {
        match (c.cached, c.dirty, c.writeback) {
            (_, _, Some(w)) if w > 0 => CellState::Writeback,
            (_, Some(d), _) if d > 0 => CellState::Dirty,
            (Some(n), Some(_), _) if n > 0 => CellState::Clean,
            (Some(n), None, _) if n > 0 => CellState::Cached,
            _ if c.evicted.is_some_and(|e| e > 0) => CellState::Evicted,
            _ => CellState::NotCached,
        }
    }
}

/// A file's pages bucketed into at most `cells` cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageMap {
    /// The file's size in pages (rounded up).
    pub pages: u64,
    /// Pages covered by each cell (the last cell may cover fewer).
    pub pages_per_cell: u64,
    pub cells: Vec<CellState>,
    /// Totals over the whole file.
    pub totals: PageCounts,
}

/// Reads page-cache state with the best interface this kernel offers.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone)]
pub struct PageProbe {
    source: PagesSource,
    /// Why the better source is not used, when it is not.
    note: Option<String>,
}

#[cfg(target_os = "linux")]
#[repr(C)]
struct CachestatRange {
    off: u64,
    len: u64,
}

#[cfg(target_os = "linux")]
#[repr(C)]
#[derive(Default)]
#[allow(clippy::struct_field_names)] // the kernel's struct cachestat, as it names its fields
struct Cachestat {
    nr_cache: u64,
    nr_dirty: u64,
    nr_writeback: u64,
    nr_evicted: u64,
    nr_recently_evicted: u64,
}

/// cachestat's number is the same on every architecture (it came after the
/// syscall tables were unified).
#[cfg(target_os = "linux")]
const SYS_CACHESTAT: libc::c_long = 451;

#[cfg(target_os = "linux")]
fn cachestat(file: &File, off: u64, len: u64) -> io::Result<PageCounts> {
    let range = CachestatRange { off, len };
    let mut out = Cachestat::default();
    // SAFETY: both pointers are to live, correctly laid out structs; the kernel
    // only reads `range` and writes `out`.
    let rc = unsafe {
        libc::syscall(
            SYS_CACHESTAT,
            file.as_raw_fd(),
            &raw const range,
            &raw mut out,
            0u32,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(PageCounts {
        cached: Some(out.nr_cache),
        dirty: Some(out.nr_dirty),
        writeback: Some(out.nr_writeback),
        evicted: Some(out.nr_evicted),
        recently_evicted: Some(out.nr_recently_evicted),
    })
}

/// Resident pages of `len` bytes at `off`, via mincore on a fresh read-only
/// mapping. Mapping a file faults nothing in, so this does not change what it
/// measures. Adds to `calls` every syscall it issues (fstat, mmap, mincore,
/// munmap), failed ones included: the engine's own syscall count relies on it.
#[cfg(target_os = "linux")]
fn mincore_counts(
    file: &File,
    off: u64,
    len: u64,
    cells: Option<(u64, &mut Vec<u64>)>,
    calls: &mut u64,
) -> io::Result<u64> {
    let page = page_size();
    let start = off / page * page;
    let end = off.saturating_add(len);
    *calls += 1;
    let file_len = file.metadata()?.len();
    let end = end.min(file_len.div_ceil(page) * page);
    if end <= start {
        if let Some((_, out)) = cells {
            out.clear();
        }
        return Ok(0);
    }
    let map_len = crate::cast::usize(end - start);
    *calls += 1;
    // SAFETY: memmap2's map is unsafe because the file may change under it;
    // this fresh PROT_READ MAP_SHARED mapping is never read through (no
    // Rust reference to it is made): the kernel is only asked which of its
    // pages are resident, and it is unmapped when dropped below. Mapping
    // faults nothing in, so it does not change what it measures.
    let map = unsafe {
        memmap2::MmapOptions::new()
            .offset(start)
            .len(map_len)
            .map(file)?
    };
    let pages = map_len.div_ceil(crate::cast::usize(page));
    let mut vec = vec![0u8; pages];
    // SAFETY: `vec` has one byte per page of the live mapping, as mincore
    // requires; mincore writes only into `vec`.
    let rc = unsafe { libc::mincore(map.as_ptr().cast_mut().cast(), map_len, vec.as_mut_ptr()) };
    let err = io::Error::last_os_error();
    // munmap(2), counted with mincore's call.
    drop(map);
    *calls += 2;
    if rc != 0 {
        return Err(err);
    }
    if let Some((per_cell, out)) = cells {
        out.clear();
        for chunk in vec.chunks(crate::cast::usize(per_cell)) {
            out.push(chunk.iter().filter(|b| *b & 1 == 1).count() as u64);
        }
    }
    Ok(vec.iter().filter(|b| *b & 1 == 1).count() as u64)
}

#[cfg(target_os = "linux")]
impl PageProbe {
    /// Pick cachestat unless it is switched off or the kernel lacks it
    /// (ENOSYS, found by asking about `probe_file`).
    pub fn detect(disabled: &Disabled, probe_file: &File) -> PageProbe {
        if disabled.contains(Switchable::Cachestat) {
            return PageProbe {
                source: PagesSource::Mincore,
                note: Some(format!("cachestat switched off by {}", Disabled::ENV)),
            };
        }
        match cachestat(probe_file, 0, 0) {
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => PageProbe {
                source: PagesSource::Mincore,
                note: Some("cachestat(2) not in this kernel (needs 6.5): dirty and writeback pages unknown".into()),
            },
            _ => PageProbe { source: PagesSource::Cachestat, note: None },
        }
    }

    /// A probe that uses `source` as given (for tests and for forcing a fallback).
    pub fn with_source(source: PagesSource) -> PageProbe {
        PageProbe { source, note: None }
    }

    pub fn source(&self) -> PagesSource {
        self.source
    }

    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// Counts over `len` bytes at `off` (`len` 0: to the end of the file).
    pub fn counts(&self, file: &File, off: u64, len: u64) -> io::Result<PageCounts> {
        self.counts_with_calls(file, off, len, &mut 0)
    }

    /// [`counts`](Self::counts), adding to `calls` the syscalls it issued:
    /// one with cachestat, up to four with mincore (fstat, mmap, mincore,
    /// munmap).
    pub fn counts_with_calls(
        &self,
        file: &File,
        off: u64,
        len: u64,
        calls: &mut u64,
    ) -> io::Result<PageCounts> {
        match self.source {
            PagesSource::Cachestat => {
                *calls += 1;
                cachestat(file, off, len)
            }
            PagesSource::Mincore => {
                let len = if len == 0 { u64::MAX - off } else { len };
                let cached = mincore_counts(file, off, len, None, calls)?;
                Ok(resident(cached))
            }
        }
    }

    /// The whole file bucketed into at most `max_cells` cells.
    pub fn map(&self, file: &File, max_cells: usize) -> io::Result<PageMap> {
        let page = page_size();
        let pages = file.metadata()?.len().div_ceil(page);
        let max_cells = max_cells.max(1) as u64;
        let per_cell = pages.div_ceil(max_cells).max(1);
        let n_cells = pages.div_ceil(per_cell);
        let mut cells = Vec::with_capacity(crate::cast::usize(n_cells));
        let totals = match self.source {
            PagesSource::Cachestat => {
                for i in 0..n_cells {
                    let c = cachestat(file, i * per_cell * page, per_cell * page)?;
                    cells.push(CellState::from_counts(&c));
                }
                cachestat(file, 0, 0)?
            }
            PagesSource::Mincore => mincore_map(file, 0, u64::MAX, per_cell, &mut cells)?,
        };
        Ok(PageMap {
            pages,
            pages_per_cell: per_cell,
            cells,
            totals,
        })
    }
}

impl CellState {
    /// The state a map cell takes for these counts (the bucketing rule used by
    /// [`PageProbe::map`], for callers that count ranges themselves).
    pub fn of(counts: &PageCounts) -> CellState {
        CellState::from_counts(counts)
    }
}

#[cfg(target_os = "linux")]
impl PageProbe {
    /// `len` bytes at `off` (clamped to the file; `off` rounded down to a page)
    /// bucketed into at most `max_cells` cells, with totals over that range
    /// only: the zoomed view of `inspect --range`. An empty range gives an
    /// empty map with zero totals from the probe's source.
    pub fn map_range(
        &self,
        file: &File,
        off: u64,
        len: u64,
        max_cells: usize,
    ) -> io::Result<PageMap> {
        let page = page_size();
        let file_end = file.metadata()?.len().div_ceil(page) * page;
        let start = (off / page * page).min(file_end);
        let end = off.saturating_add(len).min(file_end).max(start);
        let pages = (end - start).div_ceil(page);
        let per_cell = pages.div_ceil(max_cells.max(1) as u64).max(1);
        let n_cells = pages.div_ceil(per_cell);
        let mut cells = Vec::with_capacity(crate::cast::usize(n_cells));
        let totals = match self.source {
            PagesSource::Cachestat => {
                // The cells are disjoint and cover the range, so their sum is
                // the range's total without another walk of the page cache.
                let mut sum = [0u64; 5];
                for i in 0..n_cells {
                    let cell_off = start + i * per_cell * page;
                    let cell_len = (per_cell * page).min(end - cell_off);
                    let c = cachestat(file, cell_off, cell_len)?;
                    cells.push(CellState::from_counts(&c));
                    let parts = [
                        c.cached,
                        c.dirty,
                        c.writeback,
                        c.evicted,
                        c.recently_evicted,
                    ];
                    for (s, v) in sum.iter_mut().zip(parts) {
                        *s += v.unwrap_or(0);
                    }
                }
                PageCounts {
                    cached: Some(sum[0]),
                    dirty: Some(sum[1]),
                    writeback: Some(sum[2]),
                    evicted: Some(sum[3]),
                    recently_evicted: Some(sum[4]),
                }
            }
            PagesSource::Mincore if pages == 0 => resident(0),
            PagesSource::Mincore => mincore_map(file, start, end - start, per_cell, &mut cells)?,
        };
        Ok(PageMap {
            pages,
            pages_per_cell: per_cell,
            cells,
            totals,
        })
    }
}

/// The system page size in bytes.
#[cfg(unix)]
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    match u64::try_from(n) {
        Ok(n) if n > 0 => n,
        _ => 4096,
    }
}

/// The page size replays and reports assume where there is no sysconf.
#[cfg(not(unix))]
pub fn page_size() -> u64 {
    4096
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::FileExt;

    fn file_with(bytes: usize) -> (tempfile::TempDir, File) {
        // /tmp may be tmpfs elsewhere; the crate dir is on a real filesystem in CI.
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let mut f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.path().join("f"))
            .unwrap();
        f.write_all(&vec![7u8; bytes]).unwrap();
        (dir, f)
    }

    #[test]
    fn cachestat_sees_written_pages_dirty_then_clean_after_fsync() {
        let (_d, f) = file_with(0);
        let probe = PageProbe::detect(&Disabled::default(), &f);
        if probe.source() != PagesSource::Cachestat {
            eprintln!("skipping: {}", probe.note().unwrap_or("no cachestat"));
            return;
        }
        let page = page_size();
        f.write_all_at(&vec![1u8; crate::cast::usize(page * 10)], 0)
            .unwrap();
        let c = probe.counts(&f, 0, 0).unwrap();
        assert!(c.cached.unwrap() >= 10, "{c:?}");
        assert!(c.dirty.unwrap() >= 10, "{c:?}");
        f.sync_all().unwrap();
        let c = probe.counts(&f, 0, 0).unwrap();
        assert_eq!(c.dirty, Some(0), "{c:?}");
        assert_eq!(c.writeback, Some(0), "{c:?}");
    }

    #[test]
    fn mincore_reports_residency_and_unknown_dirtiness() {
        let page = crate::cast::usize(page_size());
        let (_d, f) = file_with(page * 8);
        let probe = PageProbe::with_source(PagesSource::Mincore);
        let c = probe.counts(&f, 0, 0).unwrap();
        assert_eq!(c.cached, Some(8));
        assert_eq!(c.dirty, None);
        let map = probe.map(&f, 4).unwrap();
        assert_eq!(map.pages, 8);
        assert_eq!(map.pages_per_cell, 2);
        assert_eq!(map.cells, vec![CellState::Cached; 4]);
    }

    #[test]
    fn counts_say_how_many_syscalls_they_issued() {
        let page = crate::cast::usize(page_size());
        let (_d, f) = file_with(page * 8);
        let probe = PageProbe::with_source(PagesSource::Mincore);
        let mut calls = 0;
        probe.counts_with_calls(&f, 0, 0, &mut calls).unwrap();
        assert_eq!(calls, 4, "fstat, mmap, mincore, munmap");
        // Nothing to map: the fstat alone.
        let (_e, empty) = file_with(0);
        let mut calls = 0;
        probe.counts_with_calls(&empty, 0, 0, &mut calls).unwrap();
        assert_eq!(calls, 1);
        let probe = PageProbe::with_source(PagesSource::Cachestat);
        let mut calls = 0;
        if probe.counts_with_calls(&f, 0, 0, &mut calls).is_ok() {
            assert_eq!(calls, 1);
        }
    }

    #[test]
    fn map_marks_only_the_written_cells_dirty() {
        let page = page_size();
        // 8 cells of 2 MiB each: wider than the largest folio ext4 uses, so
        // dirtying one byte (which dirties its whole folio) stays in one cell.
        let (_d, f) = file_with((8 << 20) as usize * 2);
        let probe = PageProbe::detect(&Disabled::default(), &f);
        if probe.source() != PagesSource::Cachestat {
            return;
        }
        f.sync_all().unwrap();
        f.write_all_at(b"x", (16 << 20) / 8 * 5 + page).unwrap();
        let map = probe.map(&f, 8).unwrap();
        assert_eq!(map.cells.len(), 8);
        assert_eq!(map.cells[0], CellState::Clean, "{:?}", map.cells);
        assert_eq!(map.cells[5], CellState::Dirty, "{:?}", map.cells);
    }

    #[test]
    fn map_range_counts_only_the_zoomed_range() {
        let page = page_size();
        let (_d, f) = file_with(crate::cast::usize(page * 64));
        for source in [PagesSource::Cachestat, PagesSource::Mincore] {
            let probe = PageProbe::with_source(source);
            if probe.counts(&f, 0, 0).is_err() {
                continue; // no cachestat on this kernel
            }
            // Pages 8..24, asked for with an unaligned start.
            let map = probe
                .map_range(&f, page * 8 + 100, page * 16 - 100, 4)
                .unwrap();
            assert_eq!(map.pages, 16, "{source:?}");
            assert_eq!(map.pages_per_cell, 4, "{source:?}");
            assert_eq!(map.cells.len(), 4, "{source:?}");
            assert_eq!(map.totals.cached, Some(16), "{source:?}");
            // Past the end: clamped to nothing.
            let map = probe.map_range(&f, page * 100, page, 4).unwrap();
            assert_eq!((map.pages, map.cells.len()), (0, 0), "{source:?}");
            assert_eq!(map.totals.cached, Some(0), "{source:?}");
        }
    }

    #[test]
    fn empty_file_has_an_empty_map() {
        let (_d, f) = file_with(0);
        let probe = PageProbe::detect(&Disabled::default(), &f);
        let map = probe.map(&f, 16).unwrap();
        assert_eq!(map.pages, 0);
        assert!(map.cells.is_empty());
    }
}
