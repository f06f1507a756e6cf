//! Handing the terminal to `inspect` or `stats` from the picker and taking
//! it back.
//!
//! Both views read keys from the terminal themselves, so the TUI's producers
//! (whose `input` thread would race them for every key) are stopped first and
//! started again afterwards. The views' own signal token is in place before
//! the producers' handlers go and stays until they are back, and what the
//! producers queued before they stopped is looked at before the view opens,
//! so no SIGTERM, SIGHUP or SIGINT is lost or held; one that arrives during
//! the view ends the whole program, as it would on the picker.

use ratatui::Terminal;

use super::producers::Producers;
use super::terminal::Backend;
use crate::app::Tool;
use iotour_core::scenario::Lang;

/// How a view opened from the picker ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `q`: back to the picker.
    Back,
    /// Ctrl-C: it quits the whole program, as everywhere else in the TUI.
    Quit,
    /// The view could not start or stopped on an error (said in the picker).
    Failed(String),
    /// A signal arrived: the program must end.
    Signal(i32),
}

/// Run `tool` on `terminal` in `lang` (the TUI's) with `producers` paused.
/// `settle` runs once the producers are joined, before the view starts: it
/// takes what they queued (a signal among it) and says whether the view
/// should still open. An error is fatal: the producers could not be started
/// again, and the TUI would be deaf without them.
#[cfg(target_os = "linux")]
pub fn open(
    tool: &Tool,
    lang: Lang,
    terminal: &mut Terminal<Backend>,
    producers: Producers,
    settle: impl FnOnce() -> bool,
) -> std::io::Result<(Producers, Outcome)> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

    use crate::inspect::watch::{Stop, ViewExit};

    let stop = match Stop::on(&[SIGTERM, SIGHUP, SIGINT]) {
        Ok(stop) => stop,
        Err(e) => {
            let failed = Outcome::Failed(format!("cannot watch signals: {e}"));
            return Ok((producers, failed));
        }
    };
    let (producers, result) = producers.paused(|| {
        if !settle() {
            return Ok(ViewExit::Back);
        }
        match tool {
            Tool::Inspect(path) => crate::inspect::live::embedded(terminal, &stop, path, lang),
            Tool::Stats => crate::stats::live::embedded(terminal, &stop, lang),
        }
    })?;
    // No clear is needed: the view drew through this same `Terminal`, so its
    // last frame is what the next draw diffs against, and what the screen
    // shows. (A clear would also ask the terminal where its cursor is.)
    let outcome = match (stop.signal(), result) {
        (Some(sig), _) => Outcome::Signal(sig),
        (None, Ok(ViewExit::Back)) => Outcome::Back,
        (None, Ok(ViewExit::Quit)) => Outcome::Quit,
        (None, Err(e)) => Outcome::Failed(format!("{}: {e:#}", name(tool))),
    };
    Ok((producers, outcome))
}

/// Elsewhere the views do not exist (they read Linux's /proc and cachestat).
#[cfg(not(target_os = "linux"))]
pub fn open(
    tool: &Tool,
    _lang: Lang,
    _terminal: &mut Terminal<Backend>,
    producers: Producers,
    _settle: impl FnOnce() -> bool,
) -> std::io::Result<(Producers, Outcome)> {
    Ok((
        producers,
        Outcome::Failed(format!("{}: needs Linux", name(tool))),
    ))
}

fn name(tool: &Tool) -> &'static str {
    match tool {
        Tool::Inspect(_) => "inspect",
        Tool::Stats => "stats",
    }
}
