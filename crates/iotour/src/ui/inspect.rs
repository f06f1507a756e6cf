//! Drawing the live `inspect` view. Read-only: no clock, no kernel.
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────────────┐
//! │ iotour inspect · 3 files · cachestat · every 1.00 s · 09:41:02 UTC   │ header
//! │     SIZE    PAGES        CACHED         DIRTY     WRITEBACK  PATH    │
//! │ ▶ 64 MiB    16384  8192  50.0%   768   4.7% …               app.db   │ files (scrolls)
//! │   TOTAL …                                                            │
//! │╭ page map: app.db · 1 cell = 8 pages (32.0 KiB) ───────────────────╮ │
//! ││█░░░░░░░░▓▓▓▓····                                                 │ │ map of the
//! ││█ dirty ▓ writeback ░ clean ▒ cached · not cached                  │ │ selected file
//! │╰───────────────────────────────────────────────────────────────────╯ │
//! │ q quit  ↑↓ select  s sort: path  r refresh                           │ footer
//! └──────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Row, Table, TableState, Widget};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::inspect::{InspectState, MapMissing};
use crate::inspect::table::{count, with_pct};
use crate::sanitize::safe;
use crate::ui::Theme;
use iotour_core::inspect::report::{FileReport, InspectReport, SortKey, Totals};
use iotour_core::probe::pages::{CellState, page_size};
use iotour_core::scenario::Lang;
use iotour_core::size::format_size;

/// Below this the view says so instead of drawing a squashed table.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 12;

/// Header, files, map, footer.
pub fn areas(area: Rect) -> [Rect; 4] {
    area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Percentage(45),
        Constraint::Fill(1),
        Constraint::Length(1),
    ]))
}

fn map_block<'a>(title: Line<'a>, theme: &Theme) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(title)
}

/// How many cells the map panel shows on a screen of this size: one per
/// character of its inside, less the legend line.
pub fn map_cells(screen: Rect) -> usize {
    let [_, _, map, _] = areas(screen);
    let inner = map_block(Line::default(), &Theme::new(false)).inner(map);
    inner.width as usize * inner.height.saturating_sub(1) as usize
}

/// The same glyphs as the run view's page map, so the map reads without colour.
pub(crate) fn look(state: CellState, t: &Theme) -> (&'static str, Style) {
    match state {
        CellState::NotCached => ("·", t.not_cached),
        CellState::Evicted => ("×", t.not_cached),
        CellState::Cached => ("▒", t.cached_page),
        CellState::Clean => ("░", t.clean_page),
        CellState::Dirty => ("█", t.dirty_page),
        CellState::Writeback => ("▓", t.writeback_page),
    }
}

/// What the inspect screen draws from.
pub struct InspectView<'a> {
    pub state: &'a InspectState,
    pub lang: Lang,
    /// `q` goes back to the picker (else it quits).
    pub back: bool,
    pub theme: &'a Theme,
}

/// The screen with its report: what the panels below draw.
struct View<'a> {
    s: &'a InspectState,
    report: &'a InspectReport,
    lang: Lang,
    back: bool,
}

impl Widget for &InspectView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let Some(report) = &self.state.report else {
            waiting(area, buf, self, theme);
            return;
        };
        let v = View {
            s: self.state,
            report,
            lang: self.lang,
            back: self.back,
        };
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let (w, h) = (area.width, area.height);
            let q = if v.back {
                t!(v.lang, "ui.q_goes_back")
            } else {
                t!(v.lang, "ui.q_quits")
            };
            let small = t!(
                v.lang,
                "ui.too_small_q",
                w = w,
                h = h,
                min_w = MIN_WIDTH,
                min_h = MIN_HEIGHT,
                q = q
            );
            Paragraph::new(small).style(theme.muted).render(area, buf);
            return;
        }
        let [head, files, map, foot] = areas(area);
        header(head, buf, &v, theme);
        table(files, buf, &v, theme);
        page_map(map, buf, &v, theme);
        footer(foot, buf, &v, theme);
    }
}

/// The screen before the first report (a big tree takes a moment to walk),
/// or instead of it when the paths could not be measured at all.
fn waiting(area: Rect, buf: &mut Buffer, v: &InspectView<'_>, theme: &Theme) {
    let (lang, path) = (v.lang, safe(&v.state.waiting_for()).into_owned());
    let status = match (&v.state.failure, lang) {
        (Some(e), _) => Line::styled(safe(&format!("{e:#}")).into_owned(), theme.error),
        (None, _) => Line::raw(t!(lang, "inspect.measuring_path", path = path)),
    };
    let exit = match (v.back, lang) {
        (true, _) => t!(lang, "inspect.back"),
        (false, _) => t!(lang, "inspect.quit"),
    };
    let lines = vec![
        Line::styled("iotour inspect", theme.title),
        status,
        Line::raw(""),
        Line::from(vec![Span::styled("q", theme.key), Span::raw(exit)]),
    ];
    Paragraph::new(lines).render(area, buf);
}

fn header(area: Rect, buf: &mut Buffer, v: &View<'_>, theme: &Theme) {
    let t = &v.report.totals;
    let (n, source, secs, at) = (t.files, v.s.source, v.s.setup.every.as_secs_f64(), &v.s.at);
    let mut spans = vec![
        Span::styled("iotour inspect", theme.title),
        Span::raw(t!(
            v.lang,
            "inspect.files_source_every",
            n = n,
            s = if n == 1 { "" } else { "s" },
            source = source,
            secs = format!("{secs:.2}"),
            at = at
        )),
    ];
    if t.errors > 0 {
        let errors = t.errors;
        spans.push(Span::styled(
            t!(v.lang, "inspect.with_errors", errors = errors),
            theme.error,
        ));
    }
    let mounts = crate::inspect::table::mount_notes(v.report, v.lang);
    if let Some(note) = v.report.notes.first().or(mounts.first()) {
        spans.push(Span::styled(
            format!(" · {}", safe(note)),
            theme.fallback_badge,
        ));
    }
    Line::from(spans).render(area, buf);
}

/// Below this width the table drops the percentages and the evicted column,
/// so the path keeps its room at 80 columns.
const WIDE: u16 = 100;

/// A page count, with its share of the file's pages when the table is wide.
fn share(n: Option<u64>, of: Option<u64>, wide: bool) -> String {
    if wide {
        with_pct(n, of)
    } else {
        format!("{:>9}", count(n))
    }
}

fn cells(f: &FileReport, wide: bool) -> [String; 7] {
    [
        f.size.map_or_else(|| "?".into(), format_size),
        count(f.pages),
        share(f.cached, f.pages, wide),
        share(f.dirty, f.pages, wide),
        share(f.writeback, f.pages, wide),
        count(f.evicted),
        safe(&f.path).into_owned(),
    ]
}

fn totals_cells(t: &Totals, wide: bool, lang: Lang) -> [String; 7] {
    [
        t.size.map_or_else(|| "?".into(), format_size),
        count(t.pages),
        share(t.cached, t.pages, wide),
        share(t.dirty, t.pages, wide),
        share(t.writeback, t.pages, wide),
        count(t.evicted),
        t!(lang, "inspect.total").into(),
    ]
}

fn table(area: Rect, buf: &mut Buffer, v: &View<'_>, theme: &Theme) {
    let lang = v.lang;
    let [list, total] = area.layout(&Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    let wide = area.width >= WIDE;
    let num = if wide { 16 } else { 9 };
    let mut widths = vec![
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(num),
        Constraint::Length(num),
        Constraint::Length(num),
    ];
    if wide {
        widths.push(Constraint::Length(9));
    }
    widths.push(Constraint::Fill(1));
    let right = |s: String, w: usize| format!("{s:>w$}");
    // What is left for the path after the figures and the gaps between columns.
    let figures = if wide {
        10 + 9 + 16 * 3 + 9 + 6
    } else {
        10 + 9 + 9 * 3 + 5
    };
    let path_width = (area.width as usize).saturating_sub(figures);
    let row = |c: [String; 7]| {
        let [size, pages, cached, dirty, wb, ev, path] = c;
        let mut cells = vec![right(size, 10), right(pages, 9), cached, dirty, wb];
        if wide {
            cells.push(right(ev, 9));
        }
        cells.push(path);
        Row::new(cells)
    };
    // Right-aligned by display width: a Chinese heading ends where its figures do.
    let pad = |s: &str, w: usize| format!("{}{s}", " ".repeat(w.saturating_sub(s.width())));
    let num = num as usize;
    let head = Row::new({
        let mut h = vec![
            pad(t!(lang, "inspect.size"), 10),
            pad(t!(lang, "inspect.pages"), 9),
            pad(t!(lang, "inspect.cached"), num),
            pad(t!(lang, "inspect.dirty"), num),
            pad(t!(lang, "inspect.writeback"), num),
        ];
        if wide {
            h.push(pad(t!(lang, "inspect.evicted"), 9));
        }
        h.push(t!(lang, "inspect.path").to_string());
        h
    })
    .style(theme.title);
    let rows = v.report.files.iter().map(|f| {
        let mut c = cells(f, wide);
        c[6] = keep_tail(&c[6], path_width);
        match &f.error {
            // The reason follows the path (and is shown whole in the map
            // panel when the file is selected).
            Some(e) => {
                c[6] = format!("{}  ({})", c[6], safe(e));
                row(c).style(theme.muted)
            }
            None => row(c),
        }
    });
    let table = Table::new(rows, widths.clone())
        .header(head)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::new().with_selected(Some(v.s.selected));
    ratatui::widgets::StatefulWidget::render(table, list, buf, &mut state);
    Table::new([row(totals_cells(&v.report.totals, wide, lang))], widths)
        .column_spacing(1)
        .style(theme.title)
        .render(total, buf);
}

/// The end of `s` in at most `width` columns (a Chinese character takes
/// two): a file's name says more than the directories above it.
pub(crate) fn keep_tail(s: &str, width: usize) -> String {
    if s.width() <= width || width == 0 {
        return s.to_string();
    }
    let mut tail = Vec::new();
    let mut used = 1; // the `…`
    for ch in s.chars().rev() {
        let w = ch.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        tail.push(ch);
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("…{tail}")
}

fn page_map(area: Rect, buf: &mut Buffer, v: &View<'_>, theme: &Theme) {
    let lang = v.lang;
    let title = match &v.s.map {
        Ok(v) => {
            let cell = v.map.pages_per_cell;
            let (path, from, bytes) = (
                safe(&v.path),
                format_size(v.offset),
                format_size(cell * page_size()),
            );
            t!(
                lang,
                "inspect.page_map_of",
                path = path,
                from = from,
                cell = cell,
                s = if cell == 1 { "" } else { "s" },
                bytes = bytes
            )
        }
        Err(_) => t!(lang, "inspect.page_map").into(),
    };
    let block = map_block(Line::styled(title, theme.title), theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }
    let view = match &v.s.map {
        Ok(v) => v,
        Err(missing) => {
            let why = match missing {
                MapMissing::Measuring => t!(lang, "inspect.measuring").to_string(),
                MapMissing::Failed(why) => safe(&format!("{why:#}")).into_owned(),
            };
            Paragraph::new(why).style(theme.muted).render(inner, buf);
            return;
        }
    };
    let width = inner.width as usize;
    let mut lines: Vec<Line> = view
        .map
        .cells
        .chunks(width)
        .take(inner.height.saturating_sub(1) as usize)
        .map(|row| {
            // One span per run of equal cells: fewer spans, same picture.
            let mut spans: Vec<Span> = Vec::new();
            let mut run: Option<(CellState, usize)> = None;
            for &c in row {
                match run {
                    Some((s, n)) if s == c => run = Some((s, n + 1)),
                    _ => {
                        if let Some((s, n)) = run {
                            let (g, st) = look(s, theme);
                            spans.push(Span::styled(g.repeat(n), st));
                        }
                        run = Some((c, 1));
                    }
                }
            }
            if let Some((s, n)) = run {
                let (g, st) = look(s, theme);
                spans.push(Span::styled(g.repeat(n), st));
            }
            Line::from(spans)
        })
        .collect();
    let legend: Vec<Span> = [
        (CellState::Dirty, t!(lang, "inspect.dirty_2")),
        (CellState::Writeback, t!(lang, "inspect.writeback_2")),
        (CellState::Clean, t!(lang, "inspect.clean")),
        (
            CellState::Cached,
            t!(lang, "inspect.cached_dirtiness_unknown"),
        ),
        (CellState::NotCached, t!(lang, "inspect.not_cached")),
    ]
    .into_iter()
    .flat_map(|(s, name)| {
        let (g, st) = look(s, theme);
        [
            Span::styled(g, st),
            Span::styled(format!(" {name}  "), theme.muted),
        ]
    })
    .collect();
    lines.push(Line::from(legend));
    Paragraph::new(lines).render(inner, buf);
}

fn footer(area: Rect, buf: &mut Buffer, v: &View<'_>, theme: &Theme) {
    let lang = v.lang;
    let sort = match v.s.sort {
        SortKey::Path => t!(lang, "inspect.path_2"),
        SortKey::Dirty => t!(lang, "inspect.dirty_3"),
        SortKey::Cached => t!(lang, "inspect.cached_2"),
    };
    let key = |k: &'static str| Span::styled(k, theme.key);
    let exit = if v.back {
        t!(lang, "inspect.back_2")
    } else {
        t!(lang, "inspect.quit_2")
    };
    Line::from(vec![
        key("q"),
        Span::raw(exit),
        key("↑↓"),
        Span::raw(t!(lang, "inspect.select")),
        key("s"),
        Span::raw(t!(lang, "inspect.sort_by", sort = sort)),
        key("r"),
        Span::raw(t!(lang, "inspect.refresh")),
    ])
    .render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::inspect::InspectState;
    use crate::app::inspect::tests::state;
    use iotour_core::inspect::report::MapView;
    use iotour_core::probe::pages::{PageCounts, PageMap};

    fn text(buf: &Buffer) -> String {
        let a = buf.area;
        (a.top()..a.bottom())
            .map(|y| {
                (a.left()..a.right())
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A screen as the App would hold it, in a language, opened from the
    /// picker (`back`) or not.
    struct Live {
        s: InspectState,
        lang: Lang,
        back: bool,
    }

    fn live() -> Live {
        let mut s = state();
        s.at = String::new();
        Live {
            s,
            lang: Lang::En,
            back: false,
        }
    }

    fn draw(w: u16, h: u16, l: &Live) -> Buffer {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        let view = InspectView {
            state: &l.s,
            lang: l.lang,
            back: l.back,
            theme: &Theme::new(false),
        };
        (&view).render(area, &mut buf);
        buf
    }

    /// `b` selected, with one cell of each state but cached in its map.
    fn with_map(mut l: Live) -> Live {
        l.s.at = "09:00:00".into();
        l.s.selected = 1;
        l.s.map = Ok(MapView {
            path: "b".into(),
            offset: 0,
            map: PageMap {
                pages: 4,
                pages_per_cell: 1,
                cells: vec![
                    CellState::Dirty,
                    CellState::Writeback,
                    CellState::Clean,
                    CellState::NotCached,
                ],
                totals: PageCounts::default(),
            },
        });
        l
    }

    #[test]
    fn draws_the_files_the_map_and_the_keys() {
        let l = with_map(live());
        let screen = text(&draw(110, 30, &l));
        assert!(
            screen.contains("iotour inspect · 3 files · cachestat · every 1.00 s · 09:00:00 UTC"),
            "{screen}"
        );
        assert!(
            screen.contains("page map: b · from 0 B · 1 cell = 1 page (4.0 KiB)"),
            "{screen}"
        );
        assert!(screen.contains("│█▓░·"), "{screen}");
        assert!(screen.contains("█ dirty  ▓ writeback  ░ clean"), "{screen}");
        assert!(
            screen.contains("q quit  ↑↓ select  s sort: path  r refresh"),
            "{screen}"
        );
        let b_row = screen
            .lines()
            .find(|l| l.trim_end().ends_with(" b"))
            .expect(&screen);
        assert!(b_row.contains("2 100.0%"), "{b_row}");
        assert!(
            screen.lines().any(|l| l.trim_end().ends_with("TOTAL")),
            "{screen}"
        );
    }

    /// At 80 columns the percentages and evicted count give way: the path
    /// and every count stay whole.
    #[test]
    fn fits_80_by_24() {
        let mut l = live();
        l.s.at = "09:00:00".into();
        let screen = text(&draw(80, 24, &l));
        for f in &l.s.report.as_ref().unwrap().files {
            let row = screen
                .lines()
                .find(|r| r.trim_end().ends_with(&format!(" {}", f.path)))
                .unwrap_or_else(|| panic!("{} not shown whole:\n{screen}", f.path));
            assert!(!row.contains('%'), "{row}");
        }
        assert!(
            screen.contains("CACHED") && screen.contains("PATH"),
            "{screen}"
        );
        assert!(!screen.contains("EVICTED"), "{screen}");
        insta::assert_snapshot!("inspect_live_80x24", screen);
        assert!(text(&draw(110, 30, &l)).contains("EVICTED"));
    }

    #[test]
    fn a_map_that_cannot_be_drawn_says_why() {
        let mut l = live();
        l.s.map = Err(MapMissing::Failed(crate::app::Failure::msg(
            "page-cache state unknown: cachestat(2) answered EPERM",
        )));
        let screen = text(&draw(110, 30, &l));
        assert!(screen.contains("cachestat(2) answered EPERM"), "{screen}");
    }

    #[test]
    fn small_and_empty_areas_do_not_panic() {
        let l = live();
        assert!(text(&draw(40, 10, &l)).contains("terminal too small (40×10"));
        draw(0, 0, &l);
        draw(MIN_WIDTH, MIN_HEIGHT, &l);
    }

    #[test]
    fn the_map_fills_its_panel() {
        let screen = Rect::new(0, 0, 110, 30);
        let [_, _, map, _] = areas(screen);
        assert_eq!(map_cells(screen), 108 * (map.height as usize - 3));
    }

    #[test]
    fn long_paths_keep_their_end() {
        assert_eq!(keep_tail("/a/b/c/file.db", 8), "…file.db");
        assert_eq!(keep_tail("short", 8), "short");
        // By display width: each Chinese character takes two columns.
        assert_eq!(keep_tail("/数据/日志文件", 9), "…日志文件");
    }

    /// Each row's text, a wide character once, with the column it starts at.
    fn cells_of(buf: &Buffer) -> Vec<Vec<(u16, String)>> {
        let a = buf.area;
        (a.top()..a.bottom())
            .map(|y| {
                let (mut row, mut x) = (Vec::new(), a.left());
                while x < a.right() {
                    let sym = buf[(x, y)].symbol().to_string();
                    let w = sym.width().max(1) as u16;
                    row.push((x, sym));
                    x += w;
                }
                row
            })
            .collect()
    }

    fn joined(row: &[(u16, String)]) -> String {
        row.iter().map(|(_, s)| s.as_str()).collect()
    }

    /// The column where `needle` starts in `row`, counted in cells.
    fn column_of(row: &[(u16, String)], needle: &str) -> Option<u16> {
        let text = joined(row);
        let at = text.find(needle)?;
        let chars = text[..at].chars().count();
        Some(row[chars].0)
    }

    fn zh_live() -> Live {
        let mut l = with_map(live());
        l.lang = Lang::Zh;
        l.s.report.as_mut().unwrap().files[2].path = "/数据/日志文件".into();
        l
    }

    #[test]
    fn chinese_columns_line_up_at_every_width() {
        let l = zh_live();
        draw(MIN_WIDTH, MIN_HEIGHT, &l);
        for (w, h) in [(110, 30), (80, 24)] {
            let rows = cells_of(&draw(w, h, &l));
            let screen: Vec<String> = rows.iter().map(|r| joined(r)).collect();
            let screen = screen.join("\n");
            let head = rows
                .iter()
                .find(|r| joined(r).contains("路径"))
                .unwrap_or_else(|| panic!("no heading at {w}×{h}:\n{screen}"));
            let path_x = column_of(head, "路径").unwrap();
            let b = rows
                .iter()
                .find(|r| joined(r).trim_end().ends_with(" b"))
                .expect(&screen);
            assert_eq!(column_of(b, " b").map(|x| x + 1), Some(path_x), "{screen}");
            let total = rows
                .iter()
                .find(|r| joined(r).contains("合计"))
                .expect(&screen);
            assert_eq!(column_of(total, "合计"), Some(path_x), "{screen}");
            // A heading ends in the column its figures end in.
            let end = |r: &[(u16, String)], s: &str| column_of(r, s).map(|x| x + s.width() as u16);
            assert_eq!(end(head, "大小"), end(b, "8.0 KiB"), "{screen}");
            assert_eq!(end(head, "页数"), Some(10 + 1 + 9), "{screen}");
            let num = if w >= WIDE { 16 } else { 9 };
            assert_eq!(
                end(head, "脏页"),
                Some(10 + 1 + 9 + 1 + num + 1 + num),
                "{screen}"
            );
            let at = |r: &[(u16, String)], x: u16| {
                r.iter().find(|(cx, _)| *cx == x).map(|(_, s)| s.clone())
            };
            // b has 2 pages and 2 dirty: each figure ends under its heading.
            assert_eq!(at(b, 19).as_deref(), Some("2"), "{screen}");
            if w < WIDE {
                assert_eq!(at(b, 10 + 1 + 9 + 1 + 9 + 1 + 9 - 1).as_deref(), Some("2"));
            }
            if w == 110 {
                for want in [
                    "iotour inspect · 3 个文件 · cachestat · 每 1.00 秒 · 09:00:00 UTC",
                    "已缓存",
                    "回写中",
                    "已驱逐",
                    "页缓存图：b · 自 0 B 起 · 1 格 = 1 页（4.0 KiB）",
                    "█ 脏  ▓ 回写中  ░ 干净  ▒ 已缓存（脏否未知）  · 未缓存",
                    "q 退出  ↑↓ 选择  s 排序：路径  r 刷新",
                    "/数据/日志文件",
                ] {
                    assert!(screen.contains(want), "{want}\n{screen}");
                }
                let b = joined(b);
                assert!(b.contains("2 100.0%"), "{b}");
            }
        }
    }

    #[test]
    fn chinese_waiting_and_too_small() {
        let mut waiting = live();
        waiting.s.report = None;
        waiting.s.setup.paths = vec!["/srv".into()];
        waiting.lang = Lang::Zh;
        waiting.back = true;
        let screen: Vec<String> = cells_of(&draw(40, 6, &waiting))
            .iter()
            .map(|r| joined(r))
            .collect();
        assert!(screen[1].starts_with("正在测量 /srv …"), "{screen:?}");
        assert!(screen[3].starts_with("q 返回"), "{screen:?}");
        let mut l = zh_live();
        l.back = true;
        let small: Vec<String> = cells_of(&draw(40, 10, &l))
            .iter()
            .map(|r| joined(r))
            .collect();
        assert!(small[0].starts_with("终端太小（40×10"), "{small:?}");
    }
}
