//! Helpers shared by the front's test modules.

pub mod headless;
pub mod pty;
pub mod render;
pub mod script;
#[path = "../../core/tests/support/small_fs.rs"]
pub mod small_fs;
pub mod unprivileged;
pub mod watch;
// Shared with examples/fidelity.rs, which uses the parts the tests do not.
#[allow(dead_code)]
pub mod witness;

/// The repository's top directory (the workspace root).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
