//! The trace screen's state: a traced program as its events arrive (or as a
//! recording replays them), folded with the tracer's own
//! [`TraceAccumulator`], so the screen shows the numbers `--json` would print.
//!
//! Pausing freezes the view, not the program: the tracer keeps folding, and
//! `b`/`n` move through a snapshot taken each second of trace time.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use iotour_core::inspect::report::MapView;
use iotour_core::trace::{
    Backend, ExitStatus, SyscallEvent, TraceAccumulator, TraceEvent, TraceReport,
};

use super::Effect;
use super::action::Action;
use super::pages::PageView;

/// Calls kept per file for the log, and in all.
const LOG: usize = 200;
/// Width of one bucket of the rate chart.
pub const BUCKET: Duration = Duration::from_millis(250);
/// Buckets kept for the rate chart (a minute).
const BUCKETS: usize = 240;
/// How often the selected file's page map is measured again.
const MAP_EVERY: Duration = Duration::from_millis(500);

/// What the screen is told about its trace before the first event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSetup {
    /// The command line (or `--pid N`), for the header until `Started`.
    pub command: Vec<String>,
    /// Where the program's output goes (live traces of a command).
    pub log: Option<PathBuf>,
    /// A recording is replayed: nothing runs.
    pub replay: bool,
}

/// How the traced program stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Starting,
    Running,
    Exited(ExitStatus),
    Detached,
    Failed,
}

/// The fold and what the screen keeps besides it.
#[derive(Debug, Clone)]
pub struct TraceState {
    pub epoch: u64,
    pub setup: TraceSetup,
    pub phase: Phase,
    pub backend: Option<Backend>,
    pub pid: Option<i32>,
    pub failure: Option<String>,
    acc: TraceAccumulator,
    /// The report as of the last event (folded once per event batch).
    pub latest: TraceReport,
    /// The report at the end of each second of trace time, for b/n.
    pub history: Vec<(Duration, TraceReport)>,
    /// `Some(i)`: the view is frozen on `history[i]` (or the pause moment).
    pub frozen: Option<Frozen>,
    /// Recent calls by file, newest last.
    pub calls: HashMap<Arc<str>, VecDeque<SyscallEvent>>,
    /// Calls per [`BUCKET`] of trace time, oldest first, and the time of the last.
    pub rate: VecDeque<u64>,
    rate_at: Duration,
    /// Dirty pages of each followed file over time (sampled).
    pub dirty: HashMap<Arc<str>, VecDeque<(Duration, u64)>>,
    /// Which file of [`TraceState::files`] is selected.
    pub selected: usize,
    /// The selected file's page map, with which cells just changed.
    pub map: Option<MapView>,
    pub pages: PageView,
    /// Trace time (the last event's).
    pub now: Duration,
    last_map_ask: Option<Duration>,
    /// UI time of the first tick after the trace started, to turn ticks
    /// into map requests at a steady pace.
    last_tick: Duration,
}

/// A frozen view: the report it shows and where in the history it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Frozen {
    pub report: TraceReport,
    pub at: Duration,
    /// Index into `history` (`history.len()`: the moment of the pause).
    pub index: usize,
}

impl PartialEq for TraceState {
    // The fold has no equality of its own; its report says everything.
    fn eq(&self, other: &Self) -> bool {
        self.epoch == other.epoch
            && self.setup == other.setup
            && self.phase == other.phase
            && self.latest == other.latest
            && self.frozen == other.frozen
            && self.selected == other.selected
    }
}

impl TraceState {
    /// The screen for `setup`, listening to trace `epoch`; the effect starts it.
    pub fn new(setup: TraceSetup, epoch: u64) -> (TraceState, Effect) {
        let acc = TraceAccumulator::new();
        let latest = acc.report();
        let state = TraceState {
            epoch,
            setup,
            phase: Phase::Starting,
            backend: None,
            pid: None,
            failure: None,
            acc,
            latest,
            history: Vec::new(),
            frozen: None,
            calls: HashMap::new(),
            rate: VecDeque::with_capacity(BUCKETS),
            rate_at: Duration::ZERO,
            dirty: HashMap::new(),
            selected: 0,
            map: None,
            pages: PageView::default(),
            now: Duration::ZERO,
            last_map_ask: None,
            last_tick: Duration::ZERO,
        };
        (state, Effect::Trace { epoch })
    }

    /// The report the view shows: the frozen one, else the latest.
    pub fn shown(&self) -> &TraceReport {
        self.frozen.as_ref().map_or(&self.latest, |f| &f.report)
    }

    /// The followed files of the shown report, most dirty pages first.
    pub fn files(&self) -> Vec<&iotour_core::trace::FileReport> {
        let mut v: Vec<_> = self.shown().files.iter().collect();
        v.sort_by(|a, b| {
            b.dirty_pages
                .cmp(&a.dirty_pages)
                .then(
                    b.syscalls
                        .values()
                        .sum::<u64>()
                        .cmp(&a.syscalls.values().sum()),
                )
                .then(a.path.cmp(&b.path))
        });
        v
    }

    pub fn selected_path(&self) -> Option<Arc<str>> {
        self.files().get(self.selected).map(|f| f.path.clone())
    }

    /// One event of the trace.
    pub fn event(&mut self, e: &TraceEvent) -> Vec<Effect> {
        let at = e.at();
        // Each second that ends before this event: the report as it stood.
        let second = |t: Duration| t.as_secs();
        while second(at) > second(self.now) {
            let end = Duration::from_secs(second(self.now) + 1);
            self.history.push((end, self.latest.clone()));
            self.now = end;
        }
        self.acc.push(e);
        self.now = self.now.max(at);
        match e {
            TraceEvent::Started { pid, backend, .. } => {
                self.pid = Some(*pid);
                self.backend = Some(*backend);
                self.phase = Phase::Running;
            }
            TraceEvent::Syscall(s) => {
                self.count_call(s.start);
                for path in [&s.path, &s.source_path].into_iter().flatten() {
                    let log = self.calls.entry(path.clone()).or_default();
                    if log.len() == LOG {
                        log.pop_front();
                    }
                    log.push_back(s.clone());
                }
            }
            TraceEvent::FileSample { path, pages, .. } => {
                let series = self.dirty.entry(path.clone()).or_default();
                if series.len() == BUCKETS * 4 {
                    series.pop_front();
                }
                series.push_back((at, pages.dirty));
            }
            TraceEvent::Exited { status, .. } => self.phase = Phase::Exited(*status),
            TraceEvent::Detached { .. } => self.phase = Phase::Detached,
            TraceEvent::Failed { error, .. } => {
                self.phase = Phase::Failed;
                self.failure = Some(error.clone());
            }
            _ => {}
        }
        self.latest = self.acc.report();
        vec![]
    }

    fn count_call(&mut self, at: Duration) {
        let bucket = |t: Duration| t.as_millis() / BUCKET.as_millis();
        if self.rate.is_empty() {
            self.rate.push_back(0);
            self.rate_at = at;
        }
        while bucket(at) > bucket(self.rate_at) {
            if self.rate.len() == BUCKETS {
                self.rate.pop_front();
            }
            self.rate.push_back(0);
            self.rate_at += BUCKET;
        }
        if let Some(last) = self.rate.back_mut() {
            *last += 1;
        }
    }

    /// The animation clock: ask for the selected file's map now and then.
    pub fn tick(&mut self, ui: Duration) -> Vec<Effect> {
        self.last_tick = ui;
        let due = self.last_map_ask.is_none_or(|t| ui >= t + MAP_EVERY);
        let live = self.frozen.is_none() && self.phase != Phase::Starting;
        if !(due && live) {
            return vec![];
        }
        self.last_map_ask = Some(ui);
        self.map_effect()
    }

    fn map_effect(&self) -> Vec<Effect> {
        match self.selected_path() {
            Some(path) => vec![Effect::InspectMap {
                epoch: self.epoch,
                path: PathBuf::from(&*path),
                range: None,
            }],
            None => vec![],
        }
    }

    /// The page map measured for the selected file.
    pub fn map(&mut self, map: Option<MapView>) {
        if let Some(m) = &map {
            let same_file = self.map.as_ref().is_some_and(|old| old.path == m.path);
            if !same_file {
                self.pages = PageView::default();
            }
            self.pages.update(Some(m.map.clone()), None, self.now);
        }
        self.map = map;
    }

    /// A key's action on this screen; `Back` and `Quit` are the App's.
    pub fn act(&mut self, action: Action) -> Vec<Effect> {
        let files = self.files().len();
        match action {
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::Down => self.select((self.selected + 1).min(files.saturating_sub(1))),
            Action::TogglePause => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(Frozen {
                        report: self.latest.clone(),
                        at: self.now,
                        index: self.history.len(),
                    }),
                };
                vec![]
            }
            Action::StepBack => {
                let index = self.frozen.as_ref().map_or(self.history.len(), |f| f.index);
                self.freeze_at(index.saturating_sub(1));
                vec![]
            }
            Action::NextStep => {
                if let Some(f) = &self.frozen {
                    let next = f.index + 1;
                    if next >= self.history.len() {
                        self.frozen = None;
                    } else {
                        self.freeze_at(next);
                    }
                }
                vec![]
            }
            _ => vec![],
        }
    }

    fn freeze_at(&mut self, index: usize) {
        if let Some((at, report)) = self.history.get(index) {
            self.frozen = Some(Frozen {
                report: report.clone(),
                at: *at,
                index,
            });
        }
    }

    fn select(&mut self, i: usize) -> Vec<Effect> {
        if i == self.selected {
            return vec![];
        }
        self.selected = i;
        self.map = None;
        self.map_effect()
    }

    /// The tracer could not start.
    pub fn refused(&mut self, error: &crate::app::failure::Failure) {
        self.phase = Phase::Failed;
        self.failure = Some(format!("{error:#}"));
    }

    /// `iotour trace`'s exit status once the screen closes: the program's
    /// (128+N for signal N) when it ended, else 0 (the user ended the trace).
    pub fn exit_code(&self) -> u8 {
        match self.phase {
            Phase::Exited(s) => u8::try_from(s.code().clamp(0, 255)).unwrap_or(255),
            Phase::Failed => crate::exit::FAILED,
            _ => crate::exit::SUCCESS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotour_core::trace::PageState;

    fn call(name: &'static str, path: &str, at_ms: u64) -> TraceEvent {
        TraceEvent::Syscall(SyscallEvent {
            tid: 7,
            pid: 7,
            name,
            nr: iotour_core::trace::syscall_table::number(name).unwrap(),
            fd: Some(3),
            path: Some(path.into()),
            source_fd: None,
            source_path: None,
            bytes: Some(100),
            ret: Some(100),
            start: Duration::from_millis(at_ms),
            duration: Some(Duration::from_micros(3)),
        })
    }

    fn state() -> TraceState {
        let setup = TraceSetup {
            command: vec!["w".into()],
            log: None,
            replay: false,
        };
        let (mut s, _) = TraceState::new(setup, 1);
        s.event(&TraceEvent::Started {
            pid: 7,
            backend: Backend::Ptrace,
            command: vec!["w".into()],
            notes: vec![],
            at: Duration::ZERO,
        });
        for f in ["/d/a", "/d/b"] {
            s.event(&TraceEvent::Follow {
                path: f.into(),
                at: Duration::ZERO,
            });
        }
        for i in 0..10 {
            s.event(&call("write", "/d/b", i * 100));
        }
        s.event(&call("read", "/d/a", 1500));
        s.event(&TraceEvent::FileSample {
            path: "/d/b".into(),
            pages: PageState {
                dirty: 3,
                cached: 3,
                ..PageState::default()
            },
            source: iotour_core::trace::SampleSource::Clock,
            at: Duration::from_millis(1600),
        });
        s
    }

    #[test]
    fn the_fold_is_the_tracers_and_files_sort_by_dirty_pages() {
        let s = state();
        assert_eq!(s.latest.totals.syscalls, 11);
        let files = s.files();
        assert_eq!(&*files[0].path, "/d/b", "3 dirty pages first");
        assert_eq!(files[0].syscalls["write"], 10);
        assert_eq!(s.calls[&Arc::from("/d/b")].len(), 10);
        // 10 calls in the first 4 buckets of 250 ms, one in the 7th.
        assert_eq!(s.rate.iter().sum::<u64>(), 11);
        assert_eq!(s.rate.len(), 7);
    }

    #[test]
    fn pause_freezes_the_view_and_b_n_walk_the_history() {
        let mut s = state();
        s.act(Action::TogglePause);
        let frozen = s.shown().totals.syscalls;
        s.event(&call("write", "/d/b", 2500));
        assert_eq!(s.shown().totals.syscalls, frozen, "the view is frozen");
        assert_eq!(s.latest.totals.syscalls, 12, "the fold goes on");
        // Back to the snapshot of second 0, then forward to live again.
        s.act(Action::StepBack);
        s.act(Action::StepBack);
        assert_eq!(s.frozen.as_ref().unwrap().index, 0);
        assert_eq!(s.shown().totals.syscalls, 10, "the end of second 0");
        s.act(Action::NextStep);
        assert_eq!(s.shown().totals.syscalls, 11, "the end of second 1");
        s.act(Action::NextStep);
        assert!(s.frozen.is_none(), "past the last second: live again");
        assert_eq!(s.shown().totals.syscalls, 12);
    }

    #[test]
    fn the_exit_status_is_the_programs() {
        let mut s = state();
        assert_eq!(s.exit_code(), 0);
        s.event(&TraceEvent::Exited {
            status: ExitStatus::Signal(9),
            at: Duration::from_secs(2),
        });
        assert_eq!(s.exit_code(), 137);
        assert_eq!(s.phase, Phase::Exited(ExitStatus::Signal(9)));
    }

    #[test]
    fn selecting_another_file_asks_for_its_map() {
        let mut s = state();
        let e = s.act(Action::Down);
        assert!(
            matches!(&e[..], [Effect::InspectMap { path, .. }] if path.as_os_str() == "/d/a"),
            "{e:?}"
        );
        assert!(s.tick(Duration::from_secs(1)).len() == 1);
        assert!(
            s.tick(Duration::from_millis(1100)).is_empty(),
            "not yet due"
        );
    }
}
