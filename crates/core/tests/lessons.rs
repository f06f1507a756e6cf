//! The lesson library (issue 4): every built-in scenario is a complete,
//! bilingual lesson with a claim to prove, and together they form one
//! teaching order with no gaps and no duplicates.

use std::collections::BTreeMap;

use iotour_core::scenario::{Catalog, Op, Plan};

/// The library in teaching order: (lesson number, id).
const LIBRARY: &[(u32, &str)] = &[
    (1, "unbuffered-write"),
    (2, "buffered-write"),
    (3, "write-then-fsync"),
    (4, "write-is-not-durable"),
    (5, "write-through"),
    (6, "kernel-writeback"),
    (7, "random-access"),
    (8, "page-cache-hit-and-miss"),
    (9, "direct-io"),
    (10, "mmap-page-faults"),
    (11, "mmap-demand-paging"),
    (12, "malloc-vs-mmap"),
    (13, "mapped-write-and-force"),
    (14, "read-and-send"),
    (15, "mmap-and-send"),
    (16, "sendfile-zero-copy"),
    (17, "rocketmq-flush"),
    (18, "redis-aof-policies"),
    (19, "java-streams"),
    (20, "java-mapped-buffer"),
    (21, "java-transfer-to"),
    (22, "redis-aof-real"),
    (23, "uncached-buffered-io"),
    (24, "madvise-populate"),
    (25, "copy-file-range"),
    (26, "io-uring"),
    (27, "refaults"),
    (28, "io-pressure"),
];

/// Scenarios are kept small enough to run in seconds on a laptop.
const MAX_FILE: u64 = 256 * 1024 * 1024;

fn plans() -> Vec<(String, Plan)> {
    let catalog = Catalog::builtin();
    let mut out = Vec::new();
    let mut broken = Vec::new();
    for entry in catalog.entries() {
        match &entry.plan {
            Ok(plan) => out.push((entry.id.clone(), plan.clone())),
            Err(e) => broken.push(format!("{}: {e}", entry.id)),
        }
    }
    assert!(
        broken.is_empty(),
        "built-ins that do not parse:\n{}",
        broken.join("\n")
    );
    out
}

/// True when `s` has at least one CJK ideograph: a `_zh` field that is a copy
/// of the English text is a missing translation, not a translation.
fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn every_builtin_parses_and_speaks_both_languages() {
    let mut problems = Vec::new();
    for (id, plan) in plans() {
        match (&plan.meta().title.zh, &plan.meta().summary.zh) {
            (Some(t), Some(s)) if has_chinese(t) && has_chinese(s) => {}
            _ => problems.push(format!("{id}: title_zh and summary_zh must be Chinese")),
        }
        if plan.meta().summary.en.trim().is_empty() {
            problems.push(format!("{id}: empty summary"));
        }
        for (i, step) in plan.steps().iter().enumerate() {
            let n = i + 1;
            let op = step.op.name();
            match &step.say {
                None => problems.push(format!("{id}: step {n} (`{op}`) has no `say`")),
                Some(say) => {
                    if say.en.trim().is_empty() {
                        problems.push(format!("{id}: step {n} (`{op}`) has an empty `say`"));
                    }
                    if !say.zh.as_deref().is_some_and(has_chinese) {
                        problems.push(format!("{id}: step {n} (`{op}`) needs a Chinese `say_zh`"));
                    }
                }
            }
            if let Some(ask) = &step.ask
                && !ask.zh.as_deref().is_some_and(has_chinese)
            {
                problems.push(format!(
                    "{id}: step {n} has `ask` without a Chinese `ask_zh`"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_builtin_proves_something() {
    let mut problems = Vec::new();
    for (id, plan) in plans() {
        if plan.steps().iter().all(|s| s.expect.is_empty()) {
            problems.push(format!("{id}: no step has an `expect`"));
        }
        if plan.steps().iter().all(|s| s.op == Op::Note) {
            problems.push(format!("{id}: only `note` steps, nothing is measured"));
        }
        if plan.file().size > MAX_FILE {
            problems.push(format!(
                "{id}: a {} byte working file is more than a lesson needs",
                plan.file().size
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn lesson_numbers_are_unique_and_form_one_teaching_order() {
    let mut by_number: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut unnumbered = Vec::new();
    for (id, plan) in plans() {
        match plan.meta().lesson {
            Some(n) => by_number.entry(n).or_default().push(id),
            None => unnumbered.push(id),
        }
    }
    assert!(
        unnumbered.is_empty(),
        "built-ins without `lesson`: {unnumbered:?}"
    );
    let dups: Vec<_> = by_number.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(dups.is_empty(), "lesson numbers used twice: {dups:?}");
    let numbers: Vec<u32> = by_number.keys().copied().collect();
    let expected: Vec<u32> = (1..=u32::try_from(numbers.len()).unwrap()).collect();
    assert_eq!(
        numbers, expected,
        "lesson numbers should run 1..=N without gaps"
    );
}

#[test]
fn the_whole_library_is_built_in_in_teaching_order() {
    let catalog = Catalog::builtin();
    let mut problems = Vec::new();
    for &(n, id) in LIBRARY {
        match catalog.get(id) {
            None => problems.push(format!("lesson {n} `{id}` is not built in")),
            Some(entry) if entry.lesson() != Some(n) => problems.push(format!(
                "`{id}` has lesson {:?}, the teaching order puts it at {n}",
                entry.lesson()
            )),
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    // `iotour list` shows the catalog in this order.
    let listed: Vec<&str> = catalog
        .entries()
        .iter()
        .map(|e| e.id.as_str())
        .filter(|id| LIBRARY.iter().any(|(_, l)| l == id))
        .collect();
    let wanted: Vec<&str> = LIBRARY.iter().map(|&(_, id)| id).collect();
    assert_eq!(listed, wanted);
}

#[test]
fn most_lessons_ask_the_student_to_predict() {
    let all = plans();
    let asking = all
        .iter()
        .filter(|(_, p)| p.steps().iter().any(|s| s.ask.is_some()))
        .count();
    // Issue 4: "Give most scenarios at least one good question."
    assert!(
        asking * 3 >= all.len() * 2,
        "only {asking} of {} built-ins have an `ask`",
        all.len()
    );
}

/// Issue 14, "the flusher, for real": lesson 6 shows the kernel's own
/// writeback cleaning the file. After the write, a 6 s wait asks whether
/// the pages are clean (they are not), then a wait bounded by the
/// flusher's own deadline, with no sync call of ours before it, expects
/// them clean; sync_file_range only comes after, as the contrast.
#[test]
fn the_writeback_lesson_waits_for_the_flusher_itself() {
    let catalog = Catalog::builtin();
    let plan = catalog
        .get("kernel-writeback")
        .and_then(|e| e.plan.as_ref().ok())
        .expect("kernel-writeback parses");
    assert_eq!(plan.meta().lesson, Some(6));
    let steps = plan.steps();
    let flusher = steps
        .iter()
        .position(|s| matches!(s.op, Op::WaitWriteback(w) if w.flusher))
        .expect("a wait for the flusher");
    let Op::WaitWriteback(w) = steps[flusher].op else {
        unreachable!()
    };
    assert!(w.timeout_ms >= 1000, "a margin after the deadline: {w:?}");
    let rules: BTreeMap<&str, (String, bool)> = steps[flusher]
        .expect
        .iter()
        .map(|e| (e.key.as_str(), (e.rule.to_string(), e.soft.is_some())))
        .collect();
    let hard = |key: &str, rule: &str| {
        assert_eq!(
            rules.get(key),
            Some(&(rule.to_string(), false)),
            "{key} on the flusher's step: {rules:?}"
        );
    };
    hard("file_dirty_pages", "== 0");
    hard("file_writeback_pages", "== 0");
    hard("syscalls", "<= 2");
    // Another process's sync can clean the pages sooner: those are soft.
    assert!(rules.get("duration_ns").is_some_and(|r| r.1), "{rules:?}");
    assert!(
        rules.get("dma_copy_bytes").is_some_and(|r| r.1),
        "{rules:?}"
    );
    assert!(steps[flusher].ask.is_some() && steps[flusher].say.is_some());
    // Before it: the write and a short wait that asks, and no sync call.
    let before: Vec<&Op> = steps[..flusher].iter().map(|s| &s.op).collect();
    assert!(
        before.iter().any(|op| matches!(op, Op::Write(_))),
        "{before:?}"
    );
    assert!(
        !before.iter().any(|op| matches!(
            op,
            Op::Fsync | Op::Fdatasync | Op::SyncFileRange(_) | Op::Msync(_) | Op::DropCache
        )),
        "no sync call of ours before the flusher's step: {before:?}"
    );
    let short = &steps[flusher - 1];
    assert!(
        matches!(short.op, Op::WaitWriteback(w) if !w.flusher && w.timeout_ms <= 10_000),
        "the short wait first: {:?}",
        short.op
    );
    assert!(short.ask.is_some(), "the class predicts first");
}
