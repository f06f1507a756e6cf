//! The sampler thread: thread counters (and, for ptrace, page-cache state)
//! on its own clock at `sample_hz`, independent of syscall traffic. Its
//! sleep is a `recv_timeout` on the stop channel, so stopping it never waits
//! out a period.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::emit::Emitter;
use crate::event::SampleSource;
use crate::registry::Registry;

pub(crate) struct Sampler {
    stop: Option<Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Sampler {
    /// Start sampling; `files`: also sample followed files on this clock
    /// (the perf reader samples files itself, in stream order).
    pub(crate) fn start(
        hz: u32,
        registry: Arc<Registry>,
        emit: Emitter,
        files: bool,
    ) -> std::io::Result<Sampler> {
        if hz == 0 {
            return Ok(Sampler {
                stop: None,
                handle: None,
            });
        }
        let period = Duration::from_secs(1) / hz;
        let (stop, stopped) = mpsc::channel();
        let handle = thread::Builder::new()
            .name("iotour-trace-sampler".into())
            .spawn(move || run(period, &registry, &emit, files, &stopped))?;
        Ok(Sampler {
            stop: Some(stop),
            handle: Some(handle),
        })
    }

    pub(crate) fn stop(&mut self) {
        self.stop.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(period: Duration, registry: &Registry, emit: &Emitter, files: bool, stopped: &Receiver<()>) {
    loop {
        match stopped.recv_timeout(period) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        registry.sample_threads(emit);
        if files {
            registry.sample_files(emit, SampleSource::Clock);
        }
    }
}
