//! `iotour trace --headless`: the trace report as text. The head says what
//! ran and how it ended, then the totals, the calls by name, the followed
//! files (most dirty pages first: what a power cut would cost) and the
//! threads. `?` is a figure that could not be measured. Paths, names and the
//! command line come from the traced program: all sanitized.

use std::fmt::Write as _;

use iotour_core::size::format_size;
use iotour_core::trace::{FileReport, TraceReport};

use super::table::duration;
use crate::sanitize::safe;

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "?".to_string(), |v| v.to_string())
}

fn bytes(v: Option<u64>) -> String {
    v.map_or_else(|| "?".to_string(), format_size)
}

/// The calls of a name→count map, most first, as `write 100, fsync 1`.
fn calls<'a>(map: impl IntoIterator<Item = (&'a &'static str, &'a u64)>, most: usize) -> String {
    let mut v: Vec<_> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = v
        .iter()
        .take(most)
        .map(|(n, c)| format!("{n} {c}"))
        .collect();
    let mut s = shown.join(", ");
    if v.len() > most {
        let _ = write!(s, ", … {} more", v.len() - most);
    }
    s
}

/// The order of the file table: dirty pages (unknown last), then path.
fn by_dirty(files: &[FileReport]) -> Vec<&FileReport> {
    let mut v: Vec<_> = files.iter().collect();
    v.sort_by(|a, b| {
        // `None` sorts below every count, so unknown comes last.
        b.dirty_pages.cmp(&a.dirty_pages).then(a.path.cmp(&b.path))
    });
    v
}

/// The whole report as text.
pub fn render(r: &TraceReport) -> String {
    let mut out = String::new();
    let command: Vec<String> = r.command.iter().map(|a| safe(a).into_owned()).collect();
    let _ = writeln!(out, "iotour trace — {}", command.join(" "));
    let ended = match (r.exit_code, r.exit_signal) {
        (_, Some(sig)) => format!("killed by signal {sig} (exit {})", 128 + sig),
        (Some(code), None) => format!("exit {code}"),
        (None, None) => "detached (still running)".to_string(),
    };
    let backend = r.backend.map_or("?", |b| b.as_str());
    let _ = writeln!(
        out,
        "pid {} · backend {backend} · {ended} · {} · lost events {}",
        r.pid,
        duration(r.duration_ns),
        r.lost_events
    );
    for note in &r.notes {
        let _ = writeln!(out, "note: {}", safe(note));
    }
    if let Some(e) = &r.error {
        let _ = writeln!(out, "error: {}", safe(e));
    }
    let t = &r.totals;
    let _ = writeln!(
        out,
        "\ntotals: syscalls {} · faults {}/{} (minor/major) · context switches {}/{} (voluntary/involuntary)",
        t.syscalls,
        opt(t.minor_faults),
        opt(t.major_faults),
        opt(t.voluntary_ctx_switches),
        opt(t.involuntary_ctx_switches),
    );
    let _ = writeln!(
        out,
        "        rchar {} · wchar {} · read_bytes {} · write_bytes {}",
        bytes(t.rchar),
        bytes(t.wchar),
        bytes(t.read_bytes),
        bytes(t.write_bytes),
    );
    let _ = writeln!(out, "syscalls: {}", calls(&r.syscalls, 12));
    if r.files.is_empty() {
        let _ = writeln!(out, "\nno regular file followed");
    } else {
        let _ = writeln!(
            out,
            "\n{:>8} {:>10} {:>10} {:>8} {:>8} {:>9} {:>8} {:>6}  PATH",
            "CALLS", "READ", "WRITTEN", "CACHED", "DIRTY", "WRITEBACK", "PEAK", "SYNCS"
        );
        for f in by_dirty(&r.files) {
            let n: u64 = f.syscalls.values().sum();
            let _ = writeln!(
                out,
                "{n:>8} {:>10} {:>10} {:>8} {:>8} {:>9} {:>8} {:>6}  {}",
                format_size(f.bytes_read),
                format_size(f.bytes_written),
                opt(f.cached_pages),
                opt(f.dirty_pages),
                opt(f.writeback_pages),
                opt(f.peak_dirty_pages),
                f.sync_calls,
                safe(&f.path),
            );
            let _ = writeln!(out, "{:>8} {}", "", calls(&f.syscalls, 8));
        }
        let _ = writeln!(
            out,
            "pages of {} bytes",
            iotour_core::probe::pages::page_size()
        );
    }
    if r.threads.len() > 1 {
        let _ = writeln!(
            out,
            "\n{:>8} {:>9} {:>13} {:>13}  NAME",
            "TID", "SYSCALLS", "FAULTS mn/mj", "CTXSW vol/inv"
        );
        for th in &r.threads {
            let _ = writeln!(
                out,
                "{:>8} {:>9} {:>13} {:>13}  {}",
                th.tid,
                th.syscalls,
                format!("{}/{}", opt(th.minor_faults), opt(th.major_faults)),
                format!(
                    "{}/{}",
                    opt(th.voluntary_ctx_switches),
                    opt(th.involuntary_ctx_switches)
                ),
                th.name.as_deref().map_or("?".into(), safe),
            );
        }
    }
    out
}
