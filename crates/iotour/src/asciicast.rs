//! `iotour replay RUN.jsonl --cast OUT.cast [--size WxH]`: the run view, as
//! the TUI draws it, written as an asciinema v2 recording, so a lesson can
//! be played on a web page or in slides (asciinema-player) by anyone.
//!
//! The recording is fed to the same [`App`] and drawn by the same
//! [`ui::render`] as `iotour replay` does, into a ratatui `TestBackend` of
//! the chosen size; each frame that differs from the last becomes one
//! output event: the first the whole screen, later ones the rows that
//! changed (each placed with a cursor move), colours as SGR sequences.
//! Time follows the replay: the recorded events in order, with the pacing
//! sleep the replay makes after each slice at `--speed` (from each slice's
//! recorded work), and the animation clock ticking between them. The
//! result depends on the recording alone: the same file gives the same cast.
//!
//! asciinema v2: a header line `{"version": 2, "width": W, "height": H,
//! "title": …}`, then one `[seconds, "o", text]` line per frame.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use serde_json::json;
use unicode_width::UnicodeWidthStr;

use iotour_core::engine::control::pause_after_slice;
use iotour_core::engine::{ExecEvent, Speed};
use iotour_core::record::{Recorded, Recording};
use iotour_core::scenario::Lang;

use crate::app::{App, Effect, Event};
use crate::ui::{self, theme::Theme};

/// Frames are drawn at most this often while time passes with no event
/// (the animation clock of the copy path).
const FRAME: Duration = Duration::from_millis(100);
/// The last frame stays this long before the cast ends.
const HOLD: Duration = Duration::from_secs(2);

/// Why a cast could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CastError {
    #[error("the recording has no scenario to play")]
    Empty,
    #[error("cannot parse the recorded scenarios: {0}")]
    Plans(String),
    #[error("a trace recording has no run view to cast")]
    Trace,
    #[error("cannot draw: {0}")]
    Draw(String),
}

/// A terminal size `WxH`, e.g. `120x40`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u16,
    pub height: u16,
}

impl std::str::FromStr for Size {
    type Err = String;

    fn from_str(s: &str) -> Result<Size, String> {
        let bad = || format!("`{s}`: expected WIDTHxHEIGHT, e.g. 120x40");
        let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
        let (width, height): (u16, u16) = (
            w.trim().parse().map_err(|_| bad())?,
            h.trim().parse().map_err(|_| bad())?,
        );
        if !(20..=1000).contains(&width) || !(5..=500).contains(&height) {
            return Err(format!(
                "`{s}`: from 20x5 to 1000x500 (the run view needs 60x18 to show itself)"
            ));
        }
        Ok(Size { width, height })
    }
}

/// The cast being written: its frames and the virtual clock.
struct Cast {
    terminal: Terminal<TestBackend>,
    theme: Theme,
    out: String,
    /// The rows of the last frame written, each with its own styles.
    last_frame: Option<Vec<String>>,
    last_drawn: Duration,
    clock: Duration,
}

impl Cast {
    fn frame(&mut self, app: &mut App) -> Result<(), CastError> {
        app.handle(Event::Tick(self.clock));
        let theme = &self.theme;
        self.terminal
            .draw(|f| ui::render(f, app, theme))
            .map_err(|e| CastError::Draw(e.to_string()))?;
        let rows = rows(self.terminal.backend().buffer());
        // The first frame whole; then only the rows that changed, each
        // after a cursor move to its start (a tenth of the size or less).
        let text = match &self.last_frame {
            None => format!("\u{1b}[H{}\u{1b}[0m", rows.join("\r\n")),
            Some(last) => {
                let mut t = String::new();
                for (i, row) in rows.iter().enumerate() {
                    if last.get(i) != Some(row) {
                        let _ = write!(t, "\u{1b}[{};1H{row}", i + 1);
                    }
                }
                if !t.is_empty() {
                    t.push_str("\u{1b}[0m");
                }
                t
            }
        };
        if !text.is_empty() {
            let line = json!([self.clock.as_secs_f64(), "o", text]);
            let _ = writeln!(self.out, "{line}");
            self.last_frame = Some(rows);
        }
        self.last_drawn = self.clock;
        Ok(())
    }

    /// Let `d` pass, drawing the animation on the way.
    fn wait(&mut self, app: &mut App, d: Duration) -> Result<(), CastError> {
        let end = self.clock + d;
        while self.last_drawn + FRAME < end {
            self.clock = self.last_drawn + FRAME;
            self.frame(app)?;
        }
        self.clock = end;
        Ok(())
    }
}

/// The asciinema v2 text of `rec` played in the run view (or the compare
/// view, for several scenarios) at `size`, in `lang`, at `speed`.
pub fn render(rec: &Recording, size: Size, lang: Lang, speed: Speed) -> Result<String, CastError> {
    if rec.header.trace.is_some() {
        return Err(CastError::Trace);
    }
    let plans = rec.plans().map_err(|e| CastError::Plans(e.to_string()))?;
    let title = match plans.as_slice() {
        [] => return Err(CastError::Empty),
        [plan] => plan.meta().title.get(lang).to_owned(),
        many => many
            .iter()
            .map(|p| p.meta().title.get(lang))
            .collect::<Vec<_>>()
            .join(" vs "),
    };
    let (mut app, effects) = match <[_; 1]>::try_from(plans) {
        Ok([plan]) => App::single(plan, lang, false, speed),
        Err(plans) => App::compare(plans, lang, speed),
    };
    let header = json!({
        "version": 2,
        "width": size.width,
        "height": size.height,
        "title": format!("iotour · {title}"),
        "env": { "TERM": "xterm-256color" },
    });
    let mut cast = Cast {
        terminal: Terminal::new(TestBackend::new(size.width, size.height))
            .map_err(|e| CastError::Draw(e.to_string()))?,
        theme: Theme::new(true),
        out: format!("{header}\n"),
        last_frame: None,
        last_drawn: Duration::ZERO,
        clock: Duration::ZERO,
    };
    // Clear the screen and hide the cursor, as the TUI does on start.
    let _ = writeln!(cast.out, "{}", json!([0.0, "o", "\u{1b}[?25l\u{1b}[2J"]));
    cast.frame(&mut app)?;
    // The TUI's loop, without threads: each Start effect is answered by the
    // recorded run of that scenario.
    let mut pending: VecDeque<Effect> = effects.into();
    while let Some(effect) = pending.pop_front() {
        let Effect::Start { epoch, plan, .. } = effect else {
            continue;
        };
        let Some(index) = rec.header.scenarios.iter().position(|s| s == plan.id()) else {
            continue;
        };
        pending.extend(app.handle(Event::EngineStarted {
            epoch,
            at: cast.clock,
        }));
        let lines: Vec<_> = rec.scenario_lines(index).collect();
        let slices_of = |step: usize| {
            lines
                .iter()
                .filter(|l| matches!(&l.event, Recorded::Exec(e) if matches!(&**e, ExecEvent::Slice(s) if s.step == step)))
                .count() as u64
        };
        for line in &lines {
            let (event, pause) = match &line.event {
                Recorded::Sample(s) => (Event::Sample(s.clone()), None),
                Recorded::Exec(e) => {
                    let pause = match &**e {
                        ExecEvent::Slice(s) => pause_after_slice(
                            speed,
                            Duration::from_nanos(s.measured.duration_ns.unwrap_or(0)),
                            slices_of(s.step),
                        ),
                        _ => None,
                    };
                    (Event::Exec((**e).clone()), pause)
                }
                #[cfg(target_os = "linux")]
                Recorded::Trace(_) => continue,
            };
            pending.extend(app.handle(event));
            if cast.clock >= cast.last_drawn + FRAME || pause.is_some() {
                cast.frame(&mut app)?;
            }
            if let Some(p) = pause {
                cast.wait(&mut app, p)?;
            }
        }
        cast.frame(&mut app)?;
    }
    cast.wait(&mut app, HOLD)?;
    cast.frame(&mut app)?;
    // The end, so players show the last frame for HOLD.
    let _ = writeln!(cast.out, "{}", json!([cast.clock.as_secs_f64(), "o", ""]));
    Ok(cast.out)
}

/// A buffer's rows as terminal output, each starting with the style of its
/// first cell, so a row can be written alone.
pub fn rows(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            let mut out = String::new();
            let mut current = String::new();
            let mut skip = 0;
            for x in 0..area.width {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let cell = &buf[(area.x + x, area.y + y)];
                let sgr = sgr(cell.fg, cell.bg, cell.modifier);
                if sgr != current {
                    out.push_str(&sgr);
                    current = sgr;
                }
                let symbol = cell.symbol();
                let symbol = if symbol.is_empty() { " " } else { symbol };
                out.push_str(symbol);
                skip = symbol.width().saturating_sub(1);
            }
            out
        })
        .collect()
}

/// The SGR sequence that sets exactly this style (after a reset).
fn sgr(fg: Color, bg: Color, m: Modifier) -> String {
    let mut codes: Vec<String> = vec!["0".into()];
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if m.contains(flag) {
            codes.push(code.into());
        }
    }
    if let Some(c) = color(fg, false) {
        codes.push(c);
    }
    if let Some(c) = color(bg, true) {
        codes.push(c);
    }
    format!("\u{1b}[{}m", codes.join(";"))
}

fn color(c: Color, bg: bool) -> Option<String> {
    let base = if bg { 40 } else { 30 };
    let basic = |i: u8| Some((base + i).to_string());
    let bright = |i: u8| Some((base + 60 + i).to_string());
    match c {
        Color::Reset => None,
        Color::Black => basic(0),
        Color::Red => basic(1),
        Color::Green => basic(2),
        Color::Yellow => basic(3),
        Color::Blue => basic(4),
        Color::Magenta => basic(5),
        Color::Cyan => basic(6),
        Color::Gray => basic(7),
        Color::DarkGray => bright(0),
        Color::LightRed => bright(1),
        Color::LightGreen => bright(2),
        Color::LightYellow => bright(3),
        Color::LightBlue => bright(4),
        Color::LightMagenta => bright(5),
        Color::LightCyan => bright(6),
        Color::White => bright(7),
        Color::Indexed(i) => Some(format!("{};5;{i}", base + 8)),
        Color::Rgb(r, g, b) => Some(format!("{};2;{r};{g};{b}", base + 8)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn sizes_parse() {
        assert_eq!(
            "120x40".parse::<Size>(),
            Ok(Size {
                width: 120,
                height: 40
            })
        );
        assert!("120".parse::<Size>().is_err());
        assert!("0x40".parse::<Size>().is_err());
    }

    #[test]
    fn a_buffer_becomes_rows_with_colours() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 2));
        buf.set_string(0, 0, "ab", Style::default().fg(Color::Red));
        buf.set_string(0, 1, "写", Style::default().bg(Color::Rgb(1, 2, 3)));
        assert_eq!(
            rows(&buf),
            [
                "\u{1b}[0;31mab\u{1b}[0m  ",
                "\u{1b}[0;48;2;1;2;3m写\u{1b}[0m  "
            ]
        );
    }
}
