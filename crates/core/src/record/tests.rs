use std::path::Path;
use std::time::Duration;

use super::*;
use crate::engine::{MapCell, SliceReport};
use crate::model::{CopyKind, Place, Transfer};
use crate::outcome::{Environment, Modeled, Readings, StepOutcome};
use crate::probe::pages::{CellState, PageCounts, PageMap};
use crate::probe::system::SystemMem;

fn environment() -> Environment {
    Environment {
        iotour_version: "0.1.0".into(),
        kernel: "6.18-test".into(),
        page_size: 4096,
        workdir: "/tmp/iotour-x".into(),
        filesystem: "ext4".into(),
        sources: Sources {
            syscalls: "tracepoint".into(),
            faults: "rusage".into(),
            user_faults: "modeled".into(),
            ctx_switches: "rusage".into(),
            io: "procfs".into(),
            pages: "cachestat".into(),
            system: "meminfo".into(),
            notes: vec!["a note".into()],
        },
        machine: None,
    }
}

fn step_report() -> StepOutcome {
    StepOutcome {
        index: 1,
        op: "write".into(),
        say: Some("say".into()),
        duration_ns: Some(1_000),
        measured: Readings {
            syscalls: Some(10),
            wchar: Some(1000),
            file_dirty_pages: None,
            ..Readings::default()
        },
        modeled: Modeled {
            mode_switches: Some(10),
            copies: vec![Transfer {
                from: Place::UserBuffer,
                to: Place::PageCache,
                kind: CopyKind::Cpu,
                bytes: 1000,
            }],
            legs: vec![crate::model::Leg {
                from: Place::SocketBuffer,
                to: Place::Nic,
                kind: crate::model::LegKind::Absent {
                    reason: crate::model::Absence::LocalSocket,
                },
            }],
            notes: vec![],
            unsized_kinds: vec![],
        },
        expect: vec![],
        error: None,
        program: None,
        skipped: None,
        ended_early_ns: None,
    }
}

/// One event of each kind, the sample before `ready` (as the sampler may send it).
fn events() -> Vec<Recorded> {
    let sample = Snapshot {
        at: Duration::from_nanos(1_500),
        system: SystemMem {
            dirty_kb: Some(12),
            writeback_kb: Some(0),
            background_threshold_kb: None,
            threshold_kb: Some(99),
        },
        file: Some(PageMap {
            pages: 3,
            pages_per_cell: 1,
            cells: vec![CellState::Dirty, CellState::Clean, CellState::NotCached],
            totals: PageCounts {
                cached: Some(2),
                dirty: Some(1),
                ..PageCounts::default()
            },
        }),
        mapping: Some(vec![MapCell::Faulted, MapCell::Mapped, MapCell::Unmapped]),
        vma: Some(crate::engine::Vma {
            offset: 0,
            len: 8192,
            perms: "rw-s".into(),
            perms_measured: true,
            pages: 2,
            present_pages: 1,
        }),
        not_durable_bytes: Some(4096),
        burst: false,
        flusher: None,
    };
    let report = RunOutcome {
        scenario: "s".into(),
        title: "S".into(),
        environment: environment(),
        steps: vec![step_report()],
        ok: true,
    };
    vec![
        sample.into(),
        ExecEvent::Ready {
            environment: environment(),
            at: Duration::from_micros(2),
        }
        .into(),
        ExecEvent::StepStarted {
            index: 1,
            at: Duration::from_micros(3),
        }
        .into(),
        ExecEvent::Slice(SliceReport {
            step: 1,
            slice: 0,
            done: 10,
            total: 10,
            at: Duration::from_micros(4),
            measured: step_report().measured,
            copies: step_report().modeled.copies,
            legs: step_report().modeled.legs,
        })
        .into(),
        ExecEvent::StepDone(step_report()).into(),
        ExecEvent::Finished(report).into(),
    ]
}

fn files() -> Vec<ScenarioFile> {
    vec![ScenarioFile {
        id: "s".into(),
        toml: "[scenario]\ntitle = \"S\"\nsummary = \"x\"\n\n[[step]]\nop = \"fsync\"\n".into(),
    }]
}

/// [`events`] recorded at `path` as one finished run of [`files`].
fn record_events(path: &Path) {
    let mut rec = Recorder::create(path, files(), 20).unwrap();
    for e in events() {
        rec.record(0, e.as_ref());
    }
    rec.finish().unwrap();
}

#[test]
fn a_recording_loads_back_into_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    record_events(&path);

    let r = Recording::load(&path).unwrap();
    assert_eq!(r.header.format, FORMAT);
    assert_eq!(r.header.version, VERSION);
    assert_eq!(r.header.kernel.as_deref(), Some("6.18-test"));
    assert_eq!(r.header.page_size, Some(4096));
    assert_eq!(r.header.sources, Some(environment().sources));
    assert_eq!(r.header.scenarios, vec!["s".to_string()]);
    let got: Vec<Recorded> = r.lines.iter().map(|l| l.event.clone()).collect();
    assert_eq!(got, events());
    let ats: Vec<u64> = r
        .lines
        .iter()
        .map(|l| crate::cast::saturating(l.at.as_nanos()))
        .collect();
    // step_done and finished carry no time: they take the latest before them.
    assert_eq!(ats, [1_500, 2_000, 3_000, 4_000, 4_000, 4_000]);
    assert!(r.reports()[0].is_some_and(|rep| rep.ok));
    let plans = r.plans().unwrap();
    assert_eq!(plans[0].id(), "s");
    assert_eq!(plans[0].steps().len(), 1);
}

#[test]
fn the_header_is_the_first_line_and_unknowns_are_null() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    record_events(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["format"], "iotour-recording");
    assert_eq!(header["version"], VERSION);
    let sample: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(sample["scenario"], 0);
    assert_eq!(sample["at"], 1_500);
    assert_eq!(sample["sample"]["at"], 1_500);
    assert!(sample["sample"]["system"]["background_threshold_kb"].is_null());
    assert_eq!(sample["sample"]["file"]["cells"][0], "dirty");
    let slice: serde_json::Value = serde_json::from_str(lines.nth(2).unwrap()).unwrap();
    assert!(slice["exec"]["slice"]["measured"]["file_dirty_pages"].is_null());
    assert_eq!(slice["exec"]["slice"]["measured"]["syscalls"], 10);
}

#[test]
fn a_run_that_never_got_ready_still_has_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut rec = Recorder::create(&path, files(), 5).unwrap();
    let failed = ExecEvent::Failed {
        error: "no space".into(),
        at: Duration::from_nanos(7),
    };
    rec.record(0, RecordedRef::Exec(&failed));
    rec.finish().unwrap();
    let r = Recording::load(&path).unwrap();
    assert_eq!(r.header.kernel, None);
    assert_eq!(r.header.sample_hz, 5);
    assert_eq!(r.lines.len(), 1);
    assert_eq!(r.reports(), vec![None]);
}

fn load_text(text: &str) -> Result<Recording, RecordError> {
    Recording::read(Path::new("old.jsonl"), text.as_bytes())
}

#[test]
fn another_format_version_names_the_version_it_needs() {
    let err = load_text(
        "{\"format\":\"iotour-recording\",\"version\":3,\"iotour_version\":\"0.9.0\",\"new\":1}\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "old.jsonl: a version 3 recording (written by iotour 0.9.0); this iotour {} reads versions 1 and 2 only: open it with iotour 0.9.0",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn other_files_are_refused_by_name_and_line() {
    let err = load_text("").unwrap_err();
    assert!(matches!(err, RecordError::NotARecording { .. }), "{err}");
    let err = load_text("{\"steps\":[]}\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "old.jsonl: not an iotour recording (its first line has no \"format\":\"iotour-recording\")"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let rec = Recorder::create(&path, files(), 20).unwrap();
    rec.finish().unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"scenario\":0,\"at\":1,\"exec\":{\"bogus\":{}}}\n");
    let err = load_text(&text).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("old.jsonl:2: unknown variant `bogus`"),
        "{err}"
    );
}

#[allow(clippy::large_enum_variant)] // test-only, moved once
#[derive(Debug, PartialEq)]
enum Consumer {
    Exec(ExecEvent),
    Sample(Snapshot),
}

impl From<ExecEvent> for Consumer {
    fn from(e: ExecEvent) -> Self {
        Consumer::Exec(e)
    }
}

impl From<Snapshot> for Consumer {
    fn from(s: Snapshot) -> Self {
        Consumer::Sample(s)
    }
}

#[test]
fn the_tee_passes_every_event_on_and_records_it_as_its_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut ids = files();
    ids.push(ScenarioFile {
        id: "t".into(),
        toml: files()[0].toml.clone(),
    });
    let rec = Recorder::create(&path, ids, 20).unwrap();
    let (down_tx, down_rx) = std::sync::mpsc::channel::<Consumer>();
    let (tx, tee) = tee(rec, 1, down_tx).unwrap();
    for e in events() {
        match e {
            Recorded::Exec(e) => tx.send((*e).into()).unwrap(),
            Recorded::Sample(s) => tx.send(s.into()).unwrap(),
            Recorded::Trace(_) => unreachable!("events() holds engine events"),
        }
    }
    drop(tx);
    tee.finish().finish().unwrap();
    let passed: Vec<Consumer> = down_rx.iter().collect();
    let want: Vec<Consumer> = events()
        .into_iter()
        .map(|e| match e {
            Recorded::Exec(e) => Consumer::Exec(*e),
            Recorded::Sample(s) => Consumer::Sample(s),
            Recorded::Trace(_) => unreachable!("events() holds engine events"),
        })
        .collect();
    assert_eq!(passed, want);
    let r = Recording::load(&path).unwrap();
    assert_eq!(r.lines.len(), 6);
    assert!(r.lines.iter().all(|l| l.scenario == 1));
    assert_eq!(r.reports().len(), 2);
    assert!(r.reports()[0].is_none() && r.reports()[1].is_some());
}
