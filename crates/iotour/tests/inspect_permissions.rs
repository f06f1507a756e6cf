//! The permissions trap, tested for real: as root, run the binary as nobody
//! on a root-owned 0644 file. cachestat(2) answers EPERM there and mincore(2)
//! would claim every page resident, so the report must say "unknown" and why,
//! never a number. Owning the file is enough to see it again.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use std::process::Output;

use serde_json::Value;

use crate::support::unprivileged;

use unprivileged::{as_nobody, chown_to_nobody, has_setpriv, is_root};

const BIN: &str = env!("CARGO_BIN_EXE_iotour");

fn inspect_as_nobody(args: &[&str], env: Option<(&str, &str)>) -> Output {
    let mut c = as_nobody(BIN);
    c.arg("inspect").args(args);
    if let Some((k, v)) = env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn can_run() -> bool {
    if !is_root() {
        eprintln!("skipping: not root, so cannot switch to another user to meet the EPERM rule");
        return false;
    }
    if !has_setpriv() {
        eprintln!("skipping: no setpriv(1)");
        return false;
    }
    true
}

#[test]
fn a_file_nobody_could_write_is_unknown_with_the_reason() {
    if !can_run() {
        return;
    }
    let base = crate::support::root().join("target/test-files");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(base).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("roots");
    let mut f = File::create(&path).unwrap();
    f.write_all(&vec![3u8; 8 * 4096]).unwrap(); // dirty, not synced
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let p = path.to_str().unwrap();

    let out = inspect_as_nobody(&["--json", p], None);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = &v["files"][0];
    if file["source"] == "mincore" || v.to_string().contains("cachestat switched off") {
        eprintln!("skipping: no cachestat(2) here");
        return;
    }
    for key in [
        "cached",
        "dirty",
        "writeback",
        "evicted",
        "recently_evicted",
        "source",
    ] {
        assert!(file[key].is_null(), "{key} should be unknown: {file}");
    }
    assert_eq!(file["size"], 8 * 4096, "{file}");
    let err = file["error"].as_str().unwrap();
    assert!(err.contains("cachestat(2) answered EPERM"), "{err}");
    assert!(err.contains("could open it for writing"), "{err}");
    assert!(v["totals"]["dirty"].is_null(), "{v}");
    assert_eq!(v["totals"]["errors"], 1);

    // The fallback has the same rule but lies instead of failing: still unknown.
    let out = inspect_as_nobody(&["--json", p], Some(("IOTOUR_DISABLE", "cachestat")));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["files"][0]["cached"].is_null(), "{v}");
    let err = v["files"][0]["error"].as_str().unwrap();
    assert!(
        err.contains("mincore(2) claims every page resident"),
        "{err}"
    );

    // The text table shows `?`, not a number.
    let out = inspect_as_nobody(&[p], None);
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text.lines().find(|l| l.contains("/roots")).unwrap();
    assert!(row.contains(" ? ") && row.contains("EPERM"), "{text}");

    // The owner may look: the same file, now nobody's, is measured.
    chown_to_nobody(&path);
    let out = inspect_as_nobody(&["--json", p], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["dirty"], 8, "{v}");
    assert_eq!(v["files"][0]["source"], "cachestat", "{v}");
    drop(f);
}

/// On the mincore fallback, a file nobody may write but does not own
/// (root's, mode 0666) cannot be opened with O_NOATIME, and mapping it
/// would move its access time. inspect must change nothing: the file is
/// reported unknown with the reason, and its atime, set to a known old
/// value first (older than its mtime, so relatime would update it on any
/// access), is the same after every way of inspecting it.
#[test]
fn the_mincore_fallback_never_moves_the_access_time_of_a_file_it_does_not_own() {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    if !can_run() {
        return;
    }
    let base = crate::support::root().join("target/test-files");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(base).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("shared");
    let mut f = File::create(&path).unwrap();
    f.write_all(&vec![5u8; 16 * 4096]).unwrap();
    f.sync_all().unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
    let old = [
        libc::timespec {
            tv_sec: 1_000_000_000,
            tv_nsec: 0,
        },
        libc::timespec {
            tv_sec: 1_500_000_000,
            tv_nsec: 0,
        },
    ];
    let set_old = |f: &File| {
        // SAFETY: a valid fd and the two timespecs futimens wants.
        assert_eq!(unsafe { libc::futimens(f.as_raw_fd(), old.as_ptr()) }, 0);
    };
    let atime = || fs::metadata(&path).unwrap().atime();
    // Control: on this mount, mapping the file without O_NOATIME does move
    // the atime (else this test could prove nothing here).
    set_old(&f);
    {
        let mapped = File::open(&path).unwrap();
        // SAFETY: a fresh read-only shared mapping of an open file, unmapped
        // at once and never touched.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ,
                libc::MAP_SHARED,
                mapped.as_raw_fd(),
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            libc::munmap(p, 4096);
        }
    }
    if atime() == old[0].tv_sec {
        eprintln!("skipping: mapping a file does not move its atime on this mount (noatime?)");
        return;
    }
    set_old(&f);
    let p = path.to_str().unwrap();
    let off = Some(("IOTOUR_DISABLE", "cachestat"));
    for args in [&["--json", p][..], &[p], &["--range", "0..32KiB", p]] {
        let out = inspect_as_nobody(args, off);
        assert_eq!(atime(), old[0].tv_sec, "inspect {args:?} moved the atime");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("would update its access time"),
            "{args:?}: {text}"
        );
    }
    let out = inspect_as_nobody(&["--json", p], off);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["files"][0]["cached"].is_null(), "{v}");
    assert_eq!(v["files"][0]["size"], 16 * 4096, "{v}");
    // With cachestat, nobody (who may write the file) sees it, atime untouched.
    let out = inspect_as_nobody(&["--json", p], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    if v["files"][0]["source"] == "cachestat" {
        assert!(v["files"][0]["cached"].is_u64(), "{v}");
    }
    assert_eq!(atime(), old[0].tv_sec, "cachestat moved the atime");
}
