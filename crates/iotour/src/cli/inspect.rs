//! `iotour inspect PATH…`: see [`crate::inspect`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::output::{Output, err_line, json_line};
use super::{Global, Watch, parse_seconds};
use crate::app::{App, InspectSetup};
use crate::exit::Exit;
use crate::inspect::table;
use crate::tui::{self, NoEngine, clock::time_of_day as clock};
use iotour_core::inspect::range::ByteRange;
use iotour_core::inspect::report::SortKey;
use iotour_core::inspect::walk::WalkOptions;
use iotour_core::inspect::{self as measure, Options, Probe};
use iotour_core::probe::pages::page_size;
use iotour_core::scenario::Lang;

/// `--sort`: the command line's names for [`SortKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortArg {
    /// Most dirty pages first (unknown last).
    Dirty,
    /// Most cached pages first (unknown last).
    Cached,
    /// By path, the order of the walk.
    Path,
}

impl From<SortArg> for SortKey {
    fn from(a: SortArg) -> SortKey {
        match a {
            SortArg::Dirty => SortKey::Dirty,
            SortArg::Cached => SortKey::Cached,
            SortArg::Path => SortKey::Path,
        }
    }
}

/// Cells in the page map of a single file: 4 rows of 64.
const MAP_CELLS: usize = 4 * table::MAP_COLUMNS;

#[derive(Debug, Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each bool is a command-line flag"
)]
pub struct InspectArgs {
    /// Files and directories (directories are walked recursively, hidden files included).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print one JSON object (with --watch: one per refresh, one per line).
    #[arg(long)]
    pub json: bool,
    /// Refresh every SECONDS until Ctrl-C.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub watch: Option<Duration>,
    /// Only this byte range of the one file named, e.g. 0..64MiB or 1GiB.. (zoom).
    #[arg(long, value_name = "START..END")]
    pub range: Option<ByteRange>,
    /// Order of the files.
    #[arg(long, value_enum, default_value_t = SortArg::Path)]
    pub sort: SortArg,
    /// Directory levels to descend below a named directory (1: its own files only).
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,
    /// Print the table once even on a terminal (instead of the live view).
    #[arg(long, conflicts_with_all = ["json", "watch"])]
    pub plain: bool,
    /// How often the live view (on a terminal) measures again.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, default_value = "1")]
    pub refresh: Duration,
    /// Follow symbolic links found inside directories (links named on the
    /// command line are always followed); each directory is entered once, so
    /// a link loop ends.
    #[arg(short = 'L', long)]
    pub follow: bool,
    /// Stay on the filesystem of each named path: do not descend into
    /// directories of other mounts (as `du -x`). Pseudo filesystems (/proc,
    /// /sys, devtmpfs, cgroup, tracefs, …) are left out in any case unless
    /// named.
    #[arg(short = 'x', long)]
    pub one_file_system: bool,
}

pub fn run(global: &Global, args: InspectArgs) -> anyhow::Result<Exit> {
    // Text follows --lang (else the locale); JSON is always the same.
    let lang = super::list::lang(global);
    let probe = Probe::from_env()?;
    let opts = Options {
        walk: WalkOptions {
            max_depth: args.max_depth,
            follow: args.follow,
            one_file_system: args.one_file_system,
        },
        range: args.range,
        // The map is drawn in the table only; JSON has no place for it.
        map_cells: if args.json { 0 } else { MAP_CELLS },
        sort: args.sort.into(),
    };
    let out = Output::new();
    let live = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if live && !args.json && !args.plain && args.watch.is_none() {
        // Bad input (a path that does not exist, a --range over several
        // files) is said before the terminal is taken.
        for path in &args.paths {
            if let Err(e) = std::fs::metadata(path)
                && e.kind() == std::io::ErrorKind::NotFound
            {
                anyhow::bail!("{}: {e}", path.display());
            }
        }
        measure::inspect(&args.paths, &opts, &probe)?;
        let setup = InspectSetup {
            paths: args.paths,
            options: opts,
            every: args.refresh,
        };
        let (app, effects) = App::inspect(setup, lang);
        return Ok(tui::run_to_exit(app, effects, NoEngine)?.0);
    }
    let Some(every) = args.watch else {
        let report = measure::inspect(&args.paths, &opts, &probe)?;
        out.print(&format(&report, args.json, lang)?)?;
        say_missing(&report);
        return Ok(Exit::Status(report.exit_code()));
    };
    let watch = Watch::new();
    let clear = std::io::stdout().is_terminal() && !args.json;
    loop {
        let report = measure::inspect(&args.paths, &opts, &probe)?;
        let mut text = format(&report, args.json, lang)?;
        if !args.json {
            let (secs, at) = (every.as_secs_f64(), clock());
            let head = t!(
                lang,
                "cli.inspect_every",
                secs = format!("{secs:.2}"),
                at = at
            );
            text = format!("{head}\n{text}\n");
        }
        if clear {
            // Like watch(1): each refresh replaces the last.
            out.clear_screen()?;
        }
        out.print(&text)?;
        if let Some(sig) = watch.sleep(every) {
            return Ok(Exit::Signal(sig));
        }
    }
}

/// Named paths that do not exist, said on standard error too (they are in
/// the report, and make the exit code 2).
fn say_missing(report: &iotour_core::inspect::report::InspectReport) {
    if report.totals.missing == 0 {
        return;
    }
    for f in &report.files {
        if let Some(err) = &f.error
            && err.contains("No such file")
        {
            err_line(&format!("iotour: {}: {err}", f.path));
        }
    }
}

fn format(
    report: &iotour_core::inspect::report::InspectReport,
    json: bool,
    lang: Lang,
) -> anyhow::Result<String> {
    Ok(if json {
        json_line(report)?
    } else {
        table::render_in(report, page_size(), lang)
    })
}
