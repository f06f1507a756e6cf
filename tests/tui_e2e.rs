//! End to end: the real binary in a pseudo-terminal. Keys go in through the
//! pty, the screen comes back through a vt100 parser; after quitting (by key
//! and by SIGTERM) the terminal must be restored (main screen, cursor shown)
//! and the working directory removed.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const ROWS: u16 = 30;
const COLS: u16 = 100;

struct Pty {
    child: Child,
    input: File,
    screen: Arc<Mutex<vt100::Parser>>,
    reader: Option<thread::JoinHandle<()>>,
}

impl Pty {
    fn spawn(args: &[&str]) -> Pty {
        Pty::spawn_env(args, &[])
    }

    fn spawn_env(args: &[&str], env: &[(&str, &str)]) -> Pty {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two fds into the ints we pass.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both fds were just opened and are owned here only.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_iotour"));
        cmd.args(args)
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .envs(env.iter().copied())
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // A session of its own with the pty as controlling terminal,
                // as a shell would give it.
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn iotour");
        drop(cmd); // closes our copies of the slave side
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            ROWS.try_into().unwrap(),
            COLS.try_into().unwrap(),
            0,
        )));
        let input = File::from(master.try_clone().unwrap());
        let mut output = File::from(master);
        let sink = screen.clone();
        let reader = thread::spawn(move || {
            let mut buf = [0u8; 65536];
            // EIO once the child and every slave fd are gone.
            while let Ok(n) = output.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        Pty {
            child,
            input,
            screen,
            reader: Some(reader),
        }
    }

    /// Resize the terminal: the kernel sends SIGWINCH to the program.
    fn resize(&mut self, rows: u16, cols: u16) {
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads the struct we pass.
        let rc = unsafe { libc::ioctl(self.input.as_raw_fd(), libc::TIOCSWINSZ, &size) };
        assert_eq!(rc, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
        let (r, c) = (rows.try_into().unwrap(), cols.try_into().unwrap());
        self.screen.lock().unwrap().set_size(r, c);
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.contents().contains(what) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "screen never showed {what:?}; it shows:\n{}",
            self.contents()
        );
    }

    fn keys(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).unwrap();
        self.input.flush().unwrap();
        // One key per event loop turn is what a person types.
        thread::sleep(Duration::from_millis(150));
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                if let Some(r) = self.reader.take() {
                    r.join().unwrap();
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "iotour did not exit:\n{}",
                self.contents()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Raw mode off, alternate screen left, cursor visible.
    fn assert_restored(&self) {
        let p = self.screen.lock().unwrap();
        assert!(
            !p.screen().alternate_screen(),
            "still on the alternate screen"
        );
        assert!(!p.screen().hide_cursor(), "cursor still hidden");
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workdir() -> tempfile::TempDir {
    // On the crate's own (disk-backed) filesystem: /tmp may be tmpfs.
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn leftovers(dir: &tempfile::TempDir) -> Vec<String> {
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn run_view_pauses_switches_language_and_restores_the_terminal() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = Pty::spawn(&["run", "write-then-fsync", "--workdir", wd]);
    pty.wait_for("data path");
    pty.wait_for("tracepoint"); // a source badge: the engine is ready
    pty.keys(" ");
    pty.wait_for("paused");
    pty.keys("?");
    pty.wait_for("pause / resume");
    pty.keys("q"); // closes the help, not the program
    pty.keys("l");
    pty.wait_for("数据路径");
    pty.keys("l");
    pty.resize(15, 50);
    pty.wait_for("terminal too small");
    pty.resize(ROWS, COLS);
    pty.wait_for("data path");
    pty.keys("q");
    let status = pty.wait_exit();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    pty.assert_restored();
    assert!(
        leftovers(&dir).is_empty(),
        "working directory left: {:?}",
        leftovers(&dir)
    );
}

#[test]
fn sigterm_restores_the_terminal_and_removes_the_working_directory() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = Pty::spawn(&["run", "write-then-fsync", "--workdir", wd]);
    pty.wait_for("data path");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pty.child.id() as i32, libc::SIGTERM) };
    let status = pty.wait_exit();
    assert!(
        status.code() == Some(128 + libc::SIGTERM) || status.signal() == Some(libc::SIGTERM),
        "{status:?}"
    );
    pty.assert_restored();
    assert!(
        leftovers(&dir).is_empty(),
        "working directory left: {:?}",
        leftovers(&dir)
    );
}

#[test]
fn sighup_mid_step_restores_the_terminal_and_removes_the_working_directory() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = Pty::spawn(&["run", "write-then-fsync", "--workdir", wd]);
    pty.wait_for("data path");
    pty.wait_for("tracepoint"); // the engine is ready, a step is under way
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pty.child.id() as i32, libc::SIGHUP) };
    let status = pty.wait_exit();
    assert!(
        status.code() == Some(128 + libc::SIGHUP) || status.signal() == Some(libc::SIGHUP),
        "{status:?}"
    );
    pty.assert_restored();
    assert!(
        leftovers(&dir).is_empty(),
        "working directory left: {:?}",
        leftovers(&dir)
    );
}

#[test]
fn a_20x5_terminal_and_back_keeps_working() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = Pty::spawn(&["run", "write-then-fsync", "--workdir", wd]);
    pty.wait_for("data path");
    pty.resize(5, 20);
    pty.wait_for("too small");
    pty.resize(ROWS, COLS);
    pty.wait_for("data path");
    pty.keys("l");
    pty.wait_for("数据路径");
    pty.keys("q");
    let status = pty.wait_exit();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    pty.assert_restored();
}

#[test]
fn no_color_draws_without_colour() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = Pty::spawn_env(
        &["run", "write-then-fsync", "--workdir", wd],
        &[("NO_COLOR", "1")],
    );
    pty.wait_for("data path");
    pty.wait_for("tracepoint");
    {
        let parser = pty.screen.lock().unwrap();
        let screen = parser.screen();
        let (rows, cols) = screen.size();
        for r in 0..rows.get() {
            for c in 0..cols.get() {
                let cell = screen.cell(r, c).unwrap();
                assert_eq!(cell.fgcolor(), vt100::Color::Default, "fg at {r},{c}");
                assert_eq!(cell.bgcolor(), vt100::Color::Default, "bg at {r},{c}");
            }
        }
    }
    pty.keys("q");
    let status = pty.wait_exit();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    pty.assert_restored();
}

#[test]
fn picker_filters_runs_and_returns() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = Pty::spawn(&["--workdir", wd]);
    pty.wait_for("choose a scenario");
    pty.keys("/fsync\r");
    pty.wait_for("write-then-fsync");
    pty.keys("\r");
    pty.wait_for("data path");
    pty.keys("q");
    pty.wait_for("choose a scenario");
    pty.keys("q");
    let status = pty.wait_exit();
    assert!(status.success(), "{status:?}");
    pty.assert_restored();
    assert!(
        leftovers(&dir).is_empty(),
        "working directory left: {:?}",
        leftovers(&dir)
    );
}

#[test]
fn ctrl_c_quits_and_restores() {
    let dir = workdir();
    let wd = dir.path().to_str().unwrap();
    let mut pty = Pty::spawn(&["run", "unbuffered-write", "--workdir", wd]);
    pty.wait_for("data path");
    // Raw mode makes Ctrl-C a key, not SIGINT: the keymap must still quit.
    pty.keys("\x03");
    let status = pty.wait_exit();
    assert!(status.code().is_some(), "{status:?}");
    pty.assert_restored();
    assert!(
        leftovers(&dir).is_empty(),
        "working directory left: {:?}",
        leftovers(&dir)
    );
}
