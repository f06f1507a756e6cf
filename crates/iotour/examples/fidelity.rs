//! Write `docs/fidelity.md`: iotour's figures against independent witnesses
//! (strace, perf, fincore, vmtouch, cachestat from another process,
//! /proc/meminfo), one row per figure and step, with tolerance and verdict.
//!
//! ```console
//! # cargo run --release --example fidelity            # writes docs/fidelity.md
//! # cargo run --release --example fidelity -- --stdout
//! ```
//! Run it as root with the tools installed (`.ci/run` installs them); what
//! cannot be witnessed is listed at the end of the page. The iotour that runs
//! is this program itself (it re-executes itself as the CLI), so the figures
//! are the release build's. Exit 1 when a comparison fails.

// The tests' witnesses; this example uses part of them.
#[path = "../tests/support/witness.rs"]
#[allow(dead_code)]
mod witness;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Set in the child: behave as the `iotour` binary.
const AS_CLI: &str = "IOTOUR_FIDELITY_AS_CLI";

fn main() -> ExitCode {
    if std::env::var_os(AS_CLI).is_some() {
        return iotour::cli::main();
    }
    let to_stdout = std::env::args().any(|a| a == "--stdout");
    let iotour = witness::Iotour {
        bin: std::env::current_exe().expect("own path"),
        env: vec![(AS_CLI.into(), "1".into())],
    };
    // The workspace root: this example lives in crates/iotour.
    let root = &Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // The working files go under target/ (disk-backed, like the default).
    let base = root.join("target").join("fidelity");
    std::fs::create_dir_all(&base).expect("target/fidelity");
    let (found, machine) = witness::run_all(&iotour, &base);
    let md = witness::markdown(&found, &machine, "cargo run --release --example fidelity");
    if to_stdout {
        print!("{md}");
    } else {
        let out: PathBuf = root.join("docs").join("fidelity.md");
        std::fs::write(&out, &md).expect("write docs/fidelity.md");
        eprintln!(
            "wrote {} ({} rows, {} failed, {} skipped)",
            out.display(),
            found.rows.len(),
            found.failures().len(),
            found.skipped.len()
        );
    }
    if found.failures().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
