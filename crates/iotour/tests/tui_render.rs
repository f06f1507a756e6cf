//! Each panel rendered from the scripted run into a `TestBackend`, and whole
//! screens after scripted events at 80×24 and 160×48 (insta snapshots).
//! Colour is off so the snapshots show what NO_COLOR users see: glyphs, not
//! colours, must carry every distinction.

use crate::support::render::{draw_panel, lang_name, panel, screen, shown, view};
use crate::support::script;

use std::time::Duration;

use iotour::app::{Action, App, Event};
use iotour::ui::{self, Theme};
use iotour_core::engine::{ExecEvent, Speed};
use iotour_core::scenario::Lang;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// A single-run app on the scripted plan, fed `events` in order.
fn after(lang: Lang, predict: bool, events: impl IntoIterator<Item = Event>) -> App {
    let (mut app, _) = App::single(script::plan(), lang, predict, Speed::One);
    for e in events {
        app.handle(e);
    }
    app
}

/// The scripted run's first `n` events.
fn first(n: usize) -> impl Iterator<Item = Event> {
    script::events().into_iter().take(n)
}

/// The app after the whole scripted run, then `more`.
fn scripted(lang: Lang, predict: bool, more: impl IntoIterator<Item = Event>) -> App {
    after(lang, predict, script::events().into_iter().chain(more))
}

/// The index of the scripted run's first step report.
fn first_step_done() -> usize {
    script::events()
        .iter()
        .position(|e| matches!(e, Event::Exec(ExecEvent::StepDone(_))))
        .unwrap()
}

/// Every panel of the run view, by name.
const PANELS: [&str; 6] = [
    "header",
    "data_path",
    "switches",
    "page_map",
    "charts",
    "narration",
];

/// Draw with `draw` into a `w`×`h` area set in a blank 2-cell margin, and
/// assert the margin stays blank.
fn assert_stays_inside(w: u16, h: u16, draw: impl FnOnce(Rect, &mut Buffer), what: &str) {
    let outer = Rect::new(0, 0, w + 4, h + 4);
    let mut buf = Buffer::empty(outer);
    let area = Rect::new(2, 2, w, h);
    draw(area, &mut buf);
    for y in 0..outer.height {
        for x in 0..outer.width {
            if !area.contains(ratatui::layout::Position { x, y }) {
                assert_eq!(
                    buf[(x, y)].symbol(),
                    " ",
                    "{what} {w}x{h}: drew outside at {x},{y}"
                );
            }
        }
    }
}

#[test]
fn header_names_sources_and_fallbacks() {
    let app = scripted(Lang::En, false, []);
    let t = panel(&app, 100, 2, "header", false);
    insta::assert_snapshot!("header", t.backend());
    let fallback = scripted(
        Lang::En,
        false,
        [Event::Exec(ExecEvent::Ready {
            environment: script::environment(true),
            at: Duration::from_millis(1400),
        })],
    );
    let t = panel(&fallback, 100, 2, "header", false);
    let text = shown(&t);
    assert!(
        text.contains("syscalls: engine") && text.contains("pages: mincore"),
        "{text}"
    );
}

/// At 80 columns a memory-backed filesystem and the fallbacks are the
/// badges that show: warnings come first.
#[test]
fn header_warnings_first_at_80_columns() {
    for fs in ["tmpfs", "ramfs"] {
        let mut environment = script::environment(true);
        environment.filesystem = fs.into();
        let app = scripted(
            Lang::En,
            false,
            [Event::Exec(ExecEvent::Ready {
                environment,
                at: Duration::from_millis(1400),
            })],
        );
        let t = panel(&app, 80, 2, "header", false);
        let text = shown(&t);
        assert!(text.contains(&format!("fs: {fs} (in memory")), "{text}");
        assert!(text.contains("syscalls: engine"), "{text}");
        let badge = text.find("fs: ").unwrap();
        assert!(badge < text.find("syscalls: engine").unwrap(), "{text}");
    }
}

#[test]
fn data_path_read_and_send_four_copies() {
    let app = scripted(Lang::En, false, []);
    let t = panel(&app, 78, 19, "data_path", true);
    insta::assert_snapshot!("data_path_tall", t.backend());
    let t = panel(&app, 78, 11, "data_path", false);
    insta::assert_snapshot!("data_path_short", t.backend());
    let t = panel(&app, 40, 6, "data_path", false);
    insta::assert_snapshot!("data_path_list", t.backend());
}

/// sendfile on a local socket: the disk's DMA is the one copy; the socket's
/// page references and the missing NIC are drawn as legs, not counted.
#[test]
fn data_path_sendfile_one_copy_and_two_legs() {
    let app = scripted(Lang::En, false, script::finish());
    let t = panel(&app, 78, 19, "data_path", false);
    insta::assert_snapshot!("data_path_sendfile", t.backend());
    let text = shown(&t);
    assert!(text.contains("1 copy this step (0 CPU, 1 DMA)"), "{text}");
    assert!(
        text.contains("page refs") && text.contains("0 B copied"),
        "{text}"
    );
    assert!(text.contains("no NIC: local socket"), "{text}");
}

#[test]
fn switches_timeline_and_counts() {
    let app = scripted(Lang::En, false, []);
    let t = panel(&app, 78, 14, "switches", false);
    insta::assert_snapshot!("switches", t.backend());
}

/// The scripted run with step 3's second slice taking major faults (it
/// waited for the disk three times) beside its minor ones; `major` is what
/// that slice measured (`None`: the source could not tell).
fn with_major_faults(lang: Lang, major: Option<u64>) -> App {
    let events = script::events().into_iter().map(|mut e| {
        if let Event::Exec(ExecEvent::Slice(s)) = &mut e
            && s.step == 3
            && s.slice == 1
        {
            s.measured.minor_faults = Some(40);
            s.measured.major_faults = major;
        }
        e
    });
    after(lang, false, events)
}

#[test]
fn switches_show_minor_and_major_faults_apart() {
    for lang in [Lang::En, Lang::Zh] {
        let app = with_major_faults(lang, Some(3));
        let t = panel(&app, 78, 12, "switches", false);
        let text = shown(&t);
        let row = |label: &str| {
            text.lines()
                .find(|l| l.contains(label))
                .unwrap_or_else(|| panic!("no {label} row:\n{text}"))
                .to_string()
        };
        let (minor, major) = match lang {
            Lang::En => (row("minor fault"), row("major fault")),
            Lang::Zh => (row("次缺页"), row("主缺页")),
        };
        // Step 3 so far: 2 + 40 + 2 minor, 3 major; the run's totals the same.
        assert!(minor.contains("44") && !minor.contains('■'), "{minor}");
        assert!(major.contains('■') && major.contains(" 3 "), "{major}");
        // The faults taken in user mode, split as well (none of them major).
        let user = match lang {
            Lang::En => row("user-mode faults"),
            Lang::Zh => row("用户态缺页"),
        };
        assert!(user.contains("6/0"), "{user}");
        insta::assert_snapshot!(format!("switches_faults_{}", lang_name(lang)), t.backend());
    }
}

#[test]
fn major_faults_a_source_could_not_measure_are_question_marks() {
    let app = with_major_faults(Lang::En, None);
    let text = shown(&panel(&app, 78, 12, "switches", false));
    let major = text.lines().find(|l| l.contains("major fault")).unwrap();
    let minor = text.lines().find(|l| l.contains("minor fault")).unwrap();
    // In its bucket, in the step's count and in the run's.
    assert_eq!(major.matches('?').count(), 3, "{major}");
    assert!(!minor.contains('?'), "{minor}");
}

#[test]
fn at_120x40_the_switch_table_shows_every_row() {
    for lang in [Lang::En, Lang::Zh] {
        let app = with_major_faults(lang, Some(3));
        let t = screen(&app, 120, 40);
        let text = shown(&t);
        let labels: &[&str] = match lang {
            Lang::En => &[
                "syscall",
                "minor fault",
                "major fault",
                "user-mode faults",
                "= mode switches",
                "ctx vol",
                "ctx invol",
            ],
            Lang::Zh => &[
                "系统调用",
                "次缺页",
                "主缺页",
                "用户态缺页",
                "= 模式切换",
                "自愿切换",
                "非自愿切换",
            ],
        };
        for label in labels {
            assert!(text.contains(label), "{label} is cut at 120×40:\n{text}");
        }
        // The rate chart's legend names both fault series and the unit.
        let legend = match lang {
            Lang::En => ["per s", "minor faults", "major faults"],
            Lang::Zh => ["每秒", "次缺页", "主缺页"],
        };
        for word in legend {
            assert!(text.contains(word), "{word}:\n{text}");
        }
        if lang == Lang::En {
            insta::assert_snapshot!("screen_120x40", t.backend());
        }
    }
}

#[test]
fn page_map_shows_fresh_changes_and_durability() {
    // Just after the fsync's sample: the cells it cleaned are highlighted.
    let app = after(Lang::En, false, first(17));
    let t = panel(&app, 70, 12, "page_map", false);
    insta::assert_snapshot!("page_map", t.backend());
    let run = app.run().unwrap();
    assert!(run.pages.fresh_change(0, run.now).is_some());
}

#[test]
fn page_map_dirty_and_at_risk() {
    let app = after(Lang::En, false, first(10));
    let t = panel(&app, 70, 10, "page_map", false);
    let text = shown(&t);
    // 3 slices of 256 pages dirty, 4 KiB each: 3 MiB a power cut would lose.
    assert!(
        text.contains("not yet durable: 3.0 MiB of changed data"),
        "{text}"
    );
}

#[test]
fn charts_render() {
    let app = scripted(Lang::En, false, []);
    let t = panel(&app, 78, 14, "charts", false);
    insta::assert_snapshot!("charts", t.backend());
}

#[test]
fn narration_in_both_languages_with_expectations() {
    let mut app = after(Lang::En, false, first(14));
    let t = panel(&app, 60, 10, "narration", false);
    insta::assert_snapshot!("narration_en", t.backend());
    app.act(Action::Language);
    let t = panel(&app, 60, 10, "narration", false);
    insta::assert_snapshot!("narration_zh", t.backend());
}

#[test]
fn every_panel_survives_a_zero_size_area() {
    let app = scripted(Lang::En, false, []);
    let v = view(&app);
    for area in [Rect::ZERO, Rect::new(0, 0, 1, 1), Rect::new(0, 0, 3, 2)] {
        let mut buf = Buffer::empty(area);
        for name in PANELS {
            draw_panel(name, v, true, area, &mut buf);
        }
    }
}

#[test]
fn screen_80x24_tabs() {
    let mut app = scripted(Lang::En, false, []);
    insta::assert_snapshot!("screen_80x24", screen(&app, 80, 24).backend());
    app.act(Action::FocusNext);
    app.act(Action::FocusNext);
    insta::assert_snapshot!("screen_80x24_page_map_tab", screen(&app, 80, 24).backend());
}

#[test]
fn screen_160x48_all_panels() {
    let app = scripted(Lang::En, false, []);
    insta::assert_snapshot!("screen_160x48", screen(&app, 160, 48).backend());
    let app = scripted(Lang::En, false, script::finish());
    insta::assert_snapshot!("screen_160x48_done", screen(&app, 160, 48).backend());
}

#[test]
fn screen_chinese_80x24() {
    let app = scripted(Lang::Zh, false, []);
    insta::assert_snapshot!("screen_80x24_zh", screen(&app, 80, 24).backend());
}

#[test]
fn screen_predict_question() {
    let app = after(Lang::En, true, first(1));
    let t = screen(&app, 80, 24);
    insta::assert_snapshot!("screen_predict", t.backend());
    assert!(shown(&t).contains("How many system calls"));
}

/// Predict mode mid-step: the question is on screen, and no figure of the
/// running step is — not the rule's number, not the totals, not the rates.
#[test]
fn screen_predict_hides_every_figure_of_the_running_step() {
    // Through step 1's four slices, before its report.
    let done = first_step_done();
    let app = after(Lang::En, true, first(done));
    for (w, h, name) in [
        (80, 24, "screen_predict_hidden_80x24"),
        (160, 48, "screen_predict_hidden_160x48"),
    ] {
        let t = screen(&app, w, h);
        let text = shown(&t);
        for figure in ["dirty 1,024", "4.0 MiB", "768", "256", "== ", "expected"] {
            assert!(!text.contains(figure), "{figure} on a hidden step:\n{text}");
        }
        assert!(text.contains("hidden"), "{text}");
        insta::assert_snapshot!(name, t.backend());
    }
    // Once the step is done, the answer shows.
    let app = after(Lang::En, true, first(done + 1));
    let text = shown(&screen(&app, 160, 48));
    assert!(text.contains("expected exactly 1,024"), "{text}");
}

/// At 80×24 a done step's ✓/✗ lines win over the Java line and call chain.
#[test]
fn screen_80x24_done_step_shows_its_expectations() {
    let done = first_step_done();
    for lang in [Lang::En, Lang::Zh] {
        let app = after(lang, false, first(done + 1));
        let text = shown(&screen(&app, 80, 24));
        let (syscalls, dirty) = match lang {
            Lang::En => (
                "✓ syscalls: 1,024, expected exactly 1,024",
                "dirty pages of the file",
            ),
            Lang::Zh => ("✓ 系统调用：1,024，应恰好为 1,024", "文件的脏页"),
        };
        assert!(text.contains(syscalls), "{text}");
        assert!(text.contains(dirty), "{text}");
    }
}

#[test]
fn screen_help_and_too_small() {
    let mut app = scripted(Lang::En, false, []);
    app.act(Action::Help);
    insta::assert_snapshot!("screen_help", screen(&app, 80, 24).backend());
    let t = screen(&app, 40, 10);
    assert!(shown(&t).contains("terminal too small: 40×10"));
}

#[test]
fn screen_engine_error() {
    let mut app = after(Lang::En, false, first(2));
    app.handle(Event::Exec(ExecEvent::Failed {
        error: "reopen: O_DIRECT refused by the filesystem (tmpfs): EINVAL".into(),
        at: Duration::from_millis(40),
    }));
    let t = screen(&app, 80, 24);
    insta::assert_snapshot!("screen_error", t.backend());
}

#[test]
fn picker_screen() {
    let mut meta = script::meta();
    meta.title.en = "Page faults".into();
    let other = script::plan_as("other", meta);
    let app = App::picker(vec![script::plan(), other], Lang::En, false, Speed::One);
    insta::assert_snapshot!("picker", screen(&app, 80, 24).backend());
}

/// The preview wraps each step's say text (Chinese too) and cuts it with
/// "…" only when the rows run out.
#[test]
fn picker_preview_wraps_and_marks_cuts() {
    let app = App::picker(vec![script::plan()], Lang::Zh, false, Speed::One);
    let text = shown(&screen(&app, 80, 30));
    assert!(text.contains("到磁盘上。"), "{text}");
    assert!(text.contains("页直接交给套接字。"), "{text}");
    let app = App::picker(vec![script::plan()], Lang::En, false, Speed::One);
    let text = shown(&screen(&app, 60, 18));
    assert!(
        text.contains("Each write(2)") && text.contains('…'),
        "{text}"
    );
    assert!(text.contains(" 4. send"), "{text}");
}

/// `i` turns the top line into the path prompt; a notice takes the line
/// until the next key.
#[test]
fn picker_top_line_prompts_for_a_path_and_shows_a_failure() {
    let mut app = App::picker(vec![script::plan()], Lang::En, false, Speed::One);
    app.act(Action::Inspect);
    // The backend prints each row quoted.
    let top = |app: &App| {
        let text = shown(&screen(app, 80, 24));
        text.lines().next().unwrap().trim_matches('"').to_string()
    };
    assert!(
        top(&app).starts_with(" iotour · inspect path: .▏  enter open · esc cancel"),
        "{}",
        top(&app)
    );
    assert!(shown(&screen(&app, 80, 24)).contains("i inspect"));
    app.picker.as_mut().unwrap().inspect_path = None;
    app.picker.as_mut().unwrap().notice = Some("inspect: no path given".into());
    assert_eq!(top(&app).trim_end(), " iotour · inspect: no path given");
}

#[test]
fn page_map_mapping_overlay_and_unknown_dirtiness() {
    use iotour_core::engine::{MapCell, Snapshot};
    use iotour_core::probe::pages::CellState;
    use iotour_core::probe::system::SystemMem;
    let mut app = after(Lang::En, false, first(3));
    // mincore fallback: residency known, dirtiness not; half the file mapped,
    // its first quarter faulted in.
    let mut map = script::page_map(48, CellState::Cached);
    map.totals.dirty = None;
    map.totals.writeback = None;
    let mut mapping = vec![MapCell::Unmapped; script::CELLS];
    for (i, m) in mapping.iter_mut().enumerate().take(script::CELLS / 2) {
        *m = if i < script::CELLS / 4 {
            MapCell::Faulted
        } else {
            MapCell::Mapped
        };
    }
    app.handle(Event::Sample(Snapshot {
        at: Duration::from_millis(60),
        system: SystemMem::default(),
        file: Some(map),
        mapping: Some(mapping),
        vma: None,
        not_durable_bytes: None,
        burst: false,
        flusher: None,
    }));
    let t = panel(&app, 70, 10, "page_map", false);
    insta::assert_snapshot!("page_map_mapping_mincore", t.backend());
    let text = shown(&t);
    assert!(text.contains("not yet durable: unknown"), "{text}");
    assert!(text.contains("dirty ?"), "unknown is ?, never 0: {text}");
    assert!(text.contains('◆'), "{text}");
}

#[test]
fn screen_80x24_narration_tab_fills_the_body() {
    let mut app = scripted(Lang::En, false, []);
    for _ in 0..4 {
        app.act(Action::FocusNext);
    }
    assert_eq!(app.focus, iotour::app::Focus::Narration);
    insta::assert_snapshot!("screen_80x24_narration_tab", screen(&app, 80, 24).backend());
}

#[test]
fn paused_timeline_holds_still() {
    let mut app = scripted(Lang::En, false, []);
    app.act(Action::TogglePause);
    let before = shown(&screen(&app, 160, 48));
    // Ten seconds later, paused: the timeline has not scrolled the work away.
    app.handle(Event::Tick(Duration::from_secs(12)));
    let after = shown(&screen(&app, 160, 48));
    let row = |s: &str| {
        s.lines()
            .find(|l| l.contains("syscall "))
            .unwrap()
            .to_string()
    };
    assert_eq!(row(&before), row(&after));
    assert!(after.contains("last activity"));
}

#[test]
fn data_path_every_route_at_every_size_stays_inside_its_panel() {
    use iotour_core::model::{CopyKind, Place, Transfer};
    let mut app = scripted(Lang::En, false, []);
    // O_DIRECT (disk ↔ user buffer) and scatter-gather DMA (page cache → NIC)
    // besides the scripted path: every route the panel knows.
    let odd = vec![
        Transfer {
            from: Place::Disk,
            to: Place::UserBuffer,
            kind: CopyKind::Dma,
            bytes: 4096,
        },
        Transfer {
            from: Place::UserBuffer,
            to: Place::Disk,
            kind: CopyKind::Dma,
            bytes: 4096,
        },
        Transfer {
            from: Place::PageCache,
            to: Place::Nic,
            kind: CopyKind::Dma,
            bytes: 4096,
        },
        Transfer {
            from: Place::PageCache,
            to: Place::SocketBuffer,
            kind: CopyKind::Cpu,
            bytes: 4096,
        },
    ];
    app.handle(Event::Exec(ExecEvent::Slice(
        iotour_core::engine::SliceReport {
            step: 3,
            slice: 9,
            done: 60,
            total: 64,
            at: Duration::from_millis(1340),
            measured: iotour_core::outcome::Readings::default(),
            copies: odd,
            // And the legs that copy nothing, on their own looks.
            legs: script::sendfile_legs(4096),
        },
    )));
    for w in (20..=120).step_by(7) {
        for h in (3..=30).step_by(3) {
            let draw =
                |area, buf: &mut Buffer| draw_panel("data_path", view(&app), false, area, buf);
            assert_stays_inside(w, h, draw, "data_path");
        }
    }
}

#[test]
fn every_panel_at_every_size_stays_inside_its_area() {
    let app = scripted(Lang::Zh, false, script::finish());
    let v = view(&app);
    // The data path has a test of its own, with every route it can draw.
    for name in ["header", "switches", "page_map", "charts", "narration"] {
        for w in (1..=100).step_by(9) {
            for h in (1..=30).step_by(4) {
                assert_stays_inside(w, h, |area, buf| draw_panel(name, v, true, area, buf), name);
            }
        }
    }
}

/// The app after `keys` (scripted key presses) on top of it.
fn press(app: &mut App, keys: &str) {
    use iotour::app::Input;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    for c in keys.chars() {
        let code = match c {
            '>' => KeyCode::PageDown,
            '<' => KeyCode::PageUp,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        app.handle(Event::Input(Input::Key(KeyEvent::new(
            code,
            KeyModifiers::NONE,
        ))));
    }
}

/// The scripted run held by `n` at the end of step 3.
fn lecture_held(lang: Lang) -> App {
    let mut app = scripted(lang, false, []);
    press(&mut app, "n");
    for e in script::finish().into_iter().take(1) {
        app.handle(e);
    }
    app
}

/// The lecturer's screens at a projector's 100×30, in both languages:
/// held at a step's end, reviewing an earlier step, the summary, the
/// question alone, the answer kept, a zoomed panel.
#[test]
fn lecture_screens_in_both_languages() {
    for lang in [Lang::En, Lang::Zh] {
        let l = lang_name(lang);
        let mut app = lecture_held(lang);
        insta::assert_snapshot!(format!("lecture_held_{l}"), screen(&app, 100, 30).backend());
        press(&mut app, "bb");
        let shown = shown(&screen(&app, 100, 30));
        assert!(shown.contains("1/4"), "{shown}");
        insta::assert_snapshot!(
            format!("lecture_review_{l}"),
            screen(&app, 100, 30).backend()
        );
        // Forward to the newest, then the last step and the summary.
        press(&mut app, "nnn");
        for e in script::finish().into_iter().skip(1) {
            app.handle(e);
        }
        press(&mut app, "n");
        insta::assert_snapshot!(
            format!("lecture_summary_{l}"),
            screen(&app, 100, 30).backend()
        );
        // Predict: the question alone, then the answer kept after the step.
        let mut predict = after(lang, true, first(1));
        insta::assert_snapshot!(
            format!("lecture_predict_question_{l}"),
            screen(&predict, 100, 30).backend()
        );
        press(&mut predict, " ");
        for e in script::events().into_iter().skip(1).take(first_step_done()) {
            predict.handle(e);
        }
        insta::assert_snapshot!(
            format!("lecture_predict_answer_{l}"),
            screen(&predict, 100, 30).backend()
        );
        // z on the page map: it takes the body, the narration stays below.
        let mut zoom = scripted(lang, false, []);
        press(&mut zoom, "\t\tz");
        insta::assert_snapshot!(
            format!("lecture_zoom_{l}"),
            screen(&zoom, 100, 30).backend()
        );
    }
}

#[test]
fn the_summary_lists_every_expectation_with_its_value() {
    let mut app = scripted(Lang::En, false, script::finish());
    let text = shown(&screen(&app, 160, 40));
    assert!(text.contains("summary · Write, fsync, send"), "{text}");
    for needle in [
        "✓ syscalls: 1,024, expected exactly 1,024",
        "✓ CPU copies (modeled): 2, expected exactly 2",
        "4 of 4 expectations held",
        "What the lesson showed",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    // A failed expectation says ✗ and the verdict counts it.
    let mut failing = script::events();
    for e in &mut failing {
        if let Event::Exec(ExecEvent::StepDone(r)) = e
            && r.index == 1
        {
            r.expect[0].ok = false;
            r.expect[0].actual = Some(1025);
        }
    }
    app = after(Lang::En, false, failing.into_iter().chain(script::finish()));
    let text = shown(&screen(&app, 160, 40));
    assert!(
        text.contains("✗ syscalls: 1,025, expected exactly 1,024"),
        "{text}"
    );
    assert!(text.contains("✗ 3 of 4 expectations held"), "{text}");
    let zh = scripted(Lang::Zh, false, script::finish());
    assert!(shown(&screen(&zh, 100, 30)).contains("总结"));
}

#[test]
fn at_100x30_the_data_path_page_map_and_narration_show_together() {
    let app = scripted(Lang::En, false, []);
    let text = shown(&screen(&app, 100, 30));
    for title in ["data path", "page cache: the working file", "narration"] {
        assert!(text.contains(title), "{title}: {text}");
    }
    assert!(!text.contains("tab ▸"), "no tab bar at 100×30: {text}");
}

#[test]
fn the_header_shortens_the_title_before_the_state() {
    let mut meta = script::meta();
    meta.title.en = "A very long lesson title that would push the state off the screen".into();
    let plan = script::plan_as("long", meta);
    let (mut app, _) = App::single(plan, Lang::En, true, Speed::One);
    for e in script::events() {
        app.handle(e);
    }
    let text = shown(&screen(&app, 80, 24));
    let header = text.lines().next().unwrap();
    assert!(header.contains("⏸ paused │ speed 1× │ predict"), "{header}");
    assert!(header.contains("A very long lesso…"), "{header}");
}

#[test]
fn long_narration_scrolls_with_page_keys() {
    let mut app = after(Lang::En, false, first(first_step_done() + 1));
    // 60×18: step 1's narration does not fit and says how to see the rest.
    let text = shown(&screen(&app, 60, 18));
    assert!(text.contains("more lines: PgDn"), "{text}");
    press(&mut app, ">");
    let text = shown(&screen(&app, 60, 18));
    assert!(text.contains("lines above: PgUp"), "{text}");
    press(&mut app, "<");
    let text = shown(&screen(&app, 60, 18));
    assert!(!text.contains("lines above"), "{text}");
}

#[test]
fn themes_projector_is_bold_and_never_dim_and_no_color_keeps_it() {
    use iotour::ui::theme::{ThemeName, Themes};
    use ratatui::style::Modifier;
    let mut app = scripted(Lang::En, false, []);
    press(&mut app, "tt");
    assert_eq!(app.theme, ThemeName::Projector);
    for color in [true, false] {
        let themes = Themes::new(color);
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| ui::render(f, &app, themes.get(app.theme)))
            .unwrap();
        let buf = t.backend().buffer();
        let mut bold = 0;
        for cell in buf.content() {
            assert!(
                !cell.modifier.contains(Modifier::DIM),
                "a dim cell: {cell:?}"
            );
            assert!(color || cell.fg == ratatui::style::Color::Reset, "{cell:?}");
            bold += usize::from(cell.modifier.contains(Modifier::BOLD));
        }
        assert!(bold > 500, "{bold} bold cells");
    }
    press(&mut app, "t");
    assert_eq!(app.theme, ThemeName::Dark);
}

#[test]
fn predict_switched_on_mid_step_says_it_starts_with_the_next_step() {
    for (lang, says) in [
        (Lang::En, "predict from step 4"),
        (Lang::Zh, "从第 4 步起预测"),
    ] {
        let mut app = scripted(lang, false, []);
        press(&mut app, "p");
        let text = shown(&screen(&app, 120, 40));
        let header = text.lines().next().unwrap().replace(' ', "");
        assert!(header.contains(&says.replace(' ', "")), "{header}");
        // Step 3's figures stay: it was under way when p came.
        assert!(text.contains("(2 CPU, 2 DMA)"), "{text}");
    }
}

#[test]
fn the_page_map_counts_down_to_the_flusher_from_the_first_dirty_page() {
    // Dirty from the sample at 160 ms; the run clock at 460 ms; the
    // scripted sysctls: expire 30 s, a wake-up every 5 s.
    let app = after(Lang::En, false, first(first_step_done()));
    let run = app.run().unwrap();
    assert_eq!(
        run.flusher_eta(),
        Some(Some((
            Duration::from_millis(29_700),
            Duration::from_millis(34_700)
        )))
    );
    let text = shown(&screen(&app, 100, 30));
    assert!(text.contains("flusher: in 30–35 s"), "{text}");
    // fsync cleaned them: nothing left for the flusher.
    let app = scripted(Lang::En, false, []);
    assert_eq!(app.run().unwrap().flusher_eta(), None);
    assert!(!shown(&screen(&app, 100, 30)).contains("flusher"));
}

/// Each theme's styles by meaning, with and without colour: a change to a
/// theme file shows here.
#[test]
fn theme_styles() {
    use iotour::ui::theme::ThemeName;
    for name in ThemeName::ALL {
        for color in [true, false] {
            let t = Theme::named(name, color);
            let label = format!(
                "theme_{}_{}",
                name.name(),
                if color { "color" } else { "no_color" }
            );
            insta::assert_debug_snapshot!(label, t);
        }
    }
}

#[test]
fn the_data_path_shows_what_the_block_layer_measured_beside_the_model() {
    // The scripted run with step 1's report carrying block-layer figures,
    // as a root run's does.
    let n = first_step_done();
    let mut events: Vec<Event> = first(n + 1).collect();
    let Some(Event::Exec(ExecEvent::StepDone(s))) = events.last_mut() else {
        panic!("event {n} is a step report");
    };
    s.measured.disk_write_bytes = Some(16 << 10);
    s.measured.journal_write_bytes = Some(4 << 10);
    for (lang, says) in [
        (
            Lang::En,
            "measured at the block layer: 16.0 KiB into the file, 4.0 KiB journal",
        ),
        (Lang::Zh, "块层实测：写入文件 16.0 KiB，日志 4.0 KiB"),
    ] {
        let app = after(lang, false, events.clone());
        let text = shown(&screen(&app, 160, 48));
        assert!(text.contains(says), "{text}");
    }
    // Without them (not root) the panel says nothing of the kind.
    let app = after(Lang::En, false, first(n + 1));
    assert!(!shown(&screen(&app, 160, 48)).contains("block layer"));
}

/// Issue 14: lesson 6 waiting for the flusher, the lecturer's `e`, and the
/// step that was cut short, at a projector's 100×30 in both languages:
/// while the wait runs the footer offers `e end wait` and the flusher's
/// countdown names the key; after it, the narration and the summary show
/// the figures measured then, each expectation "not judged".
#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one lesson run in reading order: the wait, the key, its end, the summary"
)]
fn a_wait_ended_early_is_not_judged_in_both_languages() {
    use iotour_core::engine::{FlusherClock, Snapshot};
    use iotour_core::outcome::{Modeled, Readings, RunOutcome, StepOutcome, Verdict};
    use iotour_core::probe::pages::CellState;
    use iotour_core::probe::system::SystemMem;
    let plan = iotour_core::scenario::Catalog::builtin()
        .get("kernel-writeback")
        .and_then(|e| e.plan.as_ref().ok())
        .cloned()
        .expect("lesson 6 parses");
    let ms = Duration::from_millis;
    // Step `i`'s report: figures as a run here gives them (`dirty` pages
    // after it), each expectation judged on them.
    let done = |i: usize, dirty: u64, ended: Option<u64>| {
        let step = &plan.steps()[i - 1];
        let ns = ended.unwrap_or(match step.op {
            // The 6 s wait times out; the last one ends with its I/O.
            iotour_core::scenario::Op::WaitWriteback(_) if i == 3 => 5_990_000_000,
            iotour_core::scenario::Op::WaitWriteback(_) => 20_500_000,
            _ => 4_000_000,
        });
        let measured = Readings {
            duration_ns: Some(ns),
            syscalls: Some(match step.op {
                iotour_core::scenario::Op::Write(_) => 8,
                iotour_core::scenario::Op::Note => 0,
                _ => 1,
            }),
            voluntary_ctx_switches: Some(1),
            file_dirty_pages: Some(dirty),
            file_writeback_pages: Some(0),
            system_dirty_kb: Some(9000),
            ..Readings::default()
        };
        let modeled = Modeled::default();
        let expect = step
            .expect
            .iter()
            .map(|e| {
                let actual = iotour_core::outcome::value_of(e.key, &measured, &modeled);
                Verdict {
                    key: e.key.as_str().into(),
                    rule: e.rule.to_string(),
                    actual,
                    ok: e.check(actual),
                    soft: e.soft.is_some(),
                    why: None,
                    not_judged: false,
                }
            })
            .collect();
        let mut r = StepOutcome {
            index: i,
            op: step.op.name().into(),
            say: None,
            duration_ns: Some(ns),
            measured,
            modeled,
            expect,
            error: None,
            program: None,
            skipped: None,
            ended_early_ns: None,
        };
        if let Some(ns) = ended {
            r.end_wait_early(Duration::from_nanos(ns));
        }
        r
    };
    let dirty = |at: u64| {
        Event::Sample(Snapshot {
            at: ms(at),
            system: SystemMem::default(),
            file: Some(script::page_map(32, CellState::Dirty)),
            mapping: None,
            vma: None,
            not_durable_bytes: Some(2 << 20),
            burst: false,
            flusher: Some(FlusherClock::from_centisecs(3000, 500)),
        })
    };
    for lang in [Lang::En, Lang::Zh] {
        let l = lang_name(lang);
        let (mut app, _) = App::single(plan.clone(), lang, false, Speed::One);
        app.handle(Event::EngineStarted {
            epoch: 1,
            at: ms(0),
        });
        app.handle(Event::Exec(ExecEvent::Ready {
            environment: script::environment(false),
            at: ms(1),
        }));
        for i in 1..=3 {
            app.handle(Event::Exec(ExecEvent::StepStarted {
                index: i,
                at: ms(i as u64 * 10),
            }));
            if i == 2 {
                app.handle(dirty(25));
            }
            app.handle(Event::Exec(ExecEvent::StepDone(done(i, 2048, None))));
        }
        // The note has been read (it holds the run about 20 s at 1×).
        app.handle(Event::Tick(ms(20_000)));
        // Between waits `e` does nothing: no command that could carry over.
        assert!(app.act(Action::EndWait).is_empty());
        app.handle(Event::Exec(ExecEvent::StepStarted {
            index: 4,
            at: ms(20_100),
        }));
        app.handle(dirty(21_000));
        let waiting = screen(&app, 100, 30);
        let text = shown(&waiting);
        assert!(text.contains("e end wait") || lang == Lang::Zh, "{text}");
        insta::assert_snapshot!(format!("wait_running_{l}"), waiting.backend());
        // `e` asks the engine to end the wait, and nothing else.
        let sent = app.act(Action::EndWait);
        assert_eq!(
            sent,
            [iotour::app::Effect::Send(
                iotour_core::engine::Command::EndWait
            )]
        );
        // The engine ended it 12.3 s in: the pages were still dirty.
        app.handle(Event::Exec(ExecEvent::StepDone(done(
            4,
            2048,
            Some(12_300_000_000),
        ))));
        let ended = screen(&app, 100, 30);
        let text = shown(&ended);
        assert!(
            !text.contains("e end wait"),
            "the key is gone after the wait: {text}"
        );
        insta::assert_snapshot!(format!("wait_ended_early_{l}"), ended.backend());
        // The rest of the lesson, then the summary.
        for i in 5..=7 {
            app.handle(Event::Exec(ExecEvent::StepStarted {
                index: i,
                at: ms(33_000 + i as u64),
            }));
            let dirty_after = if i == 5 { 2048 } else { 0 };
            app.handle(Event::Exec(ExecEvent::StepDone(done(i, dirty_after, None))));
        }
        let steps: Vec<StepOutcome> = (1..=7)
            .map(|i| match i {
                1..=3 | 5 => done(i, 2048, None),
                4 => done(4, 2048, Some(12_300_000_000)),
                _ => done(i, 0, None),
            })
            .collect();
        app.handle(Event::Exec(ExecEvent::Finished(RunOutcome {
            scenario: "kernel-writeback".into(),
            title: plan.meta().title.en.clone(),
            environment: script::environment(false),
            ok: true,
            steps,
        })));
        insta::assert_snapshot!(
            format!("wait_ended_early_summary_{l}"),
            screen(&app, 100, 30).backend()
        );
        // Its foot counts them apart from what held.
        press(&mut app, ">>>>");
        let text = shown(&screen(&app, 100, 30));
        let count = match lang {
            Lang::En => "15 of 15 expectations held, 6 not judged (a wait was ended early)",
            Lang::Zh => "15 条预期中 15 条成立，6 条未评判（有等待被提前结束）",
        };
        assert!(
            text.replace(' ', "").contains(&count.replace(' ', "")),
            "{text}"
        );
    }
}
