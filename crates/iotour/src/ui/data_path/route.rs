//! Where the data-path panel puts its boxes and how each copy edge runs
//! between them: plain geometry, cell by cell, so the widget only paints.

use ratatui::layout::Rect;

use iotour_core::model::Place;

/// Where each place's box sits.
pub(super) struct Boxes {
    pub(super) user: Rect,
    pub(super) page_cache: Rect,
    pub(super) socket: Rect,
    pub(super) disk: Rect,
    pub(super) nic: Rect,
    /// Rows of the user/kernel and kernel/hardware lines.
    pub(super) user_line: u16,
    pub(super) hw_line: u16,
    pub(super) left: u16,
    pub(super) right: u16,
}

impl Boxes {
    pub(super) fn of(&self, p: Place) -> Rect {
        match p {
            Place::UserBuffer => self.user,
            Place::PageCache => self.page_cache,
            Place::SocketBuffer => self.socket,
            Place::Disk => self.disk,
            Place::Nic => self.nic,
        }
    }
}

/// Boxes in two columns (file side left, network side right). Boxes are
/// three rows tall when there is room, else one row; each gap between bands
/// is three rows: edge, boundary line, edge.
pub(super) fn layout(area: Rect, network: bool) -> Boxes {
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

/// An edge's path: the cells from next to its source box to next to its
/// destination box, in order, and where its label goes.
pub(super) struct Route {
    pub(super) cells: Vec<(u16, u16)>,
    pub(super) label: (u16, u16),
    /// Columns the label may use (a horizontal edge's gap); else to the edge of the panel.
    pub(super) label_max: Option<u16>,
}

fn straight(from: (u16, u16), to: (u16, u16)) -> Vec<(u16, u16)> {
    let mut out = vec![from];
    let (mut x, mut y) = from;
    while (x, y) != to {
        if x == to.0 {
            y = if to.1 > y { y + 1 } else { y - 1 };
        } else {
            x = if to.0 > x { x + 1 } else { x - 1 };
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
#[allow(clippy::many_single_char_names, reason = "b, x: the boxes, a column")]
#[allow(
    clippy::match_same_arms,
    reason = "a table of edges, one row each, reads as the diagram does"
)]
pub(super) fn route(b: &Boxes, from_place: Place, to_place: Place) -> Option<Route> {
    use Place::{Disk, Nic, PageCache, SocketBuffer, UserBuffer};
    let (from, to) = (b.of(from_place), b.of(to_place));
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
    let r = match (from_place, to_place) {
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
            let cells = if from_place == PageCache {
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
            let pts = if from_place == Disk {
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
            let pts = [(x0, y1), (x1, y1), (x1, to.y - 1)];
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

pub(super) fn arrow(prev: (u16, u16), at: (u16, u16)) -> &'static str {
    match (at.0.cmp(&prev.0), at.1.cmp(&prev.1)) {
        (std::cmp::Ordering::Greater, _) => "▶",
        (std::cmp::Ordering::Less, _) => "◀",
        (_, std::cmp::Ordering::Less) => "▲",
        _ => "▼",
    }
}

pub(super) fn line_symbol(
    prev: Option<(u16, u16)>,
    at: (u16, u16),
    next: Option<(u16, u16)>,
) -> &'static str {
    let dir = |o: (u16, u16)| {
        (
            i32::from(o.0) - i32::from(at.0),
            i32::from(o.1) - i32::from(at.1),
        )
    };
    let mut dirs: Vec<(i32, i32)> = prev.into_iter().chain(next).map(dir).collect();
    dirs.sort_unstable();
    match dirs.as_slice() {
        [(-1, 0), (1, 0)] | [(-1 | 1, 0)] => "─",
        [(0, -1), (0, 1)] | [(0, -1 | 1)] => "│",
        [(0, 1), (1, 0)] => "┌",
        [(-1, 0), (0, 1)] => "┐",
        [(0, -1), (1, 0)] => "└",
        [(-1, 0), (0, -1)] => "┘",
        _ => "·",
    }
}
