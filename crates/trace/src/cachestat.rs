//! Page-cache state of a file through cachestat(2) (Linux 6.5+), always on a
//! descriptor of our own: the program's descriptor may be closed, renamed
//! or reused by the time we sample, ours stays on the same inode.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

use crate::event::PageState;

/// cachestat is 451 on every arch that has the unified syscall table.
const SYS_CACHESTAT: libc::c_long = 451;

#[repr(C)]
struct CachestatRange {
    off: u64,
    len: u64,
}

#[repr(C)]
#[derive(Default)]
#[allow(clippy::struct_field_names)] // the kernel's names (struct cachestat)
struct Cachestat {
    nr_cache: u64,
    nr_dirty: u64,
    nr_writeback: u64,
    nr_evicted: u64,
    nr_recently_evicted: u64,
}

/// The whole file's page-cache state and size now.
pub(crate) fn sample(file: &File) -> io::Result<PageState> {
    // len 0 = from off to the end of the file.
    let range = CachestatRange { off: 0, len: 0 };
    let mut cs = Cachestat::default();
    // SAFETY: both pointers refer to live, correctly laid out structs for
    // the duration of the call; flags must be 0.
    let rc = unsafe {
        libc::syscall(
            SYS_CACHESTAT,
            file.as_raw_fd(),
            &raw const range,
            &raw mut cs,
            0u32,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(PageState {
        cached: cs.nr_cache,
        dirty: cs.nr_dirty,
        writeback: cs.nr_writeback,
        evicted: cs.nr_evicted,
        recently_evicted: cs.nr_recently_evicted,
        size: file.metadata().ok().map(|m| m.len()),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    #[test]
    fn a_written_file_is_dirty_until_synced() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&[7u8; 3 * 4096]).unwrap();
        let before = super::sample(&f).unwrap();
        assert_eq!(before.cached, 3);
        assert_eq!(before.size, Some(3 * 4096));
        f.sync_all().unwrap();
        let after = super::sample(&f).unwrap();
        assert_eq!((after.dirty, after.writeback), (0, 0));
        assert!(before.dirty >= after.dirty);
    }
}
