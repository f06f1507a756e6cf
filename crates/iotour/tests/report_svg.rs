//! `iotour report FILE --svg`: the picture is valid SVG and holds the series,
//! step marks and per-step values of the recorded run.

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

/// Every text node of the SVG, trimmed.
fn texts(doc: &roxmltree::Document<'_>) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

/// Polylines drawn in `color` at the series' stroke width, with their point counts.
fn series(doc: &roxmltree::Document<'_>, color: &str) -> Vec<usize> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| {
            n.attribute("stroke") == Some(color) && n.attribute("stroke-width") == Some("2")
        })
        .map(|n| {
            n.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count()
        })
        .collect()
}

#[test]
fn a_run_is_drawn_with_its_series_steps_and_values() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("w.jsonl");
    let svg = dir.path().join("w.svg");
    iotour(
        &[
            "run",
            "write-then-fsync",
            "--headless",
            "--sample-hz",
            "500",
            "--record",
            rec.to_str().unwrap(),
        ],
        dir.path(),
    );
    iotour(
        &[
            "report",
            rec.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
        ],
        dir.path(),
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("valid XML");
    assert!(doc.root_element().has_tag_name("svg"));
    let t = texts(&doc);
    for want in [
        "write-then-fsync: dirty and writeback over time",
        "write-then-fsync: syscalls per step (measured)",
        "write-then-fsync: copied bytes per step (modeled)",
        "write-then-fsync: page faults per step (measured)",
        "file dirty",
        "file writeback",
        "system Dirty (right axis)",
        "system Writeback (right axis)",
        "1 write",
        "2 fsync",
        "5 wait_writeback",
        "CPU copy",
        "DMA",
        // 8 MiB in 64 KiB writes: 128 syscalls, 8 MiB copied by the CPU.
        "128",
        "8.0M",
    ] {
        assert!(t.iter().any(|x| x == want), "no text {want:?} in {t:?}");
    }
    // One line per series (file dirty, file writeback, system Dirty and
    // Writeback), each through more than one point.
    for color in ["#D62728", "#FF7F0E", "#9467BD", "#1F77B4"] {
        let lines = series(&doc, color);
        assert_eq!(lines.len(), 1, "{color}");
        assert!(lines[0] >= 5, "{color}: {} points", lines[0]);
    }
}

#[test]
fn a_compare_recording_is_drawn_side_by_side() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("c.jsonl");
    let svg = dir.path().join("c.svg");
    iotour(
        &[
            "compare",
            "unbuffered-write",
            "buffered-write",
            "--headless",
            "--record",
            rec.to_str().unwrap(),
        ],
        dir.path(),
    );
    iotour(
        &[
            "report",
            rec.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
        ],
        dir.path(),
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("valid XML");
    let width: f64 = doc
        .root_element()
        .attribute("width")
        .unwrap()
        .parse()
        .unwrap();
    assert!((width - 1280.0).abs() < 0.5, "two columns of 640: {width}");
    let t = texts(&doc);
    for want in [
        "unbuffered-write: syscalls per step (measured)",
        "buffered-write: syscalls per step (measured)",
        "1 write",
        "1 buffered_write",
        "10.5k",
    ] {
        assert!(t.iter().any(|x| x == want), "no text {want:?} in {t:?}");
    }
    assert_eq!(
        series(&doc, "#D62728").len(),
        2,
        "file dirty in each column"
    );
}

#[test]
fn report_refuses_a_file_that_is_not_a_recording() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"scenario\":\"x\"}\n").unwrap();
    let out = Command::new(BIN)
        .args(["report", bad.to_str().unwrap(), "--svg", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an iotour recording"), "{err}");
}
