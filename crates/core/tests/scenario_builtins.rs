//! The built-in lessons are the product: each must parse, speak both
//! languages, narrate every step and prove at least one claim.

use iotour_core::scenario::{Catalog, Op, Origin};

#[test]
fn every_builtin_is_a_complete_bilingual_lesson() {
    let catalog = Catalog::builtin();
    assert!(
        catalog.entries().iter().any(|e| e.id == "unbuffered-write"),
        "the first lesson is built in"
    );
    let mut problems = Vec::new();
    for entry in catalog.entries() {
        assert_eq!(entry.origin, Origin::Builtin);
        let plan = match &entry.plan {
            Ok(plan) => plan,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let id = &entry.id;
        if plan.meta().title.zh.is_none() || plan.meta().summary.zh.is_none() {
            problems.push(format!("{id}: needs title_zh and summary_zh"));
        }
        for (i, step) in plan.steps().iter().enumerate() {
            match &step.say {
                None => problems.push(format!(
                    "{id}: step {} (`{}`) has no `say`",
                    i + 1,
                    step.op.name()
                )),
                Some(say) if say.zh.is_none() => {
                    problems.push(format!(
                        "{id}: step {} (`{}`) has no `say_zh`",
                        i + 1,
                        step.op.name()
                    ));
                }
                Some(_) => {}
            }
            if step.ask.as_ref().is_some_and(|a| a.zh.is_none()) {
                problems.push(format!("{id}: step {} has `ask` without `ask_zh`", i + 1));
            }
        }
        if plan.steps().iter().all(|s| s.expect.is_empty()) {
            problems.push(format!("{id}: no step has an `expect`"));
        }
        if plan.steps().iter().all(|s| s.op == Op::Note) {
            problems.push(format!("{id}: only `note` steps: nothing is measured"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
