//! The iotour binary run headless from tests: scratch directories on a
//! disk-backed filesystem, scenario files written for one test, runs in a
//! working directory of the test's choosing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_iotour");

/// A fresh directory under target/: disk-backed like the real default, where /tmp may be tmpfs.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// Write `text` to `dir/name`; the file's path.
pub fn scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `iotour ARGS --workdir WORKDIR` with IOTOUR_DISABLE unset, ready to run or spawn.
pub fn iotour_cmd(args: &[&str], workdir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .arg("--workdir")
        .arg(workdir)
        .env_remove("IOTOUR_DISABLE");
    c
}

/// `iotour ARGS --workdir WORKDIR` run to the end.
pub fn iotour(args: &[&str], workdir: &Path) -> Output {
    iotour_cmd(args, workdir).output().unwrap()
}

/// The names in `dir`.
pub fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Send `sig` to `child` and reap it; its status and how long it took to end.
pub fn signal_and_wait(child: &mut Child, sig: libc::c_int) -> (ExitStatus, Duration) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on the pid of our own child, not yet reaped.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    let t = Instant::now();
    let status = child.wait().unwrap();
    (status, t.elapsed())
}

/// Assert the run exited with `code` (its stderr in the message) and parse its stdout as JSON.
pub fn json_report(out: &Output, code: i32) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
