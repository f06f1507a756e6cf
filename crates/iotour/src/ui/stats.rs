//! Drawing the `stats` dashboard. Read-only: no clock, no kernel.
//!
//! ```text
//! iotour stats · every 1.00 s · 09:41:02 UTC                       header
//! Dirty page cache, system-wide                                     state, with
//!   Dirty  332.8 MiB   Dirty is 14% of the background threshold …   the distances
//! ╭ Dirty (█) and Dirty+Writeback (·), last 120 s ────────────╮
//! │ ⠀⠀⠀⣀⣀⡠⠤⠒⠊⠉⠉⠉⠑⠒⠤⣀                                         │   chart, thresholds
//! ╰───────────────────────────────────────────────────────────╯   drawn when in range
//! Rates over 1.00 s …                │ Top writers …               rates + pressure | writers
//! q quit                                                            footer
//! ```

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, BorderType, Borders, Chart, Dataset, GraphType, Paragraph, Widget,
};
use unicode_width::UnicodeWidthStr;

use crate::app::stats::StatsState;
use crate::stats::report::StatsReport;
use crate::stats::text;
use crate::ui::Theme;
use iotour_core::scenario::Lang;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 20;

/// What the stats screen draws from.
pub struct StatsView<'a> {
    pub state: &'a StatsState,
    pub lang: Lang,
    /// `q` goes back to the picker (else it quits).
    pub back: bool,
    pub theme: &'a Theme,
}

/// The screen with its latest report: what the parts below draw.
struct Dashboard<'a> {
    s: &'a StatsState,
    latest: &'a StatsReport,
    lang: Lang,
    back: bool,
}

impl Widget for &StatsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(latest) = &self.state.latest else {
            waiting(area, buf, self);
            return;
        };
        let d = Dashboard {
            s: self.state,
            latest,
            lang: self.lang,
            back: self.back,
        };
        draw(area, buf, &d, self.theme);
    }
}

fn draw(area: Rect, buf: &mut Buffer, d: &Dashboard<'_>, theme: &Theme) {
    let lang = d.lang;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        Paragraph::new(too_small(area, d.back, lang))
            .style(theme.muted)
            .render(area, buf);
        return;
    }
    let section = |f: fn(&mut String, &crate::stats::report::StatsReport, Lang)| {
        let mut s = String::new();
        f(&mut s, d.latest, lang);
        s.trim_start_matches('\n').trim_end().to_string()
    };
    let state_text = section(text::state);
    let rates_text = format!("{}\n\n{}", section(text::rates), section(text::pressure));
    let mut notes = section(text::writers);
    for note in text::notes(d.latest, lang) {
        let _ = write!(notes, "\n{}{note}", text::note_label(lang));
    }
    // Each text gets the rows it needs once wrapped at its width; the chart
    // takes what is left (at least a few rows).
    let columns = Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).spacing(2);
    let [left_w, right_w] = Rect::new(0, 0, area.width, 1)
        .layout(&columns)
        .map(|r| r.width as usize);
    let state_lines = wrapped(&state_text, area.width as usize, Hang::Explanations);
    let left_lines = wrapped(&rates_text, left_w, Hang::Explanations);
    // The writers are a table: its column gaps are not explanations.
    let right_lines = wrapped(&notes, right_w, Hang::Never);
    // The state first, then a chart of at least 3 rows, then what is left.
    let state_h = (state_lines.len() as u16).min(area.height.saturating_sub(5));
    let bottom_h = (left_lines.len().max(right_lines.len()) as u16)
        .min(area.height.saturating_sub(2 + state_h + 3));
    let [head, state, chart_area, bottom, foot] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(state_h),
        Constraint::Fill(1),
        Constraint::Length(bottom_h),
        Constraint::Length(1),
    ]));
    let (secs, at) = (d.s.setup.every.as_secs_f64(), &d.s.at);
    Line::from(vec![
        Span::styled("iotour stats", theme.title),
        Span::raw(t!(
            lang,
            "stats.every_at",
            secs = format!("{secs:.2}"),
            at = at
        )),
    ])
    .render(head, buf);
    Paragraph::new(clip(state_lines, state.height, lang)).render(state, buf);
    chart(chart_area, buf, d, theme);
    let [left, right] = bottom.layout(&columns);
    Paragraph::new(clip(left_lines, left.height, lang)).render(left, buf);
    Paragraph::new(clip(right_lines, right.height, lang)).render(right, buf);
    footer(d.back, lang, theme).render(foot, buf);
}

/// `q quit` (or `q back` when opened from the TUI).
fn footer(back: bool, lang: Lang, theme: &Theme) -> Line<'static> {
    let exit = if back {
        t!(lang, "stats.back")
    } else {
        t!(lang, "stats.quit")
    };
    Line::from(vec![Span::styled("q", theme.key), Span::raw(exit)])
}

/// What a screen below the minimum size says instead.
fn too_small(area: Rect, back: bool, lang: Lang) -> String {
    let (w, h) = (area.width, area.height);
    let q = if back {
        t!(lang, "ui.q_goes_back")
    } else {
        t!(lang, "ui.q_quits")
    };
    t!(
        lang,
        "ui.too_small_q",
        w = w,
        h = h,
        min_w = MIN_WIDTH,
        min_h = MIN_HEIGHT,
        q = q
    )
}

/// The screen before the first window has passed: rates need two samples.
fn waiting(area: Rect, buf: &mut Buffer, v: &StatsView<'_>) {
    let (lang, theme) = (v.lang, v.theme);
    let secs = v.state.setup.every.as_secs_f64();
    let status = match (&v.state.failure, lang) {
        (Some(e), _) => format!("{e:#}"),
        (None, _) => t!(lang, "stats.measuring_first", secs = format!("{secs:.2}")),
    };
    let mut lines = vec![Line::styled("iotour stats", theme.title)];
    lines.extend(
        crate::ui::text::wrap(&status, area.width.max(1) as usize)
            .into_iter()
            .map(Line::raw),
    );
    lines.push(Line::raw(""));
    lines.push(footer(v.back, lang, theme));
    Paragraph::new(lines).render(area, buf);
}

/// `text` wrapped at `width` (display width, so Chinese wraps too), one
/// line per row; blank lines kept.
fn wrapped(text: &str, width: usize, hang: Hang) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut rows = Vec::new();
    for l in text.lines() {
        if l.width() <= width {
            rows.push(l.to_string());
            continue;
        }
        // "figure   explanation" that does not fit: the figure keeps its row
        // and the explanation hangs below it, rather than being broken after
        // its first word (or, in Chinese, its first character).
        let split = l
            .rfind(EXPLANATION_GAP)
            .filter(|_| hang == Hang::Explanations)
            .map(|at| (l[..at].trim_end(), l[at..].trim()))
            .filter(|(head, tail)| {
                !head.trim().is_empty() && !tail.is_empty() && head.width() <= width
            });
        match split {
            Some((head, tail)) if width > HANG * 2 => {
                rows.push(head.to_string());
                let indent = " ".repeat(HANG);
                rows.extend(
                    crate::ui::text::wrap(tail, width - HANG)
                        .into_iter()
                        .map(|r| format!("{indent}{r}")),
                );
            }
            _ => {
                // Keep the line's indent, which wrapping would drop, on
                // every row it becomes (as long as the column has room).
                let body = l.trim_start();
                let indent = &l[..l.len() - body.len()];
                let table = hang == Hang::Never; // its leading spaces are padding
                if table || indent.is_empty() || width <= indent.len() * 2 {
                    rows.extend(crate::ui::text::wrap(l, width));
                } else {
                    rows.extend(
                        crate::ui::text::wrap(body, width - indent.len())
                            .into_iter()
                            .map(|r| format!("{indent}{r}")),
                    );
                }
            }
        }
    }
    rows.into_iter().map(Line::raw).collect()
}

/// Whether a line too long for its column may hang its explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hang {
    Explanations,
    Never,
}

/// What separates a figure from its explanation in the text form.
const EXPLANATION_GAP: &str = "   ";
/// How far a hung explanation is indented.
const HANG: usize = 4;

/// At most `rows` lines; when some are cut the last row says so.
fn clip(mut lines: Vec<Line<'static>>, rows: u16, lang: Lang) -> Vec<Line<'static>> {
    let rows = rows as usize;
    if lines.len() > rows && rows > 0 {
        let more = lines.len() - rows + 1;
        lines.truncate(rows - 1);
        lines.push(Line::raw(t!(lang, "stats.more_lines", more = more)));
    }
    lines
}

fn chart(area: Rect, buf: &mut Buffer, d: &Dashboard<'_>, theme: &Theme) {
    let lang = d.lang;
    let n = d.s.history.len();
    let dirty: Vec<(f64, f64)> =
        d.s.history
            .iter()
            .enumerate()
            .map(|(i, p)| (i as f64, p.dirty_kb as f64))
            .collect();
    let both: Vec<(f64, f64)> =
        d.s.history
            .iter()
            .enumerate()
            .map(|(i, p)| (i as f64, p.dirty_writeback_kb as f64))
            .collect();
    let peak =
        d.s.history
            .iter()
            .map(|p| p.dirty_writeback_kb)
            .max()
            .unwrap_or(0);
    // The thresholds are often a hundred times the dirty data: scaling the
    // chart to them would flatten the curve, so a threshold is drawn only
    // when it is within reach, and named in the title otherwise.
    let top = (peak as f64 * 1.25).max(1024.0);
    let x_max = (n.max(2) - 1) as f64;
    let line = |kb: Option<u64>| {
        kb.filter(|&k| (k as f64) <= top)
            .map(|k| vec![(0.0, k as f64), (x_max, k as f64)])
    };
    let bg = line(d.latest.background_threshold_kb);
    let from = line(d.latest.distance.throttle_from_kb);
    let mut sets = vec![
        Dataset::default()
            .name("Dirty+Writeback")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.writeback_page)
            .data(&both),
        Dataset::default()
            .name("Dirty")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.dirty_page)
            .data(&dirty),
    ];
    if let Some(bg) = &bg {
        sets.push(
            Dataset::default()
                .name(t!(lang, "stats.background_threshold"))
                .graph_type(GraphType::Line)
                .style(theme.threshold)
                .data(bg),
        );
    }
    if let Some(from) = &from {
        sets.push(
            Dataset::default()
                .name(t!(lang, "stats.throttling_starts"))
                .graph_type(GraphType::Line)
                .style(theme.threshold)
                .data(from),
        );
    }
    let bg_kb = text::kb(d.latest.background_threshold_kb);
    let off_chart = match (bg.is_none(), lang) {
        (false, _) => String::new(),
        (true, _) => t!(lang, "stats.bg_off_the_top", bg = bg_kb),
    };
    let plural = if n == 1 { "" } else { "s" };
    let title = t!(
        lang,
        "stats.chart_title",
        n = n,
        s = plural,
        off_chart = off_chart
    );
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Line::styled(title, theme.title));
    let y_labels = [Line::raw("0"), Line::raw(text::kb(Some(top as u64)))];
    Chart::new(sets)
        .block(block)
        .x_axis(Axis::default().bounds([0.0, x_max]))
        .y_axis(Axis::default().bounds([0.0, top]).labels(y_labels))
        .render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::stats::tests::state;

    /// A dashboard as the App would hold it, in a language, opened from the
    /// picker (`back`) or not.
    struct Dash {
        s: StatsState,
        lang: Lang,
        back: bool,
    }

    fn dashboard() -> Dash {
        Dash {
            s: state(),
            lang: Lang::En,
            back: false,
        }
    }

    fn render_to(area: Rect, buf: &mut Buffer, d: &Dash, theme: &Theme) {
        let view = StatsView {
            state: &d.s,
            lang: d.lang,
            back: d.back,
            theme,
        };
        (&view).render(area, buf);
    }

    fn text_of(w: u16, h: u16, d: &Dash) -> String {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        render_to(area, &mut buf, d, &Theme::new(false));
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn an_explanation_that_does_not_fit_hangs_below_its_figure() {
        let rows = |text: &str, w: usize| -> Vec<String> {
            wrapped(text, w, Hang::Explanations)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        let line = "nr_dirtied              0 页/s (0 B/s)   新变脏的页缓存页";
        assert_eq!(
            rows(line, 44),
            [
                "nr_dirtied              0 页/s (0 B/s)",
                "    新变脏的页缓存页"
            ]
        );
        // A line that fits, and one without a figure, are left alone.
        assert_eq!(rows(line, 80), [line]);
        assert_eq!(rows("a b c d", 3), ["a b", "c d"]);
        // The figure itself too wide: plain wrapping.
        assert_eq!(rows("abcdefgh   x", 4).len(), 3);
        // An indented line without a figure keeps its indent on every row.
        assert_eq!(rows("  one two three", 10), ["  one two", "  three"]);
    }

    #[test]
    fn draws_state_chart_rates_and_writers() {
        let d = dashboard();
        let screen = text_of(160, 40, &d);
        assert!(
            screen.contains("iotour stats · every 1.00 s · 09:00:00 UTC"),
            "{screen}"
        );
        assert!(
            screen.contains("Dirty is 30% of the background threshold"),
            "{screen}"
        );
        // 40 MB of Dirty+Writeback against a 98 MB threshold: off the top.
        assert!(
            screen.contains("background threshold 97.7 MiB off the top"),
            "{screen}"
        );
        assert!(screen.contains("nr_dirtied"), "{screen}");
        assert!(screen.contains("Top writers"), "{screen}");
        assert!(screen.contains("note: 7 of 11 processes"), "{screen}");
        assert!(screen.contains("q quit"), "{screen}");
    }

    /// At 80×24 no text is cut: the state and the rates wrap into the rows
    /// they need and the chart takes the rest.
    #[test]
    fn fits_80_by_24() {
        let d = dashboard();
        let screen = text_of(80, 24, &d);
        let words = |s: &str| {
            s.split_whitespace()
                .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
                .map(str::to_string)
                .collect::<std::collections::BTreeSet<_>>()
        };
        // The state is whole; what the rows cannot hold below the chart is
        // said to be cut, never silently clipped.
        let state = text_of(200, 60, &d);
        let state: String = state
            .lines()
            .take_while(|l| !l.starts_with('╭'))
            .collect::<Vec<_>>()
            .join("\n");
        let missing: Vec<_> = words(&state).difference(&words(&screen)).cloned().collect();
        assert!(missing.is_empty(), "cut at 80×24: {missing:?}\n{screen}");
        assert!(screen.contains("more lines"), "{screen}");
        insta::assert_snapshot!("stats_live_80x24", screen);
    }

    #[test]
    fn a_threshold_within_reach_is_drawn_not_named() {
        let mut d = dashboard();
        d.s.latest.as_mut().unwrap().background_threshold_kb = Some(45_000);
        let screen = text_of(160, 40, &d);
        assert!(!screen.contains("off the top"), "{screen}");
        assert!(screen.contains("│background threshold│"), "{screen}"); // the legend
    }

    /// The screen's text row by row, a wide character once (the cell it
    /// covers is skipped), and where each row's characters start.
    fn rows_of(buf: &Buffer) -> Vec<(String, Vec<u16>)> {
        use unicode_width::UnicodeWidthStr;
        let a = buf.area;
        (a.top()..a.bottom())
            .map(|y| {
                let (mut row, mut xs, mut x) = (String::new(), Vec::new(), a.left());
                while x < a.right() {
                    let sym = buf[(x, y)].symbol();
                    row.push_str(sym);
                    xs.push(x);
                    x += sym.width().max(1) as u16;
                }
                (row, xs)
            })
            .collect()
    }

    fn zh_screen(w: u16, h: u16, d: &Dash) -> Vec<(String, Vec<u16>)> {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        render_to(area, &mut buf, d, &Theme::new(false));
        rows_of(&buf)
    }

    #[test]
    fn chinese_dashboard_fits_its_areas() {
        let mut d = dashboard();
        d.lang = Lang::Zh;
        for (w, h) in [(160, 40), (80, 24), (MIN_WIDTH, MIN_HEIGHT)] {
            let rows = zh_screen(w, h, &d);
            let screen: String = rows
                .iter()
                .map(|(r, _)| r.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(rows.len(), h as usize);
            // No row runs past the edge: each ends at or before the last column.
            for (row, xs) in &rows {
                let last = row.chars().last().map_or(0, |c| {
                    unicode_width::UnicodeWidthChar::width(c).unwrap_or(1)
                });
                assert!(
                    xs.last().map_or(0, |&x| x as usize + last) <= w as usize,
                    "{row}"
                );
            }
            assert!(
                screen.contains("iotour stats · 每 1.00 秒 · 09:00:00 UTC"),
                "{screen}"
            );
            assert!(screen.contains("q 退出"), "{screen}");
            if w == 160 {
                for want in [
                    "脏页缓存（全系统）",
                    "Dirty 已达后台回写阈值（97.7 MiB）的 30%",
                    "Dirty 与 Dirty+Writeback，最近 1 次采样，后台回写阈值 97.7 MiB 高出图顶",
                    "2.00 秒内的速率",
                    "写入最多的进程",
                    "注：11 个进程中有 7 个",
                ] {
                    assert!(screen.contains(want), "{want}\n{screen}");
                }
            }
            if w == 80 {
                assert!(screen.contains("… 还有"), "{screen}");
            }
        }
        // The chart's border stays a rectangle: its corners in the same columns.
        let rows = zh_screen(80, 24, &d);
        let top = rows
            .iter()
            .find(|(r, _)| r.starts_with('╭'))
            .expect("chart");
        let bottom = rows
            .iter()
            .find(|(r, _)| r.starts_with('╰'))
            .expect("chart");
        assert_eq!(top.1.last(), bottom.1.last());
        assert!(top.0.ends_with('╮') && bottom.0.ends_with('╯'), "{}", top.0);
        d.back = true;
        let small = zh_screen(50, 10, &d);
        assert!(small[0].0.starts_with("终端太小（50×10"), "{}", small[0].0);
    }

    #[test]
    fn chinese_waiting_screen() {
        let area = Rect::new(0, 0, 30, 8);
        let mut buf = Buffer::empty(area);
        let mut d = dashboard();
        d.s.latest = None;
        d.lang = Lang::Zh;
        d.back = true;
        render_to(area, &mut buf, &d, &Theme::new(false));
        let screen: String = rows_of(&buf)
            .into_iter()
            .map(|(r, _)| r)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(screen.contains("正在测量第一个"), "{screen}");
        assert!(screen.contains("q 返回"), "{screen}");
    }

    #[test]
    fn small_and_empty_areas_do_not_panic() {
        let d = dashboard();
        assert!(text_of(50, 10, &d).contains("terminal too small"));
        text_of(0, 0, &d);
        text_of(MIN_WIDTH, MIN_HEIGHT, &d);
    }
}
