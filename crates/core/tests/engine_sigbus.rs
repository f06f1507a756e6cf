//! SIGBUS from a file mapping: a truncation under a live mapping fails the
//! step, and a SIGBUS that is not ours still kills the process.

use std::path::PathBuf;
use std::process::Command;

use crate::support::engine as support;

/// The working file is truncated under a live mapping between two slices of
/// a `touch` (after the step's own check of the file size): the next access
/// raises SIGBUS, which must end the step with a reason, not the process.
/// Paused and stepped slice by slice, so the truncation lands exactly there.
#[test]
fn a_file_truncated_under_a_live_mapping_fails_the_step_not_the_process() {
    use iotour_core::engine::{Command as Cmd, ExecEvent};
    use iotour_core::scenario::Op;
    use support::{Ev, config, file, map_file, touch, wait_for};
    for write in [false, true] {
        let p = file(8 << 20)
            .then(map_file(8 << 20).write(write))
            .then(touch(2048).write(write))
            .op(Op::Note)
            .build();
        let mut cfg = config();
        cfg.start_paused = true;
        let (tx, rx) = std::sync::mpsc::channel::<Ev>();
        let engine = iotour_core::engine::start(p, cfg, tx).unwrap();
        let file = engine.workdir().unwrap().join("file");
        wait_for(&rx, |e| matches!(e, Ev::Exec(ExecEvent::Ready { .. })));
        engine.send(Cmd::NextStep);
        wait_for(
            &rx,
            |e| matches!(e, Ev::Exec(ExecEvent::StepDone(r)) if r.index == 1),
        );
        engine.send(Cmd::NextSlice);
        let first = match wait_for(
            &rx,
            |e| matches!(e, Ev::Exec(ExecEvent::Slice(s)) if s.step == 2),
        ) {
            Ev::Exec(ExecEvent::Slice(s)) => s.done,
            _ => unreachable!(),
        };
        assert!(first > 0 && first < 2048, "{first}");
        // Another process would do this; the effect is the same.
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_len(4096)
            .unwrap();
        engine.send(Cmd::Resume);
        let Ev::Exec(ExecEvent::Finished(report)) =
            wait_for(&rx, |e| matches!(e, Ev::Exec(ExecEvent::Finished(_))))
        else {
            unreachable!()
        };
        assert!(!report.ok);
        assert_eq!(report.steps.len(), 2, "the run stops at the failed step");
        let err = report.steps[1].error.as_deref().unwrap();
        assert!(
            err.contains(&format!("SIGBUS at page {first} of the mapping"))
                && err.contains("truncated")
                && err.contains("4096 bytes"),
            "write={write}: {err}"
        );
        drop(engine);
        assert!(!file.exists(), "the working directory is removed");
    }
}

/// After the engine's SIGBUS handler is installed, a SIGBUS that is not from
/// a guarded touch (a bug elsewhere) must still end the process as SIGBUS
/// does, not be swallowed. Checked in a child: this test binary re-run with
/// `IOTOUR_SIGBUS_CHILD` set.
#[test]
fn a_sigbus_outside_a_guarded_touch_still_kills() {
    use std::os::unix::process::ExitStatusExt;
    if std::env::var_os("IOTOUR_SIGBUS_CHILD").is_some() {
        sigbus_child();
    }
    // The child dies by the signal and cannot clean up: its file lives here.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "engine_sigbus::a_sigbus_outside_a_guarded_touch_still_kills",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("IOTOUR_SIGBUS_CHILD", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("handler installed"), "{err}");
    assert_eq!(out.status.signal(), Some(libc::SIGBUS), "{err}");
}

fn sigbus_child() {
    use std::os::fd::AsRawFd;
    // Install the handler the way the engine does: a file touch.
    let p = support::file(1 << 20)
        .then(support::map_file(1 << 20))
        .then(support::touch(1))
        .build();
    assert!(support::run(p, support::config()).ok);
    eprintln!("handler installed");
    let dir = PathBuf::from(std::env::var_os("IOTOUR_SIGBUS_CHILD").unwrap());
    let f = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join("f"))
        .unwrap();
    f.set_len(4096).unwrap();
    // SAFETY: mapping our own file; the read below is meant to fault.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ,
            libc::MAP_SHARED,
            f.as_raw_fd(),
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    f.set_len(0).unwrap();
    // SAFETY: deliberately reads a page past the end of the file: SIGBUS.
    let v = unsafe { std::ptr::read_volatile(p.cast::<u8>()) };
    eprintln!("not killed: read {v}");
    std::process::exit(0);
}
