//! The ptrace backend: needs no privileges for the user's own programs.
//!
//! Command mode: the child installs a seccomp filter before exec that stops
//! only on file, mapping and sync calls (every other call runs at full
//! speed and is not seen); at each stop the tracee is frozen, so the
//! descriptor table, paths and page-cache samples before and after the call
//! are exact. Attach mode: no filter can be added to a running process, so
//! every call stops.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Job, Running};
use crate::TraceError;
use crate::config::Target;
use crate::emit::Emitter;
use crate::event::{Backend, TraceEvent};
use crate::ptrace::sys::SyscallInfo;
use crate::ptrace::{Driver, End, Hooks, Stops, attach, sys};
use crate::registry::Registry;
use crate::sampler::Sampler;
use crate::seccomp::Filter;
use crate::session::{Call, Resolved, Session, Stopped};
use crate::{procfs, spawn};

struct PtraceHooks {
    session: Session,
    registry: Arc<Registry>,
    emit: Emitter,
    pending: HashMap<i32, (Call, Resolved)>,
    main: i32,
    first_exec_done: bool,
}

impl Hooks for PtraceHooks {
    fn syscall_entry(&mut self, tid: i32, pid: i32, info: &SyscallInfo, at_ns: u64) {
        let call = Call {
            tid,
            pid,
            nr: info.nr,
            args: info.args,
            ret: None,
            start_ns: at_ns,
            end_ns: None,
        };
        let resolved = self.session.resolve_call(&call, &Stopped);
        self.session.before(&call, &resolved);
        self.pending.insert(tid, (call, resolved));
    }

    fn syscall_exit(&mut self, tid: i32, _pid: i32, ret: i64, at_ns: u64) {
        // An exit with no entry began before we attached: not counted.
        if let Some((mut call, resolved)) = self.pending.remove(&tid) {
            call.ret = Some(ret);
            call.end_ns = Some(at_ns);
            self.session.complete(&call, &resolved, &Stopped);
        }
    }

    fn new_task(&mut self, parent_pid: i32, tid: i32, pid: i32, new_process: bool) {
        if new_process {
            self.session.fork(parent_pid, pid);
        }
        self.registry.add_thread(pid, tid, true);
    }

    fn exec(&mut self, tid: i32, pid: i32) {
        if pid == self.main && !self.first_exec_done {
            self.first_exec_done = true;
            self.registry.rebase_thread(pid, tid);
            self.session.add_process(pid);
        }
    }

    fn exiting(&mut self, tid: i32, _pid: i32) {
        // exit/exit_group stopped at entry and never return.
        if let Some((call, resolved)) = self.pending.remove(&tid) {
            self.session.complete(&call, &resolved, &Stopped);
        }
        self.registry.sample_thread(tid, &self.emit);
        self.registry.remove_thread(tid);
    }

    fn gone(&mut self, tid: i32, pid: i32) {
        self.pending.remove(&tid);
        self.registry.remove_thread(tid);
        if tid == pid {
            self.session.exit_process(pid);
        }
    }
}

fn new_hooks(session: Session, registry: &Arc<Registry>, emit: &Emitter, main: i32) -> PtraceHooks {
    PtraceHooks {
        session,
        registry: registry.clone(),
        emit: emit.clone(),
        pending: HashMap::new(),
        main,
        first_exec_done: false,
    }
}

/// The tracer thread's body.
pub(crate) fn run(job: &Job) {
    let registry = Arc::new(Registry::default());
    let session = Session::new(
        job.emit.clone(),
        job.config.files.clone(),
        registry.clone(),
        true,
    );
    let hooks = new_hooks(session, &registry, &job.emit, 0);
    let started = match &job.config.target {
        Target::Command { argv, stdio } => start_command(job, argv, stdio, hooks),
        Target::Pid(pid) => start_attach(job, *pid, hooks),
    };
    let (mut driver, mut hooks) = match started {
        Ok(s) => s,
        Err(e) => {
            let _ = job.ready.send(Err(e));
            return;
        }
    };
    let mut sampler = Sampler::start(
        job.config.sample_hz,
        registry.clone(),
        job.emit.clone(),
        true,
    )
    .map_err(|e| job.emit.note(format!("no sampler clock: {e}")))
    .ok();
    let end = driver.run(&mut hooks);
    if let Some(s) = sampler.as_mut() {
        s.stop();
    }
    hooks.session.finish();
    report_end(&job.emit, end);
}

pub(crate) fn report_end(emit: &Emitter, end: End) {
    let at = emit.now();
    emit.send(match end {
        End::Exited(status) => TraceEvent::Exited { status, at },
        End::Detached => TraceEvent::Detached { at },
        End::Vanished => TraceEvent::Failed {
            error: "the traced tasks vanished without an exit status".into(),
            at,
        },
    });
}

fn start_command(
    job: &Job,
    argv: &[String],
    stdio: &crate::config::Stdio,
    mut hooks: PtraceHooks,
) -> Result<(Driver, PtraceHooks), TraceError> {
    let filter = Filter::new();
    let mut child = spawn::spawn(argv, stdio, Some(&filter))?;
    sys::seize(child.pid, Stops::Seccomp.options()).map_err(|e| {
        TraceError::BackendUnavailable {
            backend: "ptrace",
            why: attach::why_refused(child.pid, &e),
        }
    })?;
    let mut notes = job.notes.clone();
    notes.push(
        "ptrace: a seccomp filter stops the program only on file, mapping and sync calls; other calls (getpid, futex, ...) are neither seen nor counted".into(),
    );
    notes.push(
        "ptrace: durations include two tracer stops per call; page-cache state is sampled with the program stopped, before and after each I/O call (read/write-family calls at most once per file per millisecond); faults per mapping are not seen (null)".into(),
    );
    hooks.main = child.pid;
    let mut driver = Driver::for_child(Stops::Seccomp, child.pid, job.stop.clone());
    hooks.registry.add_thread(child.pid, child.pid, false);
    job.emit.send(TraceEvent::Started {
        pid: child.pid,
        backend: Backend::Ptrace,
        command: argv.to_vec(),
        notes,
        at: job.emit.now(),
    });
    child.release(true)?;
    if !driver.run_until_exec(&mut hooks) {
        let why = child
            .exec_error()
            .unwrap_or_else(|| "it ended before exec".into());
        return Err(TraceError::Spawn {
            program: argv[0].clone(),
            source: std::io::Error::other(why),
        });
    }
    let _ = job.ready.send(Ok(Running {
        pid: child.pid,
        waker: None,
        pidfd: spawn::pidfd(child.pid),
    }));
    Ok((driver, hooks))
}

fn start_attach(
    job: &Job,
    pid: i32,
    mut hooks: PtraceHooks,
) -> Result<(Driver, PtraceHooks), TraceError> {
    let tids = attach::seize_all(pid, Stops::AllSyscalls.options())?;
    let mut waker = match attach::Waker::spawn() {
        Ok(w) => w,
        Err(e) => {
            for &t in &tids {
                sys::detach(t, 0);
            }
            return Err(e);
        }
    };
    let mut notes = job.notes.clone();
    notes.push(
        "ptrace attach: no seccomp filter can be added to a running process, so every call stops the program (slow); a call in progress at attach is not counted".into(),
    );
    job.emit.send(TraceEvent::Started {
        pid,
        backend: Backend::Ptrace,
        command: procfs::cmdline(pid),
        notes,
        at: job.emit.now(),
    });
    hooks.main = pid;
    hooks.first_exec_done = true;
    hooks.session.add_process(pid);
    for &tid in &tids {
        hooks.registry.add_thread(pid, tid, false);
    }
    let driver = Driver::for_attached(
        Stops::AllSyscalls,
        pid,
        &tids,
        job.stop.clone(),
        waker.take_pid(),
    );
    let _ = job.ready.send(Ok(Running {
        pid,
        waker: waker.take_pipe(),
        pidfd: None,
    }));
    Ok((driver, hooks))
}
