//! Scenario text → [`Plan`]: the document's three tables, in the order a
//! reader meets them (`[scenario]`, `[file]`, `[[step]]`).

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{Diagnostic, ScenarioError};
use super::plan::{FileSetup, Meta, Origin, Plan, Step, Text};
use super::schema::{FILE_FIELDS, MAX_STEPS, REPEAT, REPEAT_FIELDS, SCENARIO_FIELDS, TOP_LEVEL};
use super::step::parse_step;
use super::table::{Errors, Fields, LineIndex, Result, Source, type_name};
use super::walk::{Limits, Refusal};

/// Parse scenario `id` from `text`. Messages name the file as `origin` says
/// (built-ins as `scenarios/<id>.toml`, the path they are embedded from).
pub fn parse_str(text: &str, id: &str, origin: Origin) -> std::result::Result<Plan, ScenarioError> {
    parse_within(text, id, origin, None, &LineIndex::new(text))
}

/// [`parse_str`], then refuse what the plan would need beyond `limits`
/// ([`Plan::check_limits`], as `iotour run` does), pointing at the step.
pub fn check_str(
    text: &str,
    id: &str,
    origin: Origin,
    limits: &Limits,
) -> std::result::Result<Plan, ScenarioError> {
    parse_within(text, id, origin, Some(limits), &LineIndex::new(text))
}

/// Read and check a scenario file as [`check_str`] does: what `iotour check` runs.
pub fn check_file(path: &Path, limits: &Limits) -> std::result::Result<Plan, ScenarioError> {
    let (text, id) = read(path)?;
    check_str(&text, &id, Origin::File(path.to_owned()), limits)
}

fn parse_within(
    text: &str,
    id: &str,
    origin: Origin,
    limits: Option<&Limits>,
    lines: &LineIndex,
) -> std::result::Result<Plan, ScenarioError> {
    let file = match &origin {
        Origin::Builtin => format!("scenarios/{id}.toml"),
        Origin::File(path) => path.display().to_string(),
    };
    let src = Source::new(&file, text, lines);
    let doc = DeTable::parse(text).map_err(|e| {
        // The TOML parser words its messages in lower case without context;
        // say that it is the TOML itself, not the scenario, that is wrong.
        let span = e.span().unwrap_or(0..0);
        src.error(span, format!("invalid TOML: {}", e.message()))
            .note("help: fix the TOML syntax here first: nothing after it can be checked until it parses")
    })?;
    let root = Fields::new(src, doc.get_ref(), 0..0, "the file");
    // Past a TOML syntax error every mistake is collected, not only the first.
    let mut errors = Errors::default();
    errors.take(root.deny_unknown(
        TOP_LEVEL,
        |key| format!("unknown table `{key}`"),
        [format!(
            "a scenario has: {}",
            ["[scenario]", "[file]", "[[step]]"].join(", ")
        )],
    ));
    let scenario = errors.take(table(&root, "scenario")).flatten();
    let meta = if let Some(scenario) = &scenario {
        parse_meta(scenario, &mut errors)
    } else {
        if root.get("scenario").is_none() {
            errors.push(src.error(0..0, "missing [scenario] table").note(
                "help: start the file with [scenario], then title = \"...\" and summary = \"...\"",
            ));
        }
        None
    };
    let file = match errors.take(table(&root, "file")) {
        Some(Some(f)) => parse_file_setup(&f, &mut errors),
        Some(None) => Some(FileSetup {
            size: 0,
            cached: true,
        }),
        None => None,
    };
    let scenario_header = scenario.as_ref().map_or(0..0, |s| s.header.clone());
    let values = errors
        .take(step_values(&root, &scenario_header))
        .unwrap_or_default();
    let mut expanded = Expanded::default();
    expand(src, values, 1, &mut expanded, &mut errors);
    let Expanded { steps, from } = expanded;
    errors.finish()?;
    // Every `None` above pushed its error, and there were none.
    let (Some(meta), Some(file), Some(steps)) =
        (meta, file, steps.into_iter().collect::<Option<Vec<_>>>())
    else {
        unreachable!("a part of the scenario is missing without an error");
    };
    let file_span = root
        .get("file")
        .and_then(|f| match f.get_ref() {
            DeValue::Table(t) => t.get("size").map(Spanned::span),
            _ => None,
        })
        .unwrap_or(0..0);
    let refused = |r: Refusal| -> ScenarioError {
        let (span, round) = match r.step().and_then(|i| from.get(i - 1)) {
            Some((span, round)) => (span.clone(), round.as_ref()),
            None => (file_span.clone(), None),
        };
        let round = round.map(|r| {
            format!(
                "note: in round {} of {} of the `repeat` at line {}",
                r.n,
                r.times,
                src.line_of(r.at)
            )
        });
        src.error(span, r.to_string())
            .notes(round)
            .notes(r.help())
            .into()
    };
    let plan = Plan::new(id, origin, meta, file, steps).map_err(refused)?;
    if let Some(limits) = limits {
        plan.check_limits(limits).map_err(refused)?;
    }
    Ok(plan)
}

/// The steps of a file with every `repeat` written out, each with the
/// table it came from (where a refusal of it points).
#[derive(Default)]
struct Expanded {
    steps: Vec<Option<Step>>,
    from: Vec<(Range<usize>, Option<Round>)>,
}

/// Which copy of a repeated group a step is (the outermost `repeat`).
#[derive(Clone, Copy)]
struct Round {
    n: u64,
    times: u64,
    /// Byte offset of the `repeat` step.
    at: usize,
}

/// Parse `values` onto the end of `out`, expanding `repeat` groups: each
/// step of a group is parsed (and its mistakes reported) once, then copied
/// `times` times, so the engine only ever sees plain steps and step `i` of
/// the plan is the `i`th step that runs. Numbers in messages are those of
/// the plan (the first copy's): the first of `values` is step `first`.
fn expand(
    src: Source<'_>,
    values: &[Spanned<DeValue<'_>>],
    first: usize,
    out: &mut Expanded,
    errors: &mut Errors,
) {
    for value in values {
        let repeat = match value.get_ref() {
            DeValue::Table(t) => t
                .get("op")
                .is_some_and(|op| matches!(op.get_ref(), DeValue::String(s) if s == REPEAT))
                .then_some(t),
            _ => None,
        };
        let Some(table) = repeat else {
            let step = parse_step(src, value, first + out.steps.len(), errors);
            out.steps.push(step);
            out.from.push((value.span(), None));
            continue;
        };
        let f = Fields::new(src, table, value.span(), "`repeat`");
        errors.take(f.deny_unknown(
            REPEAT_FIELDS,
            |key| format!("unknown field `{key}` in a `repeat` step"),
            ["`repeat` takes: times, steps (each step's fields go inside `steps`)".to_owned()],
        ));
        let times = match errors.take(f.count("times")) {
            Some(Some((0, span))) => {
                errors.push(
                    src.error(span, "`times` must be at least 1")
                        .note("help: to leave the group out, delete the `repeat` step"),
                );
                None
            }
            Some(Some((n, span))) => Some((n, span)),
            Some(None) => {
                errors.push(f.missing("times", "times = 3 runs the group three times"));
                None
            }
            None => None,
        };
        let Some(inner) = errors.take(group(&f)) else {
            continue;
        };
        let base = first + out.steps.len() - 1;
        let mut group_out = Expanded::default();
        expand(src, inner, base + 1, &mut group_out, errors);
        let Some((times, times_span)) = times else {
            continue;
        };
        let total = u64::try_from(group_out.steps.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(times)
            .saturating_add(base as u64);
        if total > MAX_STEPS as u64 {
            errors.push(
                src.error(
                    times_span,
                    format!("this `repeat` makes {total} steps, over the limit of {MAX_STEPS}"),
                )
                .note("help: repeat fewer times, or with fewer steps"),
            );
            // A plan that large is not built, even to look for other mistakes.
            return;
        }
        for round in 1..=times {
            let outer = Round {
                n: round,
                times,
                at: value.span().start,
            };
            out.steps.extend(group_out.steps.iter().cloned());
            out.from.extend(
                group_out
                    .from
                    .iter()
                    .map(|(span, _)| (span.clone(), Some(outer))),
            );
        }
    }
}

/// The `steps` of a `repeat`: an array of step tables, not empty.
fn group<'a, 'i>(f: &Fields<'a, 'i>) -> Result<&'a [Spanned<DeValue<'i>>]> {
    let hint = "steps = [{ op = \"write\", bytes = 100, chunk = 100 }, { op = \"fsync\" }], \
                or a [[step.steps]] table for each";
    let Some(value) = f.get("steps") else {
        return Err(f.missing("steps", hint));
    };
    match value.get_ref() {
        DeValue::Array(items) if !items.is_empty() => Ok(&items[..]),
        DeValue::Array(_) => Err(f
            .src
            .error(value.span(), "`steps` of a `repeat` is empty")
            .note(format!("help: {hint}"))
            .into()),
        other => Err(f
            .src
            .error(
                value.span(),
                format!(
                    "`steps` must be an array of steps, found {}",
                    type_name(other)
                ),
            )
            .note(format!("help: {hint}"))
            .into()),
    }
}

/// Read and parse a scenario file; its id is the file stem.
pub fn parse_file(path: &Path) -> std::result::Result<Plan, ScenarioError> {
    let (text, id) = read(path)?;
    parse_str(&text, &id, Origin::File(path.to_owned()))
}

/// A scenario file's text and its id (the file stem). Text that is not UTF-8
/// is refused at the first byte that is not, by line and column.
fn read(path: &Path) -> std::result::Result<(String, String), ScenarioError> {
    let bytes = std::fs::read(path).map_err(|e| ScenarioError::read(path, e))?;
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match String::from_utf8(bytes) {
        Ok(text) => Ok((text, id)),
        Err(e) => Err(not_utf8(&path.display().to_string(), e.as_bytes(), &e.utf8_error()).into()),
    }
}

/// "not valid UTF-8 at line L, column C", pointing at the first bad byte.
/// Everything before it is valid, so the lossy text has the same offsets up
/// to there, which is all the message needs.
fn not_utf8(file: &str, bytes: &[u8], e: &std::str::Utf8Error) -> Diagnostic {
    let at = e.valid_up_to();
    let text = String::from_utf8_lossy(bytes);
    let place = Diagnostic::new(file, &text, at..at + 1, "");
    let message = format!(
        "not valid UTF-8 at line {}, column {}",
        place.line, place.column
    );
    Diagnostic::new(file, &text, at..at + 1, message)
        .note("help: save the file as UTF-8 (every scenario file is UTF-8 text)")
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

fn parse_meta(f: &Fields<'_, '_>, errors: &mut Errors) -> Option<Meta> {
    errors.take(f.deny_unknown(
        SCENARIO_FIELDS,
        |key| format!("unknown field `{key}` in [scenario]"),
        [format!("[scenario] fields: {}", SCENARIO_FIELDS.join(", "))],
    ));
    let title = errors.take(prose(
        f,
        "title",
        "a scenario needs a title, e.g. title = \"Unbuffered writes\"",
    ));
    let summary = errors.take(prose(
        f,
        "summary",
        "a scenario needs a one-sentence summary of its lesson",
    ));
    let tags = errors.take(f.strings("tags"));
    let java = errors.take(f.string("java"));
    let lesson = errors.take(match f.count("lesson") {
        Err(e) => Err(e),
        Ok(None) => Ok(None),
        Ok(Some((n, span))) => u32::try_from(n).map(Some).map_err(|_| {
            f.src
                .error(span, "`lesson` is too large for a teaching order")
                .into()
        }),
    });
    Some(Meta {
        title: title?,
        summary: summary?,
        tags: tags?
            .unwrap_or_default()
            .into_iter()
            .map(|(s, _)| s)
            .collect(),
        java: java?.map(|(s, _)| s),
        lesson: lesson?,
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

fn parse_file_setup(f: &Fields<'_, '_>, errors: &mut Errors) -> Option<FileSetup> {
    errors.take(f.deny_unknown(
        FILE_FIELDS,
        |key| format!("unknown field `{key}` in [file]"),
        [format!("[file] fields: {}", FILE_FIELDS.join(", "))],
    ));
    let size = errors.take(f.size("size"));
    let cached = errors.take(f.boolean("cached", true));
    Some(FileSetup {
        size: size?.map_or(0, |(n, _)| n),
        cached: cached?,
    })
}

/// The `[[step]]` array: present, an array of tables, not empty.
fn step_values<'a, 'i>(
    root: &Fields<'a, 'i>,
    scenario_header: &Range<usize>,
) -> Result<&'a [Spanned<DeValue<'i>>]> {
    let src = root.src;
    let Some(value) = root.get("step") else {
        let d = src
            .error(
                scenario_header.clone(),
                "no steps: a scenario needs at least one [[step]]",
            )
            .note("help: add [[step]] with op = \"...\" (see docs/scenarios.md)");
        return Err(if root.misspelled("step") { d.echo() } else { d }.into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn many_steps(n: usize) -> String {
        let mut text = String::from(
            "[scenario]\ntitle = \"Many\"\nsummary = \"Many steps.\"\n[file]\nsize = \"1MiB\"\n",
        );
        for i in 0..n {
            let _ = write!(
                text,
                "\n[[step]]\nop = \"read\"\nbytes = 4096\nchunk = 4096\noffset = {}\nsay = \"step {i}\"\n",
                (i % 256) * 4096
            );
        }
        text
    }

    /// Checking is linear in the file: the text is scanned once for its lines,
    /// and each step's line is a binary search (it was a rescan of everything
    /// before the step, so 20,000 steps took minutes).
    #[test]
    fn twenty_thousand_steps_scan_the_text_once() {
        let n = 20_000;
        let text = many_steps(n);
        let lines = LineIndex::new(&text);
        let plan = parse_within(&text, "many", Origin::Builtin, None, &lines).unwrap();
        assert_eq!(plan.steps().len(), n);
        assert_eq!(plan.steps()[n - 1].line, text.lines().count() - 5);
        // One pass over the text, then about log2(lines) comparisons a step.
        let line_count = text.lines().count();
        let per_step = (usize::BITS - line_count.leading_zeros()) as usize;
        assert!(
            lines.work() <= text.len() + n * per_step,
            "{} units of work for {} bytes and {n} steps",
            lines.work(),
            text.len()
        );
        // The limits check walks the steps once more, and finds no line at all.
        let limits = Limits {
            max_size: 1 << 30,
            page_size: 4096,
        };
        let checked = LineIndex::new(&text);
        parse_within(&text, "many", Origin::Builtin, Some(&limits), &checked).unwrap();
        assert_eq!(checked.work(), lines.work());
    }

    #[test]
    fn a_line_index_finds_each_offset_s_line() {
        let text = "a\nbc\n\nd";
        let lines = LineIndex::new(text);
        let got: Vec<usize> = (0..=text.len()).map(|i| lines.line_of(i)).collect();
        let want: Vec<usize> = (0..=text.len())
            .map(|i| text[..i].matches('\n').count() + 1)
            .collect();
        assert_eq!(got, want);
        assert_eq!(lines.line_of(1000), 4);
    }

    #[test]
    fn invalid_utf8_is_placed_by_line_and_column() {
        let bytes = b"[scenario]\ntitle = \"caf\xc3\xa9 \xff\"\n";
        let e = std::str::from_utf8(std::hint::black_box(bytes)).unwrap_err();
        let d = not_utf8("x.toml", bytes, &e);
        assert_eq!(d.message, "not valid UTF-8 at line 2, column 15");
        assert_eq!((d.line, d.column), (2, 15));
        assert!(
            d.to_string().starts_with("x.toml:2:15: not valid UTF-8"),
            "{d}"
        );
    }
}
