//! The one formatter of figures by key ([`Key`]): what a user reads for an
//! expectation, in words and units, in the headless table, `verify`'s lines
//! and the TUI's narration alike:
//!
//! ```text
//! syscalls: 10,487, expected exactly 10,486
//! duration: 1.75 s, expected under 3 s
//! bytes written (wchar): 1 MiB, expected exactly 1 MiB
//! ```
//! JSON keeps the raw `key`, `rule` and `actual`. A key or rule this build
//! does not know (a recording from another version) is shown as written.

use iotour_core::scenario::{Key, Lang, Rule};

use crate::sanitize::safe;
use crate::ui::text::count;

/// What a figure counts, for its value's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Count,
    Bytes,
    KiB,
    Nanoseconds,
    Microseconds,
}

fn unit(key: Key) -> Unit {
    match key {
        Key::DurationNs => Unit::Nanoseconds,
        Key::IoPressureSomeUs | Key::IoPressureFullUs => Unit::Microseconds,
        Key::Rchar
        | Key::Wchar
        | Key::ReadBytes
        | Key::WriteBytes
        | Key::CpuCopyBytes
        | Key::DmaCopyBytes
        | Key::FileBytesWritten
        | Key::DiskWriteBytes
        | Key::JournalWriteBytes => Unit::Bytes,
        Key::SystemDirtyKb | Key::SystemWritebackKb | Key::RssKb => Unit::KiB,
        Key::Syscalls
        | Key::KernelThreadCtxSwitches
        | Key::FileEvictedPages
        | Key::FileRecentlyEvictedPages
        | Key::WorkingsetRefaults
        | Key::VoluntaryCtxSwitches
        | Key::InvoluntaryCtxSwitches
        | Key::MinorFaults
        | Key::MajorFaults
        | Key::FileCachedPages
        | Key::FileDirtyPages
        | Key::FileWritebackPages
        | Key::ModeSwitches
        | Key::CpuCopies
        | Key::DmaCopies
        | Key::FileWriteCalls
        | Key::FileReadCalls
        | Key::FileSyncCalls
        | Key::FileSendfileCalls
        | Key::FileMapFaults
        | Key::FilePeakDirtyPages => Unit::Count,
    }
}

/// The figure's name in words.
pub fn name(key: Key, lang: Lang) -> &'static str {
    let message = match key {
        Key::DurationNs => k!("figures.duration_ns"),
        Key::Syscalls => k!("figures.syscalls"),
        Key::VoluntaryCtxSwitches => k!("figures.voluntary_ctx_switches"),
        Key::InvoluntaryCtxSwitches => k!("figures.involuntary_ctx_switches"),
        Key::MinorFaults => k!("figures.minor_faults"),
        Key::MajorFaults => k!("figures.major_faults"),
        Key::Rchar => k!("figures.rchar"),
        Key::Wchar => k!("figures.wchar"),
        Key::ReadBytes => k!("figures.read_bytes"),
        Key::WriteBytes => k!("figures.write_bytes"),
        Key::FileCachedPages => k!("figures.file_cached_pages"),
        Key::FileDirtyPages => k!("figures.file_dirty_pages"),
        Key::FileWritebackPages => k!("figures.file_writeback_pages"),
        Key::SystemDirtyKb => k!("figures.system_dirty_kb"),
        Key::SystemWritebackKb => k!("figures.system_writeback_kb"),
        Key::RssKb => k!("figures.rss_kb"),
        Key::KernelThreadCtxSwitches => k!("figures.kernel_thread_ctx_switches"),
        Key::FileEvictedPages => k!("figures.file_evicted_pages"),
        Key::FileRecentlyEvictedPages => k!("figures.file_recently_evicted_pages"),
        Key::WorkingsetRefaults => k!("figures.workingset_refaults"),
        Key::IoPressureSomeUs => k!("figures.io_pressure_some_us"),
        Key::IoPressureFullUs => k!("figures.io_pressure_full_us"),
        Key::DiskWriteBytes => k!("figures.disk_write_bytes"),
        Key::JournalWriteBytes => k!("figures.journal_write_bytes"),
        Key::ModeSwitches => k!("figures.mode_switches"),
        Key::CpuCopies => k!("figures.cpu_copies"),
        Key::DmaCopies => k!("figures.dma_copies"),
        Key::CpuCopyBytes => k!("figures.cpu_copy_bytes"),
        Key::DmaCopyBytes => k!("figures.dma_copy_bytes"),
        Key::FileWriteCalls => k!("figures.file_write_calls"),
        Key::FileReadCalls => k!("figures.file_read_calls"),
        Key::FileSyncCalls => k!("figures.file_sync_calls"),
        Key::FileSendfileCalls => k!("figures.file_sendfile_calls"),
        Key::FileBytesWritten => k!("figures.file_bytes_written"),
        Key::FileMapFaults => k!("figures.file_map_faults"),
        Key::FilePeakDirtyPages => k!("figures.file_peak_dirty_pages"),
    };
    crate::i18n::text(lang, message)
}

/// `v` in the figure's unit: `10,486`, `1 MiB`, `1,048,577 B`, `12,345 KiB`,
/// `1.75 s`.
pub fn value(key: Key, v: u64) -> String {
    match unit(key) {
        Unit::Count => count(v),
        Unit::Bytes => exact_bytes(v),
        Unit::KiB => format!("{} KiB", count(v)),
        Unit::Nanoseconds => duration(v),
        Unit::Microseconds => duration(v.saturating_mul(1000)),
    }
}

/// Bytes, exactly: in the largest binary unit that divides them
/// (`4 KiB`, `1 MiB`), else in bytes (`1,048,577 B`).
pub fn exact_bytes(v: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (size, name) in UNITS {
        if v >= size && v.is_multiple_of(size) {
            return format!("{} {name}", count(v / size));
        }
    }
    format!("{} B", count(v))
}

/// Nanoseconds in the unit that reads best, to three significant figures
/// at most, trailing zeros dropped: `500 ns`, `1.5 µs`, `25 ms`, `1.75 s`, `3 s`.
pub fn duration(ns: u64) -> String {
    let (v, unit) = match ns {
        n if n < 1_000 => return format!("{n} ns"),
        n if n < 1_000_000 => (n as f64 / 1e3, "µs"),
        n if n < 1_000_000_000 => (n as f64 / 1e6, "ms"),
        n => (n as f64 / 1e9, "s"),
    };
    let decimals = if v < 10.0 { 2 } else { usize::from(v < 100.0) };
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text} {unit}")
}

/// What the rule asks, in words: `expected exactly 10,486`, `expected under 3 s`.
pub fn rule(key: Key, rule: Rule, lang: Lang) -> String {
    let v = |n| value(key, n);
    match rule {
        Rule::Eq(n) => t!(lang, "figures.rule_eq", v = v(n)),
        Rule::Ge(n) => t!(lang, "figures.rule_ge", v = v(n)),
        Rule::Le(n) => t!(lang, "figures.rule_le", v = v(n)),
        Rule::Gt(n) => t!(lang, "figures.rule_gt", v = v(n)),
        Rule::Lt(n) => t!(lang, "figures.rule_lt", v = v(n)),
        Rule::Range(a, b) => t!(lang, "figures.rule_range", a = v(a), b = v(b)),
    }
}

/// A key and a rule as a report or recording holds them, parsed; `None`
/// when this build does not know them.
fn parsed(key: &str, rule_text: &str) -> Option<(Key, Rule)> {
    Some((Key::parse(key)?, rule_text.parse().ok()?))
}

/// One expectation as a user reads it: `syscalls: 10,487, expected exactly
/// 10,486`; an unknown actual says so. Sanitized (the key and rule may come
/// from a recording).
pub fn expectation(key: &str, rule_text: &str, actual: Option<u64>, lang: Lang) -> String {
    let Some((k, r)) = parsed(key, rule_text) else {
        let actual = actual.map_or_else(|| "?".to_string(), |v| v.to_string());
        return safe(&format!("{key} {rule_text} (actual {actual})")).into_owned();
    };
    let measured = match actual {
        Some(v) => value(k, v),
        None => t!(lang, "figures.unknown").to_string(),
    };
    t!(
        lang,
        "figures.expectation",
        name = name(k, lang),
        value = measured,
        rule = rule(k, r, lang)
    )
}

/// A soft claim that did not hold: "not seen this time: why".
pub fn not_seen(why: Option<&str>, lang: Lang) -> String {
    t!(
        lang,
        "figures.not_seen",
        why = safe(why.unwrap_or("machine-dependent"))
    )
}

/// Why an expectation of a step whose wait was ended early `ns` after it
/// began shows no ✓ or ✗: "not judged: the wait was ended early at 12.3 s".
pub fn not_judged(ns: u64, lang: Lang) -> String {
    t!(lang, "lecture.not_judged", t = duration(ns))
}

/// The step's own line: "the lecturer ended the wait at 12.3 s".
pub fn ended_early(ns: u64, lang: Lang) -> String {
    t!(lang, "lecture.ended_early", t = duration(ns))
}

/// An expectation before its step ran (the value not known yet): the name
/// and the rule, `syscalls, expected exactly 10,486`.
pub fn pending(key: &str, rule_text: &str, lang: Lang) -> String {
    let Some((k, r)) = parsed(key, rule_text) else {
        return safe(&format!("{key} {rule_text}")).into_owned();
    };
    t!(
        lang,
        "figures.pending",
        name = name(k, lang),
        rule = rule(k, r, lang)
    )
}

/// The figure's name for a key as written (`key` itself if unknown).
pub fn name_of(key: &str, lang: Lang) -> String {
    Key::parse(key).map_or_else(|| safe(key).into_owned(), |k| name(k, lang).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_read_in_words_and_units() {
        let en = |k, r, a| expectation(k, r, a, Lang::En);
        assert_eq!(
            en("syscalls", "== 10486", Some(10_487)),
            "syscalls: 10,487, expected exactly 10,486"
        );
        assert_eq!(
            en("duration_ns", "< 3000000000", Some(1_748_000_000)),
            "duration: 1.75 s, expected under 3 s"
        );
        assert_eq!(
            en("wchar", "== 1048576", Some(1_048_577)),
            "bytes written (wchar): 1,048,577 B, expected exactly 1 MiB"
        );
        assert_eq!(
            en("file_dirty_pages", ">= 256", None),
            "dirty pages of the file: unknown (not measured here), expected at least 256"
        );
        assert_eq!(
            en("rss_kb", "250..300", Some(260)),
            "resident memory (RSS): 260 KiB, expected 250 KiB to 300 KiB"
        );
        assert_eq!(
            expectation("syscalls", "> 0", Some(0), Lang::Zh),
            "系统调用：0，应大于 0"
        );
        // What this build does not know is shown as written.
        assert_eq!(
            en("future_key", "== 1", Some(2)),
            "future_key == 1 (actual 2)"
        );
        assert_eq!(
            en("syscalls\u{1b}[2J", "== 1", Some(2)),
            "syscalls\\u{1b}[2J == 1 (actual 2)"
        );
    }

    #[test]
    fn every_key_has_words_in_both_languages() {
        for &k in Key::ALL {
            for lang in [Lang::En, Lang::Zh] {
                assert!(!name(k, lang).is_empty());
                assert!(!name(k, lang).contains('_'), "{k} reads as its key");
            }
        }
    }

    #[test]
    fn units_are_exact_and_durations_short() {
        assert_eq!(exact_bytes(4096), "4 KiB");
        assert_eq!(exact_bytes(1023), "1,023 B");
        assert_eq!(exact_bytes(3 << 30), "3 GiB");
        assert_eq!(exact_bytes(0), "0 B");
        assert_eq!(duration(500), "500 ns");
        assert_eq!(duration(1_500), "1.5 µs");
        assert_eq!(duration(25_000_000), "25 ms");
        assert_eq!(duration(3_000_000_000), "3 s");
        assert_eq!(duration(12_340_000_000), "12.3 s");
        assert_eq!(
            pending("syscalls", "== 1024", Lang::En),
            "syscalls, expected exactly 1,024"
        );
    }
}
