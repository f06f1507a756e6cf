//! The data path: boxes for the places the scenario's data passes through,
//! user space above the user/kernel line and hardware below, one line per
//! copy edge labelled CPU copy or DMA with its running byte total, and pulses
//! travelling each edge as slices report copies. All of it is modeled.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use super::text::{bytes, fit, tr};
use super::{View, panel_block};
use crate::app::flow::{EdgeKey, EdgeView, PULSE};
use crate::model::{CopyKind, Place};

pub struct DataPath<'a> {
    pub view: View<'a>,
    pub focused: bool,
}

/// Where each place's box sits.
struct Boxes {
    user: Rect,
    page_cache: Rect,
    socket: Rect,
    disk: Rect,
    nic: Rect,
    /// Rows of the user/kernel and kernel/hardware lines.
    user_line: u16,
    hw_line: u16,
    left: u16,
    right: u16,
}

impl Boxes {
    fn of(&self, p: Place) -> Rect {
        match p {
            Place::UserBuffer => self.user,
            Place::PageCache => self.page_cache,
            Place::SocketBuffer => self.socket,
            Place::Disk => self.disk,
            Place::Nic => self.nic,
        }
    }
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
            Span::styled(
                format!(" {} ", tr(v.lang, "data path", "数据路径")),
                t.title,
            ),
            Span::styled(tr(v.lang, "modeled ", "模型推算 "), t.modeled),
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
                        (1, false) => tr(v.lang, "copy this step", "次拷贝（本步）"),
                        _ => tr(v.lang, "copies this step", "次拷贝（本步）"),
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
            Line::styled(
                tr(v.lang, "this scenario moves no data", "本场景不搬运数据"),
                t.muted,
            )
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
            if let Some(route) = route(&boxes, key) {
                draw_edge(&route, key, edge, run.now, hidden, v, buf);
            }
        }
        for p in Place::ALL {
            if run.flow.places.contains(&p) {
                draw_box(boxes.of(p), place_name(p, v.lang), t.place, buf);
            }
        }
        // Spare rows below the diagram: the step's path as one chain.
        let used = boxes.disk.y + boxes.disk.height + 1;
        if used < inner.y + inner.height {
            let area = Rect::new(inner.x, used, inner.width, inner.y + inner.height - used);
            self.chain_line(area, buf);
        }
    }
}

impl DataPath<'_> {
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
                tr(lang, "user", "用户态"),
                tr(lang, "kernel", "内核态"),
            ),
            (
                b.hw_line,
                tr(lang, "kernel", "内核态"),
                tr(lang, "hardware", "硬件"),
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
                tr(v.lang, "no copies yet", "尚无拷贝"),
                v.theme.muted,
            ));
        }
        for (i, l) in lines.iter().take(area.height as usize).enumerate() {
            buf.set_line(area.x, area.y + i as u16, l, area.width);
        }
    }
}

fn place_name(p: Place, lang: crate::scenario::Lang) -> &'static str {
    match p {
        Place::Disk => tr(lang, "disk", "磁盘"),
        Place::PageCache => tr(lang, "page cache", "页缓存"),
        Place::UserBuffer => tr(lang, "user buffer", "用户缓冲区"),
        Place::SocketBuffer => tr(lang, "socket buffer", "套接字缓冲区"),
        Place::Nic => tr(lang, "NIC", "网卡"),
    }
}

fn edge_style(kind: CopyKind, v: &View) -> (Style, &'static str) {
    match kind {
        CopyKind::Cpu => (v.theme.cpu_copy, tr(v.lang, "CPU copy", "CPU 拷贝")),
        CopyKind::Dma => (v.theme.dma_copy, "DMA"),
    }
}

/// Boxes in two columns (file side left, network side right). Boxes are
/// three rows tall when there is room, else one row; each gap between bands
/// is three rows: edge, boundary line, edge.
fn layout(area: Rect, network: bool) -> Boxes {
    let bh: u16 = if area.height >= 3 * 3 + 6 { 3 } else { 1 };
    let lane = 3; // left of the boxes: room for a bypass edge (O_DIRECT)
    let col_w = if network { area.width / 2 } else { area.width };
    let bw = (col_w.saturating_sub(lane + 2)).clamp(8, 22);
    let lx = area.x + lane;
    let rx = area.x + col_w + lane;
    let y0 = area.y;
    let ky = y0 + bh + 3;
    let hy = ky + bh + 3;
    let user_w = if network { rx + bw - lx } else { bw };
    Boxes {
        user: Rect::new(lx, y0, user_w, bh),
        page_cache: Rect::new(lx, ky, bw, bh),
        socket: Rect::new(rx, ky, bw, bh),
        disk: Rect::new(lx, hy, bw, bh),
        nic: Rect::new(rx, hy, bw, bh),
        user_line: y0 + bh + 1,
        hw_line: ky + bh + 1,
        left: area.x,
        right: area.x + area.width,
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

/// An edge's path: the cells from next to its source box to next to its
/// destination box, in order, and where its label goes.
struct Route {
    cells: Vec<(u16, u16)>,
    label: (u16, u16),
    /// Columns the label may use (a horizontal edge's gap); else to the edge of the panel.
    label_max: Option<u16>,
}

fn straight(from: (u16, u16), to: (u16, u16)) -> Vec<(u16, u16)> {
    let mut out = vec![from];
    let (mut x, mut y) = from;
    while (x, y) != to {
        if x != to.0 {
            x = if to.0 > x { x + 1 } else { x - 1 };
        } else {
            y = if to.1 > y { y + 1 } else { y - 1 };
        }
        out.push((x, y));
    }
    out
}

fn polyline(points: &[(u16, u16)]) -> Vec<(u16, u16)> {
    let mut cells: Vec<(u16, u16)> = Vec::new();
    for w in points.windows(2) {
        let seg = straight(w[0], w[1]);
        let skip = usize::from(!cells.is_empty());
        cells.extend(seg.into_iter().skip(skip));
    }
    cells
}

/// Vertical edges run in the gap between bands: downward ones at the box's
/// second column, upward ones two columns right; labels sit right of both,
/// the downward label on the gap's first row and the upward on its last.
fn route(b: &Boxes, k: &EdgeKey) -> Option<Route> {
    let (from, to) = (b.of(k.from), b.of(k.to));
    use Place::*;
    let vertical = |upper: Rect, lower: Rect, down: bool, col: u16| {
        let x = col + if down { 1 } else { 3 };
        let top = upper.y + upper.height;
        let bottom = lower.y - 1;
        let cells = if down {
            straight((x, top), (x, bottom))
        } else {
            straight((x, bottom), (x, top))
        };
        let label_y = if down { top } else { bottom };
        Route {
            cells,
            label: (col + 5, label_y),
            label_max: None,
        }
    };
    let r = match (k.from, k.to) {
        (Disk, PageCache) => vertical(to, from, false, from.x),
        (PageCache, Disk) => vertical(from, to, true, from.x),
        (PageCache, UserBuffer) => vertical(to, from, false, from.x),
        (UserBuffer, PageCache) => vertical(from, to, true, to.x),
        (UserBuffer, SocketBuffer) => vertical(from, to, true, to.x),
        (SocketBuffer, UserBuffer) => vertical(to, from, false, from.x),
        (SocketBuffer, Nic) => vertical(from, to, true, from.x),
        (Nic, SocketBuffer) => vertical(to, from, false, from.x),
        (PageCache, SocketBuffer) | (SocketBuffer, PageCache) => {
            let left = b.page_cache;
            let right = b.socket;
            let y = left.y + left.height / 2;
            let (a, z) = (left.x + left.width, right.x.checked_sub(1)?);
            if z <= a {
                return None;
            }
            let cells = if k.from == PageCache {
                straight((a, y), (z, y))
            } else {
                straight((z, y), (a, y))
            };
            // Tall boxes leave the row above the line free for the label.
            let label_y = if left.height >= 3 { y - 1 } else { y };
            Route {
                cells,
                label: (a + 1, label_y),
                label_max: Some(z - a - 1),
            }
        }
        // Around the left of the page cache: O_DIRECT's DMA into user memory.
        (Disk, UserBuffer) | (UserBuffer, Disk) => {
            let lane = b.disk.x.checked_sub(2)?;
            let uy = b.user.y + b.user.height / 2;
            let dy = b.disk.y + b.disk.height / 2;
            let (ux, dx) = (b.user.x - 1, b.disk.x - 1);
            let pts = if k.from == Disk {
                [(dx, dy), (lane, dy), (lane, uy), (ux, uy)]
            } else {
                [(ux, uy), (lane, uy), (lane, dy), (dx, dy)]
            };
            Route {
                cells: polyline(&pts),
                label: (b.page_cache.x, b.page_cache.y.checked_sub(1)?),
                label_max: None,
            }
        }
        // Scatter-gather DMA straight from the page cache to the NIC: down
        // from the page cache, along the hardware line's upper row, down again.
        (PageCache, Nic) => {
            let x0 = from.x + from.width.saturating_sub(2);
            let y1 = from.y + from.height;
            let x1 = to.x + 1;
            let pts = [(x0, y1), (x1.saturating_sub(0), y1), (x1, to.y - 1)];
            Route {
                cells: polyline(&pts),
                label: (x0 + 2, y1 + 2),
                label_max: None,
            }
        }
        _ => return None,
    };
    Some(r)
}

fn draw_edge(
    route: &Route,
    k: &EdgeKey,
    e: &EdgeView,
    now: Duration,
    hidden: bool,
    v: &View,
    buf: &mut Buffer,
) {
    let (style, kind) = edge_style(k.kind, v);
    // Edges the current step does not use fade, so its own path stands out.
    let style = if e.step == 0 {
        style.patch(v.theme.muted)
    } else {
        style
    };
    let area = buf.area;
    let inside = |(x, y): (u16, u16)| x < area.x + area.width && y < area.y + area.height;
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
        let age = now.saturating_sub(start).as_secs_f64() / PULSE.as_secs_f64();
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

fn arrow(prev: (u16, u16), at: (u16, u16)) -> &'static str {
    match (at.0.cmp(&prev.0), at.1.cmp(&prev.1)) {
        (std::cmp::Ordering::Greater, _) => "▶",
        (std::cmp::Ordering::Less, _) => "◀",
        (_, std::cmp::Ordering::Less) => "▲",
        _ => "▼",
    }
}

fn line_symbol(prev: Option<(u16, u16)>, at: (u16, u16), next: Option<(u16, u16)>) -> &'static str {
    let dir = |o: (u16, u16)| (o.0 as i32 - at.0 as i32, o.1 as i32 - at.1 as i32);
    let mut dirs: Vec<(i32, i32)> = prev.into_iter().chain(next).map(dir).collect();
    dirs.sort_unstable();
    match dirs.as_slice() {
        [(-1, 0), (1, 0)] | [(-1, 0)] | [(1, 0)] => "─",
        [(0, -1), (0, 1)] | [(0, -1)] | [(0, 1)] => "│",
        [(0, 1), (1, 0)] => "┌",
        [(-1, 0), (0, 1)] => "┐",
        [(0, -1), (1, 0)] => "└",
        [(-1, 0), (0, -1)] => "┘",
        _ => "·",
    }
}
