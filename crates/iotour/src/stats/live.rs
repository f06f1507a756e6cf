//! The live `stats` dashboard on a terminal: the latest report, and Dirty
//! and Dirty + Writeback over time against the thresholds.
//!
//! One thread: the loop waits for keys until the next sample is due, then
//! reads /proc (all I/O is in [`run`]) and draws; [`view`] only draws.

use std::collections::VecDeque;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::Terminal;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};

use super::report::StatsReport;
use crate::inspect::watch::{Stop, ViewExit, clock, is_ctrl_c};
use crate::tui::terminal::{Backend, Session};
use crate::ui::Theme;
use iotour_core::scenario::Lang;
use iotour_core::stats::sample::Sample;

pub mod view;

/// Points kept for the chart: ten minutes at one sample a second.
pub const HISTORY: usize = 600;
/// The sampling interval of the dashboard opened from the TUI (`--interval`'s default).
const DEFAULT_EVERY: Duration = Duration::from_secs(1);
/// Writers shown by the dashboard opened from the TUI (`--top`'s default).
const DEFAULT_TOP: usize = 10;
/// The longest the loop blocks on input, so a signal is noticed quickly.
const POLL: Duration = Duration::from_millis(100);

/// One point of the chart, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub dirty_kb: u64,
    pub dirty_writeback_kb: u64,
}

/// Everything the dashboard draws.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub latest: StatsReport,
    /// Oldest first, one per sample.
    pub history: VecDeque<Point>,
    pub every: Duration,
    /// Time of day of the latest sample.
    pub at: String,
    /// Opened from the TUI: `q` goes back to the picker instead of quitting.
    pub back: bool,
    /// The language of every sentence on the screen.
    pub lang: Lang,
}

impl Dashboard {
    pub fn new(first: StatsReport, every: Duration, at: String) -> Dashboard {
        let mut d = Dashboard {
            latest: first.clone(),
            history: VecDeque::with_capacity(HISTORY),
            every,
            at: at.clone(),
            back: false,
            lang: Lang::En,
        };
        d.push(first, at);
        d
    }

    /// A new report; its point joins the history (oldest dropped at [`HISTORY`]).
    pub fn push(&mut self, report: StatsReport, at: String) {
        if let (Some(d), Some(w)) = (report.dirty_kb, report.writeback_kb) {
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            self.history.push_back(Point {
                dirty_kb: d,
                dirty_writeback_kb: d + w,
            });
        }
        self.latest = report;
        self.at = at;
    }
}

/// Run the dashboard until `q`, Ctrl-C or a signal: one sample per
/// `every`, the first rates over `interval`, in `lang`.
pub fn run(
    interval: Duration,
    every: Duration,
    top: usize,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let stop = Stop::on_signals()?;
    let mut session = Session::start().context("cannot set the terminal up")?;
    let how = How {
        interval,
        every,
        top,
        back: false,
        lang,
    };
    drive(&mut session.terminal, &stop, how)?;
    drop(session);
    Ok(ExitCode::SUCCESS)
}

/// The dashboard inside the TUI, on its terminal, until `q` (back to the
/// picker) or a signal (which `stop` keeps). Defaults as `iotour stats`
/// has them, in `lang` (the TUI's language).
pub fn embedded(
    terminal: &mut Terminal<Backend>,
    stop: &Stop,
    lang: Lang,
) -> anyhow::Result<ViewExit> {
    let how = How {
        interval: DEFAULT_EVERY,
        every: DEFAULT_EVERY,
        top: DEFAULT_TOP,
        back: true,
        lang,
    };
    drive(terminal, stop, how)
}

/// How the loop samples and shows.
struct How {
    interval: Duration,
    every: Duration,
    top: usize,
    /// Opened from the TUI (see [`Dashboard::back`]).
    back: bool,
    lang: Lang,
}

/// The loop: sample when due, draw when changed, act on keys. Until the
/// first window has passed there are no rates to show, and the screen says
/// so instead of showing zeros. Ends with whether Ctrl-C (rather than `q`)
/// ended it.
fn drive(terminal: &mut Terminal<Backend>, stop: &Stop, how: How) -> anyhow::Result<ViewExit> {
    let How {
        interval,
        every,
        top,
        back,
        lang,
    } = how;
    let theme = Theme::from_env();
    let mut before = Sample::read();
    let mut dash: Option<Dashboard> = None;
    let mut due = Instant::now() + interval;
    let mut draw = true;
    while !stop.stopped() {
        if Instant::now() >= due {
            let now = Sample::read();
            let report = StatsReport::between(&before, &now, top);
            match dash.as_mut() {
                Some(d) => d.push(report, clock()),
                None => {
                    let mut d = Dashboard::new(report, every, clock());
                    d.back = back;
                    d.lang = lang;
                    dash = Some(d);
                }
            }
            before = now;
            due += every;
            draw = true;
        }
        if draw {
            terminal.draw(|frame| match &dash {
                Some(d) => view::render(frame, d, &theme),
                None => view::render_waiting(frame, interval, back, lang, &theme),
            })?;
            draw = false;
        }
        let wait = due.saturating_duration_since(Instant::now()).min(POLL);
        if !event::poll(wait)? {
            continue;
        }
        match event::read()? {
            Event::Key(k) if k.kind == KeyEventKind::Press => {
                if is_ctrl_c(k) {
                    return Ok(ViewExit::Quit);
                }
                if matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) {
                    break;
                }
            }
            Event::Resize(..) => draw = true,
            _ => {}
        }
    }
    Ok(ViewExit::Back)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stats::report::tests::samples;

    pub(crate) fn dashboard() -> Dashboard {
        let (a, b) = samples();
        Dashboard::new(
            StatsReport::between(&a, &b, 10),
            Duration::from_secs(1),
            "09:00:00".into(),
        )
    }

    #[test]
    fn history_keeps_the_latest_points_only() {
        let mut d = dashboard();
        assert_eq!(d.history.len(), 1);
        assert_eq!(
            d.history[0],
            Point {
                dirty_kb: 30_000,
                dirty_writeback_kb: 40_000
            }
        );
        for i in 0..HISTORY as u64 {
            let mut r = d.latest.clone();
            r.dirty_kb = Some(i);
            d.push(r, "t".into());
        }
        assert_eq!(d.history.len(), HISTORY);
        assert_eq!(d.history.back().unwrap().dirty_kb, HISTORY as u64 - 1);
        // An unknown figure leaves the history alone but is still the latest.
        let mut r = d.latest.clone();
        r.dirty_kb = None;
        d.push(r, "u".into());
        assert_eq!(d.history.len(), HISTORY);
        assert_eq!(d.latest.dirty_kb, None);
        assert_eq!(d.at, "u");
    }
}
