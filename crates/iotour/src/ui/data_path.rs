//! The data path: boxes for the places the scenario's data passes through,
//! user space above the user/kernel line and hardware below, one line per
//! copy edge labelled CPU copy or DMA with its running byte total, and pulses
//! travelling each edge as slices report copies. Legs that copy nothing have
//! their own looks: a page-reference leg is a double line (`═`) carrying
//! hollow marks (`◇`), labelled "page refs, 0 B copied"; a leg the machine
//! lacks (the NIC of a local socket) is a dotted line (`┊`) ending in `×`,
//! with its reason. All of it is modeled.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use super::text::fit;
use super::{View, panel_block};
use crate::app::flow::{EdgeKey, EdgeView, LegLook, LegView, PULSE};
use iotour_core::model::{CopyKind, Place};
use iotour_core::size::format_size as bytes;

mod leg;
mod route;

use leg::{absent_label, draw_leg};
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
        let title = self.title(area.width, hidden);
        let block = panel_block(title, self.focused, t);
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
            if self.leg_covers(*key) {
                continue;
            }
            if let Some(route) = route(&boxes, key.from, key.to) {
                draw_edge(&route, *key, edge, hidden, v, inner, buf);
            }
        }
        for p in Place::ALL {
            if run.flow.places.contains(&p) {
                // A place the path only reaches by an absent leg is drawn
                // faint: it is the textbook's, not this machine's.
                let style = if self.only_absent(p) {
                    t.place.patch(t.muted)
                } else {
                    t.place
                };
                draw_box(
                    boxes.of(p).intersection(inner),
                    place_name(p, v.lang),
                    style,
                    buf,
                );
            }
        }
        // After the boxes: a leg's label goes only where nothing is drawn.
        for (&(from, to), leg) in &run.flow.legs {
            if self.edge_covers(from, to, leg) {
                continue;
            }
            if let Some(route) = route(&boxes, from, to) {
                draw_leg(&route, &boxes, leg, v, inner, buf);
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
    /// "data path modeled · 1 copy this step (0 CPU, 1 DMA)".
    fn title(&self, width: u16, hidden: bool) -> Line<'static> {
        let v = &self.view;
        let t = v.theme;
        let run = v.run;
        let (cpu, dma) = run.flow.step_copies();
        // A step whose only leg is a page reference copied nothing: "0
        // copies" is its lesson, so the title says it.
        let refs_only = run
            .flow
            .legs
            .values()
            .any(|l| l.in_step && l.look == LegLook::Refs);
        let mut title = vec![
            Span::styled(format!(" {} ", t!(v.lang, "data_path.data_path")), t.title),
            Span::styled(t!(v.lang, "data_path.modeled"), t.modeled),
        ];
        if cpu + dma > 0 || refs_only {
            let n = if hidden {
                "? ".to_string()
            } else {
                format!("{} ", cpu + dma)
            };
            let one = cpu + dma == 1 && !hidden;
            let counts = |what: &str| {
                format!(
                    "· {n}{what} ({} CPU, {} DMA) ",
                    if hidden { "?".into() } else { cpu.to_string() },
                    if hidden { "?".into() } else { dma.to_string() },
                )
            };
            let long = counts(if one {
                t!(v.lang, "data_path.copy_this_step")
            } else {
                t!(v.lang, "data_path.copies_this_step")
            });
            // A narrow panel (100 columns: half the screen) keeps the
            // counts whole and drops "this step".
            let used: usize = title.iter().map(Span::width).sum();
            let text = if used + unicode_width::UnicodeWidthStr::width(long.as_str()) + 2
                > width as usize
            {
                counts(if one {
                    t!(v.lang, "data_path.copy")
                } else {
                    t!(v.lang, "data_path.copies")
                })
            } else {
                long
            };
            title.push(Span::styled(text, t.measured));
        }
        Line::from(title)
    }

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

    /// A copy edge and a leg between the same two places share one route
    /// (mmap_write's CPU copy and sendfile's references both run page
    /// cache → socket buffer): the one the current step has is drawn.
    /// The edge gives way to a leg of the current step...
    fn leg_covers(&self, k: EdgeKey) -> bool {
        let flow = &self.view.run.flow;
        let edge_now = flow.edges.get(&k).is_some_and(|e| e.step > 0);
        flow.legs
            .get(&(k.from, k.to))
            .is_some_and(|l| l.in_step && !edge_now)
    }

    /// ... and a leg to any edge, unless the leg is the current step's.
    fn edge_covers(&self, from: Place, to: Place, leg: &LegView) -> bool {
        let flow = &self.view.run.flow;
        let edge = flow
            .edges
            .iter()
            .find(|(k, _)| k.from == from && k.to == to);
        match edge {
            Some((_, e)) => e.step > 0 || !leg.in_step,
            None => false,
        }
    }

    /// `p` is reached only by absent legs (no copy edge, no reference).
    fn only_absent(&self, p: Place) -> bool {
        let flow = &self.view.run.flow;
        let absent = flow
            .legs
            .iter()
            .any(|(&(from, to), l)| matches!(l.look, LegLook::Absent(_)) && (from == p || to == p));
        let real = flow.edges.keys().any(|k| k.from == p || k.to == p)
            || flow
                .legs
                .iter()
                .any(|(&(from, to), l)| l.look == LegLook::Refs && (from == p || to == p));
        absent && !real
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

    /// "disk ─DMA→ page cache ═refs→ socket buffer ┊× no NIC: local
    /// socket": the current step's copies and legs in order, when they form
    /// one path (they do for every op of the model).
    fn chain_line(&self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let flow = &v.run.flow;
        // (from, to, link text, style, the destination is drawn)
        let mut active: Vec<(Place, Place, String, Style, bool)> = flow
            .edges
            .iter()
            .filter(|(_, e)| e.step > 0)
            .map(|(k, _)| {
                let (style, kind) = edge_style(k.kind, v);
                let kind = match k.kind {
                    CopyKind::Cpu => "CPU",
                    CopyKind::Dma => kind,
                };
                (k.from, k.to, format!(" ─{kind}→ "), style, true)
            })
            .collect();
        for (&(from, to), l) in flow.legs.iter().filter(|(_, l)| l.in_step) {
            if active.iter().any(|a| a.0 == from && a.1 == to) {
                continue;
            }
            let link = match l.look {
                LegLook::Refs => (
                    format!(" ═{}→ ", t!(v.lang, "data_path.refs_short")),
                    v.theme.modeled,
                    true,
                ),
                LegLook::Absent(why) => (
                    format!(" ┊× {}", absent_label(why, v)),
                    v.theme.muted,
                    false,
                ),
            };
            active.push((from, to, link.0, link.1, link.2));
        }
        let Some(start) = active
            .iter()
            .map(|a| a.0)
            .find(|p| !active.iter().any(|a| a.1 == *p))
        else {
            return;
        };
        let mut spans = vec![
            Span::styled("▸ ", v.theme.muted),
            Span::styled(place_name(start, v.lang), v.theme.place),
        ];
        let mut at = start;
        for _ in 0..active.len() {
            let Some((_, to, link, style, shown)) = active.iter().find(|a| a.0 == at) else {
                break;
            };
            spans.push(Span::styled(link.clone(), *style));
            if *shown {
                spans.push(Span::styled(place_name(*to, v.lang), v.theme.place));
            }
            at = *to;
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
        for (&(from, to), l) in &v.run.flow.legs {
            let (moving, what, style) = match l.look {
                LegLook::Refs => (
                    if l.pulses.is_empty() { "  " } else { "◇ " },
                    t!(v.lang, "data_path.page_refs_zero_copied").to_string(),
                    v.theme.modeled,
                ),
                LegLook::Absent(why) => ("  ", absent_label(why, v).to_string(), v.theme.muted),
            };
            lines.push(Line::from(vec![
                Span::styled(moving, v.theme.pulse),
                Span::raw(format!(
                    "{} → {} ",
                    place_name(from, v.lang),
                    place_name(to, v.lang)
                )),
                Span::styled(what, style),
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
