//! Fidelity witnesses: iotour's figures against tools that do not share its
//! counters (strace, perf, fincore, vmtouch, cachestat from another process,
//! /proc/meminfo). Every comparison and its tolerance is in
//! `tests/support/witness.rs`; `cargo run --release --example fidelity`
//! writes the same comparisons to `docs/fidelity.md`.
//!
//! Parts that need root (perf tracepoints) or a missing tool print why they
//! are skipped and pass; everything they could check is then unchecked.

use crate::support::witness;

use std::path::{Path, PathBuf};

use witness::{Found, Iotour};

fn iotour() -> Iotour {
    Iotour {
        bin: PathBuf::from(env!("CARGO_BIN_EXE_iotour")),
        env: Vec::new(),
    }
}

fn dir() -> tempfile::TempDir {
    // Under target/: disk-backed, like the real default.
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn scenario(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("scenario.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Print every row and skip reason; fail on any row that does not hold.
fn check(found: &Found, at_least: usize) {
    for s in &found.skipped {
        eprintln!("skipped: {s}");
    }
    for s in &found.retried {
        eprintln!("failed once, run again: {s}");
    }
    for r in &found.rows {
        eprintln!(
            "{} {} | {}: iotour {} vs {} {} ({})",
            if r.ok { "ok  " } else { "FAIL" },
            r.step,
            r.figure,
            r.iotour,
            r.by,
            r.witness,
            r.tolerance
        );
    }
    let bad = found.failures();
    assert!(bad.is_empty(), "{} comparisons failed: {bad:#?}", bad.len());
    if found.skipped.is_empty() {
        assert!(
            found.rows.len() >= at_least,
            "only {} comparisons made",
            found.rows.len()
        );
    }
}

#[test]
fn syscalls_per_step_match_strace_exactly() {
    let d = dir();
    let p = scenario(d.path(), witness::COUNTS_SCENARIO);
    let (found, windows) = witness::syscalls_vs_strace(&iotour(), &p, d.path(), "default");
    check(&found, 12 * 3);
    // The read step's 2 MiB, as strace saw the calls return it.
    assert!(
        found
            .rows
            .iter()
            .any(|r| r.figure == "rchar" && r.step.starts_with("step 4") && r.witness == "2097152"),
        "{:#?}",
        found.rows
    );
    if let Some(w) = windows {
        assert!(w.iter().all(|&n| n >= 1), "every step has a window: {w:?}");
    }
}

#[test]
fn the_engines_own_syscall_count_matches_strace_exactly() {
    let d = dir();
    let p = scenario(d.path(), witness::COUNTS_SCENARIO);
    let blind = Iotour {
        env: vec![("IOTOUR_DISABLE".into(), "tracepoint".into())],
        ..iotour()
    };
    let (found, _) = witness::syscalls_vs_strace(&blind, &p, d.path(), "fallback");
    check(&found, 12);
    assert!(
        found.rows.iter().all(|r| r.figure.contains("engine")),
        "the fallback source was used"
    );
}

#[test]
fn faults_and_context_switches_per_step_match_perf() {
    let d = dir();
    let p = scenario(d.path(), witness::COUNTS_SCENARIO);
    let (found, windows) = witness::syscalls_vs_strace(&iotour(), &p, d.path(), "default");
    let Some(windows) = windows else {
        check(&found, 0);
        eprintln!("skipped: no strace windows");
        return;
    };
    let found = witness::twice(|| witness::faults_vs_perf(&iotour(), &p, d.path(), &windows));
    check(&found, 12 * 4);
    // The scenario's anonymous touch faults 2000 pages, one each: a witness
    // that saw nothing would not pass the rows above, but say it plainly.
    if let Some(r) = found
        .rows
        .iter()
        .find(|r| r.figure == "minor_faults" && r.step.starts_with("step 11"))
    {
        assert!(r.witness.parse::<u64>().unwrap() >= 2000, "{r:?}");
    }
}

#[test]
fn file_page_state_matches_fincore_vmtouch_and_cachestat_after_each_step() {
    let d = dir();
    let found = witness::twice(|| witness::pages_vs_tools(&iotour(), d.path()));
    check(&found, 7 * 2);
    // The lesson itself must be visible: dirty after pwrite, clean after fsync.
    let dirty = |step: &str| {
        found
            .rows
            .iter()
            .find(|r| r.figure == "file_dirty_pages" && r.step.starts_with(step))
            .map(|r| r.witness.parse::<u64>().unwrap())
    };
    if let (Some(after_pwrite), Some(after_fsync)) = (dirty("step 2"), dirty("step 3")) {
        assert!(after_pwrite >= 128, "{after_pwrite}");
        assert_eq!(after_fsync, 0);
    }
}

#[test]
fn system_dirty_and_writeback_lie_in_what_meminfo_showed() {
    let d = dir();
    let p = scenario(d.path(), witness::PAGES_SCENARIO);
    let found = witness::twice(|| witness::system_vs_meminfo(&iotour(), &p, d.path()));
    check(&found, 7 * 2);
}

#[test]
fn the_strace_parser_finds_windows_and_steps() {
    // Two steps: the first with one window of 2 work calls, the second with
    // two windows of 1; the warm-up getrusage and out-of-window calls ignored.
    let text = r#"10 prctl(PR_SET_NAME, "exec") = 0
10 perf_event_open({type=PERF_TYPE_TRACEPOINT, size=PERF_ATTR_SIZE_VER0, ...}, 0, -1, -1, PERF_FLAG_FD_CLOEXEC <unfinished ...>
11 futex(0x1, FUTEX_WAKE_PRIVATE, 1) = 0
10 <... perf_event_open resumed>) = 4
10 getrusage(RUSAGE_THREAD, {...}) = 0
10 openat(AT_FDCWD, "/work/file", O_RDWR) = 3
10 getrusage(RUSAGE_THREAD, {...}) = 0
10 read(4, "\1\0\0\0\0\0\0\0", 8) = 8
11 write(1, "x", 1) = 1
10 write(3, "ab", 2 <unfinished ...>
10 <... write resumed>)      = 2
10 write(3, "ab", 2)     = 2
10 read(4, "\4\0\0\0\0\0\0\0", 8) = 8
10 getrusage(RUSAGE_THREAD,  <unfinished ...>
10 <... getrusage resumed>{...}) = 0
10 openat(AT_FDCWD, "/proc/self/statm", O_RDONLY|O_CLOEXEC) = 5
10 getrusage(RUSAGE_THREAD, {...}) = 0
10 read(4,  <unfinished ...>
10 <... read resumed>"", 8) = 8
10 fsync(3) = 0
10 read(4, "", 8) = 8
10 getrusage(RUSAGE_THREAD, {...}) = 0
10 cachestat(3, ...) = 0
10 getrusage(RUSAGE_THREAD, {...}) = 0
10 read(4, "", 8) = 8
10 fsync(3) = 0
10 read(4, "", 8) = 8
10 getrusage(RUSAGE_THREAD, {...}) = 0
10 openat(AT_FDCWD, "/proc/self/statm", O_RDONLY|O_CLOEXEC) = 5
10 +++ exited with 0 +++
"#;
    let steps = witness::parse_strace(text, true).unwrap();
    assert_eq!(
        steps,
        vec![
            witness::StepCalls {
                windows: 1,
                syscalls: 2,
                read_bytes: 0,
                written_bytes: 4
            },
            witness::StepCalls {
                windows: 2,
                syscalls: 2,
                read_bytes: 0,
                written_bytes: 0
            },
        ]
    );
    // Without the tracepoint the bracketing reads are work: refuse nothing,
    // count them.
    let steps = witness::parse_strace(text, false).unwrap();
    assert_eq!(steps[0].syscalls, 4);
    // A window that does not start with the tracepoint read is an error.
    let bad = text.replace("10 read(4, \"\\1\\0\\0\\0\\0\\0\\0\\0\", 8) = 8\n", "");
    assert!(witness::parse_strace(&bad, true).is_err());
}

#[test]
fn the_perf_parser_counts_events_inside_windows_only() {
    let nr = libc::SYS_getrusage;
    let text = format!(
        "exec 10 raw_syscalls:sys_enter: NR {nr} (1)\n\
         exec 10 page-faults:\n\
         exec 10 raw_syscalls:sys_enter: NR {nr} (1)\n\
         exec 10 page-faults:\n\
         exec 10 minor-faults:\n\
         sampler 11 page-faults:\n\
         exec 10 context-switches:\n\
         exec 10 raw_syscalls:sys_enter: NR 0 (4, 0, 8)\n\
         exec 10 raw_syscalls:sys_enter: NR {nr} (1)\n\
         exec 10 major-faults:\n"
    );
    let w = witness::parse_perf(&text).unwrap();
    assert_eq!(
        w,
        vec![witness::WindowEvents {
            page_faults: 1,
            minor_faults: 1,
            major_faults: 0,
            context_switches: 1
        }]
    );
}

/// Issue 13: without the tracepoint the engine counts malloc's and free's
/// syscalls from glibc's own bookkeeping (mallinfo2), not from the block's
/// size: glibc raises its mmap threshold after the first big free, so a
/// later 1 MiB malloc comes from the heap and its free makes no call. Two
/// fresh processes, one counting with the tracepoint and one without, must
/// agree step by step.
#[test]
fn malloc_and_free_engine_counts_match_the_tracepoint() {
    let d = dir();
    let p = scenario(
        d.path(),
        r#"[scenario]
title = "m"
summary = "malloc, free, malloc, free"
[[step]]
op = "malloc"
bytes = "1MiB"
[[step]]
op = "munmap"
target = "anon"
[[step]]
op = "malloc"
bytes = "1MiB"
[[step]]
op = "munmap"
target = "anon"
"#,
    );
    let calls = |disable: &str| -> (String, Vec<u64>) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_iotour"))
            .args(["run", p.to_str().unwrap(), "--json", "--workdir"])
            .arg(d.path())
            .env("IOTOUR_DISABLE", disable)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let source = v["environment"]["sources"]["syscalls"]
            .as_str()
            .unwrap()
            .to_string();
        let calls = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["measured"]["syscalls"].as_u64().unwrap())
            .collect();
        (source, calls)
    };
    let (source, exact) = calls("");
    if source != "tracepoint" {
        eprintln!("skipped: no tracepoint to witness the count (not root)");
        return;
    }
    let (source, counted) = calls("tracepoint");
    assert_eq!(source, "engine");
    // The first malloc and both frees are exact. The second malloc grows
    // the worker's heap, which the sampler thread also allocates from: on a
    // loaded machine its growth sometimes takes one more call than the
    // bookkeeping shows (seen: 2 against 1, once in a full parallel suite).
    assert_eq!(
        (counted[0], counted[1], counted[3]),
        (exact[0], exact[1], exact[3]),
        "{counted:?} vs {exact:?}"
    );
    assert!(
        counted[2].abs_diff(exact[2]) <= 1,
        "{counted:?} vs {exact:?}"
    );
}

/// Issue 13: the modeled write-back DMA equals what the block layer was
/// asked to write into the file's blocks (root; skipped otherwise).
#[test]
fn write_back_dma_matches_the_block_layer() {
    let d = dir();
    let p = scenario(d.path(), witness::DMA_SCENARIO);
    let found = witness::twice(|| witness::dma_vs_block_layer(&iotour(), &p, d.path()));
    check(&found, 4);
}
