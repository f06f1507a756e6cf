//! `iotour compare A B [C…] --headless [--json] [--record FILE]`: run the
//! scenarios one after another on this machine and print each one's totals
//! and their ratios to the first (see [`crate::compare`]).
//!
//! Exit codes as `run`: 0 all ran and every expectation held, 1 otherwise,
//! 2 bad input, 128 + signal when interrupted (the recording keeps what ran).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::Global;
use super::output::{Output, err_line, json_pretty};
use super::run::{Outcome, engine_config, localize, run_headless_recorded};
use crate::app::App;
use crate::compare::{Comparison, table};
use crate::exit::{self, Exit};
use crate::record::RecordingLauncher;
use crate::tui::{self, EngineLauncher};
use iotour_core::engine::{EngineConfig, Speed};
use iotour_core::record::{Recorder, ScenarioFile};
use iotour_core::scenario::{Catalog, Lang, Plan};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Two or more scenarios (ids or paths); each later one is divided by the first.
    #[arg(required = true, num_args = 2.., value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    /// Print the comparison instead of opening the TUI.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: print the totals and ratios as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also write every event of every run to FILE (one recording, a scenario index per line).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Starting pace of the side-by-side view: 1/4, 1/2, 1, 2, 4, 8 or max.
    #[arg(long, value_name = "SPEED", default_value = "1", value_parser = super::run::parse_speed)]
    pub speed: Speed,
}

pub fn run(global: &Global, args: &CompareArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::load(&global.scenario_dirs);
    let plans = args
        .scenarios
        .iter()
        .map(|s| catalog.resolve(s).map_err(|e| anyhow::anyhow!("{e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let config = engine_config(global)?;
    let lang = super::list::lang(global);
    if !args.headless && !args.json && std::io::stdout().is_terminal() {
        return side_by_side(&plans, config, lang, args);
    }
    let mut recorder = match &args.record {
        Some(path) => {
            let files = plans
                .iter()
                .map(ScenarioFile::of)
                .collect::<Result<Vec<_>, _>>()?;
            Some(Recorder::create(path, files, config.sample_hz)?)
        }
        None => None,
    };
    let mut runs = Vec::new();
    let mut stopped = None;
    for (index, plan) in plans.into_iter().enumerate() {
        let (outcome, back) = run_headless_recorded(
            plan.clone(),
            config.clone(),
            recorder.take().map(|r| (r, index)),
        );
        recorder = back;
        match outcome {
            Ok(Outcome::Report(mut report)) => {
                localize(&mut report, &plan, lang);
                runs.push((*report, plan));
            }
            Ok(Outcome::Signalled(sig)) => {
                stopped = Some(Ok(sig));
                break;
            }
            Err(e) => {
                stopped = Some(Err(e));
                break;
            }
        }
    }
    if let Some(r) = recorder {
        r.finish()?;
    }
    match stopped {
        Some(Ok(sig)) => {
            err_line("iotour: interrupted; the working directory was removed");
            return Ok(Exit::Signal(sig));
        }
        Some(Err(e)) => return Err(e),
        None => {}
    }
    let comparison = Comparison::new(&runs);
    let out = Output::new();
    if args.json {
        out.line(&json_pretty(&comparison)?)?;
    } else {
        out.print(&table::render(&comparison))?;
    }
    Ok(Exit::Status(if comparison.ok() {
        exit::SUCCESS
    } else {
        exit::FAILED
    }))
}

/// The TUI: each scenario's data path and page map side by side, the totals
/// and ratios below as each one finishes.
fn side_by_side(
    plans: &[Plan],
    config: EngineConfig,
    lang: Lang,
    args: &CompareArgs,
) -> anyhow::Result<Exit> {
    let config = EngineConfig {
        speed: args.speed,
        ..config
    };
    let hz = config.sample_hz;
    let engines = EngineLauncher::new(config);
    let (app, effects) = App::compare(plans.to_vec(), lang, args.speed);
    match &args.record {
        None => Ok(tui::run_to_exit(app, effects, engines)?.0),
        Some(path) => {
            let launcher = RecordingLauncher::sequence(engines, path, plans, hz)?;
            let (code, launcher) = tui::run_to_exit(app, effects, launcher)?;
            launcher.finish()?;
            Ok(code)
        }
    }
}
