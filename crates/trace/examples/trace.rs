//! A minimal front end: `trace [--backend auto|perf|ptrace] [--files GLOB]
//! [--hz N] [--log FILE] (--pid PID | -- CMD ARGS...)`. Prints the JSON
//! report and exits with the program's exit code. The tests run it as an
//! unprivileged user; the benchmark runs it as a reference front end.

use std::process::ExitCode;
use std::sync::mpsc;

use iotour_trace::{BackendChoice, FileFilter, Stdio, Target, TraceConfig, TraceEvent};

fn main() -> ExitCode {
    let mut cli = std::env::args().skip(1);
    let mut config = TraceConfig::command(Vec::<String>::new());
    let mut stdio = Stdio::Inherit;
    let mut pid = None;
    let mut argv = Vec::new();
    while let Some(a) = cli.next() {
        match a.as_str() {
            "--backend" => {
                config.backend = match cli.next().as_deref() {
                    Some("perf") => BackendChoice::Perf,
                    Some("ptrace") => BackendChoice::Ptrace,
                    _ => BackendChoice::Auto,
                };
            }
            "--files" => match FileFilter::new(&cli.next().unwrap_or_default()) {
                Ok(f) => config.files = Some(f),
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            },
            "--hz" => config.sample_hz = cli.next().and_then(|s| s.parse().ok()).unwrap_or(10),
            "--log" => stdio = Stdio::File(cli.next().unwrap_or_default().into()),
            "--pid" => pid = cli.next().and_then(|s| s.parse().ok()),
            "--" => {
                argv.extend(cli.by_ref());
            }
            other => {
                eprintln!("unknown argument {other}");
                return ExitCode::from(2);
            }
        }
    }
    config.target = match pid {
        Some(p) => Target::Pid(p),
        None => Target::Command { argv, stdio },
    };
    // The events are not shown here; the report folds them.
    let (tx, rx) = mpsc::channel::<TraceEvent>();
    let drain = std::thread::spawn(move || rx.into_iter().count());
    let tracer = match iotour_trace::start(config, tx) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("iotour-trace: {e}");
            return ExitCode::from(125);
        }
    };
    let report = match tracer.wait() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("iotour-trace: {e}");
            return ExitCode::from(125);
        }
    };
    let _ = drain.join();
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("a report serializes")
    );
    ExitCode::from(report.exit_code.unwrap_or(0).clamp(0, 255) as u8)
}
