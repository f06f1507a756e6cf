//! Helpers shared by the core's test modules.

pub mod engine;
pub mod small_fs;

/// The repository's top directory (the workspace root).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
