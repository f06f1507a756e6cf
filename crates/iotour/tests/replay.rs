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
    for e in rx.iter() {
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
    for e in rx.iter() {
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
    let handle = launcher.launch(plan, Speed::Max, true, tx).unwrap();
    let started = |rx: &Receiver<Event>| -> Vec<usize> {
        std::thread::sleep(Duration::from_millis(200));
        rx.try_iter()
            .filter_map(|e| match e {
                Event::Exec(ExecEvent::StepStarted { index, .. }) => Some(index),
                _ => None,
            })
            .collect()
    };
    assert_eq!(started(&rx), Vec::<usize>::new(), "paused: no step starts");
    handle.send(Command::NextStep);
    assert_eq!(started(&rx), [1]);
    handle.send(Command::NextStep);
    assert_eq!(started(&rx), [2]);
    handle.send(Command::Resume);
    assert_eq!(started(&rx), [3, 4, 5]);
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
    assert!(text.contains("✓ step 1 syscalls == 10486"), "{text}");
}
