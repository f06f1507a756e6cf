//! The side-by-side view: driven by a replay of a real compare recording (no
//! terminal), it runs the scenarios one after another, ends with the same
//! totals as the headless compare, and draws both columns and the totals.

use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use iotour::app::{App, CompareState, Effect, Event, Input, Screen};
use iotour::compare::Figure;
use iotour::replay::ReplayLauncher;
use iotour::tui::Loop;
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

fn screen_text(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| iotour::ui::render(f, app, &Theme::new(false)))
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
    let (app, effects) = App::compare(plans, Lang::En, Speed::Max);
    assert!(matches!(effects[..], [Effect::Start { epoch: 1, .. }]));
    let (tx, rx) = channel();
    let mut lp = Loop::new(
        app,
        ReplayLauncher::new(Arc::new(recording)),
        tx,
        Instant::now(),
    );
    lp.apply(effects);
    let view = |lp: &Loop<ReplayLauncher>| match &lp.app.screen {
        Screen::Compare(c) => (**c).clone(),
        other => panic!("{other:?}"),
    };
    let mut saw_second_start = false;
    while !view(&lp).done() {
        let ev = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
        if let Event::EngineStarted { epoch: 2, .. } = ev {
            assert!(view(&lp).runs[0].finished(), "B starts after A is done");
            saw_second_start = true;
        }
        lp.handle(ev);
    }
    lp.stop_producers();
    assert!(saw_second_start);
    assert_eq!(view(&lp).current, 1);
    let c = view(&lp).comparison().expect("both finished");
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

    let big = screen_text(&lp.app, 200, 56);
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
    let small = screen_text(&lp.app, 80, 24);
    assert!(
        small.contains("data path") && !small.contains("B/A"),
        "{small}"
    );
    lp.handle(Event::Input(Input::Key(KeyEvent::from(KeyCode::Tab))));
    let small = screen_text(&lp.app, 80, 24);
    assert!(
        small.contains("B/A") && small.contains("syscalls"),
        "{small}"
    );
    // Too small to draw: says so.
    assert!(screen_text(&lp.app, 40, 10).contains("terminal too small"));
    lp.handle(Event::Input(Input::Key(KeyEvent::from(KeyCode::Char('q')))));
    assert!(lp.app.quit());
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
    let (mut app, _) = App::compare(recording.plans().unwrap(), Lang::En, Speed::Max);
    app.handle(Event::EngineStarted {
        epoch: 1,
        at: Duration::ZERO,
    });
    let iotour_core::record::Recorded::Exec(fin) = finished_a.event else {
        unreachable!()
    };
    let effects = app.handle(Event::Exec(*fin));
    assert!(
        matches!(effects[..], [Effect::Start { epoch: 2, .. }]),
        "{effects:?}"
    );
    // A's sampler is still sending until its engine is joined: B ignores it.
    let runs = |app: &App| -> CompareState {
        match &app.screen {
            Screen::Compare(c) => (**c).clone(),
            other => panic!("{other:?}"),
        }
    };
    let before = runs(&app).runs[1].clone();
    app.handle(Event::Sample(sample_a));
    assert_eq!(runs(&app).runs[1], before);
}
