//! A snapshot of every screen, in English and in Chinese, drawn on a
//! `TestBackend` from fixed events (no kernel, no clock): the picker, a run,
//! the side-by-side comparison, inspect, stats, the help overlay, and a
//! terminal below the minimum size. Colour is off, as in `tui_render`.

use std::time::{Duration, Instant};

use iotour::app::{Action, App, Event, InspectSetup, Inspected, StatsSetup};
use iotour::ui::{self, Theme};
use iotour_core::engine::Speed;
use iotour_core::inspect::report::{FileReport, InspectReport, MapView, Status, Totals};
use iotour_core::probe::pages::{CellState, PageCounts, PageMap};
use iotour_core::probe::system::{DirtySettings, SystemMem};
use iotour_core::scenario::{Lang, Plan};
use iotour_core::stats::procio::{ProcIo, ProcIoSample};
use iotour_core::stats::sample::Sample;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::support::script;

const W: u16 = 100;
const H: u16 = 30;

fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, app, &Theme::new(false))).unwrap();
    t
}

fn name(screen: &str, lang: Lang) -> String {
    let lang = match lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    };
    format!("{screen}_{lang}")
}

fn second_plan() -> Plan {
    let mut meta = script::meta();
    meta.title.en = "The same, once more".into();
    meta.title.zh = Some("同样的，再来一次".into());
    script::plan_as("scripted-again", meta)
}

fn picker(lang: Lang) -> App {
    App::picker(vec![script::plan(), second_plan()], lang, false, Speed::One)
}

fn run(lang: Lang) -> App {
    let (mut app, _) = App::single(script::plan(), lang, false, Speed::One);
    for e in script::events() {
        app.handle(e);
    }
    app
}

fn compare(lang: Lang) -> App {
    let (mut app, _) = App::compare(vec![script::plan(), second_plan()], lang, Speed::One);
    for e in script::events().into_iter().chain(script::finish()) {
        app.handle(e);
    }
    app
}

fn inspect_report() -> InspectReport {
    let file = |path: &str, cached: u64, dirty: u64| FileReport {
        path: path.into(),
        size: Some(256 * 4096),
        pages: Some(256),
        cached: Some(cached),
        dirty: Some(dirty),
        writeback: Some(0),
        evicted: Some(3),
        recently_evicted: Some(1),
        source: Some("cachestat"),
        error: None,
        status: Status::Measured,
    };
    let files = vec![
        file("/data/app.db", 128, 16),
        file("/data/logs/app.1.log", 256, 0),
        FileReport::without_figures("/data/fifo".into(), Status::Skipped, "skipped: FIFO".into()),
    ];
    let mut totals = Totals::over(&files);
    totals.page_size = 4096;
    InspectReport {
        files,
        totals,
        map: None,
        notes: vec![],
        mounts: iotour_core::inspect::report::SkippedMounts::default(),
    }
}

fn inspect(lang: Lang) -> App {
    let setup = InspectSetup {
        paths: vec!["/data".into()],
        options: iotour_core::inspect::Options::default(),
        every: Duration::from_secs(1),
    };
    let (mut app, _) = App::inspect(setup, lang);
    app.handle(Event::Inspected(Inspected::Report {
        epoch: 1,
        report: Ok(inspect_report()),
        clock: "09:41:02".into(),
        source: "cachestat",
    }));
    let cells = [
        CellState::Dirty,
        CellState::Clean,
        CellState::NotCached,
        CellState::Writeback,
    ]
    .repeat(32);
    app.handle(Event::Inspected(Inspected::Map {
        epoch: 1,
        map: Ok(MapView {
            path: "/data/app.db".into(),
            offset: 0,
            map: PageMap {
                pages: 256,
                pages_per_cell: 2,
                cells,
                totals: PageCounts::default(),
            },
        }),
    }));
    app
}

fn samples() -> (Sample, Sample) {
    let t0 = Instant::now();
    let io = |w, c| ProcIo {
        comm: "dd".into(),
        write_bytes: w,
        cancelled_write_bytes: c,
    };
    let mut a = Sample {
        at: t0,
        mem: SystemMem::default(),
        settings: DirtySettings::default(),
        counters: [Some(1000), Some(500), Some(10), Some(0), Some(0), Some(0)],
        pressure: Err("/proc/pressure/io not present".into()),
        procs: ProcIoSample::default(),
    };
    a.procs.readable.insert(10, io(0, 0));
    let mut b = a.clone();
    b.at = t0 + Duration::from_secs(1);
    b.counters = [
        Some(3000),
        Some(900),
        Some(30),
        Some(2),
        Some(100),
        Some(400),
    ];
    b.mem = SystemMem {
        dirty_kb: Some(30_000),
        writeback_kb: Some(10_000),
        background_threshold_kb: Some(100_000),
        threshold_kb: Some(200_000),
    };
    b.procs.readable.insert(10, io(8 << 20, 4096));
    (a, b)
}

fn stats(lang: Lang) -> App {
    let setup = StatsSetup {
        every: Duration::from_secs(1),
        top: 10,
    };
    let (mut app, _) = App::stats(setup, lang);
    let (a, b) = samples();
    for (s, clock) in [(a, "09:41:01"), (b, "09:41:02")] {
        app.handle(Event::Stats {
            epoch: 1,
            sample: Box::new(s),
            clock: clock.into(),
        });
    }
    app
}

/// A traced program that wrote 40 pages into one file and fsynced once,
/// with a page map of that file (the trace screen's own fold of the events).
fn trace(lang: Lang) -> App {
    use iotour::app::trace::TraceSetup;
    use iotour_core::trace::{Backend, PageState, SampleSource, SyscallEvent, TraceEvent};
    let setup = TraceSetup {
        command: vec!["./writer".into(), "out.dat".into()],
        log: Some("/tmp/iotour-trace-demo.log".into()),
        replay: false,
    };
    let (mut app, _) = App::trace(setup, lang);
    let call = |name: &'static str, at_ms: u64, bytes: Option<u64>| {
        TraceEvent::Syscall(SyscallEvent {
            tid: 4242,
            pid: 4242,
            name,
            nr: iotour_core::trace::syscall_table::number(name).unwrap(),
            fd: Some(3),
            path: Some("/srv/out.dat".into()),
            source_fd: None,
            source_path: None,
            bytes,
            ret: Some(bytes.map_or(0, |b| i64::try_from(b).unwrap())),
            start: Duration::from_millis(at_ms),
            duration: Some(Duration::from_micros(40)),
        })
    };
    let mut events = vec![
        TraceEvent::Started {
            pid: 4242,
            backend: Backend::Perf,
            command: vec!["./writer".into(), "out.dat".into()],
            notes: vec![],
            at: Duration::ZERO,
        },
        TraceEvent::Follow {
            path: "/srv/out.dat".into(),
            at: Duration::ZERO,
        },
    ];
    for i in 0..40 {
        events.push(call("write", 20 * i, Some(4096)));
    }
    events.push(call("fsync", 820, None));
    events.push(TraceEvent::FileSample {
        path: "/srv/out.dat".into(),
        pages: PageState {
            cached: 40,
            dirty: 8,
            size: Some(40 * 4096),
            ..PageState::default()
        },
        source: SampleSource::Clock,
        at: Duration::from_millis(900),
    });
    for e in events {
        app.handle(Event::Trace(Box::new(e)));
    }
    let mut cells = vec![CellState::Clean; 32];
    cells.extend([CellState::Dirty; 8]);
    app.handle(Event::Inspected(Inspected::Map {
        epoch: 1,
        map: Ok(MapView {
            path: "/srv/out.dat".into(),
            offset: 0,
            map: PageMap {
                pages: 40,
                pages_per_cell: 1,
                cells,
                totals: PageCounts::default(),
            },
        }),
    }));
    app
}

fn with_help(mut app: App) -> App {
    app.act(Action::Help);
    app
}

#[test]
fn every_screen_in_both_languages() {
    for lang in [Lang::En, Lang::Zh] {
        let screens: [(&str, App, (u16, u16)); 9] = [
            ("trace", trace(lang), (W, H)),
            ("picker", picker(lang), (W, H)),
            ("run", run(lang), (W, H)),
            ("compare", compare(lang), (W, H)),
            ("inspect", inspect(lang), (W, H)),
            ("stats", stats(lang), (W, H)),
            ("help", with_help(run(lang)), (W, H)),
            ("too_small_run", run(lang), (40, 10)),
            ("too_small_inspect", inspect(lang), (40, 10)),
        ];
        for (screen, app, (w, h)) in screens {
            let t = draw(&app, w, h);
            insta::assert_snapshot!(name(screen, lang), t.backend());
        }
    }
}
