//! Independent witnesses of what iotour reports, shared by `tests/fidelity.rs`
//! (which asserts every verdict) and `examples/fidelity.rs` (which writes the
//! table to `docs/fidelity.md`).
//!
//! Each witness runs the real `iotour run --headless --json` in a child
//! process under a tool that does not share iotour's counters, then compares
//! figure by figure:
//!
//! | figure | witness | how the step's own work is isolated |
//! |---|---|---|
//! | syscalls | `strace -f` (ptrace) | the worker's measurement windows, found in the trace |
//! | rchar, wchar | `strace -f`: what each read/write call returned | the same windows |
//! | minor/major faults, context switches | `perf record -c 1` (every event, per thread) | the same windows, found from the worker's `getrusage` calls |
//! | file cached pages | `fincore`, `vmtouch` (mincore) | `--keep-workdir`, one run per prefix of the scenario |
//! | file dirty/writeback pages | `cachestat(2)` from this process | same |
//! | system Dirty/Writeback | `/proc/meminfo` polled by this process | the range seen while the run lasted |
//!
//! The windows: the worker thread (`exec`) brackets every slice of work with
//! `getrusage(RUSAGE_THREAD)` (see `src/probe/thread.rs`):
//! `pread(io) getrusage read(tp) [work] read(tp) getrusage pread(io)`. The
//! first `getrusage` of the thread is the probe's warm-up; after it they come
//! in pairs. A step's report ends by reading `/proc/self/statm` (the process's
//! RSS), outside every window: that closes a step in the strace output.
//! perf's samples carry no paths, so the perf witness takes the number of
//! windows per step from the strace run of the same scenario (slicing is
//! deterministic: it depends only on each op's size) and checks that both
//! runs saw the same number of windows.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The scenario the syscall, fault and context-switch witnesses run: one
/// step of each kind of work whose counts are exact on this kernel.
pub const COUNTS_SCENARIO: &str = r#"[scenario]
title = "Fidelity: counters"
summary = "One step of each kind of work, for the strace and perf witnesses."
[file]
size = "4MiB"
[[step]]
op = "write"
bytes = 300000
chunk = 300
[[step]]
op = "buffered_write"
bytes = "1MiB"
chunk = 100
[[step]]
op = "pwrite"
bytes = "256KiB"
chunk = "4KiB"
offset = "1MiB"
pattern = "random"
[[step]]
op = "read"
bytes = "2MiB"
chunk = "16KiB"
offset = 0
[[step]]
op = "fsync"
[[step]]
op = "mmap"
bytes = "4MiB"
write = true
[[step]]
op = "touch"
pages = 1000
write = true
[[step]]
op = "msync"
[[step]]
op = "munmap"
target = "file"
[[step]]
op = "anon_mmap"
bytes = "16MiB"
[[step]]
op = "touch"
pages = 2000
write = true
target = "anon"
[[step]]
op = "sleep"
ms = 20
"#;

/// The scenario the page-cache witnesses run, one prefix at a time: the file
/// starts cold, is read (readahead fills the cache), dirtied, cleaned,
/// dirtied through a mapping, flushed and evicted.
pub const PAGES_SCENARIO: &str = r#"[scenario]
title = "Fidelity: page cache"
summary = "Cached, dirty and clean pages of the working file, for fincore, vmtouch and cachestat."
[file]
size = "16MiB"
cached = false
[[step]]
op = "read"
bytes = "1MiB"
chunk = "64KiB"
offset = 0
[[step]]
op = "pwrite"
bytes = "512KiB"
chunk = "4KiB"
offset = "8MiB"
[[step]]
op = "fsync"
[[step]]
op = "mmap"
bytes = "16MiB"
write = true
[[step]]
op = "touch"
pages = 64
stride = 32
write = true
[[step]]
op = "msync"
[[step]]
op = "drop_cache"
"#;

/// One compared figure.
#[derive(Debug, Clone)]
pub struct Row {
    /// e.g. `syscalls`, `minor_faults`.
    pub figure: String,
    /// `step 3 (pwrite)`, or `all steps`.
    pub step: String,
    pub iotour: String,
    pub witness: String,
    /// The witness tool.
    pub by: String,
    pub tolerance: String,
    pub ok: bool,
}

/// What one witness found: rows, or why it could not run.
#[derive(Debug, Default)]
pub struct Found {
    pub rows: Vec<Row>,
    pub skipped: Vec<String>,
    /// Comparisons that failed once and were run again (see [`twice`]).
    pub retried: Vec<String>,
}

impl Found {
    fn skip(why: impl Into<String>) -> Found {
        Found {
            skipped: vec![why.into()],
            ..Found::default()
        }
    }

    pub fn extend(&mut self, other: Found) {
        self.rows.extend(other.rows);
        self.skipped.extend(other.skipped);
        self.retried.extend(other.retried);
    }

    pub fn failures(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| !r.ok).collect()
    }
}

/// Run a witness; if a comparison fails, run it once more and keep the second
/// result, noting the first failure. For witnesses of state another process
/// can change between iotour's reading and the witness's (a `sync` or
/// `drop_caches` by someone else on a shared machine, memory pressure): a
/// bug fails twice, a passer-by almost never does.
pub fn twice(f: impl Fn() -> Found) -> Found {
    let first = f();
    if first.failures().is_empty() {
        return first;
    }
    let mut second = f();
    second.retried.extend(first.failures().iter().map(|r| {
        format!(
            "{} {}: iotour {} vs {} {} on the first run",
            r.step, r.figure, r.iotour, r.by, r.witness
        )
    }));
    second
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// How to start iotour: a binary path plus environment to set.
#[derive(Debug, Clone)]
pub struct Iotour {
    pub bin: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Iotour {
    /// `iotour run <scenario> --headless --json --workdir <dir> [extra]`,
    /// prefixed by `wrap` (a witness tool and its flags).
    fn command(&self, wrap: &[&str], scenario: &Path, dir: &Path, extra: &[&str]) -> Command {
        let mut c = if let Some((tool, args)) = wrap.split_first() {
            let mut c = Command::new(tool);
            c.args(args).arg(&self.bin);
            c
        } else {
            Command::new(&self.bin)
        };
        c.args(["run"])
            .arg(scenario)
            .args(["--headless", "--json", "--workdir"])
            .arg(dir)
            .args(extra)
            .env_remove("IOTOUR_DISABLE");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn run_json(
        &self,
        wrap: &[&str],
        scenario: &Path,
        dir: &Path,
        extra: &[&str],
    ) -> Result<serde_json::Value, String> {
        let out = self
            .command(wrap, scenario, dir, extra)
            .output()
            .map_err(|e| format!("cannot start {:?}: {e}", wrap.first()))?;
        serde_json::from_slice(&out.stdout).map_err(|e| {
            format!(
                "no JSON report ({e}); exit {:?}; stderr: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

/// The machine the figures come from.
pub fn machine(report: &serde_json::Value) -> String {
    let env = &report["environment"];
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!(
        "kernel {}, {} for the working file, page size {}, {cpus} CPUs, sources: {}",
        env["kernel"].as_str().unwrap_or("?"),
        env["filesystem"].as_str().unwrap_or("?"),
        env["page_size"],
        env["sources"]
            .as_object()
            .map(|o| o
                .iter()
                .filter(|(k, _)| *k != "notes")
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(" "))
            .unwrap_or_default()
    )
}

fn step_name(report: &serde_json::Value, i: usize) -> String {
    format!(
        "step {} ({})",
        i + 1,
        report["steps"][i]["op"].as_str().unwrap_or("?")
    )
}

fn measured(report: &serde_json::Value, i: usize, key: &str) -> Option<u64> {
    report["steps"][i]["measured"][key].as_u64()
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "unknown".into(), |v| v.to_string())
}

// ---------------------------------------------------------------- strace --

/// Per step: how many measurement windows, and the syscalls inside them
/// (the probe's own tracepoint reads removed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepCalls {
    pub windows: usize,
    pub syscalls: u64,
    /// Bytes returned by the read-family calls (read, pread64, readv, preadv).
    pub read_bytes: u64,
    /// Bytes returned by the write-family calls (write, pwrite64, writev, pwritev).
    pub written_bytes: u64,
}

/// The value a call returned (`... = 300`), if it is a count.
fn returned(rest: &str) -> Option<u64> {
    // strace pads before `= N` to align columns: take the last ` = `.
    rest.rsplit_once(" = ")?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One syscall entry of one thread in `strace -f` output; a call that was
/// interrupted in the output (`<unfinished ...>`) gets the rest of its text
/// (arguments, result) from its `<... name resumed>` line.
struct Entry<'a> {
    tid: &'a str,
    name: &'a str,
    rest: String,
}

fn strace_entries(text: &str) -> Vec<Entry<'_>> {
    let mut out: Vec<Entry> = Vec::new();
    // Index in `out` of each thread's unfinished call.
    let mut pending: BTreeMap<&str, usize> = BTreeMap::new();
    for line in text.lines() {
        let Some((tid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        // `+++`/`---` are exits and signals, not syscalls.
        if rest.starts_with("+++") || rest.starts_with("---") {
            continue;
        }
        if rest.starts_with("<...") {
            if let (Some(i), Some((_, tail))) = (pending.remove(tid), rest.split_once("resumed>")) {
                let e = &mut out[i];
                e.rest = format!("{}{tail}", e.rest.trim_end_matches("<unfinished ...>"));
            }
            continue;
        }
        let Some((name, _)) = rest.split_once('(') else {
            continue;
        };
        if rest.ends_with("<unfinished ...>") {
            pending.insert(tid, out.len());
        }
        out.push(Entry {
            tid,
            name,
            rest: rest.to_string(),
        });
    }
    out
}

/// Split the worker's syscalls into windows and steps. `tracepoint`: the
/// window begins and ends with a `read(tp, …, 8)` of the probe's counter,
/// which is not the step's work.
pub fn parse_strace(text: &str, tracepoint: bool) -> Result<Vec<StepCalls>, String> {
    let entries = strace_entries(text);
    let exec = entries
        .iter()
        .find(|e| e.name == "prctl" && e.rest.contains("PR_SET_NAME, \"exec\""))
        .map(|e| e.tid)
        .ok_or("no thread named exec in the trace")?;
    let mut steps = Vec::new();
    let mut cur = StepCalls::default();
    let mut warmup_seen = false;
    let mut window: Option<Vec<&Entry>> = None;
    // `read(N, ` for each fd perf_event_open returned to the worker (the
    // syscall tracepoint and the user-mode fault counter).
    let mut probe_reads: Vec<String> = Vec::new();
    for e in entries.iter().filter(|e| e.tid == exec) {
        if e.name == "perf_event_open" {
            probe_reads.extend(
                e.rest
                    .rsplit_once("= ")
                    .map(|(_, fd)| format!("read({}, ", fd.trim())),
            );
            continue;
        }
        if e.name == "getrusage" {
            if !warmup_seen {
                warmup_seen = true;
                continue;
            }
            match window.take() {
                None => window = Some(Vec::new()),
                Some(mut calls) => {
                    if tracepoint {
                        let is_probe_read = |c: &&Entry| {
                            probe_reads.iter().any(|fd| c.rest.starts_with(fd.as_str()))
                        };
                        if calls.len() < 2
                            || !is_probe_read(&calls[0])
                            || !is_probe_read(&calls[calls.len() - 1])
                        {
                            return Err(format!(
                                "a window does not start and end with the probe's counter \
                                 reads: first {:?}, last {:?}",
                                calls.first().map(|c| &c.rest),
                                calls.last().map(|c| &c.rest)
                            ));
                        }
                        // One read per probe counter on each side.
                        let n = probe_reads.len();
                        for _ in 0..n {
                            if calls.first().is_some_and(is_probe_read) {
                                calls.remove(0);
                            }
                            if calls.last().is_some_and(is_probe_read) {
                                calls.pop();
                            }
                        }
                    }
                    cur.windows += 1;
                    cur.syscalls += calls.len() as u64;
                    for c in &calls {
                        let n = returned(&c.rest).unwrap_or(0);
                        match c.name {
                            "read" | "pread64" | "readv" | "preadv" | "preadv2" => {
                                cur.read_bytes += n;
                            }
                            "write" | "pwrite64" | "writev" | "pwritev" | "pwritev2" => {
                                cur.written_bytes += n;
                            }
                            _ => {}
                        }
                    }
                }
            }
            continue;
        }
        if let Some(calls) = window.as_mut() {
            calls.push(e);
        } else if e.name == "openat" && e.rest.contains("\"/proc/self/statm\"") {
            steps.push(std::mem::take(&mut cur));
        }
    }
    if window.is_some() {
        return Err("the trace ends inside a window".into());
    }
    Ok(steps)
}

/// Run `scenario` under `strace -f` and compare each step's syscalls.
/// Also returns the windows per step, for the perf witness.
pub fn syscalls_vs_strace(
    iotour: &Iotour,
    scenario: &Path,
    dir: &Path,
    label: &str,
) -> (Found, Option<Vec<usize>>) {
    if !have("strace") {
        return (
            Found::skip("strace is not installed: syscall witness skipped"),
            None,
        );
    }
    let trace = dir.join("strace.txt");
    let trace_s = trace.to_string_lossy().into_owned();
    let report = match iotour.run_json(&["strace", "-f", "-qq", "-o", &trace_s], scenario, dir, &[])
    {
        Ok(r) => r,
        Err(e) => return (Found::skip(format!("strace run failed: {e}")), None),
    };
    let text = std::fs::read_to_string(&trace).unwrap_or_default();
    let _ = std::fs::remove_file(&trace);
    let source = report["environment"]["sources"]["syscalls"]
        .as_str()
        .unwrap_or("?")
        .to_string();
    let steps = match parse_strace(&text, source == "tracepoint") {
        Ok(s) => s,
        Err(e) => {
            let mut f = Found::default();
            f.rows.push(Row {
                figure: "syscalls".into(),
                step: "all steps".into(),
                iotour: "-".into(),
                witness: format!("trace not understood: {e}"),
                by: "strace -f".into(),
                tolerance: "exact".into(),
                ok: false,
            });
            return (f, None);
        }
    };
    let n = report["steps"].as_array().map_or(0, Vec::len);
    let mut found = Found::default();
    if steps.len() != n {
        found.rows.push(Row {
            figure: "steps".into(),
            step: "all steps".into(),
            iotour: n.to_string(),
            witness: steps.len().to_string(),
            by: "strace -f".into(),
            tolerance: "exact".into(),
            ok: false,
        });
        return (found, None);
    }
    for (i, s) in steps.iter().enumerate() {
        let ours = measured(&report, i, "syscalls");
        found.rows.push(Row {
            figure: format!("syscalls ({label}: {source})"),
            step: step_name(&report, i),
            iotour: show(ours),
            witness: s.syscalls.to_string(),
            by: "strace -f, worker thread, inside the windows".into(),
            // Both see every syscall entry of the one thread; the windows
            // exclude the probe's own reads on both sides.
            tolerance: "exact".into(),
            ok: ours == Some(s.syscalls),
        });
        // /proc/<tid>/io's rchar and wchar count the bytes read(2)/write(2)
        // and their kin returned; the probe removes its own reads. The
        // scenario has no sendfile/splice (which /proc/*/io counts its own
        // way). Only the default run: the fallback run measures them the
        // same way.
        if label == "default" {
            for (key, witnessed) in [("rchar", s.read_bytes), ("wchar", s.written_bytes)] {
                let ours = measured(&report, i, key);
                found.rows.push(Row {
                    figure: key.into(),
                    step: step_name(&report, i),
                    iotour: show(ours),
                    witness: witnessed.to_string(),
                    by: "strace -f, sum of what read/write calls returned".into(),
                    tolerance: "exact".into(),
                    ok: ours == Some(witnessed),
                });
            }
        }
    }
    (found, Some(steps.iter().map(|s| s.windows).collect()))
}

// ------------------------------------------------------------------ perf --

/// Events of the worker inside its windows, per window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowEvents {
    pub page_faults: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub context_switches: u64,
}

/// Parse `perf script -F comm,tid,event,trace` output into per-window counts
/// of the `exec` thread.
pub fn parse_perf(text: &str) -> Result<Vec<WindowEvents>, String> {
    let getrusage = libc::SYS_getrusage.to_string();
    let mut windows = Vec::new();
    let mut warmup_seen = false;
    let mut cur: Option<WindowEvents> = None;
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(comm), Some(_tid), Some(event)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if comm != "exec" {
            continue;
        }
        match event.trim_end_matches(':') {
            "raw_syscalls:sys_enter" => {
                let (Some("NR"), Some(nr)) = (f.next(), f.next()) else {
                    return Err(format!("unexpected sys_enter line: {line}"));
                };
                if nr != getrusage {
                    continue;
                }
                if !warmup_seen {
                    warmup_seen = true;
                    continue;
                }
                match cur.take() {
                    None => cur = Some(WindowEvents::default()),
                    Some(w) => windows.push(w),
                }
            }
            ev => {
                let Some(w) = cur.as_mut() else { continue };
                match ev {
                    "page-faults" => w.page_faults += 1,
                    "minor-faults" => w.minor_faults += 1,
                    "major-faults" => w.major_faults += 1,
                    "context-switches" => w.context_switches += 1,
                    _ => {}
                }
            }
        }
    }
    if cur.is_some() {
        return Err("the recording ends inside a window".into());
    }
    Ok(windows)
}

/// Run `scenario` under `perf record` (every event sampled) and compare each
/// step's faults and context switches. `windows_per_step` comes from the
/// strace run.
#[allow(
    clippy::too_many_lines,
    reason = "one witness run, then a row per figure"
)]
pub fn faults_vs_perf(
    iotour: &Iotour,
    scenario: &Path,
    dir: &Path,
    windows_per_step: &[usize],
) -> Found {
    if !is_root() {
        return Found::skip(
            "not root: perf cannot record the syscall tracepoint that marks the windows (perf_event_paranoid)",
        );
    }
    if !have("perf") {
        return Found::skip("perf is not installed: fault and context-switch witness skipped");
    }
    let data = dir.join("perf.data");
    let data_s = data.to_string_lossy().into_owned();
    let events = "raw_syscalls:sys_enter,page-faults,minor-faults,major-faults,context-switches";
    let report = match iotour.run_json(
        &[
            "perf", "record", "-q", "-c", "1", "-e", events, "-o", &data_s, "--",
        ],
        scenario,
        dir,
        &[],
    ) {
        Ok(r) => r,
        Err(e) => return Found::skip(format!("perf record run failed: {e}")),
    };
    let script = Command::new("perf")
        .args(["script", "-F", "comm,tid,event,trace", "-i", &data_s])
        .stderr(Stdio::null())
        .output();
    let _ = std::fs::remove_file(&data);
    let text = match script {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => return Found::skip(format!("perf script failed: exit {:?}", o.status.code())),
        Err(e) => return Found::skip(format!("perf script: {e}")),
    };
    let windows = match parse_perf(&text) {
        Ok(w) => w,
        Err(e) => return Found::skip(format!("perf output not understood: {e}")),
    };
    let mut found = Found::default();
    let expected: usize = windows_per_step.iter().sum();
    if windows.len() != expected {
        found.rows.push(Row {
            figure: "measurement windows".into(),
            step: "all steps".into(),
            iotour: expected.to_string(),
            witness: windows.len().to_string(),
            by: "perf record vs strace run".into(),
            tolerance: "exact".into(),
            ok: false,
        });
        return found;
    }
    let mut it = windows.into_iter();
    for (i, &n) in windows_per_step.iter().enumerate() {
        let sum = it
            .by_ref()
            .take(n)
            .fold(WindowEvents::default(), |a, w| WindowEvents {
                page_faults: a.page_faults + w.page_faults,
                minor_faults: a.minor_faults + w.minor_faults,
                major_faults: a.major_faults + w.major_faults,
                context_switches: a.context_switches + w.context_switches,
            });
        let step = step_name(&report, i);
        let minor = measured(&report, i, "minor_faults");
        let major = measured(&report, i, "major_faults");
        let vol = measured(&report, i, "voluntary_ctx_switches");
        let invol = measured(&report, i, "involuntary_ctx_switches");
        // rusage and perf's minor/major-faults are both counted in
        // mm_account_fault, for faults taken from user space or by the
        // kernel on a user address: exact (MAP_POPULATE's faults would be in
        // rusage only; this scenario does not populate).
        found.rows.push(Row {
            figure: "minor_faults".into(),
            step: step.clone(),
            iotour: show(minor),
            witness: sum.minor_faults.to_string(),
            by: "perf minor-faults".into(),
            tolerance: "exact".into(),
            ok: minor == Some(sum.minor_faults),
        });
        found.rows.push(Row {
            figure: "major_faults".into(),
            step: step.clone(),
            iotour: show(major),
            witness: sum.major_faults.to_string(),
            by: "perf major-faults".into(),
            tolerance: "exact".into(),
            ok: major == Some(sum.major_faults),
        });
        // page-faults counts every entry to the fault handler, including a
        // fault that is retried (VM_FAULT_RETRY: it waited for a locked
        // page) and counted again; rusage counts the completed fault once.
        let total = minor.zip(major).map(|(a, b)| a + b);
        found.rows.push(Row {
            figure: "minor+major faults".into(),
            step: step.clone(),
            iotour: show(total),
            witness: sum.page_faults.to_string(),
            by: "perf page-faults".into(),
            tolerance: "witness >= iotour (retried faults count twice in perf)".into(),
            ok: total.is_some_and(|t| sum.page_faults >= t),
        });
        // Both are counted where the scheduler switches the thread out. A
        // preemption that lands inside the bracketing getrusage itself,
        // between its entry (perf's edge) and its snapshot (iotour's edge),
        // falls on the other side of the edge for one of them.
        let switches = vol.zip(invol).map(|(a, b)| a + b);
        found.rows.push(Row {
            figure: "context switches".into(),
            step,
            iotour: show(switches),
            witness: sum.context_switches.to_string(),
            by: "perf context-switches".into(),
            tolerance: "±1 (a preemption inside the bracketing getrusage)".into(),
            ok: switches.is_some_and(|s| s.abs_diff(sum.context_switches) <= 1),
        });
    }
    found
}

// ------------------------------------------------------------ page cache --

/// cachestat(2) of a whole file, from this process: (cached, dirty, writeback).
pub fn cachestat(path: &Path) -> std::io::Result<(u64, u64, u64)> {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Range {
        off: u64,
        len: u64,
    }
    #[repr(C)]
    #[derive(Default)]
    struct Stat {
        cache: u64,
        dirty: u64,
        writeback: u64,
        evicted: u64,
        recently_evicted: u64,
    }
    // cachestat answers EPERM unless the caller could write the file.
    let f = std::fs::File::options().read(true).write(true).open(path)?;
    let range = Range { off: 0, len: 0 };
    let mut st = Stat::default();
    // SAFETY: both pointers are to live, correctly laid out structs; 451 is
    // cachestat on every architecture; the kernel reads `range`, writes `st`.
    let rc = unsafe { libc::syscall(451, f.as_raw_fd(), &raw const range, &raw mut st, 0u32) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((st.cache, st.dirty, st.writeback))
}

/// Pages of `path` in the page cache according to `fincore` (mincore based).
pub fn fincore_pages(path: &Path) -> Result<u64, String> {
    let out = Command::new("fincore")
        .args(["--noheadings", "--bytes", "--output", "PAGES"])
        .arg(path)
        .output()
        .map_err(|e| format!("fincore: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| format!("fincore said: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Pages of `path` resident according to `vmtouch` ("Resident Pages: N/M").
pub fn vmtouch_pages(path: &Path) -> Result<u64, String> {
    let out = Command::new("vmtouch")
        .arg(path)
        .output()
        .map_err(|e| format!("vmtouch: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Resident Pages:"))
        .and_then(|v| v.trim().split('/').next()?.parse().ok())
        .ok_or_else(|| format!("vmtouch said: {text}"))
}

/// `PAGES_SCENARIO` cut after `k` steps.
pub fn prefix(scenario: &str, k: usize) -> String {
    let mut parts = scenario.split("[[step]]");
    let mut out = parts.next().unwrap_or_default().to_string();
    for p in parts.take(k) {
        out.push_str("[[step]]");
        out.push_str(p);
    }
    out
}

/// For each prefix of `PAGES_SCENARIO`: run it keeping the working file, then
/// compare the last step's page state with fincore, vmtouch and cachestat.
#[allow(
    clippy::too_many_lines,
    reason = "one witness run, then a row per figure"
)]
pub fn pages_vs_tools(iotour: &Iotour, dir: &Path) -> Found {
    let steps = PAGES_SCENARIO.matches("[[step]]").count();
    let mut found = Found::default();
    let fincore = have("fincore");
    let vmtouch = Command::new("vmtouch")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !fincore {
        found
            .skipped
            .push("fincore is not installed (util-linux)".into());
    }
    if !vmtouch {
        found.skipped.push("vmtouch is not installed".into());
    }
    for k in 1..=steps {
        let scen = dir.join(format!("pages-{k}.toml"));
        if let Err(e) = std::fs::write(&scen, prefix(PAGES_SCENARIO, k)) {
            found
                .skipped
                .push(format!("cannot write {}: {e}", scen.display()));
            return found;
        }
        let report = match iotour.run_json(&[], &scen, dir, &["--keep-workdir"]) {
            Ok(r) => r,
            Err(e) => {
                found.skipped.push(format!("run of {k} steps failed: {e}"));
                return found;
            }
        };
        let wd = PathBuf::from(report["environment"]["workdir"].as_str().unwrap_or(""));
        let file = wd.join("file");
        let i = k - 1;
        let step = step_name(&report, i);
        let cached = measured(&report, i, "file_cached_pages");
        let dirty = measured(&report, i, "file_dirty_pages");
        let writeback = measured(&report, i, "file_writeback_pages");
        // Read right after the run: the cache does not change between the
        // engine's reading and ours unless memory pressure evicts (the file
        // is small) or the flusher writes back (dirty pages here are far
        // below the background threshold and younger than dirty_expire).
        let tol = "exact";
        // mincore (fincore, vmtouch) counts only pages whose data is already
        // read (uptodate); cachestat also counts pages the step's readahead
        // put in the cache and whose read is still in flight. Those reads
        // end within milliseconds: let mincore's count settle first.
        let mincore_tol = "exact once in-flight readahead has landed (re-read up to 2 s)";
        let settle = |read: &dyn Fn() -> Result<u64, String>| {
            let mut last = read();
            for _ in 0..200 {
                if last.as_ref().ok() == cached.as_ref() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
                last = read();
            }
            last
        };
        if fincore {
            let w = settle(&|| fincore_pages(&file));
            found.rows.push(Row {
                figure: "file_cached_pages".into(),
                step: step.clone(),
                iotour: show(cached),
                witness: w.clone().map_or_else(|e| e, |v| v.to_string()),
                by: "fincore".into(),
                tolerance: mincore_tol.into(),
                ok: w.ok() == cached,
            });
        }
        if vmtouch {
            let w = settle(&|| vmtouch_pages(&file));
            found.rows.push(Row {
                figure: "file_cached_pages".into(),
                step: step.clone(),
                iotour: show(cached),
                witness: w.clone().map_or_else(|e| e, |v| v.to_string()),
                by: "vmtouch".into(),
                tolerance: mincore_tol.into(),
                ok: w.ok() == cached,
            });
        }
        match cachestat(&file) {
            Ok((_, d, wb)) => {
                found.rows.push(Row {
                    figure: "file_dirty_pages".into(),
                    step: step.clone(),
                    iotour: show(dirty),
                    witness: d.to_string(),
                    by: "cachestat(2) from the test process".into(),
                    tolerance: tol.into(),
                    ok: dirty == Some(d),
                });
                // Writeback is transient: iotour's fsync/msync steps wait for
                // it, so after each step here it is 0 on both sides.
                found.rows.push(Row {
                    figure: "file_writeback_pages".into(),
                    step: step.clone(),
                    iotour: show(writeback),
                    witness: wb.to_string(),
                    by: "cachestat(2) from the test process".into(),
                    tolerance: tol.into(),
                    ok: writeback == Some(wb),
                });
            }
            Err(e) => found
                .skipped
                .push(format!("cachestat from the test: {e} (kernel < 6.5?)")),
        }
        let _ = std::fs::remove_dir_all(&wd);
    }
    found
}

// ---------------------------------------------------------- /proc/meminfo --

fn meminfo_kb() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let get = |key: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(key))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((get("Dirty:")?, get("Writeback:")?))
}

/// Range of one meminfo figure over the run, and its largest step between
/// two consecutive readings.
#[derive(Debug, Clone, Copy)]
struct Span {
    min: u64,
    max: u64,
    jump: u64,
    last: Option<u64>,
}

impl Span {
    fn new() -> Span {
        Span {
            min: u64::MAX,
            max: 0,
            jump: 0,
            last: None,
        }
    }

    fn add(&mut self, v: u64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        if let Some(l) = self.last {
            self.jump = self.jump.max(l.abs_diff(v));
        }
        self.last = Some(v);
    }

    fn holds(&self, v: u64) -> bool {
        v + self.jump >= self.min && v <= self.max + self.jump
    }
}

/// Run `scenario` while this process polls /proc/meminfo every millisecond;
/// each step's system_dirty_kb and system_writeback_kb must lie in the range
/// the test saw while the run lasted (widened by the largest change between
/// two consecutive readings: the engine's reading may fall between two of ours).
pub fn system_vs_meminfo(iotour: &Iotour, scenario: &Path, dir: &Path) -> Found {
    if meminfo_kb().is_none() {
        return Found::skip("/proc/meminfo has no Dirty/Writeback lines");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let (mut d, mut w) = (Span::new(), Span::new());
            loop {
                if let Some((a, b)) = meminfo_kb() {
                    d.add(a);
                    w.add(b);
                }
                if stop.load(Ordering::SeqCst) {
                    // One more reading after the run ended.
                    return (d, w);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    // Let the poller take its first reading before the run begins.
    std::thread::sleep(Duration::from_millis(20));
    let report = iotour.run_json(&[], scenario, dir, &[]);
    stop.store(true, Ordering::SeqCst);
    let (d, w) = poller.join().expect("poller");
    let report = match report {
        Ok(r) => r,
        Err(e) => return Found::skip(format!("run failed: {e}")),
    };
    let mut found = Found::default();
    let n = report["steps"].as_array().map_or(0, Vec::len);
    for i in 0..n {
        for (key, span) in [("system_dirty_kb", d), ("system_writeback_kb", w)] {
            let v = measured(&report, i, key);
            found.rows.push(Row {
                figure: key.into(),
                step: step_name(&report, i),
                iotour: show(v),
                witness: format!("{}..{} (±{})", span.min, span.max, span.jump),
                by: "/proc/meminfo polled every 1 ms by the test".into(),
                tolerance: "inside the range seen, ± the largest jump between readings".into(),
                ok: v.is_some_and(|v| span.holds(v)),
            });
        }
    }
    found
}

// ------------------------------------------------------------------- all --

/// Every witness, in a fresh directory under `base` (disk-backed).
pub fn run_all(iotour: &Iotour, base: &Path) -> (Found, String) {
    let dir = tempfile::tempdir_in(base).expect("witness directory");
    let counts = dir.path().join("counts.toml");
    std::fs::write(&counts, COUNTS_SCENARIO).expect("write scenario");
    let mut found = Found::default();
    let (f, windows) = syscalls_vs_strace(iotour, &counts, dir.path(), "default");
    found.extend(f);
    // The fallback count (no tracepoint) must be exact for these ops too.
    let mut fallback = iotour.clone();
    fallback
        .env
        .push(("IOTOUR_DISABLE".into(), "tracepoint".into()));
    let (f, _) = syscalls_vs_strace(&fallback, &counts, dir.path(), "fallback");
    found.extend(f);
    match windows {
        Some(w) => found.extend(twice(|| faults_vs_perf(iotour, &counts, dir.path(), &w))),
        None => found
            .skipped
            .push("perf witness needs the strace run's windows".into()),
    }
    found.extend(twice(|| pages_vs_tools(iotour, dir.path())));
    let pages = dir.path().join("pages.toml");
    std::fs::write(&pages, PAGES_SCENARIO).expect("write scenario");
    found.extend(twice(|| system_vs_meminfo(iotour, &pages, dir.path())));
    let dma = dir.path().join("dma.toml");
    std::fs::write(&dma, DMA_SCENARIO).expect("write scenario");
    found.extend(twice(|| dma_vs_block_layer(iotour, &dma, dir.path())));
    let machine = iotour
        .run_json(&[], &counts, dir.path(), &[])
        .map_or_else(|e| format!("unknown ({e})"), |r| machine(&r));
    (found, machine)
}

/// The write-back paths whose modeled DMA the block layer can check: bytes
/// written with write(2) into large folios, O_DSYNC writes, stores through
/// a mapping, sync_file_range's submission, and the wait that follows it.
pub const DMA_SCENARIO: &str = r#"[scenario]
title = "write-back DMA"
summary = "modeled write-back against the block layer"
[file]
size = "4MiB"
[[step]]
op = "pwrite"
bytes = 1
chunk = 1
offset = 0
[[step]]
op = "pwrite"
bytes = 1
chunk = 1
offset = "1MiB"
[[step]]
op = "pwrite"
bytes = 1
chunk = 1
offset = "2MiB"
[[step]]
op = "pwrite"
bytes = 1
chunk = 1
offset = "3MiB"
[[step]]
op = "fsync"
[[step]]
op = "mmap"
bytes = "4MiB"
write = true
[[step]]
op = "touch"
pages = 16
stride = 64
write = true
[[step]]
op = "msync"
[[step]]
op = "write"
bytes = "8MiB"
chunk = "1MiB"
[[step]]
op = "sync_file_range"
[[step]]
op = "wait_writeback"
timeout_ms = 10000
[[step]]
op = "reopen"
flags = ["dsync"]
[[step]]
op = "write"
bytes = 5000
chunk = 100
"#;

/// Each step's modeled page-cache → disk DMA against what the block layer
/// was asked to write into the file's blocks (`block:block_bio_queue`,
/// measured by iotour as root).
pub fn dma_vs_block_layer(iotour: &Iotour, scenario: &Path, dir: &Path) -> Found {
    let r = match iotour.run_json(&[], scenario, dir, &[]) {
        Ok(r) => r,
        Err(e) => return Found::skip(format!("DMA witness: {e}")),
    };
    let mut found = Found::default();
    for s in r["steps"].as_array().into_iter().flatten() {
        let Some(disk) = s["measured"]["disk_write_bytes"].as_u64() else {
            return Found::skip(
                "write-back DMA vs the block layer: block:block_bio_queue needs root",
            );
        };
        let modeled: u64 = s["modeled"]["copies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["kind"] == "dma" && c["from"] == "page_cache" && c["to"] == "disk")
            .filter_map(|c| c["bytes"].as_u64())
            .sum();
        if disk == 0 && modeled == 0 {
            continue;
        }
        found.rows.push(Row {
            figure: "write-back DMA (modeled)".into(),
            step: format!("step {} ({})", s["index"], s["op"].as_str().unwrap_or("?")),
            iotour: modeled.to_string(),
            witness: disk.to_string(),
            by: "block:block_bio_queue, bios inside the file's extents".into(),
            tolerance: "exact".into(),
            ok: disk == modeled,
        });
    }
    found
}

/// Every figure iotour shows: where it comes from, what checks it, how closely.
pub const FIGURES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "syscalls",
        "measured",
        "perf `raw_syscalls:sys_enter` on the worker thread (root); else counted by the engine",
        "strace -f inside the windows",
        "exact (both)",
    ),
    (
        "voluntary/involuntary_ctx_switches",
        "measured",
        "getrusage(RUSAGE_THREAD)",
        "perf sched:sched_switch (`perf record -c 1`)",
        "±1",
    ),
    (
        "minor_faults, major_faults",
        "measured",
        "getrusage(RUSAGE_THREAD)",
        "perf minor-faults/major-faults",
        "exact",
    ),
    (
        "user_faults",
        "measured (perf) or modeled",
        "perf software page-faults with exclude_kernel on the worker; else the faults of `touch`",
        "equals exceptions:page_fault_user (kernel facts); engine_ops test: MAP_POPULATE and write(2) from a mapping add none",
        "exact",
    ),
    (
        "mode_switches",
        "measured (root) or modeled",
        "syscalls + user_faults (docs/scenarios.md, Mode switches)",
        "the two rows above",
        "exact when measured",
    ),
    (
        "rchar, wchar, read_bytes, write_bytes",
        "measured",
        "/proc/<tid>/io",
        "strace (rchar, wchar)",
        "exact",
    ),
    (
        "file_cached/dirty/writeback_pages",
        "measured",
        "cachestat(2) (mincore: cached only)",
        "fincore, vmtouch, cachestat from another process",
        "exact",
    ),
    (
        "system_dirty_kb, system_writeback_kb",
        "measured",
        "/proc/meminfo",
        "/proc/meminfo polled every 1 ms",
        "inside the range seen",
    ),
    (
        "disk_write_bytes, journal_write_bytes",
        "measured (root)",
        "block:block_bio_queue per CPU on the file's device; data = inside the file's extents (FIEMAP)",
        "the modeled write-back DMA below; kernel facts (20,480 B for 4 one-byte writes + fsync)",
        "exact against the model for data",
    ),
    (
        "cpu_copies, cpu_copy_bytes",
        "modeled",
        "the op's copy path (bytes the calls moved)",
        "wchar/rchar of the same calls",
        "exact",
    ),
    (
        "write-back DMA (page cache → disk)",
        "modeled",
        "the engine's own dirty ranges: 4 KiB blocks touched by write(2), whole folios (cachestat's drop) for mapping stores, each O_SYNC/O_DSYNC call's blocks",
        "block:block_bio_queue (rows above, as root)",
        "exact",
    ),
    (
        "disk → page cache DMA",
        "modeled",
        "read_bytes of the step (readahead included), else the growth of cached pages",
        "/proc/<tid>/io",
        "exact",
    ),
    (
        "page cache → socket buffer page references (sendfile, splice)",
        "modeled (a leg, not a copy)",
        "the bytes the step sent; `modeled.legs` kind page_refs, copied_bytes 0: never in `copies` nor in any copy figure",
        "no kernel count of references exists; the copies beside it are witnessed above (cpu_copies 0, the disk's DMA by /proc/<tid>/io)",
        "n/a",
    ),
    (
        "socket buffer → NIC (absent)",
        "modeled (a leg, not a copy)",
        "every send: the engine's socket is a local socketpair, which has no NIC (`modeled.legs` kind absent, reason local_socket)",
        "the engine's own socket type (AF_UNIX)",
        "n/a",
    ),
    (
        "page-table entries of the mapping (VMA view)",
        "measured",
        "/proc/self/pagemap bit 63 for each page of the mapping, read by the sampler thread; range and permissions from /proc/self/maps",
        "engine_ops test: 10 private write stores into a 256-page mapping leave exactly 10 entries, maps says rw-p",
        "exact",
    ),
    (
        "not yet durable",
        "modeled",
        "bytes this run changed and the kernel has not written back (own ranges), clamped by cachestat's dirty + writeback pages",
        "engine_fidelity test: 4 bytes after 4 one-byte writes, 0 after fsync",
        "exact",
    ),
];

/// Each comparison's tolerance and the reason for it (also the page's legend).
pub const TOLERANCES: &[(&str, &str)] = &[
    (
        "write-back DMA (exact)",
        "the modeled bytes of each step's page cache → disk edge against the write bios \
         queued on the device inside the working file's extents (block:block_bio_queue, \
         read per CPU; FIEMAP after the step, so delayed allocation has placed the blocks). \
         Bios are queued when the writeback is submitted, so sync_file_range's are its own \
         and the wait after it has none. The journal's bios are outside the file's extents \
         and not part of this row.",
    ),
    (
        "syscalls (exact)",
        "strace (ptrace) and iotour's perf tracepoint both see every syscall entry of the \
         worker thread. The witness counts the calls between the probe's two getrusage calls \
         of each window, minus the probe's own two reads of its counter, which iotour also \
         excludes. The engine's own count (fallback, no tracepoint) is held to the same rule.",
    ),
    (
        "rchar, wchar (exact)",
        "the sum of what the worker's read and write calls returned inside the windows, \
         as strace shows them; /proc/<tid>/io adds the same counts, and iotour removes \
         its own reads of /proc/<tid>/io and of its perf counter. (sendfile and splice, \
         which /proc/*/io counts its own way, are not in this scenario.)",
    ),
    (
        "minor_faults, major_faults (exact)",
        "perf's minor-faults/major-faults and getrusage are incremented side by side in \
         mm_account_fault. Faults made by MAP_POPULATE are in rusage only (perf is not told \
         of faults without user registers); the scenario does not populate.",
    ),
    (
        "minor+major vs page-faults (witness >= iotour)",
        "perf's page-faults counts every entry to the fault handler; a fault that has to \
         wait for a locked page is retried and counted again, rusage counts it once.",
    ),
    (
        "context switches (±1)",
        "both are counted when the scheduler switches the worker out; a preemption that \
         lands inside the bracketing getrusage, after its entry (perf's window edge) and \
         before its snapshot (iotour's), is inside one window and outside the other.",
    ),
    (
        "file_cached_pages vs fincore/vmtouch (exact once readahead has landed)",
        "mincore, which both tools use, reports a page only once its data has been read; \
         cachestat counts a page from the moment readahead puts it in the cache. A step \
         that faults a mapping ends with readahead still in flight, so the witness re-reads \
         until the counts agree (at most 2 s). Nothing else changes the cache between the \
         engine's reading and the witness's: the files are small and recently used.",
    ),
    (
        "file_dirty_pages, file_writeback_pages (exact)",
        "cachestat(2) from the test process on the file the run left behind \
         (`--keep-workdir`). Dirty pages are far below the background threshold and younger \
         than dirty_expire, so the flusher does not move them in between; iotour's fsync and \
         msync steps wait for writeback, so it is 0 on both sides.",
    ),
    (
        "system_dirty_kb, system_writeback_kb (inside the range seen)",
        "system-wide figures move with every other writer on the machine. The test polls \
         /proc/meminfo every millisecond while the run lasts; each step's figure must lie \
         in the range it saw, widened by the largest change between two of its readings \
         (the engine's reading can fall between two of the test's). A figure in the wrong \
         unit (pages, bytes) or from the wrong line would fall outside.",
    ),
];

/// The markdown table of `docs/fidelity.md`.
pub fn markdown(found: &Found, machine: &str, command: &str) -> String {
    let mut s = String::new();
    let pass = found.rows.iter().filter(|r| r.ok).count();
    let _ = writeln!(
        s,
        "# Fidelity: iotour's figures against independent witnesses\n"
    );
    let _ = writeln!(
        s,
        "Generated by `{command}` (as root, with strace, perf, fincore and vmtouch \
         installed; `.ci/run` installs them). Re-run it to check your machine.\n"
    );
    let _ = writeln!(s, "Machine: {machine}.\n");
    let _ = writeln!(
        s,
        "{pass} of {} comparisons hold. How each witness isolates the step's own work \
         is in `tests/support/witness.rs`; why each tolerance is what it is, below the \
         table. `cargo test --test fidelity` asserts every row. The witnesses of page-cache, \
         fault and system state run a second time when a comparison fails (on a shared \
         machine another process's `sync` can change the state between iotour's reading \
         and the witness's); such retries are listed.\n",
        found.rows.len()
    );
    let mut by_figure: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &found.rows {
        *by_figure.entry(r.figure.as_str()).or_default() += 1;
    }
    let _ = writeln!(
        s,
        "| figure | step | iotour | witness | witness tool | tolerance | verdict |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---|---|---|");
    for r in &found.rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.figure,
            r.step,
            r.iotour,
            r.witness,
            r.by,
            r.tolerance,
            if r.ok { "ok" } else { "**FAIL**" }
        );
    }
    let _ = writeln!(s, "\n## Every figure: measured or modeled\n");
    let _ = writeln!(s, "| figure | kind | source | witness | tolerance |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for (figure, kind, source, witness, tolerance) in FIGURES {
        let _ = writeln!(
            s,
            "| {figure} | {kind} | {source} | {witness} | {tolerance} |"
        );
    }
    let _ = writeln!(s, "\n## Why each tolerance\n");
    for (figure, why) in TOLERANCES {
        let _ = writeln!(s, "- **{figure}**: {why}");
    }
    if !found.retried.is_empty() {
        let _ = writeln!(s, "\nFailed once, held when run again:\n");
        for k in &found.retried {
            let _ = writeln!(s, "- {k}");
        }
    }
    if !found.skipped.is_empty() {
        let _ = writeln!(s, "\nNot witnessed on this machine:\n");
        for k in &found.skipped {
            let _ = writeln!(s, "- {k}");
        }
    }
    s
}
