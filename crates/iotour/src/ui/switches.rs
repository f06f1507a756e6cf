//! Mode switches against context switches, logic-analyser style: one row per
//! signal over time (newest on the right), and counts for the step and the
//! run. A mode switch (syscall or fault) enters the kernel on the same
//! thread; a context switch gives the CPU to another thread. The rows are
//! drawn differently so the two are never confused.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::text::{opt_count, pad};
use super::{View, panel_block};
use crate::app::Status;
use crate::app::timeline::{BUCKET, Bucket};
use iotour_core::outcome::Readings;

pub struct Switches<'a> {
    pub view: View<'a>,
    pub focused: bool,
}

const LABEL_W: u16 = 11;
const LEVELS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Height of a bar for `n` events in a bucket: logarithmic, so 1 call and
/// 10,000 calls both show.
fn level(n: u64) -> &'static str {
    let l = ((n as f64).log10() * 1.75) as usize + 1;
    LEVELS[l.min(LEVELS.len()) - 1]
}

struct Row {
    label: &'static str,
    style: Style,
    value: fn(&Bucket) -> Option<u64>,
    glyph: fn(u64) -> &'static str,
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
        let rows = [
            Row {
                label: t!(v.lang, "switches.syscall"),
                style: t.kernel_mode,
                value: |b| b.syscalls,
                glyph: level,
            },
            Row {
                label: t!(v.lang, "switches.page_fault"),
                style: t.page_fault,
                value: |b| b.faults,
                glyph: level,
            },
            Row {
                label: t!(v.lang, "switches.ctx_vol"),
                style: t.ctx_voluntary,
                value: |b| b.voluntary,
                glyph: |n| if n > 1 { "┃" } else { "│" },
            },
            Row {
                label: t!(v.lang, "switches.ctx_invol"),
                style: t.ctx_involuntary,
                value: |b| b.involuntary,
                glyph: |_| "╳",
            },
        ];
        let mut y = inner.y;
        let bottom = inner.y + inner.height;
        let cols = inner.width.saturating_sub(LABEL_W);
        // Scroll with time while running; paused or done, hold still so the
        // evidence stays on screen while the lecturer talks about it.
        let right = if v.run.status == Status::Running {
            v.run.now
        } else {
            v.run.timeline.last().unwrap_or(v.run.now)
        };
        let now_idx = (right.as_millis() / BUCKET.as_millis()) as u64;
        // Predict mode: nothing of the hidden step's own buckets is drawn.
        let hide_from = v
            .run
            .hidden_since(v.predict)
            .map(|at| (at.as_millis() / BUCKET.as_millis()) as u64);
        for row in &rows {
            if y >= bottom {
                return;
            }
            buf.set_stringn(inner.x, y, row.label, LABEL_W as usize - 1, row.style);
            for c in 0..cols {
                let idx = now_idx.checked_sub(u64::from(cols - 1 - c));
                let shown = idx.filter(|i| hide_from.is_none_or(|h| *i < h));
                let bucket = shown.and_then(|i| v.run.timeline.at(i));
                let (sym, style) = match bucket.map(row.value) {
                    Some(Some(n)) if n > 0 => ((row.glyph)(n), row.style),
                    Some(None) => ("?", t.muted),
                    _ => ("─", t.muted),
                };
                buf[(inner.x + LABEL_W + c, y)]
                    .set_symbol(sym)
                    .set_style(style);
            }
            y += 1;
        }
        let span_s = f64::from(cols) * BUCKET.as_secs_f64();
        if y < bottom && cols > 12 {
            let end = if v.run.status == Status::Running {
                t!(v.lang, "switches.now")
            } else {
                t!(v.lang, "switches.last_activity")
            };
            let axis = format!("← {span_s:.0} s   {end}");
            let w = unicode_width::UnicodeWidthStr::width(axis.as_str()) as u16;
            buf.set_string(inner.x + inner.width - w.min(inner.width), y, axis, t.muted);
            y += 1;
        }
        let lines = self.counts(inner.width as usize);
        for l in lines {
            if y >= bottom {
                return;
            }
            buf.set_line(inner.x, y, &l, inner.width);
            y += 1;
        }
    }
}

impl Switches<'_> {
    /// The count table: this step and the whole run, then the distinction.
    /// io_uring hands work to kernel threads (io-wq, SQPOLL): their
    /// switches are the work that left this thread, shown when measured.
    fn kernel_threads_row(
        &self,
        step: Option<&crate::app::run::StepView>,
        hidden: bool,
    ) -> Option<Line<'static>> {
        let v = &self.view;
        let t = v.theme;
        let all: Vec<u64> = v
            .run
            .steps
            .iter()
            .filter_map(|s| s.report.as_ref()?.measured.kernel_thread_ctx_switches)
            .collect();
        if all.is_empty() {
            return None;
        }
        let this = step.and_then(|s| s.measured.kernel_thread_ctx_switches);
        let show = |n: Option<u64>| {
            if hidden {
                "?".to_string()
            } else {
                opt_count(n)
            }
        };
        Some(Line::from(vec![
            Span::styled(
                pad(t!(v.lang, "switches.kernel_threads_ctx_sw"), 18, false),
                t.ctx_voluntary,
            ),
            Span::styled(format!("{:>12}", show(this)), t.measured),
            Span::styled(format!("{:>12}", show(Some(all.iter().sum()))), t.measured),
        ]))
    }

    fn counts(&self, width: usize) -> Vec<Line<'static>> {
        let v = &self.view;
        let t = v.theme;
        let run = v.run;
        let step = run
            .current
            .and_then(|i| run.steps.get(i - 1).map(|s| (i, s)));
        let hidden = run.current.is_some_and(|i| run.hidden(i, v.predict));
        let total = run.totals();
        let fmt = |m: Option<&Readings>, f: fn(&Readings) -> Option<u64>, hide: bool| match m {
            _ if hide => "?".to_string(),
            Some(m) => opt_count(f(m)),
            None => "–".to_string(),
        };
        let step_m = step.map(|(_, s)| &s.measured);
        let header = format!(
            "{}{}{}",
            pad("", 18, false),
            pad(
                &step.map_or_else(String::new, |(i, _)| format!(
                    "{} {i}",
                    t!(v.lang, "switches.step")
                )),
                12,
                true
            ),
            pad(t!(v.lang, "switches.total"), 12, true),
        );
        let row = |label: &str, style: Style, f: fn(&Readings) -> Option<u64>| {
            Line::from(vec![
                Span::styled(pad(label, 18, false), style),
                Span::styled(format!("{:>12}", fmt(step_m, f, hidden)), t.measured),
                Span::styled(format!("{:>12}", fmt(Some(&total), f, hidden)), t.measured),
            ])
        };
        // One mode switch is one entry into the kernel: a syscall, or a
        // fault taken in user mode (a fault inside a syscall is part of
        // that syscall's entry). Counted when the tracepoint and perf's
        // user-mode faults are both there, else modeled: labelled so.
        let mode = |m: &Readings| Some(m.syscalls? + m.user_faults?);
        let measured = run
            .environment
            .as_ref()
            .is_some_and(|e| e.sources.mode_switches_measured());
        let (mode_style, mode_label) = if measured {
            (t.measured, t!(v.lang, "switches.measured"))
        } else {
            (t.modeled, t!(v.lang, "switches.modeled"))
        };
        let caption = t!(v.lang, "switches.mode_switch_this_thread_enters");
        let mut lines = vec![
            Line::styled(header, t.muted),
            row(t!(v.lang, "switches.syscalls"), t.kernel_mode, |m| {
                m.syscalls
            }),
            row(t!(v.lang, "switches.page_faults"), t.page_fault, |m| {
                m.user_faults
            }),
            Line::from(vec![
                Span::styled(
                    pad(t!(v.lang, "switches.mode_switches"), 18, false),
                    mode_style,
                ),
                Span::styled(format!("{:>12}", fmt(step_m, mode, hidden)), mode_style),
                Span::styled(
                    format!("{:>12}", fmt(Some(&total), mode, hidden)),
                    mode_style,
                ),
                Span::styled(mode_label, mode_style),
            ]),
            // Every fault, minor and major apart (a major one waited for the
            // disk), including those taken inside a syscall.
            row(t!(v.lang, "lecture.minor_faults"), t.page_fault, |m| {
                m.minor_faults
            }),
            row(t!(v.lang, "lecture.major_faults"), t.page_fault, |m| {
                m.major_faults
            }),
            row(
                t!(v.lang, "switches.voluntary_ctx_sw"),
                t.ctx_voluntary,
                |m| m.voluntary_ctx_switches,
            ),
            row(
                t!(v.lang, "switches.involuntary_ctx_sw"),
                t.ctx_involuntary,
                |m| m.involuntary_ctx_switches,
            ),
        ];
        lines.extend(self.kernel_threads_row(step.map(|(_, s)| s), hidden));
        lines.extend(
            super::text::wrap(caption, width)
                .into_iter()
                .map(|l| Line::styled(l, t.muted)),
        );
        lines
    }
}
