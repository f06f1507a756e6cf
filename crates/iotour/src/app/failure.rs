//! [`Failure`]: an error that crossed a thread (an engine that could not
//! start, a measurer that failed) on its way to the screen, with its type
//! and its cause chain intact until it is shown. The App keeps it as it
//! came; a widget prints it with `{:#}` (every cause, `a: b: c`), and the
//! CLI can still downcast it to the error type it is.

use std::fmt;
use std::sync::Arc;

/// An error kept whole across threads: cheap to clone (the screen state is
/// cloned by tests and benches) and comparable (the state is `PartialEq`).
#[derive(Clone)]
pub struct Failure(Arc<anyhow::Error>);

impl Failure {
    /// Keep `error` with its type and causes.
    pub fn new<E>(error: E) -> Failure
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Failure(Arc::new(anyhow::Error::new(error)))
    }

    /// A failure that is a message only (an engine's own report of why a run
    /// stopped, which arrives as text from the engine's wire format).
    pub fn msg(message: impl Into<String>) -> Failure {
        Failure(Arc::new(anyhow::Error::msg(message.into())))
    }

    /// The error itself, e.g. to downcast it.
    pub fn error(&self) -> &anyhow::Error {
        &self.0
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure(Arc::new(e))
    }
}

impl fmt::Display for Failure {
    /// `{}`: the error's own message; `{:#}`: with every cause after it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            write!(f, "{:#}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Eq for Failure {}

impl PartialEq for Failure {
    /// The same failure, or one that says the same in full.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || format!("{self:#}") == format!("{other:#}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot start the recorder")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_type_and_the_cause_chain_survive() {
        let f = Failure::new(Outer(std::io::Error::other("disk full")));
        let moved = std::thread::spawn(move || f).join().unwrap();
        assert_eq!(moved.to_string(), "cannot start the recorder");
        assert_eq!(format!("{moved:#}"), "cannot start the recorder: disk full");
        assert!(moved.error().downcast_ref::<Outer>().is_some());
        assert_eq!(moved.clone(), moved);
        assert_ne!(moved, Failure::msg("cannot start the recorder"));
    }
}
