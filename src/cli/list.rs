use std::process::ExitCode;

use clap::Args;

use super::Global;

#[derive(Debug, Args)]
pub struct ListArgs {}

pub fn run(_global: &Global, _args: ListArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`list` is not built yet")
}
