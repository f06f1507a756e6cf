//! Start a command stopped before its exec: fork, and in the child wait on a
//! pipe until the tracer has attached (ptrace seize, perf events opened),
//! then install the seccomp filter if asked and exec. Nothing the program
//! does after exec can be missed.
//!
//! Everything the child needs (paths, argv, envp, descriptors, the filter)
//! is prepared before fork: the child of a multi-threaded process may only
//! make async-signal-safe calls, so it allocates nothing.

use std::ffi::{CString, OsStr};
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::TraceError;
use crate::config::Stdio;
use crate::seccomp::Filter;

/// The go byte: exec with the seccomp filter, or without it.
const GO_FILTERED: u8 = 1;
const GO_PLAIN: u8 = 2;

/// A forked child blocked before exec.
pub(crate) struct Child {
    pub pid: i32,
    go: Option<OwnedFd>,
    exec_error: OwnedFd,
}

/// A pidfd for `pid` (Linux 5.3+), `None` when the kernel has none.
pub(crate) fn pidfd(pid: i32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes no pointers.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a non-negative return is a new descriptor nobody else owns.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// SIGKILL through a pidfd: never reaches another process, even if the
/// child was reaped and its pid reused.
pub(crate) fn kill(pidfd: &OwnedFd) {
    // SAFETY: no pointers besides a null siginfo; a dead process gives ESRCH.
    unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            libc::SIGKILL,
            std::ptr::null::<libc::siginfo_t>(),
            0u32,
        );
    }
}

struct Prepared {
    path: CString,
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    _envp: Vec<CString>,
    envp_ptrs: Vec<*const libc::c_char>,
    /// (source, target) descriptor pairs for dup2 in the child.
    redirects: Vec<(OwnedFd, i32)>,
}

/// Find `program` as execvp would: a path with a slash as is, else the
/// first executable file of that name in PATH.
pub(crate) fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a NUL-terminated path.
    p.is_file() && unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0
}

fn cstring(s: &OsStr, what: &str) -> Result<CString, TraceError> {
    CString::new(s.as_bytes())
        .map_err(|_| TraceError::Config(format!("{what} contains a NUL byte")))
}

fn prepare(argv: &[String], stdio: &Stdio) -> Result<Prepared, TraceError> {
    let program = argv
        .first()
        .ok_or_else(|| TraceError::Config("the command is empty".into()))?;
    let path = find_program(program).ok_or_else(|| TraceError::Spawn {
        program: program.clone(),
        source: io::Error::new(io::ErrorKind::NotFound, "not found in PATH"),
    })?;
    let path = cstring(path.as_os_str(), "the program path")?;
    let argv: Vec<CString> = argv
        .iter()
        .map(|a| cstring(OsStr::new(a), "an argument"))
        .collect::<Result<_, _>>()?;
    let envp: Vec<CString> = std::env::vars_os()
        .filter_map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect();
    let ptrs = |v: &[CString]| {
        v.iter()
            .map(|c| c.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect::<Vec<_>>()
    };
    let open_null = |write: bool| {
        OpenOptions::new()
            .read(!write)
            .write(write)
            .open("/dev/null")
            .map(OwnedFd::from)
            .map_err(|e| TraceError::os("open /dev/null", e))
    };
    let mut redirects = Vec::new();
    match stdio {
        Stdio::Inherit => {}
        Stdio::Null => {
            redirects.push((open_null(false)?, 0));
            redirects.push((open_null(true)?, 1));
            redirects.push((open_null(true)?, 2));
        }
        Stdio::File(log) => {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o644)
                .open(log)
                .map_err(|e| TraceError::os(format!("open log file {}", log.display()), e))?;
            let f = OwnedFd::from(f);
            let f2 = f
                .try_clone()
                .map_err(|e| TraceError::os("dup log file", e))?;
            redirects.push((open_null(false)?, 0));
            redirects.push((f, 1));
            redirects.push((f2, 2));
        }
        Stdio::Fd(fd) => {
            let dup = || {
                fd.as_fd()
                    .try_clone_to_owned()
                    .map_err(|e| TraceError::os("dup the output file", e))
            };
            redirects.push((open_null(false)?, 0));
            redirects.push((dup()?, 1));
            redirects.push((dup()?, 2));
        }
        Stdio::Stderr => {
            let dup = || {
                std::io::stderr()
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(|e| TraceError::os("dup standard error", e))
            };
            redirects.push((open_null(false)?, 0));
            redirects.push((dup()?, 1));
            redirects.push((dup()?, 2));
        }
    }
    Ok(Prepared {
        argv_ptrs: ptrs(&argv),
        envp_ptrs: ptrs(&envp),
        path,
        _argv: argv,
        _envp: envp,
        redirects,
    })
}

fn pipe() -> Result<(OwnedFd, OwnedFd), TraceError> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a live array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(TraceError::last_os("pipe2"));
    }
    // SAFETY: pipe2 just returned these two descriptors to us.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Fork `argv`; the child waits for [`Child::release`] before it execs.
/// The calling thread becomes the child's parent, which matters to ptrace
/// and to `waitpid(__WNOTHREAD)`.
pub(crate) fn spawn(
    argv: &[String],
    stdio: &Stdio,
    filter: Option<&Filter>,
) -> Result<Child, TraceError> {
    let p = prepare(argv, stdio)?;
    let (go_r, go_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let prog = filter.map(Filter::program);
    // SAFETY: fork has no preconditions; the child below only makes
    // async-signal-safe calls on data prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(TraceError::last_os("fork"));
    }
    if pid == 0 {
        // SAFETY: we are the freshly forked child; every pointer refers to
        // memory prepared above and still mapped in our copy of it.
        unsafe {
            child(
                &p,
                [go_r.as_raw_fd(), go_w.as_raw_fd()],
                err_w.as_raw_fd(),
                prog.as_ref(),
            )
        }
    }
    drop(go_r);
    drop(err_w);
    Ok(Child {
        pid,
        go: Some(go_w),
        exec_error: err_r,
    })
}

/// The child side: wait for the go byte, redirect, filter, exec. Never
/// returns.
unsafe fn child(p: &Prepared, go: [i32; 2], err: i32, prog: Option<&libc::sock_fprog>) -> ! {
    let fail = |stage: i32| -> ! {
        // SAFETY: async-signal-safe calls only: errno, write, _exit.
        unsafe {
            let code = [stage, *libc::__errno_location()];
            libc::write(err, code.as_ptr().cast(), std::mem::size_of_val(&code));
            libc::_exit(127)
        }
    };
    // SAFETY: async-signal-safe calls on descriptors and memory prepared
    // before fork; each failure ends the child through `fail`.
    unsafe {
        // Our copy of the write end must go, or a tracer that gives up
        // (closes its end) would leave us waiting forever.
        libc::close(go[1]);
        let mut b = 0u8;
        loop {
            let n = libc::read(go[0], (&raw mut b).cast(), 1);
            if n == 1 {
                break;
            }
            if n == 0 || *libc::__errno_location() != libc::EINTR {
                // The tracer went away without releasing us.
                libc::_exit(127);
            }
        }
        for (src, target) in &p.redirects {
            if libc::dup2(src.as_raw_fd(), *target) < 0 {
                fail(1);
            }
        }
        // Rust ignores SIGPIPE in its own processes; the program must not
        // inherit that.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        if let Some(prog) = prog.filter(|_| b == GO_FILTERED) {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                fail(2);
            }
            if libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                std::ptr::from_ref(prog),
            ) != 0
            {
                fail(3);
            }
        }
        libc::execve(p.path.as_ptr(), p.argv_ptrs.as_ptr(), p.envp_ptrs.as_ptr());
        fail(4)
    }
}

impl Child {
    /// Let the child go on to exec; with `filter` it installs the seccomp
    /// filter first. Only a traced child may have it: a SECCOMP_RET_TRACE
    /// call with no tracer fails with ENOSYS.
    pub(crate) fn release(&mut self, filter: bool) -> Result<(), TraceError> {
        if let Some(go) = self.go.take() {
            let b = [if filter { GO_FILTERED } else { GO_PLAIN }];
            // SAFETY: writing one byte from a live buffer to our pipe end.
            if unsafe { libc::write(go.as_raw_fd(), b.as_ptr().cast(), 1) } != 1 {
                return Err(TraceError::last_os("release the child"));
            }
        }
        Ok(())
    }

    /// Why the child failed before exec, if it did (read once it is gone).
    pub(crate) fn exec_error(&self) -> Option<String> {
        let mut code = [0i32; 2];
        // SAFETY: reading into a live buffer of the stated size.
        let n = unsafe {
            libc::read(
                self.exec_error.as_raw_fd(),
                code.as_mut_ptr().cast(),
                std::mem::size_of_val(&code),
            )
        };
        if n != std::mem::size_of_val(&code) as isize {
            return None;
        }
        let stage = match code[0] {
            1 => "redirect its output",
            2 => "set no_new_privs",
            3 => "install the seccomp filter",
            _ => "exec",
        };
        Some(format!(
            "could not {stage}: {}",
            io::Error::from_raw_os_error(code[1])
        ))
    }
}
