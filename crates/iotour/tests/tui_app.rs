//! The TUI's state machine driven by fake events: pause, step, slice,
//! restart, speed, predict, language, picker, and engine errors.

use crate::support::script;

use std::time::Duration;

use iotour::app::run::StepState;
use iotour::app::{Action, App, Effect, Event, Failure, Screen, Status};
use iotour_core::engine::{Command, ExecEvent, Speed};
use iotour_core::scenario::Lang;

fn single(predict: bool) -> (App, Vec<Effect>) {
    App::single(script::plan(), Lang::En, predict, Speed::One)
}

fn feed(app: &mut App, events: impl IntoIterator<Item = Event>) -> Vec<Effect> {
    events.into_iter().flat_map(|e| app.handle(e)).collect()
}

fn sent(effects: &[Effect]) -> Vec<Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn run(app: &App) -> &iotour::app::RunState {
    app.run().expect("run view")
}

#[test]
fn a_run_starts_running_and_space_pauses_and_resumes() {
    let (mut app, effects) = single(false);
    assert!(matches!(
        &effects[..],
        [Effect::Start {
            epoch: 1,
            paused: false,
            speed: Speed::One,
            ..
        }]
    ));
    feed(&mut app, script::events());
    assert_eq!(run(&app).status, Status::Running);
    assert_eq!(run(&app).current, Some(3));
    assert_eq!(sent(&app.act(Action::TogglePause)), [Command::Pause]);
    assert_eq!(run(&app).status, Status::Paused);
    assert_eq!(sent(&app.act(Action::TogglePause)), [Command::Resume]);
    assert_eq!(run(&app).status, Status::Running);
}

#[test]
fn next_step_finishes_the_step_in_progress_and_slice_pauses_first() {
    let (mut app, _) = single(false);
    feed(&mut app, script::events());
    // Mid-step 3: that step runs to its end, then the engine holds.
    assert_eq!(sent(&app.act(Action::NextStep)), [Command::FinishStep]);
    assert_eq!(run(&app).status, Status::Paused);
    // Already paused: only the slice or the step is asked for.
    assert_eq!(sent(&app.act(Action::NextSlice)), [Command::NextSlice]);
    assert_eq!(sent(&app.act(Action::NextStep)), [Command::FinishStep]);
    let (mut app, _) = single(false);
    feed(&mut app, script::events());
    assert_eq!(
        sent(&app.act(Action::NextSlice)),
        [Command::Pause, Command::NextSlice]
    );
}

/// The scripted run through step 3's end, held there by `n`.
fn held_after_step_3() -> App {
    let (mut app, _) = single(false);
    feed(&mut app, script::events());
    assert_eq!(sent(&app.act(Action::NextStep)), [Command::FinishStep]);
    let done3: Vec<Event> = script::finish().into_iter().take(1).collect();
    assert!(feed(&mut app, done3).is_empty(), "held: nothing more asked");
    app
}

#[test]
fn n_holds_at_the_step_end_and_b_reviews_earlier_steps_as_they_ended() {
    use iotour::app::run::Viewing;
    use iotour_core::probe::pages::CellState;
    let mut app = held_after_step_3();
    let r = run(&app);
    assert_eq!((r.current, r.status.clone()), (Some(3), Status::Paused));
    assert_eq!(r.steps[2].state, StepState::Done);
    assert_eq!(r.flow.step_copies(), (2, 2), "step 3: read + send");
    // b: step 2's end, as it was (its one DMA copy, the pages clean).
    assert!(
        app.act(Action::StepBack).is_empty(),
        "held: nothing to pause"
    );
    let r = run(&app);
    assert_eq!(r.viewing, Viewing::Step(2));
    let shown = r.shown();
    assert_eq!(shown.current, Some(2));
    assert_eq!(shown.flow.step_copies(), (0, 1));
    let cells = &shown.pages.map.as_ref().unwrap().cells;
    assert!(cells.iter().all(|c| *c == CellState::Clean));
    // b again: step 1's end, the pages dirty; no step before it.
    app.act(Action::StepBack);
    let shown = run(&app).shown();
    assert_eq!(run(&app).viewing, Viewing::Step(1));
    assert_eq!(shown.flow.step_copies(), (1, 0));
    let cells = &shown.pages.map.as_ref().unwrap().cells;
    assert!(cells.iter().all(|c| *c == CellState::Dirty));
    assert!(app.act(Action::StepBack).is_empty());
    assert_eq!(run(&app).viewing, Viewing::Step(1));
    // Forward again: step 2's end, then the run as it is; nothing re-runs.
    assert!(app.act(Action::NextStep).is_empty());
    assert_eq!(run(&app).viewing, Viewing::Step(2));
    assert!(app.act(Action::NextStep).is_empty());
    assert_eq!(run(&app).viewing, Viewing::Live);
    // At the newest: n runs the next step.
    assert_eq!(sent(&app.act(Action::NextStep)), [Command::FinishStep]);
}

#[test]
fn b_while_running_pauses_and_the_last_step_leads_to_the_summary() {
    use iotour::app::run::Viewing;
    let (mut app, _) = single(false);
    feed(&mut app, script::events());
    // Running step 3: b pauses and shows step 2's end.
    assert_eq!(sent(&app.act(Action::StepBack)), [Command::Pause]);
    assert_eq!(run(&app).viewing, Viewing::Step(2));
    // Space: back to the run as it is, then on.
    assert!(app.act(Action::TogglePause).is_empty());
    assert_eq!(run(&app).viewing, Viewing::Live);
    assert_eq!(sent(&app.act(Action::TogglePause)), [Command::Resume]);
    // Running freely to the end: the summary.
    feed(&mut app, script::finish());
    assert_eq!(run(&app).viewing, Viewing::Summary);
    assert!(
        run(&app).ends.iter().all(Option::is_some),
        "every step's end kept"
    );
    // b from the summary: the last step; n: back to the summary.
    app.act(Action::StepBack);
    assert_eq!(run(&app).viewing, Viewing::Step(4));
    app.act(Action::NextStep);
    assert_eq!(run(&app).viewing, Viewing::Live);
    app.act(Action::NextStep);
    assert_eq!(run(&app).viewing, Viewing::Summary);
    // r: the lesson again, live.
    assert!(matches!(
        &app.act(Action::Restart)[..],
        [Effect::Start { epoch: 2, .. }]
    ));
    assert_eq!(run(&app).viewing, Viewing::Live);
}

#[test]
fn held_at_the_last_step_n_goes_to_the_summary() {
    use iotour::app::run::Viewing;
    let mut app = held_after_step_3();
    assert_eq!(sent(&app.act(Action::NextStep)), [Command::FinishStep]);
    feed(&mut app, script::finish().into_iter().skip(1));
    assert_eq!(
        run(&app).viewing,
        Viewing::Live,
        "the last step's end first"
    );
    assert!(run(&app).finished());
    assert!(app.act(Action::NextStep).is_empty());
    assert_eq!(run(&app).viewing, Viewing::Summary);
}

#[test]
fn a_note_stays_until_read_at_250_words_a_minute() {
    use iotour::app::run::reading_time;
    assert_eq!(reading_time(&"word ".repeat(250)), Duration::from_secs(60));
    assert_eq!(reading_time("页缓存里的脏页"), Duration::from_millis(720));
}

#[test]
fn speed_changes_are_sent_and_clamped() {
    let (mut app, _) = single(false);
    assert_eq!(
        sent(&app.act(Action::Faster)),
        [Command::SetSpeed(Speed::Two)]
    );
    for _ in 0..10 {
        app.act(Action::Faster);
    }
    assert_eq!(run(&app).speed, Speed::Max);
    assert!(
        app.act(Action::Faster).is_empty(),
        "no command when nothing changes"
    );
    assert_eq!(
        sent(&app.act(Action::Slower)),
        [Command::SetSpeed(Speed::Eight)]
    );
}

#[test]
fn restart_starts_a_new_engine_and_ignores_the_old_ones_events() {
    let (mut app, _) = single(false);
    feed(&mut app, script::events());
    let effects = app.act(Action::Restart);
    assert!(matches!(&effects[..], [Effect::Start { epoch: 2, .. }]));
    assert_eq!(run(&app).status, Status::Starting);
    // Late events of engine 1 arrive before the loop's marker: dropped.
    feed(&mut app, script::finish());
    assert_eq!(run(&app).current, None);
    assert!(run(&app).report.is_none());
    // Engine 2 announced: its events count.
    let mut fresh = script::events();
    fresh[0] = Event::EngineStarted {
        epoch: 2,
        at: Duration::from_secs(5),
    };
    feed(&mut app, fresh);
    assert_eq!(run(&app).current, Some(3));
}

#[test]
fn predict_mode_holds_before_each_question_and_reveals_after() {
    let (mut app, effects) = single(true);
    assert!(matches!(&effects[..], [Effect::Start { paused: true, .. }]));
    // Step 1 has a question: the engine stays paused, nothing is sent.
    let effects = feed(&mut app, script::events().into_iter().take(1));
    assert!(sent(&effects).is_empty());
    assert_eq!(run(&app).gate, Some(1));
    assert!(run(&app).hidden(1, true));
    // Space: the guess is made, the step runs.
    assert_eq!(sent(&app.act(Action::TogglePause)), [Command::NextStep]);
    assert_eq!(run(&app).gate, None);
    // Step 1's figures stay hidden while it runs, and are revealed at its end.
    let events: Vec<Event> = script::events()
        .into_iter()
        .skip(1)
        .take_while(|e| !matches!(e, Event::Exec(ExecEvent::StepStarted { index: 2, .. })))
        .collect();
    let mut effects = Vec::new();
    for e in events {
        if let Event::Exec(ExecEvent::StepDone(r)) = &e
            && r.index == 1
        {
            assert!(run(&app).hidden(1, true), "hidden until done");
        }
        effects.extend(app.handle(e));
    }
    assert!(!run(&app).hidden(1, true), "revealed once done");
    // The answer stays: nothing asked of the engine until space or n.
    assert!(sent(&effects).is_empty(), "{effects:?}");
    assert_eq!(run(&app).reveal, Some(1));
    assert_eq!(run(&app).status, Status::Paused);
    // Space: on; step 2 has no question, so it runs at once.
    assert_eq!(sent(&app.act(Action::TogglePause)), [Command::NextStep]);
    assert_eq!(run(&app).reveal, None);
    let step2: Vec<Event> = script::events()
        .into_iter()
        .skip_while(|e| !matches!(e, Event::Exec(ExecEvent::StepStarted { index: 2, .. })))
        .take_while(|e| !matches!(e, Event::Exec(ExecEvent::StepStarted { index: 3, .. })))
        .collect();
    assert!(sent(&feed(&mut app, step2)).is_empty());
    // Step 3 has one: hold there, the question alone.
    assert_eq!(run(&app).gate, Some(3));
    assert_eq!(run(&app).status, Status::Paused);
    // n at a question runs the asked step too.
    assert_eq!(sent(&app.act(Action::NextStep)), [Command::FinishStep]);
    assert_eq!(run(&app).gate, None);
}

#[test]
fn switching_predict_on_mid_run_stops_at_the_end_of_the_step() {
    let (mut app, _) = single(false);
    feed(&mut app, script::events());
    assert_eq!(sent(&app.act(Action::Predict)), [Command::FinishStep]);
    assert!(run(&app).stepping);
    // Step 3 keeps its figures; predict mode starts with step 4.
    assert_eq!(run(&app).predict_from, 4);
    assert!(run(&app).predict_pending(true));
    assert!(!run(&app).hidden(3, true));
    assert_eq!(sent(&app.act(Action::Predict)), [Command::Resume]);
    assert!(!run(&app).stepping);
}

#[test]
fn engine_errors_show_as_failure_and_the_app_stays_usable() {
    let (mut app, _) = single(false);
    feed(&mut app, script::events().into_iter().take(2));
    app.handle(Event::Exec(ExecEvent::Failed {
        error: "O_DIRECT refused by tmpfs".into(),
        at: Duration::from_millis(30),
    }));
    assert_eq!(run(&app).status, Status::Failed);
    assert_eq!(
        run(&app)
            .failure
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("O_DIRECT refused by tmpfs")
    );
    assert!(app.act(Action::TogglePause).is_empty(), "nothing to pause");
    assert!(matches!(
        &app.act(Action::Restart)[..],
        [Effect::Start { epoch: 2, .. }]
    ));
    assert!(!app.quit());
}

#[test]
fn a_refused_start_is_a_failure_not_a_crash() {
    let (mut app, _) = single(false);
    app.handle(Event::EngineRefused {
        epoch: 1,
        error: Failure::msg("file of 2 GiB exceeds --max-size 1 GiB"),
    });
    assert_eq!(run(&app).status, Status::Failed);
}

#[test]
fn a_failed_step_keeps_its_reason() {
    let (mut app, _) = single(false);
    let mut events = script::events();
    for e in &mut events {
        if let Event::Exec(ExecEvent::StepDone(r)) = e
            && r.index == 2
        {
            r.error = Some("fsync: EIO".into());
        }
    }
    feed(&mut app, events);
    assert_eq!(
        run(&app).steps[1].state,
        StepState::Failed("fsync: EIO".into())
    );
}

#[test]
fn language_help_and_quit() {
    let (mut app, _) = single(false);
    app.act(Action::Language);
    assert_eq!(app.lang, Lang::Zh);
    app.act(Action::Help);
    assert!(app.help);
    // The overlay swallows keys until closed.
    assert!(app.act(Action::TogglePause).is_empty());
    app.act(Action::Back);
    assert!(!app.help && !app.quit());
    assert_eq!(app.act(Action::Back), [Effect::Stop, Effect::Quit]);
    assert!(app.quit());
    assert_eq!(app.ending, Some(iotour::app::Ending::Quit));
}

#[test]
fn picker_filters_runs_and_comes_back() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |c| {
        Event::Input(iotour::app::Input::Key(KeyEvent::new(
            c,
            KeyModifiers::NONE,
        )))
    };
    let mut meta = script::meta();
    meta.title.en = "Page faults".into();
    meta.tags = vec!["mmap".into()];
    let other = script::plan_as("other", meta);
    let mut app = App::picker(vec![script::plan(), other], Lang::En, false, Speed::One);
    feed(
        &mut app,
        [
            key(KeyCode::Char('/')),
            key(KeyCode::Char('m')),
            key(KeyCode::Char('m')),
        ],
    );
    let p = app.picker.as_ref().unwrap();
    assert_eq!(p.visible(), [1]);
    // Enter ends the filter; q while filtering would type a q.
    feed(&mut app, [key(KeyCode::Enter)]);
    let effects = feed(&mut app, [key(KeyCode::Enter)]);
    assert!(matches!(&effects[..], [Effect::Start { epoch: 1, plan, .. }] if plan.id() == "other"));
    assert!(matches!(app.screen, Screen::Run(_)));
    assert_eq!(feed(&mut app, [key(KeyCode::Char('q'))]), [Effect::Stop]);
    assert!(matches!(app.screen, Screen::Picker));
    // Late events of the stopped run are ignored on the picker.
    feed(&mut app, script::finish());
    assert_eq!(
        feed(&mut app, [key(KeyCode::Char('q'))]),
        [Effect::Stop, Effect::Quit]
    );
}

#[test]
fn ticks_advance_the_run_clock_from_the_engine_start() {
    let (mut app, _) = single(false);
    app.handle(Event::EngineStarted {
        epoch: 1,
        at: Duration::from_secs(10),
    });
    app.handle(Event::Tick(Duration::from_millis(10_500)));
    assert_eq!(run(&app).now, Duration::from_millis(500));
}

#[test]
fn events_naming_a_step_outside_the_plan_are_dropped() {
    let (mut app, _) = single(false);
    feed(&mut app, script::events().into_iter().take(2));
    app.handle(Event::Exec(ExecEvent::StepStarted {
        index: 0,
        at: Duration::ZERO,
    }));
    app.handle(Event::Exec(ExecEvent::StepStarted {
        index: 99,
        at: Duration::ZERO,
    }));
    assert_eq!(run(&app).current, None);
    // Rendering still works.
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    t.draw(|f| iotour::ui::render(f, &app, &iotour::ui::Theme::new(false)))
        .unwrap();
}

#[test]
fn picker_opens_inspect_on_a_typed_path_and_stats_at_once() {
    use iotour::app::Screen;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use std::path::PathBuf;
    let key = |c| {
        Event::Input(iotour::app::Input::Key(KeyEvent::new(
            c,
            KeyModifiers::NONE,
        )))
    };
    let chars = |s: &str| s.chars().map(|c| key(KeyCode::Char(c))).collect::<Vec<_>>();
    let mut app = App::picker(vec![script::plan()], Lang::En, false, Speed::One);
    let effects = feed(&mut app, [key(KeyCode::Char('s'))]);
    assert!(
        matches!(&effects[..], [Effect::Stats { epoch: 1, .. }]),
        "{effects:?}"
    );
    assert!(matches!(app.screen, Screen::Stats(_)));
    // `q` goes back to the picker and stops the sampler.
    assert_eq!(feed(&mut app, [key(KeyCode::Char('q'))]), [Effect::Stop]);
    assert!(matches!(app.screen, Screen::Picker));
    // `i` asks for a path, starting from the working directory.
    assert!(feed(&mut app, [key(KeyCode::Char('i'))]).is_empty());
    assert_eq!(
        app.picker.as_ref().unwrap().inspect_path.as_deref(),
        Some(".")
    );
    // Keys type into the path: `q` and `s` are letters here, not commands.
    let mut typing = vec![key(KeyCode::Backspace)];
    typing.extend(chars("/var/qs"));
    assert!(feed(&mut app, typing).is_empty());
    assert!(!app.quit());
    let ctrl_u = Event::Input(iotour::app::Input::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    feed(&mut app, [ctrl_u]);
    feed(&mut app, chars("/tmp "));
    let effects = feed(&mut app, [key(KeyCode::Enter)]);
    match &effects[..] {
        [Effect::Inspect { epoch: 2, setup }] => {
            assert_eq!(setup.paths, [PathBuf::from("/tmp")]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(app.screen, Screen::Inspect(_)));
    assert_eq!(app.picker.as_ref().unwrap().inspect_path, None);
    assert_eq!(feed(&mut app, [key(KeyCode::Esc)]), [Effect::Stop]);
    // Esc cancels; an empty path is refused with a notice, not opened.
    feed(&mut app, [key(KeyCode::Char('i')), key(KeyCode::Esc)]);
    assert_eq!(app.picker.as_ref().unwrap().inspect_path, None);
    feed(&mut app, [key(KeyCode::Char('i')), key(KeyCode::Backspace)]);
    assert!(feed(&mut app, [key(KeyCode::Enter)]).is_empty());
    assert!(app.picker.as_ref().unwrap().notice.is_some());
    // The key that dismisses the notice does only that.
    assert!(feed(&mut app, [key(KeyCode::Char('q'))]).is_empty());
    assert!(!app.quit());
    assert_eq!(app.picker.as_ref().unwrap().notice, None);
    // Tools are the picker's: the run view's `s` is a slice.
    let effects = feed(&mut app, [key(KeyCode::Enter)]);
    assert!(matches!(&effects[..], [Effect::Start { .. }]));
    let effects = feed(&mut app, [key(KeyCode::Char('s'))]);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Stats { .. })));
}

#[test]
fn esc_clears_the_picker_filter_before_it_quits() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |c, m| Event::Input(iotour::app::Input::Key(KeyEvent::new(c, m)));
    let plain = |c| key(c, KeyModifiers::NONE);
    let mut app = App::picker(vec![script::plan()], Lang::En, false, Speed::One);
    feed(
        &mut app,
        [plain(KeyCode::Char('/')), plain(KeyCode::Char('x'))],
    );
    // Ctrl-U in the filter clears it instead of typing a `u`.
    feed(&mut app, [key(KeyCode::Char('u'), KeyModifiers::CONTROL)]);
    assert_eq!(app.picker.as_ref().unwrap().filter, "");
    feed(&mut app, [plain(KeyCode::Char('y')), plain(KeyCode::Enter)]);
    assert_eq!(app.picker.as_ref().unwrap().filter, "y");
    // Not typing any more: the first Esc clears the filter, the second quits.
    assert!(feed(&mut app, [plain(KeyCode::Esc)]).is_empty());
    assert_eq!(app.picker.as_ref().unwrap().filter, "");
    assert!(!app.quit());
    assert_eq!(
        feed(&mut app, [plain(KeyCode::Esc)]),
        [Effect::Stop, Effect::Quit]
    );
}

#[test]
fn ctrl_c_ends_every_screen_as_sigint_does() {
    use iotour::app::Ending;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let ctrl_c = || {
        Event::Input(iotour::app::Input::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )))
    };
    let (mut run_app, _) = single(false);
    let mut picker = App::picker(vec![script::plan()], Lang::En, false, Speed::One);
    for app in [&mut run_app, &mut picker] {
        assert_eq!(feed(app, [ctrl_c()]), [Effect::Stop, Effect::Quit]);
        assert_eq!(app.ending, Some(Ending::Signal(2)));
    }
}

#[test]
fn a_note_holds_the_engine_until_read_then_the_run_goes_on() {
    use iotour_core::scenario::{FileSetup, Op, Origin, Plan, Step, Text};
    let note = Step {
        op: Op::Note,
        say: Some(Text::en("word ".repeat(50))),
        ask: None,
        calls: None,
        expect: vec![],
        line: 1,
    };
    let mut fsync = note.clone();
    fsync.op = Op::Fsync;
    let plan = Plan::new(
        "note",
        Origin::Builtin,
        script::meta(),
        FileSetup {
            size: 0,
            cached: true,
        },
        vec![note, fsync],
    )
    .unwrap();
    let (mut app, _) = App::single(plan, Lang::En, false, Speed::One);
    let ms = Duration::from_millis;
    feed(&mut app, script::events().into_iter().take(2));
    // 50 words at 250 a minute: 12 s, from the note's start.
    let effects = app.handle(Event::Exec(ExecEvent::StepStarted {
        index: 1,
        at: ms(100),
    }));
    assert_eq!(sent(&effects), [Command::Pause]);
    assert_eq!(run(&app).reading_until, Some(ms(12_100)));
    assert!(sent(&app.handle(Event::Tick(ms(11_000)))).is_empty());
    assert_eq!(
        sent(&app.handle(Event::Tick(ms(12_200)))),
        [Command::Resume]
    );
    assert_eq!(run(&app).reading_until, None);
    // Paused by the lecturer while reading: the note stays until n.
    let (mut app, _) = App::single(run(&app).plan.clone(), Lang::En, false, Speed::One);
    feed(&mut app, script::events().into_iter().take(2));
    app.handle(Event::Exec(ExecEvent::StepStarted {
        index: 1,
        at: ms(100),
    }));
    assert_eq!(sent(&app.act(Action::TogglePause)), [Command::Pause]);
    assert!(sent(&app.handle(Event::Tick(ms(60_000)))).is_empty());
    assert_eq!(sent(&app.act(Action::NextStep)), [Command::FinishStep]);
}

#[test]
fn a_device_wait_recorded_in_a_burst_plays_in_slow_motion() {
    use iotour_core::engine::{SliceReport, Snapshot};
    use iotour_core::probe::pages::CellState;
    let (mut app, _) = single(false);
    let ms = Duration::from_millis;
    // Up to step 2 (fsync) started.
    let upto: Vec<Event> = script::events()
        .into_iter()
        .take_while(|e| !matches!(e, Event::Sample(s) if s.at == ms(650)))
        .collect();
    feed(&mut app, upto);
    assert_eq!(run(&app).current, Some(2));
    // The sampler's burst: writeback at 601 ms, clean at 612 ms (1 kHz).
    let burst = |at: u64, state: CellState| {
        Event::Sample(Snapshot {
            at: ms(at),
            system: iotour_core::probe::system::SystemMem::default(),
            file: Some(script::page_map(64, state)),
            mapping: None,
            vma: None,
            not_durable_bytes: None,
            burst: true,
            flusher: None,
        })
    };
    for (at, state) in [
        (601, CellState::Writeback),
        (602, CellState::Writeback),
        (612, CellState::Clean),
        (613, CellState::Clean),
    ] {
        app.handle(burst(at, state));
    }
    assert_eq!(
        run(&app).slowmo.frames.len(),
        2,
        "only the changes are kept"
    );
    // fsync returned: 11 ms recorded, played about 200 times slower.
    app.handle(Event::Exec(ExecEvent::Slice(SliceReport {
        step: 2,
        slice: 0,
        done: 1,
        total: 1,
        at: ms(620),
        measured: iotour_core::outcome::Readings::default(),
        copies: vec![],
        legs: vec![],
    })));
    let play = run(&app).slowmo.playing.clone().expect("playing");
    assert_eq!(play.factor, 200);
    assert!(run(&app).animating());
    let shown = |app: &App| {
        run(app)
            .slowmo
            .playing
            .as_ref()
            .map(|p| p.view.map.as_ref().unwrap().cells[0])
    };
    assert_eq!(shown(&app), Some(CellState::Writeback));
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| iotour::ui::render(f, &app, &iotour::ui::Theme::new(false)))
        .unwrap();
    let screen = format!("{}", t.backend());
    assert!(
        screen.contains("▶ slow motion ×200, recorded from the kernel: +0.0 ms"),
        "{screen}"
    );
    assert!(screen.contains("▓▓▓▓"), "the writeback frame: {screen}");
    // 11 ms × 200 = 2.2 s later the clean frame is on screen.
    app.handle(Event::Tick(ms(620 + 2300)));
    assert_eq!(shown(&app), Some(CellState::Clean));
    // And then live again.
    app.handle(Event::Tick(ms(620 + 5000)));
    assert!(run(&app).slowmo.playing.is_none());
}
