//! Output-only types of `inspect`: what `--json` prints, field for field.
//!
//! Page counts are in pages of the system page size. A figure that could not
//! be measured is `null`, with `error` saying why; a total is `null` when any
//! measured file's figure is unknown, because a sum over the known ones would
//! be a number that is not true of the files listed.

use serde::Serialize;

use crate::probe::pages::PageMap;

/// The whole answer: one entry per file (or per path that failed or was skipped).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InspectReport {
    pub files: Vec<FileReport>,
    pub totals: Totals,
    /// The page map, when exactly one file was measured (text output only).
    #[serde(skip)]
    pub map: Option<MapView>,
    /// Facts about the measurement the reader should know (fallback sources).
    #[serde(skip)]
    pub notes: Vec<String>,
    /// Mount points the walk did not enter (counted in `totals`).
    #[serde(skip)]
    pub mounts: SkippedMounts,
}

/// The mount points below the named paths that were not entered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SkippedMounts {
    /// Pseudo filesystems (path, type): entered only when named.
    pub pseudo: Vec<(String, &'static str)>,
    /// Other filesystems, with `--one-file-system`.
    pub other: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    pub path: String,
    /// Bytes.
    pub size: Option<u64>,
    /// Pages in the file (or in `--range`).
    pub pages: Option<u64>,
    pub cached: Option<u64>,
    pub dirty: Option<u64>,
    pub writeback: Option<u64>,
    pub evicted: Option<u64>,
    pub recently_evicted: Option<u64>,
    /// `cachestat` or `mincore`; `null` when nothing was measured.
    pub source: Option<&'static str>,
    pub error: Option<String>,
    #[serde(skip)]
    pub status: Status,
}

/// How far measuring a path got; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// Every figure the source can give was measured.
    #[default]
    Measured,
    /// Opened, but some figures are unknown (see `error`).
    Partial,
    /// Could not be opened or examined.
    Failed,
    /// Not a regular file: listed, never opened.
    Skipped,
}

impl FileReport {
    /// An entry with no figures at all.
    pub fn without_figures(path: String, status: Status, error: String) -> FileReport {
        FileReport {
            path,
            size: None,
            pages: None,
            cached: None,
            dirty: None,
            writeback: None,
            evicted: None,
            recently_evicted: None,
            source: None,
            error: Some(error),
            status,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Totals {
    /// The unit of every page count, in bytes.
    pub page_size: u64,
    /// Files measured (fully or partly).
    pub files: u64,
    /// Paths that could not be examined, or files with unknown figures.
    pub errors: u64,
    /// Special files listed and not opened.
    pub skipped: u64,
    /// Symbolic links inside directories, not followed (`--follow` follows them).
    pub symlinks_not_followed: u64,
    /// Further names of a file or directory already seen (hard links, links
    /// followed, a path named twice), left out so no page is counted twice.
    pub duplicates: u64,
    /// Mount points of pseudo filesystems (/proc, /sys, devtmpfs, cgroup,
    /// tracefs, …) below the named paths, not entered (name one to look in).
    pub pseudo_filesystems_skipped: u64,
    /// Mount points of other filesystems not entered (`--one-file-system`).
    pub other_filesystems_skipped: u64,
    /// Named paths that do not exist (exit 2).
    pub missing: u64,
    pub size: Option<u64>,
    pub pages: Option<u64>,
    pub cached: Option<u64>,
    pub dirty: Option<u64>,
    pub writeback: Option<u64>,
    pub evicted: Option<u64>,
    pub recently_evicted: Option<u64>,
}

impl Totals {
    /// Sums over the measured files; walk counters are filled in by the caller.
    pub fn over(files: &[FileReport]) -> Totals {
        let measured: Vec<&FileReport> = files
            .iter()
            .filter(|f| matches!(f.status, Status::Measured | Status::Partial))
            .collect();
        let sum = |get: fn(&FileReport) -> Option<u64>| -> Option<u64> {
            measured.iter().map(|f| get(f)).sum::<Option<u64>>()
        };
        Totals {
            page_size: crate::probe::pages::page_size(),
            files: measured.len() as u64,
            errors: files
                .iter()
                .filter(|f| matches!(f.status, Status::Partial | Status::Failed))
                .count() as u64,
            skipped: files.iter().filter(|f| f.status == Status::Skipped).count() as u64,
            size: sum(|f| f.size),
            pages: sum(|f| f.pages),
            cached: sum(|f| f.cached),
            dirty: sum(|f| f.dirty),
            writeback: sum(|f| f.writeback),
            evicted: sum(|f| f.evicted),
            recently_evicted: sum(|f| f.recently_evicted),
            ..Totals::default()
        }
    }
}

/// The page map of the one file measured, over the bytes it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapView {
    pub path: String,
    /// Byte offset of the first cell (the start of `--range`, page aligned).
    pub offset: u64,
    pub map: PageMap,
}

/// The order of `files`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Most dirty pages first (unknown last).
    Dirty,
    /// Most cached pages first (unknown last).
    Cached,
    /// By path, the order of the walk.
    #[default]
    Path,
}

impl InspectReport {
    pub fn sort(&mut self, key: SortKey) {
        // Largest first and unknown last (`Option`'s own order puts `None`
        // first); ties keep the walk's order, since the sort is stable.
        let desc = |get: fn(&FileReport) -> Option<u64>| {
            move |a: &FileReport, b: &FileReport| match (get(a), get(b)) {
                (Some(x), Some(y)) => y.cmp(&x),
                (x, y) => y.is_some().cmp(&x.is_some()),
            }
        };
        match key {
            SortKey::Dirty => self.files.sort_by(desc(|f| f.dirty)),
            SortKey::Cached => self.files.sort_by(desc(|f| f.cached)),
            SortKey::Path => self.files.sort_by(|a, b| a.path.cmp(&b.path)),
        }
    }

    /// 0: everything asked about was measured; 1: some paths or figures
    /// failed; 2: a named path does not exist (bad input, as a missing file
    /// is for every command), though the others are still reported.
    pub fn exit_code(&self) -> u8 {
        if self.totals.missing > 0 {
            2
        } else {
            u8::from(self.totals.errors > 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, dirty: Option<u64>, status: Status) -> FileReport {
        FileReport {
            path: path.into(),
            size: Some(8192),
            pages: Some(2),
            cached: Some(2),
            dirty,
            writeback: Some(0),
            evicted: Some(0),
            recently_evicted: Some(0),
            source: Some("cachestat"),
            error: None,
            status,
        }
    }

    #[test]
    fn totals_are_null_when_any_measured_file_is_unknown() {
        let files = vec![
            file("a", Some(1), Status::Measured),
            file("b", None, Status::Partial),
            FileReport::without_figures("c".into(), Status::Failed, "gone".into()),
            FileReport::without_figures("d".into(), Status::Skipped, "FIFO".into()),
        ];
        let t = Totals::over(&files);
        assert_eq!((t.files, t.errors, t.skipped), (2, 2, 1));
        assert_eq!(t.cached, Some(4));
        assert_eq!(t.dirty, None);
        let t = Totals::over(&files[..1]);
        assert_eq!(t.dirty, Some(1));
    }

    #[test]
    fn sort_by_dirty_puts_unknown_last() {
        let mut r = InspectReport {
            files: vec![
                file("a", None, Status::Partial),
                file("b", Some(0), Status::Measured),
                file("c", Some(5), Status::Measured),
            ],
            totals: Totals::default(),
            map: None,
            notes: vec![],
            mounts: SkippedMounts::default(),
        };
        r.sort(SortKey::Dirty);
        let order: Vec<_> = r.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(order, ["c", "b", "a"]);
        r.sort(SortKey::Path);
        assert_eq!(r.files[0].path, "a");
    }

    #[test]
    fn json_has_exactly_the_documented_fields() {
        let v = serde_json::to_value(file("a", Some(1), Status::Measured)).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "cached",
                "dirty",
                "error",
                "evicted",
                "pages",
                "path",
                "recently_evicted",
                "size",
                "source",
                "writeback"
            ]
        );
    }
}
