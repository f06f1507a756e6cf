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
//!
//! Everything after creation goes through directory file descriptors, never
//! a path again: the parent is opened once, the directory is made with
//! `mkdirat` and opened at once with `O_DIRECTORY | O_NOFOLLOW` (and checked
//! to be the 0700 directory of this user that was just made), and the file
//! is created, reopened, unlinked and the directory removed with
//! `openat`/`unlinkat` relative to those fds (`O_NOFOLLOW` on the file). Who
//! can write the parent can rename the directory away and put another with
//! a symlink named `file` in its place; the run goes on in its own directory
//! regardless, and never opens or removes anything of theirs by name.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Seek, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};

use super::EngineError;

/// The working file's name in the working directory.
pub const FILE: &str = "file";
/// The second file `copy_file_range` copies into.
pub const COPY: &str = "copy";

/// The working directory and facts about its filesystem.
#[derive(Debug)]
pub struct Workdir {
    /// The parent directory, opened once.
    parent: OwnedFd,
    /// The directory's name in the parent (`iotour-<pid>-XXXXXX`).
    name: OsString,
    /// The directory itself, opened right after it was made and flock'ed
    /// (`LOCK_EX`) while the run lives: every open and unlink goes through it.
    dir: Arc<OwnedFd>,
    /// Where it was made, for messages and reports (never opened again).
    path: PathBuf,
    /// `keep` was called: leave it on disk.
    kept: bool,
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
        if libc::statfs(c.as_ptr(), &raw mut sfs) != 0
            || libc::statvfs(c.as_ptr(), &raw mut svfs) != 0
        {
            return Err(io::Error::last_os_error());
        }
        (sfs, svfs)
    };
    let magic = u64::try_from(sfs.f_type).unwrap_or(0);
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
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
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

/// statfs (type) and statvfs (free space) of an open directory.
fn fs_info_of(fd: BorrowedFd<'_>) -> io::Result<FsInfo> {
    let sfs = rustix::fs::fstatfs(fd)?;
    let svfs = rustix::fs::fstatvfs(fd)?;
    let magic = u64::try_from(sfs.f_type).unwrap_or(0);
    let (name, memory_backed) = fs_name(magic);
    Ok(FsInfo {
        name,
        memory_backed,
        free_bytes: svfs.f_bavail.saturating_mul(svfs.f_frsize),
    })
}

impl Workdir {
    /// Create the private directory (nothing is written yet but the directory).
    pub fn create(explicit_parent: Option<&Path>) -> Result<Workdir, EngineError> {
        let (parent_path, notes) = choose_parent(explicit_parent)?;
        let failed = |path: &Path| {
            let path = path.to_path_buf();
            move |e: io::Error| EngineError::Workdir { path, source: e }
        };
        if explicit_parent.is_none() {
            // The cache directory may not exist yet (an explicit one must).
            std::fs::create_dir_all(&parent_path).map_err(failed(&parent_path))?;
        }
        let parent = rustix::fs::open(
            &parent_path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| failed(&parent_path)(e.into()))?;
        let (name, dir) = make_private_dir(&parent).map_err(failed(&parent_path))?;
        let path = parent_path.join(&name);
        let fs = fs_info_of(dir.as_fd()).map_err(failed(&path))?;
        // Best effort: a filesystem without flock (some FUSE ones) still has
        // the pid in the name, which settles every case but a reused pid.
        let _ = rustix::fs::flock(&dir, FlockOperation::LockExclusive);
        Ok(Workdir {
            parent,
            name,
            dir: Arc::new(dir),
            path,
            kept: false,
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

    /// Where the directory was made (for messages; it may have been renamed
    /// since by someone who can write its parent).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory, for the worker's opens of the working file.
    pub fn dir(&self) -> Arc<OwnedFd> {
        Arc::clone(&self.dir)
    }

    /// Do not remove the directory on drop; returns its path. A marker file
    /// inside tells later runs' [`sweep`] to leave it alone.
    pub fn keep(&mut self) -> PathBuf {
        self.kept = true;
        if let Ok(fd) = rustix::fs::openat(
            &*self.dir,
            KEEP_MARKER,
            OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
            let _ = File::from(fd).write_all(
                b"kept by `iotour run --keep-workdir`: remove this directory yourself\n",
            );
        }
        self.path.clone()
    }

    /// Remove the file(s) in the directory, through its fd, then the
    /// directory, by its name in the parent only if that name still is this
    /// directory. When it was renamed away its contents are gone but the
    /// empty directory stays where it was moved.
    fn remove(&self) -> io::Result<()> {
        remove_contents(self.dir.as_fd())?;
        remove_dir_if_same(self.parent.as_fd(), &self.name, self.dir.as_fd())
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if !self.kept {
            // Nothing to tell anyone at this point (the engine is being
            // dropped); the next run's sweep removes what is left.
            let _ = self.remove();
        }
    }
}

/// Make `iotour-<pid>-XXXXXX` (mode 0700) in `parent` and open it. The name
/// is opened with `O_NOFOLLOW` right after mkdirat and checked: a directory,
/// this user's, nothing for the group or others; else someone swapped it in
/// between and it is refused.
fn make_private_dir(parent: &OwnedFd) -> io::Result<(OsString, OwnedFd)> {
    let me = rustix::process::geteuid();
    for attempt in 0u32.. {
        let name = format!("iotour-{}-{}", std::process::id(), random_suffix(attempt));
        match rustix::fs::mkdirat(parent, name.as_str(), Mode::from_raw_mode(0o700)) {
            Ok(()) => {}
            Err(rustix::io::Errno::EXIST) if attempt < 100 => continue,
            Err(e) => return Err(e.into()),
        }
        let dir = rustix::fs::openat(
            parent,
            name.as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let st = rustix::fs::fstat(&dir)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::Directory || st.st_uid != me.as_raw() {
            return Err(io::Error::other(format!(
                "{name} was replaced by another user's file between mkdir and open"
            )));
        }
        // mkdirat's mode went through the umask: set it exactly, on the fd.
        rustix::fs::fchmod(&dir, Mode::from_raw_mode(0o700))?;
        return Ok((name.into(), dir));
    }
    unreachable!("the loop returns or fails within 100 attempts")
}

/// Six characters that differ between runs and attempts (collisions are
/// retried; the checks after opening, not the name, keep the run safe).
fn random_suffix(attempt: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let mut n = h.finish();
    (0..6)
        .map(|_| {
            let c = ALPHABET[crate::cast::usize(n % ALPHABET.len() as u64)];
            n /= ALPHABET.len() as u64;
            char::from(c)
        })
        .collect()
}

/// Unlink everything in the directory `dir` (recursively, through fds; never
/// following a symlink: a symlink is unlinked itself).
fn remove_contents(dir: BorrowedFd<'_>) -> io::Result<()> {
    let mut first_error = None;
    for entry in rustix::fs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        let removed = match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
            Err(rustix::io::Errno::ISDIR) => rustix::fs::openat(
                dir,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(io::Error::from)
            .and_then(|sub| remove_contents(sub.as_fd()))
            .and_then(|()| Ok(rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)),
            other => other.map_err(io::Error::from),
        };
        if let Err(e) = removed {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// `unlinkat(parent, name, AT_REMOVEDIR)`, only if `name` in `parent` is
/// still the directory open as `dir` (same device and inode).
fn remove_dir_if_same(parent: BorrowedFd<'_>, name: &OsStr, dir: BorrowedFd<'_>) -> io::Result<()> {
    let mine = rustix::fs::fstat(dir)?;
    let there = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
    if (there.st_dev, there.st_ino) != (mine.st_dev, mine.st_ino) {
        return Err(io::Error::other(format!(
            "{} is no longer the working directory (it was renamed away): left alone",
            name.to_string_lossy()
        )));
    }
    Ok(rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR)?)
}

/// Create the working file in `dir`: a new file (`O_EXCL`), never through a
/// symlink (`O_NOFOLLOW`), read-write, mode 0600.
pub fn create_file(dir: &OwnedFd) -> io::Result<File> {
    let fd = rustix::fs::openat(
        dir,
        FILE,
        OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    Ok(File::from(fd))
}

/// Create (or empty) the copy in `dir`: never through a symlink
/// (`O_NOFOLLOW`), read-write, mode 0600; one openat(2).
pub fn create_copy(dir: &OwnedFd) -> io::Result<File> {
    let fd = rustix::fs::openat(
        dir,
        COPY,
        OFlags::RDWR | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    Ok(File::from(fd))
}

/// Open the working file in `dir` again with `flags` (`O_NOFOLLOW` and
/// `O_CLOEXEC` are added): one openat(2).
pub fn open_file(dir: &OwnedFd, flags: OFlags) -> io::Result<File> {
    let fd = rustix::fs::openat(
        dir,
        FILE,
        flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(File::from(fd))
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
/// whose lock is held belongs to a live run and is never touched. Each is
/// opened once (`O_NOFOLLOW`), judged and emptied through that fd, and
/// removed by name only while the name is still that directory.
pub fn sweep(parent: &Path) -> Swept {
    let mut out = Swept::default();
    let Ok(parent_fd) = rustix::fs::open(
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return out;
    };
    let Ok(entries) = rustix::fs::Dir::read_from(&parent_fd) else {
        return out;
    };
    let me = rustix::process::geteuid().as_raw();
    let own_pid = std::process::id();
    for entry in entries.flatten() {
        let name = OsStr::from_bytes(entry.file_name().to_bytes()).to_owned();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("iotour-"))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own_pid {
            continue;
        }
        // Not a directory, or a symlink: the open fails and it is not ours to judge.
        let Ok(dir) = rustix::fs::openat(
            &parent_fd,
            name.as_os_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            continue;
        };
        let Ok(st) = rustix::fs::fstat(&dir) else {
            continue;
        };
        if st.st_uid != me
            || st.st_mode & 0o777 != 0o700
            || rustix::fs::statat(&dir, KEEP_MARKER, AtFlags::SYMLINK_NOFOLLOW).is_ok()
        {
            continue;
        }
        // A pid past pid_t cannot exist.
        let alive = libc::pid_t::try_from(pid).is_ok_and(|pid| {
            // SAFETY: kill with signal 0 only checks that the pid exists.
            (unsafe { libc::kill(pid, 0) }) == 0
                || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
        });
        // Held: a live run. Anything else: not ours to judge.
        if rustix::fs::flock(&dir, FlockOperation::NonBlockingLockExclusive).is_err() {
            continue;
        }
        if alive {
            let modified = std::time::UNIX_EPOCH
                + std::time::Duration::new(
                    u64::try_from(st.st_mtime).unwrap_or(0),
                    u32::try_from(st.st_mtime_nsec).unwrap_or(0),
                );
            let young = modified.elapsed().map_or(true, |age| age < CREATION_GRACE);
            if young {
                continue;
            }
        }
        let removed = remove_contents(dir.as_fd())
            .and_then(|()| remove_dir_if_same(parent_fd.as_fd(), &name, dir.as_fd()));
        match removed {
            Ok(()) => out.removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => out
                .failed
                .push(format!("{}: {e}", parent.join(&name).display())),
        }
    }
    out
}

/// Fill the working file `f` (just created, empty) with `size` bytes of
/// data (not a sparse hole: every block is allocated, as a real file would
/// be) and fsync it, so step 1 starts from a clean file like one that
/// existed before the program ran (setup's dirty pages would otherwise show
/// up in the first steps' dirty counts). With `!cached` its pages are then
/// dropped so step 1 starts cold.
pub fn prefill(mut f: File, size: u64, cached: bool, stop: &dyn Fn() -> bool) -> io::Result<File> {
    // A pattern that is not all zeroes, so nothing can treat it as a hole.
    let block: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8 + 1).collect();
    let mut left = size;
    while left > 0 {
        if stop() {
            // Aborted during a long prefill: the caller drops the workdir.
            return Err(io::Error::new(io::ErrorKind::Interrupted, "aborted"));
        }
        let n = crate::cast::usize(left.min(block.len() as u64));
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

/// fsync, then `POSIX_FADV_DONTNEED` over the whole file.
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
    use std::os::unix::fs::PermissionsExt;

    /// Open directory `path` and hold an exclusive flock on it, as a live run does.
    fn lock(path: &Path) -> OwnedFd {
        let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap();
        rustix::fs::flock(&fd, FlockOperation::LockExclusive).unwrap();
        fd
    }

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
        prefill(create_file(&wd.dir()).unwrap(), 10_000, true, &|| false).unwrap();
        assert_eq!(std::fs::metadata(path.join(FILE)).unwrap().len(), 10_000);
        assert!(create_file(&wd.dir()).is_err(), "never an existing file");
        drop(wd);
        assert!(!path.exists());
    }

    #[test]
    fn a_workdir_renamed_away_is_emptied_where_it_went_and_its_usurper_is_left_alone() {
        let parent = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let wd = Workdir::create(Some(parent.path())).unwrap();
        let path = wd.path().to_path_buf();
        prefill(create_file(&wd.dir()).unwrap(), 100, true, &|| false).unwrap();
        let moved = parent.path().join("moved");
        std::fs::rename(&path, &moved).unwrap();
        std::fs::create_dir(&path).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", path.join(FILE)).unwrap();
        // Opened through the fd, the file is still the run's.
        assert_eq!(
            open_file(&wd.dir(), OFlags::RDONLY)
                .unwrap()
                .metadata()
                .unwrap()
                .len(),
            100
        );
        drop(wd);
        assert_eq!(std::fs::read_dir(&moved).unwrap().count(), 0, "emptied");
        assert!(
            std::fs::symlink_metadata(path.join(FILE))
                .unwrap()
                .file_type()
                .is_symlink(),
            "not the run's: left alone"
        );
    }

    #[test]
    fn a_kept_workdir_stays_with_its_marker() {
        let parent = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let mut wd = Workdir::create(Some(parent.path())).unwrap();
        let path = wd.keep();
        drop(wd);
        assert!(path.join(KEEP_MARKER).is_file());
        assert_eq!(sweep(parent.path()).removed, 0);
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
        let _lock = lock(&held);
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
