//! Issue 11: a built-in lesson's verdicts do not depend on the pace, the
//! sample rate or a busy machine. Every built-in runs at full speed, at ¼×
//! (the pacing sleeps between every slice, as the live view does; the step
//! target is shortened through the engine's test hook so the whole library
//! runs in minutes — `IOTOUR_TEST_STEP_TARGET_MS=3000` runs the real pace)
//! and with the sampler at 1000 Hz, and every run must pass. A soft claim
//! that was not seen is allowed (that is what soft means) and printed.

use std::time::Duration;

use iotour_core::engine::{EngineConfig, Speed, control};
use iotour_core::outcome::RunOutcome;
use iotour_core::scenario::{Catalog, Op};

use crate::support::engine::{config, run};

fn step_target() -> Duration {
    let ms = std::env::var("IOTOUR_TEST_STEP_TARGET_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    Duration::from_millis(ms)
}

/// What went wrong in a report, one line each (empty: it passed).
fn problems(r: &RunOutcome) -> Vec<String> {
    let mut out = Vec::new();
    for s in &r.steps {
        if let Some(e) = &s.error {
            out.push(format!("step {} ({}) error: {e}", s.index, s.op));
        }
        for v in &s.expect {
            if !v.passes() {
                out.push(format!(
                    "step {} {} {} (actual {:?})",
                    s.index, v.key, v.rule, v.actual
                ));
            } else if v.not_seen() {
                eprintln!(
                    "{}: step {} {} {} not seen this time (actual {:?})",
                    r.scenario, s.index, v.key, v.rule, v.actual
                );
            }
        }
    }
    if !r.ok && out.is_empty() {
        out.push("not ok, with every verdict passing".into());
    }
    out
}

/// Set in the child process that runs the lessons alone.
const CHILD: &str = "IOTOUR_TEST_PACED_CHILD";

/// The lessons run in a child process of this test binary with no other
/// test beside them: `rss_kb` is the whole process's resident memory, and
/// tests running in parallel threads of the same process would add theirs.
#[test]
fn every_builtin_passes_at_full_speed_at_a_quarter_and_sampled_at_1000_hz() {
    if std::env::var_os(CHILD).is_some() {
        return run_every_builtin();
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "lessons_paced::every_builtin_passes_at_full_speed_at_a_quarter_and_sampled_at_1000_hz",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    eprintln!("{err}");
    assert!(out.status.success(), "{text}\n{err}");
    assert!(text.contains("1 passed"), "the child ran nothing: {text}");
}

fn run_every_builtin() {
    control::set_step_target(step_target());
    let runs: [(&str, EngineConfig); 3] = [
        ("--speed max", config()),
        (
            "--speed 1/4",
            EngineConfig {
                speed: Speed::Quarter,
                ..config()
            },
        ),
        (
            "--sample-hz 1000",
            EngineConfig {
                sample_hz: 1000,
                ..config()
            },
        ),
    ];
    let catalog = Catalog::builtin();
    let mut failed = Vec::new();
    let mut passed = 0;
    let mut tally = |id: &str, how: &str, report: &RunOutcome| {
        let p = problems(report);
        if p.is_empty() {
            passed += 1;
        } else {
            failed.push(format!("{id} {how}: {}", p.join("; ")));
        }
    };
    // A lesson that waits for the kernel's flusher takes its ~35 s whatever
    // the pace: its three runs go at once (their files, threads and
    // verdicts are their own), alone, after the others: their threads'
    // malloc arenas keep memory that a later lesson's rss_kb would count.
    let (slow, quick): (Vec<_>, Vec<_>) = catalog.entries().iter().partition(|e| {
        e.plan.as_ref().is_ok_and(|p| {
            p.steps()
                .iter()
                .any(|s| matches!(s.op, Op::WaitWriteback(w) if w.flusher))
        })
    });
    for (how, cfg) in &runs {
        for entry in &quick {
            let plan = entry.plan.as_ref().expect("built-ins parse").clone();
            tally(&entry.id, how, &run(plan, cfg.clone()));
        }
    }
    for entry in slow {
        let plan = entry.plan.as_ref().expect("built-ins parse");
        let reports: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = runs
                .iter()
                .map(|(how, cfg)| {
                    let (plan, cfg) = (plan.clone(), cfg.clone());
                    (*how, scope.spawn(move || run(plan, cfg)))
                })
                .collect();
            handles
                .into_iter()
                .map(|(how, h)| (how, h.join().expect("the run's thread")))
                .collect()
        });
        for (how, report) in &reports {
            tally(&entry.id, how, report);
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} runs failed:\n{}",
        failed.len(),
        failed.len() + passed,
        failed.join("\n")
    );
    assert_eq!(passed, 3 * catalog.entries().len());
}
