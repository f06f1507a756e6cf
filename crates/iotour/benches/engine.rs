//! `cargo bench`: the engine's `write` of 256 MiB in 4 KiB chunks against
//! `dd bs=4k count=65536` in the same run (goal: ≥ 0.9 of dd's throughput),
//! and the sampler's CPU cost at 20 and 100 Hz. Prints figures; asserts
//! nothing (not a timed test).

use std::path::Path;
use std::process::Command;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use iotour_core::engine::{self, EngineConfig, ExecEvent, Snapshot, Speed};
use iotour_core::scenario::{
    FileSetup, Meta, Op, Origin, Plan, Rwf, Sleep, Step, Text, Write, nonzero,
};

const BYTES: u64 = 256 << 20;
const ROUNDS: usize = 5;

enum Ev {
    Exec(Box<ExecEvent>),
    Sample,
}

impl From<ExecEvent> for Ev {
    fn from(e: ExecEvent) -> Self {
        Ev::Exec(Box::new(e))
    }
}

impl From<Snapshot> for Ev {
    fn from(_: Snapshot) -> Self {
        Ev::Sample
    }
}

fn plan(size: u64, op: Op) -> Plan {
    let meta = Meta {
        title: Text::en("bench"),
        summary: Text::en("bench"),
        tags: vec![],
        java: None,
        lesson: None,
    };
    let step = Step {
        op,
        say: None,
        ask: None,
        calls: None,
        expect: vec![],
        line: 0,
    };
    Plan::new(
        "bench",
        Origin::Builtin,
        meta,
        FileSetup { size, cached: true },
        vec![step],
    )
    .expect("the bench's plan")
}

fn config(dir: &Path, hz: u32) -> EngineConfig {
    EngineConfig {
        workdir_parent: Some(dir.to_path_buf()),
        speed: Speed::Max,
        sample_hz: hz,
        ..EngineConfig::default()
    }
}

/// Wall time of the engine's write step, from its StepStarted event to its
/// StepDone event (setup and teardown excluded, as dd's open is negligible).
fn engine_write(dir: &Path) -> Duration {
    let (tx, rx) = channel::<Ev>();
    let e = engine::start(
        plan(
            0,
            Op::Write(Write {
                bytes: nonzero(BYTES),
                chunk: nonzero(4096),
                rwf: Rwf::NONE,
            }),
        ),
        config(dir, 20),
        tx,
    )
    .expect("start");
    let mut started = Instant::now();
    loop {
        if let Ev::Exec(ev) = rx.recv().expect("engine event") {
            match *ev {
                ExecEvent::StepStarted { .. } => started = Instant::now(),
                ExecEvent::StepDone(r) => {
                    let took = started.elapsed();
                    assert_eq!(r.error, None);
                    drop(e);
                    println!(
                        "  engine step: wall {:.1} ms, inside measured windows {:.1} ms",
                        took.as_secs_f64() * 1e3,
                        r.duration_ns.unwrap_or(0) as f64 / 1e6
                    );
                    return took;
                }
                ExecEvent::Failed { error, .. } => panic!("{error}"),
                _ => {}
            }
        }
    }
}

fn dd(dir: &Path) -> Option<Duration> {
    let f = dir.join("dd.out");
    let t = Instant::now();
    let ok = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k", "count=65536", "status=none"])
        .arg(format!("of={}", f.display()))
        .status()
        .ok()?
        .success();
    let took = t.elapsed();
    let _ = std::fs::remove_file(&f);
    ok.then_some(took)
}

fn settle() {
    // Start each round with no dirty backlog from the last one.
    // SAFETY: sync has no preconditions.
    unsafe { libc::sync() };
}

fn mbps(d: Duration) -> f64 {
    BYTES as f64 / f64::from(1 << 20) / d.as_secs_f64()
}

/// CPU time (ns) of this process's thread named `name`, from schedstat.
fn thread_cpu_ns(name: &str) -> Option<u64> {
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            let s = std::fs::read_to_string(entry.path().join("schedstat")).ok()?;
            return s.split_whitespace().next()?.parse().ok();
        }
    }
    None
}

fn sampler_cost(dir: &Path, hz: u32) -> Option<f64> {
    let (tx, rx) = channel::<Ev>();
    let e = engine::start(
        plan(BYTES, Op::Sleep(Sleep { ms: 3_000 })),
        config(dir, hz),
        tx,
    )
    .ok()?;
    // Wait for setup (the 256 MiB prefill) so the sampler maps a full file.
    loop {
        if let Ev::Exec(ev) = rx.recv().ok()?
            && matches!(*ev, ExecEvent::StepStarted { .. })
        {
            break;
        }
    }
    let drain = std::thread::spawn(move || while rx.recv().is_ok() {});
    let c0 = thread_cpu_ns("sampler")?;
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let c1 = thread_cpu_ns("sampler")?;
    let wall = t0.elapsed();
    drop(e);
    let _ = drain.join();
    Some((c1 - c0) as f64 / wall.as_nanos() as f64)
}

fn main() {
    // A disk-backed directory: the crate's target dir.
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let dir = tempfile::tempdir_in(&base).expect("temp dir under target/");
    let (mut best_engine, mut best_dd) = (Duration::MAX, Duration::MAX);
    for round in 1..=ROUNDS {
        settle();
        let e = engine_write(dir.path());
        settle();
        let d = dd(dir.path());
        println!(
            "round {round}: engine {:.0} MiB/s, dd {}",
            mbps(e),
            d.map_or_else(|| "unavailable".into(), |d| format!("{:.0} MiB/s", mbps(d)))
        );
        best_engine = best_engine.min(e);
        if let Some(d) = d {
            best_dd = best_dd.min(d);
        }
    }
    if best_dd != Duration::MAX {
        let ratio = mbps(best_engine) / mbps(best_dd);
        println!(
            "write 256 MiB in 4 KiB chunks, best of {ROUNDS}: engine {:.0} MiB/s, dd {:.0} MiB/s, ratio {ratio:.2} (goal ≥ 0.90)",
            mbps(best_engine),
            mbps(best_dd)
        );
    }
    settle();
    for hz in [20, 100] {
        match sampler_cost(dir.path(), hz) {
            Some(f) => println!(
                "sampler at {hz} Hz over a 256 MiB file: {:.2} ms CPU per second ({:.2}% of a core)",
                f * 1e3,
                f * 100.0
            ),
            None => println!("sampler at {hz} Hz: could not measure (no schedstat?)"),
        }
    }
}
