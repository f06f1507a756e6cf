//! The plain-text form of a [`StatsReport`]: state with the distance to each
//! threshold in words, every setting with what it does, rates, pressure, and
//! the busiest writers. English or Chinese: kernel names (`Dirty`,
//! `dirty_ratio`, `nr_dirtied`, the /proc paths) stay as the kernel spells
//! them, and columns are padded by display width.

use std::fmt::Write;

use unicode_width::UnicodeWidthStr;

use super::report::StatsReport;
use iotour_core::probe::system::DirtySettings;
use iotour_core::scenario::Lang;
use iotour_core::size::format_size;
use iotour_core::stats::pressure::Stall;

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

/// `s` right-aligned in `width` display columns (a Chinese character takes two).
fn pad_left(s: &str, width: usize) -> String {
    format!("{}{s}", " ".repeat(width.saturating_sub(s.width())))
}

/// The whole report as text in English, ending in a newline.
pub fn render(r: &StatsReport) -> String {
    render_in(r, Lang::En)
}

/// The whole report as text in `lang`, ending in a newline, notes included
/// (in `lang` too; `--json` has them in English).
pub fn render_in(r: &StatsReport, lang: Lang) -> String {
    let mut out = String::new();
    state(&mut out, r, lang);
    settings(&mut out, &r.settings, lang);
    rates(&mut out, r, lang);
    pressure(&mut out, r, lang);
    writers(&mut out, r, lang);
    for note in notes(r, lang) {
        let _ = writeln!(out, "{}{note}", note_label(lang));
    }
    out
}

/// The report's notes in `lang`.
pub(crate) fn notes(r: &StatsReport, lang: Lang) -> Vec<String> {
    match &r.unreadable {
        Some(u) => vec![u.note(lang)],
        None => r.notes.clone(),
    }
}

/// `note: ` / `注：` (a full-width colon after Chinese).
pub(crate) fn note_label(lang: Lang) -> &'static str {
    t!(lang, "stats_text.note")
}

pub(crate) fn state(out: &mut String, r: &StatsReport, lang: Lang) {
    let _ = writeln!(
        out,
        "{}",
        t!(lang, "stats_text.dirty_page_cache_system_wide")
    );
    let _ = write!(out, "  {:<16} {:>10}", "Dirty", kb(r.dirty_kb));
    match (
        r.distance.dirty_pct_of_background,
        r.dirty_kb,
        r.background_threshold_kb,
    ) {
        (Some(p), Some(d), Some(bg)) if d < bg => {
            let (p, bg, more) = (pct(p), kb(Some(bg)), kb(Some(bg - d)));
            let line = t!(
                lang,
                "stats_text.below_background",
                p = p,
                bg = bg,
                more = more
            );
            let _ = writeln!(out, "{line}");
        }
        (Some(p), Some(_), Some(bg)) => {
            let (p, bg) = (pct(p), kb(Some(bg)));
            let line = t!(lang, "stats_text.over_background", p = p, bg = bg);
            let _ = writeln!(out, "{line}");
        }
        _ => {
            let unknown = t!(lang, "stats_text.background_threshold_unknown");
            let _ = writeln!(out, "   {unknown}");
        }
    }
    let _ = writeln!(out, "  {:<16} {:>10}", "Writeback", kb(r.writeback_kb));
    let dw = r.dirty_kb.zip(r.writeback_kb).map(|(d, w)| d + w);
    let _ = write!(out, "  {:<16} {:>10}", "Dirty+Writeback", kb(dw));
    if let (Some(p), Some(n), Some(hard), Some(from)) = (
        r.distance.dirty_writeback_pct_of_threshold,
        dw,
        r.threshold_kb,
        r.distance.throttle_from_kb,
    ) {
        let verdict = if n >= hard {
            t!(lang, "stats_text.writers_are_blocked_until_writeback").to_string()
        } else if n >= from {
            t!(lang, "stats_text.writers_are_being_throttled").to_string()
        } else {
            let more = kb(Some(from - n));
            t!(lang, "stats_text.unthrottled_for", more = more)
        };
        let (p, hard, from) = (pct(p), kb(Some(hard)), kb(Some(from)));
        let line = t!(
            lang,
            "stats_text.of_the_hard_threshold",
            p = p,
            hard = hard,
            from = from,
            verdict = verdict
        );
        let _ = writeln!(out, "{line}");
    } else {
        let unknown = t!(lang, "stats_text.hard_threshold_unknown");
        let _ = writeln!(out, "   {unknown}");
    }
}

fn settings(out: &mut String, s: &DirtySettings, lang: Lang) {
    let n = |v: Option<u64>| v.map_or_else(|| "?".into(), |v| v.to_string());
    let secs =
        |v: Option<u64>| v.map_or_else(|| "?".into(), |v| format!("{:.2} s", v as f64 / 100.0));
    let same = t!(lang, "stats_text.the_same_as_a_number");
    let (expire, every) = (
        secs(s.dirty_expire_centisecs),
        secs(s.dirty_writeback_centisecs),
    );
    let rows = [
        (
            "dirty_background_ratio",
            n(s.dirty_background_ratio),
            t!(lang, "stats_text.of_dirtyable_memory_at_which").to_string(),
        ),
        (
            "dirty_background_bytes",
            n(s.dirty_background_bytes),
            same.to_string(),
        ),
        (
            "dirty_ratio",
            n(s.dirty_ratio),
            t!(lang, "stats_text.of_dirtyable_memory_at_which_2").to_string(),
        ),
        ("dirty_bytes", n(s.dirty_bytes), same.to_string()),
        (
            "dirty_expire_centisecs",
            n(s.dirty_expire_centisecs),
            t!(lang, "stats_text.dirty_expire", expire = expire),
        ),
        (
            "dirty_writeback_centisecs",
            n(s.dirty_writeback_centisecs),
            t!(lang, "stats_text.flusher_wakes", every = every),
        ),
    ];
    let _ = writeln!(out, "\n{} (/proc/sys/vm)", t!(lang, "stats_text.settings"));
    for (name, value, why) in rows {
        let _ = writeln!(out, "  {name:<26} {value:>6}   {why}");
    }
}

pub(crate) fn rates(out: &mut String, r: &StatsReport, lang: Lang) {
    let secs = r.interval_ms as f64 / 1000.0;
    let title = t!(lang, "stats_text.rates_over", secs = format!("{secs:.2}"));
    let _ = writeln!(out, "\n{title}");
    let page_kib = iotour_core::probe::pages::page_size() / 1024;
    let unit = t!(lang, "stats_text.pages_s");
    let pages = |v: Option<f64>| match v {
        Some(v) => format!(
            "{v:.0} {unit} ({}/s)",
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
            t!(lang, "stats_text.page_cache_pages_newly_dirtied"),
        ),
        (
            "nr_written",
            pages(x.nr_written),
            t!(lang, "stats_text.dirty_pages_written_back_to"),
        ),
        (
            "pgfault",
            per_s(x.pgfault),
            t!(lang, "stats_text.page_faults_minor_and_major"),
        ),
        (
            "pgmajfault",
            per_s(x.pgmajfault),
            t!(lang, "stats_text.faults_that_had_to_wait"),
        ),
        (
            "pgpgin",
            kib(x.pgpgin),
            t!(lang, "stats_text.read_from_block_devices"),
        ),
        (
            "pgpgout",
            kib(x.pgpgout),
            t!(lang, "stats_text.written_to_block_devices"),
        ),
    ];
    for (name, value, why) in rows {
        let _ = writeln!(out, "  {name:<12} {}   {why}", pad_left(&value, 26));
    }
}

pub(crate) fn pressure(out: &mut String, r: &StatsReport, lang: Lang) {
    let _ = writeln!(
        out,
        "\n{}",
        t!(lang, "stats_text.i_o_pressure_proc_pressure")
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
            let some = t!(lang, "stats_text.at_least_one_task_waiting");
            line(out, "some", &p.some, some);
            if let Some(full) = &p.full {
                let all = t!(lang, "stats_text.every_non_idle_task_waiting");
                line(out, "full", full, all);
            }
        }
        (None, why) => {
            // The reason comes from the probe and stays English, as in --json.
            let _ = writeln!(
                out,
                "  {}{}",
                t!(lang, "stats_text.unknown"),
                why.as_deref().unwrap_or("not read")
            );
        }
    }
}

pub(crate) fn writers(out: &mut String, r: &StatsReport, lang: Lang) {
    let _ = writeln!(out, "\n{}", t!(lang, "stats_text.top_writers_proc_pid_io"));
    if r.top_writers.is_empty() {
        let _ = writeln!(
            out,
            "  {}",
            t!(lang, "stats_text.no_readable_process_dirtied_page")
        );
        return;
    }
    let _ = writeln!(
        out,
        "  {:>8}  {}  {}  {}",
        "PID",
        pad_left(t!(lang, "stats_text.write_s"), 14),
        pad_left(t!(lang, "stats_text.cancelled_s"), 14),
        t!(lang, "stats_text.command"),
    );
    for w in &r.top_writers {
        let _ = writeln!(
            out,
            "  {:>8}  {:>14}  {:>14}  {}",
            w.pid,
            format!("{}/s", format_size(w.write_bytes_per_s as u64)),
            format!("{}/s", format_size(w.cancelled_write_bytes_per_s as u64)),
            // Any process may name itself anything, escapes included.
            crate::sanitize::safe(&w.comm)
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
    fn chinese_says_the_same_and_keeps_the_columns() {
        let (a, b) = samples();
        let text = render_in(&StatsReport::between(&a, &b, 10), Lang::Zh);
        for want in [
            "脏页缓存（全系统）",
            "Dirty 已达后台回写阈值（97.7 MiB）的 30%：再增加 68.4 MiB，flusher 线程就开始回写",
            "已达硬阈值（195.3 MiB）的 20%；从 146.5 MiB（两个阈值的中点）开始限速",
            "再增加 107.4 MiB 之前，写入进程不受限速",
            "设置 (/proc/sys/vm)",
            "写回存储设备的脏页",
            "未知：/proc/pressure/io not present",
            "写入最多的进程",
            "注：11 个进程中有 7 个的 /proc/PID/io 无法读取",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
        // Every rate's explanation starts at the same column, as in English.
        let starts: Vec<usize> = ["nr_dirtied", "nr_written", "pgfault", "pgpgout"]
            .iter()
            .map(|name| {
                let line = text
                    .lines()
                    .find(|l| l.trim_start().starts_with(name))
                    .unwrap_or_else(|| panic!("{name}\n{text}"));
                // The explanation follows the last run of three spaces.
                line[..line.rfind("   ").unwrap()].width()
            })
            .collect();
        assert!(
            starts.iter().all(|&w| w == 2 + 12 + 1 + 26),
            "{starts:?}\n{text}"
        );
        // The writers' headings end where their figures end.
        let head = text.lines().find(|l| l.contains("写入/s")).expect(&text);
        let row = text.lines().find(|l| l.ends_with("  dd")).expect(&text);
        let end = |l: &str, s: &str| l[..l.find(s).unwrap() + s.len()].width();
        assert_eq!(end(head, "写入/s"), end(row, "4.0 KiB/s"), "{head}\n{row}");
        assert_eq!(end(head, "丢弃/s"), end(row, "2.0 KiB/s"), "{head}\n{row}");
        // English is what it was.
        let en = render(&StatsReport::between(&a, &b, 10));
        assert_eq!(en, render_in(&StatsReport::between(&a, &b, 10), Lang::En));
        assert!(!en.contains('脏'));
    }

    /// The whole text in both languages: a change to either shows up here.
    #[test]
    fn the_whole_text_in_both_languages() {
        let (a, b) = samples();
        let r = StatsReport::between(&a, &b, 10);
        insta::assert_snapshot!("stats_text_en", render(&r));
        insta::assert_snapshot!("stats_text_zh", render_in(&r, Lang::Zh));
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
