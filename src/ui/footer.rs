//! The key line at the bottom, drawn from the same keymap that handles keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::Theme;
use crate::app::action::Binding;

pub struct Footer<'a> {
    pub keys: &'a [Binding],
    pub theme: &'a Theme,
}

impl Widget for &Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut spans = vec![Span::raw(" ")];
        // A binding without a short word stays out of the footer (help lists it).
        for b in self.keys.iter().filter(|b| !b.short.is_empty()) {
            spans.push(Span::styled(b.label, t.key));
            spans.push(Span::styled(format!(" {}  ", b.short), t.muted));
        }
        buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    }
}
