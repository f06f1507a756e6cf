//! Mode switches against context switches, logic-analyser style: one row per
//! signal over time (newest on the right) with its count for the step and
//! the run at the row's end, so the table needs no rows of its own. A mode
//! switch (syscall or fault) enters the kernel on the same thread; a context
//! switch gives the CPU to another thread. Minor and major faults have rows
//! of their own: a major fault waited for the disk.
//!
//! ```text
//! ╭ mode switches vs context switches ─────────────────────────╮
//! │                    ← 3 s   now      step 3        total │
//! │syscall     ───▅▅▅▅──▁─▃▃▃                96        1,121 │
//! │minor fault ─────────▁▁▁                   6            6 │
//! │major fault ──────────■─                   1            1 │
//! │user-mode faults min/maj                 5/1          5/1 │
//! │= mode switches (modeled)                102        1,127 │
//! │ctx vol     ─┃─││││                        3           15 │
//! │ctx invol   ──╳─────                       0            2 │
//! │mode switch: this thread enters the kernel … (when it fits) │
//! ╰────────────────────────────────────────────────────────────╯
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::text::{opt_count, pad};
use super::{View, panel_block};
use crate::app::Status;
use crate::app::timeline::{BUCKET, Bucket};
use iotour_core::outcome::Readings;

pub struct Switches<'a> {
    pub view: View<'a>,
    pub focused: bool,
}

/// Columns of a signal's name before its timeline.
const LABEL_W: u16 = 12;
/// Columns of the step's and the run's count at each row's end.
const STEP_W: u16 = 9;
const TOTAL_W: u16 = 11;
const COUNTS_W: u16 = STEP_W + TOTAL_W;
/// Fewer timeline columns than this are not worth drawing.
const MIN_COLS: u16 = 6;
const LEVELS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Height of a bar for `n` events in a bucket: logarithmic, so 1 call and
/// 10,000 calls both show.
fn level(n: u64) -> &'static str {
    let l = ((n as f64).log10() * 1.75) as usize + 1;
    LEVELS[l.min(LEVELS.len()) - 1]
}

/// A signal over time: how a bucket counts it and how a count is drawn.
struct Trace {
    value: fn(&Bucket) -> Option<u64>,
    glyph: fn(u64) -> &'static str,
}

/// One row: its name, its timeline (if it is a signal) and its counts.
struct Row {
    label: Line<'static>,
    style: Style,
    trace: Option<Trace>,
    /// The count as shown (`?` where unmeasured).
    count: fn(&Readings) -> String,
    /// Measured counts in the measured style; mode switches as they are.
    count_style: Style,
}

/// Where the timeline's columns are and which buckets they show.
struct Window {
    cols: u16,
    /// The bucket index of the rightmost column.
    now_idx: u64,
    /// Predict mode: buckets from here on belong to the hidden step.
    hide_from: Option<u64>,
}

impl Widget for &Switches<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let title = Line::from(vec![Span::styled(
            format!(
                " {} ",
                t!(v.lang, "switches.mode_switches_vs_context_switches")
            ),
            t.title,
        )]);
        let block = panel_block(title, self.focused, t);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let window = self.window(inner.width);
        let bottom = inner.bottom();
        let mut y = inner.y;
        self.heading(inner, &window, buf);
        y += 1;
        let (step, total, hidden) = self.readings();
        for row in self.rows() {
            if y >= bottom {
                return;
            }
            let counts_x = inner.right().saturating_sub(COUNTS_W).max(inner.x);
            // A signal's name stops where its timeline starts; a count's
            // name may run on to the counts.
            let label_w = match &row.trace {
                Some(_) if window.cols > 0 => LABEL_W - 1,
                _ => counts_x.saturating_sub(inner.x + 1),
            };
            buf.set_line(inner.x, y, &row.label, label_w);
            if let Some(trace) = row.trace.as_ref().filter(|_| window.cols > 0) {
                self.timeline((inner.x + LABEL_W, y), trace, row.style, &window, buf);
            }
            let shown = |m: Option<&Readings>| match m {
                _ if hidden => "?".to_string(),
                Some(m) => (row.count)(m),
                None => "–".to_string(),
            };
            let counts = Line::from(vec![
                Span::styled(
                    format!("{:>w$}", shown(step), w = STEP_W as usize),
                    row.count_style,
                ),
                Span::styled(
                    format!("{:>w$}", shown(Some(&total)), w = TOTAL_W as usize),
                    row.count_style,
                ),
            ]);
            buf.set_line(counts_x, y, &counts, inner.right() - counts_x);
            y += 1;
        }
        if let Some(line) = self.kernel_threads_row(hidden, inner.width) {
            if y >= bottom {
                return;
            }
            buf.set_line(inner.x, y, &line, inner.width);
            y += 1;
        }
        // The distinction in words, when all of it fits below the rows.
        let caption = super::text::wrap(
            t!(v.lang, "switches.mode_switch_this_thread_enters"),
            inner.width as usize,
        );
        if usize::from(bottom - y) >= caption.len() {
            for l in caption {
                buf.set_line(inner.x, y, &Line::styled(l, t.muted), inner.width);
                y += 1;
            }
        }
    }
}

impl Switches<'_> {
    fn window(&self, width: u16) -> Window {
        let v = &self.view;
        let cols = width.saturating_sub(LABEL_W + COUNTS_W + 1);
        let cols = if cols < MIN_COLS { 0 } else { cols };
        // Scroll with time while running; paused or done, hold still so the
        // evidence stays on screen while the lecturer talks about it.
        let right = if v.run.status == Status::Running {
            v.run.now
        } else {
            v.run.timeline.last().unwrap_or(v.run.now)
        };
        Window {
            cols,
            now_idx: (right.as_millis() / BUCKET.as_millis()) as u64,
            // Predict mode: nothing of the hidden step's own buckets is drawn.
            hide_from: v
                .run
                .hidden_since(v.predict)
                .map(|at| (at.as_millis() / BUCKET.as_millis()) as u64),
        }
    }

    /// The first row: the time axis over the timeline, the column names
    /// over the counts.
    fn heading(&self, inner: Rect, w: &Window, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let run = v.run;
        if w.cols > 0 {
            let end = if run.status == Status::Running {
                t!(v.lang, "switches.now")
            } else {
                t!(v.lang, "switches.last_activity")
            };
            let span_s = f64::from(w.cols) * BUCKET.as_secs_f64();
            // The end's name when it fits, never a part of it.
            let axis = [
                format!("← {span_s:.0} s   {end}"),
                format!("← {span_s:.0} s"),
            ]
            .into_iter()
            .find(|a| a.width() <= usize::from(w.cols));
            if let Some(axis) = axis {
                let aw = axis.width() as u16;
                buf.set_string(inner.x + LABEL_W + w.cols - aw, inner.y, axis, t.muted);
            }
        }
        let step = run.current.map_or_else(String::new, |i| {
            format!("{} {i}", t!(v.lang, "switches.step"))
        });
        let heads = format!(
            "{}{}",
            pad(&step, STEP_W as usize, true),
            pad(t!(v.lang, "switches.total"), TOTAL_W as usize, true)
        );
        let x = inner.right().saturating_sub(COUNTS_W).max(inner.x);
        buf.set_stringn(x, inner.y, heads, (inner.right() - x) as usize, t.muted);
    }

    /// One signal's columns, oldest left: a bar per bucket with activity,
    /// `?` where the source could not measure, `─` where nothing happened.
    fn timeline(
        &self,
        at: (u16, u16),
        trace: &Trace,
        style: Style,
        window: &Window,
        buf: &mut Buffer,
    ) {
        let run = self.view.run;
        let muted = self.view.theme.muted;
        for c in 0..window.cols {
            let idx = window.now_idx.checked_sub(u64::from(window.cols - 1 - c));
            let shown = idx.filter(|i| window.hide_from.is_none_or(|h| *i < h));
            let bucket = shown.and_then(|i| run.timeline.at(i));
            let (sym, style) = match bucket.map(trace.value) {
                Some(Some(n)) if n > 0 => ((trace.glyph)(n), style),
                Some(None) => ("?", muted),
                _ => ("─", muted),
            };
            buf[(at.0 + c, at.1)].set_symbol(sym).set_style(style);
        }
    }

    /// The step shown (running or last run), the run's totals, and whether
    /// predict mode hides the step's figures.
    fn readings(&self) -> (Option<&Readings>, Readings, bool) {
        let run = self.view.run;
        let step = run
            .current
            .and_then(|i| run.steps.get(i - 1))
            .map(|s| &s.measured);
        let hidden = run
            .current
            .is_some_and(|i| run.hidden(i, self.view.predict));
        (step, run.totals(), hidden)
    }

    fn rows(&self) -> Vec<Row> {
        let v = &self.view;
        let t = v.theme;
        // One mode switch is one entry into the kernel: a syscall, or a
        // fault taken in user mode (a fault inside a syscall is part of
        // that syscall's entry). Counted when the tracepoint and perf's
        // user-mode faults are both there, else modeled: labelled so.
        let measured = v
            .run
            .environment
            .as_ref()
            .is_some_and(|e| e.sources.mode_switches_measured());
        let (mode_style, mode_label) = if measured {
            (t.measured, t!(v.lang, "switches.measured"))
        } else {
            (t.modeled, t!(v.lang, "switches.modeled"))
        };
        let signal = |label: &str, style: Style, trace: Trace, count| Row {
            label: Line::styled(label.to_string(), style),
            style,
            trace: Some(trace),
            count,
            count_style: t.measured,
        };
        let bars = level as fn(u64) -> &'static str;
        vec![
            signal(
                t!(v.lang, "switches.syscall"),
                t.kernel_mode,
                Trace {
                    value: |b| b.syscalls,
                    glyph: bars,
                },
                |m| opt_count(m.syscalls),
            ),
            // Every fault, minor and major apart (a major one waited for
            // the disk), including those taken inside a syscall.
            signal(
                t!(v.lang, "switches.minor_fault"),
                t.page_fault,
                Trace {
                    value: |b| b.minor_faults,
                    glyph: bars,
                },
                |m| opt_count(m.minor_faults),
            ),
            signal(
                t!(v.lang, "switches.major_fault"),
                t.major_fault,
                // Each 100 ms in which the thread waited for the disk is
                // marked whole, however few faults: one is already slow.
                Trace {
                    value: |b| b.major_faults,
                    glyph: |_| "■",
                },
                |m| opt_count(m.major_faults),
            ),
            Row {
                label: Line::styled(t!(v.lang, "switches.page_faults").to_string(), t.page_fault),
                style: t.page_fault,
                trace: None,
                // Minor and major apart here too: perf counts both, or
                // both are modeled from touch's faults.
                count: |m| {
                    let minor = m
                        .user_faults
                        .zip(m.user_major_faults)
                        .map(|(a, b)| a - b.min(a));
                    format!("{}/{}", opt_count(minor), opt_count(m.user_major_faults))
                },
                count_style: t.measured,
            },
            Row {
                label: Line::from(vec![
                    Span::styled(t!(v.lang, "switches.mode_switches").to_string(), mode_style),
                    Span::styled(mode_label.to_string(), mode_style),
                ]),
                style: mode_style,
                trace: None,
                count: |m| opt_count(iotour_core::model::mode_switches(m)),
                count_style: mode_style,
            },
            signal(
                t!(v.lang, "switches.ctx_vol"),
                t.ctx_voluntary,
                Trace {
                    value: |b| b.voluntary,
                    glyph: |n| if n > 1 { "┃" } else { "│" },
                },
                |m| opt_count(m.voluntary_ctx_switches),
            ),
            signal(
                t!(v.lang, "switches.ctx_invol"),
                t.ctx_involuntary,
                Trace {
                    value: |b| b.involuntary,
                    glyph: |_| "╳",
                },
                |m| opt_count(m.involuntary_ctx_switches),
            ),
        ]
    }

    /// io_uring hands work to kernel threads (io-wq, SQPOLL): their
    /// switches are the work that left this thread, shown when measured.
    fn kernel_threads_row(&self, hidden: bool, width: u16) -> Option<Line<'static>> {
        let v = &self.view;
        let t = v.theme;
        let run = v.run;
        let all: Vec<u64> = run
            .steps
            .iter()
            .filter_map(|s| s.report.as_ref()?.measured.kernel_thread_ctx_switches)
            .collect();
        if all.is_empty() {
            return None;
        }
        let this = run
            .current
            .and_then(|i| run.steps.get(i - 1))
            .and_then(|s| s.measured.kernel_thread_ctx_switches);
        let show = |n: Option<u64>| {
            if hidden {
                "?".to_string()
            } else {
                opt_count(n)
            }
        };
        let label_w = width.saturating_sub(COUNTS_W) as usize;
        Some(Line::from(vec![
            Span::styled(
                pad(t!(v.lang, "switches.kernel_threads_ctx_sw"), label_w, false),
                t.ctx_voluntary,
            ),
            Span::styled(
                format!("{:>w$}", show(this), w = STEP_W as usize),
                t.measured,
            ),
            Span::styled(
                format!("{:>w$}", show(Some(all.iter().sum())), w = TOTAL_W as usize),
                t.measured,
            ),
        ]))
    }
}
