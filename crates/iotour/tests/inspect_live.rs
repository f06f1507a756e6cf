//! The live views of `inspect` and `stats` end to end: the real binary in a
//! pseudo-terminal,
//! its screen read back through a vt100 parser.

use std::fs::{self, File};
use std::io::Write;

use crate::support::pty;

use pty::{Pty, WAIT};

const ROWS: u16 = 30;
const COLS: u16 = 110;

/// iotour with `args` in a 110×30 terminal.
fn spawn(args: &[&str]) -> Pty {
    Pty::spawn(args, COLS, ROWS, &[])
}

fn files() -> tempfile::TempDir {
    let base = crate::support::root().join("target/test-files");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(base).unwrap();
    let mut clean = File::create(dir.path().join("a-clean")).unwrap();
    clean.write_all(&vec![1u8; 16 * 4096]).unwrap();
    clean.sync_all().unwrap();
    File::create(dir.path().join("b-dirty"))
        .unwrap()
        .write_all(&vec![2u8; 16 * 4096])
        .unwrap();
    dir
}

#[test]
fn live_view_selects_sorts_maps_and_restores_the_terminal() {
    let dir = files();
    let mut pty = spawn(&["inspect", "--refresh", "0.2", dir.path().to_str().unwrap()]);
    pty.wait_for("iotour inspect · 2 files", WAIT).unwrap();
    pty.wait_for("page map: ", WAIT).unwrap();
    pty.wait_for("a-clean · from 0 B", WAIT).unwrap();
    let source_is_cachestat = pty.contents().contains("cachestat");
    if source_is_cachestat {
        // The clean file's map: clean cells, no dirty ones.
        assert!(pty.contents().contains("░░░░"), "{}", pty.contents());
    }
    pty.send(b"j");
    pty.wait_for("b-dirty · from 0 B", WAIT).unwrap();
    if source_is_cachestat {
        pty.wait_for("████", WAIT).unwrap();
    }
    pty.send(b"s");
    pty.wait_for("sort: dirty", WAIT).unwrap();
    pty.send(b"q");
    let status = pty.wait_exit(WAIT).unwrap();
    assert_eq!(status.code(), Some(0), "{}", pty.contents());
    pty.assert_restored();
}

#[test]
fn sigterm_ends_the_live_view_and_restores_the_terminal() {
    let dir = files();
    let mut pty = spawn(&["inspect", dir.path().to_str().unwrap()]);
    pty.wait_for("page map: ", WAIT).unwrap();
    pty.signal(libc::SIGTERM);
    let status = pty.wait_exit(WAIT).unwrap();
    assert_eq!(
        status.code(),
        Some(128 + libc::SIGTERM),
        "{}",
        pty.contents()
    );
    pty.assert_restored();
}

#[test]
fn plain_prints_the_table_once_on_a_terminal() {
    let dir = files();
    let mut pty = spawn(&["inspect", "--plain", dir.path().to_str().unwrap()]);
    let status = pty.wait_exit(WAIT).unwrap();
    assert_eq!(status.code(), Some(0));
    let text = pty.contents();
    assert!(text.contains("TOTAL (2 files)"), "{text}");
    assert!(!text.contains("page map:"), "{text}");
}

#[test]
fn stats_dashboard_draws_and_quits_and_plain_prints_text() {
    let mut pty = spawn(&["stats", "--interval", "0.2"]);
    pty.wait_for("iotour stats · every 0.20 s", WAIT).unwrap();
    pty.wait_for("Dirty and Dirty+Writeback, last 2 samples", WAIT)
        .unwrap();
    pty.wait_for("Top writers", WAIT).unwrap();
    pty.send(b"q");
    assert_eq!(
        pty.wait_exit(WAIT).unwrap().code(),
        Some(0),
        "{}",
        pty.contents()
    );
    pty.assert_restored();

    let mut pty = spawn(&["stats", "--plain", "--interval", "0.1"]);
    assert_eq!(pty.wait_exit(WAIT).unwrap().code(), Some(0));
    let text = pty.contents();
    // The end of the text (the start scrolled off the 30 rows).
    assert!(text.contains("Top writers (/proc/PID/io"), "{text}");
    assert!(!text.contains("Dirty and Dirty+Writeback"), "{text}");
}
