//! `inspect` must not disturb what it measures: a file's cached and dirty
//! pages, and its access and modification times, are the same before and
//! after every way of inspecting it.

use std::fs::{self, File};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use iotour_core::probe::Disabled;
use iotour_core::probe::pages::{PageProbe, PagesSource, page_size};

const BIN: &str = env!("CARGO_BIN_EXE_iotour");

fn times(path: &Path) -> [(i64, i64); 3] {
    let m = fs::metadata(path).unwrap();
    [
        (m.atime(), m.atime_nsec()),
        (m.mtime(), m.mtime_nsec()),
        (m.ctime(), m.ctime_nsec()),
    ]
}

#[test]
fn inspecting_changes_neither_the_page_cache_nor_the_file_times() {
    // A sync(2) by anyone else on the machine may write our dirty pages back
    // mid-test. That is not inspect's doing (inspect cannot clean a page), so
    // try again on a fresh file rather than fail or loosen the check.
    for attempt in 1..=3 {
        if attempt_once() {
            return;
        }
        eprintln!("attempt {attempt}: dirty pages written back by another process; again");
    }
    panic!("three attempts were disturbed by writeback from elsewhere");
}

/// `false` when only someone else's writeback changed the counts.
#[allow(
    clippy::too_many_lines,
    reason = "one setup, then each way of inspecting, then a control"
)]
fn attempt_once() -> bool {
    let base = crate::support::root().join("target/test-files");
    fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(base).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("mixed");
    let page = page_size();
    let f = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();

    // 256 pages: written and synced, the second half dropped from the cache,
    // then the first 16 pages dirtied again. Cached ~128, dirty 16. Written a
    // page at a time so the page cache uses page-sized folios: with a large
    // folio, dirtying one page dirties (and keeps cached) all of it.
    for i in 0..256 {
        f.write_all_at(&vec![1u8; page as usize], i * page).unwrap();
    }
    f.sync_all().unwrap();
    // SAFETY: a valid fd; fadvise only drops clean cached pages of the range.
    let rc = unsafe {
        libc::posix_fadvise(
            f.as_raw_fd(),
            (128 * page) as i64,
            (128 * page) as i64,
            libc::POSIX_FADV_DONTNEED,
        )
    };
    assert_eq!(rc, 0);
    for i in 0..16 {
        f.write_all_at(&vec![2u8; page as usize], i * page).unwrap();
    }
    // An atime older than the mtime: under relatime (the default) any read
    // would now update it, so an unchanged atime means nothing was read.
    let old = libc::timespec {
        tv_sec: 1_000_000_000,
        tv_nsec: 0,
    };
    let new = libc::timespec {
        tv_sec: 1_500_000_000,
        tv_nsec: 0,
    };
    let ts = [old, new];
    // SAFETY: a valid fd and a two-element timespec array, as futimens wants.
    assert_eq!(unsafe { libc::futimens(f.as_raw_fd(), ts.as_ptr()) }, 0);

    let probe = PageProbe::detect(&Disabled::default(), &f);
    let counts = || probe.counts(&f, 0, 0).unwrap();
    let before = counts();
    let times_before = times(&path);
    if probe.source() == PagesSource::Cachestat {
        assert_eq!(before.dirty, Some(16), "{before:?}");
    }
    let cached = before.cached.unwrap();
    assert!(
        (16..256).contains(&cached),
        "the setup left {cached} of 256 pages cached"
    );

    let p = path.to_str().unwrap();
    let runs: [(&[&str], Option<&str>); 4] = [
        (&["--json", p], None),
        (&[p], None), // the text table, with the page map
        (&["--range", "0..512KiB", p], None),
        (&[p], Some("cachestat")), // the mincore path: a mapping, never touched
    ];
    for (args, disable) in runs {
        let mut cmd = Command::new(BIN);
        cmd.arg("inspect").args(args);
        if let Some(d) = disable {
            cmd.env("IOTOUR_DISABLE", d);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        let now = counts();
        if now.cached == before.cached && now.dirty < before.dirty {
            return false;
        }
        assert_eq!(now, before, "page cache changed by inspect {args:?}");
        assert_eq!(
            times(&path),
            times_before,
            "file times changed by inspect {args:?}"
        );
    }

    // The JSON agrees with the probe.
    let out = Command::new(BIN)
        .args(["inspect", "--json", p])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    if counts().dirty < before.dirty {
        return false;
    }
    assert_eq!(v["files"][0]["cached"].as_u64(), before.cached);
    assert_eq!(v["files"][0]["dirty"].as_u64(), before.dirty);

    // Control: the checks above can fail. A real read of an uncached page
    // brings pages in, and (unless mounted noatime) moves the atime.
    let mut byte = [0u8; 1];
    let mut reader = File::open(&path).unwrap();
    std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(200 * page)).unwrap();
    reader.read_exact(&mut byte).unwrap();
    assert!(
        counts().cached.unwrap() > cached,
        "a read did not change the cache"
    );
    if times(&path)[0] == times_before[0] {
        eprintln!(
            "note: atime did not move on a read (noatime mount?); the atime check proved little here"
        );
    }
    true
}
