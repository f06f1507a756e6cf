//! `send`: move the first `bytes` of the working file into a local stream
//! socket (a socketpair) that a `sink` thread drains, four ways:
//! - `read_write`: pread(2) into a user buffer, write(2) it to the socket;
//! - `mmap_write`: mmap(2) the file once, write(2) from the mapping;
//! - `sendfile`: sendfile(2) file → socket, no user buffer;
//! - `splice`: splice(2) file → pipe, then pipe → socket.
//!
//! The sink runs on its own thread, so its reads are not the worker's.

use std::io::Read as _;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::thread::JoinHandle;

use memmap2::{Mmap, MmapOptions};

use super::{AlignedBuf, Ctx, OpError, Running, SliceOut, io_buffer, retry};
use crate::scenario::{SendToSocket, Via};

pub struct Send {
    bytes: u64,
    chunk: u64,
    via: Via,
    sent: u64,
    total: u64,
    sock: Option<UnixStream>,
    sink: Option<JoinHandle<u64>>,
    buf: Option<AlignedBuf>,
    pipe: Option<(OwnedFd, OwnedFd)>,
    /// `mmap_write`'s read-only shared mapping of the first `bytes`.
    map: Option<Mmap>,
    /// Where `map` is shown to the sampler (the page map's VMA view); it is
    /// unpublished before the munmap, as every file mapping is.
    shared: std::sync::Arc<super::super::Shared>,
}

impl Send {
    pub fn new(ctx: &mut Ctx<'_>, op: &SendToSocket) -> Result<Send, OpError> {
        let (bytes, chunk, via) = (op.bytes.get(), op.chunk.get(), op.via);
        let len = ctx.file.size().map_err(|e| OpError::Os {
            attempted: "fstat of the working file".into(),
            source: e,
        })?;
        if bytes > len {
            return Err(OpError::Invalid(format!(
                "send: {bytes} bytes asked, but the working file has only {len} (set [file] size)"
            )));
        }
        let (sock, peer) = UnixStream::pair().map_err(|e| OpError::Os {
            attempted: "socketpair(2)".into(),
            source: e,
        })?;
        let sink = std::thread::Builder::new()
            .name("sink".into())
            .spawn(move || {
                let mut peer = peer;
                let mut buf = vec![0u8; 256 * 1024];
                let mut total = 0u64;
                while let Ok(n) = peer.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    total += n as u64;
                }
                total
            })
            .map_err(|e| OpError::Os {
                attempted: "spawning the sink thread".into(),
                source: e,
            })?;
        let buf = match via {
            // Never more than the step sends: `chunk` alone is user input.
            Via::ReadWrite => Some(io_buffer(ctx, chunk.min(bytes))?),
            _ => None,
        };
        let pipe = match via {
            Via::Splice => {
                let mut fds = [0i32; 2];
                // SAFETY: `fds` has room for the two fds pipe2 returns.
                if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
                    return Err(OpError::last("pipe2(2)"));
                }
                // SAFETY: both fds were just returned to us and are owned here only.
                let (r, w) =
                    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
                // A pipe as big as a chunk (capped by the kernel's pipe-max-size),
                // so one splice in and one out per chunk where possible.
                // SAFETY: fcntl on our own pipe fd.
                unsafe {
                    libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, chunk.min(1 << 20) as i32)
                };
                Some((r, w))
            }
            _ => None,
        };
        Ok(Send {
            bytes,
            chunk,
            via,
            sent: 0,
            total: bytes.div_ceil(chunk),
            sock: Some(sock),
            sink: Some(sink),
            buf,
            pipe,
            map: None,
            shared: std::sync::Arc::clone(ctx.shared),
        })
    }

    fn sock_fd(&self) -> i32 {
        self.sock.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// write(2) all of `ptr[..len]` to the socket.
    fn write_sock(&self, ptr: *const u8, len: usize, calls: &mut u64) -> Result<(), OpError> {
        let fd = self.sock_fd();
        let mut done = 0;
        while done < len {
            let n = retry(calls, || {
                // SAFETY: `ptr[done..len]` is inside a live buffer or mapping.
                unsafe { libc::write(fd, ptr.add(done).cast(), len - done) }
            })
            .map_err(|e| OpError::Os {
                attempted: format!("write(2) of {} bytes to the socket", len - done),
                source: e,
            })?;
            done += n;
        }
        Ok(())
    }

    fn one_chunk(&mut self, ctx: &mut Ctx<'_>, out: &mut SliceOut) -> Result<(), OpError> {
        let len = crate::cast::usize(self.chunk.min(self.bytes - self.sent));
        let off = self.sent;
        let file_fd = ctx.file.fd();
        let sock = self.sock_fd();
        match self.via {
            Via::ReadWrite => {
                let buf = self.buf.as_mut().expect("read_write has a buffer");
                let ptr = buf.as_mut_ptr();
                let n = retry(&mut out.calls, || {
                    // SAFETY: the buffer holds `chunk ≥ len` bytes.
                    unsafe { libc::pread(file_fd, ptr.cast(), len, crate::cast::off_t(off)) }
                })
                .map_err(|e| OpError::Os {
                    attempted: format!("pread(2) of {len} bytes at offset {off}"),
                    source: e,
                })?;
                self.write_sock(ptr, n, &mut out.calls)?;
                self.sent += n as u64;
                out.bytes += n as u64;
            }
            Via::MmapWrite => {
                if self.map.is_none() {
                    out.calls += 1;
                    let map_len = crate::cast::usize(self.bytes);
                    // SAFETY: memmap2's map is unsafe because the file may
                    // change under it; the mapping is only read by write(2)
                    // (the kernel copies from it, never a Rust reference),
                    // within the file (checked in `new`). One mmap(2).
                    let map = unsafe { MmapOptions::new().len(map_len).map(&ctx.file.file) }
                        .map_err(|e| OpError::Os {
                            attempted: format!("mmap(2) of {map_len} bytes of the working file"),
                            source: e,
                        })?;
                    self.shared.publish_mapping(Some(super::super::MappingInfo {
                        addr: map.as_ptr() as usize,
                        len: map.len(),
                        offset: 0,
                        shared: true,
                        write: false,
                    }));
                    self.map = Some(map);
                }
                let base = self
                    .map
                    .as_ref()
                    .map(|m| m.as_ptr())
                    .ok_or_else(|| OpError::Invalid("send: the mapping is gone".into()))?;
                // SAFETY: `off + len ≤ bytes`, the mapping's length.
                let ptr = unsafe { base.add(crate::cast::usize(off)) };
                self.write_sock(ptr, len, &mut out.calls)?;
                self.sent += len as u64;
                out.bytes += len as u64;
            }
            Via::Sendfile => {
                let mut o = crate::cast::off_t(off);
                let n = retry(&mut out.calls, || {
                    // SAFETY: `o` is a live off_t the kernel updates.
                    unsafe { libc::sendfile(sock, file_fd, &raw mut o, len) }
                })
                .map_err(|e| OpError::Os {
                    attempted: format!("sendfile(2) of {len} bytes at offset {off}"),
                    source: e,
                })?;
                if n == 0 {
                    return Err(OpError::Invalid(format!(
                        "sendfile(2) at offset {off} moved nothing (end of file?)"
                    )));
                }
                self.sent += n as u64;
                out.bytes += n as u64;
            }
            Via::Splice => {
                let n = self.splice_chunk(file_fd, off, len, &mut out.calls)?;
                self.sent += n as u64;
                out.bytes += n as u64;
            }
        }
        Ok(())
    }

    /// splice(2) `len` bytes at `off` from the file into the pipe, then all
    /// of them from the pipe into the socket; the bytes moved.
    fn splice_chunk(
        &self,
        file_fd: i32,
        off: u64,
        len: usize,
        calls: &mut u64,
    ) -> Result<usize, OpError> {
        let (from_pipe, into_pipe) = self.pipe.as_ref().expect("splice has a pipe");
        let (from_pipe, into_pipe) = (from_pipe.as_raw_fd(), into_pipe.as_raw_fd());
        let sock = self.sock_fd();
        let mut pos = crate::cast::off_t(off);
        let filled = retry(calls, || {
            // SAFETY: `pos` is a live loff_t; no user memory is touched.
            unsafe {
                libc::splice(
                    file_fd,
                    &raw mut pos,
                    into_pipe,
                    std::ptr::null_mut(),
                    len,
                    libc::SPLICE_F_MOVE,
                )
            }
        })
        .map_err(|e| OpError::Os {
            attempted: format!("splice(2) of {len} bytes from the file into a pipe"),
            source: e,
        })?;
        if filled == 0 {
            return Err(OpError::Invalid(format!(
                "splice(2) at offset {off} moved nothing (end of file?)"
            )));
        }
        let mut moved = 0;
        while moved < filled {
            moved += retry(calls, || {
                // SAFETY: pipe → socket, no user memory is touched.
                unsafe {
                    libc::splice(
                        from_pipe,
                        std::ptr::null_mut(),
                        sock,
                        std::ptr::null_mut(),
                        filled - moved,
                        libc::SPLICE_F_MOVE,
                    )
                }
            })
            .map_err(|e| OpError::Os {
                attempted: format!(
                    "splice(2) of {} bytes from the pipe into the socket",
                    filled - moved
                ),
                source: e,
            })?;
        }
        Ok(filled)
    }
}

impl Running for Send {
    fn total(&self) -> u64 {
        self.total
    }

    fn done(&self) -> bool {
        self.sent >= self.bytes
    }

    fn slice(&mut self, ctx: &mut Ctx<'_>, units: u64, out: &mut SliceOut) -> Result<(), OpError> {
        for _ in 0..units {
            if self.done() {
                break;
            }
            self.one_chunk(ctx, out)?;
            out.units += 1;
        }
        if self.done()
            && let Some(map) = self.map.take()
        {
            // mmap_write's munmap is part of the op (a Java MappedByteBuffer
            // would be unmapped when collected): memmap2's Drop, here, inside
            // the measured window.
            out.calls += 1;
            self.shared.publish_mapping(None);
            drop(map);
            // The file mapping of an earlier mmap step, if any, is shown again.
            ctx.publish_mapping();
        }
        Ok(())
    }

    fn finish(&mut self, ctx: &mut Ctx<'_>) -> Result<(), OpError> {
        let mapped = self.map.is_some();
        self.cleanup();
        if mapped {
            ctx.publish_mapping();
        }
        Ok(())
    }
}

impl Send {
    fn cleanup(&mut self) {
        // A step that failed mid-way: unmapped outside any window.
        if self.map.take().is_some() {
            self.shared.publish_mapping(None);
        }
        // Closing our end ends the sink's read loop.
        self.sock = None;
        if let Some(h) = self.sink.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Send {
    fn drop(&mut self) {
        self.cleanup();
    }
}
