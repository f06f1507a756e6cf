use std::process::ExitCode;

use clap::Args;

use super::Global;

#[derive(Debug, Args)]
pub struct InspectArgs {}

pub fn run(_global: &Global, _args: InspectArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`inspect` is not built yet")
}
