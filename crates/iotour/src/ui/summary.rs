//! The summary after the last step: every step with its key figures
//! (time, syscalls, minor/major faults, dirty pages after it) and every
//! expectation with its measured value and ✓/✗, in one table, then how many
//! held and what the lesson showed (its summary). `b` reviews the steps
//! from here, `r` runs the lesson again.
//!
//! ```text
//! ┌ summary · Write, fsync, send ───────────────────────────────────────┐
//! │ step op     time    syscalls faults dirty  expectations             │
//! │ 1    write  500 ms     1,024    0/0 1,024  ✓ syscalls: 1,024, …     │
//! │ 2    fsync  500 ms         1    0/0     0  ✓ dirty pages: 0, …      │
//! │ ✓ 4 of 4 expectations held                                          │
//! │ the lesson: Dirty pages appear, fsync cleans them; …                │
//! └─────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::text::{opt_count, pad, wrap};
use super::{View, panel_block};
use crate::app::run::StepState;
use crate::figures;
use crate::sanitize::{Newlines, safe, sanitize};

pub struct Summary<'a> {
    pub view: View<'a>,
}

/// One row's key figures, as the table's columns show them.
struct Figures {
    step: String,
    op: String,
    time: String,
    syscalls: String,
    faults: String,
    dirty: String,
}

impl Summary<'_> {
    /// Every line of the table, in reading order.
    #[allow(
        clippy::too_many_lines,
        reason = "the table in reading order: heading, a row per step, verdict, lesson"
    )]
    pub fn lines(&self, width: usize) -> Vec<Line<'static>> {
        let v = &self.view;
        let t = v.theme;
        let run = v.run;
        let lang = v.lang;
        let heads = Figures {
            step: t!(lang, "lecture.col_step").to_string(),
            op: t!(lang, "lecture.col_op").to_string(),
            time: t!(lang, "lecture.col_time").to_string(),
            syscalls: t!(lang, "lecture.col_syscalls").to_string(),
            faults: t!(lang, "lecture.col_faults").to_string(),
            dirty: t!(lang, "lecture.col_dirty").to_string(),
        };
        let rows: Vec<Figures> = run
            .plan
            .steps()
            .iter()
            .zip(&run.steps)
            .enumerate()
            .map(|(i, (step, view))| {
                let r = view.report.as_ref();
                let m = r.map(|r| &r.measured);
                let dash = || "–".to_string();
                Figures {
                    step: (i + 1).to_string(),
                    op: step.op.name().to_string(),
                    time: r
                        .and_then(|r| r.duration_ns)
                        .map_or_else(dash, figures::duration),
                    syscalls: m.map_or_else(dash, |m| opt_count(m.syscalls)),
                    faults: m.map_or_else(dash, |m| {
                        format!(
                            "{}/{}",
                            opt_count(m.minor_faults),
                            opt_count(m.major_faults)
                        )
                    }),
                    dirty: m.map_or_else(dash, |m| opt_count(m.file_dirty_pages)),
                }
            })
            .collect();
        let col = |f: fn(&Figures) -> &String| {
            rows.iter()
                .chain(std::iter::once(&heads))
                .map(|r| f(r).width())
                .max()
                .unwrap_or(0)
        };
        let w = [
            col(|r| &r.step),
            col(|r| &r.op),
            col(|r| &r.time),
            col(|r| &r.syscalls),
            col(|r| &r.faults),
            col(|r| &r.dirty),
        ];
        let lead: usize = w.iter().map(|x| x + 2).sum::<usize>() + 1;
        // Too narrow for the figures beside the expectations: they go below.
        let beside = width >= lead + 30;
        let exp_w = if beside {
            width - lead
        } else {
            width.saturating_sub(4)
        };
        let cells = |r: &Figures| {
            format!(
                " {}  {}  {}  {}  {}  {}  ",
                pad(&r.step, w[0], false),
                pad(&r.op, w[1], false),
                pad(&r.time, w[2], true),
                pad(&r.syscalls, w[3], true),
                pad(&r.faults, w[4], true),
                pad(&r.dirty, w[5], true),
            )
        };
        let mut out = Vec::new();
        let mut heading = cells(&heads);
        if beside {
            heading.push_str(t!(lang, "lecture.col_expectations"));
            out.push(Line::styled(heading, t.title));
        } else {
            out.push(Line::styled(heading, t.title));
            out.push(Line::styled(
                format!("    {}", t!(lang, "lecture.col_expectations")),
                t.title,
            ));
        }
        let (mut held, mut total, mut unjudged) = (0usize, 0usize, 0usize);
        for (i, (row, step)) in rows.iter().zip(run.plan.steps()).enumerate() {
            let view = &run.steps[i];
            let report = view.report.as_ref();
            let mut right: Vec<(Span<'static>, String, Style)> = Vec::new();
            for (n, e) in step.expect.iter().enumerate() {
                total += 1;
                let (key, rule) = (e.key.as_str(), e.rule.to_string());
                match report.and_then(|r| r.expect.get(n)) {
                    // Ended early: neither held nor not; out of the count.
                    Some(r) if r.not_judged => {
                        total -= 1;
                        unjudged += 1;
                        right.push((
                            Span::styled("– ", t.muted),
                            format!(
                                "{} — {}",
                                figures::expectation(key, &rule, r.actual, lang),
                                figures::not_judged(
                                    report.and_then(|r| r.ended_early_ns).unwrap_or_default(),
                                    lang
                                )
                            ),
                            t.muted,
                        ));
                    }
                    Some(r) => {
                        held += usize::from(r.ok);
                        right.push((
                            if r.ok {
                                Span::styled("✓ ", t.ok)
                            } else {
                                Span::styled("✗ ", t.fail)
                            },
                            figures::expectation(key, &rule, r.actual, lang),
                            t.measured,
                        ));
                    }
                    None => right.push((
                        Span::styled("· ", t.muted),
                        figures::pending(key, &rule, lang),
                        t.muted,
                    )),
                }
            }
            match &view.state {
                StepState::Failed(e) => {
                    right.push((Span::styled("✗ ", t.fail), safe(e).into_owned(), t.error));
                }
                StepState::Pending => right.push((
                    Span::styled("· ", t.muted),
                    t!(lang, "lecture.not_run").to_string(),
                    t.muted,
                )),
                _ => {}
            }
            let figures_style = if view.report.is_some() {
                Style::new()
            } else {
                t.muted
            };
            let mut parts: Vec<Line<'static>> = Vec::new();
            for (mark, text, style) in right {
                for (k, part) in wrap(&text, exp_w.saturating_sub(2)).into_iter().enumerate() {
                    let m = if k == 0 {
                        mark.clone()
                    } else {
                        Span::raw("  ")
                    };
                    parts.push(Line::from(vec![m, Span::styled(part, style)]));
                }
            }
            if beside {
                let blank = " ".repeat(lead);
                let mut first = true;
                if parts.is_empty() {
                    out.push(Line::styled(cells(row), figures_style));
                }
                for p in parts {
                    let left = if first {
                        Span::styled(cells(row), figures_style)
                    } else {
                        Span::raw(blank.clone())
                    };
                    first = false;
                    let mut spans = vec![left];
                    spans.extend(p.spans);
                    out.push(Line::from(spans));
                }
            } else {
                out.push(Line::styled(cells(row), figures_style));
                for p in parts {
                    let mut spans = vec![Span::raw("    ")];
                    spans.extend(p.spans);
                    out.push(Line::from(spans));
                }
            }
        }
        out.push(Line::raw(""));
        let verdict = if unjudged > 0 {
            t!(
                lang,
                "lecture.held_not_judged",
                n = held,
                m = total,
                k = unjudged
            )
        } else {
            t!(lang, "lecture.held", n = held, m = total)
        };
        let (mark, style) = if held == total && !run.failed() {
            ("✓", t.ok)
        } else {
            ("✗", t.fail)
        };
        out.push(Line::styled(format!(" {mark} {verdict}"), style));
        let lesson = t!(
            lang,
            "lecture.the_lesson",
            text = sanitize(run.plan.meta().summary.get(lang), Newlines::Keep)
        );
        for l in wrap(&lesson, width.saturating_sub(2)) {
            out.push(Line::raw(format!(" {l}")));
        }
        out.push(Line::styled(
            format!(" {}", t!(lang, "lecture.summary_keys")),
            t.muted,
        ));
        out
    }
}

impl Widget for &Summary<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let title = Line::from(vec![Span::styled(
            format!(
                " {} · {} ",
                t!(v.lang, "lecture.summary"),
                safe(v.run.plan.meta().title.get(v.lang))
            ),
            v.theme.title,
        )]);
        let block = panel_block(title, true, v.theme);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let lines = self.lines(inner.width as usize);
        let rows = inner.height as usize;
        // Longer than the screen: scrolled (PgDn), the verdict kept in view.
        let skip = (v.run.scroll as usize).min(lines.len().saturating_sub(rows));
        for (row, l) in lines.iter().skip(skip).take(rows).enumerate() {
            buf.set_line(inner.x, inner.y + row as u16, l, inner.width);
        }
    }
}
