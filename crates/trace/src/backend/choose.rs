//! `--backend auto|perf|ptrace`: which backends to try, in order, and why.

use std::collections::VecDeque;

use crate::TraceError;
use crate::config::BackendChoice;
use crate::event::Backend;
use crate::perf;

/// The backends to try in order; `notes` gets the reason for each choice.
pub(crate) fn order(
    choice: BackendChoice,
    notes: &mut Vec<String>,
) -> Result<VecDeque<Backend>, TraceError> {
    match choice {
        BackendChoice::Perf => match perf::probe() {
            Ok(()) => {
                notes.push("backend perf: requested".into());
                Ok(VecDeque::from([Backend::Perf]))
            }
            Err(why) => Err(TraceError::BackendUnavailable {
                backend: "perf",
                why,
            }),
        },
        BackendChoice::Ptrace => {
            notes.push("backend ptrace: requested".into());
            Ok(VecDeque::from([Backend::Ptrace]))
        }
        BackendChoice::Auto => match perf::probe() {
            Ok(()) => {
                notes.push(
                    "backend perf: perf_event_open on raw_syscalls works for this user (auto)"
                        .into(),
                );
                Ok(VecDeque::from([Backend::Perf, Backend::Ptrace]))
            }
            Err(why) => {
                notes.push(format!("backend ptrace (auto): perf is not usable: {why}"));
                Ok(VecDeque::from([Backend::Ptrace]))
            }
        },
    }
}
