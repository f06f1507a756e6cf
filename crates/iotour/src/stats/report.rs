//! Output-only types of `stats`: what `--json` prints. Sizes in KiB (as
//! /proc/meminfo gives them), rates per second, `null` when unknown.

use serde::Serialize;

use iotour_core::probe::system::DirtySettings;
use iotour_core::stats::pressure::Pressure;
use iotour_core::stats::sample::Sample;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsReport {
    /// The window the rates are measured over.
    pub interval_ms: u64,
    pub dirty_kb: Option<u64>,
    pub writeback_kb: Option<u64>,
    /// Above this much Dirty, the flusher threads write back in the background.
    pub background_threshold_kb: Option<u64>,
    /// At this much Dirty + Writeback, a writing process is made to wait.
    pub threshold_kb: Option<u64>,
    pub distance: Distance,
    /// The `vm.dirty_*` sysctls.
    pub settings: DirtySettings,
    pub rates: Rates,
    pub io_pressure: Option<Pressure>,
    /// Why `io_pressure` is `null`.
    pub io_pressure_error: Option<String>,
    /// The processes that dirtied the most bytes during the window.
    pub top_writers: Vec<Writer>,
    /// Processes whose /proc/PID/io could not be read (other users' without root).
    pub processes_unreadable: u64,
    /// The notes in English, as `--json` prints them.
    pub notes: Vec<String>,
    /// What the notes say, for saying it in the reader's language.
    #[serde(skip)]
    pub unreadable: Option<Unreadable>,
}

/// Processes whose /proc/PID/io could not be read, of how many, and whether
/// even root was refused (a container, a security module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable {
    pub unreadable: u64,
    pub total: u64,
    pub as_root: bool,
}

impl Unreadable {
    /// The note in `lang`.
    pub fn note(&self, lang: iotour_core::scenario::Lang) -> String {
        let hint = if self.as_root {
            t!(lang, "stats_report.denied_to_root")
        } else {
            t!(lang, "stats_report.other_users")
        };
        t!(
            lang,
            "stats_report.unreadable",
            unreadable = self.unreadable,
            total = self.total,
            hint = hint
        )
    }
}

/// How far the system is from each threshold. The kernel compares Dirty
/// alone with the background threshold, and Dirty + Writeback with the hard
/// one (mm/page-writeback.c, `domain_dirty_avail`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Distance {
    /// Dirty as a percentage of the background threshold.
    pub dirty_pct_of_background: Option<f64>,
    /// Dirty + Writeback as a percentage of the hard threshold.
    pub dirty_writeback_pct_of_threshold: Option<f64>,
    /// Below this (halfway between the two thresholds) writers run free;
    /// above it balance_dirty_pages starts pausing them.
    pub throttle_from_kb: Option<u64>,
}

/// Per second, over the window, from /proc/vmstat.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    /// Pages dirtied.
    pub nr_dirtied: Option<f64>,
    /// Pages written back.
    pub nr_written: Option<f64>,
    /// Page faults, minor and major.
    pub pgfault: Option<f64>,
    /// Faults that waited for storage.
    pub pgmajfault: Option<f64>,
    /// KiB read from block devices.
    pub pgpgin: Option<f64>,
    /// KiB written to block devices.
    pub pgpgout: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Writer {
    pub pid: i32,
    pub comm: String,
    pub write_bytes_per_s: f64,
    pub cancelled_write_bytes_per_s: f64,
}

impl StatsReport {
    /// State at `b`, rates from `a` to `b`, the `top` busiest writers.
    #[allow(
        clippy::many_single_char_names,
        reason = "a and b are the two samples, m the memory reading"
    )]
    pub fn between(a: &Sample, b: &Sample, top: usize) -> StatsReport {
        let secs = b.at.duration_since(a.at).as_secs_f64();
        let rate = |i: usize| -> Option<f64> {
            let d = b.counters[i]?.checked_sub(a.counters[i]?)?;
            (secs > 0.0).then(|| d as f64 / secs)
        };
        let m = b.mem;
        let pct = |n: Option<u64>, of: Option<u64>| -> Option<f64> {
            let of = of.filter(|&o| o > 0)?;
            Some(n? as f64 * 100.0 / of as f64)
        };
        let dirty_writeback = m.dirty_kb.zip(m.writeback_kb).map(|(d, w)| d + w);
        let distance = Distance {
            dirty_pct_of_background: pct(m.dirty_kb, m.background_threshold_kb),
            dirty_writeback_pct_of_threshold: pct(dirty_writeback, m.threshold_kb),
            throttle_from_kb: m
                .background_threshold_kb
                .zip(m.threshold_kb)
                .map(|(bg, hard)| u64::midpoint(bg, hard)),
        };
        let mut writers: Vec<Writer> = b
            .procs
            .readable
            .iter()
            .filter_map(|(&pid, now)| {
                let then = a.procs.readable.get(&pid)?;
                // A smaller count means the pid was reused by a new process.
                let w = now.write_bytes.checked_sub(then.write_bytes)?;
                let c = now
                    .cancelled_write_bytes
                    .checked_sub(then.cancelled_write_bytes)?;
                (w > 0 || c > 0).then(|| Writer {
                    pid,
                    comm: now.comm.clone(),
                    write_bytes_per_s: w as f64 / secs.max(f64::EPSILON),
                    cancelled_write_bytes_per_s: c as f64 / secs.max(f64::EPSILON),
                })
            })
            .collect();
        writers.sort_by(|x, y| {
            y.write_bytes_per_s
                .total_cmp(&x.write_bytes_per_s)
                .then(
                    y.cancelled_write_bytes_per_s
                        .total_cmp(&x.cancelled_write_bytes_per_s),
                )
                .then(x.pid.cmp(&y.pid))
        });
        writers.truncate(top);
        let unreadable = (b.procs.unreadable > 0).then(|| Unreadable {
            unreadable: b.procs.unreadable,
            total: b.procs.unreadable + b.procs.readable.len() as u64,
            // SAFETY: geteuid has no preconditions and cannot fail.
            as_root: unsafe { libc::geteuid() } == 0,
        });
        let notes = unreadable
            .iter()
            .map(|u| u.note(iotour_core::scenario::Lang::En))
            .collect();
        let (io_pressure, io_pressure_error) = match &b.pressure {
            Ok(p) => (Some(*p), None),
            Err(e) => (None, Some(e.clone())),
        };
        StatsReport {
            interval_ms: (secs * 1000.0).round() as u64,
            dirty_kb: m.dirty_kb,
            writeback_kb: m.writeback_kb,
            background_threshold_kb: m.background_threshold_kb,
            threshold_kb: m.threshold_kb,
            distance,
            settings: b.settings,
            rates: Rates {
                nr_dirtied: rate(0),
                nr_written: rate(1),
                pgfault: rate(2),
                pgmajfault: rate(3),
                pgpgin: rate(4),
                pgpgout: rate(5),
            },
            io_pressure,
            io_pressure_error,
            top_writers: writers,
            processes_unreadable: b.procs.unreadable,
            notes,
            unreadable,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use iotour_core::probe::system::SystemMem;
    use iotour_core::stats::procio::{ProcIo, ProcIoSample};

    pub(crate) fn samples() -> (Sample, Sample) {
        let t0 = Instant::now();
        let io = |w, c| ProcIo {
            comm: "dd".into(),
            write_bytes: w,
            cancelled_write_bytes: c,
        };
        let mut a = Sample {
            at: t0,
            mem: SystemMem::default(),
            settings: DirtySettings::default(),
            counters: [Some(1000), Some(500), Some(10), Some(0), Some(0), Some(0)],
            pressure: Err("/proc/pressure/io not present".into()),
            procs: ProcIoSample::default(),
        };
        a.procs.readable.insert(10, io(0, 0));
        a.procs.readable.insert(11, io(4096, 0));
        a.procs.readable.insert(12, io(1 << 20, 0));
        let mut b = a.clone();
        b.at = t0 + Duration::from_secs(2);
        b.counters = [Some(3000), Some(500), Some(30), Some(2), Some(100), None];
        b.mem = SystemMem {
            dirty_kb: Some(30_000),
            writeback_kb: Some(10_000),
            background_threshold_kb: Some(100_000),
            threshold_kb: Some(200_000),
        };
        b.procs.readable.insert(10, io(8192, 4096)); // 4 KiB/s, 2 KiB/s cancelled
        b.procs.readable.insert(11, io(4096, 0)); // idle: left out
        b.procs.readable.insert(12, io(0, 0)); // pid reused: left out
        b.procs.readable.insert(13, io(1 << 30, 0)); // new: no rate yet
        b.procs.unreadable = 7;
        (a, b)
    }

    #[test]
    #[allow(
        clippy::float_cmp,
        reason = "the rates are exact by construction (whole bytes over 2 s)"
    )]
    fn rates_distances_and_writers_from_two_samples() {
        let (a, b) = samples();
        let r = StatsReport::between(&a, &b, 10);
        assert_eq!(r.interval_ms, 2000);
        assert_eq!(r.rates.nr_dirtied, Some(1000.0));
        assert_eq!(r.rates.nr_written, Some(0.0));
        assert_eq!(r.rates.pgmajfault, Some(1.0));
        assert_eq!(r.rates.pgpgout, None);
        assert_eq!(r.distance.dirty_pct_of_background, Some(30.0));
        assert_eq!(r.distance.dirty_writeback_pct_of_threshold, Some(20.0));
        assert_eq!(r.distance.throttle_from_kb, Some(150_000));
        assert_eq!(r.top_writers.len(), 1, "{:?}", r.top_writers);
        assert_eq!(r.top_writers[0].pid, 10);
        assert_eq!(r.top_writers[0].write_bytes_per_s, 4096.0);
        assert_eq!(r.top_writers[0].cancelled_write_bytes_per_s, 2048.0);
        assert_eq!(r.processes_unreadable, 7);
        assert!(
            r.notes[0].starts_with("7 of 11 processes' /proc/PID/io unreadable"),
            "{:?}",
            r.notes
        );
        assert!(r.io_pressure.is_none());
        assert_eq!(
            r.io_pressure_error.as_deref(),
            Some("/proc/pressure/io not present")
        );
        assert!(StatsReport::between(&a, &b, 0).top_writers.is_empty());
    }

    #[test]
    fn settings_keep_their_json_keys() {
        // The keys of `stats --json` are a contract (docs/inspect.md).
        let (a, b) = samples();
        let v = serde_json::to_value(StatsReport::between(&a, &b, 10)).unwrap();
        let mut keys: Vec<&str> = v["settings"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = [
            "dirty_background_ratio",
            "dirty_background_bytes",
            "dirty_ratio",
            "dirty_bytes",
            "dirty_expire_centisecs",
            "dirty_writeback_centisecs",
        ];
        want.sort_unstable();
        keys.sort_unstable();
        assert_eq!(keys, want);
    }

    #[test]
    fn unknown_thresholds_give_unknown_distances() {
        let (a, mut b) = samples();
        b.mem.background_threshold_kb = None;
        b.mem.threshold_kb = Some(0);
        let r = StatsReport::between(&a, &b, 10);
        assert_eq!(r.distance.dirty_pct_of_background, None);
        assert_eq!(r.distance.dirty_writeback_pct_of_threshold, None);
        assert_eq!(r.distance.throttle_from_kb, None);
    }
}
