//! The plain-text form of an [`InspectReport`]: one row per file with the
//! path last (paths vary in length, figures do not), a totals row, notes,
//! and the page map when one file was measured.

use std::fmt::Write;

use super::report::{FileReport, InspectReport, MapView, Totals};
use crate::probe::pages::CellState;
use crate::size::format_size;

/// Map cells per text row.
pub const MAP_COLUMNS: usize = 64;

/// One character per cell state: the map's alphabet.
pub fn glyph(state: CellState) -> char {
    match state {
        CellState::NotCached => '.',
        CellState::Cached => 'o',
        CellState::Clean => '#',
        CellState::Dirty => 'D',
        CellState::Writeback => 'W',
    }
}

pub const LEGEND: &str =
    "D dirty  W under writeback  # cached, clean  o cached (dirtiness unknown)  . not cached";

/// The whole table as text, ending in a newline.
pub fn render(report: &InspectReport, page_size: u64) -> String {
    let mut out = String::new();
    // Notes first: a fallback source changes how every row should be read.
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(
        out,
        "{:>10} {:>9} {:>16} {:>16} {:>16} {:>9} {:>9}  {:<9}  PATH",
        "SIZE", "PAGES", "CACHED", "DIRTY", "WRITEBACK", "EVICTED", "RECENT", "SOURCE"
    );
    for f in &report.files {
        row(&mut out, f);
    }
    totals_row(&mut out, &report.totals);
    summary(&mut out, &report.totals, page_size);
    if let Some(view) = &report.map {
        map(&mut out, view, page_size);
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
        f.path,
    );
    if let Some(err) = &f.error {
        let _ = write!(out, "  ({err})");
    }
    out.push('\n');
}

fn totals_row(out: &mut String, t: &Totals) {
    let size = t.size.map_or_else(|| "?".to_string(), format_size);
    let _ = writeln!(
        out,
        "{size:>10} {:>9} {} {} {} {:>9} {:>9}  {:<9}  TOTAL ({} file{})",
        count(t.pages),
        with_pct(t.cached, t.pages),
        with_pct(t.dirty, t.pages),
        with_pct(t.writeback, t.pages),
        count(t.evicted),
        count(t.recently_evicted),
        "",
        t.files,
        if t.files == 1 { "" } else { "s" },
    );
}

fn summary(out: &mut String, t: &Totals, page_size: u64) {
    let mut parts = vec![format!("pages of {page_size} bytes")];
    if t.errors > 0 {
        parts.push(format!("{} with errors", t.errors));
    }
    let s = |n: u64| if n == 1 { "" } else { "s" };
    if t.skipped > 0 {
        parts.push(format!(
            "{} special file{} skipped",
            t.skipped,
            s(t.skipped)
        ));
    }
    if t.symlinks_not_followed > 0 {
        let n = t.symlinks_not_followed;
        parts.push(format!("{n} symbolic link{} not followed (--follow)", s(n)));
    }
    if t.duplicates > 0 {
        let n = t.duplicates;
        parts.push(format!(
            "{n} name{} of files or directories already seen",
            s(n)
        ));
    }
    if t.files > 0 && (t.cached.is_none() || t.dirty.is_none()) {
        parts.push("a total is ? when any file's figure is unknown".into());
    }
    let _ = writeln!(out, "{}", parts.join("; "));
}

fn map(out: &mut String, view: &MapView, page_size: u64) {
    let m = &view.map;
    if m.cells.is_empty() {
        let _ = writeln!(out, "\nmap of {}: no pages in range", view.path);
        return;
    }
    let cell_bytes = m.pages_per_cell * page_size;
    let _ = writeln!(
        out,
        "\nmap of {} from byte {}: {} pages, 1 cell = {} page{} ({})",
        view.path,
        view.offset,
        m.pages,
        m.pages_per_cell,
        if m.pages_per_cell == 1 { "" } else { "s" },
        format_size(cell_bytes),
    );
    for (i, line) in m.cells.chunks(MAP_COLUMNS).enumerate() {
        let at = view.offset + (i * MAP_COLUMNS) as u64 * cell_bytes;
        let cells: String = line.iter().map(|&c| glyph(c)).collect();
        let _ = writeln!(out, "{:>10} |{cells}|", format_size(at));
    }
    let _ = writeln!(out, "{LEGEND}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::report::Status;
    use crate::probe::pages::{PageCounts, PageMap};

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
        assert_eq!(map[3], LEGEND);
    }
}
