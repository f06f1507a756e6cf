//! A small tmpfs mounted for one test, to fill up on purpose (root only).

use std::ffi::CString;
use std::path::Path;

/// A tmpfs of a few MiB on a fresh directory under target/; unmounted on drop.
pub struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    /// Mount a tmpfs of `size` (as mount(8) writes it: "4m"); `None`, the reason on stderr, when not root or the mount fails.
    pub fn mount(size: &str) -> Option<SmallFs> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("not root: cannot mount a small tmpfs; skipped");
            return None;
        }
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let target = CString::new(dir.path().to_str().unwrap()).unwrap();
        let opts = CString::new(format!("size={size},mode=0755")).unwrap();
        // SAFETY: NUL-terminated strings that outlive the call.
        let rc = unsafe {
            libc::mount(
                c"iotour-test".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                opts.as_ptr().cast(),
            )
        };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            eprintln!("mounting a small tmpfs failed ({err}); skipped");
            return None;
        }
        Some(SmallFs { dir })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let target = CString::new(self.dir.path().to_str().unwrap()).unwrap();
        // SAFETY: unmounting what `mount` mounted; MNT_DETACH never blocks.
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
    }
}
