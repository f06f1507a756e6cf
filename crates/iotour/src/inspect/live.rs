//! The live view of `inspect` on a terminal: the table of files refreshed
//! every `--refresh` seconds, and the page map of the selected file sized to
//! the screen, in the run view's theme.
//!
//! The loop answers keys and signals while a `Measurer` thread walks and
//! measures the tree (a big one takes seconds); the selected file's map is
//! measured on the loop's thread, since one file is quick. [`Live::apply`]
//! only changes state, and [`view`] only draws it. Raw mode turns Ctrl-C
//! into a key; SIGTERM and SIGINT from `kill` end the loop through [`Stop`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::Terminal;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::watch::{Stop, ViewExit, clock, is_ctrl_c};
use crate::tui::terminal::{Backend, Session};
use crate::ui::Theme;
use crate::ui::text::tr;
use iotour_core::inspect::file::open_read_only;
use iotour_core::inspect::report::{InspectReport, MapView, SortKey, Status};
use iotour_core::inspect::{Options, Probe, inspect, inspect_until};
use iotour_core::scenario::Lang;

pub mod view;

/// How often the view opened from the TUI measures again (`--refresh`'s default).
const DEFAULT_EVERY: Duration = Duration::from_secs(1);
/// How often the loop looks for a report on its way (between keys).
const ANSWER_POLL: Duration = Duration::from_millis(20);
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
    /// Measure every file again now.
    Refresh,
    /// Measure the map again: another file is selected.
    Remap,
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
    /// The language of the screen (paths, sources and errors from the
    /// kernel stay as they are).
    pub lang: Lang,
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
            lang: Lang::En,
        }
    }

    /// The same view in `lang`.
    pub fn in_lang(mut self, lang: Lang) -> Live {
        self.lang = lang;
        if self.map.is_err() {
            self.map = Err(tr(lang, "measuring…", "测量中…").into());
        }
        self
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
                return Next::Draw;
            }
            Action::Refresh => return Next::Refresh,
        }
        if self.selected == before {
            Next::Draw
        } else {
            Next::Remap
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
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let opts = view_options(opts);
    let first = inspect(paths, &opts, probe)?;
    let stop = Stop::on_signals()?;
    let live = Live::new(first, opts.sort, every, probe.pages.source().as_str()).in_lang(lang);
    let mut session = Session::start().context("cannot set the terminal up")?;
    let measurer = Measurer::start(paths.to_vec(), opts.clone(), probe.clone())?;
    let view = Loop {
        measurer,
        opts: &opts,
        probe,
        every,
        waiting_for: String::new(),
        back: false,
        lang,
    };
    let (live, _) = view.drive(&mut session.terminal, &stop, Some(live))?;
    drop(session);
    let code = live.map_or(0, |l| l.report.exit_code());
    Ok(ExitCode::from(code))
}

/// The live view on `path` inside the TUI, on its terminal, until `q` (back
/// to the picker), Ctrl-C or a signal (which `stop` keeps). Defaults as
/// `iotour inspect PATH` has them, in `lang` (the TUI's language).
pub fn embedded(
    terminal: &mut Terminal<Backend>,
    stop: &Stop,
    path: &Path,
    lang: Lang,
) -> anyhow::Result<ViewExit> {
    let probe = Probe::from_env()?;
    let opts = view_options(&Options::default());
    let view = Loop {
        measurer: Measurer::start(vec![path.to_path_buf()], opts.clone(), probe.clone())?,
        opts: &opts,
        probe: &probe,
        every: DEFAULT_EVERY,
        waiting_for: path.display().to_string(),
        back: true,
        lang,
    };
    let (_, exit) = view.drive(terminal, stop, None)?;
    Ok(exit)
}

/// The table's own map is not drawn here: the view measures the selected
/// file's map at the size of the screen instead.
fn view_options(opts: &Options) -> Options {
    Options {
        map_cells: 0,
        ..opts.clone()
    }
}

/// Measures every file on a thread of its own, one report per request.
/// Dropping it abandons a measurement in progress without waiting for the
/// thread: one call can block for long (a stat on a hung NFS mount), and
/// leaving the view must not. The thread ends by itself once that call
/// returns, since its channels are closed.
struct Measurer {
    requests: Sender<()>,
    reports: Receiver<Result<InspectReport, iotour_core::inspect::Error>>,
    cancel: Arc<AtomicBool>,
}

impl Measurer {
    fn start(paths: Vec<PathBuf>, opts: Options, probe: Probe) -> std::io::Result<Measurer> {
        let (requests, asked) = mpsc::channel::<()>();
        let (answer, reports) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        std::thread::Builder::new()
            .name("inspect".into())
            .spawn(move || {
                while asked.recv().is_ok() {
                    let report = inspect_until(&paths, &opts, &probe, &flag);
                    if answer.send(report).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Measurer {
            requests,
            reports,
            cancel,
        })
    }

    fn request(&self) {
        let _ = self.requests.send(());
    }
}

impl Drop for Measurer {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// What the loop needs besides the state it draws.
struct Loop<'a> {
    measurer: Measurer,
    opts: &'a Options,
    probe: &'a Probe,
    every: Duration,
    /// Named on the screen shown until the first report arrives.
    waiting_for: String,
    /// Opened from the TUI: `q` goes back (see [`Live::back`]).
    back: bool,
    lang: Lang,
}

impl Loop<'_> {
    /// Measure when due, draw when changed, act on keys; `live` is `None`
    /// until the first report. Ends with the last state and whether Ctrl-C
    /// (rather than `q`) ended it.
    fn drive(
        self,
        terminal: &mut Terminal<Backend>,
        stop: &Stop,
        mut live: Option<Live>,
    ) -> anyhow::Result<(Option<Live>, ViewExit)> {
        let theme = Theme::from_env();
        // A first report given: its map is due, the next report after `every`.
        let mut remap = live.is_some();
        let mut due = if remap {
            Instant::now() + self.every
        } else {
            Instant::now()
        };
        let mut pending = false;
        // `r` pressed while a report was on its way: that report began
        // before the key, so another is asked for as soon as it arrives.
        let mut again = false;
        let mut draw = true;
        while !stop.stopped() {
            if !pending && Instant::now() >= due {
                self.measurer.request();
                pending = true;
            }
            if pending {
                match self.measurer.reports.try_recv() {
                    Ok(report) => {
                        let report = report?;
                        match live.as_mut() {
                            Some(l) => l.replace(report, clock()),
                            None => {
                                let source = self.probe.pages.source().as_str();
                                let mut l = Live::new(report, self.opts.sort, self.every, source)
                                    .in_lang(self.lang);
                                l.back = self.back;
                                l.at = clock();
                                live = Some(l);
                            }
                        }
                        pending = false;
                        remap = true;
                        due = Instant::now();
                        if !std::mem::take(&mut again) {
                            due += self.every;
                        }
                    }
                    Err(TryRecvError::Empty) => {}
                    Err(TryRecvError::Disconnected) => anyhow::bail!("the measuring thread ended"),
                }
            }
            if let (true, Some(l)) = (remap, live.as_mut()) {
                let area = terminal.size()?;
                let cells =
                    view::map_cells(ratatui::layout::Rect::new(0, 0, area.width, area.height));
                l.map = measure_map(l, self.opts, self.probe, cells);
                remap = false;
                draw = true;
            }
            if draw {
                terminal.draw(|frame| match &live {
                    Some(l) => view::render(frame, l, &theme),
                    None => view::render_waiting(frame, &self.waiting_for, self.lang, &theme),
                })?;
                draw = false;
            }
            // While a report is on its way, look for it often.
            let wait = if pending {
                ANSWER_POLL
            } else {
                due.saturating_duration_since(Instant::now()).min(POLL)
            };
            if !event::poll(wait)? {
                continue;
            }
            match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => {
                    if is_ctrl_c(key) {
                        return Ok((live, ViewExit::Quit));
                    }
                    let Some(action) = action_for(key) else {
                        continue;
                    };
                    let next = match live.as_mut() {
                        Some(l) => l.apply(action),
                        None if action == Action::Quit => Next::Quit,
                        None => Next::Draw,
                    };
                    match next {
                        Next::Quit => break,
                        Next::Refresh if pending => again = true,
                        Next::Refresh => due = Instant::now(),
                        Next::Remap => remap = true,
                        Next::Draw => draw = true,
                    }
                }
                // The map is measured at the size of the screen.
                Event::Resize(..) => remap = true,
                _ => {}
            }
        }
        Ok((live, ViewExit::Back))
    }
}

/// The selected file's page map in `cells` cells (I/O: opens the file).
fn measure_map(
    live: &Live,
    opts: &Options,
    probe: &Probe,
    cells: usize,
) -> Result<MapView, String> {
    // The reasons from the kernel stay English; what they are about follows the view.
    let lang = live.lang;
    let Some(file) = live.report.files.get(live.selected) else {
        return Err(tr(lang, "no file", "没有文件").into());
    };
    if !matches!(file.status, Status::Measured) {
        return Err(file
            .error
            .clone()
            .unwrap_or_else(|| tr(lang, "not measured", "未测量").into()));
    }
    let f = open_read_only(std::path::Path::new(&file.path), false)
        .map_err(|e| format!("{}: {e}", tr(lang, "cannot open", "无法打开")))?;
    let size = f
        .metadata()
        .map_err(|e| format!("{}: {e}", tr(lang, "cannot stat", "无法 stat")))?
        .len();
    let (off, len) = opts.range.map_or((0, size), |r| r.clamp(size));
    let map = probe
        .pages
        .map_range(&f, off, len, cells.max(1))
        .map_err(|e| format!("{}: {e}", tr(lang, "page map", "页缓存图")))?;
    let page = iotour_core::probe::pages::page_size();
    Ok(MapView {
        path: file.path.clone(),
        offset: off / page * page,
        map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotour_core::inspect::report::{FileReport, Totals};

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
        assert_eq!(l.apply(Action::Down), Next::Remap);
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
        assert_eq!(l.apply(Action::NextSort), Next::Draw);
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
