//! The exit-code contract, for every command and every screen, in one place
//! (the table is in README.md and docs/robustness.md):
//!
//! | status | meaning |
//! |---:|---|
//! | 0 | success |
//! | 1 | a step failed, an expectation did not hold, a path could not be measured, or the terminal went away (end-of-file or an error on it, without SIGHUP) |
//! | 2 | bad input: a scenario or recording that does not parse, a bad flag, a missing file |
//! | 128 + N | ended by signal N: 129 SIGHUP (a closed terminal), 130 SIGINT (Ctrl-C, also as a key in the TUI and the live views), 143 SIGTERM |
//! | 141 | the reader of standard output went away (`iotour list \| head`): 128 + SIGPIPE, what a shell reports for any Unix tool ended by a closed pipe; nothing is printed |
//!
//! Whatever ends the program, the working directory is removed first.

use std::process::ExitCode;

/// 0: everything ran and held.
pub const SUCCESS: u8 = 0;
/// 1: a step failed, an expectation did not hold, or the terminal went away.
pub const FAILED: u8 = 1;
/// 2: bad input.
pub const BAD_INPUT: u8 = 2;
/// SIGPIPE's number: a closed pipe ends the program as SIGPIPE would end a C tool.
const SIGPIPE: i32 = 13;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command's own status: [`SUCCESS`], [`FAILED`] or [`BAD_INPUT`]
    /// (or `inspect`'s 0 / 1).
    Status(u8),
    /// A signal ended it: 128 + the signal.
    Signal(i32),
    /// Standard output was closed by its reader: 141, quietly.
    ClosedPipe,
}

impl Exit {
    pub fn code(self) -> ExitCode {
        ExitCode::from(self.status())
    }

    /// The number the shell sees.
    pub fn status(self) -> u8 {
        match self {
            Exit::Status(s) => s,
            Exit::Signal(sig) => signal_status(sig),
            Exit::ClosedPipe => signal_status(SIGPIPE),
        }
    }
}

/// 128 + `sig`, within what an exit status can hold.
pub fn signal_status(sig: i32) -> u8 {
    u8::try_from((128 + sig).clamp(0, 255)).unwrap_or(u8::MAX)
}

/// [`ExitCode`] of 0 or [`FAILED`].
pub fn ok_or_failed(ok: bool) -> ExitCode {
    ExitCode::from(if ok { SUCCESS } else { FAILED })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_contract() {
        assert_eq!(Exit::Status(BAD_INPUT).status(), 2);
        assert_eq!(Exit::Signal(1).status(), 129);
        assert_eq!(Exit::Signal(2).status(), 130);
        assert_eq!(Exit::Signal(15).status(), 143);
        assert_eq!(Exit::ClosedPipe.status(), 141);
    }
}
