//! The event loop with a fake engine: effects reach the engine, a restart
//! joins the old engine before the new one starts, and a stop signal ends
//! the loop with the right exit status. The loop is driven event by event:
//! every event it queues itself (its `EngineStarted`, a refusal) is handled
//! before the stop, whatever the scheduler does.

use crate::support::script;

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use iotour::app::{App, Ending, Event, Failure, Input, StopReason};
use iotour::tui::{EngineHandle, Launcher, Loop};
use iotour::ui::Theme;
use iotour_core::engine::{Command, Speed};
use iotour_core::scenario::{Lang, Plan};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the fake engines saw, in order.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Launched { paused: bool },
    Sent(Command),
    Dropped,
}

#[derive(Clone, Default)]
struct Fake {
    log: Arc<Mutex<Vec<Seen>>>,
    refuse: bool,
}

struct Handle(Arc<Mutex<Vec<Seen>>>);

impl EngineHandle for Handle {
    fn send(&self, cmd: Command) {
        self.0.lock().unwrap().push(Seen::Sent(cmd));
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(Seen::Dropped);
    }
}

impl Launcher for Fake {
    type Handle = Handle;
    fn launch(
        &mut self,
        _: Plan,
        _: Speed,
        paused: bool,
        _: Sender<Event>,
    ) -> Result<Handle, Failure> {
        if self.refuse {
            return Err(Failure::msg("the working file would not fit"));
        }
        self.log.lock().unwrap().push(Seen::Launched { paused });
        Ok(Handle(self.log.clone()))
    }
}

fn key(c: char) -> Event {
    Event::Input(Input::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

/// The loop over `events`, then SIGTERM: each event is handled, then
/// everything the loop queued while handling it, in channel order (as
/// `Loop::run` would), and the screen is drawn once at the end.
fn run(fake: Fake, predict: bool, events: Vec<Event>) -> App {
    let (tx, rx) = mpsc::channel();
    let (app, effects) = App::single(script::plan(), Lang::En, predict, Speed::One);
    let mut lp = Loop::new(app, fake, tx.clone(), Instant::now());
    lp.apply(effects);
    let drain = |lp: &mut Loop<Fake>| {
        while let Ok(queued) = rx.try_recv() {
            lp.handle(queued);
        }
    };
    drain(&mut lp);
    for e in events {
        tx.send(e).unwrap();
        drain(&mut lp);
    }
    tx.send(Event::Stop(StopReason::Signal(15))).unwrap();
    drain(&mut lp);
    assert!(lp.app.quit(), "the stop ended the loop");
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| iotour::ui::render(f, &lp.app, &Theme::new(false)))
        .unwrap();
    lp.app
}

#[test]
fn keys_become_engine_commands_and_restart_joins_first() {
    let fake = Fake::default();
    let app = run(
        fake.clone(),
        false,
        vec![key(' '), key('+'), key('r'), key('s')],
    );
    let log = fake.log.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            Seen::Launched { paused: false },
            Seen::Sent(Command::Pause),
            Seen::Sent(Command::SetSpeed(Speed::Two)),
            Seen::Dropped,
            Seen::Launched { paused: false },
            Seen::Sent(Command::Pause),
            Seen::Sent(Command::NextSlice),
            // Leaving the loop stops the engine.
            Seen::Dropped,
        ]
    );
    assert!(app.quit());
    assert_eq!(app.ending, Some(Ending::Signal(15)));
    // The restarted run listens: the loop announced it on the channel.
    assert!(app.run().unwrap().listening);
}

#[test]
fn predict_mode_launches_paused() {
    let fake = Fake::default();
    run(fake.clone(), true, vec![]);
    assert_eq!(fake.log.lock().unwrap()[0], Seen::Launched { paused: true });
}

#[test]
fn a_refused_launch_shows_as_a_failed_run() {
    let fake = Fake {
        refuse: true,
        ..Fake::default()
    };
    let app = run(fake, false, vec![]);
    let run = app.run().unwrap();
    assert_eq!(run.status, iotour::app::Status::Failed);
    assert_eq!(
        run.failure.as_ref().map(|f| format!("{f:#}")).as_deref(),
        Some("the working file would not fit")
    );
}

#[test]
fn stats_from_the_picker_samples_until_q_and_a_signal_inside_ends_the_program() {
    use iotour::app::Screen;
    let fake = Fake::default();
    let (tx, rx) = mpsc::channel();
    let app = App::picker(vec![script::plan()], Lang::En, false, Speed::One);
    let mut lp = Loop::new(app, fake.clone(), tx.clone(), Instant::now());
    lp.handle(key('s'));
    assert!(matches!(lp.app.screen, Screen::Stats(_)));
    // The loop started the real sampler: its first reading arrives.
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("a reading of /proc");
    assert!(matches!(first, Event::Stats { epoch: 1, .. }), "{first:?}");
    lp.handle(first);
    lp.handle(key('q'));
    assert!(matches!(lp.app.screen, Screen::Picker));
    assert!(!lp.app.quit());
    // A signal on the stats screen ends the program with 128 + it.
    lp.handle(key('s'));
    lp.handle(Event::Stop(StopReason::Signal(1)));
    assert_eq!(lp.app.ending, Some(Ending::Signal(1)));
    assert!(fake.log.lock().unwrap().is_empty(), "no engine was started");
}
