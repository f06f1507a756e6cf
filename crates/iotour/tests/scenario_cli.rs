//! The built binary's `check` and `list`: exit codes, what goes to which
//! stream, and the shape of `list --json`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(rel: &str) -> PathBuf {
    crate::support::root()
        .join("crates/core/tests/fixtures")
        .join(rel)
}

/// The binary, run in `dir` with no locale so the language is predictable.
fn iotour(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(args)
        .current_dir(dir)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("the iotour binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_accepts_a_valid_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture("valid/minimal.toml");
    let out = iotour(tmp.path(), &["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("ok {} (1 step)\n", path.display())
    );
}

#[test]
fn check_rejects_an_invalid_file_with_the_full_error() {
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture("invalid/unknown-op.toml");
    let out = iotour(tmp.path(), &["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("{}:7:6: unknown op `wrte`\n", path.display())),
        "{err}"
    );
    assert!(err.contains("  |      ^^^^^^\n"), "{err}");
    assert!(err.contains("= ops: write, buffered_write"), "{err}");
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn check_reports_every_mistake_of_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = fixture("invalid/three-mistakes.toml");
    let out = iotour(tmp.path(), &["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let shown = path.display().to_string();
    let heads: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with(&format!("{shown}:")))
        .collect();
    assert_eq!(heads.len(), 3, "{err}");
    assert!(
        heads[0].starts_with(&format!("{shown}:7:8: `tags` must be")),
        "{err}"
    );
    assert!(
        heads[1].starts_with(&format!("{shown}:10:6: unknown op")),
        "{err}"
    );
    assert!(
        heads[2].starts_with(&format!("{shown}:16:24: bad rule")),
        "{err}"
    );
    // Each with its line and caret, then the count.
    let carets = err
        .lines()
        .filter(|l| l.contains(" | ") && l.trim_end().ends_with('^'))
        .count();
    assert_eq!(carets, 3, "{err}");
    assert!(err.contains(&format!("3 errors in {shown}")), "{err}");
    assert!(
        err.contains("1 of 1 scenario file failed the check"),
        "{err}"
    );
}

#[test]
fn check_names_a_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = iotour(tmp.path(), &["check", "no-such-lesson.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot read `no-such-lesson.toml`: No such file or directory"),
        "{err}"
    );
}

#[test]
fn check_of_many_fails_if_any_fails_and_reports_each() {
    let tmp = tempfile::tempdir().unwrap();
    let good = fixture("valid/minimal.toml");
    let bad = fixture("invalid/bad-size.toml");
    let out = iotour(
        tmp.path(),
        &["check", good.to_str().unwrap(), bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("ok "), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad-size.toml:8:9: bad size for `bytes`"),
        "{err}"
    );
    assert!(err.contains("1 of 2 scenario files failed"), "{err}");
}

#[test]
fn check_of_a_directory_checks_every_file_in_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture("valid");
    // sizes-and-rules.toml has a 1.5 GiB file: valid, but over run's (and
    // so check's) default --max-size of 1 GiB.
    let out = iotour(
        tmp.path(),
        &["check", "--max-size", "2GiB", dir.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let count = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("ok "))
            .count(),
        count
    );
}

#[test]
fn check_needs_at_least_one_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = iotour(tmp.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
}

fn list_json(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["list", "--json"];
    args.extend_from_slice(extra);
    let out = iotour(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    match serde_json::from_slice(&out.stdout).expect("list --json prints JSON") {
        Value::Array(items) => items,
        other => panic!("expected an array, got {other}"),
    }
}

#[test]
fn list_json_has_the_documented_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let items = list_json(tmp.path(), &[]);
    assert!(!items.is_empty());
    for item in &items {
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "error", "id", "lesson", "origin", "steps", "summary", "tags", "title"
            ]
        );
    }
    let lesson = items
        .iter()
        .find(|i| i["id"] == "unbuffered-write")
        .expect("the built-in is listed");
    assert_eq!(lesson["origin"], "builtin");
    assert_eq!(lesson["lesson"], 1);
    assert_eq!(lesson["steps"], 2);
    assert_eq!(lesson["title"], "Unbuffered writes");
    assert_eq!(lesson["error"], Value::Null);
    assert!(
        lesson["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "write")
    );
}

#[test]
fn list_shows_broken_user_scenarios_with_their_error() {
    let tmp = tempfile::tempdir().unwrap();
    let user = tmp.path().join("mine");
    std::fs::create_dir(&user).unwrap();
    std::fs::copy(fixture("invalid/unknown-op.toml"), user.join("typo.toml")).unwrap();
    std::fs::copy(fixture("valid/minimal.toml"), user.join("small.toml")).unwrap();
    let items = list_json(tmp.path(), &["--scenarios", "mine"]);
    let typo = items
        .iter()
        .find(|i| i["id"] == "typo")
        .expect("the broken file is listed");
    assert_eq!(typo["title"], Value::Null);
    assert_eq!(typo["steps"], Value::Null);
    assert!(
        typo["error"]
            .as_str()
            .unwrap()
            .ends_with("typo.toml:7:6: unknown op `wrte`"),
        "{typo}"
    );
    let small = items.iter().find(|i| i["id"] == "small").unwrap();
    assert_eq!(small["origin"], "mine/small.toml");
    // Teaching order: numbered lessons before unnumbered ones.
    let position = |id: &str| items.iter().position(|i| i["id"] == id).unwrap();
    assert!(position("unbuffered-write") < position("small"));

    let table = text(&iotour(tmp.path(), &["list", "--scenarios", "mine"]).stdout);
    assert!(table.contains("broken"), "{table}");
    assert!(
        table.contains("typo  mine/typo.toml:7:6: unknown op `wrte`"),
        "{table}"
    );
}

#[test]
fn list_reads_dot_scenarios_and_skips_copies_of_the_builtins() {
    // Run from the repository root: ./scenarios/ is the built-ins directory.
    let root = crate::support::root();
    let items = list_json(&root, &[]);
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids.iter().filter(|id| **id == "unbuffered-write").count(),
        1,
        "{ids:?}"
    );
    assert!(items.iter().all(|i| i["origin"] == "builtin"), "{items:?}");

    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("scenarios")).unwrap();
    std::fs::copy(
        fixture("valid/minimal.toml"),
        tmp.path().join("scenarios/local.toml"),
    )
    .unwrap();
    let items = list_json(tmp.path(), &[]);
    let local = items
        .iter()
        .find(|i| i["id"] == "local")
        .expect("./scenarios/local.toml is listed");
    assert_eq!(local["origin"], "scenarios/local.toml");
}

#[test]
fn list_speaks_the_chosen_language() {
    let tmp = tempfile::tempdir().unwrap();
    let title = |out: Output| -> String {
        let items: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        items
            .iter()
            .find(|i| i["id"] == "unbuffered-write")
            .unwrap()["title"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        title(iotour(tmp.path(), &["--lang", "zh", "list", "--json"])),
        "无缓冲写入"
    );
    let by_env = Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(["list", "--json"])
        .current_dir(tmp.path())
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .unwrap();
    assert_eq!(title(by_env), "无缓冲写入");
    // LC_ALL outranks LANG, and --lang outranks both.
    let overridden = Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(["list", "--json"])
        .current_dir(tmp.path())
        .env("LANG", "zh_CN.UTF-8")
        .env("LC_ALL", "en_US.UTF-8")
        .output()
        .unwrap();
    assert_eq!(title(overridden), "Unbuffered writes");
    let flag = Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(["--lang", "en", "list", "--json"])
        .current_dir(tmp.path())
        .env("LC_ALL", "zh_CN.UTF-8")
        .output()
        .unwrap();
    assert_eq!(title(flag), "Unbuffered writes");
}

#[test]
fn new_writes_a_commented_starter_that_passes_check() {
    let tmp = tempfile::tempdir().unwrap();
    let out = iotour(tmp.path(), &["new", "my-lesson"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("wrote my-lesson.toml\n"));
    let path = tmp.path().join("my-lesson.toml");
    let starter = std::fs::read_to_string(&path).unwrap();
    assert!(starter.contains("title = \"My lesson\""), "{starter}");
    assert!(starter.lines().filter(|l| l.starts_with('#')).count() >= 10);
    let out = iotour(tmp.path(), &["check", "my-lesson.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "ok my-lesson.toml (8 steps)\n");
    // Bilingual like the built-ins: every prose field has its Chinese twin.
    let plan = iotour_core::scenario::parse_file(&path).unwrap();
    assert!(plan.meta().title.zh.is_some() && plan.meta().summary.zh.is_some());
    for step in plan.steps() {
        let say = step
            .say
            .as_ref()
            .expect("every starter step says something");
        assert!(say.zh.is_some(), "{say:?}");
    }
    // A path ending in .toml is taken as it is.
    let out = iotour(tmp.path(), &["new", "other.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(tmp.path().join("other.toml").exists());
}

#[test]
fn new_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("mine.toml"), "my work").unwrap();
    let out = iotour(tmp.path(), &["new", "mine"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("mine.toml already exists; not overwritten"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("mine.toml")).unwrap(),
        "my work"
    );
    let out = iotour(tmp.path(), &["new", "two words"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot be a scenario id"));
}
