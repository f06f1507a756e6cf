//! `iotour inspect` end to end: the real binary on real files.
//!
//! Files live under `target/` (a real filesystem here and in CI); /dev/shm
//! or a tmpfs /tmp would have no writeback to show.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::unprivileged;
use crate::support::watch;

use unprivileged::{as_nobody, chown_to_nobody, has_setpriv, is_root};
use watch::watch_until_signal;

const BIN: &str = env!("CARGO_BIN_EXE_iotour");

fn scratch() -> tempfile::TempDir {
    let base = crate::support::root().join("target/test-files");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(base).unwrap();
    // Readable by the unprivileged user the permission tests switch to.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn inspect(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("inspect")
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn has_cachestat(v: &Value) -> bool {
    let source = v["files"][0]["source"].as_str();
    if source != Some("cachestat") {
        eprintln!("skipping: no cachestat(2) here (source {source:?})");
    }
    source == Some("cachestat")
}

fn write_file(path: &Path, bytes: usize) -> File {
    let mut f = File::create(path).unwrap();
    f.write_all(&vec![0x5a; bytes]).unwrap();
    f
}

#[test]
fn a_file_written_without_fsync_is_dirty_and_clean_after_sync() {
    let dir = scratch();
    let path = dir.path().join("unsynced");
    let f = write_file(&path, 64 * 4096);
    let p = path.to_str().unwrap();
    let out = inspect(&["--json", p]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json(&out);
    if !has_cachestat(&v) {
        return;
    }
    let file = &v["files"][0];
    assert_eq!(file["path"], p);
    assert_eq!(file["size"], 64 * 4096);
    assert!(file["dirty"].as_u64().unwrap() > 0, "{file}");
    assert!(
        file["cached"].as_u64().unwrap() >= file["dirty"].as_u64().unwrap(),
        "{file}"
    );
    assert!(file["error"].is_null(), "{file}");
    assert_eq!(v["totals"]["dirty"], file["dirty"]);

    f.sync_all().unwrap();
    let v = json(&inspect(&["--json", p]));
    assert_eq!(v["files"][0]["dirty"], 0, "{v}");
    assert_eq!(v["files"][0]["writeback"], 0, "{v}");
    assert!(v["files"][0]["cached"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn missing_and_unreadable_files_are_errors_while_the_rest_is_reported() {
    let dir = scratch();
    let good = dir.path().join("good");
    let secret = dir.path().join("secret");
    write_file(&good, 4096).sync_all().unwrap();
    write_file(&secret, 4096);
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let missing = dir.path().join("missing");
    let args = [
        "inspect",
        "--json",
        dir.path().to_str().unwrap(),
        missing.to_str().unwrap(),
    ];
    // Root reads any file; to meet a file that cannot be opened, run as
    // nobody and give nobody the rest of the tree.
    let run = |args: &[&str]| {
        if is_root() {
            as_nobody(BIN).args(args).output().unwrap()
        } else {
            Command::new(BIN).args(args).output().unwrap()
        }
    };
    if is_root() {
        if !has_setpriv() {
            eprintln!("skipping: root, and no setpriv to drop privileges");
            return;
        }
        chown_to_nobody(dir.path());
        chown_to_nobody(&good);
    }
    // Without the missing path: what could not be read makes it exit 1.
    let out = run(&args[..3]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // The missing path named too: bad input, 2; the rest is still reported.
    let out = run(&args);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v = json(&out);
    let files = v["files"].as_array().unwrap();
    let by = |name: &str| -> &Value {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not in {v}"))
    };
    assert!(
        by("/missing")["error"]
            .as_str()
            .unwrap()
            .contains("No such file"),
        "{v}"
    );
    let secret = by("/secret");
    assert!(
        secret["error"]
            .as_str()
            .unwrap()
            .contains("Permission denied"),
        "{v}"
    );
    assert!(
        secret["cached"].is_null() && secret["size"].is_null(),
        "{v}"
    );
    let good = by("/good");
    assert!(good["error"].is_null(), "{v}");
    assert_eq!(good["pages"], 1);
    assert!(good["cached"].is_u64(), "{v}");
    assert_eq!(v["totals"]["files"], 1);
    assert_eq!(v["totals"]["errors"], 2);
}

#[test]
fn exit_codes_say_whether_everything_was_inspected() {
    let dir = scratch();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    write_file(&a, 100);
    write_file(&b, 100);
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    assert_eq!(inspect(&[a]).status.code(), Some(0));
    // A named path that does not exist is bad input, as for every command;
    // the others are still reported.
    let out = inspect(&["--json", a, "/nonexistent/iotour"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(json(&out)["totals"]["missing"], 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/iotour"), "{err}");
    for bad in [
        vec![],
        vec!["--sort", "size", a],
        vec!["--range", "64MiB", a],
        vec!["--range", "8KiB..4KiB", a],
        vec!["--range", "0..4Q", a],
        vec!["--watch", "0", a],
    ] {
        let out = inspect(&bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{bad:?}");
    }
    let out = inspect(&["--range", "0..4KiB", a, b]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--range zooms into one file, but the paths name 2 files"),
        "{err}"
    );
    let out = Command::new(BIN)
        .env("IOTOUR_DISABLE", "bogus")
        .args(["inspect", a])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn special_files_are_listed_and_skipped_links_are_not_followed() {
    let dir = scratch();
    write_file(&dir.path().join("plain"), 8192);
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(dir.path().join("plain"), dir.path().join("link")).unwrap();
    let out = inspect(&["--json", dir.path().to_str().unwrap()]);
    // A skipped FIFO is not a failure; opening it would have hung.
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json(&out);
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(paths, ["fifo", "plain"], "{v}");
    assert!(
        v["files"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("skipped: FIFO")
    );
    assert_eq!(v["totals"]["symlinks_not_followed"], 1);
    assert_eq!(v["totals"]["skipped"], 1);

    // Followed, the link names a file already counted: no page counted twice.
    let v = json(&inspect(&[
        "--json",
        "--follow",
        dir.path().to_str().unwrap(),
    ]));
    assert_eq!(v["totals"]["files"], 1, "{v}");
    assert_eq!(v["totals"]["duplicates"], 1, "{v}");
    assert_eq!(v["totals"]["pages"], 2, "{v}");
}

#[test]
fn sort_range_and_the_page_map() {
    let dir = scratch();
    let clean = dir.path().join("a-clean");
    let dirty = dir.path().join("b-dirty");
    write_file(&clean, 16 * 4096).sync_all().unwrap();
    let _keep_open = write_file(&dirty, 16 * 4096);
    let d = dir.path().to_str().unwrap();
    let v = json(&inspect(&["--json", "--sort", "dirty", d]));
    if !has_cachestat(&v) {
        return;
    }
    assert!(
        v["files"][0]["path"].as_str().unwrap().ends_with("b-dirty"),
        "{v}"
    );
    let v = json(&inspect(&["--json", "--sort", "path", d]));
    assert!(
        v["files"][0]["path"].as_str().unwrap().ends_with("a-clean"),
        "{v}"
    );

    // Zoom into pages 4..8 of the dirty file.
    let p = dirty.to_str().unwrap();
    let v = json(&inspect(&["--json", "--range", "16KiB..32KiB", p]));
    assert_eq!(v["files"][0]["pages"], 4, "{v}");
    assert_eq!(v["files"][0]["dirty"], 4, "{v}");
    assert_eq!(v["files"][0]["size"], 16 * 4096, "{v}");

    let out = inspect(&["--range", "16KiB..32KiB", p]);
    let text = String::from_utf8(out.stdout).unwrap();
    let map_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("16.0 KiB |"))
        .unwrap_or_else(|| panic!("no map row in\n{text}"));
    assert_eq!(map_line.trim_start(), "16.0 KiB |DDDD|", "{text}");
    // Several files: no map.
    let text = String::from_utf8(inspect(&[d]).stdout).unwrap();
    assert!(!text.contains("map of"), "{text}");
}

#[test]
fn watch_refreshes_until_ctrl_c_then_exits_cleanly() {
    let dir = scratch();
    let path = dir.path().join("watched");
    write_file(&path, 4096);
    let status = watch_until_signal(
        &["inspect", "--watch", "0.1", path.to_str().unwrap()],
        2,
        |line| line.starts_with("iotour inspect, every 0.10s"),
        libc::SIGINT,
    );
    // As every command ended by a signal: 128 + SIGINT.
    assert_eq!(status.code(), Some(130), "{status:?}");
}

#[test]
fn watch_with_json_prints_one_object_per_line() {
    let dir = scratch();
    let path = dir.path().join("watched.json");
    write_file(&path, 3 * 4096);
    let status = watch_until_signal(
        &[
            "inspect",
            "--json",
            "--watch",
            "0.05",
            path.to_str().unwrap(),
        ],
        3,
        |line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(v["files"][0]["pages"], 3, "{v}");
            true
        },
        libc::SIGTERM,
    );
    assert_eq!(status.code(), Some(128 + libc::SIGTERM));
}

/// `inspect /` stays out of /proc, /sys and the other pseudo filesystems
/// (told by type) and says how many it left out; named, /proc is walked;
/// `-x` enters no other filesystem at all.
#[test]
fn pseudo_filesystems_are_left_out_unless_named_and_x_stays_on_one() {
    let out = Command::new(BIN)
        .args(["inspect", "--json", "--max-depth", "1", "/"])
        .output()
        .unwrap();
    let v = json(&out);
    let skipped = v["totals"]["pseudo_filesystems_skipped"].as_u64().unwrap();
    assert!(skipped >= 2, "/proc and /sys at least: {}", v["totals"]);
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("/proc/") || p.starts_with("/sys/")),
        "{paths:?}"
    );
    let text = Command::new(BIN)
        .args(["inspect", "--plain", "--max-depth", "1", "/"])
        .env("LANG", "C")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("pseudo filesystems not entered"), "{text}");
    assert!(text.contains("/proc proc"), "{text}");
    // Named, it is walked.
    let out = Command::new(BIN)
        .args(["inspect", "--json", "/proc/self/status"])
        .output()
        .unwrap();
    assert_eq!(json(&out)["files"][0]["path"], "/proc/self/status");
    // -x: the mounts below / are other filesystems, pseudo or not.
    let out = Command::new(BIN)
        .args(["inspect", "--json", "-x", "--max-depth", "1", "/"])
        .output()
        .unwrap();
    let t = &json(&out)["totals"];
    assert_eq!(t["pseudo_filesystems_skipped"], 0, "{t}");
    assert!(t["other_filesystems_skipped"].as_u64().unwrap() >= 2, "{t}");
}
