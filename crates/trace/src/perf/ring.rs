//! One perf ring buffer (a CPU's), read without copying the kernel's
//! protocol wrong: load data_head with acquire, read records up to it, then
//! store data_tail with release so the kernel may reuse the space.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

/// Byte offsets in struct perf_event_mmap_page.
const DATA_HEAD: usize = 1024;
const DATA_TAIL: usize = 1032;
const DATA_OFFSET: usize = 1040;
const DATA_SIZE: usize = 1048;

const RECORD_LOST: u32 = 2;
const RECORD_EXIT: u32 = 4;
const RECORD_FORK: u32 = 7;
const RECORD_SAMPLE: u32 = 9;
const RECORD_LOST_SAMPLES: u32 = 13;

/// A record as read, before its sample is decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Record<'a> {
    Sample {
        pid: i32,
        tid: i32,
        time: u64,
        raw: &'a [u8],
    },
    Fork {
        pid: i32,
        ppid: i32,
        time: u64,
    },
    Exit {
        pid: i32,
        tid: i32,
        time: u64,
    },
    Lost {
        count: u64,
    },
}

pub(crate) struct Ring {
    fd: OwnedFd,
    base: *mut u8,
    map_len: usize,
    data: *const u8,
    size: u64,
    /// Scratch for a record that wraps around the end of the buffer.
    scratch: Vec<u8>,
}

// SAFETY: the mapping is owned by this struct alone; the kernel is the only
// other party and synchronises through data_head/data_tail.
unsafe impl Send for Ring {}

impl Ring {
    /// Map `1 + data_pages` pages of `fd` (data_pages a power of two).
    // The header page is page-aligned, so its u64 fields are 8-aligned.
    #[allow(clippy::cast_ptr_alignment)]
    pub(crate) fn map(fd: OwnedFd, data_pages: usize) -> io::Result<Ring> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let map_len = page * (1 + data_pages);
        // SAFETY: a fresh shared mapping of a perf fd; the kernel checks the
        // length. Writable so that data_tail can be stored (no overwrite).
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = base.cast::<u8>();
        // SAFETY: the header page is mapped and these fields are u64s the
        // kernel fills in before mmap returns.
        let (off, size) = unsafe {
            (
                base.add(DATA_OFFSET).cast::<u64>().read_volatile(),
                base.add(DATA_SIZE).cast::<u64>().read_volatile(),
            )
        };
        let (off, size) = if size == 0 {
            (page as u64, (page * data_pages) as u64)
        } else {
            (off, size)
        };
        Ok(Ring {
            fd,
            base,
            map_len,
            // SAFETY: `off` lies inside the mapping (the kernel says so).
            data: unsafe { base.add(off as usize) },
            size,
            scratch: Vec::with_capacity(256),
        })
    }

    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    #[allow(clippy::cast_ptr_alignment)] // page-aligned header, see `map`
    fn head(&self) -> &AtomicU64 {
        // SAFETY: data_head is an aligned u64 in the mapped header page,
        // written by the kernel; AtomicU64 has the same layout.
        unsafe { &*self.base.add(DATA_HEAD).cast::<AtomicU64>() }
    }

    #[allow(clippy::cast_ptr_alignment)] // page-aligned header, see `map`
    fn tail(&self) -> &AtomicU64 {
        // SAFETY: as for `head`; data_tail is ours to write.
        unsafe { &*self.base.add(DATA_TAIL).cast::<AtomicU64>() }
    }

    /// Hand every record written so far to `f`, then release the space.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(Record<'_>)) {
        let head = self.head().load(Ordering::Acquire);
        let mut tail = self.tail().load(Ordering::Relaxed);
        while tail < head {
            let start = (tail % self.size) as usize;
            let mut hdr = [0u8; 8];
            self.copy_out(start, &mut hdr);
            let kind = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
            let len = usize::from(u16::from_ne_bytes([hdr[6], hdr[7]]));
            if len < 8 {
                // Corrupt: give the space back rather than spin.
                tail = head;
                break;
            }
            self.scratch.resize(len, 0);
            let mut buf = std::mem::take(&mut self.scratch);
            self.copy_out(start, &mut buf);
            if let Some(r) = parse(kind, &buf[8..]) {
                f(r);
            }
            self.scratch = buf;
            tail += len as u64;
        }
        self.tail().store(tail, Ordering::Release);
    }

    /// Copy `out.len()` bytes starting at ring offset `start`, wrapping.
    fn copy_out(&self, start: usize, out: &mut [u8]) {
        let size = self.size as usize;
        let first = out.len().min(size - start);
        // SAFETY: [start, start+first) and [0, rest) lie inside the data
        // area of `size` bytes; `out` is a distinct buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(self.data.add(start), out.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(
                self.data,
                out.as_mut_ptr().add(first),
                out.len() - first,
            );
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping made in `map`.
        unsafe { libc::munmap(self.base.cast(), self.map_len) };
    }
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

/// Decode a record body for sample_type TID|TIME|RAW with sample_id_all
/// (non-sample records end in pid,tid and time).
fn parse(kind: u32, b: &[u8]) -> Option<Record<'_>> {
    match kind {
        RECORD_SAMPLE => {
            let pid = u32_at(b, 0)? as i32;
            let tid = u32_at(b, 4)? as i32;
            let time = u64_at(b, 8)?;
            let raw_len = u32_at(b, 16)? as usize;
            let raw = b.get(20..20 + raw_len)?;
            Some(Record::Sample {
                pid,
                tid,
                time,
                raw,
            })
        }
        RECORD_FORK | RECORD_EXIT => {
            let pid = u32_at(b, 0)? as i32;
            let parent = u32_at(b, 4)? as i32;
            let tid = u32_at(b, 8)? as i32;
            let time = u64_at(b, 16)?;
            Some(if kind == RECORD_FORK {
                Record::Fork {
                    pid,
                    ppid: parent,
                    time,
                }
            } else {
                Record::Exit { pid, tid, time }
            })
        }
        RECORD_LOST => Some(Record::Lost {
            count: u64_at(b, 8)?,
        }),
        RECORD_LOST_SAMPLES => Some(Record::Lost {
            count: u64_at(b, 0)?,
        }),
        _ => None,
    }
}
