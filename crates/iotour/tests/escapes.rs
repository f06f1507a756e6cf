//! Terminal escape injection: a scenario file (its name, title, summary,
//! tags, narration, question, call chain) and a recording (its figures'
//! texts) full of ESC, CSI, OSC and C1 sequences. Through every output path
//! (`list`, `check`, `run --headless` as table and JSON, `verify`, `replay
//! --headless`, the TUI drawn on a test backend and on a real pty) no
//! injected control character reaches the terminal: each is shown escaped
//! (`\u{1b}`), and JSON escapes them (`\u001b`) and still reads back the same.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iotour::app::App;
use iotour::ui::Theme;
use iotour_core::engine::Speed;
use iotour_core::scenario::{Lang, parse_file};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::support::headless::{BIN, scratch};
use crate::support::pty::{Pty, WAIT};

/// Window title (OSC 0), clear screen (CSI 2J), C1 CSI, bidi override.
const OSC: &str = "\u{1b}]0;pwned\u{7}";
const CLEAR: &str = "\u{1b}[2J";
const C1: &str = "\u{9b}31m";

/// The hostile scenario, in a file whose own name holds an escape.
fn hostile(dir: &Path) -> PathBuf {
    let text = r#"[scenario]
title = "Evil \u001b]0;pwned\u0007 title \u001b[2J"
summary = "Summary \u009b31m red \u202e backwards"
tags = ["tag\u001b[31m"]
java = "Java\u001b[H"

[file]
size = "64KiB"

[[step]]
op = "write"
bytes = "64KiB"
chunk = "4KiB"
say = "Say \u001b]0;pwned\u0007\nsecond line \u001b[2J"
ask = "Ask \u001b[2J?"
calls = "calls \u001b[H here"
expect = { syscalls = "== 999999" }
"#;
    let path = dir.join("evil\u{1b}[2J.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn iotour(args: &[&str], wd: &Path, scenarios: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--workdir")
        .arg(wd)
        .arg("--scenarios")
        .arg(scenarios)
        .env("LANG", "C")
        .env_remove("IOTOUR_DISABLE")
        .output()
        .unwrap()
}

/// No ESC, no C1 control, no bidi override in `bytes`.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !bytes.contains(&0x1b),
        "{what}: an ESC reached the output:\n{text}"
    );
    assert!(
        !text
            .chars()
            .any(|c| ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{202e}'),
        "{what}: a C1 control or bidi override reached the output:\n{text}"
    );
}

#[test]
fn no_injected_escape_reaches_any_output() {
    let src = scratch();
    let wd = scratch();
    let path = hostile(src.path());
    let p = path.to_str().unwrap();
    let id = "evil\u{1b}[2J";
    let shown_id = "evil\\u{1b}[2J";

    let list = iotour(&["list"], wd.path(), src.path());
    assert_eq!(list.status.code(), Some(0), "{list:?}");
    assert_inert("list", &list.stdout);
    assert_inert("list (stderr)", &list.stderr);
    let table = String::from_utf8_lossy(&list.stdout);
    assert!(table.contains(shown_id), "{table}");
    assert!(
        table.contains("Evil \\u{1b}]0;pwned\\u{7} title"),
        "{table}"
    );

    let json = iotour(&["list", "--json"], wd.path(), src.path());
    assert_inert("list --json", &json.stdout);
    let text = String::from_utf8_lossy(&json.stdout);
    assert!(text.contains(r"\u001b]0;pwned\u0007"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let item = v
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .expect("the hostile scenario is listed");
    assert_eq!(item["title"], format!("Evil {OSC} title {CLEAR}"));
    assert_eq!(
        item["summary"],
        format!("Summary {C1} red \u{202e} backwards")
    );

    let check = iotour(&["check", p], wd.path(), src.path());
    assert_eq!(check.status.code(), Some(0), "{check:?}");
    assert_inert("check", &check.stdout);
    // A broken copy: the diagnostic quotes the line, escape and all.
    let broken = src.path().join("broken\u{1b}]0;x\u{7}.toml");
    std::fs::write(&broken, "[scenario]\ntitle = 7 \u{1b}[2J\n").unwrap();
    let bad = iotour(&["check", broken.to_str().unwrap()], wd.path(), src.path());
    assert_eq!(bad.status.code(), Some(2));
    assert_inert("check of a broken file (stderr)", &bad.stderr);
    std::fs::remove_file(&broken).unwrap();

    let record = wd.path().join("evil.jsonl");
    let run = iotour(
        &["run", p, "--headless", "--record", record.to_str().unwrap()],
        wd.path(),
        src.path(),
    );
    assert_eq!(run.status.code(), Some(1), "the expectation fails: {run:?}");
    assert_inert("run --headless", &run.stdout);
    assert_inert("run --headless (stderr)", &run.stderr);
    let table = String::from_utf8_lossy(&run.stdout);
    assert!(table.contains(&format!("{shown_id} — Evil")), "{table}");

    let run_json = iotour(&["run", p, "--headless", "--json"], wd.path(), src.path());
    assert_inert("run --json", &run_json.stdout);
    let v: serde_json::Value = serde_json::from_slice(&run_json.stdout).unwrap();
    assert_eq!(v["title"], format!("Evil {OSC} title {CLEAR}"));
    assert_eq!(
        v["steps"][0]["say"],
        format!("Say {OSC}\nsecond line {CLEAR}")
    );

    let verify = iotour(&["verify", p], wd.path(), src.path());
    assert_eq!(verify.status.code(), Some(1));
    assert_inert("verify", &verify.stdout);
    let line = String::from_utf8_lossy(&verify.stdout);
    assert!(
        line.starts_with(&format!("FAIL {shown_id}: step 1 syscalls:")),
        "{line}"
    );

    // The recording, made hostile where a recording holds text of its own.
    let text = std::fs::read_to_string(&record).unwrap();
    let text = text.replace("\"ext4\"", "\"ext4\\u001b]0;pwned\\u0007\"");
    std::fs::write(&record, text).unwrap();
    for args in [&["--headless"][..], &["--headless", "--json"]] {
        let mut all = vec!["replay", record.to_str().unwrap()];
        all.extend(args);
        let replay = iotour(&all, wd.path(), src.path());
        assert_eq!(replay.status.code(), Some(1), "{replay:?}");
        assert_inert(&all.join(" "), &replay.stdout);
        assert_inert(&all.join(" "), &replay.stderr);
    }
}

/// Every cell of the TUI's run screen for the hostile scenario, drawn on
/// the test backend at two sizes, in predict mode (the question shows) and
/// not: no cell holds a control character, and the escapes show as text.
#[test]
fn the_tui_draws_injected_escapes_as_text() {
    let src = scratch();
    let plan = parse_file(&hostile(src.path())).unwrap();
    for predict in [false, true] {
        for (w, h) in [(160, 48), (100, 30)] {
            let (app, _) = App::single(plan.clone(), Lang::En, predict, Speed::One);
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| iotour::ui::render(f, &app, &Theme::new(false)))
                .unwrap();
            let buf = t.backend().buffer();
            let mut text = String::new();
            for y in 0..h {
                for x in 0..w {
                    let sym = buf[(x, y)].symbol();
                    assert!(
                        !sym.chars().any(|c| c.is_control() || c == '\u{202e}'),
                        "cell {x},{y} holds {sym:?}"
                    );
                    text.push_str(sym);
                }
                text.push('\n');
            }
            assert!(text.contains("\\u{1b}"), "{predict} {w}×{h}:\n{text}");
        }
    }
    // The picker, with its preview of the hostile scenario selected.
    let app = App::picker(vec![plan], Lang::En, false, Speed::One);
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| iotour::ui::render(f, &app, &Theme::new(false)))
        .unwrap();
    let buf = t.backend().buffer();
    let shown: String = buf
        .content()
        .iter()
        .map(ratatui::buffer::Cell::symbol)
        .collect();
    assert!(
        shown.contains("Evil \\u{1b}]0;pwned\\u{7} title"),
        "{shown}"
    );
}

/// On a real terminal: the bytes iotour writes hold our own styling only,
/// never the injected window-title sequence or the C1 control.
#[test]
fn the_pty_never_receives_the_injected_sequences() {
    let src = scratch();
    let wd = scratch();
    let path = hostile(src.path());
    let mut pty = Pty::spawn(
        &[
            "run",
            path.to_str().unwrap(),
            "--predict",
            "--workdir",
            wd.path().to_str().unwrap(),
        ],
        120,
        40,
        &[],
    );
    pty.wait_for("data path", WAIT).unwrap();
    pty.wait_for("Ask \\u{1b}[2J?", WAIT).unwrap();
    pty.send(b" ");
    pty.wait_for("Say \\u{1b}]0;pwned", WAIT).unwrap();
    pty.send(b"q");
    pty.wait_exit(WAIT).unwrap();
    let raw = pty.raw();
    let has = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(
        !has(b"\x1b]0;pwned"),
        "the window title sequence reached the terminal"
    );
    assert!(!has("\u{9b}".as_bytes()), "a C1 CSI reached the terminal");
    assert!(
        !has("\u{202e}".as_bytes()),
        "a bidi override reached the terminal"
    );
}
