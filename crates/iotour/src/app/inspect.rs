//! The inspect screen's state: the table of files as last measured, the
//! selection and sort order, and the selected file's page map. The
//! measuring happens on the `inspect` producer threads; this only asks for
//! it (through [`Effect`]s) and keeps what arrives.

use std::path::PathBuf;
use std::time::Duration;

use iotour_core::inspect::Options;
use iotour_core::inspect::report::{InspectReport, MapView, SortKey};

use super::action::Action;
use super::{Effect, Failure};

/// What the measurer needs to start: the paths and how to walk them.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectSetup {
    pub paths: Vec<PathBuf>,
    pub options: Options,
    /// Measure again this long after the last report arrived.
    pub every: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InspectState {
    /// Which measurer this screen listens to.
    pub epoch: u64,
    pub setup: InspectSetup,
    /// `None` until the first report: a big tree takes a moment to walk.
    pub report: Option<InspectReport>,
    /// Why the paths could not be measured at all (a bad `--range`, …).
    pub failure: Option<Failure>,
    /// Index into `report.files`.
    pub selected: usize,
    pub sort: SortKey,
    /// The selected file's map over the whole map area, or why there is none.
    pub map: Result<MapView, MapMissing>,
    /// Time of day of the last report.
    pub at: String,
    /// Where the page states come from (`cachestat`, `mincore`).
    pub source: &'static str,
}

/// Why the map area shows no map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapMissing {
    /// Asked for, not there yet.
    Measuring,
    /// The selected file was not measured, or its map could not be read.
    Failed(Failure),
}

impl InspectState {
    /// The screen for `setup`, listening to measurer `epoch`; the effect starts it.
    pub fn new(setup: InspectSetup, epoch: u64) -> (InspectState, Effect) {
        let state = InspectState {
            epoch,
            sort: setup.options.sort,
            setup: setup.clone(),
            report: None,
            failure: None,
            selected: 0,
            map: Err(MapMissing::Measuring),
            at: String::new(),
            source: "",
        };
        (state, Effect::Inspect { epoch, setup })
    }

    /// The path typed at the picker or named on the command line, for the
    /// screen shown before the first report.
    pub fn waiting_for(&self) -> String {
        self.setup
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn selected_path(&self) -> Option<&str> {
        self.report
            .as_ref()?
            .files
            .get(self.selected)
            .map(|f| f.path.as_str())
    }

    /// A key's action on this screen; `Back` and `Quit` are the App's.
    pub fn act(&mut self, action: Action) -> Vec<Effect> {
        let Some(report) = &mut self.report else {
            return vec![];
        };
        let last = report.files.len().saturating_sub(1);
        let before = self.selected;
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::NextSort => {
                self.sort = match self.sort {
                    SortKey::Path => SortKey::Dirty,
                    SortKey::Dirty => SortKey::Cached,
                    SortKey::Cached => SortKey::Path,
                };
                let keep = self.selected_path().map(str::to_string);
                if let Some(r) = &mut self.report {
                    r.sort(self.sort);
                }
                self.select_path(keep.as_deref());
                return vec![];
            }
            Action::Refresh => return vec![Effect::InspectRefresh],
            _ => return vec![],
        }
        if self.selected == before {
            vec![]
        } else {
            self.map_effect()
        }
    }

    /// A report from the measurer, keeping the selection on the same path
    /// when it is still there; the selected file's map is asked for again.
    pub fn report(
        &mut self,
        report: Result<InspectReport, Failure>,
        clock: String,
        source: &'static str,
    ) -> Vec<Effect> {
        self.source = source;
        let mut report = match report {
            Ok(r) => r,
            Err(e) => {
                self.failure = Some(e);
                return vec![];
            }
        };
        self.failure = None;
        let keep = self.selected_path().map(str::to_string);
        report.sort(self.sort);
        self.report = Some(report);
        self.select_path(keep.as_deref());
        self.at = clock;
        self.map_effect()
    }

    pub fn map(&mut self, map: Result<MapView, Failure>) {
        self.map = map.map_err(MapMissing::Failed);
    }

    /// Ask for the selected file's map (again: the selection or the screen
    /// size changed, or the files were measured again).
    pub fn map_effect(&mut self) -> Vec<Effect> {
        let Some(file) = self
            .report
            .as_ref()
            .and_then(|r| r.files.get(self.selected))
        else {
            self.map = Err(MapMissing::Failed(Failure::msg("no file")));
            return vec![];
        };
        if !matches!(file.status, iotour_core::inspect::report::Status::Measured) {
            let why = file.error.clone().unwrap_or_else(|| "not measured".into());
            self.map = Err(MapMissing::Failed(Failure::msg(why)));
            return vec![];
        }
        if self.map.is_err() {
            self.map = Err(MapMissing::Measuring);
        }
        vec![Effect::InspectMap {
            epoch: self.epoch,
            path: PathBuf::from(&file.path),
            range: self.setup.options.range,
        }]
    }

    fn select_path(&mut self, path: Option<&str>) {
        let Some(report) = &self.report else { return };
        let found = path.and_then(|p| report.files.iter().position(|f| f.path == p));
        let last = report.files.len().saturating_sub(1);
        self.selected = found.unwrap_or(self.selected).min(last);
    }

    /// `iotour inspect`'s exit code once the screen closes: as the table's.
    pub fn exit_code(&self) -> u8 {
        match (&self.report, &self.failure) {
            (Some(r), _) => r.exit_code(),
            (None, Some(_)) => 2,
            (None, None) => 0,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use iotour_core::inspect::report::{FileReport, Status, Totals};

    pub(crate) fn report() -> InspectReport {
        let file = |path: &str, dirty: u64| FileReport {
            path: path.into(),
            size: Some(8192),
            pages: Some(2),
            cached: Some(2),
            dirty: Some(dirty),
            writeback: Some(0),
            evicted: Some(0),
            recently_evicted: Some(0),
            source: Some("cachestat"),
            error: None,
            status: Status::Measured,
        };
        let files = vec![file("a", 0), file("b", 2), file("c", 1)];
        let totals = Totals::over(&files);
        InspectReport {
            files,
            totals,
            map: None,
            notes: vec![],
            mounts: iotour_core::inspect::report::SkippedMounts::default(),
        }
    }

    pub(crate) fn state() -> InspectState {
        let setup = InspectSetup {
            paths: vec![PathBuf::from(".")],
            options: Options::default(),
            every: Duration::from_secs(1),
        };
        let (mut s, _) = InspectState::new(setup, 1);
        s.report(Ok(report()), "09:00:00".into(), "cachestat");
        s
    }

    #[test]
    fn selection_moves_within_bounds_and_asks_for_the_new_map() {
        let mut s = state();
        assert!(s.act(Action::Up).is_empty(), "already at the top");
        let e = s.act(Action::Down);
        assert!(
            matches!(&e[..], [Effect::InspectMap { path, .. }] if path.as_os_str() == "b"),
            "{e:?}"
        );
        s.act(Action::Bottom);
        assert!(s.act(Action::Down).is_empty());
        assert_eq!(s.selected, 2);
        assert_eq!(s.act(Action::Refresh), vec![Effect::InspectRefresh]);
    }

    #[test]
    fn sorting_and_new_reports_keep_the_selected_file_selected() {
        let mut s = state();
        s.act(Action::Down); // b
        s.act(Action::NextSort);
        assert_eq!(s.sort, SortKey::Dirty);
        let order: Vec<_> = s
            .report
            .as_ref()
            .unwrap()
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(order, ["b", "c", "a"]);
        assert_eq!(s.selected_path(), Some("b"));
        // A refresh in which b vanished keeps the index in range.
        let mut next = report();
        next.files.retain(|f| f.path != "b");
        next.files.truncate(1);
        s.selected = 0;
        s.report(Ok(next), "10:00:00".into(), "cachestat");
        assert_eq!(s.selected, 0);
        assert_eq!(s.at, "10:00:00");
    }

    #[test]
    fn a_failed_measurement_is_kept_and_sets_the_exit_code() {
        let setup = InspectSetup {
            paths: vec![PathBuf::from("/nope")],
            options: Options::default(),
            every: Duration::from_secs(1),
        };
        let (mut s, _) = InspectState::new(setup, 1);
        assert_eq!(s.waiting_for(), "/nope");
        s.report(Err(Failure::msg("bad --range")), String::new(), "");
        assert_eq!(s.failure, Some(Failure::msg("bad --range")));
        assert_eq!(s.exit_code(), 2);
    }
}
