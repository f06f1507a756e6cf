use super::*;
use iotour_core::model::{Place, Transfer};
use iotour_core::outcome::{Environment, Modeled, Readings, Sources};
use iotour_core::scenario::Catalog;

fn step(syscalls: Option<u64>, wchar: Option<u64>, cpu: u64, ns: u64) -> StepOutcome {
    StepOutcome {
        index: 1,
        op: "write".into(),
        say: None,
        duration_ns: Some(ns),
        measured: Readings {
            syscalls,
            wchar,
            minor_faults: Some(0),
            duration_ns: Some(ns),
            ..Readings::default()
        },
        modeled: Modeled {
            mode_switches: syscalls,
            copies: vec![Transfer {
                from: Place::UserBuffer,
                to: Place::PageCache,
                kind: CopyKind::Cpu,
                bytes: cpu,
            }],
            legs: vec![],
            notes: vec![],
            unsized_kinds: vec![],
        },
        expect: vec![],
        error: None,
        program: None,
        skipped: None,
        ended_early_ns: None,
    }
}

fn report(id: &str, steps: Vec<StepOutcome>) -> RunOutcome {
    RunOutcome {
        scenario: id.into(),
        title: id.to_uppercase(),
        environment: Environment {
            iotour_version: "0".into(),
            kernel: "k".into(),
            page_size: 4096,
            workdir: "/w".into(),
            filesystem: "ext4".into(),
            sources: Sources {
                syscalls: "tracepoint".into(),
                faults: "rusage".into(),
                user_faults: "modeled".into(),
                ctx_switches: "rusage".into(),
                io: "procfs".into(),
                pages: "cachestat".into(),
                system: "meminfo".into(),
                notes: vec![],
            },
            machine: None,
        },
        steps,
        ok: true,
    }
}

fn plan(id: &str) -> Plan {
    Catalog::builtin().resolve(id).unwrap()
}

#[test]
fn totals_sum_the_steps_and_an_unknown_step_makes_the_total_unknown() {
    let r = report(
        "a",
        vec![
            step(Some(10), Some(100), 100, 1_000),
            step(Some(5), None, 50, 3_000),
        ],
    );
    let t = totals(&r, Some(4_000));
    assert_eq!(t.get(Figure::Syscalls), Some(15));
    assert_eq!(t.get(Figure::ModeSwitches), Some(15));
    assert_eq!(t.get(Figure::CpuCopyBytes), Some(150));
    assert_eq!(t.get(Figure::DmaCopyBytes), Some(0));
    assert_eq!(t.get(Figure::Wchar), None);
    assert_eq!(t.get(Figure::MinorFaults), Some(0));
    assert_eq!(t.get(Figure::MajorFaults), None);
    assert_eq!(t.get(Figure::DurationNs), Some(4_000));
    // 4000 bytes in 4 µs: 1e9 bytes/s.
    assert_eq!(t.get(Figure::ThroughputBytesPerSec), Some(1_000_000_000));
    assert_eq!(totals(&r, None).get(Figure::ThroughputBytesPerSec), None);
}

#[test]
#[allow(
    clippy::many_single_char_names,
    reason = "a, b, c are the scenarios A, B, C"
)]
fn ratios_are_b_over_a_and_null_when_unknown_or_divided_by_zero() {
    assert_eq!(ratio(Some(4), Some(1)), Some(0.25));
    assert_eq!(ratio(Some(0), Some(1)), None);
    assert_eq!(ratio(None, Some(1)), None);
    assert_eq!(ratio(Some(1), None), None);
    let a = report("a", vec![step(Some(1000), Some(8), 800, 2_000)]);
    let b = report("b", vec![step(Some(10), None, 800, 1_000)]);
    let c = Comparison::new(&[(a, plan("unbuffered-write")), (b, plan("buffered-write"))]);
    assert_eq!(c.ratios.len(), 1);
    let r = &c.ratios[0];
    assert_eq!((r.id.as_str(), r.base.as_str()), ("b", "a"));
    assert_eq!(r.values.get(Figure::Syscalls), Some(0.01));
    assert_eq!(r.values.get(Figure::CpuCopyBytes), Some(1.0));
    assert_eq!(r.values.get(Figure::DurationNs), Some(0.5));
    assert_eq!(r.values.get(Figure::Wchar), None);
    assert_eq!(
        r.values.get(Figure::MinorFaults),
        None,
        "0 → 0 has no ratio"
    );
    // Same payload (1 MiB each) in half the time: twice the throughput.
    assert_eq!(r.values.get(Figure::ThroughputBytesPerSec), Some(2.0));

    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["scenarios"][0]["id"], "a");
    assert_eq!(v["scenarios"][0]["totals"]["syscalls"], 1000);
    assert!(v["scenarios"][1]["totals"]["wchar"].is_null());
    assert!(v["ratios"][0]["values"]["wchar"].is_null());
    assert_eq!(v["ratios"][0]["values"]["syscalls"], 0.01);
    assert_eq!(v["kinds"]["mode_switches"], "modeled");
    assert_eq!(v["kinds"]["syscalls"], "measured");
    assert_eq!(v["kinds"]["throughput_bytes_per_sec"], "derived");
    assert_eq!(
        v["scenarios"][0]["totals"].as_object().unwrap().len(),
        Figure::ALL.len()
    );
}

#[test]
fn the_table_labels_sources_and_marks_unknowns() {
    let a = report("a", vec![step(Some(1000), Some(8), 800, 2_000)]);
    let b = report("b", vec![step(Some(10), None, 800, 1_000)]);
    let c = Comparison::new(&[(a, plan("unbuffered-write")), (b, plan("buffered-write"))]);
    let t = table::render(&c);
    assert!(t.starts_with("A  a — A\nB  b — B\n"), "{t}");
    let row = |label: &str| {
        t.lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label} in {t}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row("syscalls"), "syscalls measured 1000 10 0.0100×");
    assert_eq!(
        row("mode switches"),
        "mode switches modeled 1000 10 0.0100×"
    );
    assert_eq!(row("wchar"), "wchar measured 8 ? —");
    assert_eq!(row("time"), "time measured 2.0µs 1.0µs 0.500×");
    assert!(row("throughput").starts_with("throughput derived"), "{t}");
    assert_eq!(row("expectations"), "expectations ok ok");
}

#[test]
fn ratio_text_keeps_three_significant_figures() {
    assert_eq!(table::ratio(Some(0.012_345)), "0.0123×");
    assert_eq!(table::ratio(Some(1.0)), "1.00×");
    assert_eq!(table::ratio(Some(81.234)), "81.2×");
    assert_eq!(table::ratio(Some(1234.5)), "1234×");
    assert_eq!(table::ratio(Some(0.0)), "0×");
    assert_eq!(table::ratio(None), "—");
}

#[test]
fn suggested_pairs_name_only_scenarios_that_exist() {
    let catalog = Catalog::builtin();
    let pairs = suggested_pairs(&catalog);
    let ids: Vec<&[&str]> = pairs.iter().map(|p| p.ids).collect();
    assert_eq!(
        ids,
        [
            &["unbuffered-write", "buffered-write"][..],
            &["read-and-send", "sendfile-zero-copy"],
            &["write-through", "write-then-fsync"],
        ]
    );
    for p in &pairs {
        for id in p.ids {
            catalog.resolve(id).unwrap();
        }
    }
}
