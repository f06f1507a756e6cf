//! The one input thread, `input`: keys and resizes from the terminal, for
//! every screen, for the life of the TUI.
//!
//! crossterm's reader does not notice a terminal that went away: on a pty
//! whose other side closed, `read` returns 0 bytes and crossterm asks again
//! at once, until its timeout or forever (crossterm issue #793). So this
//! thread watches the terminal itself with poll(2) and FIONREAD before it
//! lets crossterm read: a hang-up, an error, or "readable with nothing to
//! read" (end-of-file) end the program with [`StopReason::InputClosed`].
//! The thread is never joined: it may be blocked in a read when the program
//! ends, and the program does not wait for it. (crossterm is built with
//! `use-dev-tty`; see Cargo.toml.)

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::mpsc::Sender;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event as TermEvent, KeyEventKind};
use rustix::event::{PollFd, PollFlags, Timespec, poll};

use crate::app::{Event, Input, StopReason};

/// The longest the thread sleeps in poll(2). crossterm learns of a resize
/// from SIGWINCH through its own pipe, which is drained only when crossterm
/// is asked, so a resize shows within this time.
const WAKE: Duration = Duration::from_millis(100);
/// How long crossterm may look for what it has: its reader does not look at
/// all when given no time.
const DRAIN: Duration = Duration::from_millis(1);

/// The terminal crossterm reads: standard input when it is a terminal, else
/// the controlling terminal (crossterm opens /dev/tty then, and so do we).
enum Tty {
    Stdin(std::io::Stdin),
    Opened(OwnedFd),
}

impl Tty {
    fn open() -> std::io::Result<Tty> {
        let stdin = std::io::stdin();
        if rustix::termios::isatty(&stdin) {
            return Ok(Tty::Stdin(stdin));
        }
        let fd = rustix::fs::open(
            "/dev/tty",
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC | rustix::fs::OFlags::NOCTTY,
            rustix::fs::Mode::empty(),
        )?;
        Ok(Tty::Opened(fd))
    }

    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Tty::Stdin(stdin) => stdin.as_fd(),
            Tty::Opened(fd) => fd.as_fd(),
        }
    }
}

/// Start the input thread; it sends into `tx` until the terminal goes away
/// or the loop hangs up.
pub fn spawn(tx: Sender<Event>) -> std::io::Result<()> {
    let tty = Tty::open()?;
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || read_until_closed(&tty, &tx))?;
    Ok(())
}

/// Whether the terminal behind `fd` is still there: `Ok(true)` when there
/// may be input, `Ok(false)` when nothing arrived within [`WAKE`].
fn wait(fd: BorrowedFd<'_>) -> Result<bool, Closed> {
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: i64::from(WAKE.subsec_nanos()),
    };
    match poll(&mut fds, Some(&timeout)) {
        Ok(0) | Err(rustix::io::Errno::INTR) => return Ok(false),
        Ok(_) => {}
        Err(_) => return Err(Closed),
    }
    let revents = fds[0].revents();
    if revents.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) {
        return Err(Closed);
    }
    if revents.contains(PollFlags::IN) {
        // Readable with no bytes waiting is end-of-file: what a closed pty
        // or a redirected-away terminal reads as.
        match rustix::io::ioctl_fionread(fd) {
            Ok(0) | Err(_) => return Err(Closed),
            Ok(_) => return Ok(true),
        }
    }
    Ok(false)
}

/// The terminal went away.
struct Closed;

fn read_until_closed(tty: &Tty, tx: &Sender<Event>) {
    loop {
        if wait(tty.fd()).is_err() {
            let _ = tx.send(Event::Stop(StopReason::InputClosed));
            return;
        }
        // Everything crossterm has (keys just read, a resize it was told
        // of), without blocking.
        loop {
            match event::poll(DRAIN) {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) => {
                    let _ = tx.send(Event::Stop(StopReason::InputClosed));
                    return;
                }
            }
            let ev = match event::read() {
                Ok(TermEvent::Key(k)) if k.kind == KeyEventKind::Press => {
                    Event::Input(Input::Key(k))
                }
                Ok(TermEvent::Resize(w, h)) => Event::Input(Input::Resize(w, h)),
                Ok(_) => continue,
                Err(_) => Event::Stop(StopReason::InputClosed),
            };
            let closed = matches!(ev, Event::Stop(_));
            if tx.send(ev).is_err() || closed {
                return;
            }
        }
    }
}
