//! `iotour stats` end to end: the real binary reading the real /proc.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::support::unprivileged;
use crate::support::watch;

use unprivileged::{as_nobody, has_setpriv, is_root};
use watch::watch_until_signal;

const BIN: &str = env!("CARGO_BIN_EXE_iotour");

fn stats(args: &[&str]) -> Output {
    Command::new(BIN).arg("stats").args(args).output().unwrap()
}

fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_has_the_state_settings_rates_and_pressure() {
    let v = json(&stats(&["--json", "--interval", "0.2"]));
    for key in [
        "dirty_kb",
        "writeback_kb",
        "background_threshold_kb",
        "threshold_kb",
    ] {
        assert!(v[key].is_u64(), "{key}: {v}");
    }
    assert!(v["background_threshold_kb"].as_u64() <= v["threshold_kb"].as_u64());
    let interval = v["interval_ms"].as_u64().unwrap();
    // The upper bound only catches a window ignored altogether (2 cores, shared).
    assert!((190..5000).contains(&interval), "{interval}");
    for key in [
        "dirty_background_ratio",
        "dirty_background_bytes",
        "dirty_ratio",
        "dirty_bytes",
        "dirty_expire_centisecs",
        "dirty_writeback_centisecs",
    ] {
        assert!(v["settings"][key].is_u64(), "{key}: {v}");
    }
    for key in [
        "nr_dirtied",
        "nr_written",
        "pgfault",
        "pgmajfault",
        "pgpgin",
        "pgpgout",
    ] {
        assert!(
            v["rates"][key].as_f64().is_some_and(|r| r >= 0.0),
            "{key}: {v}"
        );
    }
    // Exactly one of the pressure figures and the reason it is missing.
    assert_ne!(
        v["io_pressure"].is_null(),
        v["io_pressure_error"].is_null(),
        "{v}"
    );
    if Path::new("/proc/pressure/io").exists() {
        assert!(v["io_pressure"]["some"]["avg10"].is_f64(), "{v}");
    }
    assert!(v["top_writers"].is_array());
}

#[test]
fn a_process_dirtying_pages_is_a_top_writer() {
    let base = crate::support::root().join("target/test-files");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(base).unwrap();
    let mut file = File::create(dir.path().join("appended")).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            // New pages each time: only a clean page turning dirty is charged.
            let chunk = vec![1u8; 1 << 20];
            while !done.load(Ordering::Relaxed) {
                file.write_all(&chunk).unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let out = stats(&["--json", "--interval", "0.5", "--top", "1000"]);
    done.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let v = json(&out);
    let me = u64::from(std::process::id());
    let mine = v["top_writers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["pid"].as_u64() == Some(me))
        .unwrap_or_else(|| panic!("pid {me} not among the writers: {v}"));
    assert!(mine["write_bytes_per_s"].as_f64().unwrap() > 1e6, "{mine}");
    assert!(v["rates"]["nr_dirtied"].as_f64().unwrap() > 100.0, "{v}");
}

#[test]
fn text_says_how_far_each_threshold_is_and_explains_settings() {
    let out = stats(&["--interval", "0.1"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Dirty is "), "{text}");
    assert!(text.contains("of the background threshold"), "{text}");
    assert!(text.contains("of the hard threshold"), "{text}");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("dirty_expire_centisecs"))
        .expect(&text);
    assert!(line.contains("written by the next flusher run"), "{line}");
    assert!(text.contains("Top writers"), "{text}");
}

#[test]
fn unprivileged_users_get_a_count_of_what_they_cannot_read() {
    if !is_root() || !has_setpriv() {
        eprintln!("skipping: needs root and setpriv(1) to run as another user");
        return;
    }
    let out = as_nobody(BIN)
        .args(["stats", "--json", "--interval", "0.1"])
        .output()
        .unwrap();
    let v = json(&out);
    // At least root's processes (this test's own parent, for one) are hidden.
    assert!(v["processes_unreadable"].as_u64().unwrap() > 0, "{v}");
    let note = v["notes"][0].as_str().unwrap();
    assert!(note.contains("run as root to see them"), "{note}");
}

#[test]
fn watch_refreshes_until_ctrl_c_and_bad_flags_are_usage_errors() {
    let status = watch_until_signal(
        &["stats", "--watch", "0.1", "--interval", "0.05"],
        2,
        |line| line.starts_with("iotour stats, every 0.10s"),
        libc::SIGINT,
    );
    assert_eq!(status.code(), Some(130));

    for bad in [
        &["--interval", "0"][..],
        &["--top", "x"],
        &["--watch", "soon"],
    ] {
        assert_eq!(stats(bad).status.code(), Some(2), "{bad:?}");
    }
}
