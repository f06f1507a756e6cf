//! The names a scenario file may use outside the ops, in one place: the
//! parser refuses any other, error messages list them, and docs/scenarios.md
//! describes them. Each op's name and parameters are in its [`Spec`]
//! (`ops::SPECS`).
//!
//! [`Spec`]: super::ops::Spec

/// Fields of the `[scenario]` table.
pub const SCENARIO_FIELDS: &[&str] = &[
    "title",
    "title_zh",
    "summary",
    "summary_zh",
    "tags",
    "java",
    "lesson",
];

/// Fields of the `[file]` table.
pub const FILE_FIELDS: &[&str] = &["size", "cached"];

/// Top-level tables.
pub const TOP_LEVEL: &[&str] = &["scenario", "file", "step"];

/// Fields every `[[step]]` may have, whatever its op.
pub const STEP_FIELDS: &[&str] = &["op", "say", "say_zh", "ask", "ask_zh", "calls", "expect"];

/// The op name of a group of steps repeated (`op = "repeat"`): not an op
/// the engine runs, the parser expands it into copies of its steps.
pub const REPEAT: &str = "repeat";

/// Fields of a `repeat` step.
pub const REPEAT_FIELDS: &[&str] = &["op", "times", "steps"];

/// The most steps a plan may have once every `repeat` is expanded.
pub const MAX_STEPS: usize = 100_000;

/// Flags `reopen` accepts, as written in `flags = [...]`.
pub const OPEN_FLAGS: &[&str] = <super::ops::OpenFlag as strum::VariantNames>::VARIANTS;

/// Rule forms, for error messages and docs.
pub const RULE_FORMS: &str =
    "`== N`, `>= N`, `<= N`, `> N`, `< N`, or `A..B` (inclusive); N may be a size like 1MiB";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ops::SPECS;

    #[test]
    fn parameters_never_shadow_step_fields() {
        for spec in SPECS {
            for p in spec.params {
                assert!(
                    !STEP_FIELDS.contains(&p.name),
                    "`{}.{}` collides with a step field",
                    spec.name,
                    p.name
                );
            }
        }
    }
}
