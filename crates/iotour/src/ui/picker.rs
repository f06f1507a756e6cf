//! The scenario picker: every scenario with its title and tags on the left,
//! the selected one's summary and steps on the right, a `/` filter on top.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::text::{fit, wrap};
use super::{Theme, footer::Footer, panel_block};
use crate::app::PickerState;
use crate::app::action::PICKER_KEYS;
use crate::sanitize::{Newlines, safe, sanitize};
use iotour_core::scenario::Lang;
use unicode_width::UnicodeWidthStr;

pub struct Picker<'a> {
    pub state: &'a PickerState,
    pub lang: Lang,
    pub predict: bool,
    pub theme: &'a Theme,
}

impl Widget for &Picker<'_> {
    #[allow(
        clippy::too_many_lines,
        reason = "one screen drawn top to bottom: list, preview, footer"
    )]
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let s = self.state;
        let [head, body, foot] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ]));
        let mut top = vec![Span::styled(" iotour · ", t.muted)];
        if let Some(notice) = &s.notice {
            // Until the next key, the line is the notice's: it may be long.
            top.push(Span::styled(safe(notice).into_owned(), t.error));
        } else if let Some(path) = &s.inspect_path {
            top.extend([
                Span::styled(t!(self.lang, "picker.inspect_path"), t.title),
                Span::raw(path.clone()),
                Span::styled("▏", t.key),
                Span::styled(t!(self.lang, "picker.enter_open_esc_cancel_ctrl"), t.muted),
            ]);
        } else {
            top.extend([
                Span::styled(t!(self.lang, "picker.choose_a_scenario"), t.title),
                Span::styled("  / ", t.key),
            ]);
            if s.filtering || !s.filter.is_empty() {
                top.push(Span::raw(s.filter.clone()));
                if s.filtering {
                    top.push(Span::styled("▏", t.key));
                }
            } else {
                top.push(Span::styled(t!(self.lang, "picker.filter"), t.muted));
            }
        }
        if self.predict && s.notice.is_none() {
            top.push(Span::styled(
                format!("  {}", t!(self.lang, "picker.predict_mode")),
                t.question,
            ));
        }
        Line::from(top).render(head, buf);
        Footer {
            keys: PICKER_KEYS,
            theme: t,
            lang: self.lang,
        }
        .render(foot, buf);
        let [list_area, preview_area] = body.layout(&Layout::horizontal([
            Constraint::Percentage(45),
            Constraint::Fill(1),
        ]));
        let visible = s.visible();
        let list = panel_block(
            Line::styled(
                format!(
                    " {} ({}) ",
                    t!(self.lang, "picker.scenarios"),
                    visible.len()
                ),
                t.title,
            ),
            true,
            t,
        );
        let inner = list.inner(list_area);
        list.render(list_area, buf);
        let rows = inner.height as usize;
        // Keep the selection in view.
        let first = s.selected.saturating_sub(rows.saturating_sub(1));
        for (row, (n, &i)) in visible
            .iter()
            .enumerate()
            .skip(first)
            .take(rows)
            .enumerate()
        {
            let p = &s.plans[i];
            let selected = n == s.selected;
            let style = if selected {
                t.focus_border.patch(t.changed_cell)
            } else {
                Style::new()
            };
            // The lesson number first (the order a course teaches them in),
            // then the whole title; the tags only where they fit whole, as
            // a cut tag list says less than none.
            let lesson = p
                .meta()
                .lesson
                .map_or_else(|| "  ".into(), |n| format!("{n:>2}"));
            let lead = format!(
                "{}{lesson} {}",
                if selected { "▸" } else { " " },
                safe(p.meta().title.get(self.lang)),
            );
            let tags = format!("  [{}]", safe(&p.meta().tags.join(", ")));
            let text = if lead.width() + tags.width() <= inner.width as usize {
                lead + &tags
            } else {
                lead
            };
            buf.set_stringn(
                inner.x,
                inner.y + row as u16,
                fit(&text, inner.width as usize),
                inner.width as usize,
                style,
            );
        }
        if visible.is_empty() {
            Line::styled(
                t!(self.lang, "picker.no_scenario_matches_the_filter"),
                t.muted,
            )
            .render(inner, buf);
        }
        let preview = panel_block(
            Line::styled(format!(" {} ", t!(self.lang, "picker.preview")), t.title),
            false,
            t,
        );
        let pinner = preview.inner(preview_area);
        preview.render(preview_area, buf);
        let Some(p) = s.selected_plan() else { return };
        let w = pinner.width as usize;
        let mut lines: Vec<Line> = Vec::new();
        lines.push(Line::styled(
            format!("{} ({})", safe(p.meta().title.get(self.lang)), safe(p.id())),
            t.title,
        ));
        lines.extend(
            wrap(
                &sanitize(p.meta().summary.get(self.lang), Newlines::Keep),
                w,
            )
            .into_iter()
            .map(Line::raw),
        );
        if let Some(java) = &p.meta().java {
            lines.push(Line::styled(format!("Java: {}", safe(java)), t.muted));
        }
        lines.push(Line::raw(""));
        // Each step's say text, wrapped; when the rows run out every step
        // keeps the same number of lines and a cut one ends in "…".
        let says: Vec<Vec<String>> = p
            .steps()
            .iter()
            .map(|st| {
                st.say
                    .as_ref()
                    .map(|say| {
                        wrap(
                            &sanitize(say.get(self.lang), Newlines::Keep),
                            w.saturating_sub(4),
                        )
                    })
                    .unwrap_or_default()
            })
            .collect();
        let room = (pinner.height as usize).saturating_sub(lines.len() + p.steps().len());
        let longest = says.iter().map(Vec::len).max().unwrap_or(0);
        let shown = |cap: usize| says.iter().map(|s| s.len().min(cap)).sum::<usize>();
        let cap = (1..=longest)
            .take_while(|&cap| shown(cap) <= room)
            .last()
            .unwrap_or(1);
        for (n, (st, say)) in p.steps().iter().zip(&says).enumerate() {
            let ask = if st.ask.is_some() { " ?" } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{:>2}. {}", n + 1, st.op.name()), t.key),
                Span::styled(ask, t.question),
            ]));
            for (k, l) in say.iter().take(cap).enumerate() {
                let text = if k + 1 == cap && say.len() > cap {
                    // Out of room: say that the text goes on.
                    fit(&format!("{l}…"), w.saturating_sub(4))
                } else {
                    l.clone()
                };
                lines.push(Line::styled(format!("    {text}"), t.muted));
            }
        }
        Paragraph::new(lines).render(pinner, buf);
    }
}
