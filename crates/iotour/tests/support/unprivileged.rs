//! Running iotour as `nobody` (uid and gid 65534) through setpriv(1), which
//! only root can do: how the tests meet what an ordinary user meets (no
//! tracefs, EPERM from cachestat on other users' files, unreadable /proc).

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// nobody's uid and gid.
pub const NOBODY: u32 = 65534;

/// Whether the tests run as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Whether setpriv(1) can be run.
pub fn has_setpriv() -> bool {
    Command::new("setpriv").arg("--version").output().is_ok()
}

/// `program` as nobody with no supplementary groups; add its arguments and run it.
pub fn as_nobody(program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(program);
    c
}

/// Make nobody the owner of `path`.
pub fn chown_to_nobody(path: &Path) {
    std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
}

/// A copy of the iotour binary that nobody can run, and a directory nobody
/// can write: the checkout may sit where nobody cannot enter (CI clones into
/// root's home). Removed on drop.
pub struct NobodyCopy {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    run_dir: PathBuf,
}

impl NobodyCopy {
    /// The copy, in a disk-backed /tmp or /var/tmp; `None` (the reason on stderr) when not root, without setpriv, or with neither.
    pub fn new() -> Option<NobodyCopy> {
        if !is_root() {
            eprintln!("not root: the other tests here are the unprivileged run already; skipped");
            return None;
        }
        if !has_setpriv() {
            eprintln!("no setpriv: skipped");
            return None;
        }
        let Some(base) = ["/tmp", "/var/tmp"]
            .into_iter()
            .map(Path::new)
            .find(|p| iotour_core::engine::workdir::fs_info(p).is_ok_and(|i| !i.memory_backed))
        else {
            eprintln!("no disk-backed /tmp or /var/tmp: skipped");
            return None;
        };
        let dir = tempfile::tempdir_in(base).unwrap();
        let mode = |p: &Path, m| std::fs::set_permissions(p, PermissionsExt::from_mode(m)).unwrap();
        mode(dir.path(), 0o755);
        let bin = dir.path().join("iotour");
        std::fs::copy(env!("CARGO_BIN_EXE_iotour"), &bin).unwrap();
        mode(&bin, 0o755);
        let run_dir = dir.path().join("run");
        std::fs::create_dir(&run_dir).unwrap();
        mode(&run_dir, 0o777);
        Some(NobodyCopy {
            _dir: dir,
            bin,
            run_dir,
        })
    }

    /// The copy of the binary that nobody runs.
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// The directory nobody works in: the runs' `--workdir`, current directory and HOME.
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// `iotour ARGS --workdir RUN_DIR` as nobody, in RUN_DIR with HOME there and IOTOUR_DISABLE unset.
    pub fn iotour(&self, args: &[&str]) -> Command {
        let mut c = as_nobody(&self.bin);
        c.args(args)
            .arg("--workdir")
            .arg(&self.run_dir)
            .current_dir(&self.run_dir)
            .env("HOME", &self.run_dir)
            .env_remove("IOTOUR_DISABLE");
        c
    }
}
