//! The legs of the data path that copy nothing, and where their labels go.
//! References: a double line (`═`, `║`) carrying hollow marks (`◇`) with
//! "page refs" and "0 B copied". Absent: a dotted line (`┈`, `┊`) ending in
//! `×` instead of an arrow, with its reason and, where there is room, what a
//! real network would add. A label goes to the first of its places where it
//! fits whole on blank cells, so it never covers another edge or label.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

use super::route::{Boxes, Route, arrow, line_symbol};
use super::{View, fit};
use crate::app::flow::{LegLook, LegView, PULSE};
use iotour_core::model::Absence;

/// "no NIC: local socket": why a textbook leg is not on this path.
pub(super) fn absent_label(why: Absence, v: &View) -> &'static str {
    match why {
        Absence::LocalSocket => t!(v.lang, "data_path.no_nic_local_socket"),
    }
}

/// A piece of a label: its column and row, the columns it may use, its text.
struct Piece {
    x: u16,
    y: u16,
    room: u16,
    text: String,
}

fn piece(x: u16, y: u16, room: u16, text: impl Into<String>) -> Piece {
    Piece {
        x,
        y,
        room,
        text: text.into(),
    }
}

/// Draw `leg` along `route`, clipped to `clip`; drawn after the boxes, so
/// its label sees what is already there.
pub(super) fn draw_leg(
    route: &Route,
    boxes: &Boxes,
    leg: &LegView,
    view: &View,
    clip: Rect,
    buf: &mut Buffer,
) {
    let area = clip.intersection(buf.area);
    if route.cells.is_empty() || area.is_empty() {
        return;
    }
    let style = match leg.look {
        LegLook::Refs if leg.in_step => view.theme.modeled,
        LegLook::Refs => view.theme.modeled.patch(view.theme.muted),
        LegLook::Absent(_) => view.theme.muted,
    };
    draw_line(route, leg, view, area, style, buf);
    let candidates = match leg.look {
        LegLook::Refs => refs_labels(route, boxes, view, area),
        LegLook::Absent(why) => absent_labels(route, why, view, area),
    };
    let fits = |p: &Piece, buf: &Buffer| {
        let w = p.text.width() as u16;
        w <= p.room
            && contains(area, p.x, p.y)
            && p.x + w <= area.x + area.width
            && (p.x..p.x + w).all(|x| buf[(x, p.y)].symbol() == " ")
    };
    if let Some(chosen) = candidates.iter().find(|c| c.iter().all(|p| fits(p, buf))) {
        for p in chosen {
            buf.set_string(p.x, p.y, &p.text, style);
        }
    }
}

fn contains(area: Rect, x: u16, y: u16) -> bool {
    (area.x..area.x + area.width).contains(&x) && (area.y..area.y + area.height).contains(&y)
}

/// The line, its end, and the reference marks in flight.
fn draw_line(
    route: &Route,
    leg: &LegView,
    view: &View,
    area: Rect,
    style: Style,
    buf: &mut Buffer,
) {
    let cells = &route.cells;
    let last = cells.len() - 1;
    let refs = leg.look == LegLook::Refs;
    for (i, &cell) in cells.iter().enumerate() {
        if !contains(area, cell.0, cell.1) {
            continue;
        }
        let prev = i.checked_sub(1).map(|j| cells[j]);
        let line = line_symbol(prev, cell, cells.get(i + 1).copied());
        let sym = match (i == last, refs, line) {
            (true, true, _) => arrow(prev.unwrap_or(cell), cell),
            (true, false, _) => "×",
            (false, true, "│") => "║",
            (false, true, _) => "═",
            (false, false, "│") => "┊",
            (false, false, _) => "┈",
        };
        buf[cell].set_symbol(sym).set_style(style);
    }
    // A reference in flight is drawn hollow: no byte travels with it.
    for &start in &leg.pulses {
        let age = view.run.now.saturating_sub(start).as_secs_f64() / PULSE.as_secs_f64();
        if age >= 1.0 {
            continue;
        }
        let cell = cells[((age * cells.len() as f64) as usize).min(last)];
        if contains(area, cell.0, cell.1) {
            buf[cell].set_symbol("◇").set_style(view.theme.pulse);
        }
    }
}

/// Where "page refs, 0 B copied" may go, best first.
fn refs_labels(route: &Route, boxes: &Boxes, view: &View, area: Rect) -> Vec<Vec<Piece>> {
    let lang = view.lang;
    let cells = &route.cells;
    let dir = match arrow(cells[cells.len().saturating_sub(2)], cells[cells.len() - 1]) {
        "▶" => "→",
        _ => "←",
    };
    let (start, line_y) = cells[0];
    let gap = route.label_max.unwrap_or(0);
    let copied = t!(lang, "data_path.zero_copied");
    let mut out = Vec::new();
    if let Some(up) = line_y.checked_sub(1) {
        // In the gap between the boxes: above and below the line...
        out.push(vec![
            piece(
                start + 1,
                up,
                gap,
                format!("{dir} {}", t!(lang, "data_path.page_refs")),
            ),
            piece(start + 1, line_y + 1, gap, copied),
        ]);
        out.push(vec![piece(
            start + 1,
            up,
            gap,
            format!("{dir} {}", t!(lang, "data_path.page_refs_zero_copied")),
        )]);
    }
    // ... a gap too narrow (a 100-column screen): the row above the boxes,
    // led by the leg's own glyph so it reads as the double line's; else
    // split over the rows above and below, up to the socket's lines.
    let x = boxes.page_cache.x + 5;
    let below = boxes.page_cache.y + boxes.page_cache.height;
    if let Some(above) = boxes.page_cache.y.checked_sub(1) {
        let right = (area.x + area.width).saturating_sub(x);
        out.push(vec![piece(
            x,
            above,
            right,
            format!("═ {}", t!(lang, "data_path.page_refs_zero_copied")),
        )]);
        let room = (boxes.socket.x + 1).saturating_sub(x);
        out.push(vec![
            piece(
                x,
                above,
                room,
                format!("═ {}", t!(lang, "data_path.page_refs")),
            ),
            piece(x, below, room, copied),
        ]);
    }
    out
}

/// Where the reason of an absent leg may go, best first: beside the line,
/// with what a real network adds on the gap's last row; the reason alone;
/// the reason wrapped over the gap's two rows; the reason cut.
fn absent_labels(route: &Route, why: Absence, view: &View, area: Rect) -> Vec<Vec<Piece>> {
    let (line_x, top) = route.cells[0];
    let bottom = route.cells[route.cells.len() - 1].1;
    let x = line_x + 2;
    let room = (area.x + area.width).saturating_sub(x);
    let reason = absent_label(why, view);
    let mut out = vec![
        vec![
            piece(x, top, room, reason),
            piece(x, bottom, room, t!(view.lang, "data_path.real_network_dma")),
        ],
        vec![piece(x, top, room, reason)],
    ];
    let rows = super::super::text::wrap(reason, room as usize);
    if top < bottom && rows.len() == 2 {
        out.push(vec![
            piece(x, top, room, rows[0].clone()),
            piece(x, bottom, room, rows[1].clone()),
        ]);
    }
    out.push(vec![piece(x, top, room, fit(reason, room as usize))]);
    out
}
