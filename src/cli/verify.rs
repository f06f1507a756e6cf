use std::process::ExitCode;

use clap::Args;

use super::Global;

#[derive(Debug, Args)]
pub struct VerifyArgs {}

pub fn run(_global: &Global, _args: VerifyArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`verify` is not built yet")
}
