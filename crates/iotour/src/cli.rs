//! The command line: one enum of subcommands, one `run` function each, in
//! `cli/<name>.rs`. Each returns how it ended as an [`Exit`]; [`main`] turns
//! that into the exit status of the contract in [`crate::exit`] (0 success,
//! 1 failed, 2 bad input, 128 + N signal N, 141 a closed standard output).
//! Everything a command prints goes through [`output`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::{self, Exit};
use output::{err_line, is_closed_pipe};

mod check;
#[cfg(target_os = "linux")]
mod compare;
pub mod docs;
#[cfg(target_os = "linux")]
mod inspect;
mod list;
mod new;
pub mod output;
mod replay;
mod report;
mod run;
#[cfg(target_os = "linux")]
mod stats;
#[cfg(target_os = "linux")]
mod trace;
#[cfg(target_os = "linux")]
mod verify;

#[derive(Debug, Parser)]
#[command(name = "iotour", version, about = "Watch the Linux I/O path happen", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Options of the picker and live view when no subcommand is given.
    #[command(flatten)]
    pub tui: run::TuiFlags,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand understands.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Another directory of scenario files (repeatable); `./scenarios/` is always read.
    #[arg(long = "scenarios", value_name = "DIR", global = true)]
    pub scenario_dirs: Vec<PathBuf>,
    /// Language of narration, titles and summaries (default: from LANG).
    #[arg(long, value_enum, global = true)]
    pub lang: Option<LangArg>,
    /// Create the private working directory under DIR.
    #[arg(long, value_name = "DIR", global = true)]
    pub workdir: Option<PathBuf>,
    /// Refuse scenarios whose working file or mappings would exceed SIZE.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", global = true)]
    pub max_size: String,
    /// How often the sampler reads system and file page state.
    #[arg(long, value_name = "HZ", default_value_t = 20, global = true)]
    pub sample_hz: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Zh,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the scenarios: built-in, ./scenarios/ and --scenarios DIR.
    List(list::ListArgs),
    /// Run a scenario (by id or path to a .toml file).
    #[cfg(target_os = "linux")]
    Run(run::RunArgs),
    /// Run scenarios one after another and compare their totals (B/A).
    #[cfg(target_os = "linux")]
    Compare(compare::CompareArgs),
    /// Play a recording in the TUI (--headless: print its report; --cast: write an
    /// asciinema recording of the run view); runs nothing.
    Replay(replay::ReplayArgs),
    /// Make a one-page handout of a recording (SVG, PDF): questions, figures,
    /// expected vs measured, charts.
    Report(report::ReportArgs),
    /// Validate scenario files without running them.
    Check(check::CheckArgs),
    /// Write a commented starter scenario, NAME.toml, that passes `check`.
    New(new::NewArgs),
    /// Print shell completions for bash, zsh or fish (and others).
    Completions(docs::CompletionsArgs),
    /// Print the man page, iotour(1), in roff.
    Man,
    /// Run scenarios headless and check their expectations (all built-ins by default).
    #[cfg(target_os = "linux")]
    Verify(verify::VerifyArgs),
    /// Show how much of each file is cached, dirty and under writeback.
    #[cfg(target_os = "linux")]
    Inspect(inspect::InspectArgs),
    /// Show the system's dirty-page state and who is writing.
    #[cfg(target_os = "linux")]
    Stats(stats::StatsArgs),
    /// Trace any program: its syscalls, the files they touch and those
    /// files' page cache (`iotour trace -- CMD [ARGS...]` or `--pid PID`).
    #[cfg(target_os = "linux")]
    Trace(trace::TraceArgs),
}

/// `iotour` with no subcommand where scenarios cannot run.
#[cfg(not(target_os = "linux"))]
fn not_linux() -> anyhow::Result<Exit> {
    output::Output::new().line(
        "iotour runs scenarios on Linux only. Here: `iotour replay FILE` and \
         `iotour report FILE --svg OUT.svg` on a recording made with --record, \
         `iotour list` and `iotour check FILE`.",
    )?;
    Ok(Exit::Status(exit::SUCCESS))
}

/// Seconds as typed (`0.5`, `2`) into a duration; at least 10 ms, so a
/// refresh loop cannot spin.
pub fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !v.is_finite() || v < 0.01 {
        return Err(format!("`{s}`: must be at least 0.01 seconds"));
    }
    Ok(std::time::Duration::from_secs_f64(v))
}

/// The clock of the `--watch` refresh loops: a sleep that ends early when a
/// signal arrives (through the one signal path), so a loop stops between
/// two refreshes, never halfway through printing one.
pub struct Watch {
    signals: std::sync::mpsc::Receiver<i32>,
    _subscription: crate::tui::signals::Subscription,
}

impl Watch {
    pub fn new() -> Watch {
        let (tx, signals) = std::sync::mpsc::channel();
        let subscription = crate::tui::signals::subscribe(tx, |sig| sig);
        Watch {
            signals,
            _subscription: subscription,
        }
    }

    /// Sleep for `d`; the signal that ended it early, if one did.
    pub fn sleep(&self, d: std::time::Duration) -> Option<i32> {
        self.signals.recv_timeout(d).ok()
    }
}

impl Default for Watch {
    fn default() -> Self {
        Watch::new()
    }
}

/// Parse the command line and run it; the exit status of the contract in
/// [`crate::exit`].
pub fn main() -> ExitCode {
    // First, so that no signal of the whole run can be missed.
    if let Err(e) = crate::tui::signals::install() {
        err_line(&format!("iotour: cannot watch for signals: {e}"));
        return ExitCode::from(exit::FAILED);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help, --version (0) or a usage error (2), printed by clap; into
        // a closed pipe, as every other output: 141.
        Err(e) => {
            let status = u8::try_from(e.exit_code()).unwrap_or(exit::BAD_INPUT);
            return match e.print() {
                Err(io) if io.kind() == std::io::ErrorKind::BrokenPipe => Exit::ClosedPipe.code(),
                _ => ExitCode::from(status),
            };
        }
    };
    let mut ending = match dispatch(cli) {
        Ok(ending) => ending,
        // Quietly, as `yes | head -1` ends: the reader wanted no more.
        Err(err) if is_closed_pipe(&err) => Exit::ClosedPipe,
        Err(err) => {
            err_line(&format!("iotour: {err:#}"));
            Exit::Status(exit::BAD_INPUT)
        }
    };
    // A signal ends the program with 128 + N however late it came: while
    // the working file was being removed after the last step, or while the
    // report was printed.
    if let Some(sig) = crate::tui::signals::received() {
        ending = Exit::Signal(sig);
    }
    ending.code()
}

fn dispatch(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Some(Command::List(args)) => list::run(&cli.global, &args),
        #[cfg(target_os = "linux")]
        Some(Command::Run(args)) => run::run(&cli.global, args),
        Some(Command::Check(args)) => check::run(&cli.global, &args),
        Some(Command::New(args)) => new::run(&cli.global, &args),
        Some(Command::Completions(args)) => docs::run_completions(&args),
        Some(Command::Man) => docs::run_man(),
        Some(Command::Report(args)) => report::run(&cli.global, &args),
        Some(Command::Replay(args)) => replay::run(&cli.global, &args),
        #[cfg(target_os = "linux")]
        Some(Command::Compare(args)) => compare::run(&cli.global, &args),
        #[cfg(target_os = "linux")]
        Some(Command::Verify(args)) => verify::run(&cli.global, &args),
        #[cfg(target_os = "linux")]
        Some(Command::Inspect(args)) => inspect::run(&cli.global, args),
        #[cfg(target_os = "linux")]
        Some(Command::Stats(args)) => stats::run(&cli.global, &args),
        #[cfg(target_os = "linux")]
        Some(Command::Trace(args)) => trace::run(&cli.global, &args),
        #[cfg(target_os = "linux")]
        None => run::default(&cli.global, &cli.tui),
        #[cfg(not(target_os = "linux"))]
        None => not_linux(),
    }
}
