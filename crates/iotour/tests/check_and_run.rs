//! `iotour check` refuses, with exit 2, exactly what `iotour run` refuses
//! with exit 2 before it writes anything: the fixtures of
//! crates/core/tests/fixtures/limits (a 10 TiB file, a 1 TiB chunk, a huge
//! mapping, a touch beyond its mapping's end), each within the `--max-size`
//! its first line names.

use std::path::PathBuf;

use crate::support::headless::{entries, iotour, scratch};

/// Each limits fixture with its `--max-size` and the message fragment it expects.
fn fixtures() -> Vec<(PathBuf, String, String)> {
    let dir = crate::support::root().join("crates/core/tests/fixtures/limits");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let (max, error) = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# max-size "))
                .and_then(|l| l.split_once("; error: "))
                .unwrap();
            // LINE:COL: message
            let message = error.splitn(3, ':').nth(2).unwrap().trim().to_owned();
            (p, max.to_owned(), message)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn check_refuses_what_run_refuses() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 6);
    for (path, max, message) in fixtures {
        let p = path.to_str().unwrap();
        let wd = scratch();
        let check = iotour(&["check", "--max-size", &max, p], wd.path());
        let check_err = String::from_utf8_lossy(&check.stderr);
        assert_eq!(check.status.code(), Some(2), "check {p}: {check_err}");
        assert!(check_err.contains(&message), "check {p}: {check_err}");
        assert!(check.stdout.is_empty(), "check {p}");
        let run = iotour(&["run", p, "--headless", "--max-size", &max], wd.path());
        let run_err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "run {p}: {run_err}");
        assert!(run_err.contains(&message), "run {p}: {run_err}");
        assert!(entries(wd.path()).is_empty(), "run {p} wrote nothing");
    }
}

#[test]
fn check_passes_within_the_default_limits_and_says_what_only_a_run_can_check() {
    let wd = scratch();
    let path = crate::support::root().join("crates/core/tests/fixtures/limits/huge-mapping.toml");
    let out = iotour(&["check", path.to_str().unwrap()], wd.path());
    assert_eq!(
        out.status.code(),
        Some(2),
        "1 TiB is over the default 1 GiB too"
    );
    let out = iotour(
        &["check", "--max-size", "2TiB", path.to_str().unwrap()],
        wd.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("checked only when a scenario runs"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
