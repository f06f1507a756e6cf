//! The key line at the bottom, drawn from the same keymap that handles keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::Theme;
use crate::app::action::Binding;
use iotour_core::scenario::Lang;

pub struct Footer<'a> {
    pub keys: &'a [Binding],
    pub theme: &'a Theme,
    pub lang: Lang,
}

/// The footer word in the chosen language (the keymaps hold its key).
fn word(short: &'static str, lang: Lang) -> &'static str {
    crate::i18n::text(lang, short)
}

/// Footer words dropped first when the line is too narrow: the rest (step,
/// predict, language, help, back) are what a lecturer reaches for.
const DROP_FIRST: [&str; 7] = [
    k!("footer.speed"),
    k!("footer.restart"),
    k!("footer.slice"),
    k!("footer.panel"),
    k!("footer.filter"),
    k!("lecture.footer_zoom"),
    k!("lecture.footer_back_step"),
];

impl Widget for &Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        // A binding without a short word stays out of the footer (help lists it).
        let mut shown: Vec<_> = self.keys.iter().filter(|b| !b.short.is_empty()).collect();
        let lang = self.lang;
        let width = |shown: &[&Binding]| -> usize {
            shown
                .iter()
                .map(|b| b.label.width() + word(b.short, lang).width() + 2)
                .sum::<usize>()
                + 1
        };
        // Too narrow: drop the least needed keys first, then from the end,
        // but keep the last two (help, back), which lead to everything else.
        for drop in DROP_FIRST {
            if width(&shown) <= area.width as usize {
                break;
            }
            shown.retain(|b| b.short != drop);
        }
        while width(&shown) > area.width as usize && shown.len() > 2 {
            shown.remove(shown.len() - 3);
        }
        let mut spans = vec![Span::raw(" ")];
        for b in shown {
            spans.push(Span::styled(b.label, t.key));
            spans.push(Span::styled(format!(" {} ", word(b.short, lang)), t.muted));
        }
        buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    }
}
