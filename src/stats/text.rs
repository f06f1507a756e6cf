//! The plain-text form of a [`StatsReport`]: state with the distance to each
//! threshold in words, every setting with what it does, rates, pressure, and
//! the busiest writers.

use std::fmt::Write;

use super::pressure::Stall;
use super::report::StatsReport;
use crate::probe::system::DirtySettings;
use crate::size::format_size;

pub(crate) fn kb(v: Option<u64>) -> String {
    v.map_or_else(|| "?".into(), |k| format_size(k * 1024))
}

fn pct(v: f64) -> String {
    // Tiny shares read as 0%, which would hide that there is some.
    if v > 0.0 && v < 1.0 {
        format!("{v:.1}%")
    } else {
        format!("{v:.0}%")
    }
}

/// The whole report as text, ending in a newline.
pub fn render(r: &StatsReport) -> String {
    let mut out = String::new();
    state(&mut out, r);
    settings(&mut out, &r.settings);
    rates(&mut out, r);
    pressure(&mut out, r);
    writers(&mut out, r);
    for note in &r.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

pub(crate) fn state(out: &mut String, r: &StatsReport) {
    let _ = writeln!(out, "Dirty page cache, system-wide");
    let _ = write!(out, "  {:<16} {:>10}", "Dirty", kb(r.dirty_kb));
    match (
        r.distance.dirty_pct_of_background,
        r.dirty_kb,
        r.background_threshold_kb,
    ) {
        (Some(p), Some(d), Some(bg)) if d < bg => {
            let _ = writeln!(
                out,
                "   Dirty is {} of the background threshold ({}): the flusher threads start writing back after {} more",
                pct(p),
                kb(Some(bg)),
                kb(Some(bg - d)),
            );
        }
        (Some(p), Some(_), Some(bg)) => {
            let _ = writeln!(
                out,
                "   Dirty is {} of the background threshold ({}): background writeback is under way",
                pct(p),
                kb(Some(bg)),
            );
        }
        _ => {
            let _ = writeln!(out, "   (background threshold unknown)");
        }
    }
    let _ = writeln!(out, "  {:<16} {:>10}", "Writeback", kb(r.writeback_kb));
    let dw = r.dirty_kb.zip(r.writeback_kb).map(|(d, w)| d + w);
    let _ = write!(out, "  {:<16} {:>10}", "Dirty+Writeback", kb(dw));
    match (
        r.distance.dirty_writeback_pct_of_threshold,
        dw,
        r.threshold_kb,
        r.distance.throttle_from_kb,
    ) {
        (Some(p), Some(n), Some(hard), Some(from)) => {
            let verdict = if n >= hard {
                "writers are blocked until writeback catches up".to_string()
            } else if n >= from {
                "writers are being throttled".to_string()
            } else {
                format!("writers run unthrottled for {} more", kb(Some(from - n)))
            };
            let _ = writeln!(
                out,
                "   {} of the hard threshold ({}); throttling starts at {} (halfway between the thresholds): {verdict}",
                pct(p),
                kb(Some(hard)),
                kb(Some(from)),
            );
        }
        _ => {
            let _ = writeln!(out, "   (hard threshold unknown)");
        }
    }
}

fn settings(out: &mut String, s: &DirtySettings) {
    let n = |v: Option<u64>| v.map_or_else(|| "?".into(), |v| v.to_string());
    let secs =
        |v: Option<u64>| v.map_or_else(|| "?".into(), |v| format!("{:.2} s", v as f64 / 100.0));
    let rows = [
        (
            "dirty_background_ratio",
            n(s.dirty_background_ratio),
            "% of dirtyable memory at which background writeback starts (unused while dirty_background_bytes is set)".to_string(),
        ),
        (
            "dirty_background_bytes",
            n(s.dirty_background_bytes),
            "the same as a number of bytes; 0 means the ratio is used".to_string(),
        ),
        (
            "dirty_ratio",
            n(s.dirty_ratio),
            "% of dirtyable memory at which a writing process must wait for writeback (unused while dirty_bytes is set)".to_string(),
        ),
        (
            "dirty_bytes",
            n(s.dirty_bytes),
            "the same as a number of bytes; 0 means the ratio is used".to_string(),
        ),
        (
            "dirty_expire_centisecs",
            n(s.dirty_expire_centisecs),
            format!("data dirty for longer than this ({}) is written by the next flusher run", secs(s.dirty_expire_centisecs)),
        ),
        (
            "dirty_writeback_centisecs",
            n(s.dirty_writeback_centisecs),
            format!("the flusher threads wake this often ({}); 0 turns periodic writeback off", secs(s.dirty_writeback_centisecs)),
        ),
    ];
    let _ = writeln!(out, "\nSettings (/proc/sys/vm)");
    for (name, value, why) in rows {
        let _ = writeln!(out, "  {name:<26} {value:>6}   {why}");
    }
}

pub(crate) fn rates(out: &mut String, r: &StatsReport) {
    let _ = writeln!(
        out,
        "\nRates over {:.2} s (/proc/vmstat)",
        r.interval_ms as f64 / 1000.0
    );
    let page_kib = crate::probe::pages::page_size() / 1024;
    let pages = |v: Option<f64>| match v {
        Some(v) => format!(
            "{v:.0} pages/s ({}/s)",
            format_size((v * page_kib as f64 * 1024.0) as u64)
        ),
        None => "?".into(),
    };
    let per_s = |v: Option<f64>| v.map_or_else(|| "?".into(), |v| format!("{v:.0}/s"));
    let kib = |v: Option<f64>| {
        v.map_or_else(
            || "?".into(),
            |v| format!("{}/s", format_size((v * 1024.0) as u64)),
        )
    };
    let x = &r.rates;
    let rows = [
        (
            "nr_dirtied",
            pages(x.nr_dirtied),
            "page-cache pages newly dirtied",
        ),
        (
            "nr_written",
            pages(x.nr_written),
            "dirty pages written back to storage",
        ),
        ("pgfault", per_s(x.pgfault), "page faults, minor and major"),
        (
            "pgmajfault",
            per_s(x.pgmajfault),
            "faults that had to wait for storage",
        ),
        ("pgpgin", kib(x.pgpgin), "read from block devices"),
        ("pgpgout", kib(x.pgpgout), "written to block devices"),
    ];
    for (name, value, why) in rows {
        let _ = writeln!(out, "  {name:<12} {value:>26}   {why}");
    }
}

pub(crate) fn pressure(out: &mut String, r: &StatsReport) {
    let _ = writeln!(
        out,
        "\nI/O pressure (/proc/pressure/io): share of time tasks were stalled on I/O"
    );
    let line = |out: &mut String, name: &str, s: &Stall, what: &str| {
        let _ = writeln!(
            out,
            "  {name:<5} avg10 {:>6.2}%  avg60 {:>6.2}%  avg300 {:>6.2}%   {what}",
            s.avg10, s.avg60, s.avg300
        );
    };
    match (&r.io_pressure, &r.io_pressure_error) {
        (Some(p), _) => {
            line(out, "some", &p.some, "at least one task waiting");
            if let Some(full) = &p.full {
                line(out, "full", full, "every non-idle task waiting at once");
            }
        }
        (None, why) => {
            let _ = writeln!(out, "  unknown: {}", why.as_deref().unwrap_or("not read"));
        }
    }
}

pub(crate) fn writers(out: &mut String, r: &StatsReport) {
    let _ = writeln!(
        out,
        "\nTop writers (/proc/PID/io: bytes dirtied, and dirtied then thrown away before writeback)"
    );
    if r.top_writers.is_empty() {
        let _ = writeln!(
            out,
            "  no readable process dirtied page-cache pages in the window"
        );
        return;
    }
    let _ = writeln!(
        out,
        "  {:>8}  {:>14}  {:>14}  COMMAND",
        "PID", "WRITE/s", "CANCELLED/s"
    );
    for w in &r.top_writers {
        let _ = writeln!(
            out,
            "  {:>8}  {:>14}  {:>14}  {}",
            w.pid,
            format!("{}/s", format_size(w.write_bytes_per_s as u64)),
            format!("{}/s", format_size(w.cancelled_write_bytes_per_s as u64)),
            w.comm
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::report::tests::samples;

    #[test]
    fn says_the_distance_to_each_threshold_in_words() {
        let (a, b) = samples();
        let text = render(&StatsReport::between(&a, &b, 10));
        assert!(
            text.contains("Dirty is 30% of the background threshold (97.7 MiB): the flusher threads start writing back after 68.4 MiB more"),
            "{text}"
        );
        assert!(
            text.contains("20% of the hard threshold (195.3 MiB); throttling starts at 146.5 MiB"),
            "{text}"
        );
        assert!(
            text.contains("writers run unthrottled for 107.4 MiB more"),
            "{text}"
        );
    }

    #[test]
    fn explains_every_setting_and_shows_unknowns() {
        let (a, b) = samples();
        let text = render(&StatsReport::between(&a, &b, 10));
        for name in [
            "dirty_background_ratio",
            "dirty_background_bytes",
            "dirty_ratio ",
            "dirty_bytes",
            "dirty_expire_centisecs",
            "dirty_writeback_centisecs",
        ] {
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with(name))
                .unwrap_or_else(|| panic!("{name}\n{text}"));
            assert!(line.len() > 50, "no explanation: {line}");
        }
        assert!(
            text.contains("unknown: /proc/pressure/io not present"),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("pgpgout") && l.contains(" ? ")),
            "{text}"
        );
        let writer = text.lines().find(|l| l.ends_with("  dd")).expect(&text);
        assert!(
            writer.contains("4.0 KiB/s") && writer.contains("2.0 KiB/s"),
            "{writer}"
        );
    }

    #[test]
    fn over_the_thresholds_says_so() {
        let (a, mut b) = samples();
        b.mem.dirty_kb = Some(180_000);
        let text = render(&StatsReport::between(&a, &b, 10));
        assert!(text.contains("background writeback is under way"), "{text}");
        assert!(text.contains("writers are being throttled"), "{text}");
        b.mem.dirty_kb = Some(195_000);
        let text = render(&StatsReport::between(&a, &b, 10));
        assert!(text.contains("writers are blocked"), "{text}");
    }
}
