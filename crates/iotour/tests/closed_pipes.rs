//! Output into a pipe whose reader went away (`iotour list | head -1`):
//! every command ends quietly with 141 (128 + SIGPIPE, what a shell
//! reports for any Unix tool ended by a closed pipe), never with a panic
//! (101), and removes its working directory first.
//!
//! Two ways to close: a pipe whose reader is gone before the program writes
//! (deterministic: the first write fails), and a reader that takes the first
//! line and leaves while the program keeps printing (`stats --watch | head`).

use std::io::{BufRead, BufReader};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::headless::{BIN, entries, scratch};

/// A pipe: (read end, write end), both close-on-exec.
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two fds it is given.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both fds were just opened and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn iotour(args: &[&str], wd: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .arg("--workdir")
        .arg(wd)
        .env_remove("IOTOUR_DISABLE")
        .env("LANG", "C");
    c
}

/// Run with standard output a pipe nobody reads any more.
fn into_closed_pipe(args: &[&str], wd: &Path) -> Output {
    let (read, write) = pipe();
    drop(read);
    iotour(args, wd)
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// The contract: 141, nothing said, no working directory left.
fn assert_quiet_141(what: &str, out: &Output, wd: &Path) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(err.is_empty(), "{what} should end quietly: {err}");
    assert!(entries(wd).is_empty(), "{what}: left {:?}", entries(wd));
}

#[test]
fn every_command_ends_quietly_with_141_into_a_closed_pipe() {
    let dir = scratch();
    let recording = dir.path().join("r.jsonl");
    let made = iotour(
        &[
            "run",
            "unbuffered-write",
            "--headless",
            "--record",
            recording.to_str().unwrap(),
        ],
        dir.path(),
    )
    .output()
    .unwrap();
    assert!(made.status.success(), "{made:?}");
    let scenario = crate::support::root().join("scenarios/unbuffered-write.toml");
    let scenario = scenario.to_str().unwrap();
    let r = recording.to_str().unwrap();
    let commands: [&[&str]; 13] = [
        &[],
        &["--help"],
        &["--version"],
        &["list"],
        &["list", "--json"],
        &["check", scenario],
        &["run", "unbuffered-write", "--headless"],
        &["run", "unbuffered-write", "--headless", "--json"],
        &["verify", "unbuffered-write"],
        &[
            "compare",
            "unbuffered-write",
            "buffered-write",
            "--headless",
        ],
        &["replay", r, "--headless"],
        &["replay", r, "--headless", "--json"],
        &["inspect", "/", "--max-depth", "2"],
    ];
    for args in commands {
        let wd = scratch();
        let out = into_closed_pipe(args, wd.path());
        assert_quiet_141(&format!("iotour {}", args.join(" ")), &out, wd.path());
    }
    eprintln!(
        "{} commands into a closed pipe: 141 each, no panic, nothing left",
        commands.len()
    );
}

/// A reader that takes the first line and goes, while the program keeps
/// writing: `stats --watch | head -1`, `inspect --watch | head -1`.
#[test]
fn watch_modes_end_with_141_when_the_reader_leaves() {
    let dir = scratch();
    std::fs::write(dir.path().join("f"), vec![1u8; 8192]).unwrap();
    let f = dir.path().join("f");
    let runs: [&[&str]; 2] = [
        &["stats", "--watch", "0.05", "--interval", "0.05"],
        &["inspect", "--watch", "0.05", f.to_str().unwrap()],
    ];
    for args in runs {
        let wd = scratch();
        let mut child = iotour(args, wd.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        lines.read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{args:?} printed nothing");
        drop(lines);
        let t = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{args:?} kept running"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let out = Output {
            status,
            stdout: vec![],
            stderr: child.wait_with_output().unwrap().stderr,
        };
        assert_quiet_141(&format!("iotour {}", args.join(" ")), &out, wd.path());
    }
}
