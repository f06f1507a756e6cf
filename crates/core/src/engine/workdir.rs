//! The private working directory and the working file in it.
//!
//! Where: under `--workdir DIR` if given; else `$TMPDIR` (or `/tmp`) when it is
//! on a disk-backed filesystem; else `$XDG_CACHE_HOME/iotour` (or
//! `~/.cache/iotour`). Many laptops mount /tmp as tmpfs, where there are no
//! dirty pages and fsync does nothing, so the lesson would show nothing.
//! The directory is `iotour-<pid>-XXXXXX`, mode 0700, removed when
//! [`Workdir`] drops.
//!
//! A run killed outright (SIGKILL, a crash, power loss) cannot remove its
//! directory, so every start sweeps the parent first ([`sweep`]): it removes
//! the `iotour-*` directories of this user whose run is gone. The creator's
//! pid is in the name (no gap between creating the directory and marking
//! it), and the run holds an exclusive `flock` on the directory for its whole
//! life (released by the kernel however the process ends), which settles the
//! case of a pid that was reused by another process.

use std::fs::File;
use std::io::{self, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::EngineError;

/// The working directory and facts about its filesystem.
#[derive(Debug)]
pub struct Workdir {
    dir: tempfile::TempDir,
    /// The directory itself, opened and flock'ed (LOCK_EX) while the run lives.
    _lock: Option<File>,
    pub fs: FsInfo,
    /// Why this place was chosen when it is not the first choice.
    pub notes: Vec<String>,
}

/// What statfs/statvfs says about a directory's filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsInfo {
    /// `ext4`, `xfs`, `tmpfs`, ... or the magic number in hex.
    pub name: String,
    /// tmpfs or ramfs: pages live only in memory (no dirty state, no disk).
    pub memory_backed: bool,
    /// Bytes an unprivileged writer may still use.
    pub free_bytes: u64,
}

/// Read statfs (type) and statvfs (free space) of `path`.
pub fn fs_info(path: &Path) -> io::Result<FsInfo> {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: statfs/statvfs are plain data; zeroed is valid; `c` is a
    // NUL-terminated path that outlives the calls.
    let (sfs, svfs) = unsafe {
        let mut sfs: libc::statfs = std::mem::zeroed();
        let mut svfs: libc::statvfs = std::mem::zeroed();
        if libc::statfs(c.as_ptr(), &mut sfs) != 0 || libc::statvfs(c.as_ptr(), &mut svfs) != 0 {
            return Err(io::Error::last_os_error());
        }
        (sfs, svfs)
    };
    let magic = sfs.f_type as u64;
    let (name, memory_backed) = fs_name(magic);
    Ok(FsInfo {
        name,
        memory_backed,
        free_bytes: svfs.f_bavail.saturating_mul(svfs.f_frsize),
    })
}

/// The filesystem's name for a statfs magic number, and whether it lives in memory.
pub fn fs_name(magic: u64) -> (String, bool) {
    let name = match magic {
        0xEF53 => "ext4",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x0102_1994 => "tmpfs",
        0x8584_58F6 => "ramfs",
        0xF2F5_2010 => "f2fs",
        0x2FC1_2FC1 => "zfs",
        0x794C_7630 => "overlayfs",
        0x6969 => "nfs",
        0xFF53_4D42 => "cifs",
        0x4D44 => "vfat",
        0x2011_BAB0 => "exfat",
        0x5346_544E => "ntfs",
        0x6573_5546 => "fuse",
        0x0102_1997 => "9p",
        0xCA45_1A4E => "bcachefs",
        _ => return (format!("{magic:#x}"), false),
    };
    (name.to_string(), matches!(magic, 0x0102_1994 | 0x8584_58F6))
}

/// `p` or its nearest ancestor that exists (a cache directory not created
/// yet lives on its parent's filesystem).
fn existing_ancestor(p: &Path) -> &Path {
    p.ancestors().find(|a| a.exists()).unwrap_or(Path::new("/"))
}

/// The parent directory to use, and notes on why. Creates nothing: `start`
/// validates before anything is written.
fn choose_parent(explicit: Option<&Path>) -> Result<(PathBuf, Vec<String>), EngineError> {
    if let Some(p) = explicit {
        let info = fs_info(p).map_err(|e| EngineError::Workdir {
            path: p.to_path_buf(),
            source: e,
        })?;
        let mut notes = Vec::new();
        if info.memory_backed {
            notes.push(format!(
                "{} is on {}: pages there are never dirty and fsync writes nothing",
                p.display(),
                info.name
            ));
        }
        return Ok((p.to_path_buf(), notes));
    }
    let tmp = std::env::var_os("TMPDIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let tmp_info = fs_info(&tmp).ok();
    if let Some(info) = &tmp_info
        && !info.memory_backed
    {
        return Ok((tmp, Vec::new()));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|c| c.join("iotour"));
    if let Some(cache) = cache
        && let Ok(info) = fs_info(existing_ancestor(&cache))
    {
        let mut notes = vec![format!(
            "{} is {}: using {} instead",
            tmp.display(),
            tmp_info.as_ref().map_or("unusable", |i| i.name.as_str()),
            cache.display()
        )];
        if info.memory_backed {
            notes.push(format!(
                "only {} was available: pages there are never dirty and fsync writes nothing",
                info.name
            ));
        }
        return Ok((cache, notes));
    }
    // Only a memory-backed /tmp: run there and say so.
    let name = tmp_info.map_or_else(|| "unknown".into(), |i| i.name);
    Ok((
        tmp,
        vec![format!(
            "only {name} was available: pages there are never dirty and fsync writes nothing"
        )],
    ))
}

impl Workdir {
    /// Create the private directory (nothing is written yet but the directory).
    pub fn create(explicit_parent: Option<&Path>) -> Result<Workdir, EngineError> {
        let (parent, notes) = choose_parent(explicit_parent)?;
        if explicit_parent.is_none() {
            // The cache directory may not exist yet (an explicit one must).
            std::fs::create_dir_all(&parent).map_err(|e| EngineError::Workdir {
                path: parent.clone(),
                source: e,
            })?;
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("iotour-{}-", std::process::id()))
            // Created 0700 (not chmod'ed after): never visible with a wider mode.
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(&parent)
            .map_err(|e| EngineError::Workdir {
                path: parent.clone(),
                source: e,
            })?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).map_err(
            |e| EngineError::Workdir {
                path: dir.path().to_path_buf(),
                source: e,
            },
        )?;
        let fs = fs_info(dir.path()).map_err(|e| EngineError::Workdir {
            path: dir.path().to_path_buf(),
            source: e,
        })?;
        // Best effort: a filesystem without flock (some FUSE ones) still has
        // the pid in the name, which settles every case but a reused pid.
        let lock = lock_dir(dir.path(), false).ok();
        Ok(Workdir {
            dir,
            _lock: lock,
            fs,
            notes,
        })
    }

    /// Facts about where a workdir would go, without creating it (for validation).
    pub fn probe_parent(explicit_parent: Option<&Path>) -> Result<(PathBuf, FsInfo), EngineError> {
        let (parent, _) = choose_parent(explicit_parent)?;
        let fs = fs_info(existing_ancestor(&parent)).map_err(|e| EngineError::Workdir {
            path: parent.clone(),
            source: e,
        })?;
        Ok((parent, fs))
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Do not remove the directory on drop; returns its path. A marker file
    /// inside tells later runs' [`sweep`] to leave it alone.
    pub fn keep(&mut self) -> PathBuf {
        self.dir.disable_cleanup(true);
        let _ = std::fs::write(
            self.dir.path().join(KEEP_MARKER),
            "kept by `iotour run --keep-workdir`: remove this directory yourself\n",
        );
        self.dir.path().to_path_buf()
    }

    pub fn file_path(&self) -> PathBuf {
        self.dir.path().join("file")
    }
}

/// Open directory `path` and take an exclusive flock on it; `try_only`:
/// fail with `WouldBlock` instead of waiting when another process holds it.
fn lock_dir(path: &Path, try_only: bool) -> io::Result<File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let f = File::options()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(path)?;
    let op = if try_only {
        libc::LOCK_EX | libc::LOCK_NB
    } else {
        libc::LOCK_EX
    };
    // SAFETY: flock on an fd we own.
    if unsafe { libc::flock(f.as_raw_fd(), op) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(f)
}

/// A working directory holding this file was kept on purpose (`--keep-workdir`).
pub const KEEP_MARKER: &str = "KEPT";

/// What [`sweep`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// Directories of dead runs removed.
    pub removed: usize,
    /// Directories of dead runs that could not be removed (with why).
    pub failed: Vec<String>,
}

impl Swept {
    /// A line for the report's notes, when there is something to say.
    pub fn note(&self) -> Option<String> {
        match (self.removed, self.failed.len()) {
            (0, 0) => None,
            (n, 0) => Some(format!(
                "removed {n} working director{} left by runs that were killed",
                if n == 1 { "y" } else { "ies" }
            )),
            (n, _) => Some(format!(
                "removed {n} working directories left by killed runs; could not remove: {}",
                self.failed.join("; ")
            )),
        }
    }
}

/// How young a directory whose creator pid is alive but holds no lock must
/// be to be spared: its creator may be between mkdir and flock (microseconds).
const CREATION_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// Remove the working directories under `parent` left by runs that died.
///
/// Only directories named `iotour-<pid>-*`, owned by this user, mode 0700,
/// not symlinks, not this process's, not kept on purpose ([`KEEP_MARKER`]);
/// and of those only when the run is gone:
/// its pid does not exist, or the pid exists (reused) but nobody holds the
/// directory's lock and it is older than `CREATION_GRACE`. A directory
/// whose lock is held belongs to a live run and is never touched.
pub fn sweep(parent: &Path) -> Swept {
    use std::os::unix::fs::MetadataExt;
    let mut out = Swept::default();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return out;
    };
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let own_pid = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("iotour-"))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir()
            || meta.uid() != me
            || meta.mode() & 0o777 != 0o700
            || pid == own_pid
            || path.join(KEEP_MARKER).exists()
        {
            continue;
        }
        // SAFETY: kill with signal 0 only checks that the pid exists.
        let alive = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0
            || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        let lock = match lock_dir(&path, true) {
            Ok(l) => l,
            // Held: a live run. Anything else: not ours to judge.
            Err(_) => continue,
        };
        if alive {
            let young = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_none_or(|age| age < CREATION_GRACE);
            if young {
                continue;
            }
        }
        match std::fs::remove_dir_all(&path) {
            Ok(()) => out.removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => out.failed.push(format!("{}: {e}", path.display())),
        }
        drop(lock);
    }
    out
}

/// Create the working file with `size` bytes of data (not a sparse hole: every
/// block is allocated, as a real file would be) and fsync it, so step 1 starts
/// from a clean file like one that existed before the program ran (setup's
/// dirty pages would otherwise show up in the first steps' dirty counts).
/// With `!cached` its pages are then dropped so step 1 starts cold.
pub fn prefill(path: &Path, size: u64, cached: bool, stop: &dyn Fn() -> bool) -> io::Result<File> {
    let mut f = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)?;
    // A pattern that is not all zeroes, so nothing can treat it as a hole.
    let block: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8 + 1).collect();
    let mut left = size;
    while left > 0 {
        if stop() {
            // Aborted during a long prefill: the caller drops the workdir.
            return Err(io::Error::new(io::ErrorKind::Interrupted, "aborted"));
        }
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n])?;
        left -= n as u64;
    }
    if cached {
        f.sync_all()?;
    } else {
        evict(&f)?;
    }
    // The worker tracks the fd's position from 0, as a freshly opened file has.
    f.rewind()?;
    Ok(f)
}

/// fsync, then POSIX_FADV_DONTNEED over the whole file.
pub fn evict(f: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    f.sync_all()?;
    // SAFETY: a valid fd; offset 0 / len 0 means the whole file.
    let rc = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filesystem_names_and_memory_backing() {
        assert_eq!(fs_name(0xEF53), ("ext4".to_string(), false));
        assert_eq!(fs_name(0x0102_1994), ("tmpfs".to_string(), true));
        assert_eq!(fs_name(0x1234).0, "0x1234");
    }

    #[test]
    fn workdir_is_private_and_removed_on_drop() {
        let parent = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let wd = Workdir::create(Some(parent.path())).unwrap();
        let path = wd.path().to_path_buf();
        assert!(
            path.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("iotour-")
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        prefill(&wd.file_path(), 10_000, true, &|| false).unwrap();
        assert_eq!(std::fs::metadata(wd.file_path()).unwrap().len(), 10_000);
        drop(wd);
        assert!(!path.exists());
    }

    #[test]
    fn sweep_removes_dead_runs_only() {
        let parent = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let p = parent.path();
        let mk = |name: &str, mode: u32| {
            let d = p.join(name);
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join("file"), b"x").unwrap();
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).unwrap();
            d
        };
        // A pid that cannot exist (above the kernel's pid_max limit).
        let dead = mk("iotour-999999999-aaaaaa", 0o700);
        // A live run: this process's own directory, created and locked.
        let live = Workdir::create(Some(p)).unwrap();
        // Another live process holding no lock, directory brand new: spared
        // (its creator may be between mkdir and flock).
        let fresh = mk("iotour-1-bbbbbb", 0o700);
        // Not ours to judge: another name, a wider mode.
        let other = mk("iotour-keep", 0o700);
        let wide = mk("iotour-999999999-cccccc", 0o755);
        let kept = mk("iotour-999999999-eeeeee", 0o700);
        std::fs::write(kept.join(KEEP_MARKER), b"").unwrap();
        let swept = sweep(p);
        assert_eq!(swept.removed, 1, "{swept:?}");
        assert!(!dead.exists());
        assert!(live.path().exists() && fresh.exists() && other.exists() && wide.exists());
        assert!(kept.exists(), "--keep-workdir is respected");
        assert!(
            swept
                .note()
                .unwrap()
                .contains("removed 1 working directory")
        );
        // A lock held by a live run is respected even when its pid looks dead.
        let held = mk("iotour-999999998-dddddd", 0o700);
        let _lock = lock_dir(&held, false).unwrap();
        assert_eq!(sweep(p).removed, 0);
        assert!(held.exists());
    }

    #[test]
    fn tmpfs_is_detected_where_there_is_one() {
        if let Ok(info) = fs_info(Path::new("/dev/shm")) {
            assert!(info.memory_backed, "{info:?}");
        }
    }
}
