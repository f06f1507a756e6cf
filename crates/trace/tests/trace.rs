//! End-to-end traces of the C workload under both backends. The perf tests
//! and the unprivileged-user tests need root and skip (saying so) without.

mod support;

use std::io::Write;
use std::process::{Command, Stdio as PStdio};
use std::sync::mpsc;

use iotour_trace::{Backend, BackendChoice, FileFilter, Stdio, Target, TraceConfig, TraceError};
use support::{
    calls, config, file, is_root, run, skip_unless_root, tempdir, workload, workload_argv,
};

fn backends() -> Vec<BackendChoice> {
    let mut v = vec![BackendChoice::Ptrace];
    if is_root() {
        v.push(BackendChoice::Perf);
    } else {
        eprintln!("SKIP perf variants: not root");
    }
    v
}

fn check_files_workload(report: &iotour_trace::TraceReport, dir: &std::path::Path) {
    assert_eq!(report.exit_code, Some(7));
    assert_eq!(report.lost_events, 0);
    let data = file(report, &dir.join("data"));
    assert_eq!(calls(data, "write"), 100);
    assert_eq!(calls(data, "fsync"), 1);
    assert_eq!(calls(data, "pread64"), 10);
    assert_eq!(calls(data, "msync"), 1);
    assert_eq!(calls(data, "openat"), 1);
    assert_eq!(data.bytes_written, 10_000);
    assert_eq!(data.bytes_read, 1_000);
    assert_eq!(data.size, Some(16_384));
    // msync(MS_SYNC) wrote the stored pages back; nothing is left dirty.
    assert_eq!(data.dirty_pages, Some(0));
    assert_eq!(data.writeback_pages, Some(0));
}

#[test]
fn per_file_counts_are_exact() {
    for backend in backends() {
        let dir = tempdir();
        let (report, events) = run(config(backend, workload_argv("files", dir.path(), None)));
        check_files_workload(&report, dir.path());
        let data = file(&report, &dir.path().join("data"));
        match report.backend {
            Some(Backend::Ptrace) => {
                // Samples around each call: the 3 stored pages appear dirty
                // before msync with no write in between (one of them may
                // already be dirty from ftruncate zeroing the partial page).
                assert!(
                    (2..=3).contains(&data.dirtied_without_write_pages),
                    "{}",
                    data.dirtied_without_write_pages
                );
                assert!(data.peak_dirty_pages.unwrap() >= 3);
                assert_eq!(data.map_faults, None);
            }
            Some(Backend::Perf) => {
                // One write fault per stored page of the shared mapping.
                assert_eq!(data.dirtied_without_write_pages, 3);
                assert!(data.map_faults.unwrap() >= 3);
                // perf sees every call, not just the file ones.
                assert_eq!(report.syscalls.get("exit_group"), Some(&1));
            }
            None => panic!("no backend in the report"),
        }
        // The loader's reads of libc are not the data file's.
        assert!(report.syscalls["pread64"] >= 10);
        let t = &report.threads[0];
        assert!(t.minor_faults.is_some() && t.voluntary_ctx_switches.is_some());
        assert!(report.totals.wchar.unwrap() >= 10_000);
        assert!(matches!(
            events.first(),
            Some(iotour_trace::TraceEvent::Started { .. })
        ));
        assert!(matches!(
            events.last(),
            Some(iotour_trace::TraceEvent::Exited { .. })
        ));
    }
}

#[test]
fn killed_by_sigkill_exits_137() {
    for backend in backends() {
        let dir = tempdir();
        let (report, _) = run(config(backend, workload_argv("kill", dir.path(), None)));
        assert_eq!(report.exit_code, Some(137), "{backend:?}");
        assert_eq!(report.exit_signal, Some(9));
    }
}

#[test]
fn threads_are_followed() {
    for backend in backends() {
        let dir = tempdir();
        let (report, _) = run(config(backend, workload_argv("thread", dir.path(), None)));
        assert_eq!(report.exit_code, Some(0));
        let f = file(&report, &dir.path().join("thread"));
        assert_eq!(calls(f, "write"), 50, "{backend:?}");
        assert_eq!(f.bytes_written, 500);
        assert!(report.threads.len() >= 2, "{:?}", report.threads);
        let writer = report.threads.iter().find(|t| t.tid != report.pid).unwrap();
        assert!(writer.syscalls >= 50);
    }
}

#[test]
fn forked_children_are_followed() {
    for backend in backends() {
        let dir = tempdir();
        let (report, _) = run(config(backend, workload_argv("fork", dir.path(), None)));
        assert_eq!(report.exit_code, Some(0), "{backend:?}");
        let f = file(&report, &dir.path().join("child"));
        assert_eq!(calls(f, "write"), 30, "{backend:?}");
        let pids: std::collections::BTreeSet<i32> = report.threads.iter().map(|t| t.pid).collect();
        assert_eq!(pids.len(), 2, "{:?}", report.threads);
    }
}

#[test]
fn attach_counts_exactly_from_attach_on() {
    for backend in backends() {
        let dir = tempdir();
        let mut child = Command::new(workload())
            .args(["wait", &dir.path().display().to_string()])
            .stdin(PStdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel::<iotour_trace::TraceEvent>();
        let cfg = TraceConfig {
            backend,
            ..TraceConfig::pid(child.id() as i32)
        };
        let tracer = iotour_trace::start(cfg, tx).expect("attach works");
        assert_eq!(tracer.pid(), child.id() as i32);
        // Let it proceed only now: everything it does next is traced.
        child.stdin.take().unwrap().write_all(b"g").unwrap();
        let report = tracer.wait().unwrap();
        // The tracer thread shares this process with the child's parent
        // (this test), so its wait reaps the child: the kernel reports the
        // exit to a tracer of the parent's own thread group and does not
        // keep the zombie for the parent. The status is in the report.
        assert!(child.try_wait().is_err());
        check_files_workload(&report, dir.path());
        assert!(
            report.command.iter().any(|a| a == "wait"),
            "{:?}",
            report.command
        );
        drop(rx);
    }
}

#[test]
fn dup_copies_follow_the_file() {
    for backend in backends() {
        let dir = tempdir();
        let (report, _) = run(config(backend, workload_argv("dup", dir.path(), None)));
        assert_eq!(report.exit_code, Some(0));
        let f = file(&report, &dir.path().join("dup"));
        assert_eq!(calls(f, "write"), 15, "{backend:?}");
        assert_eq!(calls(f, "dup2"), 1);
        assert_eq!(calls(f, "fcntl"), 1);
        assert_eq!(calls(f, "close"), 2);
        assert_eq!(f.bytes_written, 150);
    }
}

#[test]
fn a_file_opened_before_attach_is_resolved() {
    for backend in backends() {
        let dir = tempdir();
        let mut child = Command::new(workload())
            .args(["openwait", &dir.path().display().to_string()])
            .stdin(PStdio::piped())
            .spawn()
            .unwrap();
        // Attach only once the file is open: its descriptor must come from
        // the scan at attach.
        let early = dir.path().join("early");
        while !early.exists() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let (tx, _rx) = mpsc::channel::<iotour_trace::TraceEvent>();
        let cfg = TraceConfig {
            backend,
            ..TraceConfig::pid(child.id() as i32)
        };
        let tracer = iotour_trace::start(cfg, tx).unwrap();
        child.stdin.take().unwrap().write_all(b"g").unwrap();
        let report = tracer.wait().unwrap();
        // Reaped by the tracer (see attach_counts_exactly_from_attach_on).
        assert!(child.try_wait().is_err());
        assert_eq!(report.exit_code, Some(0));
        let f = file(&report, &early);
        assert_eq!(calls(f, "write"), 20, "{backend:?}");
        assert_eq!(calls(f, "openat"), 0);
    }
}

#[test]
fn stop_detaches_and_the_program_runs_on() {
    for backend in backends() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let (tx, _rx) = mpsc::channel::<iotour_trace::TraceEvent>();
        let cfg = TraceConfig {
            backend,
            ..TraceConfig::pid(child.id() as i32)
        };
        let tracer = iotour_trace::start(cfg, tx).unwrap();
        let report = tracer.stop().unwrap();
        assert_eq!(report.exit_code, None);
        // Untraced now: it still runs, and a signal ends it normally.
        let tracer_pid = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .unwrap()
            .lines()
            .find(|l| l.starts_with("TracerPid:"))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned();
        assert_eq!(tracer_pid, "0", "{backend:?}");
        child.kill().unwrap();
        assert!(child.wait().unwrap().code().is_none());
    }
}

#[test]
fn stop_kills_a_started_command() {
    for backend in backends() {
        let (tx, _rx) = mpsc::channel::<iotour_trace::TraceEvent>();
        let tracer =
            iotour_trace::start(config(backend, vec!["sleep".into(), "30".into()]), tx).unwrap();
        let report = tracer.stop().unwrap();
        assert_eq!(report.exit_code, Some(137), "{backend:?}");
    }
}

#[test]
fn files_filter_by_glob() {
    for backend in backends() {
        let dir = tempdir();
        let mut cfg = config(backend, workload_argv("files", dir.path(), None));
        cfg.files = Some(FileFilter::new("**/dat?").unwrap());
        let (report, _) = run(cfg);
        let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_ref()).collect();
        assert_eq!(
            paths,
            vec![dir.path().join("data").display().to_string().as_str()]
        );
        assert_eq!(calls(&report.files[0], "write"), 100);
    }
}

#[test]
fn output_goes_to_the_log_file() {
    let dir = tempdir();
    let log = dir.path().join("out.log");
    let cfg = TraceConfig {
        target: Target::Command {
            argv: vec![
                "sh".into(),
                "-c".into(),
                "echo to-stdout; echo to-stderr >&2".into(),
            ],
            stdio: Stdio::File(log.clone()),
        },
        backend: BackendChoice::Ptrace,
        files: None,
        sample_hz: 0,
    };
    let (report, _) = run(cfg);
    assert_eq!(report.exit_code, Some(0));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "to-stdout\nto-stderr\n"
    );
    // The log is a regular file the program writes: followed like any other.
    assert_eq!(calls(file(&report, &log), "write"), 2);
}

#[test]
fn a_missing_program_is_an_error() {
    let (tx, _rx) = mpsc::channel::<iotour_trace::TraceEvent>();
    let cfg = config(BackendChoice::Ptrace, vec!["/nonexistent/program".into()]);
    match iotour_trace::start(cfg, tx) {
        Err(TraceError::Spawn { program, .. }) => assert_eq!(program, "/nonexistent/program"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a missing program started"),
    }
}

#[test]
fn perf_loses_nothing_in_a_tight_loop() {
    if skip_unless_root("perf_loses_nothing_in_a_tight_loop") {
        return;
    }
    let dir = tempdir();
    let n = 200_000;
    let (report, _) = run(config(
        BackendChoice::Perf,
        workload_argv("getppid", dir.path(), Some(n)),
    ));
    assert_eq!(report.backend, Some(Backend::Perf));
    assert_eq!(report.lost_events, 0);
    assert_eq!(report.syscalls["getppid"], n);
    // The two markers around the loop, and nothing else calls getpid.
    assert_eq!(report.syscalls["getpid"], 2);
    assert_eq!(report.exit_code, Some(0));
}

#[test]
fn ptrace_sees_only_filtered_calls() {
    let dir = tempdir();
    let (report, _) = run(config(
        BackendChoice::Ptrace,
        workload_argv("getppid", dir.path(), Some(1000)),
    ));
    assert_eq!(report.backend, Some(Backend::Ptrace));
    assert_eq!(report.syscalls.get("getppid"), None);
    assert!(report.notes.iter().any(|n| n.contains("seccomp filter")));
}

/// Copy a binary where an unprivileged user can run it.
fn public_copy(src: &std::path::Path, dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dst = dir.join(src.file_name().unwrap());
    std::fs::copy(src, &dst).unwrap();
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o755)).unwrap();
    dst
}

fn example_binary() -> std::path::PathBuf {
    // tests run from target/<profile>/deps; cargo builds examples next door.
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().unwrap().parent().unwrap();
    profile.join("examples/trace")
}

fn as_nobody(args: &[&str]) -> std::process::Output {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(args)
        .output()
        .expect("setpriv runs")
}

#[test]
fn unprivileged_auto_picks_ptrace_and_attach_to_root_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    if skip_unless_root("unprivileged_auto_picks_ptrace_and_attach_to_root_is_refused") {
        return;
    }
    let dir = tempdir();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let trace = public_copy(&example_binary(), dir.path());
    let work = public_copy(workload(), dir.path());
    let d = dir.path().display().to_string();

    let out = as_nobody(&[
        trace.to_str().unwrap(),
        "--",
        work.to_str().unwrap(),
        "files",
        &d,
    ]);
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["backend"], "ptrace");
    let notes = report["notes"].to_string();
    assert!(notes.contains("perf is not usable"), "{notes}");
    let data = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("/data"))
        .unwrap();
    assert_eq!(data["syscalls"]["write"], 100);

    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = sleeper.id().to_string();
    let out = as_nobody(&[trace.to_str().unwrap(), "--pid", &pid]);
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains(&format!("cannot attach to pid {pid}")),
        "{err}"
    );
    assert!(
        err.contains("belongs to uid 0 and you are uid 65534"),
        "{err}"
    );
}
