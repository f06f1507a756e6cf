//! The working directory cannot be swapped under a run (issue 11): as root,
//! with `--workdir` in a directory another user can write (no sticky bit),
//! that user renames the run's `iotour-*` directory away between two steps
//! and puts a directory of the same name in its place, with `file` a symlink
//! to a root-only file. The `reopen` and `write` steps that follow must go on
//! in the run's own file (opened through the directory's fd), and the
//! victim must be untouched.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc::channel;

use iotour_core::engine::{self, ExecEvent};
use iotour_core::scenario::{Op, OpenFlags};

use crate::support::engine::{Ev, config, file, reopen, wait_for, write};

const VICTIM_TEXT: &[u8] = b"root's secret: must never change\n";

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_renamed_workdir_with_a_planted_symlink_does_not_redirect_the_writes() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: the attack needs a second user (nobody via setpriv); skipped");
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("no setpriv(1): skipped");
        return;
    }
    // /tmp, so nobody can reach it whatever the checkout's ancestors allow.
    let base = tempfile::tempdir_in("/tmp").unwrap();
    chmod(base.path(), 0o755);
    let parent = base.path().join("shared");
    std::fs::create_dir(&parent).unwrap();
    chmod(&parent, 0o777); // world-writable, sticky bit off
    let secret = base.path().join("secret");
    std::fs::create_dir(&secret).unwrap();
    chmod(&secret, 0o700);
    let victim = secret.join("victim");
    std::fs::write(&victim, VICTIM_TEXT).unwrap();
    chmod(&victim, 0o600);

    let mut c = config();
    c.workdir_parent = Some(parent.clone());
    c.start_paused = true;
    let plan = file(4096)
        .op(Op::Note)
        .op(reopen(OpenFlags::default()))
        .op(write(8192, 4096))
        .build();
    let (tx, rx) = channel::<Ev>();
    let engine = engine::start(plan, c, tx).unwrap();
    let name = engine.workdir().unwrap().file_name().unwrap().to_owned();
    wait_for(&rx, |e| matches!(e, Ev::Exec(ExecEvent::Ready { .. })));
    // Step 1 runs; the engine pauses before step 2 (the reopen).
    engine.send(engine::Command::NextStep);
    wait_for(
        &rx,
        |e| matches!(e, Ev::Exec(ExecEvent::StepDone(s)) if s.index == 1),
    );

    // The attack, as nobody.
    let attack = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sh",
            "-c",
        ])
        .arg(r#"mv "$P/$N" "$P/moved" && mkdir "$P/$N" && ln -s "$V" "$P/$N/file""#)
        .env("P", &parent)
        .env("N", &name)
        .env("V", &victim)
        .status()
        .unwrap();
    assert!(attack.success(), "the attack itself failed: {attack}");
    assert!(
        std::fs::symlink_metadata(parent.join(&name).join("file"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    engine.send(engine::Command::Resume);
    let report = match wait_for(&rx, |e| {
        matches!(
            e,
            Ev::Exec(ExecEvent::Finished(_) | ExecEvent::Failed { .. })
        )
    }) {
        Ev::Exec(ExecEvent::Finished(r)) => r,
        other => panic!("the run failed: {other:?}"),
    };
    for s in &report.steps {
        assert_eq!(s.error, None, "step {} ({})", s.index, s.op);
    }
    // The writes landed in the run's own file, in the directory moved away.
    assert_eq!(
        std::fs::metadata(parent.join("moved").join("file"))
            .unwrap()
            .len(),
        8192
    );
    drop(engine);
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        VICTIM_TEXT,
        "the victim is untouched"
    );
    // Removal went through the fd too: the run's own directory is emptied
    // where it was moved; the planted directory and its symlink are not the
    // run's and are left alone.
    assert_eq!(std::fs::read_dir(parent.join("moved")).unwrap().count(), 0);
    assert!(
        std::fs::symlink_metadata(parent.join(&name).join("file"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&victim).unwrap(), VICTIM_TEXT);
}
