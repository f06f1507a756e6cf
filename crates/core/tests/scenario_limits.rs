//! `check` and `run` refuse the same plans: every `tests/fixtures/limits/*.toml`
//! parses, is refused by `check_file` within the limits on its first line,
//!
//! ```toml
//! # max-size 1KiB; error: 7:8: the working file is 10995116277760 bytes
//! ```
//! (line:column of the error, then a fragment of its message), and is refused
//! by `engine::start` with the same message before anything is written.

use std::fs;
use std::path::{Path, PathBuf};

use iotour_core::engine::{self, EngineConfig, EngineError};
use iotour_core::scenario::{Limits, check_file, parse_file};
use iotour_core::size::parse_size;

use crate::support::engine::Ev;

struct Expected {
    max_size: u64,
    line: usize,
    column: usize,
    fragment: String,
}

fn expected(path: &Path) -> Expected {
    let text = fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap_or_default();
    let spec = first
        .strip_prefix("# max-size ")
        .and_then(|s| s.split_once("; error: "))
        .unwrap_or_else(|| {
            panic!(
                "{}: first line must be `# max-size SIZE; error: LINE:COL: message`",
                path.display()
            )
        });
    let mut parts = spec.1.splitn(3, ':');
    let mut number = || parts.next().unwrap().trim().parse().unwrap();
    let (line, column) = (number(), number());
    Expected {
        max_size: parse_size(spec.0).unwrap(),
        line,
        column,
        fragment: parts.next().unwrap().trim().to_owned(),
    }
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/limits");
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn check_and_run_refuse_the_same_plans_with_the_same_words() {
    let files = fixtures();
    assert!(files.len() >= 6, "{files:?}");
    let mut failures = Vec::new();
    for path in &files {
        let want = expected(path);
        // Parsing alone knows no limits: these are valid scenarios.
        let plan = parse_file(path).unwrap_or_else(|e| panic!("{e}"));
        let limits = Limits::here(want.max_size);
        let Err(err) = check_file(path, &limits) else {
            failures.push(format!("{}: check passed it", path.display()));
            continue;
        };
        let at = (err.line().unwrap_or(0), err.column().unwrap_or(0));
        if at != (want.line, want.column) || !err.message().contains(&want.fragment) {
            failures.push(format!(
                "{}: expected {}:{}: {}, got\n{err}",
                path.display(),
                want.line,
                want.column,
                want.fragment
            ));
        }
        // The run refuses it with the same message, before writing anything.
        let parent = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let config = EngineConfig {
            workdir_parent: Some(parent.path().to_path_buf()),
            max_size: want.max_size,
            ..EngineConfig::default()
        };
        let (tx, _rx) = std::sync::mpsc::channel::<Ev>();
        match engine::start(plan, config, tx) {
            Ok(_) => failures.push(format!("{}: the engine started it", path.display())),
            Err(e @ EngineError::Refused(_)) => {
                if e.to_string() != err.message() {
                    failures.push(format!(
                        "{}: run says {e:?}, check says {:?}",
                        path.display(),
                        err.message()
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: refused otherwise: {e}", path.display())),
        }
        assert_eq!(
            fs::read_dir(parent.path()).unwrap().count(),
            0,
            "{}: nothing is written before refusing",
            path.display()
        );
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn within_bigger_limits_the_same_files_pass_except_the_touches() {
    let roomy = Limits::here(1 << 50);
    for path in fixtures() {
        let touch = path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .starts_with("touch");
        assert_eq!(
            check_file(&path, &roomy).is_err(),
            touch,
            "{}",
            path.display()
        );
    }
}

#[test]
fn every_builtin_fits_the_default_limits() {
    let limits = Limits::here(EngineConfig::default().max_size);
    for entry in iotour_core::scenario::Catalog::builtin().entries() {
        let plan = entry.plan.as_ref().unwrap();
        plan.check_limits(&limits)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.id));
    }
}
