//! The logic-analyser record of the worker: per 100 ms of run time, how often
//! it crossed into the kernel (syscalls; page faults, minor and major apart:
//! a major one waited for the disk) and how often the
//! scheduler took the CPU from it (voluntary and involuntary context
//! switches). Fed from slice reports, whose counters are the slice's own.

use std::collections::VecDeque;
use std::time::Duration;

use iotour_core::outcome::Readings;

pub const BUCKET: Duration = Duration::from_millis(100);
/// One minute of history: wider than any terminal, so scrolling never shows a gap.
const KEEP: usize = 600;

/// Counts in one bucket; `None` where the source could not measure it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    pub index: u64,
    pub syscalls: Option<u64>,
    /// Faults served from memory (getrusage `ru_minflt`).
    pub minor_faults: Option<u64>,
    /// Faults that waited for the disk (getrusage `ru_majflt`).
    pub major_faults: Option<u64>,
    pub voluntary: Option<u64>,
    pub involuntary: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub buckets: VecDeque<Bucket>,
}

fn add(acc: &mut Option<u64>, fresh: bool, v: Option<u64>) {
    *acc = match (fresh, *acc, v) {
        (true, _, v) => v,
        (false, Some(a), Some(b)) => Some(a + b),
        _ => None,
    };
}

impl Timeline {
    pub fn record(&mut self, at: Duration, m: &Readings) {
        let index = (at.as_millis() / BUCKET.as_millis()) as u64;
        let fresh = self.buckets.back().is_none_or(|b| b.index != index);
        if fresh {
            self.buckets.push_back(Bucket {
                index,
                ..Bucket::default()
            });
            if self.buckets.len() > KEEP {
                self.buckets.pop_front();
            }
        }
        let Some(b) = self.buckets.back_mut() else {
            return;
        };
        add(&mut b.syscalls, fresh, m.syscalls);
        add(&mut b.minor_faults, fresh, m.minor_faults);
        add(&mut b.major_faults, fresh, m.major_faults);
        add(&mut b.voluntary, fresh, m.voluntary_ctx_switches);
        add(&mut b.involuntary, fresh, m.involuntary_ctx_switches);
    }

    /// The end of the newest bucket with activity.
    pub fn last(&self) -> Option<Duration> {
        let b = self.buckets.back()?;
        Some(BUCKET * (b.index as u32 + 1))
    }

    /// The bucket at `index`, if anything happened then.
    pub fn at(&self, index: u64) -> Option<&Bucket> {
        let first = self.buckets.front()?.index;
        if index < first {
            return None;
        }
        // Buckets are sorted and sparse: search near the back, where renders look.
        self.buckets
            .iter()
            .rev()
            .take_while(|b| b.index >= index)
            .find(|b| b.index == index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_in_one_bucket_add_up_and_unknown_stays_unknown() {
        let mut t = Timeline::default();
        let m = Readings {
            syscalls: Some(10),
            minor_faults: Some(1),
            major_faults: Some(3),
            voluntary_ctx_switches: Some(2),
            involuntary_ctx_switches: None,
            ..Readings::default()
        };
        t.record(Duration::from_millis(10), &m);
        t.record(Duration::from_millis(90), &m);
        t.record(Duration::from_millis(250), &m);
        assert_eq!(t.buckets.len(), 2);
        let b = t.at(0).unwrap();
        assert_eq!(
            (b.syscalls, b.minor_faults, b.major_faults, b.voluntary),
            (Some(20), Some(2), Some(6), Some(4))
        );
        assert_eq!(b.involuntary, None);
        assert!(t.at(1).is_none());
        assert_eq!(t.at(2).unwrap().syscalls, Some(10));
    }
}
