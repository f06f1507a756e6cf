//! `iotour inspect`: how much of each file is in the page cache, and how much
//! of that is dirty or under writeback, right now, without disturbing it.
//!
//! vmtouch, fincore and pcstat report residency only; cachestat(2) also
//! gives dirty, writeback and eviction counts. The flow:
//! [`walk`] expands the paths → [`file::measure`] opens each file read-only
//! and asks the [`PageProbe`] → [`report::InspectReport`]; the front prints
//! it as a table for people or as JSON for programs.

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::probe::Disabled;
use crate::probe::pages::{PageProbe, PagesSource};

pub mod file;
pub mod range;
pub mod report;
pub mod walk;

use report::{FileReport, InspectReport, SortKey, Status, Totals};
use walk::{Entry, WalkOptions};

/// Errors in what was asked (exit code 2). Problems with single files are
/// not errors of the command: they are entries of the report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad --range {0}")]
    BadRange(String),
    #[error("bad --range: {0}")]
    BadSize(#[from] crate::size::SizeError),
    #[error("--range zooms into one file, but the paths name {0} files")]
    RangeNeedsOneFile(usize),
    #[error("{0}")]
    Disabled(String),
    /// The caller set the cancel flag of [`inspect_until`].
    #[error("cancelled")]
    Cancelled,
}

/// Everything `inspect` needs besides the paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub walk: WalkOptions,
    pub range: Option<range::ByteRange>,
    /// Cells of the page map drawn when exactly one file is measured (0: none).
    pub map_cells: usize,
    pub sort: SortKey,
}

/// The probe and why it is the one in use.
#[derive(Debug, Clone)]
pub struct Probe {
    pub pages: PageProbe,
    /// Set when the fallback (mincore) is used, saying why.
    pub note: Option<String>,
}

impl Probe {
    /// Pick cachestat when the kernel has it and it is not switched off.
    /// Asked about a file this process creates, so that an EPERM here means
    /// "blocked" (a seccomp filter) rather than the permissions rule.
    pub fn detect(disabled: &Disabled) -> Probe {
        let own = tempfile::tempfile().ok();
        // Any file will do to learn whether the syscall exists (ENOSYS comes
        // before the file is looked at); only our own can tell "blocked" apart.
        let any = match &own {
            Some(f) => f.try_clone().ok(),
            None => File::open("/").ok(),
        };
        let Some(any) = any else {
            return Probe::fallback("no file to try cachestat(2) on");
        };
        let pages = PageProbe::detect(disabled, &any);
        if pages.source() == PagesSource::Mincore {
            let why = pages
                .note()
                .unwrap_or("cachestat(2) unavailable")
                .to_string();
            return Probe::fallback(&why);
        }
        match own.map(|f| pages.counts(&f, 0, 0)) {
            Some(Err(e)) => Probe::fallback(&format!(
                "cachestat(2) fails even on a file of our own ({e}; blocked by a seccomp filter?)"
            )),
            _ => Probe { pages, note: None },
        }
    }

    fn fallback(why: &str) -> Probe {
        Probe {
            pages: PageProbe::with_source(PagesSource::Mincore),
            note: Some(format!(
                "{why}: residency from mincore(2), dirty and writeback unknown"
            )),
        }
    }

    /// From `IOTOUR_DISABLE`.
    pub fn from_env() -> Result<Probe, Error> {
        let disabled = Disabled::from_env().map_err(Error::Disabled)?;
        Ok(Probe::detect(&disabled))
    }
}

/// Measure every file under `paths`.
pub fn inspect(paths: &[PathBuf], opts: &Options, probe: &Probe) -> Result<InspectReport, Error> {
    inspect_until(paths, opts, probe, &AtomicBool::new(false))
}

/// [`inspect`], given up with [`Error::Cancelled`] soon after `cancel` is set
/// (checked for each directory and each file).
pub fn inspect_until(
    paths: &[PathBuf],
    opts: &Options,
    probe: &Probe,
    cancel: &AtomicBool,
) -> Result<InspectReport, Error> {
    let cancelled = || cancel.load(Ordering::Relaxed);
    let walked = walk::walk_until(paths, &opts.walk, cancel);
    let n_files = walked
        .entries
        .iter()
        .filter(|e| matches!(e, Entry::File { .. }))
        .count();
    if opts.range.is_some() && n_files > 1 {
        return Err(Error::RangeNeedsOneFile(n_files));
    }
    let want = file::Want {
        range: opts.range,
        map_cells: (n_files == 1 && opts.map_cells > 0).then_some(opts.map_cells),
    };
    let mut seen = HashSet::new();
    let mut files = Vec::with_capacity(walked.entries.len());
    let mut map = None;
    let mut duplicates = 0;
    for entry in walked.entries {
        if cancelled() {
            return Err(Error::Cancelled);
        }
        match entry {
            Entry::File { path, nofollow } => {
                match file::measure(&path, nofollow, &probe.pages, want, &mut seen) {
                    Some(measured) => {
                        map = map.or(measured.map);
                        files.push(measured.report);
                    }
                    None => duplicates += 1,
                }
            }
            Entry::Skipped { path, why } => files.push(FileReport::without_figures(
                path.display().to_string(),
                Status::Skipped,
                why,
            )),
            Entry::Failed { path, error } => files.push(FileReport::without_figures(
                path.display().to_string(),
                Status::Failed,
                format!("cannot examine: {error}"),
            )),
        }
    }
    if cancelled() {
        // The walk may have stopped early: what it found is not the tree.
        return Err(Error::Cancelled);
    }
    let mut totals = Totals::over(&files);
    totals.symlinks_not_followed = walked.symlinks_not_followed;
    totals.duplicates = duplicates + walked.directories_revisited;
    totals.pseudo_filesystems_skipped = walked.pseudo_skipped.len() as u64;
    totals.other_filesystems_skipped = walked.other_fs_skipped.len() as u64;
    totals.missing = walked.missing;
    let shown = |p: &std::path::Path| p.display().to_string();
    let mut report = InspectReport {
        files,
        totals,
        map,
        notes: probe.note.iter().cloned().collect(),
        mounts: report::SkippedMounts {
            pseudo: walked
                .pseudo_skipped
                .iter()
                .map(|(p, k)| (shown(p), *k))
                .collect(),
            other: walked.other_fs_skipped.iter().map(|p| shown(p)).collect(),
        },
    };
    report.sort(opts.sort);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_cancel_flag_abandons_the_walk_and_the_measurement() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/f"), b"x").unwrap();
        let paths = [dir.path().to_path_buf()];
        let probe = Probe::detect(&Disabled::default());
        let flag = AtomicBool::new(false);
        let whole = inspect_until(&paths, &Options::default(), &probe, &flag).unwrap();
        assert_eq!(whole.files.len(), 1);
        flag.store(true, Ordering::Relaxed);
        let walked = walk::walk_until(&paths, &WalkOptions::default(), &flag);
        assert!(walked.entries.is_empty(), "{:?}", walked.entries);
        let r = inspect_until(&paths, &Options::default(), &probe, &flag);
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    }

    #[test]
    fn switching_cachestat_off_falls_back_to_mincore_and_says_why() {
        let probe = Probe::detect(&Disabled::parse("cachestat").unwrap());
        assert_eq!(probe.pages.source(), PagesSource::Mincore);
        let note = probe.note.unwrap();
        assert!(note.contains("switched off by IOTOUR_DISABLE"), "{note}");
        assert!(note.contains("dirty and writeback unknown"), "{note}");
    }

    #[test]
    fn range_needs_one_file_and_a_single_file_gets_a_map() {
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, vec![1u8; 8192]).unwrap();
        std::fs::write(&b, b"x").unwrap();
        let probe = Probe::detect(&Disabled::default());
        let opts = Options {
            range: Some("0..4KiB".parse().unwrap()),
            map_cells: 16,
            ..Options::default()
        };
        let err = inspect(&[a.clone(), b], &opts, &probe).unwrap_err();
        assert!(matches!(err, Error::RangeNeedsOneFile(2)), "{err}");
        let report = inspect(&[a], &opts, &probe).unwrap();
        let view = report.map.as_ref().expect("a map for one file");
        assert_eq!((view.offset, view.map.pages), (0, 1));
        assert_eq!(report.files[0].pages, Some(1));
        assert_eq!(report.exit_code(), 0);
    }
}

/// Why [`map_of`] has no map.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("cannot open: {0}")]
    Open(std::io::Error),
    #[error("cannot stat: {0}")]
    Stat(std::io::Error),
    #[error("page map: {0}")]
    Map(std::io::Error),
    /// The mincore fallback would have to map a file it could not open
    /// with O_NOATIME (see [`file::MINCORE_WOULD_TOUCH_ATIME`]).
    #[error("{}", file::MINCORE_WOULD_TOUCH_ATIME)]
    WouldTouchAtime,
}

/// The page map of the file at `path` in `cells` cells, over `range` of it
/// (the whole file when `None`); opened read-only as [`file::measure`] does.
pub fn map_of(
    path: &std::path::Path,
    range: Option<range::ByteRange>,
    cells: usize,
    probe: &Probe,
) -> Result<report::MapView, MapError> {
    let f = file::open_read_only(path, false).map_err(MapError::Open)?;
    let size = f.metadata().map_err(MapError::Stat)?.len();
    let (off, len) = range.map_or((0, size), |r| r.clamp(size));
    if probe.pages.source() == PagesSource::Mincore && len > 0 && !file::opened_noatime(&f) {
        return Err(MapError::WouldTouchAtime);
    }
    let map = probe
        .pages
        .map_range(&f, off, len, cells.max(1))
        .map_err(MapError::Map)?;
    let page = crate::probe::pages::page_size();
    Ok(report::MapView {
        path: path.display().to_string(),
        offset: off / page * page,
        map,
    })
}
