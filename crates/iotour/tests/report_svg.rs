//! `iotour report FILE --svg OUT.svg [--lang]`: the handout. The SVG is
//! parsed back: it holds the lesson's title, questions, expectations with
//! their measured values and marks, the machine, charts chosen from the
//! ops the lesson ran, a red frame when the run failed, and no two texts
//! whose estimated boxes overlap.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_iotour");

fn iotour_status(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--workdir")
        .arg(dir)
        .env_remove("IOTOUR_DISABLE")
        .env("LANG", "C")
        .output()
        .unwrap()
}

fn iotour(args: &[&str], dir: &Path) -> Output {
    let out = iotour_status(args, dir);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// One `<text>`: its content and estimated box.
#[derive(Debug)]
struct Label {
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// The width a text takes, estimated as a reader would: a CJK character is
/// as wide as the font size, anything else 0.6 of it.
fn width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| {
            let wide = matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide { 1.0 } else { 0.6 }
        })
        .sum::<f64>()
        * size
}

fn texts(doc: &roxmltree::Document<'_>) -> Vec<Label> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let num = |a: &str| n.attribute(a).unwrap_or("0").parse::<f64>().unwrap();
            let (x, y, size) = (num("x"), num("y"), num("font-size"));
            let text = n.text().unwrap_or("").to_string();
            let w = width(&text, size);
            let x0 = match n.attribute("text-anchor") {
                Some("middle") => x - w / 2.0,
                Some("end") => x - w,
                _ => x,
            };
            Label {
                text,
                x0,
                y0: y - 0.8 * size,
                x1: x0 + w,
                y1: y + 0.2 * size,
            }
        })
        .collect()
}

/// Every pair of texts whose boxes overlap.
fn overlaps(t: &[Label]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in t.iter().enumerate() {
        for b in &t[i + 1..] {
            let eps = 0.5;
            if a.x0 < b.x1 - eps && b.x0 < a.x1 - eps && a.y0 < b.y1 - eps && b.y0 < a.y1 - eps {
                out.push(format!("{:?} over {:?}", a.text, b.text));
            }
        }
    }
    out
}

fn has(t: &[Label], want: &str) -> bool {
    t.iter().any(|x| x.text.contains(want))
}

/// The handout of `rec` in `lang`, parsed: its texts and the SVG source.
fn handout(rec: &Path, lang: &str, dir: &Path) -> (Vec<Label>, String) {
    let svg = dir.join(format!(
        "{}-{lang}.svg",
        rec.file_stem().unwrap().to_string_lossy()
    ));
    iotour(
        &[
            "report",
            rec.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
            "--lang",
            lang,
        ],
        dir,
    );
    let source = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&source).expect("valid XML");
    assert!(doc.root_element().has_tag_name("svg"));
    let t = texts(&doc);
    let bad = overlaps(&t);
    assert!(
        bad.is_empty(),
        "{}: overlapping texts:\n{}",
        svg.display(),
        bad.join("\n")
    );
    // Every text stays on the page.
    let page_w: f64 = doc
        .root_element()
        .attribute("width")
        .unwrap()
        .parse()
        .unwrap();
    let page_h: f64 = doc
        .root_element()
        .attribute("height")
        .unwrap()
        .parse()
        .unwrap();
    for x in &t {
        assert!(
            x.x0 >= 0.0 && x.x1 <= page_w && x.y1 <= page_h,
            "{x:?} off the page"
        );
    }
    (t, source)
}

fn record(args: &[&str], rec: &Path, dir: &Path) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend([
        "--headless",
        "--sample-hz",
        "200",
        "--record",
        rec.to_str().unwrap(),
    ]);
    iotour(&all, dir);
}

#[test]
fn a_lesson_handout_has_its_questions_expectations_and_charts() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("w.jsonl");
    record(&["run", "write-then-fsync"], &rec, dir.path());
    let (t, svg) = handout(&rec, "en", dir.path());
    for want in [
        "Write, then fsync",
        "Lesson 3 · write-then-fsync",
        "✓ Every expectation held",
        "Q: After write(2) returns, how much of the 8 MiB is on the disk?",
        "Expected vs measured",
        "syscalls: expected exactly 128",
        "The file's pages over time (MiB)",
        "time (s)",
        "Syscalls per step (measured)",
        "Bytes copied per step (MiB, modeled)",
        "Ran on Linux ",
        "· ext4",
    ] {
        assert!(
            has(&t, want),
            "no text {want:?} in {:#?}",
            t.iter().map(|x| &x.text).collect::<Vec<_>>()
        );
    }
    // Key figures of step 1: 128 calls copying 8 MiB.
    assert!(has(&t, "syscalls 128 · "), "key figures");
    // One mark per expectation, all held.
    let rec_text = std::fs::read_to_string(&rec).unwrap();
    let verdicts = rec_text.matches("\"rule\":").count() / 2; // the report and its step lines
    let marks = t.iter().filter(|x| x.text == "✓").count();
    assert!(
        marks >= 10 && (verdicts == 0 || marks <= verdicts),
        "{marks} marks, {verdicts}"
    );
    // Chosen from the ops: a write lesson has the file's dirty pages and no
    // page-fault chart.
    assert!(svg.contains("class=\"series file-dirty\""));
    assert!(!has(&t, "Page faults per step"));
    // Not failed: no red frame, no stamp.
    assert!(!has(&t, "FAILED"));
    // The time axis is in seconds with round ticks: each number under the
    // axis is a multiple of a 1-2-5 step.
    let time = t.iter().find(|x| x.text == "time (s)").unwrap();
    let ticks: Vec<f64> = t
        .iter()
        .filter(|x| (x.y0 - (time.y0 - 14.0)).abs() < 1.0)
        .filter_map(|x| x.text.replace(',', "").parse().ok())
        .collect();
    assert!(ticks.len() >= 3, "{ticks:?}");
    let step = ticks[1] - ticks[0];
    let mantissa = step / 10f64.powf(step.log10().floor());
    assert!(
        [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-6),
        "{ticks:?}"
    );

    // In Chinese: the lesson's own translation and the handout's words.
    let (t, _) = handout(&rec, "zh", dir.path());
    for want in [
        "先写入，再 fsync",
        "第 3 课",
        "预期与实测",
        "问：",
        "时间（秒）",
    ] {
        assert!(has(&t, want), "no text {want:?}");
    }
}

#[test]
fn a_mapping_lesson_gets_fault_charts_not_an_empty_dirty_chart() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("m.jsonl");
    record(&["run", "mmap-page-faults"], &rec, dir.path());
    let (t, svg) = handout(&rec, "en", dir.path());
    assert!(has(&t, "Page faults per step (measured)"));
    assert!(!svg.contains("class=\"series file-dirty\""));
}

#[test]
fn a_failed_run_is_marked() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let lesson = dir.path().join("wrong.toml");
    std::fs::write(
        &lesson,
        "[scenario]\ntitle = \"A wrong claim\"\nsummary = \"Claims 999 calls for 4 writes.\"\n\n[[step]]\nop = \"write\"\nbytes = 16384\nchunk = 4096\nexpect = { syscalls = \"== 999\", wchar = \"== 16KiB\" }\n",
    )
    .unwrap();
    let rec = dir.path().join("f.jsonl");
    let out = iotour_status(
        &[
            "run",
            lesson.to_str().unwrap(),
            "--headless",
            "--record",
            rec.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let (t, svg) = handout(&rec, "en", dir.path());
    assert!(
        has(&t, "✗ FAILED: step 1: syscalls: 4, expected exactly 999"),
        "{:?}",
        t.iter().map(|x| &x.text).collect::<Vec<_>>()
    );
    assert!(has(&t, "FAILED RUN"));
    assert!(t.iter().any(|x| x.text == "✗") && t.iter().any(|x| x.text == "✓"));
    assert!(
        svg.contains("fill=\"none\" stroke=\"#c0392b\""),
        "a red frame"
    );
}

#[test]
fn a_compare_recording_gets_a_side_by_side_handout_with_ratios() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("c.jsonl");
    record(
        &["compare", "unbuffered-write", "buffered-write"],
        &rec,
        dir.path(),
    );
    let (t, svg) = handout(&rec, "en", dir.path());
    for want in [
        "Unbuffered writes vs Buffered writes",
        "A · Unbuffered writes",
        "B · Buffered writes",
        "Totals and ratios",
        "B/A",
        "10,487",
    ] {
        assert!(
            has(&t, want),
            "no text {want:?} in {:?}",
            t.iter().map(|x| &x.text).collect::<Vec<_>>()
        );
    }
    // The two columns sit side by side: A's title left of B's, same row.
    let a = t.iter().find(|x| x.text.starts_with("A · ")).unwrap();
    let b = t.iter().find(|x| x.text.starts_with("B · ")).unwrap();
    assert!(a.x1 < b.x0 && (a.y0 - b.y0).abs() < 0.5);
    assert_eq!(svg.matches("class=\"series file-dirty\"").count(), 2);
    // A ratio of syscalls: 131 / 10,487 to three significant digits.
    assert!(t.iter().any(|x| x.text == "0.0125×"), "syscalls ratio");
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

#[test]
fn pdf_is_one_page_with_its_fonts_embedded() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("u.jsonl");
    record(&["run", "unbuffered-write"], &rec, dir.path());
    let pdf = dir.path().join("u.pdf");
    // --pdf alone, without --svg.
    iotour(
        &[
            "report",
            rec.to_str().unwrap(),
            "--pdf",
            pdf.to_str().unwrap(),
        ],
        dir.path(),
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("/Count 1"), "one page");
    assert!(text.contains("DejaVuSans"), "the embedded face");
    assert!(text.contains("/FontFile2"), "its glyphs embedded");
    assert!(!dir.path().join("u.svg").exists());
}
