//! A scripted run: a fixed four-step plan (write, fsync, read + send,
//! sendfile) and a fixed sequence of engine events for it, with timestamps.
//! Render tests, screen snapshots and the render benchmark replay it, so they
//! exercise every panel with realistic figures and no kernel.

// Each test crate and the bench use a different part of it.

use std::time::Duration;

use iotour_core::engine::{ExecEvent, FlusherClock, MapCell, SliceReport, Snapshot};
use iotour_core::model::{Absence, CopyKind, Leg, LegKind, Place, Transfer};
use iotour_core::outcome::{
    Environment, Modeled, Readings, RunOutcome, Sources, StepOutcome, Verdict,
};
use iotour_core::probe::pages::{CellState, PageCounts, PageMap};
use iotour_core::probe::system::SystemMem;
use iotour_core::scenario::{
    Expectation, FileSetup, Key, Meta, Op, Origin, Plan, Rule, Rwf, SendToSocket, Step, Text, Via,
    Write, nonzero,
};

use iotour::app::Event;

pub const PAGE: u64 = 4096;
/// Cells of the scripted page map (a 4 MiB file, 16 pages per cell).
pub const CELLS: usize = 64;
const FILE_PAGES: u64 = 1024;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "every optional text of a step is made with it"
)]
fn text(en: &str, zh: &str) -> Option<Text> {
    Some(Text {
        en: en.into(),
        zh: Some(zh.into()),
    })
}

/// The scripted plan's title, summary and tags.
pub fn meta() -> Meta {
    Meta {
        title: Text {
            en: "Write, fsync, send".into(),
            zh: Some("写入、fsync、发送".into()),
        },
        summary: Text {
            en: "Dirty pages appear, fsync cleans them; read+send costs four copies, sendfile two."
                .into(),
            zh: Some("写入产生脏页，fsync 把它们写回；read+send 四次拷贝，sendfile 两次。".into()),
        },
        tags: vec!["write".into(), "zero-copy".into()],
        java: Some("FileOutputStream.write(byte[])".into()),
        lesson: Some(1),
    }
}

pub fn plan() -> Plan {
    plan_as("scripted", meta())
}

/// The scripted steps under another id and meta (a second entry for the picker).
pub fn plan_as(id: &str, meta: Meta) -> Plan {
    let step = |op, say, ask, calls: Option<&str>, expect| Step {
        op,
        say,
        ask,
        calls: calls.map(String::from),
        expect,
        line: 1,
    };
    let steps = vec![
        step(
            Op::Write(Write {
                bytes: nonzero(4 << 20),
                chunk: nonzero(4096),
                rwf: Rwf::NONE,
            }),
            text(
                "Each write(2) copies 4 KiB from the user buffer into the page cache and returns: the pages are dirty, not yet on disk.",
                "每次 write(2) 把 4 KiB 从用户缓冲区拷进页缓存就返回：这些页是脏页，还没有写到磁盘上。",
            ),
            text(
                "How many system calls will 4 MiB of 4 KiB writes take?",
                "4 MiB 按 4 KiB 写，需要多少次系统调用？",
            ),
            Some("FileOutputStream.write → writeBytes → write(2)"),
            vec![
                Expectation {
                    key: Key::Syscalls,
                    rule: Rule::Eq(1024),
                    soft: None,
                },
                Expectation {
                    key: Key::FileDirtyPages,
                    rule: Rule::Ge(1000),
                    soft: None,
                },
            ],
        ),
        step(
            Op::Fsync,
            text(
                "fsync waits until the disk has the data: the pages turn clean.",
                "fsync 一直等到数据写到磁盘：脏页变干净。",
            ),
            None,
            Some("FileChannel.force → fsync(2)"),
            vec![Expectation {
                key: Key::FileDirtyPages,
                rule: Rule::Eq(0),
                soft: None,
            }],
        ),
        step(
            Op::Send(SendToSocket {
                bytes: nonzero(4 << 20),
                chunk: nonzero(65536),
                via: Via::ReadWrite,
            }),
            text(
                "read + write into a socket: two DMA copies and two CPU copies per chunk.",
                "read + write 到套接字：每块两次 DMA 拷贝、两次 CPU 拷贝。",
            ),
            text(
                "How many copies does one chunk take on this path?",
                "这条路径上每块数据要拷贝几次？",
            ),
            None,
            vec![Expectation {
                key: Key::CpuCopies,
                rule: Rule::Eq(2),
                soft: None,
            }],
        ),
        step(
            Op::Send(SendToSocket {
                bytes: nonzero(4 << 20),
                chunk: nonzero(65536),
                via: Via::Sendfile,
            }),
            text(
                "sendfile moves the pages to the socket inside the kernel.",
                "sendfile 在内核里把页直接交给套接字。",
            ),
            None,
            None,
            vec![],
        ),
    ];
    let file = FileSetup {
        size: 0,
        cached: true,
    };
    Plan::new(id, Origin::Builtin, meta, file, steps).expect("the scripted plan is valid")
}

/// Facts of the scripted machine; `fallback` swaps in the weaker sources.
pub fn environment(fallback: bool) -> Environment {
    Environment {
        iotour_version: "0.1.0".into(),
        kernel: "6.18.0".into(),
        page_size: PAGE,
        workdir: "/tmp/iotour-abc123".into(),
        filesystem: "ext4".into(),
        sources: Sources {
            syscalls: if fallback { "engine" } else { "tracepoint" }.into(),
            faults: "rusage".into(),
            user_faults: "modeled".into(),
            ctx_switches: "rusage".into(),
            io: "procfs".into(),
            pages: if fallback { "mincore" } else { "cachestat" }.into(),
            system: "meminfo".into(),
            notes: vec![],
        },
        machine: None,
    }
}

fn copy(from: Place, to: Place, kind: CopyKind, bytes: u64) -> Transfer {
    Transfer {
        from,
        to,
        kind,
        bytes,
    }
}

fn read_send(bytes: u64) -> Vec<Transfer> {
    vec![
        copy(Place::Disk, Place::PageCache, CopyKind::Dma, bytes),
        copy(Place::PageCache, Place::UserBuffer, CopyKind::Cpu, bytes),
        copy(Place::UserBuffer, Place::SocketBuffer, CopyKind::Cpu, bytes),
        copy(Place::SocketBuffer, Place::Nic, CopyKind::Dma, bytes),
    ]
}

/// A page map of the 4 MiB file whose first `cached` cells are in `state`.
pub fn page_map(cached: usize, state: CellState) -> PageMap {
    let mut cells = vec![CellState::NotCached; CELLS];
    for c in cells.iter_mut().take(cached) {
        *c = state;
    }
    let per = FILE_PAGES / CELLS as u64;
    let n = cached as u64 * per;
    let dirty = if state == CellState::Dirty { n } else { 0 };
    PageMap {
        pages: FILE_PAGES,
        pages_per_cell: per,
        cells,
        totals: PageCounts {
            cached: Some(n),
            dirty: Some(dirty),
            writeback: Some(0),
            evicted: Some(0),
            recently_evicted: Some(0),
        },
    }
}

pub fn sample(
    at: u64,
    cached: usize,
    state: CellState,
    dirty_kb: u64,
    mapping: Option<Vec<MapCell>>,
) -> Event {
    let file = page_map(cached, state);
    // The scripted writes change whole pages: what is not durable is every
    // dirty or writeback page.
    let not_durable_bytes = file
        .totals
        .dirty
        .zip(file.totals.writeback)
        .map(|(d, w)| (d + w) * 4096);
    Event::Sample(Snapshot {
        at: ms(at),
        system: SystemMem {
            dirty_kb: Some(dirty_kb),
            writeback_kb: Some(0),
            background_threshold_kb: Some(40 * 1024),
            threshold_kb: Some(80 * 1024),
        },
        file: Some(file),
        mapping,
        vma: None,
        not_durable_bytes,
        burst: false,
        // The usual defaults: 30 s to expire, a wake-up every 5 s.
        flusher: Some(FlusherClock::from_centisecs(3000, 500)),
    })
}

#[allow(
    clippy::large_types_passed_by_value,
    reason = "a test fixture built once per event; by value reads as the event does"
)]
pub fn slice(
    step: usize,
    n: usize,
    at: u64,
    done: u64,
    total: u64,
    m: Readings,
    copies: Vec<Transfer>,
) -> Event {
    Event::Exec(ExecEvent::Slice(SliceReport {
        step,
        slice: n,
        done,
        total,
        at: ms(at),
        measured: m,
        copies,
        legs: vec![],
    }))
}

/// `event` (a slice or a step report) with `legs` beside its copies.
pub fn with_legs(mut event: Event, legs: &[Leg]) -> Event {
    match &mut event {
        Event::Exec(ExecEvent::Slice(s)) => s.legs = legs.to_vec(),
        Event::Exec(ExecEvent::StepDone(s)) => s.modeled.legs = legs.to_vec(),
        _ => {}
    }
    event
}

/// sendfile's legs that copy nothing: the socket's references to the
/// page-cache pages, and the NIC a local socket does not have.
pub fn sendfile_legs(bytes: u64) -> Vec<Leg> {
    vec![
        Leg {
            from: Place::PageCache,
            to: Place::SocketBuffer,
            kind: LegKind::PageRefs { bytes },
        },
        Leg {
            from: Place::SocketBuffer,
            to: Place::Nic,
            kind: LegKind::Absent {
                reason: Absence::LocalSocket,
            },
        },
    ]
}

pub fn counters(syscalls: u64, minor: u64, vol: u64, invol: u64) -> Readings {
    Readings {
        duration_ns: Some(1_000_000),
        syscalls: Some(syscalls),
        minor_faults: Some(minor),
        major_faults: Some(0),
        // The scripted faults are taken in user mode: each is a mode switch.
        user_faults: Some(minor),
        user_major_faults: Some(0),
        voluntary_ctx_switches: Some(vol),
        involuntary_ctx_switches: Some(invol),
        ..Readings::default()
    }
}

#[allow(
    clippy::large_types_passed_by_value,
    reason = "a test fixture built once per event; by value reads as the event does"
)]
pub fn step_done(
    index: usize,
    op: &str,
    measured: Readings,
    copies: Vec<Transfer>,
    expect: Vec<Verdict>,
) -> Event {
    let mode = measured
        .syscalls
        .zip(measured.user_faults)
        .map(|(a, b)| a + b);
    Event::Exec(ExecEvent::StepDone(StepOutcome {
        index,
        op: op.into(),
        say: None,
        duration_ns: Some(500_000_000),
        measured,
        modeled: Modeled {
            mode_switches: mode,
            copies,
            legs: vec![],
            notes: vec![],
            unsized_kinds: vec![],
        },
        expect,
        error: None,
        program: None,
        skipped: None,
        ended_early_ns: None,
    }))
}

fn expect(key: &str, rule: &str, actual: Option<u64>, ok: bool) -> Verdict {
    Verdict {
        key: key.into(),
        rule: rule.into(),
        actual,
        ok,
        soft: false,
        why: None,
        not_judged: false,
    }
}

/// Engine events of the scripted run, through step 3 in progress, with the
/// announcement the loop sends before the engine (epoch 1, UI time 0).
pub fn events() -> Vec<Event> {
    let mut ev = vec![
        Event::EngineStarted {
            epoch: 1,
            at: ms(0),
        },
        Event::Exec(ExecEvent::Ready {
            environment: environment(false),
            at: ms(20),
        }),
        sample(40, 0, CellState::NotCached, 1200, None),
        Event::Exec(ExecEvent::StepStarted {
            index: 1,
            at: ms(50),
        }),
    ];
    // Step 1: four slices of 256 writes, each dirtying 16 cells.
    for n in 0..4u64 {
        let at = 150 + n * 100;
        ev.push(slice(
            1,
            n as usize,
            at,
            (n + 1) * 256,
            1024,
            counters(256, 0, 0, u64::from(n == 2)),
            vec![copy(
                Place::UserBuffer,
                Place::PageCache,
                CopyKind::Cpu,
                1 << 20,
            )],
        ));
        ev.push(sample(
            at + 10,
            16 * (n as usize + 1),
            CellState::Dirty,
            1200 + (n + 1) * 1024,
            None,
        ));
    }
    let mut m1 = counters(1024, 0, 0, 1);
    m1.wchar = Some(4 << 20);
    m1.file_dirty_pages = Some(1024);
    ev.push(step_done(
        1,
        "write",
        m1,
        vec![copy(
            Place::UserBuffer,
            Place::PageCache,
            CopyKind::Cpu,
            4 << 20,
        )],
        vec![
            expect("syscalls", "== 1024", Some(1024), true),
            expect("file_dirty_pages", ">= 1000", Some(1024), true),
        ],
    ));
    // Step 2: fsync, one slice that blocks while the disk writes.
    ev.push(Event::Exec(ExecEvent::StepStarted {
        index: 2,
        at: ms(600),
    }));
    ev.push(sample(650, 64, CellState::Writeback, 5300, None));
    ev.push(slice(
        2,
        0,
        900,
        1,
        1,
        counters(1, 0, 12, 0),
        vec![copy(Place::PageCache, Place::Disk, CopyKind::Dma, 4 << 20)],
    ));
    ev.push(sample(910, 64, CellState::Clean, 1200, None));
    ev.push(step_done(
        2,
        "fsync",
        counters(1, 0, 12, 0),
        vec![copy(Place::PageCache, Place::Disk, CopyKind::Dma, 4 << 20)],
        vec![expect("file_dirty_pages", "== 0", Some(0), true)],
    ));
    // Step 3 in progress: read + send, 64 KiB chunks.
    ev.push(Event::Exec(ExecEvent::StepStarted {
        index: 3,
        at: ms(1000),
    }));
    for n in 0..3u64 {
        let at = 1100 + n * 100;
        ev.push(slice(
            3,
            n as usize,
            at,
            (n + 1) * 16,
            64,
            counters(32, 2, 1, 0),
            read_send(1 << 20),
        ));
    }
    ev.push(Event::Tick(ms(1350)));
    ev
}

/// The rest of the scripted run: step 3 and 4 done, then the report.
pub fn finish() -> Vec<Event> {
    let mut ev = Vec::new();
    ev.push(step_done(
        3,
        "send",
        counters(128, 8, 4, 0),
        read_send(4 << 20),
        vec![expect("cpu_copies", "== 2", Some(2), true)],
    ));
    ev.push(Event::Exec(ExecEvent::StepStarted {
        index: 4,
        at: ms(1500),
    }));
    // sendfile as the engine models it on a local socket: the disk's DMA
    // on a miss, then references, not copies, and no NIC.
    let zero = vec![copy(Place::Disk, Place::PageCache, CopyKind::Dma, 4 << 20)];
    let legs = sendfile_legs(4 << 20);
    ev.push(with_legs(
        slice(4, 0, 1600, 64, 64, counters(64, 0, 1, 0), zero.clone()),
        &legs,
    ));
    ev.push(with_legs(
        step_done(4, "send", counters(64, 0, 1, 0), zero, vec![]),
        &legs,
    ));
    ev.push(Event::Exec(ExecEvent::Finished(RunOutcome {
        scenario: "scripted".into(),
        title: "Write, fsync, send".into(),
        environment: environment(false),
        steps: vec![],
        ok: true,
    })));
    ev.push(Event::Tick(ms(1700)));
    ev
}
