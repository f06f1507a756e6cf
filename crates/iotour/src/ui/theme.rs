//! Styles named by what they mean, not by colour, read from the themes
//! embedded from `assets/themes/` (dark, light, projector; `--theme` picks
//! one, `t` cycles). Only the terminal's own named colours are used (no
//! white or black); with `NO_COLOR` every style keeps only its modifiers,
//! and glyphs carry the distinctions colour would.

use std::collections::HashMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The themes as written.
pub const DARK: &str = include_str!("../../../../assets/themes/dark.toml");
pub const LIGHT: &str = include_str!("../../../../assets/themes/light.toml");
pub const PROJECTOR: &str = include_str!("../../../../assets/themes/projector.toml");

/// Which theme: the name `--theme` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    /// High contrast and bold, nothing dim: readable from the back of a room.
    Projector,
}

impl ThemeName {
    pub const ALL: [ThemeName; 3] = [ThemeName::Dark, ThemeName::Light, ThemeName::Projector];

    pub fn name(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::Projector => "projector",
        }
    }

    pub fn parse(s: &str) -> Result<ThemeName, String> {
        ThemeName::ALL
            .into_iter()
            .find(|t| t.name() == s.trim())
            .ok_or_else(|| format!("`{s}` is not a theme (dark, light or projector)"))
    }

    /// The theme after this one (`t`).
    #[must_use]
    pub fn next(self) -> ThemeName {
        let i = ThemeName::ALL.iter().position(|t| *t == self).unwrap_or(0);
        ThemeName::ALL[(i + 1) % ThemeName::ALL.len()]
    }

    fn text(self) -> &'static str {
        match self {
            ThemeName::Dark => DARK,
            ThemeName::Light => LIGHT,
            ThemeName::Projector => PROJECTOR,
        }
    }
}

/// Every theme, parsed once, in colour or not.
#[derive(Debug, Clone)]
pub struct Themes {
    themes: [Theme; 3],
}

impl Themes {
    pub fn new(color: bool) -> Themes {
        Themes {
            themes: ThemeName::ALL.map(|n| Theme::named(n, color)),
        }
    }

    /// Colour unless `NO_COLOR` is set (see [`Theme::from_env`]).
    pub fn from_env() -> Themes {
        Themes::new(!no_color())
    }

    pub fn get(&self, name: ThemeName) -> &Theme {
        let i = ThemeName::ALL.iter().position(|t| *t == name).unwrap_or(0);
        &self.themes[i]
    }
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

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
    /// A page fault that waited for the disk.
    major_fault,
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
        Theme::named(ThemeName::Dark, color)
    }

    /// An embedded theme, in colour or not.
    pub fn named(name: ThemeName, color: bool) -> Theme {
        // The embedded files are checked by a test; a broken one draws plain.
        Theme::parse(name.text(), color).unwrap_or_default()
    }

    /// Colour unless `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env() -> Theme {
        Theme::new(!no_color())
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
        assert_eq!(Theme::NAMES.len(), 33);
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
    fn every_embedded_theme_parses_and_the_projector_has_nothing_dim() {
        for name in ThemeName::ALL {
            assert!(
                Theme::parse(name.text(), true).is_ok(),
                "{}: {:?}",
                name.name(),
                Theme::parse(name.text(), true)
            );
            assert_eq!(ThemeName::parse(name.name()), Ok(name));
        }
        assert!(ThemeName::parse("neon").is_err());
        assert_eq!(ThemeName::Projector.next(), ThemeName::Dark);
        let p = Theme::named(ThemeName::Projector, true);
        assert!(
            !PROJECTOR
                .lines()
                .any(|l| l.starts_with("modifiers") && l.contains("\"dim\""))
        );
        assert!(p.title.add_modifier.contains(Modifier::BOLD));
        assert!(p.dirty_page.add_modifier.contains(Modifier::BOLD));
        assert!(!p.muted.add_modifier.contains(Modifier::DIM));
        assert!(!p.not_cached.add_modifier.contains(Modifier::DIM));
        // NO_COLOR: the projector keeps bold, drops colours.
        let plain = Theme::named(ThemeName::Projector, false);
        assert!(plain.dirty_page.fg.is_none() && plain.ok.add_modifier.contains(Modifier::BOLD));
        // Light avoids yellow, which fades on white.
        assert!(!LIGHT.contains("\"yellow\""));
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
            t.major_fault,
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
