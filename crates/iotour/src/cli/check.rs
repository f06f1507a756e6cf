//! `iotour check FILE...`: validate scenario files without running them,
//! within the same limits `run` applies (`--max-size`, this machine's page
//! size: one check in the core, `Plan::check_limits`, used by both). Free
//! disk space and available memory are facts of the moment of a run, so
//! only `run` checks them; `check` says so.

use std::path::{Path, PathBuf};

use clap::Args;

use super::Global;
use super::output::{Output, err_line};
use crate::exit::{self, Exit};
use crate::sanitize::safe;
use iotour_core::scenario::{Limits, ScenarioError, check_file};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files to validate; a directory means every .toml file in it.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(global: &Global, args: &CheckArgs) -> anyhow::Result<Exit> {
    let max_size = iotour_core::size::parse_size(&global.max_size)
        .map_err(|e| anyhow::anyhow!("--max-size {}: {e}", global.max_size))?;
    let limits = Limits::here(max_size);
    let out = Output::new();
    let mut checked = 0;
    let mut failed = 0;
    for arg in &args.files {
        for outcome in expand(arg) {
            checked += 1;
            match outcome {
                Ok(path) => match check_file(&path, &limits) {
                    Ok(plan) => {
                        let n = plan.steps().len();
                        out.line(&format!(
                            "ok {} ({n} step{})",
                            safe(&path.display().to_string()),
                            if n == 1 { "" } else { "s" }
                        ))?;
                    }
                    Err(e) => {
                        failed += 1;
                        err_line(&format!("{e}\n"));
                    }
                },
                Err(message) => {
                    failed += 1;
                    err_line(&format!("{message}\n"));
                }
            }
        }
    }
    if failed < checked {
        err_line(
            "note: free disk space and available memory (MemAvailable) are checked only when a \
             scenario runs",
        );
    }
    if failed == 0 {
        return Ok(Exit::Status(exit::SUCCESS));
    }
    let files = if checked == 1 { "file" } else { "files" };
    err_line(&format!(
        "iotour: {failed} of {checked} scenario {files} failed the check"
    ));
    Ok(Exit::Status(exit::BAD_INPUT))
}

/// A file stands for itself; a directory for its `.toml` files, sorted. An
/// error (unreadable or empty directory) is a message, counted as a failure.
fn expand(arg: &Path) -> Vec<Result<PathBuf, String>> {
    if !arg.is_dir() {
        // parse_file reports a missing or unreadable file, naming it.
        return vec![Ok(arg.to_owned())];
    }
    let listing = match std::fs::read_dir(arg) {
        Ok(listing) => listing,
        Err(e) => return vec![Err(ScenarioError::read(arg, e).to_string())],
    };
    let mut files: Vec<PathBuf> = listing
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return vec![Err(format!(
            "{}: no .toml files in this directory",
            arg.display()
        ))];
    }
    files.into_iter().map(Ok).collect()
}
