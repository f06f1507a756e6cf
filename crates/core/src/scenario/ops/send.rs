//! `send`: the first `bytes` of the working file into a local socket that a
//! sink thread drains, four ways (the zero-copy lesson).

use std::num::NonZeroU64;

use super::super::walk::{Refusal, Walk};
use super::{BYTES, CHUNK, Kind, Needs, Op, OpDef, Param, Spec};
use crate::model::{Absence, CopyKind, DataPath, Place, Work};

/// Move `bytes` of file data into a local socket, `chunk` per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendToSocket {
    pub bytes: NonZeroU64,
    pub chunk: NonZeroU64,
    pub via: Via,
}

/// How `send` moves the data.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::VariantNames, strum::EnumString, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Via {
    /// pread(2) into a user buffer, write(2) it to the socket.
    ReadWrite,
    /// mmap(2) the file once, write(2) from the mapping.
    MmapWrite,
    /// sendfile(2) file → socket.
    Sendfile,
    /// splice(2) file → pipe → socket.
    Splice,
}

const VIA: Param = Param {
    name: "via",
    kind: Kind::Choice {
        words: <Via as strum::VariantNames>::VARIANTS,
        default: None,
    },
    hint: "",
};

pub(super) static SEND: Spec = Spec {
    name: "send",
    params: &[BYTES, CHUNK, VIA],
    doc: "move `bytes` of file data into a local socket, `chunk` per call, that a sink \
          thread drains (the zero-copy lesson). `via` is `\"read_write\"` (read + write), \
          `\"mmap_write\"` (mmap + write), `\"sendfile\"` or `\"splice\"`",
    parse: |a| {
        Ok(Op::Send(SendToSocket {
            bytes: a.nonzero(&BYTES)?,
            chunk: a.nonzero(&CHUNK)?,
            via: a.choice(&VIA)?,
        }))
    },
};

impl OpDef for SendToSocket {
    fn spec(&self) -> &'static Spec {
        &SEND
    }

    fn walk(&self, w: &mut Walk<'_>) -> Result<(), Refusal> {
        let bytes = self.bytes.get();
        // mmap_write maps all of it at once.
        w.mapped(bytes)?;
        w.buffer("chunk", self.chunk.get())?;
        let len = w.file_len();
        if bytes > len {
            return Err(w.refuse(format!(
                "{bytes} bytes asked, but the working file has only {len} then (set [file] size)"
            )));
        }
        Ok(())
    }

    fn copy_path(&self, work: &Work, path: &mut DataPath) {
        use CopyKind::Cpu;
        use Place::{Nic, PageCache, SocketBuffer, UserBuffer};
        path.disk_in(work);
        match self.via {
            Via::ReadWrite => {
                path.push(PageCache, UserBuffer, Cpu, Some(work.bytes));
                path.push(UserBuffer, SocketBuffer, Cpu, Some(work.bytes));
            }
            Via::MmapWrite => {
                path.push(PageCache, SocketBuffer, Cpu, Some(work.bytes));
                path.note(
                    "write(2) from the mapping copies the page cache straight into the socket: \
                     no user buffer copy",
                );
            }
            Via::Sendfile | Via::Splice => {
                // A leg, not a copy: the socket's buffers point at the
                // page-cache pages, 0 bytes move.
                path.page_refs(PageCache, SocketBuffer, work.bytes);
                path.note(
                    "the socket takes references to the page-cache pages (splice pages): the CPU \
                     copies nothing on the sending side. Textbook sendfile without scatter-gather \
                     copies page_cache → socket_buffer by CPU; with a scatter-gather NIC the NIC \
                     would DMA from the page cache directly",
                );
            }
        }
        if self.via == Via::Splice {
            path.note(
                "splice moves pages between pipes and sockets without read or write: rchar and \
                 wchar never count it",
            );
        }
        path.absent(SocketBuffer, Nic, Absence::LocalSocket);
        path.note(
            "local socket: there is no NIC, so no socket_buffer → nic DMA (a real network adds \
             it); the sink thread's copy out of the socket is not the worker's",
        );
    }

    fn needs(&self) -> Needs {
        Needs {
            cache_growth: true,
            ..Needs::default()
        }
    }
}
