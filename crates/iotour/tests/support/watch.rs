//! `--watch` modes, which print until a signal stops them.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Run `iotour ARGS`, show each line it prints to `seen` until `seen` has said yes `n` times, then send `sig`; its exit status, which must come within 5 s.
pub fn watch_until_signal(
    args: &[&str],
    n: usize,
    mut seen: impl FnMut(&str) -> bool,
    sig: libc::c_int,
) -> ExitStatus {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut count = 0;
    while count < n {
        let Some(line) = lines.next() else {
            // Say why: the exit status and what the program said.
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            let status = child.wait().unwrap();
            panic!("output ended early after {count} of {n} lines: {status}; stderr: {err}");
        };
        let line = line.unwrap();
        if seen(&line) {
            count += 1;
        }
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on the pid of our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if t.elapsed() >= Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("did not stop on signal {sig}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
