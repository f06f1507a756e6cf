//! The keymap: a table from key to [`Action`], one per screen. The footer and
//! the help overlay are drawn from the same tables, so they cannot drift from
//! what the keys really do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    TogglePause,
    NextStep,
    NextSlice,
    Restart,
    Faster,
    Slower,
    FocusNext,
    FocusPrev,
    Help,
    Language,
    Predict,
    /// Close the overlay, leave the run view, or quit, whichever is innermost.
    Back,
    /// Esc on the picker: clear the filter when there is one, else as `Back`.
    Escape,
    /// Ctrl-C: leave the program from anywhere.
    Quit,
    Up,
    Down,
    Select,
    StartFilter,
    /// Ask for a path, then open `iotour inspect` on it.
    Inspect,
    /// Open the `iotour stats` dashboard.
    Stats,
    /// First file (inspect).
    Top,
    /// Last file (inspect).
    Bottom,
    /// Next sort order of the files (inspect).
    NextSort,
    /// Measure again now (inspect).
    Refresh,
    /// On a small screen: the panels or the totals table (compare).
    ToggleTotals,
}

/// One row of a keymap: the keys, how the footer names them, what they do.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub label: &'static str,
    /// One word for the footer; `help` is the sentence for the overlay.
    pub short: &'static str,
    pub action: Action,
    pub help: &'static str,
}

const fn bind(
    keys: &'static [KeyCode],
    label: &'static str,
    short: &'static str,
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        label,
        short,
        action,
        help,
    }
}

/// Keys of the run view, in the order the footer shows them.
#[rustfmt::skip]
pub const RUN_KEYS: &[Binding] = &[
    bind(&[KeyCode::Char(' ')], "space", "pause", Action::TogglePause, "pause / resume"),
    bind(&[KeyCode::Char('n'), KeyCode::Right], "n", "step", Action::NextStep, "run the next step (paused)"),
    bind(&[KeyCode::Char('s')], "s", "slice", Action::NextSlice, "run one slice (paused)"),
    bind(&[KeyCode::Char('r')], "r", "restart", Action::Restart, "restart the scenario"),
    bind(&[KeyCode::Char('+'), KeyCode::Char('=')], "+/-", "speed", Action::Faster, "faster"),
    bind(&[KeyCode::Char('-')], "-", "", Action::Slower, "slower"),
    bind(&[KeyCode::Tab], "tab", "panel", Action::FocusNext, "next panel"),
    bind(&[KeyCode::BackTab], "⇧tab", "", Action::FocusPrev, "previous panel"),
    bind(&[KeyCode::Char('p')], "p", "predict", Action::Predict, "predict mode: ask before a step, reveal after"),
    bind(&[KeyCode::Char('l')], "l", "中文", Action::Language, "English / 中文"),
    bind(&[KeyCode::Char('?')], "?", "help", Action::Help, "help"),
    bind(&[KeyCode::Char('q'), KeyCode::Esc], "q", "back", Action::Back, "back / quit"),
];

/// Keys of the scenario picker (while not typing a filter).
#[rustfmt::skip]
pub const PICKER_KEYS: &[Binding] = &[
    bind(&[KeyCode::Up, KeyCode::Char('k')], "↑", "up", Action::Up, "previous scenario"),
    bind(&[KeyCode::Down, KeyCode::Char('j')], "↓", "down", Action::Down, "next scenario"),
    bind(&[KeyCode::Enter], "enter", "run", Action::Select, "run it"),
    bind(&[KeyCode::Char('/')], "/", "filter", Action::StartFilter, "filter"),
    bind(&[KeyCode::Char('i')], "i", "inspect", Action::Inspect, "inspect files' cached and dirty pages (asks for a path)"),
    bind(&[KeyCode::Char('s')], "s", "stats", Action::Stats, "stats: the system's dirty pages, writeback, thresholds"),
    bind(&[KeyCode::Char('p')], "p", "predict", Action::Predict, "predict mode"),
    bind(&[KeyCode::Char('l')], "l", "中文", Action::Language, "English / 中文"),
    bind(&[KeyCode::Char('?')], "?", "help", Action::Help, "help"),
    bind(&[KeyCode::Char('q')], "q", "quit", Action::Back, "quit"),
    bind(&[KeyCode::Esc], "esc", "", Action::Escape, "clear the filter, or quit"),
];

/// Keys of the side-by-side view, in the order the footer shows them.
#[rustfmt::skip]
pub const COMPARE_KEYS: &[Binding] = &[
    bind(&[KeyCode::Char(' ')], "space", "pause", Action::TogglePause, "pause / resume the scenario that is running"),
    bind(&[KeyCode::Char('n'), KeyCode::Right], "n", "step", Action::NextStep, "run its next step (paused)"),
    bind(&[KeyCode::Char('s')], "s", "slice", Action::NextSlice, "run one slice (paused)"),
    bind(&[KeyCode::Char('+'), KeyCode::Char('=')], "+/-", "speed", Action::Faster, "faster"),
    bind(&[KeyCode::Char('-')], "", "", Action::Slower, "slower"),
    bind(&[KeyCode::Tab], "tab", "panels/totals", Action::ToggleTotals, "on a small screen: the panels or the totals"),
    bind(&[KeyCode::Char('l')], "l", "中文", Action::Language, "English / 中文"),
    bind(&[KeyCode::Char('?')], "?", "help", Action::Help, "help"),
    bind(&[KeyCode::Char('q'), KeyCode::Esc], "q", "back", Action::Back, "back / quit"),
];

/// Keys of the inspect screen.
#[rustfmt::skip]
pub const INSPECT_KEYS: &[Binding] = &[
    bind(&[KeyCode::Up, KeyCode::Char('k')], "↑↓", "select", Action::Up, "previous file"),
    bind(&[KeyCode::Down, KeyCode::Char('j')], "", "", Action::Down, "next file"),
    bind(&[KeyCode::Home, KeyCode::Char('g')], "g/G", "first/last", Action::Top, "first file"),
    bind(&[KeyCode::End, KeyCode::Char('G')], "", "", Action::Bottom, "last file"),
    bind(&[KeyCode::Char('s')], "s", "sort", Action::NextSort, "sort by path, dirty pages, cached pages"),
    bind(&[KeyCode::Char('r')], "r", "refresh", Action::Refresh, "measure again now"),
    bind(&[KeyCode::Char('l')], "l", "中文", Action::Language, "English / 中文"),
    bind(&[KeyCode::Char('?')], "?", "help", Action::Help, "help"),
    bind(&[KeyCode::Char('q'), KeyCode::Esc], "q", "back", Action::Back, "back / quit"),
];

/// Keys of the stats dashboard.
#[rustfmt::skip]
pub const STATS_KEYS: &[Binding] = &[
    bind(&[KeyCode::Char('l')], "l", "中文", Action::Language, "English / 中文"),
    bind(&[KeyCode::Char('?')], "?", "help", Action::Help, "help"),
    bind(&[KeyCode::Char('q'), KeyCode::Esc], "q", "back", Action::Back, "back / quit"),
];

/// The action a key press means in `keymap`. Releases and repeats of other
/// kinds are ignored (some terminals report both press and release).
pub fn lookup(keymap: &[Binding], key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        // Raw mode turns Ctrl-C into a key, not SIGINT: it must still quit.
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
    }
    keymap
        .iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_map_to_actions_and_releases_are_ignored() {
        assert_eq!(
            lookup(RUN_KEYS, press(KeyCode::Char(' '))),
            Some(Action::TogglePause)
        );
        assert_eq!(
            lookup(RUN_KEYS, press(KeyCode::Right)),
            Some(Action::NextStep)
        );
        assert_eq!(lookup(RUN_KEYS, press(KeyCode::Esc)), Some(Action::Back));
        assert_eq!(lookup(RUN_KEYS, press(KeyCode::Char('x'))), None);
        let mut release = press(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(lookup(RUN_KEYS, release), None);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(PICKER_KEYS, ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn no_key_is_bound_twice_in_one_keymap() {
        for map in [
            RUN_KEYS,
            PICKER_KEYS,
            COMPARE_KEYS,
            INSPECT_KEYS,
            STATS_KEYS,
        ] {
            let mut seen = Vec::new();
            for k in map.iter().flat_map(|b| b.keys) {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
    }
}
