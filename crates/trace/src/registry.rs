//! What the sampler samples: the live threads and the followed files. The
//! thread that owns the trace state (ptrace driver or perf reader) adds and
//! removes entries; the sampler copies the lists under the lock and reads
//! /proc and cachestat outside it.

use std::collections::BTreeMap;
use std::fs::File;
use std::sync::{Arc, Mutex, PoisonError};

use crate::cachestat;
use crate::emit::Emitter;
use crate::event::{SampleSource, ThreadCounters, TraceEvent};
use crate::procfs;

/// A file we follow, through a descriptor of our own (O_RDONLY|O_NOATIME on
/// the program's inode, so renames and unlinks do not lose it).
#[derive(Debug)]
pub(crate) struct Followed {
    pub path: Arc<str>,
    pub file: File,
}

#[derive(Debug, Clone, Copy)]
struct ThreadEntry {
    pid: i32,
    /// Counters at the moment the thread came under trace, subtracted from
    /// every sample.
    base: ThreadCounters,
}

#[derive(Debug, Default)]
struct Inner {
    threads: BTreeMap<i32, ThreadEntry>,
    files: Vec<Arc<Followed>>,
}

#[derive(Debug, Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panicking sampler must not take the tracer down with it: the
        // maps stay consistent after any single insert or remove.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Start sampling a thread. `from_zero`: the thread was created under
    /// trace, so all its counters are ours; otherwise its counters now are
    /// the baseline (attach, or the exec that started the program).
    pub(crate) fn add_thread(&self, pid: i32, tid: i32, from_zero: bool) {
        let base = if from_zero {
            ThreadCounters::default()
        } else {
            procfs::read_thread(pid, tid).unwrap_or_default()
        };
        self.lock().threads.insert(tid, ThreadEntry { pid, base });
    }

    /// Re-baseline a thread (the program's exec: what the forked child did
    /// before it is not the program's).
    pub(crate) fn rebase_thread(&self, pid: i32, tid: i32) {
        self.add_thread(pid, tid, false);
    }

    pub(crate) fn remove_thread(&self, tid: i32) {
        self.lock().threads.remove(&tid);
    }

    pub(crate) fn add_file(&self, f: Arc<Followed>) {
        self.lock().files.push(f);
    }

    pub(crate) fn files(&self) -> Vec<Arc<Followed>> {
        self.lock().files.clone()
    }

    /// Sample one thread now and emit it; false if its /proc entry is gone.
    pub(crate) fn sample_thread(&self, tid: i32, emit: &Emitter) -> bool {
        let Some(entry) = self.lock().threads.get(&tid).copied() else {
            return false;
        };
        let Some(raw) = procfs::read_thread(entry.pid, tid) else {
            return false;
        };
        let name = procfs::thread_name(entry.pid, tid).unwrap_or_default();
        emit.send(TraceEvent::ThreadSample {
            tid,
            pid: entry.pid,
            name: Arc::from(name),
            counters: procfs::since(raw, entry.base),
            at: emit.now(),
        });
        true
    }

    /// Sample every registered thread.
    pub(crate) fn sample_threads(&self, emit: &Emitter) {
        let tids: Vec<i32> = self.lock().threads.keys().copied().collect();
        for tid in tids {
            self.sample_thread(tid, emit);
        }
    }

    /// Sample every followed file's page-cache state.
    pub(crate) fn sample_files(&self, emit: &Emitter, source: SampleSource) {
        for f in self.files() {
            if let Ok(pages) = cachestat::sample(&f.file) {
                emit.send(TraceEvent::FileSample {
                    path: f.path.clone(),
                    pages,
                    source,
                    at: emit.now(),
                });
            }
        }
    }
}
