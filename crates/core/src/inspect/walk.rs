//! Expanding the named paths into the files to measure, like vmtouch:
//! directories recursively (hidden entries included), symbolic links inside
//! directories not followed unless asked, special files listed but never
//! opened, and every directory entered at most once so that following links
//! cannot loop.

use std::collections::HashSet;
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
    };
    for path in paths {
        // Named paths are followed: see `WalkOptions::follow`.
        match fs::metadata(path) {
            Ok(meta) => w.visit(path.clone(), meta.file_type(), Some(&meta), 0, false),
            Err(error) => w.out.entries.push(Entry::Failed {
                path: path.clone(),
                error,
            }),
        }
    }
    w.out
}

struct Walker<'a> {
    opts: WalkOptions,
    seen_dirs: HashSet<(u64, u64)>,
    out: Walk,
    cancel: &'a AtomicBool,
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
            follow: false,
        };
        let w = walk(&[d.path().to_path_buf()], &opts);
        assert_eq!(names(&w, d.path()), [".hidden", "top"]);
        let opts = WalkOptions {
            max_depth: Some(0),
            follow: false,
        };
        assert!(walk(&[d.path().to_path_buf()], &opts).entries.is_empty());
    }

    #[test]
    fn following_links_cannot_loop() {
        let d = tree();
        let opts = WalkOptions {
            max_depth: None,
            follow: true,
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
    }
}
