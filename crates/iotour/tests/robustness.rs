//! Hurting iotour on purpose: killed at random moments, asked for more disk
//! or memory than there is, given a disk that fills up mid-step.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::headless;
use crate::support::small_fs;

use headless::{entries, iotour, iotour_cmd, json_report, scenario, scratch, signal_and_wait};
use small_fs::SmallFs;

/// SIGKILL 100 headless runs at moments spread over their whole life
/// (start-up, prefill, eviction, writes, fsync, exit), then start one more:
/// it must sweep every directory the killed runs left.
#[test]
fn sigkill_at_random_moments_then_the_next_start_leaves_nothing() {
    let src = scratch();
    let wd = scratch();
    let p = scenario(
        src.path(),
        "victim.toml",
        r#"[scenario]
title = "Victim"
summary = "Killed at random moments."
[file]
size = "2MiB"
cached = false
[[step]]
op = "write"
bytes = "4MiB"
chunk = "4KiB"
[[step]]
op = "fsync"
[[step]]
op = "sleep"
ms = 30
"#,
    );
    // How long one run lasts here, to spread the kills over it.
    let t = Instant::now();
    let out = iotour(&["run", p.to_str().unwrap(), "--headless"], wd.path());
    assert_eq!(out.status.code(), Some(0));
    let life = t.elapsed().as_micros().max(1000) as u64;
    // A fixed-seed LCG: the same moments every run of the test.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut killed = 0;
    let mut left_behind = 0;
    for _ in 0..100 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = Duration::from_micros((seed >> 33) % life);
        let mut child = iotour_cmd(&["run", p.to_str().unwrap(), "--headless"], wd.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if status.code().is_none() {
            killed += 1;
        }
        // Each start sweeps what the runs before it left, so count here.
        if !entries(wd.path()).is_empty() {
            left_behind += 1;
        }
        assert!(Instant::now() < deadline, "the kill loop took too long");
    }
    eprintln!(
        "{killed} of 100 runs killed before they ended (one run lasts {} ms); \
         after {left_behind} kills a working directory was left behind",
        life / 1000
    );
    assert!(killed >= 50, "the kills should land mostly inside the run");
    assert!(
        left_behind >= 10,
        "few kills left anything: the test did not test the sweep"
    );
    // The last kill may have landed before its run made a directory (and
    // after it swept the one before): then there is nothing to sweep.
    let before = entries(wd.path()).len();
    let out = iotour(
        &["run", p.to_str().unwrap(), "--headless", "--json"],
        wd.path(),
    );
    let v = json_report(&out, 0);
    let notes = v["environment"]["sources"]["notes"].to_string();
    assert_eq!(
        notes.contains("left by runs that were killed"),
        before > 0,
        "{before} left before: {notes}"
    );
    let after = entries(wd.path());
    eprintln!("after the next start: {} left", after.len());
    assert!(after.is_empty(), "left over: {after:?}");
}

#[test]
fn anonymous_mappings_larger_than_memory_are_refused_before_anything_runs() {
    let src = scratch();
    let wd = scratch();
    let avail = iotour_core::probe::system::mem_available().expect("MemAvailable");
    let p = scenario(
        src.path(),
        "greedy.toml",
        &format!(
            r#"[scenario]
title = "Greedy"
summary = "More anonymous memory than the machine has."
[file]
size = "0"
[[step]]
op = "anon_mmap"
bytes = {half}
[[step]]
op = "malloc"
bytes = {half}
[[step]]
op = "touch"
pages = 1
target = "anon"
"#,
            half = avail / 2 + (1 << 30)
        ),
    );
    // The cap is raised out of the way: memory is what refuses it.
    let out = iotour(
        &[
            "run",
            p.to_str().unwrap(),
            "--headless",
            "--max-size",
            "1000TiB",
        ],
        wd.path(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("MemAvailable"), "{err}");
    assert!(entries(wd.path()).is_empty(), "nothing created");
    // Freed in between, the same two fit.
    let ok = std::fs::read_to_string(&p).unwrap().replace(
        "[[step]]\nop = \"malloc\"",
        "[[step]]\nop = \"munmap\"\ntarget = \"anon\"\n[[step]]\nop = \"malloc\"",
    );
    let p2 = scenario(src.path(), "frugal.toml", &ok);
    let check = iotour_core::scenario::parse_file(&p2).unwrap();
    assert!(iotour_core::engine::validate_memory(&check, avail).is_ok());
}

#[test]
fn a_file_bigger_than_the_free_space_is_refused_before_it_starts() {
    let Some(fs) = SmallFs::mount("4m") else {
        return;
    };
    let src = scratch();
    let p = scenario(
        src.path(),
        "big.toml",
        r#"[scenario]
title = "Big"
summary = "Does not fit."
[file]
size = "1MiB"
[[step]]
op = "write"
bytes = "8MiB"
chunk = "1MiB"
"#,
    );
    let out = iotour(&["run", p.to_str().unwrap(), "--headless"], fs.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bytes free"), "{err}");
    assert!(entries(fs.path()).is_empty(), "nothing written");
}

/// The disk fills up while a step writes (another writer takes the space
/// after the run was validated): the step fails with ENOSPC, the report says
/// so, the run stops, and the working directory is removed.
#[test]
fn a_disk_that_fills_up_mid_step_fails_the_step_cleanly() {
    let Some(fs) = SmallFs::mount("8m") else {
        return;
    };
    let src = scratch();
    let p = scenario(
        src.path(),
        "fill.toml",
        r#"[scenario]
title = "Fill"
summary = "Someone else fills the disk."
[file]
size = "64KiB"
[[step]]
op = "sleep"
ms = 1500
[[step]]
op = "write"
bytes = "4MiB"
chunk = "64KiB"
[[step]]
op = "fsync"
"#,
    );
    let child = iotour_cmd(
        &["run", p.to_str().unwrap(), "--headless", "--json"],
        fs.path(),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Once the working file exists, take all but 1 MiB of the space.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let has_file = entries(fs.path())
            .iter()
            .any(|d| fs.path().join(d).join("file").exists());
        if has_file {
            break;
        }
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::write(fs.path().join("filler"), vec![1u8; 7 << 20]).unwrap();
    let out = child.wait_with_output().unwrap();
    let v = json_report(&out, 1);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "the run stops at the failed step");
    let error = steps[1]["error"].as_str().unwrap();
    assert!(error.contains("No space left on device"), "{error}");
    // What was written before the disk filled is still reported.
    let wchar = steps[1]["measured"]["wchar"].as_u64().unwrap();
    assert!(wchar > 0 && wchar < 4 << 20, "{wchar}");
    assert_eq!(v["ok"], false);
    assert_eq!(entries(fs.path()), vec!["filler".to_string()]);
}

/// SIGINT, SIGTERM and SIGHUP while a step is writing (not sleeping: the
/// abort must be seen between slices of real work): exit 128 + signal, the
/// working directory removed, promptly.
#[test]
fn a_signal_mid_write_aborts_cleanly_with_its_exit_code() {
    let src = scratch();
    let p = scenario(
        src.path(),
        "long-write.toml",
        r#"[scenario]
title = "Long write"
summary = "Interrupted while writing."
[file]
size = "0"
[[step]]
op = "write"
bytes = "512MiB"
chunk = "4KiB"
[[step]]
op = "sleep"
ms = 30000
"#,
    );
    for (sig, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
    ] {
        let wd = scratch();
        let mut child = iotour_cmd(&["run", p.to_str().unwrap(), "--headless"], wd.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the write step is under way: the file has grown.
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut size = 0;
        while size < 1 << 20 {
            assert!(Instant::now() < deadline, "the write never started");
            size = entries(wd.path())
                .first()
                .and_then(|d| std::fs::metadata(wd.path().join(d).join("file")).ok())
                .map_or(0, |m| m.len());
            std::thread::sleep(Duration::from_millis(2));
        }
        let (status, took) = signal_and_wait(&mut child, sig);
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert_eq!(status.code(), Some(code), "signal {sig}");
        assert!(entries(wd.path()).is_empty(), "signal {sig}: left behind");
        eprintln!("signal {sig} at {size} bytes written: exit {code}, workdir removed");
    }
}

/// `--keep-workdir` leaves the file for fincore, vmtouch or `iotour inspect`,
/// and later runs' sweep leaves it alone.
#[test]
fn a_kept_workdir_survives_the_next_start() {
    let wd = scratch();
    let out = iotour(
        &[
            "run",
            "buffered-write",
            "--headless",
            "--json",
            "--keep-workdir",
        ],
        wd.path(),
    );
    let v = json_report(&out, 0);
    let kept = PathBuf::from(v["environment"]["workdir"].as_str().unwrap());
    assert_eq!(std::fs::metadata(kept.join("file")).unwrap().len(), 1 << 20);
    assert!(String::from_utf8_lossy(&out.stderr).contains("kept the working directory"));
    let out = iotour(&["run", "buffered-write", "--headless"], wd.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(
        kept.join("file").exists(),
        "the sweep removed a kept directory"
    );
    assert_eq!(entries(wd.path()).len(), 1);
}

/// A signal that arrives while the working file is being removed after the
/// last step (a big file takes a moment to free) still ends the run with
/// 128 + N, not with the report's 0. The moment is found with inotify: the
/// signal is sent when the working file's name is deleted, while the
/// kernel is still freeing its pages and the directory is still there.
#[test]
fn a_signal_during_the_last_removal_still_ends_with_128_plus_n() {
    let src = scratch();
    let p = scenario(
        src.path(),
        "big-last.toml",
        r#"[scenario]
title = "Big last"
summary = "The last step leaves a big file to remove."
[file]
size = "0"
[[step]]
op = "write"
bytes = "768MiB"
chunk = "8MiB"
"#,
    );
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let wd = scratch();
        let mut child = iotour_cmd(&["run", p.to_str().unwrap(), "--headless"], wd.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let dir = loop {
            if let Some(d) = entries(wd.path()).first() {
                break wd.path().join(d);
            }
            assert!(Instant::now() < deadline, "the run never started");
            std::thread::sleep(Duration::from_millis(1));
        };
        // SAFETY: plain inotify calls on an fd owned here, a NUL-terminated
        // path, and a buffer read into within its length.
        let deleted = unsafe {
            let fd = libc::inotify_init1(libc::IN_CLOEXEC);
            assert!(fd >= 0);
            let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
            assert!(libc::inotify_add_watch(fd, c.as_ptr(), libc::IN_DELETE) >= 0);
            let mut buf = [0u8; 4096];
            let mut seen = false;
            while !seen && Instant::now() < deadline {
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                if libc::poll(&raw mut pfd, 1, 1000) <= 0 {
                    continue;
                }
                let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
                let mut at = 0usize;
                while n > 0 && at < n as usize {
                    let ev = std::ptr::read_unaligned(
                        buf.as_ptr().add(at).cast::<libc::inotify_event>(),
                    );
                    let name = std::slice::from_raw_parts(
                        buf.as_ptr()
                            .add(at + std::mem::size_of::<libc::inotify_event>()),
                        ev.len as usize,
                    );
                    seen |= name.starts_with(b"file\0");
                    at += std::mem::size_of::<libc::inotify_event>() + ev.len as usize;
                }
            }
            libc::close(fd);
            seen
        };
        assert!(deleted, "the working file was never removed");
        let alive = std::fs::read_to_string(format!("/proc/{}/stat", child.id()))
            .is_ok_and(|s| !s.contains(") Z "));
        let (status, _) = signal_and_wait(&mut child, sig);
        eprintln!(
            "signal {sig} sent as the working file was removed (process {}): exit {:?}",
            if alive {
                "still ending"
            } else {
                "already a zombie"
            },
            status.code()
        );
        if alive {
            assert_eq!(status.code(), Some(code), "signal {sig}");
        }
        assert!(
            entries(wd.path()).is_empty(),
            "left {:?}",
            entries(wd.path())
        );
    }
}
