use std::process::ExitCode;

use clap::Args;

use super::Global;

#[derive(Debug, Args)]
pub struct StatsArgs {}

pub fn run(_global: &Global, _args: StatsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`stats` is not built yet")
}
