//! Measuring one file without disturbing it.
//!
//! Strictly read-only: the file is opened `O_RDONLY` (with `O_NOATIME` when the
//! kernel allows it: only the owner or `CAP_FOWNER` may), its data is never
//! read, and nothing is faulted in: cachestat(2) walks the page cache, and
//! mincore(2) asks about a fresh `PROT_READ` mapping that is never touched.
//!
//! Access times. Opening and cachestat(2) leave a file's atime alone, but
//! mmap(2) counts as an access (`file_accessed()`): the mincore fallback's
//! mapping would move the atime unless the file was opened with O_NOATIME,
//! which the kernel grants only to the owner (or CAP_FOWNER). So on the
//! fallback a file that could not be opened with O_NOATIME is not mapped:
//! its residency is reported unknown, with the reason ([`MINCORE_WOULD_TOUCH_ATIME`]).
//!
//! The permissions trap. Recent kernels (the fix for cachestat's page-cache
//! side channel, `can_do_cachestat()` in mm/filemap.c, also in stable
//! kernels) answer EPERM unless the caller opened the file for writing, owns
//! it (or has `CAP_FOWNER`), or would be allowed to open it for writing (write
//! permission, or `CAP_DAC_OVERRIDE`; never on a read-only mount). mincore(2) has applied the
//! same rule since Linux 5.0, but instead of failing it reports *every* page
//! resident. So for such a file nothing about its page cache can be known,
//! and we say so instead of printing mincore's false 100%.

use std::collections::HashSet;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use super::range::ByteRange;
use super::report::{FileReport, MapView, Status};
use crate::probe::pages::{PageCounts, PageProbe, PagesSource, page_size};

/// Why a file's figures are unknown when cachestat refuses it.
pub const CACHESTAT_EPERM: &str = "page-cache state unknown: cachestat(2) answered EPERM \
(the kernel shows it only to a caller that owns the file or could open it for writing; \
mincore(2) would claim every page resident, so no figure is given)";

/// Why residency is unknown on the mincore fallback for such a file.
pub const MINCORE_NOT_PERMITTED: &str = "page-cache state unknown: mincore(2) claims every page \
resident for a file the caller neither owns nor could open for writing";

/// Why residency is unknown on the mincore fallback for a file we could not
/// open with O_NOATIME.
pub const MINCORE_WOULD_TOUCH_ATIME: &str = "page-cache state unknown: mincore(2) needs a \
mapping of the file, and mapping it would update its access time (O_NOATIME, which prevents \
that, is granted only to the file's owner); inspect changes nothing, so it did not map it";

/// Whether `file` was opened with O_NOATIME (its access time cannot move).
pub fn opened_noatime(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: F_GETFL on an fd owned by `file` only reads its status flags.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    flags >= 0 && flags & libc::O_NOATIME != 0
}

/// What to measure besides the counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Want {
    pub range: Option<ByteRange>,
    /// Bucket the measured range into at most this many map cells.
    pub map_cells: Option<usize>,
}

/// Open `path` read-only without updating its access time where permitted.
/// `nofollow`: refuse a symbolic link (`O_NOFOLLOW`).
pub fn open_read_only(path: &Path, nofollow: bool) -> io::Result<File> {
    // O_NONBLOCK: if the path became a FIFO since it was listed, opening it
    // must not wait for a writer.
    let base = libc::O_NONBLOCK | if nofollow { libc::O_NOFOLLOW } else { 0 };
    let open = |flags: i32| File::options().read(true).custom_flags(flags).open(path);
    match open(base | libc::O_NOATIME) {
        // O_NOATIME is only for the owner. Opening and cachestat change no
        // atime; a mapping would, so the mincore path checks
        // [`opened_noatime`] before it maps.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(base),
        other => other,
    }
}

/// One file's outcome: its report, and its page map when one was wanted.
#[derive(Debug)]
pub struct FileMeasure {
    pub report: FileReport,
    pub map: Option<MapView>,
}

impl From<FileReport> for FileMeasure {
    fn from(report: FileReport) -> FileMeasure {
        FileMeasure { report, map: None }
    }
}

/// Measure one file; `None` when this inode was already measured under
/// another name (`seen` holds the (device, inode) pairs so far).
pub fn measure(
    path: &Path,
    nofollow: bool,
    probe: &PageProbe,
    want: Want,
    seen: &mut HashSet<(u64, u64), impl std::hash::BuildHasher>,
) -> Option<FileMeasure> {
    let name = path.display().to_string();
    let file = match open_read_only(path, nofollow) {
        Ok(f) => f,
        Err(e) => return Some(failed(name, "cannot open", &e).into()),
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => return Some(failed(name, "cannot stat", &e).into()),
    };
    if !meta.file_type().is_file() {
        let why = "skipped: not a regular file any more".to_string();
        return Some(FileReport::without_figures(name, Status::Skipped, why).into());
    }
    if !seen.insert((meta.dev(), meta.ino())) {
        return None;
    }
    let size = meta.len();
    let (off, len) = want.range.map_or((0, size), |r| r.clamp(size));
    let page = page_size();
    let pages = (off + len).div_ceil(page) - off / page;
    // Size and pages come from fstat, so they are known even when the page
    // cache may not be asked about.
    let unknown = |why: String| -> FileMeasure {
        FileReport {
            size: Some(size),
            pages: Some(pages),
            ..FileReport::without_figures(name.clone(), Status::Partial, why)
        }
        .into()
    };
    if probe.source() == PagesSource::Mincore && !may_see_residency(path, &meta) {
        return Some(unknown(MINCORE_NOT_PERMITTED.into()));
    }
    if probe.source() == PagesSource::Mincore && len > 0 && !opened_noatime(&file) {
        return Some(unknown(MINCORE_WOULD_TOUCH_ATIME.into()));
    }
    let result = match want.map_cells {
        Some(cells) => probe
            .map_range(&file, off, len, cells)
            .map(|m| (m.totals, Some(m))),
        // cachestat's length 0 means "to the end of the file", so an empty
        // range is answered here: it has no pages to count.
        None if len == 0 => Ok((zero_counts(probe.source()), None)),
        None => probe.counts(&file, off, len).map(|c| (c, None)),
    };
    let (counts, map) = match result {
        Ok(r) => r,
        Err(e)
            if e.raw_os_error() == Some(libc::EPERM)
                && probe.source() == PagesSource::Cachestat =>
        {
            return Some(unknown(CACHESTAT_EPERM.into()));
        }
        Err(e) => {
            let why = format!("page-cache state unknown: {}: {e}", probe.source().as_str());
            return Some(unknown(why));
        }
    };
    let map = map.map(|map| MapView {
        path: name.clone(),
        offset: off / page * page,
        map,
    });
    let report = FileReport {
        path: name,
        size: Some(size),
        pages: Some(pages),
        cached: counts.cached,
        dirty: counts.dirty,
        writeback: counts.writeback,
        evicted: counts.evicted,
        recently_evicted: counts.recently_evicted,
        source: Some(probe.source().as_str()),
        error: None,
        status: Status::Measured,
    };
    Some(FileMeasure { report, map })
}

fn failed(name: String, what: &str, e: &io::Error) -> FileReport {
    FileReport::without_figures(name, Status::Failed, format!("{what}: {e}"))
}

fn zero_counts(source: PagesSource) -> PageCounts {
    match source {
        PagesSource::Cachestat => PageCounts {
            cached: Some(0),
            dirty: Some(0),
            writeback: Some(0),
            evicted: Some(0),
            recently_evicted: Some(0),
        },
        PagesSource::Mincore => PageCounts {
            cached: Some(0),
            ..PageCounts::default()
        },
    }
}

/// The kernel's rule for mincore on a file mapping (`can_do_mincore`): the
/// owner, or anyone who could open the file for writing. Checked with the
/// effective ids, as the kernel does; `CAP_FOWNER` without write permission is
/// not detected, which only makes us say "unknown" where we could have known.
fn may_see_residency(path: &Path, meta: &std::fs::Metadata) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if meta.uid() == unsafe { libc::geteuid() } {
        return true;
    }
    let Ok(c) = CString::new(path.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path; faccessat only reads it.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK, libc::AT_EACCESS) == 0 }
}
