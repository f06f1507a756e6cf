//! The data path: boxes for the places the scenario's data passes through,
//! user space above the user/kernel line and hardware below, one line per
//! copy edge labelled CPU copy or DMA with its running byte total, and pulses
//! travelling each edge as slices report copies. All of it is modeled.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use super::text::fit;
use super::{View, panel_block};
use crate::app::flow::{EdgeKey, EdgeView, PULSE};
use iotour_core::model::{CopyKind, Place};
use iotour_core::size::format_size as bytes;

mod route;

use route::{Boxes, Route, arrow, layout, line_symbol, route};

pub struct DataPath<'a> {
    pub view: View<'a>,
    pub focused: bool,
}

/// Rows needed with one-line boxes: three bands and two three-row gaps.
const MIN_ROWS: u16 = 9;

impl Widget for &DataPath<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let run = v.run;
        let hidden = run.current.is_some_and(|i| run.hidden(i, v.predict));
        let (cpu, dma) = run.flow.step_copies();
        let mut title = vec![
            Span::styled(format!(" {} ", t!(v.lang, "data_path.data_path")), t.title),
            Span::styled(t!(v.lang, "data_path.modeled"), t.modeled),
        ];
        if cpu + dma > 0 {
            let n = if hidden {
                "? ".to_string()
            } else {
                format!("{} ", cpu + dma)
            };
            title.push(Span::styled(
                format!(
                    "· {}{} ({} CPU, {} DMA) ",
                    n,
                    match (cpu + dma, hidden) {
                        (1, false) => t!(v.lang, "data_path.copy_this_step"),
                        _ => t!(v.lang, "data_path.copies_this_step"),
                    },
                    if hidden { "?".into() } else { cpu.to_string() },
                    if hidden { "?".into() } else { dma.to_string() },
                ),
                t.measured,
            ));
        }
        let block = panel_block(Line::from(title), self.focused, t);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        if run.flow.places.is_empty() {
            Line::styled(t!(v.lang, "data_path.this_scenario_moves_no_data"), t.muted)
                .render(inner, buf);
            return;
        }
        if inner.height < MIN_ROWS || inner.width < 30 {
            self.as_list(inner, buf, hidden);
            return;
        }
        let boxes = layout(inner, self.has_network());
        self.boundaries(&boxes, buf);
        for (key, edge) in &run.flow.edges {
            if let Some(route) = route(&boxes, *key) {
                draw_edge(&route, *key, edge, hidden, v, inner, buf);
            }
        }
        for p in Place::ALL {
            if run.flow.places.contains(&p) {
                draw_box(
                    boxes.of(p).intersection(inner),
                    place_name(p, v.lang),
                    t.place,
                    buf,
                );
            }
        }
        // Spare rows below the diagram: the step's path as one chain, and
        // on the last row what the block layer measured (root).
        let mut bottom = inner.y + inner.height;
        if let Some(line) = self.device_line(hidden)
            && bottom > boxes.disk.y + boxes.disk.height + 1
        {
            bottom -= 1;
            buf.set_line(inner.x, bottom, &line, inner.width);
        }
        let used = boxes.disk.y + boxes.disk.height + 1;
        if used < bottom {
            let area = Rect::new(inner.x, used, inner.width, bottom - used);
            self.chain_line(area, buf);
        }
    }
}

impl DataPath<'_> {
    /// The device writes the block layer saw for the step on screen (the
    /// `block:block_bio_queue` tracepoint, root only): the measured side of
    /// the modeled DMA edge. `None` when not measured or still hidden.
    fn device_line(&self, hidden: bool) -> Option<Line<'static>> {
        let v = &self.view;
        let run = v.run;
        let step = run.steps.get(run.current?.checked_sub(1)?)?;
        let m = &step.report.as_ref()?.measured;
        let data = m.disk_write_bytes?;
        if hidden {
            return None;
        }
        let text = t!(
            v.lang,
            "data_path.measured_device",
            data = bytes(data),
            journal = m.journal_write_bytes.map_or_else(|| "?".into(), bytes)
        );
        Some(Line::styled(text, v.theme.measured))
    }

    fn has_network(&self) -> bool {
        let places = &self.view.run.flow.places;
        places.contains(&Place::SocketBuffer) || places.contains(&Place::Nic)
    }

    fn boundaries(&self, b: &Boxes, buf: &mut Buffer) {
        let t = self.view.theme;
        let lang = self.view.lang;
        for (y, upper, lower) in [
            (
                b.user_line,
                t!(lang, "data_path.user"),
                t!(lang, "data_path.kernel"),
            ),
            (
                b.hw_line,
                t!(lang, "data_path.kernel"),
                t!(lang, "data_path.hardware"),
            ),
        ] {
            for x in b.left..b.right {
                buf[(x, y)].set_symbol("╌").set_style(t.boundary);
            }
            let label = format!(" ↑{upper} ↓{lower} ");
            let w = unicode_width::UnicodeWidthStr::width(label.as_str()) as u16;
            if b.right - b.left > w {
                buf.set_string(b.right - w, y, label, t.boundary);
            }
        }
    }

    /// "disk ─DMA→ page cache ─CPU→ user buffer …": the current step's copies
    /// in order, when they form one path (they do for every op of the model).
    fn chain_line(&self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let active: Vec<&EdgeKey> = v
            .run
            .flow
            .edges
            .iter()
            .filter(|(_, e)| e.step > 0)
            .map(|(k, _)| k)
            .collect();
        let Some(start) = active
            .iter()
            .map(|k| k.from)
            .find(|p| !active.iter().any(|k| k.to == *p))
        else {
            return;
        };
        let mut spans = vec![
            Span::styled("▸ ", v.theme.muted),
            Span::styled(place_name(start, v.lang), v.theme.place),
        ];
        let mut at = start;
        for _ in 0..active.len() {
            let Some(k) = active.iter().find(|k| k.from == at) else {
                break;
            };
            let (style, kind) = edge_style(k.kind, v);
            let kind = match k.kind {
                CopyKind::Cpu => "CPU",
                CopyKind::Dma => kind,
            };
            spans.push(Span::styled(format!(" ─{kind}→ "), style));
            spans.push(Span::styled(place_name(k.to, v.lang), v.theme.place));
            at = k.to;
        }
        let line = Line::from(spans);
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        for (i, row) in super::text::wrap(&text, area.width as usize)
            .iter()
            .take(area.height as usize)
            .enumerate()
        {
            buf.set_string(area.x, area.y + i as u16, row, v.theme.muted);
        }
        if area.height > 0
            && unicode_width::UnicodeWidthStr::width(text.as_str()) <= area.width as usize
        {
            // Fits on one line: draw it again with the edge colours.
            buf.set_line(area.x, area.y, &line, area.width);
        }
    }

    /// A small panel: the edges as text, still labelled and totalled.
    fn as_list(&self, area: Rect, buf: &mut Buffer, hidden: bool) {
        let v = &self.view;
        let mut lines = Vec::new();
        for (k, e) in &v.run.flow.edges {
            let (style, kind) = edge_style(k.kind, v);
            let total = if hidden { "?".into() } else { bytes(e.total) };
            let moving = if e.pulses.is_empty() { "  " } else { "● " };
            lines.push(Line::from(vec![
                Span::styled(moving, v.theme.pulse),
                Span::raw(format!(
                    "{} → {} ",
                    place_name(k.from, v.lang),
                    place_name(k.to, v.lang)
                )),
                Span::styled(format!("{kind} {total}"), style),
            ]));
        }
        if lines.is_empty() {
            lines.push(Line::styled(
                t!(v.lang, "data_path.no_copies_yet"),
                v.theme.muted,
            ));
        }
        lines.extend(self.device_line(hidden));
        for (i, l) in lines.iter().take(area.height as usize).enumerate() {
            buf.set_line(area.x, area.y + i as u16, l, area.width);
        }
    }
}

fn place_name(p: Place, lang: iotour_core::scenario::Lang) -> &'static str {
    match p {
        Place::Disk => t!(lang, "data_path.disk"),
        Place::PageCache => t!(lang, "data_path.page_cache"),
        Place::UserBuffer => t!(lang, "data_path.user_buffer"),
        Place::SocketBuffer => t!(lang, "data_path.socket_buffer"),
        Place::Nic => t!(lang, "data_path.nic"),
    }
}

fn edge_style(kind: CopyKind, v: &View) -> (Style, &'static str) {
    match kind {
        CopyKind::Cpu => (v.theme.cpu_copy, t!(v.lang, "data_path.cpu_copy")),
        CopyKind::Dma => (v.theme.dma_copy, "DMA"),
    }
}

fn draw_box(r: Rect, name: &str, style: Style, buf: &mut Buffer) {
    let r = r.intersection(buf.area);
    if r.is_empty() {
        return;
    }
    ratatui::widgets::Clear.render(r, buf);
    if r.height >= 3 {
        Block::new()
            .borders(Borders::ALL)
            .border_style(style)
            .render(r, buf);
        let label = fit(name, r.width.saturating_sub(2) as usize);
        let w = unicode_width::UnicodeWidthStr::width(label.as_str()) as u16;
        buf.set_string(r.x + (r.width - w) / 2, r.y + 1, label, style);
    } else {
        let label = fit(&format!("[{name}]"), r.width as usize);
        let w = unicode_width::UnicodeWidthStr::width(label.as_str()) as u16;
        for x in r.x..r.x + r.width {
            buf[(x, r.y)].set_symbol(" ");
        }
        buf.set_string(r.x + (r.width - w) / 2, r.y, label, style);
    }
}

#[allow(
    clippy::many_single_char_names,
    reason = "k, e, v: the edge key, its view, the run view"
)]
fn draw_edge(
    route: &Route,
    k: EdgeKey,
    e: &EdgeView,
    hidden: bool,
    v: &View,
    clip: Rect,
    buf: &mut Buffer,
) {
    let (style, kind) = edge_style(k.kind, v);
    // Edges the current step does not use fade, so its own path stands out.
    let style = if e.step == 0 {
        style.patch(v.theme.muted)
    } else {
        style
    };
    // Clip to the panel, not the buffer: a label must not spill into a neighbour.
    let area = clip.intersection(buf.area);
    let inside = |(x, y): (u16, u16)| {
        (area.x..area.x + area.width).contains(&x) && (area.y..area.y + area.height).contains(&y)
    };
    let n = route.cells.len();
    for (i, &cell) in route.cells.iter().enumerate() {
        if !inside(cell) {
            continue;
        }
        let prev = i.checked_sub(1).map(|j| route.cells[j]);
        let next = route.cells.get(i + 1).copied();
        let sym = if i + 1 == n {
            arrow(prev.unwrap_or(cell), cell)
        } else {
            line_symbol(prev, cell, next)
        };
        buf[cell].set_symbol(sym).set_style(style);
    }
    // Pulses: where each copy in flight has got to along the edge.
    for &start in &e.pulses {
        let age = v.run.now.saturating_sub(start).as_secs_f64() / PULSE.as_secs_f64();
        if age >= 1.0 || n == 0 {
            continue;
        }
        let i = ((age * n as f64) as usize).min(n - 1);
        if inside(route.cells[i]) {
            buf[route.cells[i]].set_symbol("●").set_style(v.theme.pulse);
        }
    }
    let total = if hidden {
        "?".to_string()
    } else {
        bytes(e.total)
    };
    let (lx, ly) = route.label;
    if inside((lx, ly)) {
        let max = (area.x + area.width).saturating_sub(lx);
        let max = route.label_max.map_or(max, |m| m.min(max)) as usize;
        // The arrow says which of two parallel lines the label belongs to.
        let dir = arrow(route.cells[n.saturating_sub(2)], route.cells[n - 1]);
        let dir = match dir {
            "▲" => "↑",
            "▼" => "↓",
            "▶" => "→",
            _ => "←",
        };
        // A horizontal edge's gap is narrow: "CPU" says enough there.
        let kind = match (route.label_max, k.kind) {
            (Some(_), CopyKind::Cpu) => "CPU",
            _ => kind,
        };
        let label = fit(&format!("{dir} {kind} {total}"), max);
        buf.set_string(lx, ly, label, style);
    }
}
