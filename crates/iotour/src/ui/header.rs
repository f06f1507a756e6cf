//! Two lines at the top: what runs and how (title, step, state, speed), and
//! where each figure comes from (a badge per measurement source; a fallback
//! in the warning style, so a class knows which numbers are weaker).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use unicode_width::UnicodeWidthStr;

use super::View;
use super::text::fit;
use crate::app::Status;
use crate::app::run::Viewing;
use crate::sanitize::safe;

pub struct Header<'a> {
    pub view: View<'a>,
}

/// The preferred source of each family; anything else is a fallback.
const PREFERRED: [(&str, &str); 6] = [
    ("syscalls", "tracepoint"),
    ("faults", "rusage"),
    ("ctx", "rusage"),
    ("io", "procfs"),
    ("pages", "cachestat"),
    ("system", "meminfo"),
];

/// Filesystems whose pages live only in memory: nothing is ever dirty
/// against a disk, and fsync writes nothing.
fn memory_backed(name: &str) -> bool {
    matches!(name, "tmpfs" | "ramfs" | "hugetlbfs" | "devtmpfs")
}

impl Widget for &Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let run = v.run;
        if area.is_empty() {
            return;
        }
        let reviewing = matches!(run.viewing, Viewing::Step(_));
        let (state, style) = match &run.status {
            _ if reviewing => (t!(v.lang, "lecture.reviewing"), t.paused),
            Status::Paused if run.finishing => (t!(v.lang, "lecture.finishing"), t.running),
            Status::Paused if run.reveal.is_some() => (t!(v.lang, "lecture.answer"), t.question),
            Status::Running if run.reading_until.is_some() => {
                (t!(v.lang, "lecture.reading"), t.running)
            }
            Status::Starting => (t!(v.lang, "header.starting"), t.muted),
            Status::Running => (t!(v.lang, "header.running"), t.running),
            Status::Paused if run.gate.is_some() => (t!(v.lang, "header.predict"), t.question),
            Status::Paused => (t!(v.lang, "header.paused"), t.paused),
            Status::Done { ok: true } => (t!(v.lang, "header.done"), t.ok),
            Status::Done { ok: false } => (t!(v.lang, "header.done_an_expectation_failed"), t.fail),
            Status::Failed => (t!(v.lang, "header.failed"), t.fail),
            Status::Skipped => (t!(v.lang, "header.skipped"), t.paused),
        };
        let n = run.plan.steps().len();
        // Held before a question, the header names the step about to run.
        let step = match run.gate.or(run.current) {
            Some(i) => {
                let op = run.plan.steps()[i - 1].op.name();
                let pct = run
                    .progress()
                    .filter(|_| run.current == Some(i))
                    .map(|(d, tot)| format!(" {}%", d * 100 / tot.max(1)))
                    .unwrap_or_default();
                format!("{} {i}/{n} {op}{pct}", t!(v.lang, "header.step"))
            }
            None => format!("{} –/{n}", t!(v.lang, "header.step")),
        };
        let separator = || Span::styled(" │ ", t.muted);
        let mut rest = vec![
            separator(),
            Span::raw(step),
            separator(),
            Span::styled(state, style),
            separator(),
            Span::raw(format!(
                "{} {}",
                t!(v.lang, "header.speed"),
                run.speed.label()
            )),
        ];
        if run.predict_pending(v.predict) {
            rest.push(separator());
            rest.push(Span::styled(
                t!(v.lang, "lecture.predict_from", n = run.predict_from),
                t.question,
            ));
        } else if v.predict && run.gate.is_none() {
            // Held at a question, the state already says "predict".
            rest.push(separator());
            rest.push(Span::styled(t!(v.lang, "header.predict_2"), t.question));
        }
        // The state never is cut: a long title is shortened first.
        let lead = " iotour · ";
        let used: usize = lead.width() + rest.iter().map(Span::width).sum::<usize>();
        let room = (area.width as usize).saturating_sub(used);
        let title = fit(&safe(run.plan.meta().title.get(v.lang)), room.max(4));
        let mut top = vec![Span::styled(lead, t.muted), Span::styled(title, t.title)];
        top.extend(rest);
        buf.set_line(area.x, area.y, &Line::from(top), area.width);
        if area.height < 2 {
            return;
        }
        let mut badges = vec![Span::raw(" ")];
        match &run.environment {
            None => badges.push(Span::styled(
                t!(v.lang, "header.sources_not_known_yet"),
                t.muted,
            )),
            Some(env) => source_badges(&mut badges, env, v.lang, t),
        }
        fit_badges(&mut badges, area.width as usize);
        buf.set_line(area.x, area.y + 1, &Line::from(badges), area.width);
    }
}

/// Where each family of figures came from, one badge each: warnings first
/// (a narrow terminal still shows them), then the preferred sources.
fn source_badges(
    badges: &mut Vec<Span<'static>>,
    env: &iotour_core::outcome::Environment,
    lang: iotour_core::scenario::Lang,
    t: &super::Theme,
) {
    let s = &env.sources;
    let values = [
        &s.syscalls,
        &s.faults,
        &s.ctx_switches,
        &s.io,
        &s.pages,
        &s.system,
    ];
    // Warnings first, so a narrow terminal still shows them: a
    // filesystem in memory (no dirty pages, no real fsync: the
    // lesson would mislead), then the sources that fell back.
    let fs = Span::styled(format!("fs: {}", env.filesystem), t.badge);
    let mut good = Vec::new();
    if memory_backed(&env.filesystem) {
        badges.push(Span::styled(
            format!(
                "fs: {} {}",
                env.filesystem,
                t!(lang, "header.in_memory_no_disk")
            ),
            t.fallback_badge,
        ));
        badges.push(Span::raw("  "));
    } else {
        good.push(fs);
    }
    let mut preferred = Vec::new();
    for ((family, best), value) in PREFERRED.iter().zip(values) {
        let name = match *family {
            "syscalls" => t!(lang, "lecture.family_syscalls"),
            "faults" => t!(lang, "lecture.family_faults"),
            "ctx" => t!(lang, "lecture.family_ctx"),
            "io" => t!(lang, "lecture.family_io"),
            "pages" => t!(lang, "lecture.family_pages"),
            _ => t!(lang, "lecture.family_system"),
        };
        let badge = format!("{name}{}{value}", t!(lang, "lecture.colon"));
        if value == best {
            preferred.push(Span::styled(badge, t.badge));
        } else {
            badges.push(Span::styled(badge, t.fallback_badge));
            badges.push(Span::raw("  "));
        }
    }
    for b in preferred.into_iter().chain(good) {
        badges.push(b);
        badges.push(Span::raw("  "));
    }
    badges.pop();
}

/// Makes the badges fit `width`: first the gaps between them shrink to one
/// space, then whole badges go from the end (the preferred sources come
/// last) and the line says how many: a badge cut in half ("f") would read
/// as a source of its own.
fn fit_badges(badges: &mut Vec<Span<'static>>, width: usize) {
    let total = |b: &[Span<'static>]| b.iter().map(Span::width).sum::<usize>();
    if total(badges) <= width {
        return;
    }
    // [lead, badge, gap, badge, …, badge]: the gaps are the even indices.
    for gap in badges.iter_mut().skip(2).step_by(2) {
        *gap = Span::raw(" ");
    }
    let more = |n: usize| format!(" +{n}");
    let mut dropped = 0;
    while badges.len() > 2
        && total(badges) + more(dropped).width() * usize::from(dropped > 0) > width
    {
        badges.truncate(badges.len() - 2);
        dropped += 1;
    }
    if dropped > 0 {
        badges.push(Span::raw(more(dropped)));
    }
}
