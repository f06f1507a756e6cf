use std::process::ExitCode;

use clap::Args;

use super::Global;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A built-in scenario id, a scenario in ./scenarios/ or --scenarios DIR, or a path to a .toml file.
    pub scenario: String,
    /// Print the report instead of opening the TUI.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(_global: &Global, _args: RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`run` is not built yet")
}

/// `iotour` with no subcommand.
pub fn default(_global: &Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the scenario picker is not built yet")
}
