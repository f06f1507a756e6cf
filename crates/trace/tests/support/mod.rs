//! Shared helpers: the C workload built once, temp dirs, running a trace.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::mpsc;

use iotour_trace::{
    BackendChoice, FileReport, Stdio, Target, TraceConfig, TraceEvent, TraceReport,
};

/// The workload binary (tests/support/workload.c), compiled with cc into
/// cargo's per-target temp dir on first use.
pub fn workload() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("iotour-trace-workload");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/workload.c");
        let tmp = out.with_extension(format!("tmp{}", std::process::id()));
        let st = Command::new("cc")
            .args(["-O2", "-pthread", "-o"])
            .arg(&tmp)
            .arg(&src)
            .status()
            .expect("cc runs");
        assert!(st.success(), "compiling {} failed", src.display());
        std::fs::rename(&tmp, &out).unwrap();
        out
    })
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Print why a test is skipped and return true when not root.
pub fn skip_unless_root(test: &str) -> bool {
    if is_root() {
        return false;
    }
    eprintln!("SKIP {test}: needs root (perf tracepoints / setpriv)");
    true
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("iotour-trace-test")
        .tempdir()
        .unwrap()
}

pub fn config(backend: BackendChoice, argv: Vec<String>) -> TraceConfig {
    TraceConfig {
        target: Target::Command {
            argv,
            stdio: Stdio::Null,
        },
        backend,
        files: None,
        sample_hz: 50,
    }
}

pub fn workload_argv(mode: &str, dir: &Path, n: Option<u64>) -> Vec<String> {
    let mut v = vec![
        workload().display().to_string(),
        mode.to_owned(),
        dir.display().to_string(),
    ];
    v.extend(n.map(|n| n.to_string()));
    v
}

/// Run a trace to the end; also returns every event seen.
pub fn run(config: TraceConfig) -> (TraceReport, Vec<TraceEvent>) {
    let (tx, rx) = mpsc::channel();
    let tracer = iotour_trace::start(config, tx).expect("trace starts");
    let report = tracer.wait().expect("trace ends");
    (report, rx.into_iter().collect())
}

pub fn file<'a>(report: &'a TraceReport, path: &Path) -> &'a FileReport {
    let want = path.display().to_string();
    report
        .files
        .iter()
        .find(|f| f.path.as_ref() == want)
        .unwrap_or_else(|| {
            panic!(
                "{want} not among the followed files: {:?}",
                report.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
}

pub fn calls(f: &FileReport, name: &str) -> u64 {
    f.syscalls.get(name).copied().unwrap_or(0)
}
