//! Prints how long a full frame takes at 200×60 (goal: under 2 ms) and the
//! UI's CPU use while a paused run receives 20 Hz samples and 30 fps ticks
//! (goal: under 2% of a core). A benchmark, not a test: it only reports.
//!
//! `cargo bench --bench render`

// The tests' scripted run; the bench uses part of it.
#[path = "../tests/support/script.rs"]
#[allow(dead_code)]
mod script;

use std::hint::black_box;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use iotour::app::{App, Event, StopReason};
use iotour::tui::{EngineHandle, Launcher, Loop};
use iotour::ui::{self, Theme};
use iotour_core::engine::{Command, Snapshot, Speed};
use iotour_core::probe::pages::CellState;
use iotour_core::probe::system::SystemMem;
use iotour_core::scenario::{Lang, Plan};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn frame_time() {
    let (mut app, _) = App::single(script::plan(), Lang::En, false, Speed::One);
    for e in script::events() {
        app.handle(e);
    }
    let theme = Theme::new(true);
    let mut t = Terminal::new(TestBackend::new(200, 60)).unwrap();
    for _ in 0..50 {
        t.draw(|f| ui::render(f, &app, &theme)).unwrap();
    }
    let n = 1000;
    let start = Instant::now();
    for _ in 0..n {
        t.draw(|f| ui::render(f, black_box(&app), &theme)).unwrap();
    }
    let per = start.elapsed() / n;
    println!(
        "full frame at 200×60: {:.3} ms (goal < 2 ms)",
        per.as_secs_f64() * 1e3
    );
}

/// An engine that only samples, as a paused run's sampler does.
struct Sampler;
struct Idle;
impl EngineHandle for Idle {
    fn send(&self, _: Command) {}
}
impl Launcher for Sampler {
    type Handle = Idle;
    fn launch(
        &mut self,
        _: Plan,
        _: Speed,
        _: bool,
        events: mpsc::Sender<Event>,
    ) -> Result<Idle, iotour::app::Failure> {
        thread::spawn(move || {
            let start = Instant::now();
            loop {
                thread::sleep(Duration::from_millis(50));
                let s = Snapshot {
                    at: start.elapsed(),
                    system: SystemMem::default(),
                    file: Some(script::page_map(40, CellState::Dirty)),
                    mapping: None,
                    vma: None,
                    not_durable_bytes: None,
                    burst: false,
                    flusher: None,
                };
                if events.send(Event::Sample(s)).is_err() {
                    return;
                }
            }
        });
        Ok(Idle)
    }
}

fn cpu_time() -> Duration {
    // SAFETY: rusage is plain integers, for which all zeroes is a value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &raw mut ru) };
    let us =
        |tv: libc::timeval| Duration::from_micros(tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64);
    us(ru.ru_utime) + us(ru.ru_stime)
}

fn idle_cpu() {
    let (tx, rx) = mpsc::channel();
    let (mut app, effects) = App::single(script::plan(), Lang::En, false, Speed::One);
    for e in script::events() {
        app.handle(e);
    }
    app.act(iotour::app::Action::TogglePause);
    let started = Instant::now();
    let mut lp = Loop::new(app, Sampler, tx.clone(), started);
    let ticker = tx.clone();
    thread::spawn(move || {
        while ticker.send(Event::Tick(started.elapsed())).is_ok() {
            thread::sleep(Duration::from_millis(33));
        }
    });
    // Measure after the scripted pulses and highlights have faded: a paused
    // screen is then still, and only samples should cost anything.
    let stopper = tx;
    let measure = thread::spawn(move || {
        thread::sleep(Duration::from_millis(2500));
        let (cpu0, wall0) = (cpu_time(), Instant::now());
        thread::sleep(Duration::from_secs(3));
        let share =
            cpu_time().checked_sub(cpu0).unwrap().as_secs_f64() / wall0.elapsed().as_secs_f64();
        let _ = stopper.send(Event::Stop(StopReason::InputClosed));
        share
    });
    let theme = iotour::ui::theme::Themes::new(true);
    let mut t = Terminal::new(TestBackend::new(200, 60)).unwrap();
    lp.run(&mut t, &rx, effects, &theme).unwrap();
    let share = measure.join().unwrap();
    println!(
        "UI CPU, paused run with 20 Hz samples and 30 fps ticks: {:.2}% of a core (goal < 2%)",
        share * 100.0
    );
}

fn main() {
    frame_time();
    idle_cpu();
}
