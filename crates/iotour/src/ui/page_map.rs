//! The working file's pages as a grid (one cell a bucket of pages, showing the
//! worst state among them), the mapping overlay, cells that just changed
//! highlighted, and the "not yet durable" figure: what a power cut would lose.
//! While the file is mapped, the mapping (the VMA) above the grid: the range
//! of the file it maps, its protection and flags (/proc/self/maps), and how
//! many of its pages have page-table entries (/proc/self/pagemap, measured).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::text::{count, opt_count};
use super::{Theme, View, panel_block};
use crate::app::pages::Change;
use iotour_core::engine::MapCell;
use iotour_core::probe::pages::CellState;
use iotour_core::size::format_size as bytes;

pub struct PageMapPanel<'a> {
    pub view: View<'a>,
    pub focused: bool,
}

/// Glyphs differ per state so the map reads without colour (NO_COLOR).
fn cell_look(state: CellState, t: &Theme) -> (&'static str, Style) {
    match state {
        CellState::NotCached => ("·", t.not_cached),
        CellState::Evicted => ("×", t.not_cached),
        CellState::Cached => ("▒", t.cached_page),
        CellState::Clean => ("░", t.clean_page),
        CellState::Dirty => ("█", t.dirty_page),
        CellState::Writeback => ("▓", t.writeback_page),
    }
}

impl PageMapPanel<'_> {
    /// "page cache: the working file", or the file a `program` step watches.
    fn title(&self) -> String {
        let v = &self.view;
        match v.run.sampled_file() {
            Some(path) => t!(
                v.lang,
                "page_map.page_cache_of",
                path = crate::sanitize::safe(path)
            ),
            None => t!(v.lang, "page_map.page_cache_the_working_file").to_string(),
        }
    }
}

impl Widget for &PageMapPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let title = Line::from(Span::styled(format!(" {} ", self.title()), t.title));
        let block = panel_block(title, self.focused, t);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let pages = self.pages();
        let Some(map) = &pages.map else {
            Line::styled(t!(v.lang, "page_map.waiting_for_the_first_sample"), t.muted)
                .render(inner, buf);
            return;
        };
        let page_size = v.run.environment.as_ref().map(|e| e.page_size);
        let totals = map.totals;
        // Predict mode: the running step's page counts would give the answer away.
        let hidden = v.run.hidden_since(v.predict).is_some();
        let shown = |n: Option<u64>| {
            if hidden {
                "?".to_string()
            } else {
                opt_count(n)
            }
        };
        // What a power cut would lose: the bytes this run changed that the
        // kernel has not written back (the engine's own ranges, clamped by
        // the dirty and writeback pages). Older recordings only have the
        // pages: (dirty + writeback) × page size, an upper bound.
        let at_risk = match (pages.not_durable, totals.dirty, totals.writeback, page_size) {
            _ if hidden => "?".to_string(),
            (Some(n), ..) => format!(
                "{} {}",
                bytes(n),
                t!(v.lang, "page_map.changed_not_written")
            ),
            (None, Some(d), Some(w), Some(ps)) => {
                format!(
                    "≤ {} {}",
                    bytes((d + w) * ps),
                    t!(v.lang, "page_map.in_dirty_pages")
                )
            }
            _ => t!(v.lang, "page_map.unknown_source_cannot_see_dirty").into(),
        };
        let flusher = flusher_countdown(v);
        let mut head = vec![
            Line::from(vec![
                Span::styled(t!(v.lang, "page_map.not_yet_durable"), t.title),
                Span::styled(at_risk, t.dirty_page),
            ]),
            Line::from(vec![Span::styled(
                format!(
                    "{} {} · {} {} · {} {} · {} {}",
                    count(map.pages),
                    t!(v.lang, "page_map.pages"),
                    t!(v.lang, "page_map.cached"),
                    shown(totals.cached),
                    t!(v.lang, "page_map.dirty"),
                    shown(totals.dirty),
                    t!(v.lang, "page_map.writeback"),
                    shown(totals.writeback),
                ),
                t.measured,
            )]),
        ];
        head.extend(vma_lines(v, inner.width as usize, hidden));
        // The countdown on a line of its own: the at-risk line is long
        // already, and a cut countdown tells nothing.
        if !flusher.is_empty() {
            head.push(Line::styled(flusher, t.modeled));
        }
        // Slow motion: said on its own line, above the figures it replays.
        if let (Some(play), Some(pos)) = (self.played(), v.run.slowmo.position()) {
            head.insert(
                0,
                Line::styled(
                    t!(
                        v.lang,
                        "lecture.slow_motion",
                        n = play.factor,
                        t = format!("{:.1}", pos.as_secs_f64() * 1000.0)
                    ),
                    t.pulse,
                ),
            );
        }
        let legend = legend(v, inner.width as usize);
        head.truncate(inner.height.saturating_sub(1) as usize);
        // The legend never takes the grid's last row (nor more than it has).
        let legend_h = if inner.height >= 6 {
            (legend.len() as u16).min(inner.height.saturating_sub(head.len() as u16 + 2))
        } else {
            0
        };
        let grid_h = inner.height.saturating_sub(head.len() as u16 + legend_h);
        let grid = Rect::new(inner.x, inner.y + head.len() as u16, inner.width, grid_h);
        for (i, l) in head.iter().enumerate() {
            buf.set_line(inner.x, inner.y + i as u16, l, inner.width);
        }
        self.grid(grid, buf);
        for (i, l) in legend.iter().take(legend_h as usize).enumerate() {
            let y = grid.y + grid.height + i as u16;
            buf.set_line(inner.x, y, l, inner.width);
        }
    }
}

impl PageMapPanel<'_> {
    /// The slow-motion play on screen, unless the step's figures are hidden.
    fn played(&self) -> Option<&crate::app::run_slowmo::Play> {
        let run = self.view.run;
        if run.hidden_since(self.view.predict).is_some() {
            return None;
        }
        run.slowmo.playing.as_ref()
    }

    /// The pages to draw: the slow-motion frame while one plays, else the
    /// latest sample.
    fn pages(&self) -> &crate::app::pages::PageView {
        self.played().map_or(&self.view.run.pages, |p| &p.view)
    }

    fn grid(&self, area: Rect, buf: &mut Buffer) {
        let v = &self.view;
        let t = v.theme;
        let pages = self.pages();
        let Some(map) = &pages.map else { return };
        let capacity = area.width as usize * area.height as usize;
        if capacity == 0 || map.cells.is_empty() {
            return;
        }
        // Few cells on much room (a zoomed panel, a projector): each cell
        // drawn as large a square block as fits, so the back row sees them;
        // blocks wider than two columns keep a gap to tell them apart.
        let cell_count = map.cells.len();
        let (cell_w, cell_h) = [(6u16, 3u16), (4, 2), (2, 1)]
            .into_iter()
            .find(|&(bw, bh)| {
                let per_row = (area.width / bw) as usize;
                per_row > 0 && cell_count.div_ceil(per_row) * bh as usize <= area.height as usize
            })
            .unwrap_or((1, 1));
        let per_row = (area.width / cell_w) as usize;
        let capacity = per_row * (area.height / cell_h) as usize;
        // Re-bucket to fit: a shown cell is the worst of the cells it covers.
        let group = map.cells.len().div_ceil(capacity);
        let shown = map.cells.len().div_ceil(group);
        for j in 0..shown {
            let range = j * group..((j + 1) * group).min(map.cells.len());
            let state = map.cells[range.clone()]
                .iter()
                .copied()
                .max()
                .unwrap_or(CellState::NotCached);
            let mapped = pages
                .mapping
                .as_ref()
                .and_then(|m| m.get(range.clone()).and_then(|s| s.iter().copied().max()));
            let change = range.clone().find_map(|i| pages.fresh_change(i, v.run.now));
            let (mut sym, mut style) = cell_look(state, t);
            match mapped {
                Some(MapCell::Faulted) => sym = "◆",
                Some(MapCell::Mapped) => {
                    style = style.add_modifier(ratatui::style::Modifier::UNDERLINED);
                }
                _ => {}
            }
            if change.is_some() {
                style = style.patch(t.changed_cell);
            }
            let x = area.x + (j % per_row) as u16 * cell_w;
            let y = area.y + (j / per_row) as u16 * cell_h;
            let drawn_w = if cell_w > 2 { cell_w - 1 } else { cell_w };
            for dy in 0..cell_h {
                for dx in 0..drawn_w {
                    buf[(x + dx, y + dy)].set_symbol(sym).set_style(style);
                }
            }
        }
    }
}

/// The mapping beside the page cache: "mapping file 0–16 MiB ·
/// PROT_READ|PROT_WRITE MAP_SHARED (/proc/self/maps)", then "page-table
/// entries: 10 of 4,096 pages measured (/proc/self/pagemap)". Nothing
/// without a mapping. The entry count is hidden while a prediction is asked.
fn vma_lines(v: &View, width: usize, hidden: bool) -> Vec<Line<'static>> {
    let Some(vma) = &v.run.pages.vma else {
        return Vec::new();
    };
    let t = v.theme;
    let lang = v.lang;
    let prot = match (vma.readable(), vma.writable()) {
        (true, true) => "PROT_READ|PROT_WRITE",
        (true, false) => "PROT_READ",
        (false, true) => "PROT_WRITE",
        (false, false) => "PROT_NONE",
    };
    let flags = if vma.shared() {
        "MAP_SHARED"
    } else {
        "MAP_PRIVATE"
    };
    let from = if vma.offset == 0 {
        "0".to_string()
    } else {
        bytes(vma.offset)
    };
    let range = t!(
        lang,
        "page_map.vma_range",
        from = from,
        to = bytes(vma.offset + vma.len)
    );
    let mut first = vec![
        vec![
            Span::styled(t!(lang, "page_map.vma"), t.title),
            Span::styled(format!("{range} · "), t.measured),
        ],
        vec![Span::styled(format!("{prot} {flags}"), t.measured)],
    ];
    // Read from /proc/self/maps, the flags are measured like the entries
    // (the second line names both sources); else they are the op's.
    let source = if vma.perms_measured {
        t!(lang, "page_map.measured_pagemap_maps")
    } else {
        first.push(vec![Span::styled(t!(lang, "page_map.perms_op"), t.muted)]);
        t!(lang, "page_map.measured_pagemap")
    };
    let present = if hidden {
        "?".to_string()
    } else {
        count(vma.present_pages)
    };
    let second = vec![
        vec![Span::styled(
            t!(lang, "page_map.pte", n = present, m = count(vma.pages)),
            t.measured,
        )],
        vec![Span::styled(source, t.muted)],
    ];
    let mut lines = pack(first, width);
    lines.extend(pack(second, width));
    lines
}

/// When the kernel's flusher takes the dirty pages by itself (no sync call):
/// a countdown from /proc/sys/vm's dirty_expire_centisecs and
/// dirty_writeback_centisecs, as the sampler read them.
fn flusher_countdown(v: &View) -> String {
    let secs = |d: std::time::Duration| d.as_secs_f64().ceil() as u64;
    if v.run.hidden_since(v.predict).is_some() {
        // It would say there are dirty pages: the answer to many a question.
        return String::new();
    }
    let countdown = match v.run.flusher_eta() {
        None => return String::new(),
        Some(None) => t!(v.lang, "lecture.flusher_off").to_string(),
        Some(Some((from, _))) if from.is_zero() => t!(v.lang, "lecture.flusher_due").to_string(),
        Some(Some((from, to))) => t!(
            v.lang,
            "lecture.flusher_in",
            from = secs(from),
            to = secs(to)
        ),
    };
    // While a wait runs, the lecturer can skip to its end (the key changes
    // no figure: the step ends with the state measured then).
    if v.run.waiting() {
        format!("{countdown} · {}", t!(v.lang, "lecture.flusher_end_wait"))
    } else {
        countdown
    }
}

/// Groups of spans (a glyph and its name) packed into lines of `width`:
/// a narrow panel wraps its legend instead of cutting it.
fn pack(groups: Vec<Vec<Span<'static>>>, width: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for g in groups {
        let w: usize = g.iter().map(Span::width).sum();
        if used > 0 && used + w > width {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        used += w;
        line.extend(g);
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

fn legend(v: &View, width: usize) -> Vec<Line<'static>> {
    let t = v.theme;
    let lang = v.lang;
    let mut first = Vec::new();
    for (state, name) in [
        (CellState::NotCached, t!(lang, "page_map.not_cached")),
        (CellState::Cached, t!(lang, "page_map.cached")),
        (CellState::Clean, t!(lang, "page_map.clean")),
        (CellState::Dirty, t!(lang, "page_map.dirty")),
        (CellState::Writeback, t!(lang, "page_map.writeback")),
    ] {
        let (sym, style) = cell_look(state, t);
        first.push(vec![
            Span::styled(sym, style),
            Span::raw(format!(" {name}  ")),
        ]);
    }
    let map = v.run.pages.map.as_ref();
    // Evicted pages the kernel remembers: named only when the map has some.
    if map.is_some_and(|m| m.cells.contains(&CellState::Evicted)) {
        let (sym, style) = cell_look(CellState::Evicted, t);
        first.push(vec![
            Span::styled(sym, style),
            Span::raw(format!(" {}  ", t!(lang, "page_map.evicted"))),
        ]);
    }
    let per_cell = map.map_or(0, |m| m.pages_per_cell);
    let mut second = vec![
        vec![
            Span::styled("◆", t.title),
            Span::raw(format!(" {}  ", t!(lang, "page_map.faulted_in"))),
        ],
        vec![
            Span::styled(
                "▁",
                t.title.add_modifier(ratatui::style::Modifier::UNDERLINED),
            ),
            Span::raw(format!(" {}  ", t!(lang, "page_map.mapped"))),
        ],
        vec![
            Span::styled(" ", t.changed_cell),
            Span::raw(format!(" {}  ", t!(lang, "page_map.just_changed"))),
        ],
    ];
    if per_cell > 0 {
        let text = if per_cell == 1 {
            format!("· 1 {}", t!(lang, "page_map.page_cell"))
        } else {
            format!("· ≥{} {}", count(per_cell), t!(lang, "page_map.pages_cell"))
        };
        second.push(vec![Span::styled(text, t.muted)]);
    }
    let why = v
        .run
        .pages
        .changes
        .iter()
        .flatten()
        .max_by_key(|(_, at)| *at);
    let mut lines = pack(first, width);
    lines.extend(pack(second, width));
    if let Some((c, at)) = why
        && v.run.now.saturating_sub(*at) < crate::app::pages::HIGHLIGHT
    {
        {
            let said = match c {
                Change::Dirtied => t!(lang, "page_map.highlighted_pages_this_work_just"),
                Change::Cleaned => t!(lang, "page_map.highlighted_pages_just_cleaned_written"),
                Change::Cached => t!(lang, "page_map.highlighted_pages_just_read_into"),
                Change::WritebackStarted => t!(lang, "page_map.highlighted_writeback_just_started"),
                Change::Evicted => t!(lang, "page_map.highlighted_pages_just_evicted"),
            };
            lines.extend(
                super::text::wrap(said, width)
                    .into_iter()
                    .map(|l| Line::styled(l, t.paused)),
            );
        }
    }
    lines
}
