//! The legs of the copy path that copy nothing, and the mapping beside the
//! page cache, drawn from built-in lessons fed the model's own paths: the
//! data path of sendfile and splice (page references, the absent NIC), and
//! the page map with the VMA view, in both languages and at the lecture
//! sizes (insta snapshots; colour off, so glyphs carry every distinction).

use crate::support::render::{lang_name, panel, screen, shown};
use crate::support::script;

use std::time::Duration;

use iotour::app::{App, Event};
use iotour_core::engine::{ExecEvent, MapCell, Speed, Vma};
use iotour_core::model::Work;
use iotour_core::probe::pages::CellState;
use iotour_core::scenario::{Lang, Plan, catalog::Catalog};

fn lesson(id: &str) -> Plan {
    Catalog::builtin().resolve(id).unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `id` run through step `last`: every step one slice whose copies and legs
/// are the op's own model on a cold cache (the disk read every byte).
fn driven(id: &str, lang: Lang, last: usize, extra: Vec<Event>) -> App {
    let plan = lesson(id);
    let steps: Vec<_> = plan.steps().to_vec();
    let (mut app, _) = App::single(plan, lang, false, Speed::One);
    app.handle(Event::EngineStarted {
        epoch: 1,
        at: ms(0),
    });
    app.handle(Event::Exec(ExecEvent::Ready {
        environment: script::environment(false),
        at: ms(10),
    }));
    for (i, step) in steps.iter().enumerate().take(last) {
        let index = i + 1;
        let at = 100 * index as u64;
        let bytes = 16 << 20;
        let path = step.op.data_path(&Work {
            bytes,
            disk_read_bytes: Some(bytes),
            page_size: script::PAGE,
            ..Work::default()
        });
        app.handle(Event::Exec(ExecEvent::StepStarted { index, at: ms(at) }));
        let m = script::counters(256, 0, 1, 0);
        app.handle(script::with_legs(
            script::slice(index, 0, at + 50, 1, 1, m, path.copies.clone()),
            &path.legs,
        ));
        if index < last {
            app.handle(script::with_legs(
                script::step_done(index, step.op.name(), m, path.copies, vec![]),
                &path.legs,
            ));
        }
    }
    for e in extra {
        app.handle(e);
    }
    app.handle(Event::Tick(ms(100 * last as u64 + 300)));
    app
}

/// sendfile (step 1) and splice (step 3) of the zero-copy lesson: one DMA
/// counted, the references and the absent NIC drawn, in both languages.
#[test]
fn sendfile_and_splice_draw_their_references_and_the_absent_nic() {
    for lang in [Lang::En, Lang::Zh] {
        let l = lang_name(lang);
        for (via, step) in [("sendfile", 1), ("splice", 3)] {
            let app = driven("sendfile-zero-copy", lang, step, vec![]);
            let t = panel(&app, 78, 19, "data_path", false);
            insta::assert_snapshot!(format!("data_path_{via}_{l}"), t.backend());
            let text = format!("{}", t.backend());
            let (refs, no_nic, counted) = match lang {
                Lang::En => (
                    "page refs",
                    "no NIC: local socket",
                    "1 copy this step (0 CPU, 1 DMA)",
                ),
                Lang::Zh => (
                    "页引用",
                    "无网卡：本地套接字",
                    "1 次拷贝（本步） (0 CPU, 1 DMA)",
                ),
            };
            for want in [refs, no_nic, counted] {
                assert!(text.contains(want), "{via} {l}: no {want:?}\n{text}");
            }
            assert!(
                text.contains('═') && text.contains('┊'),
                "{via} {l}\n{text}"
            );
        }
    }
}

/// read + write and mmap + write copy into the socket by CPU, and the local
/// socket's missing NIC is drawn the same way as sendfile's.
#[test]
fn every_local_send_draws_the_absent_nic_the_same_way() {
    let app = driven("read-and-send", Lang::En, 1, vec![]);
    let text = format!("{}", panel(&app, 78, 19, "data_path", false).backend());
    assert!(text.contains("no NIC: local socket"), "{text}");
    assert!(!text.contains("page refs"), "{text}");
    let app = driven("mmap-and-send", Lang::En, 1, vec![]);
    let text = format!("{}", panel(&app, 78, 19, "data_path", false).backend());
    assert!(text.contains("no NIC: local socket"), "{text}");
}

/// At the lecture sizes the legs' labels show whole and collide with
/// nothing: each label is found intact on the screen.
#[test]
fn the_legs_show_at_every_lecture_size() {
    for lang in [Lang::En, Lang::Zh] {
        let app = driven("sendfile-zero-copy", lang, 1, vec![]);
        for (w, h) in [(100, 30), (120, 40), (80, 24)] {
            let shown = shown(&screen(&app, w, h));
            let want = match lang {
                Lang::En => ["page refs", "no NIC: local socket"],
                Lang::Zh => ["页引用", "无网卡：本地套接字"],
            };
            for s in want {
                assert!(
                    shown.contains(s),
                    "{w}x{h} {}: no {s:?}\n{shown}",
                    lang_name(lang)
                );
            }
            if (w, h) == (100, 30) {
                insta::assert_snapshot!(
                    format!("sendfile_screen_100x30_{}", lang_name(lang)),
                    shown
                );
            }
        }
    }
}

/// A sample of the mapped lesson: the page map with 10 of 256 pages'
/// entries present, and the VMA the sampler read.
fn mapped_sample(at: u64, present: u64) -> Event {
    let mut cells = vec![MapCell::Mapped; script::CELLS];
    for c in cells.iter_mut().take(present as usize) {
        *c = MapCell::Faulted;
    }
    let Event::Sample(mut s) = script::sample(at, 64, CellState::Cached, 1200, Some(cells)) else {
        unreachable!()
    };
    s.vma = Some(Vma {
        offset: 0,
        len: 16 << 20,
        perms: "r--s".into(),
        perms_measured: true,
        pages: 4096,
        present_pages: present,
    });
    Event::Sample(s)
}

/// The mapping beside the page cache: its range, protection and flags, and
/// the page-table entries counted from pagemap, labelled measured.
#[test]
fn the_page_map_shows_the_vma_and_its_page_table_entries() {
    for lang in [Lang::En, Lang::Zh] {
        let l = lang_name(lang);
        let app = driven("mmap-page-faults", lang, 2, vec![mapped_sample(260, 10)]);
        let t = panel(&app, 60, 18, "page_map", false);
        insta::assert_snapshot!(format!("page_map_vma_{l}"), t.backend());
        let text = format!("{}", t.backend());
        let want = match lang {
            Lang::En => vec![
                "page-table entries: 10 of 4,096 pages",
                "measured (/proc/self/pagemap",
                "PROT_READ MAP_SHARED",
                "file 0–16.0 MiB",
            ],
            Lang::Zh => vec![
                "页表项：4,096 页中有 10 页",
                "实测（/proc/self/pagemap",
                "PROT_READ MAP_SHARED",
            ],
        };
        for s in want {
            assert!(text.contains(s), "{l}: no {s:?}\n{text}");
        }
        let mut app = app;
        for (w, h) in [(100, 30), (120, 40), (80, 24)] {
            if (w, h) == (80, 24) {
                // 80×24 shows one panel a tab: the page cache is the third.
                press_tab(&mut app, 2);
            }
            let shown = shown(&screen(&app, w, h));
            assert!(
                shown.contains("PROT_READ") && shown.contains("/proc/self/pagemap"),
                "{w}x{h} {l}\n{shown}"
            );
        }
    }
    // No mapping, no VMA lines.
    let app = driven("mmap-page-faults", Lang::En, 1, vec![]);
    let text = format!("{}", panel(&app, 60, 18, "page_map", false).backend());
    assert!(!text.contains("page-table entries"), "{text}");
}

fn press_tab(app: &mut App, n: usize) {
    use iotour::app::Input;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    for _ in 0..n {
        app.handle(Event::Input(Input::Key(KeyEvent::new(
            KeyCode::Tab,
            KeyModifiers::NONE,
        ))));
    }
}
