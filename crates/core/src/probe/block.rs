//! What the block layer was asked to write, measured: the
//! `block:block_bio_queue` tracepoint on the working file's device, through
//! perf_event_open (root only: tracepoint ids and system-wide events),
//! opened once per CPU with a filter on the device.
//!
//! Every write bio queued on the device during a step is read back from the
//! per-CPU ring buffers after the step (outside every window) and sorted:
//! bios whose sectors lie inside the working file's extents (FIEMAP) are its
//! **data**, whoever submitted them (this thread, the flusher, jbd2 for
//! data=journal); bios submitted by the journal thread (`jbd2/…`) are the
//! filesystem's **journal** (shared by every writer of the filesystem, so an
//! upper bound of this run's share). Other bios (other files, metadata) are
//! not this run's and are not counted.

use super::perf::{self, Attr, PERF_TYPE_TRACEPOINT};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

/// Bytes the block layer was asked to write during one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceWrites {
    /// Into the working file's blocks.
    pub data: u64,
    /// By the filesystem's journal thread.
    pub journal: u64,
}

/// One write bio, as the tracepoint saw it.
#[derive(Debug, Clone, Copy)]
struct Bio {
    sector: u64,
    sectors: u64,
    journal: bool,
}

struct Ring {
    _fd: OwnedFd,
    base: *mut u8,
    len: usize,
    data_size: u64,
}

// SAFETY: the ring is a private mapping owned by this struct and only read
// by the thread holding the probe.
unsafe impl Send for Ring {}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are the mapping made in `Ring::map`, unmapped once.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

const PAGE: usize = 4096;
const DATA_PAGES: usize = 64;

impl Ring {
    fn map(fd: OwnedFd) -> io::Result<Ring> {
        let len = (1 + DATA_PAGES) * PAGE;
        // SAFETY: mapping a perf fd's ring: shared, read-write (we write data_tail).
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Ring {
            _fd: fd,
            base: p.cast(),
            len,
            data_size: (DATA_PAGES * PAGE) as u64,
        })
    }

    /// Every sample record's raw tracepoint data since the last drain.
    fn drain(&mut self, mut f: impl FnMut(u32, &[u8])) {
        // struct perf_event_mmap_page: data_head at 1024, data_tail at 1032.
        // The mapping is page-aligned, so both u64s are aligned.
        #[allow(clippy::cast_ptr_alignment)]
        // SAFETY: offsets inside the live metadata page.
        let (head_ptr, tail_ptr) = unsafe {
            (
                self.base.add(1024).cast::<u64>(),
                self.base.add(1032).cast::<u64>(),
            )
        };
        // SAFETY: aligned u64s in the mapping; the kernel writes head, we tail.
        let head = unsafe { std::ptr::read_volatile(head_ptr) };
        std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
        // SAFETY: as above.
        let mut tail = unsafe { std::ptr::read_volatile(tail_ptr) };
        // SAFETY: the data area follows the metadata page.
        let data = unsafe { std::slice::from_raw_parts(self.base.add(PAGE), DATA_PAGES * PAGE) };
        let at = |pos: u64, n: usize| -> Vec<u8> {
            (0..n)
                .map(|i| data[usize::try_from((pos + i as u64) % self.data_size).unwrap_or(0)])
                .collect()
        };
        while tail + 8 <= head {
            let h = at(tail, 8);
            let kind = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]);
            let size = u64::from(u16::from_ne_bytes([h[6], h[7]]));
            if size < 8 || tail + size > head {
                break;
            }
            // PERF_RECORD_SAMPLE with TID | RAW: pid u32, tid u32, raw size
            // u32, raw bytes.
            if kind == 9 && size >= 20 {
                let rec = at(tail, usize::try_from(size).unwrap_or(0));
                let tid = u32::from_ne_bytes([rec[12], rec[13], rec[14], rec[15]]);
                let raw_len = u32::from_ne_bytes([rec[16], rec[17], rec[18], rec[19]]) as usize;
                if let Some(raw) = rec.get(20..20 + raw_len) {
                    f(tid, raw);
                }
            }
            tail += size;
        }
        std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
        // SAFETY: as above.
        unsafe { std::ptr::write_volatile(tail_ptr, tail) };
    }
}

/// Offsets of the tracepoint's fields (from its tracefs `format`).
#[derive(Debug, Clone, Copy)]
struct Fields {
    sector: usize,
    nr_sector: usize,
    rwbs: usize,
    comm: usize,
}

const EVENT: &str = "/sys/kernel/tracing/events/block/block_bio_queue";

fn fields() -> Result<(u64, Fields), String> {
    let id = std::fs::read_to_string(format!("{EVENT}/id"))
        .map_err(|e| format!("cannot read {EVENT}/id: {e}"))?
        .trim()
        .parse()
        .map_err(|_| format!("{EVENT}/id did not parse"))?;
    let text = std::fs::read_to_string(format!("{EVENT}/format"))
        .map_err(|e| format!("cannot read {EVENT}/format: {e}"))?;
    let offset = |name: &str| -> Result<usize, String> {
        text.lines()
            .find(|l| {
                l.trim_start().starts_with("field:")
                    && l.split(';').next().is_some_and(|d| {
                        d.split_whitespace()
                            .last()
                            .is_some_and(|n| n.split('[').next() == Some(name))
                    })
            })
            .and_then(|l| {
                l.split(';')
                    .find_map(|p| p.trim().strip_prefix("offset:"))
                    .and_then(|o| o.parse().ok())
            })
            .ok_or_else(|| format!("{EVENT}/format has no field `{name}`"))
    };
    Ok((
        id,
        Fields {
            sector: offset("sector")?,
            nr_sector: offset("nr_sector")?,
            rwbs: offset("rwbs")?,
            comm: offset("comm")?,
        },
    ))
}

const PERF_SAMPLE_TID: u64 = 1 << 1;
const PERF_SAMPLE_RAW: u64 = 1 << 10;
/// `_IOW('$', 6, char *)`.
const PERF_EVENT_IOC_SET_FILTER: libc::c_ulong = 0x4008_2406;

/// The block layer's writes to the working file's device.
pub struct BlockProbe {
    rings: Vec<Ring>,
    fields: Fields,
    /// The partition's first sector on its disk (0 for a whole disk).
    start: u64,
    /// The worker thread's id (the probe is opened on it).
    worker: u32,
}

impl BlockProbe {
    /// Open the tracepoint on every CPU, filtered on `file`'s device.
    pub fn open(file: &File) -> Result<BlockProbe, String> {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("the block layer's tracepoints need root".into());
        }
        let (id, fields) = fields()?;
        let dev = file.metadata().map_err(|e| e.to_string())?.dev();
        let (major, minor) = (libc::major(dev), libc::minor(dev));
        let kdev = (u64::from(major) << 20) | u64::from(minor);
        let start = std::fs::read_to_string(format!("/sys/dev/block/{major}:{minor}/start"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let filter = std::ffi::CString::new(format!("dev == {kdev}")).map_err(|e| e.to_string())?;
        // SAFETY: sysconf has no preconditions.
        let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_CONF) }.max(1);
        let mut rings = Vec::new();
        for cpu in 0..i32::try_from(cpus).unwrap_or(1) {
            let attr = Attr {
                sample_period: 1,
                sample_type: PERF_SAMPLE_TID | PERF_SAMPLE_RAW,
                ..Attr::new(PERF_TYPE_TRACEPOINT, id)
            };
            // pid -1 with a cpu: every task on that CPU (root).
            let fd = match perf::open(&attr, -1, cpu) {
                Ok(fd) => fd,
                // An offline CPU.
                Err(e) if e.raw_os_error() == Some(libc::ENODEV) => continue,
                Err(e) => return Err(format!("perf_event_open(block:block_bio_queue): {e}")),
            };
            // SAFETY: a NUL-terminated filter string for our own perf fd.
            if unsafe { libc::ioctl(fd.as_raw_fd(), PERF_EVENT_IOC_SET_FILTER, filter.as_ptr()) }
                != 0
            {
                return Err(format!(
                    "the device filter on block:block_bio_queue was refused: {}",
                    io::Error::last_os_error()
                ));
            }
            rings.push(Ring::map(fd).map_err(|e| format!("mmap of a perf ring: {e}"))?);
        }
        Ok(BlockProbe {
            rings,
            fields,
            start,
            // SAFETY: gettid has no preconditions.
            worker: u32::try_from(unsafe { libc::gettid() }).unwrap_or(0),
        })
    }

    /// The writes queued since the last call, sorted into the file's data
    /// (by its extents now) and the journal.
    pub fn take(&mut self, file: &File) -> DeviceWrites {
        let f = self.fields;
        let mut bios = Vec::new();
        for ring in &mut self.rings {
            let worker = self.worker;
            ring.drain(|tid, raw| {
                let u64_at = |o: usize| {
                    raw.get(o..o + 8)
                        .map_or(0, |b| u64::from_ne_bytes(b.try_into().unwrap_or([0; 8])))
                };
                let u32_at = |o: usize| {
                    raw.get(o..o + 4)
                        .map_or(0, |b| u32::from_ne_bytes(b.try_into().unwrap_or([0; 4])))
                };
                let text = |o: usize, n: usize| -> String {
                    raw.get(o..o + n)
                        .map(|b| {
                            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                            String::from_utf8_lossy(&b[..end]).into_owned()
                        })
                        .unwrap_or_default()
                };
                if !text(f.rwbs, 8).contains('W') {
                    return;
                }
                bios.push(Bio {
                    sector: u64_at(f.sector),
                    sectors: u64::from(u32_at(f.nr_sector)),
                    // Not the file's blocks: the journal (and metadata) that
                    // this thread's fsync wrote itself (ext4 commits from the
                    // caller when it can), or the journal thread's commit.
                    journal: tid == worker || text(f.comm, 16).starts_with("jbd2/"),
                });
            });
        }
        let extents = extents(file);
        let mut out = DeviceWrites::default();
        for b in bios {
            let bytes = b.sectors * 512;
            let at = b.sector.saturating_sub(self.start) * 512;
            if extents.iter().any(|&(p, l)| at < p + l && at + bytes > p) {
                out.data += bytes;
            } else if b.journal {
                out.journal += bytes;
            }
        }
        out
    }
}

/// The file's physical extents as (byte offset on the device, length), from
/// FIEMAP without FIEMAP_FLAG_SYNC (which would write the file back).
fn extents(file: &File) -> Vec<(u64, u64)> {
    const FS_IOC_FIEMAP: libc::c_ulong = 0xC020_660B;
    const COUNT: usize = 512;
    // struct fiemap (32 bytes) + COUNT × struct fiemap_extent (56 bytes).
    let mut buf = vec![0u64; (32 + COUNT * 56) / 8];
    let mut start = 0u64;
    let mut out = Vec::new();
    loop {
        buf.fill(0);
        buf[0] = start; // fm_start
        buf[1] = u64::MAX; // fm_length
        // fm_flags (u32 at 16) = 0, fm_extent_count (u32 at 24) = COUNT.
        buf[3] = COUNT as u64;
        // SAFETY: `buf` is a struct fiemap with room for COUNT extents.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), FS_IOC_FIEMAP, buf.as_mut_ptr()) };
        if rc != 0 {
            return out;
        }
        let mapped = usize::try_from(buf[2] >> 32).unwrap_or(0); // fm_mapped_extents
        let mut last = false;
        for i in 0..mapped.min(COUNT) {
            let e = 4 + i * 7; // extent i starts at byte 32 + 56 i
            let (logical, physical, length) = (buf[e], buf[e + 1], buf[e + 2]);
            let flags = u32::try_from(buf[e + 5] & 0xffff_ffff).unwrap_or(0);
            // FIEMAP_EXTENT_UNKNOWN (2) / DELALLOC (4): no blocks yet.
            if flags & 0x6 == 0 {
                out.push((physical, length));
            }
            last |= flags & 1 != 0; // FIEMAP_EXTENT_LAST
            start = logical + length;
        }
        if mapped < COUNT || last {
            return out;
        }
    }
}
