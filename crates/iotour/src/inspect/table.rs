//! The plain-text form of an [`InspectReport`]: one row per file with the
//! path last (paths vary in length, figures do not), a totals row, notes,
//! and the page map when one file was measured. English or Chinese; the
//! headings are padded by display width so the columns line up in both.

use std::fmt::Write;

use unicode_width::UnicodeWidthStr;

use crate::sanitize::safe;
use iotour_core::inspect::report::{FileReport, InspectReport, MapView, Totals};
use iotour_core::probe::pages::CellState;
use iotour_core::scenario::Lang;
use iotour_core::size::format_size;

/// Map cells per text row.
pub const MAP_COLUMNS: usize = 64;

/// One character per cell state: the map's alphabet.
pub fn glyph(state: CellState) -> char {
    match state {
        CellState::NotCached => '.',
        CellState::Evicted => 'x',
        CellState::Cached => 'o',
        CellState::Clean => '#',
        CellState::Dirty => 'D',
        CellState::Writeback => 'W',
    }
}

/// The legend of the map in `lang`.
pub fn legend(lang: Lang) -> &'static str {
    t!(lang, "inspect_table.legend")
}

/// `s` right-aligned in `width` display columns (a Chinese character takes two).
fn right(s: &str, width: usize) -> String {
    format!("{}{s}", " ".repeat(width.saturating_sub(s.width())))
}

/// `s` left-aligned in `width` display columns.
fn left(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(s.width())))
}

/// The whole table as text in English, ending in a newline.
pub fn render(report: &InspectReport, page_size: u64) -> String {
    render_in(report, page_size, Lang::En)
}

/// The whole table as text in `lang`, ending in a newline. Paths, sources,
/// notes and errors (from the kernel and the probes) stay as they are.
pub fn render_in(report: &InspectReport, page_size: u64, lang: Lang) -> String {
    let mut out = String::new();
    // Notes first: a fallback source changes how every row should be read.
    for note in &report.notes {
        let _ = writeln!(out, "{}{note}", t!(lang, "inspect_table.note"));
    }
    for note in mount_notes(report, lang) {
        let _ = writeln!(out, "{}{note}", t!(lang, "inspect_table.note"));
    }
    let _ = writeln!(
        out,
        "{} {} {} {} {} {} {}  {}  {}",
        right(t!(lang, "inspect_table.size"), 10),
        right(t!(lang, "inspect_table.pages"), 9),
        right(t!(lang, "inspect_table.cached"), 16),
        right(t!(lang, "inspect_table.dirty"), 16),
        right(t!(lang, "inspect_table.writeback"), 16),
        right(t!(lang, "inspect_table.evicted"), 9),
        right(t!(lang, "inspect_table.recent"), 9),
        left(t!(lang, "inspect_table.source"), 9),
        t!(lang, "inspect_table.path"),
    );
    for f in &report.files {
        row(&mut out, f);
    }
    totals_row(&mut out, &report.totals, lang);
    summary(&mut out, &report.totals, page_size, lang);
    if let Some(view) = &report.map {
        map(&mut out, view, page_size, lang);
    }
    out
}

pub(crate) fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "?".to_string(), |n| n.to_string())
}

/// `n` and its share of `of` in a 16-wide column: `  2048  12.5%`.
pub(crate) fn with_pct(n: Option<u64>, of: Option<u64>) -> String {
    match (n, of) {
        (Some(n), Some(of)) if of > 0 => format!("{n:>9} {:>5.1}%", n as f64 * 100.0 / of as f64),
        (Some(n), _) => format!("{n:>9} {:>6}", ""),
        (None, _) => format!("{:>9} {:>6}", "?", ""),
    }
}

fn row(out: &mut String, f: &FileReport) {
    let size = f.size.map_or_else(|| "?".to_string(), format_size);
    let _ = write!(
        out,
        "{size:>10} {:>9} {} {} {} {:>9} {:>9}  {:<9}  {}",
        count(f.pages),
        with_pct(f.cached, f.pages),
        with_pct(f.dirty, f.pages),
        with_pct(f.writeback, f.pages),
        count(f.evicted),
        count(f.recently_evicted),
        f.source.unwrap_or("-"),
        safe(&f.path),
    );
    if let Some(err) = &f.error {
        let _ = write!(out, "  ({})", safe(err));
    }
    out.push('\n');
}

fn totals_row(out: &mut String, t: &Totals, lang: Lang) {
    let size = t.size.map_or_else(|| "?".to_string(), format_size);
    let n = t.files;
    let total = t!(
        lang,
        "inspect_table.total_files",
        n = n,
        s = if n == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "{size:>10} {:>9} {} {} {} {:>9} {:>9}  {:<9}  {total}",
        count(t.pages),
        with_pct(t.cached, t.pages),
        with_pct(t.dirty, t.pages),
        with_pct(t.writeback, t.pages),
        count(t.evicted),
        count(t.recently_evicted),
        "",
    );
}

fn summary(out: &mut String, t: &Totals, page_size: u64, lang: Lang) {
    let mut parts = vec![t!(lang, "inspect_table.pages_of_bytes", size = page_size)];
    if t.errors > 0 {
        parts.push(t!(lang, "inspect_table.with_errors", n = t.errors));
    }
    let s = |n: u64| if n == 1 { "" } else { "s" };
    if t.skipped > 0 {
        let n = t.skipped;
        parts.push(t!(lang, "inspect_table.special_skipped", n = n, s = s(n)));
    }
    if t.symlinks_not_followed > 0 {
        let n = t.symlinks_not_followed;
        parts.push(t!(
            lang,
            "inspect_table.links_not_followed",
            n = n,
            s = s(n)
        ));
    }
    if t.duplicates > 0 {
        let n = t.duplicates;
        parts.push(t!(lang, "inspect_table.names_seen", n = n, s = s(n)));
    }
    if t.files > 0 && (t.cached.is_none() || t.dirty.is_none()) {
        parts.push(t!(lang, "inspect_table.a_total_is_when_any").into());
    }
    let _ = writeln!(out, "{}", parts.join(t!(lang, "inspect_table.separator")));
}

/// How many mount points were left out and which (a few), in `lang`: the
/// table's and the live view's note.
pub fn mount_notes(report: &InspectReport, lang: Lang) -> Vec<String> {
    const SHOWN: usize = 6;
    let list = |paths: Vec<String>| {
        let more = paths.len().saturating_sub(SHOWN);
        let mut l: Vec<String> = paths.into_iter().take(SHOWN).collect();
        if more > 0 {
            l.push(t!(lang, "inspect_table.more", more = more));
        }
        l.join(", ")
    };
    let mut notes = Vec::new();
    let pseudo = &report.mounts.pseudo;
    if !pseudo.is_empty() {
        let n = pseudo.len();
        let paths = list(
            pseudo
                .iter()
                .map(|(p, kind)| format!("{} {kind}", safe(p)))
                .collect(),
        );
        notes.push(t!(
            lang,
            "inspect_table.pseudo_not_entered",
            n = n,
            s = if n == 1 { "" } else { "s" },
            paths = paths
        ));
    }
    let other = &report.mounts.other;
    if !other.is_empty() {
        let n = other.len();
        let paths = list(other.iter().map(|p| safe(p).into_owned()).collect());
        notes.push(t!(
            lang,
            "inspect_table.other_not_entered",
            n = n,
            s = if n == 1 { "" } else { "s" },
            paths = paths
        ));
    }
    notes
}

fn map(out: &mut String, view: &MapView, page_size: u64, lang: Lang) {
    let m = &view.map;
    let path = safe(&view.path);
    if m.cells.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            t!(lang, "inspect_table.map_empty", path = path)
        );
        return;
    }
    let cell_bytes = m.pages_per_cell * page_size;
    let (off, pages, per, bytes) = (
        view.offset,
        m.pages,
        m.pages_per_cell,
        format_size(cell_bytes),
    );
    let head = t!(
        lang,
        "inspect_table.map_of",
        path = path,
        off = off,
        pages = pages,
        per = per,
        s = if per == 1 { "" } else { "s" },
        bytes = bytes
    );
    let _ = writeln!(out, "\n{head}");
    for (i, line) in m.cells.chunks(MAP_COLUMNS).enumerate() {
        let at = view.offset + (i * MAP_COLUMNS) as u64 * cell_bytes;
        let cells: String = line.iter().map(|&c| glyph(c)).collect();
        let _ = writeln!(out, "{:>10} |{cells}|", format_size(at));
    }
    let _ = writeln!(out, "{}", legend(lang));
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotour_core::inspect::report::Status;
    use iotour_core::probe::pages::{PageCounts, PageMap};

    fn report() -> InspectReport {
        let measured = FileReport {
            path: "/data/db".into(),
            size: Some(8 << 20),
            pages: Some(2048),
            cached: Some(1024),
            dirty: Some(256),
            writeback: Some(0),
            evicted: Some(3),
            recently_evicted: Some(1),
            source: Some("cachestat"),
            error: None,
            status: Status::Measured,
        };
        let files = vec![
            measured,
            FileReport::without_figures(
                "/data/gone".into(),
                Status::Failed,
                "cannot open: No such file".into(),
            ),
        ];
        let totals = Totals::over(&files);
        InspectReport {
            files,
            totals,
            map: Some(MapView {
                path: "/data/db".into(),
                offset: 0,
                map: PageMap {
                    pages: 2048,
                    pages_per_cell: 32,
                    cells: [
                        CellState::Dirty,
                        CellState::Clean,
                        CellState::NotCached,
                        CellState::Writeback,
                    ]
                    .repeat(16)
                    .into_iter()
                    .chain([CellState::Cached])
                    .collect(),
                    totals: PageCounts::default(),
                },
            }),
            notes: vec!["a note".into()],
            mounts: iotour_core::inspect::report::SkippedMounts::default(),
        }
    }

    #[test]
    fn rows_show_counts_percentages_and_errors() {
        let text = render(&report(), 4096);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "note: a note");
        let lines = &lines[1..];
        assert!(lines[0].starts_with("      SIZE     PAGES"), "{text}");
        assert!(lines[1].contains("1024  50.0%"), "{text}");
        assert!(lines[1].contains("256  12.5%"), "{text}");
        assert!(lines[1].ends_with("cachestat  /data/db"), "{text}");
        assert!(
            lines[2].ends_with("/data/gone  (cannot open: No such file)"),
            "{text}"
        );
        assert!(lines[3].contains("TOTAL (1 file)"), "{text}");
        assert!(lines[4].contains("1 with errors"), "{text}");
    }

    #[test]
    fn chinese_headings_end_where_their_figures_do() {
        let text = render_in(&report(), 4096, Lang::Zh);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "注：a note");
        let (head, row) = (lines[1], lines[2]);
        let end = |l: &str, s: &str| l[..l.find(s).unwrap() + s.len()].width();
        assert_eq!(end(head, "大小"), end(row, "8.0 MiB"), "{text}");
        assert_eq!(end(head, "已缓存"), end(row, "1024  50.0%"), "{text}");
        assert_eq!(end(head, "脏页"), end(row, "256  12.5%"), "{text}");
        assert_eq!(end(head, "近期驱逐"), end(row, "        1"), "{text}");
        let start = |l: &str, s: &str| l[..l.find(s).unwrap()].width();
        assert_eq!(start(head, "数据源"), start(row, "cachestat"), "{text}");
        assert_eq!(start(head, "路径"), start(row, "/data/db"), "{text}");
        assert!(lines[4].contains("合计（1 个文件）"), "{text}");
        assert!(lines[5].starts_with("每页 4096 字节；1 个出错"), "{text}");
        assert!(
            text.contains(
                "/data/db 的页缓存图，自第 0 字节起：共 2048 页，1 格 = 32 页（128.0 KiB）"
            ),
            "{text}"
        );
        assert!(text.ends_with(&format!("{}\n", legend(Lang::Zh))), "{text}");
        // English is what it was.
        assert_eq!(
            render(&report(), 4096),
            render_in(&report(), 4096, Lang::En)
        );
    }

    /// The whole table in both languages: a change to either shows up here.
    #[test]
    fn the_whole_table_in_both_languages() {
        insta::assert_snapshot!("inspect_table_en", render(&report(), 4096));
        insta::assert_snapshot!("inspect_table_zh", render_in(&report(), 4096, Lang::Zh));
    }

    #[test]
    fn the_map_wraps_rows_and_labels_offsets() {
        let text = render(&report(), 4096);
        let map: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("map of"))
            .collect();
        assert!(
            map[0].contains("2048 pages, 1 cell = 32 pages (128.0 KiB)"),
            "{text}"
        );
        assert_eq!(map[1], format!("{:>10} |{}|", "0 B", "D#.W".repeat(16)));
        assert_eq!(map[2], format!("{:>10} |o|", "8.0 MiB"));
        assert_eq!(map[3], legend(Lang::En));
    }
}
