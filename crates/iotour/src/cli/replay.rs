//! `iotour replay FILE`: play a recording in the TUI with the live view's
//! keys, running nothing. One scenario opens its run view; a compare
//! recording opens the side-by-side view. `--headless` prints the recorded
//! reports (and, for several scenarios, their comparison) instead.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;

use super::Global;
use super::output::{Output, json_pretty};
use super::run::{TuiFlags, localize};
use crate::app::App;
use crate::compare::{Comparison, table as compare_table};
use crate::exit::{self, Exit};
use crate::replay::ReplayLauncher;
use crate::report::{RunReport, json, table};
use crate::tui;
use iotour_core::outcome::RunOutcome;
use iotour_core::record::Recording;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recording made with `run --record` or `compare --record`.
    pub recording: PathBuf,
    /// Print the recorded report instead of opening the TUI.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: print the recorded report(s) as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the run view as an asciinema v2 recording instead of showing it.
    #[arg(long, value_name = "OUT.cast")]
    pub cast: Option<PathBuf>,
    /// The terminal size of --cast, WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "120x40", requires = "cast")]
    pub size: crate::asciicast::Size,
    #[command(flatten)]
    pub tui: TuiFlags,
}

pub fn run(global: &Global, args: &ReplayArgs) -> anyhow::Result<Exit> {
    let rec = Recording::load(&args.recording)?;
    let lang = super::list::lang(global);
    #[cfg(target_os = "linux")]
    if rec.header.trace.is_some() {
        return trace(rec, args, lang);
    }
    if let Some(path) = &args.cast {
        let text = crate::asciicast::render(&rec, args.size, lang, args.tui.speed)?;
        std::fs::write(path, text).with_context(|| format!("{}", path.display()))?;
        super::output::err_line(&format!("wrote {}", path.display()));
        return Ok(Exit::Status(exit::SUCCESS));
    }
    let plans = rec.plans()?;
    if !args.headless && !args.json && std::io::stdout().is_terminal() {
        let launcher = ReplayLauncher::new(Arc::new(rec));
        let speed = args.tui.speed;
        let (mut app, effects) = match <[_; 1]>::try_from(plans) {
            Ok([plan]) => App::single(plan, lang, args.tui.predict, speed),
            Err(plans) => App::compare(plans, lang, speed),
        };
        app.theme = args.tui.theme;
        return Ok(tui::run_to_exit(app, effects, launcher)?.0);
    }
    let mut runs: Vec<(RunOutcome, _)> = Vec::new();
    for (i, (report, plan)) in rec.reports().into_iter().zip(plans).enumerate() {
        let Some(report) = report else {
            anyhow::bail!(
                "{}: scenario {} ({}) never finished in this recording",
                args.recording.display(),
                i,
                rec.header.scenarios[i]
            );
        };
        let mut report = report.clone();
        localize(&mut report, &plan, lang);
        runs.push((report, plan));
    }
    let out = Output::new();
    if args.json {
        if let [(report, _)] = runs.as_slice() {
            out.line(&json::render(report)?)?;
        } else {
            let reports: Vec<RunReport> = runs.iter().map(|(r, _)| RunReport::from(r)).collect();
            out.line(&json_pretty(&reports)?)?;
        }
    } else {
        // The recording names the machine that ran it; this names the one
        // showing it, which may be another (another OS, even).
        let here = iotour_core::machine::Machine::here();
        out.line(&format!("replayed on: {}", table::machine_line(&here)))?;
        for (report, _) in &runs {
            out.print(&table::render(report))?;
            out.line("")?;
        }
        if runs.len() > 1 {
            out.print(&compare_table::render(&Comparison::new(&runs)))?;
        }
    }
    Ok(Exit::Status(if runs.iter().all(|(r, _)| r.ok) {
        exit::SUCCESS
    } else {
        exit::FAILED
    }))
}

/// A trace recording: the trace screen played at the recorded pace, or the
/// report the recorded events fold into (the same fold `iotour trace` uses,
/// so the numbers are the ones it printed).
#[cfg(target_os = "linux")]
fn trace(
    rec: Recording,
    args: &ReplayArgs,
    lang: iotour_core::scenario::Lang,
) -> anyhow::Result<Exit> {
    use iotour_core::record::Recorded;
    if !args.headless && !args.json && std::io::stdout().is_terminal() {
        return tui::trace::replay(rec, args.tui.speed, lang);
    }
    let mut acc = iotour_core::trace::TraceAccumulator::new();
    for line in &rec.lines {
        if let Recorded::Trace(e) = &line.event {
            acc.push(e);
        }
    }
    let report = acc.report();
    let out = Output::new();
    if args.json {
        out.line(&json_pretty(&report)?)?;
    } else {
        out.print(&crate::report::trace::render(&report))?;
    }
    Ok(Exit::Status(exit::SUCCESS))
}
