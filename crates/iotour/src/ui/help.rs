//! The `?` overlay: every key with what it does, and how to read the panels.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

use super::Theme;
use crate::app::action::Binding;
use iotour_core::scenario::Lang;

pub struct Help<'a> {
    pub keys: &'a [Binding],
    /// Why a measurement source fell back, from the engine (empty before it is ready).
    pub source_notes: &'a [String],
    pub lang: Lang,
    pub theme: &'a Theme,
}

impl Widget for &Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut lines: Vec<Line> = self
            .keys
            .iter()
            .map(|b| {
                Line::from(vec![
                    Span::styled(format!("{:>8}  ", key_names(b.keys)), t.key),
                    Span::raw(crate::i18n::text(self.lang, b.help)),
                ])
            })
            .collect();
        lines.push(Line::raw(""));
        for key in [k!("help.figures"), k!("help.switches")] {
            lines.push(Line::styled(crate::i18n::text(self.lang, key), t.muted));
        }
        for note in self.source_notes {
            lines.push(Line::styled(
                format!("{}: {note}", t!(self.lang, "help.source")),
                t.fallback_badge,
            ));
        }
        let w = area.width.saturating_sub(4).min(76);
        let h = (lines.len() as u16 + 6).min(area.height);
        let popup = area.centered(Constraint::Length(w), Constraint::Length(h));
        Clear.render(popup, buf);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::new()
                    .borders(Borders::ALL)
                    .border_type(BorderType::Double)
                    .border_style(t.focus_border)
                    .title(Span::styled(
                        format!(" {} ", t!(self.lang, "help.keys")),
                        t.title,
                    ))
                    .title_bottom(Span::styled(" ? / q ", t.muted)),
            )
            .render(popup, buf);
    }
}

/// Every key of a binding, as a reader types it (`n/→`); the footer's short
/// label (`+/-`) can stand for two bindings, the help lists each.
fn key_names(keys: &[KeyCode]) -> String {
    let name = |k: &KeyCode| match k {
        KeyCode::Char(' ') => "space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Right => "→".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::BackTab => "⇧tab".into(),
        KeyCode::Enter => "enter".into(),
        KeyCode::Esc => "esc".into(),
        other => format!("{other}"),
    };
    keys.iter().map(name).collect::<Vec<_>>().join("/")
}
