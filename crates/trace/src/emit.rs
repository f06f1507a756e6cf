//! The producers' side of the one event channel. Every tracer thread holds
//! an `Emitter`; the forwarding thread folds what arrives into the report
//! and passes it on to the caller.

use std::sync::mpsc::Sender;
use std::time::Duration;

use crate::clock::Epoch;
use crate::event::TraceEvent;

#[derive(Debug, Clone)]
pub(crate) struct Emitter {
    tx: Sender<TraceEvent>,
    pub(crate) epoch: Epoch,
}

impl Emitter {
    pub(crate) fn new(tx: Sender<TraceEvent>, epoch: Epoch) -> Emitter {
        Emitter { tx, epoch }
    }

    /// Send one event. The forwarder outlives every producer, so a failed
    /// send only happens while the whole tracer is being torn down; the event
    /// is dropped then because nobody is left to read it.
    pub(crate) fn send(&self, event: TraceEvent) {
        let _ = self.tx.send(event);
    }

    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    pub(crate) fn at(&self, ns: u64) -> Duration {
        self.epoch.since(ns)
    }

    pub(crate) fn note(&self, text: impl Into<String>) {
        self.send(TraceEvent::Note {
            text: text.into(),
            at: self.now(),
        });
    }
}
