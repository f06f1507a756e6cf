//! The modeled side of a step: which copies its op makes between which places,
//! and how many times the worker crosses into the kernel.
//!
//! These figures are not read from the kernel; they follow from the op's known
//! copy path, adjusted to what the machine really does (a page-cache hit does
//! no disk DMA; loopback has no NIC). The UI and JSON label them "modeled".

use serde::Serialize;

/// A place data can sit on its way between the program and the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyKind {
    Cpu,
    Dma,
}

/// One edge of the data path with the bytes it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Copy {
    pub from: Place,
    pub to: Place,
    pub kind: CopyKind,
    pub bytes: u64,
}
