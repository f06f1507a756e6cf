//! One `[[step]]` table → [`Step`]: the op and its typed parameters, the
//! narration, and the expectations.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeString, DeValue};

use super::error::did_you_mean;
use super::expect::{Expectation, Key};
use super::ops::{self, args::Args};
use super::plan::{Step, Text};
use super::rule::parse_rule;
use super::schema::{REPEAT, RULE_FORMS, STEP_FIELDS};
use super::table::{Errors, Fields, Result, Source, type_name};

/// Parse step number `index` (1-based) from its table; `header` is the span of
/// its `[[step]]` line. Every mistake found goes to `errors`; `None` when
/// there was one. Past an unknown or missing op nothing more can be checked
/// (its parameters are unknown); otherwise each field is checked on its own.
pub(super) fn parse_step(
    src: Source<'_>,
    value: &Spanned<DeValue<'_>>,
    index: usize,
    errors: &mut Errors,
) -> Option<Step> {
    let header = value.span();
    let DeValue::Table(table) = value.get_ref() else {
        errors.push(
            src.error(
                header,
                format!(
                    "step {index} must be a table, found {}",
                    type_name(value.get_ref())
                ),
            )
            .note("help: write each step as a [[step]] table"),
        );
        return None;
    };
    let f = Fields::new(src, table, header.clone(), format!("step {index}"));
    let names: Vec<&str> = ops::names().collect();
    let (name, name_span) = errors.take(f.required_string(
        "op",
        &format!("add `op = \"...\"`; ops: {}", names.join(", ")),
    ))?;
    let Some(spec) = ops::spec(&name) else {
        errors.push(
            src.error(name_span, format!("unknown op `{name}`"))
                .notes(did_you_mean(&name, names.iter().copied().chain([REPEAT])))
                .note(format!(
                    "ops: {}; and `{REPEAT}` for a group of steps",
                    names.join(", ")
                )),
        );
        return None;
    };
    let params: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
    let allowed: Vec<&str> = params.iter().chain(STEP_FIELDS).copied().collect();
    let takes = if params.is_empty() {
        format!("`{name}` takes no parameters")
    } else {
        format!("`{name}` takes: {}", params.join(", "))
    };
    errors.take(f.deny_unknown(
        &allowed,
        |key| format!("unknown parameter `{key}` for op `{name}`"),
        [
            takes,
            format!("every step may have: {}", STEP_FIELDS.join(", ")),
        ],
    ));
    let f = f.named(format!("step {index} (`{name}`)"));
    let op = errors.take((spec.parse)(&Args::new(&f)));
    let say = errors.take(text(&f, "say"));
    let ask = errors.take(text(&f, "ask"));
    let calls = errors.take(f.string("calls"));
    let expect = expectations(&f, errors);
    Some(Step {
        op: op?,
        say: say?,
        ask: ask?,
        calls: calls?.map(|(s, _)| s),
        expect: expect?,
        line: src.line_of(header.start),
    })
    .filter(|step| {
        errors
            .take(program_keys_only_on_programs(&f, step))
            .is_some()
    })
}

/// The `file_*_calls` family counts a traced program's calls: on any other
/// op it could only ever be unknown, so it is refused where it is written.
fn program_keys_only_on_programs(f: &Fields<'_, '_>, step: &Step) -> Result<()> {
    if matches!(step.op, ops::Op::Program(_)) {
        return Ok(());
    }
    let Some(e) = step.expect.iter().find(|e| e.key.is_program()) else {
        return Ok(());
    };
    let span = f.get("expect").map_or(0..0, Spanned::span);
    Err(f
        .src
        .error(
            span,
            format!(
                "`{}` counts what a traced program did: only a `program` step has it",
                e.key
            ),
        )
        .note("help: for this thread's own calls, use `syscalls`")
        .into())
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

/// The `expect` table, each key checked on its own.
fn expectations(f: &Fields<'_, '_>, errors: &mut Errors) -> Option<Vec<Expectation>> {
    let Some(value) = f.get("expect") else {
        return Some(Vec::new());
    };
    let DeValue::Table(table) = value.get_ref() else {
        errors.push(
            f.src
                .error(
                    value.span(),
                    format!(
                        "`expect` must be a table, found {}",
                        type_name(value.get_ref())
                    ),
                )
                .note("help: expect = { syscalls = \"== 10\", wchar = \">= 1MiB\" }"),
        );
        return None;
    };
    let keys: Vec<&str> = Key::ALL.iter().map(|k| k.as_str()).collect();
    let inner = Fields::new(f.src, table, value.span(), "expect");
    let mut out = Vec::new();
    let mut ok = true;
    for (name, rule) in inner.entries() {
        match expectation(f, &keys, name, rule) {
            Ok(e) => out.push(e),
            Err(e) => {
                ok = false;
                errors.push(e);
            }
        }
    }
    ok.then_some(out)
}

fn expectation(
    f: &Fields<'_, '_>,
    keys: &[&str],
    name: &Spanned<DeString<'_>>,
    rule: &Spanned<DeValue<'_>>,
) -> Result<Expectation> {
    let name_text: &str = name.get_ref();
    let Some(key) = Key::parse(name_text) else {
        return Err(f
            .src
            .error(name.span(), format!("unknown expect key `{name_text}`"))
            .notes(did_you_mean(name_text, keys.iter().copied()))
            .note(format!("keys: {}", keys.join(", ")))
            .into());
    };
    let (rule, soft) = match rule.get_ref() {
        DeValue::Table(t) => soft_form(f, rule, t, name_text)?,
        _ => (rule, None),
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
    Ok(Expectation {
        key,
        rule: parsed,
        soft,
    })
}

/// The machine-dependent form `{ rule = "...", soft = "why", soft_zh = "..." }`:
/// the rule's value and the reason it may not be seen.
fn soft_form<'a, 'i>(
    f: &Fields<'a, 'i>,
    value: &'a Spanned<DeValue<'i>>,
    table: &'a toml::de::DeTable<'i>,
    name: &str,
) -> Result<(&'a Spanned<DeValue<'i>>, Option<Text>)> {
    let inner = Fields::new(f.src, table, value.span(), format!("expect `{name}`"));
    inner.deny_unknown(
        &["rule", "soft", "soft_zh"],
        |key| format!("unknown field `{key}` in the expectation for `{name}`"),
        [format!(
            "help: {name} = {{ rule = \">= 1\", soft = \"why it may not be seen\" }}"
        )],
    )?;
    let Some(rule) = inner.get("rule") else {
        return Err(inner.missing("rule", "add `rule = \"...\"`, e.g. `rule = \">= 1\"`"));
    };
    let soft = match (inner.string("soft")?, inner.string("soft_zh")?) {
        (Some((en, span)), zh) => {
            if en.trim().is_empty() {
                return Err(f
                    .src
                    .error(span, "`soft` must say why the claim may not be seen")
                    .into());
            }
            Text {
                en,
                zh: zh.map(|(s, _)| s),
            }
        }
        (None, Some((_, span))) => {
            return Err(f
                .src
                .error(span, "`soft_zh` without `soft`")
                .note("help: add `soft` in English; readers of other languages fall back to it")
                .into());
        }
        (None, None) => {
            return Err(inner.missing(
                "soft",
                "a table form is for a machine-dependent claim: add `soft = \"why it may not be seen\"`, or write the rule as a string",
            ));
        }
    };
    Ok((rule, Some(soft)))
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

#[cfg(test)]
mod tests {
    use crate::scenario::{Key, Origin, Rule, parse_str};

    const HEAD: &str = "[scenario]\ntitle = \"t\"\nsummary = \"s\"\n\n[[step]]\nop = \"fsync\"\n";

    fn parse(expect: &str) -> Result<Vec<crate::scenario::Expectation>, String> {
        parse_str(&format!("{HEAD}{expect}\n"), "t", Origin::Builtin)
            .map(|p| p.steps()[0].expect.clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_soft_claim_carries_its_reason_in_both_languages() {
        let e = parse(
            "[step.expect]\nsyscalls = \"== 1\"\nvoluntary_ctx_switches = { rule = \">= 1\", soft = \"already clean\", soft_zh = \"已经干净\" }",
        )
        .unwrap();
        assert_eq!(
            (e[0].key, e[0].rule, e[0].soft.is_none()),
            (Key::Syscalls, Rule::Eq(1), true)
        );
        assert_eq!(e[1].key, Key::VoluntaryCtxSwitches);
        assert_eq!(e[1].rule, Rule::Ge(1));
        let soft = e[1].soft.as_ref().unwrap();
        assert_eq!(
            (soft.en.as_str(), soft.zh.as_deref()),
            ("already clean", Some("已经干净"))
        );
    }

    #[test]
    fn a_soft_claim_must_say_why_and_name_only_its_fields() {
        let err = parse("expect = { syscalls = { rule = \"== 1\" } }").unwrap_err();
        assert!(err.contains("missing `soft`"), "{err}");
        let err = parse("expect = { syscalls = { rule = \"== 1\", soft = \" \" } }").unwrap_err();
        assert!(err.contains("must say why"), "{err}");
        let err =
            parse("expect = { syscalls = { rule = \"== 1\", soft = \"x\", sfot_zh = \"y\" } }")
                .unwrap_err();
        assert!(err.contains("unknown field `sfot_zh`"), "{err}");
        let err = parse("expect = { syscalls = { soft = \"x\" } }").unwrap_err();
        assert!(err.contains("missing `rule`"), "{err}");
        let err = parse("expect = { syscalls = { rule = \"=! 1\", soft = \"x\" } }").unwrap_err();
        assert!(err.contains("bad rule for `syscalls`"), "{err}");
    }
}
