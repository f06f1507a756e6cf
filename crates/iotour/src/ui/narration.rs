//! What the lecturer reads: the step's `say` text in the chosen language, the
//! Java API and call chain, the predict-mode question, and each expectation
//! with its measured value and ✓/✗ once the step is done. A worker error
//! shows here as its own red box, and the program stays usable; a skipped
//! step (this machine lacks what it needs) as its own box with the reason.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::text::wrap;
use super::{View, panel_block};
use crate::app::run::StepState;
use crate::figures;
use crate::sanitize::{Newlines, safe, sanitize};

pub struct Narration<'a> {
    pub view: View<'a>,
    pub focused: bool,
}

impl Narration<'_> {
    /// The step to narrate: the one held for a prediction, else the one
    /// running or last run, else the first.
    fn step_index(&self) -> Option<usize> {
        let run = self.view.run;
        if run.plan.steps().is_empty() {
            return None;
        }
        Some(run.gate.or(run.current).unwrap_or(1))
    }

    /// The reason the run or the narrated step failed, if it did, or why
    /// the narrated step was skipped (`true`).
    fn failure(&self, index: Option<usize>) -> Option<(String, bool)> {
        let run = self.view.run;
        if let Some(e) = &run.failure {
            return Some((safe(&format!("{e:#}")).into_owned(), false));
        }
        let i = index?;
        let (word, why, skipped) = match &run.steps.get(i - 1)?.state {
            StepState::Failed(e) => (t!(self.view.lang, "narration.failed"), e, false),
            StepState::Skipped(k) => (t!(self.view.lang, "narration.skipped"), k, true),
            _ => return None,
        };
        Some((
            format!(
                "{} {i} ({}) {word}: {}",
                t!(self.view.lang, "narration.step"),
                run.plan.steps()[i - 1].op.name(),
                safe(why),
            ),
            skipped,
        ))
    }
}

impl Widget for &Narration<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let run = v.run;
        let index = self.step_index();
        let mut title = vec![Span::styled(
            format!(" {} ", t!(v.lang, "narration.narration")),
            t.title,
        )];
        if let Some(i) = index {
            title.push(Span::styled(
                format!(
                    "· {} {i}/{}: {} ",
                    t!(v.lang, "narration.step"),
                    run.plan.steps().len(),
                    run.plan.steps()[i - 1].op.name()
                ),
                t.title,
            ));
        }
        let block = panel_block(Line::from(title), self.focused, t);
        let mut inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        if let Some((err, skipped)) = self.failure(index) {
            let w = inner.width.saturating_sub(2) as usize;
            let (text_style, border, title) = if skipped {
                (
                    t.paused,
                    t.paused,
                    format!(" – {} ", t!(v.lang, "narration.skipped")),
                )
            } else {
                (
                    t.error,
                    t.fail,
                    format!(" ✗ {} ", t!(v.lang, "narration.error")),
                )
            };
            let lines: Vec<Line> = wrap(&err, w)
                .into_iter()
                .map(|l| Line::styled(l, text_style))
                .collect();
            let h = (lines.len() as u16 + 2).min(inner.height);
            let [err_area, rest] = inner.layout(&Layout::vertical([
                Constraint::Length(h),
                Constraint::Fill(1),
            ]));
            let err_block = Block::new()
                .borders(Borders::ALL)
                .border_style(border)
                .title(Span::styled(title, border));
            Paragraph::new(lines).block(err_block).render(err_area, buf);
            inner = rest;
        }
        let Some(i) = index else {
            return;
        };
        let width = inner.width as usize;
        let rows = inner.height as usize;
        let more = |n: usize| {
            Line::styled(
                format!("… {n} {}", t!(v.lang, "narration.more_lines_tab_to_the")),
                t.muted,
            )
        };
        let lines = fit(self.lines(i, width), rows, more);
        for (row, l) in lines.iter().take(rows).enumerate() {
            buf.set_line(inner.x, inner.y + row as u16, l, inner.width);
        }
    }
}

/// How much a narration line matters when rows are short.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Priority {
    /// The Java API and call chain: context, read again on the narration tab.
    Context,
    /// The question, the say text, hidden expectations and model notes.
    Essential,
    /// A done step's expectation with its value and ✓/✗: the lesson's answer.
    Result,
}

/// Fits the lines into `rows`: drops context lines first (call chain, then
/// Java); if still too many, keeps every result line at the bottom and cuts
/// the rest, saying with `more(n)` how many lines are not shown.
fn fit(
    mut lines: Vec<(Line<'static>, Priority)>,
    rows: usize,
    more: impl Fn(usize) -> Line<'static>,
) -> Vec<Line<'static>> {
    while lines.len() > rows {
        match lines.iter().rposition(|(_, p)| *p == Priority::Context) {
            Some(at) => {
                lines.remove(at);
            }
            None => break,
        }
    }
    if lines.len() <= rows || rows < 2 {
        return lines.into_iter().map(|(l, _)| l).collect();
    }
    let total = lines.len();
    let (results, rest): (Vec<_>, Vec<_>) =
        lines.into_iter().partition(|(_, p)| *p == Priority::Result);
    let results: Vec<_> = results.into_iter().take(rows - 1).collect();
    let keep = rows - 1 - results.len();
    let mut out: Vec<Line<'static>> = rest.into_iter().take(keep).map(|(l, _)| l).collect();
    out.push(more(total - keep - results.len()));
    out.extend(results.into_iter().map(|(l, _)| l));
    out
}

impl Narration<'_> {
    #[allow(
        clippy::too_many_lines,
        reason = "the narration in reading order: question, say, context, expectations, notes"
    )]
    fn lines(&self, i: usize, width: usize) -> Vec<(Line<'static>, Priority)> {
        let v = &self.view;
        let t = v.theme;
        let run = v.run;
        let step = &run.plan.steps()[i - 1];
        let hidden = run.hidden(i, v.predict);
        let mut out: Vec<Line<'static>> = Vec::new();
        let wrapped = |text: &str, style: Style, out: &mut Vec<Line<'static>>| {
            for l in wrap(text, width) {
                out.push(Line::styled(l, style));
            }
        };
        let mut context: Vec<Line<'static>> = Vec::new();
        if let (true, Some(ask)) = (v.predict, &step.ask) {
            let q = format!(
                "? {}: {}",
                t!(v.lang, "narration.predict"),
                sanitize(ask.get(v.lang), Newlines::Keep)
            );
            wrapped(&q, t.question, &mut out);
            if run.gate == Some(i) {
                wrapped(
                    t!(v.lang, "narration.make_your_guess_then_press"),
                    t.muted,
                    &mut out,
                );
            } else if hidden {
                wrapped(
                    t!(v.lang, "narration.figures_hidden_until_the_step"),
                    t.muted,
                    &mut out,
                );
            }
        }
        if let Some(say) = &step.say {
            wrapped(
                &sanitize(say.get(v.lang), Newlines::Keep),
                Style::new(),
                &mut out,
            );
        }
        if let Some(java) = &run.plan.meta().java {
            wrapped(&format!("Java: {}", safe(java)), t.muted, &mut context);
        }
        if let Some(calls) = &step.calls {
            wrapped(
                &format!("{}: {}", t!(v.lang, "narration.calls"), safe(calls)),
                t.muted,
                &mut context,
            );
        }
        let mut essential = std::mem::take(&mut out);
        let view = &run.steps[i - 1];
        let report = view.report.as_ref();
        let mut expectations: Vec<(Line<'static>, Priority)> = Vec::new();
        for (n, e) in step.expect.iter().enumerate() {
            let (key, rule) = (e.key.as_str(), e.rule.to_string());
            // The mark, then the expectation in words, wrapped under itself.
            let (mark, text, style, priority) = match report.and_then(|r| r.expect.get(n)) {
                // While hidden, the rule's number would give the answer away.
                _ if hidden => (
                    Span::styled("?", t.question),
                    format!(
                        "{}: {}",
                        figures::name(e.key, v.lang),
                        t!(v.lang, "narration.hidden")
                    ),
                    t.question,
                    Priority::Essential,
                ),
                Some(r) if r.not_seen() => (
                    Span::styled("⚠", t.not_seen),
                    format!(
                        "{}; {}",
                        figures::expectation(key, &rule, r.actual, v.lang),
                        figures::not_seen(
                            e.soft.as_ref().map(|w| w.get(v.lang)).or(r.why.as_deref()),
                            v.lang
                        )
                    ),
                    t.measured,
                    Priority::Result,
                ),
                Some(r) => (
                    if r.ok {
                        Span::styled("✓", t.ok)
                    } else {
                        Span::styled("✗", t.fail)
                    },
                    figures::expectation(key, &rule, r.actual, v.lang),
                    t.measured,
                    Priority::Result,
                ),
                None => (
                    Span::styled("…", t.muted),
                    figures::pending(key, &rule, v.lang),
                    t.muted,
                    Priority::Essential,
                ),
            };
            for (k, part) in wrap(&text, width.saturating_sub(4)).into_iter().enumerate() {
                let lead = if k == 0 { mark.clone() } else { Span::raw(" ") };
                let line = Line::from(vec![
                    Span::raw("  "),
                    lead,
                    Span::raw(" "),
                    Span::styled(part, style),
                ]);
                expectations.push((line, priority));
            }
        }
        // Where the machine differs from the textbook path, the model says why.
        if !hidden {
            for note in report.iter().flat_map(|r| &r.modeled.notes) {
                let text = format!("{}: {}", t!(v.lang, "narration.model"), safe(note));
                wrapped(&text, t.modeled, &mut out);
            }
        }
        let mut lines: Vec<_> = essential
            .drain(..)
            .map(|l| (l, Priority::Essential))
            .collect();
        lines.extend(context.into_iter().map(|l| (l, Priority::Context)));
        lines.extend(expectations);
        lines.extend(out.into_iter().map(|l| (l, Priority::Essential)));
        lines
    }
}
