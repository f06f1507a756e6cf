//! Property tests of the scenario parser and the size parser: no input makes
//! either panic, and every scenario error points at a real place in the file
//! (a line that exists, a column inside or just past that line, and the
//! line's own text quoted).
//!
//! Inputs: arbitrary text; valid scenarios (the built-ins and the valid
//! fixtures) mutated by deleting, duplicating and inserting TOML-shaped
//! tokens; arbitrary sizes. The runner is deterministic (a fixed seed), so a
//! failure reproduces; each property prints how many cases it ran.

use std::sync::atomic::{AtomicUsize, Ordering};

use iotour_core::scenario::{Origin, ScenarioError, parse_str};
use iotour_core::size::{SizeError, parse_size};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Run `test` on `cases` values of `strategy`; print the count; panic on failure.
fn check<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let ran = AtomicUsize::new(0);
    let result = runner.run(&strategy, |v| {
        ran.fetch_add(1, Ordering::Relaxed);
        test(v)
    });
    eprintln!("{name}: {} cases run", ran.load(Ordering::Relaxed));
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// The error of `text`, if any, must be a diagnostic pointing into `text`.
fn error_points_into(text: &str) -> Result<(), TestCaseError> {
    let Err(err) = parse_str(text, "prop", Origin::Builtin) else {
        return Ok(());
    };
    if matches!(
        err,
        ScenarioError::Read { .. } | ScenarioError::Unknown { .. }
    ) {
        return Err(TestCaseError::fail(format!("not a diagnostic: {err}")));
    }
    for d in err.diagnostics() {
        // Lines as the diagnostic counts them: split on \n only.
        let lines: Vec<&str> = text.split('\n').collect();
        prop_assert!(
            d.line >= 1 && d.line <= lines.len(),
            "line {} of {} in {text:?}: {err}",
            d.line,
            lines.len()
        );
        let line = lines[d.line - 1].trim_end_matches('\r');
        prop_assert!(
            d.column >= 1 && d.column <= line.chars().count() + 1,
            "column {} on {line:?}: {err}",
            d.column
        );
        prop_assert_eq!(&d.source_line, &line.replace('\t', " "));
        prop_assert!(!d.message.is_empty());
        let shown = err.to_string();
        let head = format!("scenarios/prop.toml:{}:{}: ", d.line, d.column);
        prop_assert!(
            shown.starts_with(&head) || shown.contains(&format!("\n{head}")),
            "{shown}"
        );
    }
    prop_assert!(err.to_string().starts_with("scenarios/prop.toml:"), "{err}");
    Ok(())
}

fn seeds() -> Vec<String> {
    let mut out = Vec::new();
    for dir in [
        "../../scenarios",
        "tests/fixtures/valid",
        "tests/fixtures/invalid",
    ] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            // A fixture that is not UTF-8 on purpose cannot be a &str seed.
            if p.extension().is_some_and(|x| x == "toml")
                && let Ok(text) = String::from_utf8(std::fs::read(p).unwrap())
            {
                out.push(text);
            }
        }
    }
    assert!(out.len() >= 20, "seed files found: {}", out.len());
    out
}

/// Pieces of TOML and of scenarios that make interesting damage.
const TOKENS: &[&str] = &[
    "[[step]]\n",
    "[scenario]\n",
    "[file]\n",
    "[step]\n",
    "op = \"write\"\n",
    "op = \"touch\"\n",
    "op = \"munmap\"\n",
    "op = \"wrte\"\n",
    "bytes = ",
    "chunk = 0\n",
    "\"1MiB\"",
    "\"1.5KB\"",
    "\"-1\"",
    "18446744073709551616",
    "1e999",
    "-0",
    "=",
    "\"",
    "'''",
    "\"\"\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    "#",
    "\n",
    "\r\n",
    "\t",
    " ",
    "页缓存",
    "🦀",
    "\u{0}",
    "expect = { syscalls = \"== 1\" }\n",
    "expect = { syscalls = \"5..1\" }\n",
    "expect = { nope = \">= 1\" }\n",
    "target = \"anon\"\n",
    "title = 3\n",
    "size = \"99999999TiB\"\n",
    "cached = \"yes\"\n",
    "x.y.z = 1\n",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Duplicate { at: usize, len: usize },
    Byte { at: usize, byte: u8 },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Insert { at, token }),
        (any::<usize>(), 0usize..200).prop_map(|(at, len)| Edit::Duplicate { at, len }),
        (any::<usize>(), 0x20u8..0x7f).prop_map(|(at, byte)| Edit::Byte { at, byte }),
    ]
}

/// The nearest char boundary at or before `at % (len + 1)`.
fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(mut s: String, edits: &[Edit]) -> String {
    for e in edits {
        match *e {
            Edit::Delete { at, len } => {
                let a = boundary(&s, at);
                let b = boundary(&s, a + len.min(s.len() - a));
                s.replace_range(a..b.max(a), "");
            }
            Edit::Insert { at, token } => {
                let a = boundary(&s, at);
                s.insert_str(a, TOKENS[token]);
            }
            Edit::Duplicate { at, len } => {
                let a = boundary(&s, at);
                let b = boundary(&s, a + len.min(s.len() - a)).max(a);
                let piece = s[a..b].to_string();
                s.insert_str(b, &piece);
            }
            Edit::Byte { at, byte } => {
                let a = boundary(&s, at);
                s.insert(a, byte as char);
            }
        }
    }
    s
}

#[test]
fn mutated_scenarios_never_panic_and_errors_point_into_the_file() {
    let seeds = seeds();
    let n = seeds.len();
    check(
        "mutated scenarios",
        6000,
        (0..n, prop::collection::vec(edit(), 1..6)),
        |(i, edits)| error_points_into(&apply(seeds[i].clone(), &edits)),
    );
}

#[test]
fn arbitrary_text_never_panics_and_errors_point_into_it() {
    // Found by the token soup below: an error at the `\r` of a CRLF line end
    // made Diagnostic::new panic.
    error_points_into("\"\r\n").unwrap();
    check("arbitrary text", 4000, ".{0,400}", |text: String| {
        error_points_into(&text)
    });
    // Text made only of TOML-ish tokens reaches deeper than random characters.
    check(
        "token soup",
        4000,
        prop::collection::vec(0..TOKENS.len(), 0..60),
        |ix| {
            let text: String = ix.iter().map(|&i| TOKENS[i]).collect();
            error_points_into(&text)
        },
    );
}

#[test]
fn every_invalid_fixture_points_into_its_file() {
    // The fixtures are errors on purpose: each one's position is real.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        // Not UTF-8 on purpose: scenario_fixtures checks it through parse_file.
        let Ok(text) = String::from_utf8(std::fs::read(&p).unwrap()) else {
            continue;
        };
        assert!(
            parse_str(&text, "prop", Origin::Builtin).is_err(),
            "{}",
            p.display()
        );
        error_points_into(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        n += 1;
    }
    assert!(n >= 30, "{n}");
}

const UNITS: &[(&str, u64)] = &[
    ("", 1),
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
];

#[test]
fn sizes_parse_exactly_or_say_why() {
    check("arbitrary size text", 5000, ".{0,40}", |text: String| {
        match parse_size(&text) {
            Ok(_) => {}
            // Every error that is about the text quotes it.
            Err(SizeError::Empty) => prop_assert!(text.trim().is_empty()),
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(text.trim()), "{msg} / {text:?}");
            }
        }
        Ok(())
    });
    check(
        "number and unit",
        5000,
        (any::<u64>(), 0..UNITS.len(), " {0,2}", " {0,2}"),
        |(n, u, pad, space)| {
            let (unit, mult) = UNITS[u];
            let text = format!("{pad}{n}{space}{unit}{pad}");
            match n.checked_mul(mult) {
                Some(v) => prop_assert_eq!(parse_size(&text), Ok(v), "{:?}", text),
                None => prop_assert!(
                    matches!(parse_size(&text), Err(SizeError::Overflow(_))),
                    "{text:?}: {:?}",
                    parse_size(&text)
                ),
            }
            Ok(())
        },
    );
    check("halves", 2000, (0u64..1 << 30, 2..UNITS.len()), |(n, u)| {
        // n.5 of a unit of at least 1 KiB/KB is a whole number of bytes.
        let (unit, mult) = UNITS[u];
        let text = format!("{n}.5{unit}");
        match n.checked_mul(mult).and_then(|v| v.checked_add(mult / 2)) {
            Some(v) => prop_assert_eq!(parse_size(&text), Ok(v), "{}", text),
            None => prop_assert!(
                matches!(parse_size(&text), Err(SizeError::Overflow(_))),
                "{text:?}"
            ),
        }
        Ok(())
    });
}
