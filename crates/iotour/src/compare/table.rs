//! `compare --headless`: one row per figure, one column per scenario (A, B,
//! …), then the ratio of each scenario to A. `?` is an unknown figure, `—` a
//! ratio that cannot be taken (unknown, or A is 0).

use std::fmt::Write as _;

use super::{Comparison, Figure, Kind};
use crate::report::table::duration;

fn value(f: Figure, v: Option<u64>) -> String {
    match (f, v) {
        (_, None) => "?".into(),
        (Figure::DurationNs, Some(ns)) => duration(ns),
        (Figure::ThroughputBytesPerSec, Some(b)) => format!("{:.1} MiB/s", b as f64 / 1_048_576.0),
        (_, Some(v)) => v.to_string(),
    }
}

/// A ratio with three significant figures (at least one decimal below 100).
pub fn ratio(r: Option<f64>) -> String {
    let Some(r) = r else {
        return "—".into();
    };
    if r == 0.0 {
        return "0×".into();
    }
    let magnitude = r.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).clamp(0, 6) as usize;
    format!("{r:.decimals$}×")
}

fn kind(k: Kind) -> &'static str {
    match k {
        Kind::Measured => "measured",
        Kind::Modeled => "modeled",
        Kind::Derived => "derived",
    }
}

/// The table's cells: a header row, one row per figure, then whether each
/// scenario's expectations held. Shared by the text table and the TUI.
pub fn rows(c: &Comparison) -> Vec<Vec<String>> {
    let mut header = vec!["figure".to_string(), "source".to_string()];
    header.extend((0..c.scenarios.len()).map(|i| letter(i).to_string()));
    header.extend((1..c.scenarios.len()).map(|i| format!("{}/A", letter(i))));
    let mut rows = vec![header];
    for f in Figure::ALL {
        let mut row = vec![f.label().to_string(), kind(f.kind()).to_string()];
        row.extend(c.scenarios.iter().map(|s| value(f, s.totals.get(f))));
        row.extend(c.ratios.iter().map(|r| ratio(r.values.get(f))));
        rows.push(row);
    }
    let mut last = vec!["expectations".to_string(), String::new()];
    last.extend(
        c.scenarios
            .iter()
            .map(|s| if s.ok { "ok" } else { "FAILED" }.to_string()),
    );
    rows.push(last);
    rows
}

/// Column letter of scenario `i` (A, B, …).
pub fn letter(i: usize) -> char {
    char::from(b'A' + (i % 26) as u8)
}

/// The whole comparison as text.
pub fn render(c: &Comparison) -> String {
    let mut out = String::new();
    for (i, s) in c.scenarios.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}  {} — {}",
            letter(i),
            crate::sanitize::safe(&s.id),
            crate::sanitize::safe(&s.title)
        );
    }
    let rows = rows(c);
    let cols = rows[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let _ = writeln!(out);
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i < 2 {
                let _ = write!(line, "{cell:<w$}  ");
            } else {
                let _ = write!(line, "{cell:>w$}  ");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(
        out,
        "\nmeasured: read from the kernel; modeled: from the op's copy path; \
         throughput: the scenario's bytes ÷ measured time."
    );
    out
}
