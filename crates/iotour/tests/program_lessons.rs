//! The lessons that run real programs (issue 16): without the program they
//! SKIP and say what to install (`--strict` fails on it); with Java and
//! Redis installed (CI installs both) they pass `verify`, with expectations
//! that would fail if Java or Redis behaved otherwise.

use std::path::Path;

use crate::support::headless::{iotour_cmd, scratch};

const LESSONS: [&str; 4] = [
    "java-streams",
    "java-mapped-buffer",
    "java-transfer-to",
    "redis-aof-real",
];

fn on_path(name: &str) -> bool {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join(name).is_file())
}

fn verify(args: &[&str], workdir: &Path, path: Option<&Path>) -> (Option<i32>, String) {
    let mut c = iotour_cmd(&[&["verify"], args].concat(), workdir);
    if let Some(p) = path {
        c.env("PATH", p);
    }
    let out = c.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn without_the_programs_each_lesson_skips_and_names_what_to_install() {
    let dir = scratch();
    let empty = dir.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let (code, text) = verify(&LESSONS, dir.path(), Some(&empty));
    assert_eq!(code, Some(0), "{text}");
    for id in LESSONS {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("SKIP {id}:")))
            .unwrap_or_else(|| panic!("no SKIP line for {id}:\n{text}"));
        assert!(
            line.contains("step 1 (program)")
                && line.contains("`java` (not on PATH)")
                && line.contains("apt-get install default-jdk-headless"),
            "{line}"
        );
    }
    assert!(!text.contains("PASS") && !text.contains("FAIL "), "{text}");
    let (strict, _) = verify(&["--strict", "java-streams"], dir.path(), Some(&empty));
    assert_eq!(strict, Some(1));
}

#[test]
fn with_java_but_no_redis_the_redis_lesson_names_redis() {
    let Some(java) = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("java"))
        .find(|p| p.is_file())
    else {
        eprintln!("skipping: no java on PATH");
        return;
    };
    let dir = scratch();
    let bin = dir.path().join("java-only");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(std::fs::canonicalize(java).unwrap(), bin.join("java")).unwrap();
    let (code, text) = verify(&["redis-aof-real"], dir.path(), Some(&bin));
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with("SKIP redis-aof-real: step 1 (program) `redis-server` (not on PATH)")
            && text.contains("apt-get install redis-server"),
        "{text}"
    );
}

#[test]
fn with_java_and_redis_the_four_lessons_pass() {
    let missing: Vec<&str> = ["java", "redis-server"]
        .into_iter()
        .filter(|p| !on_path(p))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "skipping: {} not on PATH (.ci/run installs them)",
            missing.join(", ")
        );
        return;
    }
    let dir = scratch();
    let (code, text) = verify(&LESSONS, dir.path(), None);
    assert_eq!(code, Some(0), "{text}");
    for id in LESSONS {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("PASS {id}"))),
            "{id} did not pass:\n{text}"
        );
    }
}
