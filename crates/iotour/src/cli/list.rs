//! `iotour list [--json]`: every scenario in teaching order, broken ones
//! included with their error so a typo in a user file is seen, not hidden.

use std::fmt::Write as _;

use clap::Args;
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::output::{Output, err_line, json_pretty};
use super::{Global, LangArg};
use crate::exit::{self, Exit};
use crate::sanitize::safe;
use iotour_core::scenario::{Catalog, Entry, Lang, Origin, ScenarioError};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print a JSON array of {id, title, summary, tags, origin, lesson, steps, error}.
    #[arg(long)]
    pub json: bool,
}

/// One line of `list --json`. Output-only: its field names are the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListItem {
    pub id: String,
    /// In the chosen language; `null` when the file does not parse.
    pub title: Option<String>,
    pub summary: Option<String>,
    pub tags: Vec<String>,
    /// `builtin` or the path of the file.
    pub origin: String,
    pub lesson: Option<u32>,
    /// Number of steps; `null` when the file does not parse.
    pub steps: Option<usize>,
    /// `path:line:col: message` when the file does not parse.
    pub error: Option<String>,
}

impl ListItem {
    pub fn new(entry: &Entry, lang: Lang) -> ListItem {
        let plan = entry.plan.as_ref().ok();
        ListItem {
            id: entry.id.clone(),
            title: plan.map(|p| p.meta().title.get(lang).to_owned()),
            summary: plan.map(|p| p.meta().summary.get(lang).to_owned()),
            tags: plan.map(|p| p.meta().tags.clone()).unwrap_or_default(),
            origin: origin_label(&entry.origin),
            lesson: entry.lesson(),
            steps: plan.map(|p| p.steps().len()),
            error: entry.plan.as_ref().err().map(ScenarioError::summary),
        }
    }
}

pub fn origin_label(origin: &Origin) -> String {
    match origin {
        Origin::Builtin => "builtin".to_owned(),
        Origin::File(path) => path.display().to_string(),
    }
}

impl From<LangArg> for Lang {
    fn from(arg: LangArg) -> Lang {
        match arg {
            LangArg::En => Lang::En,
            LangArg::Zh => Lang::Zh,
        }
    }
}

/// `--lang`, else the locale.
pub fn lang(global: &Global) -> Lang {
    Lang::choose(global.lang.map(Lang::from))
}

pub fn run(global: &Global, args: &ListArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::load(&global.scenario_dirs);
    for problem in catalog.problems() {
        err_line(&format!("iotour: warning: {problem}"));
    }
    let items: Vec<ListItem> = catalog
        .entries()
        .iter()
        .map(|e| ListItem::new(e, lang(global)))
        .collect();
    let out = Output::new();
    if args.json {
        out.line(&json_pretty(&items)?)?;
    } else {
        out.print(&table(&items))?;
    }
    Ok(Exit::Status(exit::SUCCESS))
}

/// The scenarios as aligned columns, lessons first, broken files last.
fn table(items: &[ListItem]) -> String {
    let header = ["#", "ID", "TITLE", "TAGS", "ORIGIN"].map(str::to_owned);
    let (good, broken): (Vec<&ListItem>, Vec<&ListItem>) =
        items.iter().partition(|i| i.error.is_none());
    let rows: Vec<[String; 5]> = good
        .iter()
        .map(|i| {
            [
                i.lesson.map_or("-".to_owned(), |n| n.to_string()),
                safe(&i.id).into_owned(),
                safe(i.title.as_deref().unwrap_or_default()).into_owned(),
                safe(&i.tags.join(", ")).into_owned(),
                safe(&i.origin).into_owned(),
            ]
        })
        .collect();
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| pad(cell, w))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if !broken.is_empty() {
        out.push_str("\nbroken (run `iotour check FILE` for details):\n");
        for item in broken {
            let _ = writeln!(
                out,
                "  {}  {}",
                safe(&item.id),
                safe(item.error.as_deref().unwrap_or_default())
            );
        }
    }
    out
}

/// Pad to `width` terminal columns: a Chinese title is twice as wide as its
/// count of chars, so `format!("{:<w$}")` would misalign it.
fn pad(cell: &str, width: usize) -> String {
    format!("{cell}{}", " ".repeat(width.saturating_sub(cell.width())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, title: &str, error: Option<&str>) -> ListItem {
        ListItem {
            id: id.into(),
            title: error.is_none().then(|| title.into()),
            summary: None,
            tags: vec!["write".into()],
            origin: "builtin".into(),
            lesson: Some(1),
            steps: Some(2),
            error: error.map(Into::into),
        }
    }

    #[test]
    fn columns_align_with_wide_titles() {
        let out = table(&[item("a", "无缓冲写入", None), item("bb", "xy", None)]);
        assert_eq!(
            out,
            "#  ID  TITLE       TAGS   ORIGIN\n\
             1  a   无缓冲写入  write  builtin\n\
             1  bb  xy          write  builtin\n"
        );
    }

    #[test]
    fn broken_entries_are_listed_with_their_error() {
        let out = table(&[
            item("ok", "Fine", None),
            item("bad", "", Some("bad.toml:2:9: oops")),
        ]);
        assert!(out.contains("broken"), "{out}");
        assert!(out.contains("  bad  bad.toml:2:9: oops\n"), "{out}");
    }
}
