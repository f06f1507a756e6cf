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
    /// Back through the history (trace: a second earlier; run: the
    /// previous step's results).
    StepBack,
    /// Scroll the narration (PgDn / PgUp).
    ScrollDown,
    ScrollUp,
    /// Zoom the focused panel over the whole body, or back.
    Zoom,
    /// The next colour theme (dark, light, projector).
    NextTheme,
    /// End the `sleep` or `wait_writeback` in progress now (run view).
    EndWait,
}

/// One row of a keymap: the keys, how the footer names them, what they do.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub label: &'static str,
    /// The catalog key of the footer's word (empty: not in the footer);
    /// `help` is the key of the overlay's sentence.
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
    bind(&[KeyCode::Char(' ')], "space", k!("footer.pause"), Action::TogglePause, k!("keys.pause_resume")),
    bind(&[KeyCode::Char('n'), KeyCode::Right], "n", k!("footer.step"), Action::NextStep, k!("lecture.keys_next_step")),
    bind(&[KeyCode::Char('e')], "e", k!("lecture.footer_end_wait"), Action::EndWait, k!("lecture.keys_end_wait")),
    bind(&[KeyCode::Char('b'), KeyCode::Left], "b", k!("lecture.footer_back_step"), Action::StepBack, k!("lecture.keys_step_back")),
    bind(&[KeyCode::Char('s')], "s", k!("footer.slice"), Action::NextSlice, k!("keys.one_slice")),
    bind(&[KeyCode::Char('r')], "r", k!("footer.restart"), Action::Restart, k!("keys.restart")),
    bind(&[KeyCode::Char('+'), KeyCode::Char('=')], "+/-", k!("footer.speed"), Action::Faster, k!("keys.faster")),
    bind(&[KeyCode::Char('-')], "-", "", Action::Slower, k!("keys.slower")),
    bind(&[KeyCode::Tab], "tab", k!("footer.panel"), Action::FocusNext, k!("keys.next_panel")),
    bind(&[KeyCode::BackTab], "⇧tab", "", Action::FocusPrev, k!("keys.previous_panel")),
    bind(&[KeyCode::Char('z')], "z", k!("lecture.footer_zoom"), Action::Zoom, k!("lecture.keys_zoom")),
    bind(&[KeyCode::PageDown], "pgdn", "", Action::ScrollDown, k!("lecture.keys_scroll_down")),
    bind(&[KeyCode::PageUp], "pgup", "", Action::ScrollUp, k!("lecture.keys_scroll_up")),
    bind(&[KeyCode::Char('p')], "p", k!("footer.predict"), Action::Predict, k!("keys.predict_ask_reveal")),
    bind(&[KeyCode::Char('t')], "t", "", Action::NextTheme, k!("lecture.keys_theme")),
    bind(&[KeyCode::Char('l')], "l", k!("footer.lang"), Action::Language, k!("keys.language")),
    bind(&[KeyCode::Char('?')], "?", k!("footer.help"), Action::Help, k!("keys.help")),
    bind(&[KeyCode::Char('q'), KeyCode::Esc], "q", k!("footer.back"), Action::Back, k!("keys.back_quit")),
];

/// The run view's keys as the footer and help show them: `e` only while a
/// wait runs (`waiting`), where it does something.
pub fn run_keys_shown(waiting: bool) -> Vec<Binding> {
    RUN_KEYS
        .iter()
        .filter(|b| waiting || b.action != Action::EndWait)
        .copied()
        .collect()
}

/// Keys of the scenario picker (while not typing a filter).
#[rustfmt::skip]
pub const PICKER_KEYS: &[Binding] = &[
    bind(&[KeyCode::Up, KeyCode::Char('k')], "↑", k!("footer.up"), Action::Up, k!("keys.previous_scenario")),
    bind(&[KeyCode::Down, KeyCode::Char('j')], "↓", k!("footer.down"), Action::Down, k!("keys.next_scenario")),
    bind(&[KeyCode::Enter], "enter", k!("footer.run"), Action::Select, k!("keys.run_it")),
    bind(&[KeyCode::Char('/')], "/", k!("footer.filter"), Action::StartFilter, k!("keys.filter")),
    bind(&[KeyCode::Char('i')], "i", k!("footer.inspect"), Action::Inspect, k!("keys.inspect_files")),
    bind(&[KeyCode::Char('s')], "s", k!("footer.stats"), Action::Stats, k!("keys.stats_system")),
    bind(&[KeyCode::Char('p')], "p", k!("footer.predict"), Action::Predict, k!("keys.predict_mode")),
    bind(&[KeyCode::Char('l')], "l", k!("footer.lang"), Action::Language, k!("keys.language")),
    bind(&[KeyCode::Char('?')], "?", k!("footer.help"), Action::Help, k!("keys.help")),
    bind(&[KeyCode::Char('q')], "q", k!("footer.quit"), Action::Back, k!("keys.quit")),
    bind(&[KeyCode::Esc], "esc", "", Action::Escape, k!("keys.clear_filter")),
];

/// Keys of the side-by-side view, in the order the footer shows them.
#[rustfmt::skip]
pub const COMPARE_KEYS: &[Binding] = &[
    bind(&[KeyCode::Char(' ')], "space", k!("footer.pause"), Action::TogglePause, k!("keys.pause_resume_running")),
    bind(&[KeyCode::Char('n'), KeyCode::Right], "n", k!("footer.step"), Action::NextStep, k!("keys.its_next_step")),
    bind(&[KeyCode::Char('s')], "s", k!("footer.slice"), Action::NextSlice, k!("keys.one_slice")),
    bind(&[KeyCode::Char('+'), KeyCode::Char('=')], "+/-", k!("footer.speed"), Action::Faster, k!("keys.faster")),
    bind(&[KeyCode::Char('-')], "", "", Action::Slower, k!("keys.slower")),
    bind(&[KeyCode::Tab], "tab", k!("footer.panels_totals"), Action::ToggleTotals, k!("keys.panels_or_totals")),
    bind(&[KeyCode::Char('l')], "l", k!("footer.lang"), Action::Language, k!("keys.language")),
    bind(&[KeyCode::Char('?')], "?", k!("footer.help"), Action::Help, k!("keys.help")),
    bind(&[KeyCode::Char('q'), KeyCode::Esc], "q", k!("footer.back"), Action::Back, k!("keys.back_quit")),
];

/// Keys of the inspect screen.
#[rustfmt::skip]
pub const INSPECT_KEYS: &[Binding] = &[
    bind(&[KeyCode::Up, KeyCode::Char('k')], "↑↓", k!("footer.select"), Action::Up, k!("keys.previous_file")),
    bind(&[KeyCode::Down, KeyCode::Char('j')], "", "", Action::Down, k!("keys.next_file")),
    bind(&[KeyCode::Home, KeyCode::Char('g')], "g/G", k!("footer.first_last"), Action::Top, k!("keys.first_file")),
    bind(&[KeyCode::End, KeyCode::Char('G')], "", "", Action::Bottom, k!("keys.last_file")),
    bind(&[KeyCode::Char('s')], "s", k!("footer.sort"), Action::NextSort, k!("keys.sort_by")),
    bind(&[KeyCode::Char('r')], "r", k!("footer.refresh"), Action::Refresh, k!("keys.measure_again")),
    bind(&[KeyCode::Char('l')], "l", k!("footer.lang"), Action::Language, k!("keys.language")),
    bind(&[KeyCode::Char('?')], "?", k!("footer.help"), Action::Help, k!("keys.help")),
    bind(&[KeyCode::Char('q'), KeyCode::Esc], "q", k!("footer.back"), Action::Back, k!("keys.back_quit")),
];

/// Keys of the stats dashboard.
#[rustfmt::skip]
pub const STATS_KEYS: &[Binding] = &[
    bind(&[KeyCode::Char('l')], "l", k!("footer.lang"), Action::Language, k!("keys.language")),
    bind(&[KeyCode::Char('?')], "?", k!("footer.help"), Action::Help, k!("keys.help")),
    bind(&[KeyCode::Char('q'), KeyCode::Esc], "q", k!("footer.back"), Action::Back, k!("keys.back_quit")),
];

/// Keys of the trace screen.
#[rustfmt::skip]
pub const TRACE_KEYS: &[Binding] = &[
    bind(&[KeyCode::Up, KeyCode::Char('k')], "↑↓", k!("footer.select"), Action::Up, k!("keys.previous_file")),
    bind(&[KeyCode::Down, KeyCode::Char('j')], "", "", Action::Down, k!("keys.next_file")),
    bind(&[KeyCode::Char(' ')], "space", k!("footer.freeze"), Action::TogglePause, k!("keys.freeze_view")),
    bind(&[KeyCode::Char('b'), KeyCode::Left], "b/n", k!("footer.history"), Action::StepBack, k!("keys.second_earlier")),
    bind(&[KeyCode::Char('n'), KeyCode::Right], "", "", Action::NextStep, k!("keys.second_later")),
    bind(&[KeyCode::Char('l')], "l", k!("footer.lang"), Action::Language, k!("keys.language")),
    bind(&[KeyCode::Char('?')], "?", k!("footer.help"), Action::Help, k!("keys.help")),
    bind(&[KeyCode::Char('q'), KeyCode::Esc], "q", k!("footer.quit"), Action::Back, k!("keys.stop_tracing")),
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
            TRACE_KEYS,
        ] {
            let mut seen = Vec::new();
            for k in map.iter().flat_map(|b| b.keys) {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
    }
}
