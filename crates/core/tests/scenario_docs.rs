//! docs/scenarios.md is the teacher's reference: its op table is the one the
//! vocabulary prints (`ops::docs_table`), and it names every field, flag and
//! expectation key the parser accepts.

use iotour_core::scenario::Key;
use iotour_core::scenario::ops::{SPECS, docs_table};
use iotour_core::scenario::schema::{
    FILE_FIELDS, OPEN_FLAGS, REPEAT, REPEAT_FIELDS, SCENARIO_FIELDS, STEP_FIELDS,
};

fn docs() -> String {
    std::fs::read_to_string(crate::support::root().join("docs/scenarios.md")).unwrap()
}

/// The lines of the op table in the docs, from its header to its last row.
fn table_in_docs(docs: &str) -> String {
    let mut lines = docs
        .lines()
        .skip_while(|l| !l.starts_with("| op | parameters"))
        .take_while(|l| l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    lines.push('\n');
    lines
}

#[test]
fn the_op_table_is_the_vocabulary() {
    let want = docs_table();
    let got = table_in_docs(&docs());
    assert!(
        got == want,
        "docs/scenarios.md's op table differs from the ops' specs (scenario/ops/*.rs); \
         the table they give is:\n\n{want}"
    );
    // Every op and parameter appears in it (the table is derived, so this
    // only guards the derivation).
    for spec in SPECS {
        let row = want
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", spec.name)))
            .unwrap();
        for p in spec.params {
            assert!(row.contains(&format!("`{}`", p.name)), "{row}");
        }
    }
}

#[test]
fn every_key_field_and_flag_is_documented() {
    let docs = docs();
    let names = Key::ALL
        .iter()
        .map(|k| k.as_str())
        .chain(SCENARIO_FIELDS.iter().copied())
        .chain(FILE_FIELDS.iter().copied())
        .chain(STEP_FIELDS.iter().copied())
        .chain(REPEAT_FIELDS.iter().copied())
        .chain([REPEAT]);
    for name in names {
        assert!(
            docs.contains(&format!("`{name}`")),
            "docs/scenarios.md does not mention `{name}`"
        );
    }
    for flag in OPEN_FLAGS {
        assert!(
            docs.contains(&format!("`\"{flag}\"`")),
            "docs/scenarios.md does not mention flag \"{flag}\""
        );
    }
}
