//! The headless CLI end to end: `run --headless [--json]`, `verify`, exit
//! codes, signals (the working directory is removed), and a run as an
//! unprivileged user (the fallback sources) when the tests run as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::unprivileged;

use unprivileged::NobodyCopy;

use crate::support::headless;

use headless::{BIN, entries, iotour, iotour_cmd, json_report, scenario, scratch, signal_and_wait};

fn is_empty_dir(d: &Path) -> bool {
    entries(d).is_empty()
}

#[test]
fn run_json_follows_the_schema_and_exits_0() {
    let wd = scratch();
    let out = iotour(
        &["run", "buffered-write", "--headless", "--json"],
        wd.path(),
    );
    let v = json_report(&out, 0);
    assert_eq!(v["scenario"], "buffered-write");
    assert_eq!(v["ok"], true);
    let env = &v["environment"];
    assert!(env["kernel"].is_string());
    assert_eq!(env["page_size"], 4096);
    for k in [
        "syscalls",
        "faults",
        "ctx_switches",
        "io",
        "pages",
        "system",
    ] {
        assert!(env["sources"][k].is_string(), "sources.{k}");
    }
    let s = &v["steps"][0];
    assert_eq!(s["index"], 1);
    assert_eq!(s["op"], "buffered_write");
    assert_eq!(s["measured"]["syscalls"], 130);
    assert!(s["modeled"]["mode_switches"].is_u64());
    let copy = &s["modeled"]["copies"][0];
    assert_eq!(copy["from"], "user_buffer");
    assert_eq!(copy["to"], "page_cache");
    assert_eq!(copy["kind"], "cpu");
    assert_eq!(s["expect"][0]["key"], "syscalls");
    assert_eq!(s["expect"][0]["rule"], "== 130");
    assert_eq!(s["expect"][0]["ok"], true);
    assert!(is_empty_dir(wd.path()), "the working directory is removed");
}

#[test]
fn run_table_names_sources_and_marks_each_expectation() {
    let wd = scratch();
    let out = iotour(&["run", "write-then-fsync", "--headless"], wd.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("sources: syscalls="), "{text}");
    assert!(text.contains("(modeled)"), "{text}");
    assert!(
        text.contains("✓ step 2 dirty pages of the file: 0, expected exactly 0"),
        "{text}"
    );
    assert!(!text.contains('✗'), "{text}");
}

#[test]
fn verify_passes_the_engine_builtins() {
    let wd = scratch();
    let out = iotour(
        &[
            "verify",
            "buffered-write",
            "write-then-fsync",
            "mmap-page-faults",
            "unbuffered-write",
        ],
        wd.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("PASS buffered-write (2 steps, 8 checks)"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("PASS ")).count(),
        4,
        "{text}"
    );
}

#[test]
fn a_failed_expectation_is_a_fail_line_and_exit_1() {
    let wd = scratch();
    let p = scenario(
        wd.path(),
        "wrong.toml",
        r#"[scenario]
title = "Wrong on purpose"
summary = "A claim that cannot hold."
[file]
size = "0"
[[step]]
op = "write"
bytes = 3000
chunk = 300
expect = { syscalls = "== 10" }
[[step]]
op = "fsync"
expect = { file_dirty_pages = ">= 256" }
"#,
    );
    let run = iotour(&["verify", p.to_str().unwrap()], wd.path());
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{text}");
    assert_eq!(
        text.trim(),
        "FAIL wrong: step 2 dirty pages of the file: 0, expected at least 256"
    );
    let run = iotour(&["run", p.to_str().unwrap(), "--headless"], wd.path());
    assert_eq!(run.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&run.stdout)
            .contains("✗ step 2 dirty pages of the file: 0, expected at least 256")
    );
}

#[test]
fn a_soft_claim_not_seen_is_a_warning_everywhere_and_passes() {
    let wd = scratch();
    let p = scenario(
        wd.path(),
        "soft.toml",
        r#"[scenario]
title = "Soft on purpose"
summary = "A machine-dependent claim that does not hold here."
[file]
size = "0"
[[step]]
op = "write"
bytes = 3000
chunk = 300
[step.expect]
syscalls = "== 10"
file_dirty_pages = { rule = ">= 256", soft = "the file is too small here", soft_zh = "这里文件太小" }
"#,
    );
    let run = iotour(&["verify", p.to_str().unwrap()], wd.path());
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{text}");
    assert_eq!(
        text.trim(),
        "PASS soft (1 steps, 2 checks; not seen this time: step 1 file_dirty_pages)"
    );
    let rec = wd.path().join("soft.jsonl");
    let run = iotour(
        &[
            "run",
            p.to_str().unwrap(),
            "--headless",
            "--record",
            rec.to_str().unwrap(),
        ],
        wd.path(),
    );
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{text}");
    // The value is 1 page unless someone's sync(2) cleaned it: either way a miss.
    let warned = |text: &str| {
        text.lines().any(|l| {
            l.starts_with("⚠ step 1 dirty pages of the file: ")
                && l.ends_with(
                    ", expected at least 256; not seen this time: the file is too small here",
                )
        })
    };
    assert!(warned(&text), "{text}");
    assert!(!text.contains('✗'), "{text}");
    let replayed = iotour(&["replay", rec.to_str().unwrap(), "--headless"], wd.path());
    let text = String::from_utf8_lossy(&replayed.stdout);
    assert_eq!(replayed.status.code(), Some(0), "{text}");
    assert!(warned(&text), "{text}");
    let run = iotour(&["run", p.to_str().unwrap(), "--json"], wd.path());
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let v = &json["steps"][0]["expect"][1];
    assert_eq!(v["soft"], true, "{v}");
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["why"], "the file is too small here", "{v}");
    assert_eq!(json["steps"][0]["expect"][0]["soft"], false);
    assert_eq!(json["ok"], true);
}

#[test]
fn bad_input_exits_2() {
    let wd = scratch();
    let out = iotour(&["run", "no-such-lesson", "--headless"], wd.path());
    assert_eq!(out.status.code(), Some(2));
    let out = iotour(
        &[
            "run",
            "write-then-fsync",
            "--headless",
            "--max-size",
            "1MiB",
        ],
        wd.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("over the limit") && err.contains("--max-size"),
        "{err}"
    );
    assert!(is_empty_dir(wd.path()), "nothing written before refusing");
}

fn long_sleep(dir: &Path) -> PathBuf {
    scenario(
        dir,
        "long.toml",
        r#"[scenario]
title = "Long"
summary = "Sleeps."
[file]
size = "1MiB"
[[step]]
op = "sleep"
ms = 60000
"#,
    )
}

#[test]
fn sigint_and_sigterm_abort_and_remove_the_workdir() {
    for (sig, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
    ] {
        let src = scratch();
        let wd = scratch();
        let p = long_sleep(src.path());
        let mut child = iotour_cmd(&["run", p.to_str().unwrap(), "--headless"], wd.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the working file to be there (the run is set up and in
        // its sleep step: the file is made before the first step).
        let deadline = Instant::now() + Duration::from_secs(10);
        let has_file = || {
            std::fs::read_dir(wd.path())
                .unwrap()
                .any(|d| d.unwrap().path().join("file").exists())
        };
        while !has_file() {
            assert!(Instant::now() < deadline, "the run never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        let (status, took) = signal_and_wait(&mut child, sig);
        assert!(took < Duration::from_secs(2), "{took:?}");
        assert_eq!(status.code(), Some(code), "signal {sig}");
        assert!(is_empty_dir(wd.path()), "signal {sig}: workdir left behind");
    }
}

/// As root, run the CLI as `nobody` (uid 65534): no tracefs access, so the
/// syscall count falls back to the engine's own, which must still be exact.
#[test]
fn an_unprivileged_user_gets_the_fallback_sources() {
    let Some(nobody) = NobodyCopy::new() else {
        return;
    };
    let out = nobody
        .iotour(&["run", "buffered-write", "--headless", "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let src = &v["environment"]["sources"];
    assert_eq!(src["syscalls"], "engine", "{src}");
    assert!(src["notes"][0].as_str().unwrap().contains("root"), "{src}");
    assert_eq!(src["io"], "procfs");
    assert_eq!(src["pages"], "cachestat");
    assert_eq!(v["steps"][0]["measured"]["syscalls"], 130);
    assert_eq!(v["steps"][0]["measured"]["wchar"], 1 << 20);
    assert!(is_empty_dir(nobody.run_dir()));
}

#[test]
fn disabling_every_switchable_source_still_runs_with_unknowns() {
    let wd = scratch();
    let src = scratch();
    let p = scenario(
        src.path(),
        "blind.toml",
        r#"[scenario]
title = "Blind"
summary = "Dirty pages cannot be seen without cachestat."
[file]
size = "0"
[[step]]
op = "write"
bytes = "8MiB"
chunk = "64KiB"
[[step]]
op = "fsync"
expect = { file_dirty_pages = "== 0" }
"#,
    );
    let out = iotour_cmd(
        &["run", p.to_str().unwrap(), "--headless", "--json"],
        wd.path(),
    )
    .env("IOTOUR_DISABLE", "perf,procio,cachestat")
    .output()
    .unwrap();
    // The expectation on dirty pages is now unknown: it fails.
    let v = json_report(&out, 1);
    let src = &v["environment"]["sources"];
    assert_eq!(src["syscalls"], "engine");
    assert_eq!(src["io"], "unavailable");
    assert_eq!(src["pages"], "mincore");
    let m = &v["steps"][0]["measured"];
    assert_eq!(m["syscalls"], 128);
    assert!(m["wchar"].is_null());
    assert!(m["file_dirty_pages"].is_null());
    assert!(m["file_cached_pages"].as_u64().unwrap() >= 2048);
    let x = &v["steps"][1]["expect"][0];
    assert!(x["actual"].is_null());
    assert_eq!(x["ok"], false);
}

#[test]
fn a_tmpfs_tmpdir_moves_the_workdir_to_the_cache_dir_and_says_why() {
    if !Path::new("/dev/shm").is_dir() {
        eprintln!("no /dev/shm: skipped");
        return;
    }
    let cache = scratch();
    let out = Command::new(BIN)
        .args(["run", "buffered-write", "--headless", "--json"])
        .env("TMPDIR", "/dev/shm")
        .env("XDG_CACHE_HOME", cache.path())
        .env_remove("IOTOUR_DISABLE")
        .output()
        .unwrap();
    let v = json_report(&out, 0);
    let env = &v["environment"];
    let wd = env["workdir"].as_str().unwrap();
    assert!(
        wd.starts_with(cache.path().join("iotour").to_str().unwrap()),
        "{wd}"
    );
    assert_ne!(env["filesystem"], "tmpfs");
    let notes = env["sources"]["notes"].to_string();
    assert!(notes.contains("/dev/shm is tmpfs"), "{notes}");
    // Removed afterwards; only the (empty) iotour cache directory stays.
    assert!(is_empty_dir(&cache.path().join("iotour")));
}
