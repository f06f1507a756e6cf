//! `iotour stats`: see [`crate::stats`].

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::Global;
use crate::inspect::watch::{Stop, clock, parse_seconds};
use crate::stats::report::StatsReport;
use crate::stats::text;
use iotour_core::scenario::Lang;
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

pub fn run(global: &Global, args: StatsArgs) -> anyhow::Result<ExitCode> {
    // Text follows --lang (else the locale); JSON is always the same.
    let lang = super::list::lang(global);
    let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if terminal && !args.json && !args.plain && args.watch.is_none() {
        // One sample per --interval, each the rate window of the next.
        return crate::stats::live::run(args.interval, args.interval, args.top, lang);
    }
    // Only a refresh loop catches Ctrl-C (to stop between refreshes); a
    // one-shot interrupted mid-window dies as usual, printing nothing.
    let stop = match args.watch {
        Some(_) => Some(Stop::on_signals()?),
        None => None,
    };
    let sleep = |d: Duration| match &stop {
        Some(stop) => stop.sleep(d),
        None => {
            std::thread::sleep(d);
            true
        }
    };
    let stdout = std::io::stdout();
    let clear = args.watch.is_some() && stdout.is_terminal() && !args.json;
    let mut before = Sample::read();
    if !sleep(args.interval) {
        return Ok(ExitCode::SUCCESS);
    }
    loop {
        let now = Sample::read();
        let report = StatsReport::between(&before, &now, args.top);
        let mut out = if args.json {
            serde_json::to_string(&report)? + "\n"
        } else {
            text::render_in(&report, lang)
        };
        if let (Some(every), false) = (args.watch, args.json) {
            let (secs, at) = (every.as_secs_f64(), clock());
            out = match lang {
                Lang::En => format!("iotour stats, every {secs:.2}s, at {at} UTC\n\n{out}\n"),
                Lang::Zh => format!("iotour stats，每 {secs:.2} 秒，{at} UTC\n\n{out}\n"),
            };
        }
        if clear {
            out.insert_str(0, "\x1b[H\x1b[2J");
        }
        let mut lock = stdout.lock();
        let written = lock.write_all(out.as_bytes()).and_then(|()| lock.flush());
        drop(lock);
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            Err(e) => return Err(e.into()),
            Ok(()) => {}
        }
        let Some(every) = args.watch else {
            return Ok(ExitCode::SUCCESS);
        };
        before = now;
        if !sleep(every) {
            return Ok(ExitCode::SUCCESS);
        }
    }
}
