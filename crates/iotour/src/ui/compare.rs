//! Drawing the side-by-side view, with the live view's own panels.
//!
//! ```text
//! ┌ header of the scenario running now (the live view's) ─────────────────┐
//! │ A unbuffered-write ✓ done · B buffered-write ▶ step 1/2               │
//! ├ A: data path ──────────────────┬ B: data path ─────────────────────────┤
//! ├ A: page cache ─────────────────┼ B: page cache ────────────────────────┤
//! ├ totals: figure · source · A · B · B/A ────────────────────────────────┤
//! └ footer: keys ──────────────────────────────────────────────────────────┘
//! ```
//! Below 40 rows the panels and the totals share the body (Tab switches).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, Widget};

use crate::app::action::COMPARE_KEYS;
use crate::app::{CompareState, Status};
use crate::compare::Figure;
use crate::compare::table::{letter, rows};
use crate::sanitize::safe;
use crate::ui::{self, Theme, View, data_path, footer, header, page_map, panel_block};
use iotour_core::scenario::Lang;

/// Rows from which panels and totals are shown together.
pub const TALL: u16 = 40;

/// What the compare screen draws from.
pub struct CompareView<'a> {
    pub state: &'a CompareState,
    pub lang: Lang,
    pub theme: &'a Theme,
}

impl Widget for &CompareView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        render(area, buf, self, self.theme);
    }
}

fn render(area: Rect, buf: &mut Buffer, view: &CompareView<'_>, theme: &Theme) {
    if area.width < ui::MIN_WIDTH || area.height < ui::MIN_HEIGHT {
        Line::from(format!(
            "{} {}×{}",
            t!(view.lang, "compare.terminal_too_small"),
            area.width,
            area.height
        ))
        .render(area, buf);
        return;
    }
    let [head, strip, body, foot] = area.layout(&Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    let current = &view.state.runs[view.state.current];
    let v = View {
        run: current,
        lang: view.lang,
        predict: false,
        theme,
    };
    header::Header { view: v }.render(head, buf);
    status_strip(strip, buf, view, theme);
    footer::Footer {
        keys: COMPARE_KEYS,
        theme,
        lang: view.lang,
    }
    .render(foot, buf);
    let totals_h = (Figure::ALL.len() + 4) as u16;
    if area.height >= TALL {
        let [panels, totals] = body.layout(&Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(totals_h),
        ]));
        draw_columns(panels, buf, view, theme);
        draw_totals(totals, buf, view, theme);
    } else if view.state.show_totals {
        draw_totals(body, buf, view, theme);
    } else {
        draw_columns(body, buf, view, theme);
    }
}

/// One line naming each scenario by its letter with its state.
fn status_strip(area: Rect, buf: &mut Buffer, view: &CompareView<'_>, t: &Theme) {
    let mut spans = vec![Span::raw(" ")];
    for (i, run) in view.state.runs.iter().enumerate() {
        let (state, style) = match run.status {
            Status::Starting if i > view.state.current => ("waiting", t.muted),
            Status::Starting => ("starting", t.muted),
            Status::Running => ("running", t.running),
            Status::Paused => ("paused", t.paused),
            Status::Done { ok: true } => ("✓ done", t.ok),
            Status::Done { ok: false } => ("✗ expectation failed", t.fail),
            Status::Failed => ("✗ failed", t.fail),
            Status::Skipped => ("– skipped", t.paused),
        };
        spans.push(Span::styled(format!("{} ", letter(i)), t.key));
        spans.push(Span::styled(format!("{} ", safe(run.plan.id())), t.title));
        spans.push(Span::styled(state, style));
        spans.push(Span::styled("   ", t.muted));
    }
    Line::from(spans).render(area, buf);
}

/// A column per scenario: its data path above its page map.
fn draw_columns(area: Rect, buf: &mut Buffer, view: &CompareView<'_>, theme: &Theme) {
    let n = view.state.runs.len().max(1) as u32;
    let cols = area.layout_vec(&Layout::horizontal((0..n).map(|_| Constraint::Ratio(1, n))));
    for (i, (col, run)) in cols.iter().zip(&view.state.runs).enumerate() {
        let [label, dp, pm] = col.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Percentage(55),
            Constraint::Fill(1),
        ]));
        Line::from(vec![
            Span::styled(format!(" {} ", letter(i)), theme.key),
            Span::styled(safe(run.plan.id()).into_owned(), theme.title),
            Span::styled(
                format!(" — {}", safe(run.plan.meta().title.get(view.lang))),
                theme.muted,
            ),
        ])
        .render(label, buf);
        let v = View {
            run,
            lang: view.lang,
            predict: false,
            theme,
        };
        data_path::DataPath {
            view: v,
            focused: false,
        }
        .render(dp, buf);
        page_map::PageMapPanel {
            view: v,
            focused: false,
        }
        .render(pm, buf);
    }
}

/// The totals and ratios of the scenarios done so far.
fn draw_totals(area: Rect, buf: &mut Buffer, view: &CompareView<'_>, t: &Theme) {
    let title = Line::from(vec![
        Span::styled(" totals ", t.title),
        Span::styled("measured ", t.measured),
        Span::styled("· modeled ", t.modeled),
        Span::styled("· ratio to A ", t.muted),
    ]);
    let block = panel_block(title, false, t);
    let Some(c) = view.state.comparison() else {
        let inner = block.inner(area);
        block.render(area, buf);
        Line::styled(t!(view.lang, "compare.the_totals_appear_as_each"), t.muted)
            .render(inner, buf);
        return;
    };
    let cells = rows(&c);
    let widths: Vec<Constraint> = (0..cells[0].len())
        .map(|i| {
            let w = cells
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max();
            Constraint::Length(w.unwrap_or(0) as u16)
        })
        .collect();
    let style_of = |row: &[String]| match row.get(1).map(String::as_str) {
        Some("measured") => t.measured,
        Some("modeled") => t.modeled,
        _ => t.muted,
    };
    let body = cells[1..].iter().map(|r| {
        Row::new(r.iter().enumerate().map(|(i, c)| match i {
            0 => Cell::from(c.clone()),
            1 => Cell::from(c.clone()).style(style_of(r)),
            _ => Cell::from(Line::from(c.clone()).right_aligned()),
        }))
    });
    let head = cells[0].iter().enumerate().map(|(i, c)| match i {
        0 | 1 => Cell::from(c.clone()),
        _ => Cell::from(Line::from(c.clone()).right_aligned()),
    });
    Table::new(body, widths)
        .header(Row::new(head).style(t.title))
        .column_spacing(2)
        .block(block)
        .render(area, buf);
}
