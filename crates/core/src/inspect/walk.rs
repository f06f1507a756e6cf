//! Expanding the named paths into the files to measure, like vmtouch:
//! directories recursively (hidden entries included), symbolic links inside
//! directories not followed unless asked, special files listed but never
//! opened, and every directory entered at most once so that following links
//! cannot loop.
//!
//! Mount points met below a named path: a pseudo filesystem (/proc, /sys,
//! devtmpfs, cgroup, tracefs, …: told by its type, statfs(2)'s `f_type`,
//! not by its path) has no page cache of files to show and can be huge or
//! trigger work (autofs mounts on access), so it is not entered unless it
//! was named itself; with `one_file_system` (`-x`, as du has it) no other
//! filesystem is entered at all. Either is counted, and the report says so.

use std::collections::{HashMap, HashSet};
use std::fs::{self, FileType, Metadata};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalkOptions {
    /// How many directory levels below a named directory to list: 1 lists
    /// only the files directly in it. `None`: no limit.
    pub max_depth: Option<usize>,
    /// Follow symbolic links found inside directories. Links named on the
    /// command line are always followed (as `find -H` and `du` do): naming one
    /// is asking for its target.
    pub follow: bool,
    /// Do not enter directories on another filesystem than the named path's.
    pub one_file_system: bool,
}

/// One thing found by the walk.
#[derive(Debug)]
pub enum Entry {
    /// A regular file to measure. `nofollow`: open it with `O_NOFOLLOW`, so a
    /// file swapped for a link after it was listed is not followed either.
    File { path: PathBuf, nofollow: bool },
    /// Listed but deliberately not opened: opening a FIFO can block and
    /// opening a device can have side effects (a tape rewinds).
    Skipped { path: PathBuf, why: String },
    /// Could not be examined at all (missing, permission denied on a directory).
    Failed { path: PathBuf, error: io::Error },
}

/// The walk's result, in a stable order (directory entries sorted by name).
#[derive(Debug, Default)]
pub struct Walk {
    pub entries: Vec<Entry>,
    /// Symbolic links met inside directories and not followed.
    pub symlinks_not_followed: u64,
    /// Directories reached a second time (named twice, or a link loop).
    pub directories_revisited: u64,
    /// Mount points of pseudo filesystems not entered, with their type.
    pub pseudo_skipped: Vec<(PathBuf, &'static str)>,
    /// Mount points of other filesystems not entered (`one_file_system`).
    pub other_fs_skipped: Vec<PathBuf>,
    /// Named paths that do not exist (bad input, exit 2).
    pub missing: u64,
}

/// Walk every path in order.
pub fn walk(paths: &[PathBuf], opts: &WalkOptions) -> Walk {
    walk_until(paths, opts, &AtomicBool::new(false))
}

/// [`walk`], abandoned (with what was found so far) once `cancel` is set:
/// a live view that is closed must not wait for a walk of a whole disk.
pub fn walk_until(paths: &[PathBuf], opts: &WalkOptions, cancel: &AtomicBool) -> Walk {
    let mut w = Walker {
        opts: *opts,
        seen_dirs: HashSet::new(),
        out: Walk::default(),
        cancel,
        root_dev: 0,
        fs_types: None,
    };
    for path in paths {
        // Named paths are followed: see `WalkOptions::follow`.
        match fs::metadata(path) {
            Ok(meta) => {
                // A named path is entered whatever its filesystem: naming it
                // is asking about it.
                w.root_dev = meta.dev();
                w.visit(path.clone(), meta.file_type(), Some(&meta), 0, false);
            }
            Err(error) => {
                if error.kind() == io::ErrorKind::NotFound {
                    w.out.missing += 1;
                }
                w.out.entries.push(Entry::Failed {
                    path: path.clone(),
                    error,
                });
            }
        }
    }
    w.out
}

struct Walker<'a> {
    opts: WalkOptions,
    seen_dirs: HashSet<(u64, u64)>,
    out: Walk,
    cancel: &'a AtomicBool,
    /// The device of the named path being walked.
    root_dev: u64,
    /// Filesystem type names by device, from /proc/self/mountinfo, read the
    /// first time a tmpfs-typed mount is met (devtmpfs has tmpfs's magic).
    fs_types: Option<HashMap<u64, String>>,
}

impl Walker<'_> {
    fn visit(
        &mut self,
        path: PathBuf,
        ft: FileType,
        meta: Option<&Metadata>,
        depth: usize,
        nofollow: bool,
    ) {
        if ft.is_file() {
            self.out.entries.push(Entry::File { path, nofollow });
        } else if ft.is_dir() {
            self.enter(path, meta, depth);
        } else if ft.is_symlink() {
            if !self.opts.follow {
                self.out.symlinks_not_followed += 1;
                return;
            }
            match fs::metadata(&path) {
                Ok(target) => self.visit(path, target.file_type(), Some(&target), depth, false),
                Err(error) => self.out.entries.push(Entry::Failed { path, error }),
            }
        } else {
            let why = format!(
                "skipped: {} (only regular files have page-cache state to show)",
                special_kind(ft)
            );
            self.out.entries.push(Entry::Skipped { path, why });
        }
    }

    fn enter(&mut self, dir: PathBuf, meta: Option<&Metadata>, depth: usize) {
        if self.cancel.load(Ordering::Relaxed) {
            return;
        }
        let id = match meta {
            Some(m) => (m.dev(), m.ino()),
            None => match fs::metadata(&dir) {
                Ok(m) => (m.dev(), m.ino()),
                Err(error) => {
                    self.out.entries.push(Entry::Failed { path: dir, error });
                    return;
                }
            },
        };
        if depth > 0 && id.0 != self.root_dev && !self.may_cross(&dir, id.0) {
            return;
        }
        if !self.seen_dirs.insert(id) {
            self.out.directories_revisited += 1;
            return;
        }
        if self.opts.max_depth.is_some_and(|max| depth >= max) {
            return;
        }
        let mut children = match read_sorted(&dir) {
            Ok(c) => c,
            Err(error) => {
                self.out.entries.push(Entry::Failed { path: dir, error });
                return;
            }
        };
        for (path, ft) in children.drain(..) {
            match ft {
                Ok(ft) => self.visit(path, ft, None, depth + 1, !self.opts.follow),
                Err(error) => self.out.entries.push(Entry::Failed { path, error }),
            }
        }
    }
}

impl Walker<'_> {
    /// Whether to enter `dir`, the root of a mount (device `dev`) other than
    /// the named path's; counts it when not.
    fn may_cross(&mut self, dir: &Path, dev: u64) -> bool {
        if self.opts.one_file_system {
            self.out.other_fs_skipped.push(dir.to_path_buf());
            return false;
        }
        match pseudo_type(dir, dev, &mut self.fs_types) {
            Some(kind) => {
                self.out.pseudo_skipped.push((dir.to_path_buf(), kind));
                false
            }
            None => true,
        }
    }
}

/// Pseudo filesystems by statfs(2) magic (include/uapi/linux/magic.h):
/// kernel state dressed as files, no page cache of file data to show.
const PSEUDO: &[(i64, &str)] = &[
    (0x9fa0, "proc"),
    (0x6265_6572, "sysfs"),
    (0x1cd1, "devpts"),
    (0x0027_e0eb, "cgroup"),
    (0x6367_7270, "cgroup2"),
    (0x7472_6163, "tracefs"),
    (0x6462_6720, "debugfs"),
    (0x7363_6673, "securityfs"),
    (0xf97c_ff8c, "selinuxfs"),
    (0x4341_5d53, "smackfs"),
    (0xcafe_4a11, "bpf"),
    (0x6165_676c, "pstore"),
    (0xde5e_81e4, "efivarfs"),
    (0x6265_6570, "configfs"),
    (0x6573_5543, "fusectl"),
    (0x1980_0202, "mqueue"),
    (0x4249_4e4d, "binfmt_misc"),
    (0x6e73_6673, "nsfs"),
    (0x0187, "autofs"),
    (0x6759_6969, "rpc_pipefs"),
];

/// tmpfs's magic, which devtmpfs shares: told apart by its name in mountinfo.
const TMPFS_MAGIC: i64 = 0x0102_1994;

/// The pseudo filesystem type of the mount at `dir`, if it is one.
fn pseudo_type(
    dir: &Path,
    dev: u64,
    fs_types: &mut Option<HashMap<u64, String>>,
) -> Option<&'static str> {
    let st = rustix::fs::statfs(dir).ok()?;
    #[allow(
        clippy::useless_conversion,
        reason = "f_type is an i64 on x86_64 glibc, a narrower type elsewhere"
    )]
    let magic = i64::from(st.f_type);
    if let Some((_, name)) = PSEUDO.iter().find(|(m, _)| *m == magic) {
        return Some(name);
    }
    if magic == TMPFS_MAGIC {
        let types = fs_types.get_or_insert_with(mount_types);
        if types.get(&dev).is_some_and(|t| t == "devtmpfs") {
            return Some("devtmpfs");
        }
    }
    None
}

/// Filesystem type by device number, from /proc/self/mountinfo (empty when
/// it cannot be read: then a devtmpfs is walked like the tmpfs it looks like).
fn mount_types() -> HashMap<u64, String> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            // id parent major:minor root mountpoint options... - type source super
            let (head, tail) = line.split_once(" - ")?;
            let (major, minor) = head.split(' ').nth(2)?.split_once(':')?;
            let dev = libc::makedev(major.parse().ok()?, minor.parse().ok()?);
            Some((dev, tail.split(' ').next()?.to_string()))
        })
        .collect()
}

/// A directory's entries sorted by name, with their types from the
/// directory itself (`d_type`: no stat per file, which is what keeps a walk of
/// 10,000 files fast).
type Children = Vec<(PathBuf, io::Result<FileType>)>;

fn read_sorted(dir: &Path) -> io::Result<Children> {
    let mut children: Children = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        children.push((entry.path(), entry.file_type()));
    }
    children.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(children)
}

fn special_kind(ft: FileType) -> &'static str {
    if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let p = d.path();
        fs::create_dir_all(p.join("a/b")).unwrap();
        fs::write(p.join("top"), b"x").unwrap();
        fs::write(p.join(".hidden"), b"x").unwrap();
        fs::write(p.join("a/mid"), b"x").unwrap();
        fs::write(p.join("a/b/deep"), b"x").unwrap();
        symlink(p.join("top"), p.join("link-to-top")).unwrap();
        // A loop: a/b/up -> the root of the tree.
        symlink(p, p.join("a/b/up")).unwrap();
        d
    }

    fn names(w: &Walk, root: &Path) -> Vec<String> {
        w.entries
            .iter()
            .map(|e| match e {
                Entry::File { path, .. } => path.strip_prefix(root).unwrap().display().to_string(),
                Entry::Skipped { path, .. } => format!("skip {}", path.display()),
                Entry::Failed { path, .. } => format!("fail {}", path.display()),
            })
            .collect()
    }

    #[test]
    fn walks_recursively_with_hidden_files_and_without_links() {
        let d = tree();
        let w = walk(&[d.path().to_path_buf()], &WalkOptions::default());
        assert_eq!(names(&w, d.path()), [".hidden", "a/b/deep", "a/mid", "top"]);
        assert_eq!(w.symlinks_not_followed, 2);
    }

    #[test]
    fn max_depth_limits_the_levels_listed() {
        let d = tree();
        let opts = WalkOptions {
            max_depth: Some(1),
            ..WalkOptions::default()
        };
        let w = walk(&[d.path().to_path_buf()], &opts);
        assert_eq!(names(&w, d.path()), [".hidden", "top"]);
        let opts = WalkOptions {
            max_depth: Some(0),
            ..WalkOptions::default()
        };
        assert!(walk(&[d.path().to_path_buf()], &opts).entries.is_empty());
    }

    #[test]
    fn following_links_cannot_loop() {
        let d = tree();
        let opts = WalkOptions {
            follow: true,
            ..WalkOptions::default()
        };
        let w = walk(&[d.path().to_path_buf()], &opts);
        // The loop link leads back to the root, which is not entered again.
        assert_eq!(
            names(&w, d.path()),
            [".hidden", "a/b/deep", "a/mid", "link-to-top", "top"]
        );
        assert_eq!(w.directories_revisited, 1);
    }

    #[test]
    fn special_and_missing_paths_are_entries_not_failures_of_the_walk() {
        let d = tree();
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let w = walk(
            &[fifo.clone(), d.path().join("missing")],
            &WalkOptions::default(),
        );
        match &w.entries[..] {
            [Entry::Skipped { why, .. }, Entry::Failed { error, .. }] => {
                assert!(why.contains("FIFO"), "{why}");
                assert_eq!(error.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(w.missing, 1);
    }

    /// / holds /proc and /sys (mounted on every Linux this runs on): a walk
    /// of / two levels deep stays out of them unless they are named, and a
    /// walk that stays on one filesystem enters no other mount at all.
    #[test]
    fn pseudo_filesystems_are_entered_only_when_named() {
        let opts = WalkOptions {
            max_depth: Some(2),
            ..WalkOptions::default()
        };
        let w = walk(&[PathBuf::from("/")], &opts);
        let skipped: Vec<_> = w
            .pseudo_skipped
            .iter()
            .map(|(p, k)| (p.to_str().unwrap(), *k))
            .collect();
        assert!(skipped.contains(&("/proc", "proc")), "{skipped:?}");
        assert!(skipped.contains(&("/sys", "sysfs")), "{skipped:?}");
        let under = |w: &Walk, dir: &str| {
            w.entries.iter().any(|e| match e {
                Entry::File { path, .. }
                | Entry::Skipped { path, .. }
                | Entry::Failed { path, .. } => path.starts_with(dir),
            })
        };
        assert!(!under(&w, "/proc") && !under(&w, "/sys"));
        // Named, /proc is walked.
        let named = walk(
            &[PathBuf::from("/proc/self")],
            &WalkOptions {
                max_depth: Some(1),
                ..opts
            },
        );
        assert!(under(&named, "/proc/self"), "{:?}", named.entries.len());
        // -x: no other mount, pseudo or not.
        let x = WalkOptions {
            one_file_system: true,
            ..opts
        };
        let w = walk(&[PathBuf::from("/")], &x);
        assert!(w.pseudo_skipped.is_empty());
        assert!(
            w.other_fs_skipped.iter().any(|p| p == Path::new("/proc")),
            "{:?}",
            w.other_fs_skipped
        );
    }
}
