//! Replay: a run recorded from the live view's launcher replays into the
//! same app state, with no engine; the controls gate it like a live run;
//! `replay --headless` prints the recorded report.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use iotour::app::{App, Effect, Event};
use iotour::record::RecordingLauncher;
use iotour::replay::ReplayLauncher;
use iotour::tui::{EngineLauncher, Launcher};
use iotour_core::engine::{Command, EngineConfig, ExecEvent, Speed};
use iotour_core::record::Recording;
use iotour_core::scenario::{Catalog, Lang};

fn config(dir: &Path) -> EngineConfig {
    EngineConfig {
        workdir_parent: Some(dir.to_path_buf()),
        ..EngineConfig::default()
    }
}

/// Start the app's run with `launcher` the way the TUI loop does; returns
/// the handle and the channel the app's events arrive on.
fn start<L: Launcher>(
    app: &mut App,
    effects: Vec<Effect>,
    launcher: &mut L,
) -> (L::Handle, Receiver<Event>) {
    let Some(Effect::Start {
        epoch,
        plan,
        speed,
        paused,
    }) = effects.into_iter().next()
    else {
        panic!("the app did not ask for a run");
    };
    app.handle(Event::EngineStarted {
        epoch,
        at: Duration::ZERO,
    });
    let (tx, rx) = channel();
    let handle = launcher.launch(*plan, speed, paused, tx).unwrap();
    (handle, rx)
}

fn is_finished(e: &Event) -> bool {
    matches!(e, Event::Exec(ExecEvent::Finished(_)))
}

#[test]
fn a_recorded_run_replays_to_the_same_final_state() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let file = dir.path().join("live.jsonl");
    let plan = Catalog::builtin().resolve("write-then-fsync").unwrap();

    // Live: the real engine through the recording launcher, into app A.
    let (mut live, effects) = App::single(plan.clone(), Lang::En, false, Speed::Max);
    let mut launcher =
        RecordingLauncher::new(EngineLauncher::new(config(dir.path())), file.clone(), 50);
    let (handle, rx) = start(&mut live, effects, &mut launcher);
    for e in &rx {
        let done = is_finished(&e);
        live.handle(e);
        if done {
            break;
        }
    }
    // Stop the engine (its sampler too), complete the file, then hand A the
    // events that were still queued: A has seen exactly what was recorded.
    drop(handle);
    for e in rx.try_iter() {
        live.handle(e);
    }
    assert!(launcher.errors().lock().unwrap().is_none());

    // Replay: no engine, the recording into app B.
    let recording = Arc::new(Recording::load(&file).unwrap());
    let replayed_plan = recording.plans().unwrap().remove(0);
    assert_eq!(replayed_plan.steps(), plan.steps());
    let (mut replay, effects) = App::single(replayed_plan, Lang::En, false, Speed::Max);
    let mut launcher = ReplayLauncher::new(Arc::clone(&recording));
    let (handle, rx) = start(&mut replay, effects, &mut launcher);
    // The feeder drops its sender at the end of the recording.
    let mut n = 0;
    for e in &rx {
        replay.handle(e);
        n += 1;
    }
    drop(handle);
    assert_eq!(
        n,
        recording.lines.len(),
        "every recorded event was replayed"
    );

    let (a, b) = (live.run().unwrap(), replay.run().unwrap());
    assert_eq!(a, b, "the replayed run view equals the live one");
    assert!(format!("{:?}", a.status).contains("Done"), "{:?}", a.status);
}

#[test]
fn a_paused_replay_moves_only_when_stepped() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let file = dir.path().join("r.jsonl");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(["run", "write-then-fsync", "--headless", "--record"])
        .arg(&file)
        .arg("--workdir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(status.status.success());
    let recording = Arc::new(Recording::load(&file).unwrap());
    let plan = recording.plans().unwrap().remove(0);
    let mut launcher = ReplayLauncher::new(recording);
    let (tx, rx) = channel();
    let handle = launcher.launch(plan, Speed::Max, true, tx.clone()).unwrap();
    // A marker on the replay's own channel, sent just before each command:
    // whatever the replay sent before the command is queued ahead of it.
    let marker = || Event::Tick(Duration::MAX);
    let is_marker = |e: &Event| matches!(e, Event::Tick(d) if *d == Duration::MAX);
    // The steps started up to `until` (a step_done of that index, or the
    // finished report), in order, and whether the marker came first.
    let started = |rx: &Receiver<Event>, until: Option<usize>| -> (Vec<usize>, Vec<usize>) {
        let (mut early, mut late, mut seen_marker) = (Vec::new(), Vec::new(), false);
        loop {
            let e = rx
                .recv_timeout(Duration::from_secs(20))
                .expect("the replay went on");
            match e {
                ref m if is_marker(m) => seen_marker = true,
                Event::Exec(ExecEvent::StepStarted { index, .. }) => {
                    if seen_marker { &mut late } else { &mut early }.push(index);
                }
                Event::Exec(ExecEvent::StepDone(ref r)) if Some(r.index) == until => break,
                Event::Exec(ExecEvent::Finished(_)) if until.is_none() => break,
                _ => {}
            }
        }
        (early, late)
    };
    tx.send(marker()).unwrap();
    handle.send(Command::NextStep);
    assert_eq!(
        started(&rx, Some(1)),
        (vec![], vec![1]),
        "paused: no step before the command, then step 1 only"
    );
    tx.send(marker()).unwrap();
    handle.send(Command::NextStep);
    assert_eq!(started(&rx, Some(2)), (vec![], vec![2]));
    tx.send(marker()).unwrap();
    handle.send(Command::Resume);
    assert_eq!(started(&rx, None), (vec![], vec![3, 4, 5]));
    drop(handle);
}

#[test]
fn replay_headless_prints_the_recorded_report() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let file = dir.path().join("r.jsonl");
    let bin = env!("CARGO_BIN_EXE_iotour");
    let run = std::process::Command::new(bin)
        .args([
            "run",
            "unbuffered-write",
            "--headless",
            "--json",
            "--record",
        ])
        .arg(&file)
        .arg("--workdir")
        .arg(dir.path())
        .env("LANG", "C")
        .output()
        .unwrap();
    assert!(run.status.success());
    let replayed = std::process::Command::new(bin)
        .args(["replay", "--headless", "--json"])
        .arg(&file)
        .env("LANG", "C")
        .output()
        .unwrap();
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    let a: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&replayed.stdout).unwrap();
    assert_eq!(a, b);
    let table = std::process::Command::new(bin)
        .args(["replay", "--headless"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("unbuffered-write — Unbuffered writes"),
        "{text}"
    );
    assert!(
        text.contains("✓ step 1 syscalls: 10,486, expected exactly 10,486"),
        "{text}"
    );
}

/// A recording edited to claim what its figures do not show: replay decides
/// each verdict again from the recorded figures (a lie about both the figure
/// and the verdict is shown ✗), and a verdict whose figure disagrees with its
/// own step's is refused as corrupt, naming the line.
#[test]
fn replay_re_checks_recorded_verdicts_against_the_recorded_figures() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let file = dir.path().join("r.jsonl");
    let bin = env!("CARGO_BIN_EXE_iotour");
    let made = std::process::Command::new(bin)
        .args(["run", "unbuffered-write", "--headless", "--record"])
        .arg(&file)
        .arg("--workdir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    // Every step 1 report (step_done, and the one in finished): the
    // syscalls verdict says ✓ u64::MAX; with `figure`, the step's measured
    // figure says so too.
    let edit = |figure: bool| -> (String, usize) {
        let mut first = 0;
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                let at = if v.pointer("/exec/step_done").is_some() {
                    "/exec/step_done"
                } else {
                    "/exec/finished/steps/0"
                };
                if let Some(s) = v.pointer_mut(at)
                    && s["index"] == 1
                {
                    if first == 0 {
                        first = i + 1;
                    }
                    let max = serde_json::json!(u64::MAX);
                    for x in s["expect"].as_array_mut().unwrap() {
                        if x["key"] == "syscalls" {
                            x["actual"] = max.clone();
                            x["ok"] = true.into();
                        }
                    }
                    if figure {
                        s["measured"]["syscalls"] = max;
                    }
                }
                v.to_string()
            })
            .collect();
        (lines.join("\n") + "\n", first)
    };
    let replay = |content: &str| {
        std::fs::write(&file, content).unwrap();
        std::process::Command::new(bin)
            .args(["replay", "--headless"])
            .arg(&file)
            .output()
            .unwrap()
    };
    let (lied, _) = edit(true);
    let out = replay(&lied);
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{table}");
    assert!(
        table.contains("✗ step 1 syscalls: 18,446,744,073,709,551,615, expected exactly 10,486"),
        "{table}"
    );
    assert!(table.trim_end().ends_with("FAILED"), "{table}");
    let (corrupt, line) = edit(false);
    let out = replay(&corrupt);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("r.jsonl:{line}: corrupt recording")),
        "{err}"
    );
    assert!(
        err.contains("the step's recorded figures say 10486"),
        "{err}"
    );
}

/// A recording of another format version is refused, naming its version
/// and this program's.
#[test]
fn a_recording_of_another_version_names_both_versions() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let file = dir.path().join("future.jsonl");
    std::fs::write(
        &file,
        "{\"format\":\"iotour-recording\",\"version\":9,\"iotour_version\":\"9.9.9\"}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(["replay", "--headless"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("a version 9 recording (written by iotour 9.9.9)"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "this iotour {} reads versions 1 and 2",
            env!("CARGO_PKG_VERSION")
        )),
        "{err}"
    );
}
