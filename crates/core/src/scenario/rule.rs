//! Expectation rules as written in `expect`: `"== 10486"`, `">= 1MiB"`,
//! `"250..300"`. Numbers may be sizes, so `wchar = "== 1MiB"` reads as the
//! lesson says it.

use std::ops::Range;

use super::expect::Rule;
use crate::size::parse_size;

/// What is wrong with a rule, and which bytes of the rule text are to blame
/// (so the caret can point inside the string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub message: String,
    pub at: Range<usize>,
}

impl std::str::FromStr for Rule {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Rule, RuleError> {
        parse_rule(s)
    }
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuleError {}

/// Builds a rule from its number: `Rule::Eq`, `Rule::Ge`, ...
type MakeRule = fn(u64) -> Rule;

/// Parse one rule. Whitespace around operators and numbers is ignored.
pub fn parse_rule(text: &str) -> Result<Rule, RuleError> {
    // Longest operators first so `>=` is not read as `>` followed by `=5`.
    const OPS: &[(&str, MakeRule)] = &[
        ("==", Rule::Eq),
        (">=", Rule::Ge),
        ("<=", Rule::Le),
        (">", Rule::Gt),
        ("<", Rule::Lt),
    ];
    let whole = 0..text.len();
    let body = text.trim();
    if body.is_empty() {
        return Err(RuleError {
            message: "empty rule".into(),
            at: whole,
        });
    }
    let body_start = text.len() - text.trim_start().len();
    for &(op, make) in OPS {
        if let Some(rest) = body.strip_prefix(op) {
            let n = number(rest, body_start + op.len())?;
            return Ok(make(n));
        }
    }
    if let Some((a, b)) = body.split_once("..") {
        let lo = number(a, body_start)?;
        let b_start = body_start + a.len() + 2;
        let hi = number(
            b.strip_prefix('=').unwrap_or(b),
            b_start + usize::from(b.starts_with('=')),
        )?;
        if lo > hi {
            return Err(RuleError {
                message: format!("empty range: {lo} is more than {hi}"),
                at: whole,
            });
        }
        return Ok(Rule::Range(lo, hi));
    }
    let message = if body.starts_with('=') || body.starts_with('!') {
        format!("unknown comparison in `{body}`")
    } else if parse_size(body).is_ok() {
        format!("a bare number is not a rule: write `== {body}`")
    } else {
        format!("`{body}` is not a rule")
    };
    Err(RuleError { message, at: whole })
}

/// A number or size; `offset` is where `text` starts within the rule.
fn number(text: &str, offset: usize) -> Result<u64, RuleError> {
    let lead = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    let at = offset + lead..offset + lead + trimmed.len().max(1);
    parse_size(trimmed).map_err(|e| RuleError {
        message: e.to_string(),
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form() {
        assert_eq!(parse_rule("== 10486"), Ok(Rule::Eq(10486)));
        assert_eq!(parse_rule(">= 256"), Ok(Rule::Ge(256)));
        assert_eq!(parse_rule("<= 3"), Ok(Rule::Le(3)));
        assert_eq!(parse_rule("> 0"), Ok(Rule::Gt(0)));
        assert_eq!(parse_rule("< 2"), Ok(Rule::Lt(2)));
        assert_eq!(parse_rule("250..300"), Ok(Rule::Range(250, 300)));
        assert_eq!(parse_rule("5..5"), Ok(Rule::Range(5, 5)));
    }

    #[test]
    fn whitespace_and_sizes() {
        assert_eq!(parse_rule("==1MiB"), Ok(Rule::Eq(1 << 20)));
        assert_eq!(parse_rule("  >=   4 KiB  "), Ok(Rule::Ge(4096)));
        assert_eq!(
            parse_rule(" 1MiB .. 2MiB "),
            Ok(Rule::Range(1 << 20, 2 << 20))
        );
        assert_eq!(parse_rule("1..=3"), Ok(Rule::Range(1, 3)));
    }

    #[test]
    fn errors_point_inside_the_rule() {
        let e = parse_rule(">= 12x").unwrap_err();
        assert_eq!(e.at, 3..6);
        assert!(e.message.contains("unknown unit `x`"), "{}", e.message);
        let e = parse_rule("10..5").unwrap_err();
        assert_eq!(e.message, "empty range: 10 is more than 5");
        assert_eq!(
            parse_rule("5").unwrap_err().message,
            "a bare number is not a rule: write `== 5`"
        );
        assert_eq!(
            parse_rule("=! 5").unwrap_err().message,
            "unknown comparison in `=! 5`"
        );
        assert_eq!(parse_rule("").unwrap_err().message, "empty rule");
        assert_eq!(
            parse_rule("== -1").unwrap_err().message,
            "size cannot be negative: `-1`"
        );
        assert_eq!(
            parse_rule("== ").unwrap_err().message,
            crate::size::SizeError::Empty.to_string()
        );
    }

    #[test]
    fn from_str_and_display_round_trip() {
        for text in ["== 7", ">= 0", "<= 9", "> 1", "< 2", "3..4"] {
            assert_eq!(text.parse::<Rule>().unwrap().to_string(), text);
        }
    }
}
