//! A step skipped because the machine lacks what it needs (here a kernel
//! feature switched off with `IOTOUR_DISABLE`, as an older kernel would
//! lack it): `verify` says SKIP with the reason and exits 0, `--strict`
//! exits 1; the headless table and `--json` carry the reason.

use crate::support::headless::{iotour_cmd, scenario, scratch};

const DONTCACHE: &str = r#"
[scenario]
title = "Skip"
summary = "A write that needs RWF_DONTCACHE."

[file]
size = "0"

[[step]]
op = "write"
bytes = 4096
chunk = 4096
expect = { syscalls = "== 1" }

[[step]]
op = "pwrite"
bytes = "1MiB"
chunk = "64KiB"
rwf = ["dontcache"]
expect = { wchar = "== 1MiB" }

[[step]]
op = "fsync"
"#;

#[test]
fn verify_says_skip_with_the_kernel_version_and_strict_fails() {
    let dir = scratch();
    let file = scenario(dir.path(), "needs-dontcache.toml", DONTCACHE);
    let f = file.to_str().unwrap();
    let run = |args: &[&str]| {
        iotour_cmd(args, dir.path())
            .env("IOTOUR_DISABLE", "dontcache")
            .output()
            .unwrap()
    };
    let out = run(&["verify", f]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let line = text.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("SKIP needs-dontcache: step 2 (pwrite) RWF_DONTCACHE")
            && line.contains("came with Linux 6.14")
            && line.contains("IOTOUR_DISABLE=dontcache"),
        "{text}"
    );
    assert!(!text.contains("PASS") && !text.contains("FAIL"), "{text}");
    assert!(text.contains("1 scenario(s) skipped"), "{text}");
    let strict = run(&["verify", "--strict", f]);
    assert_eq!(strict.status.code(), Some(1));

    let table = run(&["run", f, "--headless"]);
    let t = String::from_utf8_lossy(&table.stdout);
    assert_eq!(table.status.code(), Some(0), "{t}");
    assert!(t.contains("    SKIP: RWF_DONTCACHE"), "{t}");
    assert!(
        t.trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("SKIP at step 2: "),
        "{t}"
    );

    let json = run(&["run", f, "--headless", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert!(v["skipped"].as_str().unwrap().contains("6.14"), "{v}");
    assert_eq!(v["steps"].as_array().unwrap().len(), 2);
    assert!(v["steps"][0].get("skipped").is_none());
    assert!(
        v["steps"][1]["skipped"]
            .as_str()
            .unwrap()
            .contains("RWF_DONTCACHE")
    );
}

/// The TUI: a step reported skipped shows as skipped in the header and as
/// its own box with the reason in the narration, in both languages; not as
/// an error.
#[test]
fn the_run_view_shows_a_skipped_step_with_its_reason() {
    use crate::support::script;
    use iotour::app::{App, Event, run::Status, run::StepState};
    use iotour::ui::{self, Theme, View};
    use iotour_core::engine::{ExecEvent, Speed};
    use iotour_core::outcome::{RunOutcome, Skip};
    use iotour_core::scenario::Lang;
    use ratatui::widgets::Widget;

    let all = script::events();
    let done = all
        .iter()
        .position(|e| matches!(e, Event::Exec(ExecEvent::StepDone(_))))
        .unwrap();
    let Event::Exec(ExecEvent::StepDone(first)) = &all[done] else {
        unreachable!()
    };
    let mut second = first.clone();
    second.index = 2;
    second.expect.clear();
    second.skipped = Some(Skip::kernel_feature(
        "RWF_DONTCACHE (uncached buffered I/O)",
        "6.14",
        "pwritev2(2) with RWF_DONTCACHE failed with EOPNOTSUPP",
    ));
    let mut events: Vec<Event> = all[..=done].to_vec();
    events.push(Event::Exec(ExecEvent::StepStarted {
        index: 2,
        at: std::time::Duration::from_millis(900),
    }));
    events.push(Event::Exec(ExecEvent::StepDone(second.clone())));
    events.push(Event::Exec(ExecEvent::Finished(RunOutcome {
        scenario: "scripted".into(),
        title: "t".into(),
        environment: first_environment(&all),
        steps: vec![first.clone(), second],
        ok: true,
    })));
    let theme = Theme::new(false);
    for (lang, word) in [(Lang::En, "skipped"), (Lang::Zh, "跳过")] {
        let (mut app, _) = App::single(script::plan(), lang, false, Speed::One);
        for e in events.clone() {
            app.handle(e);
        }
        let run = app.run().unwrap();
        assert_eq!(run.status, Status::Skipped);
        assert!(matches!(&run.steps[1].state, StepState::Skipped(r) if r.contains("6.14")));
        let view = View {
            run,
            lang,
            predict: false,
            theme: &theme,
        };
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(70, 14)).unwrap();
        t.draw(|f| {
            let area = f.area();
            ui::narration::Narration {
                view,
                focused: false,
            }
            .render(area, f.buffer_mut());
        })
        .unwrap();
        let text = format!("{}", t.backend());
        assert!(text.contains(word), "{text}");
        assert!(text.contains("6.14"), "{text}");
        assert!(!text.contains("✗"), "a skip is not an error: {text}");
    }
}

fn first_environment(all: &[iotour::app::Event]) -> iotour_core::outcome::Environment {
    all.iter()
        .find_map(|e| match e {
            iotour::app::Event::Exec(iotour_core::engine::ExecEvent::Ready {
                environment, ..
            }) => Some(environment.clone()),
            _ => None,
        })
        .unwrap()
}
