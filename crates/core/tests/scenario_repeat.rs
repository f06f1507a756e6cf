//! `op = "repeat"`: a group of steps written once and run `times` times. The
//! parser expands it, so the plan (and the engine) holds plain steps only;
//! step numbers, lines and expectations are those of each copy; mistakes
//! inside a group are reported once, with the plan's step number; limits
//! are checked on the expansion.

use std::path::Path;

use iotour_core::scenario::schema::MAX_STEPS;
use iotour_core::scenario::{Limits, Origin, Plan, check_str, parse_file, parse_str};

fn fixture(name: &str) -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/valid")
        .join(name);
    parse_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn ops(plan: &Plan) -> Vec<&'static str> {
    plan.steps().iter().map(|s| s.op.name()).collect()
}

const HEAD: &str = "[scenario]\ntitle = \"R\"\nsummary = \"S\"\n";

fn parse(body: &str) -> Result<Plan, String> {
    parse_str(&format!("{HEAD}{body}"), "r", Origin::Builtin).map_err(|e| e.to_string())
}

#[test]
fn a_group_is_expanded_into_plain_steps() {
    let plan = fixture("repeat.toml");
    assert_eq!(
        ops(&plan),
        [
            "note", "write", "fsync", "write", "fsync", "write", "fsync", "note"
        ]
    );
    // Each copy keeps the line of the step it was written as, its
    // narration and its expectations.
    let lines: Vec<usize> = plan.steps().iter().map(|s| s.line).collect();
    assert_eq!(lines, [6, 14, 21, 14, 21, 14, 21, 25]);
    for s in plan.steps().iter().filter(|s| s.op.name() == "write") {
        assert_eq!(s.expect.len(), 1);
        assert_eq!(s.say.as_ref().unwrap().en, "Append one page.");
    }
}

#[test]
fn inline_steps_and_step_steps_tables_are_the_same_plan() {
    let tables = parse(
        "[[step]]\nop = \"repeat\"\ntimes = 2\n[[step.steps]]\nop = \"write\"\nbytes = 100\nchunk = 100\n[[step.steps]]\nop = \"fsync\"\n",
    )
    .unwrap();
    let inline = parse(
        "[[step]]\nop = \"repeat\"\ntimes = 2\nsteps = [{ op = \"write\", bytes = 100, chunk = 100 }, { op = \"fsync\" }]\n",
    )
    .unwrap();
    let strip = |p: &Plan| {
        p.steps()
            .iter()
            .map(|s| (s.op.clone(), s.expect.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&tables), strip(&inline));
    assert_eq!(ops(&inline), ["write", "fsync", "write", "fsync"]);
}

#[test]
fn groups_nest() {
    let plan = parse(
        "[[step]]\nop = \"repeat\"\ntimes = 2\nsteps = [\n  { op = \"note\" },\n  { op = \"repeat\", times = 3, steps = [{ op = \"fsync\" }] },\n]\n",
    )
    .unwrap();
    assert_eq!(
        ops(&plan),
        [
            "note", "fsync", "fsync", "fsync", "note", "fsync", "fsync", "fsync"
        ]
    );
}

#[test]
fn a_mistake_in_a_group_is_reported_once_with_the_plan_s_step_number() {
    let e = parse(
        "[[step]]\nop = \"note\"\n[[step]]\nop = \"repeat\"\ntimes = 5\nsteps = [{ op = \"note\" }, { op = \"write\", bytes = 100 }]\n",
    )
    .unwrap_err();
    assert_eq!(e.matches("missing `chunk`").count(), 1, "{e}");
    // Step 1 is the note before the group; the group's write is step 3.
    assert!(e.contains("missing `chunk` in step 3 (`write`)"), "{e}");
}

#[test]
fn bad_repeats_are_refused_where_they_are_wrong() {
    let cases = [
        (
            "times = 0\nsteps = [{ op = \"note\" }]",
            "6:9: `times` must be at least 1",
        ),
        (
            "steps = [{ op = \"note\" }]",
            "4:1: missing `times` in `repeat`",
        ),
        ("times = 2", "4:1: missing `steps` in `repeat`"),
        (
            "times = 2\nsteps = []",
            "7:9: `steps` of a `repeat` is empty",
        ),
        (
            "times = 2\nsteps = \"note\"",
            "7:9: `steps` must be an array of steps, found a string",
        ),
        (
            "times = 2\nsay = \"x\"\nsteps = [{ op = \"note\" }]",
            "7:1: unknown field `say` in a `repeat` step",
        ),
        (
            "times = 2\nsteps = [{ op = \"wrte\" }]",
            "7:17: unknown op `wrte`",
        ),
    ];
    for (body, want) in cases {
        let e = parse(&format!("[[step]]\nop = \"repeat\"\n{body}\n")).unwrap_err();
        assert!(
            e.starts_with(&format!("scenarios/r.toml:{want}")),
            "{body:?}:\n{e}"
        );
    }
}

#[test]
fn a_misspelled_repeat_is_suggested() {
    let e = parse("[[step]]\nop = \"repaet\"\n").unwrap_err();
    assert!(e.contains("did you mean `repeat`?"), "{e}");
}

#[test]
fn the_expansion_is_capped() {
    let times = MAX_STEPS / 2 + 1;
    let e = parse(&format!(
        "[[step]]\nop = \"repeat\"\ntimes = {times}\nsteps = [{{ op = \"note\" }}, {{ op = \"note\" }}]\n"
    ))
    .unwrap_err();
    assert!(
        e.contains(&format!(
            "makes {} steps, over the limit of {MAX_STEPS}",
            2 * times
        )),
        "{e}"
    );
    // A huge count is refused as fast, without building anything.
    let e = parse(
        "[[step]]\nop = \"repeat\"\ntimes = 18446744073709551615\nsteps = [{ op = \"note\" }]\n",
    )
    .unwrap_err();
    assert!(e.contains("over the limit"), "{e}");
}

#[test]
fn limits_are_checked_on_the_expansion() {
    let text = format!(
        "{HEAD}[file]\nsize = 0\n[[step]]\nop = \"repeat\"\ntimes = 3\nsteps = [{{ op = \"write\", bytes = \"512KiB\", chunk = \"64KiB\" }}]\n"
    );
    let small = Limits {
        max_size: 1 << 20,
        page_size: 4096,
    };
    let e = check_str(&text, "r", Origin::Builtin, &small)
        .unwrap_err()
        .to_string();
    assert!(e.contains("after step 3 (write) is 1572864 bytes"), "{e}");
    assert!(e.contains("round 3 of 3 of the `repeat` at line 6"), "{e}");
    let big = Limits {
        max_size: 2 << 20,
        page_size: 4096,
    };
    assert_eq!(
        check_str(&text, "r", Origin::Builtin, &big)
            .unwrap()
            .steps()
            .len(),
        3
    );
}
