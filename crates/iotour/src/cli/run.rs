//! `iotour run SCENARIO`: the live TUI when standard output is a terminal;
//! with `--headless` (or when piped) run the engine at full speed with no UI,
//! print the report as a table (or JSON), exit 0 when every step ran and every
//! expectation held, 1 otherwise, 2 on bad input.
//!
//! Ctrl-C (SIGINT), SIGTERM and SIGHUP abort the run; dropping the engine
//! removes the working directory before the process exits 128 + signal.

#[cfg(target_os = "linux")]
use std::io::IsTerminal;
use std::path::PathBuf;
#[cfg(target_os = "linux")]
use std::sync::mpsc::channel;

#[cfg(target_os = "linux")]
use anyhow::Context as _;
use std::fmt::Write as _;

use clap::Args;

#[cfg(target_os = "linux")]
use super::Global;
#[cfg(target_os = "linux")]
use super::output::{Output, err_line};
#[cfg(target_os = "linux")]
use crate::app::App;
#[cfg(target_os = "linux")]
use crate::exit::{self, Exit};
#[cfg(target_os = "linux")]
use crate::record::RecordingLauncher;
#[cfg(target_os = "linux")]
use crate::report::{json, table};
#[cfg(target_os = "linux")]
use crate::sanitize::safe;
#[cfg(target_os = "linux")]
use crate::tui;
#[cfg(target_os = "linux")]
use iotour_core::engine::EngineConfig;
use iotour_core::engine::Speed;
#[cfg(target_os = "linux")]
use iotour_core::engine::{self, ExecEvent, Snapshot};
use iotour_core::outcome::RunOutcome;
#[cfg(target_os = "linux")]
use iotour_core::probe::Disabled;
use iotour_core::record::{self, Recorder, ScenarioFile};
#[cfg(target_os = "linux")]
use iotour_core::scenario::Catalog;
use iotour_core::scenario::{Lang, Plan};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A built-in scenario id, a scenario in ./scenarios/ or --scenarios DIR, or a path to a .toml file.
    pub scenario: String,
    /// Print the report instead of opening the TUI (the default when output is not a terminal).
    #[arg(long)]
    pub headless: bool,
    /// With --headless: print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also write every event of the run to FILE (JSON Lines; see `iotour replay`).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Leave the working directory and its file on disk after a finished run
    /// (its path is the report's `environment.workdir`), so the file's page
    /// cache can be inspected with fincore, vmtouch or `iotour inspect`.
    /// Removing it is then up to you (later runs leave it alone). Aborted
    /// runs still remove it.
    #[arg(long)]
    pub keep_workdir: bool,
    #[command(flatten)]
    pub tui: TuiFlags,
}

/// Options of the live view, for `iotour run` and `iotour` with no subcommand.
#[derive(Debug, Clone, Args)]
pub struct TuiFlags {
    /// Pause before each step that asks a question and hide its figures until it ran.
    #[arg(long)]
    pub predict: bool,
    /// Starting pace of the live view: 1/4, 1/2, 1, 2, 4, 8 or max.
    #[arg(long, value_name = "SPEED", default_value = "1", value_parser = parse_speed)]
    pub speed: Speed,
    /// Colours of the live view: dark, light or projector (high contrast,
    /// bold, nothing dim); `t` cycles them. NO_COLOR keeps only bold and
    /// reversed.
    #[arg(long, value_name = "THEME", default_value = "dark", value_parser = crate::ui::theme::ThemeName::parse)]
    pub theme: crate::ui::theme::ThemeName,
}

pub(super) fn parse_speed(s: &str) -> Result<Speed, String> {
    let s = s.trim();
    // "max" ends in an x too: name it before the × suffix is trimmed.
    if s == "max" {
        return Ok(Speed::Max);
    }
    Ok(match s.trim_end_matches(['x', '×']) {
        "1/4" | "0.25" | ".25" => Speed::Quarter,
        "1/2" | "0.5" | ".5" => Speed::Half,
        "1" => Speed::One,
        "2" => Speed::Two,
        "4" => Speed::Four,
        "8" => Speed::Eight,
        "max" => Speed::Max,
        _ => {
            return Err(format!(
                "`{s}` is not a speed (1/4, 1/2, 1, 2, 4, 8 or max)"
            ));
        }
    })
}

/// The events a headless run listens to (samples are ignored).
#[cfg(target_os = "linux")]
enum Headless {
    Exec(Box<ExecEvent>),
    Sample,
    Signal(i32),
}

#[cfg(target_os = "linux")]
impl From<ExecEvent> for Headless {
    fn from(e: ExecEvent) -> Self {
        Headless::Exec(Box::new(e))
    }
}

#[cfg(target_os = "linux")]
impl From<Snapshot> for Headless {
    fn from(_: Snapshot) -> Self {
        Headless::Sample
    }
}

/// How a headless run ended.
#[cfg(target_os = "linux")]
pub enum Outcome {
    Report(Box<RunOutcome>),
    /// A termination signal arrived; the run was aborted and cleaned up.
    Signalled(i32),
}

/// The engine configuration the global flags ask for (headless: max speed).
#[cfg(target_os = "linux")]
pub fn engine_config(global: &Global) -> anyhow::Result<EngineConfig> {
    let max_size = iotour_core::size::parse_size(&global.max_size)
        .map_err(|e| anyhow::anyhow!("--max-size {}: {e}", global.max_size))?;
    let disabled = Disabled::from_env().map_err(anyhow::Error::msg)?;
    Ok(EngineConfig {
        workdir_parent: global.workdir.clone(),
        max_size,
        speed: Speed::Max,
        start_paused: false,
        sample_hz: global.sample_hz,
        disabled,
    })
}

/// Run `plan` to the end (or to a signal) with no UI.
#[cfg(target_os = "linux")]
pub fn run_headless(plan: Plan, config: EngineConfig) -> anyhow::Result<Outcome> {
    run_headless_recorded(plan, config, None).0
}

/// [`run_headless`], recording every event as scenario `index` when given a
/// recorder; the recorder comes back (also after a failed run, whose events
/// it holds) for the next scenario or for [`Recorder::finish`].
#[cfg(target_os = "linux")]
pub fn run_headless_recorded(
    plan: Plan,
    config: EngineConfig,
    recorder: Option<(Recorder, usize)>,
) -> (anyhow::Result<Outcome>, Option<Recorder>) {
    run_headless_keeping(plan, config, recorder, false)
}

/// [`run_headless_recorded`], leaving the working directory on disk after a
/// finished run when `keep` is set (`--keep-workdir`).
#[cfg(target_os = "linux")]
pub fn run_headless_keeping(
    plan: Plan,
    config: EngineConfig,
    recorder: Option<(Recorder, usize)>,
    keep: bool,
) -> (anyhow::Result<Outcome>, Option<Recorder>) {
    let (tx, rx) = channel::<Headless>();
    let _signals = tui::signals::subscribe(tx.clone(), Headless::Signal);
    let id = plan.id().to_owned();
    let (started, tee) = match recorder {
        Some((rec, index)) => match record::tee(rec, index, tx) {
            Ok((tee_tx, tee)) => (engine::start(plan, config, tee_tx), Some(tee)),
            Err(e) => return (Err(anyhow::anyhow!("cannot start the recorder: {e}")), None),
        },
        None => (engine::start(plan, config, tx), None),
    };
    let started = started.with_context(|| format!("cannot run {id}"));
    let outcome = started.and_then(|engine| drive(engine, &id, &rx, keep));
    // The engine is gone, so the tee has seen its last event.
    (outcome, tee.map(record::Tee::finish))
}

/// Wait for the run's report, aborting on a termination signal.
#[cfg(target_os = "linux")]
fn drive(
    mut engine: engine::Engine,
    id: &str,
    rx: &std::sync::mpsc::Receiver<Headless>,
    keep: bool,
) -> anyhow::Result<Outcome> {
    loop {
        let Ok(ev) = rx.recv() else {
            drop(engine);
            anyhow::bail!("{id}: the engine stopped without a report");
        };
        match ev {
            Headless::Signal(sig) => {
                // Aborts the worker, joins both threads, removes the workdir.
                engine.abort();
                return Ok(Outcome::Signalled(sig));
            }
            Headless::Exec(e) => match *e {
                ExecEvent::Finished(report) => {
                    if keep && let Some(dir) = engine.keep_workdir() {
                        err_line(&format!(
                            "iotour: kept the working directory {}",
                            dir.display()
                        ));
                    }
                    // Removes the working directory: a big file takes a
                    // while, and a signal that came meanwhile still ends the
                    // run as a signal does.
                    drop(engine);
                    if let Some(sig) = rx.try_iter().find_map(|e| match e {
                        Headless::Signal(sig) => Some(sig),
                        _ => None,
                    }) {
                        return Ok(Outcome::Signalled(sig));
                    }
                    return Ok(Outcome::Report(Box::new(report)));
                }
                ExecEvent::Failed { error, .. } => {
                    drop(engine);
                    anyhow::bail!("{id}: {error}");
                }
                _ => {}
            },
            Headless::Sample => {}
        }
    }
}

#[cfg(target_os = "linux")]
pub fn run(global: &Global, args: RunArgs) -> anyhow::Result<Exit> {
    let plan = Catalog::load(&global.scenario_dirs)
        .resolve(&args.scenario)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = engine_config(global)?;
    let lang = super::list::lang(global);
    if !args.headless && !args.json && std::io::stdout().is_terminal() {
        let config = EngineConfig {
            speed: args.tui.speed,
            ..config
        };
        let (mut app, effects) = App::single(plan, lang, args.tui.predict, config.speed);
        app.theme = args.tui.theme;
        let Some(path) = args.record else {
            let launcher = tui::EngineLauncher::new(config);
            return Ok(tui::run_to_exit(app, effects, launcher)?.0);
        };
        let hz = config.sample_hz;
        let launcher = RecordingLauncher::new(tui::EngineLauncher::new(config), path, hz);
        let errors = launcher.errors();
        let code = tui::run_to_exit(app, effects, launcher)?.0;
        if let Some(e) = errors.lock().ok().and_then(|mut e| e.take()) {
            return Err(e.into());
        }
        return Ok(code);
    }
    let texts = plan.clone();
    let recorder = match &args.record {
        Some(path) => Some((
            Recorder::create(path, vec![ScenarioFile::of(&plan)?], config.sample_hz)?,
            0,
        )),
        None => None,
    };
    let (outcome, recorder) = run_headless_keeping(plan, config, recorder, args.keep_workdir);
    if let Some(r) = recorder {
        r.finish()?;
    }
    match outcome? {
        Outcome::Signalled(sig) => {
            err_line("iotour: interrupted; the working directory was removed");
            Ok(Exit::Signal(sig))
        }
        Outcome::Report(mut report) => {
            localize(&mut report, &texts, lang);
            let out = Output::new();
            if args.json {
                out.line(&json::render(&report)?)?;
            } else {
                out.print(&table::render(&report))?;
            }
            Ok(Exit::Status(if report.ok {
                exit::SUCCESS
            } else {
                exit::FAILED
            }))
        }
    }
}

/// The engine reports narration in English; show it in `lang` where the
/// scenario has a translation.
pub fn localize(report: &mut RunOutcome, plan: &Plan, lang: Lang) {
    report.title = plan.meta().title.get(lang).to_string();
    for (s, step) in report.steps.iter_mut().zip(plan.steps()) {
        s.say = step.say.as_ref().map(|t| t.get(lang).to_string());
    }
}

/// `iotour` with no subcommand: the scenario picker on a terminal, otherwise
/// the list of lessons and how to run one.
#[cfg(target_os = "linux")]
pub fn default(global: &Global, flags: &TuiFlags) -> anyhow::Result<Exit> {
    let catalog = Catalog::load(&global.scenario_dirs);
    let lang = super::list::lang(global);
    if std::io::stdout().is_terminal() {
        let plans: Vec<Plan> = catalog
            .entries()
            .iter()
            .filter_map(|e| e.plan.as_ref().ok().cloned())
            .collect();
        let config = EngineConfig {
            speed: flags.speed,
            ..engine_config(global)?
        };
        let mut app = App::picker(plans, lang, flags.predict, flags.speed);
        app.theme = flags.theme;
        let launcher = tui::EngineLauncher::new(config);
        return Ok(tui::run_to_exit(app, Vec::new(), launcher)?.0);
    }
    let mut text = String::from("Scenarios:\n");
    for e in catalog.entries() {
        let _ = writeln!(
            text,
            "  {:<24} {}",
            safe(&e.id),
            safe(e.title(lang).unwrap_or("(does not parse)"))
        );
    }
    text.push_str("\nRun one:  iotour run <id> --headless   (add --json for the full report)\n");
    text.push_str("Check all: iotour verify\n");
    Output::new().print(&text)?;
    Ok(Exit::Status(exit::SUCCESS))
}
