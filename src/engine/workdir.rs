//! The private working directory and the working file in it.
//!
//! Where: under `--workdir DIR` if given; else `$TMPDIR` (or `/tmp`) when it is
//! on a disk-backed filesystem; else `$XDG_CACHE_HOME/iotour` (or
//! `~/.cache/iotour`). Many laptops mount /tmp as tmpfs, where there are no
//! dirty pages and fsync does nothing, so the lesson would show nothing.
//! The directory is `iotour-XXXXXX`, mode 0700, removed when [`Workdir`] drops.

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
            .prefix("iotour-")
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
        Ok(Workdir { dir, fs, notes })
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

    pub fn file_path(&self) -> PathBuf {
        self.dir.path().join("file")
    }
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
    fn tmpfs_is_detected_where_there_is_one() {
        if let Ok(info) = fs_info(Path::new("/dev/shm")) {
            assert!(info.memory_backed, "{info:?}");
        }
    }
}
