//! [`Recorder`]: writes the header and one JSON line per event.
//!
//! The header names the kernel and the measurement sources, which the engine
//! reports only in its first `ready` event; lines before it are held back and
//! written right after the header.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{FORMAT, Header, RecordError, RecordedRef, ScenarioFile, VERSION};
use crate::engine::ExecEvent;

pub struct Recorder {
    path: PathBuf,
    out: Box<dyn Write + Send>,
    header: Header,
    /// Lines waiting for the header, serialized (`None` once it is written).
    pending: Option<Vec<String>>,
    /// The latest time seen per scenario (for events that carry none).
    last_at: Vec<Duration>,
    /// The first write error; later writes are skipped, `finish` reports it.
    error: Option<std::io::Error>,
}

impl Recorder {
    /// Create (or truncate) `path` for a recording of `scenarios`, in run order.
    pub fn create(
        path: &Path,
        scenarios: Vec<ScenarioFile>,
        sample_hz: u32,
    ) -> Result<Recorder, RecordError> {
        let file = File::create(path).map_err(|error| RecordError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        Ok(Recorder::to_writer(
            path,
            Box::new(BufWriter::new(file)),
            scenarios,
            sample_hz,
        ))
    }

    /// A recorder writing to `out`; `path` only names it in errors.
    pub fn to_writer(
        path: &Path,
        out: Box<dyn Write + Send>,
        scenarios: Vec<ScenarioFile>,
        sample_hz: u32,
    ) -> Recorder {
        let header = Header {
            format: FORMAT.to_string(),
            version: VERSION,
            iotour_version: env!("CARGO_PKG_VERSION").to_string(),
            kernel: None,
            page_size: None,
            filesystem: None,
            sources: None,
            sample_hz,
            scenarios: scenarios.iter().map(|s| s.id.clone()).collect(),
            scenario_files: scenarios,
            trace: None,
        };
        Recorder {
            path: path.to_path_buf(),
            out,
            last_at: vec![Duration::ZERO; header.scenarios.len()],
            header,
            pending: Some(Vec::new()),
            error: None,
        }
    }

    /// Create (or truncate) `path` for a recording of a trace of `command`.
    /// The header is written at once: a trace has no `ready` to wait for.
    pub fn create_trace(
        path: &Path,
        command: Vec<String>,
        sample_hz: u32,
    ) -> Result<Recorder, RecordError> {
        let mut rec = Recorder::create(path, Vec::new(), sample_hz)?;
        rec.header.trace = Some(super::TraceHeader { command });
        rec.header.kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|k| k.trim().to_string());
        rec.header.page_size = Some(crate::probe::pages::page_size());
        rec.flush_pending();
        Ok(rec)
    }

    /// Append one event of scenario `scenario` (an index into the header's list).
    pub fn record(&mut self, scenario: usize, event: RecordedRef<'_>) {
        if scenario >= self.last_at.len() {
            self.last_at.resize(scenario + 1, Duration::ZERO);
        }
        let at = event.at().unwrap_or(self.last_at[scenario]);
        self.last_at[scenario] = self.last_at[scenario].max(at);
        let line = LineRef {
            scenario,
            at: u64::try_from(at.as_nanos()).unwrap_or(u64::MAX),
            event,
        };
        if let RecordedRef::Exec(ExecEvent::Ready { environment, .. }) = event
            && self.pending.is_some()
        {
            self.header.kernel = Some(environment.kernel.clone());
            self.header.page_size = Some(environment.page_size);
            self.header.filesystem = Some(environment.filesystem.clone());
            self.header.sources = Some(environment.sources.clone());
            self.flush_pending();
        }
        match &mut self.pending {
            Some(lines) => match serde_json::to_string(&line) {
                Ok(text) => lines.push(text),
                Err(e) => {
                    self.error.get_or_insert(e.into());
                }
            },
            None => self.write_json(&line),
        }
    }

    fn flush_pending(&mut self) {
        let Some(lines) = self.pending.take() else {
            return;
        };
        let header = self.header.clone();
        self.write_json(&header);
        for line in &lines {
            self.write_line(line);
        }
    }

    fn write_line(&mut self, text: &str) {
        if self.error.is_some() {
            return;
        }
        let result = self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"));
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    fn write_json<T: Serialize>(&mut self, value: &T) {
        if self.error.is_some() {
            return;
        }
        let result = serde_json::to_writer(&mut self.out, value)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    /// Write the header if no run got as far as `ready`, flush, and report the
    /// first write error.
    pub fn finish(mut self) -> Result<(), RecordError> {
        self.flush_pending();
        if self.error.is_none()
            && let Err(e) = self.out.flush()
        {
            self.error = Some(e);
        }
        match self.error {
            Some(error) => Err(RecordError::Io {
                path: self.path,
                error,
            }),
            None => Ok(()),
        }
    }
}

/// A [`Line`](super::Line) that borrows its event (the same JSON).
#[derive(Serialize)]
struct LineRef<'a> {
    scenario: usize,
    at: u64,
    #[serde(flatten)]
    event: RecordedRef<'a>,
}
