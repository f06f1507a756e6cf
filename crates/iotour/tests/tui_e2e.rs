//! End to end: the real binary in a pseudo-terminal. Keys go in through the
//! pty, the screen comes back through a vt100 parser; after quitting (by key
//! and by SIGTERM) the terminal must be restored (main screen, cursor shown)
//! and the working directory removed.

use std::os::unix::process::ExitStatusExt;

use crate::support::pty;

use pty::{Pty, WAIT};

const ROWS: u16 = 30;
const COLS: u16 = 100;

/// iotour with `args` in a 100×30 terminal.
fn spawn(args: &[&str]) -> Pty {
    Pty::spawn(args, COLS, ROWS, &[])
}

fn workdir() -> tempfile::TempDir {
    // On the crate's own (disk-backed) filesystem: /tmp may be tmpfs.
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn assert_left_nothing(dir: &tempfile::TempDir) {
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "working directory left: {left:?}");
}

/// Once every text in `ready` is on screen, `sig`: the program ends by it
/// (or exits 128 + it), the terminal restored and the working directory gone.
fn a_signal_restores_and_cleans_up(sig: libc::c_int, ready: &[&str]) {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = spawn(&["run", "write-then-fsync", "--workdir", wd]);
    for text in ready {
        pty.wait_for(text, WAIT).unwrap();
    }
    pty.signal(sig);
    let status = pty.wait_exit(WAIT).unwrap();
    assert!(
        status.code() == Some(128 + sig) || status.signal() == Some(sig),
        "{status:?}"
    );
    pty.assert_restored();
    assert_left_nothing(&dir);
}

#[test]
fn run_view_pauses_switches_language_and_restores_the_terminal() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = spawn(&["run", "write-then-fsync", "--workdir", wd]);
    pty.wait_for("data path", WAIT).unwrap();
    pty.wait_for("tracepoint", WAIT).unwrap(); // a source badge: the engine is ready
    pty.send(b" ");
    pty.wait_for("paused", WAIT).unwrap();
    pty.send(b"?");
    pty.wait_for("pause / resume", WAIT).unwrap();
    pty.send(b"q"); // closes the help, not the program
    pty.send(b"l");
    pty.wait_for("数据路径", WAIT).unwrap();
    pty.send(b"l");
    pty.resize(50, 15);
    pty.wait_for("terminal too small", WAIT).unwrap();
    pty.resize(COLS, ROWS);
    pty.wait_for("data path", WAIT).unwrap();
    pty.send(b"q");
    let status = pty.wait_exit(WAIT).unwrap();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    pty.assert_restored();
    assert_left_nothing(&dir);
}

#[test]
fn sigterm_restores_the_terminal_and_removes_the_working_directory() {
    a_signal_restores_and_cleans_up(libc::SIGTERM, &["data path"]);
}

#[test]
fn sighup_mid_step_restores_the_terminal_and_removes_the_working_directory() {
    // After "tracepoint" (a source badge) the engine is ready, a step under way.
    a_signal_restores_and_cleans_up(libc::SIGHUP, &["data path", "tracepoint"]);
}

#[test]
fn a_20x5_terminal_and_back_keeps_working() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = spawn(&["run", "write-then-fsync", "--workdir", wd]);
    pty.wait_for("data path", WAIT).unwrap();
    pty.resize(20, 5);
    pty.wait_for("too small", WAIT).unwrap();
    pty.resize(COLS, ROWS);
    pty.wait_for("data path", WAIT).unwrap();
    pty.send(b"l");
    pty.wait_for("数据路径", WAIT).unwrap();
    pty.send(b"q");
    let status = pty.wait_exit(WAIT).unwrap();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    pty.assert_restored();
}

#[test]
fn no_color_draws_without_colour() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = Pty::spawn(
        &["run", "write-then-fsync", "--workdir", wd],
        COLS,
        ROWS,
        &[("NO_COLOR", "1")],
    );
    pty.wait_for("data path", WAIT).unwrap();
    let screen = pty.wait_for("tracepoint", WAIT).unwrap();
    let (rows, cols) = screen.size();
    for r in 0..rows.get() {
        for c in 0..cols.get() {
            let cell = screen.cell(r, c).unwrap();
            assert_eq!(cell.fgcolor(), vt100::Color::Default, "fg at {r},{c}");
            assert_eq!(cell.bgcolor(), vt100::Color::Default, "bg at {r},{c}");
        }
    }
    pty.send(b"q");
    let status = pty.wait_exit(WAIT).unwrap();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    pty.assert_restored();
}

#[test]
fn picker_filters_runs_and_returns() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = spawn(&["--workdir", wd]);
    pty.wait_for("choose a scenario", WAIT).unwrap();
    pty.send(b"/fsync\r");
    pty.wait_for("write-then-fsync", WAIT).unwrap();
    pty.send(b"\r");
    pty.wait_for("data path", WAIT).unwrap();
    pty.send(b"q");
    pty.wait_for("choose a scenario", WAIT).unwrap();
    pty.send(b"q");
    let status = pty.wait_exit(WAIT).unwrap();
    assert!(status.success(), "{status:?}");
    pty.assert_restored();
    assert_left_nothing(&dir);
}

#[test]
fn ctrl_c_quits_and_restores() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = spawn(&["run", "unbuffered-write", "--workdir", wd]);
    pty.wait_for("data path", WAIT).unwrap();
    // Raw mode makes Ctrl-C a key, not SIGINT: the keymap must still quit.
    pty.send(b"\x03");
    let status = pty.wait_exit(WAIT).unwrap();
    assert!(status.code().is_some(), "{status:?}");
    pty.assert_restored();
    assert_left_nothing(&dir);
}

#[test]
fn picker_opens_inspect_and_stats_and_takes_the_keys_back() {
    let dir = workdir();
    let files = dir.path().join("seen");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("notes.txt"), vec![7u8; 3 * 4096]).unwrap();
    let mut pty = spawn(&["--workdir", dir.path().to_str().unwrap()]);
    pty.wait_for("choose a scenario", WAIT).unwrap();
    pty.send(b"i");
    pty.wait_for("inspect path: .", WAIT).unwrap();
    pty.send(b"\x15"); // Ctrl-U empties the line
    pty.send(files.to_str().unwrap().as_bytes());
    pty.send(b"\r");
    // The view has the keys now: `j` and `s` are its own (select, sort).
    pty.wait_for("notes.txt", WAIT).unwrap();
    pty.wait_for("q back", WAIT).unwrap();
    pty.send(b"s");
    pty.wait_for("sort: dirty", WAIT).unwrap();
    pty.send(b"q");
    pty.wait_for("choose a scenario", WAIT).unwrap();
    pty.send(b"s");
    pty.wait_for("measuring the first 1.00 s window", WAIT)
        .unwrap();
    pty.wait_for("iotour stats · every 1.00 s", WAIT).unwrap();
    pty.wait_for("Dirty page cache, system-wide", WAIT).unwrap();
    pty.send(b"q");
    // Back on the picker its own keys work again: a filter, then quit.
    pty.wait_for("choose a scenario", WAIT).unwrap();
    pty.send(b"/fsync");
    pty.wait_for("write-then-fsync", WAIT).unwrap();
    pty.send(b"\x1b"); // alone: Esc then q in one read would be Alt-q
    pty.send(b"q");
    let status = pty.wait_exit(WAIT).unwrap();
    assert!(status.success(), "{status:?}");
    pty.assert_restored();
    // inspect only looked: nothing was created or left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn a_signal_inside_a_view_from_the_picker_ends_the_program() {
    for sig in [libc::SIGTERM, libc::SIGHUP] {
        let mut pty = spawn(&[]);
        pty.wait_for("choose a scenario", WAIT).unwrap();
        pty.send(b"s");
        pty.wait_for("iotour stats", WAIT).unwrap();
        pty.signal(sig);
        let status = pty.wait_exit(WAIT).unwrap();
        assert_eq!(status.code(), Some(128 + sig), "{status:?}");
        pty.assert_restored();
    }
}

/// A walk of a whole disk takes a while: the view answers `q` meanwhile and
/// the walk is abandoned, so the picker is back at once.
#[test]
fn inspect_from_the_picker_answers_keys_while_it_walks() {
    let mut pty = spawn(&[]);
    pty.wait_for("choose a scenario", WAIT).unwrap();
    pty.send(b"i\x15/\r");
    let screen = pty.wait_for("iotour inspect", WAIT).unwrap();
    pty.send(b"q");
    pty.wait_for("choose a scenario", WAIT).unwrap();
    // Whether the first report had arrived or not, `q` went back.
    let text = screen.contents();
    assert!(
        text.contains("measuring / …") || text.contains("q back"),
        "{text}"
    );
    pty.send(b"q");
    assert!(pty.wait_exit(WAIT).unwrap().success());
    pty.assert_restored();
}

/// Whether `screen`'s first row (the header) contains `text`.
fn header_has(screen: &vt100::Screen, text: &str) -> bool {
    screen
        .contents()
        .lines()
        .next()
        .unwrap_or("")
        .contains(text)
}

#[test]
fn lecture_stepping_holds_reviews_and_zooms() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = spawn(&["run", "write-then-fsync", "--workdir", wd]);
    pty.wait_for("tracepoint", WAIT).unwrap(); // the engine is ready
    // n mid-step 1: step 1 runs to its end and holds there, with its results.
    pty.send(b"n");
    let screen = pty
        .wait_for("syscalls: 128, expected exactly 128", WAIT)
        .unwrap();
    assert!(header_has(&screen, "step 1/5"), "{}", screen.contents());
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let held = pty.screen();
    assert!(
        header_has(&held, "step 1/5"),
        "step 2 started: {}",
        held.contents()
    );
    assert!(header_has(&held, "paused"), "{}", held.contents());
    // n again: step 2 (fsync) runs whole and holds.
    pty.send(b"n");
    pty.wait_for("syscalls: 1, expected exactly 1", WAIT)
        .unwrap();
    let screen = pty.screen();
    assert!(header_has(&screen, "step 2/5"), "{}", screen.contents());
    // b: step 1's results as they were; n: the run as it is again.
    pty.send(b"b");
    let screen = pty.wait_for("review (b/n)", WAIT).unwrap();
    assert!(header_has(&screen, "step 1/5"), "{}", screen.contents());
    assert!(
        screen
            .contents()
            .contains("syscalls: 128, expected exactly 128")
    );
    pty.send(b"n");
    pty.wait_for("voluntary context switches", WAIT).unwrap();
    let screen = pty.screen();
    assert!(header_has(&screen, "step 2/5") && !header_has(&screen, "review"));
    // z: the data path over the body (the page map gone), the narration kept.
    assert!(screen.contents().contains("page cache: the working file"));
    pty.send(b"z");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let zoomed = pty.screen();
    assert!(!zoomed.contents().contains("page cache: the working file"));
    assert!(zoomed.contents().contains("data path") && zoomed.contents().contains("narration"));
    pty.send(b"z");
    pty.wait_for("page cache: the working file", WAIT).unwrap();
    pty.send(b"q");
    let status = pty.wait_exit(WAIT).unwrap();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    pty.assert_restored();
    assert_left_nothing(&dir);
}

#[test]
fn lecture_predict_asks_alone_then_keeps_the_answer() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = spawn(&["run", "write-then-fsync", "--predict", "--workdir", wd]);
    // The question alone: the narration, which states the answer, is hidden.
    let screen = pty
        .wait_for("how much of the 8 MiB is on the disk", WAIT)
        .unwrap();
    pty.wait_for("Make your guess", WAIT).unwrap();
    assert!(!screen.contents().contains("128 calls of 64 KiB"));
    // Space runs it; the answer is revealed and stays.
    pty.send(b" ");
    pty.wait_for("That was the answer", WAIT).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let revealed = pty.screen();
    assert!(revealed.contents().contains("That was the answer"));
    assert!(revealed.contents().contains("128 calls of 64 KiB"));
    assert!(header_has(&revealed, "step 1/5"), "{}", revealed.contents());
    // Space again: on to the next question, alone.
    pty.send(b" ");
    pty.wait_for("Will fsync(2) return at once", WAIT).unwrap();
    pty.wait_for("Make your guess", WAIT).unwrap();
    pty.send(b"q");
    let status = pty.wait_exit(WAIT).unwrap();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    pty.assert_restored();
    assert_left_nothing(&dir);
}
