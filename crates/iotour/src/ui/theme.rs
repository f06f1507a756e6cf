//! Styles named by what they mean, not by colour, read from the theme
//! embedded from `assets/themes/dark.toml`. Only the terminal's own named
//! colours are used (no white or black), so the palette follows the
//! terminal's dark or light scheme; with `NO_COLOR` every style keeps only
//! its modifiers, and glyphs carry the distinctions colour would.

use std::collections::HashMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The theme as written.
pub const DARK: &str = include_str!("../../../../assets/themes/dark.toml");

/// One style as a theme file writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    fg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

fn modifier(name: &str) -> Result<Modifier, String> {
    Ok(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        other => return Err(format!("unknown modifier `{other}`")),
    })
}

impl Spec {
    fn style(&self, color: bool) -> Result<Style, String> {
        let mut style = Style::new();
        if let Some(fg) = &self.fg {
            let c = Color::from_str(fg).map_err(|_| format!("unknown colour `{fg}`"))?;
            if color {
                style = style.fg(c);
            }
        }
        for m in &self.modifiers {
            style = style.add_modifier(modifier(m)?);
        }
        Ok(style)
    }
}

/// The theme's styles, each named by its meaning; the theme file has a
/// table of the same name for each.
macro_rules! styles {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct Theme {
            $($(#[$doc])* pub $name: Style,)*
        }

        impl Theme {
            /// The names of every style, as the theme file writes them.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// A theme from its TOML text: every style must be there, and
            /// nothing else; `color: false` drops every colour.
            pub fn parse(text: &str, color: bool) -> Result<Theme, String> {
                let mut specs: HashMap<String, Spec> =
                    toml::from_str(text).map_err(|e| e.to_string())?;
                if let Some(extra) = specs.keys().find(|k| !Self::NAMES.contains(&k.as_str())) {
                    return Err(format!("`{extra}` is not a style of the theme"));
                }
                let mut take = |name: &str| -> Result<Style, String> {
                    specs
                        .remove(name)
                        .ok_or_else(|| format!("the theme has no `{name}`"))?
                        .style(color)
                        .map_err(|e| format!("{name}: {e}"))
                };
                Ok(Theme {
                    $($name: take(stringify!($name))?,)*
                })
            }
        }
    };
}

styles! {
    title,
    border,
    focus_border,
    muted,
    key,
    badge,
    /// A measurement source that fell back to something weaker.
    fallback_badge,
    running,
    paused,
    ok,
    fail,
    /// A machine-dependent claim that was not seen this time (not a failure).
    not_seen,
    error,
    question,
    /// Figures read from the kernel, and figures derived from a model.
    measured,
    modeled,
    place,
    cpu_copy,
    dma_copy,
    pulse,
    boundary,
    /// Entries into the kernel: syscalls and page faults (mode switches).
    kernel_mode,
    page_fault,
    ctx_voluntary,
    ctx_involuntary,
    not_cached,
    cached_page,
    clean_page,
    dirty_page,
    writeback_page,
    changed_cell,
    threshold,
}

impl Theme {
    /// The embedded theme, in colour or (`color: false`) without.
    pub fn new(color: bool) -> Theme {
        // The embedded file is checked by a test; a broken one draws plain.
        Theme::parse(DARK, color).unwrap_or_default()
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
    fn the_embedded_theme_has_every_style_and_bad_ones_are_refused() {
        assert!(
            Theme::parse(DARK, true).is_ok(),
            "{:?}",
            Theme::parse(DARK, true)
        );
        assert_eq!(Theme::NAMES.len(), 32);
        let one = |extra: &str| Theme::parse(&format!("{DARK}\n{extra}"), true).unwrap_err();
        assert!(one("[mauve]\nfg = \"red\"").contains("`mauve` is not a style"));
        let missing = DARK.replace("[threshold]", "[ignored_now]");
        assert!(Theme::parse(&missing, true).is_err());
        let bad = DARK.replace("fg = \"cyan\"", "fg = \"puce\"");
        assert!(
            Theme::parse(&bad, true)
                .unwrap_err()
                .contains("unknown colour `puce`")
        );
        let t = Theme::new(true);
        assert_eq!(
            t.dirty_page,
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            t.fallback_badge,
            Style::new()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD | Modifier::ITALIC)
        );
    }

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
            t.not_seen,
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
