//! `iotour report FILE --svg OUT.svg [--lang en|zh]`: a one-page handout of
//! a recording (see [`crate::handout`]): a lesson page for a run, a
//! side-by-side page with ratios for a `compare` recording. Needs no
//! kernel: it works on any machine the recording is copied to.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::Global;
use super::list::lang;
use super::output::err_line;
use crate::exit::{self, Exit};
use crate::handout;
use iotour_core::record::Recording;
use iotour_core::scenario::Lang;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A recording made with `run --record` or `compare --record`.
    pub recording: PathBuf,
    /// Write the handout to this SVG file (in the language of --lang).
    #[arg(long, value_name = "OUT.svg")]
    pub svg: PathBuf,
}

pub fn run(global: &Global, args: &ReportArgs) -> anyhow::Result<Exit> {
    let rec = Recording::load(&args.recording)?;
    let text = render(&rec, lang(global))?;
    std::fs::write(&args.svg, text).with_context(|| format!("{}", args.svg.display()))?;
    err_line(&format!("wrote {}", args.svg.display()));
    Ok(Exit::Status(exit::SUCCESS))
}

/// The handout of `rec` in `lang`, as SVG text.
pub fn render(rec: &Recording, lang: Lang) -> anyhow::Result<String> {
    Ok(handout::render(rec, lang)?)
}
