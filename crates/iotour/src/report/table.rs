//! The headless table: a header naming the sources and filesystem, one row
//! per step, then each expectation with ✓ or ✗ in words and units
//! (`✗ step 1 syscalls: 10,487, expected exactly 10,486`). `?` marks an
//! unknown figure. Every string from the run's report is sanitized: it may
//! come from a scenario file or a recording.

use std::fmt::Write as _;

use super::{RunOutcome, StepOutcome};
use crate::figures;
use crate::sanitize::safe;
use iotour_core::scenario::Lang;

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "?".to_string(), |v| v.to_string())
}

fn pair(a: Option<u64>, b: Option<u64>) -> String {
    format!("{}/{}", opt(a), opt(b))
}

/// Nanoseconds as a short human figure.
pub fn duration(ns: u64) -> String {
    match ns {
        n if n < 1_000 => format!("{n}ns"),
        n if n < 1_000_000 => format!("{:.1}µs", n as f64 / 1e3),
        n if n < 1_000_000_000 => format!("{:.1}ms", n as f64 / 1e6),
        n => format!("{:.2}s", n as f64 / 1e9),
    }
}

const HEADERS: [&str; 9] = [
    "#",
    "op",
    "syscalls",
    "ctxsw vol/inv",
    "faults min/maj",
    "wchar",
    "dirty pages",
    "mode sw (modeled)",
    "time",
];

fn row(s: &StepOutcome) -> [String; 9] {
    let m = &s.measured;
    [
        s.index.to_string(),
        safe(&s.op).into_owned(),
        opt(m.syscalls),
        pair(m.voluntary_ctx_switches, m.involuntary_ctx_switches),
        pair(m.minor_faults, m.major_faults),
        opt(m.wchar),
        opt(m.file_dirty_pages),
        opt(s.modeled.mode_switches),
        s.duration_ns.map_or_else(|| "?".to_string(), duration),
    ]
}

/// "Debian GNU/Linux 12, x86_64, 2 CPUs, 23.4 GiB memory (21.0 GiB available)".
pub fn machine_line(m: &iotour_core::machine::Machine) -> String {
    let gib = |kb: u64| iotour_core::size::format_size(kb.saturating_mul(1024));
    format!(
        "{}, {}, {} CPUs, {} memory ({} available)",
        safe(&m.os),
        safe(&m.arch),
        m.cpus,
        gib(m.memory_total_kb),
        gib(m.memory_available_kb)
    )
}

/// The whole report as text.
pub fn render(r: &RunOutcome) -> String {
    let mut out = String::new();
    let e = &r.environment;
    let s = &e.sources;
    let _ = writeln!(out, "{} — {}", safe(&r.scenario), safe(&r.title));
    let _ = writeln!(
        out,
        "kernel {}, page {} B, {} at {}",
        safe(&e.kernel),
        e.page_size,
        safe(&e.filesystem),
        safe(&e.workdir)
    );
    if let Some(m) = &e.machine {
        let _ = writeln!(out, "machine: {}", machine_line(m));
    }
    let _ = writeln!(
        out,
        "sources: syscalls={} faults={} ctx={} io={} pages={} system={}",
        safe(&s.syscalls),
        safe(&s.faults),
        safe(&s.ctx_switches),
        safe(&s.io),
        safe(&s.pages),
        safe(&s.system)
    );
    for n in &s.notes {
        let _ = writeln!(out, "  note: {}", safe(n));
    }
    let rows: Vec<[String; 9]> = r.steps.iter().map(row).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i == 1 {
                let _ = write!(l, "{c:<w$}  ");
            } else {
                let _ = write!(l, "{c:>w$}  ");
            }
        }
        l.trim_end().to_string()
    };
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", line(&HEADERS.map(str::to_string)));
    for (row, step) in rows.iter().zip(&r.steps) {
        let _ = writeln!(out, "{}", line(row));
        if let Some(err) = &step.error {
            let _ = writeln!(out, "    error: {}", safe(err));
        }
        if let Some(skip) = &step.skipped {
            let _ = writeln!(out, "    SKIP: {}", safe(&skip.to_string()));
        }
        if let Some(ns) = step.ended_early_ns {
            let _ = writeln!(out, "    {}", figures::ended_early(ns, Lang::En));
        }
    }
    let _ = writeln!(out);
    for step in &r.steps {
        for x in &step.expect {
            let said = figures::expectation(&x.key, &x.rule, x.actual, Lang::En);
            let _ = if let (true, Some(ns)) = (x.not_judged, step.ended_early_ns) {
                writeln!(
                    out,
                    "– step {} {said} — {}",
                    step.index,
                    figures::not_judged(ns, Lang::En)
                )
            } else if x.not_seen() {
                writeln!(
                    out,
                    "⚠ step {} {said}; {}",
                    step.index,
                    figures::not_seen(x.why.as_deref(), Lang::En)
                )
            } else {
                writeln!(
                    out,
                    "{} step {} {said}",
                    if x.ok { "✓" } else { "✗" },
                    step.index,
                )
            };
        }
    }
    let end = match r.skipped() {
        _ if !r.ok => "FAILED".to_string(),
        Some((i, skip)) => format!("SKIP at step {i}: {}", safe(&skip.to_string())),
        None => "ok".to_string(),
    };
    let _ = writeln!(out, "{end}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use iotour_core::outcome::{Environment, Modeled, Readings, Sources, Verdict};

    #[test]
    fn table_marks_unknowns_errors_and_each_expectation() {
        let step = |index, err: Option<&str>, ok| StepOutcome {
            index,
            op: "write".into(),
            say: None,
            duration_ns: Some(1_500_000),
            measured: Readings {
                syscalls: Some(1000),
                file_dirty_pages: None,
                ..Readings::default()
            },
            modeled: Modeled::default(),
            expect: vec![Verdict {
                key: "file_dirty_pages".into(),
                rule: ">= 74".into(),
                actual: None,
                ok,
                soft: false,
                why: None,
                not_judged: false,
            }],
            error: err.map(str::to_string),
            program: None,
            skipped: None,
            ended_early_ns: None,
        };
        let r = RunOutcome {
            scenario: "s".into(),
            title: "T".into(),
            environment: Environment {
                iotour_version: "0".into(),
                kernel: "6.18".into(),
                page_size: 4096,
                workdir: "/tmp/iotour-x".into(),
                filesystem: "ext4".into(),
                sources: Sources {
                    syscalls: "engine".into(),
                    faults: "rusage".into(),
                    user_faults: "modeled".into(),
                    ctx_switches: "rusage".into(),
                    io: "unavailable".into(),
                    pages: "mincore".into(),
                    system: "meminfo".into(),
                    notes: vec!["why".into()],
                },
                machine: None,
            },
            steps: vec![step(1, None, true), step(2, Some("ENOSPC"), false), {
                let mut s = step(3, None, false);
                s.expect[0].soft = true;
                s.expect[0].why = Some("another process ran sync(2)".into());
                s
            }],
            ok: false,
        };
        let t = render(&r);
        assert!(t.contains("ext4 at /tmp/iotour-x"), "{t}");
        assert!(t.contains("sources: syscalls=engine"), "{t}");
        assert!(t.contains("  note: why"), "{t}");
        assert!(t.contains("mode sw (modeled)"), "{t}");
        let row = t.lines().find(|l| l.starts_with("1  write")).unwrap();
        assert!(
            row.contains(" 1000 ") && row.contains(" ? ") && row.ends_with("1.5ms"),
            "{row}"
        );
        assert!(t.contains("    error: ENOSPC"), "{t}");
        assert!(
            t.contains("✓ step 1 dirty pages of the file: unknown (not measured here), expected at least 74"),
            "{t}"
        );
        assert!(
            t.contains("✗ step 2 dirty pages of the file: unknown (not measured here), expected at least 74"),
            "{t}"
        );
        assert!(
            t.contains("⚠ step 3 dirty pages of the file: unknown (not measured here), expected at least 74; not seen this time: another process ran sync(2)"),
            "{t}"
        );
        assert!(!t.contains("✗ step 3"), "{t}");
        assert!(t.trim_end().ends_with("FAILED"), "{t}");
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(duration(500), "500ns");
        assert_eq!(duration(1_500), "1.5µs");
        assert_eq!(duration(1_500_000), "1.5ms");
        assert_eq!(duration(25_000_000), "25.0ms");
        assert_eq!(duration(12_000_000_000), "12.00s");
        assert_eq!(opt(None), "?");
    }
}
