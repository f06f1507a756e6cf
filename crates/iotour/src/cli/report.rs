//! `iotour report FILE --svg OUT.svg`: draw a recording (see [`crate::plot`]).
//! Needs no kernel: it works on any machine the recording is copied to.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::Global;
use super::output::err_line;
use crate::exit::{self, Exit};
use crate::plot::{RunSeries, svg};
use iotour_core::record::Recording;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A recording made with `run --record` or `compare --record`.
    pub recording: PathBuf,
    /// Write the picture to this SVG file.
    #[arg(long, value_name = "OUT.svg")]
    pub svg: PathBuf,
}

pub fn run(_global: &Global, args: &ReportArgs) -> anyhow::Result<Exit> {
    let rec = Recording::load(&args.recording)?;
    let text = render(&rec)?;
    std::fs::write(&args.svg, text).with_context(|| format!("{}", args.svg.display()))?;
    err_line(&format!("wrote {}", args.svg.display()));
    Ok(Exit::Status(exit::SUCCESS))
}

/// The SVG of every scenario in `rec`, side by side.
pub fn render(rec: &Recording) -> anyhow::Result<String> {
    let runs: Vec<RunSeries> = (0..rec.header.scenarios.len())
        .map(|i| RunSeries::from_recording(rec, i))
        .collect();
    let h = &rec.header;
    let title = format!(
        "iotour {} — kernel {}, {}",
        h.scenarios.join(" vs "),
        h.kernel.as_deref().unwrap_or("?"),
        h.filesystem.as_deref().unwrap_or("?"),
    );
    Ok(svg::render(&runs, &title)?)
}
