//! The modeled side of a step: the copies its op makes between which places,
//! and how many times the worker crosses into the kernel.
//!
//! These figures are not read from the kernel; they follow from the op's known
//! copy path, adjusted to what the machine really does (a page-cache hit does
//! no disk DMA; loopback has no NIC). The UI and JSON label them "modeled".
//! Each op's path is written beside its parameters, in its family's file
//! under `scenario/ops/` ([`Op::data_path`](crate::scenario::Op::data_path));
//! this module has the vocabulary those paths are written in.
//!
//! A path has two lists: the copies ([`Transfer`], by CPU or DMA), which
//! every copy figure counts, and the [`Leg`]s that move no byte (the socket
//! taking references to page-cache pages; a NIC a local socket does not
//! have). A leg is a different type in a different list, so no copy count
//! can take one in by mistake.

use serde::{Deserialize, Serialize};

use crate::outcome::Readings;

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

/// A leg of the data path that copies nothing: drawn beside the copies, never
/// counted with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    pub from: Place,
    pub to: Place,
    #[serde(flatten)]
    pub kind: LegKind,
}

/// What a leg is, in JSON `"kind": "page_refs", "bytes": N` or
/// `"kind": "absent", "reason": "local_socket"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LegKind {
    /// `to` holds references to the pages of `from` that carry `bytes` of
    /// data (sendfile and splice: the socket's skb points at page-cache
    /// pages). 0 bytes are copied.
    PageRefs { bytes: u64 },
    /// The textbook path has this leg, this machine's does not, and why.
    Absent { reason: Absence },
}

/// Why a textbook leg is not on this machine's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Absence {
    /// The socket is a local one (a sink thread drains it): no NIC, so no
    /// socket buffer → NIC DMA. A real network adds one here.
    LocalSocket,
}

impl Absence {
    /// As JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Absence::LocalSocket => "local_socket",
        }
    }

    /// The reason in English, for reports and notes (the UI has its own
    /// words in both languages).
    pub fn text(self) -> &'static str {
        match self {
            Absence::LocalSocket => "local socket: no NIC; a real network adds a DMA here",
        }
    }
}

/// What a step (or slice) did, as far as the model needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Work {
    /// Bytes through the op's main path (written, read, sent).
    pub bytes: u64,
    /// Bytes memcpy'd inside user space (`buffered_write`'s chunk → buffer).
    pub user_copy_bytes: u64,
    /// Pages touched (touch).
    pub pages: u64,
    /// Bytes the device read into the page cache (cache misses, readahead
    /// included): `read_bytes` when measured, else the growth of cached pages.
    pub disk_read_bytes: Option<u64>,
    /// Bytes this op sent (or the flusher sent, for `wait_writeback`) to the
    /// device from the page cache: the 4 KiB blocks write(2) dirtied since
    /// the last flush, and whole folios for stores through a mapping (the
    /// engine's own ledger, clamped by cachestat; see `engine::dirty`).
    /// `None` when it cannot be sized (no cachestat and mapping stores).
    pub flushed_bytes: Option<u64>,
    /// Writeback this thread submitted earlier (sync_file_range without
    /// wait) that finished during this op: its DMA was shown at submission.
    pub own_writeback_finished: u64,
    /// O_SYNC/O_DSYNC writes: the device blocks each call wrote (a 100-byte
    /// write sends a whole 4 KiB block; the journal comes on top).
    pub synced_bytes: u64,
    /// The working file was open with `O_DIRECT` when the op ran.
    pub direct: bool,
    /// ... with `O_SYNC` or `O_DSYNC`.
    pub synchronous: bool,
    /// For touch: whether the file mapping is private (private writes copy).
    pub private_mapping: bool,
    /// io_uring requests handed to the kernel, and completions reaped.
    pub submissions: u64,
    pub completions: u64,
    pub page_size: u64,
    /// For `program`: what the traced calls did to the watched file.
    pub program: Option<ProgramWork>,
}

/// The traced program's calls on the watched file, as the model needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProgramWork {
    pub written_bytes: u64,
    pub read_bytes: u64,
    pub sendfile_calls: u64,
    pub map_faults: u64,
}

/// The modeled data path of an op.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataPath {
    /// The sized edges.
    pub copies: Vec<Transfer>,
    /// Legs that copy nothing (page references, absent legs): never copies.
    pub legs: Vec<Leg>,
    /// Where the machine differs from the textbook path, or a figure is unknown.
    pub notes: Vec<String>,
    /// Kinds of an edge the op may have made but whose bytes could not be
    /// sized (no cachestat, no `/proc/<tid>/io`): their totals are unknown.
    pub unsized_kinds: Vec<CopyKind>,
}

impl DataPath {
    /// An edge of `bytes` (nothing when 0; unsized when `None`).
    pub fn push(&mut self, from: Place, to: Place, kind: CopyKind, bytes: Option<u64>) {
        match bytes {
            Some(0) => {}
            Some(bytes) => self.copies.push(Transfer {
                from,
                to,
                kind,
                bytes,
            }),
            None => {
                if !self.unsized_kinds.contains(&kind) {
                    self.unsized_kinds.push(kind);
                }
            }
        }
    }

    /// `to` takes references to `bytes` of `from`'s pages (nothing when 0).
    pub fn page_refs(&mut self, from: Place, to: Place, bytes: u64) {
        if bytes > 0 {
            self.legs.push(Leg {
                from,
                to,
                kind: LegKind::PageRefs { bytes },
            });
        }
    }

    /// The textbook leg `from` → `to` is not on this machine's path.
    pub fn absent(&mut self, from: Place, to: Place, reason: Absence) {
        self.legs.push(Leg {
            from,
            to,
            kind: LegKind::Absent { reason },
        });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The disk's DMA into the page cache for the pages the op missed
    /// (nothing, and a note saying so, when every page was cached).
    pub fn disk_in(&mut self, work: &Work) {
        match work.disk_read_bytes {
            Some(0) => self.note("every page was already in the page cache: no disk DMA"),
            n => {
                if n.is_none() {
                    self.note("cache misses unknown (no /proc/<tid>/io): disk DMA not sized");
                }
                self.push(Place::Disk, Place::PageCache, CopyKind::Dma, n);
            }
        }
    }
}

/// Entries into the kernel: every syscall and every page fault taken in
/// user mode (a fault inside a syscall, as MAP_POPULATE's or write(2)'s copy
/// from a mapping, is part of that syscall's entry). Unknown if either part is.
pub fn mode_switches(m: &Readings) -> Option<u64> {
    Some(m.syscalls? + m.user_faults?)
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

    #[test]
    fn mode_switches_are_syscalls_plus_user_mode_faults_or_unknown() {
        let m = Readings {
            syscalls: Some(3),
            minor_faults: Some(24),
            major_faults: Some(1),
            user_faults: Some(5),
            ..Readings::default()
        };
        assert_eq!(mode_switches(&m), Some(8));
        let m = Readings {
            syscalls: None,
            ..m
        };
        assert_eq!(mode_switches(&m), None);
    }

    #[test]
    fn a_leg_is_no_copy_and_serializes_with_its_kind() {
        let mut p = DataPath::default();
        p.push(Place::Disk, Place::PageCache, CopyKind::Dma, Some(8192));
        p.page_refs(Place::PageCache, Place::SocketBuffer, 8192);
        p.page_refs(Place::PageCache, Place::SocketBuffer, 0);
        p.absent(Place::SocketBuffer, Place::Nic, Absence::LocalSocket);
        assert_eq!(p.copies.len(), 1);
        assert_eq!(p.legs.len(), 2, "a zero-byte reference is left out");
        assert_eq!(totals(&p.copies, CopyKind::Cpu), (0, 0));
        assert_eq!(totals(&p.copies, CopyKind::Dma), (1, 8192));
        let json = serde_json::to_string(&p.legs).unwrap();
        assert_eq!(
            json,
            r#"[{"from":"page_cache","to":"socket_buffer","kind":"page_refs","bytes":8192},{"from":"socket_buffer","to":"nic","kind":"absent","reason":"local_socket"}]"#
        );
        let back: Vec<Leg> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p.legs);
    }

    #[test]
    fn a_zero_edge_is_left_out_and_an_unknown_one_marks_its_kind() {
        let mut p = DataPath::default();
        p.push(Place::Disk, Place::PageCache, CopyKind::Dma, Some(0));
        p.push(Place::PageCache, Place::Disk, CopyKind::Dma, None);
        p.push(Place::PageCache, Place::Disk, CopyKind::Dma, None);
        assert!(p.copies.is_empty());
        assert_eq!(p.unsized_kinds, [CopyKind::Dma]);
        assert_eq!(
            known_totals(&p.copies, &p.unsized_kinds, CopyKind::Dma),
            None
        );
        assert_eq!(
            known_totals(&p.copies, &p.unsized_kinds, CopyKind::Cpu),
            Some((0, 0))
        );
    }
}
