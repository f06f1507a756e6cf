//! `iotour compare` and `--record` end to end: the ratios are the ratios of
//! the runs' totals, the recording holds both runs, and separate runs give
//! the same exact figures.

use std::path::Path;
use std::process::{Command, Output};

use iotour::compare::{Figure, totals};
use iotour_core::record::Recording;
use iotour_core::scenario::Catalog;

const BIN: &str = env!("CARGO_BIN_EXE_iotour");

fn iotour(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--workdir")
        .arg(dir)
        .env_remove("IOTOUR_DISABLE")
        .env("LANG", "C")
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[allow(
    clippy::many_single_char_names,
    reason = "a, b: the two scenarios' figures, v the JSON"
)]
fn compare_ratios_are_the_ratios_of_the_two_runs_totals() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("cmp.jsonl");
    let out = iotour(
        &[
            "compare",
            "unbuffered-write",
            "buffered-write",
            "--headless",
            "--json",
            "--record",
            rec.to_str().unwrap(),
        ],
        dir.path(),
    );
    let v = json(&out);
    let recording = Recording::load(&rec).unwrap();
    assert_eq!(
        recording.header.scenarios,
        ["unbuffered-write", "buffered-write"]
    );
    let reports = recording.reports();
    let plans = recording.plans().unwrap();
    let mut recorded_totals = Vec::new();
    for (i, (report, plan)) in reports.iter().zip(&plans).enumerate() {
        let report = report.expect("each run finished");
        assert_eq!(v["scenarios"][i]["id"], report.scenario);
        let t = totals(report, iotour::compare::payload_bytes(plan));
        for f in Figure::ALL {
            // The totals printed are the recorded runs' totals.
            let printed = v["scenarios"][i]["totals"][f.key()].as_u64();
            assert_eq!(printed, t.get(f), "{} {}", report.scenario, f.key());
        }
        recorded_totals.push(t);
    }
    let (a, b) = (&recorded_totals[0], &recorded_totals[1]);
    for f in Figure::ALL {
        let r = &v["ratios"][0]["values"][f.key()];
        match (a.get(f), b.get(f)) {
            (Some(x), Some(y)) if x > 0 => {
                let want = y as f64 / x as f64;
                assert_eq!(r.as_f64(), Some(want), "{}", f.key());
            }
            _ => assert!(r.is_null(), "{}: {r}", f.key()),
        }
    }
    // The lesson: the same megabyte with about 80 times fewer syscalls.
    assert_eq!(a.get(Figure::Wchar), Some(1 << 20));
    assert_eq!(b.get(Figure::Wchar), Some(1 << 20));
    let syscalls = v["ratios"][0]["values"]["syscalls"].as_f64().unwrap();
    assert!(syscalls < 0.02, "{syscalls}");
}

#[test]
fn compare_matches_separate_runs_on_exact_figures() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let cmp = json(&iotour(
        &[
            "compare",
            "unbuffered-write",
            "buffered-write",
            "--headless",
            "--json",
        ],
        dir.path(),
    ));
    let catalog = Catalog::builtin();
    let mut separate = Vec::new();
    for id in ["unbuffered-write", "buffered-write"] {
        let v = json(&iotour(&["run", id, "--headless", "--json"], dir.path()));
        let report: iotour_core::outcome::RunOutcome = serde_json::from_value(v).unwrap();
        let plan = catalog.resolve(id).unwrap();
        separate.push(totals(&report, iotour::compare::payload_bytes(&plan)));
    }
    // Figures the kernel counts exactly (syscalls from the tracepoint or the
    // engine, bytes through write(2)) and the model's: identical run to run.
    for f in [
        Figure::Syscalls,
        Figure::ModeSwitches,
        Figure::Wchar,
        Figure::CpuCopyBytes,
    ] {
        let ratio = separate[1].get(f).unwrap() as f64 / separate[0].get(f).unwrap() as f64;
        assert_eq!(
            cmp["ratios"][0]["values"][f.key()].as_f64(),
            Some(ratio),
            "{}",
            f.key()
        );
    }
}

#[test]
fn compare_needs_two_scenarios_and_known_ids() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let out = iotour(&["compare", "unbuffered-write", "--headless"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let out = iotour(
        &[
            "compare",
            "unbuffered-write",
            "no-such-lesson",
            "--headless",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no-such-lesson"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn run_record_holds_the_report_that_run_printed() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("run.jsonl");
    let printed = json(&iotour(
        &[
            "run",
            "write-then-fsync",
            "--headless",
            "--json",
            "--record",
            rec.to_str().unwrap(),
        ],
        dir.path(),
    ));
    let recording = Recording::load(&rec).unwrap();
    assert_eq!(recording.header.scenarios, ["write-then-fsync"]);
    assert_eq!(
        recording.header.kernel.as_deref(),
        printed["environment"]["kernel"].as_str()
    );
    let report = recording.reports()[0].expect("finished");
    assert_eq!(serde_json::to_value(report).unwrap(), printed);
    // Every step's start, slices and end are there, in order.
    let starts: Vec<usize> = recording
        .lines
        .iter()
        .filter_map(|l| match &l.event {
            iotour_core::record::Recorded::Exec(e) => match &**e {
                iotour_core::engine::ExecEvent::StepStarted { index, .. } => Some(*index),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(starts, (1..=report.steps.len()).collect::<Vec<_>>());
    let mut last = 0;
    for l in &recording.lines {
        let at = l.at.as_nanos();
        if matches!(l.event, iotour_core::record::Recorded::Exec(_)) {
            assert!(at >= last, "exec events are in time order");
            last = at;
        }
    }
}
