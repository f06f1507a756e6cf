//! `iotour completions SHELL` and `iotour man`: shell completions and a man
//! page, generated from the clap definitions of [`Cli`], so they name every
//! subcommand and flag the program takes and cannot drift from it.
//!
//! ```sh
//! iotour completions bash > ~/.local/share/bash-completion/completions/iotour
//! iotour completions zsh  > ~/.zfunc/_iotour        # with fpath+=(~/.zfunc)
//! iotour completions fish > ~/.config/fish/completions/iotour.fish
//! iotour man > ~/.local/share/man/man1/iotour.1 && man iotour
//! ```

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use super::output::Output;
use crate::exit::{self, Exit};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "iotour", &mut out);
    out
}

/// The man page, iotour(1), in roff: the options and a SUBCOMMANDS section.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

pub fn run_completions(args: &CompletionsArgs) -> anyhow::Result<Exit> {
    Output::new().generated(&completions(args.shell))?;
    Ok(Exit::Status(exit::SUCCESS))
}

pub fn run_man() -> anyhow::Result<Exit> {
    Output::new().generated(&man_page()?)?;
    Ok(Exit::Status(exit::SUCCESS))
}
