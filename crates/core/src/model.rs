//! The modeled side of a step: which copies its op makes between which places,
//! and how many times the worker crosses into the kernel.
//!
//! These figures are not read from the kernel; they follow from the op's known
//! copy path, adjusted to what the machine really does (a page-cache hit does
//! no disk DMA; loopback has no NIC). The UI and JSON label them "modeled".

use serde::{Deserialize, Serialize};

use crate::outcome::Readings;
use crate::scenario::{Op, OpenFlags, Target, Via};

/// A place data can sit on its way between the program and the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    Disk,
    PageCache,
    UserBuffer,
    SocketBuffer,
    Nic,
}

impl Place {
    pub const ALL: [Place; 5] = [
        Place::Disk,
        Place::PageCache,
        Place::UserBuffer,
        Place::SocketBuffer,
        Place::Nic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Place::Disk => "disk",
            Place::PageCache => "page_cache",
            Place::UserBuffer => "user_buffer",
            Place::SocketBuffer => "socket_buffer",
            Place::Nic => "nic",
        }
    }
}

/// Who moves the bytes: the CPU (memcpy in the kernel or in user space) or a
/// device's DMA engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyKind {
    Cpu,
    Dma,
}

/// One edge of the data path with the bytes it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub from: Place,
    pub to: Place,
    pub kind: CopyKind,
    pub bytes: u64,
}

/// What a step (or slice) did, as far as the model needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Work {
    /// Bytes through the op's main path (written, read, sent).
    pub bytes: u64,
    /// Bytes memcpy'd inside user space (buffered_write's chunk → buffer).
    pub user_copy_bytes: u64,
    /// Pages touched (touch).
    pub pages: u64,
    /// Bytes the device read into the page cache (cache misses, readahead
    /// included): read_bytes when measured, else the growth of cached pages.
    pub disk_read_bytes: Option<u64>,
    /// Bytes written back: dirty + writeback pages before minus after, × page
    /// size. `None` when dirtiness is unknown (no cachestat).
    pub flushed_bytes: Option<u64>,
    /// The working file's open flags when the op ran.
    pub flags: OpenFlags,
    /// For touch: whether the file mapping is shared (private writes copy).
    pub private_mapping: bool,
    pub page_size: u64,
}

/// The modeled data path of an op.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataPath {
    /// The sized edges.
    pub copies: Vec<Transfer>,
    /// Where the machine differs from the textbook path, or a figure is unknown.
    pub notes: Vec<String>,
    /// Kinds of an edge the op may have made but whose bytes could not be
    /// sized (no cachestat, no `/proc/<tid>/io`): their totals are unknown.
    pub unsized_kinds: Vec<CopyKind>,
}

/// The modeled copies of an op, and notes where the machine differs from
/// the textbook path (or where a figure is unknown). See [`data_path`] for
/// which edges could not be sized.
pub fn copies(op: &Op, w: &Work) -> (Vec<Transfer>, Vec<String>) {
    let p = data_path(op, w);
    (p.copies, p.notes)
}

/// The modeled data path of an op: copies, notes and unsized edges.
pub fn data_path(op: &Op, w: &Work) -> DataPath {
    use CopyKind::{Cpu, Dma};
    use Place::{Disk, PageCache, SocketBuffer, UserBuffer};
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let mut unsized_kinds = Vec::new();
    let mut push = |from, to, kind, bytes: Option<u64>| match bytes {
        Some(0) => {}
        Some(bytes) => out.push(Transfer {
            from,
            to,
            kind,
            bytes,
        }),
        None => {
            if !unsized_kinds.contains(&kind) {
                unsized_kinds.push(kind);
            }
        }
    };
    let disk_in = |push: &mut dyn FnMut(Place, Place, CopyKind, Option<u64>),
                   notes: &mut Vec<String>| {
        match w.disk_read_bytes {
            Some(0) => notes.push("every page was already in the page cache: no disk DMA".into()),
            n => {
                if n.is_none() {
                    notes.push(
                        "cache misses unknown (no /proc/<tid>/io): disk DMA not sized".into(),
                    );
                }
                push(Disk, PageCache, Dma, n);
            }
        }
    };
    match op {
        Op::Write { .. } | Op::BufferedWrite { .. } | Op::Pwrite { .. } => {
            if w.flags.direct {
                push(UserBuffer, Disk, Dma, Some(w.bytes));
                notes.push("O_DIRECT: the device reads straight from the user buffer; the page cache is bypassed".into());
            } else {
                push(UserBuffer, PageCache, Cpu, Some(w.bytes));
                if w.flags.sync || w.flags.dsync {
                    push(PageCache, Disk, Dma, Some(w.bytes));
                    notes.push("O_SYNC/O_DSYNC: each write(2) returns only after its pages reached the disk".into());
                }
            }
            if matches!(op, Op::BufferedWrite { .. }) && w.user_copy_bytes > 0 {
                notes.push(format!(
                    "BufferedOutputStream also copied {} bytes from each chunk into its own byte[] \
                     buffer: a CPU copy inside user space (user_buffer → user_buffer), not listed",
                    w.user_copy_bytes
                ));
            }
        }
        Op::Read { .. } => {
            if w.flags.direct {
                push(Disk, UserBuffer, Dma, Some(w.bytes));
                notes.push("O_DIRECT: the device writes straight into the user buffer; the page cache is bypassed".into());
            } else {
                disk_in(&mut push, &mut notes);
                push(PageCache, UserBuffer, Cpu, Some(w.bytes));
            }
        }
        Op::Fsync | Op::Fdatasync | Op::SyncFileRange { .. } | Op::DropCache | Op::Msync { .. } => {
            if w.flushed_bytes.is_none() {
                notes.push(
                    "dirty pages unknown (no cachestat): the write-back DMA is not sized".into(),
                );
            }
            push(PageCache, Disk, Dma, w.flushed_bytes);
            if matches!(
                op,
                Op::SyncFileRange { wait: false } | Op::Msync { asynchronous: true }
            ) {
                notes.push("writeback was only started: DMA may still run after the call returns (pages under writeback)".into());
            }
        }
        Op::Mmap { populate, .. } => {
            notes.push("mmap copies nothing: the mapping is the page cache itself".into());
            if *populate {
                disk_in(&mut push, &mut notes);
            }
        }
        Op::Touch { target, write, .. } => match target {
            Target::File => {
                disk_in(&mut push, &mut notes);
                if *write && w.private_mapping {
                    push(PageCache, UserBuffer, Cpu, Some(w.pages * w.page_size));
                    notes.push("private mapping: the first store to each page copies it out of the page cache (copy-on-write)".into());
                } else if *write {
                    notes.push(
                        "stores land directly in page-cache pages, which become dirty: no copy"
                            .into(),
                    );
                } else {
                    notes.push("loads read the page cache through the page tables: no copy into a user buffer".into());
                }
            }
            Target::Anon => notes
                .push("anonymous pages are zero-filled on first touch: nothing is copied".into()),
        },
        Op::Send { via, .. } => {
            disk_in(&mut push, &mut notes);
            match via {
                Via::ReadWrite => {
                    push(PageCache, UserBuffer, Cpu, Some(w.bytes));
                    push(UserBuffer, SocketBuffer, Cpu, Some(w.bytes));
                }
                Via::MmapWrite => {
                    push(PageCache, SocketBuffer, Cpu, Some(w.bytes));
                    notes.push("write(2) from the mapping copies the page cache straight into the socket: no user buffer copy".into());
                }
                Via::Sendfile | Via::Splice => notes.push(
                    "the socket takes references to the page-cache pages (splice pages): the CPU copies \
                     nothing on the sending side. Textbook sendfile without scatter-gather copies \
                     page_cache → socket_buffer by CPU; with a scatter-gather NIC the NIC would DMA \
                     from the page cache directly"
                        .into(),
                ),
            }
            if matches!(via, Via::Splice) {
                notes.push("splice moves pages between pipes and sockets without read or write: rchar and wchar never count it".into());
            }
            notes.push("local socket: there is no NIC, so no socket_buffer → nic DMA (a real network adds it); the sink thread's copy out of the socket is not the worker's".into());
        }
        Op::WaitWriteback { .. } => match w.flushed_bytes {
            Some(0) => {}
            Some(n) => {
                push(PageCache, Disk, Dma, Some(n));
                notes.push(
                    "the kernel's flusher threads wrote these pages back while this thread slept"
                        .into(),
                );
            }
            None => {
                notes.push(
                    "dirty pages unknown (no cachestat): waited for the whole timeout".into(),
                );
                push(PageCache, Disk, Dma, None);
            }
        },
        Op::Reopen { .. }
        | Op::Munmap { .. }
        | Op::AnonMmap { .. }
        | Op::Malloc { .. }
        | Op::Sleep { .. }
        | Op::Note => {}
    }
    DataPath {
        copies: out,
        notes,
        unsized_kinds,
    }
}

/// User→kernel entries: every syscall and every page fault. Unknown if
/// either part is.
pub fn mode_switches(m: &Readings) -> Option<u64> {
    Some(m.syscalls? + m.minor_faults? + m.major_faults?)
}

/// Copy edges of `kind` and the bytes they carried; `None` when one edge of
/// that kind could not be sized.
pub fn known_totals(
    copies: &[Transfer],
    unsized_kinds: &[CopyKind],
    kind: CopyKind,
) -> Option<(u64, u64)> {
    (!unsized_kinds.contains(&kind)).then(|| totals(copies, kind))
}

/// Copy edges of `kind`, and the bytes they carried (sized edges only).
pub fn totals(copies: &[Transfer], kind: CopyKind) -> (u64, u64) {
    copies
        .iter()
        .filter(|c| c.kind == kind)
        .fold((0, 0), |(n, b), c| (n + 1, b + c.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(bytes: u64) -> Work {
        Work {
            bytes,
            page_size: 4096,
            ..Work::default()
        }
    }

    #[test]
    fn write_is_one_cpu_copy_into_the_page_cache() {
        let (c, _) = copies(
            &Op::Write {
                bytes: 300,
                chunk: 3,
            },
            &work(300),
        );
        assert_eq!(
            c,
            vec![Transfer {
                from: Place::UserBuffer,
                to: Place::PageCache,
                kind: CopyKind::Cpu,
                bytes: 300
            }]
        );
    }

    #[test]
    fn direct_write_is_dma_from_the_user_buffer() {
        let w = Work {
            flags: OpenFlags {
                direct: true,
                ..OpenFlags::default()
            },
            ..work(4096)
        };
        let (c, n) = copies(
            &Op::Write {
                bytes: 4096,
                chunk: 4096,
            },
            &w,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].from, c[0].to, c[0].kind),
            (Place::UserBuffer, Place::Disk, CopyKind::Dma)
        );
        assert!(n[0].contains("O_DIRECT"));
    }

    #[test]
    fn buffered_write_notes_the_user_space_copy() {
        let w = Work {
            user_copy_bytes: 100,
            ..work(100)
        };
        let (c, n) = copies(
            &Op::BufferedWrite {
                bytes: 100,
                chunk: 10,
                buffer: 8192,
            },
            &w,
        );
        assert_eq!(c.len(), 1);
        assert!(n.iter().any(|n| n.contains("100 bytes")), "{n:?}");
    }

    #[test]
    fn read_hit_has_no_dma_and_miss_has_it() {
        let op = Op::Read {
            bytes: 8192,
            chunk: 4096,
            offset: 0,
        };
        let (c, n) = copies(
            &op,
            &Work {
                disk_read_bytes: Some(0),
                ..work(8192)
            },
        );
        assert_eq!(totals(&c, CopyKind::Dma), (0, 0));
        assert_eq!(totals(&c, CopyKind::Cpu), (1, 8192));
        assert!(n[0].contains("no disk DMA"));
        let (c, _) = copies(
            &op,
            &Work {
                disk_read_bytes: Some(65536),
                ..work(8192)
            },
        );
        assert_eq!(totals(&c, CopyKind::Dma), (1, 65536));
        let (_, n) = copies(&op, &work(8192));
        assert!(n[0].contains("unknown"), "{n:?}");
    }

    #[test]
    fn fsync_moves_the_cleaned_pages_by_dma() {
        let (c, _) = copies(
            &Op::Fsync,
            &Work {
                flushed_bytes: Some(74 * 4096),
                ..work(0)
            },
        );
        assert_eq!(totals(&c, CopyKind::Dma), (1, 74 * 4096));
        let (c, n) = copies(&Op::Fsync, &work(0));
        assert!(c.is_empty());
        assert!(n[0].contains("unknown"));
    }

    #[test]
    fn send_paths_lose_copies_from_read_write_to_sendfile() {
        let w = Work {
            disk_read_bytes: Some(0),
            ..work(1 << 20)
        };
        let cpu = |via| {
            totals(
                &copies(
                    &Op::Send {
                        bytes: 1 << 20,
                        chunk: 65536,
                        via,
                    },
                    &w,
                )
                .0,
                CopyKind::Cpu,
            )
            .0
        };
        assert_eq!(cpu(Via::ReadWrite), 2);
        assert_eq!(cpu(Via::MmapWrite), 1);
        assert_eq!(cpu(Via::Sendfile), 0);
        assert_eq!(cpu(Via::Splice), 0);
        let (c, n) = copies(
            &Op::Send {
                bytes: 1,
                chunk: 1,
                via: Via::ReadWrite,
            },
            &w,
        );
        assert!(c.iter().all(|c| c.to != Place::Nic));
        assert!(n.iter().any(|n| n.contains("no NIC")));
    }

    #[test]
    fn private_write_touch_copies_on_write() {
        let w = Work {
            pages: 10,
            private_mapping: true,
            disk_read_bytes: Some(0),
            ..work(0)
        };
        let (c, _) = copies(
            &Op::Touch {
                pages: 10,
                stride: 1,
                write: true,
                target: Target::File,
            },
            &w,
        );
        assert_eq!(totals(&c, CopyKind::Cpu), (1, 40960));
        let (c, n) = copies(
            &Op::Touch {
                pages: 10,
                stride: 1,
                write: true,
                target: Target::Anon,
            },
            &w,
        );
        assert!(c.is_empty());
        assert!(n[0].contains("zero-filled"));
    }

    #[test]
    fn wait_writeback_shows_the_flusher_dma_or_says_it_is_unknown() {
        let op = Op::WaitWriteback { timeout_ms: 100 };
        let (c, n) = copies(
            &op,
            &Work {
                flushed_bytes: Some(8192),
                ..work(0)
            },
        );
        assert_eq!(totals(&c, CopyKind::Dma), (1, 8192));
        assert!(n[0].contains("flusher"));
        let (c, n) = copies(&op, &work(0));
        assert!(c.is_empty());
        assert!(n[0].contains("whole timeout"));
    }

    #[test]
    fn ops_without_data_movement_copy_nothing() {
        let w = Work {
            disk_read_bytes: Some(0),
            flushed_bytes: Some(0),
            ..work(0)
        };
        for op in [
            Op::Reopen {
                flags: OpenFlags::default(),
            },
            Op::Munmap {
                target: Target::File,
            },
            Op::AnonMmap { bytes: 1 << 20 },
            Op::Malloc { bytes: 1 << 20 },
            Op::Sleep { ms: 1 },
            Op::Note,
            Op::Mmap {
                bytes: 4096,
                offset: 0,
                shared: true,
                write: false,
                populate: false,
            },
        ] {
            assert!(copies(&op, &w).0.is_empty(), "{op:?}");
        }
    }

    #[test]
    fn populate_reads_misses_and_async_flushes_say_so() {
        let op = Op::Mmap {
            bytes: 1 << 20,
            offset: 0,
            shared: true,
            write: false,
            populate: true,
        };
        let (c, _) = copies(
            &op,
            &Work {
                disk_read_bytes: Some(1 << 20),
                ..work(0)
            },
        );
        assert_eq!(totals(&c, CopyKind::Dma), (1, 1 << 20));
        for op in [
            Op::SyncFileRange { wait: false },
            Op::Msync { asynchronous: true },
        ] {
            let (c, n) = copies(
                &op,
                &Work {
                    flushed_bytes: Some(4096),
                    ..work(0)
                },
            );
            assert_eq!(totals(&c, CopyKind::Dma), (1, 4096));
            assert!(n.iter().any(|n| n.contains("only started")), "{n:?}");
        }
        let (_, n) = copies(
            &Op::Msync {
                asynchronous: false,
            },
            &Work {
                flushed_bytes: Some(4096),
                ..work(0)
            },
        );
        assert!(n.is_empty());
    }

    #[test]
    fn sync_writes_add_the_disk_dma() {
        let w = Work {
            flags: OpenFlags {
                dsync: true,
                ..OpenFlags::default()
            },
            ..work(4096)
        };
        let (c, _) = copies(
            &Op::Pwrite {
                bytes: 4096,
                chunk: 4096,
                offset: 0,
                pattern: crate::scenario::Pattern::Sequential,
            },
            &w,
        );
        assert_eq!(totals(&c, CopyKind::Cpu), (1, 4096));
        assert_eq!(totals(&c, CopyKind::Dma), (1, 4096));
    }

    #[test]
    fn mode_switches_are_syscalls_plus_faults_or_unknown() {
        let m = Readings {
            syscalls: Some(3),
            minor_faults: Some(4),
            major_faults: Some(1),
            ..Readings::default()
        };
        assert_eq!(mode_switches(&m), Some(8));
        let m = Readings {
            syscalls: None,
            ..m
        };
        assert_eq!(mode_switches(&m), None);
    }
}
