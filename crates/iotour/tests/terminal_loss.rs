//! The terminal goes away under every screen: a closed window, a dropped
//! ssh session, a killed tmux session. The pty's master side is closed
//! (every fd of it) while iotour shows the picker, a run, predict mode,
//! inspect, stats, compare or a replay, in two ways:
//!
//! - as the controlling terminal (what a shell gives): Linux hangs the
//!   terminal up and sends SIGHUP to the session leader, iotour: exit 129;
//! - as plain standard input and output without a controlling terminal: no
//!   signal, only end-of-file / EIO / POLLHUP on the terminal: exit 1.
//!
//! Either way the program must end within seconds (no thread spinning on a
//! dead terminal: the CPU it burns between the close and its exit is
//! measured), leave no `iotour-*` working directory, and the same holds for
//! `tmux kill-session`. The live views also end on SIGHUP, SIGTERM and
//! SIGINT with 128 + N and give the terminal back.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::pty::{Pty, Session, WAIT};

/// How long the program may take from the close to its exit.
const ENDS_WITHIN: Duration = Duration::from_secs(3);
/// CPU the program may burn between the close and its exit: a thread
/// looping on a dead terminal burns a core for the whole time.
const CPU_BUDGET: Duration = Duration::from_millis(400);

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// The working directories left in `dir`.
fn left(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("iotour-"))
        .collect()
}

/// User + system CPU time of `pid` so far (also of a zombie not yet reaped).
fn cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name, which may hold spaces, in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    Some(Duration::from_millis(ticks * 1000 / hz))
}

/// Whether `pid` (our child) has exited, without reaping it.
fn exited(pid: u32) -> bool {
    // SAFETY: siginfo_t is plain data, for which all zeroes is a value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid on our own child with WNOWAIT only reports its state.
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            pid,
            &raw mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    // SAFETY: waitid filled `info` (si_pid stays 0 while it runs).
    rc == 0 && unsafe { info.si_pid() } != 0
}

/// A screen to reach, and the texts that say it is there.
struct Screen {
    name: &'static str,
    args: Vec<String>,
    ready: &'static [&'static str],
}

fn screens(files: &Path, recording: &Path) -> Vec<Screen> {
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_string()).collect::<Vec<_>>();
    vec![
        Screen {
            name: "picker",
            args: vec![],
            ready: &["choose a scenario"],
        },
        Screen {
            name: "run",
            args: s(&["run", "write-then-fsync"]),
            // A source badge: the engine is ready, a step under way.
            ready: &["data path", "tracepoint"],
        },
        Screen {
            name: "predict",
            args: s(&["run", "write-then-fsync", "--predict"]),
            ready: &["data path", "Make your guess"],
        },
        Screen {
            name: "inspect",
            args: vec!["inspect".into(), files.display().to_string()],
            ready: &["iotour inspect", "notes.txt"],
        },
        Screen {
            name: "stats",
            args: s(&["stats"]),
            ready: &["iotour stats"],
        },
        Screen {
            name: "compare",
            args: s(&["compare", "unbuffered-write", "buffered-write"]),
            ready: &["totals", "tracepoint"],
        },
        Screen {
            name: "replay",
            args: vec!["replay".into(), recording.display().to_string()],
            ready: &["data path"],
        },
    ]
}

/// One recording to replay and one directory to inspect, for every screen.
fn fixtures(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let files = dir.join("seen");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("notes.txt"), vec![7u8; 3 * 4096]).unwrap();
    let recording = dir.join("r.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_iotour"))
        .args(["run", "write-then-fsync", "--headless", "--record"])
        .arg(&recording)
        .arg("--workdir")
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    (files, recording)
}

/// What happened after the close.
struct Ending {
    code: Option<i32>,
    took: Duration,
    cpu: Duration,
    left: Vec<String>,
}

fn close_terminal_in(screen: &Screen, session: Session) -> Ending {
    let wd = scratch();
    let mut args: Vec<&str> = screen.args.iter().map(String::as_str).collect();
    args.extend(["--workdir", wd.path().to_str().unwrap()]);
    let mut pty = Pty::spawn_in(session, &args, 100, 30, &[]);
    for text in screen.ready {
        pty.wait_for(text, WAIT)
            .unwrap_or_else(|t| panic!("{} ({session:?}): {t}", screen.name));
    }
    let pid = pty.pid();
    let before = cpu(pid).expect("the program is running");
    let t = Instant::now();
    pty.hang_up();
    while !exited(pid) {
        assert!(
            t.elapsed() < ENDS_WITHIN * 5,
            "{} ({session:?}): still running {:?} after the terminal closed",
            screen.name,
            t.elapsed()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = t.elapsed();
    let after = cpu(pid).unwrap_or(before);
    let status = pty.wait_exit(WAIT).unwrap();
    Ending {
        code: status.code(),
        took,
        cpu: after.saturating_sub(before),
        left: left(wd.path()),
    }
}

#[test]
fn closing_the_terminal_ends_every_screen_promptly_and_cleanly() {
    let dir = scratch();
    let (files, recording) = fixtures(dir.path());
    let mut tried = 0;
    for screen in screens(&files, &recording) {
        for (session, code) in [(Session::Controlling, 129), (Session::NotControlling, 1)] {
            let end = close_terminal_in(&screen, session);
            eprintln!(
                "{:8} {session:?}: exit {:?} after {:?}, {:?} of CPU meanwhile, left {:?}",
                screen.name, end.code, end.took, end.cpu, end.left
            );
            assert_eq!(end.code, Some(code), "{} ({session:?})", screen.name);
            assert!(
                end.took < ENDS_WITHIN,
                "{} ({session:?}): {:?}",
                screen.name,
                end.took
            );
            assert!(
                end.cpu < CPU_BUDGET,
                "{} ({session:?}): {:?} of CPU",
                screen.name,
                end.cpu
            );
            assert!(
                end.left.is_empty(),
                "{} ({session:?}): {:?}",
                screen.name,
                end.left
            );
            tried += 1;
        }
    }
    eprintln!("{tried} screen × exit-path combinations: every one ended, nothing left");
}

/// `iotour stats` and `iotour inspect DIR` live views (not reached from the
/// picker): each signal gives the terminal back and exits 128 + N.
#[test]
fn live_views_end_on_each_signal_with_128_plus_n() {
    let dir = scratch();
    let (files, _) = fixtures(dir.path());
    let views: [(Vec<String>, &str); 2] = [
        (vec!["stats".into()], "iotour stats"),
        (
            vec!["inspect".into(), files.display().to_string()],
            "notes.txt",
        ),
    ];
    for (args, ready) in &views {
        for sig in [libc::SIGHUP, libc::SIGTERM, libc::SIGINT] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut pty = Pty::spawn(&args, 100, 30, &[]);
            pty.wait_for(ready, WAIT).unwrap();
            pty.signal(sig);
            let status = pty.wait_exit(WAIT).unwrap();
            assert_eq!(status.code(), Some(128 + sig), "{args:?} signal {sig}");
            pty.assert_restored();
        }
    }
}

/// The reproduction: `tmux new -d -s x iotour; tmux kill-session -t
/// x` must leave no iotour behind.
#[test]
fn a_killed_tmux_session_leaves_no_iotour_running() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: no tmux on this machine");
        return;
    }
    let wd = scratch();
    let socket = format!("iotour-test-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap()
    };
    let command = format!(
        "exec {} --workdir {}",
        env!("CARGO_BIN_EXE_iotour"),
        wd.path().display()
    );
    let out = tmux(&[
        "new-session",
        "-d",
        "-s",
        "x",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    assert!(out.status.success(), "{out:?}");
    // Ours: the iotour processes whose command line names this workdir.
    let ours = || -> Vec<u32> {
        let marker = wd.path().display().to_string();
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                    let c = String::from_utf8_lossy(&c);
                    c.contains("iotour") && c.contains(&marker) && !c.contains("tmux")
                })
            })
            .collect()
    };
    let deadline = Instant::now() + WAIT;
    loop {
        let shown = tmux(&["capture-pane", "-p", "-t", "x"]);
        if String::from_utf8_lossy(&shown.stdout).contains("choose a scenario") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the picker never showed: {}",
            String::from_utf8_lossy(&shown.stdout)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let socket_path = String::from_utf8_lossy(
        &tmux(&["display-message", "-p", "-t", "x", "#{socket_path}"]).stdout,
    )
    .trim()
    .to_string();
    let running = ours();
    assert_eq!(running.len(), 1, "{running:?}");
    let t = Instant::now();
    tmux(&["kill-session", "-t", "x"]);
    while !ours().is_empty() {
        assert!(
            t.elapsed() < ENDS_WITHIN,
            "iotour still running {:?} after kill-session: {:?}",
            t.elapsed(),
            ours()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("tmux kill-session: iotour gone after {:?}", t.elapsed());
    tmux(&["kill-server"]);
    // The server is gone; its socket file stays unless removed.
    if !socket_path.is_empty() {
        let _ = std::fs::remove_file(&socket_path);
    }
    assert!(left(wd.path()).is_empty(), "{:?}", left(wd.path()));
}
