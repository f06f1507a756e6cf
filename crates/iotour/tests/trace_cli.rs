//! `iotour trace` as a user runs it: a small C program with known calls
//! (the trace crate's workload, compiled here), traced headless through
//! every backend, as root and as nobody, started and attached, recorded and
//! replayed, and on a terminal.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use crate::support::pty::Pty;
use crate::support::unprivileged::{NobodyCopy, as_nobody, is_root};

const BIN: &str = env!("CARGO_BIN_EXE_iotour");

/// The workload, compiled once per test run into cargo's tmp dir (a place
/// nobody can read too: the unprivileged test runs it).
fn workload() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let src = crate::support::root().join("crates/trace/tests/support/workload.c");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("trace-cli");
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join(format!("workload-{}", std::process::id()));
        let status = Command::new("cc")
            .args(["-O1", "-pthread", "-o"])
            .arg(&out)
            .arg(&src)
            .status()
            .expect("cc (gcc) runs");
        assert!(status.success(), "cc {}", src.display());
        out
    })
}

fn trace_json(args: &[&str], dir: &Path) -> (Output, Value) {
    let out = Command::new(BIN)
        .arg("trace")
        .args(args)
        .args(["--json", "--"])
        .arg(workload())
        .arg("files")
        .arg(dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, v)
}

fn data_file<'a>(v: &'a Value, dir: &Path) -> &'a Value {
    let want = dir.join("data").display().to_string();
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == want.as_str())
        .unwrap_or_else(|| panic!("no {want} in {v}"))
}

/// The workload's `files` mode: 100 writes of 100 B, fsync, 10 pread64,
/// ftruncate, a shared mapping with 3 stores, msync, exit 7.
fn assert_exact(v: &Value, dir: &Path) {
    assert_eq!(v["exit_code"], 7, "{v}");
    let f = data_file(v, dir);
    let calls = &f["syscalls"];
    assert_eq!(calls["write"], 100, "{f}");
    assert_eq!(calls["fsync"], 1, "{f}");
    assert_eq!(calls["pread64"], 10, "{f}");
    assert_eq!(calls["msync"], 1, "{f}");
    assert_eq!(f["bytes_written"], 10_000, "{f}");
    assert_eq!(f["bytes_read"], 1_000, "{f}");
    assert_eq!(f["dirty_pages"], 0, "msync(MS_SYNC) cleaned it: {f}");
    assert_eq!(f["size"], 16384, "{f}");
    // The loader's reads of libc are not the program's calls on its file.
    let libc = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().is_some_and(|p| p.contains("libc")));
    if let Some(libc) = libc {
        assert!(libc["syscalls"]["write"].is_null(), "{libc}");
    }
}

#[test]
fn every_backend_counts_a_programs_calls_on_its_file_exactly() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let mut backends = vec!["ptrace"];
    if is_root() {
        backends.push("perf");
    } else {
        eprintln!("not root: the perf backend is not tried");
    }
    for backend in backends {
        let (out, v) = trace_json(&["--backend", backend], dir.path());
        assert_eq!(
            out.status.code(),
            Some(7),
            "the program's exit status is ours"
        );
        assert_eq!(v["backend"], backend, "{v}");
        assert_eq!(v["lost_events"], 0, "{v}");
        assert_exact(&v, dir.path());
        assert!(v["totals"]["syscalls"].as_u64().unwrap() >= 112, "{v}");
    }
}

#[test]
fn a_program_killed_by_a_signal_gives_128_plus_it() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let out = Command::new(BIN)
        .args(["trace", "--headless", "--"])
        .arg(workload())
        .arg("kill")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(137), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("killed by signal 9 (exit 137)"), "{text}");
}

#[test]
fn a_recorded_trace_replays_to_the_same_report() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rec = dir.path().join("t.jsonl");
    let (_, live) = trace_json(&["--record", rec.to_str().unwrap()], dir.path());
    let out = Command::new(BIN)
        .args(["replay", "--headless", "--json"])
        .arg(&rec)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(replayed["files"], live["files"]);
    assert_eq!(replayed["totals"], live["totals"]);
    assert_eq!(replayed["exit_code"], 7);
}

#[test]
fn as_nobody_auto_picks_ptrace_and_counts_exactly_and_a_root_pid_is_refused_with_the_reason() {
    let Some(copy) = NobodyCopy::new() else {
        return;
    };
    // The workload must be readable by nobody too.
    let prog = copy.run_dir().join("workload");
    std::fs::copy(workload(), &prog).unwrap();
    // Standard error is a file only root may open, as CI's log is: the
    // program's output must reach it through our descriptor, never by
    // reopening /dev/stderr as nobody.
    let err_path = std::env::temp_dir().join(format!("iotour-test-stderr-{}", std::process::id()));
    let err_file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&err_path)
        .unwrap();
    let out = as_nobody(copy.bin())
        .args(["trace", "--json", "--"])
        .current_dir(copy.run_dir())
        .arg(&prog)
        .arg("files")
        .arg(copy.run_dir())
        .stderr(err_file)
        .output()
        .unwrap();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(v["backend"], "ptrace", "{v}");
    assert_exact(&v, copy.run_dir());
    let notes = v["notes"].to_string();
    assert!(notes.contains("perf"), "the fallback says why: {notes}");

    // A process of root's, which nobody may not trace.
    let mut victim = Command::new("sleep").arg("30").spawn().unwrap();
    let out = as_nobody(copy.bin())
        .args(["trace", "--headless", "--pid", &victim.id().to_string()])
        .output()
        .unwrap();
    let _ = victim.kill();
    let _ = victim.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot attach to pid"), "{err}");
    assert!(err.contains("uid 0") && err.contains("uid 65534"), "{err}");
}

#[test]
fn attaching_counts_from_the_attach_on() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    // `wait` reads one byte from stdin before doing what `files` does.
    let mut program = Command::new(workload())
        .arg("wait")
        .arg(dir.path())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let tracer = Command::new(BIN)
        .args(["trace", "--json", "--pid", &program.id().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The tracer says nothing until the end; give it the time to attach,
    // then wait for its seize to show in the program's status.
    let attached = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        std::fs::read_to_string(format!("/proc/{}/status", program.id())).is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("TracerPid:") && !l.ends_with("\t0"))
        })
    });
    assert!(attached, "the tracer attached");
    {
        use std::io::Write;
        program.stdin.take().unwrap().write_all(b"x").unwrap();
    }
    let out = tracer.wait_with_output().unwrap();
    let _ = program.wait();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_exact(&v, dir.path());
}

#[test]
fn the_trace_screen_shows_the_files_names_the_log_and_q_ends_it() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let prog = workload().to_str().unwrap();
    let d = dir.path().to_str().unwrap();
    // `openwait` opens DIR/early and reads a byte from its stdin: the screen
    // gives the program /dev/null, so it reads none and exits 170.
    let mut pty = Pty::spawn(&["trace", "--", prog, "openwait", d], 120, 40, &[]);
    pty.wait_for("iotour trace", Duration::from_secs(20))
        .unwrap();
    pty.wait_for("early", Duration::from_secs(20)).unwrap();
    let screen = pty.contents();
    assert!(screen.contains("the program's output → "), "{screen}");
    pty.wait_for("exited 170", Duration::from_secs(20)).unwrap();
    pty.send(b" ");
    pty.wait_for("view frozen", Duration::from_secs(10))
        .unwrap();
    pty.send(b"q");
    let status = pty.wait_exit(Duration::from_secs(20)).unwrap();
    assert_eq!(
        status.code(),
        Some(170),
        "the program's status is ours: {}",
        pty.contents()
    );
    pty.assert_restored();
}
