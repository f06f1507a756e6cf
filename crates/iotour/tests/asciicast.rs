//! `iotour replay RUN.jsonl --cast OUT.cast [--size WxH]`, read back: an
//! asciinema v2 header with the size, output events in time order, and
//! frames that a terminal (vt100) shows as the run view with the lesson's
//! title, steps and colours.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_iotour");

fn iotour(args: &[&str], dir: &Path) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .arg("--workdir")
        .arg(dir)
        .env_remove("IOTOUR_DISABLE")
        .env("LANG", "C")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The header and the events of a cast file.
fn read_cast(path: &Path) -> (serde_json::Value, Vec<(f64, String)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let events = lines
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let a = v.as_array().expect("an event is an array");
            assert_eq!(a.len(), 3, "{l}");
            assert_eq!(a[1], "o", "output events only");
            (a[0].as_f64().unwrap(), a[2].as_str().unwrap().to_owned())
        })
        .collect();
    (header, events)
}

/// The screen after playing every event up to `n` into a terminal.
fn screen_after(events: &[(f64, String)], n: usize, w: u16, h: u16) -> vt100::Parser {
    let nz = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut term = vt100::Parser::new(nz(h), nz(w), 0);
    for (_, text) in &events[..n] {
        term.process(text.as_bytes());
    }
    term
}

#[test]
fn a_run_becomes_an_asciinema_cast_of_the_run_view() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("w.jsonl");
    let cast = dir.path().join("w.cast");
    iotour(
        &[
            "run",
            "write-then-fsync",
            "--headless",
            "--record",
            rec.to_str().unwrap(),
        ],
        dir.path(),
    );
    iotour(
        &[
            "replay",
            rec.to_str().unwrap(),
            "--cast",
            cast.to_str().unwrap(),
        ],
        dir.path(),
    );
    let (header, events) = read_cast(&cast);
    assert_eq!(header["version"], 2);
    assert_eq!(
        (header["width"].as_u64(), header["height"].as_u64()),
        (Some(120), Some(40))
    );
    assert_eq!(header["title"], "iotour · Write, then fsync");
    assert!(events.len() > 20, "{} events", events.len());
    assert!(
        events.windows(2).all(|w| w[0].0 <= w[1].0),
        "time goes forward"
    );
    // Paced as the replay paces it: seconds per step, not the headless
    // run's milliseconds.
    let duration = events.last().unwrap().0;
    assert!(duration > 5.0, "{duration} s");
    // The first frame is the run view's header with the lesson's title;
    // by the end, every step has run.
    let first = screen_after(&events, 2, 120, 40);
    let top = first.screen().contents_between(0, 0, 0, 120);
    assert!(top.contains("iotour · Write, then fsync"), "{top}");
    let last = screen_after(&events, events.len(), 120, 40);
    let shown = last.screen().contents();
    assert!(shown.contains("step 5/5"), "{shown}");
    // A run that played to its end shows the lesson's summary.
    assert!(shown.contains("summary"), "{shown}");
    // In colour: some cell of the frame is not the default colour.
    let coloured = (0..40).any(|row| {
        (0..120).any(|col| {
            last.screen()
                .cell(row, col)
                .is_some_and(|c| c.fgcolor() != vt100::Color::Default)
        })
    });
    assert!(coloured);
    // The same recording gives the same cast.
    let again = dir.path().join("again.cast");
    iotour(
        &[
            "replay",
            rec.to_str().unwrap(),
            "--cast",
            again.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(
        std::fs::read(&cast).unwrap(),
        std::fs::read(&again).unwrap()
    );

    // Another size: every frame is drawn at it.
    let small = dir.path().join("small.cast");
    iotour(
        &[
            "replay",
            rec.to_str().unwrap(),
            "--cast",
            small.to_str().unwrap(),
            "--size",
            "90x30",
        ],
        dir.path(),
    );
    let (header, events) = read_cast(&small);
    assert_eq!(
        (header["width"].as_u64(), header["height"].as_u64()),
        (Some(90), Some(30))
    );
    // The first frame is the whole screen, 30 rows; later ones rewrite
    // only rows, all within it.
    let frame = &events[1].1;
    assert_eq!(frame.matches("\r\n").count(), 29, "30 rows");
    let last = screen_after(&events, events.len(), 90, 30);
    assert!(last.screen().contents().contains("step 5/5"));
}

#[test]
fn a_bad_size_is_bad_input() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let out = Command::new(BIN)
        .args(["replay", "x.jsonl", "--cast", "x.cast", "--size", "big"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected WIDTHxHEIGHT"));
}
