//! Drawing: one panel per file under `ui/`, each a read-only view of the app
//! state, and one file per screen that is not the run view (`compare`,
//! `inspect`, `stats`). Nothing here reads a clock or the kernel.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Widget};

use crate::app::run::Viewing;
use crate::app::{App, Focus, RunState, Screen};
use iotour_core::scenario::Lang;

pub mod charts;
pub mod compare;
pub mod data_path;
pub mod footer;
pub mod header;
pub mod help;
pub mod inspect;
pub mod narration;
pub mod page_map;
pub mod picker;
pub mod stats;
pub mod summary;
pub mod switches;
pub mod text;
pub mod theme;
#[cfg(target_os = "linux")]
pub mod trace;

pub use theme::Theme;

/// Below this the screen says so instead of drawing panels on top of each other.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;
/// From this size every panel has its own place; below it the four graphic
/// panels share one place as tabs.
pub const WIDE_WIDTH: u16 = 120;
pub const WIDE_HEIGHT: u16 = 36;
/// Rows the mode-switch and chart row of the large layout needs: the switch
/// table (a heading and seven rows) or a chart (a two-line legend, six rows
/// of plot, the time axis), and the borders.
pub const MIDDLE_ROWS: u16 = 12;
/// From this size (a projector's 100×30) the data path, the page map and
/// the narration are shown together; Tab puts the mode-switch or chart
/// panel in the data path's place, and `z` zooms any of them.
pub const MEDIUM_WIDTH: u16 = 96;
pub const MEDIUM_HEIGHT: u16 = 28;

/// What every run-view panel needs to draw itself.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub run: &'a RunState,
    pub lang: Lang,
    pub predict: bool,
    pub theme: &'a Theme,
}

/// A bordered block for a panel; the focused one has a bold coloured border.
pub fn panel_block<'a>(title: Line<'a>, focused: bool, theme: &Theme) -> Block<'a> {
    let (style, kind) = if focused {
        (theme.focus_border, BorderType::Thick)
    } else {
        (theme.border, BorderType::Rounded)
    };
    Block::new()
        .borders(Borders::ALL)
        .border_type(kind)
        .border_style(style)
        .title(title)
}

/// Draw the whole screen.
///
/// Run view, large terminal (at least 120×36; the narration takes the rows
/// it needs, up to 30 %, the panels share the rest 4:3, the lower row never
/// fewer than [`MIDDLE_ROWS`]):
/// ```text
/// ┌ header: title · step i/n op · state · speed · source badges ──────────┐
/// ├ data path (modeled) ──────────┬ page cache map + not-yet-durable ──────┤
/// │ user buffer                   │ ·····████▓▓░░                          │
/// │ ─ ─ user/kernel ─ ─           │ legend, counts                         │
/// │ page cache ──▶ socket buffer  │                                        │
/// │ disk           NIC            │                                        │
/// ├ mode & context switches ──────┼ charts: dirty memory · rates ──────────┤
/// │ syscall     ▁▃█     96  1,121 │ MiB over time · per second             │
/// │ minor fault ▂       6      6  │ (syscalls, minor and major faults)     │
/// │ major fault ▅       1      1  │                                        │
/// │ … mode switches · ctx vol ┃ ╳ │                                        │
/// ├ narration: say · Java API · call chain · expectations ✓/✗ ───────────┤
/// └ footer: keys ─────────────────────────────────────────────────────────┘
/// ```
/// Projector (from 96×28, e.g. 100×30): the data path (Tab: or the switch
/// table, or the charts), the page map and the narration together:
/// ```text
/// ┌ header ─────────────────────────────────────────────┐
/// ├ data path ───────────────┬ page cache map ──────────┤
/// ├ narration ───────────────┴──────────────────────────┤
/// └ footer ─────────────────────────────────────────────┘
/// ```
/// Any size: `z` draws the focused panel over the body, the narration below;
/// after the last step the body is the summary table (`ui/summary.rs`).
///
/// Small terminal (80×24): the panels become tabs (Tab cycles); narration
/// stays visible below the graphic ones and fills the body as its own tab:
/// ```text
/// ┌ header ───────────────────────────────────────┐
/// ├ [data path] switches  page cache  charts ─────┤
/// │ the focused panel                             │
/// ├ narration ────────────────────────────────────┤
/// └ footer ───────────────────────────────────────┘
/// ```
/// The compare, inspect and stats screens draw themselves (see their files).
/// Any screen: the help overlay (`?`) on top; below 60×18, a "terminal too
/// small" notice instead of panels.
pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    render_to(area, frame.buffer_mut(), app, theme);
}

/// [`render`] into a buffer (the tests' and the benchmark's way in).
pub fn render_to(area: Rect, buf: &mut ratatui::buffer::Buffer, app: &App, theme: &Theme) {
    let back = app.picker.is_some();
    match &app.screen {
        // These have minimum sizes of their own.
        Screen::Inspect(state) => {
            (&inspect::InspectView {
                state,
                lang: app.lang,
                back,
                theme,
            })
                .render(area, buf);
        }
        Screen::Stats(state) => {
            (&stats::StatsView {
                state,
                lang: app.lang,
                back,
                theme,
            })
                .render(area, buf);
        }
        _ if area.width < MIN_WIDTH || area.height < MIN_HEIGHT => {
            too_small(area, buf, app.lang, theme);
            return;
        }
        #[cfg(target_os = "linux")]
        Screen::Trace(state) => {
            (&trace::TraceView {
                state,
                lang: app.lang,
                theme,
            })
                .render(area, buf);
        }
        Screen::Compare(state) => {
            (&compare::CompareView {
                state,
                lang: app.lang,
                theme,
            })
                .render(area, buf);
        }
        Screen::Picker => {
            if let Some(p) = &app.picker {
                picker::Picker {
                    state: p,
                    lang: app.lang,
                    predict: app.predict,
                    theme,
                }
                .render(area, buf);
            }
        }
        Screen::Run(run) => {
            let view = View {
                run: run.shown(),
                lang: app.lang,
                predict: app.predict,
                theme,
            };
            if run.viewing == Viewing::Summary {
                render_summary(area, buf, &view);
            } else {
                render_run(area, buf, &view, app.focus, app.zoom);
            }
        }
    }
    if app.help {
        // The run view's `e` only while a wait runs, as in its footer.
        let run_keys;
        let keys = match app.run() {
            Some(run) => {
                run_keys = crate::app::action::run_keys_shown(run.shown().waiting());
                &run_keys[..]
            }
            _ => app.keys(),
        };
        let source_notes = app
            .run()
            .and_then(|r| r.environment.as_ref())
            .map_or(&[][..], |e| &e.sources.notes[..]);
        help::Help {
            keys,
            source_notes,
            lang: app.lang,
            theme,
        }
        .render(area, buf);
    }
}

fn header_and_footer(area: Rect, buf: &mut ratatui::buffer::Buffer, view: &View) -> Rect {
    let [head, body, foot] = area.layout(&Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    header::Header { view: *view }.render(head, buf);
    let keys = crate::app::action::run_keys_shown(view.run.waiting());
    footer::Footer {
        keys: &keys,
        theme: view.theme,
        lang: view.lang,
    }
    .render(foot, buf);
    body
}

/// The summary after the last step: header and footer as on the run view,
/// the table of every step in the body.
fn render_summary(area: Rect, buf: &mut ratatui::buffer::Buffer, view: &View) {
    let body = header_and_footer(area, buf, view);
    summary::Summary { view: *view }.render(body, buf);
}

fn render_run(
    area: Rect,
    buf: &mut ratatui::buffer::Buffer,
    view: &View,
    focus: Focus,
    zoom: bool,
) {
    let body = header_and_footer(area, buf, view);
    // The narration gets what it needs (its border included), from 6 rows
    // to 12 or a third of the body, whichever is more, never over half.
    let wanted = narration::Narration {
        view: *view,
        focused: false,
    }
    .rows_wanted(body.width)
        + 2;
    let most = (body.height / 3).max(12).min(body.height / 2).max(6);
    let narration_h = wanted.clamp(6, most);
    // Zoomed: the focused panel over the body, the narration kept below it.
    if zoom {
        if focus == Focus::Narration {
            draw_panel(Focus::Narration, body, buf, view, true);
            return;
        }
        let [main, narr] = body.layout(&Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(narration_h),
        ]));
        draw_panel(focus, main, buf, view, true);
        draw_panel(Focus::Narration, narr, buf, view, false);
        return;
    }
    let wide = area.width >= WIDE_WIDTH && area.height >= WIDE_HEIGHT;
    if wide {
        // The narration gets what it needs up to 30 %; the panels share the rest.
        let bottom_h = wanted.clamp(8, (body.height * 3 / 10).max(8));
        let [panels, bottom] = body.layout(&Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(bottom_h),
        ]));
        // The switches and the charts get 3/7, never fewer rows than their
        // content needs (at 120×40 the ratio alone cut the switch table).
        // 3/7 rounded to the nearest row, as the ratio was.
        let middle_h = ((panels.height * 6 + 7) / 14)
            .max(MIDDLE_ROWS)
            .min(panels.height / 2);
        let [top, middle] = panels.layout(&Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(middle_h),
        ]));
        let [dp, pm] = top.layout(&Layout::horizontal([Constraint::Percentage(50); 2]));
        let [sw, ch] = middle.layout(&Layout::horizontal([Constraint::Percentage(50); 2]));
        draw_panel(Focus::DataPath, dp, buf, view, focus == Focus::DataPath);
        draw_panel(Focus::PageMap, pm, buf, view, focus == Focus::PageMap);
        draw_panel(Focus::Switches, sw, buf, view, focus == Focus::Switches);
        draw_panel(Focus::Charts, ch, buf, view, focus == Focus::Charts);
        draw_panel(
            Focus::Narration,
            bottom,
            buf,
            view,
            focus == Focus::Narration,
        );
        return;
    }
    if area.width >= MEDIUM_WIDTH && area.height >= MEDIUM_HEIGHT {
        // The data path, the page map and the narration together; Tab puts
        // the mode switches or the charts in the data path's place.
        let [top, narr] = body.layout(&Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(narration_h),
        ]));
        let [left, pm] = top.layout(&Layout::horizontal([Constraint::Percentage(50); 2]));
        let left_panel = match focus {
            Focus::Switches | Focus::Charts => focus,
            _ => Focus::DataPath,
        };
        draw_panel(left_panel, left, buf, view, focus == left_panel);
        draw_panel(Focus::PageMap, pm, buf, view, focus == Focus::PageMap);
        draw_panel(Focus::Narration, narr, buf, view, focus == Focus::Narration);
        return;
    }
    // Narration is what the lecturer reads aloud: it stays below the tabs;
    // focused, it takes the whole body so long text and every expectation fit.
    if focus == Focus::Narration {
        let [tabs, narr] = body.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
        ]));
        tab_bar(tabs, buf, view, focus);
        draw_panel(Focus::Narration, narr, buf, view, true);
        return;
    }
    let narration_h = (body.height / 3).clamp(6, 10);
    let [tabs, main, narr] = body.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(narration_h),
    ]));
    tab_bar(tabs, buf, view, focus);
    draw_panel(focus, main, buf, view, true);
    draw_panel(Focus::Narration, narr, buf, view, false);
}

fn draw_panel(
    which: Focus,
    area: Rect,
    buf: &mut ratatui::buffer::Buffer,
    view: &View,
    focused: bool,
) {
    let v = *view;
    match which {
        Focus::DataPath => data_path::DataPath { view: v, focused }.render(area, buf),
        Focus::Switches => switches::Switches { view: v, focused }.render(area, buf),
        Focus::PageMap => page_map::PageMapPanel { view: v, focused }.render(area, buf),
        Focus::Charts => charts::Charts { view: v, focused }.render(area, buf),
        Focus::Narration => narration::Narration { view: v, focused }.render(area, buf),
    }
}

/// The panel names a small screen switches between.
pub fn panel_title(which: Focus, lang: Lang) -> &'static str {
    match which {
        Focus::DataPath => t!(lang, "ui.data_path"),
        Focus::Switches => t!(lang, "ui.switches"),
        Focus::PageMap => t!(lang, "ui.page_cache"),
        Focus::Charts => t!(lang, "ui.charts"),
        Focus::Narration => t!(lang, "ui.narration"),
    }
}

fn tab_bar(area: Rect, buf: &mut ratatui::buffer::Buffer, view: &View, shown: Focus) {
    let t = view.theme;
    let mut spans = vec![ratatui::text::Span::styled(" tab ▸ ", t.key)];
    for f in Focus::ALL {
        let name = panel_title(f, view.lang);
        if f == shown {
            spans.push(ratatui::text::Span::styled(
                format!("[{name}]"),
                t.focus_border,
            ));
        } else {
            spans.push(ratatui::text::Span::styled(format!(" {name} "), t.muted));
        }
        spans.push(" ".into());
    }
    Line::from(spans).render(area, buf);
}

fn too_small(area: Rect, buf: &mut ratatui::buffer::Buffer, lang: Lang, theme: &Theme) {
    let msg = format!(
        "{} {}×{} ({} {MIN_WIDTH}×{MIN_HEIGHT})",
        t!(lang, "ui.terminal_too_small"),
        area.width,
        area.height,
        t!(lang, "ui.need"),
    );
    let lines: Vec<Line> = text::wrap(&msg, area.width as usize)
        .into_iter()
        .map(|l| Line::styled(l, theme.paused))
        .collect();
    let h = (lines.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    Paragraph::new(lines)
        .style(Style::new())
        .centered()
        .render(Rect::new(area.x, y, area.width, h), buf);
}
