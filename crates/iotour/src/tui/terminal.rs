//! Terminal setup and restore. The backend writes through a `BufWriter`:
//! unbuffered, crossterm issues a write call per cell change (about 190 per
//! frame here). Restore runs on every exit path: on drop of [`Session`] (normal
//! exit, `?` errors, unwinding) and from the panic hook, installed before the
//! terminal is touched so a panic during setup restores too.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread::{self, ThreadId};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, execute, terminal};

pub type Backend = CrosstermBackend<TermOut>;

/// Standard output for the backend, buffered; once [`TermOut::quiet`] is
/// set it swallows everything. The session sets it after restoring, so
/// that ratatui's `Terminal` drop, which shows the cursor and prints with
/// `eprintln!` when that fails, cannot fail (and panic, on a terminal that
/// went away and a standard error that is that same dead terminal).
pub struct TermOut {
    out: BufWriter<Stdout>,
    quiet: Arc<AtomicBool>,
}

impl TermOut {
    fn quiet(&self) -> bool {
        self.quiet.load(Ordering::Relaxed)
    }
}

impl Write for TermOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.quiet() {
            return Ok(buf.len());
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.quiet() {
            return Ok(());
        }
        self.out.flush()
    }
}

/// Leave raw mode and the alternate screen and show the cursor. Safe to call
/// more than once (the panic hook and the drop may both run).
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = out.flush();
}

static HOOK: Once = Once::new();
/// The thread that owns the terminal while a [`Session`] lives.
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);
/// Panics of other threads while a [`Session`] lives, printed after it.
static DEFERRED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Restore the terminal before the default hook prints the panic, so the
/// message lands on the normal screen and stays readable. Only a panic of
/// the UI thread restores: a panicking worker thread does not end the UI,
/// which must keep its raw mode and alternate screen. Its message would be
/// lost there (and garble the screen), so it is kept and printed once the
/// session has restored the terminal.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let owner = UI_THREAD.lock().map_or(None, |t| *t);
            let here = thread::current();
            if owner.is_none_or(|id| id == here.id()) {
                restore();
                previous(info);
            } else if let Ok(mut kept) = DEFERRED.lock() {
                kept.push(format!(
                    "thread '{}' {info}",
                    here.name().unwrap_or("<unnamed>")
                ));
            }
        }));
    });
}

/// The terminal in raw mode on the alternate screen; restored on drop.
pub struct Session {
    pub terminal: Terminal<Backend>,
    quiet: Arc<AtomicBool>,
}

impl Session {
    pub fn start() -> io::Result<Session> {
        install_panic_hook();
        if let Ok(mut t) = UI_THREAD.lock() {
            *t = Some(thread::current().id());
        }
        terminal::enable_raw_mode()?;
        let quiet = Arc::new(AtomicBool::new(false));
        let mut out = TermOut {
            out: BufWriter::with_capacity(64 * 1024, io::stdout()),
            quiet: Arc::clone(&quiet),
        };
        if let Err(e) = execute!(out, terminal::EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(out)) {
            Ok(terminal) => Ok(Session { terminal, quiet }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore();
        self.quiet.store(true, Ordering::Relaxed);
        if let Ok(mut t) = UI_THREAD.lock() {
            *t = None;
        }
        if let Ok(mut kept) = DEFERRED.lock() {
            for message in kept.drain(..) {
                // Not eprintln!: on a terminal that went away it would panic.
                crate::cli::output::err_line(&message);
            }
        }
    }
}
