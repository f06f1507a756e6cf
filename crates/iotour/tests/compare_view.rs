//! The side-by-side view: driven by a replay of a real compare recording (no
//! terminal), it runs the scenarios one after another, ends with the same
//! totals as the headless compare, and draws both columns and the totals.

use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use iotour::app::{Effect, Event, Input};
use iotour::compare::live::CompareView;
use iotour::compare::session::Driver;
use iotour::compare::{Figure, screen};
use iotour::replay::ReplayLauncher;
use iotour::ui::Theme;
use iotour_core::engine::Speed;
use iotour_core::record::Recording;
use iotour_core::scenario::Lang;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

fn record_compare(dir: &std::path::Path) -> (Recording, serde_json::Value) {
    let file = dir.join("cmp.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args([
            "compare",
            "unbuffered-write",
            "buffered-write",
            "--headless",
            "--json",
            "--record",
        ])
        .arg(&file)
        .arg("--workdir")
        .arg(dir)
        .env("LANG", "C")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        Recording::load(&file).unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn screen_text(view: &CompareView, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| screen::render(f, view, &Theme::new(false)))
        .unwrap();
    let buf = term.backend().buffer().clone();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

#[test]
fn the_side_by_side_view_runs_each_scenario_in_turn_to_the_same_totals() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (recording, headless) = record_compare(dir.path());
    let plans = recording.plans().unwrap();
    let (view, effects) = CompareView::new(plans, Lang::En, Speed::Max);
    assert!(matches!(effects[..], [Effect::Start { epoch: 1, .. }]));
    let (tx, rx) = channel();
    let mut driver = Driver::new(
        view,
        ReplayLauncher::new(Arc::new(recording)),
        tx,
        Instant::now(),
    );
    driver.apply(effects);
    let mut saw_second_start = false;
    while !driver.view.done() {
        let ev = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
        if let Event::EngineStarted { epoch: 2, .. } = ev {
            assert!(driver.view.runs[0].finished(), "B starts after A is done");
            saw_second_start = true;
        }
        driver.handle(ev);
    }
    driver.stop();
    assert!(saw_second_start);
    assert_eq!(driver.view.current, 1);
    let c = driver.view.comparison().expect("both finished");
    assert_eq!(c.scenarios.len(), 2);
    for (i, s) in c.scenarios.iter().enumerate() {
        for f in Figure::ALL {
            assert_eq!(
                s.totals.get(f),
                headless["scenarios"][i]["totals"][f.key()].as_u64(),
                "{} {}",
                s.id,
                f.key()
            );
        }
    }

    let big = screen_text(&driver.view, 200, 56);
    for want in [
        " A unbuffered-write — Unbuffered writes",
        " B buffered-write — Buffered writes",
        "A unbuffered-write ✓ done",
        "B buffered-write ✓ done",
        "totals measured · modeled · ratio to A",
        "B/A",
        "CPU-copied bytes",
    ] {
        assert!(big.contains(want), "no {want:?} in\n{big}");
    }
    let syscalls = big.lines().find(|l| l.contains("│syscalls")).unwrap();
    assert!(
        syscalls.contains("10487") && syscalls.contains("0.0125×"),
        "{syscalls}"
    );

    // 80×24: the panels, and Tab shows the totals instead.
    let small = screen_text(&driver.view, 80, 24);
    assert!(
        small.contains("data path") && !small.contains("B/A"),
        "{small}"
    );
    driver.handle(Event::Input(Input::Key(KeyEvent::from(KeyCode::Tab))));
    let small = screen_text(&driver.view, 80, 24);
    assert!(
        small.contains("B/A") && small.contains("syscalls"),
        "{small}"
    );
    driver.handle(Event::Input(Input::Key(KeyEvent::from(KeyCode::Char('q')))));
    assert!(driver.view.quit);
    // Too small to draw: says so.
    assert!(screen_text(&driver.view, 40, 10).contains("terminal too small"));
}

#[test]
fn events_of_the_first_engine_do_not_reach_the_second_scenario() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (recording, _) = record_compare(dir.path());
    let finished_a = recording
        .scenario_lines(0)
        .find(|l| l.event.report().is_some())
        .unwrap()
        .clone();
    let sample_a = recording
        .scenario_lines(0)
        .find_map(|l| match &l.event {
            iotour_core::record::Recorded::Sample(s) => Some(s.clone()),
            _ => None,
        })
        .expect("a sample");
    let (mut view, _) = CompareView::new(recording.plans().unwrap(), Lang::En, Speed::Max);
    view.handle(Event::EngineStarted {
        epoch: 1,
        at: Duration::ZERO,
    });
    let iotour_core::record::Recorded::Exec(fin) = finished_a.event else {
        unreachable!()
    };
    let effects = view.handle(Event::Exec(*fin));
    assert!(
        matches!(effects[..], [Effect::Start { epoch: 2, .. }]),
        "{effects:?}"
    );
    // A's sampler is still sending until its engine is joined: B ignores it.
    let before = view.runs[1].clone();
    view.handle(Event::Sample(sample_a));
    assert_eq!(view.runs[1], before);
}
