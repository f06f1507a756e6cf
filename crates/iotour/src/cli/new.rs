//! `iotour new NAME`: write a commented starter scenario, `NAME.toml` (or
//! NAME itself when it ends in `.toml`), that passes `iotour check` and shows
//! each part of the format once: the bilingual fields, `[file]`, steps with
//! narration, questions and expectations, and a `repeat` group. An existing
//! file is never overwritten.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::Global;
use super::output::Output;
use crate::exit::{self, Exit};
use crate::sanitize::safe;

/// The starter, with `{title}` and `{file}` to fill in.
const STARTER: &str = include_str!("new/starter.toml");

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The new scenario's id (`my-lesson` writes my-lesson.toml) or a path
    /// ending in .toml.
    #[arg(value_name = "NAME")]
    pub name: String,
}

/// Where `name` is written: `name` itself when it ends in `.toml`, else
/// `name.toml`.
pub fn target(name: &str) -> PathBuf {
    if Path::new(name).extension().is_some_and(|x| x == "toml") {
        PathBuf::from(name)
    } else {
        PathBuf::from(format!("{name}.toml"))
    }
}

/// The starter scenario for `path`: its title from the file's stem
/// (`my-lesson` → "My lesson").
pub fn starter(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let words = stem.replace(['-', '_'], " ");
    let mut chars = words.chars();
    let title = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect::<String>())
        .unwrap_or_default();
    STARTER
        .replace("{title}", &title.replace(['"', '\\'], ""))
        .replace("{file}", &path.display().to_string())
}

/// An id is what `iotour run ID` takes: letters, digits, `-` and `_`.
fn valid_id(stem: &str) -> bool {
    !stem.is_empty()
        && !stem.starts_with('-')
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub fn run(_global: &Global, args: &NewArgs) -> anyhow::Result<Exit> {
    let path = target(&args.name);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !valid_id(&stem) {
        anyhow::bail!(
            "`{}` cannot be a scenario id: use letters, digits, `-` and `_` (e.g. my-lesson)",
            safe(&stem)
        );
    }
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => anyhow::bail!(
            "{} already exists; not overwritten (choose another name or remove it)",
            safe(&path.display().to_string())
        ),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot create {}", path.display()));
        }
    };
    file.write_all(starter(&path).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    let shown = path.display().to_string();
    let shown = safe(&shown);
    Output::new().line(&format!(
        "wrote {shown}\nnext: iotour check {shown}; iotour run {shown}"
    ))?;
    Ok(Exit::Status(exit::SUCCESS))
}
