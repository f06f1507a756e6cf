//! The live views of `inspect` and `stats` end to end: the real binary in a
//! pseudo-terminal,
//! its screen read back through a vt100 parser.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const ROWS: u16 = 30;
const COLS: u16 = 110;

struct Pty {
    child: Child,
    input: File,
    screen: Arc<Mutex<vt100::Parser>>,
}

impl Pty {
    fn spawn(args: &[&str]) -> Pty {
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
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // Its own session with the pty as controlling terminal, as from a shell.
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(cmd);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            ROWS.try_into().unwrap(),
            COLS.try_into().unwrap(),
            0,
        )));
        let input = File::from(master.try_clone().unwrap());
        let mut output = File::from(master);
        let sink = Arc::clone(&screen);
        thread::spawn(move || {
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
        }
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
        thread::sleep(Duration::from_millis(150));
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                thread::sleep(Duration::from_millis(100)); // let the reader drain
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "did not exit:\n{}",
                self.contents()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

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

fn files() -> tempfile::TempDir {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-files");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(base).unwrap();
    let mut clean = File::create(dir.path().join("a-clean")).unwrap();
    clean.write_all(&[1u8; 16 * 4096]).unwrap();
    clean.sync_all().unwrap();
    File::create(dir.path().join("b-dirty"))
        .unwrap()
        .write_all(&[2u8; 16 * 4096])
        .unwrap();
    dir
}

#[test]
fn live_view_selects_sorts_maps_and_restores_the_terminal() {
    let dir = files();
    let mut pty = Pty::spawn(&["inspect", "--refresh", "0.2", dir.path().to_str().unwrap()]);
    pty.wait_for("iotour inspect · 2 files");
    pty.wait_for("page map: ");
    pty.wait_for("a-clean · from 0 B");
    let source_is_cachestat = pty.contents().contains("cachestat");
    if source_is_cachestat {
        // The clean file's map: clean cells, no dirty ones.
        assert!(pty.contents().contains("░░░░"), "{}", pty.contents());
    }
    pty.keys("j");
    pty.wait_for("b-dirty · from 0 B");
    if source_is_cachestat {
        pty.wait_for("████");
    }
    pty.keys("s");
    pty.wait_for("sort: dirty");
    pty.keys("q");
    let status = pty.wait_exit();
    assert_eq!(status.code(), Some(0), "{}", pty.contents());
    pty.assert_restored();
}

#[test]
fn sigterm_ends_the_live_view_and_restores_the_terminal() {
    let dir = files();
    let mut pty = Pty::spawn(&["inspect", dir.path().to_str().unwrap()]);
    pty.wait_for("page map: ");
    // SAFETY: kill(2) on the pid of our own child.
    assert_eq!(
        unsafe { libc::kill(pty.child.id() as i32, libc::SIGTERM) },
        0
    );
    let status = pty.wait_exit();
    assert_eq!(status.code(), Some(0), "{}", pty.contents());
    pty.assert_restored();
}

#[test]
fn plain_prints_the_table_once_on_a_terminal() {
    let dir = files();
    let mut pty = Pty::spawn(&["inspect", "--plain", dir.path().to_str().unwrap()]);
    let status = pty.wait_exit();
    assert_eq!(status.code(), Some(0));
    let text = pty.contents();
    assert!(text.contains("TOTAL (2 files)"), "{text}");
    assert!(!text.contains("page map:"), "{text}");
}

#[test]
fn stats_dashboard_draws_and_quits_and_plain_prints_text() {
    let mut pty = Pty::spawn(&["stats", "--interval", "0.2"]);
    pty.wait_for("iotour stats · every 0.20 s");
    pty.wait_for("Dirty and Dirty+Writeback, last 2 samples");
    pty.wait_for("Top writers");
    pty.keys("q");
    assert_eq!(pty.wait_exit().code(), Some(0), "{}", pty.contents());
    pty.assert_restored();

    let mut pty = Pty::spawn(&["stats", "--plain", "--interval", "0.1"]);
    assert_eq!(pty.wait_exit().code(), Some(0));
    let text = pty.contents();
    // The end of the text (the start scrolled off the 30 rows).
    assert!(text.contains("Top writers (/proc/PID/io"), "{text}");
    assert!(!text.contains("Dirty and Dirty+Writeback"), "{text}");
}
