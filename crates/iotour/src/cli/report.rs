//! `iotour report FILE --svg OUT.svg [--pdf OUT.pdf] [--lang en|zh]`: a one-page handout of
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
    #[arg(long, value_name = "OUT.svg", required_unless_present = "pdf")]
    pub svg: Option<PathBuf>,
    /// Write the handout as a one-page PDF too (fonts embedded; Chinese
    /// needs a CJK font installed on this machine).
    #[arg(long, value_name = "OUT.pdf")]
    pub pdf: Option<PathBuf>,
}

pub fn run(global: &Global, args: &ReportArgs) -> anyhow::Result<Exit> {
    let rec = Recording::load(&args.recording)?;
    let text = render(&rec, lang(global))?;
    if let Some(path) = &args.svg {
        std::fs::write(path, &text).with_context(|| format!("{}", path.display()))?;
        err_line(&format!("wrote {}", path.display()));
    }
    if let Some(path) = &args.pdf {
        let pdf = handout::pdf::to_pdf(&text)?;
        std::fs::write(path, pdf).with_context(|| format!("{}", path.display()))?;
        err_line(&format!("wrote {}", path.display()));
    }
    Ok(Exit::Status(exit::SUCCESS))
}

/// The handout of `rec` in `lang`, as SVG text.
pub fn render(rec: &Recording, lang: Lang) -> anyhow::Result<String> {
    Ok(handout::render(rec, lang)?)
}
