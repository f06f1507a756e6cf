//! docs/scenarios.md is the teacher's reference: it must name every op, every
//! parameter and every expectation key the parser accepts.

use iotour_core::scenario::schema::{
    FILE_FIELDS, OPEN_FLAGS, SCENARIO_FIELDS, STEP_FIELDS, op_params,
};
use iotour_core::scenario::{Key, Op};

fn docs() -> String {
    std::fs::read_to_string(crate::support::root().join("docs/scenarios.md")).unwrap()
}

#[test]
fn every_op_has_a_row_naming_its_parameters() {
    let docs = docs();
    for name in Op::NAMES {
        let row = docs
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("docs/scenarios.md has no row for op `{name}`"));
        for param in op_params(name).unwrap() {
            assert!(
                row.contains(&format!("`{param}`")),
                "the row of `{name}` does not name `{param}`:\n{row}"
            );
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
        .chain(STEP_FIELDS.iter().copied());
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
