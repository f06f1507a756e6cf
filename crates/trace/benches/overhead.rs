//! Tracing overhead: the same syscall-heavy workloads untraced, under each
//! backend of this crate, under `strace -f -c` and under `perf trace -s`
//! (a reference that is missing, or needs root we lack, is skipped).
//!
//! Workloads (tests/support/workload.c, compiled with cc):
//! - `writes 200000`: 200,000 write(2)s of 64 bytes to a file: every call
//!   is a file call, so every backend sees (and the ptrace ones stop on)
//!   each of them.
//! - `mix 1000000`: 1,000,000 getpid() with one 64-byte write every 1000:
//!   the seccomp filter lets getpid through, strace stops on all of it.
//! - `openclose 20000`: 20,000 x (open, write 1 byte, close): the perf
//!   backend stops on each close to resolve the descriptor first.
//!
//! Each figure is the wall time from start to the end of the report (or to
//! the reference tool's exit), best of `runs`. Run: `cargo bench`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio as PStdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use iotour_trace::{BackendChoice, Stdio, Target, TraceConfig, TraceEvent};

fn workload() -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("iotour-trace-bench-workload");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/workload.c");
    let st = Command::new("cc")
        .args(["-O2", "-pthread", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("cc runs");
    assert!(st.success(), "compiling the workload failed");
    out
}

struct Outcome {
    time: Duration,
    detail: String,
}

fn best(runs: usize, mut f: impl FnMut() -> Option<Outcome>) -> Option<Outcome> {
    let mut best: Option<Outcome> = None;
    for _ in 0..runs {
        let o = f()?;
        if best.as_ref().is_none_or(|b| o.time < b.time) {
            best = Some(o);
        }
    }
    best
}

fn untraced(argv: &[String]) -> Option<Outcome> {
    let t = Instant::now();
    let st = Command::new(&argv[0]).args(&argv[1..]).status().ok()?;
    assert!(st.success());
    Some(Outcome {
        time: t.elapsed(),
        detail: String::new(),
    })
}

fn reference(tool: &[&str], argv: &[String]) -> Option<Outcome> {
    let t = Instant::now();
    let st = Command::new(tool[0])
        .args(&tool[1..])
        .args(argv)
        .stdout(PStdio::null())
        .stderr(PStdio::null())
        .status()
        .ok()?;
    st.success().then(|| Outcome {
        time: t.elapsed(),
        detail: String::new(),
    })
}

fn ours(backend: BackendChoice, argv: &[String]) -> Option<Outcome> {
    let config = TraceConfig {
        target: Target::Command {
            argv: argv.to_vec(),
            stdio: Stdio::Null,
        },
        backend,
        files: None,
        sample_hz: 10,
    };
    let (tx, rx) = mpsc::channel::<TraceEvent>();
    // A consumer like a UI's: takes every event off the channel.
    let sink = std::thread::spawn(move || rx.into_iter().count());
    let t = Instant::now();
    let tracer = iotour_trace::start(config, tx).ok()?;
    let report = tracer.wait().ok()?;
    let time = t.elapsed();
    let events = sink.join().unwrap_or(0);
    Some(Outcome {
        time,
        detail: format!(
            "syscalls {} (write {}), lost_events {}, events {events}",
            report.totals.syscalls,
            report.syscalls.get("write").copied().unwrap_or(0),
            report.lost_events
        ),
    })
}

fn have(tool: &str, probe: &[&str]) -> bool {
    Command::new(tool)
        .args(probe)
        .stdout(PStdio::null())
        .stderr(PStdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    // `cargo bench -- <filter>` passes extra arguments; this bench runs all.
    let bin = workload();
    let dir = tempfile::tempdir().expect("a temp dir");
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let strace = have("strace", &["-V"]);
    let perf_trace = root && have("perf", &["trace", "-o", "/dev/null", "true"]);
    println!(
        "machine: {} CPUs, {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        uname()
    );
    for (mode, n, slow_runs) in [
        ("writes", 200_000u64, 1usize),
        ("mix", 1_000_000, 1),
        ("openclose", 20_000, 1),
    ] {
        let argv = vec![
            bin.display().to_string(),
            mode.to_owned(),
            dir.path().display().to_string(),
            n.to_string(),
        ];
        println!("\nworkload: {mode} {n}");
        let Some(base) = best(3, || untraced(&argv)) else {
            println!("  the workload does not run");
            continue;
        };
        let show = |name: &str, o: Option<Outcome>| match o {
            Some(o) => println!(
                "  {name:<24} {:>9.3} s  {:>7.1}x  {}",
                o.time.as_secs_f64(),
                o.time.as_secs_f64() / base.time.as_secs_f64(),
                o.detail
            ),
            None => println!("  {name:<24} skipped"),
        };
        show(
            "untraced",
            Some(Outcome {
                time: base.time,
                detail: String::new(),
            }),
        );
        if root {
            show("iotour perf", best(3, || ours(BackendChoice::Perf, &argv)));
        } else {
            println!("  iotour perf              skipped: needs root or CAP_PERFMON");
        }
        show(
            "iotour ptrace",
            best(slow_runs, || ours(BackendChoice::Ptrace, &argv)),
        );
        if strace {
            show(
                "strace -f -c",
                best(slow_runs, || {
                    reference(&["strace", "-f", "-c", "-o", "/dev/null"], &argv)
                }),
            );
        } else {
            println!("  strace -f -c             skipped: strace not installed");
        }
        if perf_trace {
            show(
                "perf trace -s",
                best(slow_runs, || {
                    reference(&["perf", "trace", "-s", "-o", "/dev/null"], &argv)
                }),
            );
        } else {
            println!("  perf trace -s            skipped: perf trace unavailable (or not root)");
        }
    }
}

fn uname() -> String {
    Command::new("uname")
        .arg("-sr")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
