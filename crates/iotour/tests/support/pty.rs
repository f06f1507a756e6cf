//! The real binary in a pseudo-terminal, for end-to-end tests: bytes go in
//! as a person types them, the screen comes back through a vt100 parser.
//!
//! ```ignore
//! let mut pty = Pty::spawn(&["run", "buffered-write"], 100, 30, &[]);
//! pty.wait_for("data path", WAIT).unwrap();
//! pty.send(b"q");
//! assert!(pty.wait_exit(WAIT).unwrap().success());
//! pty.assert_restored();
//! ```

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for a screen or an exit unless it says otherwise.
pub const WAIT: Duration = Duration::from_secs(20);

/// How long `send` pauses afterwards: one key per event-loop turn, as a person types.
const KEY_PAUSE: Duration = Duration::from_millis(150);

/// How often the waits look again.
const POLL: Duration = Duration::from_millis(50);

/// iotour running in a pty of its own; killed on drop.
pub struct Pty {
    child: Child,
    /// `None` once [`Pty::hang_up`] closed it.
    master: Option<File>,
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote, as it came.
    raw: Arc<Mutex<Vec<u8>>>,
    reader: Option<thread::JoinHandle<()>>,
    /// Tells the reader to close its copy of the master and end.
    hang: Arc<AtomicBool>,
}

/// Whether the pty is the program's controlling terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    /// As a shell gives it: closing the master hangs the terminal up and the
    /// kernel sends SIGHUP to the program (the session leader).
    Controlling,
    /// Standard input, output and error are the pty, but the program has no
    /// controlling terminal (a session of its own without TIOCSCTTY): closing
    /// the master sends no signal, and the program only reads EIO / end-of-file.
    NotControlling,
}

/// A wait that ran out: what was awaited, and the screen as it was then.
pub struct Timeout {
    pub awaited: String,
    pub after: Duration,
    pub screen: String,
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} not seen within {:?}; the screen shows:\n{}",
            self.awaited, self.after, self.screen
        )
    }
}

// Debug is what `unwrap` prints: the screen as it is, not one escaped line.
impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn winsize(cols: u16, rows: u16) -> libc::winsize {
    libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// A pty pair opened close-on-exec from the start. openpty(3) leaves both
/// fds inheritable, and tests run in parallel: a child another test forks in
/// that window would keep this slave open, and the reader here would then
/// never see the end of the output.
fn open_pty(cols: u16, rows: u16) -> (OwnedFd, OwnedFd) {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: plain libc calls on an fd owned here; ptsname_r writes into
    // the buffer it is given, bounded by its length.
    unsafe {
        let master = libc::posix_openpt(flags);
        assert!(
            master >= 0,
            "posix_openpt: {}",
            std::io::Error::last_os_error()
        );
        let master = OwnedFd::from_raw_fd(master);
        let fd = master.as_raw_fd();
        assert_eq!(libc::grantpt(fd), 0, "grantpt");
        assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(
            libc::ptsname_r(fd, name.as_mut_ptr(), name.len()),
            0,
            "ptsname_r"
        );
        let slave = libc::open(name.as_ptr(), flags);
        assert!(
            slave >= 0,
            "open the pty slave: {}",
            std::io::Error::last_os_error()
        );
        let slave = OwnedFd::from_raw_fd(slave);
        let size = winsize(cols, rows);
        assert_eq!(libc::ioctl(fd, libc::TIOCSWINSZ, &size), 0, "TIOCSWINSZ");
        (master, slave)
    }
}

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal has at least one row and column")
}

impl Pty {
    /// Start iotour with `args` in a `cols`×`rows` pty (TERM=xterm-256color, NO_COLOR unset, then `env`).
    pub fn spawn(args: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Pty {
        Pty::spawn_in(Session::Controlling, args, cols, rows, env)
    }

    /// [`Pty::spawn`], with the pty as controlling terminal or not.
    pub fn spawn_in(
        session: Session,
        args: &[&str],
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
    ) -> Pty {
        let (master, slave) = open_pty(cols, rows);
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
            let controlling = session == Session::Controlling;
            cmd.pre_exec(move || {
                // A session of its own with the pty as controlling terminal,
                // as a shell would give it (or without one).
                if libc::setsid() < 0 || (controlling && libc::ioctl(0, libc::TIOCSCTTY, 0) < 0) {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn iotour");
        drop(cmd); // closes our copies of the slave side
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            nonzero(rows),
            nonzero(cols),
            0,
        )));
        let mut output = File::from(master.try_clone().unwrap());
        let sink = Arc::clone(&parser);
        let raw = Arc::new(Mutex::new(Vec::new()));
        let raw_sink = Arc::clone(&raw);
        let hang = Arc::new(AtomicBool::new(false));
        let hang_flag = Arc::clone(&hang);
        let reader = thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            loop {
                // Wait a little at a time, so a hang-up can close this copy.
                let mut fds = [libc::pollfd {
                    fd: output.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                }];
                // SAFETY: one valid pollfd for an fd this thread owns.
                let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, 50) };
                if hang_flag.load(Ordering::SeqCst) {
                    return; // drops `output`: the master's last copy
                }
                if ready <= 0 {
                    continue;
                }
                // EIO once the child and every slave fd are gone.
                match output.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        sink.lock().unwrap().process(&buf[..n]);
                        raw_sink.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                }
            }
        });
        Pty {
            child,
            master: Some(File::from(master)),
            parser,
            raw,
            reader: Some(reader),
            hang,
        }
    }

    /// Type `bytes` (keys, escape sequences), then pause as a person would between keys.
    pub fn send(&mut self, bytes: &[u8]) {
        let master = self.master.as_mut().expect("the terminal was hung up");
        master.write_all(bytes).unwrap();
        master.flush().unwrap();
        thread::sleep(KEY_PAUSE);
    }

    /// Close the terminal as a closed window or a dropped ssh session does:
    /// every fd of the master side, at once.
    pub fn hang_up(&mut self) {
        self.hang.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.master = None;
    }

    /// The program's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every byte the program wrote to the terminal so far.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    /// A copy of the screen as drawn so far (cells, colours, cursor, modes).
    pub fn screen(&self) -> vt100::Screen {
        self.parser.lock().unwrap().screen().clone()
    }

    /// The screen's text, rows joined by newlines.
    pub fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Wait until the screen's text contains `text`; the screen that did, or a `Timeout` with the last one.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> Result<vt100::Screen, Timeout> {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if screen.contents().contains(text) {
                return Ok(screen);
            }
            if Instant::now() >= deadline {
                return Err(Timeout {
                    awaited: format!("{text:?}"),
                    after: timeout,
                    screen: screen.contents(),
                });
            }
            thread::sleep(POLL);
        }
    }

    /// Resize the terminal to `cols`×`rows`: the kernel sends SIGWINCH to the program.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        // The parser takes the new size first, and holds its lock until the
        // kernel has it too: the redraw the program answers with must not be
        // parsed at the old size (it would be cut, and later frames are diffs).
        let mut parser = self.parser.lock().unwrap();
        parser.set_size(nonzero(rows), nonzero(cols));
        let size = winsize(cols, rows);
        // SAFETY: TIOCSWINSZ reads the struct we pass.
        let fd = self
            .master
            .as_ref()
            .expect("the terminal was hung up")
            .as_raw_fd();
        // SAFETY: TIOCSWINSZ reads the struct we pass, on the master fd we own.
        let rc = unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &size) };
        assert_eq!(rc, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
    }

    /// Send signal `sig` to the program (kill(2) must succeed).
    pub fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on the pid of our own child, not yet reaped.
        let rc = unsafe { libc::kill(pid, sig) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Wait for the program to exit and its last output to be parsed; its status, or a `Timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, Timeout> {
        let deadline = Instant::now() + timeout;
        let timed_out = |pty: &Pty, what: &str| Timeout {
            awaited: what.to_string(),
            after: timeout,
            screen: pty.contents(),
        };
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                return Err(timed_out(self, "the exit"));
            }
            thread::sleep(POLL);
        };
        // The reader ends once every slave fd is closed: the output is all in.
        if let Some(reader) = self.reader.take() {
            while !reader.is_finished() {
                if Instant::now() >= deadline {
                    return Err(timed_out(self, "the end of the output"));
                }
                thread::sleep(POLL);
            }
            reader.join().unwrap();
        }
        Ok(status)
    }

    /// Assert the terminal was given back: main screen, cursor shown.
    pub fn assert_restored(&self) {
        let screen = self.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert!(!screen.hide_cursor(), "cursor still hidden");
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
