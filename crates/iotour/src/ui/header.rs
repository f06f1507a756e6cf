//! Two lines at the top: what runs and how (title, step, state, speed), and
//! where each figure comes from (a badge per measurement source; a fallback
//! in the warning style, so a class knows which numbers are weaker).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::View;
use super::text::tr;
use crate::app::Status;

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
        let (state, style) = match &run.status {
            Status::Starting => (tr(v.lang, "… starting", "… 启动中"), t.muted),
            Status::Running => (tr(v.lang, "▶ running", "▶ 运行中"), t.running),
            Status::Paused if run.gate.is_some() => (tr(v.lang, "? predict", "? 预测"), t.question),
            Status::Paused => (tr(v.lang, "⏸ paused", "⏸ 已暂停"), t.paused),
            Status::Done { ok: true } => (tr(v.lang, "✓ done", "✓ 完成"), t.ok),
            Status::Done { ok: false } => (
                tr(
                    v.lang,
                    "✗ done, an expectation failed",
                    "✗ 完成，有预期未满足",
                ),
                t.fail,
            ),
            Status::Failed => (tr(v.lang, "✗ failed", "✗ 失败"), t.fail),
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
                format!("{} {i}/{n} {op}{pct}", tr(v.lang, "step", "步骤"))
            }
            None => format!("{} –/{n}", tr(v.lang, "step", "步骤")),
        };
        let sep = || Span::styled(" │ ", t.muted);
        let mut top = vec![
            Span::styled(" iotour · ", t.muted),
            Span::styled(run.plan.meta().title.get(v.lang).to_string(), t.title),
            sep(),
            Span::raw(step),
            sep(),
            Span::styled(state, style),
            sep(),
            Span::raw(format!(
                "{} {}",
                tr(v.lang, "speed", "速度"),
                run.speed.label()
            )),
        ];
        if v.predict {
            top.push(sep());
            top.push(Span::styled(tr(v.lang, "predict", "预测"), t.question));
        }
        buf.set_line(area.x, area.y, &Line::from(top), area.width);
        if area.height < 2 {
            return;
        }
        let mut badges = vec![Span::raw(" ")];
        match &run.environment {
            None => badges.push(Span::styled(
                tr(v.lang, "sources: not known yet", "数据源：尚未知"),
                t.muted,
            )),
            Some(env) => {
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
                            tr(v.lang, "(in memory, no disk)", "（在内存中，无磁盘）")
                        ),
                        t.fallback_badge,
                    ));
                    badges.push(Span::raw("  "));
                } else {
                    good.push(fs);
                }
                let mut preferred = Vec::new();
                for ((family, best), value) in PREFERRED.iter().zip(values) {
                    let badge = format!("{family}: {value}");
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
        }
        buf.set_line(area.x, area.y + 1, &Line::from(badges), area.width);
    }
}
