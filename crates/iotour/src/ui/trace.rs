//! Drawing the trace screen. Read-only: no clock, no kernel.
//!
//! ```text
//! ┌ iotour trace · cp a b · pid 4242 · perf · ▶ running 3.2 s · lost 0 ────────────┐ header
//! │ output → /tmp/iotour-trace-x.log · note…                                        │
//! ├ files (most dirty first) ───────────────────────┬ page cache: b ───────────────┤
//! │ CALLS READ WRITTEN CACHED DIRTY WB PEAK SYNCS PATH│ ████▓▓░░····                 │
//! ├ calls on b (newest last) ───────────────────────┼ data path (modeled) ─────────┤
//! │ 1.204 s  tid 4242  write fd 3  100 B  = 100  3 µs│ write: user → page cache CPU │
//! │                                                 ├ calls per 250 ms ────────────┤
//! │                                                 │ ▁▂▅█▇▃                         │
//! └ footer: keys ───────────────────────────────────┴──────────────────────────────┘
//! ```
//! Every path, name and command line came from the traced program and is
//! sanitized before it is drawn.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Sparkline, Table, TableState, Widget};

use super::inspect::{keep_tail, look};
use super::text::fit;
use super::{Theme, footer::Footer, panel_block};
use crate::app::action::TRACE_KEYS;
use crate::app::trace::{Phase, TraceState};
use crate::sanitize::safe;
use iotour_core::probe::pages::CellState;
use iotour_core::scenario::Lang;
use iotour_core::size::format_size;
use iotour_core::trace::{ExitStatus, SyscallEvent, syscall_table};
use unicode_width::UnicodeWidthStr;

/// What the trace screen draws from.
pub struct TraceView<'a> {
    pub state: &'a TraceState,
    pub lang: Lang,
    pub theme: &'a Theme,
}

/// Header, the top row (files, page map), the bottom row (calls, path and
/// rate), footer.
fn areas(area: Rect) -> [Rect; 6] {
    let [head, top, bottom, foot] = area.layout(&Layout::vertical([
        Constraint::Length(2),
        Constraint::Percentage(50),
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    let [files, map] = top.layout(&Layout::horizontal([
        Constraint::Percentage(68),
        Constraint::Fill(1),
    ]));
    let [calls, right] = bottom.layout(&Layout::horizontal([
        Constraint::Percentage(58),
        Constraint::Fill(1),
    ]));
    let [path, rate] = right.layout(&Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(5),
    ]));
    let _ = foot;
    [head, files, map, calls, path, rate]
}

/// The cells the page map panel holds on a screen of this size (one per
/// character inside its border).
pub fn map_cells(screen: Rect) -> usize {
    let [_, _, map, _, _, _] = areas(screen);
    let inside = map.width.saturating_sub(2) as usize * map.height.saturating_sub(3) as usize;
    inside.max(1)
}

impl Widget for &TraceView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [head, files, map, calls, path, rate] = areas(area);
        let foot = Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1);
        self.header(head, buf);
        self.files(files, buf);
        self.page_map(map, buf);
        self.calls(calls, buf);
        self.data_path(path, buf);
        self.rate(rate, buf);
        Footer {
            keys: TRACE_KEYS,
            theme: self.theme,
            lang: self.lang,
        }
        .render(foot, buf);
    }
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "?".into(), |v| v.to_string())
}

fn seconds(d: std::time::Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl TraceView<'_> {
    fn header(&self, area: Rect, buf: &mut Buffer) {
        let (s, t, lang) = (self.state, self.theme, self.lang);
        let report = s.shown();
        let command = if report.command.is_empty() {
            &s.setup.command
        } else {
            &report.command
        };
        let command: Vec<String> = command.iter().map(|a| safe(a).into_owned()).collect();
        // What runs and how it stands first; the command line gets what is
        // left, shortened, so the state is never cut.
        let mut status = Vec::new();
        if let Some(pid) = s.pid {
            status.push(Span::styled(format!("· pid {pid} "), t.muted));
        }
        if let Some(b) = s.backend {
            status.push(Span::styled(format!("· {} ", b.as_str()), t.badge));
        }
        let (state, style) = match s.phase {
            Phase::Starting => (t!(lang, "trace.starting").to_string(), t.muted),
            Phase::Running => (t!(lang, "trace.running", time = seconds(s.now)), t.running),
            Phase::Exited(ExitStatus::Code(0)) => (t!(lang, "trace.exited_ok").to_string(), t.ok),
            Phase::Exited(ExitStatus::Code(code)) => {
                (t!(lang, "trace.exited", code = code), t.fail)
            }
            Phase::Exited(ExitStatus::Signal(sig)) => (t!(lang, "trace.killed", sig = sig), t.fail),
            Phase::Detached => (t!(lang, "trace.detached").to_string(), t.muted),
            Phase::Failed => (t!(lang, "trace.failed").to_string(), t.error),
        };
        status.push(Span::styled(format!("· {state} "), style));
        if let Some(f) = &s.frozen {
            status.push(Span::styled(
                format!("· {} ", t!(lang, "trace.frozen", time = seconds(f.at))),
                t.paused,
            ));
        }
        let lost = report.lost_events;
        status.push(Span::styled(
            format!("· {} ", t!(lang, "trace.lost", n = lost)),
            if lost > 0 { t.fallback_badge } else { t.muted },
        ));
        let title = " iotour trace ";
        let used: usize = title.width() + status.iter().map(|sp| sp.content.width()).sum::<usize>();
        let room = (area.width as usize).saturating_sub(used + 3);
        let mut first = vec![
            Span::styled(title, t.title),
            Span::raw(format!("· {} ", fit(&command.join(" "), room.max(4)))),
        ];
        first.extend(status);
        buf.set_line(area.x, area.y, &Line::from(first), area.width);
        let mut second = Vec::new();
        if let Some(e) = &s.failure {
            second.push(Span::styled(format!(" {}", safe(e)), t.error));
        } else if s.setup.replay {
            second.push(Span::styled(
                format!(" {}", t!(lang, "trace.replay")),
                t.muted,
            ));
        } else if let Some(log) = &s.setup.log {
            let log = log.display().to_string();
            second.push(Span::styled(
                format!(" {}", t!(lang, "trace.output_to", path = safe(&log))),
                t.muted,
            ));
        }
        if let Some(note) = report.notes.first() {
            second.push(Span::styled(format!(" · {}", safe(note)), t.fallback_badge));
        }
        if area.height > 1 {
            buf.set_line(area.x, area.y + 1, &Line::from(second), area.width);
        }
    }

    fn files(&self, area: Rect, buf: &mut Buffer) {
        let (s, t, lang) = (self.state, self.theme, self.lang);
        let block = panel_block(
            Line::styled(format!(" {} ", t!(lang, "trace.files")), t.title),
            false,
            t,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let files = s.files();
        if files.is_empty() {
            Paragraph::new(t!(lang, "trace.no_files"))
                .style(t.muted)
                .render(inner, buf);
            return;
        }
        // Narrow: the read bytes and the peak give way, so the path keeps room.
        let wide = inner.width >= 96;
        let cols: &[(usize, bool)] = &[
            (6, true), // calls
            (9, wide), // read
            (9, true), // written
            (6, true), // cached
            (6, true), // dirty
            (5, true), // writeback
            (6, wide), // peak
            (5, true), // syncs
        ];
        let shown: Vec<usize> = cols.iter().filter(|c| c.1).map(|c| c.0).collect();
        let mut widths: Vec<Constraint> = shown
            .iter()
            .map(|w| Constraint::Length(*w as u16))
            .collect();
        widths.push(Constraint::Fill(1));
        let used: usize = shown.iter().sum::<usize>() + shown.len();
        let path_w = (inner.width as usize).saturating_sub(used);
        // Right-aligned by display width: a Chinese heading takes two columns a character.
        let right = |v: String, w: usize| format!("{}{v}", " ".repeat(w.saturating_sub(v.width())));
        let pick = |cells: [String; 8]| -> Vec<String> {
            cells
                .into_iter()
                .zip(cols)
                .filter(|(_, c)| c.1)
                .map(|(v, c)| right(v, c.0))
                .collect()
        };
        let mut head = pick([
            t!(lang, "trace.calls").into(),
            t!(lang, "trace.read").into(),
            t!(lang, "trace.written").into(),
            t!(lang, "trace.cached").into(),
            t!(lang, "trace.dirty").into(),
            t!(lang, "trace.wb").into(),
            t!(lang, "trace.peak").into(),
            t!(lang, "trace.syncs").into(),
        ]);
        head.push(t!(lang, "trace.path").into());
        let head = Row::new(head).style(t.title);
        let rows = files.iter().map(|f| {
            let calls: u64 = f.syscalls.values().sum();
            let mut row = pick([
                calls.to_string(),
                format_size(f.bytes_read),
                format_size(f.bytes_written),
                opt(f.cached_pages),
                opt(f.dirty_pages),
                opt(f.writeback_pages),
                opt(f.peak_dirty_pages),
                f.sync_calls.to_string(),
            ]);
            row.push(keep_tail(&safe(&f.path), path_w.max(8)));
            Row::new(row)
        });
        let table = Table::new(rows, widths)
            .header(head)
            .column_spacing(1)
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
        let mut state = TableState::new().with_selected(Some(s.selected));
        ratatui::widgets::StatefulWidget::render(table, inner, buf, &mut state);
    }

    fn page_map(&self, area: Rect, buf: &mut Buffer) {
        let (s, t, lang) = (self.state, self.theme, self.lang);
        let name = s.selected_path().map(|p| {
            let p = safe(&p).into_owned();
            keep_tail(&p, area.width.saturating_sub(20) as usize)
        });
        let title = match &name {
            Some(n) => t!(lang, "trace.page_cache_of", path = n),
            None => t!(lang, "trace.page_cache").to_string(),
        };
        let block = panel_block(Line::styled(format!(" {title} "), t.title), false, t);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let Some(view) = &s.map else {
            let why = if name.is_some() {
                t!(lang, "trace.measuring_map")
            } else {
                t!(lang, "trace.no_file_selected")
            };
            Paragraph::new(why).style(t.muted).render(inner, buf);
            return;
        };
        let cells = &view.map.cells;
        let width = inner.width as usize;
        let rows = inner.height.saturating_sub(1) as usize;
        for (i, &state) in cells.iter().take(width * rows).enumerate() {
            let (sym, mut style) = look(state, t);
            if s.pages.fresh_change(i, s.now).is_some() {
                style = style.patch(t.changed_cell);
            }
            let x = inner.x + (i % width) as u16;
            let y = inner.y + (i / width) as u16;
            buf[(x, y)].set_symbol(sym).set_style(style);
        }
        let legend: Vec<Span> = [
            (CellState::Dirty, t!(lang, "trace.dirty_cell")),
            (CellState::Writeback, t!(lang, "trace.writeback_cell")),
            (CellState::Clean, t!(lang, "trace.clean_cell")),
            (CellState::NotCached, t!(lang, "trace.not_cached_cell")),
        ]
        .into_iter()
        .flat_map(|(st, name)| {
            let (g, style) = look(st, t);
            [
                Span::styled(g, style),
                Span::styled(format!(" {name} "), t.muted),
            ]
        })
        .collect();
        buf.set_line(
            inner.x,
            inner.bottom() - 1,
            &Line::from(legend),
            inner.width,
        );
    }

    fn calls(&self, area: Rect, buf: &mut Buffer) {
        let (s, t, lang) = (self.state, self.theme, self.lang);
        let block = panel_block(
            Line::styled(format!(" {} ", t!(lang, "trace.recent_calls")), t.title),
            false,
            t,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let Some(path) = s.selected_path() else {
            return;
        };
        let limit = s.frozen.as_ref().map(|f| f.at);
        let lines: Vec<Line> = s
            .calls
            .get(&path)
            .map(|log| {
                log.iter()
                    .filter(|c| limit.is_none_or(|l| c.start <= l))
                    .map(|c| call_line(c, t))
                    .collect()
            })
            .unwrap_or_default();
        let skip = lines.len().saturating_sub(inner.height as usize);
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).render(inner, buf);
    }

    /// The copy path of each kind of call seen, as the model has it.
    fn data_path(&self, area: Rect, buf: &mut Buffer) {
        let (s, t, lang) = (self.state, self.theme, self.lang);
        let block = panel_block(
            Line::from(vec![
                Span::styled(format!(" {} ", t!(lang, "trace.data_path")), t.title),
                Span::styled(format!("{} ", t!(lang, "trace.modeled")), t.modeled),
            ]),
            false,
            t,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let seen = &s.shown().syscalls;
        let any = |names: &[&str]| names.iter().any(|n| seen.contains_key(n));
        let mut lines = Vec::new();
        let mut push = |show: bool, key: &'static str, style: Style| {
            if show {
                lines.push(Line::styled(crate::i18n::text(lang, key), style));
            }
        };
        push(
            any(&["write", "pwrite64", "writev", "pwritev", "pwritev2"]),
            crate::k!("trace.path_write"),
            t.cpu_copy,
        );
        push(
            any(&["read", "pread64", "readv", "preadv", "preadv2"]),
            crate::k!("trace.path_read"),
            t.cpu_copy,
        );
        push(
            any(&["fsync", "fdatasync", "sync_file_range", "msync", "syncfs"]),
            crate::k!("trace.path_sync"),
            t.dma_copy,
        );
        push(any(&["mmap"]), crate::k!("trace.path_mmap"), t.page_fault);
        push(
            any(&["sendfile", "splice", "copy_file_range", "tee"]),
            crate::k!("trace.path_zero_copy"),
            t.dma_copy,
        );
        if lines.is_empty() {
            lines.push(Line::styled(t!(lang, "trace.path_none"), t.muted));
        }
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .render(inner, buf);
    }

    fn rate(&self, area: Rect, buf: &mut Buffer) {
        let (s, t, lang) = (self.state, self.theme, self.lang);
        let peak = s.rate.iter().copied().max().unwrap_or(0);
        let block = panel_block(
            Line::styled(
                format!(" {} ", t!(lang, "trace.calls_per_bucket", peak = peak)),
                t.title,
            ),
            false,
            t,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let n = inner.width as usize;
        let data: Vec<u64> = s.rate.iter().rev().take(n).rev().copied().collect();
        Sparkline::default()
            .data(&data)
            .style(t.kernel_mode)
            .render(inner, buf);
    }
}

/// One call as the log shows it: time, thread, name, descriptor, bytes,
/// result, duration.
fn call_line(c: &SyscallEvent, t: &Theme) -> Line<'static> {
    let ret = match c.ret {
        Some(r) if r < 0 => format!("= -{}", syscall_errno(-r)),
        Some(r) => format!("= {r}"),
        None => "…".into(),
    };
    let took = c
        .duration
        .map(|d| {
            super::super::report::table::duration(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        })
        .unwrap_or_default();
    let fd = c.fd.map(|fd| format!(" fd {fd}")).unwrap_or_default();
    let bytes = c
        .bytes
        .map(|b| format!("  {}", format_size(b)))
        .unwrap_or_default();
    let kind = if syscall_table::is_sync(c.nr) {
        t.dma_copy
    } else {
        t.kernel_mode
    };
    Line::from(vec![
        Span::styled(format!("{:>9.3} s ", c.start.as_secs_f64()), t.muted),
        Span::styled(format!("tid {:<7} ", c.tid), t.muted),
        Span::styled(c.name, kind),
        Span::raw(format!("{fd}{bytes} {ret} ")),
        Span::styled(took, t.muted),
    ])
}

/// A negative return value as its errno name where the C library knows it.
fn syscall_errno(e: i64) -> String {
    std::io::Error::from_raw_os_error(i32::try_from(e).unwrap_or(i32::MAX)).to_string()
}
