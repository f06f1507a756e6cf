//! The trace state both backends share: per-process descriptor tables and
//! file mappings, the followed files, and the fold of raw calls into
//! [`SyscallEvent`]s. The backend that owns it feeds it calls in the order
//! each thread made them; it knows nothing of perf or ptrace.
//!
//! Descriptor tables are per process (threads share one): an open's result
//! is resolved through /proc/PID/fd/N the moment the call is processed, a
//! dup copies the entry, close removes it, exec drops what no longer points
//! at the same inode. A descriptor the table has never seen (inherited,
//! opened before attach, passed over a socket) is resolved lazily on first
//! use. The backend says whether a late resolution can be trusted (perf
//! processes calls after the fact, so the slot may have been reused); an
//! untrusted one is recorded as an unknown path, never a guess.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::{self, File};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use crate::cachestat;
use crate::config::FileFilter;
use crate::emit::Emitter;
use crate::event::{SampleSource, SyscallEvent, TraceEvent};
use crate::registry::{Followed, Registry};
use crate::syscall_table::{self, Direction, Effect};

/// One system call as a backend saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    pub tid: i32,
    pub pid: i32,
    pub nr: i64,
    pub args: [u64; 6],
    /// `None` when the call did not return (exit) or its exit was not seen.
    pub ret: Option<i64>,
    pub start_ns: u64,
    pub end_ns: Option<u64>,
}

impl Call {
    fn ok_ret(&self) -> Option<i64> {
        self.ret.filter(|&r| r >= 0)
    }
}

/// What a descriptor refers to.
#[derive(Debug, Default)]
pub(crate) struct FdInfo {
    /// Its path (or `pipe:[..]`, `socket:[..]`); `None` when unknown.
    path: Option<Arc<str>>,
    /// (st_dev, st_ino) of the file, when it could be opened.
    ident: Option<(u64, u64)>,
    followed: Option<Arc<Followed>>,
}

#[derive(Debug, Clone)]
struct Mapping {
    start: u64,
    end: u64,
    shared: bool,
    file: Arc<Followed>,
}

#[derive(Debug, Default, Clone)]
struct Proc {
    fds: HashMap<i32, Arc<FdInfo>>,
    maps: Vec<Mapping>,
}

/// Descriptors of one call, resolved before it ran (ptrace: at the entry
/// stop, when the table is exactly the program's).
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    fd: Option<(i32, Arc<FdInfo>)>,
    source: Option<(i32, Arc<FdInfo>)>,
    mapped: Option<Arc<Followed>>,
}

/// Per followed file: the dirty count after the last call on it, to see
/// pages dirtied by stores (ptrace: before/after samples are exact).
#[derive(Debug, Default, Clone, Copy)]
struct Witness {
    last_dirty: Option<u64>,
    /// A write-family call on the file since the last sample (sampled or
    /// not): a rise in dirty pages then proves nothing.
    wrote_since: bool,
    last_sample_ns: u64,
}

/// Read/write-family calls are sampled around at most once per file per
/// this interval: cachestat walks the whole file, so sampling around every
/// one of 200,000 appends to a growing file would cost O(calls x pages).
/// Every other I/O call (fsync, msync, ftruncate, ...) is sampled around
/// each time.
const AROUND_MIN_NS: u64 = 1_000_000;

/// Whether a descriptor resolved through /proc now shows what the program
/// had at `since_ns`.
pub(crate) trait Trust {
    fn trusted(&self, pid: i32, fd: i32, since_ns: u64) -> bool;
}

/// The program is stopped while we look (ptrace): always exact.
pub(crate) struct Stopped;

impl Trust for Stopped {
    fn trusted(&self, _: i32, _: i32, _: u64) -> bool {
        true
    }
}

const MAP_SHARED: u64 = 0x01;
const MAP_ANONYMOUS: u64 = 0x20;
const F_DUPFD: u64 = 0;
const F_DUPFD_CLOEXEC: u64 = 1030;
const CLOSE_RANGE_CLOEXEC: u64 = 1 << 2;
const PAGE: u64 = 4096;

pub(crate) struct Session {
    emit: Emitter,
    filter: Option<FileFilter>,
    registry: Arc<Registry>,
    procs: HashMap<i32, Proc>,
    followed: HashMap<(u64, u64), Arc<Followed>>,
    witness: HashMap<Arc<str>, Witness>,
    /// ptrace: sample followed files before and after each I/O call.
    around_calls: bool,
    /// perf: followed files an I/O call touched since the last batch ended.
    touched: Vec<Arc<Followed>>,
    /// perf: faults and write faults per mapped file since the last flush.
    faults: HashMap<Arc<str>, (u64, u64)>,
    noatime_refused: bool,
}

impl Session {
    pub(crate) fn new(
        emit: Emitter,
        filter: Option<FileFilter>,
        registry: Arc<Registry>,
        around_calls: bool,
    ) -> Session {
        Session {
            emit,
            filter,
            registry,
            procs: HashMap::new(),
            followed: HashMap::new(),
            witness: HashMap::new(),
            around_calls,
            touched: Vec::new(),
            faults: HashMap::new(),
            noatime_refused: false,
        }
    }

    /// Start tracking a process: resolve every descriptor it has now
    /// (attach, or the exec'd command's inherited ones).
    pub(crate) fn add_process(&mut self, pid: i32) {
        self.procs.entry(pid).or_default();
        let Ok(dir) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            return;
        };
        let fds: Vec<i32> = dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        for fd in fds {
            let info = self.resolve(pid, fd, true);
            self.proc(pid).fds.insert(fd, info);
        }
    }

    /// A fork: the child starts with a copy of the parent's table and maps.
    pub(crate) fn fork(&mut self, parent: i32, child: i32) {
        let copy = self.procs.get(&parent).cloned().unwrap_or_default();
        self.procs.insert(child, copy);
    }

    pub(crate) fn exit_process(&mut self, pid: i32) {
        self.procs.remove(&pid);
    }

    fn proc(&mut self, pid: i32) -> &mut Proc {
        self.procs.entry(pid).or_default()
    }

    /// Resolve the descriptors `call` names, from the table or lazily.
    pub(crate) fn resolve_call(&mut self, call: &Call, trust: &impl Trust) -> Resolved {
        let class = syscall_table::info(call.nr).class;
        let mut r = Resolved::default();
        let fd_of = |i: Option<u8>| {
            let raw = call.args[usize::from(i?)] as i64 as i32;
            (raw >= 0).then_some(raw)
        };
        let anonymous_map = class.effect == Effect::Map && call.args[3] & MAP_ANONYMOUS != 0;
        if !anonymous_map && let Some(fd) = fd_of(class.fd_arg) {
            r.fd = Some((fd, self.lookup(call.pid, fd, call.start_ns, trust)));
        }
        if let Some(fd) = fd_of(class.source_arg) {
            r.source = Some((fd, self.lookup(call.pid, fd, call.start_ns, trust)));
        }
        if let Some(i) = class.addr_arg {
            let addr = call.args[usize::from(i)];
            r.mapped = self.procs.get(&call.pid).and_then(|p| {
                p.maps
                    .iter()
                    .find(|m| m.start <= addr && addr < m.end)
                    .map(|m| m.file.clone())
            });
        }
        r
    }

    fn lookup(&mut self, pid: i32, fd: i32, at_ns: u64, trust: &impl Trust) -> Arc<FdInfo> {
        if let Some(info) = self.procs.get(&pid).and_then(|p| p.fds.get(&fd)) {
            return info.clone();
        }
        let info = self.resolve(pid, fd, trust.trusted(pid, fd, at_ns));
        self.proc(pid).fds.insert(fd, info.clone());
        info
    }

    /// ptrace's entry stop: sample the followed files the call will touch.
    pub(crate) fn before(&mut self, call: &Call, resolved: &Resolved) {
        let class = syscall_table::info(call.nr).class;
        if !self.around_calls || !class.io {
            return;
        }
        for f in touched_files(resolved) {
            if self.due(&f, class.direction) {
                self.sample(&f, SampleSource::BeforeCall, true);
            }
        }
    }

    /// A finished call: apply what it did to the tables and emit it.
    #[allow(clippy::too_many_lines)] // one arm per effect on the tables
    pub(crate) fn complete(&mut self, call: &Call, resolved: &Resolved, trust: &impl Trust) {
        let info = syscall_table::info(call.nr);
        let class = info.class;
        let mut fd = resolved.fd.as_ref().map(|(fd, _)| *fd);
        let mut path = resolved.fd.as_ref().and_then(|(_, i)| i.path.clone());
        match class.effect {
            Effect::Open => {
                if let Some(new) = call.ok_ret() {
                    let new = new as i32;
                    let since = call.end_ns.unwrap_or(call.start_ns);
                    let entry = self.resolve(call.pid, new, trust.trusted(call.pid, new, since));
                    fd = Some(new);
                    path.clone_from(&entry.path);
                    self.proc(call.pid).fds.insert(new, entry);
                }
            }
            // dup returns the copy; dup2/dup3 return the slot they filled.
            Effect::Dup | Effect::DupTo => {
                if let (Some(new), Some((_, old))) = (call.ok_ret(), resolved.fd.as_ref()) {
                    self.proc(call.pid).fds.insert(new as i32, old.clone());
                }
            }
            Effect::Fcntl => {
                let cmd = call.args[1];
                if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
                    && let (Some(new), Some((_, old))) = (call.ok_ret(), resolved.fd.as_ref())
                {
                    self.proc(call.pid).fds.insert(new as i32, old.clone());
                }
            }
            Effect::Close => {
                if let Some(fd) = fd {
                    self.proc(call.pid).fds.remove(&fd);
                }
            }
            Effect::CloseRange => {
                if call.ret == Some(0) && call.args[2] & CLOSE_RANGE_CLOEXEC == 0 {
                    let (first, last) = (call.args[0], call.args[1]);
                    self.proc(call.pid)
                        .fds
                        .retain(|&fd, _| !(first..=last).contains(&(fd as u64)));
                }
            }
            Effect::NewFd => {
                if let Some(new) = call.ok_ret() {
                    self.proc(call.pid).fds.remove(&(new as i32));
                }
            }
            Effect::Exec => {
                if call.ret == Some(0) {
                    self.exec(call.pid);
                }
            }
            Effect::Map => self.map(call, resolved),
            Effect::Unmap => self.unmap(call.pid, call.args[0], call.args[1]),
            Effect::Remap => {
                if let (Some(new), Some(file)) = (call.ret, resolved.mapped.as_ref())
                    && !(-4095..0).contains(&new)
                {
                    let (old, old_len, new_len) = (call.args[0], call.args[1], call.args[2]);
                    let shared = self.procs.get(&call.pid).is_some_and(|p| {
                        p.maps
                            .iter()
                            .any(|m| m.start <= old && old < m.end && m.shared)
                    });
                    self.unmap(call.pid, old, old_len);
                    self.proc(call.pid).maps.push(Mapping {
                        start: new as u64,
                        end: new as u64 + page_up(new_len),
                        shared,
                        file: file.clone(),
                    });
                }
            }
            Effect::None => {}
        }
        if path.is_none()
            && let Some(f) = &resolved.mapped
        {
            path = Some(f.path.clone());
        }
        let bytes = match class.direction {
            Direction::None => None,
            _ => call.ok_ret().map(|r| r as u64),
        };
        self.emit.send(TraceEvent::Syscall(SyscallEvent {
            tid: call.tid,
            pid: call.pid,
            name: info.name,
            nr: call.nr,
            fd,
            path,
            source_fd: resolved.source.as_ref().map(|(fd, _)| *fd),
            source_path: resolved.source.as_ref().and_then(|(_, i)| i.path.clone()),
            bytes,
            ret: call.ret,
            start: self.emit.at(call.start_ns),
            duration: call.end_ns.map(|e| {
                self.emit
                    .epoch
                    .since(e)
                    .saturating_sub(self.emit.at(call.start_ns))
            }),
        }));
        if matches!(class.direction, Direction::Write | Direction::Copy)
            && let Some(f) = resolved.fd.as_ref().and_then(|(_, i)| i.followed.as_ref())
        {
            self.witness.entry(f.path.clone()).or_default().wrote_since = true;
        }
        if class.io {
            for f in touched_files(resolved) {
                if self.around_calls {
                    if self.due(&f, class.direction) {
                        self.sample(&f, SampleSource::AfterCall, false);
                    }
                } else if !self.touched.iter().any(|t| Arc::ptr_eq(t, &f)) {
                    self.touched.push(f);
                }
            }
        }
    }

    /// perf: sample the files the last batch of calls touched, and report
    /// the faults on mapped files counted since the last flush.
    pub(crate) fn flush_batch(&mut self) {
        for f in std::mem::take(&mut self.touched) {
            self.sample(&f, SampleSource::AfterCall, false);
        }
        let at = self.emit.now();
        for (path, (faults, write_faults)) in self.faults.drain() {
            self.emit.send(TraceEvent::MapFaults {
                path: path.clone(),
                faults,
                at,
            });
            if write_faults > 0 {
                self.emit.send(TraceEvent::DirtiedWithoutWrite {
                    path,
                    pages: write_faults,
                    at,
                });
            }
        }
    }

    /// perf: a user page fault at `addr`. A write fault on a shared file
    /// mapping is a page going from clean to dirty without write(2): the
    /// kernel maps such pages read-only until their first store.
    pub(crate) fn fault(&mut self, pid: i32, addr: u64, write: bool) {
        let Some(m) = self
            .procs
            .get(&pid)
            .and_then(|p| p.maps.iter().find(|m| m.start <= addr && addr < m.end))
        else {
            return;
        };
        let e = self.faults.entry(m.file.path.clone()).or_default();
        e.0 += 1;
        if write && m.shared {
            e.1 += 1;
        }
    }

    /// After the program ended: the last state of every followed file.
    pub(crate) fn finish(&mut self) {
        self.flush_batch();
        for f in self.followed.values().cloned().collect::<Vec<_>>() {
            self.sample(&f, SampleSource::Final, true);
        }
    }

    /// Whether a call of this direction on `f` gets samples around it now.
    fn due(&self, f: &Arc<Followed>, direction: Direction) -> bool {
        direction == Direction::None
            || self.witness.get(&f.path).is_none_or(|w| {
                crate::clock::now_ns().saturating_sub(w.last_sample_ns) >= AROUND_MIN_NS
            })
    }

    fn sample(&mut self, f: &Arc<Followed>, source: SampleSource, check: bool) {
        let Ok(pages) = cachestat::sample(&f.file) else {
            return;
        };
        if self.around_calls {
            let w = self.witness.entry(f.path.clone()).or_default();
            if check
                && !w.wrote_since
                && let Some(last) = w.last_dirty
                && pages.dirty > last
            {
                self.emit.send(TraceEvent::DirtiedWithoutWrite {
                    path: f.path.clone(),
                    pages: pages.dirty - last,
                    at: self.emit.now(),
                });
            }
            w.last_dirty = Some(pages.dirty);
            w.wrote_since = false;
            w.last_sample_ns = crate::clock::now_ns();
        }
        self.emit.send(TraceEvent::FileSample {
            path: f.path.clone(),
            pages,
            source,
            at: self.emit.now(),
        });
    }

    fn map(&mut self, call: &Call, resolved: &Resolved) {
        let Some(addr) = call.ret.filter(|r| !(-4095..0).contains(r)) else {
            return;
        };
        let Some(file) = resolved.fd.as_ref().and_then(|(_, i)| i.followed.clone()) else {
            return;
        };
        let start = addr as u64;
        self.proc(call.pid).maps.push(Mapping {
            start,
            end: start + page_up(call.args[1]),
            shared: call.args[3] & MAP_SHARED != 0,
            file,
        });
    }

    fn unmap(&mut self, pid: i32, addr: u64, len: u64) {
        let end = addr + page_up(len);
        let maps = std::mem::take(&mut self.proc(pid).maps);
        let mut kept = Vec::with_capacity(maps.len());
        for m in maps {
            if m.end <= addr || end <= m.start {
                kept.push(m);
                continue;
            }
            // Keep what lies outside [addr, end).
            if m.start < addr {
                kept.push(Mapping {
                    end: addr,
                    ..m.clone()
                });
            }
            if end < m.end {
                kept.push(Mapping { start: end, ..m });
            }
        }
        self.proc(pid).maps = kept;
    }

    /// A successful exec: close-on-exec descriptors are gone and the address
    /// space is new. Keep each entry whose /proc link still shows the same
    /// inode.
    fn exec(&mut self, pid: i32) {
        let proc = self.proc(pid);
        proc.maps.clear();
        proc.fds.retain(|fd, info| {
            let Some(ident) = info.ident else {
                return false;
            };
            fs::metadata(format!("/proc/{pid}/fd/{fd}")).is_ok_and(|m| {
                (
                    std::os::linux::fs::MetadataExt::st_dev(&m),
                    std::os::linux::fs::MetadataExt::st_ino(&m),
                ) == ident
            })
        });
    }

    /// What descriptor `fd` of `pid` refers to now, following the file if it
    /// is regular and passes the filter. Untrusted: recorded as unknown.
    fn resolve(&mut self, pid: i32, fd: i32, trusted: bool) -> Arc<FdInfo> {
        if !trusted {
            return Arc::new(FdInfo::default());
        }
        let link = format!("/proc/{pid}/fd/{fd}");
        let Some(opath) = open_cstr(&link, libc::O_PATH | libc::O_CLOEXEC) else {
            // Sockets and some anonymous files refuse even O_PATH: the link
            // text is all there is.
            let path = fs::read_link(&link)
                .ok()
                .map(|p| Arc::from(p.to_string_lossy().as_ref()));
            return Arc::new(FdInfo {
                path,
                ..FdInfo::default()
            });
        };
        let ours = format!("/proc/self/fd/{}", opath.as_raw_fd());
        // The name of the object we hold, so path and inode agree.
        let Ok(name) = fs::read_link(&ours) else {
            return Arc::new(FdInfo::default());
        };
        let path: Arc<str> = Arc::from(name.to_string_lossy().as_ref());
        let Some(st) = fstat(&opath) else {
            return Arc::new(FdInfo {
                path: Some(path),
                ..FdInfo::default()
            });
        };
        let ident = (st.st_dev, st.st_ino);
        let regular = st.st_mode & libc::S_IFMT == libc::S_IFREG;
        let wanted = regular
            && self
                .filter
                .as_ref()
                .is_none_or(|f| f.matches(std::path::Path::new(path.as_ref())));
        let followed = if wanted {
            self.follow(ident, &path, &ours)
        } else {
            None
        };
        Arc::new(FdInfo {
            path: Some(followed.as_ref().map_or(path, |f| f.path.clone())),
            ident: Some(ident),
            followed,
        })
    }

    fn follow(&mut self, ident: (u64, u64), path: &Arc<str>, ours: &str) -> Option<Arc<Followed>> {
        if let Some(f) = self.followed.get(&ident) {
            return Some(f.clone());
        }
        // A new open file description on the same inode, read-only: holding
        // the program's own description would keep its flock()s and pipe
        // ends alive, and O_NOATIME keeps our samples from touching atime.
        let flags = libc::O_RDONLY | libc::O_CLOEXEC;
        let fd = if self.noatime_refused {
            None
        } else {
            open_cstr(ours, flags | libc::O_NOATIME)
        };
        let fd = fd.or_else(|| {
            self.noatime_refused = true;
            open_cstr(ours, flags)
        });
        let Some(fd) = fd else {
            self.emit.note(format!(
                "{path}: cannot open it for page-cache samples ({}); its calls are counted, its page state is null",
                std::io::Error::last_os_error()
            ));
            return None;
        };
        let f = Arc::new(Followed {
            path: path.clone(),
            file: File::from(fd),
        });
        self.followed.insert(ident, f.clone());
        self.registry.add_file(f.clone());
        self.emit.send(TraceEvent::Follow {
            path: path.clone(),
            at: self.emit.now(),
        });
        Some(f)
    }
}

fn touched_files(r: &Resolved) -> Vec<Arc<Followed>> {
    let mut v: Vec<Arc<Followed>> = Vec::new();
    let fds = [r.fd.as_ref(), r.source.as_ref()];
    for f in fds
        .into_iter()
        .flatten()
        .filter_map(|(_, i)| i.followed.clone())
        .chain(r.mapped.clone())
    {
        if !v.iter().any(|x| Arc::ptr_eq(x, &f)) {
            v.push(f);
        }
    }
    v
}

fn page_up(len: u64) -> u64 {
    len.div_ceil(PAGE) * PAGE
}

fn open_cstr(path: &str, flags: i32) -> Option<OwnedFd> {
    let c = CString::new(path).ok()?;
    // SAFETY: `c` is a NUL-terminated path that outlives the call.
    let fd = unsafe { libc::open(c.as_ptr(), flags) };
    // SAFETY: a non-negative return is a new descriptor nobody else owns.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

fn fstat(fd: &OwnedFd) -> Option<libc::stat> {
    // SAFETY: stat is plain data; all-zero is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open and `st` is a live, writable stat.
    let rc = unsafe { libc::fstat(fd.as_raw_fd(), &raw mut st) };
    (rc == 0).then_some(st)
}
