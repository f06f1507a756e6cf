//! `iotour stats`: see [`crate::stats`].

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;

use super::output::{Output, json_line};
use super::{Global, Watch, parse_seconds};
use crate::app::{App, StatsSetup};
use crate::exit::{self, Exit};
use crate::stats::report::StatsReport;
use crate::stats::text;
use crate::tui::{self, NoEngine, clock::time_of_day as clock};
use iotour_core::stats::procio::Names;
use iotour_core::stats::sample::Sample;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print one JSON object (with --watch: one per refresh, one per line).
    #[arg(long)]
    pub json: bool,
    /// Refresh every SECONDS until Ctrl-C; rates are then over the time since the last refresh.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub watch: Option<Duration>,
    /// The window the first (or only) set of rates is measured over; in the
    /// live dashboard, the time between samples.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, default_value = "1")]
    pub interval: Duration,
    /// Print one snapshot as text even on a terminal (instead of the live dashboard).
    #[arg(long, conflicts_with_all = ["json", "watch"])]
    pub plain: bool,
    /// How many of the busiest writing processes to show.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
}

pub fn run(global: &Global, args: &StatsArgs) -> anyhow::Result<Exit> {
    // Text follows --lang (else the locale); JSON is always the same.
    let lang = super::list::lang(global);
    let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if terminal && !args.json && !args.plain && args.watch.is_none() {
        // One sample per --interval, each the rate window of the next.
        let setup = StatsSetup {
            every: args.interval,
            top: args.top,
        };
        let (app, effects) = App::stats(setup, lang);
        return Ok(tui::run_to_exit(app, effects, NoEngine)?.0);
    }
    // A signal ends the wait for the first window, or a refresh loop
    // between two refreshes, never halfway through printing one.
    let watch = Watch::new();
    let out = Output::new();
    let clear = args.watch.is_some() && std::io::stdout().is_terminal() && !args.json;
    let mut names = Names::default();
    let mut before = Sample::read(&mut names);
    if let Some(sig) = watch.sleep(args.interval) {
        return Ok(Exit::Signal(sig));
    }
    loop {
        let now = Sample::read(&mut names);
        let report = StatsReport::between(&before, &now, args.top);
        let mut text = if args.json {
            json_line(&report)?
        } else {
            text::render_in(&report, lang)
        };
        if let (Some(every), false) = (args.watch, args.json) {
            let (secs, at) = (every.as_secs_f64(), clock());
            let head = t!(
                lang,
                "cli.stats_every",
                secs = format!("{secs:.2}"),
                at = at
            );
            text = format!("{head}\n\n{text}\n");
        }
        if clear {
            out.clear_screen()?;
        }
        out.print(&text)?;
        let Some(every) = args.watch else {
            return Ok(Exit::Status(exit::SUCCESS));
        };
        before = now;
        if let Some(sig) = watch.sleep(every) {
            return Ok(Exit::Signal(sig));
        }
    }
}
