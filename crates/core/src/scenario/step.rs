//! One `[[step]]` table → [`Step`]: the op and its typed parameters, the
//! narration, and the expectations.

use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;

use super::error::did_you_mean;
use super::expect::{Expectation, Key};
use super::plan::{Op, OpenFlags, Pattern, Step, Target, Text, Via};
use super::rule::parse_rule;
use super::schema::{OPEN_FLAGS, RULE_FORMS, STEP_FIELDS, op_params};
use super::table::{Fields, Result, Source, type_name};

const PATTERNS: &[(&str, Pattern)] = &[
    ("sequential", Pattern::Sequential),
    ("random", Pattern::Random),
];
const TARGETS: &[(&str, Target)] = &[("file", Target::File), ("anon", Target::Anon)];
const VIAS: &[(&str, Via)] = &[
    ("read_write", Via::ReadWrite),
    ("mmap_write", Via::MmapWrite),
    ("sendfile", Via::Sendfile),
    ("splice", Via::Splice),
];

/// Java's BufferedOutputStream default, which the `buffered_write` lesson mirrors.
const DEFAULT_BUFFER: u64 = 8 * 1024;

/// Parse step number `index` (1-based) from its table; `header` is the span of
/// its `[[step]]` line.
pub(super) fn parse_step(
    src: Source<'_>,
    value: &Spanned<DeValue<'_>>,
    index: usize,
) -> Result<Step> {
    let header = value.span();
    let DeValue::Table(table) = value.get_ref() else {
        return Err(src
            .error(
                header,
                format!(
                    "step {index} must be a table, found {}",
                    type_name(value.get_ref())
                ),
            )
            .note("help: write each step as a [[step]] table")
            .into());
    };
    let f = Fields::new(src, table, header.clone(), format!("step {index}"));
    let (name, name_span) = f.required_string(
        "op",
        &format!("add `op = \"...\"`; ops: {}", Op::NAMES.join(", ")),
    )?;
    let Some(params) = op_params(&name) else {
        return Err(src
            .error(name_span, format!("unknown op `{name}`"))
            .notes(did_you_mean(&name, Op::NAMES.iter().copied()))
            .note(format!("ops: {}", Op::NAMES.join(", ")))
            .into());
    };
    let allowed: Vec<&str> = params.iter().chain(STEP_FIELDS).copied().collect();
    let takes = if params.is_empty() {
        format!("`{name}` takes no parameters")
    } else {
        format!("`{name}` takes: {}", params.join(", "))
    };
    f.deny_unknown(
        &allowed,
        |key| format!("unknown parameter `{key}` for op `{name}`"),
        [
            takes,
            format!("every step may have: {}", STEP_FIELDS.join(", ")),
        ],
    )?;
    let f = f.named(format!("step {index} (`{name}`)"));
    Ok(Step {
        op: parse_op(&f, &name)?,
        say: text(&f, "say")?,
        ask: text(&f, "ask")?,
        calls: f.string("calls")?.map(|(s, _)| s),
        expect: expectations(&f)?,
        line: src.line_of(header.start),
    })
}

fn parse_op(f: &Fields<'_, '_>, name: &str) -> Result<Op> {
    let bytes = || {
        f.positive_size(
            "bytes",
            "`bytes` is how much data the step moves, e.g. \"1MiB\"",
        )
    };
    let chunk = || f.positive_size("chunk", "`chunk` is the size of each call, e.g. 4096");
    let offset = || -> Result<u64> { Ok(f.size("offset")?.map_or(0, |(n, _)| n)) };
    Ok(match name {
        "write" => Op::Write {
            bytes: bytes()?,
            chunk: chunk()?,
        },
        "buffered_write" => Op::BufferedWrite {
            bytes: bytes()?,
            chunk: chunk()?,
            buffer: match f.size("buffer")? {
                None => DEFAULT_BUFFER,
                Some(_) => f.positive_size("buffer", "")?,
            },
        },
        "pwrite" => Op::Pwrite {
            bytes: bytes()?,
            chunk: chunk()?,
            offset: offset()?,
            pattern: f.choice("pattern", PATTERNS, Some(Pattern::Sequential))?,
        },
        "read" => Op::Read {
            bytes: bytes()?,
            chunk: chunk()?,
            offset: offset()?,
        },
        "fsync" => Op::Fsync,
        "fdatasync" => Op::Fdatasync,
        "sync_file_range" => Op::SyncFileRange {
            wait: f.boolean("wait", false)?,
        },
        "drop_cache" => Op::DropCache,
        "reopen" => Op::Reopen {
            flags: open_flags(f)?,
        },
        "mmap" => Op::Mmap {
            bytes: bytes()?,
            offset: offset()?,
            shared: f.boolean("shared", true)?,
            write: f.boolean("write", false)?,
            populate: f.boolean("populate", false)?,
        },
        "touch" => Op::Touch {
            pages: positive_count(f, "pages", "`pages` is how many pages to touch")?,
            stride: match f.count("stride")? {
                None => 1,
                Some(_) => positive_count(f, "stride", "")?,
            },
            write: f.boolean("write", false)?,
            target: f.choice("target", TARGETS, Some(Target::File))?,
        },
        "msync" => Op::Msync {
            asynchronous: f.boolean("async", false)?,
        },
        "munmap" => Op::Munmap {
            target: f.choice("target", TARGETS, Some(Target::File))?,
        },
        "anon_mmap" => Op::AnonMmap { bytes: bytes()? },
        "malloc" => Op::Malloc { bytes: bytes()? },
        "send" => Op::Send {
            bytes: bytes()?,
            chunk: chunk()?,
            via: f.choice("via", VIAS, None)?,
        },
        "sleep" => Op::Sleep {
            ms: required_count(f, "ms", "`ms` is how long to sleep, in milliseconds")?,
        },
        "wait_writeback" => Op::WaitWriteback {
            timeout_ms: required_count(
                f,
                "timeout_ms",
                "`timeout_ms` bounds the wait, in milliseconds",
            )?,
        },
        "note" => Op::Note,
        // `op_params` already refused every other name; keep the two lists in
        // step with the test in schema.rs rather than panicking here.
        other => return Err(f.missing("op", &format!("op `{other}` has no parser"))),
    })
}

fn required_count(f: &Fields<'_, '_>, key: &str, hint: &str) -> Result<u64> {
    f.count(key)?
        .map(|(n, _)| n)
        .ok_or_else(|| f.missing(key, hint))
}

fn positive_count(f: &Fields<'_, '_>, key: &str, hint: &str) -> Result<u64> {
    let (n, span) = f.count(key)?.ok_or_else(|| f.missing(key, hint))?;
    if n == 0 {
        return Err(f
            .src
            .error(span, format!("`{key}` must be at least 1"))
            .into());
    }
    Ok(n)
}

fn open_flags(f: &Fields<'_, '_>) -> Result<OpenFlags> {
    let mut flags = OpenFlags::default();
    for (word, span) in f.strings("flags")?.unwrap_or_default() {
        let slot = match word.as_str() {
            "sync" => &mut flags.sync,
            "dsync" => &mut flags.dsync,
            "direct" => &mut flags.direct,
            "append" => &mut flags.append,
            _ => {
                return Err(f
                    .src
                    .error(span, format!("unknown flag `{word}`"))
                    .notes(did_you_mean(&word, OPEN_FLAGS.iter().copied()))
                    .note(format!("flags: {}", OPEN_FLAGS.join(", ")))
                    .into());
            }
        };
        if *slot {
            return Err(f
                .src
                .error(span, format!("flag `{word}` is listed twice"))
                .into());
        }
        *slot = true;
    }
    Ok(flags)
}

/// `say` + `say_zh` (or `ask` + `ask_zh`) → [`Text`]. English is required
/// when Chinese is given, because English is what every reader falls back to.
fn text(f: &Fields<'_, '_>, key: &str) -> Result<Option<Text>> {
    let zh_key = format!("{key}_zh");
    let en = f.string(key)?;
    let zh = f.string(&zh_key)?;
    match (en, zh) {
        (None, None) => Ok(None),
        (None, Some((_, span))) => Err(f
            .src
            .error(span, format!("`{zh_key}` without `{key}`"))
            .note(format!(
                "help: add `{key}` in English; readers of other languages fall back to it"
            ))
            .into()),
        (Some((en, _)), zh) => Ok(Some(Text {
            en,
            zh: zh.map(|(s, _)| s),
        })),
    }
}

fn expectations(f: &Fields<'_, '_>) -> Result<Vec<Expectation>> {
    let Some(value) = f.get("expect") else {
        return Ok(Vec::new());
    };
    let DeValue::Table(table) = value.get_ref() else {
        return Err(f
            .src
            .error(
                value.span(),
                format!(
                    "`expect` must be a table, found {}",
                    type_name(value.get_ref())
                ),
            )
            .note("help: expect = { syscalls = \"== 10\", wchar = \">= 1MiB\" }")
            .into());
    };
    let keys: Vec<&str> = Key::ALL.iter().map(|k| k.as_str()).collect();
    let inner = Fields::new(f.src, table, value.span(), "expect");
    let mut out = Vec::new();
    for (name, rule) in inner.entries() {
        let name_text: &str = name.get_ref();
        let Some(key) = Key::parse(name_text) else {
            return Err(f
                .src
                .error(name.span(), format!("unknown expect key `{name_text}`"))
                .notes(did_you_mean(name_text, keys.iter().copied()))
                .note(format!("keys: {}", keys.join(", ")))
                .into());
        };
        let DeValue::String(rule_text) = rule.get_ref() else {
            return Err(f
                .src
                .error(
                    rule.span(),
                    format!(
                        "the rule for `{name_text}` must be a string, found {}",
                        type_name(rule.get_ref())
                    ),
                )
                .note(format!("rules: {RULE_FORMS}"))
                .note(format!(
                    "help: {name_text} = \"== {}\"",
                    display_value(rule.get_ref())
                ))
                .into());
        };
        let parsed = parse_rule(rule_text).map_err(|e| {
            f.src
                .error(
                    inside_string(f.src, rule.span(), rule_text, e.at),
                    format!("bad rule for `{name_text}`: {}", e.message),
                )
                .note(format!("rules: {RULE_FORMS}"))
        })?;
        out.push(Expectation { key, rule: parsed });
    }
    Ok(out)
}

fn display_value(v: &DeValue<'_>) -> String {
    match v {
        DeValue::Integer(i) => i.to_string(),
        DeValue::Float(x) => x.to_string(),
        _ => "N".into(),
    }
}

/// Narrow a span of a string value to bytes `at` of its content, when the
/// source spells the string plainly (quotes, no escapes); otherwise keep the
/// whole value's span, which is still right, only less precise.
fn inside_string(
    src: Source<'_>,
    span: Range<usize>,
    content: &str,
    at: Range<usize>,
) -> Range<usize> {
    let written = &src.text[span.clone()];
    let plain = written.len() == content.len() + 2
        && (written.starts_with('"') || written.starts_with('\''))
        && &written[1..written.len() - 1] == content;
    if plain && at.end <= content.len() {
        span.start + 1 + at.start..span.start + 1 + at.end
    } else {
        span
    }
}
