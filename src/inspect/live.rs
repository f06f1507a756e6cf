//! The live view of `inspect` on a terminal: the table of files refreshed
//! every `--refresh` seconds, and the page map of the selected file sized to
//! the screen, in the run view's theme.
//!
//! One thread. The loop waits for a key until the next refresh is due, then
//! measures (all I/O happens in [`run`]) and draws; [`Live::apply`] only
//! changes state, and [`view`] only draws it. Raw mode turns Ctrl-C into a
//! key; SIGTERM and SIGINT from `kill` end the loop through [`Stop`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::Terminal;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::widgets::Widget;

use super::file::open_read_only;
use super::report::{InspectReport, MapView, SortKey, Status};
use super::watch::{Stop, clock};
use super::{Options, Probe, inspect};
use crate::tui::terminal::{Backend, Session};
use crate::ui::Theme;

pub mod view;

/// How often the view opened from the TUI measures again (`--refresh`'s default).
const DEFAULT_EVERY: Duration = Duration::from_secs(1);
/// The longest the loop blocks on input, so a signal is noticed quickly.
const POLL: Duration = Duration::from_millis(100);

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Up,
    Down,
    Top,
    Bottom,
    NextSort,
    Refresh,
}

/// The keymap: one place that says which key does what.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Char('s') => Action::NextSort,
        KeyCode::Char('r') => Action::Refresh,
        _ => return None,
    })
}

/// What the loop does after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Quit,
    /// Measure again now (the order or the selected file changed).
    Measure,
    Draw,
}

/// Everything the view draws.
#[derive(Debug, Clone)]
pub struct Live {
    pub report: InspectReport,
    /// Index into `report.files`.
    pub selected: usize,
    pub sort: SortKey,
    /// The selected file's map over the whole map area, or why there is none.
    pub map: Result<MapView, String>,
    pub every: Duration,
    pub source: &'static str,
    /// Time of day of the last refresh.
    pub at: String,
    /// Opened from the TUI: `q` goes back to the picker instead of quitting.
    pub back: bool,
}

impl Live {
    pub fn new(
        report: InspectReport,
        sort: SortKey,
        every: Duration,
        source: &'static str,
    ) -> Live {
        Live {
            report,
            selected: 0,
            sort,
            map: Err("measuring…".into()),
            every,
            source,
            at: String::new(),
            back: false,
        }
    }

    pub fn apply(&mut self, action: Action) -> Next {
        let last = self.report.files.len().saturating_sub(1);
        let before = self.selected;
        match action {
            Action::Quit => return Next::Quit,
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
                self.report.sort(self.sort);
                self.select_path(keep.as_deref());
                return Next::Measure;
            }
            Action::Refresh => return Next::Measure,
        }
        if self.selected == before {
            Next::Draw
        } else {
            Next::Measure
        }
    }

    pub fn selected_path(&self) -> Option<&str> {
        self.report
            .files
            .get(self.selected)
            .map(|f| f.path.as_str())
    }

    /// A new report, keeping the selection on the same path when it is still there.
    pub fn replace(&mut self, mut report: InspectReport, at: String) {
        let keep = self.selected_path().map(str::to_string);
        report.sort(self.sort);
        self.report = report;
        self.select_path(keep.as_deref());
        self.at = at;
    }

    fn select_path(&mut self, path: Option<&str>) {
        let found = path.and_then(|p| self.report.files.iter().position(|f| f.path == p));
        let last = self.report.files.len().saturating_sub(1);
        self.selected = found.unwrap_or(self.selected).min(last);
    }
}

/// Run the live view until `q`, Ctrl-C or a signal. The first measurement is
/// made before the terminal is touched, so a usage error leaves it alone.
pub fn run(
    paths: &[PathBuf],
    opts: &Options,
    probe: &Probe,
    every: Duration,
) -> anyhow::Result<ExitCode> {
    let opts = view_options(opts);
    let first = inspect(paths, &opts, probe)?;
    let stop = Stop::on_signals()?;
    let live = Live::new(first, opts.sort, every, probe.pages.source().as_str());
    let mut session = Session::start().context("cannot set the terminal up")?;
    let live = drive(&mut session.terminal, &stop, live, paths, &opts, probe)?;
    drop(session);
    Ok(ExitCode::from(live.report.exit_code()))
}

/// The live view on `path` inside the TUI, on its terminal, until `q` (back
/// to the picker) or a signal (which `stop` keeps). Defaults as `iotour
/// inspect PATH` has them.
pub fn embedded(terminal: &mut Terminal<Backend>, stop: &Stop, path: &Path) -> anyhow::Result<()> {
    let probe = Probe::from_env()?;
    let opts = view_options(&Options::default());
    let paths = [path.to_path_buf()];
    // A big tree takes a moment to walk: say so rather than look frozen.
    terminal.draw(|frame| {
        ratatui::widgets::Paragraph::new(format!(
            "iotour inspect · measuring {} …",
            path.display()
        ))
        .render(frame.area(), frame.buffer_mut());
    })?;
    let first = inspect(&paths, &opts, &probe)?;
    let mut live = Live::new(
        first,
        opts.sort,
        DEFAULT_EVERY,
        probe.pages.source().as_str(),
    );
    live.back = true;
    drive(terminal, stop, live, &paths, &opts, &probe)?;
    Ok(())
}

/// The table's own map is not drawn here: the view measures the selected
/// file's map at the size of the screen instead.
fn view_options(opts: &Options) -> Options {
    Options {
        map_cells: 0,
        ..opts.clone()
    }
}

/// The loop: measure when due, draw when changed, act on keys.
fn drive(
    terminal: &mut Terminal<Backend>,
    stop: &Stop,
    mut live: Live,
    paths: &[PathBuf],
    opts: &Options,
    probe: &Probe,
) -> anyhow::Result<Live> {
    let theme = Theme::from_env();
    let mut due = Instant::now();
    let mut measured_once = false;
    let mut draw = true;
    while !stop.stopped() {
        if Instant::now() >= due {
            if measured_once {
                live.replace(inspect(paths, opts, probe)?, clock());
            } else {
                live.at = clock();
                measured_once = true;
            }
            let area = terminal.size()?;
            let cells = view::map_cells(ratatui::layout::Rect::new(0, 0, area.width, area.height));
            live.map = measure_map(&live, opts, probe, cells);
            due = Instant::now() + live.every;
            draw = true;
        }
        if draw {
            terminal.draw(|frame| view::render(frame, &live, &theme))?;
            draw = false;
        }
        let wait = due.saturating_duration_since(Instant::now()).min(POLL);
        if !event::poll(wait)? {
            continue;
        }
        match event::read()? {
            Event::Key(key) if key.kind == KeyEventKind::Press => {
                match action_for(key).map(|a| live.apply(a)) {
                    Some(Next::Quit) => break,
                    Some(Next::Measure) => due = Instant::now(),
                    Some(Next::Draw) => draw = true,
                    None => {}
                }
            }
            // The map is measured at the size of the screen.
            Event::Resize(..) => due = Instant::now(),
            _ => {}
        }
    }
    Ok(live)
}

/// The selected file's page map in `cells` cells (I/O: opens the file).
fn measure_map(
    live: &Live,
    opts: &Options,
    probe: &Probe,
    cells: usize,
) -> Result<MapView, String> {
    let Some(file) = live.report.files.get(live.selected) else {
        return Err("no file".into());
    };
    if !matches!(file.status, Status::Measured) {
        return Err(file.error.clone().unwrap_or_else(|| "not measured".into()));
    }
    let f = open_read_only(std::path::Path::new(&file.path), false)
        .map_err(|e| format!("cannot open: {e}"))?;
    let size = f.metadata().map_err(|e| format!("cannot stat: {e}"))?.len();
    let (off, len) = opts.range.map_or((0, size), |r| r.clamp(size));
    let map = probe
        .pages
        .map_range(&f, off, len, cells.max(1))
        .map_err(|e| format!("page map: {e}"))?;
    let page = crate::probe::pages::page_size();
    Ok(MapView {
        path: file.path.clone(),
        offset: off / page * page,
        map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::report::{FileReport, Totals};

    pub(crate) fn live() -> Live {
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
        let report = InspectReport {
            files,
            totals,
            map: None,
            notes: vec![],
        };
        Live::new(report, SortKey::Path, Duration::from_secs(1), "cachestat")
    }

    #[test]
    fn keys_map_to_actions() {
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        assert_eq!(action_for(key(KeyCode::Char('q'))), Some(Action::Quit));
        assert_eq!(
            action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(action_for(key(KeyCode::Char('c'))), None);
        assert_eq!(action_for(key(KeyCode::Down)), Some(Action::Down));
        assert_eq!(action_for(key(KeyCode::Char('s'))), Some(Action::NextSort));
    }

    #[test]
    fn selection_moves_within_bounds_and_asks_for_the_new_map() {
        let mut l = live();
        assert_eq!(l.apply(Action::Up), Next::Draw);
        assert_eq!(l.apply(Action::Down), Next::Measure);
        assert_eq!(l.selected_path(), Some("b"));
        l.apply(Action::Bottom);
        assert_eq!(l.apply(Action::Down), Next::Draw);
        assert_eq!(l.selected, 2);
        assert_eq!(l.apply(Action::Quit), Next::Quit);
    }

    #[test]
    fn sorting_keeps_the_selected_file_selected() {
        let mut l = live();
        l.apply(Action::Down); // b
        assert_eq!(l.apply(Action::NextSort), Next::Measure);
        assert_eq!(l.sort, SortKey::Dirty);
        let order: Vec<_> = l.report.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(order, ["b", "c", "a"]);
        assert_eq!(l.selected_path(), Some("b"));
        // A refresh in which b vanished keeps the index in range.
        let mut next = l.report.clone();
        next.files.retain(|f| f.path != "b");
        next.files.truncate(1);
        l.selected = 0;
        l.replace(next, "10:00:00".into());
        assert_eq!(l.selected, 0);
        assert_eq!(l.at, "10:00:00");
    }
}
