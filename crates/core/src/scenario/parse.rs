//! Scenario text → [`Plan`]: the document's three tables, in the order a
//! reader meets them (`[scenario]`, `[file]`, `[[step]]`).

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::ScenarioError;
use super::plan::{FileSetup, Meta, Origin, Plan, Text};
use super::schema::{FILE_FIELDS, SCENARIO_FIELDS, TOP_LEVEL};
use super::sequence::check_sequence;
use super::step::parse_step;
use super::table::{Fields, Result, Source, type_name};

/// Parse scenario `id` from `text`. Messages name the file as `origin` says
/// (built-ins as `scenarios/<id>.toml`, the path they are embedded from).
pub fn parse_str(text: &str, id: &str, origin: Origin) -> std::result::Result<Plan, ScenarioError> {
    let file = match &origin {
        Origin::Builtin => format!("scenarios/{id}.toml"),
        Origin::File(path) => path.display().to_string(),
    };
    let src = Source { file: &file, text };
    let doc = DeTable::parse(text).map_err(|e| {
        // The TOML parser words its messages in lower case without context;
        // say that it is the TOML itself, not the scenario, that is wrong.
        let span = e.span().unwrap_or(0..0);
        src.error(span, format!("invalid TOML: {}", e.message()))
    })?;
    let root = Fields::new(src, doc.get_ref(), 0..0, "the file");
    root.deny_unknown(
        TOP_LEVEL,
        |key| format!("unknown table `{key}`"),
        [format!(
            "a scenario has: {}",
            ["[scenario]", "[file]", "[[step]]"].join(", ")
        )],
    )?;
    let scenario = table(&root, "scenario")?.ok_or_else(|| {
        ScenarioError::from(src.error(0..0, "missing [scenario] table").note(
            "help: start the file with [scenario], then title = \"...\" and summary = \"...\"",
        ))
    })?;
    let meta = parse_meta(&scenario)?;
    let file = match table(&root, "file")? {
        Some(f) => parse_file_setup(&f)?,
        None => FileSetup {
            size: 0,
            cached: true,
        },
    };
    let values = step_values(&root, &scenario.header)?;
    let steps = values
        .iter()
        .enumerate()
        .map(|(i, v)| parse_step(src, v, i + 1))
        .collect::<Result<Vec<_>>>()?;
    let headers: Vec<Range<usize>> = values.iter().map(Spanned::span).collect();
    check_sequence(src, &steps, &headers)?;
    Ok(Plan {
        id: id.to_owned(),
        origin,
        meta,
        file,
        steps,
    })
}

/// Read and parse a scenario file; its id is the file stem.
pub fn parse_file(path: &Path) -> std::result::Result<Plan, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::read(path, e))?;
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse_str(&text, &id, Origin::File(path.to_owned()))
}

/// A sub-table by name, refusing anything else (`scenario = "x"`).
fn table<'a, 'i>(root: &Fields<'a, 'i>, key: &str) -> Result<Option<Fields<'a, 'i>>> {
    let Some(value) = root.get(key) else {
        return Ok(None);
    };
    match value.get_ref() {
        DeValue::Table(t) => Ok(Some(Fields::new(
            root.src,
            t,
            value.span(),
            format!("[{key}]"),
        ))),
        other => Err(root
            .src
            .error(
                value.span(),
                format!("`{key}` must be a table, found {}", type_name(other)),
            )
            .note(format!("help: write it as a [{key}] section"))
            .into()),
    }
}

fn parse_meta(f: &Fields<'_, '_>) -> Result<Meta> {
    f.deny_unknown(
        SCENARIO_FIELDS,
        |key| format!("unknown field `{key}` in [scenario]"),
        [format!("[scenario] fields: {}", SCENARIO_FIELDS.join(", "))],
    )?;
    Ok(Meta {
        title: prose(
            f,
            "title",
            "a scenario needs a title, e.g. title = \"Unbuffered writes\"",
        )?,
        summary: prose(
            f,
            "summary",
            "a scenario needs a one-sentence summary of its lesson",
        )?,
        tags: f
            .strings("tags")?
            .unwrap_or_default()
            .into_iter()
            .map(|(s, _)| s)
            .collect(),
        java: f.string("java")?.map(|(s, _)| s),
        lesson: match f.count("lesson")? {
            None => None,
            Some((n, span)) => Some(u32::try_from(n).map_err(|_| {
                f.src
                    .error(span, "`lesson` is too large for a teaching order")
            })?),
        },
    })
}

/// A required English text with its optional `_zh` translation; neither may be blank.
fn prose(f: &Fields<'_, '_>, key: &str, hint: &str) -> Result<Text> {
    let (en, span) = f.required_string(key, hint)?;
    if en.trim().is_empty() {
        return Err(f
            .src
            .error(span, format!("`{key}` is empty"))
            .note(format!("help: {hint}"))
            .into());
    }
    let zh_key = format!("{key}_zh");
    let zh = match f.string(&zh_key)? {
        Some((zh, span)) if zh.trim().is_empty() => {
            return Err(f.src.error(span, format!("`{zh_key}` is empty")).into());
        }
        other => other.map(|(s, _)| s),
    };
    Ok(Text { en, zh })
}

fn parse_file_setup(f: &Fields<'_, '_>) -> Result<FileSetup> {
    f.deny_unknown(
        FILE_FIELDS,
        |key| format!("unknown field `{key}` in [file]"),
        [format!("[file] fields: {}", FILE_FIELDS.join(", "))],
    )?;
    Ok(FileSetup {
        size: f.size("size")?.map_or(0, |(n, _)| n),
        cached: f.boolean("cached", true)?,
    })
}

/// The `[[step]]` array: present, an array of tables, not empty.
fn step_values<'a, 'i>(
    root: &Fields<'a, 'i>,
    scenario_header: &Range<usize>,
) -> Result<&'a [Spanned<DeValue<'i>>]> {
    let src = root.src;
    let Some(value) = root.get("step") else {
        return Err(src
            .error(
                scenario_header.clone(),
                "no steps: a scenario needs at least one [[step]]",
            )
            .note("help: add [[step]] with op = \"...\" (see docs/scenarios.md)")
            .into());
    };
    match value.get_ref() {
        DeValue::Array(items) if items.is_empty() => Err(src
            .error(value.span(), "no steps: `step` is empty")
            .note("help: add [[step]] tables with op = \"...\"")
            .into()),
        DeValue::Array(items) => Ok(&items[..]),
        DeValue::Table(_) => Err(src
            .error(
                value.span(),
                "`[step]` is a single table; steps are an array of tables",
            )
            .note("help: write [[step]] (double brackets) before each step")
            .into()),
        other => Err(src
            .error(
                value.span(),
                format!("`step` must be [[step]] tables, found {}", type_name(other)),
            )
            .into()),
    }
}
