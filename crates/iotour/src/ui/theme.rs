//! Styles named by what they mean, not by colour. Only the terminal's own
//! named colours are used (no white or black), so the palette follows the
//! terminal's dark or light scheme; with `NO_COLOR` every style keeps only
//! its modifiers, and glyphs carry the distinctions colour would.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub title: Style,
    pub border: Style,
    pub focus_border: Style,
    pub muted: Style,
    pub key: Style,
    pub badge: Style,
    /// A measurement source that fell back to something weaker.
    pub fallback_badge: Style,
    pub running: Style,
    pub paused: Style,
    pub ok: Style,
    pub fail: Style,
    pub error: Style,
    pub question: Style,
    /// Figures read from the kernel, and figures derived from a model.
    pub measured: Style,
    pub modeled: Style,
    pub place: Style,
    pub cpu_copy: Style,
    pub dma_copy: Style,
    pub pulse: Style,
    pub boundary: Style,
    /// Entries into the kernel: syscalls and page faults (mode switches).
    pub kernel_mode: Style,
    pub page_fault: Style,
    pub ctx_voluntary: Style,
    pub ctx_involuntary: Style,
    pub not_cached: Style,
    pub cached_page: Style,
    pub clean_page: Style,
    pub dirty_page: Style,
    pub writeback_page: Style,
    pub changed_cell: Style,
    pub threshold: Style,
}

impl Theme {
    pub fn new(color: bool) -> Theme {
        let c = |fg: Color| {
            if color {
                Style::new().fg(fg)
            } else {
                Style::new()
            }
        };
        let b = Modifier::BOLD;
        Theme {
            title: Style::new().add_modifier(b),
            border: Style::new(),
            focus_border: c(Color::Cyan).add_modifier(b),
            muted: Style::new().add_modifier(Modifier::DIM),
            key: c(Color::Cyan).add_modifier(b),
            badge: c(Color::Green),
            fallback_badge: c(Color::Yellow).add_modifier(b | Modifier::ITALIC),
            running: c(Color::Green).add_modifier(b),
            paused: c(Color::Yellow).add_modifier(b),
            ok: c(Color::Green).add_modifier(b),
            fail: c(Color::Red).add_modifier(b),
            error: c(Color::Red),
            question: c(Color::Magenta).add_modifier(b),
            measured: Style::new().add_modifier(b),
            modeled: c(Color::Blue).add_modifier(Modifier::ITALIC),
            place: Style::new().add_modifier(b),
            cpu_copy: c(Color::Magenta),
            dma_copy: c(Color::Blue),
            pulse: c(Color::Yellow).add_modifier(b),
            boundary: c(Color::Cyan).add_modifier(Modifier::DIM),
            kernel_mode: c(Color::Cyan),
            page_fault: c(Color::Magenta),
            ctx_voluntary: c(Color::Green),
            ctx_involuntary: c(Color::Red),
            not_cached: Style::new().add_modifier(Modifier::DIM),
            cached_page: c(Color::Blue),
            clean_page: c(Color::Green),
            dirty_page: c(Color::Red).add_modifier(b),
            writeback_page: c(Color::Yellow).add_modifier(b),
            changed_cell: Style::new().add_modifier(Modifier::REVERSED),
            threshold: c(Color::Red).add_modifier(Modifier::DIM),
        }
    }

    /// Colour unless `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme::new(!no_color)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_keeps_modifiers_and_drops_every_colour() {
        let t = Theme::new(false);
        let all = [
            t.title,
            t.border,
            t.focus_border,
            t.muted,
            t.key,
            t.badge,
            t.fallback_badge,
            t.running,
            t.paused,
            t.ok,
            t.fail,
            t.error,
            t.question,
            t.measured,
            t.modeled,
            t.place,
            t.cpu_copy,
            t.dma_copy,
            t.pulse,
            t.boundary,
            t.kernel_mode,
            t.page_fault,
            t.ctx_voluntary,
            t.ctx_involuntary,
            t.not_cached,
            t.cached_page,
            t.clean_page,
            t.dirty_page,
            t.writeback_page,
            t.changed_cell,
            t.threshold,
        ];
        assert!(all.iter().all(|s| s.fg.is_none() && s.bg.is_none()));
        // What colour would have said, a modifier still says.
        assert!(t.dirty_page.add_modifier.contains(Modifier::BOLD));
        assert!(t.changed_cell.add_modifier.contains(Modifier::REVERSED));
        assert!(t.fallback_badge.add_modifier.contains(Modifier::ITALIC));
        assert!(Theme::new(true).dirty_page.fg.is_some());
    }
}
