//! The key line at the bottom, drawn from the same keymap that handles keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::Theme;
use crate::app::action::Binding;

pub struct Footer<'a> {
    pub keys: &'a [Binding],
    pub theme: &'a Theme,
}

impl Widget for &Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        // A binding without a short word stays out of the footer (help lists it).
        let mut shown: Vec<_> = self.keys.iter().filter(|b| !b.short.is_empty()).collect();
        let width = |shown: &[&Binding]| -> usize {
            shown
                .iter()
                .map(|b| b.label.width() + b.short.width() + 2)
                .sum::<usize>()
                + 1
        };
        // Too narrow: drop keys from the end, but keep the last two (help,
        // back), which lead to everything else.
        while width(&shown) > area.width as usize && shown.len() > 2 {
            shown.remove(shown.len() - 3);
        }
        let mut spans = vec![Span::raw(" ")];
        for b in shown {
            spans.push(Span::styled(b.label, t.key));
            spans.push(Span::styled(format!(" {} ", b.short), t.muted));
        }
        buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    }
}
