//! The `?` overlay: every key with what it does, and how to read the panels.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

use super::Theme;
use super::text::tr;
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
                    Span::raw(b.help),
                ])
            })
            .collect();
        lines.push(Line::raw(""));
        for (en, zh) in [
            (
                "Figures in bold are measured by the kernel; blue italic ones are modeled from the op's copy path. '?' means the source could not measure it.",
                "粗体数字由内核测得；蓝色斜体数字由操作的拷贝路径推算。“?”表示数据源无法测量。",
            ),
            (
                "A mode switch enters the kernel on the same thread (syscall, fault); a context switch hands the CPU to another thread.",
                "模式切换是同一线程进入内核（系统调用、缺页）；上下文切换是把 CPU 交给另一个线程。",
            ),
        ] {
            lines.push(Line::styled(tr(self.lang, en, zh), t.muted));
        }
        for note in self.source_notes {
            lines.push(Line::styled(
                format!("{}: {note}", tr(self.lang, "source", "数据源")),
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
                        format!(" {} ", tr(self.lang, "keys", "按键")),
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
