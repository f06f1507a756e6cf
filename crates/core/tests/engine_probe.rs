//! The worker's self-measurement: an empty window measures nothing, and a
//! window with k syscalls measures k. Needs root for the tracepoint half (it
//! says so and checks the fallback otherwise).

use iotour_core::probe::Disabled;
use iotour_core::probe::thread::{SyscallSource, ThreadProbe};

fn getppid() {
    // SAFETY: getppid has no preconditions.
    unsafe { libc::getppid() };
}

#[test]
fn empty_window_measures_zero_a_thousand_times() {
    let mut p = ThreadProbe::open(&Disabled::default());
    eprintln!(
        "syscall source: {:?}, notes: {:?}",
        p.syscall_source(),
        p.notes()
    );
    for i in 0..1000 {
        let b = p.begin();
        let m = p.end(&b, 0);
        assert_eq!(m.syscalls, Some(0), "iteration {i}: {m:?}");
        assert_eq!(m.minor_faults, Some(0), "iteration {i}: {m:?}");
        assert_eq!(m.major_faults, Some(0), "iteration {i}: {m:?}");
        if p.has_io() {
            assert_eq!(m.rchar, Some(0), "iteration {i}: {m:?}");
            assert_eq!(m.wchar, Some(0), "iteration {i}: {m:?}");
        }
    }
}

#[test]
fn window_with_k_getppid_measures_k() {
    let mut p = ThreadProbe::open(&Disabled::default());
    if p.syscall_source() != SyscallSource::Tracepoint {
        eprintln!(
            "not root (or no tracefs): only the engine-count fallback is checked: {:?}",
            p.notes()
        );
    }
    for k in [1u64, 2, 7, 100, 1000] {
        let b = p.begin();
        for _ in 0..k {
            getppid();
        }
        let m = p.end(&b, k);
        assert_eq!(m.syscalls, Some(k), "{m:?}");
        if p.has_io() {
            assert_eq!(m.rchar, Some(0), "getppid reads nothing: {m:?}");
        }
    }
}

#[test]
fn disabling_the_tracepoint_falls_back_to_the_engine_count() {
    let mut p = ThreadProbe::open(&Disabled::parse("tracepoint,procio").unwrap());
    assert_eq!(p.syscall_source(), SyscallSource::Engine);
    assert!(!p.has_io());
    let b = p.begin();
    getppid();
    let m = p.end(&b, 1);
    assert_eq!(m.syscalls, Some(1));
    assert_eq!(m.rchar, None, "no procio: unknown, not 0");
    assert!(
        p.notes().iter().any(|n| n.contains("IOTOUR_DISABLE")),
        "{:?}",
        p.notes()
    );
}

#[test]
fn reads_and_writes_in_a_window_are_counted_to_the_byte() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("f");
    let mut writer = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    writer.write_all(&[9u8; 10_000]).unwrap();
    let mut reader = std::fs::File::open(&path).unwrap();
    let mut buf = vec![0u8; 4096];
    let mut probe = ThreadProbe::open(&Disabled::default());
    if !probe.has_io() {
        eprintln!("no /proc/<tid>/io: skipped");
        return;
    }
    for _ in 0..100 {
        let begin = probe.begin();
        let n = reader.read(&mut buf).unwrap();
        writer.write_all(&buf[..123]).unwrap();
        let m = probe.end(&begin, 2);
        assert_eq!(m.syscalls, Some(2), "{m:?}");
        assert_eq!(m.rchar, Some(n as u64), "{m:?}");
        assert_eq!(m.wchar, Some(123), "{m:?}");
        if n == 0 {
            break;
        }
    }
}
