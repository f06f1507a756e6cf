//! The names a scenario file may use, in one place: the parser refuses any
//! other, error messages list them, and docs/scenarios.md describes them.

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

/// The parameters of op `name` (beyond [`STEP_FIELDS`]), or `None` for an
/// unknown op. Every name in [`Op::NAMES`](super::plan::Op::NAMES) has an entry (a test checks).
pub fn op_params(name: &str) -> Option<&'static [&'static str]> {
    let params: &'static [&'static str] = match name {
        "write" => &["bytes", "chunk"],
        "buffered_write" => &["bytes", "chunk", "buffer"],
        "pwrite" => &["bytes", "chunk", "offset", "pattern"],
        "read" => &["bytes", "chunk", "offset"],
        "fsync" | "fdatasync" | "drop_cache" | "note" => &[],
        "sync_file_range" => &["wait"],
        "reopen" => &["flags"],
        "mmap" => &["bytes", "offset", "shared", "write", "populate"],
        "touch" => &["pages", "stride", "write", "target"],
        "msync" => &["async"],
        "munmap" => &["target"],
        "anon_mmap" | "malloc" => &["bytes"],
        "send" => &["bytes", "chunk", "via"],
        "sleep" => &["ms"],
        "wait_writeback" => &["timeout_ms"],
        _ => return None,
    };
    Some(params)
}

/// Flags `reopen` accepts, as written in `flags = [...]`.
pub const OPEN_FLAGS: &[&str] = &["sync", "dsync", "direct", "append"];

/// Rule forms, for error messages and docs.
pub const RULE_FORMS: &str =
    "`== N`, `>= N`, `<= N`, `> N`, `< N`, or `A..B` (inclusive); N may be a size like 1MiB";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::plan::Op;

    #[test]
    fn every_op_has_a_parameter_list() {
        for name in Op::NAMES {
            assert!(
                op_params(name).is_some(),
                "op `{name}` has no parameter list"
            );
        }
        assert!(op_params("wrte").is_none());
    }

    #[test]
    fn parameters_never_shadow_step_fields() {
        for name in Op::NAMES {
            for p in op_params(name).unwrap() {
                assert!(
                    !STEP_FIELDS.contains(p),
                    "`{name}.{p}` collides with a step field"
                );
            }
        }
    }
}
